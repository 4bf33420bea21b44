"""Rotation of the PostgreSQL password of Orthanc's role while the store is in use, for real.

Two real Orthanc replicas share a real PostgreSQL 15 behind a stand-in for the load balancer (a client that
only sends to replicas in rotation, as the load balancer only sends to backends passing their health check).
A bounded client loop keeps storing and querying while the README's procedure runs:

1. the new password becomes the role's password (`ALTER ROLE`, what the first restarted replica's database
   bootstrap does from the new Vault secret version); PostgreSQL checks passwords only when a connection is
   opened, so the replicas' open index connections keep working;
2. replica by replica: out of rotation, restart with the new secret (on OCI: the new Vault secret version, read
   at start by the secret fetcher), back in rotation once healthy.

Zero requests fail, the old password is refused afterwards, and both replicas serve everything stored.

The same loop proves the Orthanc users' password rollover (README, "Rotating the Orthanc users' passwords"):
Orthanc knows one password per user name, so the client crosses over on a second name, the rollover alias
`<user>+rollover` with the same role, through three rolling restarts (alias in; user's new password; alias out).
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from pathlib import Path

import psycopg
import pydicom
import pytest
import requests

from bench.dicom_factory import make_study, study_instances
from bench.local_stack import OrthancServer, PostgresServer, require_binaries
from components.orthanc_access import Role
from components.orthanc_config import rollover_password_env_var, rollover_user, user_password_env_var
from tests.integration.ops_support import USER, dicom_bytes, orthanc_on

pytestmark = pytest.mark.integration

MAX_REQUESTS = 5_000  # the client loop is bounded in count...
MAX_SECONDS = 120.0  # ...and in time
PAUSE_SECONDS = 0.02  # between two store+query pairs: steady traffic, not a flood
DB_PASSWORD = "ORTHANC_DB_PASSWORD"


class RotatingClient:
    """Stores and queries round-robin over the replicas in rotation; counts every failure."""

    def __init__(self, replicas: list[OrthancServer], datasets: list[pydicom.Dataset]) -> None:
        self.in_rotation = list(replicas)
        self.lock = threading.Lock()
        self.uploads = itertools.cycle([dicom_bytes(ds) for ds in datasets])
        self.requests = 0
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.auth: tuple[str, str] | None = None
        """The credential the client sends; None: each replica's own (its administrator)."""

    def _next(self) -> tuple[OrthancServer, tuple[str, str]]:
        with self.lock:
            server = self.in_rotation[self.requests % len(self.in_rotation)]
            self.requests += 1
            return server, self.auth or server.auth

    def switch(self, auth: tuple[str, str]) -> None:
        """The client's owner gives it another credential (a request already sent keeps the one it had)."""
        with self.lock:
            self.auth = auth

    def run(self) -> None:
        deadline = time.monotonic() + MAX_SECONDS
        while not self.stop.is_set() and self.requests < MAX_REQUESTS and time.monotonic() < deadline:
            server, auth = self._next()
            try:
                stored = requests.post(f"{server.url}/instances", data=next(self.uploads), auth=auth, timeout=30)
                found = requests.get(f"{server.url}/studies", auth=auth, timeout=30)
                for answer in (stored, found):
                    if answer.status_code != 200:
                        self.failures.append(f"{answer.request.method} {answer.url}: {answer.status_code}")
            except requests.RequestException as error:
                self.failures.append(f"{server.url}: {error}")
            time.sleep(PAUSE_SECONDS)

    def drain(self, server: OrthancServer) -> None:
        """Out of rotation, then wait for a request already sent to it to finish (like LB connection draining)."""
        with self.lock:
            self.in_rotation.remove(server)
        time.sleep(1.0)

    def admit(self, server: OrthancServer) -> None:
        with self.lock:
            self.in_rotation.append(server)


def _connect(postgres: PostgresServer, password: str) -> None:
    psycopg.connect(
        host="127.0.0.1", port=postgres.port, dbname=postgres.database, user=postgres.username,
        password=password, sslmode="require",
    ).close()  # fmt: skip


def test_database_password_rotates_with_zero_failed_requests(tmp_path: Path) -> None:
    require_binaries()
    postgres = PostgresServer()
    user_password = secrets.token_urlsafe(24)
    replicas: list[OrthancServer] = []
    datasets = list(study_instances(make_study(7), series_count=1, instances_per_series=4, rows=64, columns=64))
    try:
        postgres.init()
        old_password = postgres.password
        for index in range(2):
            # Each replica reads its own copy of the secrets, as each container/pod fetches its own.
            replica_secrets = {user_password_env_var(USER): user_password, DB_PASSWORD: old_password}
            replica = orthanc_on(postgres, tmp_path / "bucket", tmp_path / f"orthanc{index}", replica_secrets,
                                 replica_index=index, replica_count=2)  # fmt: skip
            replicas.append(replica)
            replica.start()
        client = RotatingClient(replicas, datasets)
        loop = threading.Thread(target=client.run)
        loop.start()
        time.sleep(2.0)  # traffic before the rotation
        # Step 1: the role's new password (on OCI: a new version of the Vault secret, then this statement).
        new_password = secrets.token_urlsafe(24)
        with psycopg.connect(host=str(postgres.socket_dir), port=postgres.port, user="postgres", dbname="postgres",
                             autocommit=True) as admin:  # fmt: skip
            admin.execute(psycopg.sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                psycopg.sql.Identifier(postgres.username), psycopg.sql.Literal(new_password)))  # fmt: skip
        at_rotation = client.requests
        # Step 2: rolling restart onto the new secret, one replica out of rotation at a time.
        for replica in replicas:
            client.drain(replica)
            replica.stop()
            replica.secret_values[DB_PASSWORD] = new_password
            replica.start()  # waits until it answers /system
            client.admit(replica)
            time.sleep(2.0)  # traffic on the restarted replica before the next one goes
        assert loop.is_alive(), "the client loop ended before the rotation did: raise its bounds"
        client.stop.set()
        loop.join(timeout=MAX_SECONDS)
        assert not client.failures, client.failures[:5]
        assert client.requests - at_rotation >= 50, (at_rotation, client.requests)  # traffic all through it
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            _connect(postgres, old_password)
        _connect(postgres, new_password)
        listed = [set(requests.get(f"{r.url}/instances", auth=r.auth, timeout=30).json()) for r in replicas]
        assert listed[0] == listed[1] and len(listed[0]) == len(datasets)
    finally:
        for replica in replicas:
            replica.stop()
        postgres.destroy()


PIPELINE_USER = "ai-pipeline"  # a restricted role (store + query): the alias must carry it, not more


def test_orthanc_user_password_rolls_over_with_zero_failed_requests(tmp_path: Path) -> None:
    require_binaries()
    postgres = PostgresServer()
    roles = {USER: Role.ADMINISTRATOR, PIPELINE_USER: Role.PIPELINE}
    old, alias_password, new = (secrets.token_urlsafe(24) for _ in range(3))
    replicas: list[OrthancServer] = []
    datasets = list(study_instances(make_study(8), series_count=1, instances_per_series=4, rows=64, columns=64))

    def restart_all(client: RotatingClient, rollover: tuple[str, ...], user_password: str) -> None:
        """A rolling restart onto a new rendering (rollover aliases) and secret version (the user's password)."""
        for index, replica in enumerate(replicas):
            client.drain(replica)
            replica.stop()
            replica.rendered = orthanc_on(postgres, tmp_path / "bucket", tmp_path / f"orthanc{index}", replica.secret_values,
                                          replica_index=index, replica_count=2, user_roles=roles,
                                          rollover_users=rollover, ports=(replica.http_port, replica.dicom_port),
                                          ).rendered  # fmt: skip
            replica.secret_values[user_password_env_var(PIPELINE_USER)] = user_password
            replica.start()
            client.admit(replica)
            time.sleep(2.0)

    def status(auth: tuple[str, str], method: str = "GET", path: str = "/studies") -> set[int]:
        return {requests.request(method, f"{r.url}{path}", auth=auth, timeout=30).status_code for r in replicas}

    try:
        postgres.init()
        for index in range(2):
            replica_secrets = {
                user_password_env_var(USER): secrets.token_urlsafe(24),
                user_password_env_var(PIPELINE_USER): old,
                rollover_password_env_var(PIPELINE_USER): alias_password,  # fetched only while it is rendered
                DB_PASSWORD: postgres.password,
            }
            replica = orthanc_on(postgres, tmp_path / "bucket", tmp_path / f"orthanc{index}", replica_secrets,
                                 replica_index=index, replica_count=2, user_roles=roles)  # fmt: skip
            replicas.append(replica)
            replica.start()
        assert status((rollover_user(PIPELINE_USER), alias_password)) == {401}  # no alias before the rollover
        client = RotatingClient(replicas, datasets)
        client.switch((PIPELINE_USER, old))
        loop = threading.Thread(target=client.run)
        loop.start()
        time.sleep(2.0)
        at_rotation = client.requests
        # Phase 1: the alias in, with its own password (pulumi up after adding the user to the rollover list).
        restart_all(client, (PIPELINE_USER,), old)
        client.switch((rollover_user(PIPELINE_USER), alias_password))
        time.sleep(1.0)  # requests sent with the old password are over
        # The alias is the same user: the pipeline role, not more (a pipeline may never delete).
        assert status((rollover_user(PIPELINE_USER), alias_password), "DELETE", "/studies/none") == {403}
        # Phase 2: the user's new password (new Vault secret version), clients on the alias meanwhile.
        restart_all(client, (PIPELINE_USER,), new)
        client.switch((PIPELINE_USER, new))
        time.sleep(1.0)
        # Phase 3: the alias out (pulumi up after emptying the rollover list).
        restart_all(client, (), new)
        assert loop.is_alive(), "the client loop ended before the rollover did: raise its bounds"
        client.stop.set()
        loop.join(timeout=MAX_SECONDS)
        assert not client.failures, client.failures[:5]
        assert client.requests - at_rotation >= 100, (at_rotation, client.requests)
        assert status((PIPELINE_USER, old)) == {401}
        assert status((rollover_user(PIPELINE_USER), alias_password)) == {401}
        assert status((PIPELINE_USER, new)) == {200}
        listed = [set(requests.get(f"{r.url}/instances", auth=r.auth, timeout=30).json()) for r in replicas]
        assert listed[0] == listed[1] and len(listed[0]) == len(datasets)
    finally:
        for replica in replicas:
            replica.stop()
        postgres.destroy()
