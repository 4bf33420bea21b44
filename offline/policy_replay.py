"""Replay recorded resources through the policy packs, the way the Pulumi engine would.

The engine hands a policy pack each resource's properties as a protobuf `Struct` (so every number is a
float), unwraps secrets (`pulumi_policy.deserialize.deserialize_properties`), wraps the result in
`pulumi_policy.proxy.unknown_checking_proxy` and calls the validators with `ResourceValidationArgs`
(`Analyze`) or, once for the whole stack, `StackValidationArgs` built from `PolicyResource`s whose parent
and dependencies point at each other (`AnalyzeStack`). This module is the one place that imitates that glue
(`engine_props`, `resource_args`, `stack_resources`); it touches non-public helpers of pulumi-policy,
which is why pulumi-policy is pinned (1.21.0) and the glue is tested.

Per-policy configuration follows the policy-pack config file format: `{policy-name: {"enforcementLevel":
..., <setting>: ...}}` or `{policy-name: "<level>"}`, with `"all"` setting the level of every policy.
Settings missing from the config take the `default` of the policy's config schema, as the CLI does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from offline.records import ResourceRecord
from policies._framework import RecordedResourceOptions
from policies.packs import PackSpec


@dataclass(frozen=True)
class PolicyResult:
    """One policy violation, in the JSON plan's `policies.results[]` shape."""

    pack: str
    policy: str
    framework: str
    severity: str
    enforcement: str
    urn: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement == EnforcementLevel.MANDATORY.value

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def engine_props(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    """A resource's inputs as a policy sees them under the engine (floats, unwrapped secrets, proxy)."""
    struct = struct_pb2.Struct()
    struct.update(dict(inputs))
    deserialized: dict[str, Any] = deserialize_properties(json_format.MessageToDict(struct))
    proxied: Mapping[str, Any] = unknown_checking_proxy(deserialized)
    return proxied


def _options(record: ResourceRecord) -> RecordedResourceOptions:
    return RecordedResourceOptions(
        protect=record.protect, retain_on_delete=record.retain_on_delete, parent=record.parent or None
    )


def resource_args(record: ResourceRecord, config: Mapping[str, Any]) -> ResourceValidationArgs:
    """The `ResourceValidationArgs` the engine builds for one resource and one policy."""
    return ResourceValidationArgs(
        record.type, engine_props(record.inputs), record.urn, record.name, _options(record), None, dict(config)
    )


def stack_resources(records: Sequence[ResourceRecord]) -> list[PolicyResource]:
    """The stack's `PolicyResource`s with parent and dependencies linked to each other, as in AnalyzeStack."""
    by_urn = {
        record.urn: PolicyResource(
            record.type, engine_props(record.inputs), record.urn, record.name, _options(record), None, None, [], {}
        )
        for record in records
    }
    for record in records:
        resource = by_urn[record.urn]
        resource.parent = by_urn.get(record.parent)
        resource.dependencies = [by_urn[urn] for urn in record.dependencies if urn in by_urn]
    return list(by_urn.values())


def merge_policy_configs(*configs: Mapping[str, Any]) -> dict[str, Any]:
    """Policy-pack configs merged per policy, later ones winning key by key (as the engine layers the pack's
    initial config, then `--policy-pack-config`); a bare level `"mandatory"` is `{"enforcementLevel": ...}`."""
    merged: dict[str, dict[str, Any]] = {}
    for config in configs:
        for name, entry in config.items():
            values = dict(entry) if isinstance(entry, Mapping) else {"enforcementLevel": entry}
            merged.setdefault(name, {}).update(values)
    return dict(merged)


def policy_settings(policy: Policy, config: Mapping[str, Any] | None) -> tuple[EnforcementLevel, dict[str, Any]]:
    """The enforcement level and settings a policy runs with: schema defaults, then the config file."""
    config = config or {}
    settings: dict[str, Any] = {}
    if policy.config_schema is not None:
        settings = {
            key: schema["default"] for key, schema in policy.config_schema.properties.items() if "default" in schema
        }
    level = policy.enforcement_level or EnforcementLevel.ADVISORY
    for key in ("all", policy.name):
        entry = config.get(key)
        if isinstance(entry, str | EnforcementLevel):
            level = EnforcementLevel(entry)
        elif isinstance(entry, Mapping):
            if "enforcementLevel" in entry:
                level = EnforcementLevel(entry["enforcementLevel"])
            if key == policy.name:
                settings.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
    return level, settings


def effective_levels(packs: Sequence[PackSpec], config: Mapping[str, Any] | None) -> dict[str, str]:
    """The enforcement level each policy runs with under `config` (what the reports show)."""
    return {policy.name: policy_settings(policy, config)[0].value for pack in packs for policy in pack.policies}


def _violations(validate: Any, args: Any) -> list[tuple[str, str | None, EnforcementLevel | None]]:
    """Run one validation and collect (message, urn, level override) for each violation it reports.

    A validation that touches an unknown value is reported the way the engine does during preview: one
    advisory "can't run" result instead of the policy's findings.
    """
    found: list[tuple[str, str | None, EnforcementLevel | None]] = []

    def report_violation(message: str, urn: str | None = None) -> None:
        found.append((message, urn, None))

    try:
        result = validate(args, report_violation)
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(result)
            finally:
                loop.close()
    except UnknownValueError as error:
        return [(f"can't run policy during preview: {error.message}", None, EnforcementLevel.ADVISORY)]
    except _NotApplicableError:
        return []
    return found


def replay(
    records: Sequence[ResourceRecord], packs: Sequence[PackSpec], config: Mapping[str, Any] | None = None
) -> list[PolicyResult]:
    """Every violation of every enabled policy of `packs` on `records`, in pack and policy order."""
    results: list[PolicyResult] = []
    resources = stack_resources(records)
    for pack in packs:
        for policy in pack.policies:
            level, settings = policy_settings(policy, config)
            if level is EnforcementLevel.DISABLED:
                continue
            if level is EnforcementLevel.REMEDIATE:  # a violation left after remediation blocks, as in the engine
                level = EnforcementLevel.MANDATORY
            found: list[tuple[str, str | None, EnforcementLevel | None]] = []
            if isinstance(policy, ResourceValidationPolicy):
                for record in records:
                    # The engine ignores a resource policy's urn argument: a violation is the resource's.
                    found.extend(
                        (message, record.urn, override)
                        for message, _, override in _violations(policy.validate, resource_args(record, settings))
                    )
            elif isinstance(policy, StackValidationPolicy):
                found = _violations(policy.validate, StackValidationArgs(resources, settings))
            results.extend(
                PolicyResult(
                    pack=pack.name,
                    policy=policy.name,
                    framework=policy.framework.name if policy.framework and policy.framework.name else "",
                    severity=policy.severity.value if policy.severity else "",
                    enforcement=(override or level).value,
                    urn=urn or "",
                    message=message,
                )
                for message, urn, override in found
            )
    return results


def has_mandatory_violation(results: Sequence[PolicyResult]) -> bool:
    """True if any result blocks a deployment (exit code 1 of the offline plan and check)."""
    return any(result.mandatory for result in results)
