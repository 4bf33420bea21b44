"""Ingest and query benchmark: the rendered PostgreSQL configuration against a default SQLite Orthanc.

`make bench` runs `python -m bench.ingest`. In one run, on this host:
- STOW-RS ingest of 512x512 16-bit CT instances (~0.5 MB) with 1, 4 and 8 concurrent clients, one instance
  per request, each client on its own keep-alive HTTP connection: instances/s and p50/p95 latency, for the
  PostgreSQL configuration rendered by `components.orthanc_config` (local storage variant) and for a default
  SQLite Orthanc; the PostgreSQL/SQLite ratio per client count.
- QIDO-RS study search latency (p50/p95) once each store holds `--instances` instances (10 000 by default;
  the filler instances are small, since the index size is what a search depends on).
Results are printed as a table and written as JSON under bench/results/ (gitignored).

Durability is never traded for speed: PostgreSQL keeps fsync, full_page_writes and synchronous_commit on.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
from pydicom.uid import generate_uid

from bench.dicom_factory import StudySpec, ct_instance, make_study, to_part10
from bench.local_stack import (
    DICOMWEB_PLUGIN,
    ORTHANC_BIN,
    OrthancServer,
    PostgresServer,
    free_port,
    require_binaries,
)
from components.orthanc_config import (
    JsonObject,
    ObjectStorageEndpoint,
    OrthancSettings,
    PostgresEndpoint,
    RenderedOrthancConfig,
    SecretFile,
    render_entrypoint,
    render_orthanc_config,
    user_password_env_var,
    with_local_storage,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
USER = "bench"
INSTANCES_PER_STUDY = 10  # filler studies: 2 series x 5 slices
QIDO_QUERIES = 200
# PostgreSQL settings that help a write-heavy index without weakening durability (see README of bench).
PG_SETTINGS: tuple[tuple[str, str], ...] = (
    ("shared_buffers", "512MB"),
    ("wal_buffers", "16MB"),
    ("max_wal_size", "4GB"),
    ("checkpoint_timeout", "15min"),
    ("wal_compression", "on"),
    ("commit_delay", "0"),
)
TARGETS = {"pg_instances_per_s_8_clients": 250, "pg_to_sqlite_ratio": 0.9, "qido_p95_ms": 50}


@dataclass(frozen=True)
class IngestResult:
    backend: str
    clients: int
    instances: int
    seconds: float
    instances_per_s: float
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class QueryResult:
    backend: str
    instances_in_store: int
    queries: int
    p50_ms: float
    p95_ms: float


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: a reported p95 is a latency that happened)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def stow_body(part10: bytes, boundary: str) -> bytes:
    """A one-instance STOW-RS request body (multipart/related, application/dicom)."""
    head = f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
    return head + part10 + f"\r\n--{boundary}--\r\n".encode()


def _studies_of(count: int, first_index: int, date: str) -> list[StudySpec]:
    return [make_study(first_index + index, study_date=date) for index in range(count)]


def ct_payloads(count: int, first_index: int, rows: int) -> list[bytes]:
    """`count` Part 10 CT instances in studies of INSTANCES_PER_STUDY, each with fresh UIDs."""
    payloads: list[bytes] = []
    for study in _studies_of(-(-count // INSTANCES_PER_STUDY), first_index, "20240401"):
        for series_number in (1, 2):
            series_uid = generate_uid()
            for instance_number in range(1, INSTANCES_PER_STUDY // 2 + 1):
                if len(payloads) < count:
                    ds = ct_instance(study, series_uid, series_number, instance_number, rows=rows, columns=rows)
                    payloads.append(to_part10(ds))
    return payloads


class Backend:
    """One running Orthanc under test and its HTTP clients."""

    def __init__(self, name: str, server: OrthancServer) -> None:
        self.name = name
        self.server = server
        self._local = threading.local()

    def _session(self) -> requests.Session:
        # One keep-alive connection per client thread: a new TCP connection per instance costs ~10%.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.auth = self.server.auth
            self._local.session = session
        return session

    def stow(self, part10: bytes) -> float:
        boundary = uuid.uuid4().hex
        body = stow_body(part10, boundary)
        started = time.perf_counter()
        response = self._session().post(
            f"{self.server.url}/dicom-web/studies",
            data=body,
            headers={
                "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
                "Accept": "application/dicom+json",
            },
            timeout=120,
        )
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        if response.json().get("00081198", {}).get("Value"):  # FailedSOPSequence (Orthanc sends it empty)
            raise RuntimeError(f"{self.name}: STOW-RS reported a failed instance: {response.text[:500]}")
        return elapsed

    def qido(self, params: dict[str, str]) -> float:
        started = time.perf_counter()
        response = self._session().get(
            f"{self.server.url}/dicom-web/studies",
            params=params,
            headers={"Accept": "application/dicom+json"},
            timeout=60,
        )
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        return elapsed

    def instance_count(self) -> int:
        statistics_ = self._session().get(f"{self.server.url}/statistics", timeout=30).json()
        return int(statistics_["CountInstances"])


def run_parallel(clients: int, work: Sequence[bytes], action: Callable[[bytes], float]) -> tuple[float, list[float]]:
    """Run `action` over `work` with `clients` threads; wall time and per-item latencies."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = list(pool.map(action, work))
    return time.perf_counter() - started, latencies


def ingest_round(backend: Backend, clients: int, payloads: Sequence[bytes]) -> IngestResult:
    seconds, latencies = run_parallel(clients, payloads, backend.stow)
    return IngestResult(
        backend=backend.name,
        clients=clients,
        instances=len(payloads),
        seconds=round(seconds, 3),
        instances_per_s=round(len(payloads) / seconds, 1),
        p50_ms=round(percentile(latencies, 0.50) * 1000, 1),
        p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
    )


def fill(backend: Backend, target: int, clients: int, first_index: int) -> None:
    """STOW small instances until the store holds `target` instances (index size is what QIDO feels)."""
    missing = target - backend.instance_count()
    batch = 2000
    while missing > 0:
        payloads = ct_payloads(min(batch, missing), first_index, rows=64)
        first_index += len(payloads) // INSTANCES_PER_STUDY + 1
        run_parallel(clients, payloads, backend.stow)
        missing = target - backend.instance_count()


def qido_round(backend: Backend, queries: int, seed: int) -> QueryResult:
    """Study searches as a viewer's worklist issues them: by PatientID, by StudyDate range, by name prefix."""
    rng = random.Random(seed)
    total = backend.instance_count()
    patients = max(1, total // INSTANCES_PER_STUDY)
    searches: list[dict[str, str]] = []
    for number in range(queries):
        patient = rng.randrange(1, patients)
        kind = number % 3
        if kind == 0:
            searches.append({"PatientID": f"PAT{patient:06d}"})
        elif kind == 1:
            searches.append({"StudyDate": "20240401-20240402", "limit": "50", "ModalitiesInStudy": "CT"})
        else:
            searches.append({"PatientName": f"DOE^JANE{patient}*", "limit": "50"})
    latencies = [backend.qido(search) for search in searches]
    return QueryResult(
        backend=backend.name,
        instances_in_store=total,
        queries=queries,
        p50_ms=round(statistics.median(latencies) * 1000, 1),
        p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
    )


def rendered_postgres_config(
    postgres: PostgresServer, work_dir: Path, index_connections: int, http_threads: int
) -> RenderedOrthancConfig:
    settings = OrthancSettings(
        name="bench-pg",
        http_port=free_port(),
        dicom_port=free_port(),
        users=(USER,),
        index_connections_count=index_connections,
        http_threads_count=http_threads,
    )
    endpoint = PostgresEndpoint(
        host="127.0.0.1", port=postgres.port, database=postgres.database, username=postgres.username
    )
    bucket = ObjectStorageEndpoint(namespace="bench", region="eu-frankfurt-1", bucket="bench")
    rendered = render_orthanc_config(settings, endpoint, bucket, secrets_directory=str(work_dir / "secrets"))
    return with_local_storage(rendered, str(work_dir / "storage"))


def default_sqlite_config(work_dir: Path) -> RenderedOrthancConfig:
    """Orthanc's defaults (SQLite index, files on disk) with only ports, directories, DICOMweb and a user."""
    user_secret = SecretFile(
        user_password_env_var(USER), str(work_dir / "secrets" / f"orthanc-user-{USER}-password"), "bench user"
    )
    config: JsonObject = {
        "Name": "bench-sqlite",
        "HttpPort": free_port(),
        "DicomPort": free_port(),
        "StorageDirectory": str(work_dir / "storage"),
        "IndexDirectory": str(work_dir / "storage"),
        "Plugins": [DICOMWEB_PLUGIN],
        "RemoteAccessAllowed": True,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: "${" + user_secret.env_var + "}"},
    }
    return RenderedOrthancConfig(
        config=config, secret_files=(user_secret,), entrypoint=render_entrypoint((user_secret,))
    )


def _versions() -> dict[str, str]:
    orthanc = subprocess.run([ORTHANC_BIN, "--version"], capture_output=True, text=True, check=True)
    return {
        "orthanc": orthanc.stdout.splitlines()[0],
        "python": platform.python_version(),
        "cpus": str(os.cpu_count()),
        "kernel": platform.release(),
    }


def print_table(ingest: list[IngestResult], queries: list[QueryResult]) -> None:
    print(f"\n{'backend':<10}{'clients':>8}{'instances':>11}{'inst/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for row in ingest:
        print(
            f"{row.backend:<10}{row.clients:>8}{row.instances:>11}{row.instances_per_s:>9.1f}"
            f"{row.p50_ms:>9.1f}{row.p95_ms:>9.1f}"
        )
    for clients, ratio in ratios(ingest).items():
        print(f"postgresql/sqlite ratio with {clients} client(s): {ratio:.2f}")
    print(f"\n{'backend':<10}{'instances in store':>20}{'queries':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for query in queries:
        print(
            f"{query.backend:<10}{query.instances_in_store:>20}{query.queries:>9}"
            f"{query.p50_ms:>9.1f}{query.p95_ms:>9.1f}"
        )


def ratios(ingest: list[IngestResult]) -> dict[int, float]:
    by_key = {(row.backend, row.clients): row.instances_per_s for row in ingest}
    return {
        clients: round(by_key[("postgresql", clients)] / by_key[("sqlite", clients)], 3)
        for (backend, clients) in by_key
        if backend == "postgresql" and ("sqlite", clients) in by_key
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000, help="store size for the QIDO run")
    parser.add_argument("--per-round", type=int, default=480, help="512x512 instances per ingest round")
    parser.add_argument("--clients", default="1,4,8", help="comma-separated client counts")
    parser.add_argument("--quick", action="store_true", help="small run: 120 per round, 1000-instance QIDO")
    parser.add_argument("--index-connections", type=int, default=OrthancSettings().index_connections_count)
    parser.add_argument("--http-threads", type=int, default=OrthancSettings().http_threads_count)
    parser.add_argument(
        "--pg-setting", action="append", default=[], metavar="NAME=VALUE", help="extra postgres -c setting"
    )
    parser.add_argument("--no-pg-tuning", action="store_true", help="PostgreSQL defaults (for comparison)")
    parser.add_argument("--skip-sqlite", action="store_true", help="only the PostgreSQL configuration")
    parser.add_argument("--json", type=Path, default=None, help="result file (default bench/results/...)")
    args = parser.parse_args(argv)
    if args.quick:
        args.per_round, args.instances = 120, 1000
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    require_binaries()
    clients = [int(count) for count in args.clients.split(",")]
    unsafe = {"fsync", "synchronous_commit", "full_page_writes"}
    pg_settings = [tuple(setting.split("=", 1)) for setting in args.pg_setting]
    if any(name in unsafe for name, _ in pg_settings):
        raise SystemExit(
            f"refusing durability-weakening settings {sorted(unsafe)}: the benchmark measures safe configs"
        )
    tuning = () if args.no_pg_tuning else PG_SETTINGS
    work = Path(tempfile.mkdtemp(prefix="dicomstore-bench-"))
    postgres = PostgresServer(extra_settings=(*tuning, *((n, v) for n, v in pg_settings)))
    servers: list[OrthancServer] = []
    try:
        postgres.init()
        pg_rendered = rendered_postgres_config(postgres, work / "pg", args.index_connections, args.http_threads)
        secret_values = {secret.env_var: uuid.uuid4().hex + uuid.uuid4().hex for secret in pg_rendered.secret_files}
        secret_values["ORTHANC_DB_PASSWORD"] = postgres.password
        backends = [Backend("postgresql", OrthancServer(pg_rendered, work / "pg", secret_values, USER))]
        if not args.skip_sqlite:
            sqlite_rendered = default_sqlite_config(work / "sqlite")
            backends.append(Backend("sqlite", OrthancServer(sqlite_rendered, work / "sqlite", secret_values, USER)))
        for backend in backends:
            servers.append(backend.server)
            backend.server.start()

        print(f"generating {args.per_round * len(clients)} CT instances (512x512, 16 bit) ...", flush=True)
        rounds = {count: ct_payloads(args.per_round, 100_000 + 1000 * count, rows=512) for count in clients}
        warmup = ct_payloads(20, 900_000, rows=512)
        for backend in backends:
            run_parallel(4, warmup, backend.stow)
        ingest: list[IngestResult] = []
        for count in clients:
            for backend in backends:  # interleaved, so drift on the host hits both alike
                result = ingest_round(backend, count, rounds[count])
                print(f"  {result}", flush=True)
                ingest.append(result)

        queries: list[QueryResult] = []
        for backend in backends:
            print(f"filling {backend.name} to {args.instances} instances ...", flush=True)
            fill(backend, args.instances, clients=max(clients), first_index=1_000_000)
            queries.append(qido_round(backend, QIDO_QUERIES, seed=7))

        print_table(ingest, queries)
        report = {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": _versions(),
            "postgresql_settings": dict(postgres.extra_settings),
            "orthanc_settings": {
                "IndexConnectionsCount": args.index_connections,
                "HttpThreadsCount": args.http_threads,
            },
            "ingest": [asdict(row) for row in ingest],
            "pg_to_sqlite_ratio": ratios(ingest),
            "qido": [asdict(query) for query in queries],
            "targets": TARGETS,
        }
        RESULTS_DIR.mkdir(exist_ok=True)
        path = args.json or RESULTS_DIR / f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
        path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nresults written to {path}")
        return 0
    finally:
        for server in servers:
            server.stop()
        postgres.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
