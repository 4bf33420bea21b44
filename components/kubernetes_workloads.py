"""Kubernetes workloads block: Orthanc (and the GPU inference server) on the OKE cluster, behind the private LB.

Every Kubernetes object comes from components/kubernetes_manifests.py (pure dicts, validated in the tests with
kubernetes-validate); this component only resolves the Pulumi outputs those dicts depend on (data tier
endpoints, secret OCIDs) and registers one typed pulumi_kubernetes resource per manifest role through an
explicit Kubernetes provider built from the cluster's kubeconfig (never the ambient ~/.kube/config).

Design choices:
- Load balancing stays in OCI resources Pulumi owns: the private load balancer (HTTPS, TLS 1.2+) and the
  network load balancer or TLS listener for DICOM are the same `OrthancLoadBalancer` the Container Instances
  runtime uses, with the CPU workers' addresses and Orthanc's node ports as backends. The policy pack therefore
  sees and checks them (private, NSGs, cipher suite, logs). A `type: LoadBalancer` Service would have the
  cloud controller create them out of Pulumi's and the policies' sight. The cost: workers replaced outside
  `pulumi up` (node cycling, manual scaling) are picked up at the next `pulumi up`; the health checks take a
  missing node out of rotation meanwhile.
- One rendered Orthanc configuration for all replicas: `DatabaseServerIdentifier` is `${POD_NAME}` (the
  StatefulSet pod's name), rendered for the largest replica count the autoscaler may reach, so the database
  connection budget is checked against it.
- With an autoscaler, Pulumi leaves `spec.replicas` of the StatefulSet to it after creation.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config import OkeConfig, OrthancConfig, SubnetCidrs
from components.container_instances import IMAGE_COMMAND
from components.database_bootstrap import render_bootstrap_script
from components.kubernetes_manifests import (
    DICOM_NODE_PORT,
    HTTP_NODE_PORT,
    SERVER_ID_REFERENCE,
    InferenceSpec,
    WorkloadSpec,
    workload_manifests,
    workload_roles,
)
from components.load_balancer import Backend, OrthancLoadBalancer, OrthancLoadBalancerArgs
from components.network_rules import modality_cidrs
from components.orthanc_config import to_json
from components.orthanc_runtime import OrthancDataTier, ResolvedDataTier, orthanc_settings

NAMESPACE = "dicomstore"
VCPUS_PER_OCPU = 2  # Kubernetes counts vCPUs; an OCI OCPU is two

# Top-level fields of each kind besides apiVersion/kind: the typed resource's arguments.
_KINDS: Mapping[str, tuple[Callable[..., pulumi.CustomResource], tuple[str, ...]]] = {
    "Namespace": (k8s.core.v1.Namespace, ("metadata",)),
    "ServiceAccount": (k8s.core.v1.ServiceAccount, ("metadata", "automountServiceAccountToken")),
    "ConfigMap": (k8s.core.v1.ConfigMap, ("metadata", "data")),
    "Service": (k8s.core.v1.Service, ("metadata", "spec")),
    "NetworkPolicy": (k8s.networking.v1.NetworkPolicy, ("metadata", "spec")),
    "StatefulSet": (k8s.apps.v1.StatefulSet, ("metadata", "spec")),
    "Deployment": (k8s.apps.v1.Deployment, ("metadata", "spec")),
    "PodDisruptionBudget": (k8s.policy.v1.PodDisruptionBudget, ("metadata", "spec")),
    "HorizontalPodAutoscaler": (k8s.autoscaling.v2.HorizontalPodAutoscaler, ("metadata", "spec")),
}
_ARGUMENT_NAMES = {"automountServiceAccountToken": "automount_service_account_token"}


def _field(role: str, field: str, manifests: Mapping[str, Mapping[str, Any]]) -> Any:
    return manifests[role][field]


@dataclass(frozen=True)
class KubernetesWorkloadsArgs:
    orthanc: OrthancConfig
    """The `orthanc` config section."""
    oke: OkeConfig
    """The `oke` config section (autoscaling bound, GPU pool, inference image)."""
    subnets: SubnetCidrs
    """The network's tier CIDRs (network policies name the load balancer, workers and database tiers)."""
    hospital_cidrs: Sequence[str]
    """On-prem and peered networks: modalities named by host name live there."""
    region: str
    """OCI region id (the S3-compatible endpoint's region)."""
    kubeconfig: pulumi.Input[str]
    """The cluster's kubeconfig (Oke block), a secret."""
    node_ips: Sequence[pulumi.Input[str]]
    """CPU workers' private IPs (Oke block): the load balancer's backends."""
    compartment_id: pulumi.Input[str]
    """The app compartment (load balancers)."""
    lb_subnet_id: pulumi.Input[str]
    lb_nsg_id: pulumi.Input[str]
    log_group_id: pulumi.Input[str]
    """Service log group (Security block): load balancer access and error logs."""
    data: OrthancDataTier
    """Index, bucket and the Vault secrets Orthanc reads (Storage, Database, OrthancSecrets blocks); the
    database's max_connections is checked against the autoscaler's bound, not just orthanc.replicas."""
    vault_management_endpoint: pulumi.Input[str] | None = None
    """Needed only without `orthanc.certificateOcid` (the private CA's key is created in the vault)."""
    public_load_balancer: bool = False
    """`network.publicLoadBalancer`: make the HTTPS load balancer internet-facing."""


def workload_spec(args: KubernetesWorkloadsArgs, data: ResolvedDataTier) -> WorkloadSpec:
    """The manifests' inputs from the config and the resolved data tier (runs inside an apply; creates nothing)."""
    orthanc, oke = args.orthanc, args.oke
    most_replicas = max(orthanc.replicas, oke.orthanc_max_replicas or 0)
    rendered = data.render(replace(orthanc_settings(orthanc, 0), replica_count=most_replicas), args.region)
    config = {**rendered.config, "DatabaseServerIdentifier": SERVER_ID_REFERENCE}
    bootstrap = data.bootstrap(rendered)
    return WorkloadSpec(
        namespace=NAMESPACE,
        orthanc_image=orthanc.image,
        secrets_fetcher_image=orthanc.secret_fetcher_image,
        replicas=orthanc.replicas,
        config_json=to_json(config),
        access_script=rendered.access_script,
        command=tuple(rendered.command(*IMAGE_COMMAND)),
        secret_files=rendered.secret_files,
        secret_ids=data.secret_ids,
        bootstrap_image=data.bootstrap_image,
        bootstrap_script=render_bootstrap_script(bootstrap),
        bootstrap_secret_files=(bootstrap.admin_password_file,),
        bootstrap_directory=posixpath.dirname(bootstrap.marker),
        probe_user=orthanc.users[0],
        cpu=str(orthanc.ocpus * VCPUS_PER_OCPU),
        memory=f"{orthanc.memory_gb}Gi",
        ingress_cidrs=(args.subnets.lb, args.subnets.oke_workers),
        database_cidr=args.subnets.db,
        modality_cidrs=tuple(
            dict.fromkeys(
                cidr
                for modality in orthanc.allowed_modalities
                for cidr in modality_cidrs(modality, args.hospital_cidrs)
            )
        ),
        modality_ports=tuple(modality.port for modality in orthanc.allowed_modalities),
        max_replicas=oke.orthanc_max_replicas,
        inference=InferenceSpec(image=oke.inference_image) if oke.gpu_pool_enabled else None,
    )


class KubernetesWorkloads(pulumi.ComponentResource):
    """Orthanc StatefulSet, its namespace, policies and Services, the GPU inference server, the private LB."""

    dicomweb_url: pulumi.Output[str]
    dicom_host: pulumi.Output[str]
    dicom_port: pulumi.Output[int]
    dicom_aet: pulumi.Output[str]

    def __init__(self, name: str, args: KubernetesWorkloadsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:kubernetes_workloads:KubernetesWorkloads", name, None, opts)
        orthanc, oke = args.orthanc, args.oke
        args.data.check_users(orthanc.users)

        provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=args.kubeconfig,
            # Objects outside these manifests are not Pulumi's to touch.
            namespace=NAMESPACE,
            opts=pulumi.ResourceOptions(parent=self),
        )
        manifests = args.data.resolved().apply(lambda data: workload_manifests(workload_spec(args, data)))

        roles = workload_roles(autoscaling=oke.orthanc_max_replicas is not None, inference=oke.gpu_pool_enabled)
        namespace: pulumi.CustomResource | None = None
        for role, kind in roles.items():
            resource_class, fields = _KINDS[kind]
            resource = resource_class(
                f"{name}-{role}",
                **{
                    _ARGUMENT_NAMES.get(field, field): manifests.apply(partial(_field, role, field)) for field in fields
                },
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=provider,
                    depends_on=[namespace] if namespace else [],
                    ignore_changes=["spec.replicas"] if kind == "StatefulSet" and oke.orthanc_max_replicas else None,
                ),
            )
            namespace = namespace or resource

        load_balancer = OrthancLoadBalancer(
            f"{name}-lb",
            OrthancLoadBalancerArgs(
                compartment_id=args.compartment_id,
                subnet_id=args.lb_subnet_id,
                nsg_id=args.lb_nsg_id,
                backends=[
                    Backend(ip_address=ip, http_port=HTTP_NODE_PORT, dicom_port=DICOM_NODE_PORT) for ip in args.node_ips
                ],
                tls_min_version=orthanc.tls_min_version,
                dicom_tls=orthanc.dicom_tls,
                log_group_id=args.log_group_id,
                certificate_id=orthanc.certificate_ocid,
                vault_management_endpoint=args.vault_management_endpoint,
                internet_facing=args.public_load_balancer,
                cors_allowed_origins=orthanc.cors_allowed_origins,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.dicomweb_url = pulumi.Output.concat(
            "https://", load_balancer.ip_address, orthanc_settings(orthanc, 0).dicomweb_root
        )
        self.dicom_host = load_balancer.dicom_host
        self.dicom_port = load_balancer.dicom_port
        self.dicom_aet = pulumi.Output.from_input(orthanc.aet)
        self.register_outputs(
            {
                "dicomweb_url": self.dicomweb_url,
                "dicom_host": self.dicom_host,
                "dicom_port": self.dicom_port,
                "dicom_aet": self.dicom_aet,
            }
        )
