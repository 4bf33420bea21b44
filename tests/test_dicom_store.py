"""The DicomStore tree: one component per block, workload in its compartments, not in the tenancy root."""

from __future__ import annotations

from tests.support import Recorded

TENANCY_WIDE_TYPES = {
    "oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration",
    "oci:CloudGuard/target:Target",
    "oci:CloudGuard/detectorRecipe:DetectorRecipe",
    "oci:CloudGuard/responderRecipe:ResponderRecipe",
    "oci:CloudGuard/managedList:ManagedList",
    "oci:Identity/policy:Policy",
    "oci:Identity/dynamicGroup:DynamicGroup",
    "oci:Identity/user:User",
    "oci:Identity/group:Group",
    "oci:Identity/userGroupMembership:UserGroupMembership",
    "oci:Identity/customerSecretKey:CustomerSecretKey",
    "oci:Audit/configuration:Configuration",
    "oci:Ons/notificationTopic:NotificationTopic",
    "oci:Ons/subscription:Subscription",
    "oci:Events/rule:Rule",
    "oci:Budget/budget:Budget",  # budgets are created in the root compartment
}


def test_components_nest_under_the_dicom_store(dev_plan: Recorded) -> None:
    store = dev_plan.named("dicomstore")
    assert store.type == "dicomstore:dicom_store:DicomStore"
    blocks = {child.type for child in dev_plan.children_of(store) if not child.custom}
    assert {"dicomstore:identity:Identity", "dicomstore:network:Network"} <= blocks
    for record in dev_plan:
        if record.type.startswith("dicomstore:"):
            module, cls = record.type.split(":")[1:]
            assert cls[0].isupper() and module == module.lower(), record.type


def test_workload_compartments_under_the_configured_parent(dev_plan: Recorded) -> None:
    compartments = dev_plan.of_type("oci:Identity/compartment:Compartment")
    assert sorted(c.inputs["name"] for c in compartments) == ["dicomstore-dev-app", "dicomstore-dev-data",
                                                              "dicomstore-dev-network"]  # fmt: skip
    parent = "ocid1.compartment.oc1..aaaaaaaaexampleparent00000000000000000000000000000000000"
    assert {c.inputs["compartmentId"] for c in compartments} == {parent}
    assert all(c.inputs["enableDelete"] is False for c in compartments)


def test_prod_adds_the_ai_compartment(prod_plan: Recorded) -> None:
    names = {c.inputs["name"] for c in prod_plan.of_type("oci:Identity/compartment:Compartment")}
    assert "dicomstore-prod-ai" in names


def test_no_workload_resource_in_the_tenancy_root_or_parent(dev_plan: Recorded, prod_plan: Recorded) -> None:
    for plan in (dev_plan, prod_plan):
        compartment_ids = {r.inputs.get("compartmentId") for r in plan.of_type("oci:Identity/compartment:Compartment")}
        workload = [
            record
            for record in plan
            if record.custom
            and record.type not in TENANCY_WIDE_TYPES
            and record.type != "oci:Identity/compartment:Compartment"
            and "compartmentId" in record.inputs
        ]
        assert {"oci:ObjectStorage/bucket:Bucket", "oci:Psql/dbSystem:DbSystem", "oci:Core/subnet:Subnet",
                "oci:LoadBalancer/loadBalancer:LoadBalancer"} <= {record.type for record in workload}  # fmt: skip
        for record in workload:
            assert record.inputs["compartmentId"] not in compartment_ids, record.urn
            assert record.inputs["compartmentId"].startswith("ocid1.compartment.oc1.eu-"), record.urn
