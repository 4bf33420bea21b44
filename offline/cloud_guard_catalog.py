"""Oracle-managed Cloud Guard content as the offline engine serves it: detector and responder recipes and the
security zone policies, shaped like the provider's list invokes return them (engine representation).

The rule ids, names, default risk levels and enablement follow Oracle's recipes (a representative subset:
the rules the package customises plus neighbours it must leave untouched). Rules that accept managed lists
declare `managedListTypes` and carry a MULTILIST configuration, as Oracle's do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from offline.ocids import fake_ocid

ORACLE_TIME = "2024-03-01T00:00:00.000Z"
TRUSTED_ORACLE_IP_SPACE = fake_ocid("cloudguardmanagedlist", "oracle/trusted-oracle-ip-space")

# rule id, display name, default risk, enabled by default, managed list types, MULTILIST configuration
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
            ("ROGUE_USER", "Rogue user", "HIGH", True, ("USERS", "CIDR_BLOCK"),
             ("rogueUserTrustedConfig", "Trusted users and networks", ())),
        ),
    ),
}  # fmt: skip

# responder rule id, display name, type, supported modes
RESPONDER_RULES: Sequence[tuple[str, str, str, tuple[str, ...]]] = (
    ("MAKE_BUCKET_PRIVATE", "Make Bucket Private", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("DELETE_PUBLIC_IP", "Delete Public IP(s)", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("DELETE_IAM_POLICY", "Delete IAM Policy", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("ENABLE_DB_BACKUP", "Enable DB Backup", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("STOP_COMPUTE_INSTANCE", "Stop Compute Instance", "REMEDIATION", ("USERACTION", "AUTOACTION")),
    ("CLOUD_EVENT", "Cloud Event", "NOTIFICATION", ("AUTOACTION",)),
)

# name, friendly name, description: the policies of Oracle's maximum-security recipe.
SECURITY_ZONE_POLICIES: Sequence[tuple[str, str, str]] = (
    ("deny public_buckets", "Deny public buckets", "Buckets in a security zone can't be public."),
    ("deny buckets_without_vault_key", "Deny buckets without a Vault key",
     "Buckets must be encrypted with a customer-managed Vault key."),
    ("deny block_volume_without_vault_key", "Deny block volumes without a Vault key",
     "Block volumes must be encrypted with a customer-managed Vault key."),
    ("deny boot_volume_without_vault_key", "Deny boot volumes without a Vault key",
     "Boot volumes must be encrypted with a customer-managed Vault key."),
    ("deny file_system_without_vault_key", "Deny file systems without a Vault key",
     "File systems must be encrypted with a customer-managed Vault key."),
    ("deny db_instance_public_access", "Deny public access to databases",
     "Databases must be in private subnets."),
    ("deny database_without_backup", "Deny databases without automatic backup",
     "Databases must be backed up automatically."),
    ("deny public_subnets", "Deny public subnets", "Subnets in a security zone must be private."),
    ("deny internet_gateway", "Deny internet gateways", "VCNs can't have an internet gateway."),
    ("deny instance_without_shielded", "Deny compute instances without Shielded Instance",
     "Compute instances must use Shielded Instance."),
    ("deny manage_resources_outside_security_zone", "Deny moving resources out of the security zone",
     "Resources can't be moved from a security zone to a standard compartment."),
)  # fmt: skip


def _configuration(config: tuple[str, str, tuple[tuple[str, str], ...]]) -> dict[str, Any]:
    key, name, defaults = config
    return {
        "configKey": key, "name": name, "dataType": "MULTILIST", "value": "", "allowedValuesDataType": "",
        "allowedValues": [],
        "values": [{"managedListType": list_type, "value": list_id} for list_type, list_id in defaults],
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
    """`oci:CloudGuard/getSecurityPolicies`: Oracle's security zone policies."""
    tenancy = str(args.get("compartmentId", ""))
    items = [
        {"id": fake_ocid("securityzonessecuritypolicy", f"oracle/{name}"), "displayName": name,
         "friendlyName": friendly, "description": description, "owner": "ORACLE", "state": "ACTIVE",
         "compartmentId": tenancy, "services": [], "definedTags": {}, "freeformTags": {},
         "lifecycleDetails": "", "timeCreated": ORACLE_TIME, "timeUpdated": ORACLE_TIME}
        for name, friendly, description in SECURITY_ZONE_POLICIES
    ]  # fmt: skip
    return {"compartmentId": tenancy, "id": "security-policies", "securityPolicyCollections": [{"items": items}]}
