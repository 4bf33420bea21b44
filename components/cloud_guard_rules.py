"""Cloud Guard customisations as data: which Oracle-managed rules the cloned recipes change, and how.

The recipes are clones of Oracle's (`source_detector_recipe_id`), so every rule Oracle ships or updates keeps
working; only the rules below are overridden. The choices follow what this stack stores (PHI):

* configuration detector: a public bucket or a publicly reachable database is CRITICAL; data encrypted with
  an Oracle-managed key instead of the Vault key, a key that is not rotated and a policy using `any-user`
  are HIGH; bucket read logging (off in Oracle's recipe) is turned on, since reads of PHI must be traceable;
* activity detector: Bastion sessions (the only admin path) are reported;
* threat detector: a rogue user is CRITICAL;
* responder: a public bucket is made private again automatically (AUTOACTION on the target).

Managed lists are attached to the rules that declare they accept that list type (`managedListTypes` of the
Oracle rule, as returned by the recipe invoke), through the rule's MULTILIST configuration, so the trusted
networks and users exempt known-good activity from alerts without hard-coding which rules take lists.
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
        "POLICY_USES_ANY_USER": RuleSetting(True, "HIGH"),
        "BUCKET_READ_LOG_ACCESS_DISABLED": RuleSetting(True, "MEDIUM"),
    },
    OracleRecipe.ACTIVITY: {
        "BASTION_SESSION_CREATED": RuleSetting(True, "MEDIUM"),
    },
    OracleRecipe.THREAT: {
        "ROGUE_USER": RuleSetting(True, "CRITICAL"),
    },
}

AUTO_REMEDIATION_RULE = "MAKE_BUCKET_PRIVATE"
"""Oracle's responder rule that sets a bucket back to NoPublicAccess."""
RESPONDER_RULES_ENABLED: Sequence[str] = (AUTO_REMEDIATION_RULE,)
AUTO_ACTION = "AUTOACTION"  # run without waiting for an operator (the default mode is USERACTION)

MULTILIST = "MULTILIST"  # data type of a rule configuration that takes a list of values (or managed lists)


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
            data_type=MULTILIST,
            values=configuration.values + tuple(("MANAGED", ref.list_type, ref.list_id) for ref in accepted),
        )
        for configuration in rule.configurations
        if configuration.data_type == MULTILIST
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


def responder_rules_to_enable(available_rule_ids: Iterable[str]) -> list[str]:
    """The responder rules the clone enables; ValueError if Oracle's recipe lacks one."""
    available = set(available_rule_ids)
    missing = [rule for rule in RESPONDER_RULES_ENABLED if rule not in available]
    if missing:
        raise ValueError(f"the Oracle-managed responder recipe has no rule(s) {missing}")
    return list(RESPONDER_RULES_ENABLED)


@dataclass(frozen=True)
class SecurityZonePolicy:
    policy_id: str
    owner: str
    state: str


def maximum_security_policy_ids(policies: Iterable[SecurityZonePolicy]) -> list[str]:
    """Oracle's maximum-security recipe: every active Oracle-managed security zone policy."""
    ids = sorted(p.policy_id for p in policies if p.owner == "ORACLE" and p.state == "ACTIVE")
    if not ids:
        raise ValueError("the security policies invoke returned no active Oracle-managed policy")
    return ids
