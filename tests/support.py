"""Shared test support: a valid config, and running components or the whole program under the offline engine."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto.resource_pb2 import RegisterResourceRequest

from components.config.schema import StackConfig, load_stack_config
from components.scope import StackScope
from offline.engine import RecordingMonitor, record_program
from offline.records import ResourceRecord

PROJECT_DIR = Path(__file__).resolve().parent.parent
TENANCY = "ocid1.tenancy.oc1..aaaaaaaatesttenancy000000000000000000000000000000000000000"
PARENT = "ocid1.compartment.oc1..aaaaaaaatestparent0000000000000000000000000000000000000000"
SCOPE = StackScope(
    name_prefix="dicomstore-test", region="eu-frankfurt-1", tenancy_id=TENANCY, parent_compartment_id=PARENT
)
"""What a block test hands its block as the stack's scope (the tenancy and parent of `stack_config()`)."""

VALID_VALUES: dict[str, Any] = {
    "region": "eu-frankfurt-1",
    "tenancyOcid": TENANCY,
    "parentCompartmentOcid": PARENT,
    "network": {"vcnCidrs": ["10.20.0.0/16"], "onPremCidrs": ["10.0.0.0/14"]},
    "security": {"cloudGuardReportingRegion": "eu-frankfurt-1", "adminCidrs": ["198.51.100.0/24"]},
}


def config_values(**overrides: Any) -> dict[str, Any]:
    """A deep copy of VALID_VALUES with top-level sections replaced or merged (dicts merge one level)."""
    values = copy.deepcopy(VALID_VALUES)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return values


def stack_config(**overrides: Any) -> StackConfig:
    return load_stack_config(config_values(**overrides))


@dataclass(frozen=True)
class Recorded:
    """Records of one mocked run, with lookups tests need."""

    records: tuple[ResourceRecord, ...]
    outputs: dict[str, Any]

    def __iter__(self) -> Iterator[ResourceRecord]:
        return iter(self.records)

    def of_type(self, type_token: str) -> list[ResourceRecord]:
        return [record for record in self.records if record.type == type_token]

    def named(self, name: str) -> ResourceRecord:
        matches = [record for record in self.records if record.name == name]
        assert len(matches) == 1, f"expected one resource named {name!r}, found {[r.urn for r in matches]}"
        return matches[0]

    def by_urn(self, urn: str) -> ResourceRecord:
        return next(record for record in self.records if record.urn == urn)

    def children_of(self, record: ResourceRecord) -> list[ResourceRecord]:
        return [child for child in self.records if child.parent == record.urn]


def record(
    program: Callable[[], object], config: Mapping[str, str] | None = None, secret_keys: Sequence[str] = ()
) -> Recorded:
    """Run `program` (which builds components) under the recording mocks."""
    records, outputs = record_program(
        program, "dicomstore", "test", {"oci:region": "eu-frankfurt-1", **(config or {})}, secret_keys
    )
    return Recorded(records, outputs)


def spy_registrations(monkeypatch: pytest.MonkeyPatch) -> dict[str, RegisterResourceRequest]:
    """From now on in this test, each resource's registration request, by resource name: what the recorded plan
    does not keep (`ignoreChanges`, `additionalSecretOutputs`, the `provider` reference)."""
    registered: dict[str, RegisterResourceRequest] = {}
    register = RecordingMonitor.RegisterResource

    def spy(monitor: RecordingMonitor, request: RegisterResourceRequest) -> Any:
        registered[request.name] = request
        return register(monitor, request)

    monkeypatch.setattr(RecordingMonitor, "RegisterResource", spy)
    return registered
