"""Plan benchmark: wall time of `python -m offline plan` (what `make plan` runs) measured with hyperfine.

`make bench-plan` runs `python -m bench.plan`. Three stacks: the shipped `dev` and `prod`, and `dev-x16`, the
dev stack with 16 times its modalities and Orthanc replicas (written to a temporary project folder that links
the program), to show the plan grows with the resources, not with a per-resource cost in the package. Each is
run by hyperfine (Debian package) after a warm-up run, so the numbers are what a user sees once `.venv` and
Python's bytecode caches exist. The table goes to bench/PLAN.md and the README.

`--baseline GIT_REF` also times the dev plan of an earlier commit (extracted with `git archive`), for a
before/after row. Targets (issue 18): dev median ≤ 2.0 s; dev-x16 ≤ 2 x dev.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bench.publish import machine, markdown_table, publish

PROJECT_DIR = Path(__file__).resolve().parent.parent
SCALE = 16
DEV_TARGET_S = 2.0
SCALED_TARGET_RATIO = 2.0
# What the program needs next to a stack file: linked into the scaled stack's project folder.
PROGRAM_FILES = ("__main__.py", "Pulumi.yaml", "components", "offline", "policies")


def scaled_dev_config(scale: int) -> dict[str, Any]:
    """Pulumi.dev.yaml with `scale` x the Orthanc replicas and modalities (new AE titles and addresses)."""
    stack: dict[str, Any] = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    orthanc = copy.deepcopy(stack["config"]["dicomstore:orthanc"])
    orthanc["replicas"] = orthanc.get("replicas", 1) * scale
    modalities = orthanc.get("allowedModalities", [])
    orthanc["allowedModalities"] = [
        {**modality, "aet": f"{modality['aet'][:12]}_{copy_index:02d}", "host": f"10.0.5.{copy_index * 8 + index + 1}"}
        for copy_index in range(scale)
        for index, modality in enumerate(modalities)
    ]
    stack["config"]["dicomstore:orthanc"] = orthanc
    stack["config"]["dicomstore:environment"] = "dev"
    return stack


def scaled_project(work: Path, scale: int) -> Path:
    for name in PROGRAM_FILES:
        (work / name).symlink_to(PROJECT_DIR / name)
    (work / f"Pulumi.dev-x{scale}.yaml").write_text(yaml.safe_dump(scaled_dev_config(scale), sort_keys=False))
    return work


def hyperfine(commands: dict[str, str], runs: int, export: Path) -> dict[str, Any]:
    arguments = ["hyperfine", "--warmup", "1", "--runs", str(runs), "--export-json", str(export), "--style", "basic"]
    for name, command in commands.items():
        arguments += ["--command-name", name, command]
    subprocess.run(arguments, check=True, cwd=PROJECT_DIR)
    return dict(json.loads(export.read_text()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plan", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per stack (default: 10)")
    parser.add_argument("--baseline", metavar="GIT_REF", help="also time the dev plan of this commit (before/after)")
    args = parser.parse_args(argv)
    plan = f"{sys.executable} -m offline plan"
    with tempfile.TemporaryDirectory(prefix="dicomstore-bench-plan-") as work:
        scaled = scaled_project(Path(work), SCALE)
        context = machine({"hyperfine": subprocess.run(["hyperfine", "--version"], capture_output=True, text=True,
                                                       check=True).stdout.strip()})  # fmt: skip
        commands = {
            "dev": f"{plan} --stack dev",
            f"dev-x{SCALE}": f"{plan} --stack dev-x{SCALE} --project-dir {scaled}",
            "prod": f"{plan} --stack prod",
        }
        if args.baseline:
            baseline = Path(work) / "baseline"
            baseline.mkdir()
            archive = subprocess.run(["git", "-C", str(PROJECT_DIR), "archive", args.baseline], capture_output=True,
                                     check=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
            commands[f"dev @ {args.baseline}"] = f"cd {baseline} && {plan} --stack dev"
        results = hyperfine(commands, args.runs, Path(work) / "hyperfine.json")["results"]
    rows, median = [], {}
    for result in results:
        median[result["command"]] = statistics.median(result["times"])
        rows.append([
            f"`{result['command']}`", f"{median[result['command']]:.2f}",
            f"{result['mean']:.2f} ± {result['stddev']:.2f}", f"{result['min']:.2f}", f"{result['max']:.2f}",
            f"{result['user']:.2f}", f"{result['system']:.2f}",
        ])  # fmt: skip
    ratio = median[f"dev-x{SCALE}"] / median["dev"]
    verdict = (
        f"dev median {median['dev']:.2f} s (target ≤ {DEV_TARGET_S} s: "
        f"{'met' if median['dev'] <= DEV_TARGET_S else 'NOT met'}); dev-x{SCALE} / dev = {ratio:.2f} "
        f"(target ≤ {SCALED_TARGET_RATIO}: {'met' if ratio <= SCALED_TARGET_RATIO else 'NOT met'})."
    )
    table = markdown_table(["stack", "median s", "mean ± sd s", "min s", "max s", "user CPU s", "system CPU s"], rows)
    notes = (
        f"{verdict} Wall times count from process start to exit, {args.runs} runs after one warm-up; CPU "
        "columns are means. On a shared machine, wall time includes waiting for a core: compare the load "
        "average and the CPU columns."
    )
    title = "Offline plan benchmark (`python -m offline plan`)"
    path = publish("plan", title, table, context, command="make bench-plan", notes=notes)
    print(f"\n{table}\n\n{verdict}\nwritten to {path.relative_to(PROJECT_DIR)} and README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
