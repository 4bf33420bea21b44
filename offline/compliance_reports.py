"""Compliance reports of a policy replay: console text, Markdown for reviewers, SARIF 2.1.0 for code scanning.

All three list every control of every pack, not only the failing ones, because a reviewer signs off on
"these controls were checked and passed" as much as on the findings:
* text: grouped by framework, one line per failing control with each finding indented under it;
* Markdown: a summary per framework, then one table row per control (status PASS/FAIL and the resources),
  then the findings with their full messages and the remediation steps;
* SARIF: one rule per policy (id = policy name), one result per finding. A resource has no source line
  (it comes from the program plus `Pulumi.<stack>.yaml`), so each result's physical location is the stack's
  config file and its logical location is the resource URN.

Each control shows the enforcement level it ran with (the policy's own, or the stack's / policy config's
override). Violations waived in `dicomstore:policies.waivers` are listed with their reason and expiry
(Markdown) and become SARIF results with an accepted external suppression, so code scanning shows them as
dismissed rather than losing them.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from offline.policy_replay import PolicyResult
from policies.governance import WaivedFinding
from policies.packs import PackSpec

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "dicomstore-policies"
# GitHub code scanning ranks findings by this numeric score (CVSS-like, 0.0-10.0).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


@dataclass(frozen=True)
class Control:
    """One policy as a reviewer sees it, with the findings it produced."""

    pack: str
    policy: Policy
    results: tuple[PolicyResult, ...]
    level: str
    """The enforcement level the policy ran with."""
    waived: tuple[WaivedFinding, ...] = ()

    @property
    def framework(self) -> str:
        framework = self.policy.framework
        return f"{framework.name} {framework.version}" if framework and framework.name else "Other"

    @property
    def reference(self) -> str:
        return (self.policy.framework.reference if self.policy.framework else None) or ""

    @property
    def enforcement(self) -> str:
        return self.level

    @property
    def severity(self) -> str:
        return self.policy.severity.value if self.policy.severity else ""

    @property
    def status(self) -> str:
        if self.results:
            return "FAIL"
        if self.level == EnforcementLevel.DISABLED.value:
            return "DISABLED"
        return "WAIVED" if self.waived else "PASS"


def controls(
    packs: Sequence[PackSpec],
    results: Sequence[PolicyResult],
    levels: Mapping[str, str] | None = None,
    waived: Sequence[WaivedFinding] = (),
) -> list[Control]:
    """Every policy of `packs` with its findings, waived findings and level, in pack order."""
    found: dict[tuple[str, str], list[PolicyResult]] = defaultdict(list)
    for result in results:
        found[(result.pack, result.policy)].append(result)
    waived_by_policy: dict[str, list[WaivedFinding]] = defaultdict(list)
    for finding in waived:
        waived_by_policy[finding.policy].append(finding)
    levels = levels or {}
    return [
        Control(
            pack.name,
            policy,
            tuple(found[(pack.name, policy.name)]),
            levels.get(policy.name, (policy.enforcement_level or EnforcementLevel.ADVISORY).value),
            tuple(waived_by_policy[policy.name]),
        )
        for pack in packs
        for policy in pack.policies
    ]


def by_framework(items: Sequence[Control]) -> dict[str, list[Control]]:
    grouped: dict[str, list[Control]] = defaultdict(list)
    for control in items:
        grouped[control.framework].append(control)
    return dict(grouped)


def resource_label(urn: str) -> str:
    """A short resource name for tables: the URN's last segment, or `(stack)` for stack-wide findings."""
    return urn.rsplit("::", 1)[-1] if urn else "(stack)"


def _counts(items: Sequence[Control]) -> str:
    failed = [c for c in items if c.results]
    blocking = sum(1 for c in failed if any(r.mandatory for r in c.results))
    return f"{len(items) - len(failed)}/{len(items)} passed, {len(failed)} failed ({blocking} mandatory)"


def render_text(
    packs: Sequence[PackSpec],
    results: Sequence[PolicyResult],
    *,
    levels: Mapping[str, str] | None = None,
    waived: Sequence[WaivedFinding] = (),
) -> str:
    """The console policy report, grouped by framework."""
    lines = [f"Policy report ({', '.join(pack.name for pack in packs)})"]
    for framework, items in by_framework(controls(packs, results, levels, waived)).items():
        lines.append(f"\n{framework}: {_counts(items)}")
        for control in items:
            if not control.results:
                continue
            lines.append(f"  FAIL {control.policy.name} [{control.reference}]")
            for result in control.results:
                lines.append(f"    {result.enforcement.upper():<9} {resource_label(result.urn)}: {result.message}")
    for finding in waived:
        lines.append(
            f"  WAIVED {finding.policy} on {resource_label(finding.urn)} until {finding.waiver.expires.isoformat()}: "
            f"{finding.waiver.reason}"
        )
    blocking = sum(1 for result in results if result.mandatory)
    verdict = f"{blocking} mandatory violation(s): deployment blocked" if blocking else "no mandatory violation"
    advisory = len(results) - blocking
    lines.append(f"\nPolicies: {verdict}; {advisory} advisory finding(s); {len(waived)} waived.")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(
    packs: Sequence[PackSpec],
    results: Sequence[PolicyResult],
    *,
    project: str,
    stack: str,
    levels: Mapping[str, str] | None = None,
    waived: Sequence[WaivedFinding] = (),
) -> str:
    """The compliance report a reviewer reads: one row per control, then the findings and the waivers."""
    items = controls(packs, results, levels, waived)
    grouped = by_framework(items)
    lines = [
        f"# Compliance report: {project}/{stack}",
        "",
        f"Policy packs: {', '.join(f'`{pack.name}`' for pack in packs)}. Status FAIL means at least one finding; "
        "MANDATORY findings block `pulumi up`.",
        "",
        "| Framework | Controls | Passed | Failed | Mandatory failures |",
        "|---|---:|---:|---:|---:|",
    ]
    for framework, framework_items in grouped.items():
        failed = [c for c in framework_items if c.results]
        mandatory = sum(1 for c in failed if any(r.mandatory for r in c.results))
        passed = len(framework_items) - len(failed)
        lines.append(f"| {framework} | {len(framework_items)} | {passed} | {len(failed)} | {mandatory} |")
    for framework, framework_items in grouped.items():
        lines += [
            "",
            f"## {framework}",
            "",
            "| Control | Policy | Enforcement | Severity | Status | Resources |",
            "|---|---|---|---|---|---|",
        ]
        for control in framework_items:
            resources = "<br>".join(sorted({_cell(resource_label(r.urn)) for r in control.results})) or "-"
            lines.append(
                f"| {_cell(control.reference)} | `{control.policy.name}` | {control.enforcement.upper()} "
                f"| {control.severity} | {control.status} | {resources} |"
            )
    failing = [c for c in items if c.results]
    lines += ["", "## Findings", ""]
    if not failing:
        lines.append("None: every control passed.")
    for control in failing:
        lines += [f"### `{control.policy.name}` ({control.framework} {control.reference})", ""]
        lines += [f"- **{r.enforcement.upper()}** `{r.urn or '(stack)'}`: {r.message}" for r in control.results]
        if control.policy.remediation_steps:
            lines += ["", f"Remediation: {control.policy.remediation_steps}"]
        lines.append("")
    lines += ["", "## Waived findings", ""]
    if not waived:
        lines.append("None: no violation is waived.")
    else:
        lines += ["| Policy | Resource | Reason | Expires | Finding |", "|---|---|---|---|---|"]
        lines += [
            f"| `{finding.policy}` | {_cell(resource_label(finding.urn))} | {_cell(finding.waiver.reason)} "
            f"| {finding.waiver.expires.isoformat()} | {_cell(finding.message)} |"
            for finding in waived
        ]
    return "\n".join(lines).rstrip() + "\n"


def _sarif_level(enforcement: str) -> str:
    return "error" if enforcement == EnforcementLevel.MANDATORY.value else "warning"


def _rule(control: Control) -> dict[str, Any]:
    policy = control.policy
    properties: dict[str, Any] = {
        "tags": ["security", "compliance", *(policy.tags or [])],
        "framework": control.framework,
        "control": control.reference,
        "enforcement": control.enforcement,
        "severity": control.severity,
    }
    if control.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[control.severity]
    return {
        "id": policy.name,
        "name": policy.name,
        "shortDescription": {"text": policy.description},
        "fullDescription": {
            "text": f"{control.framework} {control.reference}: "
            f"{(policy.framework.specification if policy.framework else None) or policy.description}"
        },
        "help": {"text": policy.remediation_steps or policy.description},
        "defaultConfiguration": {"level": _sarif_level(control.enforcement)},
        "properties": properties,
    }


def _sarif_result(
    control: Control, rule_index: int, urn: str, message: str, *, level: str, config_file: str
) -> dict[str, Any]:
    logical = {"name": resource_label(urn), "kind": "resource"}
    if urn:
        logical["fullyQualifiedName"] = urn
    fingerprint = hashlib.sha256(f"{control.policy.name}|{urn}|{message}".encode()).hexdigest()
    return {
        "ruleId": control.policy.name,
        "ruleIndex": rule_index,
        "level": _sarif_level(level),
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": config_file}, "region": {"startLine": 1}},
                "logicalLocations": [logical],
            }
        ],
        "partialFingerprints": {"dicomstorePolicyFinding/v1": fingerprint},
        "properties": {"pack": control.pack, "framework": control.framework, "severity": control.severity},
    }


def render_sarif(
    packs: Sequence[PackSpec],
    results: Sequence[PolicyResult],
    *,
    stack: str,
    config_file: str,
    levels: Mapping[str, str] | None = None,
    waived: Sequence[WaivedFinding] = (),
) -> dict[str, Any]:
    """A SARIF 2.1.0 log: rules are the policies, results the findings, located at the stack's config file
    (physical) and the resource URN (logical); a waived finding carries an accepted external suppression
    (SARIF 2.1.0 section 3.35) whose justification is the waiver's reason and expiry."""
    items = controls(packs, results, levels, waived)
    index = {control.policy.name: position for position, control in enumerate(items)}
    sarif_results = []
    for control in items:
        position = index[control.policy.name]
        sarif_results += [
            _sarif_result(control, position, r.urn, r.message, level=r.enforcement, config_file=config_file)
            for r in control.results
        ]
        for finding in control.waived:
            suppressed = _sarif_result(
                control, position, finding.urn, finding.message, level=control.level, config_file=config_file
            )
            suppressed["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"{finding.waiver.reason} (waiver expires {finding.waiver.expires.isoformat()})",
                }
            ]
            sarif_results.append(suppressed)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "rules": [_rule(control) for control in items],
                    }
                },
                "automationDetails": {"id": f"{TOOL_NAME}/{stack}/"},
                "results": sarif_results,
            }
        ],
    }
