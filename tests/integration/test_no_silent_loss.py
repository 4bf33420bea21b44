"""No silent write loss: what Orthanc answers while its index is down, and how the store keeps clients safe.

A real PostgreSQL 15 and a real Orthanc of their own (the test stops the database). Measured on Debian's
DICOMweb plugin 1.7: STOW-RS answers 200 with empty Referenced/Failed SOP sequences while PostgreSQL is down,
i.e. nothing stored and nothing reported. Two safeguards, both tested here:
- the client contract (tools/stow.py): an instance is stored only when the response lists it in
  ReferencedSOPSequence; the tool retries the others and fails loudly if they never appear;
- the OKE readiness probe (components/orthanc/kubernetes_manifests.py readiness_script): an authenticated GET /system
  fails while the index is down, so the replica leaves the load balancer's endpoints until it is back.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pydicom
import pytest
import requests
from pydicom.uid import generate_uid

from bench.dicom_factory import ct_instance, make_study, to_part10
from bench.local_stack import OrthancServer, PostgresServer
from components.orthanc.kubernetes_manifests import readiness_script
from tests.integration.conftest import STORE_USER
from tools import stow

pytestmark = pytest.mark.integration


@pytest.fixture
def index_down(store: tuple[OrthancServer, PostgresServer]) -> Iterator[None]:
    orthanc, postgres = store
    postgres.stop()
    try:
        yield
    finally:
        postgres.start()
        orthanc.wait_ready()


def _instance() -> pydicom.Dataset:
    return ct_instance(make_study(600), generate_uid(), 1, 1, rows=32, columns=32)


def _post(orthanc: OrthancServer) -> stow.StowOutcome:
    session = requests.Session()
    session.auth = orthanc.auth
    ds = _instance()
    return stow.post_instances(session, orthanc.url + "/dicom-web", [to_part10(ds)])


def _is_stored(orthanc: OrthancServer, uid: str) -> bool:
    return bool(requests.post(f"{orthanc.url}/tools/lookup", data=uid, auth=orthanc.auth, timeout=10).json())


def test_stow_answers_200_with_nothing_referenced_while_the_index_is_down(
    store: tuple[OrthancServer, PostgresServer], index_down: None
) -> None:
    """The behaviour the contract exists for (Debian DICOMweb 1.7): 200, yet nothing listed as stored."""
    result = _post(store[0])
    assert result.status == 200
    assert result.stored == frozenset() and result.failed == {}


def test_the_client_contract_retries_until_the_index_is_back(store: tuple[OrthancServer, PostgresServer]) -> None:
    """A transient outage (a database failover): the first attempt is answered 200 and lost, the retry after
    the database returns stores it, and only then does the tool call it stored."""
    orthanc, postgres = store
    ds = _instance()
    session = requests.Session()
    session.auth = orthanc.auth
    attempts: list[stow.StowOutcome] = []

    def post(parts: Sequence[bytes]) -> stow.StowOutcome:
        attempts.append(stow.post_instances(session, orthanc.url + "/dicom-web", parts))
        return attempts[-1]

    def back_off(_: float) -> None:  # the outage ends while the client waits
        postgres.start()
        orthanc.wait_ready()

    postgres.stop()
    missing = stow.store_all(post, {str(ds.SOPInstanceUID): to_part10(ds)}, attempts=3, sleep=back_off)
    assert missing == {}
    assert [attempt.status for attempt in attempts] == [200, 200]
    assert attempts[0].stored == frozenset() and str(ds.SOPInstanceUID) in attempts[1].stored
    assert _is_stored(orthanc, str(ds.SOPInstanceUID))


def test_the_stow_command_fails_naming_every_instance_it_could_not_confirm(
    store: tuple[OrthancServer, PostgresServer], index_down: None, tmp_path: Path
) -> None:
    orthanc, _ = store
    ds = _instance()
    path = tmp_path / "slice.dcm"
    path.write_bytes(to_part10(ds))
    password = tmp_path / "password"
    password.write_text(orthanc.auth[1])
    command = [sys.executable, "-m", "tools.stow", "--url", orthanc.url + "/dicom-web", "--user", STORE_USER,
               "--password-file", str(password), "--attempts", "2", str(path)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert f"NOT STORED {ds.SOPInstanceUID}: HTTP 200, not in ReferencedSOPSequence" in result.stderr
    assert "0/1 instances confirmed stored" in result.stdout


def _probe(orthanc: OrthancServer, tmp_path: Path) -> int:
    password = tmp_path / "probe-password"
    password.write_text(orthanc.auth[1])
    script = readiness_script(STORE_USER, str(password), orthanc.http_port)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30, check=False).returncode


def _ready_again(orthanc: OrthancServer, tmp_path: Path, within_s: float = 90) -> bool:
    """After a database restart each of Orthanc's pooled index connections reconnects on its own retry timer
    (`ConnectionRetryInterval`), so a replica answers 503 now and then for a few seconds: wait for three
    passing probes in a row, as the probe's failureThreshold would."""
    deadline, streak = time.monotonic() + within_s, 0
    while time.monotonic() < deadline and streak < 3:
        streak = streak + 1 if _probe(orthanc, tmp_path) == 0 else 0
        time.sleep(1)
    return streak == 3


def test_the_oke_readiness_probe_takes_a_replica_out_while_its_index_is_down(
    store: tuple[OrthancServer, PostgresServer], tmp_path: Path
) -> None:
    """The StatefulSet's exact probe script: ready with the database, not ready without it (Orthanc answers the
    authenticated /system with 503), ready again once it is back."""
    orthanc, postgres = store
    assert _ready_again(orthanc, tmp_path)
    postgres.stop()
    try:
        assert _probe(orthanc, tmp_path) != 0
    finally:
        postgres.start()
        orthanc.wait_ready()
    assert _ready_again(orthanc, tmp_path)
