"""The CI gate on Checkov's findings: only failures the parity table explains pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.checkov_gate import README, explained_ids, main


def test_the_table_explains_the_not_followed_checks_and_the_noted_false_positive() -> None:
    explained = explained_ids(README.read_text())
    assert {"CKV_OCI_17", "CKV_OCI_21", "CKV2_OCI_6", "CKV2_OCI_2"} <= explained
    assert "CKV_OCI_10" not in explained  # implemented: a Checkov failure of it is a real finding


def _report(tmp_path: Path, *check_ids: str) -> str:
    failed = [{"check_id": check_id, "resource": f"oci_x.r{n}"} for n, check_id in enumerate(check_ids)]
    path = tmp_path / "checkov.json"
    path.write_text(json.dumps([{"check_type": "terraform_plan", "results": {"failed_checks": failed}}]))
    return str(path)


def test_explained_failures_pass_and_an_implemented_check_failing_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([_report(tmp_path, "CKV_OCI_21", "CKV2_OCI_2", "CKV2_OCI_6")]) == 0
    assert main([_report(tmp_path, "CKV_OCI_21", "CKV_OCI_10")]) == 1
    assert "unexplained Checkov failure: CKV_OCI_10 oci_x.r1. Fix:" in capsys.readouterr().err
