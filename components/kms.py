"""An OCI Vault with one HSM-protected AES-256 master key that rotates itself.

One definition for every vault the stack creates (the Security block's master key and the DR region's key of
the bucket replica), so that a stateful key is never created without HSM protection, rotation, `protect` and
`retain_on_delete`. The vault is always a virtual private vault: OCI rotates keys automatically only there
(Key Management docs, "Automatic key rotation"), and CIS OCI 4.16 asks for rotation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

VAULT_TYPE = "VIRTUAL_PRIVATE"  # the only vault type with automatic key rotation
AES_256_KEY_BYTES = 32
"""AES-256: the key length OCI Vault expects in bytes."""


@dataclass(frozen=True)
class HsmKey:
    vault: oci.kms.Vault
    key: oci.kms.Key


def hsm_master_key(
    name: str,
    *,
    compartment_id: pulumi.Input[str],
    display_name: str,
    rotation_days: int,
    opts: pulumi.ResourceOptions,
) -> HsmKey:
    """`<name>-vault` and `<name>-key` (display names `<display_name>` and `<display_name>-master`), both
    protected and retained on delete whatever `opts` says."""
    keep = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True))
    vault = oci.kms.Vault(
        f"{name}-vault", compartment_id=compartment_id, display_name=display_name, vault_type=VAULT_TYPE, opts=keep
    )
    key = oci.kms.Key(
        f"{name}-key",
        compartment_id=compartment_id,
        display_name=f"{display_name}-master",
        management_endpoint=vault.management_endpoint,
        key_shape=oci.kms.KeyKeyShapeArgs(algorithm="AES", length=AES_256_KEY_BYTES),
        protection_mode="HSM",
        is_auto_rotation_enabled=True,
        auto_key_rotation_details=oci.kms.KeyAutoKeyRotationDetailsArgs(rotation_interval_in_days=rotation_days),
        opts=keep,
    )
    return HsmKey(vault, key)
