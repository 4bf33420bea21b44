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
from components.data.database import BACKUP_START_UTC, MAINTENANCE_WINDOW_START_UTC
from components.scope import TierPlacement

RESTORE_SOURCE_TYPE = "BACKUP"


@dataclass(frozen=True)
class RestoredDatabaseArgs:
    config: DatabaseConfig
    """The `database` section: the restored system gets the same version, shape and size."""
    backup_id: str
    """The OCI PostgreSQL backup to restore (`ops.restoreFromBackupOcid`)."""
    placement: TierPlacement
    """The data compartment, the db tier's subnet and its NSG (Orthanc is already allowed to reach it)."""
    kms_key_id: pulumi.Input[str]
    """The master key: the restored storage is encrypted like the original."""
    configuration_id: pulumi.Input[str]
    """The original's PostgreSQL configuration (max_connections sized for the Orthanc fleet)."""


class RestoredDatabase(pulumi.ComponentResource):
    """A DB system restored from a backup; `host` replaces the original database's host for Orthanc."""

    db_system_id: pulumi.Output[str]
    host: pulumi.Output[str]

    def __init__(self, name: str, args: RestoredDatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:ops:RestoredDatabase", name, None, opts)
        config = args.config
        db_system = oci.psql.DbSystem(
            f"{name}-postgresql",
            compartment_id=args.placement.compartment_id,
            display_name=f"{name}-postgresql",
            description=f"Orthanc index restored from {args.backup_id}",
            db_version=config.postgres_version,
            shape=config.shape,
            instance_ocpu_count=config.ocpus,
            instance_memory_size_in_gbs=config.memory_gb,
            instance_count=config.instance_count,
            config_id=args.configuration_id,
            network_details=oci.psql.DbSystemNetworkDetailsArgs(
                subnet_id=args.placement.subnet_id,
                nsg_ids=[args.placement.nsg_id],
                is_reader_endpoint_enabled=config.instance_count > 1,
            ),
            storage_details=oci.psql.DbSystemStorageDetailsArgs(
                is_regionally_durable=True, system_type="OCI_OPTIMIZED_STORAGE", kms_key_id=args.kms_key_id
            ),
            # The restored system becomes the live index: it is backed up like the original from day one.
            management_policy=oci.psql.DbSystemManagementPolicyArgs(
                backup_policy=oci.psql.DbSystemManagementPolicyBackupPolicyArgs(
                    kind="DAILY", backup_start=BACKUP_START_UTC, retention_days=config.backup_retention_days
                ),
                maintenance_window_start=MAINTENANCE_WINDOW_START_UTC,
            ),
            source=oci.psql.DbSystemSourceArgs(source_type=RESTORE_SOURCE_TYPE, backup_id=args.backup_id),
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        self.db_system_id = db_system.id
        self.host = db_system.network_details.apply(lambda details: details.primary_db_endpoint_private_ip or "")
        self.register_outputs({"db_system_id": self.db_system_id, "host": self.host})
