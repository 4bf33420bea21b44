"""Kubernetes workload hardening for the `kubernetes:*` resources the stack deploys on OKE.

The rules are those of the Kubernetes Pod Security Standards "restricted" profile
(https://kubernetes.io/docs/concepts/security/pod-security-standards/) plus the supply-chain and
availability rules a PHI workload needs: images pinned by digest (a tag can be re-pushed), no
service-account token in pods that do not call the Kubernetes API, a non-root high UID (>= 10000, so a
container escape does not land on a host account's UID; Checkov CKV_K8S_40 draws the same line), a read-only
root filesystem, requests and limits, liveness and readiness probes, no
privileged container or host namespace or hostPath volume, and a NetworkPolicy in every namespace that runs
pods.

Pod specs are read where each workload kind keeps its pod template: a Pod's `spec`, the `spec.template.spec`
of Deployments, StatefulSets, DaemonSets, ReplicaSets and Jobs, and `spec.jobTemplate.spec.template.spec` of a
CronJob. Every rule is MANDATORY: each is a control a reviewer of a PHI workload expects, and none exposes
anything when it holds.

Exceptions are data, not code paths: `IMAGE_UID_EXCEPTIONS` lists the images that must run as their own
(low) UID, each with its reason; a policy config (`imageUidExceptions`) can replace the list per stack.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies._framework import KUBERNETES, describe
from policies._props import POD_SPEC_PATHS, as_bool, as_int, as_list, image_repository, lookup, pod_containers, pod_spec
from policies._stack import resources_of

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEFAULT_NAMESPACE = "default"  # where Kubernetes puts an object without metadata.namespace
DIGEST_MARKER = "@sha256:"
MIN_UID = 10000
# Images whose entrypoint and writable paths belong to the image's own user: running them as another UID
# breaks them. Key: image repository (no tag or digest); value: (uid, reason).
IMAGE_UID_EXCEPTIONS: Mapping[str, tuple[int, str]] = {
    "orthancteam/orthanc": (
        999,
        "the image runs as its own user, uid 999, which owns its entrypoint and writable paths (the Orthanc pod "
        "spec of issue 17); re-check against orthanc-team/orthanc-builder's Dockerfile when bumping the tag",
    ),
}


def _workload_rule(check: Any) -> Any:
    """A validator that runs `check(args, spec)` on workload resources and reports each message it yields."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        spec = pod_spec(args.resource_type, args.props)
        if spec is None:
            return
        for message in check(args, spec):
            report_violation(f"{describe(args)} {message}", None)

    return validate


# Every rule is MANDATORY (module docstring) and HIGH unless it says otherwise; a control's wording is the
# policy's description.
_policy = functools.partial(
    KUBERNETES.policy,
    kind=ResourceValidationPolicy,
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["kubernetes"],
)


def unpinned_images(args: ResourceValidationArgs, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in pod_containers(spec):
        image = str(container.get("image", ""))
        if DIGEST_MARKER not in image:
            yield (
                f"runs container {container.get('name')!r} from {image!r}, not pinned by digest. Fix: pin it as "
                f"{image_repository(image)}@sha256:<digest> (the tag may be kept before the @ for readers)."
            )


k8s_image_digest = _policy(
    "k8s-images-pinned-by-digest",
    "Every container image is pinned by its sha256 digest.",
    _workload_rule(unpinned_images),
    reference="supply-chain.image-digest",
    remediation="Resolve each image tag to its digest (`crane digest IMAGE:TAG`) and reference IMAGE@sha256:DIGEST.",
)


def token_mounted(args: ResourceValidationArgs, spec: Mapping[str, Any]) -> Iterator[str]:
    allowed = args.get_config().get("podsNeedingApiAccess", [])
    if as_bool(spec.get("automountServiceAccountToken")) is not False and args.name not in allowed:
        yield (
            "mounts a service-account token into its pods (the pod spec does not set automountServiceAccountToken"
            "=false; the ServiceAccount's setting alone can be overridden by the pod). Fix: set "
            "automount_service_account_token=False in the pod spec, or list the workload in the policy's "
            "podsNeedingApiAccess if it calls the Kubernetes API."
        )


k8s_no_token = _policy(
    "k8s-no-service-account-token",
    "Pods do not mount a service-account token unless they call the Kubernetes API.",
    _workload_rule(token_mounted),
    reference="access.service-account-token",
    remediation="Set automountServiceAccountToken: false in the pod spec (and on the ServiceAccount).",
    config_schema=PolicyConfigSchema(
        {
            "podsNeedingApiAccess": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Logical names of workloads that call the Kubernetes API and need the token.",
            }
        }
    ),
)


def _uid_exceptions(args: ResourceValidationArgs) -> Mapping[str, Any]:
    configured = args.get_config().get("imageUidExceptions")
    if isinstance(configured, Mapping):
        return {image: (as_int(entry.get("uid")), entry.get("reason")) for image, entry in configured.items()}
    return IMAGE_UID_EXCEPTIONS


def low_or_root_uid(args: ResourceValidationArgs, spec: Mapping[str, Any]) -> Iterator[str]:
    pod_context = spec.get("securityContext") or {}
    exceptions = _uid_exceptions(args)
    for container in pod_containers(spec):
        context = container.get("securityContext") or {}
        uid = as_int(context.get("runAsUser", pod_context.get("runAsUser")))
        non_root = as_bool(context.get("runAsNonRoot", pod_context.get("runAsNonRoot")))
        image = str(container.get("image", ""))
        allowed_uid, _reason = exceptions.get(image_repository(image), (None, None))
        name = container.get("name")
        if non_root is not True:
            yield f"lets container {name!r} run as root (runAsNonRoot is not true). Fix: set run_as_non_root=True."
        if uid is None or (uid < MIN_UID and uid != allowed_uid):
            wanted = f"{allowed_uid} (the image's own user)" if allowed_uid is not None else f">= {MIN_UID}"
            yield (
                f"runs container {name!r} ({image}) as uid {uid if uid is not None else 'of the image'}. Fix: set "
                f"run_as_user to {wanted}, or add the image to the policy's imageUidExceptions with the reason."
            )


k8s_non_root_high_uid = _policy(
    "k8s-non-root-high-uid",
    f"Containers run as non-root with a UID >= {MIN_UID}, unless the image needs its own UID (listed with why).",
    _workload_rule(low_or_root_uid),
    reference="pss-restricted.running-as-non-root",
    remediation=f"Set runAsNonRoot: true and runAsUser >= {MIN_UID} (pod or container securityContext).",
    config_schema=PolicyConfigSchema(
        {
            "imageUidExceptions": {
                "type": "object",
                "description": "Image repository -> {uid, reason}: images that must run as their own UID.",
                "default": {
                    image: {"uid": uid, "reason": reason} for image, (uid, reason) in IMAGE_UID_EXCEPTIONS.items()
                },
            }
        }
    ),
)


def writable_root(args: ResourceValidationArgs, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in pod_containers(spec):
        if as_bool(lookup(container, "securityContext.readOnlyRootFilesystem")) is not True:
            yield (
                f"lets container {container.get('name')!r} write to its root filesystem. Fix: set "
                "security_context.read_only_root_filesystem=True and mount emptyDir volumes where it writes."
            )


k8s_read_only_root = _policy(
    "k8s-read-only-root-filesystem",
    "Every container has a read-only root filesystem.",
    _workload_rule(writable_root),
    reference="hardening.read-only-root-filesystem",
    remediation="Set readOnlyRootFilesystem: true; give the paths the image writes to an emptyDir.",
)

RESOURCE_KEYS = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


def missing_resources(args: ResourceValidationArgs, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in pod_containers(spec):
        resources = container.get("resources") or {}
        missing = [key for key in RESOURCE_KEYS if lookup(resources, key) is None]
        if missing:
            yield (
                f"has container {container.get('name')!r} without resources {', '.join(missing)}. Fix: set cpu "
                "and memory requests and limits so the scheduler and the node's OOM killer treat it predictably."
            )


k8s_requests_limits = _policy(
    "k8s-requests-and-limits",
    "Every container sets CPU and memory requests and limits.",
    _workload_rule(missing_resources),
    reference="availability.resources",
    remediation="Set resources.requests and resources.limits (cpu, memory) on every container.",
    severity=Severity.MEDIUM,
)


def missing_probes(args: ResourceValidationArgs, spec: Mapping[str, Any]) -> Iterator[str]:
    # Init containers run to completion: Kubernetes rejects liveness/readiness probes on them.
    for container in pod_containers(spec, with_init=False):
        missing = [probe for probe in ("livenessProbe", "readinessProbe") if not container.get(probe)]
        if missing:
            yield (
                f"has container {container.get('name')!r} without {' and '.join(missing)}. Fix: add them so "
                "Kubernetes restarts a hung container and routes traffic only to a ready one."
            )


k8s_probes = _policy(
    "k8s-liveness-and-readiness-probes",
    "Every long-running container has a liveness and a readiness probe.",
    _workload_rule(missing_probes),
    reference="availability.probes",
    remediation="Add livenessProbe and readinessProbe (a startupProbe covers slow starts).",
    severity=Severity.MEDIUM,
)

HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


def host_access(args: ResourceValidationArgs, spec: Mapping[str, Any]) -> Iterator[str]:
    for key in HOST_NAMESPACES:
        if as_bool(spec.get(key)) is True:
            yield f"shares the node's namespace ({key}: true). Fix: remove {key}."
    for volume in as_list(spec.get("volumes")):
        if isinstance(volume, Mapping) and volume.get("hostPath") is not None:
            name = volume.get("name")
            yield f"mounts the node's filesystem (hostPath volume {name!r}). Fix: use an emptyDir or a PVC."
    for container in pod_containers(spec):
        if as_bool(lookup(container, "securityContext.privileged")) is True:
            yield f"runs container {container.get('name')!r} privileged. Fix: remove privileged: true."


k8s_no_host_access = _policy(
    "k8s-no-privileged-or-host-access",
    "No privileged container, hostPath volume, hostNetwork, hostPID or hostIPC.",
    _workload_rule(host_access),
    reference="pss-baseline.host-namespaces-privileged-hostpath",
    remediation="Remove privileged, hostPath volumes and host namespaces from the pod spec.",
    severity=Severity.CRITICAL,
)


def namespace_of(props: Mapping[str, Any]) -> str:
    return str(lookup(props, "metadata.namespace", DEFAULT_NAMESPACE))


def validate_network_policy_per_namespace(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    covered = {namespace_of(policy.props) for policy in resources_of(args, NETWORK_POLICY)}
    workloads = [resource for resource in args.resources if resource.resource_type in POD_SPEC_PATHS]
    for namespace in sorted({namespace_of(workload.props) for workload in workloads} - covered):
        report_violation(
            f"Namespace {namespace!r} runs pods but has no NetworkPolicy, so every pod in the cluster can reach "
            "them. Fix: add a default-deny NetworkPolicy (podSelector: {}, policyTypes [Ingress, Egress]) and "
            "allow only the flows the workload needs.",
            None,
        )


k8s_network_policy_per_namespace = _policy(
    "k8s-network-policy-per-namespace",
    "Every namespace that runs pods has a NetworkPolicy.",
    validate_network_policy_per_namespace,
    kind=StackValidationPolicy,
    reference="network.network-policy",
    remediation="Add a default-deny NetworkPolicy per namespace, then allow the required flows.",
    tags=["kubernetes", "network"],
)

POLICIES: Sequence[Policy] = (
    k8s_image_digest,
    k8s_no_token,
    k8s_non_root_high_uid,
    k8s_read_only_root,
    k8s_requests_limits,
    k8s_probes,
    k8s_no_host_access,
    k8s_network_policy_per_namespace,
)
