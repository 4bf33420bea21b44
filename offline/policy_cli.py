"""The policy half of the offline command line: the policy gate of `plan` and the `check FILE` command.

Both run the packs of `policies.packs` over records (fresh from the mocked program, or read back from a JSON
plan or a `pulumi stack export`), print the report grouped by framework, write the optional Markdown and
SARIF reports and decide the exit code: 1 when a MANDATORY policy is violated, 2 when an input file is bad.

Policy configuration, lowest precedence first, as the engine layers it: each policy's own level; the stack's
`dicomstore:policies.enforcementLevels` (the pack's initial config) and the stack settings a policy needs
(the on-prem CIDRs of the overlap rule); `--policy-config FILE`, the same JSON file as `pulumi preview
--policy-pack-config`. Per-resource waivers (`dicomstore:policies.waivers`) are applied by the pack itself
(`policies/governance.py`), so the offline run and `pulumi preview --policy-pack policies` share one code path.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel

from components.config.schema import ConfigError, load_policies_config
from offline.compliance_reports import render_markdown, render_sarif, render_text
from offline.engine import StackFileError, read_stack_settings
from offline.policy_replay import effective_levels, has_mandatory_violation, merge_policy_configs, replay
from offline.records import ResourceRecord
from offline.stack_import import StackImportError, load_stack
from policies.governance import GovernedPack, govern
from policies.packs import COMPLIANCE_PACK
from policies.reference_architecture import refarch_vcn_onprem_overlap

EXIT_OK = 0
EXIT_POLICY_VIOLATION = 1
EXIT_BAD_INPUT = 2
NETWORK_CONFIG_KEY = "dicomstore:network"
POLICIES_CONFIG_KEY = "dicomstore:policies"


class PolicyConfigError(ValueError):
    """An unreadable `--policy-config` file."""


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """The options `plan` and `check` share."""
    parser.add_argument("--markdown", type=Path, help="write the compliance report (Markdown) to this file")
    parser.add_argument("--sarif", type=Path, help="write the policy results as SARIF 2.1.0 to this file")
    parser.add_argument(
        "--policy-config", type=Path, help="policy-pack config JSON (as for `pulumi preview --policy-pack-config`)"
    )
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
        help="judge waiver expiry as of this date (default: today), for reproducible reports",
    )  # fmt: skip


def add_check_command(commands: Any) -> None:
    """`check FILE`: the packs on a JSON plan or a `pulumi stack export` file."""
    check = commands.add_parser(
        "check", help="run the policy packs on a JSON plan or a `pulumi stack export` file (no program run)"
    )
    check.add_argument("file", type=Path, help="JSON plan (plan --json) or `pulumi stack export` output")
    check.add_argument(
        "--stack-file", type=Path, help="Pulumi.<stack>.yaml whose dicomstore:policies levels and waivers apply"
    )
    add_report_options(check)


def stack_policy_config(stack_config: Mapping[str, str]) -> dict[str, Any]:
    """Policy settings taken from the stack config (fully qualified keys, JSON values)."""
    try:
        network = json.loads(stack_config.get(NETWORK_CONFIG_KEY, "{}"))
    except json.JSONDecodeError:
        return {}  # the config layer reports a malformed section with key, value and fix
    on_prem = network.get("onPremCidrs") if isinstance(network, dict) else None
    return {refarch_vcn_onprem_overlap.name: {"onPremCidrs": list(on_prem)}} if on_prem else {}


def load_policy_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        config = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise PolicyConfigError(f"--policy-config {path}: {error}; pass a JSON object keyed by policy name") from error
    if not isinstance(config, dict):
        raise PolicyConfigError(f"--policy-config {path}: expected a JSON object keyed by policy name")
    levels = {level.value for level in EnforcementLevel}
    for name, entry in config.items():
        level = entry.get("enforcementLevel") if isinstance(entry, dict) else entry
        if level is not None and level not in levels:
            raise PolicyConfigError(
                f"--policy-config {path}: {name}.enforcementLevel = {level!r}; use one of {sorted(levels)}"
            )
    return config


def governed_pack(stack_config: Mapping[str, str], today: date | None = None) -> GovernedPack:
    """The compliance pack under the stack's `dicomstore:policies` settings (ConfigError when they are bad)."""
    try:
        raw = json.loads(stack_config.get(POLICIES_CONFIG_KEY, "{}"))
    except json.JSONDecodeError:
        raw = stack_config.get(POLICIES_CONFIG_KEY)  # let the model name the key and the bad value
    return govern(COMPLIANCE_PACK, load_policies_config({"policies": raw}), today or date.today())


def policy_gate(
    records: Sequence[ResourceRecord],
    *,
    project: str,
    stack: str,
    config_file: str,
    args: argparse.Namespace,
    stack_config: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], int]:
    """Replay, print and write the reports; return the JSON plan's `policies` section and the exit code."""
    section: dict[str, Any] = {"packs": [COMPLIANCE_PACK.name], "results": []}
    try:
        governed = governed_pack(stack_config or {}, args.as_of)
        config = merge_policy_configs(
            governed.initial_config, stack_policy_config(stack_config or {}), load_policy_config(args.policy_config)
        )
    except (PolicyConfigError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return section, EXIT_BAD_INPUT
    packs = (governed.pack,)
    results = replay(records, packs, config)
    waived = governed.book.waived
    levels = effective_levels(packs, config)
    section["results"] = [result.to_json() for result in results]
    print(f"\n{render_text(packs, results, levels=levels, waived=waived)}")
    if args.markdown:
        markdown = render_markdown(packs, results, project=project, stack=stack, levels=levels, waived=waived)
        args.markdown.write_text(markdown)
        print(f"Compliance report written to {args.markdown}")
    if args.sarif:
        sarif = render_sarif(packs, results, stack=stack, config_file=config_file, levels=levels, waived=waived)
        args.sarif.write_text(json.dumps(sarif, indent=2) + "\n")
        print(f"SARIF written to {args.sarif}")
    return section, EXIT_POLICY_VIOLATION if has_mandatory_violation(results) else EXIT_OK


def check_command(args: argparse.Namespace) -> int:
    try:
        imported = load_stack(args.file)
    except StackImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Checking {len(imported.records)} resources of {imported.project}/{imported.stack} ({imported.source})")
    config_file = f"Pulumi.{imported.stack}.yaml" if imported.stack else args.file.name
    stack_config: dict[str, str] = {}
    if args.stack_file:
        try:
            stack_config = read_stack_settings(args.stack_file.parent, stack_name(args.stack_file)).config
        except StackFileError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        config_file = args.stack_file.name
    _, exit_code = policy_gate(
        imported.records, project=imported.project, stack=imported.stack, config_file=config_file, args=args,
        stack_config=stack_config,
    )  # fmt: skip
    return exit_code


def stack_name(stack_file: Path) -> str:
    """`prod` for `Pulumi.prod.yaml`."""
    return stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
