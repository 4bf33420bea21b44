"""The Orthanc service's cross-field config rules, next to it: the Container Instances shape fits the memory
asked for, every user has one role and someone administers, and DICOM TLS comes with the modalities' CA bundle.

Each problem is a `RuleProblem`; `components/config/schema.py` turns them into the one-line `ConfigProblem`s it
raises before any resource exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.config import config_messages
from components.config.config_messages import RuleProblem
from components.orthanc.orthanc_access import Role

if TYPE_CHECKING:
    from components.config.schema import OrthancConfig


def orthanc_problems(orthanc: OrthancConfig) -> list[RuleProblem]:
    """Every Orthanc rule, in the order the stack config reports them."""
    return container_instance_problems(orthanc) + user_role_problems(orthanc) + modality_tls_problems(orthanc)


# Container Instances flexible shapes: memory per OCPU allowed (docs: "Container Instance Shapes").
CONTAINER_INSTANCE_MEMORY_GB_PER_OCPU: dict[str, tuple[int, int]] = {
    "CI.Standard.E4.Flex": (1, 64),
    "CI.Standard.E3.Flex": (1, 64),
}


def container_instance_problems(orthanc: OrthancConfig) -> list[RuleProblem]:
    """The Container Instances shape must exist and allow the requested memory for the requested OCPUs."""
    if orthanc.runtime != "container_instances":
        return []
    limits = CONTAINER_INSTANCE_MEMORY_GB_PER_OCPU.get(orthanc.shape)
    if limits is None:
        return [
            (
                "orthanc.shape", orthanc.shape, "is not a Container Instances flexible shape",
                f"use one of {sorted(CONTAINER_INSTANCE_MEMORY_GB_PER_OCPU)}",
            )
        ]  # fmt: skip
    low, high = limits[0] * orthanc.ocpus, limits[1] * orthanc.ocpus
    if not low <= orthanc.memory_gb <= high:
        return [
            (
                "orthanc.memoryGb",
                orthanc.memory_gb,
                f"is outside what {orthanc.shape} allows with orthanc.ocpus={orthanc.ocpus} "
                f"({limits[0]}-{limits[1]} GB per OCPU: {low}-{high} GB)",
                f"set orthanc.memoryGb between {low} and {high}, or change orthanc.ocpus",
            )
        ]
    return []


def modality_tls_problems(orthanc: OrthancConfig) -> list[RuleProblem]:
    """DICOM TLS always verifies the modality's certificate; a CA bundle without DICOM TLS would do nothing."""
    if orthanc.dicom_tls and orthanc.modality_ca_bundle_ocid is None:
        return [
            (
                "orthanc.modalityCaBundleOcid", config_messages.NOT_SET,
                "is missing: with orthanc.dicomTls the DICOM listener requires modality client certificates",
                "upload the CA that issues your modalities' certificates as an OCI Certificates CA bundle and set "
                "its OCID (ocid1.cabundle.oc1..<unique id>); README: 'Modality enrolment'",
            )
        ]  # fmt: skip
    if not orthanc.dicom_tls and orthanc.modality_ca_bundle_ocid is not None:
        return [
            (
                "orthanc.modalityCaBundleOcid", orthanc.modality_ca_bundle_ocid,
                "has no effect without DICOM TLS (plain DIMSE cannot carry a client certificate)",
                "set orthanc.dicomTls: true, or remove orthanc.modalityCaBundleOcid",
            )
        ]  # fmt: skip
    return []


def user_role_problems(orthanc: OrthancConfig) -> list[RuleProblem]:
    """Every user has exactly one role, every role is for a user, and someone can administer the store."""
    problems = [
        (
            f"orthanc.userRoles.{user}", config_messages.NOT_SET, f"is missing: user {user!r} has no role",
            f"add `{user}: <role>` under orthanc.userRoles, one of: {', '.join(Role)}",
        )
        for user in orthanc.users
        if user not in orthanc.user_roles
    ]  # fmt: skip
    problems += [
        (
            f"orthanc.userRoles.{user}", str(role), "names a user that orthanc.users does not list",
            f"add {user!r} to orthanc.users or remove it from orthanc.userRoles",
        )
        for user, role in orthanc.user_roles.items()
        if user not in orthanc.users
    ]  # fmt: skip
    problems += [
        (
            "orthanc.passwordRollover", user, "names a user that orthanc.users does not list",
            f"roll over only users of orthanc.users, or remove {user!r} from orthanc.passwordRollover",
        )
        for user in orthanc.password_rollover
        if user not in orthanc.users
    ]  # fmt: skip
    if Role.ADMINISTRATOR not in orthanc.user_roles.values():
        problems.append(
            (
                "orthanc.userRoles", ", ".join(f"{u}: {r}" for u, r in orthanc.user_roles.items()),
                "gives no user the administrator role: nobody could delete data or manage modalities",
                "make one user (e.g. a break-glass admin) `administrator`",
            )
        )  # fmt: skip
    return problems
