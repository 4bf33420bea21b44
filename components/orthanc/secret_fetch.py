"""Start-up scripts that bring Vault secrets into a container as files, without the values in any definition.

Pure functions (no Pulumi runtime). One fetch script for both Orthanc runtimes, which have no native way to mount
an OCI Vault secret as a file; they differ only in the identity the OCI CLI signs with (`OciAuth`) and in
whether anything must wait for the fetcher:
- Container Instances: a short-lived fetcher container reads each secret with the container instance's resource
  principal and writes it into a memory-backed volume shared with Orthanc. The instance's containers start
  together, so the fetcher touches a completion marker: the database bootstrap waits for it, Orthanc's command
  for the bootstrap's, then runs the renderer's entrypoint (which loads the files into variables).
- OKE: the same script runs as the pod's first init container, with the worker node's instance principal
  (components/orthanc/kubernetes_manifests.py); the kubelet starts the next container only once it exited 0.
The DB administrator's password goes to a volume only the bootstrap mounts.

The container definitions carry only secret OCIDs (identifiers, not values); the IAM policy for the runtime's
dynamic group decides who may read the values.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Literal

from components.orthanc.orthanc_config import SecretFile

READY_MARKER = ".dicomstore-secrets-ready"  # a dot file: orthancteam/orthanc's configurator skips it
WAIT_FOR_SECRETS_SECONDS = 300  # a first start waits for IAM propagation of the dynamic-group policy
_ENV_VAR = re.compile(r"^[A-Z][A-Z0-9_]*$")
OciAuth = Literal["resource_principal", "instance_principal"]
"""The OCI CLI's `--auth`: the identity of the runtime the fetcher runs in, never a stored credential.

`resource_principal`: a Container Instances container given the instance's resource principal
(`is_resource_principal_disabled=False`; resource principal version 2.2, see "OCI SDK Authentication Methods",
https://docs.oracle.com/en-us/iaas/Content/API/Concepts/sdk_authentication_methods.htm). `instance_principal`: a
pod on an OKE worker node, which signs as that compute instance through the instance metadata service ("Calling
Services from an Instance", https://docs.oracle.com/en-us/iaas/Content/Identity/Tasks/callingservicesfrominstances.htm).
OKE workload identity (`oke_workload_identity`) would need `any-user` statements, which the package's IAM guard
refuses (components/orthanc/kubernetes_manifests.py)."""


def secret_ocid_env_var(secret: SecretFile) -> str:
    """The fetcher's variable holding the OCID of the Vault secret behind `secret`."""
    return f"{secret.env_var}_SECRET_OCID"


def secrets_directory(secret_files: Sequence[SecretFile]) -> str:
    """The single directory every secret file lives in (the shared volume's mount path)."""
    directories = {secret.path.rsplit("/", 1)[0] for secret in secret_files}
    if len(directories) != 1:
        raise ValueError(f"secret files must share one directory, found {sorted(directories)}")
    return directories.pop()


def fetcher_environment(secret_files: Sequence[SecretFile], secret_ids: Mapping[str, str]) -> dict[str, str]:
    """The fetcher's environment: one `<VAR>_SECRET_OCID` per secret file, from `secret_ids` keyed by variable.

    Raises ValueError naming every secret file without a Vault secret and every id matching no file.
    """
    wanted = {secret.env_var for secret in secret_files}
    missing = sorted(wanted - set(secret_ids))
    unknown = sorted(set(secret_ids) - wanted)
    if missing or unknown:
        raise ValueError(f"secret files without a Vault secret: {missing}; Vault secrets for no file: {unknown}")
    return {secret_ocid_env_var(secret): secret_ids[secret.env_var] for secret in secret_files}


def render_fetch_script(
    secret_files: Sequence[SecretFile],
    extra_files: Sequence[SecretFile] = (),
    *,
    auth: OciAuth,
    ready_marker: bool,
) -> str:
    """POSIX sh for the OCI CLI image: fetch each secret's current version into its file, signed as `auth`.

    Files are written with mode 600 via a temporary name beside them (`<file>.part`, in the same volume) and an
    atomic rename, so Orthanc never reads half a secret; an empty secret is an error (Orthanc would substitute an
    empty password), and a bundle that does not decode leaves no partial file. Nothing is written outside the secret
    files' directories (read-only root file systems). `extra_files` (the database bootstrap's administrator
    password) may live in another volume, one Orthanc does not mount. `ready_marker`: once every file is in place,
    touch the marker `wait_for_secrets` looks for, in the directory of `secret_files` (for a runtime whose
    containers start together).
    """
    directory = secrets_directory(secret_files)
    lines = [
        "set -eu",
        "umask 077",
        "fetch() {",
        f'  content=$(oci secrets secret-bundle get --auth {auth} --stage CURRENT --secret-id "$1" \\',
        "    --query 'data.\"secret-bundle-content\".content' --raw-output)",
        '  if [ -z "$content" ]; then echo "secret-fetcher: secret $1 is empty" >&2; exit 1; fi',
        # A bundle that does not decode leaves no partial secret behind, under any name.
        '  if ! printf \'%s\' "$content" | base64 -d > "$2.part"; then',
        '    rm -f "$2.part"; echo "secret-fetcher: secret $1 does not decode as base64" >&2; exit 1',
        "  fi",
        '  mv "$2.part" "$2"',
        "}",
    ]
    for secret in (*extra_files, *secret_files):
        variable = secret_ocid_env_var(secret)
        if not _ENV_VAR.fullmatch(variable):
            raise ValueError(f"{variable!r} is not a portable environment variable name")
        lines.append(f'fetch "${variable}" {shlex.quote(secret.path)}')
    if ready_marker:
        lines.append(f"touch {shlex.quote(f'{directory}/{READY_MARKER}')}")
    return "\n".join([*lines, ""])


def wait_for_secrets(secret_files: Sequence[SecretFile], timeout_seconds: int = WAIT_FOR_SECRETS_SECONDS) -> str:
    """POSIX sh that waits for the fetcher's marker (exit 1 after `timeout_seconds`; the restart policy retries)."""
    return wait_for_file(
        f"{secrets_directory(secret_files)}/{READY_MARKER}", timeout_seconds, "secrets", "secret-fetcher"
    )


def wait_for_file(path: str, timeout_seconds: int, what: str, container: str) -> str:
    """POSIX sh that waits until `path` exists; exit 1 after `timeout_seconds` naming the `container` to check."""
    return "\n".join(
        [
            "waited=0",
            f"while [ ! -e {shlex.quote(path)} ]; do",
            f'  if [ "$waited" -ge {timeout_seconds} ]; then',
            f'    echo "orthanc-entrypoint: no {what} after ${{waited}}s (check the {container} logs)" >&2; exit 1',
            "  fi",
            "  sleep 1; waited=$((waited + 1))",
            "done",
            "",
        ]
    )
