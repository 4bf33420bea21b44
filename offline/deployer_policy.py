"""The least-privilege IAM policy of the group that runs `pulumi up`: `python -m offline deployer-policy --stack prod`.

Generated from the offline plan, never written by hand: each planned resource type maps to the OCI policy
resource-types (families where one fits) and the verb its create/update/delete needs (`PERMISSIONS`), granted in
the compartment the plan creates it in; a sub-resource without a compartmentId (an NSG rule, a log) in its
owner's (`PlanIndex.home`). A resource using a subnet, NSG or key of another stack compartment needs `use` there,
which that compartment's `manage` grant already includes.

Every statement goes into one policy attached to the root compartment: the stack's compartments do not exist
before the first `pulumi up`, so they are named by a condition on the compartment that holds them,
`where target.compartment.name = '<name>'` (a general variable of every request:
https://docs.oracle.com/en-us/iaas/Content/Identity/policyreference/policyreference_topic-General_Variables_for_All_Requests.htm).
Never `manage all-resources`.

Resource-type and family names: the OCI Policy Reference (one page per service, "Details for ..."):
- virtual-network-family (Core Services: VCNs, subnets, DRGs, CPEs, IPSec connections, virtual circuits);
- cluster-family (Container Engine);
- compute-container-family (https://docs.oracle.com/iaas/Content/container-instances/permissions/policy-reference.htm);
- leaf-certificate-family, certificate-authority-family
  (https://docs.oracle.com/iaas/Content/Identity/Reference/certificatespolicyreference.htm);
- cloud-guard-family, Security Zones included (https://docs.oracle.com/iaas/security-zone/using/security-zone-iam-policies.htm);
- postgres-db-systems, postgres-configuration (https://docs.oracle.com/iaas/Content/postgresql/policies.htm);
- secret-family (Vault secrets), vaults and keys (Key Management).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from offline.plan_index import Location, PlanIndex

VERBS = ("inspect", "read", "use", "manage")  # OCI's verbs, each including the ones before it

NETWORK = (("manage", "virtual-network-family"),)

PERMISSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    # Audit's UpdateConfiguration acts on the tenancy itself (its compartmentId is the root); not checked against
    # the Audit policy reference, which this offline copy of the docs lacks.
    "oci:Audit/configuration:Configuration": (("manage", "tenancies"),),
    "oci:Bastion/bastion:Bastion": (("manage", "bastion-family"),),
    "oci:Budget/budget:Budget": (("manage", "usage-budgets"),),
    "oci:Budget/rule:Rule": (("manage", "usage-budgets"),),
    "oci:CertificatesManagement/certificate:Certificate": (("manage", "leaf-certificate-family"),),
    "oci:CertificatesManagement/certificateAuthority:CertificateAuthority": (
        ("manage", "certificate-authority-family"),
    ),
    "oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration": (("manage", "cloud-guard-family"),),
    "oci:CloudGuard/detectorRecipe:DetectorRecipe": (("manage", "cloud-guard-family"),),
    "oci:CloudGuard/managedList:ManagedList": (("manage", "cloud-guard-family"),),
    "oci:CloudGuard/responderRecipe:ResponderRecipe": (("manage", "cloud-guard-family"),),
    "oci:CloudGuard/securityRecipe:SecurityRecipe": (("manage", "cloud-guard-family"),),
    "oci:CloudGuard/securityZone:SecurityZone": (("manage", "cloud-guard-family"),),
    "oci:CloudGuard/target:Target": (("manage", "cloud-guard-family"),),
    "oci:ContainerEngine/addon:Addon": (("manage", "cluster-family"),),
    "oci:ContainerEngine/cluster:Cluster": (("manage", "cluster-family"),),
    "oci:ContainerEngine/containerInstance:ContainerInstance": (("manage", "compute-container-family"),),
    "oci:ContainerEngine/nodePool:NodePool": (("manage", "cluster-family"),),
    "oci:Core/cpe:Cpe": NETWORK,
    "oci:Core/defaultSecurityList:DefaultSecurityList": NETWORK,
    "oci:Core/drg:Drg": NETWORK,
    "oci:Core/drgAttachment:DrgAttachment": NETWORK,
    "oci:Core/drgAttachmentManagement:DrgAttachmentManagement": NETWORK,
    "oci:Core/drgRouteDistribution:DrgRouteDistribution": NETWORK,
    "oci:Core/drgRouteDistributionStatement:DrgRouteDistributionStatement": NETWORK,
    "oci:Core/drgRouteTable:DrgRouteTable": NETWORK,
    "oci:Core/ipsec:Ipsec": NETWORK,
    "oci:Core/ipsecConnectionTunnelManagement:IpsecConnectionTunnelManagement": NETWORK,
    "oci:Core/natGateway:NatGateway": NETWORK,
    "oci:Core/networkSecurityGroup:NetworkSecurityGroup": NETWORK,
    "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule": NETWORK,
    "oci:Core/routeTable:RouteTable": NETWORK,
    "oci:Core/securityList:SecurityList": NETWORK,
    "oci:Core/serviceGateway:ServiceGateway": NETWORK,
    "oci:Core/subnet:Subnet": NETWORK,
    "oci:Core/vcn:Vcn": NETWORK,
    "oci:Core/virtualCircuit:VirtualCircuit": NETWORK,
    "oci:DataScience/job:Job": (("manage", "data-science-family"),),
    "oci:DataScience/notebookSession:NotebookSession": (("manage", "data-science-family"),),
    "oci:DataScience/privateEndpoint:PrivateEndpoint": (("manage", "data-science-family"),),
    "oci:DataScience/project:Project": (("manage", "data-science-family"),),
    "oci:Events/rule:Rule": (("manage", "cloudevents-rules"),),
    "oci:Identity/compartment:Compartment": (("manage", "compartments"),),
    "oci:Identity/customerSecretKey:CustomerSecretKey": (("manage", "users"),),
    "oci:Identity/dynamicGroup:DynamicGroup": (("manage", "dynamic-groups"),),
    "oci:Identity/group:Group": (("manage", "groups"),),
    "oci:Identity/policy:Policy": (("manage", "policies"),),
    "oci:Identity/tag:Tag": (("manage", "tag-namespaces"),),
    "oci:Identity/tagNamespace:TagNamespace": (("manage", "tag-namespaces"),),
    "oci:Identity/user:User": (("manage", "users"),),
    "oci:Identity/userCapabilitiesManagement:UserCapabilitiesManagement": (("manage", "users"),),
    # AddUserToGroup needs USER_UPDATE and GROUP_UPDATE.
    "oci:Identity/userGroupMembership:UserGroupMembership": (("manage", "users"), ("manage", "groups")),
    "oci:Kms/key:Key": (("manage", "keys"),),
    "oci:Kms/keyVersion:KeyVersion": (("manage", "keys"),),
    "oci:Kms/vault:Vault": (("manage", "vaults"),),
    "oci:LoadBalancer/backend:Backend": (("manage", "load-balancers"),),
    "oci:LoadBalancer/backendSet:BackendSet": (("manage", "load-balancers"),),
    "oci:LoadBalancer/listener:Listener": (("manage", "load-balancers"),),
    "oci:LoadBalancer/loadBalancer:LoadBalancer": (("manage", "load-balancers"),),
    "oci:LoadBalancer/ruleSet:RuleSet": (("manage", "load-balancers"),),
    "oci:LoadBalancer/sslCipherSuite:SslCipherSuite": (("manage", "load-balancers"),),
    "oci:Logging/log:Log": (("manage", "logging-family"),),
    "oci:Logging/logGroup:LogGroup": (("manage", "logging-family"),),
    "oci:Logging/unifiedAgentConfiguration:UnifiedAgentConfiguration": (("manage", "logging-family"),),
    # An alarm's query is checked against the metrics it reads.
    "oci:Monitoring/alarm:Alarm": (("manage", "alarms"), ("read", "metrics")),
    # Buckets, their lifecycle and replication policies: the replication and lifecycle APIs act on objects too.
    "oci:ObjectStorage/bucket:Bucket": (("manage", "object-family"),),
    "oci:ObjectStorage/objectLifecyclePolicy:ObjectLifecyclePolicy": (("manage", "object-family"),),
    "oci:ObjectStorage/replicationPolicy:ReplicationPolicy": (("manage", "object-family"),),
    "oci:Ons/notificationTopic:NotificationTopic": (("manage", "ons-topics"),),
    "oci:Ons/subscription:Subscription": (("manage", "ons-subscriptions"),),
    "oci:Psql/configuration:Configuration": (("manage", "postgres-configuration"),),
    "oci:Psql/dbSystem:DbSystem": (("manage", "postgres-db-systems"),),
    "oci:Vault/secret:Secret": (("manage", "secret-family"),),
}


class UnknownResourceTypeError(KeyError):
    """A planned OCI type that `PERMISSIONS` does not list: the policy would miss its permission. (Kubernetes
    objects go through the cluster's own API and RBAC, and providers are no resources: only `oci:` types count.)"""


@dataclass(frozen=True)
class Grant:
    verb: str
    resource_type: str
    location: Location


def grants(index: PlanIndex) -> list[Grant]:
    """The strongest verb each (resource-type, location) pair needs, over every planned resource."""
    strongest: dict[tuple[str, Location], str] = {}

    def need(verb: str, resource_type: str, location: Location) -> None:
        current = strongest.get((resource_type, location))
        if current is None or VERBS.index(verb) > VERBS.index(current):
            strongest[(resource_type, location)] = verb

    for record in index.records:
        if record.type not in PERMISSIONS:
            raise UnknownResourceTypeError(record.type)
        location = index.home(record)
        if location is None:
            continue  # names its owner by name, not id (a lifecycle policy its bucket): the owner's grant covers it
        for verb, resource_type in PERMISSIONS[record.type]:
            need(verb, resource_type, location)
    return sorted(
        (Grant(verb, resource_type, location) for (resource_type, location), verb in strongest.items()),
        key=lambda grant: (grant.location.kind != "tenancy", grant.location.name, grant.resource_type),
    )


def render_location(location: Location, index: PlanIndex) -> str:
    """The `in ...` part of a statement: planned compartments by name under the compartment that holds them."""
    if location.kind == "tenancy":
        return "tenancy"
    if location.kind != "planned":
        return f"compartment id {location.ocid}"
    holder = index.ids[location.ocid].inputs.get("compartmentId", "")
    scope = "tenancy" if holder == index.tenancy_ocid else f"compartment id {holder}"
    return f"{scope} where target.compartment.name = '{location.name}'"


def statements(index: PlanIndex, group: str) -> list[str]:
    return [
        f"Allow group {group} to {grant.verb} {grant.resource_type} in {render_location(grant.location, index)}"
        for grant in grants(index)
    ]


def add_deployer_policy_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "deployer-policy", help="the least-privilege IAM policy of the group that runs `pulumi up`, from the plan"
    )
    parser.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default: dev)")
    parser.add_argument(
        "--group",
        help="the deploying group (default: <project>-<stack>-deployers; `<domain>/<group>` outside the Default "
        "identity domain)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON document instead of one statement a line")


def deployer_policy_output(index: PlanIndex, group: str | None, as_json: bool) -> str:
    settings = index.settings
    group_name = group or f"{settings.project}-{settings.stack}-deployers"
    lines = statements(index, group_name)
    if not as_json:
        return "\n".join(lines)
    document = {
        "name": f"{settings.project}-{settings.stack}-deployer",
        "compartmentId": index.tenancy_ocid,
        "description": f"Least privilege of {group_name}: what `pulumi up` of stack {settings.stack} creates",
        "statements": lines,
    }
    return json.dumps(document, indent=2)


def deployer_policy_command(args: argparse.Namespace, index: PlanIndex) -> int:
    try:
        print(deployer_policy_output(index, args.group, args.json))
    except UnknownResourceTypeError as error:
        print(f"error: planned type {error.args[0]} has no entry in offline/deployer_policy.py PERMISSIONS. "
              "Fix: add its OCI resource-type and verb from the OCI Policy Reference", file=sys.stderr)  # fmt: skip
        return 1
    return 0
