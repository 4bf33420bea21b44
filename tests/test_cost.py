"""Cost estimate: priced per recorded resource from the list-price table."""

from __future__ import annotations

import pytest

from offline.cost import ASSUMED_STORED_TB, HOURS_PER_MONTH, PRICES, estimate, render_cost
from offline.records import ResourceRecord


def _record(type_: str, **inputs: object) -> ResourceRecord:
    return ResourceRecord(urn=f"urn:pulumi:s::p::{type_}::r", type=type_, name="r", inputs=dict(inputs))


def test_container_instance_is_priced_by_ocpu_and_memory() -> None:
    record = _record(
        "oci:ContainerEngine/containerInstance:ContainerInstance",
        shape="CI.Standard.E4.Flex", shapeConfig={"ocpus": 2, "memoryInGbs": 16},
    )  # fmt: skip
    cost = estimate([record])
    expected = (2 * PRICES["compute_e4_ocpu"].usd + 16 * PRICES["compute_e4_memory"].usd) * HOURS_PER_MONTH
    assert cost["monthly"] == pytest.approx(expected, abs=0.02)
    assert {line["item"] for line in cost["lines"]} == {
        PRICES["compute_e4_ocpu"].source,
        PRICES["compute_e4_memory"].source,
    }


def test_ha_database_costs_per_node() -> None:
    single = estimate(
        [_record("oci:Psql/dbSystem:DbSystem", instanceCount=1, instanceOcpuCount=2, instanceMemorySizeInGbs=32)]
    )
    double = estimate(
        [_record("oci:Psql/dbSystem:DbSystem", instanceCount=2, instanceOcpuCount=2, instanceMemorySizeInGbs=32)]
    )
    storage = PRICES["postgresql_storage"].usd * 100
    assert double["monthly"] - storage == pytest.approx(2 * (single["monthly"] - storage), abs=0.05)


def test_gpu_pool_and_fastconnect_and_private_vault() -> None:
    records = [
        _record("oci:ContainerEngine/nodePool:NodePool", nodeShape="VM.GPU.A10.2", nodeConfigDetails={"size": 3}),
        _record("oci:Core/virtualCircuit:VirtualCircuit", bandwidthShapeName="10 Gbps"),
        _record("oci:Kms/vault:Vault", vaultType="VIRTUAL_PRIVATE"),
        _record("oci:Kms/vault:Vault", vaultType="DEFAULT"),
    ]
    monthly = {line["type"]: line["monthly"] for line in estimate(records)["lines"]}
    assert monthly["oci:ContainerEngine/nodePool:NodePool"] == pytest.approx(6 * 2.0 * HOURS_PER_MONTH)
    assert monthly["oci:Core/virtualCircuit:VirtualCircuit"] == pytest.approx(
        PRICES["fastconnect_10g"].usd * HOURS_PER_MONTH
    )
    assert len(estimate(records)["lines"]) == 3  # the default vault is free


@pytest.mark.parametrize(("shape", "price_key"), [("1 Gbps", "fastconnect_1g"), ("10 Gbps", "fastconnect_10g"),
                                                  ("100 Gbps", "fastconnect_100g")])  # fmt: skip
def test_fastconnect_port_is_priced_by_its_bandwidth(shape: str, price_key: str) -> None:
    cost = estimate([_record("oci:Core/virtualCircuit:VirtualCircuit", bandwidthShapeName=shape)])
    assert cost["monthly"] == pytest.approx(PRICES[price_key].usd * HOURS_PER_MONTH, abs=0.01)


def test_only_the_image_archive_and_its_replica_are_priced_at_the_assumed_volume() -> None:
    buckets = [
        _record("oci:ObjectStorage/bucket:Bucket", name=name)
        for name in ("p-dev-dicom", "p-dev-dicom-dr", "p-dev-edge-transfer")
    ]
    assert [line["quantity"] for line in estimate(buckets)["lines"]] == [ASSUMED_STORED_TB * 1024] * 2


def test_free_resources_cost_nothing_and_total_is_the_sum() -> None:
    cost = estimate([_record("oci:Core/vcn:Vcn"), _record("oci:ObjectStorage/bucket:Bucket", name="x-dicom")])
    assert len(cost["lines"]) == 1
    assert cost["monthly"] == pytest.approx(sum(line["monthly"] for line in cost["lines"]))
    assert "Object Storage" in render_cost(cost)
