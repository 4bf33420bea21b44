"""Identity block: compartments and dynamic groups as recorded, and the least-privilege IAM statements."""

from __future__ import annotations

import re

import pulumi
import pytest

from components.identity.identity import Identity, IdentityArgs, iam_policy
from components.security import iam_statements
from components.security.iam_statements import KeyGrantees, OrthancRuntime
from offline.provider_outputs import created_state
from tests.support import PARENT, PROJECT_DIR, SCOPE, TENANCY, Recorded, record

DATA = "ocid1.compartment.oc1..aaaaaaaatestdata000000000000000000000000000000000000000000"
KEY = "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaatestkey00000000000000000000000000000000000000"
VAULT = "ocid1.vault.oc1.eu-frankfurt-1.aaaaaaaatestvault0000000000000000000000000000000000"
CLUSTER = "ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaatestcluster00000000000000000000000000000000"
OTHER = "ocid1.compartment.oc1..aaaaaaaatestsibling000000000000000000000000000000000000000"
AT_ROOT = iam_statements.PolicyAttachment(TENANCY)
AT_PARENT = iam_statements.PolicyAttachment(PARENT, frozenset({DATA}))


def record_identity(runtime: OrthancRuntime, ai: bool = False, private_ca: bool = False) -> Recorded:
    def program() -> None:
        Identity("id", IdentityArgs(scope=SCOPE, ai_enabled=ai, orthanc_runtime=runtime, private_ca=private_ca))

    return record(program)


def compartment_id(recorded: Recorded, role: str) -> str:
    compartment = recorded.named(f"id-{role}")
    return created_state(compartment.type, compartment.name, compartment.inputs, "eu-frankfurt-1")[0]


def test_compartments_per_concern_under_the_parent() -> None:
    recorded = record_identity("container_instances", ai=True)
    compartments = recorded.of_type("oci:Identity/compartment:Compartment")
    assert sorted(c.inputs["name"] for c in compartments) == [
        "dicomstore-test-ai", "dicomstore-test-app", "dicomstore-test-data", "dicomstore-test-network"
    ]  # fmt: skip
    assert {c.inputs["compartmentId"] for c in compartments} == {PARENT}


def test_container_instances_runtime_dynamic_groups() -> None:
    recorded = record_identity("container_instances")
    groups = {g.inputs["name"]: g.inputs for g in recorded.of_type("oci:Identity/dynamicGroup:DynamicGroup")}
    assert set(groups) == {"dicomstore-test-orthanc-runtime", "dicomstore-test-postgresql"}
    assert {g["compartmentId"] for g in groups.values()} == {TENANCY}
    app, data = compartment_id(recorded, "app"), compartment_id(recorded, "data")
    assert groups["dicomstore-test-orthanc-runtime"]["matchingRule"] == (
        f"ALL {{resource.type = 'computecontainerinstance', resource.compartment.id = '{app}'}}"
    )
    assert groups["dicomstore-test-postgresql"]["matchingRule"] == (
        f"ALL {{resource.type = 'postgresqldbsystem', resource.compartment.id = '{data}'}}"
    )


def test_oke_runtime_matches_the_workers_and_adds_the_cluster_group() -> None:
    recorded = record_identity("oke")
    groups = {g.inputs["name"]: g.inputs for g in recorded.of_type("oci:Identity/dynamicGroup:DynamicGroup")}
    app = compartment_id(recorded, "app")
    # Only the nodes of Orthanc's pool: the stack's defined tag, not every instance of the app compartment
    # (OCI "Writing Matching Rules to Define Dynamic Groups": `tag.<tagnamespace>.<tagkey>.value = '<tagvalue>'`).
    assert groups["dicomstore-test-orthanc-runtime"]["matchingRule"] == (
        f"ALL {{instance.compartment.id = '{app}', tag.dicomstoretest.role.value = 'orthanc'}}"
    )
    namespace = recorded.named("id-tag-namespace")
    assert namespace.inputs["compartmentId"] == app  # with the cluster: no cross-compartment tag grant needed
    assert namespace.inputs["name"] == "dicomstoretest"
    tag = recorded.named("id-orthanc-node-tag")
    assert tag.inputs["name"] == "role" and tag.parent == namespace.urn
    assert groups["dicomstore-test-oke-clusters"]["matchingRule"] == (
        f"ALL {{resource.type = 'cluster', resource.compartment.id = '{app}'}}"
    )


def test_tag_namespace_lives_with_the_cluster_and_its_node_pools(prod_plan: Recorded) -> None:
    """OKE applies node tags from a tag namespace in the node pool's compartment without any grant; one in another
    compartment needs `Allow any-user to use tag-namespace ... where all {request.principal.type = 'cluster'}`
    (https://docs.oracle.com/en-us/iaas/Content/ContEng/Tasks/contengtaggingclusterresources_iam-tag-namespace-policy.htm),
    which the IAM guard refuses. So the namespace, the cluster and every node pool share one compartment."""
    (namespace,) = prod_plan.of_type("oci:Identity/tagNamespace:TagNamespace")
    (cluster,) = prod_plan.of_type("oci:ContainerEngine/cluster:Cluster")
    pools = prod_plan.of_type("oci:ContainerEngine/nodePool:NodePool")
    assert len(pools) == 2  # the CPU pool carrying the tag, and the GPU pool
    compartments = {cluster.inputs["compartmentId"], *(pool.inputs["compartmentId"] for pool in pools)}
    assert compartments == {namespace.inputs["compartmentId"]}


def test_container_instances_need_no_tag_namespace() -> None:
    assert record_identity("container_instances").of_type("oci:Identity/tagNamespace:TagNamespace") == []


def test_only_orthancs_node_pool_carries_the_runtime_groups_tag(prod_plan: Recorded) -> None:
    """The runtime's dynamic group matches the tag the CPU pool (Orthanc's) puts on its nodes; the GPU pool's
    nodes (the inference server) do not carry it, so they cannot read Orthanc's secrets."""
    (group,) = [g for g in prod_plan.of_type("oci:Identity/dynamicGroup:DynamicGroup") if g.name.endswith("-runtime")]
    match = re.search(r"tag\.(\w+)\.(\w+)\.value = '(\w+)'", group.inputs["matchingRule"])
    assert match is not None
    pools = {p.inputs["name"]: p.inputs["nodeConfigDetails"] for p in prod_plan.of_type(
        "oci:ContainerEngine/nodePool:NodePool")}  # fmt: skip
    assert pools["dicomstore-prod-cpu"]["definedTags"] == {f"{match[1]}.{match[2]}": match[3]}
    assert not pools["dicomstore-prod-gpu"].get("definedTags")


def test_shipped_stacks_name_the_runtime_group_in_their_grants(dev_plan: Recorded, prod_plan: Recorded) -> None:
    for plan, stack in ((dev_plan, "dev"), (prod_plan, "prod")):
        groups = {g.inputs["name"] for g in plan.of_type("oci:Identity/dynamicGroup:DynamicGroup")}
        assert f"dicomstore-{stack}-orthanc-runtime" in groups
        statements = [s for p in plan.of_type("oci:Identity/policy:Policy") for s in p.inputs["statements"]]
        assert any(
            s.startswith(f"Allow dynamic-group dicomstore-{stack}-orthanc-runtime to read secret-bundles")
            for s in statements
        )
    assert "dicomstore-prod-oke-clusters" in {g.inputs["name"] for g in prod_plan.of_type(
        "oci:Identity/dynamicGroup:DynamicGroup")}  # fmt: skip


def test_every_shipped_policy_grants_only_below_where_it_is_attached(dev_plan: Recorded, prod_plan: Recorded) -> None:
    """OCI IAM "Policy Attachment": a policy applies to its compartment and the compartments below it, so a
    statement `in tenancy` or in a compartment outside that subtree is refused at creation
    (https://docs.oracle.com/iaas/Content/Identity/policieshow/Policy_Attachment.htm). The compartment tree is
    read from the plan itself: the tenancy, the parent compartment and the stack's compartments under it."""
    for plan in (dev_plan, prod_plan):
        parents = {
            created_state(c.type, c.name, c.inputs, "eu-frankfurt-1")[0]: c.inputs["compartmentId"]
            for c in plan.of_type("oci:Identity/compartment:Compartment")
        }

        def below(compartment: str, parents: dict[str, str] = parents) -> frozenset[str]:
            return frozenset(child for child in parents if _ancestors(child, parents) & {compartment})

        policies = plan.of_type("oci:Identity/policy:Policy")
        roots = {p.inputs["compartmentId"].startswith(iam_statements.TENANCY_OCID_PREFIX) for p in policies}
        assert roots == {True, False}  # policies at the root and in compartments: both cases are checked
        for policy in policies:
            attached = policy.inputs["compartmentId"]
            attachment = iam_statements.PolicyAttachment(attached, below(attached))
            assert iam_statements.misplaced_statements(policy.inputs["statements"], attachment) == [], policy.urn


def _ancestors(compartment: str, parents: dict[str, str]) -> set[str]:
    found = set()
    while compartment in parents:
        compartment = parents[compartment]
        found.add(compartment)
    return found


def test_edge_keeps_its_tenancy_wide_statement_in_a_policy_at_the_root(prod_plan: Recorded) -> None:
    """Roving Edge's namespace grant says `in tenancy`: it must be attached to the tenancy, not the parent."""
    edge = [
        p
        for p in prod_plan.of_type("oci:Identity/policy:Policy")
        if p.inputs["name"].startswith("dicomstore-prod-edge")
    ]
    by_name = {p.inputs["name"]: p.inputs for p in edge}
    assert by_name["dicomstore-prod-edge-rover-namespaces"]["compartmentId"].startswith("ocid1.tenancy.")
    assert by_name["dicomstore-prod-edge-rover-namespaces"]["statements"] == [
        "Allow service rover to manage objectstorage-namespaces in tenancy"
    ]
    assert by_name["dicomstore-prod-edge"]["compartmentId"].startswith("ocid1.compartment.")
    assert not [s for s in by_name["dicomstore-prod-edge"]["statements"] if s.endswith("in tenancy")]


# Resource types whose `name` OCI keeps unique in the whole tenancy (compartments: among siblings, and the stack's
# share one parent; buckets: per namespace, i.e. per tenancy; CAs: pending deletion included).
TENANCY_UNIQUE_NAMES = (
    "oci:Identity/compartment:Compartment",
    "oci:Identity/dynamicGroup:DynamicGroup",
    "oci:Identity/group:Group",
    "oci:Identity/user:User",
    "oci:Identity/policy:Policy",
    "oci:CertificatesManagement/certificateAuthority:CertificateAuthority",
    "oci:CertificatesManagement/certificate:Certificate",
    "oci:Ons/notificationTopic:NotificationTopic",
    "oci:ObjectStorage/bucket:Bucket",
)
# Also tenancy-unique, but letters and digits only: the prefix without its hyphen.
TENANCY_UNIQUE_BARE_NAMES = ("oci:Identity/tagNamespace:TagNamespace",)


def test_every_tenancy_unique_name_carries_the_stack_prefix(dev_plan: Recorded, prod_plan: Recorded) -> None:
    """Two stacks of the project in one tenancy never collide on a tenancy-unique name."""
    for plan, stack in ((dev_plan, "dev"), (prod_plan, "prod")):
        names = [(r.type, r.inputs["name"]) for kind in TENANCY_UNIQUE_NAMES for r in plan.of_type(kind)]
        assert {kind for kind, _ in names} == set(TENANCY_UNIQUE_NAMES)
        assert [name for _, name in names if not name.startswith(f"dicomstore-{stack}-")] == []
        bare = [r.inputs["name"] for kind in TENANCY_UNIQUE_BARE_NAMES for r in plan.of_type(kind)]
        assert bare == ([] if stack == "dev" else ["dicomstoreprod"])


def test_every_policy_goes_through_the_guarded_helper() -> None:
    """No component creates an `oci.identity.Policy` except `identity.iam_policy`, which runs the guard."""
    components = PROJECT_DIR / "components"
    bypassing = [
        str(path.relative_to(components))
        for path in components.rglob("*.py")
        if path != components / "identity" / "identity.py" and "oci.identity.Policy(" in path.read_text()
    ]
    assert bypassing == []


def test_a_misplaced_statement_fails_the_component_that_builds_it() -> None:
    """The guard runs when the policy is built: a tenancy statement in a parent-attached policy stops the run."""

    def program() -> None:
        iam_policy(
            "bad",
            compartment_id=PARENT,
            name="bad",
            description="in tenancy from a child compartment",
            statements=["Allow group G to read buckets in tenancy"],
            opts=pulumi.ResourceOptions(),
        )

    with pytest.raises(Exception, match="outside the policy's compartment subtree"):
        record(program)


def _secret_ids(statement: str) -> set[str]:
    return set(re.findall(r"target\.secret\.id = '([^']+)'", statement))


def test_shipped_secret_grants_name_exactly_the_secrets_each_principal_reads(
    dev_plan: Recorded, prod_plan: Recorded
) -> None:
    """Orthanc's runtime reads its passwords, the S3 key pair and (for the bootstrap) the DB administrator's
    password; PostgreSQL reads only its administrator's password. Each grant names those secrets by
    `target.secret.id` (https://docs.oracle.com/en-us/iaas/Content/Identity/Reference/keypolicyreference.htm),
    never the whole vault, and the runtime is created only after its grant."""
    for plan, stack in ((dev_plan, "dev"), (prod_plan, "prod")):
        secrets = {
            r.name: created_state(r.type, r.name, r.inputs, "eu-frankfurt-1")[0]
            for r in plan.of_type("oci:Vault/secret:Secret")
        }
        policies = {p.inputs["name"]: p for p in plan.of_type("oci:Identity/policy:Policy")}
        statements = [s for p in policies.values() for s in p.inputs["statements"]]
        assert not [s for s in statements if "target.vault.id" in s and "secret" in s]

        runtime = policies[f"dicomstore-{stack}-orthanc-runtime"]
        (read,) = [s for s in runtime.inputs["statements"] if "secret-bundles" in s]
        assert read.startswith(f"Allow dynamic-group dicomstore-{stack}-orthanc-runtime to read secret-bundles")
        handed = {
            name: secret_id
            for name, secret_id in secrets.items()
            # A rollover alias's password is read only while orthanc.passwordRollover lists its user (none here).
            if (name.startswith("dicomstore-orthanc-secrets-") and "-rollover-" not in name)
            or name in {"dicomstore-storage-s3-secret-key", "dicomstore-database-admin-password"}
        }
        assert _secret_ids(read) == set(handed.values())

        (postgresql,) = policies[f"dicomstore-{stack}-postgresql-admin-password"].inputs["statements"]
        assert _secret_ids(postgresql) == {secrets["dicomstore-database-admin-password"]}

        runtime_kinds = ("oci:ContainerEngine/containerInstance:ContainerInstance", "kubernetes:apps/v1:StatefulSet")
        workloads = [r for kind in runtime_kinds for r in plan.of_type(kind)]
        assert workloads and all(runtime.urn in r.dependencies for r in workloads)


# --- statements ----------------------------------------------------------------------------------------------


def test_key_use_statements_are_scoped_to_the_key() -> None:
    statements = iam_statements.key_use_statements(KeyGrantees("us-ashburn-1", "pg", None), DATA, KEY)
    assert statements[0] == (
        f"Allow service objectstorage-us-ashburn-1 to use keys in compartment id {DATA} where target.key.id = '{KEY}'"
    )
    assert all(s.endswith(f"in compartment id {DATA} where target.key.id = '{KEY}'") for s in statements)
    assert iam_statements.forbidden_grants(statements) == []


def test_runtime_statements_name_each_secret_and_the_key() -> None:
    """Vault's `target.secret.id` (OCI "Details for the Vault Service", supported variables:
    https://docs.oracle.com/en-us/iaas/Content/Identity/Reference/keypolicyreference.htm) confines the runtime
    to its own secrets; `target.vault.id` would open every secret of the vault."""
    secrets = [f"ocid1.vaultsecret.oc1.eu-frankfurt-1.{n}" for n in ("b", "a", "b")]
    statements = iam_statements.orthanc_runtime_statements("rt", DATA, KEY, secrets)
    assert statements == [
        f"Allow dynamic-group rt to read secret-bundles in compartment id {DATA} "
        f"where any {{target.secret.id = '{secrets[1]}', target.secret.id = '{secrets[0]}'}}",
        f"Allow dynamic-group rt to use keys in compartment id {DATA} where target.key.id = '{KEY}'",
    ]
    assert iam_statements.secret_read_statement("pg", DATA, [secrets[0]]) == (
        f"Allow dynamic-group pg to read secret-bundles in compartment id {DATA} where target.secret.id = '{secrets[0]}'"
    )
    with pytest.raises(ValueError, match="at least one secret"):
        iam_statements.secret_read_statement("pg", DATA, [])


@pytest.mark.parametrize(
    "statement",
    [
        "Allow group Admins to manage all-resources in compartment id x",
        "allow any-user to read secret-bundles in tenancy",
        "Allow any-group to inspect buckets in tenancy",
    ],
)
def test_over_broad_statements_are_refused(statement: str) -> None:
    with pytest.raises(ValueError, match="over-broad IAM statements"):
        iam_statements.checked(["Allow group Ops to read buckets in tenancy", statement], AT_ROOT)


def test_node_pool_key_grant_is_the_one_any_user_statement_allowed() -> None:
    """OKE docs, policies for user-managed encryption (contengpolicyconfig.htm#contengpolicyconfig_topic_Create_
    Policies_for_User_Managed_Encryption): node pools that encrypt boot volumes with a customer-managed key need
    `Allow any-user to use key-delegates in compartment <c> where ALL {request.principal.type='nodepool',
    target.key.id = '<key_OCID>'}`."""
    statement = iam_statements.node_pool_key_statement(DATA, KEY)
    assert statement == (
        f"Allow any-user to use key-delegates in compartment id {DATA} "
        f"where ALL {{request.principal.type = 'nodepool', target.key.id = '{KEY}'}}"
    )
    assert iam_statements.checked([statement], AT_ROOT) == [statement]


@pytest.mark.parametrize(
    "statement",
    [
        # no key condition: every key of the compartment
        f"Allow any-user to use key-delegates in compartment id {DATA} where request.principal.type = 'nodepool'",
        # no principal condition: anyone, on the key
        f"Allow any-user to use key-delegates in compartment id {DATA} where target.key.id = '{KEY}'",
        # ANY instead of ALL: either condition suffices
        f"Allow any-user to use key-delegates in compartment id {DATA} "
        f"where ANY {{request.principal.type = 'nodepool', target.key.id = '{KEY}'}}",
        # a wider verb or resource under the same conditions
        f"Allow any-user to use keys in compartment id {DATA} "
        f"where ALL {{request.principal.type = 'nodepool', target.key.id = '{KEY}'}}",
        f"Allow any-user to manage key-delegates in compartment id {DATA} "
        f"where ALL {{request.principal.type = 'nodepool', target.key.id = '{KEY}'}}",
        # another principal type
        f"Allow any-user to use key-delegates in compartment id {DATA} "
        f"where ALL {{request.principal.type = 'instance', target.key.id = '{KEY}'}}",
        # the tenancy, or a trailing extra grant smuggled after the conditions
        f"Allow any-user to use key-delegates in tenancy where ALL {{request.principal.type = 'nodepool', "
        f"target.key.id = '{KEY}'}}",
        f"Allow any-user to use key-delegates in compartment id {DATA} "
        f"where ALL {{request.principal.type = 'nodepool', target.key.id = '{KEY}'}} or 1",
        # OKE's grant for a tag namespace in another compartment than the nodes it tags, and its narrower example
        # (contengtaggingclusterresources_iam-tag-namespace-policy.htm), and a node-pool form OKE does not document:
        # the stack needs none (test_tag_namespace_lives_with_the_cluster_and_its_node_pools)
        "Allow any-user to use tag-namespace in tenancy where all {request.principal.type = 'cluster'}",
        f"Allow any-user to use tag-namespace in compartment id {DATA} where all {{ request.principal.id = '{CLUSTER}' }}",
        "Allow any-user to use tag-namespaces in tenancy where all {request.principal.type = 'nodepool'}",
    ],
)
def test_broader_any_user_statements_stay_refused(statement: str) -> None:
    with pytest.raises(ValueError, match=r"over-broad IAM statements.*\(any-user\)"):
        iam_statements.checked([statement], AT_ROOT)


@pytest.mark.parametrize(
    ("statement", "attachment"),
    [
        ("Allow group G to read buckets in tenancy", AT_PARENT),
        (f"Allow group G to read buckets in compartment id {OTHER}", AT_PARENT),
        (f"Allow group G to read buckets in compartment id {PARENT}", iam_statements.PolicyAttachment(DATA)),
        ("Allow group G to read buckets", AT_ROOT),
    ],
)
def test_statements_outside_the_attachment_subtree_are_refused(
    statement: str, attachment: iam_statements.PolicyAttachment
) -> None:
    """OCI IAM: a policy applies to the compartment it is attached to and its subcompartments; `in tenancy` needs
    the root (https://docs.oracle.com/iaas/Content/Identity/policieshow/Policy_Attachment.htm,
    https://docs.oracle.com/en-us/iaas/Content/Identity/policysyntax/location.htm: the location is required)."""
    with pytest.raises(ValueError, match="outside the policy's compartment subtree"):
        iam_statements.checked([statement], attachment)


@pytest.mark.parametrize(
    ("statement", "attachment"),
    [
        ("Allow group G to read buckets in tenancy where target.bucket.name = 'in compartment x'", AT_ROOT),
        (f"Allow group G to read buckets in compartment id {OTHER}", AT_ROOT),
        (f"Allow group G to read buckets in compartment id {PARENT}", AT_PARENT),
        (f"Allow group G to read buckets in compartment id {DATA} where target.bucket.name = 'b'", AT_PARENT),
        ("Allow group G to read buckets in compartment Project-A:Project-A2", AT_PARENT),
    ],
)
def test_statements_inside_the_attachment_subtree_pass(
    statement: str, attachment: iam_statements.PolicyAttachment
) -> None:
    assert iam_statements.checked([statement], attachment) == [statement]


def test_a_matching_rule_needs_a_condition() -> None:
    with pytest.raises(ValueError, match="at least one condition"):
        iam_statements.matching_rule("ALL", {})


def test_private_ca_gets_its_own_dynamic_group_only_when_used() -> None:
    without = record_identity("container_instances")
    assert "dicomstore-test-certificate-authorities" not in {
        g.inputs["name"] for g in without.of_type("oci:Identity/dynamicGroup:DynamicGroup")
    }
    group = record_identity("container_instances", private_ca=True).named("id-certificate-authorities")
    app = compartment_id(record_identity("container_instances"), "app")
    assert group.inputs["compartmentId"] == TENANCY
    assert group.inputs["matchingRule"] == (
        f"ALL {{resource.type = 'certificateauthority', resource.compartment.id = '{app}'}}"
    )
