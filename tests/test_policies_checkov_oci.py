"""Checkov-equivalent OCI policies: each flags a violating resource (naming it and the fix) and passes a
compliant one, including the IPv6 `::/0` case Checkov itself misses."""

from __future__ import annotations

import pytest
from pulumi_policy import Policy

from policies import checkov_oci
from tests.policy_cases import assert_flags, record, run_policy

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


def test_checkov_ids_are_the_framework_references() -> None:
    references = [policy.framework.reference for policy in checkov_oci.POLICIES if policy.framework]
    assert references == [
        "CKV_OCI_7", "CKV_OCI_8", "CKV_OCI_9", "CKV_OCI_10", "CKV_OCI_16", "CKV_OCI_19", "CKV_OCI_20",
        "CKV_OCI_22", "CKV2_OCI_2", "CKV2_OCI_3", "CKV2_OCI_5",
    ]  # fmt: skip


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
