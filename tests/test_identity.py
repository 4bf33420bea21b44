"""Identity block: compartments and dynamic groups as recorded, and the least-privilege IAM statements."""

from __future__ import annotations

import pytest

from components import iam_statements
from components.iam_statements import KeyGrantees, OrthancRuntime
from components.identity import Identity, IdentityArgs
from offline.provider_outputs import created_state
from tests.support import PARENT, TENANCY, Recorded, record

DATA = "ocid1.compartment.oc1..aaaaaaaatestdata000000000000000000000000000000000000000000"
KEY = "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaatestkey00000000000000000000000000000000000000"
VAULT = "ocid1.vault.oc1.eu-frankfurt-1.aaaaaaaatestvault0000000000000000000000000000000000"


def record_identity(runtime: OrthancRuntime, ai: bool = False, private_ca: bool = False) -> Recorded:
    def program() -> None:
        Identity(
            "id",
            IdentityArgs(
                parent_compartment_id=PARENT, name_prefix="dicomstore-test", ai_enabled=ai, tenancy_id=TENANCY,
                orthanc_runtime=runtime, private_ca=private_ca,
            ),
        )  # fmt: skip

    return record(program)


def compartment_id(recorded: Recorded, role: str) -> str:
    compartment = recorded.named(f"id-{role}")
    return created_state(compartment.type, compartment.name, compartment.inputs, "eu-frankfurt-1")[0]


def test_compartments_per_concern_under_the_parent() -> None:
    recorded = record_identity("container_instances", ai=True)
    compartments = recorded.of_type("oci:Identity/compartment:Compartment")
    assert sorted(c.inputs["name"] for c in compartments) == [
        "dicomstore-test-ai", "dicomstore-test-app", "dicomstore-test-data", "dicomstore-test-network"
    ]  # fmt: skip
    assert {c.inputs["compartmentId"] for c in compartments} == {PARENT}


def test_container_instances_runtime_dynamic_groups() -> None:
    recorded = record_identity("container_instances")
    groups = {g.inputs["name"]: g.inputs for g in recorded.of_type("oci:Identity/dynamicGroup:DynamicGroup")}
    assert set(groups) == {"dicomstore-test-orthanc-runtime", "dicomstore-test-postgresql"}
    assert {g["compartmentId"] for g in groups.values()} == {TENANCY}
    app, data = compartment_id(recorded, "app"), compartment_id(recorded, "data")
    assert groups["dicomstore-test-orthanc-runtime"]["matchingRule"] == (
        f"ALL {{resource.type = 'computecontainerinstance', resource.compartment.id = '{app}'}}"
    )
    assert groups["dicomstore-test-postgresql"]["matchingRule"] == (
        f"ALL {{resource.type = 'postgresqldbsystem', resource.compartment.id = '{data}'}}"
    )


def test_oke_runtime_matches_the_workers_and_adds_the_cluster_group() -> None:
    recorded = record_identity("oke")
    groups = {g.inputs["name"]: g.inputs for g in recorded.of_type("oci:Identity/dynamicGroup:DynamicGroup")}
    app = compartment_id(recorded, "app")
    assert groups["dicomstore-test-orthanc-runtime"]["matchingRule"] == f"ALL {{instance.compartment.id = '{app}'}}"
    assert groups["dicomstore-test-oke-clusters"]["matchingRule"] == (
        f"ALL {{resource.type = 'cluster', resource.compartment.id = '{app}'}}"
    )


def test_shipped_stacks_name_the_runtime_group_in_their_grants(dev_plan: Recorded, prod_plan: Recorded) -> None:
    for plan, stack in ((dev_plan, "dev"), (prod_plan, "prod")):
        groups = {g.inputs["name"] for g in plan.of_type("oci:Identity/dynamicGroup:DynamicGroup")}
        assert f"dicomstore-{stack}-orthanc-runtime" in groups
        statements = [s for p in plan.of_type("oci:Identity/policy:Policy") for s in p.inputs["statements"]]
        assert any(
            s.startswith(f"Allow dynamic-group dicomstore-{stack}-orthanc-runtime to read secret-bundles")
            for s in statements
        )
    assert "dicomstore-prod-oke-clusters" in {g.inputs["name"] for g in prod_plan.of_type(
        "oci:Identity/dynamicGroup:DynamicGroup")}  # fmt: skip


# --- statements ----------------------------------------------------------------------------------------------


def test_key_use_statements_are_scoped_to_the_key() -> None:
    statements = iam_statements.key_use_statements(KeyGrantees("us-ashburn-1", "pg", None), DATA, KEY, VAULT)
    assert statements[0] == (
        f"Allow service objectstorage-us-ashburn-1 to use keys in compartment id {DATA} where target.key.id = '{KEY}'"
    )
    assert all(f"compartment id {DATA}" in s for s in statements)
    assert iam_statements.forbidden_grants(statements) == []


def test_runtime_statements_touch_one_vault_and_one_key() -> None:
    statements = iam_statements.orthanc_runtime_statements("rt", DATA, KEY, VAULT)
    assert statements == [
        f"Allow dynamic-group rt to read secret-bundles in compartment id {DATA} where target.vault.id = '{VAULT}'",
        f"Allow dynamic-group rt to use keys in compartment id {DATA} where target.key.id = '{KEY}'",
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "Allow group Admins to manage all-resources in compartment id x",
        "allow any-user to read secret-bundles in tenancy",
        "Allow any-group to inspect buckets in tenancy",
    ],
)
def test_over_broad_statements_are_refused(statement: str) -> None:
    with pytest.raises(ValueError, match="over-broad IAM statements"):
        iam_statements.checked(["Allow group Ops to read buckets in tenancy", statement])


def test_a_matching_rule_needs_a_condition() -> None:
    with pytest.raises(ValueError, match="at least one condition"):
        iam_statements.matching_rule("ALL", {})


def test_private_ca_gets_its_own_dynamic_group_only_when_used() -> None:
    without = record_identity("container_instances")
    assert "dicomstore-test-certificate-authorities" not in {
        g.inputs["name"] for g in without.of_type("oci:Identity/dynamicGroup:DynamicGroup")
    }
    group = record_identity("container_instances", private_ca=True).named("id-certificate-authorities")
    app = compartment_id(record_identity("container_instances"), "app")
    assert group.inputs["compartmentId"] == TENANCY
    assert group.inputs["matchingRule"] == (
        f"ALL {{resource.type = 'certificateauthority', resource.compartment.id = '{app}'}}"
    )
