"""HIPAA technical-safeguard policies: each flags a violating resource (naming it and the fix) and passes a
compliant one; the TLS, backup and exposure predicates are tested directly."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from policies import hipaa
from tests.policy_cases import TENANCY, assert_flags, record, run_policy

BUCKET = "oci:ObjectStorage/bucket:Bucket"
LISTENER = "oci:LoadBalancer/listener:Listener"
NLB_LISTENER = "oci:NetworkLoadBalancer/listener:Listener"
LOAD_BALANCER = "oci:LoadBalancer/loadBalancer:LoadBalancer"
LOG = "oci:Logging/log:Log"
AUDIT = "oci:Audit/configuration:Configuration"


@pytest.mark.parametrize(
    ("resource_type", "good", "bad", "fix"),
    [
        (BUCKET, {"kmsKeyId": "ocid1.key"}, {}, "kms_key_id"),
        (
            hipaa.DB_SYSTEM,
            {"storageDetails": {"kmsKeyId": "ocid1.key", "systemType": "OCI_OPTIMIZED_STORAGE"}},
            {"storageDetails": {"systemType": "OCI_OPTIMIZED_STORAGE"}},
            "storage_details.kms_key_id",
        ),
        (hipaa.CLUSTER, {"kmsKeyId": "ocid1.key"}, {"kmsKeyId": None}, "kms_key_id (encrypts Kubernetes secrets"),
        (
            hipaa.NODE_POOL,
            {"nodeConfigDetails": {"kmsKeyId": "ocid1.key", "size": 2}},
            {"nodeConfigDetails": {"size": 2}},
            "node_config_details.kms_key_id",
        ),
    ],
)
def test_encryption_at_rest(resource_type: str, good: dict[str, Any], bad: dict[str, Any], fix: str) -> None:
    results = run_policy(
        hipaa.hipaa_encryption_at_rest, [record(resource_type, "unencrypted", bad), record(resource_type, "ok", good)]
    )
    assert len(results) == 1
    assert_flags(results, "unencrypted", fix)


def https(protocols: list[str] | None) -> dict[str, Any]:
    ssl: dict[str, Any] = {"certificateIds": ["ocid1.certificate"], "cipherSuiteName": "oci-modern-ssl-cipher-suite-v1"}
    if protocols is not None:
        ssl["protocols"] = protocols
    return {"protocol": "HTTP", "port": 443, "sslConfiguration": ssl}


@pytest.mark.parametrize(
    ("props", "problem"),
    [
        (https(["TLSv1.2", "TLSv1.3"]), None),
        (https(["TLSv1.3"]), None),
        (https(["TLSv1.1", "TLSv1.2"]), "TLS protocols ['TLSv1.1'] allowed"),
        (https([]), "TLS without an explicit protocol list (the load balancer's default may change)"),
        ({"protocol": "HTTP", "port": 80}, "HTTP listener without TLS"),
        ({"protocol": "HTTP2", "port": 443}, "HTTP2 listener without TLS"),
        ({"protocol": "TCP", "port": 4242}, None),  # plain DICOM is the advisory policy's business
        (
            {"protocol": "TCP", "port": 4242, "sslConfiguration": {"protocols": ["TLSv1"]}},
            "TLS protocols ['TLSv1'] allowed",
        ),
    ],
)
def test_listener_tls_problem(props: dict[str, Any], problem: str | None) -> None:
    assert hipaa.listener_tls_problem(props) == problem


def test_listener_tls_policy() -> None:
    weak = record(LISTENER, "weak-https", https(["TLSv1", "TLSv1.2"]))
    strong = record(LISTENER, "https", https(["TLSv1.2"]))
    results = run_policy(hipaa.hipaa_tls_listeners, [weak, strong])
    assert [r.urn for r in results] == [weak.urn]
    assert results[0].enforcement == "mandatory"
    assert_flags(results, "weak-https", "protocols=['TLSv1.2', 'TLSv1.3']")


def test_plain_dicom_listener_is_mandatory() -> None:
    plain = record(LISTENER, "dicom", {"protocol": "TCP", "port": 4242})
    passthrough = record(NLB_LISTENER, "dicom-nlb", {"protocol": "TCP", "port": 4242})
    tls = record(
        LISTENER, "dicom-tls", {"protocol": "TCP", "port": 4242, "sslConfiguration": {"protocols": ["TLSv1.2"]}}
    )
    results = run_policy(
        hipaa.hipaa_dicom_tls, [plain, passthrough, tls, record(LISTENER, "https", https(["TLSv1.2"]))]
    )
    assert [r.urn for r in results] == [plain.urn, passthrough.urn]
    # Every HIPAA control is MANDATORY by default, the addressable (e)(2)(ii) included (issue 17).
    assert {r.enforcement for r in results} == {"mandatory"}
    assert_flags(results[:1], "dicom", "port 4242", "dicomTls=true")
    assert_flags(results[1:], "dicom-nlb", "port 4242", "dicomTls=true")


def test_audit_retention_threshold() -> None:
    short = record(AUDIT, "audit-short", {"compartmentId": TENANCY, "retentionPeriodDays": 90})
    year = record(AUDIT, "audit-year", {"compartmentId": TENANCY, "retentionPeriodDays": 365})
    policy = hipaa.hipaa_audit_retention
    results = run_policy(policy, [short, year])
    assert [r.urn for r in results] == [short.urn]
    assert_flags(results, "audit-short", "retention_period_days=365")
    longer = run_policy(policy, [year], {policy.name: {"minRetentionDays": 730}})
    assert_flags(longer, "audit-year", "at least 730")


def test_missing_audit_configuration_and_access_logs_are_flagged() -> None:
    logged = record(LOAD_BALANCER, "lb")
    unlogged = record(LOAD_BALANCER, "lb-unlogged")
    access_log = record(
        LOG, "lb-access", {"configuration": {"source": {"service": "loadbalancer", "category": "access"}}},
        dependencies=[logged.urn],
    )  # fmt: skip
    results = run_policy(hipaa.hipaa_audit_and_access_logs, [logged, unlogged, access_log])
    assert [r.urn for r in results] == ["", unlogged.urn]
    assert "audit configuration" in results[0].message and "Fix:" in results[0].message
    assert_flags(results[1:], "lb-unlogged", "category: 'access'")


def test_audit_configuration_and_access_logs_pass() -> None:
    lb = record(LOAD_BALANCER, "lb")
    access_log = record(
        LOG,
        "lb-access",
        {"configuration": {"source": {"service": "loadbalancer", "category": "access"}}},
        parent=lb.urn,
    )
    audit = record(AUDIT, "audit", {"compartmentId": TENANCY, "retentionPeriodDays": 365})
    assert run_policy(hipaa.hipaa_audit_and_access_logs, [lb, access_log, audit]) == []


def test_image_storage_needs_versioning_or_retention() -> None:
    bare = record(BUCKET, "bare", {"versioning": "Disabled"})
    versioned = record(BUCKET, "versioned", {"versioning": "Enabled"})
    retained = record(
        BUCKET, "retained", {"retentionRules": [{"displayName": "legal", "duration": {"timeAmount": 10}}]}
    )
    results = run_policy(hipaa.hipaa_image_integrity, [bare, versioned, retained])
    assert [r.urn for r in results] == [bare.urn]
    assert_flags(results, "bare", "versioning='Enabled'")


@pytest.mark.parametrize(
    ("props", "problem"),
    [
        ({}, "no backup policy"),
        ({"managementPolicy": {"backupPolicy": {"kind": "NONE"}}}, "backups turned off (kind NONE)"),
        (
            {"managementPolicy": {"backupPolicy": {"kind": "DAILY", "retentionDays": 3}}},
            "backup retention of 3 days (minimum 7)",
        ),
        ({"managementPolicy": {"backupPolicy": {"kind": "DAILY", "retentionDays": 7.0}}}, None),
    ],
)
def test_backup_problem(props: dict[str, Any], problem: str | None) -> None:
    assert hipaa.backup_problem(props, 7) == problem


def test_database_backup_policy() -> None:
    daily = {"managementPolicy": {"backupPolicy": {"kind": "DAILY", "retentionDays": 14}}}
    none = {"managementPolicy": {"backupPolicy": {"kind": "NONE"}}}
    policy = hipaa.hipaa_database_backups
    results = run_policy(policy, [record(hipaa.DB_SYSTEM, "no-backups", none), record(hipaa.DB_SYSTEM, "db", daily)])
    assert len(results) == 1
    assert_flags(results, "no-backups", "kind 'DAILY'")
    stricter = run_policy(policy, [record(hipaa.DB_SYSTEM, "db", daily)], {policy.name: {"minBackupRetentionDays": 30}})
    assert_flags(stricter, "db", "retention_days >= 30")


@pytest.mark.parametrize(
    ("resource_type", "public", "private", "fix"),
    [
        (
            hipaa.CONTAINER_INSTANCE,
            {"vnics": [{"subnetId": "s", "isPublicIpAssigned": True}]},
            {"vnics": [{"subnetId": "s", "isPublicIpAssigned": False}]},
            "is_public_ip_assigned=False",
        ),
        (
            hipaa.CLUSTER,
            {"endpointConfig": {"isPublicIpEnabled": True}},
            {"endpointConfig": {"isPublicIpEnabled": False}},
            "is_public_ip_enabled=False",
        ),
        (LOAD_BALANCER, {"shape": "flexible"}, {"isPrivate": True}, "is_private=True"),
        (hipaa.NETWORK_LOAD_BALANCER, {"isPrivate": False}, {"isPrivate": True}, "is_private=True"),
        (
            hipaa.SUBNET,
            {"prohibitPublicIpOnVnic": False},
            {"prohibitPublicIpOnVnic": True},
            "prohibit_public_ip_on_vnic",
        ),
        (
            hipaa.INSTANCE,
            {"createVnicDetails": {"assignPublicIp": "true"}},
            {"createVnicDetails": {"assignPublicIp": "false"}},
            "assign_public_ip='false'",
        ),
        (
            hipaa.K8S_SERVICE,
            {"metadata": {"name": "orthanc"}, "spec": {"type": "LoadBalancer"}},
            {"metadata": {"annotations": {hipaa.OCI_LB_INTERNAL: "true"}}, "spec": {"type": "LoadBalancer"}},
            "oci-load-balancer-internal",
        ),
        (hipaa.K8S_SERVICE, {"spec": {"type": "LoadBalancer"}}, {"spec": {"type": "NodePort"}}, "NodePort"),
        (
            hipaa.BASTION,
            {"clientCidrBlockAllowLists": ["0.0.0.0/0"]},
            {"clientCidrBlockAllowLists": ["192.168.10.0/24"]},
            "client_cidr_block_allow_lists",
        ),
    ],
)
def test_no_public_endpoints(resource_type: str, public: dict[str, Any], private: dict[str, Any], fix: str) -> None:
    results = run_policy(
        hipaa.hipaa_no_public_endpoints,
        [record(resource_type, "exposed", public), record(resource_type, "private", private)],
    )
    assert len(results) == 1
    assert results[0].enforcement == "mandatory" and results[0].severity == "critical"
    assert_flags(results, "exposed", fix)


def _bucket_log(name: str, category: str, resource: str, **links: Any) -> Any:
    source = {"service": "objectstorage", "category": category, "resource": resource, "sourceType": "OCISERVICE"}
    return record(LOG, name, {"configuration": {"source": source}}, **links)


def test_every_bucket_needs_a_read_log() -> None:
    """Issue 12 item 10: reads of PHI buckets were not logged. Object Storage service logs have a `read`
    category next to `write` (OCI Logging service logs; e.g. `category = "read"`, `service = "objectstorage"` in
    oci_logging_log configurations); a write log alone records no read."""
    audit = record(AUDIT, "audit", {"compartmentId": TENANCY, "retentionPeriodDays": 365})
    by_name = record(BUCKET, "by-name", {"name": "dicom"})
    by_dependency = record(BUCKET, "by-dependency", {"name": "dicom-dr"})
    write_only = record(BUCKET, "write-only", {"name": "edge"})
    logs = [
        _bucket_log("dicom-read", "read", "dicom"),
        _bucket_log("dr-read", "read", "unknown-at-preview", dependencies=[by_dependency.urn]),
        _bucket_log("edge-write", "write", "edge", parent=write_only.urn),
    ]
    results = run_policy(hipaa.hipaa_audit_and_access_logs, [audit, by_name, by_dependency, write_only, *logs])
    assert [result.urn for result in results] == [write_only.urn]
    assert_flags(results, "write-only", "category: 'read'")


ORTHANC_SECURE = {"AuthenticationEnabled": True, "RegisteredUsers": {"admin": "${PW}"}, "DicomAlwaysAllowStore": False}


def _config_map(config: dict[str, Any]) -> Any:
    return record("kubernetes:core/v1:ConfigMap", "orthanc-config", {"data": {"dicomstore.json": json.dumps(config)}})


def _container_instance(config: dict[str, Any]) -> Any:
    data = base64.b64encode(json.dumps(config).encode()).decode()
    volume = {"volumeType": "CONFIGFILE", "configs": [{"fileName": "dicomstore.json", "data": data}]}
    return record("oci:ContainerEngine/containerInstance:ContainerInstance", "orthanc-ci", {"volumes": [volume]})


@pytest.mark.parametrize(("make", "name"), [(_config_map, "orthanc-config"), (_container_instance, "orthanc-ci")])
def test_orthanc_must_authenticate_users_and_dicom_peers(make: Any, name: str) -> None:
    policy = hipaa.hipaa_orthanc_authentication
    assert run_policy(policy, [make(ORTHANC_SECURE)]) == []
    open_http = run_policy(policy, [make({**ORTHANC_SECURE, "AuthenticationEnabled": False})])
    assert_flags(open_http, name, "without HTTP authentication", "AuthenticationEnabled true")
    any_peer = run_policy(policy, [make({**ORTHANC_SECURE, "DicomAlwaysAllowStore": True})])
    assert_flags(any_peer, name, "any DICOM peer use Store", "DicomAlwaysAllowStore false")
    assert {r.enforcement for r in open_http + any_peer} == {"mandatory"}


def test_a_config_map_without_an_orthanc_file_is_ignored() -> None:
    other = record("kubernetes:core/v1:ConfigMap", "other", {"data": {"a.json": '{"AuthenticationEnabled_": 1}'}})
    assert run_policy(hipaa.hipaa_orthanc_authentication, [other]) == []


USER = "oci:Identity/user:User"
CAPABILITIES = "oci:Identity/userCapabilitiesManagement:UserCapabilitiesManagement"
MACHINE_ONLY = {"canUseConsolePassword": False, "canUseAuthTokens": False, "canUseSmtpCredentials": False,
                "canUseApiKeys": False, "canUseCustomerSecretKeys": True}  # fmt: skip


def test_every_stack_user_is_a_machine_identity_without_human_credentials() -> None:
    policy = hipaa.hipaa_machine_identities
    user = record(USER, "s3-user", {"name": "orthanc-s3"})
    managed = record(CAPABILITIES, "s3-caps", MACHINE_ONLY, dependencies=[user.urn])
    assert run_policy(policy, [user, managed]) == []
    assert_flags(run_policy(policy, [user]), "s3-user", "UserCapabilitiesManagement")
    console = record(CAPABILITIES, "s3-caps", {**MACHINE_ONLY, "canUseConsolePassword": True}, dependencies=[user.urn])
    results = run_policy(policy, [user, console])
    assert_flags(results, "s3-caps", "canUseConsolePassword=False")
    assert [r.urn for r in results] == [console.urn]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_shipped_orthanc_configuration_is_found_and_authenticates(
    stack: str, request: pytest.FixtureRequest
) -> None:
    # The policy must see the rendered file, or passing it would prove nothing.
    plan = request.getfixturevalue(f"{stack}_plan")
    found = [config for r in plan.records for _, config in hipaa.orthanc_configs(r.type, r.inputs)]
    assert found
    assert {config["AuthenticationEnabled"] for config in found} == {True}
