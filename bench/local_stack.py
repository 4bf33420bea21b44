"""Real PostgreSQL 15 and Orthanc processes on loopback, for the integration tests and the benchmark.

Nothing here is mocked: PostgreSQL is a fresh cluster (initdb) run as the `postgres` user with TLS on and
host connections accepted only over TLS with a password, and Orthanc runs from a configuration produced by
`components.orthanc.orthanc_config` through the rendered entrypoint snippet, with secrets as files. Every process
binds 127.0.0.1 on a free port, lives in a temporary directory and is stopped by `stop()`.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests

from components.orthanc.orthanc_config import RenderedOrthancConfig, to_json, user_password_env_var

PG_BIN = Path("/usr/lib/postgresql/15/bin")  # Debian's PostgreSQL 15 server binaries
ORTHANC_BIN = "Orthanc"  # Debian package `orthanc`
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
START_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def require_binaries() -> None:
    """Fail loudly (never skip) when the Debian packages the integration suite needs are missing."""
    missing = [name for name in (ORTHANC_BIN, "openssl", "runuser") if shutil.which(name) is None]
    missing += [str(path) for path in (PG_BIN / "postgres", Path(DICOMWEB_PLUGIN)) if not path.exists()]
    if missing:
        raise RuntimeError(
            f"missing {missing}: install the Debian packages orthanc orthanc-postgresql orthanc-dicomweb "
            "postgresql-15 openssl (see .ci/run)"
        )


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time consumed so far by these processes (from /proc; exited ones count 0)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": field 3 (state) is fields[0]
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return children


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL 15 cluster requiring TLS and scram-sha-256 for TCP clients."""

    database: str = "orthanc"
    username: str = "orthanc"
    extra_settings: tuple[tuple[str, str], ...] = ()
    """`postgres -c name=value` settings (the benchmark's tuning experiments)."""
    administrator: bool = False
    """True: `username` is an administrator like a new OCI DB system's (CREATEDB CREATEROLE, not superuser) and
    no database is created (give `database="postgres"`); False: `username` owns `database`, created here."""

    def __post_init__(self) -> None:
        self.port = free_port()
        self.password = secrets.token_urlsafe(24)
        self._postgres = pwd.getpwnam("postgres")
        # Its own temp dir: a pytest tmp_path's parents are root-only, and postgres must own its data dir.
        self.base_dir = Path(tempfile.mkdtemp(prefix="dicomstore-pg-"))
        os.chown(self.base_dir, self._postgres.pw_uid, self._postgres.pw_gid)
        self.data_dir = self.base_dir / "pgdata"
        self.socket_dir = self.base_dir / "pgsocket"
        self.log_file = self.base_dir / "postgres.log"

    def _as_postgres(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = ["runuser", "-u", "postgres", "--", *args]
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr}\n{_tail(self.log_file)}")
        return done

    def _owned_dir(self, path: Path) -> None:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chown(path, self._postgres.pw_uid, self._postgres.pw_gid)

    def init(self) -> None:
        """initdb, a self-signed server certificate, TLS-only host access, the Orthanc role and database (or the
        administrator only)."""
        self._owned_dir(self.data_dir)
        self._owned_dir(self.socket_dir)
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth-local=trust",
            "--auth-host=reject", "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        key, cert = self.data_dir / "server.key", self.data_dir / "server.crt"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        for path in (key, cert):
            os.chown(path, self._postgres.pw_uid, self._postgres.pw_gid)
            path.chmod(0o600)
        # Only TLS connections with a password from loopback; local socket for the bootstrap below.
        (self.data_dir / "pg_hba.conf").write_text(
            "local all postgres trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
        )
        self.start()
        if self.administrator:
            self._psql(f"CREATE ROLE {self.username} LOGIN CREATEDB CREATEROLE PASSWORD '{self.password}'")
            return
        self._psql(f"CREATE ROLE {self.username} LOGIN PASSWORD '{self.password}'")
        self._psql(f"CREATE DATABASE {self.database} OWNER {self.username}")

    def _psql(self, sql: str) -> None:
        self._as_postgres(
            str(PG_BIN / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres",
            "-v", "ON_ERROR_STOP=1", "-c", sql,
        )  # fmt: skip

    def start(self) -> None:
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.socket_dir}",
            "-c ssl=on",
            "-c ssl_cert_file=server.crt",
            "-c ssl_key_file=server.key",
            *(f"-c {name}={value}" for name, value in self.extra_settings),
        ]
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file), "-w",
            "-t", str(int(START_TIMEOUT_S)), "-o", " ".join(options), "start",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def pids(self) -> list[int]:
        """The postmaster and its children (one backend per client connection, plus background workers)."""
        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        return [postmaster, *_children(postmaster)]

    def destroy(self) -> None:
        """Stop the server and delete the cluster."""
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """A client connection as the Orthanc role, over TLS like Orthanc's."""
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            dbname=self.database,
            user=self.username,
            password=self.password,
            sslmode="require",
            autocommit=True,
        )


@dataclass
class OrthancServer:
    """One Orthanc process started through the rendered entrypoint, secrets written as files."""

    rendered: RenderedOrthancConfig
    work_dir: Path
    secret_values: dict[str, str]
    """Secret value per environment variable name (`SecretFile.env_var`)."""
    user: str
    """The user `ready()` and the clients authenticate as."""

    def __post_init__(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.config_file = self.work_dir / "orthanc.json"
        self.log_file = self.work_dir / "orthanc.log"
        self.http_port = int(str(self.rendered.config["HttpPort"]))
        self.dicom_port = int(str(self.rendered.config["DicomPort"]))
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.auth = (self.user, self.secret_values[user_password_env_var(self.user)])
        self._process: subprocess.Popen[bytes] | None = None

    def write_files(self) -> None:
        self.config_file.write_text(to_json(self.rendered.config))
        Path(self.rendered.access_script_path).write_text(self.rendered.access_script)
        for secret in self.rendered.secret_files:
            path = Path(secret.path)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.write_text(self.secret_values[secret.env_var] + "\n")
            path.chmod(0o600)

    def start(self) -> None:
        require_binaries()
        self.write_files()
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                self.rendered.command(ORTHANC_BIN, str(self.config_file)),
                cwd=self.work_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"Orthanc exited with {self._process.returncode}:\n{_tail(self.log_file)}")
            try:
                if requests.get(f"{self.url}/system", auth=self.auth, timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"Orthanc not ready after {START_TIMEOUT_S}s:\n{_tail(self.log_file)}")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def pids(self) -> list[int]:
        return [] if self._process is None else [self._process.pid]

    def log(self) -> str:
        return _tail(self.log_file, 200)
