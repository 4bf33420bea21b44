"""The pack as reviewers and the engine see it: complete metadata on every policy, one definition of the pack,
and a policy-pack project the Pulumi CLI can load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pulumi_policy import EnforcementLevel, Policy, ResourceValidationPolicy, Severity, StackValidationPolicy

from policies import checkov_oci, cis_oci, hipaa, kubernetes, oci_service_rules, reference_architecture
from policies._framework import CHECKOV_OCI, PolicyKind
from policies.packs import COMPLIANCE_PACK, PACKS

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MODULE_PREFIXES = [
    (cis_oci, "cis-"),
    (checkov_oci, "ckv"),
    (hipaa, "hipaa-"),
    (reference_architecture, "refarch-"),
    (oci_service_rules, "ocisvc-"),
    (kubernetes, "k8s-"),
]


def test_one_pack_holds_every_framework_module_in_order() -> None:
    assert PACKS == (COMPLIANCE_PACK,)
    modules = [module_policy for module, _ in MODULE_PREFIXES for module_policy in module.POLICIES]
    assert list(COMPLIANCE_PACK.policies) == modules


@pytest.mark.parametrize(
    ("kind", "specification", "wording"),
    [
        # The frameworks whose controls are this design's own statements: the wording is the description.
        (ResourceValidationPolicy, None, "Volumes are tested."),
        (StackValidationPolicy, "Ensure OCI volumes are tested", "Ensure OCI volumes are tested"),
    ],
)
def test_framework_policy_builds_the_kind_with_its_control_and_its_wording(
    kind: PolicyKind, specification: str | None, wording: str
) -> None:
    policy = CHECKOV_OCI.policy(
        "ckv-oci-0-test",
        "Volumes are tested.",
        lambda args, report_violation: None,
        kind=kind,
        level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
        reference="CKV_OCI_0",
        specification=specification,
        remediation="Test it.",
        tags=("storage",),
        url="https://example.com/ckv",
    )
    assert type(policy) is kind
    assert (policy.name, policy.description, policy.remediation_steps, policy.tags, policy.url) == (
        "ckv-oci-0-test",
        "Volumes are tested.",
        "Test it.",
        ["storage"],
        "https://example.com/ckv",
    )
    assert (policy.enforcement_level, policy.severity) == (EnforcementLevel.ADVISORY, Severity.LOW)
    assert policy.framework is not None
    framework = (policy.framework.name, policy.framework.version, policy.framework.reference)
    assert framework == (CHECKOV_OCI.name, CHECKOV_OCI.version, "CKV_OCI_0")
    assert policy.framework.specification == wording


def test_policy_names_are_unique_kebab_case_with_the_framework_prefix() -> None:
    names = [policy.name for policy in COMPLIANCE_PACK.policies]
    assert len(names) == len(set(names))
    assert [name for name in names if not KEBAB.match(name)] == []
    for module, prefix in MODULE_PREFIXES:
        assert all(policy.name.startswith(prefix) for policy in module.POLICIES), module.__name__


@pytest.mark.parametrize("policy", COMPLIANCE_PACK.policies, ids=lambda policy: policy.name)
def test_every_policy_has_complete_metadata(policy: Policy) -> None:
    assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)
    assert policy.severity is not None
    assert policy.framework is not None
    framework = policy.framework
    assert framework.name and framework.version and framework.reference and framework.specification
    assert policy.description.endswith(".") and len(policy.description) > 30
    assert policy.remediation_steps and len(policy.remediation_steps) > 20
    assert policy.tags


def test_thresholds_are_configurable_with_safe_defaults() -> None:
    schemas = {
        policy.name: {key: spec["default"] for key, spec in policy.config_schema.properties.items()}
        for policy in COMPLIANCE_PACK.policies
        if policy.config_schema is not None
    }
    assert schemas == {
        "cis-4-16-kms-key-rotation": {"maxRotationIntervalDays": 365},
        "cis-6-2-no-resources-in-root-compartment": {"allowedTypePrefixes": list(cis_oci.ROOT_ALLOWED_TYPE_PREFIXES)},
        "hipaa-164-312-b-audit-retention": {"minRetentionDays": 365},
        "hipaa-164-308-a-7-database-backups": {"minBackupRetentionDays": 7},
        "refarch-vcn-cidr-no-onprem-overlap": {"onPremCidrs": []},
        "ocisvc-nsg-rule-limit": {"maxRulesPerNsg": 120},
        "k8s-no-service-account-token": {"podsNeedingApiAccess": []},
        "k8s-non-root-high-uid": {
            "imageUidExceptions": {
                image: {"uid": uid, "reason": reason}
                for image, (uid, reason) in kubernetes.IMAGE_UID_EXCEPTIONS.items()
            }
        },
    }


def test_everything_that_would_expose_phi_is_mandatory() -> None:
    mandatory = {p.name for p in COMPLIANCE_PACK.policies if p.enforcement_level is EnforcementLevel.MANDATORY}
    exposing = {
        "cis-2-1-2-2-security-lists-no-admin-ports-from-anywhere",
        "cis-2-3-2-4-nsgs-no-admin-ports-from-anywhere",
        "cis-2-5-default-security-list-restricts-all",
        "cis-5-1-1-bucket-not-public",
        "ckv-oci-10-bucket-not-public",
        "ckv-oci-19-security-list-no-ssh-from-anywhere",
        "ckv-oci-20-security-list-no-rdp-from-anywhere",
        "ckv-oci-22-nsg-no-ssh-from-anywhere",
        "ckv2-oci-2-nsg-no-rdp-from-anywhere",
        "hipaa-164-312-a-1-no-public-endpoints",
        "hipaa-164-312-a-2-iv-encryption-at-rest-cmk",
        "hipaa-164-312-e-1-tls-1-2-listeners",
        "refarch-data-compartment-security-zone",
        "refarch-ai-custom-networking",
        "refarch-no-plaintext-secrets-in-containers",
    }
    assert exposing <= mandatory


def test_policy_pack_project_file() -> None:
    project = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert (POLICIES_DIR / project["runtime"]["options"]["virtualenv"] / "bin" / "python").exists()
    assert re.match(r"^\d+\.\d+\.\d+$", project["version"])
    main = (POLICIES_DIR / "__main__.py").read_text()
    assert main.count("PolicyPack(") == 1 and "COMPLIANCE_PACK" in main


def test_pack_readme_lists_every_policy_with_its_level() -> None:
    table = (POLICIES_DIR / "README.md").read_text().split("## Policies", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|") for line in table.splitlines() if line.startswith("| `")]
    documented = [(cells[1].strip(" `"), cells[3].strip()) for cells in rows]
    assert documented == [
        (p.name, (p.enforcement_level or EnforcementLevel.ADVISORY).value.upper()) for p in COMPLIANCE_PACK.policies
    ]
