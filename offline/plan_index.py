"""Facts about a planned stack that the deploy-time tools (preflight, deployer policy) read off the plan.

The offline engine gives every created resource the id `created_state` derives from its type and name, so the
plan's `compartmentId` inputs and cross-references can be traced back to the planned resources they name: a
`compartmentId` equal to the id of a planned `oci:Identity/compartment:Compartment` is that compartment, by its
name; the tenancy and the stack's parent compartment come from the stack settings. Nothing here re-reads the
stack config: what the stack needs is what the plan registers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from offline.engine import StackSettings
from offline.provider_outputs import created_state
from offline.records import ResourceRecord

COMPARTMENT_TYPE = "oci:Identity/compartment:Compartment"


@dataclass(frozen=True)
class Location:
    """Where a resource is created: the tenancy (root), the stack's parent, a planned compartment, or another."""

    kind: str
    """`tenancy`, `parent`, `planned` (a compartment the stack creates) or `existing` (any other OCID)."""
    ocid: str
    name: str = ""
    """The planned compartment's name (kind `planned`)."""

    def describe(self) -> str:
        if self.kind == "planned":
            return f"compartment {self.name}"
        return "the tenancy (root compartment)" if self.kind == "tenancy" else f"compartment {self.ocid}"


@dataclass(frozen=True)
class PlanIndex:
    """The plan's resources with their offline ids and the compartments they are created in."""

    settings: StackSettings
    records: tuple[ResourceRecord, ...]
    ids: dict[str, ResourceRecord]
    """Offline id -> the planned resource that gets it."""
    outputs: Mapping[str, Any]

    @classmethod
    def build(cls, settings: StackSettings, records: Sequence[ResourceRecord], outputs: Mapping[str, Any]) -> PlanIndex:
        region = settings.config.get("oci:region", "")
        planned = tuple(record for record in records if record.custom and record.type.startswith("oci:"))
        ids = {created_state(record.type, record.name, record.inputs, region)[0]: record for record in planned}
        return cls(settings, planned, ids, outputs)

    @property
    def tenancy_ocid(self) -> str:
        return self.settings.config.get(f"{self.settings.project}:tenancyOcid", "")

    @property
    def parent_ocid(self) -> str:
        return self.settings.config.get(f"{self.settings.project}:parentCompartmentOcid", "")

    @property
    def region(self) -> str:
        return self.settings.config.get("oci:region", "")

    def location(self, compartment_id: str) -> Location:
        if compartment_id == self.tenancy_ocid:
            return Location("tenancy", compartment_id)
        planned = self.ids.get(compartment_id)
        if planned is not None and planned.type == COMPARTMENT_TYPE:
            return Location("planned", compartment_id, str(planned.inputs.get("name", planned.name)))
        return Location("parent" if compartment_id == self.parent_ocid else "existing", compartment_id)

    def of_type(self, *types: str) -> Iterator[ResourceRecord]:
        return (record for record in self.records if record.type in types)

    def home(self, record: ResourceRecord) -> Location | None:
        """Where `record` is created: its `compartmentId`, or for a sub-resource without one (an NSG rule, a log,
        a key version, a group membership) its owner's, the planned resource a top-level `...Id` input names
        (`networkSecurityGroupId`, `logGroupId`, `keyId`, `groupId`; nested ids, such as a log's source, are
        not owners). None when the owner is named otherwise (a lifecycle policy names its bucket)."""
        compartment = record.inputs.get("compartmentId")
        if isinstance(compartment, str):
            return self.location(compartment)
        for key, value in record.inputs.items():
            owner = self.ids.get(value) if key.endswith("Id") and isinstance(value, str) else None
            if owner is not None:
                return self.home(owner)  # an owner is created before what it owns: no cycle
        return None
