"""Recover a deleted or overwritten DICOM object from the bucket's previous versions (S3-compatible API).

    python -m components.ops.recover_object \
        --endpoint https://<namespace>.compat.objectstorage.<region>.oraclecloud.com --region <region> \
        --bucket <bucket> --key <attachment uuid>.dcm [--version-id ID] [--dry-run]

Credentials are the ones Orthanc uses: the OCI Customer Secret Key, read from the files Orthanc reads
(`--access-key-file`, `--secret-key-file`, default /run/secrets/orthanc-s3-access-key and -secret-key) or from
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Addressing is path-style, as OCI's S3 compatibility API requires.

How it recovers (the bucket is versioned: components/data/storage.py): it lists the key's versions and delete
markers, picks the version to bring back (`--version-id`, or else the newest version that is not the current
one — the content before the overwrite or the deletion), reads it and writes it again as the new current
version, then reads the current version back and checks its SHA-256. Nothing is deleted: the bad version and any
delete marker stay in the history (the lifecycle rule expires them after
storage.noncurrentVersionRetentionDays), so the recovery itself can be undone.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

DEFAULT_SECRETS = Path("/run/secrets")  # where the Orthanc runtimes put the fetched Vault secrets


class RecoveryError(RuntimeError):
    """The object cannot be recovered as asked (no such version, nothing older to go back to)."""


@dataclass(frozen=True)
class Version:
    version_id: str
    is_latest: bool
    is_delete_marker: bool
    last_modified: Any


@dataclass(frozen=True)
class Recovery:
    key: str
    restored_from: str
    new_version_id: str
    sha256: str
    was_deleted: bool


def s3_client(endpoint: str, region: str, access_key: str, secret_key: str) -> Any:
    """An S3 client for OCI's S3 compatibility API: path-style addressing, SigV4 with the OCI region id."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def versions(client: Any, bucket: str, key: str) -> list[Version]:
    """Every version and delete marker of exactly `key`, the current one first, then newest first.

    S3 lists versions newest first but delete markers apart, and timestamps can tie within a second: the
    current entry is the one flagged IsLatest, and a stable sort keeps the listing's order among ties.
    """
    found: list[Version] = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for entry, marker in [(v, False) for v in page.get("Versions", [])] + [
            (m, True) for m in page.get("DeleteMarkers", [])
        ]:
            if entry["Key"] == key:
                found.append(Version(entry["VersionId"], entry["IsLatest"], marker, entry["LastModified"]))
    return sorted(found, key=lambda version: (version.is_latest, version.last_modified), reverse=True)


def choose(history: Sequence[Version], version_id: str | None) -> Version:
    """The version to restore: the one asked for, or the newest non-current object version."""
    candidates = [version for version in history if not version.is_delete_marker]
    if version_id is not None:
        for version in candidates:
            if version.version_id == version_id:
                return version
        raise RecoveryError(f"no object version {version_id!r} (versions: {[v.version_id for v in candidates]})")
    older = [version for version in candidates if not version.is_latest]
    if not older:
        raise RecoveryError("the object has no previous version to recover")
    return older[0]


def recover(client: Any, bucket: str, key: str, version_id: str | None = None, dry_run: bool = False) -> Recovery:
    """Make the chosen previous version the current one again and verify it byte for byte."""
    history = versions(client, bucket, key)
    if not history:
        raise RecoveryError(f"s3://{bucket}/{key} has no versions: wrong key, or versioning was off")
    source = choose(history, version_id)
    body = client.get_object(Bucket=bucket, Key=key, VersionId=source.version_id)["Body"].read()
    digest = hashlib.sha256(body).hexdigest()
    was_deleted = history[0].is_delete_marker
    if dry_run:
        return Recovery(key, source.version_id, "", digest, was_deleted)
    written = client.put_object(Bucket=bucket, Key=key, Body=body)
    current = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    if hashlib.sha256(current).hexdigest() != digest:
        raise RecoveryError("the current version read back differs from the recovered version")
    return Recovery(key, source.version_id, str(written.get("VersionId", "")), digest, was_deleted)


def _credential(explicit_file: Path | None, default_file: Path, env_var: str) -> str:
    path = explicit_file or default_file
    if path.exists():
        return path.read_text().strip()
    value = os.environ.get(env_var)
    if not value:
        raise RecoveryError(f"no credential: {path} does not exist and {env_var} is not set")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.ops.recover_object", description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", required=True, help="S3-compatible endpoint of the namespace and region")
    parser.add_argument("--region", required=True, help="OCI region id, e.g. eu-frankfurt-1")
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", required=True, help="object name: the attachment UUID + .dcm (S3 plugin, flat)")
    parser.add_argument("--version-id", help="restore this version (default: the newest previous version)")
    parser.add_argument("--access-key-file", type=Path)
    parser.add_argument("--secret-key-file", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="show what would be restored, change nothing")
    parser.add_argument("--save", type=Path, help="also write the recovered bytes here (to re-import into Orthanc)")
    args = parser.parse_args(argv)
    try:
        client = s3_client(
            args.endpoint,
            args.region,
            _credential(args.access_key_file, DEFAULT_SECRETS / "orthanc-s3-access-key", "AWS_ACCESS_KEY_ID"),
            _credential(args.secret_key_file, DEFAULT_SECRETS / "orthanc-s3-secret-key", "AWS_SECRET_ACCESS_KEY"),
        )
        recovery = recover(client, args.bucket, args.key, args.version_id, args.dry_run)
        if args.save is not None:
            body = client.get_object(Bucket=args.bucket, Key=args.key, VersionId=recovery.restored_from)["Body"]
            args.save.write_bytes(body.read())
    except RecoveryError as error:
        print(f"recover_object: {error}", file=sys.stderr)
        return 1
    action = "would restore" if args.dry_run else "restored"
    state = "deleted" if recovery.was_deleted else "overwritten"
    print(
        f"{action} s3://{args.bucket}/{recovery.key} ({state}) from version {recovery.restored_from}: "
        f"sha256 {recovery.sha256}"
        + (f", new current version {recovery.new_version_id}" if recovery.new_version_id else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
