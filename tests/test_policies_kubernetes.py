"""Kubernetes hardening policies: each fails on a workload that breaks its rule and passes on a hardened one."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import Policy

from policies import kubernetes
from tests.policy_cases import assert_flags, record, run_policy

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
CRON_JOB = "kubernetes:batch/v1:CronJob"
DIGEST = "sha256:" + "0" * 64
PROBE = {"httpGet": {"path": "/healthz", "port": "http"}}


def _container(name: str = "app", image: str = f"registry.example/app:1.2@{DIGEST}") -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "runAsNonRoot": True},
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "livenessProbe": PROBE,
        "readinessProbe": PROBE,
    }


def _pod_spec() -> dict[str, Any]:
    return {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001},
        "containers": [_container()],
        "initContainers": [{**_container("init"), "livenessProbe": None, "readinessProbe": None}],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }


def _workload(spec: dict[str, Any], resource_type: str = DEPLOYMENT, name: str = "app") -> Any:
    pod = {"template": {"spec": spec}}
    body = {"jobTemplate": {"spec": pod}} if resource_type == CRON_JOB else pod
    return record(resource_type, name, {"metadata": {"namespace": "dicomstore"}, "spec": body})


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(spec: dict[str, Any]) -> None:
        target: Any = spec
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[keys[-1]] = value

    return mutate


CASES: list[tuple[Policy, Mutation, tuple[str, ...]]] = [
    (kubernetes.k8s_image_digest, _set("containers.0.image", "orthancteam/orthanc:25.1.1"),
     ("not pinned by digest", "orthancteam/orthanc@sha256:<digest>")),
    (kubernetes.k8s_image_digest, _set("initContainers.0.image", "postgres:15"), ("'init'",)),
    (kubernetes.k8s_no_token, _set("automountServiceAccountToken", None), ("automount_service_account_token=False",)),
    (kubernetes.k8s_no_token, _set("automountServiceAccountToken", True), ("podsNeedingApiAccess",)),
    (kubernetes.k8s_non_root_high_uid, _set("securityContext.runAsUser", 1000), ("as uid 1000", ">= 10000")),
    (kubernetes.k8s_non_root_high_uid, _set("securityContext.runAsUser", None), ("as uid of the image",)),
    (kubernetes.k8s_non_root_high_uid, _set("containers.0.securityContext.runAsNonRoot", False), ("run as root",)),
    (kubernetes.k8s_read_only_root, _set("containers.0.securityContext.readOnlyRootFilesystem", False),
     ("root filesystem",)),
    (kubernetes.k8s_requests_limits, _set("containers.0.resources", {"requests": {"cpu": "1", "memory": "1Gi"}}),
     ("limits.cpu, limits.memory",)),
    (kubernetes.k8s_probes, _set("containers.0.readinessProbe", None), ("without readinessProbe",)),
    (kubernetes.k8s_no_host_access, _set("hostNetwork", True), ("hostNetwork: true",)),
    (kubernetes.k8s_no_host_access, _set("hostPID", True), ("hostPID",)),
    (kubernetes.k8s_no_host_access, _set("volumes.0.hostPath", {"path": "/"}), ("hostPath volume 'tmp'",)),
    (kubernetes.k8s_no_host_access, _set("containers.0.securityContext.privileged", True), ("privileged",)),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "mutate", "fix"), CASES, ids=[f"{c[0].name}-{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("resource_type", [DEPLOYMENT, STATEFUL_SET, CRON_JOB])
def test_policy_fails_on_a_broken_workload_and_passes_on_the_hardened_one(
    policy: Policy, mutate: Mutation, fix: tuple[str, ...], resource_type: str
) -> None:
    assert run_policy(policy, [_workload(_pod_spec(), resource_type)]) == []
    broken = copy.deepcopy(_pod_spec())
    mutate(broken)
    results = run_policy(policy, [_workload(broken, resource_type)])
    assert_flags(results, "app", *fix)
    assert {r.enforcement for r in results} == {"mandatory"}


def test_the_orthanc_image_may_run_as_its_own_uid_and_no_other() -> None:
    spec = _pod_spec()
    spec["securityContext"]["runAsUser"] = 999
    spec["containers"][0]["image"] = f"orthancteam/orthanc:25.1.1@{DIGEST}"
    spec["initContainers"][0]["securityContext"]["runAsUser"] = 10001
    assert run_policy(kubernetes.k8s_non_root_high_uid, [_workload(spec)]) == []
    spec["containers"][0]["image"] = f"postgres:15@{DIGEST}"  # uid 999 is the exception of one image only
    assert_flags(run_policy(kubernetes.k8s_non_root_high_uid, [_workload(spec)]), "app", "as uid 999")
    config = {kubernetes.k8s_non_root_high_uid.name: {"imageUidExceptions": {"postgres": {"uid": 999, "reason": "r"}}}}
    assert run_policy(kubernetes.k8s_non_root_high_uid, [_workload(spec)], config) == []


def test_a_workload_that_calls_the_api_may_mount_its_token_when_listed() -> None:
    spec = _pod_spec()
    spec["automountServiceAccountToken"] = True
    config = {kubernetes.k8s_no_token.name: {"podsNeedingApiAccess": ["app"]}}
    assert run_policy(kubernetes.k8s_no_token, [_workload(spec)], config) == []


def test_every_namespace_that_runs_pods_needs_a_network_policy() -> None:
    policy = kubernetes.k8s_network_policy_per_namespace
    workload = _workload(_pod_spec())
    other = record("kubernetes:core/v1:Pod", "debug", {"spec": _pod_spec()})  # no namespace: "default"
    deny = record(kubernetes.NETWORK_POLICY, "deny", {"metadata": {"namespace": "dicomstore"}, "spec": {}})
    results = run_policy(policy, [workload, other, deny])
    assert [r.message.split(" runs pods")[0] for r in results] == ["Namespace 'default'"]
    assert "Fix: add a default-deny NetworkPolicy" in results[0].message
    assert run_policy(policy, [workload, deny]) == []


def test_non_workload_resources_are_ignored() -> None:
    service = record("kubernetes:core/v1:Service", "svc", {"spec": {"containers": [{"image": "x:latest"}]}})
    assert run_policy(kubernetes.k8s_image_digest, [service]) == []
