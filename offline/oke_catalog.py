"""Offline answers for OKE: node pool options (node images), the cluster's kubeconfig, node pool nodes, and the
address of a Service of type LoadBalancer.

Shaped like OCI's responses (NodePoolOptions: `kubernetesVersions`, `shapes`, the deprecated `images`, and
`sources` of `{sourceType: "IMAGE", sourceName, imageId}`, as oracle/terraform-provider-oci documents the
oci_containerengine_node_pool_option data source). Node image names are real OKE worker images listed under
https://docs.oracle.com/en-us/iaas/images/oke-worker-node-oracle-linux-8x/ (e.g.
oracle-linux-8.10-2024.09.30-0-oke-1.31.1-747.htm): `Oracle-Linux-8.10[-Gen2-GPU|-aarch64]-<build date>-0-OKE-
<Kubernetes version>-<build>`, several builds and Kubernetes versions side by side, with plain platform images
(no OKE suffix) mixed in, as the real list has.
The kubeconfig is the exec-plugin (token version 2.0.0) form OKE generates: no static credential in it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from offline.addresses import placeholder_ip
from offline.ocids import fake_ocid

# (build date, build number, Kubernetes versions built): the OKE image releases seen in OKE's image list.
_RELEASES = (
    ("2024.09.30", 747, ("1.29.1", "1.30.1", "1.31.1")),
    ("2024.11.30", 754, ("1.29.1", "1.30.1", "1.31.1")),
    ("2025.05.19", 764, ("1.30.1", "1.31.1")),
)
_KUBERNETES_VERSIONS = ("1.29.1", "1.30.1", "1.31.1")
_VARIANTS = ("", "-Gen2-GPU", "-aarch64")
_SHAPES = ("VM.Standard.E4.Flex", "VM.Standard.E5.Flex", "VM.Standard.A1.Flex", "VM.GPU.A10.1", "VM.GPU.A10.2",
           "BM.GPU.A10.4", "VM.GPU3.1")  # fmt: skip


def _image(name: str, region: str) -> dict[str, Any]:
    return {"imageId": fake_ocid("image", name, region), "sourceName": name, "sourceType": "IMAGE"}


def node_pool_option(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    """`oci ce node-pool-options get --node-pool-option-id all`."""
    names = [
        f"Oracle-Linux-8.10{variant}-{date}-0-OKE-{version}-{build}"
        for date, build, versions in _RELEASES
        for version in versions
        for variant in _VARIANTS
    ]
    names += [f"Oracle-Linux-8.10-{date}-0" for date, _, _ in _RELEASES]  # platform images: not for OKE nodes
    return {
        "id": str(args.get("nodePoolOptionId", "all")),
        "nodePoolOptionId": str(args.get("nodePoolOptionId", "all")),
        "compartmentId": args.get("compartmentId"),
        "kubernetesVersions": [f"v{version}" for version in _KUBERNETES_VERSIONS],
        "shapes": list(_SHAPES),
        "images": names,
        "sources": [_image(name, region) for name in names],
    }


def cluster_kube_config(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    """`oci ce cluster create-kubeconfig --kube-endpoint PRIVATE_ENDPOINT --token-version 2.0.0`."""
    cluster_id = str(args.get("clusterId", ""))
    # A private address of the API endpoint subnet; the real one is assigned by OKE at create time.
    server = f"https://{placeholder_ip(f'cluster-endpoint/{cluster_id}')}:6443"
    suffix = cluster_id.rsplit(".", 1)[-1][-11:]
    ca = base64.b64encode(
        b"-----BEGIN CERTIFICATE-----\nMIIDiDCCAnCgAwIBAgIRAOKE offline CA\n-----END CERTIFICATE-----\n"
    )
    content = f"""---
apiVersion: v1
kind: ""
clusters:
- name: "cluster-{suffix}"
  cluster:
    server: "{server}"
    certificate-authority-data: "{ca.decode()}"
users:
- name: "user-{suffix}"
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: oci
      args:
      - "ce"
      - "cluster"
      - "generate-token"
      - "--cluster-id"
      - "{cluster_id}"
      - "--region"
      - "{region}"
      env: []
contexts:
- name: "context-{suffix}"
  context:
    cluster: "cluster-{suffix}"
    user: "user-{suffix}"
current-context: "context-{suffix}"
"""
    return {
        "id": f"kubeconfig-{cluster_id}",
        "clusterId": cluster_id,
        "endpoint": args.get("endpoint", "PRIVATE_ENDPOINT"),
        "tokenVersion": args.get("tokenVersion", "2.0.0"),
        "content": content,
    }


def service_status(name: str, inputs: Mapping[str, Any], _region: str) -> dict[str, Any]:
    """A created Service's `status`: a Service of type LoadBalancer gets the address of the balancer the cloud
    controller made for it (Kubernetes API LoadBalancerIngress: `ip`), as Pulumi's provider waits for it."""
    if (inputs.get("spec") or {}).get("type") != "LoadBalancer":
        return {}
    return {"status": {"loadBalancer": {"ingress": [{"ip": placeholder_ip(f"service/{name}")}]}}}


def node_pool_nodes(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    """A created node pool's `nodes`: `size` nodes round-robin over its placements, each with a private IP."""
    details = inputs.get("nodeConfigDetails") or {}
    placements = details.get("placementConfigs") or [{}]
    nodes = []
    for index in range(int(details.get("size", 0))):
        placement = placements[index % len(placements)]
        node_seed = f"{name}/{index}"
        nodes.append(
            {
                "id": fake_ocid("instance", node_seed, region),
                "name": f"oke-{hashlib.sha256(node_seed.encode()).hexdigest()[:11]}-{index}",
                "availabilityDomain": placement.get("availabilityDomain", ""),
                "faultDomain": f"FAULT-DOMAIN-{index // len(placements) % 3 + 1}",
                "subnetId": placement.get("subnetId", ""),
                "privateIp": placeholder_ip(f"node/{node_seed}"),
                "state": "ACTIVE",
                "lifecycleDetails": "",
                "kubernetesVersion": inputs.get("kubernetesVersion", ""),
                "nodePoolId": fake_ocid("nodepool", name, region),
            }
        )
    return {"nodes": nodes}
