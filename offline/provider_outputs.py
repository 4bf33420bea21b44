"""Outputs the OCI provider computes at create time, for the resource types the program reads them from.

Under mocks a resource's state is its inputs plus what this table adds; without it an output the program
wires onward (a VCN's default security list, a database's private endpoint) would be missing and the plan
would register resources with empty references. Values are deterministic and shaped like OCI's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from offline.invokes import fake_ocid

ComputedOutputs = Callable[[str, Mapping[str, Any], str], dict[str, Any]]
"""(resource name, inputs, region) -> provider-computed properties (engine representation)."""


def _vcn(name: str, _inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {
        "defaultSecurityListId": fake_ocid("securitylist", f"{name}/default", region),
        "defaultRouteTableId": fake_ocid("routetable", f"{name}/default", region),
        "defaultDhcpOptionsId": fake_ocid("dhcpoptions", f"{name}/default", region),
    }


COMPUTED_OUTPUTS: dict[str, ComputedOutputs] = {
    "oci:Core/vcn:Vcn": _vcn,
}


def ocid_resource_type(type_token: str) -> str:
    """`oci:Core/vcn:Vcn` -> `vcn`: the resource-type part of the OCIDs of that type."""
    return type_token.rsplit(":", 1)[-1].lower()


def created_state(type_token: str, name: str, inputs: Mapping[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    """The id and state a create would return: inputs plus the provider-computed outputs."""
    resource_id = fake_ocid(ocid_resource_type(type_token), name, region)
    computed = COMPUTED_OUTPUTS.get(type_token)
    return resource_id, {**inputs, **(computed(name, inputs, region) if computed else {})}
