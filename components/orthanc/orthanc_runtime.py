"""What both Orthanc runtimes (Container Instances and OKE) receive from the data tier, and how they render
Orthanc's configuration from it.

One definition, so the two runtimes cannot drift apart: the same data-tier inputs, the same mapping from the
renderer's secret variables to Vault secrets, the same per-replica settings from the `orthanc` config section,
the same database bootstrap (components/data/database_bootstrap.py). Orthanc connects as its own role
(`database.orthancUsername`, password generated in Vault by OrthancSecrets), which the bootstrap creates with
the administrator's credentials; the administrator's password is fetched for the bootstrap only.
Only `OrthancDataTier.resolved` touches Pulumi (one `Output.all`); rendering happens on plain values inside the
runtime's apply, where no resource is ever created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.config.schema import OrthancConfig
from components.data.database_bootstrap import ADMIN_PASSWORD_FILE, DatabaseBootstrap
from components.orthanc.load_balancer import Backend
from components.orthanc.orthanc_config import (
    DicomModality,
    ObjectStorageEndpoint,
    OrthancSettings,
    PostgresEndpoint,
    RenderedOrthancConfig,
    render_orthanc_config,
    rollover_password_env_var,
    user_password_env_var,
)

DB_PASSWORD_VARIABLE = "ORTHANC_DB_PASSWORD"  # the renderer's variable for the PostgreSQL password
# orthancteam/orthanc's ENTRYPOINT and CMD (orthanc-builder docker/orthanc/Dockerfile): the configurator merges
# /etc/orthanc/*.json into /tmp/orthanc.json, then runs Orthanc on it.
IMAGE_COMMAND = ("/docker-entrypoint.sh", "/tmp/orthanc.json")


def orthanc_settings(config: OrthancConfig, replica: int) -> OrthancSettings:
    """The renderer's settings for one replica, from the `orthanc` config section."""
    return OrthancSettings(
        aet=config.aet,
        modalities=tuple(DicomModality(aet=m.aet, host=m.host, port=m.port) for m in config.allowed_modalities),
        users=tuple(config.users),
        user_roles=dict(config.user_roles),
        rollover_users=tuple(config.password_rollover),
        index_connections_count=config.index_connections,
        replica_index=replica,
        replica_count=config.replicas,
    )


@dataclass(frozen=True)
class ResolvedDataTier:
    """The data tier's outputs as plain values (inside an apply)."""

    postgres: PostgresEndpoint
    """The index as Orthanc connects to it: as its own role (not the administrator), within max_connections."""
    admin_username: str
    """The DB system's administrator: the bootstrap connects as it."""
    bootstrap_image: str
    namespace: str
    bucket: str
    secret_ids: dict[str, str]
    """Vault secret OCID per secret file variable: the rendered configuration's (e.g. ORTHANC_DB_PASSWORD) and
    the bootstrap's administrator password (DB_ADMIN_PASSWORD)."""

    def render(self, settings: OrthancSettings, region: str) -> RenderedOrthancConfig:
        """The renderer on these values (raises when the database cannot hold the replicas' connections)."""
        return render_orthanc_config(
            settings, self.postgres, ObjectStorageEndpoint(namespace=self.namespace, region=region, bucket=self.bucket)
        )

    def bootstrap(self, rendered: RenderedOrthancConfig) -> DatabaseBootstrap:
        """The bootstrap that creates the role and database `rendered` connects with (same password file)."""
        (role_password,) = (secret for secret in rendered.secret_files if secret.env_var == DB_PASSWORD_VARIABLE)
        return DatabaseBootstrap(
            host=self.postgres.host,
            port=self.postgres.port,
            admin_username=self.admin_username,
            role=self.postgres.username,
            database=self.postgres.database,
            role_password_file=role_password,
        )


@dataclass(frozen=True)
class OrthancIndex:
    """What the data block hands Orthanc: the bucket, the index database and the Vault secrets of their
    credentials (OCIDs and plain values only: a runtime is handed all of it)."""

    namespace: pulumi.Input[str]
    """Object Storage namespace (Storage block)."""
    bucket_name: pulumi.Input[str]
    """The DICOM bucket (Storage block)."""
    s3_secret_key_secret_id: pulumi.Input[str]
    """Vault secret holding the Customer Secret Key's secret (Storage block)."""
    db_host: pulumi.Input[str]
    """The index's host: the restored DB system's after a restore."""
    db_port: pulumi.Input[int]
    database_name: pulumi.Input[str]
    db_username: str
    """Orthanc's own PostgreSQL role (`database.orthancUsername`), created by the bootstrap."""
    db_admin_username: pulumi.Input[str]
    """The DB system's administrator (Database block): the bootstrap connects as it."""
    db_admin_password_secret_id: pulumi.Input[str]
    """Vault secret holding the administrator's password (Database block); read by the bootstrap only."""
    db_bootstrap_image: str
    """PostgreSQL client image running the bootstrap (`database.bootstrapImage`)."""
    db_max_connections: int
    """The database's max_connections (`config.schema.orthanc_fleet`): the renderer checks that every replica's
    connections fit."""


@dataclass(frozen=True)
class OrthancDataTier:
    """Where Orthanc keeps its index and files, and the Vault secrets it reads at start (OCIDs, never values):
    the data block's index plus the secrets the OrthancService created for it."""

    index: OrthancIndex
    """Bucket, database and the data block's secrets."""
    s3_access_key_secret_id: pulumi.Input[str]
    """Vault secret holding the Customer Secret Key's access key id (OrthancSecrets)."""
    db_password_secret_id: pulumi.Input[str]
    """Vault secret holding the password of Orthanc's role (OrthancSecrets)."""
    user_password_secret_ids: Mapping[str, pulumi.Input[str]]
    """Vault secret per Orthanc user (OrthancSecrets), keyed by user name."""
    rollover_password_secret_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Vault secret of the rollover alias of each user in `orthanc.passwordRollover` (OrthancSecrets), by user."""
    secret_grant_id: pulumi.Input[str] | None = None
    """The IAM policy letting the runtime's principal read these secrets; when given, `resolved` waits for it,
    so no runtime is created before it may fetch its secrets."""

    def secret_ids_by_variable(self) -> dict[str, pulumi.Input[str]]:
        """Which Vault secret backs which secret file variable (the rendered configuration's and the bootstrap's)."""
        return {
            DB_PASSWORD_VARIABLE: self.db_password_secret_id,
            ADMIN_PASSWORD_FILE.env_var: self.index.db_admin_password_secret_id,
            "ORTHANC_S3_ACCESS_KEY": self.s3_access_key_secret_id,
            "ORTHANC_S3_SECRET_KEY": self.index.s3_secret_key_secret_id,
            **{user_password_env_var(user): secret for user, secret in self.user_password_secret_ids.items()},
            **{rollover_password_env_var(user): secret for user, secret in self.rollover_password_secret_ids.items()},
        }

    def resolved(self) -> pulumi.Output[ResolvedDataTier]:
        """All of it as one output of plain values."""
        index = self.index
        return pulumi.Output.all(
            host=index.db_host,
            port=index.db_port,
            database=index.database_name,
            username=index.db_username,
            admin_username=index.db_admin_username,
            bootstrap_image=index.db_bootstrap_image,
            max_connections=index.db_max_connections,
            namespace=index.namespace,
            bucket=index.bucket_name,
            secret_ids=pulumi.Output.all(**self.secret_ids_by_variable()),
            secret_grant=self.secret_grant_id,
        ).apply(_resolved)


def _resolved(values: Mapping[str, Any]) -> ResolvedDataTier:
    return ResolvedDataTier(
        postgres=PostgresEndpoint(
            host=str(values["host"]),
            port=int(values["port"]),
            database=str(values["database"]),
            username=str(values["username"]),
            max_connections=int(values["max_connections"]),
        ),
        admin_username=str(values["admin_username"]),
        bootstrap_image=str(values["bootstrap_image"]),
        namespace=str(values["namespace"]),
        bucket=str(values["bucket"]),
        secret_ids={str(key): str(value) for key, value in values["secret_ids"].items()},
    )


class OrthancRuntime(pulumi.ComponentResource):
    """A runtime that places Orthanc (Container Instances, OKE) for the OrthancService: it sets `backends`,
    the addresses the service's load balancer sends HTTP and DICOM traffic to, and nothing else is asked of it."""

    backends: list[Backend]
