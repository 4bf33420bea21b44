"""Cloud Guard customisations as data: which Oracle-managed rules the cloned recipes change, and how.

The recipes are clones of Oracle's (`source_detector_recipe_id`), so every rule Oracle ships or updates keeps
working; only the rules below are overridden. The choices follow what this stack stores (PHI):

* configuration detector: a public bucket or a publicly reachable database is CRITICAL; data encrypted with
  an Oracle-managed key instead of the Vault key, a key that is not rotated and a policy using `any-user`
  are HIGH; bucket read logging (off in Oracle's recipe) is turned on, since reads of PHI must be traceable;
* activity detector: Bastion sessions (the only admin path) are reported;
* threat detector: left at Oracle's settings (a rogue user is already CRITICAL there, and a threat rule's risk
  level is not user-settable: https://docs.oracle.com/iaas/cloud-guard/using/detect-recipes-modify-rules.htm);
* responder: a public bucket is made private again automatically (AUTOACTION on the target).

Managed lists are attached to the rules that declare they accept that list type (`managedListTypes` of the
Oracle rule, as returned by the recipe invoke), through the rule's `multiList` configuration, so the trusted
networks and users exempt known-good activity from alerts without hard-coding which rules take lists.

The security zone recipe is Oracle's Maximum Security Recipe's own policy set (read from the Oracle-managed
recipe, not "every Oracle policy": policies Oracle adds later are not in it, e.g. the 2023 ones, see
https://docs.oracle.com/iaas/releasenotes/changes/b555927f-85e5-4ec1-bf7f-bf26ba7ba908), minus the policies in
`EXCLUDED_ZONE_POLICIES`, each with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

RiskLevel = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "MINOR"]


class OracleRecipe(StrEnum):
    """Display names of the Oracle-managed recipes (how the invokes find them)."""

    CONFIGURATION = "OCI Configuration Detector Recipe"
    ACTIVITY = "OCI Activity Detector Recipe"
    THREAT = "OCI Threat Detector Recipe"
    RESPONDER = "OCI Responder Recipe"


@dataclass(frozen=True)
class RuleSetting:
    enabled: bool
    risk_level: RiskLevel


DETECTOR_RULE_SETTINGS: Mapping[OracleRecipe, Mapping[str, RuleSetting]] = {
    OracleRecipe.CONFIGURATION: {
        "BUCKET_IS_PUBLIC": RuleSetting(True, "CRITICAL"),
        "DATABASE_PUBLICLY_ACCESSIBLE": RuleSetting(True, "CRITICAL"),
        "BUCKET_ENCRYPTED_WITH_ORACLE_MANAGED_KEY": RuleSetting(True, "HIGH"),
        "BLOCK_VOLUME_ENCRYPTED_WITH_ORACLE_MANAGED_KEY": RuleSetting(True, "HIGH"),
        "KEY_NOT_ROTATED": RuleSetting(True, "HIGH"),
        # Fires on the stack's own key-use policy with OKE (the node pools' documented key grant, the one `any-user`
        # statement the IAM guard admits): expected and documented (README, "Findings the stack itself causes"),
        # not exempted, since a rule condition would exempt that whole policy and a lower level the whole tenancy.
        "POLICY_USES_ANY_USER": RuleSetting(True, "HIGH"),
        "BUCKET_READ_LOG_ACCESS_DISABLED": RuleSetting(True, "MEDIUM"),
    },
    OracleRecipe.ACTIVITY: {
        "BASTION_SESSION_CREATED": RuleSetting(True, "MEDIUM"),
    },
}

AUTO_REMEDIATION_RULE = "MAKE_BUCKET_PRIVATE"
"""Oracle's responder rule that sets a bucket back to NoPublicAccess."""
RESPONDER_RULES_ENABLED: Sequence[str] = (AUTO_REMEDIATION_RULE,)
AUTO_ACTION = "AUTOACTION"  # run without waiting for an operator (the default mode is USERACTION)

# Data type of a rule configuration that takes a list of values or managed lists, spelt as the API returns it
# (terraform-provider-oci internal/integrationtest/cloud_guard_detector_recipe_test.go checks
# `configurations.0.data_type = "multiList"` on a real recipe).
MULTI_LIST = "multiList"


ConfigValue = tuple[str, str, str]
"""(list type CUSTOM or MANAGED, managed list type, value or managed list OCID)."""


@dataclass(frozen=True)
class SourceConfiguration:
    config_key: str
    name: str
    data_type: str | None
    values: tuple[ConfigValue, ...] = ()
    """Oracle's values (e.g. its "Trusted Oracle IP space" list); the clone keeps them."""


@dataclass(frozen=True)
class SourceRule:
    """The parts of an Oracle-managed detector rule the clone needs."""

    rule_id: str
    enabled: bool
    risk_level: str
    managed_list_types: tuple[str, ...] = ()
    configurations: tuple[SourceConfiguration, ...] = ()


@dataclass(frozen=True)
class SourceRecipe:
    """An Oracle-managed recipe as the clone needs it: its OCID and its rules (detector rule ids and settings,
    or just the responder rule ids)."""

    recipe_id: str
    rules: tuple[SourceRule, ...]


@dataclass(frozen=True)
class ManagedListRef:
    """A managed list to attach: its type (CIDR_BLOCK, USERS, ...) and OCID."""

    list_type: str
    list_id: str


@dataclass(frozen=True)
class ConfigurationOverride:
    config_key: str
    name: str
    data_type: str
    values: tuple[ConfigValue, ...]
    """Oracle's values followed by the stack's managed lists."""


@dataclass(frozen=True)
class RuleOverride:
    rule_id: str
    enabled: bool
    risk_level: str
    configurations: tuple[ConfigurationOverride, ...] = field(default=())


def _configurations(rule: SourceRule, lists: Sequence[ManagedListRef]) -> tuple[ConfigurationOverride, ...]:
    accepted = [ref for ref in lists if ref.list_type in rule.managed_list_types]
    if not accepted:
        return ()
    return tuple(
        ConfigurationOverride(
            config_key=configuration.config_key,
            name=configuration.name,
            data_type=MULTI_LIST,
            values=configuration.values + tuple(("MANAGED", ref.list_type, ref.list_id) for ref in accepted),
        )
        for configuration in rule.configurations
        if configuration.data_type == MULTI_LIST
    )


def detector_rule_overrides(
    recipe: OracleRecipe, source_rules: Iterable[SourceRule], lists: Sequence[ManagedListRef]
) -> list[RuleOverride]:
    """The rules of a clone that differ from Oracle's: re-rated rules and rules that get managed lists.

    Raises ValueError when a customised rule is missing from the Oracle recipe (renamed or withdrawn by
    Oracle): the customisation would otherwise silently do nothing.
    """
    settings = DETECTOR_RULE_SETTINGS.get(recipe, {})
    rules = list(source_rules)
    missing = sorted(set(settings) - {rule.rule_id for rule in rules})
    if missing:
        raise ValueError(f"the Oracle-managed {recipe.value!r} has no rule(s) {missing}; update cloud_guard_rules.py")
    overrides = []
    for rule in rules:
        setting = settings.get(rule.rule_id)
        configurations = _configurations(rule, lists)
        if setting is None and not configurations:
            continue
        overrides.append(
            RuleOverride(
                rule_id=rule.rule_id,
                enabled=setting.enabled if setting else rule.enabled,
                risk_level=setting.risk_level if setting else rule.risk_level,
                configurations=configurations,
            )
        )
    return overrides


def recipes_missing(attached: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The wanted recipe OCIDs a target does not have attached, in the wanted order."""
    present = set(attached)
    return [recipe_id for recipe_id in wanted if recipe_id not in present]


def responder_rules_to_enable(available_rule_ids: Iterable[str]) -> list[str]:
    """The responder rules the clone enables; ValueError if Oracle's recipe lacks one."""
    available = set(available_rule_ids)
    missing = [rule for rule in RESPONDER_RULES_ENABLED if rule not in available]
    if missing:
        raise ValueError(f"the Oracle-managed responder recipe has no rule(s) {missing}")
    return list(RESPONDER_RULES_ENABLED)


EXCLUDED_ZONE_POLICIES: Mapping[str, str] = {
    "deny db_instance_subnet_not_in_security_zone": (
        "a database in the zone must use a subnet that is in a security zone too; the PostgreSQL DB system lives "
        "in the data compartment (the zone) but its subnet lives in the network compartment with the rest of the "
        "VCN, whose route tables, NSGs and gateways the zone's network policies would otherwise constrain. The "
        "database subnet is private and reachable only from the app tier's NSG"
    ),
}
"""Maximum Security Recipe policies the stack's zone recipe leaves out (by the policy's `friendlyName`), with the
reason. Source of the policy: OCI Security Zone Policies, "Restrict Resource Association"
(https://docs.oracle.com/iaas/security-zone/using/security-zone-policies.htm)."""


@dataclass(frozen=True)
class SecurityZonePolicy:
    """An Oracle security zone policy: its OCID and its short name (`friendlyName`, e.g. `deny public_buckets`)."""

    policy_id: str
    friendly_name: str


@dataclass(frozen=True)
class SecurityZoneRecipe:
    """A security zone recipe as the recipes invoke lists it."""

    recipe_id: str
    owner: str
    state: str
    policy_ids: tuple[str, ...]


def zone_recipe_policy_ids(recipes: Iterable[SecurityZoneRecipe], policies: Iterable[SecurityZonePolicy]) -> list[str]:
    """The Oracle-managed Maximum Security Recipe's policies without `EXCLUDED_ZONE_POLICIES`.

    ValueError unless the tenancy holds exactly one active Oracle-managed recipe (the docs: "Your tenancy has a
    predefined recipe named Maximum Security Recipe ... Oracle manages this recipe"), or when an excluded policy
    is unknown (renamed by Oracle: the exclusion would silently stop working).
    """
    oracle = [recipe for recipe in recipes if recipe.owner == "ORACLE" and recipe.state == "ACTIVE"]
    if len(oracle) != 1:
        raise ValueError(f"expected exactly one active Oracle-managed security zone recipe, found {len(oracle)}")
    by_name = {policy.friendly_name: policy.policy_id for policy in policies}
    unknown = sorted(set(EXCLUDED_ZONE_POLICIES) - set(by_name))
    if unknown:
        raise ValueError(f"no security zone policy named {unknown}; update EXCLUDED_ZONE_POLICIES")
    excluded = {by_name[name] for name in EXCLUDED_ZONE_POLICIES}
    return sorted(set(oracle[0].policy_ids) - excluded)
