"""The offline engine records what the real engine would see, redacts secrets and fails loudly."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pulumi
import pulumi_oci as oci
import pytest

from offline.invokes import OFFLINE_NAMESPACE, UnansweredInvokeError
from offline.redact import REDACTED, SECRET_SIG, SIG_KEY, redact
from offline.report import plan_document
from tests.support import PROJECT_DIR, record


def _bucket_and_dependant() -> None:
    namespace = oci.objectstorage.get_namespace_output()
    bucket = oci.objectstorage.Bucket(
        "images",
        compartment_id="ocid1.compartment.oc1..aaaaaaaaexampleexampleexample",
        namespace=namespace.namespace,
        name="images",
        opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True),
    )
    oci.vault.Secret(
        "s3-key",
        compartment_id="ocid1.compartment.oc1..aaaaaaaaexampleexampleexample",
        vault_id="ocid1.vault.oc1..aaaaaaaaexampleexampleexample",
        key_id="ocid1.key.oc1..aaaaaaaaexampleexampleexample",
        secret_name="s3-key",
        secret_content={"content_type": "BASE64", "content": pulumi.Output.secret("c3VwZXJzZWNyZXQ=")},
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[bucket]),
    )


def test_records_parent_protect_retain_dependencies_and_engine_inputs() -> None:
    recorded = record(_bucket_and_dependant)
    bucket, secret = recorded.named("images"), recorded.named("s3-key")
    assert (bucket.protect, bucket.retain_on_delete) == (True, True)
    assert bucket.inputs["namespace"] == OFFLINE_NAMESPACE  # the invoke's answer flowed into an input
    assert bucket.inputs["compartmentId"].startswith("ocid1.compartment.")  # camelCase engine names
    assert secret.parent == bucket.urn
    assert bucket.urn in secret.dependencies
    assert secret.urn == "urn:pulumi:test::dicomstore::oci:ObjectStorage/bucket:Bucket$oci:Vault/secret:Secret::s3-key"
    assert bucket.urn == "urn:pulumi:test::dicomstore::oci:ObjectStorage/bucket:Bucket::images"
    assert secret.inputs["secretContent"]["content"] == {SIG_KEY: SECRET_SIG, "value": "c3VwZXJzZWNyZXQ="}


def test_secrets_never_reach_the_json_plan() -> None:
    recorded = record(_bucket_and_dependant)
    text = json.dumps(plan_document(project="p", stack="s", records=recorded.records, outputs={}, policies={}, cost={}))
    assert "c3VwZXJzZWNyZXQ=" not in text
    assert REDACTED in text


def test_redact_walks_nested_values() -> None:
    secret = {SIG_KEY: SECRET_SIG, "value": "hunter2"}
    assert redact({"a": [1, {"b": secret}], "c": secret}) == {"a": [1, {"b": REDACTED}], "c": REDACTED}


def test_unanswered_invoke_fails_loudly() -> None:
    def program() -> None:
        oci.core.get_vcns_output(compartment_id="ocid1.compartment.oc1..aaaaaaaaexampleexampleexample")

    with pytest.raises(Exception, match=r"no answer for invoke 'oci:Core/getVcns:getVcns'") as caught:
        record(program)
    assert isinstance(caught.value, UnansweredInvokeError) or "UnansweredInvokeError" in repr(caught.value)


def test_stack_transform_is_applied_like_the_engine_does() -> None:
    def program() -> None:
        pulumi.runtime.register_resource_transform(
            lambda args: pulumi.ResourceTransformResult(props={**args.props, "displayName": "changed"}, opts=args.opts)
        )
        oci.core.Vcn("vcn", compartment_id="ocid1.compartment.oc1..aaaaaaaaexampleexampleexample")

    assert record(program).named("vcn").inputs["displayName"] == "changed"


def test_runs_are_isolated() -> None:
    first = record(_bucket_and_dependant)
    second = record(_bucket_and_dependant)
    assert [r.urn for r in first] == [r.urn for r in second]


def _offline(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offline", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The project's program and stack files in a scratch folder, to add bad stacks to."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    return tmp_path


def test_plan_writes_the_json_contract(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = _offline("plan", "--stack", "dev", "--json", str(out), cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stderr  # dev passes every mandatory policy
    document = json.loads(out.read_text())
    assert set(document) == {"project", "stack", "resources", "outputs", "policies", "cost", "summary"}
    assert (document["project"], document["stack"]) == ("dicomstore", "dev")
    entry = document["resources"][0]
    assert set(entry) == {"urn", "type", "name", "parent", "protect", "retainOnDelete", "dependencies", "inputs"}
    assert "oci:Core/vcn:Vcn" in {resource["type"] for resource in document["resources"]}
    assert "├─" in result.stdout and "Resources:" in result.stdout
    # Deterministic: the same program and config give the same bytes, whatever order outputs resolved in.
    urns = [resource["urn"] for resource in document["resources"]]
    assert urns == sorted(urns)
    assert all(resource["dependencies"] == sorted(resource["dependencies"]) for resource in document["resources"])
    cost_urns = [line["urn"] for line in document["cost"]["lines"]]
    assert cost_urns == sorted(cost_urns)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("10.0.0.0/14", "10.20.0.0/20"), "dicomstore:network.onPremCidrs[0] = '10.20.0.0/20': overlaps the VCN"),
        (
            ("ocid1.tenancy.oc1..aaaaaaaaexampletenancy", "ocid1.user.oc1..aaaaaaaaexampletenancy"),
            "dicomstore:tenancyOcid = 'ocid1.user.oc1..",
        ),
    ],
)
def test_bad_config_exits_2_naming_the_key_without_a_traceback(
    project_copy: Path, edit: tuple[str, str], expected: str
) -> None:
    text = (project_copy / "Pulumi.dev.yaml").read_text()
    assert edit[0] in text
    (project_copy / "Pulumi.bad.yaml").write_text(text.replace(edit[0], edit[1]))
    result = _offline("plan", "--stack", "bad", "--project-dir", str(project_copy), cwd=PROJECT_DIR)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_stack_file_exits_2(project_copy: Path) -> None:
    result = _offline("plan", "--stack", "nosuch", "--project-dir", str(project_copy), cwd=PROJECT_DIR)
    assert result.returncode == 2
    assert "Pulumi.nosuch.yaml" in result.stderr


def test_unquoted_dates_in_a_stack_file_reach_the_program_as_the_cli_passes_them() -> None:
    """A waiver's `expires: 2027-01-31` is a string to the Pulumi CLI's YAML reader; PyYAML makes it a date,
    which must become the same string, not a traceback."""
    import datetime

    from offline.engine import pulumi_json

    assert pulumi_json({"expires": datetime.date(2027, 1, 31)}) == '{"expires":"2027-01-31"}'
