"""CIS OCI Foundations v3.0 policies: each flags a violating resource (naming it and the fix) and passes a
compliant one; the port predicates are tested directly."""

from __future__ import annotations

import datetime

import pytest
from pulumi_policy import Policy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from components.security.kms import RotationPeriod, rotation_period
from offline.records import ResourceRecord
from policies import checkov_oci, cis_oci, hipaa
from policies._props import nsg_rule_opens_port_to_world, security_list_rule_opens_port_to_world
from tests.policy_cases import DATA_COMPARTMENT, TENANCY, assert_flags, record, run_policy, urn_of

SECURITY_LIST = "oci:Core/securityList:SecurityList"
DEFAULT_SECURITY_LIST = "oci:Core/defaultSecurityList:DefaultSecurityList"
NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
VCN = "oci:Core/vcn:Vcn"
SUBNET = "oci:Core/subnet:Subnet"
LOG = "oci:Logging/log:Log"
KEY = "oci:Kms/key:Key"
BUCKET = "oci:ObjectStorage/bucket:Bucket"
CLOUD_GUARD = "oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration"


def tcp_rule(source: str, low: int, high: int) -> dict[str, object]:
    return {"protocol": "6", "source": source, "sourceType": "CIDR_BLOCK", "tcpOptions": {"min": low, "max": high}}


def nsg_rule(source: str, port: int, protocol: str = "6", direction: str = "INGRESS") -> dict[str, object]:
    options = "tcpOptions" if protocol == "6" else "udpOptions"
    return {
        "direction": direction,
        "protocol": protocol,
        "source": source,
        "sourceType": "CIDR_BLOCK",
        options: {"destinationPortRange": {"min": port, "max": port}},
    }


@pytest.mark.parametrize(
    ("rule", "port", "opens"),
    [
        (tcp_rule("0.0.0.0/0", 22, 22), 22, True),
        (tcp_rule("::/0", 1, 1024), 22, True),
        (tcp_rule("0.0.0.0/0", 23, 1024), 22, False),
        (tcp_rule("10.0.0.0/8", 22, 22), 22, False),
        ({"protocol": "all", "source": "0.0.0.0/0"}, 3389, True),
        ({"protocol": "6", "source": "0.0.0.0/0"}, 3389, True),  # no tcpOptions: every port
        ({"protocol": "1", "source": "0.0.0.0/0"}, 22, False),  # ICMP has no ports
        ({"protocol": "17", "source": "0.0.0.0/0", "udpOptions": {"min": 3389, "max": 3389}}, 3389, True),
        # Only a source port range: every destination port is open.
        ({"protocol": "6", "source": "0.0.0.0/0", "tcpOptions": {"sourcePortRange": {"min": 1024, "max": 65535}}},
         22, True),
        # Ports as strings (as a stack export may hold them) are read as numbers.
        ({"protocol": "6", "source": "0.0.0.0/0", "tcpOptions": {"min": "22", "max": "22"}}, 22, True),
        ({"protocol": "6", "source": "0.0.0.0/0", "tcpOptions": {"min": "23", "max": "1024"}}, 22, False),
        ({"protocol": "6", "source": "0.0.0.0/0", "tcpOptions": {"min": 1024}}, 22, False),  # from 1024 up
        # A service CIDR label is the Oracle Services Network, never "anywhere".
        ({"protocol": "all", "source": "all-fra-services-in-oracle-services-network",
          "sourceType": "SERVICE_CIDR_BLOCK"}, 22, False),
    ],
)  # fmt: skip
def test_security_list_rule_predicate(rule: dict[str, object], port: int, opens: bool) -> None:
    assert security_list_rule_opens_port_to_world(rule, port) is opens


@pytest.mark.parametrize(
    ("rule", "opens"),
    [
        (nsg_rule("0.0.0.0/0", 22), True),
        (nsg_rule("::/0", 22), True),
        (nsg_rule("0.0.0.0/00", 22), True),  # non-canonical spelling of "anywhere"
        (nsg_rule("0.0.0.0/0", 22, direction="EGRESS"), False),
        (nsg_rule("0.0.0.0/0", 443), False),
        ({**nsg_rule("0.0.0.0/0", 22), "sourceType": "NETWORK_SECURITY_GROUP"}, False),
        # TCP options with only a source port range: every destination port is open.
        ({**nsg_rule("0.0.0.0/0", 443), "tcpOptions": {"sourcePortRange": {"min": 1024, "max": 65535}}}, True),
        # A source unknown during preview, or none at all, is not "anywhere".
        (nsg_rule(UNKNOWN_STRING_VALUE, 22), False),
        ({key: value for key, value in nsg_rule("0.0.0.0/0", 22).items() if key != "source"}, False),
    ],
)
def test_nsg_rule_predicate(rule: dict[str, object], opens: bool) -> None:
    assert nsg_rule_opens_port_to_world(rule, 22) is opens


def test_security_lists_with_admin_ports_from_anywhere_are_flagged() -> None:
    bad = record(SECURITY_LIST, "public-ssh", {"ingressSecurityRules": [tcp_rule("0.0.0.0/0", 22, 22)]})
    bad_default = record(
        DEFAULT_SECURITY_LIST, "default-rdp", {"ingressSecurityRules": [{"protocol": "all", "source": "::/0"}]}
    )
    results = run_policy(cis_oci.cis_2_1_2_2_security_lists_no_admin_ports, [bad, bad_default])
    assert [(r.urn, r.message.split(" to port ")[1][:4]) for r in results] == [
        (bad.urn, "22. "),
        (bad_default.urn, "22. "),
        (bad_default.urn, "3389"),
    ]
    assert all(r.enforcement == "mandatory" for r in results)
    assert_flags(results[:1], "public-ssh", "remove the ingress rule")


def test_security_lists_without_admin_ports_from_anywhere_pass() -> None:
    good = record(
        SECURITY_LIST,
        "https-only",
        {"ingressSecurityRules": [tcp_rule("0.0.0.0/0", 443, 443), tcp_rule("10.0.0.0/16", 22, 22)]},
    )
    assert run_policy(cis_oci.cis_2_1_2_2_security_lists_no_admin_ports, [good]) == []


def test_nsg_rule_with_rdp_from_anywhere_is_flagged_and_peer_nsg_rule_passes() -> None:
    bad = record(NSG_RULE, "rdp-anywhere", nsg_rule("0.0.0.0/0", 3389, protocol="17"))
    good = record(NSG_RULE, "ssh-from-bastion", {**nsg_rule("ocid1.nsg", 22), "sourceType": "NETWORK_SECURITY_GROUP"})
    # A security list is the other policy's business (CIS 2.1/2.2): no duplicate finding here.
    open_list = record(SECURITY_LIST, "public-ssh", {"ingressSecurityRules": [tcp_rule("0.0.0.0/0", 22, 22)]})
    results = run_policy(cis_oci.cis_2_3_2_4_nsgs_no_admin_ports, [bad, good, open_list])
    assert [r.urn for r in results] == [bad.urn]
    assert_flags(results, "rdp-anywhere", "port 3389", "Bastion")


def test_unmanaged_or_permissive_default_security_list_is_flagged() -> None:
    vcn = record(VCN, "vcn", {"cidrBlocks": ["10.0.0.0/16"]})
    other_vcn = record(VCN, "other-vcn", {"cidrBlocks": ["10.1.0.0/16"]})
    permissive = record(
        DEFAULT_SECURITY_LIST,
        "vcn-default",
        {"ingressSecurityRules": [tcp_rule("10.0.0.0/16", 443, 443)], "egressSecurityRules": []},
        dependencies=[vcn.urn],
    )
    results = run_policy(cis_oci.cis_2_5_default_security_list, [vcn, other_vcn, permissive])
    assert [r.urn for r in results] == [other_vcn.urn, permissive.urn]
    assert_flags(results[:1], "other-vcn", "DefaultSecurityList")
    assert_flags(results[1:], "vcn-default", "remove the rule")


def test_managed_empty_default_security_list_passes() -> None:
    vcn = record(VCN, "vcn", {"cidrBlocks": ["10.0.0.0/16"]})
    icmp_inside = {"protocol": "1", "source": "10.0.0.0/16", "icmpOptions": {"type": 3, "code": 4}}
    managed = record(
        DEFAULT_SECURITY_LIST,
        "vcn-default",
        {"ingressSecurityRules": [icmp_inside], "egressSecurityRules": []},
        parent=vcn.urn,
    )
    assert run_policy(cis_oci.cis_2_5_default_security_list, [vcn, managed]) == []


def test_subnet_without_flow_log_is_flagged() -> None:
    vcn = record(VCN, "vcn")
    logged = record(SUBNET, "app", dependencies=[vcn.urn])
    unlogged = record(SUBNET, "db", dependencies=[vcn.urn])
    flow_log = record(
        LOG, "app-flow-log", {"configuration": {"source": {"service": "flowlogs", "category": "all"}}},
        dependencies=[logged.urn],
    )  # fmt: skip
    results = run_policy(cis_oci.cis_4_13_flow_logs, [vcn, logged, unlogged, flow_log])
    assert [r.urn for r in results] == [unlogged.urn]
    assert results[0].enforcement == "advisory"
    assert_flags(results, "db", "'flowlogs'")


def test_vcn_level_flow_log_covers_its_subnets() -> None:
    vcn = record(VCN, "vcn")
    subnet = record(SUBNET, "app", dependencies=[vcn.urn])
    flow_log = record(
        LOG, "vcn-flow-log", {"configuration": {"source": {"service": "flowlogs", "category": "vcn"}}},
        dependencies=[vcn.urn],
    )  # fmt: skip
    assert run_policy(cis_oci.cis_4_13_flow_logs, [vcn, subnet, flow_log]) == []


def test_cloud_guard_missing_or_disabled_is_flagged() -> None:
    missing = run_policy(cis_oci.cis_4_14_cloud_guard, [record(VCN, "vcn")])
    assert [r.urn for r in missing] == [""]
    assert "does not enable Cloud Guard. Fix:" in missing[0].message
    disabled = record(CLOUD_GUARD, "cloud-guard", {"compartmentId": TENANCY, "status": "DISABLED"})
    results = run_policy(cis_oci.cis_4_14_cloud_guard, [disabled])
    assert_flags(results, "cloud-guard", "status='ENABLED'")


def test_cloud_guard_enabled_at_root_passes() -> None:
    enabled = record(CLOUD_GUARD, "cloud-guard", {"compartmentId": TENANCY, "status": "ENABLED"})
    assert run_policy(cis_oci.cis_4_14_cloud_guard, [enabled]) == []


def rotating_key(name: str, days: int | None, enabled: bool = True) -> ResourceRecord:
    inputs: dict[str, object] = {"isAutoRotationEnabled": enabled, "protectionMode": "HSM"}
    if days is not None:
        inputs["autoKeyRotationDetails"] = {"rotationIntervalInDays": days}
    return record(KEY, name, inputs)


def test_keys_without_yearly_rotation_are_flagged() -> None:
    keys = [
        rotating_key("no-rotation", None, enabled=False),
        rotating_key("slow", 400),
        rotating_key("ok", 90),
        rotating_key("yearly", 365),  # the CIS limit itself passes
    ]
    results = run_policy(cis_oci.cis_4_16_key_rotation, keys)
    assert [r.urn.rsplit("::", 1)[1] for r in results] == ["no-rotation", "slow"]
    assert_flags(results[1:], "slow", "rotates every 400 days", "rotation_interval_in_days<=365")


def test_signing_keys_of_a_certificate_authority_are_not_rotation_checked() -> None:
    ca_key = record(KEY, "ca-key", {"keyShape": {"algorithm": "RSA", "length": 256}, "protectionMode": "HSM"})
    master = record(KEY, "master", {"keyShape": {"algorithm": "AES", "length": 32}, "protectionMode": "HSM"})
    results = run_policy(cis_oci.cis_4_16_key_rotation, [ca_key, master])
    assert [r.urn for r in results] == [master.urn]
    assert_flags(results, "master", "is rotated by no mechanism")


KEY_VERSION = "oci:Kms/keyVersion:KeyVersion"


def scheduled_version(key: ResourceRecord, period: RotationPeriod, *, linked: bool = True) -> ResourceRecord:
    """A key version named the way components/security/kms.py names the scheduled rotation of `period`."""
    return record(
        KEY_VERSION, f"{key.name}-{period.version_suffix}", {"keyId": UNKNOWN_STRING_VALUE},
        parent=key.urn if linked else "", dependencies=[key.urn] if linked else [],
    )  # fmt: skip


def test_default_vault_key_rotated_by_a_current_scheduled_version_passes() -> None:
    key = rotating_key("dev-master", None, enabled=False)
    period = rotation_period(datetime.datetime.now(datetime.UTC).date(), 90)
    assert run_policy(cis_oci.cis_4_16_key_rotation, [key, scheduled_version(key, period)]) == []


def test_key_rotated_by_no_mechanism_is_flagged_even_next_to_another_keys_version() -> None:
    """A version of another key, a stale version (the schedule stopped) and a period above the limit rotate
    nothing."""
    today = datetime.datetime.now(datetime.UTC).date()
    rotated = rotating_key("rotated", None, enabled=False)
    bare = rotating_key("bare", None, enabled=False)
    stale = rotating_key("stale", None, enabled=False)
    slow = rotating_key("slow", None, enabled=False)
    records = [
        rotated, bare, stale, slow,
        scheduled_version(rotated, rotation_period(today, 90)),
        scheduled_version(bare, rotation_period(today, 90), linked=False),
        scheduled_version(stale, RotationPeriod(today - datetime.timedelta(days=83), 83)),
        scheduled_version(slow, RotationPeriod(today, 400)),
    ]  # fmt: skip
    results = run_policy(cis_oci.cis_4_16_key_rotation, records)
    assert sorted(r.urn.rsplit("::", 1)[1] for r in results) == ["bare", "slow", "stale"]
    assert_flags([r for r in results if r.urn == bare.urn], "bare", "is rotated by no mechanism", "scheduled key")
    assert_flags([r for r in results if r.urn == slow.urn], "slow", "rotates every 400 days")


def test_key_rotation_threshold_comes_from_policy_config() -> None:
    key = rotating_key("quarterly", 90)
    policy = cis_oci.cis_4_16_key_rotation
    assert run_policy(policy, [key]) == []
    strict = run_policy(policy, [key], {policy.name: {"maxRotationIntervalDays": 30}})
    assert_flags(strict, "quarterly", "at most 30 days")


def test_bucket_without_write_log_is_flagged() -> None:
    logged = record(BUCKET, "dicom", {"name": "dicom-images"})
    by_name = record(BUCKET, "archive", {"name": "archive-images"})
    unlogged = record(BUCKET, "scratch", {"name": "scratch"})
    write_log = record(
        LOG, "dicom-write",
        # An output of the bucket: unknown during preview, so the log is matched by its dependency.
        {"configuration": {"source": {"service": "objectstorage", "category": "write", "resource": UNKNOWN_STRING_VALUE}}},
        dependencies=[logged.urn],
    )  # fmt: skip
    named_log = record(
        LOG, "archive-write",
        {"configuration": {"source": {"service": "objectstorage", "category": "write", "resource": "archive-images"}}},
    )  # fmt: skip
    read_log = record(
        LOG, "scratch-read", {"configuration": {"source": {"service": "objectstorage", "category": "read"}}},
        dependencies=[unlogged.urn],
    )  # fmt: skip
    results = run_policy(
        cis_oci.cis_4_17_bucket_write_logs, [logged, by_name, unlogged, write_log, named_log, read_log]
    )
    assert [r.urn for r in results] == [unlogged.urn]
    assert_flags(results, "scratch", "category: 'write'")


GOOD_BUCKET = {"accessType": "NoPublicAccess", "kmsKeyId": "ocid1.key.oc1..k", "versioning": "Enabled"}


@pytest.mark.parametrize(
    ("policy", "bad_inputs", "fix"),
    [
        (cis_oci.cis_5_1_1_bucket_not_public, {"accessType": "ObjectRead"}, "access_type='NoPublicAccess'"),
        (cis_oci.cis_5_1_1_bucket_not_public, {"accessType": "ObjectReadWithoutList"}, "NoPublicAccess"),
        (cis_oci.cis_5_1_2_bucket_cmk, {"kmsKeyId": None}, "kms_key_id"),
        (cis_oci.cis_5_1_3_bucket_versioning, {"versioning": "Disabled"}, "versioning='Enabled'"),
        (cis_oci.cis_5_1_3_bucket_versioning, {"versioning": "Suspended"}, "versioning='Enabled'"),
    ],
)
def test_bucket_controls_flag_bad_buckets_and_pass_good_ones(
    policy: Policy, bad_inputs: dict[str, object], fix: str
) -> None:
    bad = record(BUCKET, "bad-bucket", {**GOOD_BUCKET, **bad_inputs})
    good = record(BUCKET, "good-bucket", GOOD_BUCKET)
    results = run_policy(policy, [bad, good])
    assert [r.urn for r in results] == [bad.urn]
    assert results[0].enforcement == "mandatory"
    assert_flags(results, "bad-bucket", fix)


def test_workload_in_root_compartment_is_flagged_but_tenancy_services_pass() -> None:
    bucket = record(BUCKET, "root-bucket", {"compartmentId": TENANCY})
    compartment = record("oci:Identity/compartment:Compartment", "data", {"compartmentId": TENANCY})
    cloud_guard = record(CLOUD_GUARD, "cloud-guard", {"compartmentId": TENANCY, "status": "ENABLED"})
    placed = record(BUCKET, "dicom", {"compartmentId": DATA_COMPARTMENT})
    results = run_policy(cis_oci.cis_6_2_no_workload_in_root, [bucket, compartment, cloud_guard, placed])
    assert [r.urn for r in results] == [urn_of(BUCKET, "root-bucket")]
    assert_flags(results, "root-bucket", "data compartment")


def test_compartment_not_known_at_preview_is_not_the_root() -> None:
    # During `pulumi preview` a compartment this stack creates has no OCID yet; the tenancy OCID always has one.
    bucket = record(BUCKET, "dicom", {"compartmentId": UNKNOWN_STRING_VALUE})
    assert run_policy(cis_oci.cis_6_2_no_workload_in_root, [bucket]) == []


def test_root_compartment_allow_list_is_configurable() -> None:
    policy = cis_oci.cis_6_2_no_workload_in_root
    compartment = record("oci:Identity/compartment:Compartment", "data", {"compartmentId": TENANCY})
    results = run_policy(policy, [compartment], {policy.name: {"allowedTypePrefixes": ["oci:CloudGuard/"]}})
    assert_flags(results, "data", "compartment_id")


REPLICATION_POLICY = "oci:ObjectStorage/replicationPolicy:ReplicationPolicy"


def _replicated(source_versioning: str) -> list[ResourceRecord]:
    source = record(BUCKET, "primary", {**GOOD_BUCKET, "name": "dicom", "versioning": source_versioning})
    replica = record(BUCKET, "replica", {**GOOD_BUCKET, "name": "dicom-dr", "versioning": "Disabled"})
    stray = record(BUCKET, "stray", {**GOOD_BUCKET, "name": "scratch", "versioning": "Disabled"})
    policy = record(
        REPLICATION_POLICY,
        "replication",
        {"bucket": "dicom", "destinationBucketName": "dicom-dr", "destinationRegionName": "eu-amsterdam-1"},
        parent=source.urn,
        dependencies=[source.urn, replica.urn],
    )
    return [source, replica, stray, policy]


@pytest.mark.parametrize(
    "policy",
    [cis_oci.cis_5_1_3_bucket_versioning, checkov_oci.ckv_oci_8_bucket_versioning, hipaa.hipaa_image_integrity],
    ids=lambda policy: policy.name,
)
def test_versioning_controls_accept_a_read_only_replica_of_a_versioned_source(policy: Policy) -> None:
    """Issue 12 item 1: OCI refuses versioning on a replication destination ("You can't enable versioning on a
    replication destination bucket. A destination bucket is read-only." —
    https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingversioning.htm), so every versioning control
    must accept the destination of a versioned source, and still flag any other unversioned bucket."""
    records = _replicated("Enabled")
    assert [result.urn for result in run_policy(policy, records)] == [records[2].urn]


@pytest.mark.parametrize(
    "policy",
    [cis_oci.cis_5_1_3_bucket_versioning, checkov_oci.ckv_oci_8_bucket_versioning, hipaa.hipaa_image_integrity],
    ids=lambda policy: policy.name,
)
def test_versioning_controls_flag_a_replica_whose_source_keeps_no_versions(policy: Policy) -> None:
    records = _replicated("Disabled")
    flagged = {result.urn for result in run_policy(policy, records)}
    assert flagged == {records[0].urn, records[1].urn, records[2].urn}
