"""Compliance reports: every control is listed with PASS/FAIL, and the SARIF log is valid SARIF 2.1.0 with
one rule per policy and results located at the stack config and the resource URN."""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs pinned; only validate() is used
import pytest

from offline.compliance_reports import controls, render_markdown, render_sarif, render_text, resource_label
from offline.policy_replay import PolicyResult, replay
from policies.packs import COMPLIANCE_PACK, PACKS
from tests.policy_cases import TENANCY, record

BUCKET = "oci:ObjectStorage/bucket:Bucket"
PUBLIC_BUCKET = record(BUCKET, "public-bucket", {"accessType": "ObjectRead", "compartmentId": TENANCY})

# The parts of the OASIS SARIF 2.1.0 schema (sarif-schema-2.1.0.json) this report uses: required properties,
# enumerations and types, with additionalProperties closed where the standard closes them.
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
SARIF_2_1_0_SUBSET: dict[str, Any] = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string"},
        "version": {"enum": ["2.1.0"]},
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {
                                                "id": {"type": "string"},
                                                "shortDescription": _MESSAGE,
                                                "fullDescription": _MESSAGE,
                                                "help": _MESSAGE,
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {
                                                        "level": {"enum": ["none", "note", "warning", "error"]}
                                                    },
                                                },
                                                "properties": {"type": "object"},
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "automationDetails": {"type": "object", "properties": {"id": {"type": "string"}}},
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": -1},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": _MESSAGE,
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "additionalProperties": False,
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "additionalProperties": False,
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "properties": {"uri": {"type": "string"}},
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "properties": {"startLine": {"type": "integer", "minimum": 1}},
                                                    },
                                                },
                                            },
                                            "logicalLocations": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "additionalProperties": False,
                                                    "properties": {
                                                        "name": {"type": "string"},
                                                        "fullyQualifiedName": {"type": "string"},
                                                        "kind": {"type": "string"},
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                                "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                                "properties": {"type": "object"},
                            },
                        },
                    },
                },
            },
        },
    },
}


def _results() -> list[PolicyResult]:
    return replay([PUBLIC_BUCKET], PACKS)


def test_controls_list_every_policy_with_its_findings() -> None:
    items = controls(PACKS, _results())
    assert [c.policy.name for c in items] == [p.name for p in COMPLIANCE_PACK.policies]
    status = {c.policy.name: c.status for c in items}
    assert status["cis-5-1-1-bucket-not-public"] == "FAIL"
    assert status["cis-2-3-2-4-nsgs-no-admin-ports-from-anywhere"] == "PASS"


def test_markdown_has_one_row_per_control_with_status_and_resources() -> None:
    markdown = render_markdown(PACKS, _results(), project="dicomstore", stack="dev")
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "`" in line.split("|")[2]]
    assert len(rows) == len(COMPLIANCE_PACK.policies)
    bucket_row = next(row for row in rows if "`cis-5-1-1-bucket-not-public`" in row)
    assert bucket_row == "| 5.1.1 | `cis-5-1-1-bucket-not-public` | MANDATORY | critical | FAIL | public-bucket |"
    passing_row = next(row for row in rows if "`ckv-oci-22-nsg-no-ssh-from-anywhere`" in row)
    assert passing_row.endswith("| PASS | - |")
    assert "# Compliance report: dicomstore/dev" in markdown
    assert "Remediation: Set access_type='NoPublicAccess'" in markdown


def test_markdown_of_a_clean_stack_says_so() -> None:
    markdown = render_markdown(PACKS, [], project="dicomstore", stack="dev")
    assert "FAIL" not in markdown.split("## Findings")[0].split("|---|---|")[1]
    assert "None: every control passed." in markdown


def test_sarif_is_valid_and_points_at_config_and_urn() -> None:
    results = _results()
    sarif = render_sarif(PACKS, results, stack="dev", config_file="Pulumi.dev.yaml")
    jsonschema.validate(sarif, SARIF_2_1_0_SUBSET)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [p.name for p in COMPLIANCE_PACK.policies]
    assert len(run["results"]) == len(results)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.dev.yaml"
    public = next(r for r in run["results"] if r["ruleId"] == "cis-5-1-1-bucket-not-public")
    assert public["level"] == "error"
    assert public["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == PUBLIC_BUCKET.urn
    advisory = next(r for r in run["results"] if r["ruleId"] == "ckv-oci-7-bucket-object-events")
    assert advisory["level"] == "warning"
    stack_wide = next(r for r in run["results"] if r["ruleId"] == "cis-4-14-cloud-guard-enabled-in-root")
    assert "fullyQualifiedName" not in stack_wide["locations"][0]["logicalLocations"][0]


def test_sarif_schema_subset_rejects_a_broken_log() -> None:
    sarif = render_sarif(PACKS, _results(), stack="dev", config_file="Pulumi.dev.yaml")
    sarif["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError, match="'fatal' is not one of"):
        jsonschema.validate(sarif, SARIF_2_1_0_SUBSET)


def test_text_report_groups_by_framework_and_gives_the_verdict() -> None:
    text = render_text(PACKS, _results())
    assert "CIS Oracle Cloud Infrastructure Foundations Benchmark 3.0.0: " in text
    assert "HIPAA Security Rule 45 CFR Part 164 Subpart C: " in text
    assert "  FAIL cis-5-1-1-bucket-not-public [5.1.1]" in text
    assert "mandatory violation(s): deployment blocked" in text
    assert "Policies: no mandatory violation; 0 advisory finding(s); 0 waived." in render_text(PACKS, [])


def test_resource_label() -> None:
    assert resource_label(PUBLIC_BUCKET.urn) == "public-bucket"
    assert resource_label("") == "(stack)"
