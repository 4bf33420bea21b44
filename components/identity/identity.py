"""Identity block: the compartments the workload lives in and the dynamic groups its services act as.

Compartments per concern (as in Oracle's CIS landing zone): `network` (VCN, gateways, DRG), `app` (Orthanc
runtime, load balancers, bastion), `data` (bucket, database, vault; the security zone) and `ai` when AI is on.
Nothing of the workload is created in the tenancy root. Compartments are created with `enable_delete=False`:
a `pulumi destroy` forgets them instead of deleting them, because OCI refuses to delete a compartment that
still holds resources and a compartment's audit trail outlives the stack.

Dynamic groups (which OCI keeps in the tenancy) name the principals that need OCI APIs: the Orthanc runtime
(its container instances, or the nodes of Orthanc's OKE pool), the PostgreSQL DB systems (Vault key, admin
password secret) and, with OKE, the clusters (Kubernetes secrets encryption). Each matches one resource type in
one compartment; OKE nodes are plain instances, so theirs also requires the defined tag only Orthanc's pool
puts on its nodes (the stack's tag namespace, `<prefix without hyphens>.role = orthanc`). The policies granting
them access name the Vault key and the secrets, so they are created once those exist (statements in
`components/security/iam_statements.py`).

Every IAM policy of the stack is created through `iam_policy`, which refuses (when the policy is built) a
statement that grants everything or to everyone, or whose location lies outside the subtree of the compartment
the policy is attached to (OCI rejects such a policy at `pulumi up`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

from components.scope import StackScope
from components.security.iam_statements import (
    CERTIFICATE_AUTHORITY_PRINCIPAL,
    OKE_CLUSTER_PRINCIPAL,
    POSTGRESQL_PRINCIPAL,
    DefinedTag,
    OrthancRuntime,
    PolicyAttachment,
    checked,
    orthanc_runtime_rule,
    resource_principal_rule,
)

ORTHANC_NODE_TAG_KEY = "role"
ORTHANC_NODE_TAG_VALUE = "orthanc"


def tag_namespace_name(name_prefix: str) -> str:
    """The stack's tag namespace: tenancy-unique like the prefix, letters and digits only (no period, no space)."""
    return re.sub(r"[^A-Za-z0-9]", "", name_prefix)


def stack_name_prefix() -> str:
    """`<project>-<stack>`: the prefix of every name OCI keeps unique in the tenancy (compartments under one
    parent, groups, users, dynamic groups, policies, certificate authorities, notification topics)."""
    return f"{pulumi.get_project()}-{pulumi.get_stack()}"


def iam_policy(
    resource_name: str,
    *,
    compartment_id: pulumi.Input[str],
    name: str,
    description: str,
    statements: pulumi.Input[Sequence[str]],
    opts: pulumi.ResourceOptions,
    descendants: Sequence[pulumi.Input[str]] = (),
) -> oci.identity.Policy:
    """An IAM policy attached to `compartment_id` whose statements pass `iam_statements.checked`.

    `descendants` are the compartments below `compartment_id` that the statements may name by OCID (a policy
    attached to the tenancy may name any compartment).
    """
    guarded = pulumi.Output.all(compartment_id, statements, *descendants).apply(
        lambda values: checked(values[1], PolicyAttachment(values[0], frozenset(values[2:])))
    )
    return oci.identity.Policy(
        resource_name,
        compartment_id=compartment_id,
        name=name,
        description=description,
        statements=guarded,
        opts=opts,
    )


@dataclass(frozen=True)
class IdentityArgs:
    scope: StackScope
    """Where the stack lives: the workload compartments go under its parent compartment (or the tenancy), the
    dynamic groups in the tenancy (always), both named with its prefix (tenancy-unique)."""
    ai_enabled: bool
    """Create the `ai` compartment."""
    orthanc_runtime: OrthancRuntime
    """Where Orthanc runs (`orthanc.runtime`): decides what the runtime's dynamic group matches."""
    private_ca: bool
    """The load balancer's certificate comes from a private CA of the stack (no `orthanc.certificateOcid`)."""


class Identity(pulumi.ComponentResource):
    """The workload compartments and the dynamic groups of the stack's service principals."""

    network_compartment_id: pulumi.Output[str]
    app_compartment_id: pulumi.Output[str]
    data_compartment_id: pulumi.Output[str]
    ai_compartment_id: pulumi.Output[str] | None
    orthanc_dynamic_group_name: pulumi.Output[str]
    postgresql_dynamic_group_name: pulumi.Output[str]
    oke_cluster_dynamic_group_name: pulumi.Output[str] | None
    certificate_authority_dynamic_group_name: pulumi.Output[str] | None
    orthanc_node_defined_tags: pulumi.Output[Mapping[str, str]]
    """The defined tag Orthanc's OKE node pool puts on its nodes, which the runtime's dynamic group matches
    (empty with Container Instances)."""

    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:identity:Identity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def compartment(role: str, description: str) -> pulumi.Output[str]:
            return oci.identity.Compartment(
                f"{name}-{role}",
                compartment_id=args.scope.parent_compartment_id,
                name=f"{args.scope.name_prefix}-{role}",
                description=description,
                enable_delete=False,
                opts=child,
            ).id

        self.network_compartment_id = compartment("network", "DICOM store: VCN, gateways, DRG, flow logs")
        self.app_compartment_id = compartment("app", "DICOM store: Orthanc runtime, load balancers, bastion")
        self.data_compartment_id = compartment("data", "DICOM store: PHI (bucket, database, vault); security zone")
        self.ai_compartment_id = (
            compartment("ai", "DICOM store: AI training and inference") if args.ai_enabled else None
        )

        def dynamic_group(role: str, description: str, rule: pulumi.Output[str]) -> pulumi.Output[str]:
            return oci.identity.DynamicGroup(
                f"{name}-{role}",
                compartment_id=args.scope.tenancy_id,
                name=f"{args.scope.name_prefix}-{role}",
                description=description,
                matching_rule=rule,
                opts=child,
            ).name

        node_tag = self._orthanc_node_tag(name, args) if args.orthanc_runtime == "oke" else None
        self.orthanc_node_defined_tags = (
            node_tag.apply(lambda tag: {f"{tag.namespace}.{tag.key}": tag.value})
            if node_tag
            else pulumi.Output.from_input({})
        )
        self.orthanc_dynamic_group_name = dynamic_group(
            "orthanc-runtime",
            "DICOM store: Orthanc runtime principals (its secrets and the key)",
            pulumi.Output.all(self.app_compartment_id, node_tag).apply(
                lambda v: orthanc_runtime_rule(args.orthanc_runtime, v[0], v[1])
            ),
        )
        self.postgresql_dynamic_group_name = dynamic_group(
            "postgresql",
            "DICOM store: PostgreSQL DB systems (Vault key, admin password secret)",
            self.data_compartment_id.apply(lambda data: resource_principal_rule(POSTGRESQL_PRINCIPAL, data)),
        )
        self.oke_cluster_dynamic_group_name = (
            dynamic_group(
                "oke-clusters",
                "DICOM store: OKE clusters (Kubernetes secrets encryption with the Vault key)",
                self.app_compartment_id.apply(lambda app: resource_principal_rule(OKE_CLUSTER_PRINCIPAL, app)),
            )
            if args.orthanc_runtime == "oke"
            else None
        )
        self.certificate_authority_dynamic_group_name = (
            dynamic_group(
                "certificate-authorities",
                "DICOM store: the load balancer's private CA (signs with its Vault key)",
                self.app_compartment_id.apply(
                    lambda app: resource_principal_rule(CERTIFICATE_AUTHORITY_PRINCIPAL, app)
                ),
            )
            if args.private_ca
            else None
        )
        self.register_outputs(
            {
                "network_compartment_id": self.network_compartment_id,
                "app_compartment_id": self.app_compartment_id,
                "data_compartment_id": self.data_compartment_id,
                "ai_compartment_id": self.ai_compartment_id,
                "orthanc_dynamic_group_name": self.orthanc_dynamic_group_name,
                "postgresql_dynamic_group_name": self.postgresql_dynamic_group_name,
                "oke_cluster_dynamic_group_name": self.oke_cluster_dynamic_group_name,
                "certificate_authority_dynamic_group_name": self.certificate_authority_dynamic_group_name,
                "orthanc_node_defined_tags": self.orthanc_node_defined_tags,
            }
        )

    def _orthanc_node_tag(self, name: str, args: IdentityArgs) -> pulumi.Output[DefinedTag]:
        """The stack's tag namespace and the key Orthanc's OKE nodes carry. Both live in the app compartment with
        the cluster and its node pools, so OKE needs no grant to apply the tag: its documented grant,
        `Allow any-user to use tag-namespace in tenancy where all {request.principal.type = 'cluster'}` (not a
        `nodepool` principal), is only for a tag namespace in another compartment than the tagged nodes (OKE docs,
        "Additional IAM Policy when a Cluster and a Tag Namespace are in Different Compartments":
        https://docs.oracle.com/en-us/iaas/Content/ContEng/Tasks/contengtaggingclusterresources_iam-tag-namespace-policy.htm),
        an `any-user` grant `iam_policy` refuses."""
        namespace = oci.identity.TagNamespace(
            f"{name}-tag-namespace",
            compartment_id=self.app_compartment_id,
            name=tag_namespace_name(args.scope.name_prefix),
            description="DICOM store: defined tags IAM matching rules rely on",
            opts=pulumi.ResourceOptions(parent=self),
        )
        key = oci.identity.Tag(
            f"{name}-orthanc-node-tag",
            tag_namespace_id=namespace.id,
            name=ORTHANC_NODE_TAG_KEY,
            description="DICOM store: `orthanc` on the nodes of the OKE pool Orthanc runs on (runtime dynamic group)",
            opts=pulumi.ResourceOptions(parent=namespace),
        )
        return pulumi.Output.all(namespace.name, key.name).apply(
            lambda v: DefinedTag(str(v[0]), str(v[1]), ORTHANC_NODE_TAG_VALUE)
        )
