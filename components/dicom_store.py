"""The DICOM store: the top component that composes one child component per architectural block.

Data flows one way: each block receives its own config section and the outputs of the blocks it depends on,
in the order Identity -> Network -> Security -> Storage -> Database -> Orthanc runtime -> Connectivity ->
Edge -> AI. This is the only place that sees the whole `StackConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.config import StackConfig
from components.identity import Identity, IdentityArgs
from components.network import Network, NetworkArgs


@dataclass(frozen=True)
class DicomStoreArgs:
    config: StackConfig
    """The validated stack configuration."""
    name_prefix: str
    """Prefix of physical names that must be unique in the tenancy (e.g. compartments): `<project>-<stack>`."""


class DicomStore(pulumi.ComponentResource):
    """Orthanc with Object Storage and PostgreSQL on OCI, and everything around it."""

    identity: Identity
    network: Network

    def __init__(self, name: str, args: DicomStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:dicom_store:DicomStore", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)

        self.identity = Identity(
            f"{name}-identity",
            IdentityArgs(
                parent_compartment_id=config.parent_compartment_ocid,
                name_prefix=args.name_prefix,
                ai_enabled=config.ai.enabled,
            ),
            child,
        )
        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                config=config.network,
                compartment_id=self.identity.network_compartment_id,
                modalities=tuple(config.orthanc.allowed_modalities),
            ),
            child,
        )
        self.register_outputs(
            {
                "vcn_id": self.network.vcn_id,
                "data_compartment_id": self.identity.data_compartment_id,
            }
        )
