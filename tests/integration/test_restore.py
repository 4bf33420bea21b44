"""Restore, for real: the index from a backup into a new database server, and an image from a previous version.

Index (README "Restore runbook", index): real PostgreSQL 15 and real Orthanc 1.10.1. Studies are stored, a
backup is taken, the database server is destroyed, a *new* server is restored from the backup and Orthanc is
pointed at it; Orthanc then serves the same studies with identical pixels. On OCI the backup is the DB system's
automatic (or on-demand) backup and the restore a new DB system created from it (`ops.restoreFromBackupOcid`);
here `pg_dump --format=custom` / `pg_restore` of Orthanc's database stand in for them: a logical copy of the
same database, restored into a server that carries the same role (an OCI restore carries the roles).

Images (README "Restore runbook", images): `python -m components.ops.recover_object` against moto's S3 server
(real HTTP on loopback, versioning on, path-style addressing as on OCI), credentials read from files like
Orthanc's. Debian's Orthanc has no S3 plugin, so the object in the bucket is the exact file Orthanc stored
(`GET /instances/{id}/file`) put under the S3 plugin's key `<attachment uuid>.dcm`; after an overwrite and a
deletion the command brings each back, the recovered bytes are identical to Orthanc's, and a real Orthanc that
lost the instance imports the recovered object and serves the same instance with identical pixels.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pydicom
import pytest
import requests

from bench.dicom_factory import make_study, study_instances
from bench.local_stack import PG_BIN, OrthancServer, PostgresServer, require_binaries
from components.ops import recover_object
from components.orthanc.orthanc_config import user_password_env_var
from tests.integration.ops_support import REGION, USER, orthanc_on, pixel_digests, upload

pytestmark = pytest.mark.integration


def _studies(server: OrthancServer) -> set[str]:
    return set(requests.get(f"{server.url}/studies", auth=server.auth, timeout=30).json())


def _pg_tool(tool: str, server: PostgresServer, *args: str) -> None:
    """Run a PostgreSQL client tool as Orthanc's role over TLS, like Orthanc connects."""
    env = {"PGPASSWORD": server.password, "PGSSLMODE": "require", "PATH": "/usr/bin:/bin"}
    command = [str(PG_BIN / tool), "-h", "127.0.0.1", "-p", str(server.port), "-U", server.username, *args]
    subprocess.run(command, check=True, capture_output=True, env=env)


@pytest.fixture
def stored_studies() -> list[pydicom.Dataset]:
    """Two patients, one study each, two series of two 512x512 CT slices."""
    return [ds for index in (1, 2) for ds in study_instances(make_study(index), series_count=2, instances_per_series=2)]


def test_index_restored_from_a_backup_serves_the_same_studies(
    tmp_path: Path, stored_studies: list[pydicom.Dataset]
) -> None:
    require_binaries()
    secret_values = {user_password_env_var(USER): secrets.token_urlsafe(24)}
    storage, backup = tmp_path / "bucket", tmp_path / "orthanc.dump"
    original, restored = PostgresServer(), PostgresServer()
    servers: list[OrthancServer] = []
    try:
        original.init()
        orthanc = orthanc_on(
            original, storage, tmp_path / "orthanc", {**secret_values, "ORTHANC_DB_PASSWORD": original.password}
        )
        servers.append(orthanc)
        orthanc.start()
        upload(orthanc, stored_studies)
        studies_before, pixels_before = _studies(orthanc), pixel_digests(orthanc)
        assert len(studies_before) == 2 and len(pixels_before) == len(stored_studies)
        # Runbook step 1: the backup (OCI: the DB system's backup; here a logical dump of Orthanc's database).
        _pg_tool("pg_dump", original, "--format=custom", f"--file={backup}", original.database)
        # The disaster: Orthanc stops, the database server and all its files are gone.
        orthanc.stop()
        original.destroy()
        # Runbook step 2: a new server from the backup, with the same role (OCI restores roles with the data).
        restored.password = original.password
        restored.init()
        _pg_tool(
            "pg_restore", restored, "--clean", "--if-exists", "--no-owner", f"--dbname={restored.database}", str(backup)
        )
        # Runbook step 3: Orthanc pointed at the restored server (its host and port), same storage.
        repointed = orthanc_on(
            restored,
            storage,
            tmp_path / "orthanc-restored",
            {**secret_values, "ORTHANC_DB_PASSWORD": restored.password},
        )
        servers.append(repointed)
        repointed.start()
        assert _studies(repointed) == studies_before
        assert pixel_digests(repointed) == pixels_before
        expected = {str(ds.SOPInstanceUID): hashlib.sha256(ds.PixelData).hexdigest() for ds in stored_studies}
        assert pixels_before == expected  # and both equal what was sent
    finally:
        for server in servers:
            server.stop()
        original.destroy()
        restored.destroy()


def test_deleted_and_overwritten_images_are_recovered_from_previous_versions(
    tmp_path: Path, s3: tuple[str, Any], stored_studies: list[pydicom.Dataset]
) -> None:
    require_binaries()
    endpoint, client = s3
    bucket = "dicom"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    postgres = PostgresServer()
    secret_values = {user_password_env_var(USER): secrets.token_urlsafe(24)}
    orthanc: OrthancServer | None = None
    try:
        postgres.init()
        orthanc = orthanc_on(
            postgres,
            tmp_path / "storage",
            tmp_path / "orthanc",
            {**secret_values, "ORTHANC_DB_PASSWORD": postgres.password},
        )
        orthanc.start()
        overwritten_id, deleted_id = upload(orthanc, stored_studies[:2])
        stored: dict[str, tuple[str, bytes]] = {}
        for instance_id in (overwritten_id, deleted_id):
            uuid = requests.get(
                f"{orthanc.url}/instances/{instance_id}/attachments/dicom/info", auth=orthanc.auth, timeout=30
            ).json()["Uuid"]
            file = requests.get(f"{orthanc.url}/instances/{instance_id}/file", auth=orthanc.auth, timeout=30).content
            stored[instance_id] = (f"{uuid}.dcm", file)
            # What the S3 plugin writes for this attachment (flat structure: `<uuid>.dcm`).
            client.put_object(Bucket=bucket, Key=f"{uuid}.dcm", Body=file)
        # The incidents: one object overwritten with garbage, the other deleted.
        client.put_object(Bucket=bucket, Key=stored[overwritten_id][0], Body=b"not a DICOM file")
        client.delete_object(Bucket=bucket, Key=stored[deleted_id][0])
        # Orthanc's credential files, read by the command like Orthanc reads them.
        access_file, secret_file = tmp_path / "orthanc-s3-access-key", tmp_path / "orthanc-s3-secret-key"
        access_file.write_text("orthanc-access-key\n")
        secret_file.write_text("orthanc-secret-key\n")
        for instance_id, (key, original_file) in stored.items():
            common = ["--endpoint", endpoint, "--region", REGION, "--bucket", bucket, "--key", key,
                      "--access-key-file", str(access_file), "--secret-key-file", str(secret_file)]  # fmt: skip
            assert recover_object.main([*common, "--dry-run"]) == 0
            saved = tmp_path / f"{instance_id}.dcm"
            assert recover_object.main([*common, "--save", str(saved)]) == 0
            recovered = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            assert recovered == original_file == saved.read_bytes(), instance_id  # byte-identical to Orthanc's
            # A real Orthanc that lost the instance reads the recovered object: same instance, same pixels.
            requests.delete(f"{orthanc.url}/instances/{instance_id}", auth=orthanc.auth, timeout=30).raise_for_status()
            answer = requests.post(f"{orthanc.url}/instances", data=recovered, auth=orthanc.auth, timeout=30)
            assert answer.json()["ID"] == instance_id
            served = requests.get(f"{orthanc.url}/instances/{instance_id}/file", auth=orthanc.auth, timeout=30).content
            assert pydicom.dcmread(io.BytesIO(served)).PixelData == pydicom.dcmread(io.BytesIO(original_file)).PixelData
        # Nothing was destroyed: the bad version and the delete marker are still in the history.
        history = recover_object.versions(client, bucket, stored[deleted_id][0])
        assert not history[0].is_delete_marker and history[0].is_latest
        assert sorted(v.is_delete_marker for v in history) == [False, False, True]
    finally:
        if orthanc is not None:
            orthanc.stop()
        postgres.destroy()


def test_an_object_without_a_previous_version_is_refused(s3: tuple[str, Any]) -> None:
    _, client = s3
    client.create_bucket(Bucket="dicom", CreateBucketConfiguration={"LocationConstraint": REGION})
    client.put_bucket_versioning(Bucket="dicom", VersioningConfiguration={"Status": "Enabled"})
    client.put_object(Bucket="dicom", Key="only.dcm", Body=b"x")
    with pytest.raises(recover_object.RecoveryError, match="no previous version"):
        recover_object.recover(client, "dicom", "only.dcm")
