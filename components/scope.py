"""What every block is handed the same way: where the stack lives, a tier's subnet, which key encrypts.

Each is built once (the scope in `dicom_store.py`, a tier's subnet by `Network.tier`, the vault key by the
Security block) and passed down whole, so a block's Args name what is particular to the block (its own
compartment, for one) and the wiring cannot hand one block the tenancy and another a different prefix.
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
class TierSubnet:
    """One network tier, as the Network block made it for the blocks that place VNICs in it (`Network.tier`).

    Only the network's part: the compartment a block's resources go to is the block's own (`compartment_id` in
    its Args), not the network compartment the subnet lives in.
    """

    subnet_id: pulumi.Input[str]
    """The tier's regional private subnet."""
    nsg_id: pulumi.Input[str]
    """The tier's network security group: VNICs placed in the tier join it (the traffic matrix is NSG to NSG)."""


@dataclass(frozen=True)
class VaultKey:
    """The stack's vault and the HSM master key in it (Security block)."""

    vault_id: pulumi.Input[str]
    """The vault: the stack's secrets are created in it."""
    key_id: pulumi.Input[str]
    """The HSM master key: buckets, DB storage, secrets, etcd and node boot volumes are encrypted with it."""
