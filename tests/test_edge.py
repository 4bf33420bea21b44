"""Edge: private edge-transfer bucket, RED operator / sync identities, least-privilege policy, inference manifest."""

from __future__ import annotations

from typing import Any

import pulumi_oci
import pytest
import yaml

from components.edge import edge_workload
from components.edge.edge import Edge, EdgeArgs, transfer_lifecycle_rules
from components.security import iam_statements
from components.security.iam_statements import bucket_object_policy
from offline.provider_outputs import created_state
from tests.support import PARENT, SCOPE, TENANCY, Recorded, record, stack_config

REGION = "eu-frankfurt-1"
APP_COMPARTMENT = "ocid1.compartment.oc1.eu-frankfurt-1.aaaaaaaatestapp000000000000000000000000000000000000000"
DATA_COMPARTMENT = "ocid1.compartment.oc1.eu-frankfurt-1.aaaaaaaatestdata000000000000000000000000000000000000000"
KEY = "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaatestmasterkey00000000000000000000000000000000000000"
LOG_GROUP = "ocid1.loggroup.oc1.eu-frankfurt-1.aaaaaaaatestloggroup000000000000000000000000000000000000"
BUCKET = "dicomstore-test-edge-transfer"

BUCKET_TYPE = "oci:ObjectStorage/bucket:Bucket"
USER = "oci:Identity/user:User"
POLICY = "oci:Identity/policy:Policy"


def _edge(**edge: Any) -> tuple[Recorded, list[Edge]]:
    config = stack_config(edge={"enabled": True, **edge}).edge
    built: list[Edge] = []

    def program() -> None:
        built.append(
            Edge(
                "edge",
                EdgeArgs(
                    config=config,
                    scope=SCOPE,
                    app_compartment_id=APP_COMPARTMENT,
                    data_compartment_id=DATA_COMPARTMENT,
                    namespace="axoffline1234",
                    master_key_id=KEY,
                    log_group_id=LOG_GROUP,
                ),
            )
        )

    return record(program), built


def _id(recorded: Recorded, name: str) -> str:
    resource = recorded.named(name)
    return created_state(resource.type, resource.name, resource.inputs, REGION)[0]


@pytest.fixture(scope="module")
def edge() -> Recorded:
    return _edge(deviceCount=2)[0]


def test_no_roving_edge_resource_exists_in_the_provider() -> None:
    # Why the device is ordered outside Pulumi; if a rover module appears, this block should own the order.
    assert not hasattr(pulumi_oci, "rover")


def test_transfer_bucket_is_private_encrypted_versioned_and_kept(edge: Recorded) -> None:
    (bucket,) = edge.of_type(BUCKET_TYPE)
    assert bucket.inputs["name"] == BUCKET
    assert bucket.inputs["compartmentId"] == DATA_COMPARTMENT
    assert bucket.inputs["accessType"] == "NoPublicAccess"
    assert bucket.inputs["kmsKeyId"] == KEY
    assert bucket.inputs["versioning"] == "Enabled"
    assert bucket.inputs["objectEventsEnabled"] is True
    assert (bucket.protect, bucket.retain_on_delete) == (True, True)


def test_transfer_bucket_has_write_and_read_logs_and_a_staging_lifecycle(edge: Recorded) -> None:
    """The edge-transfer bucket holds PHI too: its reads are logged like its writes (issue 12 item 10)."""
    for category in ("write", "read"):
        log = edge.named(f"edge-transfer-{category}-log").inputs
        assert log["logGroupId"] == LOG_GROUP
        assert log["configuration"]["source"] == {
            "category": category, "resource": BUCKET, "service": "objectstorage", "sourceType": "OCISERVICE"
        }  # fmt: skip
    rules = edge.named("edge-transfer-lifecycle").inputs["rules"]
    assert [(r["action"], r["target"], r["timeAmount"]) for r in rules] == [
        ("DELETE", "objects", "30"),
        ("DELETE", "previous-object-versions", "30"),
        ("ABORT", "multipart-uploads", "7"),
    ]


def test_one_api_key_only_sync_user_per_device(edge: Recorded) -> None:
    users = edge.of_type(USER)
    assert sorted(u.inputs["name"] for u in users) == ["dicomstore-test-red-1-sync", "dicomstore-test-red-2-sync"]
    for user in users:
        (capabilities,) = [c for c in edge.children_of(user) if c.type.endswith("UserCapabilitiesManagement")]
        assert capabilities.inputs["canUseApiKeys"] is True
        assert not any(
            capabilities.inputs[k]
            for k in ("canUseAuthTokens", "canUseConsolePassword", "canUseCustomerSecretKeys", "canUseSmtpCredentials")
        )
        (membership,) = [c for c in edge.children_of(user) if c.type.endswith("UserGroupMembership")]
        assert membership.inputs["groupId"] == _id(edge, "edge-sync")


def test_the_tenancy_wide_rover_grant_is_attached_to_the_tenancy(edge: Recorded) -> None:
    """A policy attached to a child compartment cannot grant `in tenancy` (OCI IAM, "Policy Attachment":
    https://docs.oracle.com/iaas/Content/Identity/policieshow/Policy_Attachment.htm); the one tenancy-wide grant
    Oracle's Roving Edge docs require (to the rover service only) has its own policy at the root."""
    root = edge.named("edge-rover-namespaces-policy")
    assert root.inputs["compartmentId"] == TENANCY
    assert root.inputs["statements"] == ["Allow service rover to manage objectstorage-namespaces in tenancy"]
    assert not [s for s in edge.named("edge-policy").inputs["statements"] if " in tenancy" in s]


def test_edge_policy_is_least_privilege(edge: Recorded) -> None:
    policy = edge.named("edge-policy")
    assert policy.inputs["compartmentId"] == PARENT
    statements: list[str] = policy.inputs["statements"]
    assert iam_statements.forbidden_grants(statements) == []
    for statement in statements:
        if DATA_COMPARTMENT in statement:
            assert f"target.bucket.name = '{BUCKET}'" in statement, statement
    operators_id, sync_id = (_id(edge, "edge-operators"), _id(edge, "edge-sync"))
    operators = [s for s in statements if s.startswith(f"Allow group id {operators_id} ")]
    assert operators == [
        f"Allow group id {operators_id} to manage rover-family in compartment id {APP_COMPARTMENT}",
        f"Allow group id {operators_id} to manage rover-nodes in compartment id {APP_COMPARTMENT}",
        f"Allow group id {operators_id} to read buckets in compartment id {DATA_COMPARTMENT} "
        f"where target.bucket.name = '{BUCKET}'",
    ]
    # The rover service only reads the transfer bucket's objects (to build the sync manifest).
    rover = [s for s in statements if s.startswith("Allow service rover ")]
    assert rover == [
        f"Allow service rover to read object-family in compartment id {DATA_COMPARTMENT} "
        f"where target.bucket.name = '{BUCKET}'",
    ]
    # Devices use the transfer bucket's objects exactly as Orthanc's S3 user uses the DICOM bucket's.
    sync = [s for s in statements if s.startswith(f"Allow group id {sync_id} ")]
    assert sync == bucket_object_policy(sync_id, DATA_COMPARTMENT, BUCKET)
    assert "OBJECT_VERSION_DELETE" not in " ".join(sync)
    assert len(statements) == len(operators) + len(rover) + len(sync)
    assert not [s for s in statements if "dynamic-group" in s or "any-user" in s]


def test_inference_manifest_is_exported_and_holds_no_secret() -> None:
    _, (edge,) = _edge(inferenceGpus=1)
    documents = list(yaml.safe_load_all(edge.inference_manifest))
    assert [d["kind"] for d in documents] == ["Namespace", "Deployment", "Service", "NetworkPolicy"]
    deployment = documents[1]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "nvcr.io/nvidia/tritonserver:24.08-py3"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert f"--model-repository=s3://$(RED_OBJECT_ENDPOINT)/{BUCKET}/models" in container["args"]
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["envFrom"] == [{"secretRef": {"name": "red-object-storage"}}]
    assert "value" not in str(container.get("env")).replace("valueFrom", "")
    assert documents[2]["spec"]["type"] == "ClusterIP"


def test_cpu_only_inference_requests_no_gpu() -> None:
    workload = edge_workload.InferenceWorkload(image="example/infer:1.0", bucket_name="b", gpus=0)
    (container,) = edge_workload.inference_manifests(workload)[1]["spec"]["template"]["spec"]["containers"]
    assert "nvidia.com/gpu" not in container["resources"]["limits"]


def test_inference_image_must_be_pinned() -> None:
    with pytest.raises(Exception, match=r"dicomstore:edge\.inferenceImage = 'nvcr.io/nvidia/tritonserver:latest'"):
        stack_config(edge={"enabled": True, "inferenceImage": "nvcr.io/nvidia/tritonserver:latest"})


def test_transfer_lifecycle_follows_the_retention() -> None:
    assert [rule.days for rule in transfer_lifecycle_rules(14)][:2] == [14, 14]


def test_prod_prepares_its_devices_and_dev_has_no_edge(prod_plan: Recorded, dev_plan: Recorded) -> None:
    assert prod_plan.named("dicomstore-edge-transfer-bucket").inputs["name"] == "dicomstore-prod-edge-transfer"
    sync_users = sorted(
        u.inputs["name"] for u in prod_plan.of_type(USER) if u.inputs["name"].startswith("dicomstore-prod-red-")
    )
    assert sync_users == ["dicomstore-prod-red-1-sync", "dicomstore-prod-red-2-sync"]  # prod: deviceCount 2
    assert not [r.urn for r in dev_plan if r.type == "dicomstore:edge:Edge" or r.name.startswith("dicomstore-edge")]


def test_policy_waits_for_the_groups_it_names(edge: Recorded) -> None:
    policy = edge.named("edge-policy")
    assert {edge.named("edge-operators").urn, edge.named("edge-sync").urn} <= set(policy.dependencies)
