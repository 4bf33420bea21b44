"""Identity block: the compartments the workload lives in.

Compartments per concern (as in Oracle's CIS landing zone): `network` (VCN, gateways, DRG), `app` (Orthanc
runtime, load balancers, bastion), `data` (bucket, database, vault; the security zone) and `ai` when AI is on.
Nothing of the workload is created in the tenancy root. Compartments are created with `enable_delete=False`:
a `pulumi destroy` forgets them instead of deleting them, because OCI refuses to delete a compartment that
still holds resources and a compartment's audit trail outlives the stack.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_oci as oci


@dataclass(frozen=True)
class IdentityArgs:
    parent_compartment_id: str
    """Compartment (or tenancy) under which the workload compartments are created."""
    name_prefix: str
    """Prefix of the compartments' names, e.g. `dicomstore-prod`; OCI compartment names are tenancy-unique."""
    ai_enabled: bool
    """Create the `ai` compartment."""


class Identity(pulumi.ComponentResource):
    """The workload compartments."""

    network_compartment_id: pulumi.Output[str]
    app_compartment_id: pulumi.Output[str]
    data_compartment_id: pulumi.Output[str]
    ai_compartment_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:identity:Identity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def compartment(role: str, description: str) -> pulumi.Output[str]:
            return oci.identity.Compartment(
                f"{name}-{role}",
                compartment_id=args.parent_compartment_id,
                name=f"{args.name_prefix}-{role}",
                description=description,
                enable_delete=False,
                opts=child,
            ).id

        self.network_compartment_id = compartment("network", "DICOM store: VCN, gateways, DRG, flow logs")
        self.app_compartment_id = compartment("app", "DICOM store: Orthanc runtime, load balancers, bastion")
        self.data_compartment_id = compartment("data", "DICOM store: PHI (bucket, database, vault); security zone")
        self.ai_compartment_id = (
            compartment("ai", "DICOM store: AI training and inference") if args.ai_enabled else None
        )
        self.register_outputs(
            {
                "network_compartment_id": self.network_compartment_id,
                "app_compartment_id": self.app_compartment_id,
                "data_compartment_id": self.data_compartment_id,
                "ai_compartment_id": self.ai_compartment_id,
            }
        )
