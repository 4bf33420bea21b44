"""Orthanc configuration renderer: one configuration for both runtimes (Container Instances and OKE).

Pure functions, no Pulumi runtime: the runtimes call `render_orthanc_config` inside
`pulumi.Output.all(...).apply(...)` with the data tier's outputs, and the integration tests start a real
Orthanc from the very same rendered dictionary (`with_local_storage` swaps only the S3 section for a
directory, because Debian ships no S3 plugin).

Design choices:
- Secrets never appear in the rendered output. The configuration holds `${ENV_VAR}` references; Orthanc
  (and the orthancteam/orthanc image's configurator) substitute environment variables into the raw file text
  before parsing it. `RenderedOrthancConfig.entrypoint` is a POSIX shell snippet that loads every secret file
  under the secrets directory (`/run/secrets`) into its variable and then `exec`s the real command. It refuses
  to start when a file is missing or empty, because Orthanc substitutes an unset variable by an empty string:
  a missing password file would otherwise become a user with an empty password. It JSON-escapes `\\` and `"`
  because the substitution happens before JSON parsing.
- Index in PostgreSQL (TLS required, `Lock: false` so replicas can share it, a unique
  `DatabaseServerIdentifier` per replica), DICOM files in Object Storage through the S3 plugin on OCI's
  S3-compatible endpoint (path-style addressing, which that endpoint needs), nothing on local disk.
- Authentication always on, with at least one user (Orthanc 1.13 refuses auth without users). Remote access is
  allowed because the only path in is the load balancer, which terminates TLS; the network security groups
  enforce that, not Orthanc.
- DIMSE: only the configured modalities may store/find/move/get/echo; an unknown calling AE is rejected and the
  called AE must be ours.
- Ingest: no storage compression (costs CPU on every instance, saves little on object storage), several
  index connections with `TransactionMode: ReadCommitted` (PostgreSQL plugin >= 6.0, as in the
  orthancteam/orthanc image) so parallel uploads do not abort each other. Older plugins ignore that key and
  run SERIALIZABLE: there (Debian's plugin 4.0) one index connection ingests faster than five, as
  `bench/ingest.py` measures (`pg-1conn` against `pg-rendered`).
- Viewers: Orthanc Explorer 2 (the default UI at `/ui/app/`), the Stone Web Viewer and OHIF, as the
  orthancteam/orthanc image enables them (orthanc-builder docker/orthanc/plugins-def.json): OE2 is on by
  default, while Stone and OHIF load only when their `*_PLUGIN_ENABLED` variable is set (Stone is
  `enablingEnvVarIsRequired`; OHIF's section is `OHIF` but the configurator looks for `Ohif`), so the
  entrypoint exports those variables before the image's configurator runs. They are served by Orthanc itself,
  so they sit behind the same load balancer, TLS listener, authentication and role filter as the API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

from components.config.identifiers import AE_TITLE_PATTERN, ORTHANC_USER_PATTERN
from components.network.ports import DICOM_PORT, ORTHANC_HTTP_PORT, POSTGRES_PORT
from components.orthanc.orthanc_access import Role, render_access_script

JsonValue: TypeAlias = "str | int | bool | list[JsonValue] | dict[str, JsonValue]"
JsonObject: TypeAlias = dict[str, JsonValue]

PLUGIN_DIRECTORY = "/usr/share/orthanc/plugins"  # where both Debian's Orthanc and orthancteam/orthanc load plugins
SECRETS_DIRECTORY = "/run/secrets"  # Docker/Kubernetes/Container Instances convention for mounted secrets
CONFIG_PATH = "/etc/orthanc/dicomstore.json"  # orthancteam/orthanc merges every /etc/orthanc/*.json
# Beside the config (one volume in both runtimes); not *.json, so the image's configurator leaves it alone.
ACCESS_SCRIPT_PATH = "/etc/orthanc/access-control.lua"
OE2_ROOT = "/ui/"  # Orthanc Explorer 2's default root: the app is at /ui/app/, the role filter admits /ui
OHIF_ROOT = "/ohif/"  # the OHIF plugin's default RouterBasename
# orthancteam/orthanc's configurator installs these plugins only when their variable is set (plugins-def.json).
VIEWER_PLUGIN_SWITCHES = {"STONE_WEB_VIEWER_PLUGIN_ENABLED": "true", "OHIF_PLUGIN_ENABLED": "true"}

_AET = re.compile(AE_TITLE_PATTERN)
_USER = re.compile(ORTHANC_USER_PATTERN)
_REGION = re.compile(r"^[a-z]{2,}(-[a-z]+)+-[0-9]+$")
_NAMESPACE = re.compile(r"^[a-z0-9]{1,64}$")
_BUCKET = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class OrthancConfigError(ValueError):
    """Invalid renderer input; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid Orthanc settings:\n  - " + "\n  - ".join(problems))


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise OrthancConfigError(problems)


def _port_problem(name: str, port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else [f"{name}={port!r}: use a TCP port between 1 and 65535"]


@dataclass(frozen=True)
class DicomModality:
    """A modality allowed to talk DIMSE to Orthanc (an entry of `DicomModalities`)."""

    aet: str
    """Its AE title (at most 16 characters); also the entry's name in `DicomModalities`."""
    host: str
    """Its host name or IP address (where Orthanc sends C-MOVE results)."""
    port: int = 104
    """Its DICOM port."""
    allow_move: bool = True
    """May retrieve with C-MOVE (modalities fetch priors)."""
    allow_get: bool = False
    """May retrieve with C-GET."""

    def __post_init__(self) -> None:
        problems = _port_problem(f"modality {self.aet!r} port", self.port)
        if not _AET.fullmatch(self.aet):
            problems.append(f"modality aet={self.aet!r}: use 1-16 upper-case letters, digits, '_', '-', '.' or spaces")
        if not self.host:
            problems.append(f"modality {self.aet!r} host={self.host!r}: give the modality's host name or IP")
        _raise_if(problems)


@dataclass(frozen=True)
class OrthancSettings:
    """Everything about Orthanc itself; maps from the `dicomstore:orthanc` config section."""

    name: str = "dicomstore"
    """Logical name (`/system`); prefix of the per-replica `DatabaseServerIdentifier`."""
    aet: str = "DICOMSTORE"
    """Orthanc's own AE title (callers must call it by this title)."""
    dicom_port: int = DICOM_PORT
    http_port: int = ORTHANC_HTTP_PORT
    modalities: tuple[DicomModality, ...] = ()
    """Modalities allowed to store/query/retrieve; every other AE is rejected."""
    users: tuple[str, ...] = ("admin",)
    """HTTP users; each password comes from the secret file `orthanc-user-<name>-password`."""
    user_roles: Mapping[str, Role] = field(default_factory=lambda: {"admin": Role.ADMINISTRATOR})
    """The role of every user (components/orthanc/orthanc_access.py); a user without one could do nothing."""
    rollover_users: tuple[str, ...] = ()
    """Users whose password is being rolled over: each also answers as `rollover_user(user)`, with the same
    role and the password of secret file `orthanc-rollover-<name>-password` (README, "Rotation runbook")."""
    index_connections_count: int = 5
    """PostgreSQL connections per replica (the plugin's default of 1 serialises every index write)."""
    transaction_mode: Literal["ReadCommitted", "Serializable"] = "ReadCommitted"
    """PostgreSQL plugin >= 6.0 isolation level: ReadCommitted lets parallel ingest proceed without the
    serialization failures and retries of Serializable (the plugin's default)."""
    replica_index: int = 0
    """Which replica this rendering is for (0-based); makes `DatabaseServerIdentifier` unique."""
    replica_count: int = 1
    """Replicas sharing the database; above 1, jobs are not persisted (a job belongs to one replica)."""
    http_threads_count: int = 50
    """Concurrent HTTP requests served (Orthanc's default)."""
    dicom_threads_count: int = 4
    """Concurrent DIMSE associations served."""
    concurrent_jobs: int = 2
    """Jobs (C-MOVE, archive, modification) run in parallel."""
    storage_access_on_find: Literal["Always", "Answers", "Never"] = "Answers"
    """When C-FIND/QIDO-RS may read files: `Answers` reads object storage only to complete the answers
    returned, never to test candidates (Orthanc's default `Always` is its slowest mode)."""
    storage_compression: bool = False
    """zlib-compress stored files: costs ingest CPU, saves little on compressed or object storage."""
    overwrite_instances: bool = False
    """Replace an instance received again (True) or keep the first copy (False, cheaper)."""
    dicomweb_root: str = "/dicom-web/"
    """Root of QIDO-RS, WADO-RS and STOW-RS."""
    behind_tls_listener: bool = True
    """Clients reach Orthanc through the load balancer's TLS listener, so DICOMweb must write `https://` into the
    URLs it returns (RetrieveURL, BulkDataURI); Orthanc itself serves plain HTTP inside the VCN."""
    database_ssl: bool = True
    """Require TLS to PostgreSQL (OCI Database with PostgreSQL enforces it)."""

    def __post_init__(self) -> None:
        problems = [
            *_port_problem("dicom_port", self.dicom_port),
            *_port_problem("http_port", self.http_port),
        ]
        if self.dicom_port == self.http_port:
            problems.append(f"dicom_port={self.dicom_port!r}: must differ from http_port")
        if not _NAME.fullmatch(self.name):
            problems.append(f"name={self.name!r}: use letters, digits, '_', '-', '.' (at most 63)")
        if not _AET.fullmatch(self.aet):
            problems.append(f"aet={self.aet!r}: use 1-16 upper-case letters, digits, '_', '-', '.' or spaces")
        if not self.users:
            problems.append("users=(): give at least one user (authentication is always on)")
        for user in self.users:
            if not _USER.fullmatch(user):
                problems.append(f"users: {user!r}: use 2-32 lower-case letters, digits, '_', '.', '-'")
        if set(self.user_roles) != set(self.users):
            problems.append(
                f"user_roles={dict(self.user_roles)!r}: give exactly one role to each of users={self.users!r}"
            )
        unknown_rollover = sorted(set(self.rollover_users) - set(self.users))
        if unknown_rollover:
            problems.append(f"rollover_users: {unknown_rollover!r}: roll over only users listed in users")
        env_names = [user_password_env_var(user) for user in self.users]
        if len(set(env_names)) != len(env_names):
            problems.append(f"users={self.users!r}: names must stay distinct once '.' and '-' become '_'")
        aets = [modality.aet for modality in self.modalities]
        if len(set(aets)) != len(aets):
            problems.append(f"modalities: AE titles {aets!r} must be unique")
        for label, value in (
            ("index_connections_count", self.index_connections_count),
            ("replica_count", self.replica_count),
            ("http_threads_count", self.http_threads_count),
            ("dicom_threads_count", self.dicom_threads_count),
            ("concurrent_jobs", self.concurrent_jobs),
        ):
            if value < 1:
                problems.append(f"{label}={value!r}: must be at least 1")
        if not 0 <= self.replica_index < max(self.replica_count, 1):
            problems.append(
                f"replica_index={self.replica_index!r}: must be in 0..{self.replica_count - 1} (replica_count)"
            )
        if not (self.dicomweb_root.startswith("/") and self.dicomweb_root.endswith("/")):
            problems.append(f"dicomweb_root={self.dicomweb_root!r}: must start and end with '/'")
        _raise_if(problems)


@dataclass(frozen=True)
class PostgresEndpoint:
    """Where the index lives (outputs of the database component); the password is a secret file."""

    host: str
    port: int = POSTGRES_PORT
    database: str = "orthanc"
    username: str = "orthanc"
    max_connections: int | None = None
    """The server's `max_connections`; when given, replicas x index connections must fit below it."""

    def __post_init__(self) -> None:
        problems = _port_problem("postgres port", self.port)
        if not self.host:
            problems.append(f"postgres host={self.host!r}: give the database endpoint's host name or IP")
        if not self.database or not self.username:
            problems.append(f"postgres database={self.database!r}, username={self.username!r}: both are required")
        _raise_if(problems)


@dataclass(frozen=True)
class ObjectStorageEndpoint:
    """The bucket holding the DICOM files, reached through OCI's S3 compatibility API."""

    namespace: str
    """The tenancy's Object Storage namespace."""
    region: str
    """OCI region identifier, e.g. `eu-frankfurt-1`."""
    bucket: str

    def __post_init__(self) -> None:
        problems = []
        if not _NAMESPACE.fullmatch(self.namespace):
            problems.append(f"namespace={self.namespace!r}: an Object Storage namespace is lower-case alnum")
        if not _REGION.fullmatch(self.region):
            problems.append(f"region={self.region!r}: use an OCI region identifier such as 'eu-frankfurt-1'")
        if not _BUCKET.fullmatch(self.bucket):
            problems.append(f"bucket={self.bucket!r}: use letters, digits, '_', '-', '.' (at most 256)")
        _raise_if(problems)

    @property
    def endpoint(self) -> str:
        """The S3-compatible endpoint of the namespace in the region."""
        return f"https://{self.namespace}.compat.objectstorage.{self.region}.oraclecloud.com"


@dataclass(frozen=True)
class SecretFile:
    """A file the container must find under the secrets directory, and the variable it is loaded into."""

    env_var: str
    path: str
    description: str


@dataclass(frozen=True)
class RenderedOrthancConfig:
    """What a runtime needs to run Orthanc: the JSON configuration, and the secret-file contract."""

    config: JsonObject
    """The Orthanc configuration (JSON-serialisable, secrets only as `${ENV_VAR}` references)."""
    secret_files: tuple[SecretFile, ...]
    """Secret files that must be mounted; `entrypoint` loads each into its variable."""
    entrypoint: str
    """POSIX sh snippet: loads the secret files, then `exec "$@"` (run as `sh -c SNIPPET orthanc CMD...`)."""
    access_script: str
    """The Lua request filter enforcing each user's role (`LuaScripts`); holds no secret."""
    config_path: str = CONFIG_PATH
    """Where the runtime mounts `to_json(config)`."""
    access_script_path: str = ACCESS_SCRIPT_PATH
    """Where the runtime mounts `access_script` (the config names this path in `LuaScripts`)."""

    def files(self) -> dict[str, str]:
        """Absolute path -> content of every non-secret file Orthanc reads, for the runtimes to mount."""
        return {self.config_path: to_json(self.config), self.access_script_path: self.access_script}

    def command(self, *command: str) -> list[str]:
        """Wrap the image's own command so the secret files are loaded first."""
        return ["/bin/sh", "-c", self.entrypoint, "orthanc-entrypoint", *command]


def user_password_env_var(user: str) -> str:
    """The environment variable holding `user`'s password (loaded from its secret file)."""
    return "ORTHANC_USER_" + re.sub(r"[^A-Za-z0-9]", "_", user).upper() + "_PASSWORD"


ROLLOVER_SUFFIX = "+rollover"
"""`+` never appears in a configured user name (`users` allows `[a-z0-9_.-]`), so an alias cannot collide with a
user; HTTP Basic only forbids `:` in a user name, and Orthanc compares the decoded `user:password` pair."""


def rollover_user(user: str) -> str:
    """The second name `user` answers to while its password rolls over (same role, its own password)."""
    return user + ROLLOVER_SUFFIX


def rollover_password_env_var(user: str) -> str:
    """The variable holding the rollover alias's password (apart from the `ORTHANC_USER_` names: no clash)."""
    return "ORTHANC_ROLLOVER_" + user_password_env_var(user).removeprefix("ORTHANC_")


def _reference(env_var: str) -> str:
    return "${" + env_var + "}"


def render_entrypoint(secret_files: tuple[SecretFile, ...]) -> str:
    """The shell snippet that exports each secret file's content into its variable, then runs the command."""
    lines = [
        "set -eu",
        "load_secret() {",
        '  if [ ! -r "$2" ]; then echo "orthanc-entrypoint: missing secret file $2" >&2; exit 1; fi',
        '  value=$(cat "$2")',
        '  if [ -z "$value" ]; then echo "orthanc-entrypoint: empty secret file $2" >&2; exit 1; fi',
        '  case "$value" in *[[:cntrl:]]*)',
        '    echo "orthanc-entrypoint: control character in secret file $2" >&2; exit 1;;',
        "  esac",
        '  # Orthanc substitutes ${VAR} into the raw JSON text: escape \\ and " to keep one JSON string.',
        "  value=$(printf '%s' \"$value\" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/\"/\\\\\"/g')",
        '  export "$1=$value"',
        "}",
    ]
    lines += [f"load_secret {secret.env_var} {secret.path}" for secret in secret_files]
    lines += [f"export {name}={value}" for name, value in VIEWER_PLUGIN_SWITCHES.items()]
    lines += ["unset value", 'exec "$@"', ""]
    return "\n".join(lines)


def render_orthanc_config(
    settings: OrthancSettings,
    postgres: PostgresEndpoint,
    object_storage: ObjectStorageEndpoint,
    secrets_directory: str = SECRETS_DIRECTORY,
    access_script_path: str = ACCESS_SCRIPT_PATH,
) -> RenderedOrthancConfig:
    """Render the configuration of replica `settings.replica_index`.

    Deterministic: same inputs, same output (so `to_json` of it is a stable Pulumi input).
    Raises OrthancConfigError when the database cannot hold every replica's index connections.
    """
    if postgres.max_connections is not None:
        needed = settings.replica_count * settings.index_connections_count
        _raise_if(
            []
            if needed < postgres.max_connections
            else [
                f"replica_count x index_connections_count = {needed} must stay below the database's "
                f"max_connections={postgres.max_connections!r} (keep room for admin sessions): "
                "lower index_connections_count or use a bigger database shape"
            ]
        )
    directory = secrets_directory.rstrip("/")
    db_password = SecretFile(
        "ORTHANC_DB_PASSWORD", f"{directory}/orthanc-db-password", "password of the PostgreSQL user"
    )
    s3_access_key = SecretFile(
        "ORTHANC_S3_ACCESS_KEY", f"{directory}/orthanc-s3-access-key", "Customer Secret Key id (S3 access key)"
    )
    s3_secret_key = SecretFile(
        "ORTHANC_S3_SECRET_KEY", f"{directory}/orthanc-s3-secret-key", "Customer Secret Key secret (S3 secret)"
    )
    user_passwords = tuple(
        SecretFile(user_password_env_var(user), f"{directory}/orthanc-user-{user}-password", f"password of user {user}")
        for user in settings.users
    )
    rollover_passwords = tuple(
        SecretFile(
            rollover_password_env_var(user),
            f"{directory}/orthanc-rollover-{user}-password",
            f"rollover password of user {user}",
        )
        for user in settings.rollover_users
    )
    config: JsonObject = {
        "Name": settings.name,
        "DatabaseServerIdentifier": f"{settings.name}-{settings.replica_index}",
        "Plugins": [PLUGIN_DIRECTORY],
        "HttpServerEnabled": True,
        "HttpPort": settings.http_port,
        "RemoteAccessAllowed": True,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {
            name: _reference(secret.env_var)
            for name, secret in (
                *zip(settings.users, user_passwords, strict=True),
                *zip(map(rollover_user, settings.rollover_users), rollover_passwords, strict=True),
            )
        },
        # Authentication says who calls; this filter says what each user's role may do (deny by default).
        "LuaScripts": [access_script_path],
        # TLS ends at the load balancer; the app subnet only admits it.
        "SslEnabled": False,
        "HttpThreadsCount": settings.http_threads_count,
        "KeepAlive": True,
        "TcpNoDelay": True,
        "DicomServerEnabled": True,
        "DicomAet": settings.aet,
        "DicomPort": settings.dicom_port,
        "DicomThreadsCount": settings.dicom_threads_count,
        "DicomCheckCalledAet": True,
        # Behind the load balancer the source address is not the modality's: match on AE title only.
        "DicomCheckModalityHost": False,
        "DicomAlwaysAllowEcho": False,
        "DicomAlwaysAllowStore": False,
        "DicomAlwaysAllowFind": False,
        "DicomAlwaysAllowFindWorklist": False,
        "DicomAlwaysAllowGet": False,
        "DicomAlwaysAllowMove": False,
        "UnknownSopClassAccepted": False,
        "DicomModalities": {
            modality.aet: {
                "AET": modality.aet,
                "Host": modality.host,
                "Port": modality.port,
                "AllowEcho": True,
                "AllowFind": True,
                "AllowStore": True,
                "AllowMove": modality.allow_move,
                "AllowGet": modality.allow_get,
            }
            for modality in settings.modalities
        },
        "DicomWeb": {
            "Enable": True,
            "Root": settings.dicomweb_root,
            "EnableWado": True,
            "WadoRoot": "/wado",
            "Ssl": settings.behind_tls_listener,
        },
        "PostgreSQL": {
            "EnableIndex": True,
            "EnableStorage": False,
            "Host": postgres.host,
            "Port": postgres.port,
            "Database": postgres.database,
            "Username": postgres.username,
            "Password": _reference(db_password.env_var),
            "EnableSsl": settings.database_ssl,
            # Replicas share the index: the single-writer lock would keep all but one from starting.
            "Lock": False,
            "IndexConnectionsCount": settings.index_connections_count,
            "TransactionMode": settings.transaction_mode,
            "MaximumConnectionRetries": 10,
            "ConnectionRetryInterval": 5,
        },
        "AwsS3Storage": {
            "BucketName": object_storage.bucket,
            "Region": object_storage.region,
            "Endpoint": object_storage.endpoint,
            "AccessKey": _reference(s3_access_key.env_var),
            "SecretKey": _reference(s3_secret_key.env_var),
            # OCI's S3 compatibility API only serves path-style URLs.
            "VirtualAddressing": False,
            "ConnectionTimeout": 30,
            "RequestTimeout": 1200,
        },
        "StorageAccessOnFind": settings.storage_access_on_find,
        "StorageCompression": settings.storage_compression,
        "OverwriteInstances": settings.overwrite_instances,
        "ConcurrentJobs": settings.concurrent_jobs,
        # A persisted job would be resumed by whichever replica restarts first; only one replica may own them.
        "SaveJobs": settings.replica_count == 1,
        # Patient data must not end up in the log pipeline.
        "DeidentifyLogs": True,
        **render_viewer_config(),
    }
    secret_files = (db_password, s3_access_key, s3_secret_key, *user_passwords, *rollover_passwords)
    # An alias is the same person on a second credential: it must carry the same role.
    roles = {**settings.user_roles} | {
        rollover_user(user): settings.user_roles[user] for user in settings.rollover_users
    }
    return RenderedOrthancConfig(
        config=config,
        secret_files=secret_files,
        entrypoint=render_entrypoint(secret_files),
        access_script=render_access_script(roles),
        access_script_path=access_script_path,
    )


def render_viewer_config() -> JsonObject:
    """The viewer plugins' sections (orthancteam/orthanc; Debian's Orthanc has none of them and ignores them).

    OE2's settings are global, not per user: the buttons that change the store (upload, delete, modify,
    anonymize, labels, send) are hidden because readers, the viewers' users, may not use them (the role filter
    refuses them anyway); administrators keep the REST API. No link to the legacy explorer either: it shows the
    same actions, which readers would see refused. Shares need the authorization plugin's tokens,
    which this stack does not run. Keys from orthanc-explorer-2 Plugin/DefaultConfiguration.json, the Stone Web
    Viewer's configuration.json and the OHIF plugin's documented options.
    """
    return {
        "OrthancExplorer2": {
            "Enable": True,
            "IsDefaultOrthancUI": True,
            "Root": OE2_ROOT,
            "UiOptions": {
                "EnableUpload": False,
                "EnableDeleteResources": False,
                "EnableModification": False,
                "EnableAnonymization": False,
                "EnableEditLabels": False,
                "EnableSendTo": False,
                "EnableDicomModalities": False,
                "EnableShares": False,
                "EnableLinkToLegacyUi": False,
                "EnableViewerQuickButton": True,
                "EnableOpenInOhifViewer3": True,
                "OhifViewer3PublicRoot": OHIF_ROOT,
                "ViewersOrdering": ["stone-webviewer", "ohif"],
            },
        },
        "StoneWebViewer": {
            "DateFormat": "YYYY-MM-DD",
            # No "ExpectedMessageOrigin": no other page may drive the viewer through window.postMessage().
        },
        # DICOMweb data source: same origin as OE2 and the API, so the browser's Basic credentials apply.
        "OHIF": {"DataSource": "dicom-web", "RouterBasename": OHIF_ROOT},
    }


def with_local_storage(rendered: RenderedOrthancConfig, storage_directory: str) -> RenderedOrthancConfig:
    """The same configuration with DICOM files on a local directory instead of the S3 plugin.

    For hosts without the S3 plugin (Debian's Orthanc in the integration tests): only the `AwsS3Storage`
    section and its two secret files go; everything else is untouched.
    """
    config = {key: value for key, value in rendered.config.items() if key != "AwsS3Storage"}
    config["StorageDirectory"] = storage_directory
    # Debian's Web viewer plugin keeps a SQLite cache under StorageDirectory unless told otherwise; replicas
    # sharing the storage directory would lock each other out of it ("database is locked") and stop.
    config["WebViewer"] = {"CachePath": f"{storage_directory}-web-viewer-{rendered.config['DatabaseServerIdentifier']}"}
    s3_refs = {"ORTHANC_S3_ACCESS_KEY", "ORTHANC_S3_SECRET_KEY"}
    secret_files = tuple(secret for secret in rendered.secret_files if secret.env_var not in s3_refs)
    return replace(rendered, config=config, secret_files=secret_files, entrypoint=render_entrypoint(secret_files))


def to_json(config: JsonObject) -> str:
    """Canonical serialisation: sorted keys, fixed indentation, trailing newline (stable diffs and hashes)."""
    return json.dumps(config, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
