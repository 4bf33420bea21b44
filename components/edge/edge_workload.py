"""The local inference workload of a Roving Edge Device, rendered as Kubernetes manifests (pure, no Pulumi).

A RED runs compute instances next to its own S3-compatible object storage; the operator runs a small
Kubernetes (e.g. k3s on a GPU instance of the device) and applies this manifest there. The workload is an
inference server (NVIDIA Triton by default) that loads its models from the device's copy of the
edge-transfer bucket (`models/` prefix, synced from OCI), so models trained in the cloud reach the device with
the next bucket sync, and inference keeps working while the device is disconnected.

Nothing secret is rendered: the device-local object-storage endpoint and keys come from a Kubernetes Secret
(`red-object-storage`) the operator creates on the device. The pod runs as non-root with a read-only root
file system, no privilege escalation and no capabilities; a NetworkPolicy admits only pods of the same
namespace (the local DICOM pipeline) to the inference ports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

NAMESPACE = "dicomstore-edge"
APP = "inference"
HTTP_PORT = 8000  # Triton HTTP/REST (KServe v2 protocol), also serves the health endpoints
GRPC_PORT = 8001  # Triton gRPC
CREDENTIALS_SECRET = "red-object-storage"
"""Created by the operator on the device: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, RED_OBJECT_ENDPOINT."""
RUN_AS_USER = 10001  # high non-root uid: Triton runs as any uid, and it writes only to the /tmp emptyDir


@dataclass(frozen=True)
class InferenceWorkload:
    """What the manifest needs to know."""

    image: str
    """Pinned inference-server image (mirrored into the device's registry)."""
    bucket_name: str
    """The edge-transfer bucket; the device holds a synced copy under the same name."""
    gpus: int
    """GPUs requested (0: CPU only)."""


def _labels() -> dict[str, str]:
    return {"app.kubernetes.io/name": APP, "app.kubernetes.io/part-of": "dicomstore-edge"}


def _container(workload: InferenceWorkload) -> dict[str, Any]:
    limits: dict[str, Any] = {"cpu": "4", "memory": "16Gi"}
    if workload.gpus:
        limits["nvidia.com/gpu"] = workload.gpus
    health = {"httpGet": {"path": "/v2/health/ready", "port": HTTP_PORT}, "periodSeconds": 10}
    return {
        "name": APP,
        "image": workload.image,
        "args": [
            "tritonserver",
            # Triton reads S3-compatible stores as s3://<endpoint>/<bucket>/<path>; the endpoint is the device's.
            f"--model-repository=s3://$(RED_OBJECT_ENDPOINT)/{workload.bucket_name}/models",
            "--model-control-mode=poll",
            "--repository-poll-secs=300",
        ],
        "envFrom": [{"secretRef": {"name": CREDENTIALS_SECRET}}],
        # Declared again under `env` so that the $(RED_OBJECT_ENDPOINT) reference in args is expanded.
        "env": [
            {
                "name": "RED_OBJECT_ENDPOINT",
                "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": "RED_OBJECT_ENDPOINT"}},
            }
        ],
        "ports": [
            {"name": "http", "containerPort": HTTP_PORT},
            {"name": "grpc", "containerPort": GRPC_PORT},
        ],
        "resources": {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": limits},
        "readinessProbe": health,
        "livenessProbe": {**health, "httpGet": {"path": "/v2/health/live", "port": HTTP_PORT}},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_USER,
            "runAsGroup": RUN_AS_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "scratch", "mountPath": "/tmp"}],
    }


def inference_manifests(workload: InferenceWorkload) -> list[dict[str, Any]]:
    """Namespace, Deployment, Service and NetworkPolicy of the inference workload."""
    labels = _labels()
    metadata = {"name": APP, "namespace": NAMESPACE, "labels": labels}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": labels}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": metadata,
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": RUN_AS_USER,
                            "runAsGroup": RUN_AS_USER,
                            "fsGroup": RUN_AS_USER,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [_container(workload)],
                        "volumes": [{"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata,
            "spec": {
                "type": "ClusterIP",
                "selector": labels,
                "ports": [
                    {"name": "http", "port": HTTP_PORT, "targetPort": "http"},
                    {"name": "grpc", "port": GRPC_PORT, "targetPort": "grpc"},
                ],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": metadata,
            "spec": {
                "podSelector": {"matchLabels": labels},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [{"podSelector": {}}],
                        "ports": [{"port": HTTP_PORT}, {"port": GRPC_PORT}],
                    }
                ],
            },
        },
    ]


def render_inference_manifest(workload: InferenceWorkload) -> str:
    """The manifests as one multi-document YAML file, ready for `kubectl apply -f`."""
    return yaml.safe_dump_all(inference_manifests(workload), sort_keys=False)
