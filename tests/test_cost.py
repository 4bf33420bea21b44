"""Cost estimate: priced per recorded resource from the list-price table, usage from the stack's config, knobs
priced by re-estimating the changed plan; the shipped stacks within their budgets; the README table current."""

from __future__ import annotations

from typing import Any

import pytest

from offline.cost import (
    DAYS_PER_MONTH,
    HOURS_PER_MONTH,
    PRICES,
    Usage,
    estimate,
    render_cost,
    stack_usage,
    tier_split,
)
from offline.cost_table import STACKS, with_cost_table
from offline.engine import read_stack_settings
from offline.records import ResourceRecord
from tests.support import PROJECT_DIR, Recorded

BUCKET = "oci:ObjectStorage/bucket:Bucket"
LIFECYCLE = "oci:ObjectStorage/objectLifecyclePolicy:ObjectLifecyclePolicy"
DB = "oci:Psql/dbSystem:DbSystem"
USAGE = Usage(stored_tb=20, monthly_new_tb=1, internet_egress_tb=0)


def _record(type_: str, logical: str = "r", dependencies: tuple[str, ...] = (), **inputs: object) -> ResourceRecord:
    return ResourceRecord(urn=f"urn:pulumi:s::p::{type_}::{logical}", type=type_, name=logical, inputs=dict(inputs),
                          dependencies=dependencies)  # fmt: skip


def _monthly(price_key: str, quantity: float, *, hourly: bool = True) -> float:
    return quantity * PRICES[price_key].usd * (HOURS_PER_MONTH if hourly else 1)


def test_container_instance_is_priced_by_ocpu_and_memory() -> None:
    record = _record(
        "oci:ContainerEngine/containerInstance:ContainerInstance",
        shape="CI.Standard.E4.Flex", shapeConfig={"ocpus": 2, "memoryInGbs": 16},
    )  # fmt: skip
    cost = estimate([record], USAGE)
    assert cost["monthly"] == pytest.approx(
        _monthly("compute_e4_ocpu", 2) + _monthly("compute_e4_memory", 16), abs=0.02
    )
    assert {line["item"] for line in cost["lines"]} == {
        PRICES["compute_e4_ocpu"].source,
        PRICES["compute_e4_memory"].source,
    }


def test_ha_database_costs_per_node_and_its_index_grows_with_the_archive() -> None:
    single = estimate([_record(DB, instanceCount=1, instanceOcpuCount=2, instanceMemorySizeInGbs=32)], USAGE)
    double = estimate([_record(DB, instanceCount=2, instanceOcpuCount=2, instanceMemorySizeInGbs=32)], USAGE)
    storage = _monthly("postgresql_storage", 20 * 10, hourly=False)  # ~10 GB of index per stored TB
    assert [line["quantity"] for line in single["lines"]][-1] == 200
    assert double["monthly"] - storage == pytest.approx(2 * (single["monthly"] - storage), abs=0.05)


def test_gpu_pool_and_fastconnect_and_private_vault() -> None:
    records = [
        _record("oci:ContainerEngine/nodePool:NodePool", nodeShape="VM.GPU.A10.2", nodeConfigDetails={"size": 3}),
        _record("oci:Core/virtualCircuit:VirtualCircuit", bandwidthShapeName="10 Gbps"),
        _record("oci:Kms/vault:Vault", "private", vaultType="VIRTUAL_PRIVATE"),
        _record("oci:Kms/vault:Vault", "default", vaultType="DEFAULT"),
    ]
    lines = estimate(records, USAGE)["lines"]
    monthly = {line["type"]: line["monthly"] for line in lines}
    assert monthly["oci:ContainerEngine/nodePool:NodePool"] == pytest.approx(6 * 2.0 * HOURS_PER_MONTH)
    assert monthly["oci:Core/virtualCircuit:VirtualCircuit"] == pytest.approx(_monthly("fastconnect_10g", 1))
    assert [line["urn"].rsplit("::", 1)[1] for line in lines if line["type"] == "oci:Kms/vault:Vault"] == ["private"]


@pytest.mark.parametrize("shape", ["VM.GPU3.1", "BM.GPU4.8", "BM.GPU.H100.8"])
def test_a_gpu_family_without_a_price_is_left_out_not_priced_as_an_a10(shape: str) -> None:
    cost = estimate([_record("oci:ContainerEngine/nodePool:NodePool", nodeShape=shape, nodeConfigDetails={"size": 1})])
    assert cost["lines"] == []
    assert "GPU shapes other than A10" in cost["assumptions"]["prices"]


@pytest.mark.parametrize(("shape", "price_key"), [("1 Gbps", "fastconnect_1g"), ("10 Gbps", "fastconnect_10g"),
                                                  ("100 Gbps", "fastconnect_100g")])  # fmt: skip
def test_fastconnect_port_is_priced_by_its_bandwidth(shape: str, price_key: str) -> None:
    cost = estimate([_record("oci:Core/virtualCircuit:VirtualCircuit", bandwidthShapeName=shape)], USAGE)
    assert cost["monthly"] == pytest.approx(_monthly(price_key, 1), abs=0.01)


def test_tiers_hold_the_images_of_their_age() -> None:
    """20 TB arriving at 1 TB a month, Infrequent Access after 31 days, Archive after 365: one month of images
    in Standard, the next 334 days in Infrequent Access, the older rest in Archive."""
    split = tier_split(USAGE, 31, 365)
    assert split == pytest.approx({"object_storage": 31 / DAYS_PER_MONTH,
                                   "object_storage_infrequent": (365 - 31) / DAYS_PER_MONTH,
                                   "object_storage_archive": 20 - 365 / DAYS_PER_MONTH})  # fmt: skip
    assert tier_split(USAGE, None, None) == {"object_storage": 20}
    # A young archive never reaches the later tiers.
    assert tier_split(Usage(0.5, 1, 0), 31, 365) == {"object_storage": 0.5, "object_storage_infrequent": 0.0,
                                                     "object_storage_archive": 0.0}  # fmt: skip


def test_archive_buckets_are_priced_by_their_own_tiering_and_lifecycle() -> None:
    tiered = _record(BUCKET, "tiered", name="p-prod-dicom", autoTiering="InfrequentAccess")
    lifecycle = _record(
        LIFECYCLE, "lifecycle", (tiered.urn,),
        rules=[{"target": "objects", "isEnabled": True, "action": "ARCHIVE", "timeAmount": "365", "timeUnit": "DAYS"},
               {"target": "previous-object-versions", "isEnabled": True, "action": "DELETE", "timeAmount": "30"}],
    )  # fmt: skip
    replica = _record(BUCKET, "replica", name="p-prod-dicom-dr", autoTiering="Disabled")
    staging = _record(BUCKET, "staging", name="p-prod-edge-transfer")
    lines = estimate([tiered, lifecycle, replica, staging], USAGE)["lines"]
    by_bucket: dict[str, dict[str, float]] = {}
    for line in lines:
        by_bucket.setdefault(line["urn"].rsplit("::", 1)[1], {})[line["item"]] = line["quantity"]
    expected = {PRICES[tier].source: round(tb * 1024, 2) for tier, tb in tier_split(USAGE, 31, 365).items()}
    assert by_bucket == {"tiered": expected, "replica": {PRICES["object_storage"].source: 20 * 1024}}


def test_outbound_transfer_is_billed_above_the_free_ten_terabytes_replication_included() -> None:
    replication = _record("oci:ObjectStorage/replicationPolicy:ReplicationPolicy")
    heavy = estimate([replication], Usage(stored_tb=20, monthly_new_tb=1, internet_egress_tb=12))
    (line,) = heavy["lines"]
    assert line["quantity"] == (12 + 1 - 10) * 1024
    assert line["monthly"] == pytest.approx(3 * 1024 * PRICES["outbound_transfer"].usd, abs=0.01)
    assert estimate([replication], Usage(stored_tb=20, monthly_new_tb=1, internet_egress_tb=8))["lines"] == []
    assert estimate([], Usage(stored_tb=20, monthly_new_tb=1, internet_egress_tb=10.5))["monthly"] == pytest.approx(
        0.5 * 1024 * PRICES["outbound_transfer"].usd, abs=0.01
    )


def test_usage_comes_from_the_cost_section_with_its_defaults() -> None:
    assert stack_usage({"dicomstore:cost": '{"storedTb": 3, "internetEgressTb": 1}'}) == Usage(3, 0.5, 1)
    assert stack_usage({}) == Usage(10, 0.5, 0)


def test_knobs_are_priced_as_the_changed_plan() -> None:
    records = [
        _record(DB, instanceCount=2, instanceOcpuCount=4, instanceMemorySizeInGbs=64),
        _record("oci:Kms/vault:Vault", "vault", vaultType="VIRTUAL_PRIVATE"),
        _record(
            "oci:ContainerEngine/nodePool:NodePool", "gpu", nodeShape="VM.GPU.A10.1", nodeConfigDetails={"size": 1}
        ),
        _record(BUCKET, "dicomstore-storage-dr-bucket", name="p-prod-dicom-dr"),
    ]
    knobs = {knob["key"]: knob["monthly"] for knob in estimate(records, USAGE)["knobs"]}
    assert knobs["database.instanceCount"] == pytest.approx(
        _monthly("postgresql_ocpu", 4) + _monthly("postgresql_memory", 64), abs=0.02
    )
    assert knobs["security.vaultType"] == pytest.approx(-_monthly("vault_private", 1), abs=0.01)
    assert knobs["oke.inferenceReplicas"] == pytest.approx(_monthly("gpu_a10", 1))
    # One more TB in the (untiered) replica, and its 10 GB of index.
    assert knobs["cost.storedTb"] == pytest.approx(
        _monthly("object_storage", 1024, hourly=False) + _monthly("postgresql_storage", 10, hourly=False), abs=0.01
    )
    assert knobs["storage.replicationRegion"] == pytest.approx(-_monthly("object_storage", 20 * 1024, hourly=False))


@pytest.mark.parametrize("dr_vault_first", [True, False])
def test_the_vault_knob_flips_the_stacks_vault_not_the_dr_vault(dr_vault_first: bool) -> None:
    """Prod has two vaults, its own VIRTUAL_PRIVATE one and the DR region's DEFAULT one, in either order."""
    vaults = [
        _record("oci:Kms/vault:Vault", "dicomstore-security-dr-vault", vaultType="DEFAULT"),
        _record("oci:Kms/vault:Vault", "dicomstore-security-vault", vaultType="VIRTUAL_PRIVATE"),
    ]
    records = vaults if dr_vault_first else vaults[::-1]
    knobs = {knob["key"]: knob["monthly"] for knob in estimate(records, USAGE)["knobs"]}
    assert knobs["security.vaultType"] == pytest.approx(-_monthly("vault_private", 1), abs=0.01)
    assert "orthanc.replicas" not in knobs  # no container instance to add
    assert "ai.enabled" not in knobs


def test_render_shows_lines_and_knobs() -> None:
    text = render_cost(estimate([_record(DB, instanceCount=1)], USAGE))
    assert PRICES["postgresql_ocpu"].source in text
    assert "database.instanceCount: +1 node (a standby: HA)" in text


# --- the shipped stacks ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped(dev_plan: Recorded, prod_plan: Recorded) -> dict[str, dict[str, Any]]:
    plans = {"dev": dev_plan, "prod": prod_plan}
    return {stack: estimate(plans[stack].records, stack_usage(read_stack_settings(PROJECT_DIR, stack).config))
            for stack in STACKS}  # fmt: skip


def test_shipped_stacks_stay_within_their_budgets(shipped: dict[str, dict[str, Any]]) -> None:
    assert shipped["dev"]["monthly"] <= 600
    assert shipped["prod"]["monthly"] <= 9_000


def test_prod_keeps_what_its_budget_must_pay_for(prod_plan: Recorded) -> None:
    (database,) = prod_plan.of_type(DB)
    assert database.inputs["instanceCount"] >= 2
    assert [p.inputs["nodeShape"] for p in prod_plan.of_type("oci:ContainerEngine/nodePool:NodePool")].count(
        "VM.GPU.A10.1"
    ) == 1
    for type_ in ("oci:Core/virtualCircuit:VirtualCircuit", "oci:Core/ipsec:Ipsec",
                  "oci:ObjectStorage/replicationPolicy:ReplicationPolicy",
                  "oci:DataScience/notebookSession:NotebookSession", "dicomstore:edge:Edge"):  # fmt: skip
        assert prod_plan.of_type(type_), type_
    vaults = {v.name: v.inputs["vaultType"] for v in prod_plan.of_type("oci:Kms/vault:Vault")}
    assert vaults == {"dicomstore-security-vault": "VIRTUAL_PRIVATE", "dicomstore-security-dr-vault": "DEFAULT"}


def test_readme_cost_table_is_the_plans(shipped: dict[str, dict[str, Any]]) -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    assert with_cost_table(readme, shipped) == readme, "run: .venv/bin/python -m offline.cost_table README.md"
