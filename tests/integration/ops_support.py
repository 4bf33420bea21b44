"""Helpers of the day-2 operations integration tests: an Orthanc on a given PostgreSQL, uploads, pixel digests."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pydicom
import requests

from bench.local_stack import OrthancServer, PostgresServer, free_port
from components.orthanc.orthanc_access import Role
from components.orthanc.orthanc_config import (
    JsonObject,
    ObjectStorageEndpoint,
    OrthancSettings,
    PostgresEndpoint,
    render_orthanc_config,
    with_local_storage,
)

USER = "admin"
REGION = "eu-frankfurt-1"


def orthanc_on(
    postgres: PostgresServer,
    storage: Path,
    work_dir: Path,
    secret_values: dict[str, str],
    *,
    replica_index: int = 0,
    replica_count: int = 1,
    user_roles: Mapping[str, Role] | None = None,
    rollover_users: tuple[str, ...] = (),
    ports: tuple[int, int] | None = None,
) -> OrthancServer:
    """One Orthanc replica on `postgres` (the DB system it is pointed at) and `storage` (the bucket's stand-in).

    `user_roles` defaults to the administrator USER alone; `ports` (HTTP, DICOM) keeps a restarted replica's.
    """
    roles = dict(user_roles or {USER: Role.ADMINISTRATOR})
    http_port, dicom_port = ports or (free_port(), free_port())
    settings = OrthancSettings(
        aet="DICOMSTORE", http_port=http_port, dicom_port=dicom_port, modalities=(), users=tuple(roles),
        user_roles=roles, rollover_users=rollover_users, replica_index=replica_index, replica_count=replica_count,
    )  # fmt: skip
    rendered = with_local_storage(
        render_orthanc_config(
            settings,
            PostgresEndpoint("127.0.0.1", postgres.port, postgres.database, postgres.username, max_connections=100),
            ObjectStorageEndpoint(namespace="testnamespace", region=REGION, bucket="dicom"),
            secrets_directory=str(work_dir / "secrets"),
        ),
        str(storage),
    )
    # Debian's Web Viewer plugin (loaded from the plugin directory) caches in SQLite under the storage directory;
    # two replicas on one directory lock each other out. Each replica gets its own cache, as each pod has its disk.
    config: JsonObject = {**rendered.config, "WebViewer": {"CachePath": str(work_dir / "webviewer-cache")}}
    return OrthancServer(replace(rendered, config=config), work_dir, secret_values, USER)


def dicom_bytes(ds: pydicom.Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def upload(server: OrthancServer, datasets: list[pydicom.Dataset]) -> list[str]:
    """POST each instance to Orthanc's REST API; its Orthanc instance ids."""
    ids = []
    for ds in datasets:
        answer = requests.post(f"{server.url}/instances", data=dicom_bytes(ds), auth=server.auth, timeout=30)
        answer.raise_for_status()
        ids.append(answer.json()["ID"])
    return ids


def pixel_digests(server: OrthancServer) -> dict[str, str]:
    """SOP Instance UID -> SHA-256 of the PixelData of every instance Orthanc serves."""
    served = {}
    for instance_id in requests.get(f"{server.url}/instances", auth=server.auth, timeout=30).json():
        file = requests.get(f"{server.url}/instances/{instance_id}/file", auth=server.auth, timeout=30).content
        ds = pydicom.dcmread(io.BytesIO(file))
        served[str(ds.SOPInstanceUID)] = hashlib.sha256(ds.PixelData).hexdigest()
    return served
