"""Pure helpers that read resource properties (OCI and Kubernetes) in the Pulumi engine representation.

Policies see what the engine sends an analyzer: camelCase property names, numbers as floats (the gRPC
Struct has no integer type, so a port 22 arrives as 22.0), booleans sometimes as strings (the provider
declares `assignPublicIp` a string) and secrets already unwrapped. Every predicate here takes that
shape and needs no Pulumi runtime, so it is tested with plain dicts.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

TCP = "6"  # IANA protocol numbers, as OCI security rules spell them
UDP = "17"
ALL_PROTOCOLS = "all"
SSH_PORT = 22
RDP_PORT = 3389  # RDP listens on TCP and UDP 3389
ADMIN_PORTS = (SSH_PORT, RDP_PORT)
TENANCY_OCID_PREFIX = "ocid1.tenancy."  # the root compartment's OCID is the tenancy OCID


def lookup(props: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """The value at a dotted path (`managementPolicy.backupPolicy.kind`), or `default` if any hop is absent."""
    value: Any = props
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value or value[key] is None:
            return default
        value = value[key]
    return value


def known(props: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """`props[key]`, or `default` when it is absent or not known yet (an output of a resource still to be
    created, during `pulumi preview`). For checks where "not known yet" already answers the question."""
    try:
        value = props.get(key, default)
    except UnknownValueError:
        return default
    return default if value is None else value


def as_bool(value: Any) -> bool | None:
    """A boolean from an engine value (`true`, `"true"`, `"false"`), None when unset or not boolean-like."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    """An integer from an engine number (22.0 -> 22) or numeric string, None when unset or not numeric."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def as_list(value: Any) -> list[Any]:
    """A list from an engine array (a plain list or the policy SDK's read-only sequence proxy)."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return []


def is_anywhere(cidr: Any) -> bool:
    """True for a CIDR that matches every address of its family (0.0.0.0/0, ::/0, 0.0.0.0/00...)."""
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def port_in_range(port_range: Any, port: int) -> bool:
    """True if `port` lies in an OCI port range `{min, max}`; an absent range means every port."""
    if not isinstance(port_range, Mapping):
        return True
    low, high = as_int(port_range.get("min")), as_int(port_range.get("max"))
    if low is None and high is None:
        return True
    return (low if low is not None else 1) <= port <= (high if high is not None else 65535)


def _protocol_reaches_port(rule: Mapping[str, Any], port: int, nested_range: bool) -> bool:
    """Whether the rule's protocol and destination port options admit traffic to `port`.

    NSG rules nest the range (`tcpOptions.destinationPortRange.{min,max}`); security-list rules put it
    directly under `tcpOptions.{min,max}`. Missing options mean all ports of that protocol.
    """
    protocol = str(rule.get("protocol", "")).lower()
    if protocol == ALL_PROTOCOLS:
        return True
    options_key = {TCP: "tcpOptions", UDP: "udpOptions"}.get(protocol)
    if options_key is None:
        return False  # ICMP and others carry no ports
    options = rule.get(options_key)
    if options is None:
        return True
    port_range = options.get("destinationPortRange") if nested_range else options
    return port_in_range(port_range, port)


def nsg_rule_opens_port_to_world(rule: Mapping[str, Any], port: int) -> bool:
    """True if an NSG security rule admits ingress from 0.0.0.0/0 or ::/0 to `port`."""
    if str(rule.get("direction", "")).upper() != "INGRESS":
        return False
    if str(rule.get("sourceType", "CIDR_BLOCK")).upper() != "CIDR_BLOCK":
        return False  # NSG or service sources are never "anywhere"
    return is_anywhere(rule.get("source")) and _protocol_reaches_port(rule, port, nested_range=True)


def security_list_rule_opens_port_to_world(rule: Mapping[str, Any], port: int) -> bool:
    """True if a security-list ingress rule admits traffic from 0.0.0.0/0 or ::/0 to `port`."""
    if str(rule.get("sourceType", "CIDR_BLOCK")).upper() != "CIDR_BLOCK":
        return False
    return is_anywhere(rule.get("source")) and _protocol_reaches_port(rule, port, nested_range=False)


def open_ports(rules: Iterable[Mapping[str, Any]], ports: Iterable[int], *, nsg: bool) -> list[tuple[str, int]]:
    """(source, port) for every rule and admin port the rule opens to the world, in rule order."""
    check = nsg_rule_opens_port_to_world if nsg else security_list_rule_opens_port_to_world
    return [(str(rule.get("source")), port) for rule in rules for port in ports if check(rule, port)]


def is_root_compartment(compartment_id: Any) -> bool:
    """True for the tenancy (root compartment) OCID."""
    return isinstance(compartment_id, str) and compartment_id.startswith(TENANCY_OCID_PREFIX)


def parse_cidrs(cidrs: Iterable[Any]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The valid CIDRs among `cidrs` (anything else, e.g. an unknown value, is skipped)."""
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError:
            continue
    return networks


def overlapping_cidrs(left: Iterable[Any], right: Iterable[Any]) -> list[tuple[str, str]]:
    """Every (left, right) pair of CIDRs of the same family whose address ranges overlap."""
    right_networks = parse_cidrs(right)
    return [
        (str(network), str(other))
        for network in parse_cidrs(left)
        for other in right_networks
        if network.version == other.version and network.overlaps(other)
    ]


def image_repository(image: str) -> str:
    """`orthancteam/orthanc` from `orthancteam/orthanc:25.1.1` or `...@sha256:...` (a registry port stays)."""
    name = image.split("@", maxsplit=1)[0]
    tag_at = name.rfind(":")
    return name[:tag_at] if tag_at > name.rfind("/") else name


# Where each Kubernetes workload kind keeps its pod spec.
POD_SPEC_PATHS: Mapping[str, str] = {
    "kubernetes:core/v1:Pod": "spec",
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:apps/v1:ReplicaSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
}


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec of a Kubernetes workload, None for any other resource."""
    path = POD_SPEC_PATHS.get(resource_type)
    if path is None:
        return None
    spec = lookup(props, path, {})
    return spec if isinstance(spec, Mapping) else {}


def pod_containers(spec: Mapping[str, Any], *, with_init: bool = True) -> Iterator[Mapping[str, Any]]:
    """The pod's containers, then (with_init) its init containers."""
    keys = ("containers", "initContainers") if with_init else ("containers",)
    for key in keys:
        yield from (c for c in as_list(spec.get(key)) if isinstance(c, Mapping))
