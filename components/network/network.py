"""Network block: one VCN, a regional private subnet, route table and NSG per tier, gateways and flow logs.

Design choices:
* Regional subnets (no availability domain): a subnet spans every AD, so replicas can be spread over ADs
  and fault domains without one subnet per AD.
* Every subnet is private (`prohibit_public_ip_on_vnic`); the only exception is the load balancer tier when
  the config explicitly asks for a public load balancer (then, and only then, an internet gateway exists and
  only that tier routes to it; its NSG still admits the hospital's networks only).
* NSGs instead of security lists: rules follow the workload (VNIC) rather than the subnet, and name the peer
  NSG instead of a CIDR. The traffic matrix lives in `components/network/network_rules.py` as data. The VCN's default
  security list is emptied and every subnet uses it, except the two tiers whose VNICs cannot join an NSG:
  the bastion subnet (the OCI Bastion's private endpoint) and the AI subnet (Data Science notebook sessions,
  job runs and model deployment instances). Each gets a security list of its own holding exactly the stateful
  egress those VNICs need (`network_rules.security_list_rules`); without it they could open no connection at
  all. The bastion NSG stays empty, and the Bastion's targets admit the bastion subnet's CIDR.
* Gateways: the service gateway (All <region> Services in Oracle Services Network) keeps Object Storage, Vault
  and OCIR traffic off the internet; the NAT gateway gives outbound-only internet to the tiers that pull
  images or packages; the DRG, attached to the VCN, is where the connectivity block lands FastConnect and
  IPSec. Each tier's route table holds only the routes that tier needs.
* A VCN flow log per subnet (CIS OCI 4.13) in a network log group, retention from the config.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

from components.config.schema import Modality, NetworkConfig, Tier
from components.logs import service_log
from components.network.network_rules import (
    ALL_SERVICES_NAME,
    NSG_LESS_TIERS,
    FlowInputs,
    RouteTarget,
    drg_destinations,
    flows,
    is_all_services,
    nsg_rules,
    route_rules,
    route_targets,
    rule_arguments,
    security_list_arguments,
    security_list_rules,
)
from components.scope import TierSubnet


@dataclass(frozen=True)
class NetworkArgs:
    config: NetworkConfig
    """The `network` config section."""
    compartment_id: pulumi.Input[str]
    """The network compartment."""
    modalities: tuple[Modality, ...] = ()
    """`orthanc.allowedModalities`: Orthanc may open DICOM associations to these (C-STORE for C-MOVE)."""
    oke_balancer_ports: tuple[int, ...] = ()
    """OKE runtime: the ports of Orthanc's internal network load balancer in the workers tier (the Service of
    type LoadBalancer), where the private load balancer sends."""
    ai_internet_egress: bool = False
    """`ai.internetEgress` (with AI on): the AI subnet routes to the NAT gateway and may open HTTPS to the
    internet."""


def _slug(tier: Tier) -> str:
    return tier.value.replace("_", "-")


class Network(pulumi.ComponentResource):
    """VCN, subnets, gateways, route tables, NSGs and flow logs of the DICOM store."""

    vcn_id: pulumi.Output[str]
    subnet_ids: dict[Tier, pulumi.Output[str]]
    nsg_ids: dict[Tier, pulumi.Output[str]]
    drg_id: pulumi.Output[str]
    drg_attachment_id: pulumi.Output[str]
    """The DRG's VCN attachment (what DRG route tables and distributions name to reach this VCN)."""
    nat_gateway_id: pulumi.Output[str]
    service_gateway_id: pulumi.Output[str]
    flow_log_group_id: pulumi.Output[str]

    def tier(self, tier: Tier) -> TierSubnet:
        """`tier`'s subnet and NSG, for a block that places VNICs in it."""
        return TierSubnet(subnet_id=self.subnet_ids[tier], nsg_id=self.nsg_ids[tier])

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:network:Network", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        cidrs = config.subnets.model_dump()

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

        # --- gateways ---
        services = oci.core.get_services_output(
            filters=[{"name": "name", "values": [ALL_SERVICES_NAME], "regex": True}]
        )
        all_services = services.services.apply(lambda found: next(s for s in found if is_all_services(s.name)))
        services_cidr: pulumi.Output[str] = all_services.apply(lambda service: service.cidr_block)
        service_gateway = oci.core.ServiceGateway(
            f"{name}-service-gateway",
            compartment_id=args.compartment_id,
            vcn_id=vcn.id,
            services=[{"service_id": all_services.apply(lambda service: service.id)}],
            display_name=f"{name}-service-gateway",
            opts=child,
        )
        nat_gateway = oci.core.NatGateway(
            f"{name}-nat-gateway",
            compartment_id=args.compartment_id,
            vcn_id=vcn.id,
            block_traffic=False,
            display_name=f"{name}-nat-gateway",
            opts=child,
        )
        drg = oci.core.Drg(f"{name}-drg", compartment_id=args.compartment_id, display_name=f"{name}-drg", opts=child)
        drg_attachment = oci.core.DrgAttachment(
            f"{name}-drg-vcn-attachment",
            drg_id=drg.id,
            network_details={"type": "VCN", "id": vcn.id},
            display_name=f"{name}-drg-vcn-attachment",
            opts=pulumi.ResourceOptions(parent=drg),
        )
        gateway_ids: dict[RouteTarget, pulumi.Output[str]] = {
            RouteTarget.DRG: drg.id,
            RouteTarget.SERVICE_GATEWAY: service_gateway.id,
            RouteTarget.NAT_GATEWAY: nat_gateway.id,
        }
        if config.public_load_balancer:
            gateway_ids[RouteTarget.INTERNET_GATEWAY] = oci.core.InternetGateway(
                f"{name}-internet-gateway",
                compartment_id=args.compartment_id,
                vcn_id=vcn.id,
                enabled=True,
                display_name=f"{name}-internet-gateway",
                opts=child,
            ).id

        # --- NSGs and their rules ---
        self.nsg_ids = {}
        nsgs: dict[Tier, oci.core.NetworkSecurityGroup] = {}
        for tier in Tier:
            nsgs[tier] = oci.core.NetworkSecurityGroup(
                f"{name}-{_slug(tier)}-nsg",
                compartment_id=args.compartment_id,
                vcn_id=vcn.id,
                display_name=f"{name}-{tier.value}-nsg",
                opts=child,
            )
            self.nsg_ids[tier] = nsgs[tier].id
        table = flows(
            FlowInputs(
                hospital_cidrs=config.on_prem_cidrs,
                bastion_cidr=config.subnets.bastion,
                modalities=args.modalities,
                oke_balancer_ports=args.oke_balancer_ports,
                deployer_cidrs=config.deployer_cidrs,
            )
        )
        for rule in nsg_rules(table):
            # The rule's arguments come from the pure table as a plain mapping (see network_rules.rule_arguments).
            oci.core.NetworkSecurityGroupSecurityRule(  # type: ignore[call-overload]
                f"{name}-{_slug(rule.tier)}-nsg-{rule.key}",
                network_security_group_id=nsgs[rule.tier].id,
                **rule_arguments(rule, self.nsg_ids, services_cidr),
                opts=pulumi.ResourceOptions(parent=nsgs[rule.tier]),
            )

        # --- subnets, their route tables and flow logs ---
        log_group = oci.logging.LogGroup(
            f"{name}-flow-logs",
            compartment_id=args.compartment_id,
            display_name=f"{name}-flow-logs",
            description="VCN flow logs of every subnet of the DICOM store",
            opts=child,
        )
        own_rules = security_list_rules(
            {tier: cidrs[tier.value] for tier in Tier}, ai_internet_egress=args.ai_internet_egress
        )
        # The subnets whose VNICs cannot join an NSG get a list of their own (the rules as plain mappings, like
        # the NSG rules above).
        security_list_ids: dict[Tier, pulumi.Output[str]] = {
            tier: oci.core.SecurityList(  # type: ignore[call-overload]
                f"{name}-{_slug(tier)}-security-list",
                compartment_id=args.compartment_id,
                vcn_id=vcn.id,
                display_name=f"{name}-{tier.value}-security-list",
                **security_list_arguments([rule for rule in own_rules if rule.tier is tier], services_cidr),
                opts=pulumi.ResourceOptions(parent=vcn),
            ).id
            for tier in NSG_LESS_TIERS
        }
        self.subnet_ids = {}
        for tier in Tier:
            public = tier is Tier.LB and config.public_load_balancer
            route_table = oci.core.RouteTable(
                f"{name}-{_slug(tier)}-routes",
                compartment_id=args.compartment_id,
                vcn_id=vcn.id,
                display_name=f"{name}-{tier.value}-routes",
                route_rules=route_rules(
                    route_targets(tier, config.public_load_balancer, args.ai_internet_egress),
                    drg_destinations(tier, config.on_prem_cidrs, config.deployer_cidrs),
                    gateway_ids,
                    services_cidr,
                ),  # type: ignore[arg-type]
                # A route to the DRG is only valid once the DRG is attached to this VCN.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[drg_attachment]),
            )
            subnet = oci.core.Subnet(
                f"{name}-{_slug(tier)}",
                compartment_id=args.compartment_id,
                vcn_id=vcn.id,
                cidr_block=cidrs[tier.value],
                display_name=f"{name}-{tier.value}",
                dns_label=tier.value.replace("_", "")[:15],
                prohibit_public_ip_on_vnic=not public,
                prohibit_internet_ingress=not public,
                route_table_id=route_table.id,
                security_list_ids=[security_list_ids.get(tier, default_security_list.id)],
                opts=child,
            )
            service_log(
                f"{name}-{_slug(tier)}-flow-log",
                display_name=f"{name}-{tier.value}-flow-log",
                log_group_id=log_group.id,
                compartment_id=args.compartment_id,
                service="flowlogs",
                category="all",
                resource=subnet.id,
                retention_days=config.flow_log_retention_days,
                opts=pulumi.ResourceOptions(parent=subnet),
            )
            self.subnet_ids[tier] = subnet.id

        self.vcn_id = vcn.id
        self.drg_id = drg.id
        self.drg_attachment_id = drg_attachment.id
        self.nat_gateway_id = nat_gateway.id
        self.service_gateway_id = service_gateway.id
        self.flow_log_group_id = log_group.id
        self.register_outputs(
            {
                "vcn_id": self.vcn_id,
                "subnet_ids": {tier.value: subnet for tier, subnet in self.subnet_ids.items()},
                "nsg_ids": {tier.value: nsg for tier, nsg in self.nsg_ids.items()},
                "drg_id": self.drg_id,
                "drg_attachment_id": self.drg_attachment_id,
                "nat_gateway_id": self.nat_gateway_id,
                "service_gateway_id": self.service_gateway_id,
                "flow_log_group_id": self.flow_log_group_id,
            }
        )
