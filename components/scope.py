"""What every block is handed the same way: where the stack lives, where a tier sits, which key encrypts.

Derived once in `dicom_store.py` and passed down whole, so a block's Args name what is particular to the block
and the wiring cannot hand one block the tenancy and another a different prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class StackScope:
    """The tenancy, region and naming of the whole stack (plain values from the validated config)."""

    name_prefix: str
    """`<project>-<stack>`: the prefix of the stack's physical names (what OCI shows, not the Pulumi resource
    names). Names OCI keeps unique in the tenancy or a vault (groups, policies, buckets, certificate authorities,
    secrets) must carry it so dev and prod can share a tenancy; display names carry it too, so a console list
    shows which stack a resource belongs to."""
    region: str
    """The deployment region (service principals, endpoints, image addresses)."""
    tenancy_id: str
    """Tenancy OCID: IAM users, groups and dynamic groups live there; tenancy-wide grants attach there."""
    parent_compartment_id: str
    """Parent of the stack's compartments: home of the IAM policies that span them."""


@dataclass(frozen=True)
class TierPlacement:
    """Where one network tier's resources go: their compartment, the tier's regional subnet and its NSG."""

    compartment_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    nsg_id: pulumi.Input[str]


@dataclass(frozen=True)
class VaultKey:
    """The stack's vault and the HSM master key in it (Security block)."""

    vault_id: pulumi.Input[str]
    key_id: pulumi.Input[str]
