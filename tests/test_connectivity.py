"""Connectivity: FastConnect private circuit on the DRG, IPSec backup, FastConnect-first routing, config rules."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from components.config.schema import ConfigError
from components.connectivity import connectivity_rules
from components.connectivity.connectivity import Connectivity, ConnectivityArgs
from offline.hybrid_invokes import secret_bundle
from offline.provider_outputs import created_state
from offline.redact import is_secret, redact
from tests.support import Recorded, record, stack_config

REGION = "eu-frankfurt-1"
DRG = "ocid1.drg.oc1.eu-frankfurt-1.aaaaaaaatestdrg00000000000000000000000000000000000000"
NETWORK_COMPARTMENT = "ocid1.compartment.oc1.eu-frankfurt-1.aaaaaaaatestnetwork000000000000000000000000000000000"
PROVIDER = "ocid1.providerservice.oc1.eu-frankfurt-1.aaaaaaaatestprovider0000000000000000000000000000000000"
CROSS_CONNECT = "ocid1.crossconnect.oc1.eu-frankfurt-1.aaaaaaaatestcrossconnect000000000000000000000000000000"
MD5_SECRET = "ocid1.vaultsecret.oc1.eu-frankfurt-1.aaaaaaaatestmd5secret000000000000000000000000000000000"
ON_PREM = ["10.0.0.0/14"]

FASTCONNECT: dict[str, Any] = {
    "enabled": True,
    "bandwidthShape": "10 Gbps",
    "providerServiceOcid": PROVIDER,
    "customerBgpPeeringIp": "169.254.10.2/30",
    "oracleBgpPeeringIp": "169.254.10.1/30",
}
IPSEC: dict[str, Any] = {"enabled": True, "cpeIpAddress": "203.0.113.10"}
HOSPITAL_ASN = 65010  # connectivity.customerBgpAsn: one ASN for the circuit and the tunnels

VIRTUAL_CIRCUIT = "oci:Core/virtualCircuit:VirtualCircuit"
IPSEC_CONNECTION = "oci:Core/ipsec:Ipsec"
TUNNEL = "oci:Core/ipsecConnectionTunnelManagement:IpsecConnectionTunnelManagement"
CPE = "oci:Core/cpe:Cpe"
ATTACHMENT_MANAGEMENT = "oci:Core/drgAttachmentManagement:DrgAttachmentManagement"
DRG_ROUTE_TABLE = "oci:Core/drgRouteTable:DrgRouteTable"
DISTRIBUTION = "oci:Core/drgRouteDistribution:DrgRouteDistribution"
STATEMENT = "oci:Core/drgRouteDistributionStatement:DrgRouteDistributionStatement"


def _connectivity(**sections: Any) -> Recorded:
    config = stack_config(connectivity={"customerBgpAsn": HOSPITAL_ASN, **sections})

    def program() -> None:
        Connectivity(
            "conn",
            ConnectivityArgs(
                config=config.connectivity, compartment_id=NETWORK_COMPARTMENT, drg_id=DRG, on_prem_cidrs=ON_PREM
            ),
        )

    return record(program)


def _id(recorded: Recorded, type_token: str) -> str:
    """The id the offline engine gave the one resource of that type."""
    (resource,) = recorded.of_type(type_token)
    return created_state(type_token, resource.name, resource.inputs, REGION)[0]


@pytest.fixture(scope="module")
def both() -> Recorded:
    return _connectivity(fastconnect=FASTCONNECT, ipsec=IPSEC)


# --- FastConnect ---------------------------------------------------------------------------------------------


def test_virtual_circuit_is_private_on_the_drg_with_bgp(both: Recorded) -> None:
    (circuit,) = both.of_type(VIRTUAL_CIRCUIT)
    inputs = circuit.inputs
    assert inputs["type"] == "PRIVATE"
    assert inputs["gatewayId"] == DRG
    assert inputs["compartmentId"] == NETWORK_COMPARTMENT
    assert inputs["bandwidthShapeName"] == "10 Gbps"
    assert inputs["customerAsn"] == "65010"
    assert inputs["providerServiceId"] == PROVIDER
    assert inputs["crossConnectMappings"] == [
        {"customerBgpPeeringIp": "169.254.10.2/30", "oracleBgpPeeringIp": "169.254.10.1/30"}
    ]
    assert "publicPrefixes" not in inputs
    assert circuit.protect is True


def test_colocated_circuit_names_its_cross_connect_and_vlan() -> None:
    colocated = {**FASTCONNECT, "providerServiceOcid": None, "crossConnectOcid": CROSS_CONNECT, "vlan": 1200}
    (circuit,) = _connectivity(fastconnect=colocated).of_type(VIRTUAL_CIRCUIT)
    (mapping,) = circuit.inputs["crossConnectMappings"]
    assert mapping["crossConnectOrCrossConnectGroupId"] == CROSS_CONNECT
    assert mapping["vlan"] == 1200
    assert "providerServiceId" not in circuit.inputs


def test_bgp_md5_key_comes_from_vault_as_a_secret_never_in_plaintext() -> None:
    recorded = _connectivity(fastconnect={**FASTCONNECT, "bgpMd5AuthKeySecretOcid": MD5_SECRET})
    (circuit,) = recorded.of_type(VIRTUAL_CIRCUIT)
    key = circuit.inputs["crossConnectMappings"][0]["bgpMd5authKey"]
    assert is_secret(key)
    # The key is the decoded content of the secret bundle the (offline) Vault answered for that OCID.
    (content,) = secret_bundle({"secretId": MD5_SECRET}, REGION)["secretBundleContents"]
    assert key["value"] == base64.b64decode(content["content"]).decode()
    assert key["value"] not in json.dumps(redact(circuit.inputs))


def test_circuit_attachment_uses_the_onprem_route_table(both: Recorded) -> None:
    table_id = _id(both, DRG_ROUTE_TABLE)
    attachments = {a.inputs["attachmentType"]: a for a in both.of_type(ATTACHMENT_MANAGEMENT)}
    assert set(attachments) == {"VIRTUAL_CIRCUIT"}
    circuit = attachments["VIRTUAL_CIRCUIT"].inputs
    assert circuit["networkId"] == _id(both, VIRTUAL_CIRCUIT)
    assert circuit["drgRouteTableId"] == table_id
    assert circuit["drgId"] == DRG


def test_onprem_route_table_imports_only_the_vcn_and_no_static_route(both: Recorded) -> None:
    (table,) = both.of_type(DRG_ROUTE_TABLE)
    assert table.inputs["drgId"] == DRG
    assert table.inputs["importDrgRouteDistributionId"] == _id(both, DISTRIBUTION)
    (distribution,) = both.of_type(DISTRIBUTION)
    assert distribution.inputs["distributionType"] == "IMPORT"
    statements = both.of_type(STATEMENT)
    assert [s.inputs["matchCriteria"] for s in statements] == [
        {"matchType": "DRG_ATTACHMENT_TYPE", "attachmentType": "VCN"}
    ]
    assert all(s.inputs["action"] == "ACCEPT" for s in statements)
    assert not both.of_type("oci:Core/drgRouteTableRouteRule:DrgRouteTableRouteRule")


# --- IPSec ---------------------------------------------------------------------------------------------------


def test_ipsec_connects_the_cpe_to_the_drg(both: Recorded) -> None:
    (cpe,) = both.of_type(CPE)
    assert cpe.inputs["ipAddress"] == "203.0.113.10"
    (connection,) = both.of_type(IPSEC_CONNECTION)
    inputs = connection.inputs
    assert inputs["drgId"] == DRG
    assert inputs["cpeId"] == _id(both, CPE)
    assert inputs["staticRoutes"] == []  # BGP on both tunnels
    table_id = _id(both, DRG_ROUTE_TABLE)
    assert inputs["tunnelConfigurations"] == [{"drgRouteTableId": table_id}] * 2


def test_both_tunnels_run_bgp_with_ikev2_and_strong_proposals(both: Recorded) -> None:
    tunnels = sorted(both.of_type(TUNNEL), key=lambda t: t.name)
    assert [t.name for t in tunnels] == ["conn-ipsec-tunnel-1", "conn-ipsec-tunnel-2"]
    ipsec_id = _id(both, IPSEC_CONNECTION)
    assert {t.inputs["ipsecId"] for t in tunnels} == {ipsec_id}
    assert len({t.inputs["tunnelId"] for t in tunnels}) == 2
    assert [t.inputs["bgpSessionInfo"] for t in tunnels] == [
        {"customerBgpAsn": "65010", "customerInterfaceIp": "169.254.20.2/30", "oracleInterfaceIp": "169.254.20.1/30"},
        {"customerBgpAsn": "65010", "customerInterfaceIp": "169.254.20.6/30", "oracleInterfaceIp": "169.254.20.5/30"},
    ]
    for tunnel in tunnels:
        assert tunnel.inputs["routing"] == "BGP"
        assert tunnel.inputs["ikeVersion"] == "V2"
        assert tunnel.inputs["phaseOneDetails"]["customEncryptionAlgorithm"] == "AES_256_CBC"
        assert tunnel.inputs["phaseOneDetails"]["customDhGroup"] == "GROUP20"
        assert tunnel.inputs["phaseTwoDetails"]["customEncryptionAlgorithm"] == "AES_256_GCM"
        assert tunnel.inputs["phaseTwoDetails"]["isPfsEnabled"] is True


def test_no_tunnel_shared_secret_anywhere_in_the_inputs(both: Recorded) -> None:
    for resource in both:
        assert "sharedSecret" not in json.dumps(resource.inputs), resource.urn


def test_static_ipsec_alone_routes_the_hospital_cidrs() -> None:
    recorded = _connectivity(ipsec={**IPSEC, "routing": "STATIC"})
    (connection,) = recorded.of_type(IPSEC_CONNECTION)
    assert connection.inputs["staticRoutes"] == ON_PREM
    tunnels = recorded.of_type(TUNNEL)
    assert len(tunnels) == 2
    for tunnel in tunnels:
        assert tunnel.inputs["routing"] == "STATIC"
        assert "bgpSessionInfo" not in tunnel.inputs
    assert not recorded.of_type(VIRTUAL_CIRCUIT)


def test_nothing_is_created_when_both_paths_are_off() -> None:
    recorded = _connectivity()
    assert [r.type for r in recorded] == ["dicomstore:connectivity:Connectivity"]


# --- config rules --------------------------------------------------------------------------------------------


def _problems(**sections: Any) -> str:
    with pytest.raises(ConfigError) as error:
        stack_config(connectivity={"customerBgpAsn": HOSPITAL_ASN, **sections})
    return str(error.value)


def test_peering_address_must_be_a_30_or_31() -> None:
    message = _problems(fastconnect={**FASTCONNECT, "customerBgpPeeringIp": "169.254.10.2/24"})
    assert (
        "dicomstore:connectivity.fastconnect.customerBgpPeeringIp = '169.254.10.2/24': is not a /30 or /31" in message
    )


def test_peering_address_must_be_link_local_or_private() -> None:
    message = _problems(
        fastconnect={**FASTCONNECT, "customerBgpPeeringIp": "8.8.8.2/30", "oracleBgpPeeringIp": "8.8.8.1/30"}
    )
    assert "customerBgpPeeringIp = '8.8.8.2/30': is neither link-local" in message
    assert "oracleBgpPeeringIp = '8.8.8.1/30': is neither link-local" in message


def test_peering_ends_must_share_their_subnet() -> None:
    message = _problems(fastconnect={**FASTCONNECT, "oracleBgpPeeringIp": "169.254.11.1/30"})
    assert "oracleBgpPeeringIp = '169.254.11.1/30': is not in the customer side's subnet 169.254.10.0/30" in message


def test_tunnel_session_must_not_reuse_the_circuit_subnet() -> None:
    tunnels = [
        {"customerInterfaceIp": "169.254.10.2/30", "oracleInterfaceIp": "169.254.10.1/30"},
        {"customerInterfaceIp": "169.254.20.6/30", "oracleInterfaceIp": "169.254.20.5/30"},
    ]
    message = _problems(fastconnect=FASTCONNECT, ipsec={**IPSEC, "tunnels": tunnels})
    assert "ipsec.tunnels[0].customerInterfaceIp = '169.254.10.2/30': shares its subnet" in message


def test_fastconnect_needs_a_provider_or_a_cross_connect() -> None:
    message = _problems(fastconnect={**FASTCONNECT, "providerServiceOcid": None})
    assert "connectivity.fastconnect.providerServiceOcid = None: is required" in message
    message = _problems(fastconnect={**FASTCONNECT, "crossConnectOcid": CROSS_CONNECT, "vlan": 1200})
    assert "connectivity.fastconnect.crossConnectOcid" in message and "not both" in message


def test_colocation_needs_a_vlan() -> None:
    message = _problems(fastconnect={**FASTCONNECT, "providerServiceOcid": None, "crossConnectOcid": CROSS_CONNECT})
    assert "connectivity.fastconnect.vlan = None: is required on a colocation cross-connect" in message


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("10.0.0.1", "is not a public IPv4 address"),
        ("192.168.1.1", "is not a public IPv4 address"),
        ("100.64.0.1", "is not a public IPv4 address"),
        ("169.254.1.1", "is not a public IPv4 address"),
        ("not-an-ip", "is not an IP address"),
    ],
)
def test_cpe_address_must_be_public(address: str, problem: str) -> None:
    message = _problems(ipsec={**IPSEC, "cpeIpAddress": address})
    assert f"connectivity.ipsec.cpeIpAddress = '{address}': {problem}. Fix: " in message


def test_static_ipsec_next_to_fastconnect_is_rejected() -> None:
    message = _problems(fastconnect=FASTCONNECT, ipsec={**IPSEC, "routing": "STATIC"})
    assert "connectivity.ipsec.routing = 'STATIC': cannot be ordered behind FastConnect" in message


def test_static_ipsec_needs_the_hospital_networks() -> None:
    with pytest.raises(ConfigError, match=r"network\.onPremCidrs = \[\]: is empty, but static IPSec routing"):
        stack_config(network={"onPremCidrs": []}, connectivity={"ipsec": {**IPSEC, "routing": "STATIC"}})


def test_ipsec_needs_exactly_two_tunnels() -> None:
    one = [{"customerInterfaceIp": "169.254.20.2/30", "oracleInterfaceIp": "169.254.20.1/30"}]
    message = _problems(ipsec={**IPSEC, "tunnels": one})
    assert "connectivity.ipsec.tunnels = [" in message and "lists 1 tunnels; OCI creates exactly 2" in message


def test_oracle_asn_is_rejected() -> None:
    message = _problems(fastconnect=FASTCONNECT, customerBgpAsn=connectivity_rules.ORACLE_BGP_ASN)
    assert "connectivity.customerBgpAsn = 31898: is Oracle's own ASN" in message


@pytest.mark.parametrize(
    "sections",
    [{"fastconnect": FASTCONNECT}, {"ipsec": IPSEC}],
    ids=["fastconnect", "bgp-ipsec"],
)
def test_a_bgp_session_needs_the_hospital_asn(sections: dict[str, Any]) -> None:
    """Issue 12 item 16: the tunnels' ASN silently defaulted to 64512 while the circuit used the configured
    ASN. OCI takes `customer_asn` on the virtual circuit and `bgp_session_info.customer_bgp_asn` on each tunnel
    (oracle/terraform-provider-oci docs: core_virtual_circuit, core_ipsec_connection_tunnel_management); both
    speak for the one hospital, so the ASN is one key and has no guessed default."""
    with pytest.raises(ConfigError) as error:
        stack_config(connectivity=sections)
    assert "connectivity.customerBgpAsn = None: is required when FastConnect or BGP-routed IPSec is enabled" in str(
        error.value
    )


def test_static_ipsec_alone_needs_no_asn() -> None:
    config = stack_config(connectivity={"ipsec": {**IPSEC, "routing": "STATIC"}})
    assert config.connectivity.customer_bgp_asn is None


@pytest.mark.parametrize("section", ["fastconnect", "ipsec"])
def test_the_retired_per_path_asn_key_points_to_the_shared_one(section: str) -> None:
    with pytest.raises(ConfigError) as error:
        stack_config(connectivity={"customerBgpAsn": HOSPITAL_ASN, section: {"customerBgpAsn": 64512}})
    assert (
        f"connectivity.{section}.customerBgpAsn = 64512: has moved: the hospital has one ASN for FastConnect and "
        "IPSec. Fix: set connectivity.customerBgpAsn instead." in str(error.value)
    )


def test_circuit_and_tunnels_carry_the_same_customer_asn(both: Recorded) -> None:
    (circuit,) = both.of_type(VIRTUAL_CIRCUIT)
    asns = {tunnel.inputs["bgpSessionInfo"]["customerBgpAsn"] for tunnel in both.of_type(TUNNEL)}
    assert asns == {circuit.inputs["customerAsn"]} == {str(HOSPITAL_ASN)}


def test_a_good_hybrid_config_passes() -> None:
    config = stack_config(connectivity={"customerBgpAsn": HOSPITAL_ASN, "fastconnect": FASTCONNECT, "ipsec": IPSEC})
    assert config.connectivity.ipsec.routing == "BGP"


# --- pure rules ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "oracle", "expected"),
    [
        ("169.254.10.2/30", "169.254.10.1/30", []),
        ("169.254.10.0/31", "169.254.10.1/31", []),
        ("10.255.0.2/30", "10.255.0.1/30", []),
        ("169.254.10.3/30", "169.254.10.1/30", [("customer", "is the network or broadcast address of its /30")]),
        ("169.254.10.2/30", "169.254.10.2/30", [("oracle", "is the same address as the customer side")]),
        ("fe80::1/127", "169.254.10.1/30", [("customer", "is not a /30 or /31 address")]),
    ],
)
def test_peering_pair_problems(customer: str, oracle: str, expected: list[tuple[str, str]]) -> None:
    found = [(side, problem) for side, problem, _fix in connectivity_rules.peering_pair_problems(customer, oracle)]
    assert found == expected


def test_public_ipv4_problem() -> None:
    assert connectivity_rules.public_ipv4_problem("198.51.100.7") is None  # RFC 5737 example address
    assert connectivity_rules.public_ipv4_problem("52.1.2.3") is None
    for private_or_ipv6 in ("172.16.0.1", "10.0.0.1", "100.64.0.1", "169.254.1.1", "2001:db8::1"):
        problem = connectivity_rules.public_ipv4_problem(private_or_ipv6)
        assert problem is not None and problem[0] == "is not a public IPv4 address", private_or_ipv6
        assert "internet-facing address" in problem[1]
    assert connectivity_rules.public_ipv4_problem("not-an-ip") == (
        "is not an IP address",
        "set the public IPv4 address of the hospital's VPN device, e.g. 203.0.113.10",
    )


# --- the shipped stacks --------------------------------------------------------------------------------------


def test_prod_circuit_and_tunnels_terminate_on_the_network_drg(prod_plan: Recorded) -> None:
    (drg,) = prod_plan.of_type("oci:Core/drg:Drg")
    drg_id = created_state(drg.type, drg.name, drg.inputs, REGION)[0]
    (circuit,) = prod_plan.of_type(VIRTUAL_CIRCUIT)
    (connection,) = prod_plan.of_type(IPSEC_CONNECTION)
    assert (circuit.inputs["type"], circuit.inputs["gatewayId"]) == ("PRIVATE", drg_id)
    assert connection.inputs["drgId"] == drg_id
    assert {t.inputs["routing"] for t in prod_plan.of_type(TUNNEL)} == {"BGP"}
    network_compartment = prod_plan.named("dicomstore-identity-network")
    assert (
        circuit.inputs["compartmentId"]
        == created_state(network_compartment.type, network_compartment.name, network_compartment.inputs, REGION)[0]
    )


def test_dev_has_no_hybrid_connection(dev_plan: Recorded) -> None:
    hybrid = {VIRTUAL_CIRCUIT, IPSEC_CONNECTION, TUNNEL, CPE, DRG_ROUTE_TABLE, DISTRIBUTION, ATTACHMENT_MANAGEMENT}
    assert not [r.urn for r in dev_plan if r.type in hybrid]
