"""Offline invoke answers have the shape and values OCI returns, so the plan exercises the code that reads them
as a real preview would."""

from __future__ import annotations

import pytest

from components.network.network_rules import is_all_services
from offline.invokes import UnansweredInvokeError, answer_invoke

REGION = "eu-frankfurt-1"
TENANCY = "ocid1.tenancy.oc1..aaaaaaaatestinvokes000000000000000000000000000000000000000"


@pytest.mark.parametrize(
    ("region", "names"),
    [
        ("eu-frankfurt-1", ["Uocm:EU-FRANKFURT-1-AD-1", "Uocm:EU-FRANKFURT-1-AD-2", "Uocm:EU-FRANKFURT-1-AD-3"]),
        ("us-ashburn-1", ["Uocm:US-ASHBURN-AD-1", "Uocm:US-ASHBURN-AD-2", "Uocm:US-ASHBURN-AD-3"]),
        ("eu-amsterdam-1", ["Uocm:EU-AMSTERDAM-1-AD-1"]),
    ],
)
def test_availability_domains_are_named_and_counted_as_in_the_region(region: str, names: list[str]) -> None:
    """AD names as `oci iam availability-domain list` prints them ("xxxx:EU-FRANKFURT-1-AD-1", the legacy key
    "xxxx:US-ASHBURN-AD-1" in Ashburn); Amsterdam has one AD
    (https://docs.oracle.com/iaas/Content/General/Concepts/regions.htm). AD OCIDs carry no region."""
    answer = answer_invoke(
        "oci:Identity/getAvailabilityDomains:getAvailabilityDomains", {"compartmentId": TENANCY}, region
    )
    assert [ad["name"] for ad in answer["availabilityDomains"]] == names
    assert all(ad["id"].startswith("ocid1.availabilitydomain.oc1..") for ad in answer["availabilityDomains"])


def test_services_are_named_as_oci_names_them() -> None:
    """`oci network service list`: cidr-block "all-<key>-services-in-oracle-services-network", name and
    description "All <KEY> Services In Oracle Services Network"; "OCI <KEY> Object Storage"."""
    services = answer_invoke("oci:Core/getServices:getServices", {}, REGION)["services"]
    everything, object_storage = services
    assert everything["cidrBlock"] == "all-fra-services-in-oracle-services-network"
    assert everything["name"] == everything["description"] == "All FRA Services In Oracle Services Network"
    assert is_all_services(everything["name"]) and not is_all_services(object_storage["name"])
    assert (object_storage["cidrBlock"], object_storage["name"], object_storage["description"]) == (
        "oci-fra-objectstorage", "OCI FRA Object Storage", "OCI FRA Object Storage"
    )  # fmt: skip


def test_security_recipes_answer_holds_oracles_maximum_security_recipe() -> None:
    """`getSecurityRecipes` lists the Oracle-managed recipe (owner ORACLE) with the ids of its policies, each of
    which the policies invoke knows ("a predefined recipe named Maximum Security Recipe", security-zone-policies)."""
    (recipe,) = answer_invoke("oci:CloudGuard/getSecurityRecipes:getSecurityRecipes", {"compartmentId": TENANCY},
                              REGION)["securityRecipeCollections"][0]["items"]  # fmt: skip
    policies = answer_invoke("oci:CloudGuard/getSecurityPolicies:getSecurityPolicies", {"compartmentId": TENANCY},
                             REGION)["securityPolicyCollections"][0]["items"]  # fmt: skip
    assert (recipe["displayName"], recipe["owner"], recipe["state"]) == ("Maximum Security Recipe", "ORACLE", "ACTIVE")
    known = {policy["id"]: policy["friendlyName"] for policy in policies}
    assert set(recipe["securityPolicies"]) < set(known)  # some Oracle policies are not in the recipe
    assert all(policy_id.startswith("ocid1.securityzonessecuritypolicy.oc1..") for policy_id in known)
    assert all(name.startswith("deny ") for name in known.values())


def test_an_unknown_invoke_fails_loudly() -> None:
    with pytest.raises(UnansweredInvokeError, match="oci:Nope/getNope:getNope"):
        answer_invoke("oci:Nope/getNope:getNope", {}, REGION)
