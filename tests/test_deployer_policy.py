"""`python -m offline deployer-policy`: the deploying group's least privilege, derived from the plan."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import replace

import pytest

from offline.deployer_policy import PERMISSIONS, deployer_policy_command, deployer_policy_output, grants
from offline.engine import read_stack_settings
from offline.plan_index import PlanIndex
from offline.records import ResourceRecord
from tests.support import PROJECT_DIR, Recorded

STATEMENT = re.compile(
    r"^Allow group (?P<group>\S+) to (?P<verb>inspect|read|use|manage) (?P<type>[a-z-]+) in (?P<where>tenancy|compartment id \S+)"
    r"(?: where target\.compartment\.name = '(?P<name>[a-z0-9-]+)')?$"
)


@pytest.fixture(scope="module")
def prod(prod_plan: Recorded) -> PlanIndex:
    return PlanIndex.build(read_stack_settings(PROJECT_DIR, "prod"), prod_plan.records, prod_plan.outputs)


def parsed(index: PlanIndex) -> list[dict[str, str]]:
    lines = deployer_policy_output(index, None, as_json=False).splitlines()
    matches = [STATEMENT.match(line) for line in lines]
    assert all(matches), [line for line, match in zip(lines, matches, strict=True) if not match]
    return [match.groupdict() for match in matches if match]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_planned_oci_type_has_its_permission(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Recorded = request.getfixturevalue(f"{stack}_plan")
    planned = {record.type for record in plan if record.custom and record.type.startswith("oci:")}
    assert planned - PERMISSIONS.keys() == set()


def test_statements_are_least_privilege_per_compartment(prod: PlanIndex) -> None:
    statements = parsed(prod)
    assert {statement["group"] for statement in statements} == {"dicomstore-prod-deployers"}
    assert not any(statement["type"] == "all-resources" for statement in statements)
    where: dict[tuple[str, str], set[str]] = {(statement["verb"], statement["type"]): set() for statement in statements}
    for statement in statements:
        where[(statement["verb"], statement["type"])].add(statement["name"] or statement["where"])
    # The PHI compartment holds the vault, the database, the bucket and the secrets; nothing else gets them.
    assert where[("manage", "vaults")] == {"dicomstore-prod-data"}
    assert where[("manage", "secret-family")] == {"dicomstore-prod-data"}
    assert where[("manage", "postgres-db-systems")] == {"dicomstore-prod-data"}
    assert where[("manage", "object-family")] == {"dicomstore-prod-data"}
    assert where[("manage", "virtual-network-family")] == {"dicomstore-prod-network"}
    assert where[("manage", "cluster-family")] == {"dicomstore-prod-app"}
    # Identity lives in the tenancy; the stack's compartments are created in its parent.
    assert where[("manage", "dynamic-groups")] == {"tenancy"}
    assert where[("manage", "compartments")] == {f"compartment id {prod.parent_ocid}"}
    # Alarms read the metrics they watch, nothing more.
    assert ("manage", "metrics") not in where and ("read", "metrics") in where


def test_the_strongest_verb_wins_per_type_and_compartment(prod: PlanIndex) -> None:
    pairs = [(grant.resource_type, grant.location) for grant in grants(prod)]
    assert len(pairs) == len(set(pairs))


def test_json_is_one_root_policy_within_ocis_statement_limit(prod: PlanIndex) -> None:
    document = json.loads(deployer_policy_output(prod, "ops-deployers", as_json=True))
    assert document["compartmentId"] == prod.tenancy_ocid
    assert document["name"] == "dicomstore-prod-deployer"
    assert all(line.startswith("Allow group ops-deployers to ") for line in document["statements"])
    assert len(document["statements"]) <= 50  # statements per policy, OCI IAM service limit


def test_an_unlisted_type_fails_loudly(prod: PlanIndex, capsys: pytest.CaptureFixture[str]) -> None:
    newcomer = ResourceRecord(
        urn="urn:pulumi:prod::dicomstore::oci:Waf/webAppFirewall:WebAppFirewall::waf",
        type="oci:Waf/webAppFirewall:WebAppFirewall",
        name="waf",
        inputs={"compartmentId": prod.tenancy_ocid},
    )
    index = replace(prod, records=(*prod.records, newcomer))
    args = argparse.Namespace(group=None, json=False)
    assert deployer_policy_command(args, index) == 1
    assert "oci:Waf/webAppFirewall:WebAppFirewall has no entry" in capsys.readouterr().err


def test_every_resource_is_granted_where_it_lives(prod: PlanIndex) -> None:
    granted = {(grant.verb, grant.resource_type, grant.location) for grant in grants(prod)}
    homeless = set()
    for planned in prod.records:
        home = prod.home(planned)
        if home is None:
            homeless.add(planned.type)
            continue
        assert {(verb, kind, home) for verb, kind in PERMISSIONS[planned.type]} <= granted, planned.urn
    # Only the bucket's sub-resources name their owner by name; the bucket's grant covers them.
    assert homeless == {
        "oci:ObjectStorage/objectLifecyclePolicy:ObjectLifecyclePolicy",
        "oci:ObjectStorage/replicationPolicy:ReplicationPolicy",
    }


def test_sub_resources_live_in_their_owners_compartment(prod: PlanIndex) -> None:
    rule = next(prod.of_type("oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"))
    assert "compartmentId" not in rule.inputs
    home = prod.home(rule)
    assert home is not None and home.name == "dicomstore-prod-network"
    membership = next(prod.of_type("oci:Identity/userGroupMembership:UserGroupMembership"))
    assert prod.home(membership) == prod.location(prod.tenancy_ocid)
