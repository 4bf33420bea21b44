"""Checkov-equivalent OCI policies: each flags a violating resource (naming it and the fix) and passes a
compliant one, including the IPv6 `::/0` case Checkov itself misses."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import Policy

from policies import checkov_oci
from tests.policy_cases import assert_flags, record, run_policy
from tests.support import PROJECT_DIR

BUCKET = "oci:ObjectStorage/bucket:Bucket"
SECURITY_LIST = "oci:Core/securityList:SecurityList"
NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
CLUSTER = "oci:ContainerEngine/cluster:Cluster"
NODE_POOL = "oci:ContainerEngine/nodePool:NodePool"

GOOD_BUCKET = {
    "accessType": "NoPublicAccess",
    "kmsKeyId": "ocid1.key.oc1..k",
    "versioning": "Enabled",
    "objectEventsEnabled": True,
}


@pytest.mark.parametrize(
    ("policy", "bad_inputs", "fix"),
    [
        (checkov_oci.ckv_oci_7_bucket_object_events, {"objectEventsEnabled": False}, "object_events_enabled=True"),
        (checkov_oci.ckv_oci_8_bucket_versioning, {"versioning": "Disabled"}, "versioning='Enabled'"),
        (checkov_oci.ckv_oci_9_bucket_cmk, {"kmsKeyId": ""}, "kms_key_id"),
        (checkov_oci.ckv_oci_10_bucket_not_public, {"accessType": "ObjectRead"}, "NoPublicAccess"),
    ],
)
def test_bucket_checks(policy: Policy, bad_inputs: dict[str, object], fix: str) -> None:
    bad = record(BUCKET, "bad-bucket", {**GOOD_BUCKET, **bad_inputs})
    good = record(BUCKET, "good-bucket", GOOD_BUCKET)
    results = run_policy(policy, [bad, good])
    assert [r.urn for r in results] == [bad.urn]
    assert_flags(results, "bad-bucket", fix)


# Every OCI check of Checkov (bridgecrewio/checkov at 03d5fdad8d: checkov/terraform/checks/resource/oci/*.py,
# graph_checks/oci/*.yaml and the provider check provider/oci/credentials.py).
CHECKOV_OCI_IDS = [f"CKV_OCI_{n}" for n in range(1, 24)] + [f"CKV2_OCI_{n}" for n in range(1, 7)]


def test_checkov_ids_are_the_framework_references() -> None:
    references = [policy.framework.reference for policy in checkov_oci.POLICIES if policy.framework]
    assert len(references) == len(set(references))
    assert set(references) <= set(CHECKOV_OCI_IDS)


def test_every_checkov_oci_check_is_implemented_or_its_omission_explained_in_the_readme() -> None:
    implemented = {policy.framework.reference for policy in checkov_oci.POLICIES if policy.framework}
    table = (PROJECT_DIR / "policies" / "README.md").read_text().split("## Checkov parity", 1)[1]
    rows = {line.split("|")[1].strip(" `"): line for line in table.splitlines() if line.startswith("| `CKV")}
    assert sorted(rows) == sorted(CHECKOV_OCI_IDS)
    for check_id, row in rows.items():
        cells = [cell.strip() for cell in row.split("|")]
        if check_id in implemented:
            assert cells[3].startswith("`ckv"), row  # the policy that implements it
        else:
            assert cells[3] == "not followed" and len(cells[4]) > 40, row  # and why, on the same line


def test_security_list_without_ingress_rules_is_flagged() -> None:
    empty = record(SECURITY_LIST, "empty-list", {"ingressSecurityRules": []})
    defined = record(SECURITY_LIST, "https", {"ingressSecurityRules": [{"protocol": "6", "source": "10.0.0.0/8"}]})
    results = run_policy(checkov_oci.ckv_oci_16_security_list_ingress, [empty, defined])
    assert [r.urn for r in results] == [empty.urn]
    assert results[0].enforcement == "advisory"
    assert_flags(results, "empty-list", "default security list")


def sl_rule(source: str, port: int) -> dict[str, object]:
    return {"protocol": "6", "source": source, "tcpOptions": {"min": port, "max": port}}


def nsg_rule(source: str, port: int) -> dict[str, object]:
    return {
        "direction": "INGRESS",
        "protocol": "6",
        "source": source,
        "sourceType": "CIDR_BLOCK",
        "tcpOptions": {"destinationPortRange": {"min": port, "max": port}},
    }


@pytest.mark.parametrize("anywhere", ["0.0.0.0/0", "::/0"])
@pytest.mark.parametrize(
    ("policy", "port", "other_port"),
    [
        (checkov_oci.ckv_oci_19_security_list_ssh, 22, 3389),
        (checkov_oci.ckv_oci_20_security_list_rdp, 3389, 22),
    ],
)
def test_security_list_port_checks(policy: Policy, port: int, other_port: int, anywhere: str) -> None:
    bad = record(SECURITY_LIST, "open-list", {"ingressSecurityRules": [sl_rule(anywhere, port)]})
    # Each Checkov id looks at its own port only; a restricted source passes.
    other = record(SECURITY_LIST, "other-port", {"ingressSecurityRules": [sl_rule(anywhere, other_port)]})
    restricted = record(SECURITY_LIST, "restricted", {"ingressSecurityRules": [sl_rule("192.168.0.0/16", port)]})
    results = run_policy(policy, [bad, other, restricted])
    assert [r.urn for r in results] == [bad.urn]
    assert_flags(results, "open-list", f"from {anywhere} to port {port}")


@pytest.mark.parametrize("anywhere", ["0.0.0.0/0", "::/0"])
@pytest.mark.parametrize(
    ("policy", "port"),
    [(checkov_oci.ckv_oci_22_nsg_ssh, 22), (checkov_oci.ckv2_oci_2_nsg_rdp, 3389)],
)
def test_nsg_port_checks(policy: Policy, port: int, anywhere: str) -> None:
    bad = record(NSG_RULE, "open-rule", nsg_rule(anywhere, port))
    good = record(NSG_RULE, "https-rule", nsg_rule(anywhere, 443))
    results = run_policy(policy, [bad, good])
    assert [r.urn for r in results] == [bad.urn]
    assert results[0].enforcement == "mandatory"
    assert_flags(results, "open-rule", f"from {anywhere} to port {port}", "known CIDR or NSG")


def test_oke_cluster_endpoint_needs_nsgs() -> None:
    bare = record(CLUSTER, "bare", {"endpointConfig": {"subnetId": "s", "isPublicIpEnabled": False}})
    filtered = record(CLUSTER, "filtered", {"endpointConfig": {"subnetId": "s", "nsgIds": ["ocid1.nsg"]}})
    results = run_policy(checkov_oci.ckv2_oci_3_cluster_nsgs, [bare, filtered])
    assert [r.urn for r in results] == [bare.urn]
    assert_flags(results, "bare", "endpoint_config.nsg_ids")


def test_node_pool_needs_in_transit_encryption() -> None:
    plain = record(NODE_POOL, "plain", {"nodeConfigDetails": {"size": 3}})
    encrypted = record(NODE_POOL, "encrypted", {"nodeConfigDetails": {"isPvEncryptionInTransitEnabled": True}})
    results = run_policy(checkov_oci.ckv2_oci_5_node_pool_in_transit, [plain, encrypted])
    assert [r.urn for r in results] == [plain.urn]
    assert_flags(results, "plain", "is_pv_encryption_in_transit_enabled=True")


INSTANCE = "oci:Core/instance:Instance"
HARDENED_INSTANCE = {
    "launchOptions": {"isPvEncryptionInTransitEnabled": True},
    "instanceOptions": {"areLegacyImdsEndpointsDisabled": True},
    "agentConfig": {"isMonitoringDisabled": False},
}
ATTRIBUTE_CASES = [
    (checkov_oci.ckv_oci_3_volume_cmk, "oci:Core/volume:Volume", {"kmsKeyId": "ocid1.key"}, {}, "kms_key_id"),
    (checkov_oci.ckv_oci_4_instance_in_transit, INSTANCE, HARDENED_INSTANCE,
     {**HARDENED_INSTANCE, "launchOptions": {}}, "is_pv_encryption_in_transit_enabled=True"),
    (checkov_oci.ckv_oci_5_instance_legacy_imds, INSTANCE, HARDENED_INSTANCE,
     {**HARDENED_INSTANCE, "instanceOptions": {"areLegacyImdsEndpointsDisabled": False}},
     "are_legacy_imds_endpoints_disabled=True"),
    (checkov_oci.ckv_oci_6_instance_monitoring, INSTANCE, HARDENED_INSTANCE,
     {**HARDENED_INSTANCE, "agentConfig": {"isMonitoringDisabled": True}}, "is_monitoring_disabled=False"),
    (checkov_oci.ckv_oci_15_file_system_cmk, "oci:FileStorage/fileSystem:FileSystem", {"kmsKeyId": "ocid1.key"}, {},
     "kms_key_id"),
    (checkov_oci.ckv_oci_23_data_catalog_private, "oci:DataCatalog/catalog:Catalog",
     {"attachedCatalogPrivateEndpoints": ["ocid1.pe"]}, {"attachedCatalogPrivateEndpoints": []}, "private endpoint"),
    (checkov_oci.ckv2_oci_4_nfs_root_squash, "oci:FileStorage/export:Export",
     {"exportOptions": [{"source": "10.0.0.0/24", "identitySquash": "ROOT", "anonymousUid": "65534",
                         "anonymousGid": "65534"}]},
     {"exportOptions": [{"source": "10.0.0.0/24", "identitySquash": "NONE"}]}, "identity_squash='ROOT'"),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "resource_type", "good", "bad", "fix"), ATTRIBUTE_CASES,
                         ids=[case[0].name for case in ATTRIBUTE_CASES])  # fmt: skip
def test_checkov_attribute_checks_fail_the_bad_resource_and_pass_the_good(
    policy: Any, resource_type: str, good: dict[str, Any], bad: dict[str, Any], fix: str
) -> None:
    assert run_policy(policy, [record(resource_type, "good", good)]) == []
    results = run_policy(policy, [record(resource_type, "bad", bad)])
    assert_flags(results, "bad", fix)
    assert policy.framework is not None and policy.name.startswith(policy.framework.reference.lower().replace("_", "-"))


def test_ckv_oci_2_block_volume_needs_a_backup_policy_assignment() -> None:
    volume = record("oci:Core/volume:Volume", "data-volume", {"kmsKeyId": "ocid1.key"})
    assignment = record(checkov_oci.VOLUME_BACKUP_ASSIGNMENT, "backup", {"policyId": "ocid1.gold"},
                        dependencies=[volume.urn])  # fmt: skip
    assert run_policy(checkov_oci.ckv_oci_2_volume_backup, [volume, assignment]) == []
    assert_flags(
        run_policy(checkov_oci.ckv_oci_2_volume_backup, [volume]), "data-volume", "VolumeBackupPolicyAssignment"
    )
