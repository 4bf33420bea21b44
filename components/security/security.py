"""Security block: Vault and HSM master key, the IAM grants on them, security zone, Cloud Guard, audit,
service logging, security notifications and the Bastion.

Design choices:
* One vault (`security.vaultType`: virtual private by default, DEFAULT where its 3,900 USD a month buys
  nothing the stack needs) with one HSM-protected AES-256 master key (bucket, database, OKE secrets, boot and
  block volumes), rotated by OCI or by a scheduled key version (`components/security/kms.py`). Vault and key are
  `protect` + `retain_on_delete`: losing the key loses PHI.
* Every key of the stack is made here. With a DR region (`storage.replicationRegion`) that includes the DR
  region's own vault and HSM key (keys are regional), made through an explicit provider for that region; the
  Storage block's replica bucket and the Database block's backup copies get the provider and the key's id.
* The IAM policies that name the key and the vault are created here, right after them; `vault_key.key_id`
  is only published once the services' key grant exists, so a bucket or DB system created with the key never
  races its permission. Grants to read secrets name each secret, so they are made where the secrets exist
  (the Database block for PostgreSQL's, the store for the Orthanc runtime's). Statements come from
  `components/security/iam_statements.py` (dynamic groups; `any-user` only in OKE's documented node-pool key grant; no
  `manage all-resources`).
* Cloud Guard at tenancy level: the configuration and the target (root compartment) are the only resources
  in the tenancy root besides IAM policies (and the tenancy-wide audit setting, which OCI keeps there).
  Recipes are clones of Oracle's (found by invoke, so Oracle's rule updates keep flowing) with the
  customisations of `components/security/cloud_guard_rules.py`; they and the managed lists live in the data
  compartment with the vault. A compartment belongs to one target only: in a tenancy that already runs Cloud
  Guard (`security.cloudGuardTargetOcid`), the stack leaves the root target alone and targets its own parent
  compartment instead ("create a new OCI target from a compartment hierarchy in an existing target",
  https://docs.oracle.com/iaas/cloud-guard/using/targets.htm).
* Targets the stack cannot own get the clones by hand, listed in `recipe_attachments`: creating a security zone
  "deletes any existing Cloud Guard target for the compartment", "creates a security zone target" and "adds the
  default Oracle-managed detector recipe" (https://docs.oracle.com/iaas/security-zone/using/create-security-zone.htm),
  and pulumi-oci 5.5 has no resource that attaches a recipe to a target it did not create (the API's
  CreateTargetDetectorRecipe / CreateTargetResponderRecipe, `oci cloud-guard target-detector-recipe create`).
* Cloud Guard is administered in its reporting region and emits its events there: when that is not the
  deployment region, the Cloud Guard resources, the security topic and the Events rule use an explicit
  provider for the reporting region (credentials as the default provider's; only the region differs).
* Problems reach people through an Events rule in the parent compartment (it sees every compartment of the
  stack) that publishes to a Notifications topic with e-mail subscriptions.
* The data compartment is a security zone whose recipe holds the policies of Oracle's Maximum Security Recipe
  (read from that Oracle-managed recipe) except the one a DB system with its subnet outside the zone breaks
  (`EXCLUDED_ZONE_POLICIES`, with its reason).
* Administrative access only through the OCI Bastion service in the bastion subnet. Clients reach a Bastion
  on its public endpoint, so its allow-list is the admins' public egress CIDRs (`security.adminCidrs`; config
  refuses private ranges); with none configured there is no bastion at all. Its private endpoint takes no NSG:
  the bastion subnet's own security list lets it reach its targets (`components/network/network_rules.py`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_oci as oci

from components.config.schema import SecurityConfig
from components.identity.identity import iam_policy
from components.scope import StackScope, VaultKey
from components.security import iam_statements
from components.security.cloud_guard_rules import (
    AUTO_ACTION,
    AUTO_REMEDIATION_RULE,
    ManagedListRef,
    OracleRecipe,
    RuleOverride,
    SecurityZonePolicy,
    SecurityZoneRecipe,
    SourceConfiguration,
    SourceRecipe,
    SourceRule,
    detector_rule_overrides,
    recipes_missing,
    responder_rules_to_enable,
    zone_recipe_policy_ids,
)
from components.security.kms import MovedFrom, VaultType, hsm_master_key

BASTION_SESSION_TTL_SECONDS = 3 * 60 * 60  # admin sessions expire after three hours
CLOUD_GUARD_PROBLEM_EVENTS = (
    "com.oraclecloud.cloudguard.problemdetected",
    "com.oraclecloud.cloudguard.problemthresholdreached",
    "com.oraclecloud.cloudguard.problemremediated",
)
DETECTOR_RECIPES = {
    "configuration": OracleRecipe.CONFIGURATION,
    "activity": OracleRecipe.ACTIVITY,
    "threat": OracleRecipe.THREAT,
}


@dataclass(frozen=True)
class SecurityArgs:
    config: SecurityConfig
    """The `security` config section."""
    scope: StackScope
    """Where the stack lives: its region (Object Storage's service principal is regional), the tenancy (Cloud
    Guard configuration and target, audit retention, tenancy-wide grants), the parent compartment (home of the
    IAM policies and of the Cloud Guard events rule) and the prefix of tenancy-unique names."""
    data_compartment_id: pulumi.Input[str]
    """Data compartment: vault, key, logs, topic, Cloud Guard recipes and lists; the security zone."""
    app_compartment_id: pulumi.Input[str]
    """App compartment: the Bastion."""
    bastion_subnet_id: pulumi.Input[str]
    """The bastion tier's subnet."""
    on_prem_cidrs: Sequence[str]
    """The hospital's networks (`network.onPremCidrs`): a Cloud Guard managed list of trusted sources."""
    postgresql_dynamic_group_name: pulumi.Input[str]
    """Dynamic group of the PostgreSQL DB systems."""
    oke_cluster_dynamic_group_name: pulumi.Input[str] | None
    """Dynamic group of the OKE clusters, None without OKE."""
    certificate_authority_dynamic_group_name: pulumi.Input[str] | None
    """Dynamic group of the load balancer's private CA, None when the certificate comes from config."""
    dr_region: str | None = None
    """The DR region (`storage.replicationRegion`): it gets a vault and master key of its own (keys are
    regional), which the Storage block's replica bucket and the Database block's backup copies use."""
    dr_key_moved_from: MovedFrom | None = None
    """Where the DR vault and key were declared before the Security block owned them (aliases keep them)."""


DR_VAULT_TYPE: VaultType = "DEFAULT"
"""The DR key's vault: a default vault with an HSM key rotated by scheduled key versions adds a few key
versions a year; a second virtual private vault (or a replica of the primary's) bills a whole partition for a
key that only wraps the replica's object keys (README, "Cost")."""


def _configuration(item: Any) -> SourceConfiguration:
    return SourceConfiguration(
        config_key=item.config_key,
        name=item.name,
        data_type=item.data_type,
        values=tuple(
            ("MANAGED" if value.managed_list_type else "CUSTOM", value.managed_list_type or "", value.value)
            for value in item.values or ()
        ),
    )


def _source_rule(rule: Any) -> SourceRule:
    details = rule.details[0]
    return SourceRule(
        rule_id=rule.detector_rule_id,
        enabled=details.is_enabled,
        risk_level=details.risk_level,
        managed_list_types=tuple(rule.managed_list_types or ()),
        configurations=tuple(_configuration(item) for item in details.configurations or ()),
    )


def _oracle_item(collections: Any, what: str) -> Any:
    items = [item for collection in collections or () for item in collection.items if item.owner == "ORACLE"]
    if len(items) != 1:
        raise ValueError(f"expected exactly one Oracle-managed {what}, found {len(items)}")
    return items[0]


# Invoke results are converted to plain data at once: their output types are dicts whose `values` attribute
# shadows dict.values, which breaks Output.from_input if one is passed on inside an Output.
def _detector_source(result: Any, recipe: OracleRecipe) -> SourceRecipe:
    item = _oracle_item(result.detector_recipe_collections, recipe.value)
    return SourceRecipe(str(item.id), tuple(_source_rule(rule) for rule in item.detector_rules))


def _responder_source(result: Any) -> SourceRecipe:
    item = _oracle_item(result.responder_recipe_collections, OracleRecipe.RESPONDER.value)
    rules = (SourceRule(rule.responder_rule_id, rule.details[0].is_enabled, "") for rule in item.responder_rules)
    return SourceRecipe(str(item.id), tuple(rules))


def _rule_args(override: RuleOverride) -> oci.cloudguard.DetectorRecipeDetectorRuleArgs:
    return oci.cloudguard.DetectorRecipeDetectorRuleArgs(
        detector_rule_id=override.rule_id,
        details=oci.cloudguard.DetectorRecipeDetectorRuleDetailsArgs(
            is_enabled=override.enabled,
            risk_level=override.risk_level,
            configurations=[
                oci.cloudguard.DetectorRecipeDetectorRuleDetailsConfigurationArgs(
                    config_key=configuration.config_key,
                    name=configuration.name,
                    data_type=configuration.data_type,
                    values=[
                        oci.cloudguard.DetectorRecipeDetectorRuleDetailsConfigurationValueArgs(
                            list_type=list_type, managed_list_type=managed_list_type, value=value
                        )
                        for list_type, managed_list_type, value in configuration.values
                    ],
                )
                for configuration in override.configurations
            ],
        ),
    )


def _detector_rules(
    recipe: OracleRecipe, source: SourceRecipe, lists: Sequence[ManagedListRef]
) -> list[oci.cloudguard.DetectorRecipeDetectorRuleArgs]:
    """The clone's rule overrides from the Oracle recipe and the managed lists."""
    return [_rule_args(override) for override in detector_rule_overrides(recipe, source.rules, lists)]


def _zone_recipes(result: Any) -> list[SecurityZoneRecipe]:
    return [
        SecurityZoneRecipe(str(item.id), item.owner, item.state, tuple(item.security_policies or ()))
        for collection in result.security_recipe_collections or ()
        for item in collection.items
    ]


def _zone_policies(result: Any) -> list[SecurityZonePolicy]:
    return [
        SecurityZonePolicy(str(item.id), item.friendly_name)
        for collection in result.security_policy_collections or ()
        for item in collection.items
    ]


def _attached_recipe_ids(target: Any) -> list[str]:
    """The detector and responder recipe OCIDs attached to a target (the `get_guard_target` invoke)."""
    return [str(recipe.detector_recipe_id) for recipe in target.target_detector_recipes or ()] + [
        str(recipe.responder_recipe_id) for recipe in target.target_responder_recipes or ()
    ]


@dataclass(frozen=True)
class CloudGuardRecipes:
    """The stack's cloned recipes, to attach to every target covering its compartments."""

    detectors: list[oci.cloudguard.DetectorRecipe]
    responder: oci.cloudguard.ResponderRecipe


def bastion_name(name_prefix: str) -> str:
    """Bastion names allow letters and digits only."""
    return re.sub(r"[^A-Za-z0-9]", "", f"{name_prefix}bastion")


class Security(pulumi.ComponentResource):
    """Keys, grants, detection and response, audit and admin access of the DICOM store."""

    vault_key: VaultKey
    """The stack's vault and its HSM master key; the key's id is published only once the key grant exists."""
    vault_management_endpoint: pulumi.Output[str]
    log_group_id: pulumi.Output[str]
    notification_topic_id: pulumi.Output[str]
    security_zone_id: pulumi.Output[str] | None
    cloud_guard_target_id: pulumi.Output[str] | None
    recipe_attachments: pulumi.Output[list[dict[str, Any]]]
    """Targets the stack cannot attach its recipes to, with the recipes an operator attaches (README)."""
    bastion_id: pulumi.Output[str] | None

    dr_provider: oci.Provider | None
    """The DR region's provider (credentials as the default provider's; only the region differs)."""
    dr_key_id: pulumi.Output[str] | None
    """The DR region's HSM master key (the replica bucket's and the backup copies' key)."""

    def __init__(self, name: str, args: SecurityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:security:Security", name, None, opts)
        self._name, self._args = name, args
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        # Vault and key outlive a destroy: data encrypted with the key is unreadable without it.
        master = hsm_master_key(
            name,
            compartment_id=args.data_compartment_id,
            display_name=args.scope.name_prefix,
            rotation_days=config.key_rotation_days,
            vault_type=config.vault_type,
            opts=child,
        )
        vault, key = master.vault, master.key
        key_use = self._policy(
            "key-use",
            "DICOM store: services and service principals that encrypt with the master key",
            args.scope.parent_compartment_id,
            pulumi.Output.all(
                args.data_compartment_id,
                key.id,
                args.postgresql_dynamic_group_name,
                args.oke_cluster_dynamic_group_name,
            ).apply(
                lambda v: iam_statements.key_use_statements(
                    iam_statements.KeyGrantees(args.scope.region, v[2], v[3]), v[0], v[1]
                )
            ),
        )
        self.vault_management_endpoint = vault.management_endpoint
        if args.certificate_authority_dynamic_group_name is not None:
            ca_key_use = self._policy(
                "certificate-authority",
                "DICOM store: the load balancer's private CA signs with its key in the vault",
                args.scope.parent_compartment_id,
                pulumi.Output.all(
                    args.certificate_authority_dynamic_group_name, args.app_compartment_id, vault.id
                ).apply(lambda v: iam_statements.certificate_authority_statements(v[0], v[1], v[2])),
            )
            # The CA is created from this endpoint: publishing it after the grant orders the CA after it.
            self.vault_management_endpoint = pulumi.Output.all(vault.management_endpoint, ca_key_use.id).apply(
                lambda v: str(v[0])
            )
        # The key id is published only once the key grant exists (the Output carries the policy as a dependency).
        self.vault_key = VaultKey(vault.id, pulumi.Output.all(key.id, key_use.id).apply(lambda v: str(v[0])))
        self.dr_provider, self.dr_key_id = self._dr_key(args.dr_region) if args.dr_region else (None, None)

        self.log_group_id = oci.logging.LogGroup(
            f"{name}-service-logs",
            compartment_id=args.data_compartment_id,
            display_name=f"{args.scope.name_prefix}-service-logs",
            description="DICOM store service logs: bucket access, load balancers, containers",
            opts=child,
        ).id
        oci.audit.Configuration(
            f"{name}-audit",
            compartment_id=args.scope.tenancy_id,
            retention_period_days=config.audit_retention_days,
            opts=child,
        )
        # Cloud Guard is administered, and emits its events, in its reporting region.
        self._reporting_region = (
            oci.Provider(f"{name}-reporting-region", region=config.cloud_guard_reporting_region, opts=child)
            if config.cloud_guard_enabled and config.cloud_guard_reporting_region not in (None, args.scope.region)
            else None
        )
        self.notification_topic_id = self._notifications()
        configuration = self._cloud_guard_configuration()
        recipes = self._cloud_guard_recipes(configuration) if configuration else None
        self.cloud_guard_target_id = self._cloud_guard_target(recipes) if recipes else None
        zone = self._security_zone(configuration) if config.security_zone_enabled else None
        self.security_zone_id = zone.id if zone else None
        self.recipe_attachments = self._recipe_attachments(recipes, zone)
        self.bastion_id = (
            oci.bastion.Bastion(
                f"{name}-bastion",
                bastion_type="STANDARD",
                compartment_id=args.app_compartment_id,
                target_subnet_id=args.bastion_subnet_id,
                client_cidr_block_allow_lists=list(config.admin_cidrs),
                max_session_ttl_in_seconds=BASTION_SESSION_TTL_SECONDS,
                name=bastion_name(args.scope.name_prefix),
                opts=child,
            ).id
            if config.admin_cidrs
            else None
        )
        self.register_outputs(
            {
                "vault_id": self.vault_key.vault_id,
                "vault_management_endpoint": self.vault_management_endpoint,
                "master_key_id": self.vault_key.key_id,
                "log_group_id": self.log_group_id,
                "notification_topic_id": self.notification_topic_id,
                "security_zone_id": self.security_zone_id,
                "cloud_guard_target_id": self.cloud_guard_target_id,
                "recipe_attachments": self.recipe_attachments,
                "bastion_id": self.bastion_id,
                "dr_key_id": self.dr_key_id,
            }
        )

    def _dr_key(self, region: str) -> tuple[oci.Provider, pulumi.Output[str]]:
        """A provider for the DR region and an HSM master key there, in the data compartment like the
        primary's; it rotates on the primary's schedule."""
        args, moved_from = self._args, self._args.dr_key_moved_from
        provider = oci.Provider(
            f"{self._name}-dr-provider",
            region=region,
            opts=pulumi.ResourceOptions(parent=self, aliases=[moved_from.alias("-provider")] if moved_from else None),
        )
        dr = hsm_master_key(
            f"{self._name}-dr",
            compartment_id=args.data_compartment_id,
            display_name=f"{args.scope.name_prefix}-dr",
            rotation_days=args.config.key_rotation_days,
            vault_type=DR_VAULT_TYPE,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
            moved_from=moved_from,
        )
        return provider, dr.key.id

    def _in_reporting_region(
        self, parent: pulumi.Resource | None = None, depends_on: Sequence[pulumi.Resource] = ()
    ) -> pulumi.ResourceOptions:
        """Options of a Cloud Guard (or Cloud Guard events) resource: the reporting region's provider, if any."""
        return pulumi.ResourceOptions(
            parent=parent or self, provider=self._reporting_region, depends_on=list(depends_on)
        )

    def _policy(
        self, role: str, description: str, compartment_id: pulumi.Input[str], statements: pulumi.Input[list[str]]
    ) -> oci.identity.Policy:
        """A policy of the block; below its attachment lie the stack's app and data compartments it names."""
        return iam_policy(
            f"{self._name}-{role}-policy",
            compartment_id=compartment_id,
            name=f"{self._args.scope.name_prefix}-{role}",
            description=description,
            statements=statements,
            descendants=[self._args.app_compartment_id, self._args.data_compartment_id],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _notifications(self) -> pulumi.Output[str]:
        """The security topic, its e-mail subscriptions and the Events rule feeding it Cloud Guard problems."""
        name, args = self._name, self._args
        topic = oci.ons.NotificationTopic(
            f"{name}-security-topic",
            compartment_id=args.data_compartment_id,
            name=f"{args.scope.name_prefix}-security-alerts",
            description="DICOM store: Cloud Guard problems and security alerts",
            opts=self._in_reporting_region(),
        )
        for index, email in enumerate(args.config.notification_emails):
            oci.ons.Subscription(
                f"{name}-security-email-{index}",
                compartment_id=args.data_compartment_id,
                topic_id=topic.id,
                protocol="EMAIL",
                endpoint=email,
                opts=self._in_reporting_region(parent=topic),
            )
        if args.config.cloud_guard_enabled:
            events_grant = self._policy(
                "security-events",
                "DICOM store: the Events service publishes security events to the topic",
                args.scope.parent_compartment_id,
                pulumi.Output.from_input(args.data_compartment_id).apply(iam_statements.notification_statements),
            )
            oci.events.Rule(
                f"{name}-cloud-guard-problems",
                compartment_id=args.scope.parent_compartment_id,
                display_name=f"{args.scope.name_prefix}-cloud-guard-problems",
                description="Cloud Guard problems of the DICOM store's compartments to the security topic",
                is_enabled=True,
                condition=json.dumps({"eventType": list(CLOUD_GUARD_PROBLEM_EVENTS)}),
                actions=oci.events.RuleActionsArgs(
                    action=[oci.events.RuleActionsActionArgs(action_type="ONS", is_enabled=True, topic_id=topic.id)]
                ),
                opts=self._in_reporting_region(depends_on=[events_grant]),
            )
        return topic.id

    def _cloud_guard_configuration(self) -> oci.cloudguard.CloudGuardConfiguration | None:
        config, args = self._args.config, self._args
        if not config.cloud_guard_enabled:
            return None
        return oci.cloudguard.CloudGuardConfiguration(
            f"{self._name}-cloud-guard",
            compartment_id=args.scope.tenancy_id,
            reporting_region=config.cloud_guard_reporting_region,
            status="ENABLED",
            # False: Oracle creates and maintains the IAM policies Cloud Guard itself needs.
            self_manage_resources=False,
            opts=self._in_reporting_region(),
        )

    def _managed_lists(self) -> list[tuple[str, oci.cloudguard.ManagedList]]:
        args, name = self._args, self._name
        wanted = [
            ("on-prem-cidrs", "CIDR_BLOCK", list(args.on_prem_cidrs), "The hospital's networks"),
            ("admin-cidrs", "CIDR_BLOCK", list(args.config.admin_cidrs), "Administrators' networks (Bastion)"),
            ("trusted-users", "USERS", list(args.config.trusted_user_ocids), "Trusted (break-glass) users"),
        ]
        return [
            (
                list_type,
                oci.cloudguard.ManagedList(
                    f"{name}-{role}",
                    compartment_id=args.data_compartment_id,
                    display_name=f"{args.scope.name_prefix}-{role}",
                    description=f"DICOM store: {description}",
                    list_type=list_type,
                    list_items=items,
                    opts=self._in_reporting_region(),
                ),
            )
            for role, list_type, items, description in wanted
            if items
        ]

    def _detector_clone(
        self,
        kind: str,
        recipe: OracleRecipe,
        lists: pulumi.Output[list[ManagedListRef]],
        invoke_opts: pulumi.InvokeOutputOptions,
    ) -> oci.cloudguard.DetectorRecipe:
        """A clone of one Oracle detector recipe with the customised rules and the managed lists attached."""
        args = self._args
        source = oci.cloudguard.get_detector_recipes_output(
            compartment_id=args.scope.tenancy_id, display_name=recipe.value, opts=invoke_opts
        ).apply(lambda result: _detector_source(result, recipe))
        return oci.cloudguard.DetectorRecipe(
            f"{self._name}-{kind}-detector-recipe",
            compartment_id=args.data_compartment_id,
            display_name=f"{args.scope.name_prefix}-{kind}-detector",
            description=f"DICOM store: clone of the {recipe.value} with PHI-specific rule settings",
            source_detector_recipe_id=source.apply(lambda recipe_source: recipe_source.recipe_id),
            detector_rules=pulumi.Output.all(source, lists).apply(lambda v: _detector_rules(recipe, v[0], v[1])),
            opts=self._in_reporting_region(),
        )

    def _cloud_guard_recipes(self, configuration: oci.cloudguard.CloudGuardConfiguration) -> CloudGuardRecipes:
        """Cloned detector recipes with the managed lists, the cloned responder recipe and its IAM grant."""
        name, args = self._name, self._args
        # Oracle's recipes appear once Cloud Guard is enabled.
        invoke_opts = pulumi.InvokeOutputOptions(depends_on=[configuration], provider=self._reporting_region)
        lists = self._managed_lists()
        list_refs = pulumi.Output.all(*(managed.id for _, managed in lists)).apply(
            lambda ids: [
                ManagedListRef(list_type, str(list_id)) for (list_type, _), list_id in zip(lists, ids, strict=True)
            ]
        )
        detectors = [
            self._detector_clone(kind, recipe, list_refs, invoke_opts) for kind, recipe in DETECTOR_RECIPES.items()
        ]
        responder_source = oci.cloudguard.get_responder_recipes_output(
            compartment_id=args.scope.tenancy_id, display_name=OracleRecipe.RESPONDER.value, opts=invoke_opts
        ).apply(_responder_source)
        responder = oci.cloudguard.ResponderRecipe(
            f"{name}-responder-recipe",
            compartment_id=args.data_compartment_id,
            display_name=f"{args.scope.name_prefix}-responder",
            description="DICOM store: clone of the OCI Responder Recipe; public buckets are made private",
            source_responder_recipe_id=responder_source.apply(lambda recipe_source: recipe_source.recipe_id),
            responder_rules=responder_source.apply(
                lambda item: [
                    oci.cloudguard.ResponderRecipeResponderRuleArgs(
                        responder_rule_id=rule_id,
                        details=oci.cloudguard.ResponderRecipeResponderRuleDetailsArgs(is_enabled=True),
                    )
                    for rule_id in responder_rules_to_enable(rule.rule_id for rule in item.rules)
                ]
            ),
            opts=self._in_reporting_region(),
        )
        self._policy(
            "cloud-guard-responder",
            "DICOM store: Cloud Guard may make a public bucket private again",
            args.scope.tenancy_id,
            iam_statements.responder_statements(),
        )
        return CloudGuardRecipes(detectors, responder)

    def _adopted_root_target(self) -> str | None:
        """The tenancy's existing root target when the stack's parent is the root itself: no second target fits
        there, so the clones go to that target by hand."""
        adopted, scope = self._args.config.cloud_guard_target_ocid, self._args.scope
        return adopted if adopted is not None and scope.parent_compartment_id == scope.tenancy_id else None

    def _cloud_guard_target(self, recipes: CloudGuardRecipes) -> pulumi.Output[str]:
        """The target that carries the clones: the root compartment, or the stack's parent compartment when the
        tenancy already has its root target (adopted, never modified)."""
        args = self._args
        adopted_root = self._adopted_root_target()
        if adopted_root is not None:
            return pulumi.Output.from_input(adopted_root)
        adopted = args.config.cloud_guard_target_ocid
        covered, role, what = (
            (args.scope.tenancy_id, "tenancy", "the whole tenancy")
            if adopted is None
            else (
                args.scope.parent_compartment_id,
                "stack",
                "the stack's compartments (the root target is the tenancy's)",
            )
        )
        return oci.cloudguard.Target(
            f"{self._name}-cloud-guard-target",
            compartment_id=covered,
            display_name=f"{args.scope.name_prefix}-{role}",
            description=f"DICOM store: Cloud Guard on {what} with the cloned recipes",
            target_resource_id=covered,
            target_resource_type="COMPARTMENT",
            state="ACTIVE",
            target_detector_recipes=[
                oci.cloudguard.TargetTargetDetectorRecipeArgs(detector_recipe_id=detector.id)
                for detector in recipes.detectors
            ],
            target_responder_recipes=[
                oci.cloudguard.TargetTargetResponderRecipeArgs(
                    responder_recipe_id=recipes.responder.id,
                    responder_rules=[
                        oci.cloudguard.TargetTargetResponderRecipeResponderRuleArgs(
                            responder_rule_id=AUTO_REMEDIATION_RULE,
                            details=oci.cloudguard.TargetTargetResponderRecipeResponderRuleDetailsArgs(
                                mode=AUTO_ACTION
                            ),
                        )
                    ],
                )
            ],
            opts=self._in_reporting_region(),
        ).id

    def _recipe_attachments(
        self, recipes: CloudGuardRecipes | None, zone: oci.cloudguard.SecurityZone | None
    ) -> pulumi.Output[list[dict[str, Any]]]:
        """Targets covering the stack's compartments that pulumi-oci 5.5 cannot give the clones: each with the
        recipe OCIDs to attach (README, "Cloud Guard targets") and those still missing, read from the target on
        every `pulumi up`, which warns while any is missing."""
        if recipes is None:
            return pulumi.Output.from_input([])
        pending: list[tuple[pulumi.Input[str], str]] = []
        adopted = self._adopted_root_target()
        if adopted is not None:
            pending.append((adopted, "the tenancy's root target (security.cloudGuardTargetOcid)"))
        if zone is not None:
            pending.append(
                (zone.security_zone_target_id, "the data compartment's security zone target (Oracle's default recipes)")
            )
        target_ids = [pulumi.Output.from_input(target) for target, _ in pending]
        attached = [
            oci.cloudguard.get_guard_target_output(
                target_id=target_id, opts=pulumi.InvokeOutputOptions(provider=self._reporting_region)
            ).apply(_attached_recipe_ids)
            for target_id in target_ids
        ]
        return pulumi.Output.all(
            target_ids, attached, [detector.id for detector in recipes.detectors], recipes.responder.id
        ).apply(lambda v: self._attachment_status([what for _, what in pending], v[0], v[1], v[2], v[3]))

    def _attachment_status(
        self,
        targets: list[str],
        target_ids: list[str],
        attached: list[list[str]],
        detector_ids: list[str],
        responder_id: str,
    ) -> list[dict[str, Any]]:
        status = [
            {
                "target": what,
                "targetId": target_id,
                "detectorRecipeIds": detector_ids,
                "responderRecipeId": responder_id,
                "autoActionResponderRules": [AUTO_REMEDIATION_RULE],
                "missingRecipeIds": recipes_missing(present, [*detector_ids, responder_id]),
            }
            for what, target_id, present in zip(targets, target_ids, attached, strict=True)
        ]
        for entry in status:
            if entry["missingRecipeIds"]:
                pulumi.log.warn(
                    f"Cloud Guard: {entry['target']} {entry['targetId']} lacks the stack's recipes "
                    f"{entry['missingRecipeIds']}; attach them as the README's 'Cloud Guard targets' section says",
                    resource=self,
                )
        return status

    def _security_zone(
        self, configuration: oci.cloudguard.CloudGuardConfiguration | None
    ) -> oci.cloudguard.SecurityZone:
        """The data compartment as a security zone with the Maximum Security Recipe's policies (bar exclusions)."""
        name, args = self._name, self._args
        # Security zones are a Cloud Guard feature: wait for Cloud Guard when this stack enables it.
        after_cloud_guard = [configuration] if configuration else []
        invoke_opts = pulumi.InvokeOutputOptions(depends_on=after_cloud_guard, provider=self._reporting_region)
        oracle_recipes = oci.cloudguard.get_security_recipes_output(
            compartment_id=args.scope.tenancy_id, opts=invoke_opts
        ).apply(_zone_recipes)
        policies = oci.cloudguard.get_security_policies_output(
            compartment_id=args.scope.tenancy_id, opts=invoke_opts
        ).apply(_zone_policies)
        recipe = oci.cloudguard.SecurityRecipe(
            f"{name}-security-recipe",
            compartment_id=args.data_compartment_id,
            display_name=f"{args.scope.name_prefix}-maximum-security",
            description="DICOM store: Oracle's Maximum Security Recipe policies (DB subnet association excepted)",
            security_policies=pulumi.Output.all(oracle_recipes, policies).apply(
                lambda v: zone_recipe_policy_ids(v[0], v[1])
            ),
            opts=self._in_reporting_region(),
        )
        return oci.cloudguard.SecurityZone(
            f"{name}-data-security-zone",
            compartment_id=args.data_compartment_id,
            display_name=f"{args.scope.name_prefix}-data",
            description="DICOM store: the PHI compartment (bucket, database, vault)",
            security_zone_recipe_id=recipe.id,
            opts=self._in_reporting_region(depends_on=after_cloud_guard),
        )
