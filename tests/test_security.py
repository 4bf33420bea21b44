"""Security block: recorded engine inputs of the vault and key, IAM grants, Cloud Guard, security zone, audit,
notifications and bastion; the pure rule customisations; the config checks issue 5 asks for."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pulumi
import pulumi_oci as oci
import pytest

from components.config.schema import ConfigError
from components.security import cloud_guard_rules, iam_statements
from components.security.cloud_guard_rules import (
    EXCLUDED_ZONE_POLICIES,
    MULTI_LIST,
    ManagedListRef,
    OracleRecipe,
    SecurityZonePolicy,
    SecurityZoneRecipe,
    SourceConfiguration,
    SourceRule,
    detector_rule_overrides,
    recipes_missing,
    responder_rules_to_enable,
    zone_recipe_policy_ids,
)
from components.security.kms import MovedFrom
from components.security.security import Security, SecurityArgs, bastion_name
from offline import cloud_guard_catalog
from offline.invokes import INVOKE_ANSWERS
from offline.provider_outputs import created_state
from offline.records import ResourceRecord
from tests.support import PARENT, SCOPE, TENANCY, Recorded, record, spy_registrations, stack_config

REGION = "eu-frankfurt-1"
DATA = "ocid1.compartment.oc1..aaaaaaaatestdata000000000000000000000000000000000000000000"
APP = "ocid1.compartment.oc1..aaaaaaaatestapp0000000000000000000000000000000000000000000"
BASTION_SUBNET = "ocid1.subnet.oc1.eu-frankfurt-1.aaaaaaaatestbastionsubnet0000000000000000000000"
ON_PREM = ["10.0.0.0/14", "172.16.0.0/16"]
ADMIN = ["198.51.100.0/24"]
TRUSTED_USER = "ocid1.user.oc1..aaaaaaaatestbreakglass000000000000000000000000000000000000"
DETECTOR_TYPE = "oci:CloudGuard/detectorRecipe:DetectorRecipe"
RESPONDER_TYPE = "oci:CloudGuard/responderRecipe:ResponderRecipe"
ROOT_TYPES = {
    "oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration",
    "oci:CloudGuard/target:Target",
    "oci:Audit/configuration:Configuration",
    "oci:Identity/policy:Policy",
}


def resource_id(resource: ResourceRecord) -> str:
    """The id the offline engine gives the resource (the one other resources receive as an input)."""
    return created_state(resource.type, resource.name, resource.inputs, REGION)[0]


def record_security(
    oke: bool = False,
    consumer: bool = False,
    private_ca: bool = False,
    parent: str = PARENT,
    *,
    dr_region: str | None = None,
    dr_key_moved_from: MovedFrom | None = None,
    **security: Any,
) -> Recorded:
    config = stack_config(security={"keyRotationDays": 120, "notificationEmails": ["secops@hospital.example"],
                                    **security})  # fmt: skip

    def program() -> None:
        block = Security(
            "sec",
            SecurityArgs(
                config=config.security,
                scope=replace(SCOPE, parent_compartment_id=parent),
                data_compartment_id=DATA, app_compartment_id=APP,
                bastion_subnet_id=BASTION_SUBNET, on_prem_cidrs=ON_PREM,
                postgresql_dynamic_group_name="dicomstore-test-postgresql",
                oke_cluster_dynamic_group_name="dicomstore-test-oke-clusters" if oke else None,
                certificate_authority_dynamic_group_name="dicomstore-test-cas" if private_ca else None,
                dr_region=dr_region, dr_key_moved_from=dr_key_moved_from,
            ),
        )  # fmt: skip
        if consumer:
            # Stands for the bucket of the Storage block: it receives the published master key id.
            oci.objectstorage.Bucket(
                "consumer", compartment_id=DATA, name="consumer", namespace="ns", kms_key_id=block.vault_key.key_id
            )
        pulumi.export("master_key_id", block.vault_key.key_id)
        pulumi.export("recipe_attachments", block.recipe_attachments)
        if private_ca:
            # Stands for the load balancer's CA key: created from the published management endpoint.
            oci.kms.Key(
                "ca-key", compartment_id=APP, display_name="ca", management_endpoint=block.vault_management_endpoint,
                key_shape={"algorithm": "RSA", "length": 256},
            )  # fmt: skip

    return record(program)


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    return record_security(trustedUserOcids=[TRUSTED_USER], adminCidrs=ADMIN)


def oracle_recipe_id(kind: str, display_name: str) -> str:
    answer = (
        cloud_guard_catalog.detector_recipes({"compartmentId": TENANCY, "displayName": display_name}, REGION)
        if kind == "detector"
        else cloud_guard_catalog.responder_recipes({"compartmentId": TENANCY}, REGION)
    )
    collection = answer["detectorRecipeCollections" if kind == "detector" else "responderRecipeCollections"]
    (item,) = collection[0]["items"]
    return str(item["id"])


def rules_by_id(recipe: ResourceRecord) -> dict[str, Mapping[str, Any]]:
    return {rule["detectorRuleId"]: rule["details"] for rule in recipe.inputs["detectorRules"]}


# --- vault and key -------------------------------------------------------------------------------------------


def test_key_is_hsm_aes_256_with_automatic_rotation_from_config(recorded: Recorded) -> None:
    key = recorded.named("sec-key")
    vault = recorded.named("sec-vault")
    assert key.inputs["protectionMode"] == "HSM"
    assert key.inputs["keyShape"] == {"algorithm": "AES", "length": 32}
    assert key.inputs["isAutoRotationEnabled"] is True
    assert key.inputs["autoKeyRotationDetails"] == {"rotationIntervalInDays": 120}
    assert key.inputs["compartmentId"] == DATA
    assert vault.inputs["vaultType"] == "VIRTUAL_PRIVATE"
    assert vault.inputs["compartmentId"] == DATA
    # The key is created through the vault's own management endpoint (provider-computed).
    assert key.inputs["managementEndpoint"].startswith("https://")
    assert key.inputs["managementEndpoint"].endswith("-management.kms.eu-frankfurt-1.oraclecloud.com")
    assert vault.urn in key.dependencies


def test_default_vault_from_config_gets_a_scheduled_key_version() -> None:
    recorded = record_security(vaultType="DEFAULT")
    key = recorded.named("sec-key")
    assert recorded.named("sec-vault").inputs["vaultType"] == "DEFAULT"
    assert key.inputs["isAutoRotationEnabled"] is False
    (version,) = recorded.of_type("oci:Kms/keyVersion:KeyVersion")
    assert version.parent == key.urn
    assert "-rotation-every-113d-from-" in version.name  # keyRotationDays 120 less a week of slack


def test_vault_and_key_are_protected_and_retained(recorded: Recorded) -> None:
    for name in ("sec-vault", "sec-key"):
        resource = recorded.named(name)
        assert (resource.protect, resource.retain_on_delete) == (True, True), name


def test_stateful_security_resources_of_the_shipped_stacks_are_protected(
    dev_plan: Recorded, prod_plan: Recorded
) -> None:
    for plan in (dev_plan, prod_plan):
        stateful = [
            r
            for r in plan
            for t in ("oci:Kms/vault:Vault", "oci:Kms/key:Key", "oci:Vault/secret:Secret")
            if r.type == t
        ]
        assert any(r.type == "oci:Kms/key:Key" for r in stateful)
        unprotected = [r.urn for r in stateful if not (r.protect and r.retain_on_delete)]
        assert unprotected == []


def test_master_key_is_published_only_after_the_services_may_use_it() -> None:
    recorded = record_security(consumer=True)
    grant = recorded.named("sec-key-use-policy")
    consumer = recorded.named("consumer")
    assert consumer.inputs["kmsKeyId"] == resource_id(recorded.named("sec-key"))
    assert grant.urn in consumer.dependencies


# --- IAM -----------------------------------------------------------------------------------------------------


def test_key_grants_name_the_key_and_the_services(recorded: Recorded) -> None:
    key_id = resource_id(recorded.named("sec-key"))
    statements = recorded.named("sec-key-use-policy").inputs["statements"]
    assert (
        f"Allow service objectstorage-eu-frankfurt-1 to use keys in compartment id {DATA} where target.key.id = '{key_id}'"
        in statements
    )
    assert any(s.startswith("Allow service blockstorage to use keys") for s in statements)
    assert any(s.startswith("Allow dynamic-group dicomstore-test-postgresql to use keys") for s in statements)
    assert not any("oke" in s for s in statements)  # no OKE in this stack
    assert all(f"target.key.id = '{key_id}'" in s for s in statements)
    assert not [s for s in statements if "secret" in s]  # secrets are granted one by one where they exist


def test_oke_gets_key_grants_only_with_the_oke_runtime() -> None:
    recorded = record_security(oke=True)
    statements = recorded.named("sec-key-use-policy").inputs["statements"]
    assert any(s.startswith("Allow service oke to use key-delegate") for s in statements)
    assert any(s.startswith("Allow dynamic-group dicomstore-test-oke-clusters to use keys") for s in statements)


def test_oke_node_pools_may_encrypt_boot_volumes_with_the_master_key_only() -> None:
    """OKE docs, policies for user-managed encryption (https://docs.oracle.com/en-us/iaas/Content/ContEng/Concepts/
    contengpolicyconfig.htm#contengpolicyconfig_topic_Create_Policies_for_User_Managed_Encryption): a node pool
    whose boot volumes use a customer-managed key needs `Allow any-user to use key-delegates in compartment
    <c> where ALL {request.principal.type='nodepool', target.key.id = '<key_OCID>'}`; without it node
    provisioning fails. Granted on the one master key, in the key's compartment, only with OKE."""
    recorded = record_security(oke=True)
    key_id = resource_id(recorded.named("sec-key"))
    statements = recorded.named("sec-key-use-policy").inputs["statements"]
    assert [s for s in statements if "any-user" in s] == [
        f"Allow any-user to use key-delegates in compartment id {DATA} "
        f"where ALL {{request.principal.type = 'nodepool', target.key.id = '{key_id}'}}"
    ]
    without_oke = record_security().named("sec-key-use-policy").inputs["statements"]
    assert [s for s in without_oke if "nodepool" in s] == []


def test_shipped_node_pools_encrypt_with_the_key_their_grant_names(prod_plan: Recorded) -> None:
    """The key the prod node pools put on their boot volumes is the key the node-pool grant names."""
    pool_keys = {pool.inputs["nodeConfigDetails"]["kmsKeyId"] for pool in prod_plan.of_type(
        "oci:ContainerEngine/nodePool:NodePool")}  # fmt: skip
    statements = [s for p in prod_plan.of_type("oci:Identity/policy:Policy") for s in p.inputs["statements"]]
    granted = {s.split("target.key.id = '")[1].rstrip("'}") for s in statements if "'nodepool'" in s}
    assert len(pool_keys) == 1
    assert granted == pool_keys


def test_no_policy_statement_grants_everything_or_to_everyone(dev_plan: Recorded, prod_plan: Recorded) -> None:
    for plan in (dev_plan, prod_plan):
        statements = [s for policy in plan.of_type("oci:Identity/policy:Policy") for s in policy.inputs["statements"]]
        assert len(statements) > 5
        for statement in statements:
            lowered = " ".join(statement.lower().split())
            assert "manage all-resources" not in lowered, statement
            assert "any-user" not in lowered or iam_statements.NODE_POOL_KEY_DELEGATE.fullmatch(statement), statement


# --- Cloud Guard ---------------------------------------------------------------------------------------------


def test_cloud_guard_is_enabled_at_tenancy_level(recorded: Recorded) -> None:
    (configuration,) = recorded.of_type("oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration")
    assert configuration.inputs == {
        "compartmentId": TENANCY, "reportingRegion": "eu-frankfurt-1", "status": "ENABLED",
        "selfManageResources": False,
    }  # fmt: skip


def test_detector_and_responder_recipes_are_clones_of_oracles(recorded: Recorded) -> None:
    detectors = {r.name: r for r in recorded.of_type("oci:CloudGuard/detectorRecipe:DetectorRecipe")}
    assert set(detectors) == {
        "sec-configuration-detector-recipe", "sec-activity-detector-recipe", "sec-threat-detector-recipe"
    }  # fmt: skip
    for kind, recipe in (("configuration", OracleRecipe.CONFIGURATION), ("activity", OracleRecipe.ACTIVITY),
                         ("threat", OracleRecipe.THREAT)):  # fmt: skip
        clone = detectors[f"sec-{kind}-detector-recipe"]
        assert clone.inputs["sourceDetectorRecipeId"] == oracle_recipe_id("detector", recipe.value)
        assert clone.inputs["compartmentId"] == DATA
    (responder,) = recorded.of_type("oci:CloudGuard/responderRecipe:ResponderRecipe")
    assert responder.inputs["sourceResponderRecipeId"] == oracle_recipe_id("responder", OracleRecipe.RESPONDER.value)
    assert responder.inputs["responderRules"] == [{"responderRuleId": "MAKE_BUCKET_PRIVATE",
                                                   "details": {"isEnabled": True}}]  # fmt: skip


def test_clones_carry_the_customised_rules(recorded: Recorded) -> None:
    configuration = rules_by_id(recorded.named("sec-configuration-detector-recipe"))
    assert configuration["BUCKET_IS_PUBLIC"]["riskLevel"] == "CRITICAL"
    assert configuration["BUCKET_ENCRYPTED_WITH_ORACLE_MANAGED_KEY"]["riskLevel"] == "HIGH"  # Oracle: MINOR
    assert configuration["BUCKET_READ_LOG_ACCESS_DISABLED"]["isEnabled"] is True  # Oracle: off
    any_user = configuration["POLICY_USES_ANY_USER"]
    assert (any_user["isEnabled"], any_user["riskLevel"]) == (True, "HIGH")  # Oracle: MEDIUM
    assert "INSTANCE_WITH_PUBLIC_IP" not in configuration  # untouched rules stay Oracle's
    # A threat rule's risk level is not user-settable (detect-recipes-modify-rules.htm): the clone only adds lists
    # and sends Oracle's own level (CRITICAL) back.
    threat = rules_by_id(recorded.named("sec-threat-detector-recipe"))
    assert threat["ROGUE_USER"]["riskLevel"] == "CRITICAL"
    assert threat["ROGUE_USER"]["configurations"]


def test_the_stack_gives_policy_uses_any_user_one_finding_and_only_with_oke(
    dev_plan: Recorded, prod_plan: Recorded
) -> None:
    """The clone keeps Cloud Guard's `POLICY_USES_ANY_USER` on, which reports every policy with an `any-user`
    statement. The README ("Findings the stack itself causes") tells operators to expect exactly one on OKE, the
    key-use policy with the node pools' documented key grant, and none on Container Instances."""

    def any_user_statements(plan: Recorded) -> dict[str, list[str]]:
        by_policy = {p.inputs["name"]: p.inputs["statements"] for p in plan.of_type("oci:Identity/policy:Policy")}
        found = {name: [s for s in statements if "any-user" in s.lower()] for name, statements in by_policy.items()}
        return {name: statements for name, statements in found.items() if statements}

    assert any_user_statements(dev_plan) == {}  # dev runs Orthanc on Container Instances
    ((policy, statements),) = any_user_statements(prod_plan).items()  # prod runs it on OKE
    assert policy == "dicomstore-prod-key-use"
    assert len(statements) == 1
    assert iam_statements.NODE_POOL_KEY_DELEGATE.fullmatch(statements[0])


def test_managed_lists_hold_the_configured_values(recorded: Recorded) -> None:
    lists = {r.name: r.inputs for r in recorded.of_type("oci:CloudGuard/managedList:ManagedList")}
    assert lists["sec-on-prem-cidrs"]["listType"] == "CIDR_BLOCK"
    assert lists["sec-on-prem-cidrs"]["listItems"] == ON_PREM
    assert lists["sec-admin-cidrs"]["listType"] == "CIDR_BLOCK"
    assert lists["sec-admin-cidrs"]["listItems"] == ADMIN
    assert lists["sec-trusted-users"] == {
        **lists["sec-trusted-users"],
        "listType": "USERS",
        "listItems": [TRUSTED_USER],
    }
    assert {inputs["compartmentId"] for inputs in lists.values()} == {DATA}


def test_no_trusted_users_list_when_none_configured() -> None:
    lists = record_security().of_type("oci:CloudGuard/managedList:ManagedList")
    assert sorted(r.name for r in lists) == ["sec-admin-cidrs", "sec-on-prem-cidrs"]


def test_managed_lists_are_attached_to_the_rules_that_accept_them(recorded: Recorded) -> None:
    ids = {r.name: resource_id(r) for r in recorded.of_type("oci:CloudGuard/managedList:ManagedList")}
    activity = rules_by_id(recorded.named("sec-activity-detector-recipe"))
    (trusted_ips,) = activity["SUSPICIOUS_IP_ACTIVITY"]["configurations"]
    assert trusted_ips["values"] == [
        {"listType": "MANAGED", "managedListType": "CIDR_BLOCK", "value": cloud_guard_catalog.TRUSTED_ORACLE_IP_SPACE},
        {"listType": "MANAGED", "managedListType": "CIDR_BLOCK", "value": ids["sec-on-prem-cidrs"]},
        {"listType": "MANAGED", "managedListType": "CIDR_BLOCK", "value": ids["sec-admin-cidrs"]},
    ]
    assert activity["SUSPICIOUS_IP_ACTIVITY"]["riskLevel"] == "CRITICAL"  # Oracle's level kept
    (trusted_users,) = activity["IAM_USER_CAPABILITIES_MODIFIED"]["configurations"]
    assert [v["value"] for v in trusted_users["values"]] == [ids["sec-trusted-users"]]
    (rogue,) = rules_by_id(recorded.named("sec-threat-detector-recipe"))["ROGUE_USER"]["configurations"]
    assert {v["managedListType"] for v in rogue["values"]} == {"USERS", "CIDR_BLOCK"}


def test_target_is_the_root_compartment_with_the_clones(recorded: Recorded) -> None:
    (target,) = recorded.of_type("oci:CloudGuard/target:Target")
    assert target.inputs["compartmentId"] == TENANCY
    assert target.inputs["targetResourceId"] == TENANCY
    assert target.inputs["targetResourceType"] == "COMPARTMENT"
    detector_ids = {resource_id(r) for r in recorded.of_type("oci:CloudGuard/detectorRecipe:DetectorRecipe")}
    assert {r["detectorRecipeId"] for r in target.inputs["targetDetectorRecipes"]} == detector_ids
    (responder,) = target.inputs["targetResponderRecipes"]
    assert responder["responderRecipeId"] == resource_id(recorded.named("sec-responder-recipe"))
    assert responder["responderRules"] == [
        {"responderRuleId": "MAKE_BUCKET_PRIVATE", "details": {"mode": "AUTOACTION"}}
    ]


ADOPTED_TARGET = "ocid1.cloudguardtarget.oc1.eu-frankfurt-1.aaaaaaaatestexistingroottarget000000000000000"


def test_the_security_zone_target_is_listed_for_the_clones(recorded: Recorded) -> None:
    """Creating a security zone "deletes any existing Cloud Guard target for the compartment", "creates a security
    zone target" with "the default Oracle-managed detector recipe"
    (https://docs.oracle.com/iaas/security-zone/using/create-security-zone.htm); the zone reports that target as
    `security_zone_target_id` (terraform-provider-oci website/docs/d/cloud_guard_security_zone.html.markdown).
    pulumi-oci 5.5 cannot attach a recipe to it, so the stack names it with the clones to attach."""
    zone = recorded.named("sec-data-security-zone")
    zone_target = created_state(zone.type, zone.name, zone.inputs, REGION)[1]["securityZoneTargetId"]
    detector_ids = sorted(resource_id(r) for r in recorded.of_type("oci:CloudGuard/detectorRecipe:DetectorRecipe"))
    (attachment,) = recorded.outputs["recipe_attachments"]
    assert {**attachment, "detectorRecipeIds": sorted(attachment["detectorRecipeIds"])} == {
        "target": "the data compartment's security zone target (Oracle's default recipes)",
        "targetId": zone_target,
        "detectorRecipeIds": detector_ids,
        "responderRecipeId": resource_id(recorded.named("sec-responder-recipe")),
        "autoActionResponderRules": ["MAKE_BUCKET_PRIVATE"],
        # OCI attaches Oracle's recipes to the zone target: every clone is missing until an operator attaches it.
        "missingRecipeIds": attachment["detectorRecipeIds"] + [attachment["responderRecipeId"]],
    }
    assert sorted(attachment["missingRecipeIds"][:3]) == detector_ids
    assert zone_target.startswith("ocid1.cloudguardtarget.")


def test_once_the_clones_are_attached_nothing_is_reported_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each `pulumi up` reads the zone target back (`get_guard_target`): after the README's steps the clones are
    attached and the output says nothing is missing (and no warning is logged)."""
    kinds = ("configuration", "activity", "threat")
    clones = [created_state(DETECTOR_TYPE, f"sec-{kind}-detector-recipe", {}, REGION)[0] for kind in kinds]
    responder = created_state(RESPONDER_TYPE, "sec-responder-recipe", {}, REGION)[0]
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_, **__: warnings.append(message))
    monkeypatch.setitem(
        INVOKE_ANSWERS,
        "oci:CloudGuard/getGuardTarget:getGuardTarget",
        lambda args, region: {
            **cloud_guard_catalog.guard_target(args, region),
            "targetDetectorRecipes": [{**oracle, "detectorRecipeId": clone} for oracle, clone in zip(
                cloud_guard_catalog.guard_target(args, region)["targetDetectorRecipes"], clones, strict=True)],
            "targetResponderRecipes": [{**cloud_guard_catalog.guard_target(args, region)["targetResponderRecipes"][0],
                                        "responderRecipeId": responder}],
        },
    )  # fmt: skip
    (attachment,) = record_security().outputs["recipe_attachments"]
    assert attachment["missingRecipeIds"] == []
    assert warnings == []


def test_missing_recipes_keep_the_wanted_order() -> None:
    assert recipes_missing(["b", "x"], ["a", "b", "c"]) == ["a", "c"]
    assert recipes_missing(["a", "b"], ["a", "b"]) == []


def test_an_existing_root_target_is_left_alone_and_the_stack_targets_its_parent() -> None:
    """A compartment belongs to one target; a tenancy that runs Cloud Guard has its root target. A new target
    can be made "from a compartment hierarchy in an existing target"
    (https://docs.oracle.com/iaas/cloud-guard/using/targets.htm): the stack's own target covers its parent."""
    recorded = record_security(cloudGuardTargetOcid=ADOPTED_TARGET)
    (target,) = recorded.of_type("oci:CloudGuard/target:Target")
    assert (target.inputs["compartmentId"], target.inputs["targetResourceId"]) == (PARENT, PARENT)
    assert target.inputs["displayName"] == "dicomstore-test-stack"
    detector_ids = {resource_id(r) for r in recorded.of_type("oci:CloudGuard/detectorRecipe:DetectorRecipe")}
    assert {r["detectorRecipeId"] for r in target.inputs["targetDetectorRecipes"]} == detector_ids
    assert [a["target"] for a in recorded.outputs["recipe_attachments"]] == [
        "the data compartment's security zone target (Oracle's default recipes)"
    ]
    assert [
        r for r in recorded if r.type == "oci:CloudGuard/target:Target" and r.inputs["targetResourceId"] == TENANCY
    ] == []


def test_an_adopted_root_target_over_a_root_parent_gets_the_clones_by_hand() -> None:
    """With the stack's parent being the root, no second target fits: the adopted one is listed for the clones."""
    recorded = record_security(parent=TENANCY, cloudGuardTargetOcid=ADOPTED_TARGET)
    assert recorded.of_type("oci:CloudGuard/target:Target") == []
    adopted, _zone = recorded.outputs["recipe_attachments"]
    assert adopted["targetId"] == ADOPTED_TARGET
    assert adopted["target"] == "the tenancy's root target (security.cloudGuardTargetOcid)"
    assert len(adopted["detectorRecipeIds"]) == 3


def test_only_tenancy_wide_resources_are_in_the_root_compartment(recorded: Recorded) -> None:
    in_root = {r.type for r in recorded if r.inputs.get("compartmentId") == TENANCY}
    assert in_root == ROOT_TYPES
    root_policies = [p for p in recorded.of_type("oci:Identity/policy:Policy") if p.inputs["compartmentId"] == TENANCY]
    assert [p.inputs["statements"] for p in root_policies] == [
        ["Allow service cloudguard to manage buckets in tenancy where request.permission = 'BUCKET_UPDATE'"]
    ]


def test_cloud_guard_is_managed_in_its_reporting_region(monkeypatch: pytest.MonkeyPatch) -> None:
    registered = spy_registrations(monkeypatch)
    recorded = record_security(cloudGuardReportingRegion="us-ashburn-1")
    (provider,) = recorded.of_type("pulumi:providers:oci")
    assert provider.inputs["region"] == "us-ashburn-1"
    in_reporting_region = {name for name, request in registered.items() if request.provider.startswith(provider.urn)}
    assert in_reporting_region == {
        "sec-cloud-guard", "sec-on-prem-cidrs", "sec-admin-cidrs", "sec-configuration-detector-recipe",
        "sec-activity-detector-recipe", "sec-threat-detector-recipe", "sec-responder-recipe",
        "sec-cloud-guard-target", "sec-security-recipe", "sec-data-security-zone", "sec-security-topic",
        "sec-security-email-0", "sec-cloud-guard-problems",
    }  # fmt: skip
    assert not registered["sec-key"].provider.startswith(provider.urn)


def test_no_extra_provider_when_cloud_guard_reports_to_the_deployment_region(recorded: Recorded) -> None:
    assert recorded.of_type("pulumi:providers:oci") == []


def test_without_cloud_guard_there_is_no_cloud_guard_resource_nor_events_rule() -> None:
    recorded = record_security(cloudGuardEnabled=False, cloudGuardReportingRegion=None)
    assert not [r for r in recorded if r.type.startswith("oci:CloudGuard/") and "security" not in r.type.lower()]
    assert recorded.of_type("oci:Events/rule:Rule") == []
    assert len(recorded.of_type("oci:CloudGuard/securityZone:SecurityZone")) == 1


# --- security zone -------------------------------------------------------------------------------------------


def test_zone_recipe_is_the_maximum_security_recipe_without_the_db_subnet_association(recorded: Recorded) -> None:
    """The zone recipe holds the Oracle-managed Maximum Security Recipe's own policies, not every Oracle policy:
    policies Oracle added in 2023 "are not enabled in the Maximum Security Recipe"
    (https://docs.oracle.com/iaas/releasenotes/changes/b555927f-85e5-4ec1-bf7f-bf26ba7ba908). It leaves out
    `deny db_instance_subnet_not_in_security_zone` ("a database in a security zone must use subnets that are also
    in a security zone", https://docs.oracle.com/iaas/security-zone/using/security-zone-policies.htm): the DB
    system is in the zone, its subnet in the network compartment, so OCI would refuse the DB system."""
    (zone,) = recorded.of_type("oci:CloudGuard/securityZone:SecurityZone")
    (recipe,) = recorded.of_type("oci:CloudGuard/securityRecipe:SecurityRecipe")
    assert zone.inputs["compartmentId"] == DATA
    assert zone.inputs["securityZoneRecipeId"] == resource_id(recipe)
    (maximum,) = cloud_guard_catalog.security_recipes({"compartmentId": TENANCY}, REGION)["securityRecipeCollections"][
        0
    ]["items"]
    db_subnet_rule = cloud_guard_catalog.security_policy_id("deny db_instance_subnet_not_in_security_zone")
    assert db_subnet_rule in maximum["securityPolicies"]
    assert recipe.inputs["securityPolicies"] == sorted(set(maximum["securityPolicies"]) - {db_subnet_rule})
    names = {
        cloud_guard_catalog.security_policy_id(name): name for name, _, _ in cloud_guard_catalog.SECURITY_ZONE_POLICIES
    }
    chosen = {names[policy] for policy in recipe.inputs["securityPolicies"]}
    assert {"deny public_buckets", "deny db_instance_public_access", "deny buckets_without_vault_key",
            "deny database_without_backup"} <= chosen  # fmt: skip
    assert "deny security_list_to_allow_traffic_to_restricted_port" not in chosen  # 2023: not in the recipe


def test_zone_policy_selection_reads_oracles_recipe_and_refuses_surprises() -> None:
    """Only the one active Oracle-managed recipe counts (a customer recipe's policies never leak in), and an
    excluded policy Oracle renamed is an error rather than a silently stricter zone that refuses the DB system."""
    policies = [SecurityZonePolicy("p-public", "deny public_buckets"),
                SecurityZonePolicy("p-db-subnet", "deny db_instance_subnet_not_in_security_zone")]  # fmt: skip
    recipes = [
        SecurityZoneRecipe("r-oracle", "ORACLE", "ACTIVE", ("p-public", "p-db-subnet")),
        SecurityZoneRecipe("r-mine", "CUSTOMER", "ACTIVE", ("p-extra",)),
    ]
    assert zone_recipe_policy_ids(recipes, policies) == ["p-public"]
    with pytest.raises(ValueError, match="exactly one active Oracle-managed"):
        zone_recipe_policy_ids(recipes[1:], policies)
    with pytest.raises(ValueError, match="db_instance_subnet_not_in_security_zone"):
        zone_recipe_policy_ids(recipes, policies[:1])
    assert set(EXCLUDED_ZONE_POLICIES) == {"deny db_instance_subnet_not_in_security_zone"}


def test_security_zone_can_be_turned_off() -> None:
    recorded = record_security(securityZoneEnabled=False)
    assert recorded.of_type("oci:CloudGuard/securityZone:SecurityZone") == []


def test_shipped_security_zone_is_on_the_data_compartment(dev_plan: Recorded) -> None:
    (zone,) = dev_plan.of_type("oci:CloudGuard/securityZone:SecurityZone")
    data = next(r for r in dev_plan.of_type("oci:Identity/compartment:Compartment") if r.name.endswith("-data"))
    assert zone.inputs["compartmentId"] == resource_id(data)


# --- audit, logging, notifications, bastion ------------------------------------------------------------------


def test_audit_retention_is_365_days_and_a_service_log_group_exists(recorded: Recorded) -> None:
    (audit,) = recorded.of_type("oci:Audit/configuration:Configuration")
    assert audit.inputs == {"compartmentId": TENANCY, "retentionPeriodDays": 365}
    (log_group,) = recorded.of_type("oci:Logging/logGroup:LogGroup")
    assert log_group.inputs["compartmentId"] == DATA


def test_cloud_guard_problems_reach_the_subscribed_addresses(recorded: Recorded) -> None:
    topic = recorded.named("sec-security-topic")
    (subscription,) = recorded.of_type("oci:Ons/subscription:Subscription")
    assert subscription.inputs["protocol"] == "EMAIL"
    assert subscription.inputs["endpoint"] == "secops@hospital.example"
    assert subscription.inputs["topicId"] == resource_id(topic)
    (rule,) = recorded.of_type("oci:Events/rule:Rule")
    assert rule.inputs["compartmentId"] == PARENT
    assert rule.inputs["isEnabled"] is True  # a disabled rule would drop every problem silently
    assert "com.oraclecloud.cloudguard.problemdetected" in json.loads(rule.inputs["condition"])["eventType"]
    assert rule.inputs["actions"]["action"] == [{"actionType": "ONS", "isEnabled": True, "topicId": resource_id(topic)}]
    grant = recorded.named("sec-security-events-policy")
    assert grant.urn in rule.dependencies


def test_bastion_in_the_bastion_subnet_for_the_admin_networks_only(recorded: Recorded) -> None:
    """`bastion_type` STANDARD as in the provider's acceptance test (oracle/terraform-provider-oci
    internal/integrationtest/bastion_bastion_test.go); the allow-list holds the admins' public egress CIDRs,
    since clients reach the Bastion on its public endpoint (issue 12 item 14)."""
    (bastion,) = recorded.of_type("oci:Bastion/bastion:Bastion")
    assert bastion.inputs["bastionType"] == "STANDARD"
    assert bastion.inputs["targetSubnetId"] == BASTION_SUBNET
    assert bastion.inputs["clientCidrBlockAllowLists"] == ADMIN
    assert bastion.inputs["compartmentId"] == APP
    assert bastion.inputs["name"] == bastion_name("dicomstore-test") == "dicomstoretestbastion"


def test_no_bastion_without_admin_networks() -> None:
    assert record_security(adminCidrs=[]).of_type("oci:Bastion/bastion:Bastion") == []


# --- pure rule logic -----------------------------------------------------------------------------------------


def test_a_customised_rule_missing_from_oracles_recipe_is_an_error() -> None:
    rules = [SourceRule("INSTANCE_WITH_PUBLIC_IP", True, "HIGH")]
    with pytest.raises(ValueError, match=r"no rule\(s\) \[.*'BUCKET_IS_PUBLIC'"):
        detector_rule_overrides(OracleRecipe.CONFIGURATION, rules, [])


def test_lists_attach_to_the_multilist_configuration_as_oracle_spells_it() -> None:
    """OCI reports the list configuration's data type as `multiList` (terraform-provider-oci
    internal/integrationtest/cloud_guard_detector_recipe_test.go: `configurations.0.data_type = "multiList"`).
    Comparing with `MULTILIST` attached no list on real data; other data types take no list."""
    lists = [ManagedListRef("USERS", "ocid1.list")]
    for data_type, attached in (("multiList", True), ("MULTILIST", False), ("int", False)):
        rule = SourceRule(
            "ROGUE_USER", True, "HIGH", ("USERS",), (SourceConfiguration("trusted", "Trusted", data_type),)
        )
        overrides = detector_rule_overrides(OracleRecipe.THREAT, [rule], lists)
        # The threat clone overrides nothing else: a rule shows up only when lists attach to it.
        assert [bool(o.configurations) for o in overrides] == ([True] if attached else []), data_type
    assert MULTI_LIST == "multiList"


def test_offline_recipes_report_list_configurations_like_oci() -> None:
    """The offline answer carries OCI's spelling and value shape, so the plan exercises the real comparison."""
    answer = cloud_guard_catalog.detector_recipes({"compartmentId": TENANCY}, REGION)
    configurations = [
        configuration
        for item in answer["detectorRecipeCollections"][0]["items"]
        for rule in item["detectorRules"]
        for configuration in rule["details"][0]["configurations"]
    ]
    assert len(configurations) >= 3
    assert {configuration["dataType"] for configuration in configurations} == {"multiList"}
    values = [value for configuration in configurations for value in configuration["values"]]
    assert values == [{"listType": "MANAGED", "managedListType": "CIDR_BLOCK",
                       "value": cloud_guard_catalog.TRUSTED_ORACLE_IP_SPACE}]  # fmt: skip


def test_lists_go_only_to_rules_that_accept_their_type() -> None:
    config = SourceConfiguration("trusted", "Trusted", "multiList")
    rules = [
        SourceRule("ROGUE_USER", True, "HIGH", ("USERS",), (config,)),
        SourceRule("OTHER", True, "LOW", ("CIDR_BLOCK",), (config,)),
    ]
    overrides = detector_rule_overrides(OracleRecipe.THREAT, rules, [ManagedListRef("USERS", "ocid1.list")])
    assert [o.rule_id for o in overrides] == ["ROGUE_USER"]
    assert overrides[0].configurations[0].values == (("MANAGED", "USERS", "ocid1.list"),)


def test_responder_selection() -> None:
    assert responder_rules_to_enable(["DELETE_PUBLIC_IP", "MAKE_BUCKET_PRIVATE"]) == ["MAKE_BUCKET_PRIVATE"]
    with pytest.raises(ValueError, match="MAKE_BUCKET_PRIVATE"):
        responder_rules_to_enable(["DELETE_PUBLIC_IP"])


def test_every_customised_rule_exists_in_the_offline_oracle_recipes() -> None:
    for recipe, settings in cloud_guard_rules.DETECTOR_RULE_SETTINGS.items():
        _, rows = cloud_guard_catalog.DETECTOR_RECIPES[recipe.value]
        assert set(settings) <= {row[0] for row in rows}, recipe


# --- bad input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        ({"cloudGuardReportingRegion": None}, "dicomstore:security.cloudGuardReportingRegion = None: is required "
         "when Cloud Guard is enabled. Fix: set it to the tenancy's home region"),
        ({"keyRotationDays": 400}, "dicomstore:security.keyRotationDays = 400: is more than 365. Fix: use 365 or less"),
        ({"adminCidrs": ["198.51.100.0/24", "0.0.0.0/0"]}, "dicomstore:security.adminCidrs[1] = '0.0.0.0/0': opens "
         "access to the whole internet. Fix:"),
        ({"cloudGuardTargetOcid": "ocid1.compartment.oc1..aaaaaaaatestcompartment0000000000000000"},
         "dicomstore:security.cloudGuardTargetOcid = 'ocid1.compartment.oc1..aaaaaaaatestcompartment0000000000000000'"
         ": is the OCID of a compartment, not of a cloudguardtarget. Fix:"),
        ({"cloudGuardEnabled": False, "cloudGuardReportingRegion": None,
          "cloudGuardTargetOcid": "ocid1.cloudguardtarget.oc1.eu-frankfurt-1.aaaaaaaatestexistingroottarget0000000"},
         "is false. Fix: remove cloudGuardTargetOcid, or set cloudGuardEnabled: true"),
        ({"vaultType": "EXTERNAL"}, "dicomstore:security.vaultType = 'EXTERNAL': is not one of the choices. Fix: use "
         "one of \"VIRTUAL_PRIVATE\", \"DEFAULT\""),
    ],
)  # fmt: skip
def test_bad_security_config_is_rejected_with_key_value_and_fix(security: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        stack_config(security=security)
    assert expected in str(error.value)
    assert "Fix: " in str(error.value)


def test_private_ca_may_use_keys_of_the_vault_and_is_created_after_that_grant() -> None:
    recorded = record_security(private_ca=True)
    policy = recorded.named("sec-certificate-authority-policy")
    vault_id = resource_id(recorded.named("sec-vault"))
    assert policy.inputs["statements"] == [
        f"Allow dynamic-group dicomstore-test-cas to use keys in compartment id {APP} where target.vault.id = '{vault_id}'"
    ]
    assert policy.urn in recorded.named("ca-key").dependencies
    assert "sec-certificate-authority-policy" not in {r.name for r in record_security()}


# --- the DR region's key ----------------------------------------------------------------------------------------


def test_the_dr_region_gets_its_own_provider_and_default_vault_hsm_key() -> None:
    """Vault keys are regional: the replica bucket and the backup copies in the DR region need a key there."""
    recorded = record_security(dr_region="eu-amsterdam-1")
    provider = recorded.named("sec-dr-provider")
    assert provider.type == "pulumi:providers:oci" and provider.inputs["region"] == "eu-amsterdam-1"
    vault, key = recorded.named("sec-dr-vault"), recorded.named("sec-dr-key")
    # The cheapest compliant DR key: a default vault, rotated by a scheduled key version (components/security/kms.py).
    assert vault.inputs["vaultType"] == "DEFAULT"
    assert (vault.inputs["displayName"], key.inputs["displayName"]) == (
        "dicomstore-test-dr",
        "dicomstore-test-dr-master",
    )
    assert key.inputs["protectionMode"] == "HSM" and key.inputs["isAutoRotationEnabled"] is False
    assert key.inputs["compartmentId"] == DATA
    assert (key.protect, key.retain_on_delete, vault.protect, vault.retain_on_delete) == (True, True, True, True)
    (version,) = [record for record in recorded.of_type("oci:Kms/keyVersion:KeyVersion") if record.parent == key.urn]
    assert "-rotation-every-113d-from-" in version.name  # keyRotationDays 120, a week of slack
    assert not record_security().of_type("pulumi:providers:oci")


def test_a_moved_dr_key_keeps_its_old_urns_as_aliases() -> None:
    """Issue 16: the Storage block declared the DR vault and key before Security owned every key. Aliases to
    their old URNs make a deployed stack move the protected, retained key instead of replacing it."""
    old_parent = "urn:pulumi:test::dicomstore::dicomstore:storage:Storage::old"
    recorded = record_security(dr_region="eu-amsterdam-1", dr_key_moved_from=MovedFrom("old-dr", old_parent))
    old = "urn:pulumi:test::dicomstore::dicomstore:storage:Storage$"
    key = recorded.named("sec-dr-key")
    assert key.aliases == (f"{old}oci:Kms/key:Key::old-dr-key",)
    assert recorded.named("sec-dr-vault").aliases == (f"{old}oci:Kms/vault:Vault::old-dr-vault",)
    assert recorded.named("sec-dr-provider").aliases == (f"{old}pulumi:providers:oci::old-dr-provider",)
    (version,) = [record for record in recorded.of_type("oci:Kms/keyVersion:KeyVersion") if record.parent == key.urn]
    assert version.aliases == (
        f"{old}oci:Kms/key:Key$oci:Kms/keyVersion:KeyVersion::old-dr-key-{version.name.removeprefix('sec-dr-key-')}",
    )
    # The primary key never moved.
    assert recorded.named("sec-key").aliases == ()


def test_every_vault_secret_is_encrypted_by_the_master_key_protected_and_retained(prod_plan: Recorded) -> None:
    """Generated (passwords) and stored (S3 keys) secrets alike: components/security/vault_secrets.py."""
    secrets = prod_plan.of_type("oci:Vault/secret:Secret")
    (master_key,) = (key for key in prod_plan.of_type("oci:Kms/key:Key") if key.name == "dicomstore-security-key")
    master_key_id = created_state(master_key.type, master_key.name, master_key.inputs, "eu-frankfurt-1")[0]
    assert len(secrets) >= 4
    assert {(secret.protect, secret.retain_on_delete, secret.inputs["keyId"]) for secret in secrets} == {
        (True, True, master_key_id)
    }
    generated = [secret for secret in secrets if secret.inputs.get("enableAutoGeneration")]
    stored = [secret for secret in secrets if "secretContent" in secret.inputs]
    assert generated and stored and len(generated) + len(stored) == len(secrets)
    assert all(secret.inputs["description"].endswith("(generated by OCI Vault)") for secret in generated)
    assert {secret.inputs["secretContent"]["contentType"] for secret in stored} == {"BASE64"}
