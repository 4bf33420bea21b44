"""IAM policy statements and dynamic-group matching rules of the DICOM store, as plain data.

Everything here is pure string building so the least-privilege rules can be unit-tested and checked without a
Pulumi runtime. Design choices:

* Principals are dynamic groups, never a bare `any-user`: Oracle's own examples for OKE secret encryption and
  for OCI Database with PostgreSQL use `any-user ... where request.principal.type = ...`; a dynamic group that
  matches the same resource type in the one compartment grants the same to exactly those resources. The one
  exception is OKE's node-pool grant on the boot-volume key, which has no dynamic-group equivalent (a node
  pool is not a resource a matching rule can name): it is allowed only in its documented form, conditioned on
  the principal type *and* the one key (`NODE_POOL_KEY_DELEGATE`).
* Every grant names its target: `target.key.id` for the master key, `target.secret.id` for each secret a
  principal reads (OCI "Details for the Vault Service", supported variables: `target.secret.id`, an OCID,
  "to control access to specific secrets, secret versions and secret bundles by OCID";
  https://docs.oracle.com/en-us/iaas/Content/Identity/Reference/keypolicyreference.htm), `target.bucket.name`
  for the DICOM bucket. No statement grants `manage all-resources`.
* Compartments are referenced by OCID (`compartment id ocid1...`), so renaming a compartment never silently
  re-targets a policy.
* A statement's location must lie in the subtree of the compartment its policy is attached to: a policy
  attached to a child compartment cannot grant `in tenancy` or in a sibling compartment (OCI IAM, "Policy
  Attachment" and "Locations": https://docs.oracle.com/iaas/Content/Identity/policieshow/Policy_Attachment.htm,
  https://docs.oracle.com/en-us/iaas/Content/Identity/policysyntax/location.htm). `checked` refuses such a
  statement when the policy is built, so no `pulumi up` meets OCI's rejection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

OrthancRuntime = Literal["container_instances", "oke"]

# Resource-principal types as OCI names them in dynamic-group rules (`resource.type`).
CONTAINER_INSTANCE_PRINCIPAL = "computecontainerinstance"
POSTGRESQL_PRINCIPAL = "postgresqldbsystem"
OKE_CLUSTER_PRINCIPAL = "cluster"
CERTIFICATE_AUTHORITY_PRINCIPAL = "certificateauthority"

TENANCY_OCID_PREFIX = "ocid1.tenancy."  # a policy attached to an OCID of this kind is at the root compartment

# Statements that would make any other statement pointless: refused wherever statements are built.
FORBIDDEN_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "manage all-resources": re.compile(r"\bmanage\s+all-resources\b", re.IGNORECASE),
    "any-user": re.compile(r"\ballow\s+any-user\b", re.IGNORECASE),
    "any-group": re.compile(r"\ballow\s+any-group\b", re.IGNORECASE),
}
# The only `any-user` statement allowed: OKE's documented grant letting a node pool encrypt its nodes' boot
# volumes with a customer-managed key, in exactly that form (the principal type AND one key OCID). OKE docs,
# policies for user-managed encryption: https://docs.oracle.com/en-us/iaas/Content/ContEng/Concepts/
# contengpolicyconfig.htm#contengpolicyconfig_topic_Create_Policies_for_User_Managed_Encryption
# `Allow any-user to use key-delegates in compartment <compartment-key> where ALL
# {request.principal.type='nodepool', target.key.id = '<key_OCID>'}`.
NODE_POOL_KEY_DELEGATE = re.compile(
    r"Allow any-user to use key-delegates in compartment id ocid1\.compartment\.[^\s']+ "
    r"where ALL \{request\.principal\.type = 'nodepool', target\.key\.id = 'ocid1\.key\.[^\s']+'\}"
)
# `... in <location> [where <conditions>]`: tenancy, a compartment by OCID, or by (relative) name or path.
_LOCATION = re.compile(
    r"\sin\s+(?:(?P<tenancy>tenancy)|compartment\s+id\s+(?P<ocid>\S+)|compartment\s+(?P<name>\S+))"
    r"(?:\s+where\s.*)?$",
    re.IGNORECASE | re.DOTALL,
)


def matching_rule(kind: Literal["ALL", "ANY"], conditions: Mapping[str, str]) -> str:
    """A dynamic-group matching rule, e.g. `ALL {resource.type = 'cluster', resource.compartment.id = '...'}`.

    OCI does not nest ALL/ANY in matching rules, so one rule is one flat list of conditions.
    """
    if not conditions:
        raise ValueError("a matching rule needs at least one condition")
    return f"{kind} {{" + ", ".join(f"{variable} = '{value}'" for variable, value in conditions.items()) + "}"


@dataclass(frozen=True)
class DefinedTag:
    """A defined tag (namespace, key, value) as matching rules name it."""

    namespace: str
    key: str
    value: str

    @property
    def variable(self) -> str:
        """The matching-rule variable `tag.<namespace>.<key>.value` (OCI, "Writing Matching Rules to Define Dynamic
        Groups": https://docs.oracle.com/iaas/Content/Identity/dynamicgroups/Writing_Matching_Rules_to_Define_Dynamic_Groups.htm)."""
        return f"tag.{self.namespace}.{self.key}.value"


def orthanc_runtime_rule(runtime: OrthancRuntime, app_compartment_id: str, node_tag: DefinedTag | None) -> str:
    """The principals Orthanc runs as: its container instances, or the instances of the OKE node pool Orthanc
    runs on (`node_tag`, carried by that pool's nodes only; a GPU node or any other instance of the app
    compartment does not match).

    OKE pods reach OCI APIs with the node's instance principal here: workload identity would need an
    `any-user` statement, which this package refuses.
    """
    if runtime == "container_instances":
        return matching_rule(
            "ALL", {"resource.type": CONTAINER_INSTANCE_PRINCIPAL, "resource.compartment.id": app_compartment_id}
        )
    if node_tag is None:
        raise ValueError("the OKE runtime's dynamic group needs the defined tag of Orthanc's node pool")
    return matching_rule("ALL", {"instance.compartment.id": app_compartment_id, node_tag.variable: node_tag.value})


def resource_principal_rule(resource_type: str, compartment_id: str) -> str:
    """Resources of one type in one compartment (PostgreSQL DB systems, OKE clusters)."""
    return matching_rule("ALL", {"resource.type": resource_type, "resource.compartment.id": compartment_id})


@dataclass(frozen=True)
class KeyGrantees:
    """Who must be able to use the master key."""

    region: str
    """The deployment region: Object Storage's service principal is regional (`objectstorage-<region>`)."""
    postgresql_dynamic_group: str
    """Dynamic group of the PostgreSQL DB systems (storage encryption; its secret is granted by the Database
    block, next to the secret)."""
    oke_cluster_dynamic_group: str | None
    """Dynamic group of the OKE clusters (Kubernetes secrets encryption); None without OKE."""


def node_pool_key_statement(key_compartment_id: str, key_id: str) -> str:
    """OKE node pools may have their nodes' boot volumes encrypted with `key_id` (`NODE_POOL_KEY_DELEGATE`)."""
    return (
        f"Allow any-user to use key-delegates in compartment id {key_compartment_id} "
        f"where ALL {{request.principal.type = 'nodepool', target.key.id = '{key_id}'}}"
    )


def key_use_statements(grantees: KeyGrantees, data_compartment_id: str, key_id: str) -> list[str]:
    """Service grants on the master key: bucket, block/boot volumes, OKE (cluster secrets and the node pools'
    boot volumes), PostgreSQL."""
    on_key = f"in compartment id {data_compartment_id} where target.key.id = '{key_id}'"
    statements = [
        f"Allow service objectstorage-{grantees.region} to use keys {on_key}",
        f"Allow service blockstorage to use keys {on_key}",
        f"Allow dynamic-group {grantees.postgresql_dynamic_group} to use keys {on_key}",
    ]
    if grantees.oke_cluster_dynamic_group is not None:
        statements += [
            f"Allow service oke to use key-delegate {on_key}",
            f"Allow dynamic-group {grantees.oke_cluster_dynamic_group} to use keys {on_key}",
            node_pool_key_statement(data_compartment_id, key_id),
        ]
    return statements


def on_secrets(secret_ids: Sequence[str]) -> str:
    """The condition naming exactly `secret_ids` (`target.secret.id`; several in one `any {...}`)."""
    unique = sorted(set(secret_ids))
    if not unique:
        raise ValueError("a secret grant needs at least one secret")
    conditions = [f"target.secret.id = '{secret_id}'" for secret_id in unique]
    return conditions[0] if len(conditions) == 1 else "any {" + ", ".join(conditions) + "}"


def secret_read_statement(dynamic_group: str, compartment_id: str, secret_ids: Sequence[str]) -> str:
    """`dynamic_group` may read the current contents of exactly these secrets (in `compartment_id`)."""
    return (
        f"Allow dynamic-group {dynamic_group} to read secret-bundles in compartment id {compartment_id} "
        f"where {on_secrets(secret_ids)}"
    )


def orthanc_runtime_statements(
    dynamic_group: str, data_compartment_id: str, key_id: str, secret_ids: Sequence[str]
) -> list[str]:
    """What Orthanc's runtime may do: read its own secrets (decrypted with the master key) and nothing else,
    not the other secrets of the vault.

    Images reach the bucket through the S3 API with the customer secret key of the storage block's S3 user,
    whose group is confined to the DICOM bucket without version deletion; granting the runtime's principal
    object access as well would bypass that confinement.
    """
    return [
        secret_read_statement(dynamic_group, data_compartment_id, secret_ids),
        f"Allow dynamic-group {dynamic_group} to use keys in compartment id {data_compartment_id} "
        f"where target.key.id = '{key_id}'",
    ]


def certificate_authority_statements(dynamic_group: str, app_compartment_id: str, vault_id: str) -> list[str]:
    """The private CA of the load balancer signs with its HSM key in the stack's vault (OCI Certificates docs,
    "Required IAM policy": the CA's resource principal must use its key). No CRL bucket, so no object grant."""
    return [
        f"Allow dynamic-group {dynamic_group} to use keys in compartment id {app_compartment_id} "
        f"where target.vault.id = '{vault_id}'"
    ]


def notification_statements(data_compartment_id: str) -> list[str]:
    """The Events service publishes Cloud Guard problems to the topic in the data compartment."""
    return [f"Allow service cloudEvents to use ons-topics in compartment id {data_compartment_id}"]


# What Orthanc's S3 plugin needs: list, read, write, overwrite, delete (a delete in a versioned bucket keeps
# the previous version). OBJECT_VERSION_DELETE is deliberately absent: only lifecycle purges versions.
S3_OBJECT_PERMISSIONS = ("OBJECT_INSPECT", "OBJECT_READ", "OBJECT_CREATE", "OBJECT_OVERWRITE", "OBJECT_DELETE")


def bucket_object_policy(group_id: str, compartment_id: str, bucket_name: str) -> list[str]:
    """IAM statements letting the S3 group use objects of one bucket only (and see that bucket). The group is
    named by OCID, which survives renames and identity-domain prefixes."""
    permissions = ", ".join(f"request.permission = '{permission}'" for permission in S3_OBJECT_PERMISSIONS)
    where = f"target.bucket.name = '{bucket_name}'"
    return [
        f"Allow group id {group_id} to read buckets in compartment id {compartment_id} where {where}",
        f"Allow group id {group_id} to manage objects in compartment id {compartment_id} "
        f"where all {{{where}, any {{{permissions}}}}}",
    ]


def object_storage_service_policy(
    compartment_id: str, region: str, replica_region: str | None = None, replica_key_id: str | None = None
) -> list[str]:
    """IAM statements letting the Object Storage service run lifecycle (and replication into the DR region,
    encrypting the replica with the DR key). The primary master key's use is granted by the Security block."""
    regions = [region] if replica_region is None else [region, replica_region]
    statements = [
        f"Allow service objectstorage-{name} to manage object-family in compartment id {compartment_id}"
        for name in regions
    ]
    if replica_region is not None and replica_key_id is not None:
        statements.append(
            f"Allow service objectstorage-{replica_region} to use keys in compartment id {compartment_id} "
            f"where target.key.id = '{replica_key_id}'"
        )
    return statements


def backup_key_statements(dynamic_group: str, compartment_id: str, key_id: str) -> list[str]:
    """IAM statement letting the PostgreSQL DB systems encrypt backup copies with the DR region's key."""
    return [
        f"Allow dynamic-group {dynamic_group} to use keys in compartment id {compartment_id} "
        f"where target.key.id = '{key_id}'"
    ]


def log_content_statement(dynamic_group: str, compartment_id: str) -> str:
    """The OKE workers' Unified Monitoring Agent writes container log lines to the stack's log group."""
    return f"Allow dynamic-group {dynamic_group} to use log-content in compartment id {compartment_id}"


def responder_statements() -> list[str]:
    """Cloud Guard's responder may set a public bucket back to private anywhere in the tenancy it watches."""
    return ["Allow service cloudguard to manage buckets in tenancy where request.permission = 'BUCKET_UPDATE'"]


def forbidden_grants(statements: Sequence[str]) -> list[str]:
    """The statements (with the reason) that grant everything or to everyone (the node pools' documented key
    grant excepted)."""
    return [
        f"{statement!r} ({reason})"
        for statement in statements
        if not NODE_POOL_KEY_DELEGATE.fullmatch(statement)
        for reason, pattern in FORBIDDEN_PATTERNS.items()
        if pattern.search(statement)
    ]


@dataclass(frozen=True)
class PolicyAttachment:
    """Where a policy is attached, and which compartments lie below it (so its statements may name them)."""

    compartment_id: str
    """The tenancy OCID (root compartment: every location is in its subtree) or a compartment OCID."""
    descendants: frozenset[str] = frozenset()
    """OCIDs of compartments known to lie in that compartment's subtree (e.g. the stack's own compartments)."""

    @property
    def at_root(self) -> bool:
        return self.compartment_id.startswith(TENANCY_OCID_PREFIX)


def misplaced_statements(statements: Sequence[str], attachment: PolicyAttachment) -> list[str]:
    """The statements (with the reason) whose location OCI refuses in a policy attached where `attachment` says.

    A compartment named by (relative) name or path resolves below the attachment by definition; by OCID it
    must be the attachment or a known descendant; `tenancy` needs the root. A statement with no location is
    malformed.
    """
    problems = []
    for statement in statements:
        location = _LOCATION.search(statement)
        if location is None:
            problems.append(f"{statement!r} (no location: `in tenancy` or `in compartment id <ocid>`)")
        elif location["tenancy"] and not attachment.at_root:
            problems.append(f"{statement!r} (`in tenancy` in a policy attached to {attachment.compartment_id})")
        elif (
            location["ocid"]
            and not attachment.at_root
            and location["ocid"] not in {attachment.compartment_id, *attachment.descendants}
        ):
            problems.append(
                f"{statement!r} (compartment {location['ocid']} is outside the subtree of "
                f"{attachment.compartment_id}, where the policy is attached)"
            )
    return problems


def checked(statements: Sequence[str], attachment: PolicyAttachment) -> list[str]:
    """The statements, or ValueError naming any that grant everything or to everyone, or that lie outside the
    subtree of the compartment the policy is attached to."""
    bad = forbidden_grants(statements)
    if bad:
        raise ValueError(f"over-broad IAM statements: {', '.join(bad)}")
    misplaced = misplaced_statements(statements, attachment)
    if misplaced:
        raise ValueError(f"IAM statements outside the policy's compartment subtree: {', '.join(misplaced)}")
    return list(statements)
