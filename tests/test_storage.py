"""Storage block: the recorded bucket, lifecycle, logs, DR replica and S3 credentials; its pure helpers."""

from __future__ import annotations

import base64
import json
from typing import Any

import pulumi
import pulumi_oci as oci
import pytest

from components.config.schema import ConfigError, StorageConfig
from components.data.bucket_lifecycle import LifecycleRule, lifecycle_rules, previous_version_days
from components.data.storage import Storage, StorageArgs, s3_endpoint
from components.scope import VaultKey
from components.security.iam_statements import (
    S3_OBJECT_PERMISSIONS,
    bucket_object_policy,
    object_storage_service_policy,
)
from offline.invokes import OFFLINE_NAMESPACE
from offline.policy_replay import replay
from offline.provider_outputs import created_state
from offline.redact import is_secret
from offline.report import plan_document
from policies.packs import PACKS
from tests.support import SCOPE, TENANCY, Recorded, record, spy_registrations, stack_config

NAME = "dicomstore-storage"
PREFIX = SCOPE.name_prefix
REGION = SCOPE.region
DATA = "ocid1.compartment.oc1..aaaaaaaadatacompartment000000000000000000000000000000000"
VAULT = "ocid1.vault.oc1.eu-frankfurt-1.aaaaaaaavault000000000000000000000000000000000000000000"
MASTER_KEY = "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaamasterkey00000000000000000000000000000000000000"
LOG_GROUP = "ocid1.loggroup.oc1.eu-frankfurt-1.aaaaaaaaloggroup000000000000000000000000000000000000000"
DR_KEY = "ocid1.key.oc1.eu-amsterdam-1.aaaaaaaadrkey000000000000000000000000000000000000000000000"
"""The DR region's key: the Security block owns it (tests/test_security.py records it)."""
BUCKET = "oci:ObjectStorage/bucket:Bucket"


def run_storage(**storage: Any) -> Recorded:
    """The Storage block alone, with literal upstream outputs, under the recording mocks."""
    config = stack_config(storage=storage).storage

    def program() -> None:
        replicated = config.replication_region is not None
        dr_provider = oci.Provider("dr-provider", region=config.replication_region) if replicated else None
        block = Storage(
            NAME,
            StorageArgs(
                config=config,
                scope=SCOPE,
                compartment_id=DATA,
                vault_key=VaultKey(vault_id=VAULT, key_id=MASTER_KEY),
                log_group_id=LOG_GROUP,
                replica_provider=dr_provider,
                replica_key_id=DR_KEY if replicated else None,
            ),
        )
        for output in ("namespace", "bucket_name", "bucket_id", "s3_endpoint", "s3_access_key_id"):
            pulumi.export(output, getattr(block, output))
        pulumi.export("s3_secret_key_secret_id", block.s3_secret_key_secret_id)

    return record(program)


@pytest.fixture(scope="module")
def plain() -> Recorded:
    """Defaults: no replication, auto-tiering on."""
    return run_storage()


@pytest.fixture(scope="module")
def replicated() -> Recorded:
    """Prod-like: replication to Amsterdam and a ten-year retention period."""
    return run_storage(replicationRegion="eu-amsterdam-1", retentionRuleDays=3650)


def fake_key(name: str) -> str:
    """The secret key the offline provider returns for the customer secret key `name`."""
    return str(created_state("oci:Identity/customerSecretKey:CustomerSecretKey", name, {}, REGION)[1]["key"])


# --- the bucket ----------------------------------------------------------------------------------------------


def test_bucket_is_private_versioned_cmk_encrypted_and_tiered(plain: Recorded) -> None:
    bucket = plain.named(f"{NAME}-bucket").inputs
    assert bucket["name"] == f"{PREFIX}-dicom"
    assert bucket["compartmentId"] == DATA
    assert bucket["namespace"] == OFFLINE_NAMESPACE
    assert bucket["accessType"] == "NoPublicAccess"
    assert bucket["versioning"] == "Enabled"
    assert bucket["kmsKeyId"] == MASTER_KEY
    assert bucket["objectEventsEnabled"] is True
    assert bucket["autoTiering"] == "InfrequentAccess"
    assert bucket["storageTier"] == "Standard"
    # OCI refuses retention rules on a versioned bucket: the retention period lives in the lifecycle instead.
    assert "retentionRules" not in bucket


def test_auto_tiering_can_be_turned_off() -> None:
    recorded = run_storage(autoTiering=False)
    assert recorded.named(f"{NAME}-bucket").inputs["autoTiering"] == "Disabled"


def test_stateful_resources_are_protected_and_retained(plain: Recorded, replicated: Recorded) -> None:
    for recorded, names in (
        (plain, ["bucket", "s3-secret-key"]),
        (replicated, ["bucket", "s3-secret-key", "dr-bucket"]),
    ):
        for role in names:
            resource = recorded.named(f"{NAME}-{role}")
            assert (resource.protect, resource.retain_on_delete) == (True, True), resource.urn


def test_children_are_parented_to_the_component(plain: Recorded) -> None:
    component = plain.named(NAME)
    assert component.type == "dicomstore:storage:Storage"
    direct = {record.name for record in plain.children_of(component)}
    assert {f"{NAME}-bucket", f"{NAME}-s3-user", f"{NAME}-s3-group", f"{NAME}-s3-secret-key"} <= direct
    bucket = plain.named(f"{NAME}-bucket")
    assert {record.name for record in plain.children_of(bucket)} == {
        f"{NAME}-lifecycle",
        f"{NAME}-write-log",
        f"{NAME}-read-log",
    }


def recorded_rules(recorded: Recorded) -> list[tuple[str, str, str, int, str, bool]]:
    rules = recorded.named(f"{NAME}-lifecycle").inputs["rules"]
    return [
        (rule["name"], rule["action"], rule["target"], int(rule["timeAmount"]), rule["timeUnit"], rule["isEnabled"])
        for rule in rules
    ]


def test_lifecycle_never_archives_images_and_deletes_previous_versions_after_the_safe_period(plain: Recorded) -> None:
    """No ARCHIVE rule on current objects: OCI serves an archived object only after a restore ("Restoring
    Objects"), and Orthanc's S3 plugin does a plain GET, so archived studies would stop loading."""
    lifecycle = plain.named(f"{NAME}-lifecycle").inputs
    assert lifecycle["bucket"] == f"{PREFIX}-dicom"
    assert lifecycle["namespace"] == OFFLINE_NAMESPACE
    # Auto-tiering is on by default: no Infrequent Access rule (OCI would refuse it).
    assert recorded_rules(plain) == [
        ("delete-previous-versions", "DELETE", "previous-object-versions", 365, "DAYS", True),
        ("abort-incomplete-uploads", "ABORT", "multipart-uploads", 7, "DAYS", True),  # a week: the upload failed
    ]


def test_lifecycle_moves_to_infrequent_access_when_auto_tiering_is_off() -> None:
    recorded = run_storage(autoTiering=False, infrequentAccessAfterDays=45)
    assert recorded_rules(recorded)[:2] == [
        ("move-to-infrequent-access", "INFREQUENT_ACCESS", "objects", 45, "DAYS", True),
        ("delete-previous-versions", "DELETE", "previous-object-versions", 365, "DAYS", True),
    ]


def test_retention_period_keeps_previous_versions_at_least_that_long(replicated: Recorded) -> None:
    assert ("delete-previous-versions", "DELETE", "previous-object-versions", 3650, "DAYS", True) in recorded_rules(
        replicated
    )


def test_lifecycle_waits_for_the_service_permission(plain: Recorded) -> None:
    policy = plain.named(f"{NAME}-service-policy")
    assert policy.urn in plain.named(f"{NAME}-lifecycle").dependencies
    assert policy.inputs["compartmentId"] == DATA
    assert policy.inputs["statements"] == [
        f"Allow service objectstorage-{REGION} to manage object-family in compartment id {DATA}"
    ]


@pytest.mark.parametrize("category", ["write", "read"])
def test_access_logs_go_to_the_security_log_group(plain: Recorded, category: str) -> None:
    """Issue 12 item 10: reads of PHI were not logged. OCI Logging's Object Storage service logs have two
    categories, `write` and `read` (docs.oracle.com Logging "Service Log Reference", Object Storage; the
    provider's logging_log acceptance test configures `service = "objectstorage"` with a category and the bucket
    name as `resource`)."""
    log = plain.named(f"{NAME}-{category}-log").inputs
    assert log["logGroupId"] == LOG_GROUP
    assert log["logType"] == "SERVICE"
    assert log["isEnabled"] is True
    assert log["retentionDuration"] == 180
    assert log["displayName"] == f"{PREFIX}-dicom-{category}"
    assert log["configuration"]["source"] == {
        "category": category,
        "resource": f"{PREFIX}-dicom",
        "service": "objectstorage",
        "sourceType": "OCISERVICE",
    }


# --- cross-region replication --------------------------------------------------------------------------------


def test_no_replication_unless_configured(plain: Recorded) -> None:
    assert not plain.of_type("oci:ObjectStorage/replicationPolicy:ReplicationPolicy")
    assert not plain.of_type("pulumi:providers:oci")
    assert [bucket.name for bucket in plain.of_type(BUCKET)] == [f"{NAME}-bucket"]


def test_replica_is_a_private_unversioned_cmk_bucket_in_the_dr_region(replicated: Recorded) -> None:
    """Issue 12 item 1: the replica was versioned, which OCI refuses on a replication destination ("You can't
    enable versioning on a replication destination bucket. A destination bucket is read-only." —
    https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingversioning.htm; "Using Replication":
    https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingreplication.htm). The provider's bucket
    docs list `Disabled` as a create value of `versioning`."""
    # The Security block owns the DR region's provider and key; Storage only uses them.
    assert not replicated.of_type("oci:Kms/key:Key") and not replicated.of_type("oci:Kms/vault:Vault")
    key_id = DR_KEY
    dr_bucket = replicated.named(f"{NAME}-dr-bucket")
    assert dr_bucket.protect and dr_bucket.retain_on_delete
    replica = dr_bucket.inputs
    assert replica["name"] == f"{PREFIX}-dicom-dr"
    assert replica["compartmentId"] == DATA
    assert replica["accessType"] == "NoPublicAccess"
    assert replica["versioning"] == "Disabled"
    assert replica["kmsKeyId"] == key_id
    assert replica["objectEventsEnabled"] is True
    for category in ("write", "read"):
        dr_log = replicated.named(f"{NAME}-dr-{category}-log").inputs
        assert dr_log["configuration"]["source"]["resource"] == f"{PREFIX}-dicom-dr"
        assert dr_log["configuration"]["source"]["category"] == category
    statements = replicated.named(f"{NAME}-service-policy").inputs["statements"]
    assert (
        f"Allow service objectstorage-eu-amsterdam-1 to use keys in compartment id {DATA} where target.key.id = '{key_id}'"
        in statements
    )


def test_only_the_replication_destination_is_unversioned(replicated: Recorded) -> None:
    """The shared bucket definition keeps versioning on for every bucket clients write to."""
    versioning = {bucket.inputs["name"]: bucket.inputs["versioning"] for bucket in replicated.of_type(BUCKET)}
    assert versioning == {f"{PREFIX}-dicom": "Enabled", f"{PREFIX}-dicom-dr": "Disabled"}


def test_replication_policy_points_at_the_replica(replicated: Recorded) -> None:
    (policy,) = replicated.of_type("oci:ObjectStorage/replicationPolicy:ReplicationPolicy")
    assert policy.inputs["bucket"] == f"{PREFIX}-dicom"
    assert policy.inputs["destinationBucketName"] == f"{PREFIX}-dicom-dr"
    assert policy.inputs["destinationRegionName"] == "eu-amsterdam-1"
    assert replicated.named(f"{NAME}-service-policy").urn in policy.dependencies


# --- the S3 principal ----------------------------------------------------------------------------------------


def test_s3_user_lives_in_the_tenancy_and_can_only_use_secret_keys(plain: Recorded) -> None:
    user = plain.named(f"{NAME}-s3-user").inputs
    assert user["compartmentId"] == TENANCY
    assert user["name"] == f"{PREFIX}-orthanc-s3"
    capabilities = plain.named(f"{NAME}-s3-user-capabilities").inputs
    assert {key: value for key, value in capabilities.items() if key.startswith("canUse")} == {
        "canUseApiKeys": False,
        "canUseAuthTokens": False,
        "canUseConsolePassword": False,
        "canUseCustomerSecretKeys": True,
        "canUseSmtpCredentials": False,
    }
    group = plain.named(f"{NAME}-s3-group").inputs
    assert group["compartmentId"] == TENANCY
    membership = plain.named(f"{NAME}-s3-membership").inputs
    assert membership["userId"] == created_state("oci:Identity/user:User", f"{NAME}-s3-user", {}, REGION)[0]
    assert membership["groupId"] == created_state("oci:Identity/group:Group", f"{NAME}-s3-group", {}, REGION)[0]


def test_s3_group_may_only_use_objects_of_the_dicom_bucket(plain: Recorded) -> None:
    policy = plain.named(f"{NAME}-s3-policy").inputs
    assert policy["compartmentId"] == DATA
    group_id = created_state("oci:Identity/group:Group", f"{NAME}-s3-group", {}, REGION)[0]
    assert policy["statements"] == bucket_object_policy(group_id, DATA, f"{PREFIX}-dicom")
    assert policy["statements"][0].startswith(f"Allow group id {group_id} to read buckets")
    for statement in policy["statements"]:
        assert f"target.bucket.name = '{PREFIX}-dicom'" in statement
        assert "all-resources" not in statement and "any-user" not in statement
    assert "OBJECT_VERSION_DELETE" not in " ".join(policy["statements"])


def test_secret_key_is_a_secret_output_and_goes_to_vault(monkeypatch: pytest.MonkeyPatch) -> None:
    registered = spy_registrations(monkeypatch)
    recorded = run_storage()
    # The provider does not mark `key` sensitive; without this it would sit in the state in plaintext.
    assert registered[f"{NAME}-s3-key"].additionalSecretOutputs == ["key"]
    secret = recorded.named(f"{NAME}-s3-secret-key").inputs
    assert secret["vaultId"] == VAULT and secret["keyId"] == MASTER_KEY and secret["compartmentId"] == DATA
    content = secret["secretContent"]
    assert content["contentType"] == "BASE64"
    assert is_secret(content["content"])
    key = fake_key(f"{NAME}-s3-key")
    assert base64.b64decode(content["content"]["value"]).decode() == key


def test_s3_key_roll_keeps_both_keys_in_the_middle_step_and_stores_the_last_in_vault() -> None:
    """[1] -> [1, 2] -> [2] (README, "Rotation runbook"): the first key is never replaced by the roll, the
    middle step has both, the Vault secret and the access key id follow the last, and the secret keeps its name
    (only its content changes: a new secret version, same OCID for the runtimes)."""
    key_type = "oci:Identity/customerSecretKey:CustomerSecretKey"
    plans = {tuple(generations): run_storage(s3KeyGenerations=generations) for generations in ([1], [1, 2], [2])}
    assert [sorted(r.name for r in plan.of_type(key_type)) for plan in plans.values()] == [
        [f"{NAME}-s3-key"],
        [f"{NAME}-s3-key", f"{NAME}-s3-key-2"],
        [f"{NAME}-s3-key-2"],
    ]
    for plan, last in zip(plans.values(), (f"{NAME}-s3-key", f"{NAME}-s3-key-2", f"{NAME}-s3-key-2"), strict=True):
        secret = plan.named(f"{NAME}-s3-secret-key").inputs
        assert base64.b64decode(secret["secretContent"]["content"]["value"]).decode() == fake_key(last)
        assert secret["secretName"] == f"{PREFIX}-orthanc-s3-secret-key"
        assert plan.outputs["s3_access_key_id"]["value"] == created_state(key_type, last, {}, REGION)[0]
    assert plans[(1, 2)].named(f"{NAME}-s3-key-2").inputs["displayName"] == f"{PREFIX}-orthanc-s3-orthanc-2"


def test_outputs(plain: Recorded) -> None:
    outputs = plain.outputs
    assert outputs["namespace"] == OFFLINE_NAMESPACE
    assert outputs["bucket_name"] == f"{PREFIX}-dicom"
    assert outputs["bucket_id"].startswith("ocid1.bucket.")
    assert outputs["s3_endpoint"] == f"https://{OFFLINE_NAMESPACE}.compat.objectstorage.{REGION}.oraclecloud.com"
    assert is_secret(outputs["s3_access_key_id"])
    assert (
        outputs["s3_access_key_id"]["value"]
        == created_state("oci:Identity/customerSecretKey:CustomerSecretKey", f"{NAME}-s3-key", {}, REGION)[0]
    )
    assert (
        outputs["s3_secret_key_secret_id"]
        == created_state("oci:Vault/secret:Secret", f"{NAME}-s3-secret-key", {}, REGION)[0]
    )


def test_no_secret_value_in_the_json_plan(plain: Recorded) -> None:
    document = plan_document(
        project="dicomstore", stack="test", records=plain.records, outputs=plain.outputs, policies={}, cost={}
    )
    text = json.dumps(document)
    key = fake_key(f"{NAME}-s3-key")
    assert key not in text
    assert base64.b64encode(key.encode()).decode() not in text
    secret = next(entry for entry in document["resources"] if entry["name"] == f"{NAME}-s3-secret-key")
    assert secret["inputs"]["secretContent"]["content"] == "[secret]"
    assert document["outputs"]["s3_access_key_id"] == "[secret]"


# --- pure helpers --------------------------------------------------------------------------------------------


def test_s3_endpoint() -> None:
    assert s3_endpoint("axabc", "us-ashburn-1") == "https://axabc.compat.objectstorage.us-ashburn-1.oraclecloud.com"


def test_bucket_object_policy_lists_exactly_the_s3_permissions() -> None:
    read, manage = bucket_object_policy("g", "ocid1.compartment.oc1..x", "b")
    assert (
        read
        == "Allow group id g to read buckets in compartment id ocid1.compartment.oc1..x where target.bucket.name = 'b'"
    )
    assert manage.startswith(
        "Allow group id g to manage objects in compartment id ocid1.compartment.oc1..x where all {"
    )
    assert [p for p in S3_OBJECT_PERMISSIONS if f"request.permission = '{p}'" in manage] == list(S3_OBJECT_PERMISSIONS)


def test_service_policy_grants_the_dr_key_only_with_replication() -> None:
    assert len(object_storage_service_policy("c", "eu-frankfurt-1")) == 1
    statements = object_storage_service_policy("c", "eu-frankfurt-1", "eu-amsterdam-1", "ocid1.key.oc1..k")
    assert statements[1] == "Allow service objectstorage-eu-amsterdam-1 to manage object-family in compartment id c"
    assert statements[2].endswith("where target.key.id = 'ocid1.key.oc1..k'")


def test_lifecycle_rules_and_previous_version_period() -> None:
    config = StorageConfig(auto_tiering=False, infrequent_access_after_days=10)
    assert lifecycle_rules(config)[0] == LifecycleRule("move-to-infrequent-access", "INFREQUENT_ACCESS", "objects", 10)
    assert previous_version_days(StorageConfig(noncurrent_version_retention_days=400, retention_rule_days=100)) == 400
    assert previous_version_days(StorageConfig(noncurrent_version_retention_days=400, retention_rule_days=900)) == 900
    # Auto-tiering is on by default, and OCI refuses an Infrequent Access rule next to it.
    assert [rule.action for rule in lifecycle_rules(StorageConfig())] == ["DELETE", "ABORT"]


@pytest.mark.parametrize(
    ("storage", "key", "fix"),
    [
        ({"replicationRegion": "eu-frankfurt-1"}, "storage.replicationRegion", "another region"),
        ({"s3KeyGenerations": [2, 1]}, "storage.s3KeyGenerations", "new one last"),
        ({"s3KeyGenerations": [1, 2, 3]}, "storage.s3KeyGenerations", "at most 2"),
        ({"s3KeyGenerations": []}, "storage.s3KeyGenerations", "at least 1"),
    ],
)
def test_bad_storage_config_is_rejected(storage: dict[str, Any], key: str, fix: str) -> None:
    with pytest.raises(ConfigError) as error:
        stack_config(storage=storage)
    (problem,) = error.value.problems
    assert problem.key == key
    assert fix in problem.fix


# --- the shipped stacks --------------------------------------------------------------------------------------


def recorded_id(plan: Recorded, name: str) -> str:
    """The id the offline provider gave the resource `name` of a planned stack."""
    resource = plan.named(name)
    return created_state(resource.type, resource.name, resource.inputs, REGION)[0]


def test_shipped_stacks_wire_the_bucket_to_identity_and_security(dev_plan: Recorded, prod_plan: Recorded) -> None:
    for plan, stack in ((dev_plan, "dev"), (prod_plan, "prod")):
        bucket = plan.named("dicomstore-storage-bucket")
        assert bucket.inputs["name"] == f"dicomstore-{stack}-dicom"
        assert bucket.inputs["compartmentId"] == recorded_id(plan, "dicomstore-identity-data")
        assert bucket.inputs["kmsKeyId"] == recorded_id(plan, "dicomstore-security-key")
        log = plan.named("dicomstore-storage-write-log")
        assert log.inputs["logGroupId"] == recorded_id(plan, "dicomstore-security-service-logs")
        secret = plan.named("dicomstore-storage-s3-secret-key")
        assert secret.inputs["vaultId"] == recorded_id(plan, "dicomstore-security-vault")
        assert plan.outputs["s3_endpoint"] == s3_endpoint(OFFLINE_NAMESPACE, REGION)


def test_prod_replicates_to_amsterdam_and_dev_does_not(dev_plan: Recorded, prod_plan: Recorded) -> None:
    (policy,) = prod_plan.of_type("oci:ObjectStorage/replicationPolicy:ReplicationPolicy")
    assert policy.inputs["destinationRegionName"] == "eu-amsterdam-1"
    assert prod_plan.named("dicomstore-storage-dr-bucket").inputs["kmsKeyId"] == recorded_id(
        prod_plan, "dicomstore-security-dr-key"
    )
    # The Storage block declared the DR provider, vault and key before Security owned every key: a deployed
    # prod stack moves them (their URNs before the move, from the plan at 0addfa1) instead of replacing them.
    old = "urn:pulumi:prod::dicomstore::dicomstore:dicom_store:DicomStore$dicomstore:storage:Storage$"
    for name, old_urn in (
        ("dicomstore-security-dr-provider", f"{old}pulumi:providers:oci::dicomstore-storage-dr-provider"),
        ("dicomstore-security-dr-vault", f"{old}oci:Kms/vault:Vault::dicomstore-storage-dr-vault"),
        ("dicomstore-security-dr-key", f"{old}oci:Kms/key:Key::dicomstore-storage-dr-key"),
    ):
        assert prod_plan.named(name).aliases == (old_urn,)
    assert not dev_plan.of_type("oci:ObjectStorage/replicationPolicy:ReplicationPolicy")


def test_storage_passes_every_policy_of_the_pack(prod_plan: Recorded) -> None:
    ours = {record.urn for record in prod_plan if "dicomstore:storage:Storage" in record.urn}
    assert len(ours) > 10
    assert [result for result in replay(prod_plan.records, PACKS) if result.urn in ours] == []
