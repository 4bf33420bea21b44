"""The Kubernetes manifests of the OKE runtime, as plain dicts: one pure function, no Pulumi runtime.

`workload_manifests(spec)` returns every manifest keyed by role (`orthanc`, `orthanc-pdb`, ...), in apply
order. The Pulumi component (components/orthanc/kubernetes_workloads.py) registers one typed pulumi_kubernetes
resource per role from these dicts, and the tests validate the very same dicts with kubernetes-validate
against the cluster's Kubernetes version; there is no second copy of a manifest anywhere.

Design choices:
- Orthanc runs as a StatefulSet: pod names are stable (`orthanc-0`, `orthanc-1`, ...), and each pod's name
  becomes its `DatabaseServerIdentifier` through the downward API, so replicas sharing the PostgreSQL index
  never share an identifier, and a restarted pod keeps its own. Pods start in parallel (no ordering needed).
- Secrets come from OCI Vault at pod start: an init container reads each secret bundle with the worker
  node's instance principal (the Orthanc runtime's dynamic group, components/security/iam_statements.py: it may read
  secret bundles of the stack's vault only) and writes it to a memory-backed volume under /run/secrets, which
  Orthanc's entrypoint loads (components/orthanc/orthanc_config.py). OKE workload identity would scope the grant to
  one service account, but its IAM statements need `any-user`, which the package's IAM guard refuses; the
  network policies keep every other pod of the namespace away from the instance metadata service.
  No secret value is in any manifest, in Pulumi state or in etcd: manifests carry secret OCIDs only, and the init
  container runs the fetch script both runtimes share (components/orthanc/secret_fetch.py: mode 600, atomic rename,
  an empty secret refused), writing only into its memory-backed volumes. Chosen over the Secrets
  Store CSI driver because it needs no extra cluster add-on or CRD (every manifest here is a built-in kind
  that kubernetes-validate can check), and a secret is read once per pod start, not mounted as a volume.
- The database bootstrap (components/data/database_bootstrap.py) is a second init container, after the secret
  fetcher: it creates Orthanc's role and database if missing, as the DB administrator, whose password the
  fetcher writes into a volume only these two init containers mount. Init containers run in order, so Orthanc
  starts only once the role and database exist. Every pod runs it (pods start in parallel); it is idempotent
  and serialised in the database, so no Job and no ordering between pods is needed.
- Namespace enforces Pod Security "restricted": non-root, no privilege escalation, all capabilities dropped,
  RuntimeDefault seccomp, read-only root file systems with emptyDir scratch space.
- Network: the namespace denies all traffic by default; Orthanc admits 8042/4242 only from the workers (the
  network load balancer's traffic arrives from the nodes) and the inference server, and egresses only to DNS,
  PostgreSQL, the instance metadata service (instance principal), HTTPS (Vault, Object Storage via the service
  gateway) and the modalities.
  OCI's VCN-native CNI itself does not enforce NetworkPolicy: the pods NSG is the enforced boundary, these
  policies are defence in depth that a policy engine (e.g. Calico policy-only) enforces when installed.
- Orthanc is a Service of type LoadBalancer: OKE's cloud controller manager makes it an internal OCI network
  load balancer in the workers tier (its NSG, no security rule of its own) and keeps its backends equal to the
  cluster's nodes whenever nodes are cycled, repaired or scaled. The private OCI load balancer created by Pulumi
  (visible to the policy pack: private, NSGs, TLS 1.2+, the certificate, access logs) terminates TLS and sends
  to that network load balancer's one stable address.
- Availability: zone spread (one replica per availability domain before a second in any), host spread,
  a PodDisruptionBudget of one pod at a time, readiness that checks Orthanc answers an authenticated request,
  liveness on the TCP port only (a slow database must not restart every pod), a preStop pause so the load
  balancer stops sending before the process ends.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.network.ports import DICOM_PORT, HTTPS_PORT, ORTHANC_HTTP_PORT, POSTGRES_PORT
from components.orthanc.orthanc_config import (
    ACCESS_SCRIPT_PATH,
    CONFIG_PATH,
    SECRETS_DIRECTORY,
    SecretFile,
    user_password_env_var,
)
from components.orthanc.secret_fetch import fetcher_environment, render_fetch_script, secrets_directory

Manifest = dict[str, Any]

ORTHANC = "orthanc"
INFERENCE = "inference"
POD_SECURITY_VERSION = "v1.31"  # pin the restricted profile's rules to a known Kubernetes release
SERVER_ID_ENV = "POD_NAME"  # the StatefulSet pod name, unique and stable per replica
SERVER_ID_REFERENCE = "${" + SERVER_ID_ENV + "}"  # substituted by Orthanc when it reads its configuration
# OKE's cloud controller manager turns the Orthanc Service (type LoadBalancer) into an internal OCI network load
# balancer in the workers tier and keeps its backends equal to the cluster's nodes as they are cycled, repaired or
# scaled. Annotations: oracle/oci-cloud-controller-manager pkg/cloudprovider/providers/oci/load_balancer_spec.go,
# documented in "Summary of Annotations for Load Balancers and Network Load Balancers"
# (https://docs.oracle.com/en-us/iaas/Content/ContEng/Tasks/contengcreatingloadbalancer_topic-Summaryofannotations.htm).
NLB_TYPE_ANNOTATION = "oci.oraclecloud.com/load-balancer-type"
NLB_INTERNAL_ANNOTATION = "oci-network-load-balancer.oraclecloud.com/internal"
NLB_SUBNET_ANNOTATION = "oci-network-load-balancer.oraclecloud.com/subnet"
NLB_NSG_ANNOTATION = "oci-network-load-balancer.oraclecloud.com/oci-network-security-groups"
# "None": the controller adds no security rule anywhere; the flow table (components/network/network_rules.py) owns
# them all.
NLB_SECURITY_RULE_ANNOTATIONS = (
    "oci.oraclecloud.com/security-rule-management-mode",
    "oci-network-load-balancer.oraclecloud.com/security-list-management-mode",
)
INFERENCE_HTTP_PORT = 8000  # Triton's HTTP/REST port (KServe v2 protocol)
INFERENCE_GRPC_PORT = 8001
DNS_PORT = 53
INSTANCE_METADATA_CIDR = "169.254.169.254/32"  # IMDS: the node's instance principal certificates and tokens
INSTANCE_METADATA_PORT = 80
# One high, non-root uid/gid for every container: none of the images needs its own. orthancteam/orthanc's user
# `orthanc` (uid 999) only owns the paths its entrypoint writes (orthanc-builder docker/orthanc/Dockerfile at
# tag 25.1.1, lines 369-381); here each of those paths is an emptyDir (ORTHANC_WRITABLE_PATHS), writable through
# fsGroup whatever the uid. The OCI CLI image installs the CLI system-wide (oracle/docker-images
# OracleCloudInfrastructure/oci-cli/Dockerfile) and only needs a writable $HOME; psql and Triton run as any uid.
RUN_AS_USER = 10001
ORTHANC_PLUGIN_COPIES = "/run/orthanc/plugins"
ORTHANC_PLUGIN_DIRECTORIES = (ORTHANC_PLUGIN_COPIES, "/usr/share/orthanc/plugins")
"""The image's own "Plugins" (orthanc-defaults.json): Orthanc must load the plugins from where the configurator
copied them on a read-only root file system, so the OKE configuration names the same directories."""
ORTHANC_WRITABLE_PATHS: Mapping[str, str] = {
    # generateConfiguration.py lines 85-87 writes the merged configuration to /tmp/orthanc.json (the image's CMD,
    # Dockerfile line 353); Orthanc's temporary files go to the system temp directory.
    "/tmp": "256Mi",
    # configurator.py lines 171-184 (mergeConfigFromDefaults, moveSoFiles=True): each enabled plugin's .so is
    # hard-linked, or copied across devices, from /usr/share/orthanc/plugins-available into /run/orthanc/plugins
    # when that directory exists, else into /usr/share/orthanc/plugins on the (read-only) root file system.
    # orthanc-defaults.json lists /run/orthanc/plugins first in "Plugins".
    ORTHANC_PLUGIN_COPIES: "512Mi",
    # orthanc-defaults.json: "StorageDirectory": "/var/lib/orthanc/db" (DICOM files go to Object Storage through
    # the S3 plugin; Orthanc still opens the directory).
    "/var/lib/orthanc/db": "1Gi",
}
"""Every path the orthancteam/orthanc image writes at start or at run time (orthanc-server/orthanc-builder, tag
25.1.1, docker/orthanc/), each an emptyDir of this size limit in the Orthanc container. /etc/hostid is the one
file it writes outside them (docker-entrypoint.sh lines 17-26): see ORTHANC_IMAGE_ENV."""
HOST_ID_FILE = "/etc/hostid"
ORTHANC_IMAGE_ENV = {"GENERATE_HOST_ID_IF_MISSING": "false", "PYTHONDONTWRITEBYTECODE": "1"}
"""Environment that keeps the image's start-up off the read-only root file system.

docker-entrypoint.sh lines 17-26 rewrites /etc/hostid (the image ships it holding `not-generated`, Dockerfile line
380) unless GENERATE_HOST_ID_IF_MISSING is false and FORCE_HOST_ID unset: on a read-only root file system that
write fails and `set -o errexit` stops the container. The pod writes a random host id per pod in an init container
instead and mounts it read-only at /etc/hostid: DCMTK puts gethostid() into every UID Orthanc generates, next to
the pid and the time, so replicas sharing the image's constant could generate the same UIDs.
PYTHONDONTWRITEBYTECODE: the configurator (python3 in /startup) does not try to write bytecode next to itself."""
# The entrypoint's own generator (docker-entrypoint.sh line 22), run by an init container into HOST_ID_DIRECTORY.
HOST_ID_DIRECTORY = "/hostid"
HOST_ID_SCRIPT = f"printf '%x\\n' \"$(shuf -i 268435456-4294967295 -n 1)\" > {HOST_ID_DIRECTORY}/hostid"


@dataclass(frozen=True)
class BalancerPlacement:
    """Where the cloud controller puts Orthanc's internal network load balancer: the workers tier's subnet and
    NSG (`KubernetesWorkloadsArgs.workers_subnet`), resolved to plain ids because the manifests are plain data."""

    subnet_id: str
    nsg_id: str


def balancer_annotations(placement: BalancerPlacement) -> dict[str, str]:
    """The Orthanc Service's annotations: an internal network load balancer in `placement`, its security rules
    left to the stack's NSGs."""
    return {
        NLB_TYPE_ANNOTATION: "nlb",
        NLB_INTERNAL_ANNOTATION: "true",
        NLB_SUBNET_ANNOTATION: placement.subnet_id,
        NLB_NSG_ANNOTATION: placement.nsg_id,
        **dict.fromkeys(NLB_SECURITY_RULE_ANNOTATIONS, "None"),
    }


@dataclass(frozen=True)
class InferenceSpec:
    """The GPU inference server next to Orthanc."""

    image: str
    """Inference server image, pinned."""
    replicas: int = 1
    gpus_per_pod: int = 1


@dataclass(frozen=True)
class WorkloadSpec:
    """Everything the manifests depend on, as plain values (the component resolves Pulumi outputs first)."""

    namespace: str
    orthanc_image: str
    secrets_fetcher_image: str
    replicas: int
    config_json: str
    """The rendered Orthanc configuration (`DatabaseServerIdentifier` = SERVER_ID_REFERENCE)."""
    access_script: str
    """The rendered Lua filter enforcing each user's role, mounted beside the configuration."""
    command: tuple[str, ...]
    """Orthanc's container command: the renderer's secret-loading entrypoint wrapped around the image's own."""
    secret_files: tuple[SecretFile, ...]
    """The secret files the rendered configuration needs (RenderedOrthancConfig.secret_files)."""
    secret_ids: Mapping[str, str]
    """Vault secret OCID per secret file (Orthanc's and the bootstrap's), keyed by the file's variable."""
    bootstrap_image: str
    """PostgreSQL client image of the database bootstrap, pinned."""
    bootstrap_script: str
    """The database bootstrap's POSIX sh script (components/data/database_bootstrap.py)."""
    bootstrap_secret_files: tuple[SecretFile, ...]
    """Secret files only the bootstrap reads (the administrator's password), outside Orthanc's volume."""
    bootstrap_directory: str
    """Where the bootstrap writes its PGPASSFILE and marker (memory-backed)."""
    probe_user: str
    """Orthanc user whose password file the readiness probe uses."""
    cpu: str
    """CPU request and limit (Kubernetes units; one OCI OCPU is two vCPUs)."""
    memory: str
    """Memory request and limit."""
    ingress_cidrs: tuple[str, ...]
    """Sources allowed to reach Orthanc: the workers (the cluster's network load balancer forwards through the
    nodes)."""
    database_cidr: str
    modality_cidrs: tuple[str, ...]
    """Networks of the modalities Orthanc sends C-MOVE results to."""
    modality_ports: tuple[int, ...]
    balancer: BalancerPlacement
    """The internal network load balancer the cloud controller creates for the Orthanc Service."""
    max_replicas: int | None = None
    """Set: a CPU HorizontalPodAutoscaler between `replicas` and this."""
    inference: InferenceSpec | None = None


def _labels(app: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "dicomstore"}


def _metadata(name: str, spec: WorkloadSpec) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": spec.namespace,
        "labels": {"app.kubernetes.io/component": name, "app.kubernetes.io/part-of": "dicomstore"},
    }


def _container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _pod_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "fsGroup": RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _volume_name(path: str) -> str:
    """`/run/orthanc/plugins` -> `run-orthanc-plugins`."""
    return path.strip("/").replace("/", "-")


def _resources(cpu: str, memory: str, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    # Requests equal limits: Guaranteed QoS, so Orthanc is the last to be evicted under node pressure.
    amounts = {"cpu": cpu, "memory": memory, **(extra or {})}
    return {"requests": dict(amounts), "limits": dict(amounts)}


def _spread(app: str) -> list[dict[str, Any]]:
    selector = {"matchLabels": _labels(app)}
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": selector,
        },
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": selector,
        },
    ]


def readiness_script(user: str, password_file: str, port: int = ORTHANC_HTTP_PORT) -> str:
    """Python for the readiness probe: an authenticated GET /system. Orthanc answers 401 without credentials
    whatever its state, but 503 with them while its PostgreSQL index is unreachable, so a replica that cannot
    store leaves the Service's endpoints (and so the load balancer) until its database is back."""
    return (
        "import base64, urllib.request\n"
        f"password = open({password_file!r}).read()\n"
        f"token = base64.b64encode(({user!r} + ':' + password).encode()).decode()\n"
        f"request = urllib.request.Request('http://127.0.0.1:{port}/system', "
        "headers={'Authorization': 'Basic ' + token})\n"
        "urllib.request.urlopen(request, timeout=4).read()\n"
    )


def readiness_command(spec: WorkloadSpec) -> list[str]:
    """The readiness probe's command, with the probe user's password file."""
    wanted = user_password_env_var(spec.probe_user)
    password_file = next(secret.path for secret in spec.secret_files if secret.env_var == wanted)
    return ["python3", "-c", readiness_script(spec.probe_user, password_file)]


def config_checksum(config_json: str) -> str:
    """Pod template annotation: a configuration change rolls the pods."""
    return hashlib.sha256(config_json.encode()).hexdigest()


def _orthanc_statefulset(spec: WorkloadSpec) -> Manifest:
    secrets_volume = {"name": "secrets", "mountPath": SECRETS_DIRECTORY}
    fetched = (*spec.bootstrap_secret_files, *spec.secret_files)
    admin_volume = {"name": "db-admin", "mountPath": secrets_directory(spec.bootstrap_secret_files)}
    init_env = [
        {"name": "HOME", "value": "/tmp"},  # the CLI writes its cache under $HOME
        *({"name": name, "value": value} for name, value in fetcher_environment(fetched, spec.secret_ids).items()),
    ]
    # The fetch script both runtimes share, signed as the worker node. No ready marker: the kubelet starts the next
    # init container (the database bootstrap), and Orthanc after it, only once the fetcher has exited 0.
    fetch_script = render_fetch_script(
        spec.secret_files, spec.bootstrap_secret_files, auth="instance_principal", ready_marker=False
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _metadata(ORTHANC, spec),
        "spec": {
            "serviceName": f"{ORTHANC}-headless",
            "replicas": spec.replicas,
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": _labels(ORTHANC)},
            "template": {
                "metadata": {
                    "labels": _labels(ORTHANC),
                    "annotations": {"dicomstore/config-sha256": config_checksum(spec.config_json + spec.access_script)},
                },
                "spec": {
                    "serviceAccountName": ORTHANC,
                    "automountServiceAccountToken": False,
                    "securityContext": _pod_security(),
                    "terminationGracePeriodSeconds": 60,
                    "topologySpreadConstraints": _spread(ORTHANC),
                    "initContainers": [
                        {
                            "name": "fetch-secrets",
                            "image": spec.secrets_fetcher_image,
                            "command": ["/bin/sh", "-c", fetch_script],
                            "env": init_env,
                            "resources": _resources("250m", "256Mi"),
                            "securityContext": _container_security(),
                            "volumeMounts": [
                                secrets_volume,
                                admin_volume,
                                {"name": _volume_name("/tmp"), "mountPath": "/tmp"},
                            ],
                        },
                        {
                            "name": "db-bootstrap",
                            "image": spec.bootstrap_image,
                            "command": ["/bin/sh", "-c", spec.bootstrap_script],
                            "resources": _resources("100m", "64Mi"),
                            "securityContext": _container_security(),
                            "volumeMounts": [
                                {**secrets_volume, "readOnly": True},
                                {**admin_volume, "readOnly": True},
                                {"name": "db-bootstrap", "mountPath": spec.bootstrap_directory},
                            ],
                        },
                        {
                            "name": "host-id",
                            "image": spec.orthanc_image,  # has the entrypoint's shuf; already pulled for Orthanc
                            "command": ["/bin/sh", "-c", HOST_ID_SCRIPT],
                            "resources": _resources("50m", "16Mi"),
                            "securityContext": _container_security(),
                            "volumeMounts": [{"name": "host-id", "mountPath": HOST_ID_DIRECTORY}],
                        },
                    ],
                    "containers": [
                        {
                            "name": ORTHANC,
                            "image": spec.orthanc_image,
                            "command": list(spec.command),
                            "env": [
                                {"name": SERVER_ID_ENV, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                                *({"name": name, "value": value} for name, value in ORTHANC_IMAGE_ENV.items()),
                            ],
                            "ports": [
                                {"name": "http", "containerPort": ORTHANC_HTTP_PORT, "protocol": "TCP"},
                                {"name": "dicom", "containerPort": DICOM_PORT, "protocol": "TCP"},
                            ],
                            "startupProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 5, "failureThreshold": 60},
                            "readinessProbe": {
                                "exec": {"command": readiness_command(spec)},
                                "periodSeconds": 10,
                                "timeoutSeconds": 5,
                                "failureThreshold": 3,
                            },
                            "livenessProbe": {
                                "tcpSocket": {"port": "http"},
                                "periodSeconds": 20,
                                "timeoutSeconds": 5,
                                "failureThreshold": 3,
                            },
                            "lifecycle": {"preStop": {"exec": {"command": ["sleep", "15"]}}},
                            "resources": _resources(spec.cpu, spec.memory),
                            "securityContext": _container_security(),
                            "volumeMounts": [
                                {"name": "config", "mountPath": posixpath.dirname(CONFIG_PATH), "readOnly": True},
                                {**secrets_volume, "readOnly": True},
                                {"name": "host-id", "mountPath": HOST_ID_FILE, "subPath": "hostid", "readOnly": True},
                                *({"name": _volume_name(path), "mountPath": path} for path in ORTHANC_WRITABLE_PATHS),
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "config", "configMap": {"name": f"{ORTHANC}-config"}},
                        # tmpfs: secrets never touch the node's disk.
                        {"name": "secrets", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                        {"name": "db-admin", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                        {"name": "db-bootstrap", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                        {"name": "host-id", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                        *(
                            {"name": _volume_name(path), "emptyDir": {"sizeLimit": size}}
                            for path, size in ORTHANC_WRITABLE_PATHS.items()
                        ),
                    ],
                },
            },
        },
    }


def _network_policies(spec: WorkloadSpec) -> dict[str, Manifest]:
    def port(number: int, protocol: str = "TCP") -> dict[str, Any]:
        return {"port": number, "protocol": protocol}

    def policy(name: str, body: dict[str, Any]) -> Manifest:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _metadata(name, spec),
            "spec": body,
        }

    dns = {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
        "ports": [port(DNS_PORT, "UDP"), port(DNS_PORT)],
    }
    orthanc_pods = {"podSelector": {"matchLabels": _labels(ORTHANC)}}
    orthanc_ingress: list[dict[str, Any]] = [
        {
            "from": [{"ipBlock": {"cidr": cidr}} for cidr in spec.ingress_cidrs],
            "ports": [port(ORTHANC_HTTP_PORT), port(DICOM_PORT)],
        },
    ]
    orthanc_egress: list[dict[str, Any]] = [
        dns,
        {"to": [{"ipBlock": {"cidr": spec.database_cidr}}], "ports": [port(POSTGRES_PORT)]},
        {"to": [{"ipBlock": {"cidr": INSTANCE_METADATA_CIDR}}], "ports": [port(INSTANCE_METADATA_PORT)]},
        # Vault and Object Storage are reached over the service gateway, whose addresses are Oracle's public
        # ranges: the route table and the pods NSG keep this from being the internet.
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [port(HTTPS_PORT)]},
    ]
    if spec.modality_cidrs:
        orthanc_egress.append(
            {
                "to": [{"ipBlock": {"cidr": cidr}} for cidr in spec.modality_cidrs],
                "ports": [port(number) for number in sorted(set(spec.modality_ports))],
            }
        )
    policies = {
        "default-deny": policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        "orthanc-network": policy(
            f"{ORTHANC}-network",
            {
                "podSelector": orthanc_pods["podSelector"],
                "policyTypes": ["Ingress", "Egress"],
                "ingress": orthanc_ingress,
                "egress": orthanc_egress,
            },
        ),
    }
    if spec.inference is not None:
        inference_pods = {"podSelector": {"matchLabels": _labels(INFERENCE)}}
        orthanc_ingress.append({"from": [inference_pods], "ports": [port(ORTHANC_HTTP_PORT)]})
        orthanc_egress.append({"to": [inference_pods], "ports": [port(INFERENCE_HTTP_PORT), port(INFERENCE_GRPC_PORT)]})
        policies["inference-network"] = policy(
            f"{INFERENCE}-network",
            {
                "podSelector": inference_pods["podSelector"],
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [orthanc_pods], "ports": [port(INFERENCE_HTTP_PORT), port(INFERENCE_GRPC_PORT)]}],
                "egress": [dns, {"to": [orthanc_pods], "ports": [port(ORTHANC_HTTP_PORT)]}],
            },
        )
    return policies


def _inference_manifests(spec: WorkloadSpec, inference: InferenceSpec) -> dict[str, Manifest]:
    gpu = {"nvidia.com/gpu": str(inference.gpus_per_pod)}
    deployment: Manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(INFERENCE, spec),
        "spec": {
            "replicas": inference.replicas,
            "selector": {"matchLabels": _labels(INFERENCE)},
            "template": {
                "metadata": {"labels": _labels(INFERENCE)},
                "spec": {
                    "serviceAccountName": INFERENCE,
                    "automountServiceAccountToken": False,
                    "securityContext": _pod_security(),
                    "nodeSelector": {"dicomstore/pool": "gpu"},
                    "tolerations": [
                        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
                    ],
                    "topologySpreadConstraints": _spread(INFERENCE),
                    "containers": [
                        {
                            "name": INFERENCE,
                            "image": inference.image,
                            # Models are loaded through Triton's repository API by the AI pipeline.
                            "args": [
                                "tritonserver",
                                "--model-repository=/models",
                                "--model-control-mode=explicit",
                                "--strict-readiness=false",
                            ],
                            "ports": [
                                {"name": "http", "containerPort": INFERENCE_HTTP_PORT, "protocol": "TCP"},
                                {"name": "grpc", "containerPort": INFERENCE_GRPC_PORT, "protocol": "TCP"},
                            ],
                            "readinessProbe": {
                                "httpGet": {"path": "/v2/health/ready", "port": "http"},
                                "periodSeconds": 10,
                            },
                            "livenessProbe": {
                                "httpGet": {"path": "/v2/health/live", "port": "http"},
                                "periodSeconds": 20,
                            },
                            "resources": _resources("4", "32Gi", gpu),
                            "securityContext": _container_security(),
                            "volumeMounts": [
                                {"name": "models", "mountPath": "/models"},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "models", "emptyDir": {"sizeLimit": "50Gi"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
                    ],
                },
            },
        },
    }
    service: Manifest = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(INFERENCE, spec),
        "spec": {
            "type": "ClusterIP",
            "selector": _labels(INFERENCE),
            "ports": [
                {"name": "http", "port": INFERENCE_HTTP_PORT, "targetPort": "http", "protocol": "TCP"},
                {"name": "grpc", "port": INFERENCE_GRPC_PORT, "targetPort": "grpc", "protocol": "TCP"},
            ],
        },
    }
    account: Manifest = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(INFERENCE, spec),
        "automountServiceAccountToken": False,
    }
    return {"inference-service-account": account, "inference": deployment, "inference-service": service}


def workload_manifests(spec: WorkloadSpec) -> dict[str, Manifest]:
    """Every manifest of the namespace, keyed by role, in apply order."""
    enforce = {
        f"pod-security.kubernetes.io/{mode}{suffix}": value
        for mode in ("enforce", "audit", "warn")
        for suffix, value in (("", "restricted"), ("-version", POD_SECURITY_VERSION))
    }
    manifests: dict[str, Manifest] = {
        "namespace": {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": spec.namespace, "labels": {**enforce, "app.kubernetes.io/part-of": "dicomstore"}},
        },
        # Orthanc never talks to the Kubernetes API: no token in its pods.
        "orthanc-service-account": {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _metadata(ORTHANC, spec),
            "automountServiceAccountToken": False,
        },
        "orthanc-config": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _metadata(f"{ORTHANC}-config", spec),
            "data": {
                posixpath.basename(CONFIG_PATH): spec.config_json,
                posixpath.basename(ACCESS_SCRIPT_PATH): spec.access_script,
            },
        },
        **_network_policies(spec),
        "orthanc-headless": {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _metadata(f"{ORTHANC}-headless", spec),
            "spec": {
                "clusterIP": "None",
                "selector": _labels(ORTHANC),
                "ports": [{"name": "http", "port": ORTHANC_HTTP_PORT, "targetPort": "http", "protocol": "TCP"}],
            },
        },
        "orthanc-service": {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {**_metadata(ORTHANC, spec), "annotations": balancer_annotations(spec.balancer)},
            "spec": {
                "type": "LoadBalancer",
                # Any node forwards to a ready pod: the balancer's health check on a node stays green while the
                # node is healthy, whichever node the pods run on.
                "externalTrafficPolicy": "Cluster",
                "selector": _labels(ORTHANC),
                "ports": [
                    {"name": "http", "port": ORTHANC_HTTP_PORT, "targetPort": "http", "protocol": "TCP"},
                    {"name": "dicom", "port": DICOM_PORT, "targetPort": "dicom", "protocol": "TCP"},
                ],
            },
        },
        "orthanc": _orthanc_statefulset(spec),
        "orthanc-pdb": {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _metadata(f"{ORTHANC}-pdb", spec),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _labels(ORTHANC)}},
        },
    }
    if spec.max_replicas is not None:
        manifests["orthanc-autoscaler"] = {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": _metadata(f"{ORTHANC}-autoscaler", spec),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": ORTHANC},
                "minReplicas": spec.replicas,
                "maxReplicas": spec.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                    }
                ],
                # Scale in slowly: a replica leaving drops its DIMSE associations.
                "behavior": {
                    "scaleDown": {
                        "stabilizationWindowSeconds": 600,
                        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
                    }
                },
            },
        }
    if spec.inference is not None:
        manifests.update(_inference_manifests(spec, spec.inference))
    return manifests


def workload_roles(autoscaling: bool, inference: bool) -> dict[str, str]:
    """Role -> kind of `workload_manifests`' result, known before any Pulumi output resolves (the component
    declares one resource per role up front)."""
    roles = (
        ("namespace", "Namespace", True),
        ("orthanc-service-account", "ServiceAccount", True),
        ("orthanc-config", "ConfigMap", True),
        ("default-deny", "NetworkPolicy", True),
        ("orthanc-network", "NetworkPolicy", True),
        ("inference-network", "NetworkPolicy", inference),
        ("orthanc-headless", "Service", True),
        ("orthanc-service", "Service", True),
        ("orthanc", "StatefulSet", True),
        ("orthanc-pdb", "PodDisruptionBudget", True),
        ("orthanc-autoscaler", "HorizontalPodAutoscaler", autoscaling),
        ("inference-service-account", "ServiceAccount", inference),
        ("inference", "Deployment", inference),
        ("inference-service", "Service", inference),
    )
    return {role: kind for role, kind, declared in roles if declared}
