"""Security block: recorded engine inputs of the vault and key, IAM grants, Cloud Guard, security zone, audit,
notifications and bastion; the pure rule customisations; the config checks issue 5 asks for."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_oci as oci
import pytest

from components import cloud_guard_rules
from components.cloud_guard_rules import (
    ManagedListRef,
    OracleRecipe,
    SecurityZonePolicy,
    SourceConfiguration,
    SourceRule,
    detector_rule_overrides,
    maximum_security_policy_ids,
    responder_rules_to_enable,
)
from components.config import ConfigError
from components.security import Security, SecurityArgs, bastion_name
from offline import cloud_guard_catalog
from offline.engine import RecordingMonitor
from offline.provider_outputs import created_state
from offline.records import ResourceRecord
from tests.support import TENANCY, Recorded, record, stack_config

REGION = "eu-frankfurt-1"
PARENT = "ocid1.compartment.oc1..aaaaaaaatestparent0000000000000000000000000000000000000000"
DATA = "ocid1.compartment.oc1..aaaaaaaatestdata000000000000000000000000000000000000000000"
APP = "ocid1.compartment.oc1..aaaaaaaatestapp0000000000000000000000000000000000000000000"
BASTION_SUBNET = "ocid1.subnet.oc1.eu-frankfurt-1.aaaaaaaatestbastionsubnet0000000000000000000000"
ON_PREM = ["10.0.0.0/14", "172.16.0.0/16"]
ADMIN = ["10.0.8.0/24"]
TRUSTED_USER = "ocid1.user.oc1..aaaaaaaatestbreakglass000000000000000000000000000000000000"
ROOT_TYPES = {
    "oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration",
    "oci:CloudGuard/target:Target",
    "oci:Audit/configuration:Configuration",
    "oci:Identity/policy:Policy",
}


def resource_id(resource: ResourceRecord) -> str:
    """The id the offline engine gives the resource (the one other resources receive as an input)."""
    return created_state(resource.type, resource.name, resource.inputs, REGION)[0]


def record_security(oke: bool = False, consumer: bool = False, private_ca: bool = False, **security: Any) -> Recorded:
    config = stack_config(security={"keyRotationDays": 120, "notificationEmails": ["secops@hospital.example"],
                                    **security})  # fmt: skip

    def program() -> None:
        block = Security(
            "sec",
            SecurityArgs(
                config=config.security, region=REGION, tenancy_id=TENANCY, parent_compartment_id=PARENT,
                name_prefix="dicomstore-test", data_compartment_id=DATA, app_compartment_id=APP,
                bastion_subnet_id=BASTION_SUBNET, on_prem_cidrs=ON_PREM,
                orthanc_dynamic_group_name="dicomstore-test-orthanc-runtime",
                postgresql_dynamic_group_name="dicomstore-test-postgresql",
                oke_cluster_dynamic_group_name="dicomstore-test-oke-clusters" if oke else None,
                certificate_authority_dynamic_group_name="dicomstore-test-cas" if private_ca else None,
            ),
        )  # fmt: skip
        if consumer:
            # Stands for the bucket of the Storage block: it receives the published master key id.
            oci.objectstorage.Bucket(
                "consumer", compartment_id=DATA, name="consumer", namespace="ns", kms_key_id=block.master_key_id
            )
        pulumi.export("master_key_id", block.master_key_id)
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
    assert all(f"target.key.id = '{key_id}'" in s or "secret-bundles" in s for s in statements)


def test_oke_gets_key_grants_only_with_the_oke_runtime() -> None:
    statements = record_security(oke=True).named("sec-key-use-policy").inputs["statements"]
    assert any(s.startswith("Allow service oke to use key-delegate") for s in statements)
    assert any(s.startswith("Allow dynamic-group dicomstore-test-oke-clusters to use keys") for s in statements)


def test_orthanc_runtime_is_confined_to_its_secrets_and_key(recorded: Recorded) -> None:
    vault_id = resource_id(recorded.named("sec-vault"))
    statements = recorded.named("sec-orthanc-runtime-policy").inputs["statements"]
    assert statements[0] == (
        f"Allow dynamic-group dicomstore-test-orthanc-runtime to read secret-bundles in compartment id {DATA} "
        f"where target.vault.id = '{vault_id}'"
    )
    # Objects go through the S3 user only: the runtime principal has no bucket or object grant.
    assert [s for s in statements if "bucket" in s or "objects" in s] == []
    assert len(statements) == 2


def test_no_policy_statement_grants_everything_or_to_everyone(dev_plan: Recorded, prod_plan: Recorded) -> None:
    for plan in (dev_plan, prod_plan):
        statements = [s for policy in plan.of_type("oci:Identity/policy:Policy") for s in policy.inputs["statements"]]
        assert len(statements) > 5
        for statement in statements:
            lowered = " ".join(statement.lower().split())
            assert "manage all-resources" not in lowered, statement
            assert "any-user" not in lowered, statement


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
    assert "INSTANCE_WITH_PUBLIC_IP" not in configuration  # untouched rules stay Oracle's
    threat = rules_by_id(recorded.named("sec-threat-detector-recipe"))
    assert threat["ROGUE_USER"]["riskLevel"] == "CRITICAL"


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


def test_only_tenancy_wide_resources_are_in_the_root_compartment(recorded: Recorded) -> None:
    in_root = {r.type for r in recorded if r.inputs.get("compartmentId") == TENANCY}
    assert in_root == ROOT_TYPES
    root_policies = [p for p in recorded.of_type("oci:Identity/policy:Policy") if p.inputs["compartmentId"] == TENANCY]
    assert [p.inputs["statements"] for p in root_policies] == [
        ["Allow service cloudguard to manage buckets in tenancy where request.permission = 'BUCKET_UPDATE'"]
    ]


def test_cloud_guard_is_managed_in_its_reporting_region(monkeypatch: pytest.MonkeyPatch) -> None:
    providers: dict[str, str] = {}
    register = RecordingMonitor.RegisterResource

    def capture(monitor: RecordingMonitor, request: Any) -> Any:
        providers[request.name] = request.provider
        return register(monitor, request)

    monkeypatch.setattr(RecordingMonitor, "RegisterResource", capture)
    recorded = record_security(cloudGuardReportingRegion="us-ashburn-1")
    (provider,) = recorded.of_type("pulumi:providers:oci")
    assert provider.inputs["region"] == "us-ashburn-1"
    in_reporting_region = {name for name, reference in providers.items() if reference.startswith(provider.urn)}
    assert in_reporting_region == {
        "sec-cloud-guard", "sec-on-prem-cidrs", "sec-admin-cidrs", "sec-configuration-detector-recipe",
        "sec-activity-detector-recipe", "sec-threat-detector-recipe", "sec-responder-recipe",
        "sec-cloud-guard-target", "sec-security-recipe", "sec-data-security-zone", "sec-security-topic",
        "sec-security-email-0", "sec-cloud-guard-problems",
    }  # fmt: skip
    assert not providers["sec-key"].startswith(provider.urn)


def test_no_extra_provider_when_cloud_guard_reports_to_the_deployment_region(recorded: Recorded) -> None:
    assert recorded.of_type("pulumi:providers:oci") == []


def test_without_cloud_guard_there_is_no_cloud_guard_resource_nor_events_rule() -> None:
    recorded = record_security(cloudGuardEnabled=False, cloudGuardReportingRegion=None)
    assert not [r for r in recorded if r.type.startswith("oci:CloudGuard/") and "security" not in r.type.lower()]
    assert recorded.of_type("oci:Events/rule:Rule") == []
    assert len(recorded.of_type("oci:CloudGuard/securityZone:SecurityZone")) == 1


# --- security zone -------------------------------------------------------------------------------------------


def test_data_compartment_is_a_security_zone_with_the_maximum_security_policies(recorded: Recorded) -> None:
    (zone,) = recorded.of_type("oci:CloudGuard/securityZone:SecurityZone")
    (recipe,) = recorded.of_type("oci:CloudGuard/securityRecipe:SecurityRecipe")
    assert zone.inputs["compartmentId"] == DATA
    assert zone.inputs["securityZoneRecipeId"] == resource_id(recipe)
    answer = cloud_guard_catalog.security_policies({"compartmentId": TENANCY}, REGION)
    expected = {item["id"]: item["displayName"] for item in answer["securityPolicyCollections"][0]["items"]}
    assert set(recipe.inputs["securityPolicies"]) == set(expected)
    names = {expected[policy] for policy in recipe.inputs["securityPolicies"]}
    assert {"deny public_buckets", "deny db_instance_public_access", "deny buckets_without_vault_key",
            "deny public_subnets"} <= names  # fmt: skip


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
    (bastion,) = recorded.of_type("oci:Bastion/bastion:Bastion")
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


def test_lists_go_only_to_rules_that_accept_their_type() -> None:
    config = SourceConfiguration("trusted", "Trusted", "MULTILIST")
    rules = [
        SourceRule("ROGUE_USER", True, "HIGH", ("USERS",), (config,)),
        SourceRule("OTHER", True, "LOW", ("CIDR_BLOCK",), (config,)),
    ]
    overrides = detector_rule_overrides(OracleRecipe.THREAT, rules, [ManagedListRef("USERS", "ocid1.list")])
    assert [o.rule_id for o in overrides] == ["ROGUE_USER"]
    assert overrides[0].configurations[0].values == (("MANAGED", "USERS", "ocid1.list"),)


def test_responder_and_security_policy_selection() -> None:
    assert responder_rules_to_enable(["DELETE_PUBLIC_IP", "MAKE_BUCKET_PRIVATE"]) == ["MAKE_BUCKET_PRIVATE"]
    with pytest.raises(ValueError, match="MAKE_BUCKET_PRIVATE"):
        responder_rules_to_enable(["DELETE_PUBLIC_IP"])
    policies = [SecurityZonePolicy("b", "ORACLE", "ACTIVE"), SecurityZonePolicy("a", "ORACLE", "ACTIVE"),
                SecurityZonePolicy("c", "CUSTOMER", "ACTIVE"), SecurityZonePolicy("d", "ORACLE", "INACTIVE")]  # fmt: skip
    assert maximum_security_policy_ids(policies) == ["a", "b"]
    with pytest.raises(ValueError):
        maximum_security_policy_ids([])


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
        ({"adminCidrs": ["10.0.8.0/24", "0.0.0.0/0"]}, "dicomstore:security.adminCidrs[1] = '0.0.0.0/0': opens "
         "access to the whole internet. Fix:"),
        ({"vaultType": "DEFAULT"}, "dicomstore:security.vaultType = 'DEFAULT': is not a key of dicomstore:security"),
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
