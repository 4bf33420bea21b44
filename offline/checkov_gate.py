"""Fail CI on a Checkov OCI finding that policies/README.md's parity table does not explain.

    checkov -f prod.tfplan.json --framework terraform_plan -o json > checkov-prod.json
    python -m offline.checkov_gate checkov-prod.json [more.json ...]

A failed check is explained when its row in the "Checkov parity" table says "not followed" (the package
deliberately does not follow it, and says why) or notes a "Checkov false positive" (the package implements
the check's intent and the row says why Checkov's version fails these resources). Anything else — a check the
pack implements and Checkov still fails, or an id missing from the table — is printed and exits 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "policies" / "README.md"
NOT_FOLLOWED = "not followed"
FALSE_POSITIVE = "Checkov false positive"


def explained_ids(readme: str) -> set[str]:
    """The Checkov ids whose parity row explains a failure."""
    table = readme.split("## Checkov parity", 1)[-1]
    explained = set()
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if line.startswith("| `CKV") and (cells[3] == NOT_FOLLOWED or FALSE_POSITIVE in cells[4]):
            explained.add(cells[1].strip("`"))
    return explained


def failed_checks(report: Any) -> list[Mapping[str, Any]]:
    """The failed checks of a Checkov JSON report (one run object, or a list of them)."""
    runs = report if isinstance(report, list) else [report]
    return [check for run in runs for check in run.get("results", {}).get("failed_checks", [])]


def unexplained(checks: Iterable[Mapping[str, Any]], explained: set[str]) -> list[str]:
    """`<id> <resource>` of every failed OCI check the table does not explain."""
    return [
        f"{check['check_id']} {check.get('resource', '')}"
        for check in checks
        if "OCI" in str(check.get("check_id")) and check["check_id"] not in explained
    ]


def main(argv: Sequence[str] | None = None) -> int:
    paths = [Path(arg) for arg in (argv if argv is not None else sys.argv[1:])]
    explained = explained_ids(README.read_text())
    problems = [line for path in paths for line in unexplained(failed_checks(json.loads(path.read_text())), explained)]
    for line in problems:
        print(f"unexplained Checkov failure: {line}. Fix: fix the resource, or explain the check in "
              "policies/README.md's Checkov parity table", file=sys.stderr)  # fmt: skip
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
