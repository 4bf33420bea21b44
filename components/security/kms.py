"""An OCI Vault with one HSM-protected AES-256 master key that rotates without a person.

One definition for every vault the stack creates (the Security block's master key and the DR region's key of
the bucket replica), so that a stateful key is never created without HSM protection, rotation, `protect` and
`retain_on_delete`.

Two vault types, one rotation promise (CIS OCI 4.16):
* VIRTUAL_PRIVATE (a dedicated HSM partition, about 3,900 USD a month): OCI rotates the key itself, every
  60-365 days. Automatic rotation is "available only for virtual private vaults" (OCI Vault docs, "Enabling
  and Updating Automatic Key Rotation",
  https://docs.oracle.com/en-us/iaas/Content/KeyManagement/Tasks/tasks_tasks_managingkeys_topic_edit_auto_key_rotation.htm).
* DEFAULT (a partition shared with other tenancies; HSM keys are still FIPS 140-2 Level 3 and only key versions
  are billed): OCI does not rotate, so the program does. It declares one `oci.kms.KeyVersion` per rotation
  period, named after the period's first day (`<key>-rotation-every-83d-from-2026-11-05`). Creating a key
  version is OCI's manual "Rotating a Key" (CreateKeyVersion: "Generates a new KeyVersion resource that provides
  new cryptographic material for a master encryption key", oracle/terraform-provider-oci
  website/docs/r/kms_key_version.html.markdown); the provider's delete schedules the version's deletion,
  hence `retain_on_delete` below. The first scheduled `pulumi up` of a new
  period (the `rotate-keys` workflow runs it daily) sees a new name and creates a new version; the old
  version's resource leaves the program and, being `retain_on_delete`, leaves the state only: the key
  version stays in OCI, because data wrapped with it must stay readable. It is not `protect`ed, since a
  protected resource that leaves the program fails the update and would stop the rotation.
  A period is `rotation_days - SCHEDULE_SLACK_DAYS` long, so a week of failed daily runs still rotates the key
  within `security.keyRotationDays`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_oci as oci

VaultType = Literal["VIRTUAL_PRIVATE", "DEFAULT"]
AES_256_KEY_BYTES = 32
"""AES-256: the key length OCI Vault expects in bytes."""
SCHEDULE_SLACK_DAYS = 7
"""Days of failed scheduled runs a key-version period tolerates before the rotation promise is broken."""
ROTATION_EPOCH = datetime.date(2024, 1, 1)
"""Periods are counted from this fixed day, so every run in one period computes the same period."""


@dataclass(frozen=True)
class RotationPeriod:
    start: datetime.date
    days: int

    @property
    def version_suffix(self) -> str:
        """The part of the key version's resource name that the CIS 4.16 policy reads back."""
        return f"rotation-every-{self.days}d-from-{self.start.isoformat()}"


def rotation_period(today: datetime.date, rotation_days: int) -> RotationPeriod:
    """The scheduled-rotation period that holds `today`, for a key that must rotate within `rotation_days`."""
    days = rotation_days - SCHEDULE_SLACK_DAYS
    index = (today - ROTATION_EPOCH).days // days
    return RotationPeriod(ROTATION_EPOCH + datetime.timedelta(days=index * days), days)


@dataclass(frozen=True)
class MovedFrom:
    """Where a vault and key were declared before they moved: their old name prefix and old parent's URN. The
    aliases built from it make a deployed stack move its protected vault and key instead of replacing them."""

    name: str
    parent_urn: pulumi.Input[str]

    def alias(self, suffix: str, parent_urn: pulumi.Input[str] | None = None) -> pulumi.Alias:
        """The old identity of `<name><suffix>` (under `parent_urn`, by default the old parent)."""
        return pulumi.Alias(name=f"{self.name}{suffix}", parent=parent_urn or self.parent_urn)


@dataclass(frozen=True)
class HsmKey:
    vault: oci.kms.Vault
    key: oci.kms.Key
    scheduled_version: oci.kms.KeyVersion | None
    """The current period's key version (DEFAULT vaults only)."""


def hsm_master_key(
    name: str,
    *,
    compartment_id: pulumi.Input[str],
    display_name: str,
    rotation_days: int,
    vault_type: VaultType,
    opts: pulumi.ResourceOptions,
    today: datetime.date | None = None,
    moved_from: MovedFrom | None = None,
) -> HsmKey:
    """`<name>-vault` and `<name>-key` (display names `<display_name>` and `<display_name>-master`), both
    protected and retained on delete whatever `opts` says; in a DEFAULT vault also the current period's key
    version (`today`: the UTC date of the run). `moved_from`: their previous identity, kept by aliases."""
    keep = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True))

    def moved(suffix: str) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(aliases=[moved_from.alias(suffix)] if moved_from else None)

    vault = oci.kms.Vault(
        f"{name}-vault",
        compartment_id=compartment_id,
        display_name=display_name,
        vault_type=vault_type,
        opts=pulumi.ResourceOptions.merge(keep, moved("-vault")),
    )
    automatic = vault_type == "VIRTUAL_PRIVATE"
    key = oci.kms.Key(
        f"{name}-key",
        compartment_id=compartment_id,
        display_name=f"{display_name}-master",
        management_endpoint=vault.management_endpoint,
        key_shape=oci.kms.KeyKeyShapeArgs(algorithm="AES", length=AES_256_KEY_BYTES),
        protection_mode="HSM",
        is_auto_rotation_enabled=automatic,
        auto_key_rotation_details=(
            oci.kms.KeyAutoKeyRotationDetailsArgs(rotation_interval_in_days=rotation_days) if automatic else None
        ),
        opts=pulumi.ResourceOptions.merge(keep, moved("-key")),
    )
    scheduled_version = None
    if not automatic:
        period = rotation_period(today or datetime.datetime.now(datetime.UTC).date(), rotation_days)
        # The old version sat under the old key, so its alias names that key's old URN.
        version_alias = (
            moved_from.alias(
                f"-key-{period.version_suffix}",
                pulumi.create_urn(f"{moved_from.name}-key", "oci:Kms/key:Key", parent=moved_from.parent_urn),
            )
            if moved_from
            else None
        )
        scheduled_version = oci.kms.KeyVersion(
            f"{name}-key-{period.version_suffix}",
            key_id=key.id,
            management_endpoint=vault.management_endpoint,
            opts=pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(
                    parent=key,
                    protect=False,
                    retain_on_delete=True,
                    aliases=[version_alias] if version_alias else None,
                ),
            ),
        )
    return HsmKey(vault, key, scheduled_version)
