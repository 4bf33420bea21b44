"""Network block: one VCN, a regional private subnet and an NSG per tier.

Design choices:
* Regional subnets (no availability domain): a subnet spans every AD, so replicas can be spread over ADs
  and fault domains without one subnet per AD.
* Every subnet is private (`prohibit_public_ip_on_vnic`); the only exception is the load balancer tier when
  the config explicitly asks for a public load balancer.
* NSGs instead of security lists: rules follow the workload (VNIC) rather than the subnet, and can name the
  peer NSG instead of a CIDR. The VCN's default security list is emptied and every subnet uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

from components.config import NetworkConfig, Tier


@dataclass(frozen=True)
class NetworkArgs:
    config: NetworkConfig
    """The `network` config section."""
    compartment_id: pulumi.Input[str]
    """The network compartment."""


class Network(pulumi.ComponentResource):
    """VCN, subnets and NSGs of the DICOM store."""

    vcn_id: pulumi.Output[str]
    subnet_ids: dict[Tier, pulumi.Output[str]]
    nsg_ids: dict[Tier, pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:network:Network", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)

        vcn = oci.core.Vcn(
            f"{name}-vcn",
            compartment_id=args.compartment_id,
            cidr_blocks=config.vcn_cidrs,
            dns_label=config.dns_label,
            display_name=f"{name}-vcn",
            opts=child,
        )
        # The default security list is managed (not deleted) by OCI: take it over and leave it empty, so that
        # no subnet gets the default "SSH from 0.0.0.0/0" rule (CIS OCI 2.5).
        default_security_list = oci.core.DefaultSecurityList(
            f"{name}-default-security-list",
            manage_default_resource_id=vcn.default_security_list_id,
            compartment_id=args.compartment_id,
            display_name=f"{name}-default-security-list-empty",
            ingress_security_rules=[],
            egress_security_rules=[],
            opts=pulumi.ResourceOptions(parent=vcn),
        )
        cidrs = config.subnets.model_dump()
        self.subnet_ids = {}
        self.nsg_ids = {}
        for tier in Tier:
            public = tier is Tier.LB and config.public_load_balancer
            self.subnet_ids[tier] = oci.core.Subnet(
                f"{name}-{tier.value.replace('_', '-')}",
                compartment_id=args.compartment_id,
                vcn_id=vcn.id,
                cidr_block=cidrs[tier.value],
                display_name=f"{name}-{tier.value}",
                dns_label=tier.value.replace("_", "")[:15],
                prohibit_public_ip_on_vnic=not public,
                prohibit_internet_ingress=not public,
                security_list_ids=[default_security_list.id],
                opts=child,
            ).id
            self.nsg_ids[tier] = oci.core.NetworkSecurityGroup(
                f"{name}-{tier.value.replace('_', '-')}-nsg",
                compartment_id=args.compartment_id,
                vcn_id=vcn.id,
                display_name=f"{name}-{tier.value}-nsg",
                opts=child,
            ).id
        self.vcn_id = vcn.id
        self.register_outputs(
            {
                "vcn_id": self.vcn_id,
                "subnet_ids": {tier.value: subnet for tier, subnet in self.subnet_ids.items()},
                "nsg_ids": {tier.value: nsg for tier, nsg in self.nsg_ids.items()},
            }
        )
