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


def _availability_domains(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    short = region.split("-")[1].upper()[:4]
    return {
        "compartmentId": args.get("compartmentId"),
        "id": "availability-domains",
        "availabilityDomains": [
            {"id": fake_ocid("availabilitydomain", f"{region}/{n}", region), "name": f"Uocm:{short}-AD-{n}",
             "compartmentId": args.get("compartmentId")}
            for n in (1, 2, 3)
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
            for n in (1, 2, 3)
        ],
    }  # fmt: skip


def _services(_args: Mapping[str, Any], region: str) -> dict[str, Any]:
    short = {"eu-frankfurt-1": "fra", "us-ashburn-1": "iad", "eu-amsterdam-1": "ams"}.get(region, region[:3])
    return {
        "id": "services",
        "services": [
            {"cidrBlock": f"all-{short}-services-in-oracle-services-network", "description":
             "All Services In Oracle Services Network", "id": fake_ocid("service", f"all/{region}", region),
             "name": f"All {short.upper()} Services In Oracle Services Network"},
            {"cidrBlock": f"oci-{short}-objectstorage", "description": "OCI Object Storage",
             "id": fake_ocid("service", f"objectstorage/{region}", region),
             "name": f"OCI {short.upper()} Object Storage"},
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
    "oci:ContainerEngine/getNodePoolOption:getNodePoolOption": oke_catalog.node_pool_option,
    "oci:ContainerEngine/getClusterKubeConfig:getClusterKubeConfig": oke_catalog.cluster_kube_config,
}


def answer_invoke(token: str, args: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The realistic answer to one invoke; raises UnansweredInvokeError for an unknown token."""
    answer = INVOKE_ANSWERS.get(token)
    if answer is None:
        raise UnansweredInvokeError(token)
    return answer(args, region)
