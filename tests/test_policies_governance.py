"""Per-stack governance: enforcement levels by benchmark level, waivers (waived, expired, unmatched) and the
one-line errors of a bad `dicomstore:policies` section."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from components.config.schema import ConfigError, PoliciesConfig, load_policies_config
from offline.cli import main
from offline.compliance_reports import render_markdown, render_sarif
from offline.policy_cli import governed_pack
from offline.policy_replay import effective_levels, replay
from policies.governance import govern
from policies.packs import COMPLIANCE_PACK
from tests.policy_cases import TENANCY, record

BUCKET = "oci:ObjectStorage/bucket:Bucket"
KEY = "oci:Kms/key:Key"
CLOUD_GUARD = "oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration"
PUBLIC = record(BUCKET, "public", {"accessType": "ObjectRead", "versioning": "Enabled", "kmsKeyId": "ocid1.key"})
TODAY = date(2026, 11, 26)


def _waiver(policy: str, resource: str, expires: str) -> dict[str, str]:
    return {
        "policy": policy,
        "resource": resource,
        "reason": "accepted by the CISO until the migration",
        "expires": expires,
    }


def _governed(**section: Any) -> Any:
    return govern(COMPLIANCE_PACK, PoliciesConfig.model_validate(section), TODAY)


def test_every_cis_level_1_and_hipaa_control_is_mandatory_and_level_2_detective_ones_advisory() -> None:
    for policy in COMPLIANCE_PACK.policies:
        tags = policy.tags or []
        if "cis-level-1" in tags or policy.name.startswith("hipaa-"):
            assert policy.enforcement_level is EnforcementLevel.MANDATORY, policy.name
    levels = {p.name: p.enforcement_level for p in COMPLIANCE_PACK.policies}
    assert levels["cis-4-13-vcn-flow-logs-every-subnet"] is EnforcementLevel.ADVISORY  # CIS Level 2
    assert levels["cis-4-17-bucket-write-logs"] is EnforcementLevel.ADVISORY  # CIS Level 2


def _export(tmp_path: Path, *resources: dict[str, Any]) -> Path:
    path = tmp_path / "export.json"
    deployment = {"manifest": {"version": "v3.272.0"}, "resources": list(resources)}
    path.write_text(json.dumps({"version": 3, "deployment": deployment}))
    return path


def _exported(resource_type: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    urn = f"urn:pulumi:prod::dicomstore::{resource_type}::{name}"
    return {"urn": urn, "custom": True, "type": resource_type, "inputs": inputs, "outputs": inputs, "protect": True,
            "retainOnDelete": True}  # fmt: skip


@pytest.mark.parametrize(
    ("resource", "policy"),
    [
        (_exported(KEY, "master", {"isAutoRotationEnabled": False, "compartmentId": "ocid1.compartment.oc1..d"}),
         "cis-4-16-kms-key-rotation"),
        (_exported(CLOUD_GUARD, "cloud-guard", {"status": "DISABLED", "compartmentId": TENANCY}),
         "cis-4-14-cloud-guard-enabled-in-root"),
    ],
)  # fmt: skip
def test_key_rotation_off_and_cloud_guard_disabled_fail_check(
    resource: dict[str, Any], policy: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(_export(tmp_path, resource))]) == 1
    assert f"FAIL {policy}" in capsys.readouterr().out


def test_stack_levels_override_the_pack_and_show_in_the_report() -> None:
    governed = _governed(enforcementLevels={"cis-5-1-1-bucket-not-public": "advisory"})
    results = replay([PUBLIC], [governed.pack], governed.initial_config)
    assert {r.enforcement for r in results if r.policy == "cis-5-1-1-bucket-not-public"} == {"advisory"}
    levels = effective_levels([governed.pack], governed.initial_config)
    markdown = render_markdown([governed.pack], results, project="p", stack="s", levels=levels)
    assert "| 5.1.1 | `cis-5-1-1-bucket-not-public` | ADVISORY | critical | FAIL | public |" in markdown


def test_a_waiver_that_holds_moves_the_violation_to_the_waived_list_and_a_sarif_suppression() -> None:
    governed = _governed(waivers=[_waiver("cis-5-1-1-bucket-not-public", "public", "2026-11-26")])
    results = replay([PUBLIC], [governed.pack], {})
    assert "cis-5-1-1-bucket-not-public" not in {r.policy for r in results}
    assert "ckv-oci-10-bucket-not-public" in {r.policy for r in results}  # only the named policy is waived
    (waived,) = governed.book.waived
    assert (waived.policy, waived.urn) == ("cis-5-1-1-bucket-not-public", PUBLIC.urn)
    markdown = render_markdown([governed.pack], results, project="p", stack="s", waived=[waived])
    assert "| `cis-5-1-1-bucket-not-public` | public | accepted by the CISO until the migration | 2026-11-26 |" in (
        markdown
    )
    assert "| 5.1.1 | `cis-5-1-1-bucket-not-public` | MANDATORY | critical | WAIVED | - |" in markdown
    sarif = render_sarif([governed.pack], results, stack="s", config_file="Pulumi.s.yaml", waived=[waived])
    (suppressed,) = [r for r in sarif["runs"][0]["results"] if "suppressions" in r]
    assert suppressed["ruleId"] == "cis-5-1-1-bucket-not-public"
    assert suppressed["suppressions"] == [
        {"kind": "external", "status": "accepted",
         "justification": "accepted by the CISO until the migration (waiver expires 2026-11-26)"}
    ]  # fmt: skip


def test_an_expired_waiver_is_a_violation_again() -> None:
    governed = _governed(waivers=[_waiver("cis-5-1-1-bucket-not-public", PUBLIC.urn, "2026-11-25")])
    (result,) = [r for r in replay([PUBLIC], [governed.pack], {}) if r.policy == "cis-5-1-1-bucket-not-public"]
    assert result.mandatory
    assert "[waiver policies.waivers[0] expired on 2026-11-25: fix the resource or renew the waiver" in result.message
    assert governed.book.waived == []


def test_a_waiver_that_matches_nothing_is_a_mandatory_violation_with_its_fix() -> None:
    governed = _governed(
        waivers=[
            _waiver("cis-5-1-1-bucket-not-public", "no-such-bucket", "2027-01-01"),
            _waiver("cis-5-1-3-bucket-versioning-enabled", "public", "2027-01-01"),  # versioning is on
        ]
    )
    unmatched = [r for r in replay([PUBLIC], [governed.pack], {}) if r.policy == "governance-waivers-match-violations"]
    assert [r.enforcement for r in unmatched] == ["mandatory", "mandatory"]
    assert (
        "dicomstore:policies.waivers[0] (policy 'cis-5-1-1-bucket-not-public', resource 'no-such-bucket') matches "
        "no violation: no resource of the stack has that name or URN. Fix: delete the waiver"
    ) in unmatched[0].message
    assert "matches no violation: the resource does not violate the policy. Fix:" in unmatched[1].message


def test_bad_policy_settings_are_one_line_errors_with_a_fix() -> None:
    with pytest.raises(ConfigError) as unknown:
        _governed(enforcementLevels={"cis-9-9-nothing": "mandatory"}, waivers=[_waiver("nope", "x", "2027-01-01")])
    assert [str(p) for p in unknown.value.problems] == [
        "dicomstore:policies.enforcementLevels.cis-9-9-nothing = 'mandatory': is not a policy of the pack. "
        "Fix: use a policy name listed in policies/README.md.",
        "dicomstore:policies.waivers[0].policy = 'nope': is not a policy of the pack. "
        "Fix: use a policy name listed in policies/README.md.",
    ]
    with pytest.raises(ConfigError) as bad:
        load_policies_config({"policies": {"enforcementLevels": {"cis-4-16-kms-key-rotation": "warn"},
                                           "waivers": [{"policy": "p", "resource": "r", "reason": "short",
                                                        "expires": "soon"}]}})  # fmt: skip
    messages = [str(p) for p in bad.value.problems]
    assert messages[0] == (
        "dicomstore:policies.enforcementLevels.cis-4-16-kms-key-rotation = 'warn': is not a CrossGuard enforcement "
        "level. Fix: use one of advisory, mandatory, remediate, disabled."
    )
    assert any(m.startswith("dicomstore:policies.waivers[0].expires = 'soon': ") for m in messages)
    assert any(m.startswith("dicomstore:policies.waivers[0].reason = 'short': ") for m in messages)


def test_plan_and_check_read_waivers_from_the_stack_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: dicomstore\nruntime: python\n")
    section = {"waivers": [_waiver("cis-4-16-kms-key-rotation", "master", "2999-01-01")]}
    (tmp_path / "Pulumi.prod.yaml").write_text(json.dumps({"config": {"dicomstore:policies": section}}))
    key = _exported(KEY, "master", {"isAutoRotationEnabled": False, "compartmentId": "ocid1.compartment.oc1..d"})
    cloud_guard = _exported(CLOUD_GUARD, "cg", {"status": "ENABLED", "compartmentId": TENANCY})
    audit = _exported("oci:Audit/configuration:Configuration", "audit", {"retentionPeriodDays": 365})
    export = _export(tmp_path, key, cloud_guard, audit)
    sarif = tmp_path / "out.sarif"
    code = main(["check", str(export), "--stack-file", str(tmp_path / "Pulumi.prod.yaml"), "--sarif", str(sarif)])
    out = capsys.readouterr().out
    assert "WAIVED cis-4-16-kms-key-rotation on master until 2999-01-01" in out
    assert code == 0, out
    assert governed_pack({"dicomstore:policies": json.dumps(section)}).book.waivers[0].resource == "master"


def test_a_waiver_of_a_check_that_cannot_run_during_preview_is_not_reported_stale() -> None:
    # An output not known yet (preview): the engine reports "can't run"; the waiver is not called unmatched.
    unknown_bucket = record(BUCKET, "public", {"accessType": UNKNOWN_STRING_VALUE})
    governed = _governed(waivers=[_waiver("cis-5-1-1-bucket-not-public", "public", "2027-01-01")])
    results = replay([unknown_bucket], [governed.pack], {})
    assert "governance-waivers-match-violations" not in {r.policy for r in results}
    assert any(r.policy == "cis-5-1-1-bucket-not-public" and "can't run policy during preview" in r.message
               for r in results)  # fmt: skip
