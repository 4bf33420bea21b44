"""Fixtures: a real PostgreSQL 15 and real Orthanc 1.10.1 (Debian packages), configured by the renderer.

The Orthanc configuration is `render_orthanc_config(...)` with only the S3 section swapped for a local
directory (`with_local_storage`): Debian has no S3 plugin. Two replicas (replica_count=2) share the database
and the storage directory, as two Container Instances or pods share the database and the bucket. Secrets are
generated per run and written as files, and Orthanc starts through the rendered entrypoint snippet.

A missing binary raises (an error, never a skip): CI must install the packages.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom
import pytest
import requests
from dicomweb_client import DICOMwebClient
from moto.server import ThreadedMotoServer

from bench.dicom_factory import make_study, study_instances
from bench.local_stack import OrthancServer, PostgresServer, free_port, require_binaries
from components.ops import recover_object
from components.orthanc.orthanc_access import Role
from components.orthanc.orthanc_config import (
    DicomModality,
    ObjectStorageEndpoint,
    OrthancSettings,
    PostgresEndpoint,
    RenderedOrthancConfig,
    render_orthanc_config,
    user_password_env_var,
    with_local_storage,
)
from tests.integration.ops_support import REGION

MODALITY_AET = "CT_SCANNER"  # the one modality allowed in the rendered config
ORTHANC_AET = "DICOMSTORE"
USER = "admin"
# One user per role (components/orthanc/orthanc_access.py): the role tests call every route family as each of them.
USER_ROLES = {
    USER: Role.ADMINISTRATOR,
    "viewer": Role.READER,
    "gateway": Role.INGEST,
    "pacs.ops": Role.OPERATOR,
    "ai-pipeline": Role.PIPELINE,
}
STUDY_DATES = ("20240311", "20240312", "20240313")
SERIES_PER_STUDY = 2
INSTANCES_PER_SERIES = 3  # 3 studies x 2 series x 3 x 512x512x16 bit = ~9.5 MB of pixel data


@dataclass
class Cluster:
    """The PostgreSQL server and the two Orthanc replicas sharing it."""

    postgres: PostgresServer
    replicas: list[OrthancServer]


def _replica(
    index: int, postgres: PostgresServer, storage: Path, work_dir: Path, secret_values: dict[str, str]
) -> OrthancServer:
    settings = OrthancSettings(
        aet=ORTHANC_AET,
        http_port=free_port(),
        dicom_port=free_port(),
        modalities=(DicomModality(aet=MODALITY_AET, host="127.0.0.1", port=free_port()),),
        users=tuple(USER_ROLES),
        user_roles=USER_ROLES,
        replica_index=index,
        replica_count=2,
    )
    rendered: RenderedOrthancConfig = with_local_storage(
        render_orthanc_config(
            settings,
            PostgresEndpoint(
                host="127.0.0.1",
                port=postgres.port,
                database=postgres.database,
                username=postgres.username,
                max_connections=100,
            ),
            # Rendered for real, then dropped by with_local_storage: Debian has no S3 plugin.
            ObjectStorageEndpoint(namespace="testnamespace", region="eu-frankfurt-1", bucket="dicom"),
            secrets_directory=str(work_dir / "secrets"),
            access_script_path=str(work_dir / "access-control.lua"),
        ),
        str(storage),
    )
    return OrthancServer(rendered, work_dir, secret_values, USER)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    require_binaries()
    postgres = PostgresServer()
    replicas: list[OrthancServer] = []
    try:
        postgres.init()
        secret_values = {
            "ORTHANC_DB_PASSWORD": postgres.password,
            **{user_password_env_var(user): secrets.token_urlsafe(24) for user in USER_ROLES},
        }
        storage = tmp_path_factory.mktemp("storage")
        for index in range(2):
            work_dir = tmp_path_factory.mktemp(f"orthanc{index}")
            replicas.append(_replica(index, postgres, storage, work_dir, secret_values))
        for replica in replicas:
            replica.start()
        yield Cluster(postgres, replicas)
    finally:
        for replica in replicas:
            replica.stop()
        postgres.destroy()


@pytest.fixture
def new_db_system() -> Iterator[PostgresServer]:
    """A PostgreSQL 15 like a new OCI DB system: only the `postgres` database and a non-superuser administrator
    (CREATEDB CREATEROLE), TLS required; the database bootstrap's target."""
    require_binaries()
    server = PostgresServer(database="postgres", username="dicomstore_admin", administrator=True)
    try:
        server.init()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def postgres(cluster: Cluster) -> PostgresServer:
    return cluster.postgres


@pytest.fixture(scope="session")
def primary(cluster: Cluster) -> OrthancServer:
    """Replica 0: receives the uploads."""
    return cluster.replicas[0]


@pytest.fixture(scope="session")
def secondary(cluster: Cluster) -> OrthancServer:
    """Replica 1: same database, same storage, its own process and ports."""
    return cluster.replicas[1]


def _dicomweb(server: OrthancServer) -> DICOMwebClient:
    session = requests.Session()
    session.auth = server.auth
    section = server.rendered.config["DicomWeb"]
    assert isinstance(section, dict)
    return DICOMwebClient(url=server.url + str(section["Root"]).rstrip("/"), session=session)


@pytest.fixture(scope="session")
def dicomweb() -> Callable[[OrthancServer], DICOMwebClient]:
    """A DICOMweb client factory: authenticated, rooted where the rendered config puts DICOMweb."""
    return _dicomweb


@pytest.fixture(scope="session")
def studies() -> list[list[pydicom.Dataset]]:
    """Three patients, one study each on its own date, two series of three 512x512 CT slices."""
    return [
        list(
            study_instances(
                make_study(index, study_date=date),
                series_count=SERIES_PER_STUDY,
                instances_per_series=INSTANCES_PER_SERIES,
            )
        )
        for index, date in enumerate(STUDY_DATES, start=1)
    ]


@pytest.fixture(scope="session")
def stow_responses(primary: OrthancServer, studies: list[list[pydicom.Dataset]]) -> list[pydicom.Dataset]:
    """STOW-RS every study through replica 0 (dicomweb-client), one request per study."""
    client = _dicomweb(primary)
    return [client.store_instances(datasets=study) for study in studies]


STORE_USER = "admin"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OrthancServer, PostgresServer]]:
    """One Orthanc on a PostgreSQL of its own, for tests that stop the database (the shared cluster must not
    see that)."""
    require_binaries()
    postgres = PostgresServer()
    work = tmp_path_factory.mktemp("silent-loss")
    orthanc: OrthancServer | None = None
    try:
        postgres.init()
        rendered = render_orthanc_config(
            OrthancSettings(
                http_port=free_port(),
                dicom_port=free_port(),
                users=(STORE_USER,),
                user_roles={STORE_USER: Role.ADMINISTRATOR},
            ),
            PostgresEndpoint(
                host="127.0.0.1", port=postgres.port, database=postgres.database, username=postgres.username
            ),
            ObjectStorageEndpoint(namespace="testnamespace", region="eu-frankfurt-1", bucket="dicom"),
            secrets_directory=str(work / "secrets"),
            access_script_path=str(work / "access-control.lua"),
        )
        values = {
            "ORTHANC_DB_PASSWORD": postgres.password,
            user_password_env_var(STORE_USER): secrets.token_urlsafe(24),
        }
        orthanc = OrthancServer(with_local_storage(rendered, str(work / "storage")), work, values, STORE_USER)
        orthanc.start()
        yield orthanc, postgres
    finally:
        if orthanc is not None:
            orthanc.stop()
        postgres.destroy()


@pytest.fixture
def s3() -> Iterator[tuple[str, Any]]:
    """moto's S3 in server mode on loopback; a client signed like Orthanc's (path-style, SigV4, OCI region)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        # moto keeps its buckets per process, not per server: start every test from an empty store.
        requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
        yield endpoint, recover_object.s3_client(endpoint, REGION, "orthanc-access-key", "orthanc-secret-key")
    finally:
        server.stop()
