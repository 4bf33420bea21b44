"""Index restore: a new OCI PostgreSQL DB system created from a backup of the stack's database.

OCI restores a PostgreSQL backup only into a *new* DB system (CreateDbSystem with `source.sourceType` BACKUP
and the backup's OCID: docs.oracle.com/iaas/Content/postgresql/restore-backup.htm; pulumi-oci
`DbSystemSourceArgs(source_type="BACKUP", backup_id=...)`). The roles and their passwords come from the
backup, so no credentials are sent. The original DB system is left alone (it is protected and kept); Orthanc is
pointed at the restored one, same database name and role, so its config and secrets do not change.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

from components.config.schema import DatabaseConfig
from components.data.database import index_db_system, primary_endpoint
from components.scope import TierSubnet

RESTORE_SOURCE_TYPE = "BACKUP"


@dataclass(frozen=True)
class RestoredDatabaseArgs:
    config: DatabaseConfig
    """The `database` section: the restored system gets the same version, shape and size."""
    backup_id: str
    """The OCI PostgreSQL backup to restore (`ops.restoreFromBackupOcid`)."""
    compartment_id: pulumi.Input[str]
    """The data compartment, like the original's."""
    subnet: TierSubnet
    """The db tier's subnet and NSG, like the original's (Orthanc is already allowed to reach it)."""
    master_key_id: pulumi.Input[str]
    """The master key: the restored storage is encrypted like the original."""
    configuration_id: pulumi.Input[str]
    """The original's PostgreSQL configuration (max_connections sized for the Orthanc fleet)."""


class RestoredDatabase(pulumi.ComponentResource):
    """A DB system restored from a backup; `host` replaces the original database's host for Orthanc."""

    db_system_id: pulumi.Output[str]
    host: pulumi.Output[str]

    def __init__(self, name: str, args: RestoredDatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:ops:RestoredDatabase", name, None, opts)
        # Same version, shape, size, placement, key, daily backups and maintenance window as the original: the
        # restored system becomes the live index and is backed up from day one (in this region: no copy policy).
        db_system = index_db_system(
            f"{name}-postgresql",
            config=args.config,
            compartment_id=args.compartment_id,
            subnet=args.subnet,
            key_id=args.master_key_id,
            configuration_id=args.configuration_id,
            description=f"Orthanc index restored from {args.backup_id}",
            source=oci.psql.DbSystemSourceArgs(source_type=RESTORE_SOURCE_TYPE, backup_id=args.backup_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.db_system_id = db_system.id
        self.host = primary_endpoint(db_system)
        self.register_outputs({"db_system_id": self.db_system_id, "host": self.host})
