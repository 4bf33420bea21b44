"""OKE block: a private Kubernetes cluster for Orthanc, with a CPU node pool and an optional GPU node pool.

Design choices:
- ENHANCED_CLUSTER: image signature verification (`oke.imageVerificationKeyOcid`), a financially backed
  control-plane SLA and cluster add-ons are enhanced-cluster features. (Workload identity is one too, but its
  IAM grants need `any-user`, which the package refuses: pods read Vault with the workers' instance principal,
  see components/orthanc/kubernetes_manifests.py.)
- The Kubernetes API endpoint is private: it sits in the oke_api subnet behind the oke_api NSG and has no
  public IP. `pulumi up` reaches it over FastConnect/IPSec or a Bastion port-forwarding session.
- Kubernetes secrets in etcd are encrypted with the Vault master key; so are the workers' boot volumes, and
  volume traffic between the instance and the storage is encrypted in transit.
- VCN-native pod networking (OCI_VCN_IP_NATIVE): every pod gets an address of the oke_pods subnet and the
  oke_pods NSG, so network rules name pods the same way they name every other VNIC.
- One CPU pool spread over every availability domain of the region (regional workers subnet, one placement
  per AD); node replacement is rolling (surge one node, none unavailable) with a drain grace period.
- Every node's cloud-init grows the root file system to the configured boot volume (`oke.nodeBootVolumeGb`)
  before OKE's bootstrap runs; otherwise the extra space stays unpartitioned and large images fill the disk.
- The GPU pool, when on, is tainted `nvidia.com/gpu=present:NoSchedule` at kubelet registration (OKE's
  cloud-init hook), so only pods that tolerate it (the inference server) land on the expensive nodes.
- Node images come from `getNodePoolOption`: the newest OKE image built for the cluster's Kubernetes version
  (GPU build for the GPU pool), never a hard-coded OCID that differs per region.
- The kubeconfig targets the private endpoint, authenticates with `oci ce cluster generate-token` (no static
  credential in it; the machine running `pulumi up` needs the OCI CLI) and is still exported as a Pulumi
  secret: it names the cluster and its endpoint.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

from components.config.schema import OkeConfig, gpu_node_count
from components.scope import StackScope, TierSubnet

CLUSTER_TYPE = "ENHANCED_CLUSTER"
POD_NETWORK_CNI = "OCI_VCN_IP_NATIVE"
GPU_TAINT = "nvidia.com/gpu=present:NoSchedule"  # the inference Deployment tolerates exactly this
POOL_LABEL = "dicomstore/pool"  # node label the workloads select pools by
KUBECONFIG_TOKEN_VERSION = "2.0.0"  # exec-plugin kubeconfig: short-lived tokens from `oci ce cluster generate-token`
# Custom cloud-init of every node ("Using Custom Cloud-init Initialization Scripts to Set Up Managed Nodes",
# https://docs.oracle.com/en-us/iaas/Content/ContEng/Tasks/contengusingcustomcloudinitscripts.htm):
# 1. grow the root file system to the whole boot volume: "a Linux-based instance doesn't automatically use the
#    entire boot volume if the boot volume is 50 GB or larger"; `oci-growfs` extends the root partition ("OCI
#    Utilities Reference", https://docs.oracle.com/en-us/iaas/oracle-linux/oci/oci-utilities-reference.htm).
#    It runs before the bootstrap so that the kubelet starts, and the first (large: Triton, Orthanc) image pulls
#    land, on the grown file system;
# 2. OKE's own bootstrap, fetched from the instance metadata service, as the page documents it, with extra
#    kubelet arguments when the pool has any.
GROWFS_COMMAND = "/usr/libexec/oci-growfs -y"
_OKE_INIT = (
    "#!/bin/bash\n"
    f"{GROWFS_COMMAND}\n"
    'curl --fail -H "Authorization: Bearer Oracle" -L0 '
    "http://169.254.169.254/opc/v2/instance/metadata/oke_init_script | base64 --decode > /var/run/oke-init.sh\n"
    "bash /var/run/oke-init.sh{kubelet_args}\n"
)
# Oracle-Linux-8.10[-Gen2-GPU|-aarch64]-2024.11.30-0-OKE-1.31.1-754
_OKE_IMAGE = re.compile(
    r"^Oracle-Linux-(?P<os>[0-9.]+)(?P<variant>-[A-Za-z0-9-]+?)?-(?P<date>\d{4}\.\d{2}\.\d{2})-\d+-OKE-(?P<k8s>[0-9.]+)-\d+$"
)


class NoNodeImageError(ValueError):
    """No OKE node image matches the cluster's Kubernetes version."""


def select_node_image(sources: Iterable[tuple[str, str]], kubernetes_version: str, gpu: bool) -> str:
    """The image id of the newest x86 OKE image for `kubernetes_version` (`v1.31.1`), GPU build or not.

    `sources` are (source name, image id) pairs as `getNodePoolOption` lists them.
    """
    wanted = kubernetes_version.removeprefix("v")
    candidates: list[tuple[str, str, str]] = []
    for source_name, image_id in sources:
        match = _OKE_IMAGE.match(source_name)
        if match is None or match["k8s"] != wanted:
            continue
        variant = match["variant"] or ""
        if "aarch64" in variant or ("GPU" in variant) != gpu:
            continue
        candidates.append((match["date"], source_name, image_id))
    if not candidates:
        kind = "GPU" if gpu else "CPU"
        raise NoNodeImageError(
            f"no OKE {kind} node image for Kubernetes {kubernetes_version}: set dicomstore:oke.kubernetesVersion to "
            "a version OKE offers in the region (`oci ce node-pool-options get --node-pool-option-id all`)"
        )
    return max(candidates)[2]


def cluster_addons(autoscaling: bool) -> tuple[str, ...]:
    """OKE cluster add-ons to install, in dependency order. The Horizontal Pod Autoscaler reads pod CPU from the
    Kubernetes Metrics Server, which OKE does not run by default; its add-on needs cert-manager. (The NVIDIA
    device plugin is not listed: OKE deploys it on GPU nodes by default.)"""
    return ("CertManager", "KubernetesMetricsServer") if autoscaling else ()


def node_user_data(taints: Iterable[str] = ()) -> str:
    """Base64 cloud-init that grows the root file system, then bootstraps an OKE node registering with `taints`."""
    flags = " ".join(f"--register-with-taints={taint}" for taint in taints)
    kubelet_args = f' --kubelet-extra-args "{flags}"' if flags else ""
    return base64.b64encode(_OKE_INIT.format(kubelet_args=kubelet_args).encode()).decode()


@dataclass(frozen=True)
class OkeArgs:
    config: OkeConfig
    """The `oke` config section."""
    scope: StackScope
    """The stack's naming: the cluster's and node pools' display names carry its prefix."""
    vcn_id: pulumi.Input[str]
    compartment_id: pulumi.Input[str]
    """The app compartment: the cluster and its node pools go there."""
    api_subnet: TierSubnet
    """oke_api tier: the cluster's private Kubernetes API endpoint."""
    workers_subnet: TierSubnet
    """oke_workers tier: the nodes' VNICs."""
    pods_subnet: TierSubnet
    """oke_pods tier: one address per pod (VCN-native pod networking), behind its NSG."""
    master_key_id: pulumi.Input[str]
    """Vault master key: Kubernetes secrets in etcd and the workers' boot volumes."""
    cpu_node_defined_tags: pulumi.Input[Mapping[str, str]]
    """Defined tags of the CPU pool's nodes (Identity): the Orthanc runtime's dynamic group matches them."""


class Oke(pulumi.ComponentResource):
    """Private enhanced OKE cluster, CPU node pool over all ADs, optional tainted GPU node pool."""

    cluster_id: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    """Secret."""
    cpu_node_pool_id: pulumi.Output[str]
    gpu_node_pool_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: OkeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:oke:Oke", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)

        cluster = oci.containerengine.Cluster(
            f"{name}-cluster",
            compartment_id=args.compartment_id,
            vcn_id=args.vcn_id,
            name=f"{args.scope.name_prefix}-oke",
            kubernetes_version=config.kubernetes_version,
            type=CLUSTER_TYPE,
            endpoint_config=oci.containerengine.ClusterEndpointConfigArgs(
                subnet_id=args.api_subnet.subnet_id, is_public_ip_enabled=False, nsg_ids=[args.api_subnet.nsg_id]
            ),
            cluster_pod_network_options=[
                oci.containerengine.ClusterClusterPodNetworkOptionArgs(cni_type=POD_NETWORK_CNI)
            ],
            kms_key_id=args.master_key_id,
            image_policy_config=(
                oci.containerengine.ClusterImagePolicyConfigArgs(
                    is_policy_enabled=True,
                    key_details=[
                        oci.containerengine.ClusterImagePolicyConfigKeyDetailArgs(
                            kms_key_id=config.image_verification_key_ocid
                        )
                    ],
                )
                if config.image_verification_key_ocid
                else None
            ),
            options=oci.containerengine.ClusterOptionsArgs(
                kubernetes_network_config=oci.containerengine.ClusterOptionsKubernetesNetworkConfigArgs(
                    services_cidr=config.services_cidr
                ),
            ),
            opts=child,
        )

        options = oci.containerengine.get_node_pool_option_output(
            node_pool_option_id="all", compartment_id=args.compartment_id
        )
        sources = options.sources.apply(lambda found: [(source.source_name, source.image_id) for source in found])
        domain_names = oci.identity.get_availability_domains_output(compartment_id=args.compartment_id).apply(
            lambda found: [domain.name for domain in found.availability_domains]
        )
        placements = pulumi.Output.all(domain_names, args.workers_subnet.subnet_id).apply(
            lambda values: [
                oci.containerengine.NodePoolNodeConfigDetailsPlacementConfigArgs(
                    availability_domain=domain, subnet_id=values[1]
                )
                for domain in values[0]
            ]
        )

        def node_pool(
            role: str, shape: str, size: int, gpu: bool, defined_tags: pulumi.Input[Mapping[str, str]] | None = None
        ) -> oci.containerengine.NodePool:
            flexible = shape.endswith(".Flex")
            return oci.containerengine.NodePool(
                f"{name}-{role}-pool",
                cluster_id=cluster.id,
                compartment_id=args.compartment_id,
                name=f"{args.scope.name_prefix}-{role}",
                kubernetes_version=config.kubernetes_version,
                node_shape=shape,
                node_shape_config=(
                    oci.containerengine.NodePoolNodeShapeConfigArgs(
                        ocpus=config.node_ocpus, memory_in_gbs=config.node_memory_gb
                    )
                    if flexible
                    else None
                ),
                node_source_details=oci.containerengine.NodePoolNodeSourceDetailsArgs(
                    source_type="IMAGE",
                    image_id=sources.apply(lambda found: select_node_image(found, config.kubernetes_version, gpu)),
                    boot_volume_size_in_gbs=str(config.node_boot_volume_gb),
                ),
                node_config_details=oci.containerengine.NodePoolNodeConfigDetailsArgs(
                    size=size,
                    placement_configs=placements,
                    nsg_ids=[args.workers_subnet.nsg_id],
                    is_pv_encryption_in_transit_enabled=True,
                    kms_key_id=args.master_key_id,
                    defined_tags=defined_tags,
                    node_pool_pod_network_option_details=(
                        oci.containerengine.NodePoolNodeConfigDetailsNodePoolPodNetworkOptionDetailsArgs(
                            cni_type=POD_NETWORK_CNI,
                            max_pods_per_node=config.max_pods_per_node,
                            pod_subnet_ids=[args.pods_subnet.subnet_id],
                            pod_nsg_ids=[args.pods_subnet.nsg_id],
                        )
                    ),
                ),
                initial_node_labels=[oci.containerengine.NodePoolInitialNodeLabelArgs(key=POOL_LABEL, value=role)],
                node_metadata={"user_data": node_user_data([GPU_TAINT] if gpu else [])},
                node_eviction_node_pool_settings=oci.containerengine.NodePoolNodeEvictionNodePoolSettingsArgs(
                    eviction_grace_duration="PT30M", is_force_delete_after_grace_duration=False
                ),
                # Upgrades replace nodes one at a time with a surge node: capacity never drops.
                node_pool_cycling_details=oci.containerengine.NodePoolNodePoolCyclingDetailsArgs(
                    is_node_cycling_enabled=True, maximum_surge="1", maximum_unavailable="0"
                ),
                opts=child,
            )

        cpu_pool = node_pool(
            "cpu", config.node_shape, config.node_count, gpu=False, defined_tags=args.cpu_node_defined_tags
        )
        gpu_pool = (
            node_pool("gpu", config.gpu_shape, gpu_node_count(config), gpu=True) if config.gpu_pool_enabled else None
        )
        # Oracle-managed add-ons, each after the one it needs (the Metrics Server's webhook certificate comes
        # from cert-manager).
        ready = [cpu_pool.id, *([gpu_pool.id] if gpu_pool else [])]
        required: oci.containerengine.Addon | None = None
        for addon in cluster_addons(autoscaling=config.orthanc_max_replicas is not None):
            required = oci.containerengine.Addon(
                f"{name}-{addon.lower()}",
                cluster_id=cluster.id,
                addon_name=addon,
                remove_addon_resources_on_delete=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[required] if required else []),
            )
            ready.append(required.id)

        self.cluster_id = cluster.id
        kubeconfig = oci.containerengine.get_cluster_kube_config_output(
            cluster_id=cluster.id, endpoint="PRIVATE_ENDPOINT", token_version=KUBECONFIG_TOKEN_VERSION
        ).content
        # The kubeconfig resolves only once the node pools and add-ons exist, so whatever is applied with it
        # (the Kubernetes provider and its workloads) waits for nodes to schedule on.
        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(kubeconfig, *ready).apply(lambda values: values[0]))
        self.cpu_node_pool_id = cpu_pool.id
        self.gpu_node_pool_id = gpu_pool.id if gpu_pool else None
        self.register_outputs(
            {
                "cluster_id": self.cluster_id,
                "kubeconfig": self.kubeconfig,
                "cpu_node_pool_id": self.cpu_node_pool_id,
                "gpu_node_pool_id": self.gpu_node_pool_id,
            }
        )
