"""Kubernetes workloads: Orthanc (and the GPU inference server) on the OKE cluster, the OKE runtime.

Every Kubernetes object comes from components/orthanc/kubernetes_manifests.py (pure dicts, validated in the tests with
kubernetes-validate); this component only resolves the Pulumi outputs those dicts depend on (data tier
endpoints, secret OCIDs) and registers one typed pulumi_kubernetes resource per manifest role through an
explicit Kubernetes provider built from the cluster's kubeconfig (never the ambient ~/.kube/config).

Design choices:
- Two balancers, each doing what it is good at. Node addresses change outside `pulumi up` (node cycling, repair,
  autoscaling), so Pulumi cannot own a backend list of nodes. OKE's cloud controller manager can: the Orthanc
  Service (type LoadBalancer) becomes an internal network load balancer in the workers tier whose backends the
  controller keeps equal to the cluster's nodes (kubernetes_manifests.balancer_annotations). Everything the
  hospital talks to stays an OCI resource Pulumi owns and the policy pack checks: the private HTTPS load balancer
  (TLS 1.2+, the stack's certificate, cipher suite, access and error logs, NSG) and the DICOM listener are the
  OrthancService's `OrthancLoadBalancer`, for either runtime; this one hands it one backend: the network load
  balancer's address, read from the Service's status, which stays the same for the Service's life. The controller-made
  balancer has no TLS, no certificate and no public side to check: it is internal to the workers tier, carries
  traffic the private load balancer has already admitted, adds no security rule (mode None), and its
  annotations are inputs of a Kubernetes resource the policies see.
- One rendered Orthanc configuration for all replicas: `DatabaseServerIdentifier` is `${POD_NAME}` (the
  StatefulSet pod's name), rendered for the largest replica count the autoscaler may reach, so the database
  connection budget is checked against it.
- With an autoscaler, Pulumi leaves `spec.replicas` of the StatefulSet to it after creation.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components.config.schema import INFERENCE_GPUS_PER_POD, OkeConfig, OrthancConfig, SubnetCidrs
from components.data.database_bootstrap import render_bootstrap_script
from components.network.network_rules import modality_cidrs
from components.network.ports import DICOM_PORT, ORTHANC_HTTP_PORT
from components.orthanc.kubernetes_manifests import (
    ORTHANC_PLUGIN_DIRECTORIES,
    SERVER_ID_REFERENCE,
    BalancerPlacement,
    InferenceSpec,
    WorkloadSpec,
    workload_manifests,
    workload_roles,
)
from components.orthanc.load_balancer import Backend
from components.orthanc.orthanc_config import JsonObject, to_json
from components.orthanc.orthanc_runtime import (
    IMAGE_COMMAND,
    OrthancDataTier,
    OrthancRuntime,
    ResolvedDataTier,
    orthanc_settings,
)
from components.scope import StackScope, TierSubnet

NAMESPACE = "dicomstore"
VCPUS_PER_OCPU = 2  # Kubernetes counts vCPUs; an OCI OCPU is two


@cache
def _kinds() -> Mapping[str, tuple[Callable[..., pulumi.CustomResource], tuple[str, ...]]]:
    """Top-level fields of each kind besides apiVersion/kind: the typed resource's arguments. Built on first use:
    naming the classes loads their SDK modules (~0.6 s), which a Container Instances stack never needs."""
    return {
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


def _balancer_address(status: k8s.core.v1.outputs.ServiceStatus | None) -> str:
    """The address the cloud controller gave the Orthanc Service's network load balancer."""
    ingress = status.load_balancer.ingress if status and status.load_balancer else None
    if not ingress or not ingress[0].ip:
        raise ValueError("the Orthanc Service has no load balancer address: check the cloud controller's events")
    return ingress[0].ip


@dataclass(frozen=True)
class KubernetesWorkloadsArgs:
    orthanc: OrthancConfig
    """The `orthanc` config section."""
    oke: OkeConfig
    """The `oke` config section (autoscaling bound, GPU pool, inference image)."""
    peak_replicas: int
    """The most Orthanc replicas the autoscaler may run (`config.schema.orthanc_fleet`): the renderer checks
    the database's max_connections against it."""
    subnets: SubnetCidrs
    """The network's tier CIDRs (network policies name the load balancer, workers and database tiers)."""
    hospital_cidrs: Sequence[str]
    """On-prem and peered networks: modalities named by host name live there."""
    scope: StackScope
    """The stack's region: the S3-compatible endpoint's."""
    kubeconfig: pulumi.Input[str]
    """The cluster's kubeconfig (Oke block), a secret."""
    workers_subnet: TierSubnet
    """oke_workers tier: the cloud controller puts Orthanc's internal network load balancer in its subnet and NSG
    (the flow table admits the load balancer tier there)."""
    data: OrthancDataTier
    """Index, bucket and the Vault secrets Orthanc reads (from the OrthancService); the database's
    max_connections is checked against the autoscaler's bound, not just orthanc.replicas."""


def workload_spec(args: KubernetesWorkloadsArgs, data: ResolvedDataTier, balancer: BalancerPlacement) -> WorkloadSpec:
    """The manifests' inputs from the config and the resolved data tier (runs inside an apply; creates nothing)."""
    orthanc, oke = args.orthanc, args.oke
    rendered = data.render(replace(orthanc_settings(orthanc, 0), replica_count=args.peak_replicas), args.scope.region)
    # Plugins: where the image's configurator copies them when the root file system is read-only.
    config: JsonObject = {
        **rendered.config,
        "DatabaseServerIdentifier": SERVER_ID_REFERENCE,
        "Plugins": list(ORTHANC_PLUGIN_DIRECTORIES),
    }
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
        # The private load balancer reaches Orthanc only through the cluster's network load balancer, whose
        # traffic kube-proxy forwards from a node (externalTrafficPolicy Cluster masquerades to the node's address).
        ingress_cidrs=(args.subnets.oke_workers,),
        database_cidr=args.subnets.db,
        modality_cidrs=tuple(
            dict.fromkeys(
                cidr
                for modality in orthanc.allowed_modalities
                for cidr in modality_cidrs(modality, args.hospital_cidrs)
            )
        ),
        modality_ports=tuple(modality.port for modality in orthanc.allowed_modalities),
        balancer=balancer,
        max_replicas=oke.orthanc_max_replicas,
        inference=InferenceSpec(
            image=oke.inference_image, replicas=oke.inference_replicas, gpus_per_pod=INFERENCE_GPUS_PER_POD
        )
        if oke.gpu_pool_enabled
        else None,
    )


class KubernetesWorkloads(OrthancRuntime):
    """Orthanc StatefulSet, its namespace, policies and Services, the GPU inference server; the OrthancService
    balances Orthanc's internal network load balancer."""

    def __init__(self, name: str, args: KubernetesWorkloadsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:kubernetes_workloads:KubernetesWorkloads", name, None, opts)
        oke = args.oke

        provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=args.kubeconfig,
            # Objects outside these manifests are not Pulumi's to touch.
            namespace=NAMESPACE,
            opts=pulumi.ResourceOptions(parent=self),
        )
        manifests = pulumi.Output.all(
            args.data.resolved(), args.workers_subnet.subnet_id, args.workers_subnet.nsg_id
        ).apply(
            lambda values: workload_manifests(workload_spec(args, values[0], BalancerPlacement(values[1], values[2])))
        )

        roles = workload_roles(autoscaling=oke.orthanc_max_replicas is not None, inference=oke.gpu_pool_enabled)
        namespace: pulumi.CustomResource | None = None
        registered: dict[str, pulumi.CustomResource] = {}
        for role, kind in roles.items():
            resource_class, fields = _kinds()[kind]
            resource = registered[role] = resource_class(
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

        # The cloud controller's network load balancer: Pulumi's Kubernetes provider waits for the Service's
        # address before it reports the Service created.
        orthanc_service = cast(k8s.core.v1.Service, registered["orthanc-service"])
        balancer_ip = orthanc_service.status.apply(_balancer_address)
        self.backends = [Backend(ip_address=balancer_ip, http_port=ORTHANC_HTTP_PORT, dicom_port=DICOM_PORT)]
        self.register_outputs({"backend_ips": [balancer_ip]})
