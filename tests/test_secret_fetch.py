"""The one secret-fetch script of both runtimes, run for real: `sh` (dash here, as strict as the images' shells)
against a fake `oci` on PATH that answers each secret id from a file, for both auth modes.

Checks what Orthanc relies on: files of mode 600 holding exactly the decoded bytes, an empty or unreadable secret
stopping the fetcher with no file (whole or half) left behind, the ready marker only where the runtime asked for
it and only once every file is in place, and nothing written outside the secret directories."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.orthanc.orthanc_config import SecretFile
from components.orthanc.secret_fetch import (
    READY_MARKER,
    OciAuth,
    render_fetch_script,
    secret_ocid_env_var,
    wait_for_secrets,
)

# Prints the bundle's base64 content as `--query ... --raw-output` does (with a newline), or fails like the CLI
# does for an unauthorised principal; logs every call's arguments.
FAKE_OCI = """#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_OCI_LOG"
while [ $# -gt 0 ]; do
  if [ "$1" = --secret-id ]; then secret_id=$2; fi
  shift
done
if [ -e "$FAKE_OCI_BUNDLES/$secret_id.denied" ]; then echo 'ServiceError: NotAuthorizedOrNotFound' >&2; exit 1; fi
cat "$FAKE_OCI_BUNDLES/$secret_id"
"""
# Bytes a password generator may produce, including what a shell would mangle and a trailing newline.
PASSWORD = b"p4 ss'w\"rd $HOME `id` \\ \xc3\xa9\n"
AUTH_MODES: tuple[OciAuth, ...] = ("resource_principal", "instance_principal")


@dataclass(frozen=True)
class FetchRun:
    returncode: int
    stderr: str
    oci_calls: list[str]


class Pod:
    """Two memory-volume stand-ins (Orthanc's secrets, the bootstrap's administrator password), a Vault of bundles
    keyed by secret id, and the fake CLI."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.secrets, self.admin, self.bundles, self.work = (root / d for d in ("secrets", "admin", "vault", "work"))
        for directory in (self.secrets, self.admin, self.bundles, self.work, root / "bin"):
            directory.mkdir()
        self.database = SecretFile("ORTHANC_DB_PASSWORD", str(self.secrets / "orthanc-db-password"), "db")
        self.user = SecretFile("ORTHANC_USER_ADMIN_PASSWORD", str(self.secrets / "orthanc-user-admin"), "user")
        self.administrator = SecretFile("DB_ADMIN_PASSWORD", str(self.admin / "db-admin-password"), "admin")
        oci = root / "bin" / "oci"
        oci.write_text(FAKE_OCI)
        oci.chmod(0o755)
        self.log = root / "oci-calls.log"
        for secret in self.files:
            self.store(secret, base64.b64encode(PASSWORD + secret.env_var.encode()).decode())

    @property
    def files(self) -> tuple[SecretFile, ...]:
        return (self.administrator, self.database, self.user)

    def store(self, secret: SecretFile, content: str) -> None:
        (self.bundles / self.secret_id(secret)).write_text(f"{content}\n")

    def deny(self, secret: SecretFile) -> None:
        (self.bundles / f"{self.secret_id(secret)}.denied").touch()

    @staticmethod
    def secret_id(secret: SecretFile) -> str:
        return f"ocid1.vaultsecret.oc1.eu-frankfurt-1.{secret.env_var.lower()}"

    def fetch(self, auth: OciAuth, ready_marker: bool) -> FetchRun:
        script = render_fetch_script(
            (self.database, self.user), (self.administrator,), auth=auth, ready_marker=ready_marker
        )
        environment = {
            "PATH": f"{self.root / 'bin'}:{os.environ['PATH']}",
            "HOME": str(self.work),
            "FAKE_OCI_LOG": str(self.log),
            "FAKE_OCI_BUNDLES": str(self.bundles),
            **{secret_ocid_env_var(secret): self.secret_id(secret) for secret in self.files},
        }
        result = subprocess.run(
            ["sh", "-c", script],
            check=False,
            cwd=self.work,
            env=environment,
            capture_output=True,
            text=True,
            timeout=30,
        )
        calls = self.log.read_text().splitlines() if self.log.exists() else []
        return FetchRun(result.returncode, result.stderr, calls)

    def written(self) -> dict[str, int]:
        """Every file in the two volumes and the working directory, with its permission bits."""
        return {
            str(path.relative_to(self.root)): stat.S_IMODE(path.stat().st_mode)
            for directory in (self.secrets, self.admin, self.work)
            for path in sorted(directory.rglob("*"))
        }

    def marker_wait(self) -> subprocess.CompletedProcess[str]:
        """The database bootstrap's wait for the fetcher (Container Instances), with a one-second timeout."""
        script = wait_for_secrets((self.database, self.user), timeout_seconds=1)
        return subprocess.run(["sh", "-c", script], check=False, capture_output=True, text=True, timeout=30)


@pytest.fixture
def pod(tmp_path: Path) -> Pod:
    return Pod(tmp_path)


@pytest.mark.parametrize("auth", AUTH_MODES)
@pytest.mark.parametrize("ready_marker", [True, False])
def test_every_secret_is_decoded_exactly_into_a_file_of_mode_600(pod: Pod, auth: OciAuth, ready_marker: bool) -> None:
    run = pod.fetch(auth, ready_marker)
    assert (run.returncode, run.stderr) == (0, "")
    for secret in pod.files:
        assert Path(secret.path).read_bytes() == PASSWORD + secret.env_var.encode()
    expected = {
        "admin/db-admin-password": 0o600,
        "secrets/orthanc-db-password": 0o600,
        "secrets/orthanc-user-admin": 0o600,
    }
    if ready_marker:
        expected[f"secrets/{READY_MARKER}"] = 0o600
    assert pod.written() == expected  # no `.part` left, nothing in the working directory
    assert len(run.oci_calls) == 3
    for call, secret in zip(run.oci_calls, pod.files, strict=True):  # the administrator's password first
        assert call.startswith(f"secrets secret-bundle get --auth {auth} --stage CURRENT --secret-id ")
        assert call.split("--secret-id ")[1].startswith(pod.secret_id(secret))


@pytest.mark.parametrize("auth", AUTH_MODES)
def test_an_empty_secret_stops_the_fetcher_with_no_file_and_no_marker(pod: Pod, auth: OciAuth) -> None:
    pod.store(pod.user, "")
    run = pod.fetch(auth, ready_marker=True)
    assert run.returncode != 0
    assert run.stderr == f"secret-fetcher: secret {pod.secret_id(pod.user)} is empty\n"
    # The files fetched before it stay whole; the empty one has neither a file nor a half file; no marker.
    assert pod.written() == {"admin/db-admin-password": 0o600, "secrets/orthanc-db-password": 0o600}
    assert pod.marker_wait().returncode == 1


@pytest.mark.parametrize("auth", AUTH_MODES)
def test_a_secret_the_principal_may_not_read_stops_the_fetcher_before_any_write(pod: Pod, auth: OciAuth) -> None:
    pod.deny(pod.administrator)
    run = pod.fetch(auth, ready_marker=True)
    assert run.returncode != 0 and "NotAuthorizedOrNotFound" in run.stderr
    assert len(run.oci_calls) == 1
    assert pod.written() == {}


def test_the_bootstrap_waits_for_the_marker_only_a_complete_fetch_writes(pod: Pod) -> None:
    waited = pod.marker_wait()
    assert waited.returncode == 1 and "no secrets after 1s (check the secret-fetcher logs)" in waited.stderr
    assert pod.fetch("resource_principal", ready_marker=True).returncode == 0
    assert pod.marker_wait().returncode == 0


def test_a_rerun_replaces_every_file_with_the_current_version(pod: Pod) -> None:
    # A restarted fetcher (Container Instances' ON_FAILURE policy, a pod's init containers rerun) overwrites.
    assert pod.fetch("instance_principal", ready_marker=False).returncode == 0
    pod.store(pod.database, base64.b64encode(b"rotated").decode())
    assert pod.fetch("instance_principal", ready_marker=False).returncode == 0
    assert Path(pod.database.path).read_bytes() == b"rotated"
    assert stat.S_IMODE(Path(pod.database.path).stat().st_mode) == 0o600


@pytest.mark.parametrize("auth", AUTH_MODES)
def test_a_bundle_that_does_not_decode_leaves_no_partial_secret(pod: Pod, auth: OciAuth) -> None:
    # base64 fails part-way through: what it decoded so far is removed, under the temporary name too.
    pod.store(pod.database, base64.b64encode(b"first half").decode() + "!!not base64!!")
    run = pod.fetch(auth, ready_marker=True)
    assert run.returncode != 0
    assert f"secret {pod.secret_id(pod.database)} does not decode as base64" in run.stderr
    assert not Path(pod.database.path).exists() and not Path(pod.user.path).exists()
    assert not Path(f"{pod.database.path}.part").exists()
    assert not (pod.secrets / READY_MARKER).exists()
