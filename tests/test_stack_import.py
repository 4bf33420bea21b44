"""Reading records back from a JSON plan and from a `pulumi stack export` file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offline.records import ResourceRecord
from offline.redact import REDACTED, SECRET_SIG, SIG_KEY
from offline.report import plan_document
from offline.stack_import import StackImportError, load_stack, parse_urn

STACK_URN = "urn:pulumi:prod::dicomstore::pulumi:pulumi:Stack::dicomstore-prod"
COMPONENT_URN = "urn:pulumi:prod::dicomstore::dicomstore:storage:Storage::dicomstore-storage"
BUCKET_URN = "urn:pulumi:prod::dicomstore::dicomstore:storage:Storage$oci:ObjectStorage/bucket:Bucket::dicom"
SECRET_URN = "urn:pulumi:prod::dicomstore::oci:Vault/secret:Secret::db-password"


def export_document() -> dict[str, Any]:
    """The shape `pulumi stack export` writes (version 3 deployment)."""
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2026-11-24T10:00:00Z", "version": "v3.272.0"},
            "secrets_providers": {"type": "service"},
            "resources": [
                {"urn": STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack", "outputs": {}},
                {"urn": COMPONENT_URN, "custom": False, "type": "dicomstore:storage:Storage", "parent": STACK_URN},
                {
                    "urn": BUCKET_URN,
                    "custom": True,
                    "id": "dicomstore-prod-dicom",
                    "type": "oci:ObjectStorage/bucket:Bucket",
                    "inputs": {"accessType": "ObjectRead", "versioning": "Enabled", "compartmentId": "ocid1.c"},
                    "outputs": {"accessType": "ObjectRead", "versioning": "Enabled", "id": "dicomstore-prod-dicom"},
                    "parent": COMPONENT_URN,
                    "protect": True,
                    "retainOnDelete": True,
                    "dependencies": [COMPONENT_URN],
                    "provider": "urn:pulumi:prod::dicomstore::pulumi:providers:oci::default::1",
                },
                {
                    "urn": SECRET_URN,
                    "custom": True,
                    "type": "oci:Vault/secret:Secret",
                    "inputs": {"secretContent": {"content": {SIG_KEY: SECRET_SIG, "ciphertext": "v1:abc=="}}},
                    "protect": True,
                },
                {
                    "urn": "urn:pulumi:prod::dicomstore::oci:Core/subnet:Subnet::old",
                    "custom": True,
                    "type": "oci:Core/subnet:Subnet",
                    "inputs": {},
                    "delete": True,
                },
            ],
        },
    }


def test_parse_urn_takes_the_last_type_of_the_parent_chain() -> None:
    assert parse_urn(BUCKET_URN) == ("prod", "dicomstore", "oci:ObjectStorage/bucket:Bucket", "dicom")
    with pytest.raises(StackImportError, match="not a Pulumi URN"):
        parse_urn("arn:aws:s3:::bucket")


def test_stack_export_becomes_records(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export_document()))
    imported = load_stack(path)
    assert (imported.project, imported.stack, imported.source) == ("dicomstore", "prod", "stack export")
    assert [r.name for r in imported.records] == ["dicomstore-prod", "dicomstore-storage", "dicom", "db-password"]
    bucket = imported.records[2]
    assert bucket == ResourceRecord(
        urn=BUCKET_URN,
        type="oci:ObjectStorage/bucket:Bucket",
        name="dicom",
        parent=COMPONENT_URN,
        protect=True,
        retain_on_delete=True,
        dependencies=(COMPONENT_URN,),
        inputs={"accessType": "ObjectRead", "versioning": "Enabled", "compartmentId": "ocid1.c"},
        custom=True,
    )
    assert [r.custom for r in imported.records] == [False, False, True, True]
    # Encrypted secrets stay secrets, with their content hidden.
    assert imported.records[3].inputs == {"secretContent": {"content": {SIG_KEY: SECRET_SIG, "value": REDACTED}}}


def test_json_plan_round_trips(tmp_path: Path) -> None:
    records = (
        ResourceRecord(urn=STACK_URN, type="pulumi:pulumi:Stack", name="dicomstore-prod", custom=False),
        ResourceRecord(
            urn=BUCKET_URN, type="oci:ObjectStorage/bucket:Bucket", name="dicom", parent=STACK_URN, protect=True,
            retain_on_delete=True, dependencies=(STACK_URN,), inputs={"versioning": "Enabled", "size": 1},
        ),
    )  # fmt: skip
    document = plan_document(
        project="dicomstore", stack="prod", records=records, outputs={},
        policies={"packs": [], "results": []}, cost={"currency": "USD", "monthly": 0.0, "lines": []},
    )  # fmt: skip
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    imported = load_stack(path)
    assert (imported.project, imported.stack, imported.source) == ("dicomstore", "prod", "plan")
    assert imported.records == records


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read it as JSON"),
        ('{"outputs": {}}', "neither a JSON plan"),
        ('{"resources": [{"type": "x"}]}', "every resource needs a urn"),
    ],
)
def test_unreadable_files_are_rejected_with_the_fix(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "input.json"
    path.write_text(content)
    with pytest.raises(StackImportError, match=message):
        load_stack(path)
