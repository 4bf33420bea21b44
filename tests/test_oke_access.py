"""How `pulumi up` reaches the private OKE API endpoint: from the deployers' hospital networks over FastConnect/IPSec.

OKE's "Network Resource Configuration for Cluster Creation and Deployment" (Kubernetes API endpoint subnet:
ingress TCP 6443 from the clients that use kubectl; route rules for the networks they are in). A private endpoint
has no public IP, so the client's network needs both: the NSG rule admits the deployers, the API tier's route table
sends the replies back through the DRG (without it the TCP handshake never completes).
"""

from __future__ import annotations

from typing import Any

import pytest

from components.config.schema import ConfigError, Tier
from components.network.network_rules import (
    Cidr,
    FlowInputs,
    RouteTarget,
    drg_destinations,
    flows,
    nsg_rules,
    route_targets,
)
from components.network.ports import KUBE_API_PORT
from offline.provider_outputs import created_state
from offline.records import ResourceRecord
from tests.support import Recorded, stack_config

REGION = "eu-frankfurt-1"
PROD_DEPLOYERS = "10.0.8.0/24"  # Pulumi.prod.yaml network.deployerCidrs
PROD_HOSPITAL = ("10.0.0.0/14", "172.16.0.0/16")
PROD_BASTION = "10.30.2.0/24"
NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"


def _engine_id(record: ResourceRecord) -> str:
    return created_state(record.type, record.name, record.inputs, REGION)[0]


def _problems(**overrides: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        stack_config(**overrides)
    return str(caught.value)


# --- config ----------------------------------------------------------------------------------------------------


def test_deployers_must_lie_inside_the_hospitals_networks() -> None:
    """Only the hospital's networks are routed to the DRG (network.onPremCidrs): a deployer elsewhere could never
    reach the private endpoint."""
    message = _problems(network={"onPremCidrs": ["10.0.0.0/14"], "deployerCidrs": ["10.8.0.0/24"]})
    assert (
        "dicomstore:network.deployerCidrs[0] = '10.8.0.0/24': lies outside every hospital network ['10.0.0.0/14']"
        in message
    )
    assert "Fix: use a network inside network.onPremCidrs" in message
    stack_config(network={"onPremCidrs": ["10.0.0.0/14"], "deployerCidrs": ["10.0.8.0/24"]})


def test_the_oke_runtime_needs_deployers() -> None:
    """With the OKE runtime `pulumi up` creates Orthanc's Kubernetes objects through the private endpoint."""
    message = _problems(orthanc={"runtime": "oke"})
    assert "dicomstore:network.deployerCidrs = []: is empty, but `pulumi up` creates" in message
    # Container Instances need no Kubernetes API.
    assert stack_config().network.deployer_cidrs == []


def test_deployers_are_never_the_whole_internet() -> None:
    message = _problems(network={"deployerCidrs": ["0.0.0.0/0"]})
    assert "dicomstore:network.deployerCidrs[0] = '0.0.0.0/0'" in message


# --- the flow table and the routes -----------------------------------------------------------------------------


def test_api_endpoint_nsg_admits_the_deployers_on_6443_only() -> None:
    rules = nsg_rules(flows(FlowInputs(hospital_cidrs=PROD_HOSPITAL, bastion_cidr=PROD_BASTION,
                                       deployer_cidrs=[PROD_DEPLOYERS])))  # fmt: skip
    from_outside = {
        (rule.peer.cidr, rule.traffic.label)
        for rule in rules
        if rule.tier is Tier.OKE_API and rule.direction == "INGRESS" and isinstance(rule.peer, Cidr)
    }
    assert from_outside == {
        (PROD_BASTION, f"tcp-{KUBE_API_PORT}"),
        (PROD_DEPLOYERS, f"tcp-{KUBE_API_PORT}"),
        (PROD_DEPLOYERS, "icmp-3-4"),  # path MTU discovery across FastConnect/IPSec
    }
    # Nothing else of the hospital reaches the API endpoint, and no flow from the deployers lands anywhere else.
    assert not [rule for rule in rules if isinstance(rule.peer, Cidr) and rule.peer.cidr == PROD_DEPLOYERS
                and rule.tier is not Tier.OKE_API]  # fmt: skip
    without = nsg_rules(flows(FlowInputs(hospital_cidrs=PROD_HOSPITAL, bastion_cidr=PROD_BASTION)))
    assert {(rule.tier, rule.key) for rule in rules} - {(rule.tier, rule.key) for rule in without} == {
        (Tier.OKE_API, "in-10-0-8-0-24-tcp-6443"),
        (Tier.OKE_API, "in-10-0-8-0-24-icmp-3-4"),
    }


def test_api_tier_routes_only_the_deployers_to_the_drg() -> None:
    assert RouteTarget.DRG in route_targets(Tier.OKE_API, public_load_balancer=False)
    assert drg_destinations(Tier.OKE_API, PROD_HOSPITAL, [PROD_DEPLOYERS]) == [PROD_DEPLOYERS]
    assert drg_destinations(Tier.LB, PROD_HOSPITAL, [PROD_DEPLOYERS]) == PROD_HOSPITAL


# --- the shipped prod stack ------------------------------------------------------------------------------------


def test_prod_api_endpoint_nsg_has_the_deployers_rule(prod_plan: Recorded) -> None:
    (nsg,) = [r for r in prod_plan if r.name == "dicomstore-network-oke-api-nsg"]
    (cluster,) = prod_plan.of_type("oci:ContainerEngine/cluster:Cluster")
    assert cluster.inputs["endpointConfig"]["nsgIds"] == [_engine_id(nsg)]
    ingress = [
        rule.inputs
        for rule in prod_plan.of_type(NSG_RULE)
        if rule.inputs["networkSecurityGroupId"] == _engine_id(nsg) and rule.inputs["direction"] == "INGRESS"
        and rule.inputs.get("sourceType") == "CIDR_BLOCK"
    ]  # fmt: skip
    deployers = [rule for rule in ingress if rule["source"] == PROD_DEPLOYERS and rule["protocol"] == "6"]
    assert deployers == [
        {
            "direction": "INGRESS",
            "protocol": "6",
            "source": PROD_DEPLOYERS,
            "sourceType": "CIDR_BLOCK",
            "stateless": False,
            "tcpOptions": {"destinationPortRange": {"min": 6443, "max": 6443}},
            "description": "pulumi up and kubectl from the hospital to the Kubernetes API",
            "networkSecurityGroupId": _engine_id(nsg),
        }
    ]
    assert {rule["source"] for rule in ingress} == {PROD_DEPLOYERS, PROD_BASTION}


def test_prod_api_tier_routes_the_deployers_through_the_drg(prod_plan: Recorded) -> None:
    (subnet,) = [r for r in prod_plan if r.name == "dicomstore-network-oke-api"]
    (drg,) = prod_plan.of_type("oci:Core/drg:Drg")
    (table,) = [
        r for r in prod_plan.of_type("oci:Core/routeTable:RouteTable") if _engine_id(r) == subnet.inputs["routeTableId"]
    ]
    to_drg = [rule for rule in table.inputs["routeRules"] if rule["networkEntityId"] == _engine_id(drg)]
    assert [(rule["destination"], rule["destinationType"]) for rule in to_drg] == [(PROD_DEPLOYERS, "CIDR_BLOCK")]


def test_prod_hospital_side_routes_reach_the_api_subnet(prod_plan: Recorded) -> None:
    """The other half of the return path (OCI "Dynamic Routing Gateways": a DRG route table that imports a VCN
    attachment's routes learns the VCN's CIDRs and advertises them over the circuit's BGP session). The
    FastConnect attachment's DRG route table imports exactly the VCN attachment type, and the VCN attachment keeps
    the default DRG route table for VCN attachments (which imports the circuit's and tunnels' routes)."""
    (circuit_attachment,) = [r for r in prod_plan if r.name == "dicomstore-connectivity-fastconnect-attachment"]
    (table,) = [
        r
        for r in prod_plan.of_type("oci:Core/drgRouteTable:DrgRouteTable")
        if _engine_id(r) == circuit_attachment.inputs["drgRouteTableId"]
    ]
    statements = [
        r.inputs
        for r in prod_plan.of_type("oci:Core/drgRouteDistributionStatement:DrgRouteDistributionStatement")
        if r.inputs["drgRouteDistributionId"] == table.inputs["importDrgRouteDistributionId"]
    ]
    assert [(s["action"], s["matchCriteria"]) for s in statements] == [
        ("ACCEPT", {"matchType": "DRG_ATTACHMENT_TYPE", "attachmentType": "VCN"})
    ]
    (vcn_attachment,) = prod_plan.of_type("oci:Core/drgAttachment:DrgAttachment")
    assert "drgRouteTableId" not in vcn_attachment.inputs
