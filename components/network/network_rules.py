"""The network's traffic matrix as data: which tier talks to which, on what, and the routes each tier needs.

Pure functions, no Pulumi runtime: the Network component turns these tables into NSG security rules and route
tables, and the unit tests read them directly.

Design choices:
* The table lists *flows* (source -> destination, protocol, ports, why). One flow between two NSGs becomes two
  stateful rules: an egress rule on the source NSG and an ingress rule on the destination NSG naming each
  other (NSG -> NSG), because an NSG without an egress rule lets nothing out and the subnets' security list is
  empty. A flow from outside the VCN (the hospital) becomes an ingress rule only; a flow to Oracle Services
  Network or the internet an egress rule only.
* Peers inside the VCN are named by NSG, never by CIDR. The one exception is the bastion tier: the OCI Bastion
  service's private endpoint cannot join an NSG, so targets admit the bastion subnet's CIDR.
* VNICs that cannot join an NSG (the Bastion's private endpoint; Data Science notebook sessions, job runs and
  model deployment instances) get their rules from their subnet's own security list (`security_list_rules`):
  stateful egress to exactly the peers they use, and path MTU discovery back.
* Only documented ports: HTTPS 443 and DICOM 4242 from the hospital to the load balancer; Orthanc 8042/4242
  (on OKE: the cluster's internal network load balancer in the workers tier) from the load balancer; PostgreSQL
  5432 from Orthanc (Container Instances, OKE pods and workers) and the bastion; the Kubernetes API (6443) from
  the bastion and from the deployers' hospital networks (`pulumi up`, kubectl); DICOM from Orthanc to each
  configured modality's own port (C-MOVE); the OKE ports of Oracle's "Network Resource Configuration for
  Cluster Creation and Deployment" (VCN-native pod networking); ICMP type 3 code 4 for path MTU discovery. No
  SSH/RDP rule exists at all, and ingress from 0.0.0.0/0 or ::/0 is refused by the builder.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, TypeVar

from components.config.schema import Modality, Tier
from components.network.ports import (
    DICOM_PORT,
    HTTPS_PORT,
    KUBE_API_PORT,
    KUBELET_PORT,
    OKE_CONTROL_PLANE_PORT,
    ORTHANC_HTTP_PORT,
    POSTGRES_PORT,
)

# ICMP types the flow table admits, each with its reason (ports: components/network/ports.py).
ICMP_DESTINATION_UNREACHABLE = 3
ICMP_FRAGMENTATION_NEEDED = 4  # with type 3: path MTU discovery (FastConnect/IPSec MTUs differ from the VCN's)

ALL_IPV4 = "0.0.0.0/0"

# The engine's protocol numbers (IANA), as OCI security rules take them.
PROTOCOL_ALL = "all"
PROTOCOL_ICMP = "1"
PROTOCOL_TCP = "6"


@dataclass(frozen=True)
class Nsg:
    """A peer inside the VCN: the NSG of a tier."""

    tier: Tier


@dataclass(frozen=True)
class Cidr:
    """A peer named by address range: the hospital, the bastion subnet, the internet (egress only)."""

    cidr: str


@dataclass(frozen=True)
class OracleServices:
    """All <region> Services in Oracle Services Network, reached through the service gateway."""


Peer = Nsg | Cidr | OracleServices


@dataclass(frozen=True)
class Traffic:
    """What a flow carries: a protocol and, for TCP, one port or all ports (None); for ICMP, type and code."""

    protocol: str
    port: int | None = None
    icmp: tuple[int, int] | None = None

    @property
    def label(self) -> str:
        """Short, name-safe form: `tcp-5432`, `tcp-all`, `icmp-3-4`, `all`."""
        if self.protocol == PROTOCOL_TCP:
            return f"tcp-{self.port if self.port is not None else 'all'}"
        if self.protocol == PROTOCOL_ICMP and self.icmp is not None:
            return f"icmp-{self.icmp[0]}-{self.icmp[1]}"
        return "all"


def tcp(port: int | None = None) -> Traffic:
    """TCP to one destination port, or to every port (None)."""
    return Traffic(PROTOCOL_TCP, port)


ALL_TRAFFIC = Traffic(PROTOCOL_ALL)
PATH_MTU = Traffic(PROTOCOL_ICMP, icmp=(ICMP_DESTINATION_UNREACHABLE, ICMP_FRAGMENTATION_NEEDED))


@dataclass(frozen=True)
class Flow:
    """Traffic one peer opens towards another (stateful: replies are allowed back)."""

    source: Peer
    destination: Peer
    traffic: Traffic
    description: str


@dataclass(frozen=True)
class NsgRule:
    """One security rule of one tier's NSG."""

    tier: Tier
    """The NSG the rule belongs to."""
    direction: Literal["INGRESS", "EGRESS"]
    peer: Peer
    """The source (ingress) or destination (egress)."""
    traffic: Traffic
    description: str

    @property
    def key(self) -> str:
        """Unique, stable, name-safe identifier within the NSG, e.g. `in-app-tcp-5432`."""
        return f"{'in' if self.direction == 'INGRESS' else 'out'}-{peer_label(self.peer)}-{self.traffic.label}"


@dataclass(frozen=True)
class FlowInputs:
    """What the flow table depends on."""

    hospital_cidrs: Sequence[str]
    """The hospital's networks (config `network.onPremCidrs`): allowed to the load balancer."""
    bastion_cidr: str
    """The bastion subnet: the OCI Bastion endpoint's addresses."""
    modalities: Sequence[Modality] = ()
    """The DICOM peers Orthanc sends to (C-STORE as the destination of a C-MOVE), config
    `orthanc.allowedModalities`."""
    oke_balancer_ports: Sequence[int] = ()
    """OKE runtime: the ports of Orthanc's internal network load balancer, which OKE's cloud controller places in
    the workers tier (workers NSG) and keeps pointed at the current nodes: the load balancer's backend."""
    deployer_cidrs: Sequence[str] = ()
    """Hospital networks where `pulumi up` and kubectl run (config `network.deployerCidrs`): allowed to the
    private Kubernetes API endpoint."""


def peer_label(peer: Peer) -> str:
    """Name-safe label of a peer: the tier (`oke-pods`), the CIDR (`10-0-0-0-14`), `oracle-services`."""
    if isinstance(peer, Nsg):
        return peer.tier.value.replace("_", "-")
    if isinstance(peer, Cidr):
        return re.sub(r"[^0-9a-f]+", "-", peer.cidr.lower()).strip("-")
    return "oracle-services"


def is_anywhere(cidr: str) -> bool:
    """True for a range covering a whole address family (0.0.0.0/0, ::/0)."""
    return ipaddress.ip_network(cidr, strict=False).prefixlen == 0


ORTHANC_HOSTS = (Tier.APP, Tier.OKE_PODS)
"""Where Orthanc has its own address (Container Instances, OKE pods with VCN-native addresses): it listens
there on its own ports and opens its DICOM associations from there."""
POSTGRES_CLIENTS = (Tier.APP, Tier.OKE_PODS, Tier.OKE_WORKERS)
"""Only Orthanc reads and writes the index (from a pod's address, or the node's for host-network pods);
administrators come through the bastion."""


def modality_cidrs(modality: Modality, hospital_cidrs: Sequence[str]) -> list[str]:
    """Where a modality lives: its own address (/32, /128) when configured by IP, else the hospital's networks
    (a host name resolves at run time, somewhere on the hospital side of the DRG)."""
    try:
        address = ipaddress.ip_address(modality.host)
    except ValueError:
        return list(hospital_cidrs)
    return [str(ipaddress.ip_network(address))]


def modality_flows(inputs: FlowInputs) -> list[Flow]:
    """Orthanc to each allowed modality on its DICOM port, once per distinct (address, port)."""
    targets: dict[tuple[str, int], list[str]] = {}
    for modality in inputs.modalities:
        for cidr in modality_cidrs(modality, inputs.hospital_cidrs):
            targets.setdefault((cidr, modality.port), []).append(modality.aet)
    return [
        Flow(Nsg(sender), Cidr(cidr), tcp(port), f"Orthanc C-STORE to modality {', '.join(aets)} (C-MOVE)")
        for (cidr, port), aets in targets.items()
        for sender in ORTHANC_HOSTS
    ]


def flows(inputs: FlowInputs) -> list[Flow]:
    """The whole traffic matrix of the DICOM store."""
    hospital = [Cidr(cidr) for cidr in inputs.hospital_cidrs]
    bastion = Cidr(inputs.bastion_cidr)
    lb, db, api = Nsg(Tier.LB), Nsg(Tier.DB), Nsg(Tier.OKE_API)
    workers, pods = Nsg(Tier.OKE_WORKERS), Nsg(Tier.OKE_PODS)
    services, internet = OracleServices(), Cidr(ALL_IPV4)
    table: list[Flow] = []
    for network in hospital:
        table += [
            Flow(network, lb, tcp(HTTPS_PORT), "HTTPS (DICOMweb, Orthanc UI) from the hospital to the load balancer"),
            Flow(network, lb, tcp(DICOM_PORT), "DICOM from the hospital's modalities to the load balancer"),
            Flow(network, lb, PATH_MTU, "Path MTU discovery from the hospital (FastConnect/IPSec MTU)"),
            # Notebook sessions and model deployments sit behind Data Science private endpoints in the AI
            # subnet: the data scientists' browsers and clients reach them from the hospital.
            Flow(network, Nsg(Tier.AI), tcp(HTTPS_PORT), "HTTPS from the hospital to Data Science private endpoints"),
        ]
    for host in ORTHANC_HOSTS:
        table += [
            Flow(lb, Nsg(host), tcp(ORTHANC_HTTP_PORT), "Load balancer to Orthanc's HTTP API"),
            Flow(lb, Nsg(host), tcp(DICOM_PORT), "Load balancer to Orthanc's DICOM port"),
        ]
    table += [
        Flow(lb, workers, tcp(port), "Load balancer to Orthanc's internal network load balancer (OKE workers tier)")
        for port in inputs.oke_balancer_ports
    ]
    for client in POSTGRES_CLIENTS:
        table.append(Flow(Nsg(client), db, tcp(POSTGRES_PORT), "Orthanc to its PostgreSQL index"))
    table += [
        # Administrators: OCI Bastion port-forwarding sessions only, never SSH/RDP.
        Flow(bastion, db, tcp(POSTGRES_PORT), "Bastion port-forwarding session to PostgreSQL (DBA access)"),
        Flow(bastion, api, tcp(KUBE_API_PORT), "Bastion port-forwarding session to the Kubernetes API (kubectl)"),
        # `pulumi up` creates Orthanc's Kubernetes objects from the hospital, over FastConnect/IPSec.
        *(
            flow
            for cidr in inputs.deployer_cidrs
            for flow in (
                Flow(
                    Cidr(cidr), api, tcp(KUBE_API_PORT), "pulumi up and kubectl from the hospital to the Kubernetes API"
                ),
                Flow(Cidr(cidr), api, PATH_MTU, "Path MTU discovery from the deployers (FastConnect/IPSec MTU)"),
            )
        ),
        # Orthanc on Container Instances: bucket, Vault secrets, logging through the service gateway; the image
        # from its registry through the NAT gateway.
        Flow(
            Nsg(Tier.APP), services, tcp(HTTPS_PORT), "Orthanc to Object Storage, Vault and Logging (service gateway)"
        ),
        Flow(Nsg(Tier.APP), internet, tcp(HTTPS_PORT), "Container image pulls from public registries (NAT gateway)"),
        # OKE, per Oracle's network resource configuration for VCN-native pod networking.
        Flow(workers, api, tcp(KUBE_API_PORT), "Kubernetes worker to Kubernetes API endpoint communication"),
        Flow(workers, api, tcp(OKE_CONTROL_PLANE_PORT), "Kubernetes worker to control plane communication"),
        Flow(workers, api, PATH_MTU, "Path MTU discovery (workers to API endpoint)"),
        Flow(pods, api, tcp(KUBE_API_PORT), "Pod to Kubernetes API endpoint communication"),
        Flow(pods, api, tcp(OKE_CONTROL_PLANE_PORT), "Pod to control plane communication"),
        Flow(api, workers, tcp(KUBELET_PORT), "Kubernetes API endpoint to kubelet on worker nodes"),
        Flow(api, workers, PATH_MTU, "Path MTU discovery (API endpoint to workers)"),
        Flow(api, pods, ALL_TRAFFIC, "Kubernetes API endpoint to pods (webhooks, exec, port-forward)"),
        Flow(api, services, tcp(), "Kubernetes API endpoint to OKE and regional OCI services"),
        Flow(api, services, PATH_MTU, "Path MTU discovery towards Oracle Services Network"),
        Flow(workers, workers, ALL_TRAFFIC, "Worker to worker communication"),
        Flow(workers, pods, ALL_TRAFFIC, "Worker nodes to pods (kubelet probes, host-network pods)"),
        Flow(pods, pods, ALL_TRAFFIC, "Pod to pod communication"),
        Flow(workers, services, tcp(), "Worker nodes to OKE, OCIR and regional OCI services"),
        Flow(workers, services, PATH_MTU, "Path MTU discovery towards Oracle Services Network"),
        Flow(workers, internet, tcp(HTTPS_PORT), "Container image pulls from public registries (NAT gateway)"),
        Flow(pods, services, tcp(), "Pods to Object Storage, Vault and other regional OCI services"),
        Flow(pods, services, PATH_MTU, "Path MTU discovery towards Oracle Services Network"),
        # AI: training data comes from the bucket through the service gateway; never from the database. The AI
        # NSG holds only the Data Science private endpoints; the notebook, job and model VNICs cannot join it
        # and get their egress from the AI subnet's own security list (`security_list_rules`).
        Flow(Nsg(Tier.AI), services, tcp(HTTPS_PORT), "Data Science to Object Storage and OCI APIs (service gateway)"),
    ]
    return table + modality_flows(inputs)


def nsg_rules(table: Iterable[Flow]) -> list[NsgRule]:
    """Each flow as the NSG rules that allow it: egress on a source NSG, ingress on a destination NSG.

    Raises ValueError for a flow that no NSG owns, that admits ingress from the whole internet, or that comes
    from Oracle Services Network (the service gateway only carries replies back), and for duplicate rules.
    """
    rules: list[NsgRule] = []
    for flow in table:
        if not isinstance(flow.source, Nsg) and not isinstance(flow.destination, Nsg):
            raise ValueError(f"flow {flow.description!r} has no NSG at either end")
        if isinstance(flow.destination, Nsg):
            if isinstance(flow.source, OracleServices):
                raise ValueError(f"flow {flow.description!r} would admit ingress from Oracle Services Network")
            if isinstance(flow.source, Cidr) and is_anywhere(flow.source.cidr):
                raise ValueError(f"flow {flow.description!r} would admit ingress from {flow.source.cidr}")
            rules.append(NsgRule(flow.destination.tier, "INGRESS", flow.source, flow.traffic, flow.description))
        if isinstance(flow.source, Nsg):
            rules.append(NsgRule(flow.source.tier, "EGRESS", flow.destination, flow.traffic, flow.description))
    keys = [(rule.tier, rule.key) for rule in rules]
    duplicates = sorted({f"{tier.value}/{key}" for tier, key in keys if keys.count((tier, key)) > 1})
    if duplicates:
        raise ValueError(f"duplicate NSG rules: {', '.join(duplicates)}")
    return rules


T = TypeVar("T")


def stateful_rule(
    direction: Literal["INGRESS", "EGRESS"],
    peer: object,
    peer_type: str,
    traffic: Traffic,
    description: str,
    *,
    nsg: bool,
) -> dict[str, object]:
    """The arguments of one stateful security rule. NSG rules (`nsg=True`) carry their direction and spell a TCP
    port as `tcp_options.destination_port_range {min, max}`; a security list's rules sit in an ingress or egress
    list and spell it `tcp_options {min, max}` (oracle/terraform-provider-oci core_network_security_group_security_rule
    and core_security_list docs)."""
    side = "source" if direction == "INGRESS" else "destination"
    arguments: dict[str, object] = {
        "protocol": traffic.protocol,
        side: peer,
        f"{side}_type": peer_type,
        "stateless": False,
        "description": description,
    }
    if nsg:
        arguments["direction"] = direction
    if traffic.port is not None:
        ports = {"min": traffic.port, "max": traffic.port}
        arguments["tcp_options"] = {"destination_port_range": ports} if nsg else ports
    if traffic.icmp is not None:
        arguments["icmp_options"] = {"type": traffic.icmp[0], "code": traffic.icmp[1]}
    return arguments


def rule_arguments(rule: NsgRule, nsg_ids: Mapping[Tier, T], services_cidr: T) -> dict[str, object]:
    """Keyword arguments of `oci.core.NetworkSecurityGroupSecurityRule` for `rule` (without the NSG id).

    `nsg_ids` resolves NSG peers and `services_cidr` is the service gateway's `cidr_block` label; both may be
    Pulumi outputs.
    """
    peer: object
    if isinstance(rule.peer, Nsg):
        peer, peer_type = nsg_ids[rule.peer.tier], "NETWORK_SECURITY_GROUP"
    elif isinstance(rule.peer, Cidr):
        peer, peer_type = rule.peer.cidr, "CIDR_BLOCK"
    else:
        peer, peer_type = services_cidr, "SERVICE_CIDR_BLOCK"
    return stateful_rule(rule.direction, peer, peer_type, rule.traffic, rule.description, nsg=True)


# --- subnet security lists for VNICs that cannot join an NSG -------------------------------------------------

NSG_LESS_TIERS: Mapping[Tier, str] = {
    # pulumi-oci 5.5 (and the OCI API it wraps) takes no NSG for these VNICs: NotebookSessionConfigurationDetails
    # and JobInfrastructureConfigurationDetails have `subnet_id` only (the Data Science PrivateEndpoint, which
    # does take `nsg_ids`, fronts the notebook; it is not the session's own VNIC).
    Tier.AI: "Data Science notebook sessions, job runs and model deployment instances",
    # CreateBastionDetails (oracle/terraform-provider-oci r/bastion_bastion) has `target_subnet_id` and no NSG:
    # the Bastion's private endpoint lives in that subnet under its security lists.
    Tier.BASTION: "the OCI Bastion's private endpoint",
}
"""Tiers whose VNICs the subnet's security lists alone govern, and what those VNICs are."""


@dataclass(frozen=True)
class SecurityListRule:
    """One stateful rule of the own security list of an NSG-less tier."""

    tier: Tier
    direction: Literal["INGRESS", "EGRESS"]
    peer: Cidr | OracleServices
    """The source (ingress) or destination (egress)."""
    traffic: Traffic
    description: str


def security_list_rules(subnets: Mapping[Tier, str], ai_internet_egress: bool) -> list[SecurityListRule]:
    """What the NSG-less VNICs need, and nothing else (stateful: replies come back without a rule).

    * Data Science: HTTPS to Oracle Services Network through the service gateway (the bucket, OCIR images of
      job runs, Vault, Logging, the service conda environments in Object Storage, the Data Science API); the
      internet only when `ai.internetEgress` asks for it (public package indexes, model hubs).
    * Bastion endpoint: the targets of its port-forwarding sessions, PostgreSQL (5432) and the Kubernetes API
      (6443), by subnet CIDR (a security list cannot name an NSG). No SSH (22): nothing in the stack is reached
      over SSH, so no managed-SSH session has a target.
    * Path MTU discovery (ICMP 3/4) back from the same peers.
    """
    services = OracleServices()
    database, kube_api = Cidr(subnets[Tier.DB]), Cidr(subnets[Tier.OKE_API])
    rules = [
        SecurityListRule(
            Tier.AI, "EGRESS", services, tcp(HTTPS_PORT),
            "Data Science to Object Storage, OCIR, Vault, Logging and conda environments (service gateway)",
        ),
        SecurityListRule(Tier.AI, "INGRESS", services, PATH_MTU, "Path MTU discovery from Oracle Services Network"),
        SecurityListRule(
            Tier.BASTION, "EGRESS", database, tcp(POSTGRES_PORT), "Bastion port-forwarding sessions to PostgreSQL"
        ),
        SecurityListRule(
            Tier.BASTION, "EGRESS", kube_api, tcp(KUBE_API_PORT),
            "Bastion port-forwarding sessions to the Kubernetes API",
        ),
        SecurityListRule(Tier.BASTION, "INGRESS", database, PATH_MTU, "Path MTU discovery from PostgreSQL"),
        SecurityListRule(Tier.BASTION, "INGRESS", kube_api, PATH_MTU, "Path MTU discovery from the Kubernetes API"),
    ]  # fmt: skip
    if ai_internet_egress:
        rules.append(
            SecurityListRule(
                Tier.AI, "EGRESS", Cidr(ALL_IPV4), tcp(HTTPS_PORT),
                "Data Science package and model downloads from the internet (NAT gateway; ai.internetEgress)",
            )
        )  # fmt: skip
    return rules


def security_list_arguments(rules: Iterable[SecurityListRule], services_cidr: T) -> dict[str, list[dict[str, object]]]:
    """`ingress_security_rules` and `egress_security_rules` of `oci.core.SecurityList` for one tier's rules.
    `services_cidr` is the service gateway's `cidr_block` label and may be a Pulumi output."""
    lists: dict[str, list[dict[str, object]]] = {"ingress_security_rules": [], "egress_security_rules": []}
    for rule in rules:
        peer, peer_type = (
            (rule.peer.cidr, "CIDR_BLOCK") if isinstance(rule.peer, Cidr) else (services_cidr, "SERVICE_CIDR_BLOCK")
        )
        lists[f"{rule.direction.lower()}_security_rules"].append(
            stateful_rule(rule.direction, peer, peer_type, rule.traffic, rule.description, nsg=False)
        )
    return lists


# --- routing -------------------------------------------------------------------------------------------------


class RouteTarget(StrEnum):
    """Where a tier's route table can send traffic."""

    DRG = "drg"
    """The hospital's networks (FastConnect / IPSec through the DRG)."""
    SERVICE_GATEWAY = "service-gateway"
    """All <region> Services in Oracle Services Network."""
    NAT_GATEWAY = "nat-gateway"
    """The internet, outbound only."""
    INTERNET_GATEWAY = "internet-gateway"
    """The internet, both ways (public load balancer only)."""


ROUTE_TARGETS: Mapping[Tier, frozenset[RouteTarget]] = {
    # Replies to the hospital's clients and modalities.
    Tier.LB: frozenset({RouteTarget.DRG}),
    # Orthanc on Container Instances: replies and C-STORE to the hospital, bucket/Vault, image pulls.
    Tier.APP: frozenset({RouteTarget.DRG, RouteTarget.SERVICE_GATEWAY, RouteTarget.NAT_GATEWAY}),
    # The Bastion service endpoint only reaches targets inside the VCN (local routing).
    Tier.BASTION: frozenset(),
    # The managed database talks to its clients inside the VCN only.
    Tier.DB: frozenset(),
    # Replies to `pulumi up` and kubectl in the hospital (the deployers' networks only, see drg_destinations).
    Tier.OKE_API: frozenset({RouteTarget.DRG, RouteTarget.SERVICE_GATEWAY}),
    Tier.OKE_WORKERS: frozenset({RouteTarget.SERVICE_GATEWAY, RouteTarget.NAT_GATEWAY}),
    # Orthanc pods: C-STORE to the hospital's modalities, bucket and Vault; no internet.
    Tier.OKE_PODS: frozenset({RouteTarget.DRG, RouteTarget.SERVICE_GATEWAY}),
    # Data Science: replies to the hospital's data scientists, bucket, OCIR and APIs (the internet only with
    # ai.internetEgress, see route_targets).
    Tier.AI: frozenset({RouteTarget.DRG, RouteTarget.SERVICE_GATEWAY}),
}


def route_targets(tier: Tier, public_load_balancer: bool, ai_internet_egress: bool = False) -> frozenset[RouteTarget]:
    """The gateways `tier` routes to; a public load balancer tier also routes to the internet gateway, and the
    AI tier to the NAT gateway when `ai.internetEgress` is on."""
    targets = ROUTE_TARGETS[tier]
    if tier is Tier.LB and public_load_balancer:
        return targets | {RouteTarget.INTERNET_GATEWAY}
    if tier is Tier.AI and ai_internet_egress:
        return targets | {RouteTarget.NAT_GATEWAY}
    return targets


def drg_destinations(tier: Tier, hospital_cidrs: Sequence[str], deployer_cidrs: Sequence[str]) -> Sequence[str]:
    """The networks `tier` routes to the DRG: the Kubernetes API endpoint answers only the deployers' networks
    (config `network.deployerCidrs`); every other tier reaches the hospital's networks."""
    return deployer_cidrs if tier is Tier.OKE_API else hospital_cidrs


ALL_SERVICES_NAME = r"All .+ Services In Oracle Services Network"
"""The name of the service gateway's widest service (Object Storage, OCIR, Vault, OKE, all OCI APIs)."""


def is_all_services(service_name: str) -> bool:
    """True for the 'All <region> Services In Oracle Services Network' entry of the services list."""
    return re.fullmatch(ALL_SERVICES_NAME, service_name) is not None


def route_rules(
    targets: Iterable[RouteTarget],
    hospital_cidrs: Sequence[str],
    gateway_ids: Mapping[RouteTarget, T],
    services_cidr: T,
) -> list[dict[str, object]]:
    """`route_rules` of `oci.core.RouteTable` for a tier routing to `targets`, in a stable order.

    The hospital's CIDRs go to the DRG, Oracle services (by the service gateway's label) to the service
    gateway, and the default route to the NAT or internet gateway. `gateway_ids` and `services_cidr` may be
    Pulumi outputs.
    """
    rules: list[dict[str, object]] = []
    chosen = set(targets)
    if RouteTarget.NAT_GATEWAY in chosen and RouteTarget.INTERNET_GATEWAY in chosen:
        raise ValueError("a tier has one default route: the NAT gateway or the internet gateway, not both")
    if RouteTarget.DRG in chosen:
        rules += [
            {"destination": cidr, "destination_type": "CIDR_BLOCK", "network_entity_id": gateway_ids[RouteTarget.DRG],
             "description": f"Hospital network {cidr} through the DRG (FastConnect / IPSec)"}
            for cidr in hospital_cidrs
        ]  # fmt: skip
    if RouteTarget.SERVICE_GATEWAY in chosen:
        rules.append(
            {"destination": services_cidr, "destination_type": "SERVICE_CIDR_BLOCK",
             "network_entity_id": gateway_ids[RouteTarget.SERVICE_GATEWAY],
             "description": "Oracle Services Network (Object Storage, Vault, OCIR, OCI APIs) without the internet"}
        )  # fmt: skip
    for target, why in (
        (RouteTarget.NAT_GATEWAY, "Outbound-only internet access through the NAT gateway"),
        (RouteTarget.INTERNET_GATEWAY, "Internet access for the public load balancer"),
    ):
        if target in chosen:
            rules.append(
                {"destination": ALL_IPV4, "destination_type": "CIDR_BLOCK", "network_entity_id": gateway_ids[target],
                 "description": why}
            )  # fmt: skip
    return rules
