"""`oci-service-rules`: OCI's own service constraints, checked on the plan before OCI refuses them.

Pulumi's mocks accept any input; OCI does not. Each policy here encodes one constraint that OCI's
documentation (or the image a workload runs) states, whose violation makes `pulumi up` fail or leaves a
deployment that cannot work: a versioned replication destination, a second Cloud Guard target on a
compartment, a policy statement outside its attachment's subtree, a private OKE API no deployer can reach,
an encrypted node pool without its key grant, an Orthanc container that cannot write what its entrypoint
writes, a tenancy-unique name shared by two stacks, a Data Science subnet without egress, a Bastion
allow-list of private ranges, load balancer backends pinned to node IPs, and the shape, name and limit
rules of the resources the stack creates. Every policy is MANDATORY and carries the URL it comes from.

Links between resources use the engine's dependency records (`policies._stack.linked`), never resource ids:
ids are not inputs and are unknown during `pulumi preview`. The stack's `<project>-<stack>` prefix comes
from the URNs (`urn:pulumi:<stack>::<project>::...`), which the engine and the offline replay both send.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies._checks import BUCKET, DEFAULT_SECURITY_LIST, NSG_RULE, SECURITY_LIST
from policies._framework import Framework, config_number, describe, threshold_schema
from policies._props import (
    TCP,
    as_bool,
    as_int,
    as_list,
    image_repository,
    is_root_compartment,
    known,
    lookup,
    parse_cidrs,
    pod_containers,
    pod_spec,
    port_in_range,
)
from policies._stack import linked, resources_of

OCI_SERVICE_RULES = Framework(name="OCI service rules", version="pulumi-oci 5.5.0")

REPLICATION_POLICY = "oci:ObjectStorage/replicationPolicy:ReplicationPolicy"
CLOUD_GUARD_TARGET = "oci:CloudGuard/target:Target"
SECURITY_ZONE = "oci:CloudGuard/securityZone:SecurityZone"
IAM_POLICY = "oci:Identity/policy:Policy"
COMPARTMENT = "oci:Identity/compartment:Compartment"
CLUSTER = "oci:ContainerEngine/cluster:Cluster"
NODE_POOL = "oci:ContainerEngine/nodePool:NodePool"
NSG = "oci:Core/networkSecurityGroup:NetworkSecurityGroup"
SUBNET = "oci:Core/subnet:Subnet"
VCN = "oci:Core/vcn:Vcn"
ROUTE_TABLE = "oci:Core/routeTable:RouteTable"
DRG = "oci:Core/drg:Drg"
NOTEBOOK_SESSION = "oci:DataScience/notebookSession:NotebookSession"
DATA_SCIENCE_JOB = "oci:DataScience/job:Job"
BASTION = "oci:Bastion/bastion:Bastion"
LB_BACKEND = "oci:LoadBalancer/backend:Backend"
LOAD_BALANCER = "oci:LoadBalancer/loadBalancer:LoadBalancer"
KMS_KEY = "oci:Kms/key:Key"
CUSTOMER_SECRET_KEY = "oci:Identity/customerSecretKey:CustomerSecretKey"
K8S_WORKLOADS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
)

KUBE_API_PORT = 6443  # the OKE Kubernetes API endpoint
HTTPS_PORT = 443  # every OCI API, Object Storage and OCIR answer on HTTPS
DRG_OCID_PREFIX = "ocid1.drg."


# Every service rule is MANDATORY: a violation is a deployment OCI refuses or one that cannot work. HIGH unless a rule
# says otherwise; the control's wording is the rule's description.
_policy = functools.partial(OCI_SERVICE_RULES.policy, level=EnforcementLevel.MANDATORY, severity=Severity.HIGH)


# --- 1. Object Storage replication destination -------------------------------------------------------------

# Object Versioning: "You can't enable versioning on a replication destination bucket. A destination bucket is
# read-only." (Using Replication, usingreplication.htm: the destination "is read-only and updated only by
# replication from the source bucket".)
REPLICATION_URL = "https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingversioning.htm"


def replication_destinations(policies: Iterable[PolicyResource]) -> set[str]:
    """The names of the buckets some replication policy of the stack writes to."""
    return {str(name) for policy in policies if (name := known(policy.props, "destinationBucketName"))}


def validate_replication_destination(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    destinations = replication_destinations(resources_of(args, REPLICATION_POLICY))
    for bucket in resources_of(args, BUCKET):
        name = known(bucket.props, "name")
        if name in destinations and known(bucket.props, "versioning") == "Enabled":
            report_violation(
                f"{describe(bucket)} is the destination of a replication policy and has versioning 'Enabled': "
                "a replication destination is read-only and OCI refuses the policy (or versioning). Fix: leave "
                "the replica's versioning unset ('Disabled'); the source bucket's versions and the replica's "
                "retention rules protect the copy.",
                bucket.urn,
            )


ocisvc_replication_destination_unversioned = _policy(
    "ocisvc-replication-destination-not-versioned",
    "A bucket that receives Object Storage replication does not have versioning enabled.",
    validate_replication_destination,
    kind=StackValidationPolicy,
    reference="objectstorage.replication.destination",
    url=REPLICATION_URL,
    remediation="Set versioning='Disabled' on the destination bucket (make_bucket_writable ends replication).",
    tags=["storage", "replication"],
)


# --- 2. Cloud Guard targets -----------------------------------------------------------------------------------

SECURITY_ZONE_URL = "https://docs.oracle.com/en-us/iaas/security-zone/using/create-security-zone.htm"


def validate_cloud_guard_targets(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    zoned = {known(zone.props, "compartmentId") for zone in resources_of(args, SECURITY_ZONE)} - {None}
    seen: dict[str, PolicyResource] = {}
    for target in resources_of(args, CLOUD_GUARD_TARGET):
        resource_id = known(target.props, "targetResourceId")
        if resource_id is None:
            continue
        first = seen.setdefault(resource_id, target)
        if first is not target:
            report_violation(
                f"{describe(target)} targets {resource_id!r}, which {describe(first)} already targets; a "
                "compartment belongs to one Cloud Guard target only and OCI refuses the second. Fix: keep one "
                "target per compartment (adopt an existing one instead of creating it).",
                target.urn,
            )
        if resource_id in zoned:
            report_violation(
                f"{describe(target)} targets compartment {resource_id!r}, which a security zone of this stack "
                "covers; creating the zone deletes the compartment's existing targets and makes its own. Fix: "
                "do not create a target for a security-zone compartment; cover it through the zone's target.",
                target.urn,
            )


ocisvc_cloud_guard_one_target = _policy(
    "ocisvc-cloud-guard-one-target-per-compartment",
    "At most one Cloud Guard target per compartment, and none on a compartment a security zone covers.",
    validate_cloud_guard_targets,
    kind=StackValidationPolicy,
    reference="cloudguard.target.unique",
    url=SECURITY_ZONE_URL,
    remediation="Keep one target per compartment; let the security zone own the zone compartment's target.",
    tags=["cloud-guard", "governance"],
)


# --- 3. IAM policy statements lie in the attachment's subtree ------------------------------------------------

# Locations: a statement's compartment is read relative to "the compartment where you create the policy"; a
# policy governs the compartment it is attached to and that compartment's subtree (Policy_Attachment.htm).
POLICY_LOCATION_URL = "https://docs.oracle.com/en-us/iaas/Content/Identity/policysyntax/location.htm"
# Subjects: "Any-user will grant access to all users, resource principals, and instance principals in your
# tenancy and service principal. We recommend against using any-user".
POLICY_SUBJECT_URL = "https://docs.oracle.com/en-us/iaas/Content/Identity/policysyntax/subject.htm"
# `Allow <subject> to <verb> <resource-type> in <location> [where <conditions>]` (Endorse/Admit/Define are
# cross-tenancy statements and carry no location of this tenancy).
STATEMENT = re.compile(
    r"^\s*allow\s+(?P<subject>.+?)\s+to\s+(?P<permission>.+?)\s+in\s+"
    r"(?P<location>tenancy|compartment\s+id\s+\S+|compartment\s+\S+)"
    r"(?:\s+where\s+(?P<conditions>.+?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Statement:
    """The parts of an `Allow` policy statement this pack reasons about."""

    subject: str
    permission: str
    location: str
    """`tenancy`, `compartment id <ocid>` or `compartment <name-or-path>`."""
    conditions: str

    @property
    def in_tenancy(self) -> bool:
        return self.location.lower() == "tenancy"

    @property
    def compartment_ocid(self) -> str | None:
        parts = self.location.split()
        return parts[2] if len(parts) == 3 and parts[1].lower() == "id" else None


def parse_statement(text: Any) -> Statement | None:
    """An `Allow` statement's parts, None for anything else (Endorse, Admit, Define, unknown values)."""
    match = STATEMENT.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    return Statement(
        subject=" ".join(match["subject"].split()),
        permission=" ".join(match["permission"].split()),
        location=" ".join(match["location"].split()),
        conditions=" ".join((match["conditions"] or "").split()),
    )


def statements_of(policy: PolicyResource | ResourceValidationArgs) -> list[Statement]:
    return [statement for text in as_list(known(policy.props, "statements")) if (statement := parse_statement(text))]


def outside_attachment(compartment: PolicyResource, attachment: str, compartments: list[PolicyResource]) -> bool:
    """True if the plan proves `compartment` is not in the subtree of `attachment`: walking its parents through
    the stack's compartments reaches the tenancy without passing `attachment`. A parent outside the plan
    ends the walk undecided (False)."""
    current: PolicyResource | None = compartment
    visited: set[str] = set()
    while current is not None and current.urn not in visited:
        visited.add(current.urn)
        parent_id = known(current.props, "compartmentId")
        if parent_id == attachment:
            return False
        if is_root_compartment(parent_id):
            return True
        current = next((other for other in compartments if linked(current, other)), None)
    return False


def validate_statement_scope(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    compartments = resources_of(args, COMPARTMENT)
    for policy in resources_of(args, IAM_POLICY):
        attachment = known(policy.props, "compartmentId")
        if not isinstance(attachment, str) or is_root_compartment(attachment):
            continue  # a tenancy policy may name any compartment
        statements = statements_of(policy)
        for statement in statements:
            if statement.in_tenancy or is_root_compartment(statement.compartment_ocid):
                report_violation(
                    f"{describe(policy)} is attached to compartment {attachment!r} but its statement "
                    f"'... in {statement.location}' reaches the whole tenancy; OCI refuses a statement outside "
                    "the subtree of the policy's compartment. Fix: attach the policy to the tenancy "
                    "(compartment_id = tenancy OCID) or scope the statement to 'compartment id <child>'.",
                    policy.urn,
                )
        if any(statement.compartment_ocid not in (None, attachment) for statement in statements):
            for compartment in compartments:
                if linked(policy, compartment) and outside_attachment(compartment, attachment, compartments):
                    report_violation(
                        f"{describe(policy)} is attached to compartment {attachment!r} and names "
                        f"{describe(compartment)}, which is not in that compartment's subtree. Fix: attach the "
                        "policy to a common ancestor of every compartment its statements name.",
                        policy.urn,
                    )


ocisvc_policy_statement_scope = _policy(
    "ocisvc-iam-statements-in-attachment-subtree",
    "Every IAM policy statement names its own compartment or one below it ('in tenancy' only in a policy "
    "attached to the tenancy).",
    validate_statement_scope,
    kind=StackValidationPolicy,
    reference="iam.policy.location",
    url=POLICY_LOCATION_URL,
    remediation="Attach tenancy-wide statements to the root compartment; keep compartment statements in a "
    "policy attached to the compartment or one of its ancestors.",
    tags=["iam"],
)


# --- 4. A private OKE API endpoint must be reachable by whoever creates the Kubernetes objects ---------------

OKE_ENDPOINT_URL = "https://docs.oracle.com/en-us/iaas/Content/ContEng/Concepts/contengnetworkconfig.htm"


def _is_kubernetes(resource: PolicyResource) -> bool:
    return resource.resource_type.startswith("kubernetes:")


def nsg_rule_admits_port_from(rule: Mapping[str, Any], port: int) -> str | None:
    """The source CIDR of an NSG ingress rule admitting TCP `port` from a CIDR block, else None."""
    if str(known(rule, "direction", "")).upper() != "INGRESS":
        return None
    if str(known(rule, "sourceType", "CIDR_BLOCK")).upper() != "CIDR_BLOCK":
        return None
    if str(known(rule, "protocol", "")).lower() not in (TCP, "all"):
        return None
    if not port_in_range(lookup(rule, "tcpOptions.destinationPortRange"), port):
        return None
    source = known(rule, "source")
    return source if isinstance(source, str) else None


def routes_to_drg(route_table: PolicyResource, drgs: list[PolicyResource]) -> list[str]:
    """The destinations a route table sends to a DRG (its entity is a DRG OCID, or a DRG of the stack while
    the id is not known yet)."""
    table_uses_drg = any(linked(route_table, drg) for drg in drgs)
    destinations: list[str] = []
    for rule in as_list(known(route_table.props, "routeRules")):
        entity = known(rule, "networkEntityId")
        if (entity is None and table_uses_drg) or (isinstance(entity, str) and entity.startswith(DRG_OCID_PREFIX)):
            destination = known(rule, "destination")
            if isinstance(destination, str):
                destinations.append(destination)
    return destinations


def _covers(outer: str, inner: str) -> bool:
    networks = parse_cidrs([outer, inner])
    if len(networks) != 2 or networks[0].version != networks[1].version:
        return False
    return networks[1].subnet_of(networks[0])  # type: ignore[arg-type]


def deployer_cidrs(args: StackValidationArgs, cluster: PolicyResource) -> list[str]:
    """Source CIDRs outside every VCN that the cluster's endpoint NSGs admit on 6443 and whose traffic the
    endpoint subnet's route table sends back through the DRG."""
    nsgs = [nsg for nsg in resources_of(args, NSG) if linked(cluster, nsg)]
    vcn_cidrs = [cidr for vcn in resources_of(args, VCN) for cidr in as_list(known(vcn.props, "cidrBlocks"))]
    sources = {
        source
        for rule in resources_of(args, NSG_RULE)
        if any(linked(rule, nsg) for nsg in nsgs) and (source := nsg_rule_admits_port_from(rule.props, KUBE_API_PORT))
    }
    external = [source for source in sources if not any(_covers(str(vcn), source) for vcn in vcn_cidrs)]
    subnets = [subnet for subnet in resources_of(args, SUBNET) if linked(cluster, subnet)]
    drgs = resources_of(args, DRG)
    routed = [
        destination
        for table in resources_of(args, ROUTE_TABLE)
        if any(linked(subnet, table) for subnet in subnets)
        for destination in routes_to_drg(table, drgs)
    ]
    return [source for source in external if any(_covers(destination, source) for destination in routed)]


def validate_oke_deploy_path(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    if not any(_is_kubernetes(resource) for resource in args.resources):
        return
    for cluster in resources_of(args, CLUSTER):
        if as_bool(lookup(cluster.props, "endpointConfig.isPublicIpEnabled")) is True:
            continue
        if not deployer_cidrs(args, cluster):
            report_violation(
                f"{describe(cluster)} has a private API endpoint and the stack creates Kubernetes objects, but "
                "no NSG rule on the endpoint admits TCP 6443 from a network outside the VCN that the endpoint "
                "subnet routes through the DRG: `pulumi up` cannot reach the API. Fix: list the deployers' "
                "on-prem CIDRs (inside the hospital's CIDRs), add a 6443 ingress rule per CIDR on the API NSG "
                "and DRG routes for them on the API subnet's route table.",
                cluster.urn,
            )


ocisvc_oke_deploy_path = _policy(
    "ocisvc-oke-private-endpoint-deploy-path",
    "A private OKE API endpoint that the stack deploys Kubernetes objects to admits 6443 from a deployer "
    "network outside the VCN and routes that network through the DRG.",
    validate_oke_deploy_path,
    kind=StackValidationPolicy,
    reference="oke.endpoint.reachability",
    url=OKE_ENDPOINT_URL,
    remediation="Wire the deployer CIDRs: a 6443 NSG rule per CIDR on the API NSG and DRG routes on the API "
    "subnet's route table (components/orthanc/oke).",
    tags=["oke", "network"],
)


# --- 5. Node-pool key grant; no other any-user statement -----------------------------------------------------

OKE_ENCRYPTION_URL = "https://docs.oracle.com/en-us/iaas/Content/ContEng/Tasks/contengencryptingdata.htm"
KEY_DELEGATE = re.compile(r"^use\s+key-delegates?$", re.IGNORECASE)
NODEPOOL_KEY_CONDITION = re.compile(
    r"^all\s*\{\s*(?:request\.principal\.type\s*=\s*'nodepool'\s*,\s*target\.key\.id\s*=\s*'(?P<a>[^']+)'"
    r"|target\.key\.id\s*=\s*'(?P<b>[^']+)'\s*,\s*request\.principal\.type\s*=\s*'nodepool')\s*\}$",
    re.IGNORECASE,
)


def nodepool_key_grant(statement: Statement) -> str | None:
    """The key OCID of OKE's documented node-pool grant (`Allow any-user to use key-delegates in ... where
    ALL {request.principal.type = 'nodepool', target.key.id = '<key>'}`), None for any other statement."""
    if statement.subject.lower() != "any-user" or not KEY_DELEGATE.match(statement.permission):
        return None
    match = NODEPOOL_KEY_CONDITION.match(statement.conditions)
    return (match["a"] or match["b"]) if match else None


def node_pool_key(node_pool: PolicyResource) -> str | None:
    key = lookup(node_pool.props, "nodeConfigDetails.kmsKeyId")
    return key if isinstance(key, str) and key else None


def validate_node_pool_key_grant(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    granted = {
        key
        for policy in resources_of(args, IAM_POLICY)
        for statement in statements_of(policy)
        if (key := nodepool_key_grant(statement))
    }
    for node_pool in resources_of(args, NODE_POOL):
        key = node_pool_key(node_pool)
        if key is not None and key not in granted:
            report_violation(
                f"{describe(node_pool)} encrypts its boot volumes with key {key!r} but no policy grants node "
                'pools that key; node provisioning fails. Fix: add "Allow any-user to use key-delegates in '
                "compartment id <key compartment> where ALL {request.principal.type = 'nodepool', "
                f"target.key.id = '{key}'}}\".",
                node_pool.urn,
            )


ocisvc_node_pool_key_grant = _policy(
    "ocisvc-oke-node-pool-key-grant",
    "An OKE node pool whose boot volumes use a Vault key has OKE's documented node-pool grant on that key.",
    validate_node_pool_key_grant,
    kind=StackValidationPolicy,
    reference="oke.node-pool.cmk",
    url=OKE_ENCRYPTION_URL,
    remediation="Add the any-user statement conditioned on request.principal.type = 'nodepool' and the key.",
    tags=["oke", "encryption", "iam"],
)


def validate_any_user_statements(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != IAM_POLICY:
        return
    for statement in statements_of(args):
        if statement.subject.lower() == "any-user" and nodepool_key_grant(statement) is None:
            report_violation(
                f"{describe(args)} grants 'any-user' '{statement.permission}' (every user, resource and "
                "service principal of the tenancy). Fix: name a group or dynamic group; the only any-user "
                "statement allowed is OKE's node-pool key grant (ALL {request.principal.type = 'nodepool', "
                "target.key.id = '<key>'}).",
                None,
            )


ocisvc_any_user_statements = _policy(
    "ocisvc-iam-any-user-only-node-pool-key-grant",
    "No IAM statement grants any-user, except OKE's node-pool grant on one key.",
    validate_any_user_statements,
    kind=ResourceValidationPolicy,
    reference="iam.policy.any-user",
    url=POLICY_SUBJECT_URL,
    remediation="Replace any-user with a group or dynamic group, or with the exact node-pool key grant.",
    tags=["iam"],
)


# --- 6. orthancteam/orthanc: what its entrypoint writes ------------------------------------------------------

ORTHANC_IMAGE = "orthancteam/orthanc"
ORTHANC_BUILDER_URL = "https://github.com/orthanc-server/orthanc-builder/tree/master/docker/orthanc"
# orthanc-server/orthanc-builder@0a4394c docker/orthanc/Dockerfile:329-347: user and group `orthanc` are
# uid/gid 999 and own /etc/hostid, /tmp, /var/lib/orthanc and the plugin directories.
ORTHANC_UID = 999
ORTHANC_CONFIG_FILE_DIR = "/tmp"  # generateConfiguration.py:109-112 writes /tmp/orthanc.json at every start
# configurator.py:184-197 links (or copies) each enabled plugin's .so into /run/orthanc/plugins when that is
# a directory, else into /usr/share/orthanc/plugins; a failure sets hasErrors and generateConfiguration.py:84-86
# exits -1.
ORTHANC_PLUGIN_DIRS = ("/run/orthanc/plugins", "/usr/share/orthanc/plugins")
# docker-entrypoint.sh:17-26 writes /etc/hostid when FORCE_HOST_ID is set, or when GENERATE_HOST_ID_IF_MISSING
# is not `false` and /etc/hostid is missing or holds the image's placeholder `not-generated`.
HOSTID_PATH = "/etc/hostid"
READ_ONLY_VOLUME_KINDS = ("configMap", "secret", "downwardAPI", "projected")


def _mounts(container: Mapping[str, Any], volumes: Mapping[str, Any], *, writable: bool) -> list[str]:
    paths: list[str] = []
    for mount in as_list(container.get("volumeMounts")):
        volume = volumes.get(str(mount.get("name")), {})
        read_only = as_bool(mount.get("readOnly")) is True or any(kind in volume for kind in READ_ONLY_VOLUME_KINDS)
        if not writable or not read_only:
            paths.append(str(mount.get("mountPath", "")).rstrip("/") or "/")
    return paths


def _env(container: Mapping[str, Any]) -> dict[str, Any]:
    return {str(variable.get("name")): variable.get("value") for variable in as_list(container.get("env"))}


@dataclass(frozen=True)
class WriteProblem:
    """A path the orthancteam/orthanc entrypoint writes but cannot in a given container."""

    path: str
    why: str
    fix: str


def orthanc_write_problems(pod: Mapping[str, Any], container: Mapping[str, Any]) -> list[WriteProblem]:
    """Each path the orthancteam/orthanc entrypoint writes at start but cannot in this container."""
    volumes = {str(volume.get("name")): volume for volume in as_list(pod.get("volumes"))}
    writable = _mounts(container, volumes, writable=True)
    read_only_root = as_bool(lookup(container, "securityContext.readOnlyRootFilesystem")) is True
    uid = as_int(lookup(container, "securityContext.runAsUser", lookup(pod, "securityContext.runAsUser")))
    image_can_write = not read_only_root and uid in (None, 0, ORTHANC_UID)
    why = "the root filesystem is read-only" if read_only_root else f"uid {uid} does not own it (uid 999 does)"

    def writable_at(path: str) -> bool:
        return image_can_write or any(path == mount or path.startswith(mount + "/") for mount in writable)

    problems: list[WriteProblem] = []
    if not writable_at(ORTHANC_CONFIG_FILE_DIR):
        problems.append(WriteProblem("/tmp/orthanc.json", why, "mount an emptyDir at /tmp"))
    if not any(writable_at(path) for path in ORTHANC_PLUGIN_DIRS):
        problems.append(WriteProblem("the plugin directory", why, "mount an emptyDir at /run/orthanc/plugins"))
    env = _env(container)
    hostid_mounted = HOSTID_PATH in _mounts(container, volumes, writable=False)
    skips_hostid = str(env.get("GENERATE_HOST_ID_IF_MISSING", "")).lower() == "false" or hostid_mounted
    if (env.get("FORCE_HOST_ID") or not skips_hostid) and not writable_at(HOSTID_PATH):
        problems.append(
            WriteProblem(
                HOSTID_PATH,
                why,
                "set GENERATE_HOST_ID_IF_MISSING=false without FORCE_HOST_ID, or mount a file holding a host id "
                "at /etc/hostid",
            )
        )
    return problems


CONTAINER_INSTANCE = "oci:ContainerEngine/containerInstance:ContainerInstance"
EMPTY_DIR_VOLUME = "EMPTYDIR"  # Container Instances' other volume type, CONFIGFILE, carries files like a configMap


def container_instance_as_pod(props: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A container instance's volumes and containers in the Kubernetes shape the Orthanc check reads."""
    volumes = [
        {"name": volume.get("name"), "emptyDir" if volume.get("volumeType") == EMPTY_DIR_VOLUME else "configMap": {}}
        for volume in as_list(props.get("volumes"))
    ]
    containers = [
        {
            "name": container.get("displayName"),
            "image": container.get("imageUrl"),
            "volumeMounts": [
                {
                    "name": mount.get("volumeName"),
                    "mountPath": mount.get("mountPath"),
                    "readOnly": mount.get("isReadOnly"),
                }
                for mount in as_list(container.get("volumeMounts"))
            ],
            "securityContext": {
                "readOnlyRootFilesystem": lookup(container, "securityContext.isRootFileSystemReadonly"),
                "runAsUser": lookup(container, "securityContext.runAsUser"),
            },
            "env": [
                {"name": name, "value": value} for name, value in (container.get("environmentVariables") or {}).items()
            ],
        }
        for container in as_list(props.get("containers"))
    ]
    return {"volumes": volumes}, containers


def pod_and_containers(resource_type: str, props: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Any]]:
    """The pod-level settings and every container of a Kubernetes workload or a container instance."""
    if resource_type == CONTAINER_INSTANCE:
        return container_instance_as_pod(props)
    if resource_type in K8S_WORKLOADS:
        pod = pod_spec(resource_type, props) or {}
        return pod, list(pod_containers(pod))
    return {}, []


IMAGE_ENTRYPOINT = "/docker-entrypoint.sh"  # orthanc-builder docker/orthanc/Dockerfile ENTRYPOINT


def runs_image_entrypoint(container: Mapping[str, Any]) -> bool:
    """The container starts the image's entrypoint: no command of its own (Kubernetes `command`, container
    instances' `commands`), or one that hands over to it (the secret-loading wrapper does)."""
    command = [*as_list(container.get("command")), *as_list(container.get("commands")), *as_list(container.get("args"))]
    return not command or any(IMAGE_ENTRYPOINT in str(part) for part in command)


def validate_orthanc_writable_paths(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    pod, containers = pod_and_containers(args.resource_type, args.props)
    for container in containers:
        image = str(container.get("image", ""))
        if image_repository(image) not in (ORTHANC_IMAGE, f"docker.io/{ORTHANC_IMAGE}"):
            continue
        if not runs_image_entrypoint(container):
            continue  # e.g. an init container that only uses the image's shell
        for problem in orthanc_write_problems(pod, container):
            report_violation(
                f"{describe(args)} container '{container.get('name')}' runs {image}, whose entrypoint writes "
                f"{problem.path} at every start and exits when it cannot; here it cannot: {problem.why}. "
                f"Fix: {problem.fix}.",
                None,
            )


ocisvc_orthanc_writable_paths = _policy(
    "ocisvc-orthanc-image-writable-paths",
    "Containers (Kubernetes workloads, container instances) of the orthancteam/orthanc image can write what its "
    "entrypoint writes (/tmp/orthanc.json, the plugin directory, /etc/hostid).",
    validate_orthanc_writable_paths,
    kind=ResourceValidationPolicy,
    reference="orthanc.image.entrypoint",
    url=ORTHANC_BUILDER_URL,
    remediation="Mount emptyDirs at /tmp and /run/orthanc/plugins, set GENERATE_HOST_ID_IF_MISSING=false (or "
    "mount /etc/hostid), or run as uid 999 with a writable root filesystem.",
    tags=["kubernetes", "orthanc"],
)


# --- 7. Tenancy-unique names carry the stack prefix ---------------------------------------------------------

# Types whose `name` is unique in the whole tenancy: policies ("must be unique across all policies in your
# tenancy", terraform-provider-oci r/identity_policy), groups ("unique across all groups in your tenancy",
# r/identity_group), dynamic groups and users (same wording in their resource docs), tag namespaces, and
# certificate authorities, "subject to restrictions on the reuse of a CA display name" while pending deletion
# (Content/certificates/deleting-certificate-authority.htm).
TENANCY_UNIQUE_NAMES_URL = (
    "https://docs.oracle.com/en-us/iaas/tools/terraform-provider-oci/latest/docs/r/identity_policy.html"
)
TAG_NAMESPACE = "oci:Identity/tagNamespace:TagNamespace"
TENANCY_UNIQUE_TYPES = (
    "oci:Identity/group:Group",
    "oci:Identity/dynamicGroup:DynamicGroup",
    "oci:Identity/user:User",
    IAM_POLICY,
    TAG_NAMESPACE,
    "oci:CertificatesManagement/certificateAuthority:CertificateAuthority",
)


def stack_prefix(urn: str) -> str | None:
    """`<project>-<stack>` from a URN `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    parts = urn.split("::")
    if len(parts) < 2 or not parts[0].startswith("urn:pulumi:"):
        return None
    return f"{parts[1]}-{parts[0].removeprefix('urn:pulumi:')}"


def validate_tenancy_unique_names(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TENANCY_UNIQUE_TYPES:
        return
    prefix = stack_prefix(args.urn)
    name = known(args.props, "name")
    if prefix and args.resource_type == TAG_NAMESPACE:
        # Tag namespaces go into matching rules as `tag.<namespace>.<key>.value`: letters and digits only, so
        # the prefix is written without its separators (components/identity/identity.py tag_namespace_name).
        prefix = re.sub(r"[^A-Za-z0-9]", "", prefix)
        if isinstance(name, str) and not name.startswith(prefix):
            report_violation(
                f"{describe(args)} is named {name!r}; tag namespace names are unique in the tenancy. Fix: name it "
                f"'{prefix}' (the stack's prefix without separators).",
                None,
            )
        return
    if prefix and isinstance(name, str) and not name.startswith(prefix + "-"):
        report_violation(
            f"{describe(args)} is named {name!r}; names of this type are unique in the tenancy, so a second "
            f"stack (or one pending deletion) with that name makes `pulumi up` fail. Fix: name it "
            f"'{prefix}-<role>'.",
            None,
        )


ocisvc_tenancy_unique_names = _policy(
    "ocisvc-tenancy-unique-names-stack-prefixed",
    "Names OCI requires to be unique in the tenancy (groups, dynamic groups, users, policies, tag namespaces, "
    "certificate authorities) start with '<project>-<stack>-'.",
    validate_tenancy_unique_names,
    kind=ResourceValidationPolicy,
    reference="naming.tenancy-unique",
    url=TENANCY_UNIQUE_NAMES_URL,
    remediation="Derive the name from the stack's name prefix (components/config/schema.py).",
    tags=["naming", "iam"],
)


# --- 13. Data Science workloads rely on their subnet's security list ----------------------------------------

# NotebookSessionConfigurationDetails.subnetId: the session's VNIC is created in that subnet, which "should be in a
# VCN with a NAT gateway for egress"; pulumi-oci 5.5.0 has no nsg_ids on notebook sessions or jobs
# (datascience/_inputs.py JobJobInfrastructureConfigurationDetailsArgs), so the subnet's security lists decide.
DATA_SCIENCE_NETWORK_URL = (
    "https://docs.oracle.com/en-us/iaas/tools/dotnet/latest/api/"
    "Oci.DatascienceService.Models.NotebookSessionConfigurationDetails.html"
)
DATA_SCIENCE_SUBNET_WORKLOADS = (NOTEBOOK_SESSION, DATA_SCIENCE_JOB)


def security_list_allows_egress(security_list: PolicyResource, port: int) -> bool:
    """True if a (default) security list has an egress rule admitting TCP `port` to some destination."""
    for rule in as_list(known(security_list.props, "egressSecurityRules")):
        protocol = str(known(rule, "protocol", "")).lower()
        if protocol == "all" or (protocol == TCP and port_in_range(known(rule, "tcpOptions"), port)):
            return True
    return False


def validate_data_science_egress(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    subnets = resources_of(args, SUBNET)
    security_lists = resources_of(args, SECURITY_LIST, DEFAULT_SECURITY_LIST)
    for workload in resources_of(args, *DATA_SCIENCE_SUBNET_WORKLOADS):
        for subnet in (subnet for subnet in subnets if linked(workload, subnet)):
            lists = [security_list for security_list in security_lists if linked(subnet, security_list)]
            if not any(security_list_allows_egress(security_list, HTTPS_PORT) for security_list in lists):
                report_violation(
                    f"{describe(workload)} runs in {describe(subnet)}; its VNIC cannot join an NSG (pulumi-oci "
                    "5.5 has no nsg_ids for it), so only the subnet's security lists apply, and none allows "
                    "egress to HTTPS (443): it cannot reach Object Storage, OCIR or the OCI APIs. Fix: give the "
                    "subnet a security list with egress TCP 443 to the Oracle Services Network.",
                    workload.urn,
                )


ocisvc_data_science_egress = _policy(
    "ocisvc-data-science-subnet-egress",
    "Data Science notebook sessions and jobs run in a subnet whose security list allows their HTTPS egress.",
    validate_data_science_egress,
    kind=StackValidationPolicy,
    reference="datascience.custom-networking",
    url=DATA_SCIENCE_NETWORK_URL,
    remediation="Attach a security list with stateful egress TCP 443 (service CIDR) to the AI subnet.",
    tags=["ai", "network"],
)


# --- 14. Bastion allow-list holds public CIDRs ----------------------------------------------------------------

BASTION_URL = "https://docs.oracle.com/en-us/iaas/Content/Bastion/Tasks/create-bastion.htm"
NON_PUBLIC_RANGES = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "10.0.0.0/8",  # RFC 1918
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # RFC 6598 carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "fc00::/7",  # IPv6 unique local
        "fe80::/10",  # IPv6 link-local
        "::1/128",
    )
)


def non_public_cidrs(cidrs: Iterable[Any]) -> list[str]:
    """The CIDRs that lie inside a private, CGNAT, loopback or link-local range."""
    return [
        str(network)
        for network in parse_cidrs(cidrs)
        if any(network.version == blocked.version and network.subnet_of(blocked) for blocked in NON_PUBLIC_RANGES)  # type: ignore[arg-type]
    ]


def validate_bastion_client_cidrs(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != BASTION:
        return
    for cidr in non_public_cidrs(as_list(known(args.props, "clientCidrBlockAllowLists"))):
        report_violation(
            f"{describe(args)} allows clients from {cidr}, a non-public range; clients reach a Bastion on its "
            "public endpoint, so their source address is public. Fix: list the administrators' public egress "
            "CIDRs (dicomstore:security bastion allow-list).",
            None,
        )


ocisvc_bastion_public_clients = _policy(
    "ocisvc-bastion-client-cidrs-public",
    "A Bastion's client allow-list holds public CIDRs (no RFC 1918, CGNAT, loopback or link-local range).",
    validate_bastion_client_cidrs,
    kind=ResourceValidationPolicy,
    reference="bastion.client-allow-list",
    url=BASTION_URL,
    remediation="Replace private ranges with the public egress CIDRs of the administrators' network.",
    tags=["bastion", "network"],
)


# "Creating a Bastion": the name takes "only alphanumeric characters", the CIDR allow-list at most 20 blocks,
# and the maximum session time-to-live is "at least 30 minutes" and does not "exceed 180 minutes".
BASTION_NAME = re.compile(r"^[A-Za-z0-9]+$")
MAX_BASTION_CIDRS = 20
BASTION_TTL_SECONDS = (30 * 60, 180 * 60)


def bastion_parameter_problems(props: Mapping[str, Any]) -> list[str]:
    """Why OCI would refuse a Bastion's name, allow-list length or session time-to-live."""
    problems: list[str] = []
    name = known(props, "name")
    if isinstance(name, str) and not BASTION_NAME.match(name):
        problems.append(f"name {name!r} has characters other than letters and digits")
    cidrs = as_list(known(props, "clientCidrBlockAllowLists"))
    if len(cidrs) > MAX_BASTION_CIDRS:
        problems.append(f"{len(cidrs)} client CIDR blocks exceed the maximum of {MAX_BASTION_CIDRS}")
    ttl = as_int(known(props, "maxSessionTtlInSeconds"))
    low, high = BASTION_TTL_SECONDS
    if ttl is not None and not low <= ttl <= high:
        problems.append(f"max_session_ttl_in_seconds {ttl} is outside {low}-{high}")
    return problems


def validate_bastion_parameters(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != BASTION:
        return
    for problem in bastion_parameter_problems(args.props):
        report_violation(
            f"{describe(args)}: {problem}. Fix: an alphanumeric name, at most {MAX_BASTION_CIDRS} CIDRs and a "
            "session time-to-live of 30 to 180 minutes.",
            None,
        )


ocisvc_bastion_parameters = _policy(
    "ocisvc-bastion-parameters-valid",
    "A Bastion has an alphanumeric name, at most 20 client CIDRs and a session TTL of 30 to 180 minutes.",
    validate_bastion_parameters,
    kind=ResourceValidationPolicy,
    reference="bastion.parameters",
    url=BASTION_URL,
    remediation="Fix the Bastion's name, allow-list length or max_session_ttl_in_seconds.",
    tags=["bastion"],
    severity=Severity.MEDIUM,
)


# --- 15. Load balancer backends do not pin OKE node IPs -----------------------------------------------------

OKE_LB_URL = (
    "https://docs.oracle.com/en-us/iaas/Content/ContEng/Tasks/"
    "contengconfiguringloadbalancersnetworkloadbalancers-subtopic.htm"
)


def validate_backends_not_node_ips(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    node_pools = resources_of(args, NODE_POOL)
    for backend in resources_of(args, LB_BACKEND):
        pool = next((pool for pool in node_pools if linked(backend, pool)), None)
        if pool is not None:
            report_violation(
                f"{describe(backend)} points at a node IP taken from {describe(pool)}; node cycling, repair or "
                "scaling replaces nodes and leaves the backend stale. Fix: let OKE manage the backends (a "
                "Kubernetes Service of type LoadBalancer, or the OCI native ingress controller).",
                backend.urn,
            )


ocisvc_backends_not_node_ips = _policy(
    "ocisvc-lb-backends-not-oke-node-ips",
    "No load balancer backend is a node IP captured from an OKE node pool.",
    validate_backends_not_node_ips,
    kind=StackValidationPolicy,
    reference="oke.load-balancer.backends",
    url=OKE_LB_URL,
    remediation="Expose Orthanc through a Service of type LoadBalancer (or native ingress) so OKE keeps the "
    "backends current.",
    tags=["oke", "load-balancer"],
)


# --- Shape, name and limit rules of the resources the stack creates ------------------------------------------

# ShapeDetails: minimum "between 10 and the maximumBandwidthInMbps", maximum "between minimumBandwidthInMbps and
# 8000 (8Gbps)".
LB_FLEXIBLE_URL = (
    "https://docs.oracle.com/en-us/iaas/tools/python/latest/api/load_balancer/models/"
    "oci.load_balancer.models.ShapeDetails.html"
)
LB_FLEXIBLE_SHAPE = "flexible"
LB_MIN_MBPS, LB_MAX_MBPS = 10, 8000  # the flexible shape's bandwidth range


def flexible_shape_problems(props: Mapping[str, Any]) -> list[str]:
    """Why a load balancer's flexible-shape bandwidth would be refused."""
    if known(props, "shape") != LB_FLEXIBLE_SHAPE:
        return []
    low = as_int(lookup(props, "shapeDetails.minimumBandwidthInMbps"))
    high = as_int(lookup(props, "shapeDetails.maximumBandwidthInMbps"))
    if low is None or high is None:
        return ["the flexible shape needs shape_details with minimum and maximum bandwidth"]
    problems = [
        f"{label} {value} Mbps is outside {LB_MIN_MBPS}-{LB_MAX_MBPS}"
        for label, value in (("minimum", low), ("maximum", high))
        if not LB_MIN_MBPS <= value <= LB_MAX_MBPS
    ]
    if low > high:
        problems.append(f"minimum {low} Mbps exceeds maximum {high} Mbps")
    return problems


def validate_lb_flexible_shape(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != LOAD_BALANCER:
        return
    for problem in flexible_shape_problems(args.props):
        report_violation(
            f"{describe(args)}: {problem}. Fix: set shape_details within {LB_MIN_MBPS}-{LB_MAX_MBPS} Mbps, "
            "minimum <= maximum.",
            None,
        )


ocisvc_lb_flexible_shape = _policy(
    "ocisvc-lb-flexible-shape-bandwidth",
    "A flexible load balancer sets minimum and maximum bandwidth within 10-8000 Mbps, minimum <= maximum.",
    validate_lb_flexible_shape,
    kind=ResourceValidationPolicy,
    reference="loadbalancer.flexible-shape",
    url=LB_FLEXIBLE_URL,
    remediation="Give shape_details minimum/maximum bandwidth between 10 and 8000 Mbps.",
    tags=["load-balancer"],
    severity=Severity.MEDIUM,
)

BUCKET_NAMES_URL = "https://docs.oracle.com/en-us/iaas/api/#/en/objectstorage/20160918/datatypes/CreateBucketDetails"
# CreateBucketDetails.name: "Valid characters are uppercase or lowercase letters, numbers, hyphens, underscores,
# and periods", 1 to 256 characters.
BUCKET_NAME = re.compile(r"^[A-Za-z0-9._-]{1,256}$")


def validate_bucket_name(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != BUCKET:
        return
    name = known(args.props, "name")
    if isinstance(name, str) and not BUCKET_NAME.match(name):
        report_violation(
            f"{describe(args)} is named {name!r}; bucket names take 1-256 letters, digits, '-', '_' and '.'. "
            "Fix: rename the bucket.",
            None,
        )


ocisvc_bucket_name = _policy(
    "ocisvc-bucket-name-valid",
    "Bucket names use 1-256 letters, digits, dashes, underscores and periods.",
    validate_bucket_name,
    kind=ResourceValidationPolicy,
    reference="objectstorage.bucket.name",
    url=BUCKET_NAMES_URL,
    remediation="Rename the bucket (a rename replaces it: copy the objects first).",
    tags=["storage", "naming"],
    severity=Severity.MEDIUM,
)

NSG_LIMITS_URL = "https://docs.oracle.com/en-us/iaas/Content/General/Concepts/servicelimits.htm"
# The service limit `securityrules-per-networksecuritygroup-count` (120 by default; a limit request can raise
# it, hence the setting). Beyond it OCI answers "security rules per network security group count limit exceeded".
MAX_RULES_PER_NSG = 120
MAX_RULES_KEY = "maxRulesPerNsg"


def validate_nsg_rule_limit(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    limit = config_number(args.get_config(), MAX_RULES_KEY, MAX_RULES_PER_NSG)
    rules = resources_of(args, NSG_RULE)
    for nsg in resources_of(args, NSG):
        count = sum(1 for rule in rules if linked(rule, nsg))
        if count > limit:
            report_violation(
                f"{describe(nsg)} has {count} security rules; the tenancy's limit is {limit} per NSG. Fix: merge "
                f"rules (CIDR ranges, port ranges), split the role over two NSGs, or raise the service limit and "
                f"{MAX_RULES_KEY}.",
                nsg.urn,
            )


ocisvc_nsg_rule_limit = _policy(
    "ocisvc-nsg-rule-limit",
    "Every network security group stays within the tenancy's security-rules-per-NSG limit (120 by default).",
    validate_nsg_rule_limit,
    kind=StackValidationPolicy,
    reference="network.nsg.rule-limit",
    url=NSG_LIMITS_URL,
    remediation="Merge or split the NSG's rules, or raise the service limit (and the policy setting).",
    tags=["network"],
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        threshold_schema(MAX_RULES_KEY, MAX_RULES_PER_NSG, "securityrules-per-networksecuritygroup-count", minimum=1)
    ),
)


DNS_URL = "https://docs.oracle.com/en-us/iaas/Content/Network/Concepts/dns.htm"
# VCN and subnet DNS labels: at most 15 alphanumeric characters, starting with a letter.
DNS_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,14}$")
DNS_LABELLED_TYPES = (VCN, SUBNET)


def validate_dns_label(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in DNS_LABELLED_TYPES:
        return
    label = known(args.props, "dnsLabel")
    if label and isinstance(label, str) and not DNS_LABEL.match(label):  # no label: no DNS hostnames
        report_violation(
            f"{describe(args)} has DNS label {label!r}; a VCN or subnet label is 1-15 letters and digits starting "
            "with a letter. Fix: drop the dashes/underscores and shorten it (a change replaces the resource).",
            None,
        )


ocisvc_dns_label = _policy(
    "ocisvc-dns-label-valid",
    "VCN and subnet DNS labels are 1-15 alphanumeric characters starting with a letter.",
    validate_dns_label,
    kind=ResourceValidationPolicy,
    reference="network.dns-label",
    url=DNS_URL,
    remediation="Use a short alphanumeric dns_label (e.g. 'okeapi', not 'oke_api').",
    tags=["network", "naming"],
    severity=Severity.MEDIUM,
)

KEY_SHAPE_URL = "https://docs.oracle.com/en-us/iaas/api/#/en/key/release/datatypes/KeyShape"
# KeyShape.length, in bytes: "AES: 16, 24, or 32; RSA: 256, 384, or 512; ECDSA: 32, 48, or 66".
KEY_LENGTHS: Mapping[str, tuple[int, ...]] = {"AES": (16, 24, 32), "RSA": (256, 384, 512), "ECDSA": (32, 48, 66)}


def validate_key_shape(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != KMS_KEY:
        return
    algorithm = lookup(args.props, "keyShape.algorithm")
    length = as_int(lookup(args.props, "keyShape.length"))
    if algorithm is None and length is None:
        return  # a partial export without the shape: the provider's schema requires one, nothing to judge here
    allowed = KEY_LENGTHS.get(str(algorithm))
    if allowed is None or length not in allowed:
        report_violation(
            f"{describe(args)} has key shape {algorithm!r} / {length!r} bytes, which Vault does not create. Fix: "
            "AES with 16, 24 or 32 bytes (32 for the master key), RSA 256/384/512, or ECDSA 32/48/66.",
            None,
        )


ocisvc_key_shape = _policy(
    "ocisvc-vault-key-shape-valid",
    "Vault keys use an algorithm and a length (in bytes) that Vault supports.",
    validate_key_shape,
    kind=ResourceValidationPolicy,
    reference="kms.key-shape",
    url=KEY_SHAPE_URL,
    remediation="Set key_shape to a supported algorithm/length pair (lengths are bytes, not bits).",
    tags=["encryption"],
    severity=Severity.MEDIUM,
)


CUSTOMER_SECRET_KEY_URL = (
    "https://docs.oracle.com/iaas/tools/oci-cli/latest/oci_cli_docs/cmdref/iam/customer-secret-key.html"
)
# "A user can have up to two secret keys at a time": the S3 key roll lives in that room (README, "Rotation runbook").
MAX_CUSTOMER_SECRET_KEYS = 2


def validate_customer_secret_keys_per_user(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    by_user: dict[str, list[PolicyResource]] = {}
    for key in resources_of(args, CUSTOMER_SECRET_KEY):
        user = known(key.props, "userId")
        if user:  # a user created in the same run has no id during preview: nothing to count yet
            by_user.setdefault(str(user), []).append(key)
    for keys in by_user.values():
        if len(keys) > MAX_CUSTOMER_SECRET_KEYS:
            for key in keys:
                report_violation(
                    f"{describe(key)} is one of {len(keys)} customer secret keys of one user; OCI allows "
                    f"{MAX_CUSTOMER_SECRET_KEYS} at a time and refuses the next. Fix: delete the old key first "
                    "(storage.s3KeyGenerations lists at most two generations).",
                    key.urn,
                )


ocisvc_customer_secret_keys_per_user = _policy(
    "ocisvc-customer-secret-keys-per-user",
    "No IAM user has more than two customer secret keys (the S3 compatibility API credentials).",
    validate_customer_secret_keys_per_user,
    kind=StackValidationPolicy,
    reference="identity.customer-secret-key.limit",
    url=CUSTOMER_SECRET_KEY_URL,
    remediation="Delete the oldest customer secret key before creating another (roll: [1] -> [1, 2] -> [2]).",
    tags=["identity", "storage"],
    severity=Severity.MEDIUM,
)


ALARM = "oci:Monitoring/alarm:Alarm"
# MQL dimension names are case-sensitive: a filter on a name the namespace does not emit matches no stream, and
# the alarm never fires. Only namespaces whose dimension table was read from Oracle's metrics page are listed;
# an alarm on another namespace is not judged.
ALARM_DIMENSIONS_URL = "https://docs.oracle.com/en-us/iaas/Content/Monitoring/Reference/mql.htm"
DOCUMENTED_DIMENSIONS: Mapping[str, frozenset[str]] = {
    # Content/Object/Reference/objectstoragemetrics.htm
    "oci_objectstorage": frozenset({"resourceID", "resourceDisplayName", "tier"}),
    # Content/postgresql/metrics.htm
    "oci_postgresql": frozenset({"resourceType", "resourceName", "resourceId", "dbInstanceRole", "dbInstanceId"}),
    # container-instances/container-instance-metrics.htm
    "oci_computecontainerinstance": frozenset(
        {"availabilityDomain", "faultDomain", "resourceDisplayName", "resourceId"}
    ),
    # Content/Network/Reference/ipsecmetrics.htm
    "oci_vpn": frozenset({"parentResourceId", "publicIp"}),
}
MQL_DIMENSION = re.compile(r"([A-Za-z][A-Za-z0-9_]*)\s*=~?\s*\"")


def validate_alarm_dimensions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != ALARM:
        return
    namespace, query = known(args.props, "namespace"), known(args.props, "query")
    documented = DOCUMENTED_DIMENSIONS.get(str(namespace))
    if documented is None or not isinstance(query, str) or "{" not in query:
        return
    selector = query[query.index("{") + 1 : query.index("}")]
    for name in MQL_DIMENSION.findall(selector):
        if name not in documented:
            report_violation(
                f"{describe(args)} filters {namespace} on dimension {name!r}, which that namespace does not emit "
                f"(it has {', '.join(sorted(documented))}), so the alarm can never fire. Fix: spell the dimension "
                "as the service's metrics page does (names are case-sensitive).",
                None,
            )


ocisvc_alarm_dimensions = _policy(
    "ocisvc-alarm-dimensions-documented",
    "Alarm queries filter only on dimensions their metric namespace emits, spelled as documented.",
    validate_alarm_dimensions,
    kind=ResourceValidationPolicy,
    reference="monitoring.alarm.dimensions",
    url=ALARM_DIMENSIONS_URL,
    remediation="Use the dimension names of the namespace's metrics page (e.g. resourceID for oci_objectstorage, "
    "resourceId for oci_postgresql).",
    tags=["monitoring"],
    severity=Severity.MEDIUM,
)

POLICIES: list[Policy] = [
    ocisvc_replication_destination_unversioned,
    ocisvc_cloud_guard_one_target,
    ocisvc_policy_statement_scope,
    ocisvc_oke_deploy_path,
    ocisvc_node_pool_key_grant,
    ocisvc_any_user_statements,
    ocisvc_orthanc_writable_paths,
    ocisvc_tenancy_unique_names,
    ocisvc_data_science_egress,
    ocisvc_bastion_public_clients,
    ocisvc_bastion_parameters,
    ocisvc_backends_not_node_ips,
    ocisvc_lb_flexible_shape,
    ocisvc_bucket_name,
    ocisvc_nsg_rule_limit,
    ocisvc_dns_label,
    ocisvc_key_shape,
    ocisvc_customer_secret_keys_per_user,
    ocisvc_alarm_dimensions,
]
