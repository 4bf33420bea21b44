"""The rendered database bootstrap, run for real: Debian's psql against a real PostgreSQL 15 (`new_db_system`).

The server is set up like a new OCI DB system: only the `postgres` database and a non-superuser administrator
with CREATEDB CREATEROLE. The script is the one the runtimes run (rendered from `ResolvedDataTier.bootstrap`
for a rendered Orthanc configuration), with only its file paths moved to a temp directory and the retry bound
shortened. It runs with `sslmode=require`, the runtimes' setting: the fixture's server has TLS (a self-signed
certificate) and accepts TCP connections only over TLS, so no `sslmode=disable` is needed here.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from bench.local_stack import PostgresServer, free_port
from components.data.database_bootstrap import APPLICATION_NAME, DatabaseBootstrap, render_bootstrap_script
from components.orthanc.orthanc_config import (
    ObjectStorageEndpoint,
    OrthancSettings,
    PostgresEndpoint,
    render_orthanc_config,
)
from components.orthanc.orthanc_runtime import ResolvedDataTier

pytestmark = pytest.mark.integration

ROLE = "orthanc"
DATABASE = "orthanc"
RUN_TIMEOUT_S = 120


def _bootstrap(
    server: PostgresServer, work: Path, role_password: str, port: int | None = None, attempts: int = 5
) -> DatabaseBootstrap:
    """The runtimes' bootstrap for this server, its files under `work`, the secrets written like the fetcher."""
    tier = ResolvedDataTier(
        postgres=PostgresEndpoint(host="127.0.0.1", port=server.port, database=DATABASE, username=ROLE),
        admin_username=server.username,
        bootstrap_image="postgres:15.8-alpine3.20",
        namespace="testnamespace",
        bucket="dicom",
        secret_ids={},
    )
    rendered = render_orthanc_config(
        OrthancSettings(),
        tier.postgres,
        ObjectStorageEndpoint(namespace=tier.namespace, region="eu-frankfurt-1", bucket=tier.bucket),
        secrets_directory=str(work / "secrets"),
        access_script_path=str(work / "access-control.lua"),
    )
    bootstrap = tier.bootstrap(rendered)
    admin_file = replace(bootstrap.admin_password_file, path=str(work / "db-admin" / "db-admin-password"))
    for path, value in ((bootstrap.role_password_file.path, role_password), (admin_file.path, server.password)):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(value)
    return replace(
        bootstrap,
        port=port or server.port,
        admin_password_file=admin_file,
        marker=str(work / "bootstrap" / "done"),
        attempts=attempts,
        retry_seconds=1,
    )


def _start(bootstrap: DatabaseBootstrap) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["/bin/sh", "-c", render_bootstrap_script(bootstrap)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _run(bootstrap: DatabaseBootstrap) -> subprocess.CompletedProcess[str]:
    process = _start(bootstrap)
    stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _succeeded(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr


def _one(server: PostgresServer, query: str, *params: object) -> tuple[object, ...]:
    with server.connect() as connection:
        row = connection.execute(query, params).fetchone()
    assert row is not None, query
    return row


def _login(server: PostgresServer, password: str) -> str:
    """Connect as Orthanc's role over TLS; create and drop a table (the owner's privilege)."""
    with psycopg.connect(
        host="127.0.0.1", port=server.port, dbname=DATABASE, user=ROLE, password=password, sslmode="require"
    ) as connection:
        connection.execute("CREATE TABLE bootstrap_probe (id int)")
        connection.execute("DROP TABLE bootstrap_probe")
        row = connection.execute("SELECT current_user").fetchone()
    assert row is not None
    return str(row[0])


def test_creates_a_login_role_and_the_database_it_owns(new_db_system: PostgresServer, tmp_path: Path) -> None:
    bootstrap = _bootstrap(new_db_system, tmp_path, "s3cret-Orthanc-password")
    assert _one(new_db_system, "SELECT count(*) FROM pg_database WHERE datname = %s", DATABASE) == (0,)

    _succeeded(_run(bootstrap))

    login, superuser, createdb, createrole = _one(
        new_db_system,
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
        ROLE,
    )
    assert (login, superuser, createdb, createrole) == (True, False, False, False)
    (owner,) = _one(new_db_system, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", DATABASE)
    assert owner == ROLE
    (public_connect,) = _one(new_db_system, "SELECT has_database_privilege('public', %s, 'CONNECT')", DATABASE)
    assert public_connect is False
    assert _login(new_db_system, "s3cret-Orthanc-password") == ROLE
    assert Path(bootstrap.marker).exists()
    assert not (Path(bootstrap.marker).parent / ".pgpass").exists()  # the PGPASSFILE does not outlive the run


def test_running_twice_succeeds_and_changes_nothing(new_db_system: PostgresServer, tmp_path: Path) -> None:
    bootstrap = _bootstrap(new_db_system, tmp_path, "first-password")
    _succeeded(_run(bootstrap))
    query = "SELECT oid, pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s"
    before = _one(new_db_system, query, DATABASE)

    _succeeded(_run(bootstrap))

    assert _one(new_db_system, query, DATABASE) == before
    assert _one(new_db_system, "SELECT count(*) FROM pg_roles WHERE rolname = %s", ROLE) == (1,)
    assert _login(new_db_system, "first-password") == ROLE


def test_concurrent_runs_from_several_replicas_all_succeed(new_db_system: PostgresServer, tmp_path: Path) -> None:
    runs = [_bootstrap(new_db_system, tmp_path / f"replica{index}", "shared-password") for index in range(4)]
    processes = [_start(bootstrap) for bootstrap in runs]
    results = [process.communicate(timeout=RUN_TIMEOUT_S) for process in processes]

    for process, (_, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr
    assert all(Path(bootstrap.marker).exists() for bootstrap in runs)
    assert _one(new_db_system, "SELECT count(*) FROM pg_database WHERE datname = %s", DATABASE) == (1,)
    assert _login(new_db_system, "shared-password") == ROLE


def test_a_role_created_concurrently_elsewhere_is_a_success(new_db_system: PostgresServer, tmp_path: Path) -> None:
    """Someone else creates the role between the bootstrap's existence check and its CREATE ROLE: PostgreSQL
    raises unique_violation once that transaction commits, and the retry finds the role and succeeds."""
    with new_db_system.connect() as other:
        other.autocommit = False
        other.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(ROLE)))  # not committed yet
        process = _start(_bootstrap(new_db_system, tmp_path, "password"))
        _wait_until_blocked(new_db_system, process)
        other.commit()
    _, stderr = process.communicate(timeout=RUN_TIMEOUT_S)

    assert process.returncode == 0, stderr
    assert 'duplicate key value violates unique constraint "pg_authid_rolname_index"' in stderr
    assert "attempt 1 failed, retrying" in stderr
    assert _login(new_db_system, "password") == ROLE


def _wait_until_blocked(server: PostgresServer, process: subprocess.Popen[str]) -> None:
    """Until the bootstrap's session waits for a lock (the other transaction's uncommitted role)."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'"
    for _ in range(RUN_TIMEOUT_S * 10):
        assert process.poll() is None, process.communicate()
        if _one(server, query, APPLICATION_NAME) == (1,):
            return
        time.sleep(0.1)
    raise AssertionError("the bootstrap never reached CREATE ROLE")


def test_passwords_with_quotes_backslashes_and_colons_work(new_db_system: PostgresServer, tmp_path: Path) -> None:
    nasty_admin = "adm'in\"pa\\ss:wo$(rd)`x`;--"
    nasty_role = "or'than\"c\\p:a$HOME `id` '; DROP ROLE dicomstore_admin; --"
    with new_db_system.connect() as connection:
        connection.execute(sql.SQL("ALTER ROLE CURRENT_USER PASSWORD {}").format(sql.Literal(nasty_admin)))
    new_db_system.password = nasty_admin

    _succeeded(_run(_bootstrap(new_db_system, tmp_path, nasty_role)))

    assert _login(new_db_system, nasty_role) == ROLE
    assert _one(new_db_system, "SELECT count(*) FROM pg_roles WHERE rolname = %s", "dicomstore_admin") == (1,)


def test_a_new_secret_version_becomes_the_roles_password(new_db_system: PostgresServer, tmp_path: Path) -> None:
    _succeeded(_run(_bootstrap(new_db_system, tmp_path, "old-password")))
    _succeeded(_run(_bootstrap(new_db_system, tmp_path, "rotated-password")))

    assert _login(new_db_system, "rotated-password") == ROLE
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _login(new_db_system, "old-password")


def test_a_database_created_by_hand_is_handed_to_the_role(new_db_system: PostgresServer, tmp_path: Path) -> None:
    with new_db_system.connect() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))

    _succeeded(_run(_bootstrap(new_db_system, tmp_path, "password")))

    (owner,) = _one(new_db_system, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", DATABASE)
    assert owner == ROLE


def test_an_unreachable_database_fails_after_the_bounded_attempts(
    new_db_system: PostgresServer, tmp_path: Path
) -> None:
    bootstrap = _bootstrap(new_db_system, tmp_path, "password", port=free_port(), attempts=2)

    done = _run(bootstrap)

    assert done.returncode == 1
    assert "no success after 2 attempts" in done.stderr
    assert not Path(bootstrap.marker).exists()
    assert not (Path(bootstrap.marker).parent / ".pgpass").exists()


def test_a_missing_secret_file_fails_before_connecting(new_db_system: PostgresServer, tmp_path: Path) -> None:
    bootstrap = _bootstrap(new_db_system, tmp_path, "password")
    Path(bootstrap.role_password_file.path).write_text("")

    done = _run(bootstrap)

    assert done.returncode == 1
    assert f"missing or empty secret file {bootstrap.role_password_file.path}" in done.stderr
    assert _one(new_db_system, "SELECT count(*) FROM pg_roles WHERE rolname = %s", ROLE) == (0,)
