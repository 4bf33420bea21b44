"""Per-stack governance of the pack: enforcement levels and per-resource waivers from the stack config.

Both come from the `dicomstore:policies` section of `Pulumi.<stack>.yaml` (`components.config.schema.PoliciesConfig`):
* `enforcementLevels` become the pack's `initial_config`, which the engine applies over each policy's own
  level and under `--policy-pack-config` (pulumi/pulumi#4233); the offline replay merges them the same way;
* `waivers` wrap every policy's validator: a violation of the waived policy by the waived resource is kept
  out of the engine's results while the waiver holds, and reported again, marked expired, after its expiry
  date. The last policy of the governed pack reports every waiver that matched no violation, so a stale or
  misspelt waiver fails the run instead of silently waiving nothing.

`govern` is the one code path: `policies/__main__.py` serves its pack to `pulumi preview --policy-pack
policies` (the engine hands the pack the stack config in PULUMI_CONFIG; pulumi/pulumi#3612 and #20570), and
`offline/policy_cli.py` replays the very same wrapped policies. Under the engine a waived violation is simply
not reported (CrossGuard has no "suppressed" result); the offline reports list it with its reason and expiry
(Markdown) and as a SARIF suppression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from components.config.schema import ConfigError, ConfigProblem, PoliciesConfig, PolicyWaiver
from policies._framework import GOVERNANCE
from policies.packs import PackSpec

WAIVERS_KEY = "policies.waivers"
LEVELS_KEY = "policies.enforcementLevels"


def logical_name(urn: str) -> str:
    """A resource's logical name: the last `::` segment of its URN."""
    return urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class WaivedFinding:
    """A violation kept out of the results by a waiver that still holds."""

    policy: str
    urn: str
    message: str
    waiver: PolicyWaiver


@dataclass
class WaiverBook:
    """The stack's waivers, which of them matched a violation, and the violations they waived.

    One book per run: the engine starts the pack once per update, the offline replay builds one per replay.
    """

    waivers: tuple[PolicyWaiver, ...]
    today: date
    matched: set[int] = field(default_factory=set)
    waived: list[WaivedFinding] = field(default_factory=list)
    undecided: set[tuple[str, str]] = field(default_factory=set)
    """(policy, urn) pairs a validator could not decide: a value unknown during `pulumi preview`."""

    def _match(self, policy: str, urn: str) -> int | None:
        for index, waiver in enumerate(self.waivers):
            if waiver.policy == policy and waiver.resource in (urn, logical_name(urn)):
                return index
        return None

    def reporter(self, policy: str, report_violation: ReportViolation, resource_urn: str | None) -> ReportViolation:
        """`report_violation` with the waivers of `policy` applied; `resource_urn` is the resource a resource
        policy is validating (its violations are that resource's whatever urn the validator passes)."""

        def report(message: str, urn: str | None = None) -> None:
            target = resource_urn or urn or ""
            index = self._match(policy, target)
            if index is None:
                report_violation(message, urn)
                return
            self.matched.add(index)
            waiver = self.waivers[index]
            if waiver.expires < self.today:
                report_violation(
                    f"{message} [waiver {WAIVERS_KEY}[{index}] expired on {waiver.expires.isoformat()}: "
                    "fix the resource or renew the waiver with a new reason and expiry]",
                    urn,
                )
            else:
                self.waived.append(WaivedFinding(policy, target, message, waiver))

        return report

    def validate_unmatched(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        urns = {resource.urn for resource in args.resources}
        names = {logical_name(urn) for urn in urns}
        undecided = {(policy, name) for policy, urn in self.undecided for name in (urn, logical_name(urn))}
        for index, waiver in enumerate(self.waivers):
            if index in self.matched or (waiver.policy, waiver.resource) in undecided:
                continue
            why = (
                "the resource does not violate the policy"
                if waiver.resource in urns | names
                else "no resource of the stack has that name or URN"
            )
            report_violation(
                f"Waiver dicomstore:{WAIVERS_KEY}[{index}] (policy {waiver.policy!r}, resource {waiver.resource!r}) "
                f"matches no violation: {why}. Fix: delete the waiver from Pulumi.<stack>.yaml, or set its resource "
                "to the logical name or URN the compliance report shows for the violation.",
                None,
            )


def _governed(policy: Policy, book: WaiverBook) -> Policy:
    """A copy of `policy` whose violations go through the waiver book."""
    metadata: dict[str, Any] = {
        "name": policy.name,
        "description": policy.description,
        "enforcement_level": policy.enforcement_level,
        "config_schema": policy.config_schema,
        "display_name": policy.display_name,
        "severity": policy.severity,
        "framework": policy.framework,
        "tags": policy.tags,
        "remediation_steps": policy.remediation_steps,
        "url": policy.url,
    }
    if isinstance(policy, ResourceValidationPolicy):
        resource_policy = policy

        def validate_resource(args: ResourceValidationArgs, report_violation: ReportViolation) -> Any:
            try:
                return resource_policy.validate(args, book.reporter(resource_policy.name, report_violation, args.urn))
            except UnknownValueError:
                # The engine turns this into "can't run during preview"; the waiver is neither used nor stale.
                book.undecided.add((resource_policy.name, args.urn))
                raise

        return ResourceValidationPolicy(validate=validate_resource, **metadata)
    if isinstance(policy, StackValidationPolicy):
        stack_policy = policy

        def validate_stack(args: StackValidationArgs, report_violation: ReportViolation) -> Any:
            return stack_policy.validate(args, book.reporter(stack_policy.name, report_violation, None))

        return StackValidationPolicy(validate=validate_stack, **metadata)
    return policy


def waivers_match_policy(book: WaiverBook) -> StackValidationPolicy:
    """The governance check that runs last: every waiver matched a violation."""
    return StackValidationPolicy(
        name="governance-waivers-match-violations",
        description="Every per-resource waiver in the stack config matches a violation of its policy.",
        validate=book.validate_unmatched,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.MEDIUM,
        framework=GOVERNANCE.control("waivers", "A waiver names a policy and a resource that violates it."),
        remediation_steps="Delete waivers that no longer match, or correct their policy and resource.",
        tags=["governance"],
    )


@dataclass(frozen=True)
class GovernedPack:
    """The pack as the stack config makes it: wrapped policies, initial config (levels) and the waiver book."""

    pack: PackSpec
    initial_config: dict[str, Any]
    book: WaiverBook


def settings_problems(settings: PoliciesConfig, policy_names: Sequence[str]) -> list[ConfigProblem]:
    """Levels and waivers naming a policy the pack does not have."""
    fix = "use a policy name listed in policies/README.md"
    problems = [
        ConfigProblem(f"{LEVELS_KEY}.{name}", level, "is not a policy of the pack", fix)
        for name, level in settings.enforcement_levels.items()
        if name not in policy_names
    ]
    problems += [
        ConfigProblem(f"{WAIVERS_KEY}[{index}].policy", waiver.policy, "is not a policy of the pack", fix)
        for index, waiver in enumerate(settings.waivers)
        if waiver.policy not in policy_names
    ]
    return problems


def govern(pack: PackSpec, settings: PoliciesConfig, today: date) -> GovernedPack:
    """`pack` under the stack's policy settings; ConfigError (one line per problem) for an unknown policy."""
    problems = settings_problems(settings, [policy.name for policy in pack.policies])
    if problems:
        raise ConfigError(problems)
    book = WaiverBook(settings.waivers, today)
    policies = (*(_governed(policy, book) for policy in pack.policies), waivers_match_policy(book))
    return GovernedPack(
        pack=PackSpec(pack.name, pack.description, policies),
        initial_config={name: EnforcementLevel(level) for name, level in settings.enforcement_levels.items()},
        book=book,
    )
