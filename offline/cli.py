"""Command line of the offline plan.

    python -m offline plan --stack dev [--json FILE] [--project-dir DIR] [--markdown FILE] [--sarif FILE]
                                       [--diagram FILE] [--tfplan FILE] [--policy-config FILE] [--as-of DATE]
    python -m offline check FILE [--stack-file Pulumi.<stack>.yaml] [--markdown FILE] [--sarif FILE]
                                 (FILE: a JSON plan or a `pulumi stack export`)
    python -m offline diff OLD.json NEW.json [--markdown FILE]      (plans or exports; secrets redacted)
    python -m offline preflight --stack prod [--config-file ~/.oci/config] [--profile DEFAULT]
                                 (what would make `pulumi up` fail in the tenancy of that OCI config)
    python -m offline deployer-policy --stack prod [--group NAME] [--json]
                                 (the least-privilege IAM policy of the deploying group, from the plan)

Exit codes: 0 clean, 1 a mandatory policy violated, 2 bad config or input file (the message names key,
value and fix).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from components.config.schema import ConfigError
from offline.cost import estimate, render_cost, stack_usage
from offline.deployer_policy import add_deployer_policy_command, deployer_policy_command
from offline.diagram import mermaid
from offline.diff import add_diff_command, diff_command
from offline.engine import StackFileError, run_program
from offline.plan_index import PlanIndex
from offline.policy_cli import add_check_command, add_report_options, check_command, policy_gate
from offline.preflight_cli import add_preflight_command, preflight_command
from offline.report import plan_document, render_tree
from offline.tfplan import terraform_plan

EXIT_OK = 0
EXIT_POLICY_VIOLATION = 1
EXIT_BAD_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="run the program under mocks, print the tree and the policy report")
    plan.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default: dev)")
    plan.add_argument("--project-dir", type=Path, default=Path.cwd(), help="folder holding Pulumi.yaml")
    plan.add_argument("--json", type=Path, help="write the JSON plan (secrets redacted) to this file")
    plan.add_argument("--diagram", type=Path, help="write the block diagram (Mermaid) derived from the plan")
    plan.add_argument(
        "--tfplan", type=Path, help="write the resources as Terraform plan JSON (for Checkov, KICS, conftest)"
    )
    add_report_options(plan)
    add_check_command(commands)
    add_diff_command(commands)
    add_preflight_command(commands)
    add_deployer_policy_command(commands)
    return parser


def plan_command(args: argparse.Namespace) -> int:
    try:
        run = run_program(args.project_dir.resolve(), args.stack)
    except (ConfigError, StackFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    settings = run.settings
    print(render_tree(settings.project, settings.stack, run.records))
    cost = estimate(run.records, stack_usage(settings.config))
    print(f"\n{render_cost(cost)}")
    policies, exit_code = policy_gate(
        run.records, project=settings.project, stack=settings.stack, config_file=f"Pulumi.{settings.stack}.yaml",
        args=args, stack_config=settings.config,
    )  # fmt: skip
    document = plan_document(
        project=settings.project, stack=settings.stack, records=run.records, outputs=run.outputs,
        policies=policies,
        cost=cost,
    )  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(document, indent=2) + "\n")
        print(f"\nJSON plan written to {args.json}")
    if args.diagram:
        args.diagram.write_text(mermaid(run.records) + "\n")
        print(f"Diagram written to {args.diagram}")
    if args.tfplan:
        tfplan = terraform_plan(run.records, region=settings.config.get("oci:region", ""))
        args.tfplan.write_text(json.dumps(tfplan, indent=2) + "\n")
        print(f"Terraform plan JSON written to {args.tfplan}")
    return exit_code


def planned_stack(stack: str, project_dir: Path) -> PlanIndex:
    """Run the program for `stack` under mocks: what a deploy-time command derives its answer from."""
    run = run_program(project_dir.resolve(), stack)
    return PlanIndex.build(run.settings, run.records, run.outputs)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in {"preflight", "deployer-policy"}:
        try:
            index = planned_stack(args.stack, Path.cwd())
        except (ConfigError, StackFileError) as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_CONFIG
        return preflight_command(args, index) if args.command == "preflight" else deployer_policy_command(args, index)
    if args.command == "diff":
        return diff_command(args)
    return check_command(args) if args.command == "check" else plan_command(args)
