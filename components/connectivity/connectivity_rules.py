"""Pure rules of the hybrid connection (FastConnect + IPSec): BGP peering addresses, CPE address, DRG routing.

No Pulumi runtime needed: `components/config/schema.py` validates with these functions (the block's
cross-field config rules, `connectivity_problems`, are here too) and `components/connectivity/connectivity.py`
builds its DRG route distribution from the same constants.

Why FastConnect carries the traffic and IPSec only takes over when it fails (OCI's DRG route-conflict
rules, docs.oracle.com/iaas/Content/Network/Tasks/managingDRGs.htm "Route Conflicts", summarised by Oracle's
A-Team in "OCI DRGv2 and Route Conflict", ateam-oracle.com/oci-drgv2-and-route-conflict):

1. static DRG routes beat dynamic ones — this package puts no static on-prem route in a DRG route table;
2. between dynamic routes for the same prefix the shortest BGP AS_PATH wins;
3. on equal AS_PATH the importing attachment type decides: VCN > VIRTUAL_CIRCUIT > IPSEC_TUNNEL > RPC.

So when the hospital advertises its networks over both paths with BGP, the DRG prefers the virtual circuit
(rule 3), and the CPE makes it unconditional by prepending its ASN on the IPSec sessions (rule 2). For the
other direction Oracle advertises the VCN over both paths and "uses the shortest AS path when sending traffic to
the on-premises network" and "honors the complete AS path you send" (FastConnect overview, "Using AS_PATH to
Prefer Routes from Oracle to the On-premises Network"); the hospital's router picks FastConnect with a higher
local-preference on the routes it learns over the virtual circuit. Static IPSec routing cannot take part in
any of this (no AS_PATH to prepend), which is why the config rejects it next to FastConnect.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.config.config_messages import RuleProblem

if TYPE_CHECKING:
    from components.config.schema import ConnectivityConfig, FastConnectConfig, IpsecConfig, NetworkConfig

ORACLE_BGP_ASN = 31898
"""Oracle's public ASN on FastConnect and IPSec BGP sessions; a customer ASN must differ."""
LINK_LOCAL = ipaddress.IPv4Network("169.254.0.0/16")
"""BGP peering addresses are usually link-local; RFC 1918 addresses are allowed too (OCI FastConnect docs)."""
BGP_PEERING_PREFIXES = (30, 31)
"""OCI accepts /28-/31 for peering; a point-to-point session needs no more than a /30 (or a /31)."""
IPSEC_TUNNELS = 2
"""OCI creates exactly two tunnels (on geographically separate headends) per IPSec connection."""

DOCUMENTATION_RANGES = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
"""RFC 5737 example addresses: accepted as a CPE address so example stacks validate offline (OCI itself would
refuse them); every other non-global address (RFC 1918, CGNAT, loopback, link-local) is rejected."""


@dataclass(frozen=True)
class IkeProposal:
    """One IKE/IPSec proposal, in the names OCI's API uses."""

    encryption: str
    dh_group: str
    lifetime_seconds: int
    authentication: str | None = None


# Strong, CNSA-suite-like proposals, spelled as the Core API's enums (PhaseOneConfigDetails: SHA2_384,
# AES_256_CBC, GROUP20; PhaseTwoConfigDetails: AES_256_GCM, PFS GROUP20): the CPE must offer the same.
# AES-GCM in phase two authenticates itself, so it names no separate integrity algorithm.
IKE_PHASE_ONE = IkeProposal(
    encryption="AES_256_CBC", authentication="SHA2_384", dh_group="GROUP20", lifetime_seconds=28800
)
IKE_PHASE_TWO = IkeProposal(encryption="AES_256_GCM", dh_group="GROUP20", lifetime_seconds=3600)

ONPREM_TABLE_IMPORTS = ("VCN",)
"""Attachment types whose routes the on-prem DRG route table imports: only the VCN. On-prem routes learned over
FastConnect are therefore never re-advertised over the IPSec tunnels (and vice versa), which would otherwise
make the DRG a transit path between the hospital's two links."""


def _private_or_link_local(network: ipaddress.IPv4Network) -> bool:
    rfc1918 = (ipaddress.IPv4Network(b) for b in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
    return network.subnet_of(LINK_LOCAL) or any(network.subnet_of(block) for block in rfc1918)


def peering_pair_problems(customer: str, oracle: str) -> list[tuple[str, str, str]]:
    """Problems of one BGP peering pair as (side, problem, fix); side is `customer` or `oracle`.

    Each address carries its prefix (`169.254.10.2/30`); both must be /30 or /31, link-local or RFC 1918, in
    the same subnet, distinct, and (on a /30) not the subnet's network or broadcast address.
    """
    problems: list[tuple[str, str, str]] = []
    interfaces: dict[str, ipaddress.IPv4Interface] = {}
    for side, value in (("customer", customer), ("oracle", oracle)):
        try:
            interface = ipaddress.ip_interface(value)
        except ValueError:
            problems.append((side, "is not an IPv4 address with prefix", "write it like 169.254.10.2/30"))
            continue
        if (
            not isinstance(interface, ipaddress.IPv4Interface)
            or interface.network.prefixlen not in BGP_PEERING_PREFIXES
        ):
            problems.append((side, "is not a /30 or /31 address", "use an address with prefix, e.g. 169.254.10.2/30"))
            continue
        if not _private_or_link_local(interface.network):
            problems.append(
                (side, "is neither link-local (169.254.0.0/16) nor RFC 1918",
                 "use a 169.254.x.y/30 pair agreed with the hospital's network team")
            )  # fmt: skip
            continue
        if interface.network.prefixlen == 30 and interface.ip in (
            interface.network.network_address,
            interface.network.broadcast_address,
        ):
            problems.append(
                (side, "is the network or broadcast address of its /30", "use one of the two host addresses")
            )
            continue
        interfaces[side] = interface
    if len(interfaces) == 2:
        if interfaces["customer"].network != interfaces["oracle"].network:
            problems.append(
                ("oracle", f"is not in the customer side's subnet {interfaces['customer'].network}",
                 "put both ends of the BGP session in the same /30 or /31")
            )  # fmt: skip
        elif interfaces["customer"].ip == interfaces["oracle"].ip:
            problems.append(("oracle", "is the same address as the customer side", "use the other host address"))
    return problems


def peering_subnet(address: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The subnet of a peering address, or None when the address does not parse."""
    try:
        return ipaddress.ip_interface(address).network
    except ValueError:
        return None


def public_ipv4_problem(value: str) -> tuple[str, str] | None:
    """(problem, fix) when `value` is not a public IPv4 address (an IPSec CPE must be reachable over the internet)."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return "is not an IP address", "set the public IPv4 address of the hospital's VPN device, e.g. 203.0.113.10"
    documentation = any(address in ipaddress.ip_network(block) for block in DOCUMENTATION_RANGES)
    if not isinstance(address, ipaddress.IPv4Address) or not (address.is_global or documentation):
        return (
            "is not a public IPv4 address",
            "use the VPN device's internet-facing address (for a CPE behind NAT, the NAT's public address)",
        )
    return None


# --- the stack config's connectivity rules (`components/config/schema.py` raises them as ConfigProblems) -------


def _peering_pairs(connectivity: ConnectivityConfig) -> list[tuple[str, str, str]]:
    """(key prefix, customer address, oracle address) of every BGP session that is enabled."""
    pairs: list[tuple[str, str, str]] = []
    fastconnect, ipsec = connectivity.fastconnect, connectivity.ipsec
    if fastconnect.enabled:
        pairs.append(
            ("connectivity.fastconnect.", fastconnect.customer_bgp_peering_ip, fastconnect.oracle_bgp_peering_ip)
        )
    if ipsec.enabled and ipsec.routing == "BGP":
        pairs += [
            (f"connectivity.ipsec.tunnels[{index}].", tunnel.customer_interface_ip, tunnel.oracle_interface_ip)
            for index, tunnel in enumerate(ipsec.tunnels)
        ]
    return pairs


def _peering_key(prefix: str, side: str) -> str:
    """The config key of one side of a BGP session: the circuit's and the tunnels' fields are named differently."""
    if prefix.startswith("connectivity.fastconnect"):
        return f"{prefix}{side}BgpPeeringIp"
    return f"{prefix}{side}InterfaceIp"


def connectivity_problems(connectivity: ConnectivityConfig, network: NetworkConfig) -> list[RuleProblem]:
    """FastConnect and IPSec: peering addresses, how the circuit is delivered, the CPE, FastConnect preference."""
    problems: list[RuleProblem] = []
    fastconnect, ipsec = connectivity.fastconnect, connectivity.ipsec
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    routed = network.vcn_cidrs + network.on_prem_cidrs
    for prefix, customer, oracle in _peering_pairs(connectivity):
        for side, problem, fix in peering_pair_problems(customer, oracle):
            value = customer if side == "customer" else oracle
            problems.append((_peering_key(prefix, side), value, problem, fix))
        subnet = peering_subnet(customer)
        if subnet is None:
            continue
        key = _peering_key(prefix, "customer")
        for other_prefix, other in seen:
            if subnet.overlaps(other):
                problems.append(
                    (
                        key, customer, f"shares its subnet with the session of {other_prefix.rstrip('.')} ({other})",
                        "give every BGP session (the circuit and each tunnel) its own /30 or /31",
                    )
                )  # fmt: skip
        clashes = [cidr for cidr in routed if subnet.overlaps(ipaddress.ip_network(cidr))]
        if clashes:
            problems.append(
                (
                    key, customer, f"overlaps {', '.join(clashes)} (a routed network)",
                    "use a 169.254.x.y/30 link-local pair",
                )
            )  # fmt: skip
        seen.append((prefix, subnet))
    problems += _customer_asn_problems(connectivity)
    if fastconnect.enabled:
        problems += _fastconnect_delivery_problems(fastconnect)
    if ipsec.enabled:
        problems += _ipsec_problems(ipsec, fastconnect.enabled, network)
    return problems


def _customer_asn_problems(connectivity: ConnectivityConfig) -> list[RuleProblem]:
    """Every BGP session (the circuit's and each tunnel's) speaks for the hospital with one ASN, set explicitly."""
    bgp = connectivity.fastconnect.enabled or (connectivity.ipsec.enabled and connectivity.ipsec.routing == "BGP")
    asn = connectivity.customer_bgp_asn
    if bgp and asn is None:
        return [
            (
                "connectivity.customerBgpAsn", None, "is required when FastConnect or BGP-routed IPSec is enabled",
                "set the hospital's BGP ASN, the one its FastConnect router and VPN device both use "
                "(a private ASN such as 64512-65534 if it has none)",
            )
        ]  # fmt: skip
    if asn == ORACLE_BGP_ASN:
        return [
            (
                "connectivity.customerBgpAsn", asn, "is Oracle's own ASN",
                "use the hospital's ASN (a private ASN such as 64512-65534 if it has none)",
            )
        ]  # fmt: skip
    return []


def _fastconnect_delivery_problems(fastconnect: FastConnectConfig) -> list[RuleProblem]:
    """A circuit comes through a partner (provider service) or a colocation cross-connect: exactly one."""
    problems: list[RuleProblem] = []
    delivery = (fastconnect.provider_service_ocid is not None, fastconnect.cross_connect_ocid is not None)
    if delivery == (False, False):
        problems.append(
            (
                "connectivity.fastconnect.providerServiceOcid", None,
                "is required when FastConnect is enabled without a cross-connect",
                "set the FastConnect partner's provider service OCID (`oci network fast-connect-provider-service "
                "list`), or connectivity.fastconnect.crossConnectOcid when colocated with Oracle",
            )
        )  # fmt: skip
    elif delivery == (True, True):
        problems.append(
            (
                "connectivity.fastconnect.crossConnectOcid", fastconnect.cross_connect_ocid,
                "is set together with a provider service (a partner owns the cross-connect of its circuits)",
                "keep providerServiceOcid (through a partner) or crossConnectOcid (colocation), not both",
            )
        )  # fmt: skip
    if fastconnect.cross_connect_ocid is not None and fastconnect.vlan is None:
        problems.append(
            (
                "connectivity.fastconnect.vlan", None, "is required on a colocation cross-connect",
                "set the VLAN (100-16383) agreed for this circuit",
            )
        )  # fmt: skip
    return problems


def _ipsec_problems(ipsec: IpsecConfig, fastconnect_enabled: bool, network: NetworkConfig) -> list[RuleProblem]:
    """The CPE is public, both tunnels are configured, routing can be ordered behind FastConnect."""
    problems: list[RuleProblem] = []
    if ipsec.cpe_ip_address is None:
        problems.append(
            (
                "connectivity.ipsec.cpeIpAddress", None, "is required when the IPSec backup is enabled",
                "set the public IP address of the hospital's VPN device",
            )
        )  # fmt: skip
    else:
        public = public_ipv4_problem(ipsec.cpe_ip_address)
        if public is not None:
            problems.append(("connectivity.ipsec.cpeIpAddress", ipsec.cpe_ip_address, *public))
    if len(ipsec.tunnels) != IPSEC_TUNNELS:
        problems.append(
            (
                "connectivity.ipsec.tunnels", [tunnel.model_dump(by_alias=True) for tunnel in ipsec.tunnels],
                f"lists {len(ipsec.tunnels)} tunnels; OCI creates exactly {IPSEC_TUNNELS}",
                "configure both tunnels (customerInterfaceIp and oracleInterfaceIp each)",
            )
        )  # fmt: skip
    if ipsec.routing == "STATIC" and fastconnect_enabled:
        problems.append(
            (
                "connectivity.ipsec.routing", ipsec.routing,
                "cannot be ordered behind FastConnect (static routes carry no AS path to prepend)",
                "use BGP on the tunnels so that FastConnect stays the preferred path",
            )
        )  # fmt: skip
    if ipsec.routing == "STATIC" and not network.on_prem_cidrs:
        problems.append(
            (
                "network.onPremCidrs", [], "is empty, but static IPSec routing needs the hospital's networks",
                "list the hospital's CIDRs, or use BGP routing",
            )
        )  # fmt: skip
    return problems
