"""The policy packs as data: the one definition that `policies/__main__.py` serves to the Pulumi engine and
that the offline replay (`offline/policy_replay.py`) runs over recorded resources.

Design choice: ONE pack, `dicomstore-compliance`, holding all five frameworks (CIS OCI v3.0, the
Checkov-equivalent OCI checks, HIPAA technical safeguards, the reference-architecture rules and
`oci-service-rules`, OCI's own service constraints).
`pulumi preview --policy-pack <dir>` loads one pack per directory, so a pack per framework would mean five
directories and five flags in every CI job; and a reviewer wants one run to answer "is this stack
compliant". Frameworks stay separable: every policy carries its `PolicyComplianceFramework` (reports group
by it) and a framework prefix in its name (`cis-`, `ckv-`, `hipaa-`, `refarch-`, `ocisvc-`), and a policy config file
(`--policy-pack-config`) can disable or re-level any policy by name.

Constructing `pulumi_policy.PolicyPack` starts a gRPC server and blocks, so this module only lists policies.
"""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_policy import Policy

from policies import checkov_oci, cis_oci, hipaa, kubernetes, oci_service_rules, reference_architecture


@dataclass(frozen=True)
class PackSpec:
    """A policy pack before it is served: its name, description and policies."""

    name: str
    description: str
    policies: tuple[Policy, ...]


COMPLIANCE_PACK = PackSpec(
    name="dicomstore-compliance",
    description="CIS OCI Foundations v3.0, Checkov-equivalent OCI checks, HIPAA technical safeguards and the "
    "DICOM store reference-architecture rules and OCI's own service constraints (oci-service-rules).",
    policies=(
        *cis_oci.POLICIES,
        *checkov_oci.POLICIES,
        *hipaa.POLICIES,
        *reference_architecture.POLICIES,
        *oci_service_rules.POLICIES,
        *kubernetes.POLICIES,
    ),
)

PACKS: tuple[PackSpec, ...] = (COMPLIANCE_PACK,)
