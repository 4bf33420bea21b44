"""Orphans of failed stores: found, kept while young, removed after the grace period; indexed files never.

A real failure makes the orphan: a STOW-RS while the index (real PostgreSQL 15) is down leaves the file Orthanc
wrote in its storage directory and nothing in the index. The bucket variant runs against moto's S3 server with
versioning, as the DICOM bucket has.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from pydicom.uid import generate_uid

from bench.dicom_factory import ct_instance, make_study, to_part10
from bench.local_stack import OrthancServer, PostgresServer
from components.ops import reconcile
from tools import stow

pytestmark = pytest.mark.integration

REGION = "eu-frankfurt-1"


def _stow(orthanc: OrthancServer, index: int) -> tuple[str, stow.StowOutcome]:
    ds = ct_instance(make_study(index), generate_uid(), 1, 1, rows=32, columns=32)
    session = requests.Session()
    session.auth = orthanc.auth
    return str(ds.SOPInstanceUID), stow.post_instances(session, orthanc.url + "/dicom-web", [to_part10(ds)])


def _storage(orthanc: OrthancServer) -> reconcile.LocalDirectory:
    return reconcile.LocalDirectory(Path(str(orthanc.rendered.config["StorageDirectory"])))


def _index(postgres: PostgresServer) -> set[str]:
    with postgres.connect() as connection:
        return reconcile.indexed_uuids(connection)


@pytest.fixture(scope="module")
def orphaned(store: tuple[OrthancServer, PostgresServer]) -> set[str]:
    """Keys of the files a failed STOW left behind (one good store first, so the index is not empty)."""
    orthanc, postgres = store
    kept, answer = _stow(orthanc, 501)
    assert kept in answer.stored
    before = {item.key for item in _storage(orthanc).objects()}
    postgres.stop()
    try:
        lost, answer = _stow(orthanc, 502)
        assert answer.status == 200 and lost not in answer.stored
    finally:
        postgres.start()
        orthanc.wait_ready()
    new = {item.key for item in _storage(orthanc).objects()} - before
    assert new, "the failed store left no file: nothing to reconcile"
    return new


def test_a_failed_store_leaves_files_the_index_does_not_know(
    store: tuple[OrthancServer, PostgresServer], orphaned: set[str]
) -> None:
    orthanc, postgres = store
    indexed = _index(postgres)
    by_key = {item.key: item.uuid for item in _storage(orthanc).objects()}
    assert all(by_key[key] not in indexed for key in orphaned)
    assert set(by_key) - orphaned and all(by_key[key] in indexed for key in set(by_key) - orphaned)


def test_young_orphans_are_spared_by_the_grace_period(
    store: tuple[OrthancServer, PostgresServer], orphaned: set[str]
) -> None:
    orthanc, postgres = store
    report = reconcile.reconcile(_storage(orthanc), lambda: _index(postgres), now=datetime.now(UTC), delete=True)
    assert report.orphans == () and report.deleted == ()
    assert orphaned <= {item.key for item in _storage(orthanc).objects()}


def test_the_command_reports_then_deletes_only_the_orphans(
    store: tuple[OrthancServer, PostgresServer], orphaned: set[str]
) -> None:
    orthanc, postgres = store
    directory = str(orthanc.rendered.config["StorageDirectory"])
    env = {
        **os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(postgres.port), "PGUSER": postgres.username,
        "PGDATABASE": postgres.database, "PGPASSWORD": postgres.password, "PGSSLMODE": "require",
    }  # fmt: skip
    command = [sys.executable, "-m", "components.ops.reconcile", "--directory", directory, "--grace-hours", "0"]
    dry = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert {line.split("\t")[1] for line in dry.stdout.splitlines() if line.startswith("orphan\t")} == orphaned
    assert "0 deleted" in dry.stderr and orphaned <= {item.key for item in _storage(orthanc).objects()}

    indexed_before = _index(postgres)
    wet = subprocess.run([*command, "--delete"], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert {line.split("\t")[1] for line in wet.stdout.splitlines() if line.startswith("deleted\t")} == orphaned
    remaining = {item.uuid for item in _storage(orthanc).objects()}
    assert remaining == indexed_before  # every indexed file is still there, no orphan is
    for instance in requests.get(f"{orthanc.url}/instances", auth=orthanc.auth, timeout=10).json():
        file = requests.get(f"{orthanc.url}/instances/{instance}/file", auth=orthanc.auth, timeout=10)
        assert file.status_code == 200 and file.content[128:132] == b"DICM"


def test_an_empty_index_refuses_to_delete(tmp_path: Path) -> None:
    """A wrong database would make every file look orphaned: refuse rather than empty the archive."""
    name = f"{uuid.uuid4()}"
    (tmp_path / name).write_bytes(b"DICM")
    with pytest.raises(reconcile.RefusedError, match="wrong database"):
        reconcile.reconcile(reconcile.LocalDirectory(tmp_path), set, now=datetime.now(UTC), delete=True)
    assert (tmp_path / name).exists()


@pytest.fixture
def bucket(s3: tuple[str, Any]) -> tuple[Any, str]:
    """A versioned bucket `dicom` on moto's S3 server (the shared `s3` fixture), as the DICOM bucket is."""
    _, client = s3
    client.create_bucket(Bucket="dicom", CreateBucketConfiguration={"LocationConstraint": REGION})
    client.put_bucket_versioning(Bucket="dicom", VersioningConfiguration={"Status": "Enabled"})
    return client, "dicom"


def test_bucket_orphans_are_deleted_and_stay_recoverable(bucket: tuple[Any, str]) -> None:
    """The S3 plugin's flat layout (`<uuid>.dcm`): the orphan is deleted, the indexed object stays, and in the
    versioned bucket the orphan's data remains as a previous version until lifecycle purges it."""
    client, name = bucket
    indexed, orphan = str(uuid.uuid4()), str(uuid.uuid4())
    for key in (indexed, orphan):
        client.put_object(Bucket=name, Key=f"{key}.dcm", Body=b"DICM" + key.encode())
    later = datetime.now(UTC) + timedelta(days=2)
    report = reconcile.reconcile(reconcile.Bucket(client, name), lambda: {indexed}, now=later, delete=True)
    assert report.deleted == (f"{orphan}.dcm",)
    keys = {item["Key"] for item in client.list_objects_v2(Bucket=name).get("Contents", [])}
    assert keys == {f"{indexed}.dcm"}
    versions = client.list_object_versions(Bucket=name, Prefix=f"{orphan}.dcm")
    assert len(versions["Versions"]) == 1 and len(versions["DeleteMarkers"]) == 1
