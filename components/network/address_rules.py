"""The Network block's address rules, next to the block: VCN CIDRs disjoint from each other and from the
hospital's networks, every tier's subnet inside the VCN and disjoint from the others, the OKE API subnet large
enough; and the subnet arithmetic the stack config's capacity rules share.

Each problem is a `RuleProblem`; `components/config/schema.py` turns them into the one-line `ConfigProblem`s it
raises before any resource exists.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic.alias_generators import to_camel

from components.config.config_messages import RuleProblem

if TYPE_CHECKING:
    from components.config.schema import NetworkConfig

# OCI reserves the first two and the last address of every subnet.
OCI_RESERVED_ADDRESSES_PER_SUBNET = 3
# OKE needs a /29 at least for the Kubernetes API endpoint subnet (docs: "Network resource configuration").
MIN_OKE_API_SUBNET_ADDRESSES = 8


def networks(cidrs: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The CIDR blocks as networks."""
    return [ipaddress.ip_network(cidr) for cidr in cidrs]


def usable_addresses(cidr: str) -> int:
    """Addresses a subnet offers to VNICs (OCI reserves three per subnet)."""
    return ipaddress.ip_network(cidr).num_addresses - OCI_RESERVED_ADDRESSES_PER_SUBNET


def network_problems(network: NetworkConfig) -> list[RuleProblem]:
    """Subnets inside the VCN, tiers disjoint, VCN disjoint from the hospital's networks."""
    problems: list[RuleProblem] = []
    vcn = networks(network.vcn_cidrs)
    for index, block in enumerate(vcn):
        for other in vcn[index + 1 :]:
            if block.overlaps(other):
                problems.append(
                    (
                        f"network.vcnCidrs[{index}]", str(block), f"overlaps VCN CIDR {other}",
                        "use disjoint VCN CIDR blocks",
                    )
                )  # fmt: skip
    for index, cidr in enumerate(network.on_prem_cidrs):
        clashes = [str(block) for block in vcn if block.overlaps(ipaddress.ip_network(cidr))]
        if clashes:
            problems.append(
                (
                    f"network.onPremCidrs[{index}]",
                    cidr,
                    f"overlaps the VCN CIDR {', '.join(clashes)} (the on-prem network would be unreachable)",
                    "choose VCN CIDRs (network.vcnCidrs) outside every hospital network",
                )
            )
    tiers = network.subnets.model_dump()
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for tier, cidr in tiers.items():
        subnet = ipaddress.ip_network(cidr)
        key = f"network.subnets.{to_camel(tier)}"
        if not any(subnet.subnet_of(block) for block in vcn if block.version == subnet.version):  # type: ignore[arg-type]
            problems.append(
                (
                    key, cidr, f"lies outside every VCN CIDR {network.vcn_cidrs}",
                    "choose a subnet inside network.vcnCidrs",
                )
            )  # fmt: skip
        for other_tier, other in seen:
            if subnet.overlaps(other):
                problems.append(
                    (
                        key, cidr, f"overlaps the {to_camel(other_tier)} tier ({other})",
                        "give every tier its own, disjoint CIDR",
                    )
                )  # fmt: skip
        seen.append((tier, subnet))
    if usable_addresses(network.subnets.oke_api) < MIN_OKE_API_SUBNET_ADDRESSES - OCI_RESERVED_ADDRESSES_PER_SUBNET:
        problems.append(
            (
                "network.subnets.okeApi", network.subnets.oke_api, "is too small for the OKE API endpoint",
                "use a /29 or larger",
            )
        )  # fmt: skip
    return problems
