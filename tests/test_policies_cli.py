"""End to end: the shipped stacks pass every MANDATORY policy; a deliberately insecure stack makes
`python -m offline plan` exit 1 listing its violations; an edited JSON plan or a stack export with insecure
resources makes `python -m offline check` exit 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.cli import main
from offline.policy_cli import stack_policy_config
from offline.policy_replay import replay
from offline.stack_import import load_stack
from policies.packs import PACKS
from tests.support import PROJECT_DIR, Recorded

NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
BUCKET = "oci:ObjectStorage/bucket:Bucket"
SSH_FROM_ANYWHERE = {
    "direction": "INGRESS",
    "protocol": "6",
    "source": "0.0.0.0/0",
    "sourceType": "CIDR_BLOCK",
    "tcpOptions": {"destinationPortRange": {"min": 22, "max": 22}},
}
CLOUD_GUARD = "oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration"
AUDIT = "oci:Audit/configuration:Configuration"
TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancy"
PUBLIC_BUCKET = {"accessType": "ObjectRead", "versioning": "Disabled", "compartmentId": "ocid1.compartment.oc1..x"}


def waived_in_stack_file(stack: str) -> set[tuple[str, str]]:
    """(policy, resource) of the stack file's waivers: the only mandatory findings a shipped stack may have."""
    config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {(w["policy"], w["resource"]) for w in config.get("dicomstore:policies", {}).get("waivers", [])}


# Prod waives digest pinning until the digests are read from the registries (Pulumi.prod.yaml says how).
PROD_KUBERNETES_GAPS = waived_in_stack_file("prod")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_pass_every_mandatory_policy(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Recorded = request.getfixturevalue(f"{stack}_plan")
    config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    policy_config = stack_policy_config({"dicomstore:network": json.dumps(config["dicomstore:network"])})
    mandatory = {
        (r.policy, r.urn.rsplit("::", 1)[-1]) for r in replay(plan.records, PACKS, policy_config) if r.mandatory
    }
    assert mandatory == waived_in_stack_file(stack)
    assert stack == "dev" or {policy for policy, _ in mandatory} == {"k8s-images-pinned-by-digest"}


@pytest.fixture
def insecure_project(tmp_path: Path) -> Path:
    """The project with a stack `insecure`: dev, plus an internet-facing load balancer tier and no security zone.

    Both are legal config choices (the config layer accepts them), which is exactly why the policies exist.
    """
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    stack["config"]["dicomstore:network"]["publicLoadBalancer"] = True
    stack["config"].setdefault("dicomstore:security", {})["securityZoneEnabled"] = False
    (tmp_path / "Pulumi.insecure.yaml").write_text(yaml.safe_dump(stack))
    return tmp_path


def test_plan_of_an_insecure_stack_exits_1_and_lists_the_violations(
    insecure_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_json, markdown, sarif = tmp_path / "plan.json", tmp_path / "report.md", tmp_path / "report.sarif"
    code = main(
        ["plan", "--stack", "insecure", "--project-dir", str(insecure_project), "--json", str(plan_json),
         "--markdown", str(markdown), "--sarif", str(sarif)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL hipaa-164-312-a-1-no-public-endpoints [164.312(a)(1)]" in out
    assert "MANDATORY dicomstore-network-lb: oci:Core/subnet:Subnet 'dicomstore-network-lb' has public IPs" in out
    # The flag is wired through: the load balancer itself is internet-facing, and the pack names it.
    assert "MANDATORY dicomstore-orthanc-lb-lb: oci:LoadBalancer/loadBalancer:LoadBalancer" in out
    assert "FAIL refarch-data-compartment-security-zone [security.security-zone]" in out
    assert (
        "MANDATORY dicomstore-storage-bucket: oci:ObjectStorage/bucket:Bucket 'dicomstore-storage-bucket' holds PHI"
        in out
    )
    assert "deployment blocked" in out
    results = json.loads(plan_json.read_text())["policies"]["results"]
    assert {"policy": "hipaa-164-312-a-1-no-public-endpoints", "enforcement": "mandatory"}.items() <= next(
        r for r in results if r["policy"] == "hipaa-164-312-a-1-no-public-endpoints"
    ).items()
    assert "| 164.312(a)(1) | `hipaa-164-312-a-1-no-public-endpoints` | MANDATORY | critical | FAIL |" in (
        markdown.read_text()
    )
    assert any(r["level"] == "error" for r in json.loads(sarif.read_text())["runs"][0]["results"])


def test_policy_settings_from_the_stack_config() -> None:
    network = json.dumps({"vcnCidrs": ["10.20.0.0/16"], "onPremCidrs": ["10.0.0.0/14"]})
    assert stack_policy_config({"dicomstore:network": network}) == {
        "refarch-vcn-cidr-no-onprem-overlap": {"onPremCidrs": ["10.0.0.0/14"]}
    }
    assert stack_policy_config({"dicomstore:network": "{not json"}) == {}
    assert stack_policy_config({}) == {}


def test_plan_of_the_dev_stack_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_json = tmp_path / "plan.json"
    assert main(["plan", "--stack", "dev", "--project-dir", str(PROJECT_DIR), "--json", str(plan_json)]) == 0
    assert "Policies: no mandatory violation" in capsys.readouterr().out
    document = json.loads(plan_json.read_text())
    assert document["policies"]["packs"] == ["dicomstore-compliance"]
    assert all(r["enforcement"] != "mandatory" for r in document["policies"]["results"])


def _add(document: dict[str, Any], resource_type: str, name: str, inputs: dict[str, Any]) -> str:
    urn = f"urn:pulumi:dev::dicomstore::{resource_type}::{name}"
    document["resources"].append(
        {"urn": urn, "type": resource_type, "name": name, "parent": "", "protect": False,
         "retainOnDelete": False, "dependencies": [], "inputs": inputs}
    )  # fmt: skip
    return urn


def test_check_of_an_edited_plan_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_json = tmp_path / "plan.json"
    assert main(["plan", "--stack", "dev", "--project-dir", str(PROJECT_DIR), "--json", str(plan_json)]) == 0
    assert main(["check", str(plan_json)]) == 0
    document = json.loads(plan_json.read_text())
    _add(document, NSG_RULE, "ssh-anywhere", SSH_FROM_ANYWHERE)
    _add(document, BUCKET, "leaky", PUBLIC_BUCKET)
    plan_json.write_text(json.dumps(document))
    capsys.readouterr()
    assert main(["check", str(plan_json), "--sarif", str(tmp_path / "check.sarif")]) == 1
    out = capsys.readouterr().out
    assert "(plan)" in out
    assert "MANDATORY ssh-anywhere: " in out and "to port 22. Fix:" in out
    assert "MANDATORY leaky: oci:ObjectStorage/bucket:Bucket 'leaky' has accessType 'ObjectRead'" in out
    sarif = json.loads((tmp_path / "check.sarif").read_text())
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "Pulumi.dev.yaml"
    )


def _export(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": 3, "deployment": {"manifest": {"version": "v3.272.0"}, "resources": resources}}


def _exported(resource_type: str, name: str, inputs: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:prod::dicomstore::{resource_type}::{name}",
        "custom": True,
        "type": resource_type,
        "inputs": inputs,
        "outputs": {**inputs, "id": f"ocid1.{name}"},
        **options,
    }


def test_check_of_a_stack_export_with_insecure_resources_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(_export([_exported(BUCKET, "leaky", PUBLIC_BUCKET), _exported(NSG_RULE, "ssh", SSH_FROM_ANYWHERE)]))
    )
    assert main(["check", str(export), "--markdown", str(tmp_path / "audit.md")]) == 1
    out = capsys.readouterr().out
    assert "Checking 2 resources of dicomstore/prod (stack export)" in out
    for policy in ("cis-5-1-1-bucket-not-public", "ckv-oci-22-nsg-no-ssh-from-anywhere",
                   "refarch-stateful-protected-retained", "hipaa-164-312-c-1-image-storage-integrity"):  # fmt: skip
        assert f"FAIL {policy}" in out
    assert "| 5.1.1 | `cis-5-1-1-bucket-not-public` | MANDATORY | critical | FAIL | leaky |" in (
        (tmp_path / "audit.md").read_text()
    )


def test_check_of_a_compliant_stack_export_exits_0(tmp_path: Path) -> None:
    data = "ocid1.compartment.oc1..data"
    bucket = {"name": "dicom", "accessType": "NoPublicAccess", "versioning": "Enabled", "kmsKeyId": "ocid1.key",
              "compartmentId": data, "objectEventsEnabled": True}  # fmt: skip
    read_log = {"configuration": {"source": {"service": "objectstorage", "category": "read", "resource": "dicom",
                                             "sourceType": "OCISERVICE"}}}  # fmt: skip
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(
            _export(
                [
                    _exported(BUCKET, "dicom", bucket, protect=True, retainOnDelete=True),
                    _exported("oci:CloudGuard/securityZone:SecurityZone", "zone", {"compartmentId": data}),
                    # Tenancy-wide controls that are now MANDATORY (CIS 4.14 Level 1, HIPAA 164.312(b)).
                    _exported(CLOUD_GUARD, "cloud-guard", {"compartmentId": TENANCY, "status": "ENABLED"}),
                    _exported(AUDIT, "audit", {"compartmentId": TENANCY, "retentionPeriodDays": 365}),
                    # HIPAA 164.312(b): who read which image (issue 12 item 10).
                    _exported("oci:Logging/log:Log", "dicom-read", read_log),
                ]
            )
        )
    )
    assert main(["check", str(export)]) == 0


def test_check_of_an_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "state.json"
    path.write_text("[]")
    assert main(["check", str(path)]) == 2
    assert "neither a JSON plan" in capsys.readouterr().err


def test_policy_config_file_overrides_levels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_export([_exported(NSG_RULE, "ssh", SSH_FROM_ANYWHERE)])))
    config = tmp_path / "policy-config.json"
    config.write_text(
        json.dumps(
            {
                "cis-2-3-2-4-nsgs-no-admin-ports-from-anywhere": "advisory",
                "ckv-oci-22-nsg-no-ssh-from-anywhere": {"enforcementLevel": "disabled"},
                # A one-resource export has no tenancy-wide resources: the stack-wide controls are out of scope.
                "cis-4-14-cloud-guard-enabled-in-root": "disabled",
                "hipaa-164-312-b-audit-and-access-logs": "disabled",
            }
        )
    )
    assert main(["check", str(export), "--policy-config", str(config)]) == 0
    assert "ADVISORY  ssh:" in capsys.readouterr().out
    config.write_text("{not json")
    assert main(["check", str(export), "--policy-config", str(config)]) == 2
    config.write_text(json.dumps({"cis-4-16-kms-key-rotation": {"enforcementLevel": "warn"}}))
    assert main(["check", str(export), "--policy-config", str(config)]) == 2
    assert "cis-4-16-kms-key-rotation.enforcementLevel = 'warn'; use one of" in capsys.readouterr().err


def test_a_stack_export_of_the_shipped_prod_stack_checks_like_its_plan(prod_plan: Recorded, tmp_path: Path) -> None:
    # What `pulumi stack export` would hold after `pulumi up` of prod: the same resources, inputs and options.
    export = _export(
        [
            {
                "urn": r.urn, "custom": r.custom, "type": r.type, "inputs": r.inputs, "outputs": {**r.inputs, "id": r.name},
                "parent": r.parent or None, "protect": r.protect, "retainOnDelete": r.retain_on_delete,
                "dependencies": list(r.dependencies),
            }
            for r in prod_plan.records
        ]
    )  # fmt: skip
    path = tmp_path / "prod-export.json"
    path.write_text(json.dumps(export))
    imported = load_stack(path)
    assert len(imported.records) == len(prod_plan.records)
    findings = {(r.policy, r.urn, r.message) for r in replay(imported.records, PACKS)}
    assert findings == {(r.policy, r.urn, r.message) for r in replay(prod_plan.records, PACKS)}
    assert main(["check", str(path)]) == (1 if PROD_KUBERNETES_GAPS else 0)
