"""AI: Data Science in the private AI subnet behind the AI NSG, GPU training job, least-privilege IAM."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from components.ai.ai import Ai, AiArgs, is_flex, ocir_image
from components.scope import TierSubnet
from components.security import ai_edge_iam, iam_statements
from offline.provider_outputs import created_state
from tests.support import PARENT, SCOPE, TENANCY, Recorded, record, stack_config

REGION = "eu-frankfurt-1"
AI_COMPARTMENT = "ocid1.compartment.oc1.eu-frankfurt-1.aaaaaaaatestai00000000000000000000000000000000000000000"
DATA_COMPARTMENT = "ocid1.compartment.oc1.eu-frankfurt-1.aaaaaaaatestdata000000000000000000000000000000000000000"
NETWORK_COMPARTMENT = "ocid1.compartment.oc1.eu-frankfurt-1.aaaaaaaatestnetwork000000000000000000000000000000000"
AI_SUBNET = "ocid1.subnet.oc1.eu-frankfurt-1.aaaaaaaatestaisubnet00000000000000000000000000000000000000"
AI_NSG = "ocid1.networksecuritygroup.oc1.eu-frankfurt-1.aaaaaaaatestainsg0000000000000000000000000000000000"
KEY = "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaatestmasterkey00000000000000000000000000000000000000"
MODEL = "ocid1.datasciencemodel.oc1.eu-frankfurt-1.aaaaaaaatestmodel00000000000000000000000000000000000000"
NAMESPACE = "axoffline1234"
BUCKET = "dicomstore-test-dicom"

NOTEBOOK = "oci:DataScience/notebookSession:NotebookSession"
ENDPOINT = "oci:DataScience/privateEndpoint:PrivateEndpoint"
JOB = "oci:DataScience/job:Job"
DEPLOYMENT = "oci:DataScience/modelDeployment:ModelDeployment"
PROJECT = "oci:DataScience/project:Project"
POLICY = "oci:Identity/policy:Policy"
DYNAMIC_GROUP = "oci:Identity/dynamicGroup:DynamicGroup"
AI_TYPES = {NOTEBOOK, ENDPOINT, JOB, DEPLOYMENT, PROJECT}


def _ai(**ai: Any) -> Recorded:
    config = stack_config(ai={"enabled": True, **ai}).ai

    def program() -> None:
        Ai(
            "ai",
            AiArgs(
                config=config,
                scope=SCOPE,
                compartment_id=AI_COMPARTMENT,
                subnet=TierSubnet(subnet_id=AI_SUBNET, nsg_id=AI_NSG),
                data_compartment_id=DATA_COMPARTMENT,
                network_compartment_id=NETWORK_COMPARTMENT,
                namespace=NAMESPACE,
                bucket_name=BUCKET,
                master_key_id=KEY,
            ),
        )

    return record(program)


def _id(recorded: Recorded, name: str) -> str:
    resource = recorded.named(name)
    return created_state(resource.type, resource.name, resource.inputs, REGION)[0]


@pytest.fixture(scope="module")
def ai() -> Recorded:
    return _ai()


def test_project_and_notebook_live_in_the_ai_compartment(ai: Recorded) -> None:
    workload = [record_ for record_ in ai if record_.type in AI_TYPES]
    # Without a model deployment: the project, the notebook and its private endpoint, the training job.
    assert sorted(record_.type for record_ in workload) == sorted([PROJECT, NOTEBOOK, ENDPOINT, JOB])
    for record_ in workload:
        assert record_.inputs["compartmentId"] == AI_COMPARTMENT, record_.urn


def test_notebook_is_in_the_private_ai_subnet_behind_the_ai_nsg(ai: Recorded) -> None:
    (notebook,) = ai.of_type(NOTEBOOK)
    details = notebook.inputs["notebookSessionConfigurationDetails"]
    assert details["subnetId"] == AI_SUBNET
    assert details["shape"] == "VM.Standard.E4.Flex"
    assert details["notebookSessionShapeConfigDetails"] == {"ocpus": 2, "memoryInGbs": 32}
    assert details["blockStorageSizeInGbs"] == 100
    assert details["privateEndpointId"] == _id(ai, "ai-notebook-endpoint")
    endpoint = ai.named("ai-notebook-endpoint").inputs
    assert endpoint["dataScienceResourceType"] == "NOTEBOOK_SESSION"
    assert endpoint["subnetId"] == AI_SUBNET
    assert endpoint["nsgIds"] == [AI_NSG]
    assert notebook.inputs["projectId"] == _id(ai, "ai-project")


def test_fixed_notebook_shape_gets_no_flex_settings() -> None:
    (notebook,) = _ai(notebookShape="VM.GPU.A10.1").of_type(NOTEBOOK)
    assert "notebookSessionShapeConfigDetails" not in notebook.inputs["notebookSessionConfigurationDetails"]


def test_training_job_runs_a_pinned_ocir_image_on_the_gpu_shape_in_the_ai_subnet(ai: Recorded) -> None:
    (job,) = ai.of_type(JOB)
    infrastructure = job.inputs["jobInfrastructureConfigurationDetails"]
    assert infrastructure == {
        "jobInfrastructureType": "STANDALONE",
        "shapeName": "VM.GPU.A10.1",
        "subnetId": AI_SUBNET,
        "blockStorageSizeInGbs": 500,
    }
    environment = job.inputs["jobEnvironmentConfigurationDetails"]
    assert environment == {
        "jobEnvironmentType": "OCIR_CONTAINER",
        "image": f"ocir.{REGION}.oci.oraclecloud.com/{NAMESPACE}/dicomstore/training:1.0.0",
    }
    configuration = job.inputs["jobConfigurationDetails"]
    assert configuration["maximumRuntimeInMinutes"] == "1440"
    assert configuration["environmentVariables"]["DICOM_BUCKET"] == BUCKET


def test_job_logs_go_to_an_explicit_log_in_the_ai_log_group(ai: Recorded) -> None:
    (job,) = ai.of_type(JOB)
    logging = job.inputs["jobLogConfigurationDetails"]
    assert logging["enableLogging"] is True
    assert logging["enableAutoLogCreation"] is False
    assert logging["logGroupId"] == _id(ai, "ai-logs")
    assert logging["logId"] == _id(ai, "ai-job-runs-log")
    assert ai.named("ai-logs").inputs["compartmentId"] == AI_COMPARTMENT
    log = ai.named("ai-job-runs-log").inputs
    assert (log["logType"], log["isEnabled"], log["retentionDuration"]) == ("CUSTOM", True, 90)


def test_dynamic_groups_match_one_data_science_type_in_the_ai_compartment(ai: Recorded) -> None:
    rules = {group.inputs["name"]: group.inputs["matchingRule"] for group in ai.of_type(DYNAMIC_GROUP)}
    assert rules == {
        f"dicomstore-test-ai-{role}": f"ALL {{resource.type = '{kind}', resource.compartment.id = '{AI_COMPARTMENT}'}}"
        for role, kind in (
            ("notebooks", "datasciencenotebooksession"),
            ("job-runs", "datasciencejobrun"),
            ("model-deployments", "datasciencemodeldeployment"),
        )
    }
    assert {group.inputs["compartmentId"] for group in ai.of_type(DYNAMIC_GROUP)} == {TENANCY}


def test_iam_is_least_privilege(ai: Recorded) -> None:
    (policy,) = ai.of_type(POLICY)
    assert policy.inputs["compartmentId"] == PARENT
    statements: list[str] = policy.inputs["statements"]
    assert iam_statements.forbidden_grants(statements) == []
    for statement in statements:
        assert " in tenancy" not in statement, statement
        assert not re.search(r"\bmanage\b", statement) or "data-science-family" in statement, statement
        if DATA_COMPARTMENT in statement:
            assert f"target.bucket.name = '{BUCKET}'" in statement or f"target.key.id = '{KEY}'" in statement
    # Nothing writes the DICOM bucket; only notebooks and job runs read it.
    bucket_grants = [s for s in statements if "target.bucket.name" in s]
    assert all(" read " in s for s in bucket_grants)
    assert {s.split()[2] for s in bucket_grants} == {"dicomstore-test-ai-notebooks", "dicomstore-test-ai-job-runs"}
    assert f"Allow service datascience to use virtual-network-family in compartment id {NETWORK_COMPARTMENT}" in (
        statements
    )


def test_model_deployment_is_off_unless_asked(ai: Recorded) -> None:
    assert not ai.of_type(DEPLOYMENT)
    assert [e.inputs["dataScienceResourceType"] for e in ai.of_type(ENDPOINT)] == ["NOTEBOOK_SESSION"]


def test_model_deployment_is_private_behind_the_ai_nsg_with_logs() -> None:
    recorded = _ai(modelDeploymentEnabled=True, modelOcid=MODEL, modelDeploymentInstances=2)
    (deployment,) = recorded.of_type(DEPLOYMENT)
    assert deployment.inputs["compartmentId"] == AI_COMPARTMENT
    assert recorded.named("ai-model-endpoint").inputs["compartmentId"] == AI_COMPARTMENT
    details = deployment.inputs["modelDeploymentConfigurationDetails"]
    model = details["modelConfigurationDetails"]
    assert model["modelId"] == MODEL
    assert model["instanceConfiguration"] == {
        "instanceShapeName": "VM.GPU.A10.1",
        "subnetId": AI_SUBNET,
        "privateEndpointId": _id(recorded, "ai-model-endpoint"),
    }
    assert model["scalingPolicy"] == {"policyType": "FIXED_SIZE", "instanceCount": 2}
    endpoint = recorded.named("ai-model-endpoint").inputs
    assert (endpoint["dataScienceResourceType"], endpoint["nsgIds"]) == ("MODEL_DEPLOYMENT", [AI_NSG])
    logs = deployment.inputs["categoryLogDetails"]
    assert logs["access"]["logId"] == _id(recorded, "ai-deployment-access-log")
    assert logs["predict"]["logId"] == _id(recorded, "ai-deployment-predict-log")
    for role in ("access", "predict"):
        log = recorded.named(f"ai-deployment-{role}-log").inputs
        assert (log["isEnabled"], log["logGroupId"]) == (True, _id(recorded, "ai-logs")), role


def test_model_deployment_without_a_model_is_a_config_error() -> None:
    with pytest.raises(Exception, match=r"dicomstore:ai\.modelOcid = None: is required"):
        stack_config(ai={"enabled": True, "modelDeploymentEnabled": True})


def test_training_image_tag_latest_is_a_config_error() -> None:
    with pytest.raises(Exception, match=r"dicomstore:ai\.trainingImageTag = 'latest': is not pinned"):
        stack_config(ai={"enabled": True, "trainingImageTag": "latest"})


def test_ai_statements_refuse_nothing_they_should_not() -> None:
    principals = ai_edge_iam.AiPrincipals("nb", "jobs", "deploy", "scientists")
    scope = ai_edge_iam.AiScope("ai-c", "data-c", "net-c", "bucket", "key")
    statements = ai_edge_iam.ai_statements(principals, scope)
    # Attached to the stack's parent compartment, above the AI, data and network compartments it names.
    attachment = iam_statements.PolicyAttachment("parent-c", frozenset({"ai-c", "data-c", "net-c"}))
    assert iam_statements.checked(statements, attachment) == statements
    assert "Allow dynamic-group deploy to use log-content in compartment id ai-c" in statements
    assert not [s for s in statements if s.startswith("Allow dynamic-group deploy") and "bucket" in s]


def test_pure_helpers() -> None:
    assert is_flex("VM.Standard.E4.Flex") and not is_flex("VM.GPU.A10.1")
    assert (
        ocir_image("eu-frankfurt-1", "ns", "repo/x", "1.2") == "ocir.eu-frankfurt-1.oci.oraclecloud.com/ns/repo/x:1.2"
    )


def test_prod_notebook_uses_the_network_ai_subnet_and_nsg(prod_plan: Recorded) -> None:
    def real_id(name: str) -> str:
        resource = prod_plan.named(name)
        return created_state(resource.type, resource.name, resource.inputs, REGION)[0]

    (notebook,) = prod_plan.of_type(NOTEBOOK)
    assert notebook.inputs["notebookSessionConfigurationDetails"]["subnetId"] == real_id("dicomstore-network-ai")
    assert prod_plan.named("dicomstore-ai-notebook-endpoint").inputs["nsgIds"] == [real_id("dicomstore-network-ai-nsg")]
    assert notebook.inputs["compartmentId"] == real_id("dicomstore-identity-ai")


def test_dev_has_no_ai(dev_plan: Recorded) -> None:
    assert not [r.urn for r in dev_plan if r.type in AI_TYPES or r.type == "dicomstore:ai:Ai"]


def test_policy_waits_for_the_groups_it_names(ai: Recorded) -> None:
    (policy,) = ai.of_type(POLICY)
    named = {group.urn for group in ai.of_type(DYNAMIC_GROUP)} | {ai.named("ai-data-scientists").urn}
    assert named <= set(policy.dependencies)


def test_training_needs_a_gpu_shape() -> None:
    with pytest.raises(Exception, match=r"dicomstore:ai\.trainingShape = 'VM.Standard.E4.Flex': is not a GPU shape"):
        stack_config(ai={"enabled": True, "trainingShape": "VM.Standard.E4.Flex"})


@pytest.mark.parametrize("shape", ["VM.GPU2.1", "VM.GPU3.1", "BM.GPU4.8", "VM.GPU.A10.1", "BM.GPU.H100.8"])
@pytest.mark.parametrize(
    "sections",
    [
        lambda shape: {"ai": {"enabled": True, "trainingShape": shape}},
        lambda shape: {
            "orthanc": {"runtime": "oke"},
            "oke": {"gpuPoolEnabled": True, "gpuShape": shape},
            "network": {"deployerCidrs": ["10.0.8.0/24"]},
        },
    ],
    ids=["ai.trainingShape", "oke.gpuShape"],
)
def test_every_gpu_generation_is_a_gpu_shape_for_training_and_the_gpu_pool(
    shape: str, sections: Callable[[str], dict[str, Any]]
) -> None:
    """One rule for both keys: the older generations (VM.GPU3.1, BM.GPU4.8) have no dot after "GPU"."""
    config = stack_config(**sections(shape))
    assert shape in (config.ai.training_shape, config.oke.gpu_shape)
