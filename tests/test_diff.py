"""`python -m offline diff`: added, removed and changed resources between plans or exports, secrets redacted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offline.cli import main
from offline.redact import SECRET_SIG, SIG_KEY

STACK = "urn:pulumi:dev::dicomstore::"
VCN, BUCKET, SECRET, LOG = (
    f"{STACK}oci:Core/vcn:Vcn::net-vcn",
    f"{STACK}oci:ObjectStorage/bucket:Bucket::dicom",
    f"{STACK}oci:Vault/secret:Secret::db-password",
    f"{STACK}oci:Logging/log:Log::flow",
)


def plan(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"project": "dicomstore", "stack": "dev", "resources": resources}


def resource(urn: str, inputs: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {"urn": urn, "type": urn.split("::")[2], "name": urn.split("::")[3], "inputs": inputs, **options}


def secret(value: Any) -> dict[str, Any]:
    """A secret as a `pulumi stack export --show-secrets` file holds it."""
    return {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(value)}


def run_diff(tmp_path: Path, old: dict[str, Any], new: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    markdown = tmp_path / "diff.md"
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--markdown", str(markdown)]) == 0
    return capsys.readouterr().out + "\n" + markdown.read_text()


def test_added_removed_and_changed_inputs_by_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = plan([
        resource(VCN, {"cidrBlocks": ["10.20.0.0/16"], "freeformTags": {"stack": "dev"}}),
        resource(BUCKET, {"versioning": "Enabled"}, protect=True, retainOnDelete=True),
        resource(LOG, {"isEnabled": True}),
    ])  # fmt: skip
    new = plan([
        resource(VCN, {"cidrBlocks": ["10.20.0.0/16", "10.21.0.0/16"], "freeformTags": {"stack": "prod"}}),
        resource(BUCKET, {"versioning": "Enabled"}, protect=False, retainOnDelete=True),
        resource(SECRET, {"secretName": "db"}),
    ])  # fmt: skip
    text = run_diff(tmp_path, old, new, capsys).split("\n\n")[0]
    assert text.splitlines() == [
        "1 to add, 2 to change, 1 to remove, 0 unchanged",
        "+ oci:Vault/secret:Secret db-password",
        "- oci:Logging/log:Log flow",
        "~ oci:Core/vcn:Vcn net-vcn",
        '    cidrBlocks[1]: (none) -> "10.21.0.0/16"',
        '    freeformTags.stack: "dev" -> "prod"',
        "~ oci:ObjectStorage/bucket:Bucket dicom",
        "    protect: true -> false",
    ]


def test_secrets_never_appear_and_an_unchanged_stack_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stack export with --show-secrets against another: the secret contents differ, neither is printed."""
    old = {"version": 3, "deployment": {"resources": [
        resource(SECRET, {"secretName": "db", "content": secret("hunter2-old")}, custom=True),
    ]}}  # fmt: skip
    new = {"version": 3, "deployment": {"resources": [
        resource(SECRET, {"secretName": "db", "content": secret("hunter2-new")}, custom=True),
    ]}}  # fmt: skip
    output = run_diff(tmp_path, old, new, capsys)
    assert "hunter2" not in output
    assert "0 to add, 0 to change, 0 to remove, 1 unchanged" in output


def test_a_secret_that_becomes_plain_shows_only_the_plain_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = plan([resource(SECRET, {"content": secret("hunter2")})])
    new = plan([resource(SECRET, {"content": "now-in-clear"})])
    output = run_diff(tmp_path, old, new, capsys)
    assert "hunter2" not in output
    assert '    content: "[secret]" -> "now-in-clear"' in output


def test_a_plan_diffs_against_an_export_of_the_same_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = {"version": 3, "deployment": {"resources": [
        {**resource(VCN, {"cidrBlocks": ["10.20.0.0/16"]}), "custom": True,
         "outputs": {"id": "ocid1.vcn.oc1..aaaa", "cidrBlocks": ["10.20.0.0/16"]}},
    ]}}  # fmt: skip
    output = run_diff(tmp_path, export, plan([resource(VCN, {"cidrBlocks": ["10.30.0.0/16"]})]), capsys)
    assert '    cidrBlocks[0]: "10.20.0.0/16" -> "10.30.0.0/16"' in output
    assert '| `cidrBlocks[0]` | `"10.20.0.0/16"` | `"10.30.0.0/16"` |' in output


def test_a_long_value_is_cut_with_its_length(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = plan([resource(LOG, {"script": "a" * 500})])
    new = plan([resource(LOG, {"script": "b" * 500})])
    output = run_diff(tmp_path, old, new, capsys)
    assert f'"{"a" * 159}… (502 characters)' in output


def test_an_unreadable_file_is_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "old.json").write_text("{}")
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
