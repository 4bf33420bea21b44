"""Oracle-managed Cloud Guard content as the offline engine serves it: detector and responder recipes, the
security zone policies and Oracle's Maximum Security Recipe, shaped like the provider's list invokes return them
(engine representation: the camelCase fields of pulumi-oci 5.5's `Get*Result` output types).

Sources of the values:
* detector `IAAS_*_DETECTOR` enums, the rule id `LB_CERTIFICATE_EXPIRING_SOON`, the configuration `dataType`
  spelt `multiList` and configuration values shaped `{listType: CUSTOM|MANAGED, managedListType, value}`:
  terraform-provider-oci internal/integrationtest/cloud_guard_detector_recipe_test.go (run against real OCI);
* every other rule id, display name, default risk level and default enablement, and the responder rule ids:
  Oracle's Cloud Guard rule catalogue for Terraform (oracle-devrel/cd3-automation-toolkit, cloud-guard.tf, 2024
  revision: "clone Oracle-managed recipes ... edit is_enabled, risk_level"), a subset here: the rules the package
  customises plus neighbours it must leave untouched;
* which rules take managed lists, and their configuration keys and names, are in no public source we could
  read: the four `...Config` configurations below are stand-ins that make the plan exercise the attach path.
  On real data the attach is driven by what Oracle's response declares (`managedListTypes`, `multiList`);
* security zone policy names (`friendlyName`, e.g. `deny public_buckets`, the field Oracle's landing zone keys
  policies by: oci-landing-zones/oci-cis-landingzone-quickstart modules/security/security-zones/main.tf) and
  descriptions: https://docs.oracle.com/iaas/security-zone/using/security-zone-policies.htm. OCIDs are stand-ins
  of the real form (`ocid1.securityzonessecuritypolicy.oc1..<id>`, tenancy-independent, no region).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from offline.ocids import fake_ocid

ORACLE_TIME = "2024-03-01T00:00:00.000Z"
TRUSTED_ORACLE_IP_SPACE = fake_ocid("cloudguardmanagedlist", "oracle/trusted-oracle-ip-space")

MULTI_LIST = "multiList"  # as the API spells it (provider acceptance test above), not MULTILIST

# rule id, display name, default risk, enabled by default, managed list types, multiList configuration
# (config key, name, Oracle's default managed lists as (type, OCID)).
RuleRow = tuple[str, str, str, bool, tuple[str, ...], tuple[str, str, tuple[tuple[str, str], ...]] | None]

DETECTOR_RECIPES: Mapping[str, tuple[str, Sequence[RuleRow]]] = {
    "OCI Configuration Detector Recipe": (
        "IAAS_CONFIGURATION_DETECTOR",
        (
            ("BUCKET_IS_PUBLIC", "Bucket is public", "CRITICAL", True, (), None),
            ("BUCKET_ENCRYPTED_WITH_ORACLE_MANAGED_KEY", "Object Storage bucket is encrypted with Oracle-managed key",
             "MINOR", True, (), None),
            ("BUCKET_READ_LOG_ACCESS_DISABLED", "Read Log access disabled for bucket", "LOW", False, (), None),
            ("BLOCK_VOLUME_ENCRYPTED_WITH_ORACLE_MANAGED_KEY", "Block Volume is encrypted with Oracle-managed key",
             "MINOR", True, (), None),
            ("DATABASE_PUBLICLY_ACCESSIBLE", "Database System is publicly accessible", "CRITICAL", True, (), None),
            ("KEY_NOT_ROTATED", "Key has not been rotated", "MEDIUM", True, (), None),
            ("POLICY_USES_ANY_USER", 'Policy uses "any-user"', "MEDIUM", True, (), None),
            ("INSTANCE_WITH_PUBLIC_IP", "Instance has a public IP address", "HIGH", True, (), None),
            ("LB_CERTIFICATE_EXPIRING_SOON", "Load balancer SSL certificate expiring soon", "CRITICAL", True, (), None),
            ("VCN_NSG_INGRESS_RULE_PORTS_CHECK", "NSG ingress rule contains disallowed IP/port", "HIGH", True,
             ("CIDR_BLOCK",),
             ("nsgIngressRuleAllowedSourcesConfig", "Allowed source CIDR blocks", ())),
        ),
    ),
    "OCI Activity Detector Recipe": (
        "IAAS_ACTIVITY_DETECTOR",
        (
            ("SUSPICIOUS_IP_ACTIVITY", "Suspicious Ip Activity", "CRITICAL", True, ("CIDR_BLOCK",),
             ("suspiciousIpTrustedCidrConfig", "Trusted IP addresses",
              (("CIDR_BLOCK", TRUSTED_ORACLE_IP_SPACE),))),
            ("BASTION_SESSION_CREATED", "Bastion session created", "LOW", False, (), None),
            ("IAM_USER_CAPABILITIES_MODIFIED", "IAM User capabilities modified", "LOW", True, ("USERS",),
             ("iamUserCapabilitiesTrustedUsersConfig", "Trusted users", ())),
            ("NSG_INGRESS_RULE_CHANGED", "VCN Network Security Group ingress rule changed", "HIGH", True, (), None),
        ),
    ),
    "OCI Threat Detector Recipe": (
        "IAAS_THREAT_DETECTOR",
        (
            ("ROGUE_USER", "Rogue User", "CRITICAL", True, ("USERS", "CIDR_BLOCK"),
             ("rogueUserTrustedConfig", "Trusted users and networks", ())),
        ),
    ),
}  # fmt: skip

# responder rule id (Oracle's catalogue above), display name, type, supported modes (ResponderRule enums:
# REMEDIATION or NOTIFICATION; USERACTION or AUTOACTION). Display names are stand-ins.
RESPONDER_RULES: Sequence[tuple[str, str, str, tuple[str, ...]]] = (
    ("MAKE_BUCKET_PRIVATE", "Make Bucket Private", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("DELETE_PUBLIC_IP", "Delete Public IP(s)", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("DELETE_INTERNET_GATEWAY", "Delete Internet Gateway", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("DELETE_IAM_POLICY", "Delete IAM Policy", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("DISABLE_IAM_USER", "Disable IAM User", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("ENABLE_DB_BACKUP", "Enable DB Backup", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("ROTATE_VAULT_KEY", "Rotate Vault Key", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("STOP_INSTANCE", "Stop Compute Instance", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("TERMINATE_INSTANCE", "Terminate Compute Instance", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("EVENT", "Cloud Event", "NOTIFICATION", ("AUTOACTION",)),
)

# friendlyName, description, in Oracle's Maximum Security Recipe (docs: "The Maximum Security Recipe includes all
# available security zone policies", except those added since: the March 2023 policies "are not enabled in the
# Maximum Security Recipe", https://docs.oracle.com/iaas/releasenotes/changes/b555927f-85e5-4ec1-bf7f-bf26ba7ba908).
SECURITY_ZONE_POLICIES: Sequence[tuple[str, str, bool]] = (
    ("deny public_buckets", "Object Storage buckets in a security zone can't be public.", True),
    ("deny buckets_without_vault_key", "Object Storage buckets in a security zone must use a customer-managed "
     "master encryption key in the Vault service.", True),
    ("deny block_volume_without_vault_key", "Block volumes in a security zone must use a customer-managed master "
     "encryption key in the Vault service.", True),
    ("deny boot_volume_without_vault_key", "Boot volumes in the security zone must use a customer-managed master "
     "encryption key in the Vault service.", True),
    ("deny file_system_without_vault_key", "File systems in the security zone must use a customer-managed master "
     "encryption key in the Vault service.", True),
    ("deny db_instance_public_access", "Databases in a security zone can't be assigned to public subnets. They "
     "must use private subnets.", True),
    ("deny database_without_backup", "Databases in a security zone must be configured to be backed up "
     "automatically.", True),
    ("deny db_instance_subnet_not_in_security_zone", "A database in a security zone must use subnets that are "
     "also in a security zone.", True),
    ("deny db_instance_move_to_compartment_not_in_security_zone", "You can't move a database from a security zone "
     "to a standard compartment.", True),
    ("deny instance_in_security_zone_in_subnet_not_in_security_zone", "Compute instances in a security zone must "
     "use subnets that are also in a security zone.", True),
    ("deny public_subnets", "Subnets in a security zone can't be public.", True),
    ("deny security_list_to_allow_traffic_to_restricted_port", "You can't create or modify a security list to "
     "allow traffic to restricted ports in the security zone.", False),
)  # fmt: skip
MAXIMUM_SECURITY_RECIPE = "Maximum Security Recipe"  # "a predefined recipe named Maximum Security Recipe" (docs)


def security_policy_id(friendly_name: str) -> str:
    """The stand-in OCID of an Oracle security zone policy."""
    return fake_ocid("securityzonessecuritypolicy", f"oracle/{friendly_name}")


def _configuration(config: tuple[str, str, tuple[tuple[str, str], ...]]) -> dict[str, Any]:
    key, name, defaults = config
    return {
        "configKey": key, "name": name, "dataType": MULTI_LIST, "value": "", "allowedValuesDataType": "",
        "allowedValues": [], "additionalProperties": [],
        "values": [{"listType": "MANAGED", "managedListType": list_type, "value": list_id}
                   for list_type, list_id in defaults],
    }  # fmt: skip


def _detector_rule(detector: str, row: RuleRow) -> dict[str, Any]:
    rule_id, display_name, risk, enabled, list_types, config = row
    return {
        "detectorRuleId": rule_id, "displayName": display_name, "description": display_name, "detector": detector,
        "recommendation": f"Review the resource: {display_name.lower()}.", "resourceType": "", "serviceType": "",
        "dataSourceId": "", "entitiesMappings": [], "isCloneable": True,
        "lifecycleDetails": "", "managedListTypes": list(list_types), "ruleTypes": [], "state": "ACTIVE",
        "timeCreated": ORACLE_TIME, "timeUpdated": ORACLE_TIME,
        "details": [{
            "isEnabled": enabled, "riskLevel": risk, "isConfigurationAllowed": config is not None, "labels": [],
            "description": display_name, "recommendation": "", "dataSourceId": "", "entitiesMappings": [],
            "configurations": [_configuration(config)] if config else [],
        }],
    }  # fmt: skip


def _recipe_item(kind: str, display_name: str) -> dict[str, Any]:
    return {
        "id": fake_ocid(f"cloudguard{kind}recipe", f"oracle/{display_name}"), "displayName": display_name,
        "description": f"Oracle-managed {display_name}", "owner": "ORACLE", "state": "ACTIVE",
        "definedTags": {}, "freeformTags": {}, "systemTags": {}, "timeCreated": ORACLE_TIME,
        "timeUpdated": ORACLE_TIME,
    }  # fmt: skip


def detector_recipes(args: Mapping[str, Any], _region: str) -> dict[str, Any]:
    """`oci:CloudGuard/getDetectorRecipes`: Oracle's recipes in the tenancy, filtered by display name."""
    tenancy = str(args.get("compartmentId", ""))
    wanted = args.get("displayName")
    items = []
    for name, (detector, rows) in DETECTOR_RECIPES.items():
        if wanted not in (None, name):
            continue
        rules = [_detector_rule(detector, row) for row in rows]
        items.append(
            {**_recipe_item("detector", name), "detector": detector, "detectorRecipeType": "STANDARD",
             "detectorRules": rules, "effectiveDetectorRules": rules, "sourceDetectorRecipeId": "", "targetIds": []}
        )  # fmt: skip
    return {"compartmentId": tenancy, "displayName": wanted, "id": "detector-recipes",
            "detectorRecipeCollections": [{"items": items}]}  # fmt: skip


def responder_recipes(args: Mapping[str, Any], _region: str) -> dict[str, Any]:
    """`oci:CloudGuard/getResponderRecipes`: Oracle's responder recipe."""
    tenancy = str(args.get("compartmentId", ""))
    name = "OCI Responder Recipe"
    wanted = args.get("displayName")
    rules = [
        {"responderRuleId": rule_id, "displayName": display_name, "description": display_name, "type": kind,
         "policies": [], "supportedModes": list(modes), "state": "ACTIVE", "lifecycleDetails": "",
         "timeCreated": ORACLE_TIME, "timeUpdated": ORACLE_TIME,
         "details": [{"isEnabled": False, "mode": "USERACTION", "configurations": []}]}
        for rule_id, display_name, kind, modes in RESPONDER_RULES
    ]  # fmt: skip
    items = (
        [{**_recipe_item("responder", name), "lifecycleDetails": "", "responderRules": rules,
          "effectiveResponderRules": rules, "sourceResponderRecipeId": ""}]
        if wanted in (None, name) else []
    )  # fmt: skip
    return {"compartmentId": tenancy, "displayName": wanted, "id": "responder-recipes",
            "responderRecipeCollections": [{"items": items}]}  # fmt: skip


def security_policies(args: Mapping[str, Any], _region: str) -> dict[str, Any]:
    """`oci:CloudGuard/getSecurityPolicies`: Oracle's security zone policies (every one, in or out of a recipe).

    `displayName` of Oracle's policies is in no source we could read; it repeats the friendly name (the program
    reads only `id` and `friendlyName`)."""
    tenancy = str(args.get("compartmentId", ""))
    items = [
        {"id": security_policy_id(name), "displayName": name, "friendlyName": name, "description": description,
         "owner": "ORACLE", "state": "ACTIVE", "compartmentId": tenancy, "services": [], "definedTags": {},
         "freeformTags": {}, "lifecycleDetails": "", "timeCreated": ORACLE_TIME, "timeUpdated": ORACLE_TIME}
        for name, description, _ in SECURITY_ZONE_POLICIES
    ]  # fmt: skip
    return {"compartmentId": tenancy, "id": "security-policies", "securityPolicyCollections": [{"items": items}]}


def security_recipes(args: Mapping[str, Any], _region: str) -> dict[str, Any]:
    """`oci:CloudGuard/getSecurityRecipes`: the tenancy's security zone recipes; here only Oracle's Maximum
    Security Recipe (owner ORACLE), which lists the ids of its policies in `securityPolicies`."""
    tenancy = str(args.get("compartmentId", ""))
    wanted = args.get("displayName")
    recipe = {
        "id": fake_ocid("securityzonessecurityrecipe", f"oracle/{MAXIMUM_SECURITY_RECIPE}"),
        "displayName": MAXIMUM_SECURITY_RECIPE, "description": MAXIMUM_SECURITY_RECIPE, "owner": "ORACLE",
        "state": "ACTIVE", "compartmentId": tenancy, "lifecycleDetails": "", "definedTags": {}, "freeformTags": {},
        "securityPolicies": [security_policy_id(name) for name, _, in_maximum in SECURITY_ZONE_POLICIES if in_maximum],
        "timeCreated": ORACLE_TIME, "timeUpdated": ORACLE_TIME,
    }  # fmt: skip
    items = [recipe] if wanted in (None, MAXIMUM_SECURITY_RECIPE) else []
    return {"compartmentId": tenancy, "displayName": wanted, "id": "security-recipes",
            "securityRecipeCollections": [{"items": items}]}  # fmt: skip


def guard_target(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    """`oci:CloudGuard/getGuardTarget`: a target the stack did not create (a security zone's, or the tenancy's
    existing root target), as OCI leaves it: with Oracle's recipes attached, one detector recipe per detector
    type (https://docs.oracle.com/iaas/cloud-guard/using/targets-modify.htm). Its resource type and id are
    left out: no source shows a zone target's, and the program reads only the attached recipe OCIDs."""
    target_id = str(args.get("targetId", ""))
    detectors = [
        {**_recipe_item("detector", name), "detectorRecipeId": _recipe_item("detector", name)["id"],
         "id": fake_ocid("cloudguardtargetdetectorrecipe", f"{target_id}/{name}", region), "detector": detector,
         "detectorRecipeType": "STANDARD", "detectorRules": [], "effectiveDetectorRules": []}
        for name, (detector, _) in DETECTOR_RECIPES.items()
    ]  # fmt: skip
    oracle_responder = _recipe_item("responder", "OCI Responder Recipe")
    responder_name = oracle_responder["displayName"]
    responder = {
        **oracle_responder, "responderRecipeId": oracle_responder["id"],
        "id": fake_ocid("cloudguardtargetresponderrecipe", f"{target_id}/{responder_name}", region),
        "responderRules": [], "effectiveResponderRules": [],
    }  # fmt: skip
    return {
        "id": target_id, "targetId": target_id, "displayName": "security zone target", "description": "",
        "state": "ACTIVE", "lifecyleDetails": "", "recipeCount": len(detectors) + 1, "inheritedByCompartments": [],
        "targetDetails": [], "targetDetectorRecipes": detectors, "targetResponderRecipes": [responder],
        "definedTags": {}, "freeformTags": {}, "systemTags": {}, "timeCreated": ORACLE_TIME, "timeUpdated": ORACLE_TIME,
    }  # fmt: skip
