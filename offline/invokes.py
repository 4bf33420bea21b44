"""Realistic answers to the provider functions (invokes) the program calls, keyed by token.

An invoke the table does not know fails loudly (`UnansweredInvokeError`) instead of returning `{}` and failing
later with a confusing error deep inside a component. Answers are shaped like OCI's real responses (OCIDs of
the right resource type, the region's real AD names, Oracle Services Network names) so that the program's
code paths that read them are exercised as in a real preview.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from offline import cloud_guard_catalog, hybrid_invokes, oke_catalog
from offline.addresses import placeholder_ip
from offline.ocids import fake_ocid

InvokeAnswer = Callable[[Mapping[str, Any], str], dict[str, Any]]
"""(invoke arguments, region) -> result in the engine representation (camelCase keys)."""

# Object Storage namespaces are tenancy-specific random strings; this one is stable for reproducible plans.
OFFLINE_NAMESPACE = "axoffline1234"


class UnansweredInvokeError(RuntimeError):
    """The program called a provider function the offline engine has no answer for."""

    def __init__(self, token: str) -> None:
        super().__init__(
            f"the offline engine has no answer for invoke {token!r}: add a realistic answer to "
            "offline/invokes.py (INVOKE_ANSWERS) so that the plan exercises the code that reads it"
        )


def _namespace(_args: Mapping[str, Any], _region: str) -> dict[str, Any]:
    return {"namespace": OFFLINE_NAMESPACE, "id": OFFLINE_NAMESPACE}


# AD names are "<tenancy-specific prefix>:<region key>-AD-<n>"; the region key is the upper-case region id,
# except in the first regions, which kept their legacy key (`oci iam availability-domain list` outputs and
# Terraform configs: "xxxx:EU-FRANKFURT-1-AD-1", "xxxx:US-ASHBURN-AD-1", "xxxx:PHX-AD-1"). AD counts from
# https://docs.oracle.com/iaas/Content/General/Concepts/regions.htm (most regions have a single AD).
AD_NAME_KEY_AND_COUNT: Mapping[str, tuple[str, int]] = {
    "eu-frankfurt-1": ("EU-FRANKFURT-1", 3),
    "us-ashburn-1": ("US-ASHBURN", 3),
    "us-phoenix-1": ("PHX", 3),
    "uk-london-1": ("UK-LONDON-1", 3),
    "eu-amsterdam-1": ("EU-AMSTERDAM-1", 1),
    "eu-zurich-1": ("EU-ZURICH-1", 1),
}
TENANCY_AD_PREFIX = "Uocm"  # the tenancy-specific part of AD names (four letters, random per tenancy)


def _availability_domains(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    key, count = AD_NAME_KEY_AND_COUNT.get(region, (region.upper(), 1))
    return {
        "compartmentId": args.get("compartmentId"),
        "id": "availability-domains",
        "availabilityDomains": [
            # AD OCIDs carry no region: ocid1.availabilitydomain.oc1..<id> (`oci iam availability-domain list`).
            {"id": fake_ocid("availabilitydomain", f"{region}/{n}"), "name": f"{TENANCY_AD_PREFIX}:{key}-AD-{n}",
             "compartmentId": args.get("compartmentId")}
            for n in range(1, count + 1)
        ],
    }  # fmt: skip


def _fault_domains(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    ad = str(args.get("availabilityDomain", ""))
    return {
        "availabilityDomain": ad,
        "compartmentId": args.get("compartmentId"),
        "id": f"fault-domains-{ad}",
        "faultDomains": [
            {"availabilityDomain": ad, "compartmentId": args.get("compartmentId"),
             "id": fake_ocid("faultdomain", f"{ad}/{n}", region), "name": f"FAULT-DOMAIN-{n}"}
            for n in (1, 2, 3)  # every AD has three fault domains (regions.htm)
        ],
    }  # fmt: skip


# Region keys (https://docs.oracle.com/iaas/Content/General/Concepts/regions.htm), as used in service names.
REGION_KEYS: Mapping[str, str] = {
    "eu-frankfurt-1": "FRA", "us-ashburn-1": "IAD", "us-phoenix-1": "PHX", "uk-london-1": "LHR",
    "eu-amsterdam-1": "AMS", "eu-zurich-1": "ZRH",
}  # fmt: skip


def _services(_args: Mapping[str, Any], region: str) -> dict[str, Any]:
    # Shape and wording of `oci network service list` (e.g. sa-saopaulo-1: cidr-block
    # "all-gru-services-in-oracle-services-network", name and description "All GRU Services In Oracle Services
    # Network"; "oci-gru-objectstorage", "OCI GRU Object Storage").
    key = REGION_KEYS.get(region, region.split("-")[1][:3].upper())
    everything = f"All {key} Services In Oracle Services Network"
    object_storage = f"OCI {key} Object Storage"
    return {
        "id": "services",
        "services": [
            {"cidrBlock": f"all-{key.lower()}-services-in-oracle-services-network", "description": everything,
             "id": fake_ocid("service", f"all/{region}", region), "name": everything},
            {"cidrBlock": f"oci-{key.lower()}-objectstorage", "description": object_storage,
             "id": fake_ocid("service", f"objectstorage/{region}", region), "name": object_storage},
        ],
    }  # fmt: skip


def _vnic(args: Mapping[str, Any], _region: str) -> dict[str, Any]:
    vnic_id = str(args.get("vnicId", ""))
    return {
        "id": vnic_id,
        "vnicId": vnic_id,
        "isPrimary": True,
        "privateIpAddress": placeholder_ip(f"vnic/{vnic_id}"),
        "skipSourceDestCheck": False,
        "state": "AVAILABLE",
    }


INVOKE_ANSWERS: dict[str, InvokeAnswer] = {
    "oci:Core/getIpsecConnectionTunnels:getIpsecConnectionTunnels": hybrid_invokes.ipsec_connection_tunnels,
    "oci:Secrets/getSecretbundle:getSecretbundle": hybrid_invokes.secret_bundle,
    "oci:ObjectStorage/getNamespace:getNamespace": _namespace,
    "oci:Identity/getAvailabilityDomains:getAvailabilityDomains": _availability_domains,
    "oci:Identity/getFaultDomains:getFaultDomains": _fault_domains,
    "oci:Core/getServices:getServices": _services,
    "oci:Core/getVnic:getVnic": _vnic,
    "oci:CloudGuard/getDetectorRecipes:getDetectorRecipes": cloud_guard_catalog.detector_recipes,
    "oci:CloudGuard/getResponderRecipes:getResponderRecipes": cloud_guard_catalog.responder_recipes,
    "oci:CloudGuard/getSecurityPolicies:getSecurityPolicies": cloud_guard_catalog.security_policies,
    "oci:CloudGuard/getSecurityRecipes:getSecurityRecipes": cloud_guard_catalog.security_recipes,
    "oci:CloudGuard/getGuardTarget:getGuardTarget": cloud_guard_catalog.guard_target,
    "oci:ContainerEngine/getNodePoolOption:getNodePoolOption": oke_catalog.node_pool_option,
    "oci:ContainerEngine/getClusterKubeConfig:getClusterKubeConfig": oke_catalog.cluster_kube_config,
}


def answer_invoke(token: str, args: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The realistic answer to one invoke; raises UnansweredInvokeError for an unknown token."""
    answer = INVOKE_ANSWERS.get(token)
    if answer is None:
        raise UnansweredInvokeError(token)
    return answer(args, region)
