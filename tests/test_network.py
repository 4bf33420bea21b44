"""The network block: the pure traffic/route tables, and the resources the component registers under mocks."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import yaml

from components.config.schema import ConfigError, Modality, Tier, load_stack_config
from components.network.network import Network, NetworkArgs
from components.network.network_rules import (
    ALL_TRAFFIC,
    PATH_MTU,
    Cidr,
    Flow,
    FlowInputs,
    Nsg,
    NsgRule,
    OracleServices,
    RouteTarget,
    flows,
    is_all_services,
    modality_flows,
    nsg_rules,
    route_rules,
    route_targets,
    rule_arguments,
    tcp,
)
from offline.invokes import answer_invoke
from offline.provider_outputs import created_state
from offline.records import ResourceRecord
from tests.support import PROJECT_DIR, Recorded, config_values, record, stack_config

REGION = "eu-frankfurt-1"
COMPARTMENT = "ocid1.compartment.oc1.eu-frankfurt-1.aaaaaaaanetworkcompartment00000000000000000000000000000"
HOSPITAL = ["10.0.0.0/14", "172.16.0.0/16"]
BASTION_CIDR = "10.20.2.0/24"

SUBNET = "oci:Core/subnet:Subnet"
NSG = "oci:Core/networkSecurityGroup:NetworkSecurityGroup"
NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
ROUTE_TABLE = "oci:Core/routeTable:RouteTable"
SECURITY_LIST = "oci:Core/securityList:SecurityList"
LOG = "oci:Logging/log:Log"
SERVICES_LABEL = "all-fra-services-in-oracle-services-network"
ALL_SERVICES_ID = next(
    service["id"]
    for service in answer_invoke("oci:Core/getServices:getServices", {}, REGION)["services"]
    if is_all_services(service["name"])
)


def engine_id(record: ResourceRecord) -> str:
    """The id the offline engine gives a resource (as in a real create, an OCID of its type)."""
    return created_state(record.type, record.name, record.inputs, REGION)[0]


def planned_network(**network: Any) -> Recorded:
    config = stack_config(network={"onPremCidrs": HOSPITAL, **network}).network
    return record(lambda: Network("net", NetworkArgs(config=config, compartment_id=COMPARTMENT)))


@pytest.fixture(scope="module")
def private() -> Recorded:
    return planned_network()


@pytest.fixture(scope="module")
def public() -> Recorded:
    return planned_network(publicLoadBalancer=True)


BALANCER_PORTS = (8042, 4242)  # Orthanc's internal network load balancer (OKE runtime)


def table() -> list[NsgRule]:
    inputs = FlowInputs(hospital_cidrs=HOSPITAL, bastion_cidr=BASTION_CIDR, oke_balancer_ports=BALANCER_PORTS)
    return nsg_rules(flows(inputs))


def rule_set(rules: list[NsgRule], tier: Tier) -> set[tuple[str, object, str]]:
    return {(rule.direction, rule.peer, rule.traffic.label) for rule in rules if rule.tier is tier}


# --- the pure rule table ---------------------------------------------------------------------------------------


def test_a_flow_between_two_nsgs_is_an_egress_and_an_ingress_rule_naming_each_other() -> None:
    flow = Flow(Nsg(Tier.APP), Nsg(Tier.DB), tcp(5432), "Orthanc to PostgreSQL")
    assert nsg_rules([flow]) == [
        NsgRule(Tier.DB, "INGRESS", Nsg(Tier.APP), tcp(5432), "Orthanc to PostgreSQL"),
        NsgRule(Tier.APP, "EGRESS", Nsg(Tier.DB), tcp(5432), "Orthanc to PostgreSQL"),
    ]


def test_flows_from_outside_are_ingress_only_and_flows_to_services_egress_only() -> None:
    rules = nsg_rules(
        [
            Flow(Cidr("10.0.0.0/14"), Nsg(Tier.LB), tcp(443), "hospital"),
            Flow(Nsg(Tier.AI), OracleServices(), tcp(443), "bucket"),
        ]
    )
    assert [(rule.tier, rule.direction) for rule in rules] == [(Tier.LB, "INGRESS"), (Tier.AI, "EGRESS")]


@pytest.mark.parametrize("world", ["0.0.0.0/0", "::/0"])
def test_ingress_from_the_whole_internet_is_refused(world: str) -> None:
    with pytest.raises(ValueError, match=f"would admit ingress from {world}"):
        nsg_rules([Flow(Cidr(world), Nsg(Tier.LB), tcp(443), "world")])


def test_egress_to_the_internet_is_allowed() -> None:
    (rule,) = nsg_rules([Flow(Nsg(Tier.APP), Cidr("0.0.0.0/0"), tcp(443), "image pulls")])
    assert (rule.direction, rule.peer) == ("EGRESS", Cidr("0.0.0.0/0"))


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        (Flow(Cidr("10.0.0.0/14"), OracleServices(), tcp(443), "x"), "no NSG at either end"),
        (Flow(OracleServices(), Nsg(Tier.DB), tcp(443), "x"), "ingress from Oracle Services Network"),
    ],
)
def test_flows_no_nsg_can_own_are_refused(flow: Flow, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nsg_rules([flow])


def test_duplicate_rules_are_refused() -> None:
    flow = Flow(Nsg(Tier.APP), Nsg(Tier.DB), tcp(5432), "twice")
    with pytest.raises(ValueError, match="duplicate NSG rules: app/out-db-tcp-5432, db/in-app-tcp-5432"):
        nsg_rules([flow, flow])


def test_database_admits_orthanc_and_the_bastion_on_5432_only() -> None:
    assert rule_set(table(), Tier.DB) == {
        ("INGRESS", Nsg(Tier.APP), "tcp-5432"),
        ("INGRESS", Nsg(Tier.OKE_PODS), "tcp-5432"),
        ("INGRESS", Nsg(Tier.OKE_WORKERS), "tcp-5432"),
        ("INGRESS", Cidr(BASTION_CIDR), "tcp-5432"),
    }


def test_load_balancer_admits_the_hospital_and_reaches_orthanc_only() -> None:
    hospital = {("INGRESS", Cidr(cidr), label) for cidr in HOSPITAL for label in ("tcp-443", "tcp-4242", "icmp-3-4")}
    orthanc = {("EGRESS", Nsg(tier), label) for tier in (Tier.APP, Tier.OKE_PODS) for label in ("tcp-8042", "tcp-4242")}
    # OKE: the cluster's internal network load balancer sits in the workers tier (workers NSG).
    balancer = {("EGRESS", Nsg(Tier.OKE_WORKERS), "tcp-8042"), ("EGRESS", Nsg(Tier.OKE_WORKERS), "tcp-4242")}
    assert rule_set(table(), Tier.LB) == hospital | orthanc | balancer


def test_workers_admit_the_load_balancer_on_orthancs_balancer_ports_only() -> None:
    from_lb = {(rule.direction, rule.traffic.label) for rule in table() if rule.tier is Tier.OKE_WORKERS
               and rule.peer == Nsg(Tier.LB)}  # fmt: skip
    assert from_lb == {("INGRESS", "tcp-8042"), ("INGRESS", "tcp-4242")}
    without_oke = nsg_rules(flows(FlowInputs(hospital_cidrs=HOSPITAL, bastion_cidr=BASTION_CIDR)))
    assert not [rule for rule in without_oke if rule.tier is Tier.OKE_WORKERS and rule.peer == Nsg(Tier.LB)]


def test_oke_api_endpoint_follows_oracles_oke_network_guide() -> None:
    workers, pods, services = Nsg(Tier.OKE_WORKERS), Nsg(Tier.OKE_PODS), OracleServices()
    assert rule_set(table(), Tier.OKE_API) == {
        ("INGRESS", workers, "tcp-6443"),
        ("INGRESS", workers, "tcp-12250"),
        ("INGRESS", workers, "icmp-3-4"),
        ("INGRESS", pods, "tcp-6443"),
        ("INGRESS", pods, "tcp-12250"),
        ("INGRESS", Cidr(BASTION_CIDR), "tcp-6443"),
        ("EGRESS", workers, "tcp-10250"),
        ("EGRESS", workers, "icmp-3-4"),
        ("EGRESS", pods, "all"),
        ("EGRESS", services, "tcp-all"),
        ("EGRESS", services, "icmp-3-4"),
    }


def test_workers_and_pods_talk_among_themselves() -> None:
    rules = table()
    for tier in (Tier.OKE_WORKERS, Tier.OKE_PODS):
        assert {("INGRESS", Nsg(tier), "all"), ("EGRESS", Nsg(tier), "all")} <= rule_set(rules, tier)


def test_ai_reads_images_through_the_service_gateway_and_never_reaches_the_database() -> None:
    rules = table()
    assert rule_set(rules, Tier.AI) == {
        ("EGRESS", OracleServices(), "tcp-443"),
        # Data scientists reach the notebook/model-deployment private endpoints from the hospital.
        *{("INGRESS", Cidr(cidr), "tcp-443") for cidr in HOSPITAL},
    }
    assert not any(rule.peer == Nsg(Tier.AI) for rule in rules if rule.tier is Tier.DB)


def test_the_table_opens_only_documented_ports_never_ssh_or_rdp() -> None:
    documented = {443, 4242, 8042, 5432, 6443, 12250, 10250, *BALANCER_PORTS, None}
    rules = table()
    assert {rule.traffic.port for rule in rules} <= documented
    assert not any(rule.traffic.port in (22, 3389) for rule in rules)
    # Unrestricted protocols only between the OKE tiers, as Oracle's guide prescribes.
    oke = {Tier.OKE_API, Tier.OKE_WORKERS, Tier.OKE_PODS}
    for rule in rules:
        if rule.traffic == ALL_TRAFFIC:
            assert rule.tier in oke and isinstance(rule.peer, Nsg) and rule.peer.tier in oke, rule


def test_peers_inside_the_vcn_are_nsgs_except_the_bastion_endpoint() -> None:
    vcn = ipaddress.ip_network("10.20.0.0/16")
    inside = [
        rule
        for rule in table()
        if isinstance(rule.peer, Cidr) and ipaddress.ip_network(rule.peer.cidr).subnet_of(vcn)  # type: ignore[arg-type]
    ]
    # The bastion's endpoint reaches the database and the OKE API; nothing else inside the VCN is a CIDR peer.
    assert {(rule.tier, rule.peer) for rule in inside} == {
        (Tier.DB, Cidr(BASTION_CIDR)),
        (Tier.OKE_API, Cidr(BASTION_CIDR)),
    }


def test_no_hospital_network_means_no_rule_from_outside_the_vcn() -> None:
    rules = nsg_rules(flows(FlowInputs(hospital_cidrs=[], bastion_cidr=BASTION_CIDR)))
    assert not [rule for rule in rules if rule.direction == "INGRESS" and rule.peer not in (Cidr(BASTION_CIDR),)
                and not isinstance(rule.peer, Nsg)]  # fmt: skip


def test_orthanc_sends_dicom_to_each_modality_on_its_own_port() -> None:
    modalities = [
        Modality(aet="CT_MAIN", host="172.16.1.10", port=104),
        Modality(aet="CT_BACKUP", host="172.16.1.10", port=104),
        Modality(aet="PACS", host="pacs.hospital.example", port=11112),
    ]
    found = modality_flows(FlowInputs(hospital_cidrs=HOSPITAL, bastion_cidr=BASTION_CIDR, modalities=modalities))
    assert {(flow.source, flow.destination, flow.traffic.label, flow.description) for flow in found} == {
        (Nsg(sender), Cidr("172.16.1.10/32"), "tcp-104", "Orthanc C-STORE to modality CT_MAIN, CT_BACKUP (C-MOVE)")
        for sender in (Tier.APP, Tier.OKE_PODS)
    } | {
        (Nsg(sender), Cidr(cidr), "tcp-11112", "Orthanc C-STORE to modality PACS (C-MOVE)")
        for sender in (Tier.APP, Tier.OKE_PODS)
        for cidr in HOSPITAL
    }
    assert all(rule.direction == "EGRESS" for rule in nsg_rules(found))


def test_recorded_modality_rules_are_egress_from_orthanc_only() -> None:
    modality = Modality(aet="CT_MAIN", host="172.16.1.10", port=104)
    config = stack_config(network={"onPremCidrs": HOSPITAL}).network
    plan = record(
        lambda: Network("net", NetworkArgs(config=config, compartment_id=COMPARTMENT, modalities=(modality,)))
    )
    to_modality = [r for r in plan.of_type(NSG_RULE) if r.inputs.get("destination") == "172.16.1.10/32"]
    assert sorted(r.name for r in to_modality) == [
        "net-app-nsg-out-172-16-1-10-32-tcp-104",
        "net-oke-pods-nsg-out-172-16-1-10-32-tcp-104",
    ]
    assert all(r.inputs["tcpOptions"]["destinationPortRange"] == {"min": 104, "max": 104} for r in to_modality)


def test_rule_arguments_match_the_providers_argument_names() -> None:
    nsg_ids = {tier: f"nsg-{tier.value}" for tier in Tier}
    ingress = NsgRule(Tier.DB, "INGRESS", Nsg(Tier.APP), tcp(5432), "Orthanc to PostgreSQL")
    assert rule_arguments(ingress, nsg_ids, "label") == {
        "direction": "INGRESS",
        "protocol": "6",
        "source": "nsg-app",
        "source_type": "NETWORK_SECURITY_GROUP",
        "stateless": False,
        "description": "Orthanc to PostgreSQL",
        "tcp_options": {"destination_port_range": {"min": 5432, "max": 5432}},
    }
    egress = NsgRule(Tier.OKE_API, "EGRESS", OracleServices(), PATH_MTU, "MTU")
    assert rule_arguments(egress, nsg_ids, "label") == {
        "direction": "EGRESS",
        "protocol": "1",
        "destination": "label",
        "destination_type": "SERVICE_CIDR_BLOCK",
        "stateless": False,
        "description": "MTU",
        "icmp_options": {"type": 3, "code": 4},
    }


def test_only_the_public_load_balancer_tier_routes_to_the_internet_gateway() -> None:
    for tier in Tier:
        assert RouteTarget.INTERNET_GATEWAY not in route_targets(tier, public_load_balancer=False)
        assert (RouteTarget.INTERNET_GATEWAY in route_targets(tier, public_load_balancer=True)) == (tier is Tier.LB)


def test_only_tiers_that_pull_images_or_packages_route_to_the_nat_gateway() -> None:
    natted = {tier for tier in Tier if RouteTarget.NAT_GATEWAY in route_targets(tier, public_load_balancer=False)}
    assert natted == {Tier.APP, Tier.OKE_WORKERS}
    with_ai_internet = {
        tier for tier in Tier if RouteTarget.NAT_GATEWAY in route_targets(tier, False, ai_internet_egress=True)
    }
    assert with_ai_internet == {Tier.APP, Tier.OKE_WORKERS, Tier.AI}


def test_route_rules_send_the_hospital_to_the_drg_and_services_to_the_service_gateway() -> None:
    gateways = {target: target.value for target in RouteTarget}
    rules = route_rules(route_targets(Tier.APP, False), HOSPITAL, gateways, "label")
    assert [(r["destination"], r["destination_type"], r["network_entity_id"]) for r in rules] == [
        ("10.0.0.0/14", "CIDR_BLOCK", "drg"),
        ("172.16.0.0/16", "CIDR_BLOCK", "drg"),
        ("label", "SERVICE_CIDR_BLOCK", "service-gateway"),
        ("0.0.0.0/0", "CIDR_BLOCK", "nat-gateway"),
    ]
    assert all(rule["description"] for rule in rules)


def test_one_default_route_per_tier() -> None:
    with pytest.raises(ValueError, match="one default route"):
        route_rules({RouteTarget.NAT_GATEWAY, RouteTarget.INTERNET_GATEWAY}, [], {}, "label")


def test_all_services_entry_is_recognised() -> None:
    assert is_all_services("All FRA Services In Oracle Services Network")
    assert not is_all_services("OCI FRA Object Storage")


# --- the component under mocks ---------------------------------------------------------------------------------


def test_one_regional_private_subnet_per_tier(private: Recorded) -> None:
    subnets = {subnet.name: subnet.inputs for subnet in private.of_type(SUBNET)}
    cidrs = stack_config().network.subnets.model_dump()
    assert {name: inputs["cidrBlock"] for name, inputs in subnets.items()} == {
        f"net-{tier.value.replace('_', '-')}": cidrs[tier.value] for tier in Tier
    }
    for inputs in subnets.values():
        assert "availabilityDomain" not in inputs
        assert inputs["prohibitPublicIpOnVnic"] is True
        assert inputs["prohibitInternetIngress"] is True


def test_default_security_list_is_empty_and_every_nsg_tier_uses_it(private: Recorded) -> None:
    (default_list,) = private.of_type("oci:Core/defaultSecurityList:DefaultSecurityList")
    assert default_list.inputs.get("ingressSecurityRules", []) == []
    assert default_list.inputs.get("egressSecurityRules", []) == []
    own = {record.name: engine_id(record) for record in private.of_type(SECURITY_LIST)}
    assert set(own) == {"net-ai-security-list", "net-bastion-security-list"}
    for subnet in private.of_type(SUBNET):
        expected = own.get(f"{subnet.name}-security-list", engine_id(default_list))
        assert subnet.inputs["securityListIds"] == [expected], subnet.name


def _list_rules(
    recorded: Recorded, tier: str
) -> tuple[set[tuple[Any, Any, Any, object]], set[tuple[Any, Any, Any, object]]]:
    """(egress, ingress) of a tier's own security list as (peer, peer type, protocol, port or ICMP)."""
    inputs = recorded.named(f"net-{tier}-security-list").inputs

    def what(rule: dict[str, Any]) -> object:
        if "tcpOptions" in rule:
            assert rule["tcpOptions"]["min"] == rule["tcpOptions"]["max"]
            return rule["tcpOptions"]["min"]
        return (rule["icmpOptions"]["type"], rule["icmpOptions"]["code"])

    for rule in [*inputs["egressSecurityRules"], *inputs["ingressSecurityRules"]]:
        assert rule["stateless"] is False and rule["description"]
    egress = {(r["destination"], r["destinationType"], r["protocol"], what(r)) for r in inputs["egressSecurityRules"]}
    ingress = {(r["source"], r["sourceType"], r["protocol"], what(r)) for r in inputs["ingressSecurityRules"]}
    return egress, ingress


def test_data_science_vnics_get_exactly_https_to_oracle_services(private: Recorded) -> None:
    """Issue 12 item 13: notebook sessions, job runs and model deployments cannot join an NSG — pulumi-oci 5.5's
    NotebookSessionNotebookSessionConfigurationDetailsArgs and JobJobInfrastructureConfigurationDetailsArgs take
    a `subnet_id` and no `nsg_ids` (only datascience.PrivateEndpoint does) — so with the subnet's empty security
    list their VNICs could open nothing. Security list rule shapes (`tcp_options {min, max}`, destination_type
    SERVICE_CIDR_BLOCK) follow oracle/terraform-provider-oci core_security_list docs."""
    egress, ingress = _list_rules(private, "ai")
    assert egress == {(SERVICES_LABEL, "SERVICE_CIDR_BLOCK", "6", 443)}
    assert ingress == {(SERVICES_LABEL, "SERVICE_CIDR_BLOCK", "1", (3, 4))}


def test_ai_internet_egress_is_opt_in_and_https_only() -> None:
    config = stack_config(network={"onPremCidrs": HOSPITAL}).network
    recorded = record(
        lambda: Network("net", NetworkArgs(config=config, compartment_id=COMPARTMENT, ai_internet_egress=True))
    )
    egress, _ = _list_rules(recorded, "ai")
    assert egress == {(SERVICES_LABEL, "SERVICE_CIDR_BLOCK", "6", 443), ("0.0.0.0/0", "CIDR_BLOCK", "6", 443)}
    assert ("0.0.0.0/0", "NatGateway") in routes_by_tier(recorded)["ai"]


def test_bastion_endpoint_reaches_only_its_session_targets(private: Recorded) -> None:
    """Issue 12 item 13: an OCI Bastion's private endpoint takes no NSG (CreateBastionDetails / the provider's
    r/bastion_bastion have `target_subnet_id` and no `nsg_ids`), so it lives under the bastion subnet's security
    lists. Its port-forwarding sessions go to PostgreSQL (5432) and the Kubernetes API (6443); no SSH target
    exists, so port 22 is not opened."""
    subnets = stack_config().network.subnets
    egress, ingress = _list_rules(private, "bastion")
    assert egress == {(subnets.db, "CIDR_BLOCK", "6", 5432), (subnets.oke_api, "CIDR_BLOCK", "6", 6443)}
    assert ingress == {(subnets.db, "CIDR_BLOCK", "1", (3, 4)), (subnets.oke_api, "CIDR_BLOCK", "1", (3, 4))}


def test_every_nsg_rule_is_stateful_described_and_never_open_to_the_world(private: Recorded) -> None:
    rules = private.of_type(NSG_RULE)
    expected = nsg_rules(flows(FlowInputs(hospital_cidrs=HOSPITAL, bastion_cidr=BASTION_CIDR)))
    assert sorted(rule.name for rule in rules) == sorted(
        f"net-{rule.tier.value.replace('_', '-')}-nsg-{rule.key}" for rule in expected
    )
    for rule in rules:
        inputs = rule.inputs
        assert inputs["description"], rule.name
        assert inputs["stateless"] is False
        if inputs["direction"] == "INGRESS":
            assert inputs["sourceType"] in ("NETWORK_SECURITY_GROUP", "CIDR_BLOCK")
            if inputs["sourceType"] == "CIDR_BLOCK":
                assert ipaddress.ip_network(inputs["source"]).prefixlen > 0, rule.name
        ports = inputs.get("tcpOptions", {}).get("destinationPortRange", {})
        assert not {ports.get("min"), ports.get("max")} & {22, 3389}, rule.name


def test_recorded_database_rules_name_the_peer_nsgs(private: Recorded) -> None:
    nsg_tier = {engine_id(nsg): nsg.name.removeprefix("net-").removesuffix("-nsg") for nsg in private.of_type(NSG)}
    db_nsg = private.named("net-db-nsg")
    recorded = {
        (r.inputs["direction"], nsg_tier.get(r.inputs["source"], r.inputs["source"]), r.inputs["sourceType"],
         r.inputs["tcpOptions"]["destinationPortRange"]["min"])
        for r in private.children_of(db_nsg)
    }  # fmt: skip
    assert {r.inputs["networkSecurityGroupId"] for r in private.children_of(db_nsg)} == {engine_id(db_nsg)}
    assert recorded == {
        ("INGRESS", "app", "NETWORK_SECURITY_GROUP", 5432),
        ("INGRESS", "oke-pods", "NETWORK_SECURITY_GROUP", 5432),
        ("INGRESS", "oke-workers", "NETWORK_SECURITY_GROUP", 5432),
        ("INGRESS", BASTION_CIDR, "CIDR_BLOCK", 5432),
    }


def test_egress_to_oracle_services_uses_the_service_gateway_label(private: Recorded) -> None:
    to_services = [r for r in private.of_type(NSG_RULE) if r.inputs.get("destinationType") == "SERVICE_CIDR_BLOCK"]
    assert {r.name for r in to_services} >= {
        "net-app-nsg-out-oracle-services-tcp-443",
        "net-ai-nsg-out-oracle-services-tcp-443",
    }
    assert {r.inputs["destination"] for r in to_services} == {SERVICES_LABEL}  # fmt: skip


def test_gateways_and_the_drg_attachment(private: Recorded) -> None:
    (service_gateway,) = private.of_type("oci:Core/serviceGateway:ServiceGateway")
    assert service_gateway.inputs["services"] == [{"serviceId": ALL_SERVICES_ID}]
    (attachment,) = private.of_type("oci:Core/drgAttachment:DrgAttachment")
    (vcn,) = private.of_type("oci:Core/vcn:Vcn")
    (drg,) = private.of_type("oci:Core/drg:Drg")
    assert attachment.inputs["networkDetails"] == {"type": "VCN", "id": engine_id(vcn)}
    assert attachment.inputs["drgId"] == engine_id(drg)
    assert private.of_type("oci:Core/natGateway:NatGateway")[0].inputs["blockTraffic"] is False
    assert private.of_type("oci:Core/internetGateway:InternetGateway") == []
    for gateway in (service_gateway, drg, vcn):
        assert gateway.inputs["compartmentId"] == COMPARTMENT


def routes_by_tier(plan: Recorded) -> dict[str, set[tuple[str, str]]]:
    """tier -> {(destination, gateway type)} from the route table each subnet actually uses."""
    gateway_type = {engine_id(r): r.type.rsplit(":", 1)[-1] for r in plan if r.custom}
    tables = {engine_id(table): table for table in plan.of_type(ROUTE_TABLE)}
    routes: dict[str, set[tuple[str, str]]] = {}
    for subnet in plan.of_type(SUBNET):
        rules = tables[subnet.inputs["routeTableId"]].inputs.get("routeRules", [])
        routes[subnet.name.removeprefix("net-")] = {
            (r["destination"], gateway_type[r["networkEntityId"]]) for r in rules
        }
    return routes


def test_route_tables_send_the_hospital_to_the_drg_and_services_to_the_service_gateway(private: Recorded) -> None:
    hospital = {(cidr, "Drg") for cidr in HOSPITAL}
    services = {(SERVICES_LABEL, "ServiceGateway")}
    nat = {("0.0.0.0/0", "NatGateway")}
    assert routes_by_tier(private) == {
        "lb": hospital,
        "app": hospital | services | nat,
        "bastion": set(),
        "db": set(),
        "oke-api": services,
        "oke-workers": services | nat,
        "oke-pods": hospital | services,
        "ai": hospital | services,
    }


def test_routes_wait_for_the_drg_attachment(private: Recorded) -> None:
    (attachment,) = private.of_type("oci:Core/drgAttachment:DrgAttachment")
    for table in private.of_type(ROUTE_TABLE):
        assert attachment.urn in table.dependencies, table.name


def test_one_flow_log_per_subnet(private: Recorded) -> None:
    (group,) = private.of_type("oci:Logging/logGroup:LogGroup")
    assert group.inputs["compartmentId"] == COMPARTMENT
    logs = private.of_type(LOG)
    assert sorted(log.inputs["configuration"]["source"]["resource"] for log in logs) == sorted(
        engine_id(subnet) for subnet in private.of_type(SUBNET)
    )
    for log in logs:
        assert log.inputs["logType"] == "SERVICE"
        assert log.inputs["logGroupId"] == engine_id(group)
        assert log.inputs["retentionDuration"] == 90
        assert log.inputs["isEnabled"] is True
        source = log.inputs["configuration"]["source"]
        assert (source["service"], source["category"], source["sourceType"]) == ("flowlogs", "all", "OCISERVICE")


def test_flow_log_retention_comes_from_the_config() -> None:
    logs = planned_network(flowLogRetentionDays=180).of_type(LOG)
    assert {log.inputs["retentionDuration"] for log in logs} == {180}


def test_public_load_balancer_opens_the_lb_tier_only(public: Recorded) -> None:
    (internet_gateway,) = public.of_type("oci:Core/internetGateway:InternetGateway")
    assert internet_gateway.inputs["enabled"] is True
    exposed = {s.name for s in public.of_type(SUBNET) if s.inputs["prohibitPublicIpOnVnic"] is not True}
    assert exposed == {"net-lb"}
    assert public.named("net-lb").inputs["prohibitInternetIngress"] is False
    internet_routes = {
        tier for tier, routes in routes_by_tier(public).items() if ("0.0.0.0/0", "InternetGateway") in routes
    }
    assert internet_routes == {"lb"}  # fmt: skip
    lb_ingress = {
        r.inputs["source"] for r in public.children_of(public.named("net-lb-nsg")) if r.inputs["direction"] == "INGRESS"
    }
    assert lb_ingress == set(HOSPITAL)


def test_outputs_are_typed_per_tier() -> None:
    captured: dict[str, Network] = {}
    config = stack_config().network

    def program() -> None:
        captured["network"] = Network("net", NetworkArgs(config=config, compartment_id=COMPARTMENT))

    recorded = record(program)
    network = captured["network"]
    assert set(network.subnet_ids) == set(Tier) and set(network.nsg_ids) == set(Tier)
    component = recorded.named("net")
    assert component.type == "dicomstore:network:Network"
    assert {child.type for child in recorded.children_of(component)} >= {
        "oci:Core/natGateway:NatGateway", "oci:Core/serviceGateway:ServiceGateway", "oci:Core/drg:Drg",
        "oci:Logging/logGroup:LogGroup", ROUTE_TABLE, SUBNET, NSG,
    }  # fmt: skip


# --- the shipped stacks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev_plan", "prod_plan"])
def test_shipped_stacks_have_one_private_regional_subnet_per_tier_and_flow_logs(
    stack: str, request: pytest.FixtureRequest
) -> None:
    plan: Recorded = request.getfixturevalue(stack)
    subnets = plan.of_type(SUBNET)
    assert len(subnets) == len(Tier)
    assert all(s.inputs["prohibitPublicIpOnVnic"] is True and "availabilityDomain" not in s.inputs for s in subnets)
    sources = [log.inputs.get("configuration", {}).get("source", {}) for log in plan.of_type(LOG)]
    flow_logged = [source["resource"] for source in sources if source.get("service") == "flowlogs"]
    assert sorted(flow_logged) == sorted(engine_id(subnet) for subnet in subnets)
    for rule in plan.of_type(NSG_RULE):
        if rule.inputs["sourceType" if rule.inputs["direction"] == "INGRESS" else "destinationType"] == "CIDR_BLOCK":
            assert rule.inputs["direction"] == "EGRESS" or ipaddress.ip_network(rule.inputs["source"]).prefixlen > 0


# --- config ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [45, 100])
def test_flow_log_retention_must_be_whole_30_day_steps(days: int) -> None:
    with pytest.raises(ConfigError, match=rf"network.flowLogRetentionDays = {days}: is not a multiple of 30 days.*Fix"):
        load_stack_config(config_values(network={"flowLogRetentionDays": days}))


@pytest.mark.parametrize("world", ["0.0.0.0/0", "::/0"])
def test_on_prem_cidrs_never_cover_the_whole_internet(world: str) -> None:
    with pytest.raises(ConfigError, match=rf"network.onPremCidrs\[0\] = '{world}': opens access to the whole internet"):
        load_stack_config(config_values(network={"onPremCidrs": [world]}))


def test_modalities_addressed_by_ip_must_be_in_a_hospital_network() -> None:
    modalities = [
        {"aet": "CT", "host": "10.0.4.10"},
        {"aet": "MR", "host": "192.168.7.7"},
        {"aet": "X", "host": "mr.example"},
    ]
    with pytest.raises(
        ConfigError, match=r"orthanc.allowedModalities\[1\].host = '192.168.7.7': lies outside every"
    ) as error:
        load_stack_config(config_values(orthanc={"allowedModalities": modalities}))
    assert len(error.value.problems) == 1


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_admin_cidrs_are_public_and_only_the_bastion_admits_them(
    stack: str, request: pytest.FixtureRequest
) -> None:
    """Issue 12 item 14: the admins' CIDRs are public egress ranges that the Bastion's public endpoint sees
    (oracle/terraform-provider-oci r/bastion_bastion `client_cidr_block_allow_list`); inside the VCN the Bastion's
    traffic comes from the bastion subnet, so no NSG rule or security list may name an admin CIDR as a source."""
    admin = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]["dicomstore:security"][
        "adminCidrs"
    ]
    plan: Recorded = request.getfixturevalue(f"{stack}_plan")
    (bastion,) = plan.of_type("oci:Bastion/bastion:Bastion")
    assert bastion.inputs["clientCidrBlockAllowLists"] == admin
    rules = [
        *(rule.inputs for rule in plan.of_type(NSG_RULE)),
        *(rule for rules in plan.of_type(SECURITY_LIST) for rule in rules.inputs["ingressSecurityRules"]),
    ]
    assert rules
    assert not [rule for rule in rules if rule.get("source") in admin]


def test_shipped_prod_ai_subnet_has_no_internet_path(prod_plan: Recorded) -> None:
    """AI is on in prod without `ai.internetEgress`: the AI subnet neither routes nor allows 0.0.0.0/0."""
    (subnet,) = [record for record in prod_plan.of_type(SUBNET) if record.name == "dicomstore-network-ai"]
    tables = {engine_id(table): table for table in prod_plan.of_type(ROUTE_TABLE)}
    destinations = {rule["destination"] for rule in tables[subnet.inputs["routeTableId"]].inputs["routeRules"]}
    assert "0.0.0.0/0" not in destinations and destinations
    lists = {engine_id(security_list): security_list for security_list in prod_plan.of_type(SECURITY_LIST)}
    (own,) = [lists[list_id] for list_id in subnet.inputs["securityListIds"]]
    assert [rule["destination"] for rule in own.inputs["egressSecurityRules"]] == [
        "all-fra-services-in-oracle-services-network"
    ]
