"""Ingest and query benchmark: the rendered PostgreSQL configuration against a default SQLite Orthanc.

`make bench` runs `python -m bench.ingest`. In one run, on this host:
- STOW-RS ingest of 512x512 16-bit CT instances (~0.5 MB), one instance per request, each client on its own
  keep-alive connection, with 1, 4 and 8 concurrent clients: instances/s, p50/p95 latency and the CPU
  time per instance of the Orthanc and of the PostgreSQL processes, for three Orthancs:
  `pg-rendered` (the configuration rendered by `components.orthanc.orthanc_config`, local-storage variant),
  `pg-1conn` (the same with one index connection, see below) and `sqlite` (Orthanc's defaults).
  The backends take turns in short slices, so load from other processes on the host hits them alike.
- QIDO-RS study searches (PatientID, AccessionNumber, StudyDate, PatientName prefix) once `pg-rendered` and
  `sqlite` hold `--instances` instances (10 000 by default; filler instances are small, since a search only
  depends on the index).
A table is printed and written to bench/INGEST.md (committed, shown in the README) with the machine, versions
and date; the full JSON goes under bench/results/ (gitignored).

Durability is never traded for speed: fsync, full_page_writes and synchronous_commit stay on, and the
benchmark refuses settings that turn them off.

Why `pg-1conn`: Debian's PostgreSQL plugin 4.0 runs every index transaction SERIALIZABLE and keeps global
counters in single rows updated by triggers, so parallel index connections abort each other ("could not
serialize access", then a retry after a pause). The cloud image's plugin (6.0+) has `TransactionMode:
ReadCommitted`, which the renderer sets, to ingest in parallel; plugin 4.0 ignores that key.
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
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from pydicom.uid import generate_uid

from bench.dicom_factory import StudySpec, ct_instance, make_study, to_part10
from bench.local_stack import (
    DICOMWEB_PLUGIN,
    ORTHANC_BIN,
    OrthancServer,
    PostgresServer,
    cpu_seconds,
    free_port,
    require_binaries,
)
from bench.publish import machine, markdown_table, publish
from components.orthanc.orthanc_access import Role, render_access_script
from components.orthanc.orthanc_config import (
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
from tools.stow import multipart_body

RESULTS_DIR = Path(__file__).resolve().parent / "results"
USER = "bench"
ROLES = {USER: Role.ADMINISTRATOR}  # the benchmark stores and deletes
SERIES_PER_STUDY, SLICES_PER_SERIES = 2, 5
INSTANCES_PER_STUDY = SERIES_PER_STUDY * SLICES_PER_SERIES
QIDO_QUERIES = 200
SLICES = 4  # turns per backend and client count
FIRST_STUDY_DATE = date(2023, 1, 1)
STUDY_DAYS = 730  # filler studies spread over two years, like a real archive
# Safe PostgreSQL settings for sustained ingest: room for the working set, no checkpoint forced every 1 GB of
# WAL. A/B against `--no-pg-tuning` (8 clients, 480 instances, twice each) showed no effect beyond the noise at
# this scale: the index costs CPU per statement, not I/O.
PG_SETTINGS: tuple[tuple[str, str], ...] = (
    ("shared_buffers", "256MB"),
    ("max_wal_size", "2GB"),
    ("checkpoint_timeout", "15min"),
)
UNSAFE_PG_SETTINGS = frozenset({"fsync", "synchronous_commit", "full_page_writes"})
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
    orthanc_cpu_ms_per_instance: float
    postgres_cpu_ms_per_instance: float


@dataclass(frozen=True)
class QueryResult:
    backend: str
    instances_in_store: int
    queries: int
    p50_ms: float
    p95_ms: float
    p95_ms_by_kind: dict[str, float] = field(default_factory=dict)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: a reported p95 is a latency that happened)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def ct_payloads(count: int, first_index: int, rows: int) -> tuple[list[bytes], list[StudySpec]]:
    """`count` Part 10 CT instances in studies of INSTANCES_PER_STUDY, fresh UIDs, dates spread over 2 years."""
    payloads: list[bytes] = []
    studies: list[StudySpec] = []
    index = first_index
    while len(payloads) < count:
        day = FIRST_STUDY_DATE + timedelta(days=index % STUDY_DAYS)
        study = make_study(index, study_date=day.strftime("%Y%m%d"))
        studies.append(study)
        index += 1
        for series_number in range(1, SERIES_PER_STUDY + 1):
            series_uid = generate_uid()
            for slice_number in range(1, SLICES_PER_SERIES + 1):
                if len(payloads) < count:
                    ds = ct_instance(study, series_uid, series_number, slice_number, rows=rows, columns=rows)
                    payloads.append(to_part10(ds))
    return payloads, studies


class Backend:
    """One running Orthanc under test, its HTTP clients and the processes whose CPU it costs."""

    def __init__(self, name: str, server: OrthancServer, postgres: PostgresServer | None = None) -> None:
        self.name = name
        self.server = server
        self.postgres = postgres
        self.studies: list[StudySpec] = []
        self._local = threading.local()

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU consumed so far by Orthanc, and by its PostgreSQL server (0 for SQLite, which is in-process)."""
        return cpu_seconds(self.server.pids()), cpu_seconds(self.postgres.pids()) if self.postgres else 0.0

    def _session(self) -> requests.Session:
        # One keep-alive connection per client thread: no TCP handshake per instance.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.auth = self.server.auth
            self._local.session = session
        return session

    def stow(self, part10: bytes) -> float:
        body, content_type = multipart_body([part10])
        started = time.perf_counter()
        response = self._session().post(
            f"{self.server.url}/dicom-web/studies",
            data=body,
            headers={
                "Content-Type": content_type,
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
        counts = self._session().get(f"{self.server.url}/statistics", timeout=30).json()
        return int(counts["CountInstances"])


def run_parallel(clients: int, work: Sequence[bytes], action: Callable[[bytes], float]) -> tuple[float, list[float]]:
    """Run `action` over `work` with `clients` threads; wall time and per-item latencies."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = list(pool.map(action, work))
    return time.perf_counter() - started, latencies


def ingest_round(backends: Sequence[Backend], clients: int, payloads: Sequence[bytes]) -> list[IngestResult]:
    """Every backend ingests the same payloads, taking turns in SLICES slices."""
    size = -(-len(payloads) // SLICES)
    wall = dict.fromkeys((backend.name for backend in backends), 0.0)
    orthanc_cpu = dict.fromkeys(wall, 0.0)
    postgres_cpu = dict.fromkeys(wall, 0.0)
    latencies: dict[str, list[float]] = {name: [] for name in wall}
    for start in range(0, len(payloads), size):
        for backend in backends:
            orthanc_before, postgres_before = backend.cpu_seconds()
            seconds, slice_latencies = run_parallel(clients, payloads[start : start + size], backend.stow)
            orthanc_after, postgres_after = backend.cpu_seconds()
            orthanc_cpu[backend.name] += orthanc_after - orthanc_before
            postgres_cpu[backend.name] += postgres_after - postgres_before
            wall[backend.name] += seconds
            latencies[backend.name] += slice_latencies
    return [
        IngestResult(
            backend=name,
            clients=clients,
            instances=len(payloads),
            seconds=round(wall[name], 3),
            instances_per_s=round(len(payloads) / wall[name], 1),
            p50_ms=round(percentile(latencies[name], 0.50) * 1000, 1),
            p95_ms=round(percentile(latencies[name], 0.95) * 1000, 1),
            orthanc_cpu_ms_per_instance=round(orthanc_cpu[name] * 1000 / len(payloads), 2),
            postgres_cpu_ms_per_instance=round(postgres_cpu[name] * 1000 / len(payloads), 2),
        )
        for name in wall
    ]


def fill(backend: Backend, target: int, clients: int, first_index: int) -> None:
    """STOW small (64x64) instances until the store holds `target` instances."""
    while (missing := target - backend.instance_count()) > 0:
        payloads, studies = ct_payloads(min(2000, missing), first_index, rows=64)
        first_index += len(studies)
        run_parallel(clients, payloads, backend.stow)
        backend.studies += studies


def qido_round(backend: Backend, queries: int, seed: int) -> QueryResult:
    """Study searches as a worklist or viewer issues them, for studies that exist."""
    rng = random.Random(seed)
    kinds: dict[str, Callable[[StudySpec], dict[str, str]]] = {
        "PatientID": lambda study: {"PatientID": study.patient_id},
        "AccessionNumber": lambda study: {"AccessionNumber": study.accession},
        "StudyDate": lambda study: {"StudyDate": study.study_date},
        "PatientName*": lambda study: {"PatientName": study.patient_name[:-1] + "*", "limit": "100"},
    }
    latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
    for number in range(queries):
        kind = list(kinds)[number % len(kinds)]
        latencies[kind].append(backend.qido(kinds[kind](rng.choice(backend.studies))))
    every = [latency for values in latencies.values() for latency in values]
    return QueryResult(
        backend=backend.name,
        instances_in_store=backend.instance_count(),
        queries=queries,
        p50_ms=round(statistics.median(every) * 1000, 1),
        p95_ms=round(percentile(every, 0.95) * 1000, 1),
        p95_ms_by_kind={kind: round(percentile(values, 0.95) * 1000, 1) for kind, values in latencies.items()},
    )


def rendered_postgres_config(
    postgres: PostgresServer, work_dir: Path, settings: OrthancSettings
) -> RenderedOrthancConfig:
    endpoint = PostgresEndpoint(
        host="127.0.0.1", port=postgres.port, database=postgres.database, username=postgres.username
    )
    bucket = ObjectStorageEndpoint(namespace="bench", region="eu-frankfurt-1", bucket="bench")
    rendered = render_orthanc_config(
        settings,
        endpoint,
        bucket,
        secrets_directory=str(work_dir / "secrets"),
        access_script_path=str(work_dir / "access-control.lua"),
    )
    return with_local_storage(rendered, str(work_dir / "storage"))


def default_sqlite_config(work_dir: Path) -> RenderedOrthancConfig:
    """Orthanc's defaults (SQLite index, files on disk) with only ports, directories, DICOMweb and a user."""
    user_secret = SecretFile(
        user_password_env_var(USER), str(work_dir / "secrets" / f"orthanc-user-{USER}-password"), "bench user"
    )
    access_script_path = work_dir / "access-control.lua"
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
        # The same per-request access filter as the rendered PostgreSQL configuration: a like-for-like baseline.
        "LuaScripts": [str(access_script_path)],
    }
    return RenderedOrthancConfig(
        config=config,
        secret_files=(user_secret,),
        entrypoint=render_entrypoint((user_secret,)),
        access_script=render_access_script({USER: Role.ADMINISTRATOR}),
        access_script_path=str(access_script_path),
    )


def _host() -> dict[str, str]:
    orthanc = subprocess.run([ORTHANC_BIN, "--version"], capture_output=True, text=True, check=True)
    return {
        "orthanc": orthanc.stdout.splitlines()[0],
        "python": platform.python_version(),
        "cpus": str(os.cpu_count()),
        "load_average_at_start": " ".join(f"{load:.2f}" for load in os.getloadavg()),
    }


def ratios(ingest: Sequence[IngestResult]) -> dict[str, dict[int, float]]:
    """instances/s of each PostgreSQL variant over SQLite's, per client count."""
    rate = {(row.backend, row.clients): row.instances_per_s for row in ingest}
    return {
        backend: {
            clients: round(value / rate[("sqlite", clients)], 2)
            for (name, clients), value in rate.items()
            if name == backend and ("sqlite", clients) in rate
        }
        for backend in sorted({row.backend for row in ingest} - {"sqlite"})
    }


def print_table(ingest: Sequence[IngestResult], queries: Sequence[QueryResult]) -> None:
    print(
        f"\n{'backend':<12}{'clients':>8}{'instances':>10}{'inst/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'CPU ms/instance: orthanc':>26}{'postgres':>10}"
    )
    for row in ingest:
        print(
            f"{row.backend:<12}{row.clients:>8}{row.instances:>10}{row.instances_per_s:>9.1f}"
            f"{row.p50_ms:>9.1f}{row.p95_ms:>9.1f}{row.orthanc_cpu_ms_per_instance:>26.2f}"
            f"{row.postgres_cpu_ms_per_instance:>10.2f}"
        )
    for backend, by_clients in ratios(ingest).items():
        shown = ", ".join(f"{clients} client(s) {ratio:.2f}" for clients, ratio in by_clients.items())
        print(f"{backend}/sqlite: {shown}")
    print(f"\n{'backend':<12}{'instances':>10}{'queries':>9}{'p50 ms':>9}{'p95 ms':>9}  p95 by kind")
    for query in queries:
        kinds = ", ".join(f"{kind} {value:.1f}" for kind, value in query.p95_ms_by_kind.items())
        print(
            f"{query.backend:<12}{query.instances_in_store:>10}{query.queries:>9}"
            f"{query.p50_ms:>9.1f}{query.p95_ms:>9.1f}  {kinds}"
        )


def publish_tables(ingest: Sequence[IngestResult], queries: Sequence[QueryResult], args: argparse.Namespace) -> Path:
    """The printed tables as Markdown in bench/INGEST.md and the README."""
    ingest_table = markdown_table(
        ["backend", "clients", "instances", "inst/s", "p50 ms", "p95 ms", "Orthanc CPU ms/inst",
         "PostgreSQL CPU ms/inst"],
        [[row.backend, row.clients, row.instances, f"{row.instances_per_s:.1f}", f"{row.p50_ms:.1f}",
          f"{row.p95_ms:.1f}", f"{row.orthanc_cpu_ms_per_instance:.2f}", f"{row.postgres_cpu_ms_per_instance:.2f}"]
         for row in ingest],
    )  # fmt: skip
    query_table = markdown_table(
        ["backend", "instances in store", "queries", "p50 ms", "p95 ms", "p95 ms by kind"],
        [[query.backend, query.instances_in_store, query.queries, f"{query.p50_ms:.1f}", f"{query.p95_ms:.1f}",
          ", ".join(f"{kind} {value:.1f}" for kind, value in query.p95_ms_by_kind.items())] for query in queries],
    )  # fmt: skip
    ratio_lines = [
        f"- {backend}/sqlite instances/s: "
        + ", ".join(f"{clients} client(s) {ratio:.2f}" for clients, ratio in by_clients.items())
        for backend, by_clients in ratios(ingest).items()
    ]  # fmt: skip
    orthanc = subprocess.run([ORTHANC_BIN, "--version"], capture_output=True, text=True, check=True).stdout
    context = machine({"orthanc": orthanc.splitlines()[0], "run": f"--per-round {args.per_round} --instances "
                       f"{args.instances} --clients {args.clients}"})  # fmt: skip
    return publish(
        "ingest", "Ingest and query benchmark (`python -m bench.ingest`)",
        f"STOW-RS ingest of 512x512 16-bit CT instances:\n\n{ingest_table}\n\n" + "\n".join(ratio_lines)
        + f"\n\nQIDO-RS study searches:\n\n{query_table}",
        context,
        command="make bench",
    )  # fmt: skip


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000, help="store size for the QIDO run (0: no QIDO)")
    parser.add_argument("--per-round", type=int, default=480, help="512x512 instances per backend and client count")
    parser.add_argument("--clients", default="1,4,8", help="comma-separated client counts")
    parser.add_argument("--quick", action="store_true", help="small run: 120 per round, 1000-instance QIDO")
    parser.add_argument(
        "--pg-setting", action="append", default=[], metavar="NAME=VALUE", help="extra postgres -c setting"
    )
    parser.add_argument("--no-pg-tuning", action="store_true", help="PostgreSQL defaults, for comparison")
    parser.add_argument("--json", type=Path, default=None, help="result file (default: bench/results/...)")
    args = parser.parse_args(argv)
    if args.quick:
        args.per_round, args.instances = 120, 1000
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    require_binaries()
    clients = [int(count) for count in args.clients.split(",")]
    extra = [tuple(setting.split("=", 1)) for setting in args.pg_setting]
    if unsafe := sorted(UNSAFE_PG_SETTINGS & {name for name, *_ in extra}):
        raise SystemExit(f"refusing {unsafe}: the benchmark only measures durable configurations")
    pg_settings = (*(() if args.no_pg_tuning else PG_SETTINGS), *((name, value) for name, value in extra))
    work = Path(tempfile.mkdtemp(prefix="dicomstore-bench-"))
    postgres_servers: list[PostgresServer] = []
    backends: list[Backend] = []
    try:
        variants = {
            "pg-rendered": OrthancSettings(name="pg-rendered", users=(USER,), user_roles=ROLES),
            "pg-1conn": OrthancSettings(name="pg-1conn", users=(USER,), user_roles=ROLES, index_connections_count=1),
        }
        for name, base in variants.items():
            postgres = PostgresServer(extra_settings=pg_settings)
            postgres_servers.append(postgres)
            postgres.init()
            settings = replace(base, http_port=free_port(), dicom_port=free_port())
            rendered = rendered_postgres_config(postgres, work / name, settings)
            secrets = {secret.env_var: uuid.uuid4().hex + uuid.uuid4().hex for secret in rendered.secret_files}
            secrets["ORTHANC_DB_PASSWORD"] = postgres.password
            backends.append(Backend(name, OrthancServer(rendered, work / name, secrets, USER), postgres))
        sqlite = default_sqlite_config(work / "sqlite")
        secrets = {secret.env_var: uuid.uuid4().hex + uuid.uuid4().hex for secret in sqlite.secret_files}
        backends.append(Backend("sqlite", OrthancServer(sqlite, work / "sqlite", secrets, USER)))
        for backend in backends:
            backend.server.start()

        print(f"generating {args.per_round * len(clients)} CT instances (512x512, 16 bit) ...", flush=True)
        rounds = {count: ct_payloads(args.per_round, 100_000 + 10_000 * count, rows=512)[0] for count in clients}
        warmup, _ = ct_payloads(20, 900_000, rows=512)
        for backend in backends:
            run_parallel(4, warmup, backend.stow)
        ingest: list[IngestResult] = []
        for count in clients:
            for result in ingest_round(backends, count, rounds[count]):
                print(f"  {result}", flush=True)
                ingest.append(result)

        queries: list[QueryResult] = []
        for backend in (backends[0], backends[-1]) if args.instances > 0 else ():
            print(f"filling {backend.name} to {args.instances} instances ...", flush=True)
            fill(backend, args.instances, clients=max(clients), first_index=1_000_000)
            queries.append(qido_round(backend, QIDO_QUERIES, seed=7))

        print_table(ingest, queries)
        report = {
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": _host(),
            "postgresql_settings": dict(pg_settings),
            "backends": {
                backend.name: {
                    key: backend.server.rendered.config.get(key)
                    for key in ("PostgreSQL", "HttpThreadsCount", "StorageCompression", "IndexDirectory")
                    if key in backend.server.rendered.config
                }
                for backend in backends
            },
            "ingest": [asdict(row) for row in ingest],
            "pg_to_sqlite_ratio": ratios(ingest),
            "qido": [asdict(query) for query in queries],
            "targets": TARGETS,
        }
        RESULTS_DIR.mkdir(exist_ok=True)
        path = args.json or RESULTS_DIR / f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
        path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nresults written to {path} and {publish_tables(ingest, queries, args)}")
        return 0
    finally:
        for backend in backends:
            backend.server.stop()
        for postgres in postgres_servers:
            postgres.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
