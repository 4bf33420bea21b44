"""Kubernetes workloads: every manifest valid for the cluster's version, restricted pods, no secret values,
one DatabaseServerIdentifier per replica, and the private load balancer in front of the cluster's network load
balancer."""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import kubernetes_validate
import pulumi
import pytest

from components.config.schema import StackConfig, orthanc_fleet
from components.dicom_store import DicomStore, DicomStoreArgs
from components.edge import edge_workload
from components.orthanc.kubernetes_manifests import (
    HOST_ID_DIRECTORY,
    HOST_ID_FILE,
    ORTHANC_IMAGE_ENV,
    ORTHANC_WRITABLE_PATHS,
    RUN_AS_USER,
    SERVER_ID_ENV,
    SERVER_ID_REFERENCE,
    BalancerPlacement,
    Manifest,
    config_checksum,
    workload_manifests,
    workload_roles,
)
from components.orthanc.kubernetes_workloads import KubernetesWorkloads, KubernetesWorkloadsArgs, workload_spec
from components.orthanc.oke import GPU_TAINT, POOL_LABEL
from components.orthanc.orthanc_config import OrthancConfigError, PostgresEndpoint
from components.orthanc.orthanc_runtime import OrthancDataTier, OrthancIndex, ResolvedDataTier
from components.orthanc.secret_fetch import READY_MARKER, render_fetch_script
from components.scope import TierSubnet
from offline.oke_catalog import service_status
from offline.provider_outputs import created_state
from offline.redact import is_secret
from tests.support import SCOPE, Recorded, record, stack_config

SECRET = "ocid1.vaultsecret.oc1.eu-frankfurt-1.amaaaaaa{}00000000000000000000000000000000000000"
KUBECONFIG_TOKEN = "sentinel-kubeconfig-token"
KUBECONFIG = f"apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: {KUBECONFIG_TOKEN}\n"
WORKERS_SUBNET = "ocid1.subnet.oc1.eu-frankfurt-1.okeworkers"
WORKERS_NSG = "ocid1.networksecuritygroup.oc1.eu-frankfurt-1.okeworkers"
PLACEMENT = BalancerPlacement(WORKERS_SUBNET, WORKERS_NSG)
WORKERS = TierSubnet(WORKERS_SUBNET, WORKERS_NSG)
DEPLOYERS = "10.0.8.0/24"  # network.deployerCidrs: required with the OKE runtime
SECRET_IDS = {
    "ORTHANC_DB_PASSWORD": SECRET.format("db"),
    "DB_ADMIN_PASSWORD": SECRET.format("dbadmin"),
    "ORTHANC_S3_ACCESS_KEY": SECRET.format("s3a"),
    "ORTHANC_S3_SECRET_KEY": SECRET.format("s3s"),
    "ORTHANC_USER_ADMIN_PASSWORD": SECRET.format("admin"),
    "ORTHANC_USER_RADIOLOGIST_PASSWORD": SECRET.format("radio"),
}
MAX_CONNECTIONS = 200
RESOLVED = ResolvedDataTier(
    postgres=PostgresEndpoint(
        host="10.20.3.5", port=5432, database="orthanc", username="orthanc", max_connections=MAX_CONNECTIONS
    ),
    admin_username="orthanc_admin",
    bootstrap_image="postgres:15.8-alpine3.20",
    namespace="axoffline1234",
    bucket="dicomstore-test-dicom",
    secret_ids=SECRET_IDS,
)
DATA = OrthancDataTier(
    index=OrthancIndex(
        namespace=RESOLVED.namespace,
        bucket_name=RESOLVED.bucket,
        s3_secret_key_secret_id=SECRET_IDS["ORTHANC_S3_SECRET_KEY"],
        db_host=RESOLVED.postgres.host,
        db_port=RESOLVED.postgres.port,
        database_name=RESOLVED.postgres.database,
        db_username=RESOLVED.postgres.username,
        db_admin_username=RESOLVED.admin_username,
        db_admin_password_secret_id=SECRET_IDS["DB_ADMIN_PASSWORD"],
        db_bootstrap_image=RESOLVED.bootstrap_image,
        db_max_connections=MAX_CONNECTIONS,
    ),
    s3_access_key_secret_id=SECRET_IDS["ORTHANC_S3_ACCESS_KEY"],
    db_password_secret_id=SECRET_IDS["ORTHANC_DB_PASSWORD"],
    user_password_secret_ids={
        "admin": SECRET_IDS["ORTHANC_USER_ADMIN_PASSWORD"],
        "radiologist": SECRET_IDS["ORTHANC_USER_RADIOLOGIST_PASSWORD"],
    },
)
PSS_VOLUME_TYPES = {"configMap", "emptyDir", "secret", "projected", "downwardAPI", "persistentVolumeClaim", "csi"}
K8S_PREFIX = "kubernetes:"
ORTHANC_CONTAINER = "orthanc"


def _config(gpu: bool = True, max_replicas: int | None = 6) -> StackConfig:
    return stack_config(
        orthanc={
            "runtime": "oke",
            "replicas": 3,
            "users": ["admin", "radiologist"],
            "userRoles": {"admin": "administrator", "radiologist": "reader"},
            "allowedModalities": [
                {"aet": "CT_MAIN", "host": "10.1.1.10"},
                {"aet": "MR_MAIN", "host": "mr.hospital.example", "port": 11112},
            ],
        },
        oke={"gpuPoolEnabled": gpu, "orthancMaxReplicas": max_replicas},
        network={"deployerCidrs": [DEPLOYERS]},
    )


def _args(config: StackConfig, **overrides: Any) -> KubernetesWorkloadsArgs:
    values: dict[str, Any] = {
        "orthanc": config.orthanc,
        "oke": config.oke,
        "peak_replicas": orthanc_fleet(config).peak_replicas,
        "subnets": config.network.subnets,
        "hospital_cidrs": list(config.network.on_prem_cidrs),
        "scope": SCOPE,
        "kubeconfig": KUBECONFIG,
        "workers_subnet": WORKERS,
        "data": DATA,
    }
    return KubernetesWorkloadsArgs(**{**values, **overrides})


def _manifests(gpu: bool = True, max_replicas: int | None = 6) -> dict[str, Manifest]:
    config = _config(gpu, max_replicas)
    return workload_manifests(workload_spec(_args(config), RESOLVED, PLACEMENT))


def _pod_specs(manifests: dict[str, Manifest]) -> Iterator[tuple[str, dict[str, Any]]]:
    for role, manifest in manifests.items():
        if manifest["kind"] in ("StatefulSet", "Deployment"):
            yield role, manifest["spec"]["template"]["spec"]


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    config = _config()

    def program() -> None:
        # The Oke block hands the kubeconfig over as a secret output.
        runtime = KubernetesWorkloads("t-k8s", _args(config, kubeconfig=pulumi.Output.secret(KUBECONFIG)))
        pulumi.export("backends", [[b.ip_address, b.http_port, b.dicom_port] for b in runtime.backends])

    return record(program)


# --- the manifests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("gpu", "max_replicas"), [(True, 6), (True, None), (False, 6), (False, None)])
def test_every_manifest_is_valid_for_the_clusters_kubernetes_version(gpu: bool, max_replicas: int | None) -> None:
    version = _config(gpu, max_replicas).oke.kubernetes_version.removeprefix("v")
    manifests = _manifests(gpu, max_replicas)
    for manifest in manifests.values():
        kubernetes_validate.validate(manifest, version, strict=True)
    assert {role: m["kind"] for role, m in manifests.items()} == workload_roles(max_replicas is not None, gpu)


def test_validation_catches_a_broken_manifest() -> None:
    statefulset = _manifests()["orthanc"]
    statefulset["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8042"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(statefulset, "1.31.1", strict=True)


def test_namespace_enforces_restricted_pod_security() -> None:
    labels = _manifests()["namespace"]["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_every_pod_meets_the_restricted_profile() -> None:
    manifests = _manifests()
    pods = dict(_pod_specs(manifests))
    assert set(pods) == {"orthanc", "inference"}
    # Neither workload talks to the Kubernetes API: no service account token anywhere.
    accounts = {m["metadata"]["name"]: m for m in manifests.values() if m["kind"] == "ServiceAccount"}
    assert set(accounts) == set(pods)
    for role, pod in pods.items():
        assert pod["serviceAccountName"] == role, role
        # A pod's own setting wins over its service account's.
        automount = pod.get("automountServiceAccountToken", accounts[role]["automountServiceAccountToken"])
        assert automount is False, role
        assert pod["securityContext"]["runAsNonRoot"] is True, role
        assert pod["securityContext"]["runAsUser"] != 0, role
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, role
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
        for volume in pod["volumes"]:
            assert set(volume) - {"name"} <= PSS_VOLUME_TYPES, volume
        assert "hostNetwork" not in pod and "hostPID" not in pod


def test_each_replica_gets_its_own_database_server_identifier() -> None:
    manifests = _manifests()
    statefulset = manifests["orthanc"]
    assert statefulset["kind"] == "StatefulSet"
    config = json.loads(manifests["orthanc-config"]["data"]["dicomstore.json"])
    assert config["DatabaseServerIdentifier"] == SERVER_ID_REFERENCE == "${" + SERVER_ID_ENV + "}"
    (orthanc,) = statefulset["spec"]["template"]["spec"]["containers"]
    assert {"name": SERVER_ID_ENV, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in orthanc["env"]
    # Shared index: no lock, no persisted jobs (the autoscaler may run several replicas).
    assert config["PostgreSQL"]["Lock"] is False
    assert config["SaveJobs"] is False


def test_database_connection_budget_counts_the_autoscalers_maximum() -> None:
    config = _config(max_replicas=32)  # 32 x 5 connections do not fit 100
    small = replace(RESOLVED, postgres=replace(RESOLVED.postgres, max_connections=100))
    with pytest.raises(OrthancConfigError, match="replica_count x index_connections_count = 160"):
        workload_spec(_args(config), small, PLACEMENT)
    workload_spec(_args(_config(max_replicas=None)), small, PLACEMENT)


def test_orthanc_pods_spread_over_zones_and_hosts() -> None:
    pod = _manifests()["orthanc"]["spec"]["template"]["spec"]
    zone, host = pod["topologySpreadConstraints"]
    assert zone["topologyKey"] == "topology.kubernetes.io/zone"
    assert zone["whenUnsatisfiable"] == "DoNotSchedule" and zone["maxSkew"] == 1
    assert zone["labelSelector"]["matchLabels"] == _manifests()["orthanc"]["spec"]["selector"]["matchLabels"]
    assert host["topologyKey"] == "kubernetes.io/hostname"


def test_probes_resources_and_disruption_budget() -> None:
    manifests = _manifests()
    (orthanc,) = manifests["orthanc"]["spec"]["template"]["spec"]["containers"]
    assert orthanc["livenessProbe"]["tcpSocket"] == {"port": "http"}
    readiness = orthanc["readinessProbe"]["exec"]["command"]
    assert readiness[0] == "python3" and "/run/secrets/orthanc-user-admin-password" in readiness[2]
    assert "http://127.0.0.1:8042/system" in readiness[2]
    # Guaranteed QoS from orthanc.ocpus (1 OCPU = 2 vCPUs) and orthanc.memoryGb.
    assert orthanc["resources"]["requests"] == orthanc["resources"]["limits"] == {"cpu": "2", "memory": "8Gi"}
    assert manifests["orthanc-pdb"]["spec"] == {
        "maxUnavailable": 1,
        "selector": manifests["orthanc"]["spec"]["selector"],
    }
    autoscaler = manifests["orthanc-autoscaler"]["spec"]
    assert (autoscaler["minReplicas"], autoscaler["maxReplicas"]) == (3, 6)
    assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "orthanc"}


def test_inference_server_runs_only_on_the_tainted_gpu_pool() -> None:
    pod = _manifests()["inference"]["spec"]["template"]["spec"]
    key, _, rest = GPU_TAINT.partition("=")
    value, _, effect = rest.partition(":")
    assert pod["tolerations"] == [{"key": key, "operator": "Equal", "value": value, "effect": effect}]
    assert pod["nodeSelector"] == {POOL_LABEL: "gpu"}
    (server,) = pod["containers"]
    assert server["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert server["image"] == "nvcr.io/nvidia/tritonserver:24.10-py3"
    assert "inference" not in _manifests(gpu=False)


def test_network_policies_deny_by_default_and_admit_only_the_load_balancer_path() -> None:
    manifests = _manifests()
    assert manifests["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    orthanc = manifests["orthanc-network"]["spec"]
    subnets = _config().network.subnets
    from_lb = orthanc["ingress"][0]
    # Only the nodes: the private load balancer's traffic comes through the cluster's network load balancer and
    # kube-proxy, which masquerades it to the node's address.
    assert [peer["ipBlock"]["cidr"] for peer in from_lb["from"]] == [subnets.oke_workers]
    assert {port["port"] for port in from_lb["ports"]} == {8042, 4242}
    # Egress anywhere exactly once, on HTTPS only (Vault and Object Storage through the service gateway);
    # PostgreSQL only to the database tier.
    anywhere = [
        rule
        for rule in orthanc["egress"]
        if any(ipaddress.ip_network(peer["ipBlock"]["cidr"]).prefixlen == 0 for peer in rule["to"] if "ipBlock" in peer)
    ]
    assert anywhere == [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]
    database_rule = next(rule for rule in orthanc["egress"] if rule["ports"] == [{"port": 5432, "protocol": "TCP"}])
    assert database_rule["to"] == [{"ipBlock": {"cidr": subnets.db}}]
    modality_rule = orthanc["egress"][-2]
    assert {"ipBlock": {"cidr": "10.1.1.10/32"}} in modality_rule["to"]
    assert {port["port"] for port in modality_rule["ports"]} == {104, 11112}


def test_secrets_come_from_vault_by_ocid_only() -> None:
    manifests = _manifests()
    assert not [m for m in manifests.values() if m["kind"] == "Secret"]
    fetcher, bootstrap, _host_id = manifests["orthanc"]["spec"]["template"]["spec"]["initContainers"]
    env = {item["name"]: item["value"] for item in fetcher["env"]}
    secret_ids = {name: value for name, value in env.items() if name.endswith("_SECRET_OCID")}
    assert sorted(secret_ids.values()) == sorted(SECRET_IDS.values())
    fetches = [line for line in fetcher["command"][2].splitlines() if line.startswith("fetch ")]
    assert len(fetches) == len(secret_ids) == 6
    assert 'fetch "$ORTHANC_DB_PASSWORD_SECRET_OCID" /run/secrets/orthanc-db-password' in fetches
    assert fetches[0] == 'fetch "$DB_ADMIN_PASSWORD_SECRET_OCID" /run/db-admin/db-admin-password'
    assert "env" not in bootstrap
    (volume,) = [v for v in manifests["orthanc"]["spec"]["template"]["spec"]["volumes"] if v["name"] == "secrets"]
    assert volume["emptyDir"]["medium"] == "Memory"
    config = json.loads(manifests["orthanc-config"]["data"]["dicomstore.json"])
    assert config["PostgreSQL"]["Password"] == "${ORTHANC_DB_PASSWORD}"
    assert set(config["RegisteredUsers"].values()) == {
        "${ORTHANC_USER_ADMIN_PASSWORD}",
        "${ORTHANC_USER_RADIOLOGIST_PASSWORD}",
    }


def test_the_fetch_init_container_runs_the_shared_fetch_script_signed_as_the_worker_node() -> None:
    spec = workload_spec(_args(_config()), RESOLVED, PLACEMENT)
    fetcher = workload_manifests(spec)["orthanc"]["spec"]["template"]["spec"]["initContainers"][0]
    assert fetcher["command"][:2] == ["/bin/sh", "-c"]
    script = fetcher["command"][2]
    # The shared script (run for real in tests/test_secret_fetch.py), with the node's instance principal.
    assert script == render_fetch_script(
        spec.secret_files, spec.bootstrap_secret_files, auth="instance_principal", ready_marker=False
    )
    lines = script.splitlines()
    assert lines[:2] == ["set -eu", "umask 077"]  # files of mode 600, the pod's user only
    assert "--auth instance_principal --stage CURRENT" in script and "resource_principal" not in script
    assert '  if [ -z "$content" ]; then echo "secret-fetcher: secret $1 is empty" >&2; exit 1; fi' in lines
    decode = lines.index('  if ! printf \'%s\' "$content" | base64 -d > "$2.part"; then')
    assert lines[decode + 1].startswith('    rm -f "$2.part";') and lines[decode + 3] == '  mv "$2.part" "$2"'
    # Init containers run one after another: nothing waits for a marker, so none is written.
    assert READY_MARKER not in script and "touch" not in script
    # Read-only root file system: each file and its `.part` go to a volume the fetcher mounts writable.
    writable = {m["mountPath"] for m in fetcher["volumeMounts"] if not m.get("readOnly", False)}
    targets = [line.rsplit(" ", 1)[1] for line in lines if line.startswith("fetch ")]
    assert {posixpath.dirname(path) for path in targets} == writable - {"/tmp"}
    assert len(targets) == len(SECRET_IDS)
    # Orthanc's own secret files; the administrator's password is the bootstrap's, in a volume of its own.
    assert {secret.env_var for secret in spec.secret_files} == set(SECRET_IDS) - {"DB_ADMIN_PASSWORD"}
    assert fetcher["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "HOME", "value": "/tmp"} in fetcher["env"] and "/tmp" in writable  # the CLI's cache


def test_database_bootstrap_init_container_runs_after_the_fetcher_and_before_orthanc() -> None:
    pod = _manifests()["orthanc"]["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["fetch-secrets", "db-bootstrap", "host-id"]
    bootstrap = pod["initContainers"][1]
    assert bootstrap["image"] == RESOLVED.bootstrap_image
    script = bootstrap["command"][2]
    assert bootstrap["command"][:2] == ["/bin/sh", "-c"]
    assert f"export PGHOST={RESOLVED.postgres.host}" in script and "export PGUSER=orthanc_admin" in script
    assert "export PGSSLMODE=require" in script and "-v role=orthanc -v database=orthanc" in script
    mounts = {c["name"]: {m["name"]: (m["mountPath"], m.get("readOnly", False)) for m in c["volumeMounts"]}
              for c in [*pod["initContainers"], *pod["containers"]]}  # fmt: skip
    assert mounts["db-bootstrap"] == {
        "secrets": ("/run/secrets", True),
        "db-admin": ("/run/db-admin", True),
        "db-bootstrap": ("/run/bootstrap", False),
    }
    assert mounts["fetch-secrets"]["db-admin"] == ("/run/db-admin", False)
    assert "db-admin" not in mounts[ORTHANC_CONTAINER]  # Orthanc never sees the administrator's password
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["db-admin"]["emptyDir"]["medium"] == volumes["db-bootstrap"]["emptyDir"]["medium"] == "Memory"


def test_orthanc_connects_as_its_own_role_with_its_own_password() -> None:
    manifests = _manifests()
    config = json.loads(manifests["orthanc-config"]["data"]["dicomstore.json"])
    assert (config["PostgreSQL"]["Username"], config["PostgreSQL"]["Database"]) == ("orthanc", "orthanc")
    fetcher, _bootstrap, _host_id = manifests["orthanc"]["spec"]["template"]["spec"]["initContainers"]
    env = {item["name"]: item["value"] for item in fetcher["env"]}
    assert env["ORTHANC_DB_PASSWORD_SECRET_OCID"] == SECRET_IDS["ORTHANC_DB_PASSWORD"]
    assert env["DB_ADMIN_PASSWORD_SECRET_OCID"] == SECRET_IDS["DB_ADMIN_PASSWORD"]


# --- the recorded component ------------------------------------------------------------------------------------


def test_component_registers_exactly_the_validated_manifests(recorded: Recorded) -> None:
    expected = _manifests()
    kubernetes = [r for r in recorded if r.type.startswith(K8S_PREFIX)]
    assert len(kubernetes) == len(expected)
    for role, manifest in expected.items():
        resource = recorded.named(f"t-k8s-{role}")
        group_version = manifest["apiVersion"] if "/" in manifest["apiVersion"] else f"core/{manifest['apiVersion']}"
        assert resource.type == f"{K8S_PREFIX}{group_version}:{manifest['kind']}"
        for field, value in manifest.items():
            assert resource.inputs[field] == value, (role, field)


def test_explicit_provider_from_the_secret_kubeconfig(recorded: Recorded) -> None:
    (provider,) = recorded.of_type("pulumi:providers:kubernetes")
    assert is_secret(provider.inputs["kubeconfig"])
    assert provider.inputs["namespace"] == "dicomstore"


def test_no_secret_value_in_any_recorded_kubernetes_resource(recorded: Recorded) -> None:
    kubernetes = [resource for resource in recorded if resource.type.startswith(K8S_PREFIX)]
    assert len(kubernetes) == len(_manifests())
    for resource in kubernetes:
        text = json.dumps(resource.inputs)
        assert KUBECONFIG_TOKEN not in text, resource.urn
        assert "secretKeyRef" not in text and "stringData" not in text, resource.urn
        assert _secrets_in(resource.inputs) == [], resource.urn


def test_orthanc_service_is_an_internal_network_load_balancer_in_the_workers_tier() -> None:
    """OKE cloud controller manager annotations (oracle/oci-cloud-controller-manager load_balancer_spec.go; OKE
    "Summary of Annotations for Load Balancers and Network Load Balancers"): `load-balancer-type: nlb` makes a
    network load balancer, `internal: "true"` keeps it private, subnet and NSG place it in the workers tier, and
    management mode None leaves every security rule to the stack's NSGs. The controller keeps its backends equal
    to the cluster's nodes, so node cycling, repair and scaling need no `pulumi up`."""
    service = _manifests()["orthanc-service"]
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["metadata"]["annotations"] == {
        "oci.oraclecloud.com/load-balancer-type": "nlb",
        "oci-network-load-balancer.oraclecloud.com/internal": "true",
        "oci-network-load-balancer.oraclecloud.com/subnet": WORKERS_SUBNET,
        "oci-network-load-balancer.oraclecloud.com/oci-network-security-groups": WORKERS_NSG,
        "oci.oraclecloud.com/security-rule-management-mode": "None",
        "oci-network-load-balancer.oraclecloud.com/security-list-management-mode": "None",
    }
    # No fixed node port: nothing outside the cluster names a node any more.
    assert [(port["port"], port["targetPort"]) for port in service["spec"]["ports"]] == [
        (8042, "http"),
        (4242, "dicom"),
    ]
    assert all("nodePort" not in port for port in service["spec"]["ports"])


def test_the_runtime_hands_the_service_the_clusters_network_load_balancer(recorded: Recorded) -> None:
    """The OrthancService's private load balancer (TLS, certificate, logs, NSG: what the policy packs check) gets
    one backend: the address Kubernetes reports for the Orthanc Service, not node addresses that go stale when
    nodes are replaced. The runtime itself creates no OCI load balancer."""
    service = recorded.named("t-k8s-orthanc-service")
    (address,) = [entry["ip"] for entry in service_status(service.name, service.inputs, "eu-frankfurt-1")["status"]
                  ["loadBalancer"]["ingress"]]  # fmt: skip
    assert recorded.outputs["backends"] == [[address, 8042, 4242]]
    assert recorded.of_type("oci:LoadBalancer/loadBalancer:LoadBalancer") == []


# --- the shipped prod stack ------------------------------------------------------------------------------------


def _secrets_in(value: Any) -> list[Any]:
    if is_secret(value):
        return [value]
    if isinstance(value, dict):
        return [found for item in value.values() for found in _secrets_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in _secrets_in(item)]
    return []


def test_prod_kubernetes_resources_are_valid_for_the_clusters_version(prod_plan: Recorded) -> None:
    version = prod_plan.named("dicomstore-oke-cluster").inputs["kubernetesVersion"].removeprefix("v")
    resources = [r for r in prod_plan if r.type.startswith(K8S_PREFIX)]
    assert {r.inputs["kind"] for r in resources} >= {"Namespace", "StatefulSet", "Deployment", "NetworkPolicy"}
    for resource in resources:
        kubernetes_validate.validate(resource.inputs, version, strict=True)


def test_prod_kubernetes_resources_hold_no_secret(prod_plan: Recorded) -> None:
    for resource in prod_plan:
        if resource.type.startswith(K8S_PREFIX):
            assert _secrets_in(resource.inputs) == [], resource.urn
            assert resource.inputs["kind"] != "Secret"
    statefulset = prod_plan.named("dicomstore-orthanc-orthanc").inputs
    fetcher, bootstrap, _host_id = statefulset["spec"]["template"]["spec"]["initContainers"]
    vault_secrets = {
        created_state(r.type, r.name, r.inputs, "eu-frankfurt-1")[0]
        for r in prod_plan.of_type("oci:Vault/secret:Secret")
    }
    referenced = {item["value"] for item in fetcher["env"] if item["name"].endswith("_SECRET_OCID")}
    # Orthanc's DB role and the DB administrator (for the bootstrap), S3 access key and secret key, one password
    # per user (admin, radiologist, ai-pipeline).
    assert len(referenced) == 7 and referenced <= vault_secrets
    assert "env" not in bootstrap
    (provider,) = prod_plan.of_type("pulumi:providers:kubernetes")
    assert is_secret(provider.inputs["kubeconfig"])


def test_prod_orthanc_replicas_spread_and_served_by_the_private_load_balancer(prod_plan: Recorded) -> None:
    statefulset = prod_plan.named("dicomstore-orthanc-orthanc").inputs["spec"]
    assert statefulset["replicas"] == 3
    assert (
        statefulset["template"]["spec"]["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    )
    (balancer,) = prod_plan.of_type("oci:LoadBalancer/loadBalancer:LoadBalancer")
    assert balancer.inputs["isPrivate"] is True
    backends = [b for b in prod_plan.of_type("oci:LoadBalancer/backend:Backend") if b.inputs["port"] == 8042]
    # Pulumi.prod.yaml turns DICOM TLS on: the load balancer terminates it on 4242 towards the cluster's balancer.
    dicom = [b for b in prod_plan.of_type("oci:LoadBalancer/backend:Backend") if b.inputs["port"] == 4242]
    service = prod_plan.named("dicomstore-orthanc-orthanc-service")
    (ingress,) = service_status(service.name, service.inputs, "eu-frankfurt-1")["status"]["loadBalancer"]["ingress"]
    assert {b.inputs["ipAddress"] for b in backends + dicom} == {ingress["ip"]} and len(backends) == len(dicom) == 1
    annotations = service.inputs["metadata"]["annotations"]
    (subnet,) = [r for r in prod_plan if r.name == "dicomstore-network-oke-workers"]
    assert (
        annotations["oci-network-load-balancer.oraclecloud.com/subnet"]
        == created_state(subnet.type, subnet.name, subnet.inputs, "eu-frankfurt-1")[0]
    )
    assert prod_plan.outputs["dicomweb_url"].startswith("https://") and prod_plan.outputs["dicomweb_url"].endswith(
        "/dicom-web/"
    )
    assert prod_plan.outputs["dicom_endpoint"]["aet"] == "DICOMSTORE"


def test_prod_workloads_wait_for_the_node_pools(prod_plan: Recorded) -> None:
    pools = {pool.urn for pool in prod_plan.of_type("oci:ContainerEngine/nodePool:NodePool")}
    # Every Kubernetes resource goes through the provider, which is built from a kubeconfig that resolves only
    # once the pools exist.
    (provider,) = prod_plan.of_type("pulumi:providers:kubernetes")
    assert len(pools) == 2 and pools <= set(provider.dependencies)


def test_oke_runtime_without_gpu_pool_runs_no_inference_server() -> None:
    config = stack_config(orthanc={"runtime": "oke", "replicas": 2}, network={"deployerCidrs": [DEPLOYERS]})
    plan = record(lambda: DicomStore("dicomstore", DicomStoreArgs(config=config, name_prefix="dicomstore-test")))
    assert [pool.inputs["name"] for pool in plan.of_type("oci:ContainerEngine/nodePool:NodePool")] == [
        "dicomstore-test-cpu"
    ]
    kinds = {r.inputs["kind"] for r in plan if r.type.startswith(K8S_PREFIX)}
    assert "Deployment" not in kinds and "HorizontalPodAutoscaler" not in kinds
    assert plan.named("dicomstore-orthanc-orthanc").inputs["spec"]["replicas"] == 2
    assert not plan.of_type("oci:ContainerEngine/containerInstance:ContainerInstance")


def test_inference_deployment_runs_the_configured_replicas_one_gpu_each() -> None:
    base = _config()
    config = base.model_copy(update={"oke": base.oke.model_copy(update={"inference_replicas": 2})})
    inference = workload_manifests(workload_spec(_args(config), RESOLVED, PLACEMENT))["inference"]
    assert inference["spec"]["replicas"] == 2
    (container,) = inference["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_the_role_filter_is_mounted_beside_the_config_and_rolls_the_pods() -> None:
    """Orthanc reads `LuaScripts` from the ConfigMap's directory; a role change must restart the pods, so the
    checksum annotation covers the script too."""
    manifests = _manifests()
    data = manifests["orthanc-config"]["data"]
    config = json.loads(data["dicomstore.json"])
    assert config["LuaScripts"] == ["/etc/orthanc/access-control.lua"]
    assert '["radiologist"] = "reader"' in data["access-control.lua"]
    template = manifests["orthanc"]["spec"]["template"]
    (orthanc,) = template["spec"]["containers"]
    assert {"name": "config", "mountPath": "/etc/orthanc", "readOnly": True} in orthanc["volumeMounts"]
    annotation = template["metadata"]["annotations"]["dicomstore/config-sha256"]
    assert annotation == config_checksum(data["dicomstore.json"] + data["access-control.lua"])


# --- the orthancteam/orthanc image on a read-only root file system -------------------------------------------

# orthanc-server/orthanc-builder, tag 25.1.1, docker/orthanc/docker-entrypoint.sh lines 17-26, verbatim but for
# the file name, which the test substitutes (the image runs this under `set -o errexit`, line 2).
ENTRYPOINT_HOST_ID_BLOCK = """set -o errexit
if [[ ! -z $FORCE_HOST_ID ]];then
	echo "Forcing hostid in /etc/hostid: $FORCE_HOST_ID"
	echo $FORCE_HOST_ID > /etc/hostid
elif [[ ! $GENERATE_HOST_ID_IF_MISSING || $GENERATE_HOST_ID_IF_MISSING == true ]]; then
	if [[ ! -f /etc/hostid || $(< /etc/hostid) = 'not-generated' ]]; then
		host_id=$(printf '%x' $(shuf -i 268435456-4294967295 -n 1))
		echo "Generating random hostid in /etc/hostid: $host_id"
		echo $host_id > /etc/hostid
	fi
fi
"""


def _orthanc_pod() -> dict[str, Any]:
    pod: dict[str, Any] = _manifests()["orthanc"]["spec"]["template"]["spec"]
    return pod


def _run_entrypoint_host_id_block(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # /dev/full refuses every write (ENOSPC), as a read-only root file system refuses the write to /etc/hostid,
    # even for root (the test may run as root, which file modes would not stop).
    script = ENTRYPOINT_HOST_ID_BLOCK.replace("/etc/hostid", "/dev/full")
    environment = {"PATH": "/usr/bin:/bin", **env}
    return subprocess.run(["bash", "-c", script], check=False, env=environment, capture_output=True, text=True)


def test_every_path_the_orthanc_image_writes_is_an_emptydir_mount() -> None:
    """orthanc-builder 25.1.1: generateConfiguration.py writes /tmp/orthanc.json (lines 85-87), configurator.py
    copies the enabled plugins into /run/orthanc/plugins (lines 171-184), orthanc-defaults.json sets
    StorageDirectory /var/lib/orthanc/db. With readOnlyRootFilesystem each must be a writable emptyDir, or the
    configurator fails ("failed to install ... file") and the pod crash-loops."""
    pod = _orthanc_pod()
    (orthanc,) = pod["containers"]
    assert orthanc["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    writable = {
        mount["mountPath"]: volumes[mount["name"]]
        for mount in orthanc["volumeMounts"]
        if not mount.get("readOnly") and "emptyDir" in volumes[mount["name"]]
    }
    assert set(writable) == set(ORTHANC_WRITABLE_PATHS) == {"/tmp", "/run/orthanc/plugins", "/var/lib/orthanc/db"}
    for path, size in ORTHANC_WRITABLE_PATHS.items():
        assert writable[path]["emptyDir"] == {"sizeLimit": size}, path


def test_orthanc_loads_the_plugins_from_where_the_configurator_copied_them() -> None:
    """configurator.py lines 171-184 (orthanc-builder 25.1.1) copies each enabled plugin into /run/orthanc/plugins
    when that directory exists (the emptyDir here), and only orthanc-defaults.json's "Plugins" lists it: a
    configuration naming /usr/share/orthanc/plugins alone would start Orthanc without its PostgreSQL, S3 and
    DICOMweb plugins."""
    config = json.loads(_manifests()["orthanc-config"]["data"]["dicomstore.json"])
    assert config["Plugins"] == ["/run/orthanc/plugins", "/usr/share/orthanc/plugins"]
    assert config["Plugins"][0] in ORTHANC_WRITABLE_PATHS


def test_the_entrypoints_host_id_write_is_skipped_and_each_pod_gets_its_own_host_id() -> None:
    """docker-entrypoint.sh lines 17-26 (orthanc-builder 25.1.1) rewrites /etc/hostid, which the image ships as
    `not-generated` (Dockerfile line 380): on a read-only root file system that write kills the container. The
    pod's environment makes the block skip it, and an init container writes a per-pod host id that is mounted
    read-only over /etc/hostid."""
    pod = _orthanc_pod()
    (orthanc,) = pod["containers"]
    env = {item["name"]: item["value"] for item in orthanc["env"] if "value" in item}
    assert env.items() >= ORTHANC_IMAGE_ENV.items() and "FORCE_HOST_ID" not in env
    # The image's own entrypoint block: fails without the pod's environment, passes with it.
    failing = _run_entrypoint_host_id_block({})
    assert failing.returncode != 0 and "No space left on device" in failing.stderr
    assert _run_entrypoint_host_id_block(dict(ORTHANC_IMAGE_ENV)).returncode == 0

    (mount,) = [m for m in orthanc["volumeMounts"] if m["mountPath"] == HOST_ID_FILE]
    assert mount == {"name": "host-id", "mountPath": "/etc/hostid", "subPath": "hostid", "readOnly": True}
    *_, host_id = pod["initContainers"]
    assert host_id["image"] == orthanc["image"]
    assert host_id["volumeMounts"] == [{"name": "host-id", "mountPath": HOST_ID_DIRECTORY}]
    # The init container's script writes one id in the entrypoint's range, different from pod to pod.
    with tempfile.TemporaryDirectory() as directory:
        script = host_id["command"][2].replace(f"> {HOST_ID_DIRECTORY}/", f"> {directory}/")
        ids = set()
        for _ in range(3):
            subprocess.run([*host_id["command"][:2], script], check=True)
            ids.add(Path(directory, "hostid").read_text())
    assert all(re.fullmatch(r"[0-9a-f]{8}\n", value) for value in ids) and len(ids) == 3


def test_pods_run_as_a_high_uid_with_no_service_account_token_in_the_pod_spec() -> None:
    """Checkov CKV_K8S_40 / kube-score: uid >= 10000 keeps a container escape away from the node's own users;
    no image here needs its own uid (RUN_AS_USER's comment cites each image's source)."""
    for role, pod in _pod_specs(_manifests()):
        assert pod["automountServiceAccountToken"] is False, role
        context = pod["securityContext"]
        assert context["runAsUser"] == context["runAsGroup"] == context["fsGroup"] == RUN_AS_USER >= 10000, role
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            assert container["resources"]["requests"] and container["resources"]["limits"], container["name"]
        for container in pod["containers"]:
            assert "readinessProbe" in container and "livenessProbe" in container, container["name"]


def test_edge_inference_manifests_are_valid_restricted_and_isolated() -> None:
    """The Roving Edge Device's workload meets the same bar as the cluster's: valid for Kubernetes 1.31, a high
    non-root uid, read-only root file system, no service account token, CPU and memory requests and limits,
    both probes, and a NetworkPolicy in its namespace."""
    workload = edge_workload.InferenceWorkload(image="nvcr.io/nvidia/tritonserver:24.08-py3", bucket_name="b", gpus=1)
    manifests = edge_workload.inference_manifests(workload)
    for manifest in manifests:
        kubernetes_validate.validate(manifest, "1.31.1", strict=True)
    kinds = {manifest["kind"]: manifest for manifest in manifests}
    assert kinds["NetworkPolicy"]["metadata"]["namespace"] == kinds["Namespace"]["metadata"]["name"]
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] >= 10000
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not {"hostNetwork", "hostPID", "hostIPC"} & set(pod)
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert {"cpu", "memory"} <= set(container["resources"]["requests"]) <= set(container["resources"]["limits"])
    assert "readinessProbe" in container and "livenessProbe" in container
    assert all("hostPath" not in volume for volume in pod["volumes"])
