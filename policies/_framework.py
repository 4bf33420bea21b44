"""Compliance-framework metadata and the small vocabulary every policy module shares.

Each framework is one `Framework` value; a policy's `PolicyComplianceFramework` is that framework plus the
control it implements (`reference`) and the control's wording (`specification`), so a reviewer can map every
policy back to the benchmark line it proves. Policy names carry the framework prefix (`cis-`, `ckv-`,
`hipaa-`, `refarch-`) because one pack holds all four frameworks and names must be unique in a pack.
`Framework.policy` is the one builder for the modules whose policies share a level and a shape (service rules,
Kubernetes hardening, the Checkov checks): each states its shared settings once, over this builder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidation,
    StackValidationPolicy,
)

PolicyKind = type[ResourceValidationPolicy] | type[StackValidationPolicy]


@dataclass(frozen=True)
class Framework:
    """A compliance framework: its name and the version the controls are taken from."""

    name: str
    version: str

    def control(self, reference: str, specification: str) -> PolicyComplianceFramework:
        """The framework metadata of one policy: which control (`reference`) and what it requires."""
        return PolicyComplianceFramework(
            name=self.name, version=self.version, reference=reference, specification=specification
        )

    def policy(
        self,
        name: str,
        description: str,
        validate: ResourceValidation | StackValidation,
        *,
        kind: PolicyKind,
        level: EnforcementLevel,
        severity: Severity,
        reference: str,
        remediation: str,
        tags: Sequence[str],
        specification: str | None = None,
        url: str | None = None,
        config_schema: PolicyConfigSchema | None = None,
    ) -> Policy:
        """One policy of this framework: a `kind` (resource or stack) policy proving control `reference`, whose
        wording is `specification`; by default the policy's own description, for the frameworks whose
        controls are this design's own statements (service rules, Kubernetes hardening)."""
        return kind(
            name=name,
            description=description,
            validate=validate,  # type: ignore[arg-type]  # `kind` says which of the two validators it takes
            enforcement_level=level,
            severity=severity,
            framework=self.control(reference, specification or description),
            remediation_steps=remediation,
            tags=list(tags),
            url=url,
            config_schema=config_schema,
        )


CIS_OCI = Framework(name="CIS Oracle Cloud Infrastructure Foundations Benchmark", version="3.0.0")
CHECKOV_OCI = Framework(name="Checkov OCI checks", version="3.2")
HIPAA = Framework(name="HIPAA Security Rule", version="45 CFR Part 164 Subpart C")
REFERENCE_ARCHITECTURE = Framework(name="DICOM store reference architecture", version="1.0")
KUBERNETES = Framework(name="Kubernetes workload hardening (Pod Security Standards restricted)", version="1.0")
GOVERNANCE = Framework(name="DICOM store policy governance", version="1.0")


def describe(resource: ResourceValidationArgs | PolicyResource) -> str:
    """How a message names a resource: its type token and logical name, e.g. `oci:...:Bucket 'dicom'`."""
    return f"{resource.resource_type} '{resource.name}'"


def config_number(config: Mapping[str, Any], key: str, default: int) -> int:
    """A numeric policy setting; the engine (and the offline replay) fill defaults from the config schema,
    the fallback keeps a validator correct when it is called without them (unit tests, old CLIs)."""
    value = config.get(key, default)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def threshold_schema(key: str, default: int, description: str, minimum: int = 0) -> dict[str, dict[str, Any]]:
    """The JSON-schema properties of a policy with one integer threshold."""
    return {key: {"type": "integer", "default": default, "minimum": minimum, "description": description}}


class RecordedResourceOptions(PolicyResourceOptions):
    """Resource options of a recorded resource: the engine's, plus `retain_on_delete`.

    The analyzer protocol does not send retain-on-delete to a policy pack (pulumi-policy 1.21), but the
    offline record and `pulumi stack export` have it; the offline replay passes it in this subclass so the
    same policy can check it where it is known.
    """

    retain_on_delete: bool

    def __init__(self, *, protect: bool, retain_on_delete: bool, parent: str | None) -> None:
        # A record keeps no ignore-changes, aliases or timeouts: they do not bear on compliance.
        super().__init__(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)
        self.retain_on_delete = retain_on_delete
