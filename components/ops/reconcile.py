"""Find, and after a grace period remove, stored files that Orthanc's index does not know (orphans).

Why: Orthanc writes a DICOM file to storage first and records it in the PostgreSQL index second. When the
second step fails (index unreachable, a replica killed mid-request) the file stays: patient data no API call can
ever list or delete, and a cost on object storage. Measured in tests/integration/test_reconcile.py: a STOW-RS
during an index outage leaves files behind.

How it stays safe:
- The storage is listed *before* the index is read, so a file whose store completes meanwhile is in the index
  by the time it is judged; and a file younger than the grace period (default 24 h) is never an orphan, so an
  upload still in flight is never touched.
- Dry run unless `--delete`. It refuses to delete anything when the index is empty while the storage is not
  (a wrong database would otherwise make everything look orphaned), and it deletes at most `--max-delete`
  objects per run.
- In the versioned bucket a delete leaves a previous version that the lifecycle policy purges after its
  retention (components/data/buckets.py): a wrong deletion can still be undone with components/ops/recover_object.py.

Usage (the same credentials Orthanc uses; PostgreSQL connection from the standard PG* variables, e.g. PGHOST,
PGUSER, PGDATABASE, PGPASSFILE, PGSSLMODE=require):
    python -m components.ops.reconcile --bucket <name> --endpoint https://<ns>.compat.objectstorage.<region>.
        oraclecloud.com --region <region> [--grace-hours 24] [--delete]
    python -m components.ops.reconcile --directory /var/lib/orthanc/db ...   (filesystem storage)
S3 keys come from ORTHANC_S3_ACCESS_KEY / ORTHANC_S3_SECRET_KEY, as in Orthanc's container.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import psycopg

from components.ops.recover_object import s3_client

# Orthanc names every stored file by a UUID (attachment uuid): `<root>/ab/cd/<uuid>` on a filesystem, `<uuid>.dcm`
# (and `.json` caches) with the S3 plugin's default flat layout.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DEFAULT_GRACE = timedelta(hours=24)
DEFAULT_MAX_DELETE = 1000


@dataclass(frozen=True)
class StoredObject:
    key: str
    """Path relative to the storage root, or the object's key."""
    uuid: str
    modified: datetime


class Storage(Protocol):
    def objects(self) -> Iterator[StoredObject]: ...
    def delete(self, key: str) -> None: ...


def attachment_uuid(key: str) -> str | None:
    match = _UUID.search(key.rsplit("/", 1)[-1])
    return match.group(0) if match else None


@dataclass(frozen=True)
class LocalDirectory:
    """Orthanc's `StorageDirectory` (the integration tests' storage; also plain-filesystem deployments)."""

    root: Path

    def objects(self) -> Iterator[StoredObject]:
        for path in self.root.rglob("*"):
            uuid = attachment_uuid(path.name)
            if path.is_file() and uuid:
                modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
                yield StoredObject(str(path.relative_to(self.root)), uuid, modified)

    def delete(self, key: str) -> None:
        (self.root / key).unlink()


@dataclass(frozen=True)
class Bucket:
    """The DICOM bucket through OCI's S3 compatibility API (components/ops/recover_object.py's client)."""

    client: Any
    name: str

    def objects(self) -> Iterator[StoredObject]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name):
            for item in page.get("Contents", []):
                uuid = attachment_uuid(item["Key"])
                if uuid:
                    yield StoredObject(item["Key"], uuid, item["LastModified"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)


def indexed_uuids(connection: psycopg.Connection[Any]) -> set[str]:
    """Every attachment the index knows (Orthanc's PostgreSQL plugin: table AttachedFiles, column uuid)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT uuid FROM AttachedFiles")
        return {str(row[0]) for row in cursor.fetchall()}


def find_orphans(
    objects: Iterable[StoredObject], indexed: set[str], now: datetime, grace: timedelta = DEFAULT_GRACE
) -> list[StoredObject]:
    """Objects the index does not know and that are older than the grace period."""
    return [item for item in objects if item.uuid not in indexed and item.modified <= now - grace]


@dataclass(frozen=True)
class Report:
    listed: int
    indexed: int
    orphans: tuple[StoredObject, ...]
    deleted: tuple[str, ...]


class RefusedError(RuntimeError):
    """The run would be unsafe (see the module docstring); nothing was deleted."""


def reconcile(
    storage: Storage,
    read_index: Callable[[], set[str]],
    *,
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
    delete: bool = False,
    max_delete: int = DEFAULT_MAX_DELETE,
) -> Report:
    """List the storage, then read the index (`read_index()`), then report or delete the orphans."""
    listed = list(storage.objects())
    indexed = read_index()
    if listed and not indexed:
        raise RefusedError(f"the index lists no file while the storage holds {len(listed)}: wrong database?")
    orphans = find_orphans(listed, indexed, now, grace)
    if delete and len(orphans) > max_delete:
        raise RefusedError(f"{len(orphans)} orphans exceed --max-delete {max_delete}: review the dry run first")
    deleted = []
    if delete:
        for orphan in orphans:
            storage.delete(orphan.key)
            deleted.append(orphan.key)
    return Report(len(listed), len(indexed), tuple(orphans), tuple(deleted))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.ops.reconcile", description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--bucket", help="the DICOM bucket (S3 compatibility API)")
    where.add_argument("--directory", type=Path, help="Orthanc's StorageDirectory")
    parser.add_argument("--endpoint", help="S3 compatibility endpoint, https://<ns>.compat.objectstorage.<region>...")
    parser.add_argument("--region", help="OCI region id (the S3 signing region)")
    parser.add_argument("--grace-hours", type=float, default=DEFAULT_GRACE.total_seconds() / 3600)
    parser.add_argument("--max-delete", type=int, default=DEFAULT_MAX_DELETE)
    parser.add_argument("--delete", action="store_true", help="delete the orphans (default: report only)")
    args = parser.parse_args(argv)
    storage: Storage
    if args.bucket:
        if not (args.endpoint and args.region):
            parser.error("--bucket needs --endpoint and --region")
        keys = (os.environ.get("ORTHANC_S3_ACCESS_KEY"), os.environ.get("ORTHANC_S3_SECRET_KEY"))
        if not all(keys):
            parser.error("set ORTHANC_S3_ACCESS_KEY and ORTHANC_S3_SECRET_KEY (Orthanc's customer secret key)")
        storage = Bucket(s3_client(args.endpoint, args.region, str(keys[0]), str(keys[1])), args.bucket)
    else:
        storage = LocalDirectory(args.directory)

    def read_index() -> set[str]:
        with psycopg.connect() as connection:  # PG* environment variables, like psql
            return indexed_uuids(connection)

    try:
        report = reconcile(
            storage,
            read_index,
            now=datetime.now(UTC),
            grace=timedelta(hours=args.grace_hours),
            delete=args.delete,
            max_delete=args.max_delete,
        )
    except RefusedError as error:
        print(f"reconcile: refused: {error}", file=sys.stderr)
        return 2
    for orphan in report.orphans:
        action = "deleted" if orphan.key in report.deleted else "orphan"
        print(f"{action}\t{orphan.key}\t{orphan.modified.isoformat()}")
    print(
        f"reconcile: {report.listed} stored, {report.indexed} indexed, {len(report.orphans)} orphan(s) older than "
        f"{args.grace_hours:g} h, {len(report.deleted)} deleted",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
