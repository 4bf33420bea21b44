"""The OKE block: private enhanced cluster, encrypted node pools, tainted GPU pool, kubeconfig as a secret."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from components.config.schema import ConfigError, OkeConfig
from components.orthanc.oke import (
    GPU_TAINT,
    GROWFS_COMMAND,
    NoNodeImageError,
    Oke,
    OkeArgs,
    node_user_data,
    select_node_image,
)
from components.scope import TierSubnet
from offline.oke_catalog import node_pool_option
from offline.policy_replay import replay
from offline.provider_outputs import created_state
from offline.records import ResourceRecord
from offline.redact import is_secret
from policies.packs import PACKS
from tests.support import SCOPE, Recorded, record, stack_config

REGION = "eu-frankfurt-1"
APP = "ocid1.compartment.oc1..aaaaaaaaappcompartment000000000000000000000000000000000"
KEY = "ocid1.key.oc1.eu-frankfurt-1.bbpyzs4eaaeug.abtheljsmasterkey00000000000000000000000000000000"
NODE_TAGS = {"dicomstoretest.role": "orthanc"}
SIGNING_KEY = "ocid1.key.oc1.eu-frankfurt-1.bbpyzs4eaaeug.abtheljsimagesigning000000000000000000000000000000"
VCN = "ocid1.vcn.oc1.eu-frankfurt-1.vcn"
API, WORKERS, PODS = (
    TierSubnet(f"ocid1.subnet.oc1.eu-frankfurt-1.{tier}", f"ocid1.networksecuritygroup.oc1.eu-frankfurt-1.{tier}")
    for tier in ("okeapi", "okeworkers", "okepods")
)
CLUSTER = "oci:ContainerEngine/cluster:Cluster"
NODE_POOL = "oci:ContainerEngine/nodePool:NodePool"


def _sources() -> list[tuple[str, str]]:
    answer = node_pool_option({"nodePoolOptionId": "all"}, REGION)
    return [(source["sourceName"], source["imageId"]) for source in answer["sources"]]


def _image_id(name: str) -> str:
    return dict(_sources())[name]


def _recorded(**oke: Any) -> Recorded:
    config = OkeConfig(**oke)

    def program() -> None:
        cluster = Oke("t-oke", OkeArgs(config=config, scope=SCOPE, vcn_id=VCN, compartment_id=APP,
                                       api_subnet=API, workers_subnet=WORKERS, pods_subnet=PODS, master_key_id=KEY,
                                       cpu_node_defined_tags=NODE_TAGS))  # fmt: skip
        pulumi.export("kubeconfig", cluster.kubeconfig)

    return record(program)


@pytest.fixture(scope="module")
def with_gpu() -> Recorded:
    return _recorded(gpu_pool_enabled=True, inference_replicas=2, image_verification_key_ocid=SIGNING_KEY)


@pytest.fixture(scope="module")
def cpu_only() -> Recorded:
    return _recorded()


# --- pure functions --------------------------------------------------------------------------------------------


def test_node_image_is_the_newest_x86_build_for_the_kubernetes_version() -> None:
    assert select_node_image(_sources(), "v1.31.1", gpu=False) == _image_id(
        "Oracle-Linux-8.10-2025.05.19-0-OKE-1.31.1-764"
    )
    # 1.29.1 has no 2025 build: its newest is the November 2024 one.
    assert select_node_image(_sources(), "v1.29.1", gpu=False) == _image_id(
        "Oracle-Linux-8.10-2024.11.30-0-OKE-1.29.1-754"
    )


def test_gpu_pool_gets_the_gpu_build() -> None:
    assert select_node_image(_sources(), "v1.31.1", gpu=True) == _image_id(
        "Oracle-Linux-8.10-Gen2-GPU-2025.05.19-0-OKE-1.31.1-764"
    )


def test_no_image_for_an_unoffered_version_names_the_key() -> None:
    with pytest.raises(
        NoNodeImageError, match=r"no OKE GPU node image for Kubernetes v1\.99\.0.*oke\.kubernetesVersion"
    ):
        select_node_image(_sources(), "v1.99.0", gpu=True)
    # Platform images (no OKE suffix) and arm builds never qualify.
    with pytest.raises(NoNodeImageError):
        select_node_image([("Oracle-Linux-8.10-aarch64-2024.11.30-0-OKE-1.31.1-754", "x"),
                           ("Oracle-Linux-8.10-2024.11.30-0", "y")], "v1.31.1", gpu=False)  # fmt: skip


def test_node_user_data_grows_the_root_file_system_before_the_oke_bootstrap() -> None:
    """OKE "Using Custom Cloud-init Initialization Scripts to Set Up Managed Nodes" (contengusingcustomcloudinitscripts)
    and OCI Utilities Reference (oci-growfs): a boot volume of 50 GB or more is not used entirely until
    `/usr/libexec/oci-growfs -y` extends the root partition. The grow runs before the bootstrap, so the kubelet and
    the first image pulls see the grown file system; the bootstrap itself is the documented metadata fetch."""
    for taints in ([], [GPU_TAINT]):
        lines = base64.b64decode(node_user_data(taints)).decode().splitlines()
        assert lines[:2] == ["#!/bin/bash", "/usr/libexec/oci-growfs -y"] and lines[1] == GROWFS_COMMAND
        assert lines[2] == (
            'curl --fail -H "Authorization: Bearer Oracle" -L0 '
            "http://169.254.169.254/opc/v2/instance/metadata/oke_init_script | base64 --decode > /var/run/oke-init.sh"
        )
        assert lines[3].startswith("bash /var/run/oke-init.sh") and len(lines) == 4


def test_node_user_data_bootstraps_oke_with_the_taints() -> None:
    script = base64.b64decode(node_user_data([GPU_TAINT])).decode()
    assert script.startswith("#!/bin/bash\n")
    assert "/opc/v2/instance/metadata/oke_init_script" in script
    assert (
        'bash /var/run/oke-init.sh --kubelet-extra-args "--register-with-taints=nvidia.com/gpu=present:NoSchedule"'
        in script
    )


# --- recorded cluster ------------------------------------------------------------------------------------------


def test_cluster_is_enhanced_private_behind_the_api_nsg(with_gpu: Recorded) -> None:
    (cluster,) = with_gpu.of_type(CLUSTER)
    assert cluster.inputs["type"] == "ENHANCED_CLUSTER"
    assert cluster.inputs["endpointConfig"] == {
        "subnetId": API.subnet_id,
        "isPublicIpEnabled": False,
        "nsgIds": [API.nsg_id],
    }
    assert cluster.inputs["compartmentId"] == APP
    assert cluster.inputs["vcnId"] == VCN


def test_cluster_encrypts_secrets_with_the_vault_key_and_uses_vcn_native_pods(with_gpu: Recorded) -> None:
    (cluster,) = with_gpu.of_type(CLUSTER)
    assert cluster.inputs["kmsKeyId"] == KEY
    assert cluster.inputs["clusterPodNetworkOptions"] == [{"cniType": "OCI_VCN_IP_NATIVE"}]
    assert cluster.inputs["kubernetesVersion"] == "v1.31.1"
    assert cluster.inputs["options"]["kubernetesNetworkConfig"]["servicesCidr"] == "10.96.0.0/16"


def test_image_verification_only_when_a_signing_key_is_configured(with_gpu: Recorded, cpu_only: Recorded) -> None:
    (signed,) = with_gpu.of_type(CLUSTER)
    assert signed.inputs["imagePolicyConfig"] == {"isPolicyEnabled": True, "keyDetails": [{"kmsKeyId": SIGNING_KEY}]}
    (unsigned,) = cpu_only.of_type(CLUSTER)
    assert "imagePolicyConfig" not in unsigned.inputs


def test_cpu_pool_spans_every_ad_with_nsgs_encryption_and_pod_networking(cpu_only: Recorded) -> None:
    (pool,) = cpu_only.of_type(NODE_POOL)
    assert pool.inputs["compartmentId"] == APP
    details = pool.inputs["nodeConfigDetails"]
    assert details["size"] == 3
    assert [p["availabilityDomain"] for p in details["placementConfigs"]] == [
        "Uocm:EU-FRANKFURT-1-AD-1", "Uocm:EU-FRANKFURT-1-AD-2", "Uocm:EU-FRANKFURT-1-AD-3"
    ]  # fmt: skip
    assert {p["subnetId"] for p in details["placementConfigs"]} == {WORKERS.subnet_id}
    assert details["nsgIds"] == [WORKERS.nsg_id]
    assert details["isPvEncryptionInTransitEnabled"] is True
    assert details["kmsKeyId"] == KEY
    assert details["nodePoolPodNetworkOptionDetails"] == {
        "cniType": "OCI_VCN_IP_NATIVE",
        "maxPodsPerNode": 31,
        "podSubnetIds": [PODS.subnet_id],
        "podNsgIds": [PODS.nsg_id],
    }
    assert pool.inputs["nodeShape"] == "VM.Standard.E5.Flex"
    assert pool.inputs["nodeShapeConfig"] == {"ocpus": 2, "memoryInGbs": 32}
    assert pool.inputs["nodeSourceDetails"] == {
        "sourceType": "IMAGE",
        "imageId": _image_id("Oracle-Linux-8.10-2025.05.19-0-OKE-1.31.1-764"),
        "bootVolumeSizeInGbs": "100",
    }
    assert pool.inputs["initialNodeLabels"] == [{"key": "dicomstore/pool", "value": "cpu"}]
    # No taint on the CPU pool: the plain bootstrap, after growing the root file system.
    script = base64.b64decode(pool.inputs["nodeMetadata"]["user_data"]).decode()
    assert script.splitlines()[-1] == "bash /var/run/oke-init.sh"
    assert GROWFS_COMMAND in script and "taints" not in script
    assert pool.inputs["nodePoolCyclingDetails"] == {
        "isNodeCyclingEnabled": True, "maximumSurge": "1", "maximumUnavailable": "0"
    }  # fmt: skip
    # A node leaving the pool drains within the disruption budget; it is never force-deleted with pods on it.
    assert pool.inputs["nodeEvictionNodePoolSettings"] == {
        "evictionGraceDuration": "PT30M", "isForceDeleteAfterGraceDuration": False
    }  # fmt: skip


def test_no_gpu_pool_unless_enabled(cpu_only: Recorded) -> None:
    assert [pool.inputs["name"] for pool in cpu_only.of_type(NODE_POOL)] == ["dicomstore-test-cpu"]


def test_gpu_pool_is_tainted_labelled_and_runs_the_gpu_image(with_gpu: Recorded) -> None:
    gpu = with_gpu.named("t-oke-gpu-pool")
    assert gpu.inputs["nodeShape"] == "VM.GPU.A10.1"
    assert "nodeShapeConfig" not in gpu.inputs  # fixed GPU shapes take no OCPU/memory settings
    assert gpu.inputs["nodeConfigDetails"]["size"] == 2
    assert gpu.inputs["nodeConfigDetails"]["isPvEncryptionInTransitEnabled"] is True
    assert gpu.inputs["nodeConfigDetails"]["nsgIds"] == [WORKERS.nsg_id]
    assert gpu.inputs["initialNodeLabels"] == [{"key": "dicomstore/pool", "value": "gpu"}]
    script = base64.b64decode(gpu.inputs["nodeMetadata"]["user_data"]).decode()
    assert "--register-with-taints=nvidia.com/gpu=present:NoSchedule" in script
    assert gpu.inputs["nodeSourceDetails"]["imageId"] == _image_id(
        "Oracle-Linux-8.10-Gen2-GPU-2025.05.19-0-OKE-1.31.1-764"
    )


def test_kubeconfig_is_a_secret_for_the_private_endpoint_without_static_credentials(with_gpu: Recorded) -> None:
    kubeconfig = with_gpu.outputs["kubeconfig"]
    assert is_secret(kubeconfig)
    content = kubeconfig["value"]
    cluster_id = with_gpu.named("t-oke-cpu-pool").inputs["clusterId"]
    assert cluster_id.startswith("ocid1.cluster.oc1.eu-frankfurt-1.")
    assert f'"{cluster_id}"' in content and '"generate-token"' in content
    assert 'server: "https://10.' in content
    assert "token:" not in content and "client-key-data" not in content


# The node pools' grant on the master key is the Security block's statement (components/security/iam_statements.py), not
# in this component-only plan; the whole-stack plans (tests/test_policies_cli.py) prove it is there.
NEEDS_OTHER_BLOCKS = {"ocisvc-oke-node-pool-key-grant"}


def test_cluster_and_node_pools_pass_the_policy_pack(with_gpu: Recorded) -> None:
    oke_urns = {r.urn for r in with_gpu if r.type in (CLUSTER, NODE_POOL)}
    findings = [
        result
        for result in replay(with_gpu.records, PACKS)
        if result.urn in oke_urns and result.policy not in NEEDS_OTHER_BLOCKS
    ]
    assert findings == []


def _weakened(record: ResourceRecord) -> ResourceRecord:
    if record.type == CLUSTER:
        endpoint = {"subnetId": "s", "isPublicIpEnabled": True}
        return replace(record, inputs={**record.inputs, "endpointConfig": endpoint, "kmsKeyId": None})
    if record.type == NODE_POOL:
        details = {**record.inputs["nodeConfigDetails"], "isPvEncryptionInTransitEnabled": False}
        return replace(record, inputs={**record.inputs, "nodeConfigDetails": details})
    return record


def test_policy_pack_flags_a_public_unencrypted_cluster(with_gpu: Recorded) -> None:
    policies = {result.policy for result in replay([_weakened(r) for r in with_gpu.records], PACKS)}
    assert {"ckv2-oci-3-oke-cluster-endpoint-nsgs", "ckv2-oci-5-node-pool-in-transit-encryption"} <= policies


# --- config ----------------------------------------------------------------------------------------------------


def _problems(**overrides: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        stack_config(**overrides)
    return str(caught.value)


def test_services_cidr_must_not_overlap_routed_networks() -> None:
    message = _problems(orthanc={"runtime": "oke"}, oke={"servicesCidr": "10.0.0.0/16"})
    assert "dicomstore:oke.servicesCidr = '10.0.0.0/16': overlaps 10.0.0.0/14" in message
    assert "Fix: choose a service range outside" in message


def test_gpu_pool_needs_a_gpu_shape() -> None:
    message = _problems(orthanc={"runtime": "oke"}, oke={"gpuPoolEnabled": True, "gpuShape": "VM.Standard.E5.Flex"})
    assert "dicomstore:oke.gpuShape = 'VM.Standard.E5.Flex': is not a GPU shape" in message


def test_orthanc_pod_must_fit_a_worker() -> None:
    message = _problems(orthanc={"runtime": "oke", "ocpus": 2}, oke={"nodeOcpus": 2})
    assert "dicomstore:orthanc.ocpus = 2: with orthanc.memoryGb=8 does not fit a CPU worker" in message


def test_autoscaler_bound_must_exceed_the_replicas() -> None:
    message = _problems(orthanc={"runtime": "oke", "replicas": 3}, oke={"orthancMaxReplicas": 3})
    assert "dicomstore:oke.orthancMaxReplicas = 3: is not above orthanc.replicas (3)" in message


def test_oke_rules_do_not_apply_to_container_instances() -> None:
    config = stack_config(oke={"servicesCidr": "10.0.0.0/16", "orthancMaxReplicas": 1})
    assert config.orthanc.runtime == "container_instances"


def test_image_verification_key_must_be_a_key_ocid() -> None:
    message = _problems(oke={"imageVerificationKeyOcid": APP})
    assert "dicomstore:oke.imageVerificationKeyOcid" in message and "not of a key" in message


# --- the shipped stacks ----------------------------------------------------------------------------------------


def _id(plan: Recorded, name: str) -> str:
    """The id the offline engine gave the resource named `name` (what other resources receive as its id)."""
    resource = plan.named(name)
    return created_state(resource.type, resource.name, resource.inputs, REGION)[0]


def test_prod_cluster_is_wired_to_the_oke_tiers_and_the_master_key(prod_plan: Recorded) -> None:
    cluster = prod_plan.named("dicomstore-oke-cluster")
    assert cluster.inputs["endpointConfig"] == {
        "subnetId": _id(prod_plan, "dicomstore-network-oke-api"),
        "isPublicIpEnabled": False,
        "nsgIds": [_id(prod_plan, "dicomstore-network-oke-api-nsg")],
    }
    assert cluster.inputs["kmsKeyId"] == _id(prod_plan, "dicomstore-security-key")
    assert cluster.inputs["compartmentId"] == _id(prod_plan, "dicomstore-identity-app")
    assert cluster.inputs["vcnId"] == _id(prod_plan, "dicomstore-network-vcn")


def test_prod_node_pools_use_the_workers_and_pods_tiers(prod_plan: Recorded) -> None:
    pools = {pool.name: pool for pool in prod_plan.of_type(NODE_POOL)}
    assert set(pools) == {"dicomstore-oke-cpu-pool", "dicomstore-oke-gpu-pool"}
    for pool in pools.values():
        assert pool.inputs["compartmentId"] == _id(prod_plan, "dicomstore-identity-app")
        details = pool.inputs["nodeConfigDetails"]
        assert details["nsgIds"] == [_id(prod_plan, "dicomstore-network-oke-workers-nsg")]
        assert {p["subnetId"] for p in details["placementConfigs"]} == {
            _id(prod_plan, "dicomstore-network-oke-workers")
        }
        assert details["nodePoolPodNetworkOptionDetails"]["podSubnetIds"] == [
            _id(prod_plan, "dicomstore-network-oke-pods")
        ]
        assert details["nodePoolPodNetworkOptionDetails"]["podNsgIds"] == [
            _id(prod_plan, "dicomstore-network-oke-pods-nsg")
        ]
        assert details["kmsKeyId"] == _id(prod_plan, "dicomstore-security-key")
        assert details["isPvEncryptionInTransitEnabled"] is True
    # Pulumi.prod.yaml: 3 CPU workers of 4 OCPUs / 64 GB, one A10 GPU worker for its one inference replica.
    assert pools["dicomstore-oke-cpu-pool"].inputs["nodeConfigDetails"]["size"] == 3
    assert pools["dicomstore-oke-cpu-pool"].inputs["nodeShapeConfig"] == {"ocpus": 4, "memoryInGbs": 64}
    assert pools["dicomstore-oke-gpu-pool"].inputs["nodeConfigDetails"]["size"] == 1
    assert pools["dicomstore-oke-gpu-pool"].inputs["nodeShape"] == "VM.GPU.A10.1"


def test_prod_exports_the_cluster_and_a_secret_kubeconfig(prod_plan: Recorded) -> None:
    assert prod_plan.outputs["oke_cluster_id"] == _id(prod_plan, "dicomstore-oke-cluster")
    assert is_secret(prod_plan.outputs["kubeconfig"])


def test_dev_runs_no_cluster(dev_plan: Recorded) -> None:
    assert not dev_plan.of_type(CLUSTER) and not dev_plan.of_type(NODE_POOL)
    assert "kubeconfig" not in dev_plan.outputs


ADDON = "oci:ContainerEngine/addon:Addon"


def test_autoscaling_installs_the_metrics_server_after_cert_manager() -> None:
    plan = _recorded(orthanc_max_replicas=6)
    cert_manager, metrics = plan.of_type(ADDON)
    assert (cert_manager.inputs["addonName"], metrics.inputs["addonName"]) == ("CertManager", "KubernetesMetricsServer")
    assert cert_manager.urn in metrics.dependencies
    assert (
        cert_manager.inputs["clusterId"]
        == metrics.inputs["clusterId"]
        == plan.named("t-oke-cpu-pool").inputs["clusterId"]
    )


def test_no_addons_without_an_autoscaler(cpu_only: Recorded) -> None:
    assert cpu_only.of_type(ADDON) == []


@pytest.mark.parametrize(
    ("shape", "inference_replicas", "nodes"),
    [("VM.GPU.A10.1", 1, 1), ("VM.GPU.A10.1", 3, 3), ("VM.GPU.A10.2", 3, 2), ("BM.GPU.A10.4", 4, 1)],
)
def test_gpu_pool_holds_the_inference_replicas_and_no_idle_node(
    shape: str, inference_replicas: int, nodes: int
) -> None:
    recorded = _recorded(gpu_pool_enabled=True, gpu_shape=shape, inference_replicas=inference_replicas)
    assert recorded.named("t-oke-gpu-pool").inputs["nodeConfigDetails"]["size"] == nodes
