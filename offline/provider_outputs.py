"""Outputs the OCI provider computes at create time, for the resource types the program reads them from.

Under mocks a resource's state is its inputs plus what this table adds; without it an output the program
wires onward (a VCN's default security list, a database's private endpoint) would be missing and the plan
would register resources with empty references. Values are deterministic and shaped like OCI's.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from offline.addresses import placeholder_ip
from offline.ocids import fake_ocid
from offline.oke_catalog import node_pool_nodes, service_status

ComputedOutputs = Callable[[str, Mapping[str, Any], str], dict[str, Any]]
"""(resource name, inputs, region) -> provider-computed properties (engine representation)."""


def _vcn(name: str, _inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {
        "defaultSecurityListId": fake_ocid("securitylist", f"{name}/default", region),
        "defaultRouteTableId": fake_ocid("routetable", f"{name}/default", region),
        "defaultDhcpOptionsId": fake_ocid("dhcpoptions", f"{name}/default", region),
    }


def _vault(name: str, _inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    # OCI derives both endpoints from a vault-specific prefix; the Key resource needs the management one.
    prefix = fake_ocid("vault", name, region).rsplit(".", 1)[-1][:12]
    return {
        "managementEndpoint": f"https://{prefix}-management.kms.{region}.oraclecloud.com",
        "cryptoEndpoint": f"https://{prefix}-crypto.kms.{region}.oraclecloud.com",
    }


def _bucket(name: str, _inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {"bucketId": fake_ocid("bucket", name, region)}


def _customer_secret_key(name: str, _inputs: Mapping[str, Any], _region: str) -> dict[str, Any]:
    # The secret key OCI returns once, at creation (44 base64 characters). Returned plain, as the provider does
    # (its schema does not mark `key` sensitive); the program must declare it an additional secret output.
    digest = hashlib.sha256(f"customersecretkey/{name}".encode()).digest()
    return {"key": base64.b64encode(digest + digest[:1]).decode()}


def _vault_secret(_name: str, _inputs: Mapping[str, Any], _region: str) -> dict[str, Any]:
    return {"currentVersionNumber": "1"}


def _psql_db_system(name: str, inputs: Mapping[str, Any], _region: str) -> dict[str, Any]:
    # OCI picks the primary endpoint's address in the database subnet; the offline engine does not know the
    # subnet's CIDR, so this is a stable RFC 1918 placeholder unless the program chose the address itself.
    network = dict(inputs.get("networkDetails") or {})
    octets = hashlib.sha256(f"psql/{name}".encode()).digest()[:3]
    network.setdefault("primaryDbEndpointPrivateIp", "10.{}.{}.{}".format(*octets))
    return {"networkDetails": network}


def _container_instance(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    # OCI creates one VNIC per requested vnic; the program looks its private address up by vnicId.
    vnics = [
        {**vnic, "vnicId": fake_ocid("vnic", f"{name}/{index}", region)}
        for index, vnic in enumerate(inputs.get("vnics") or [])
    ]
    return {"vnics": vnics, "state": "ACTIVE"}


def _load_balancer(name: str, inputs: Mapping[str, Any], _region: str) -> dict[str, Any]:
    public = not inputs.get("isPrivate", False)
    address = placeholder_ip(f"loadbalancer/{name}")
    return {"ipAddressDetails": [{"ipAddress": address, "isPublic": public}], "ipAddresses": [address]}


def _network_load_balancer(name: str, inputs: Mapping[str, Any], _region: str) -> dict[str, Any]:
    public = not inputs.get("isPrivate", False)
    return {
        "ipAddresses": [
            {"ipAddress": placeholder_ip(f"networkloadbalancer/{name}"), "isPublic": public, "ipVersion": "IPV4"}
        ]
    }


def _security_zone(name: str, _inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    # Creating a zone makes Cloud Guard create the zone's own target (docs: create-security-zone.htm); the
    # provider reports it as `security_zone_target_id` (website/docs/d/cloud_guard_security_zone.html.markdown).
    return {"securityZoneTargetId": fake_ocid("cloudguardtarget", f"{name}/zone-target", region)}


COMPUTED_OUTPUTS: dict[str, ComputedOutputs] = {
    "oci:Core/vcn:Vcn": _vcn,
    "oci:Kms/vault:Vault": _vault,
    "oci:ContainerEngine/nodePool:NodePool": node_pool_nodes,
    "kubernetes:core/v1:Service": service_status,
    "oci:ObjectStorage/bucket:Bucket": _bucket,
    "oci:Identity/customerSecretKey:CustomerSecretKey": _customer_secret_key,
    "oci:Vault/secret:Secret": _vault_secret,
    "oci:Psql/dbSystem:DbSystem": _psql_db_system,
    "oci:ContainerEngine/containerInstance:ContainerInstance": _container_instance,
    "oci:LoadBalancer/loadBalancer:LoadBalancer": _load_balancer,
    "oci:NetworkLoadBalancer/networkLoadBalancer:NetworkLoadBalancer": _network_load_balancer,
    "oci:CloudGuard/securityZone:SecurityZone": _security_zone,
}


def ocid_resource_type(type_token: str) -> str:
    """`oci:Core/vcn:Vcn` -> `vcn`: the resource-type part of the OCIDs of that type."""
    return type_token.rsplit(":", 1)[-1].lower()


def created_state(type_token: str, name: str, inputs: Mapping[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    """The id and state a create would return: inputs plus the provider-computed outputs."""
    resource_id = fake_ocid(ocid_resource_type(type_token), name, region)
    computed = COMPUTED_OUTPUTS.get(type_token)
    return resource_id, {**inputs, **(computed(name, inputs, region) if computed else {})}
