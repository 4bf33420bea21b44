"""Unit tests of the Orthanc configuration renderer (pure functions, plus the rendered shell entrypoint)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from components.config.schema import ConfigError
from components.orthanc.orthanc_access import Role
from components.orthanc.orthanc_config import (
    CONFIG_PATH,
    DicomModality,
    ObjectStorageEndpoint,
    OrthancConfigError,
    OrthancSettings,
    PostgresEndpoint,
    RenderedOrthancConfig,
    render_orthanc_config,
    rollover_password_env_var,
    rollover_user,
    to_json,
    user_password_env_var,
    with_local_storage,
)
from tests.support import stack_config

POSTGRES = PostgresEndpoint(host="db.example.oraclevcn.com", port=5432, database="orthanc", username="orthanc")
BUCKET = ObjectStorageEndpoint(namespace="axabcdefgh12", region="eu-frankfurt-1", bucket="dicom-phi")
REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)\}")


def _render(settings: OrthancSettings | None = None, postgres: PostgresEndpoint = POSTGRES) -> RenderedOrthancConfig:
    return render_orthanc_config(settings or OrthancSettings(), postgres, BUCKET)


def _section(rendered: RenderedOrthancConfig, name: str) -> dict[str, object]:
    section = rendered.config[name]
    assert isinstance(section, dict)
    return dict(section)


def test_secrets_are_references_backed_by_secret_files() -> None:
    rendered = _render(
        OrthancSettings(
            users=("admin", "radiology.viewer"),
            user_roles={"admin": Role.ADMINISTRATOR, "radiology.viewer": Role.READER},
        )
    )
    referenced = set(REFERENCE.findall(to_json(rendered.config)))
    assert referenced == {secret.env_var for secret in rendered.secret_files}
    assert _section(rendered, "PostgreSQL")["Password"] == "${ORTHANC_DB_PASSWORD}"
    assert _section(rendered, "AwsS3Storage")["SecretKey"] == "${ORTHANC_S3_SECRET_KEY}"
    assert rendered.config["RegisteredUsers"] == {
        "admin": "${ORTHANC_USER_ADMIN_PASSWORD}",
        "radiology.viewer": "${ORTHANC_USER_RADIOLOGY_VIEWER_PASSWORD}",
    }
    paths = {secret.env_var: secret.path for secret in rendered.secret_files}
    assert paths["ORTHANC_DB_PASSWORD"] == "/run/secrets/orthanc-db-password"
    assert paths["ORTHANC_USER_RADIOLOGY_VIEWER_PASSWORD"] == "/run/secrets/orthanc-user-radiology.viewer-password"


def test_postgresql_index_is_shared_safely_and_over_tls() -> None:
    postgresql = _section(_render(OrthancSettings(index_connections_count=8)), "PostgreSQL")
    assert postgresql["EnableIndex"] is True
    assert postgresql["EnableStorage"] is False  # files go to Object Storage, not into the database
    assert postgresql["Lock"] is False
    assert postgresql["EnableSsl"] is True
    assert postgresql["IndexConnectionsCount"] == 8
    assert postgresql["TransactionMode"] == "ReadCommitted"
    assert (postgresql["Host"], postgresql["Port"], postgresql["Database"], postgresql["Username"]) == (
        "db.example.oraclevcn.com",
        5432,
        "orthanc",
        "orthanc",
    )


def test_object_storage_uses_the_oci_s3_compatibility_endpoint() -> None:
    s3 = _section(_render(), "AwsS3Storage")
    assert s3["Endpoint"] == "https://axabcdefgh12.compat.objectstorage.eu-frankfurt-1.oraclecloud.com"
    assert s3["VirtualAddressing"] is False
    assert (s3["Region"], s3["BucketName"]) == ("eu-frankfurt-1", "dicom-phi")
    assert "StorageDirectory" not in _render().config


def test_replicas_get_unique_identifiers_and_do_not_persist_jobs() -> None:
    replicas = [_render(OrthancSettings(replica_index=index, replica_count=3)) for index in range(3)]
    identifiers = {replica.config["DatabaseServerIdentifier"] for replica in replicas}
    assert identifiers == {"dicomstore-0", "dicomstore-1", "dicomstore-2"}
    assert all(replica.config["SaveJobs"] is False for replica in replicas)
    assert _render(OrthancSettings(replica_count=1)).config["SaveJobs"] is True


def test_authentication_on_and_dimse_restricted_to_allowed_modalities() -> None:
    modality = DicomModality(aet="CT_ROOM_1", host="10.1.2.3", port=11112)
    config = _render(OrthancSettings(aet="PACS", modalities=(modality,))).config
    assert config["AuthenticationEnabled"] is True
    assert config["RemoteAccessAllowed"] is True
    assert config["DicomAet"] == "PACS"
    assert config["DicomCheckCalledAet"] is True
    for key in ("Echo", "Store", "Find", "FindWorklist", "Get", "Move"):
        assert config[f"DicomAlwaysAllow{key}"] is False
    assert config["DicomModalities"] == {
        "CT_ROOM_1": {
            "AET": "CT_ROOM_1",
            "Host": "10.1.2.3",
            "Port": 11112,
            "AllowEcho": True,
            "AllowFind": True,
            "AllowStore": True,
            "AllowMove": True,
            "AllowGet": False,
        }
    }


def test_dicomweb_and_ingest_settings() -> None:
    rendered = _render(OrthancSettings(dicomweb_root="/dicomweb/", http_threads_count=32))
    config = rendered.config
    assert _section(rendered, "DicomWeb") == {
        "Enable": True,
        "Root": "/dicomweb/",
        "EnableWado": True,
        "WadoRoot": "/wado",
        "Ssl": True,  # the load balancer terminates TLS: returned URLs must say https://
    }
    assert config["StorageCompression"] is False
    assert config["StorageAccessOnFind"] == "Answers"
    assert config["HttpThreadsCount"] == 32
    assert config["DeidentifyLogs"] is True


def test_local_storage_variant_changes_only_the_storage() -> None:
    rendered = _render()
    local = with_local_storage(rendered, "/var/lib/orthanc/db")
    assert "AwsS3Storage" not in local.config
    assert local.config["StorageDirectory"] == "/var/lib/orthanc/db"
    # Replicas sharing a storage directory get their own Web viewer cache (SQLite locks otherwise).
    assert local.config["WebViewer"] == {"CachePath": "/var/lib/orthanc/db-web-viewer-dicomstore-0"}
    unchanged = {key: value for key, value in rendered.config.items() if key != "AwsS3Storage"}
    local_only = ("StorageDirectory", "WebViewer")
    assert {key: value for key, value in local.config.items() if key not in local_only} == unchanged
    assert {secret.env_var for secret in local.secret_files} == {
        "ORTHANC_DB_PASSWORD",
        "ORTHANC_USER_ADMIN_PASSWORD",
    }
    assert "ORTHANC_S3_SECRET_KEY" not in local.entrypoint
    assert local.config_path == rendered.config_path == CONFIG_PATH


def test_rendering_is_deterministic_and_canonical() -> None:
    first, second = to_json(_render().config), to_json(_render().config)
    assert first == second
    assert json.loads(first) == _render().config
    keys = list(json.loads(first))
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (lambda: OrthancSettings(aet="THIS_AE_TITLE_IS_TOO_LONG"), r"aet='THIS_AE_TITLE_IS_TOO_LONG'"),
        (lambda: OrthancSettings(users=()), r"at least one user"),
        (lambda: OrthancSettings(users=("Admin",)), r"users: 'Admin'"),
        (lambda: OrthancSettings(users=("a.b", "a_b")), r"distinct"),
        (lambda: OrthancSettings(rollover_users=("ghost",)), r"rollover_users: \['ghost'\]"),
        (lambda: OrthancSettings(replica_index=2, replica_count=2), r"replica_index=2: must be in 0\.\.1"),
        (lambda: OrthancSettings(dicom_port=8042, http_port=8042), r"must differ from http_port"),
        (lambda: OrthancSettings(http_port=70000), r"http_port=70000"),
        (lambda: OrthancSettings(dicomweb_root="dicom-web"), r"dicomweb_root='dicom-web'"),
        (lambda: OrthancSettings(index_connections_count=0), r"index_connections_count=0"),
        (lambda: DicomModality(aet="CT", host=""), r"host=''"),
        (lambda: ObjectStorageEndpoint(namespace="ns", region="frankfurt", bucket="b"), r"region='frankfurt'"),
        (lambda: ObjectStorageEndpoint(namespace="NS!", region="eu-frankfurt-1", bucket="b"), r"namespace"),
        (lambda: PostgresEndpoint(host=""), r"host=''"),
        (lambda: PostgresEndpoint(host="db", database=""), r"database='', username='orthanc': both are required"),
        (lambda: PostgresEndpoint(host="db", username=""), r"database='orthanc', username='': both are required"),
    ],
)
def test_invalid_inputs_are_rejected_with_the_value(settings: Callable[[], object], message: str) -> None:
    with pytest.raises(OrthancConfigError, match=message):
        settings()


def test_connection_budget_must_fit_the_database() -> None:
    small = PostgresEndpoint(host="db", max_connections=20)
    with pytest.raises(OrthancConfigError, match=r"= 20 must stay below the database's max_connections=20"):
        _render(OrthancSettings(replica_count=4, index_connections_count=5), small)
    # 3 x 5 = 15 connections stay below 20: the same database accepts the smaller fleet.
    fits = _render(OrthancSettings(replica_count=3, index_connections_count=5), small)
    assert _section(fits, "PostgreSQL")["Host"] == "db"


def test_a_user_in_rollover_also_answers_as_its_alias_with_the_same_role_and_its_own_password() -> None:
    """The rollover alias (README, "Rotation runbook"): a second name, never a second role."""
    users = {"admin": Role.ADMINISTRATOR, "ai": Role.PIPELINE, "ai-rollover": Role.READER}
    rendered = _render(OrthancSettings(users=tuple(users), user_roles=users, rollover_users=("ai",)))
    assert rendered.config["RegisteredUsers"] == {
        "admin": "${ORTHANC_USER_ADMIN_PASSWORD}",
        "ai": "${ORTHANC_USER_AI_PASSWORD}",
        "ai-rollover": "${ORTHANC_USER_AI_ROLLOVER_PASSWORD}",  # a user, not the alias: no clash of variables
        "ai+rollover": "${ORTHANC_ROLLOVER_USER_AI_PASSWORD}",
    }
    paths = {secret.env_var: secret.path for secret in rendered.secret_files}
    assert paths[rollover_password_env_var("ai")] == "/run/secrets/orthanc-rollover-ai-password"
    assert paths[user_password_env_var("ai-rollover")] == "/run/secrets/orthanc-user-ai-rollover-password"
    assert f'["{rollover_user("ai")}"] = "pipeline",' in rendered.access_script
    assert '["ai-rollover"] = "reader",' in rendered.access_script
    outside = _render(OrthancSettings(users=tuple(users), user_roles=users))
    assert rollover_user("ai") not in outside.access_script
    assert rollover_password_env_var("ai") not in {secret.env_var for secret in outside.secret_files}


def test_user_password_env_var_names() -> None:
    assert user_password_env_var("radiology.viewer-2") == "ORTHANC_USER_RADIOLOGY_VIEWER_2_PASSWORD"


def _run_entrypoint(rendered: RenderedOrthancConfig, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        rendered.command(*command), capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"}
    )


def _write_secrets(rendered: RenderedOrthancConfig, values: dict[str, str]) -> None:
    for secret in rendered.secret_files:
        if secret.env_var in values:
            Path(secret.path).write_text(values[secret.env_var] + "\n")


def test_entrypoint_loads_secret_files_json_escaped(tmp_path: Path) -> None:
    rendered = with_local_storage(
        render_orthanc_config(OrthancSettings(), POSTGRES, BUCKET, secrets_directory=str(tmp_path)), "/data"
    )
    tricky = 'pa"ss\\word$(id)`x`'
    _write_secrets(rendered, {"ORTHANC_DB_PASSWORD": tricky, "ORTHANC_USER_ADMIN_PASSWORD": "plain-Value_1"})
    done = _run_entrypoint(rendered, "printenv", "ORTHANC_DB_PASSWORD", "ORTHANC_USER_ADMIN_PASSWORD")
    assert done.returncode == 0, done.stderr
    db_value, admin_value = done.stdout.splitlines()
    # Orthanc substitutes the variable into the JSON text: the result must parse back to the secret.
    assert json.loads('"' + db_value + '"') == tricky
    assert admin_value == "plain-Value_1"


@pytest.mark.parametrize(
    ("content", "error"),
    [(None, "missing secret file"), ("", "empty secret file"), ("a\tb", "control character")],
)
def test_entrypoint_refuses_to_start_without_a_usable_secret(tmp_path: Path, content: str | None, error: str) -> None:
    rendered = with_local_storage(
        render_orthanc_config(OrthancSettings(), POSTGRES, BUCKET, secrets_directory=str(tmp_path)), "/data"
    )
    _write_secrets(rendered, {"ORTHANC_USER_ADMIN_PASSWORD": "fine"})
    if content is not None:
        _write_secrets(rendered, {"ORTHANC_DB_PASSWORD": content})
    done = _run_entrypoint(rendered, "echo", "started")
    assert done.returncode == 1
    assert error in done.stderr
    assert "started" not in done.stdout


def test_entrypoint_lists_every_secret_file() -> None:
    rendered = _render(
        OrthancSettings(users=("admin", "viewer"), user_roles={"admin": Role.ADMINISTRATOR, "viewer": Role.READER})
    )
    assert [secret.env_var for secret in rendered.secret_files] == [
        "ORTHANC_DB_PASSWORD",
        "ORTHANC_S3_ACCESS_KEY",
        "ORTHANC_S3_SECRET_KEY",
        "ORTHANC_USER_ADMIN_PASSWORD",
        "ORTHANC_USER_VIEWER_PASSWORD",
    ]
    for secret in rendered.secret_files:
        assert f"load_secret {secret.env_var} {secret.path}\n" in rendered.entrypoint
    assert rendered.entrypoint.rstrip().endswith('exec "$@"')
    assert rendered.command("/docker-entrypoint.sh", "/tmp/orthanc.json")[-2:] == [
        "/docker-entrypoint.sh",
        "/tmp/orthanc.json",
    ]


@pytest.mark.parametrize(
    ("aet", "user"),
    [("DICOMSTORE", "admin"), ("dicomstore", "admin"), ("MODALITY_01", "a"), ("A" * 17, "x" * 33), ("CT 1", "r.o")],
)
def test_the_renderer_and_the_config_accept_the_same_identifiers(aet: str, user: str) -> None:
    """AE titles and user names follow one pattern each (components/config/identifiers.py): whatever the stack
    config admits the renderer renders, and whatever it refuses the renderer refuses too."""

    def config_accepts(**orthanc: object) -> bool:
        try:
            stack_config(orthanc=orthanc)
        except ConfigError:
            return False
        return True

    def renderer_accepts(**settings: object) -> bool:
        try:
            OrthancSettings(**settings)  # type: ignore[arg-type]
        except OrthancConfigError:
            return False
        return True

    assert config_accepts(aet=aet) == renderer_accepts(aet=aet)
    roles = {user: "administrator"}
    assert config_accepts(users=[user], userRoles=roles) == renderer_accepts(
        users=(user,), user_roles={user: Role.ADMINISTRATOR}
    )
