"""What would make the first `pulumi up` fail in a real tenancy: pure checks over the plan and OCI's answers.

`python -m offline preflight` (offline/preflight_cli.py) asks OCI, with the user's OCI config, and hands the SDK's
own response models to the functions here; each finding is one line with its fix. What the stack needs comes
from the offline plan (`PlanIndex`), never from the config by hand:

- service limits and compartment quotas (`oci.limits.LimitsClient.get_resource_availability`: the smaller of the
  limit and any quota, minus what is used), per availability domain where the limit is per AD. Compute:
  `standard-e4-core-count` / `-memory-count` (shared by CI.Standard.E4 container instances),
  `standard-e5-core-count` / `-memory-count`, `gpu-a10-count`, all per AD ("Compute Quotas",
  https://docs.oracle.com/en-us/iaas/Content/Quotas/Concepts/resourcequotas_topic-Compute_Quotas.htm). The
  others are the names OCI's limits API answers to in public scripts, not in the offline copy of the docs:
  container-engine `cluster-count`, kms `virtual-private-vault-count` / `virtual-vault-count`, load-balancer
  `lb-flexible-count` / `lb-flexible-bandwidth-sum`, fast-connect `virtual-circuit-count`, postgresql
  `dbsystem-count`. A name OCI does not know (400/404) is reported as not checked, never as fine. Every need is
  counted in the stack's region (the DR vault lives in the replication region but counts here: conservative);
- Cloud Guard: available at all (a Free Tier tenancy has no Cloud Guard nor security zones), its reporting region
  (fixed once enabled), and the tenancy's root target (one per compartment: a second one fails);
- names that must be unique in the tenancy (groups, dynamic groups, users, tag namespaces; compartments and
  policies among their siblings; certificate authorities);
- the subscription of every other region the plan uses (the DR bucket's replication destination).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.config.identifiers import A10_SHAPE_PATTERN
from components.config.schema import gpus_per_node
from offline.plan_index import PlanIndex

BLOCKING = "blocking"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    severity: str
    message: str
    """One line: what fails, then `Fix: ...`."""


@dataclass(frozen=True)
class LimitNeed:
    """An amount of one OCI limit the stack consumes, in one availability domain or region-wide."""

    service: str
    limit: str
    amount: int
    what: str
    """The planned resources that need it, for the message."""
    availability_domain: str = ""
    """The plan's AD name (`<prefix>:EU-FRANKFURT-1-AD-1`); matched to the tenancy's by its suffix."""


_FLEX_SHAPE = re.compile(r"^(?:VM|BM|CI)\.Standard\.(E\d+)\.Flex$")


def _compute_limits(shape: str, ocpus: float, memory_gb: float) -> list[tuple[str, int]] | None:
    """The compute limits one instance (or container instance) of `shape` consumes; None for a shape not known."""
    flex = _FLEX_SHAPE.match(shape)
    if flex:
        family = f"standard-{flex.group(1).lower()}"
        return [(f"{family}-core-count", math.ceil(ocpus)), (f"{family}-memory-count", math.ceil(memory_gb))]
    if re.match(A10_SHAPE_PATTERN, shape):
        return [("gpu-a10-count", gpus_per_node(shape))]
    return None


def _nodes_per_ad(size: int, ads: Sequence[str]) -> dict[str, int]:
    """OKE spreads a pool's nodes evenly over its placement ADs, the first ones taking the remainder."""
    base, remainder = divmod(size, len(ads))
    return {ad: base + (1 if position < remainder else 0) for position, ad in enumerate(ads)}


def limit_needs(index: PlanIndex) -> tuple[list[LimitNeed], list[Finding]]:
    """What the planned resources consume of each limit, and a warning for each shape whose limit is unknown."""
    needs: list[LimitNeed] = []
    unknown: list[Finding] = []

    def compute(shape: str, size: tuple[float, float], count: int, ad: str, what: str) -> None:
        limits = _compute_limits(shape, *size)
        if limits is None:
            unknown.append(
                Finding(
                    WARNING,
                    f"{what}: no service limit known for shape {shape}, not checked. Fix: "
                    "check Governance > Limits, Quotas and Usage for it by hand",
                )
            )
            return
        needs.extend(LimitNeed("compute", limit, amount * count, what, ad) for limit, amount in limits if count)

    for record in index.of_type("oci:ContainerEngine/containerInstance:ContainerInstance"):
        config = record.inputs.get("shapeConfig", {})
        compute(
            record.inputs["shape"],
            (config.get("ocpus", 1), config.get("memoryInGbs", 0)),
            1,
            record.inputs.get("availabilityDomain", ""),
            f"container instance {record.name}",
        )
    for record in index.of_type("oci:ContainerEngine/nodePool:NodePool"):
        details = record.inputs.get("nodeConfigDetails", {})
        ads = [placement["availabilityDomain"] for placement in details.get("placementConfigs", [])]
        config = record.inputs.get("nodeShapeConfig", {})
        for ad, nodes in _nodes_per_ad(int(details.get("size", 0)), ads or [""]).items():
            compute(
                record.inputs["nodeShape"],
                (config.get("ocpus", 0), config.get("memoryInGbs", 0)),
                nodes,
                ad,
                f"node pool {record.name}",
            )
    for clusters in _count(index, "oci:ContainerEngine/cluster:Cluster"):
        needs.append(LimitNeed("container-engine", "cluster-count", clusters, "the OKE cluster"))
    vaults = list(index.of_type("oci:Kms/vault:Vault"))
    for vault_type, limit in (("VIRTUAL_PRIVATE", "virtual-private-vault-count"), ("DEFAULT", "virtual-vault-count")):
        count = sum(1 for vault in vaults if vault.inputs.get("vaultType") == vault_type)
        if count:
            needs.append(LimitNeed("kms", limit, count, f"{count} {vault_type} vault(s)"))
    balancers = index.of_type("oci:LoadBalancer/loadBalancer:LoadBalancer")
    flexible = [balancer for balancer in balancers if balancer.inputs.get("shape") == "flexible"]
    if flexible:
        bandwidth = sum(int(lb.inputs.get("shapeDetails", {}).get("maximumBandwidthInMbps", 0)) for lb in flexible)
        needs.append(LimitNeed("load-balancer", "lb-flexible-count", len(flexible), "the flexible load balancer(s)"))
        needs.append(LimitNeed("load-balancer", "lb-flexible-bandwidth-sum", bandwidth, "their maximum bandwidth"))
    for circuits in _count(index, "oci:Core/virtualCircuit:VirtualCircuit"):
        needs.append(LimitNeed("fast-connect", "virtual-circuit-count", circuits, "the FastConnect virtual circuit"))
    for systems in _count(index, "oci:Psql/dbSystem:DbSystem"):
        needs.append(LimitNeed("postgresql", "dbsystem-count", systems, "the PostgreSQL DB system"))
    return needs, unknown


def _count(index: PlanIndex, resource_type: str) -> list[int]:
    count = sum(1 for _ in index.of_type(resource_type))
    return [count] if count else []


def ad_suffix(name: str) -> str:
    """`Uocm:EU-FRANKFURT-1-AD-1` -> `EU-FRANKFURT-1-AD-1`: the part of an AD name every tenancy shares."""
    return name.rsplit(":", 1)[-1]


def check_limits(needs: Iterable[LimitNeed], availability: Mapping[tuple[str, str, str], Any]) -> list[Finding]:
    """`availability[(service, limit, ad suffix or "")]`: an `oci.limits.models.ResourceAvailability`, or None
    when OCI does not know that limit (404). Needs of one limit and AD are added up before the comparison."""
    totals: dict[tuple[str, str, str], tuple[int, list[str]]] = {}
    for need in needs:
        key = (need.service, need.limit, ad_suffix(need.availability_domain) if need.availability_domain else "")
        amount, whats = totals.get(key, (0, []))
        totals[key] = (amount + need.amount, [*whats, need.what] if need.what not in whats else whats)
    findings: list[Finding] = []
    for (service, limit, ad), (amount, whats) in sorted(totals.items()):
        where = f" in {ad}" if ad else ""
        answer = availability.get((service, limit, ad))
        if answer is None or answer.available is None:
            findings.append(
                Finding(
                    WARNING,
                    f"limit {service}/{limit}{where}: OCI returned no availability, not "
                    f"checked ({', '.join(whats)} need {amount}). Fix: check it in "
                    "Governance > Limits, Quotas and Usage",
                )
            )
        elif answer.available < amount:
            findings.append(
                Finding(
                    BLOCKING,
                    f"limit {service}/{limit}{where}: {', '.join(whats)} need {amount}, "
                    f"{answer.available} available ({answer.used} used). Fix: request a "
                    "service limit increase, or raise the compartment quota, for "
                    f"{limit}{where}",
                )
            )
    return findings


@dataclass(frozen=True)
class CloudGuardNeeds:
    """The plan's Cloud Guard: whether it is used, where it reports, and the targets it creates or adopts."""

    used: bool
    reporting_region: str
    root_target_planned: bool
    adopted_target: str


def cloud_guard_needs(index: PlanIndex) -> CloudGuardNeeds:
    configurations = list(index.of_type("oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration"))
    root_targets = [
        target
        for target in index.of_type("oci:CloudGuard/target:Target")
        if target.inputs.get("targetResourceId") == index.tenancy_ocid
    ]
    adopted = next(
        (
            attachment["targetId"]
            for attachment in index.outputs.get("cloud_guard_recipe_attachments") or []
            if "security.cloudGuardTargetOcid" in attachment.get("target", "")
        ),
        "",
    )
    used = bool(configurations) or any(index.of_type("oci:CloudGuard/securityZone:SecurityZone"))
    region = str(configurations[0].inputs.get("reportingRegion", "")) if configurations else ""
    return CloudGuardNeeds(used, region, bool(root_targets), adopted)


def check_cloud_guard(
    needs: CloudGuardNeeds, configuration: Any | None, targets: Sequence[Any], tenancy_ocid: str
) -> list[Finding]:
    """`configuration`: `oci.cloud_guard.models.Configuration`, None when the tenancy has no Cloud Guard;
    `targets`: `oci.cloud_guard.models.TargetSummary` of the root compartment."""
    if not needs.used:
        return []
    if configuration is None:
        return [
            Finding(
                BLOCKING,
                "Cloud Guard is not available in this tenancy (a Free Tier tenancy has neither "
                "Cloud Guard nor security zones), or the OCI user may not read its configuration. Fix: "
                "upgrade the tenancy to a paid account (or grant `read cloud-guard-family in tenancy`), "
                "or set dicomstore:security.cloudGuardEnabled: false",
            )
        ]
    findings: list[Finding] = []
    reporting = configuration.reporting_region
    if configuration.status == "ENABLED" and needs.reporting_region and reporting != needs.reporting_region:
        findings.append(
            Finding(
                BLOCKING,
                f"Cloud Guard reports to {configuration.reporting_region}, the stack says "
                f"{needs.reporting_region}; the reporting region cannot change once set. "
                "Fix: set dicomstore:security.cloudGuardReportingRegion: "
                f"{configuration.reporting_region}",
            )
        )
    root = [
        target
        for target in targets
        if target.target_resource_id == tenancy_ocid and target.lifecycle_state not in {"DELETED", "DELETING"}
    ]
    if needs.root_target_planned and root:
        findings.append(
            Finding(
                BLOCKING,
                f"the root compartment already has Cloud Guard target {root[0].id} "
                f"({root[0].display_name}); a second one fails. Fix: set "
                f"dicomstore:security.cloudGuardTargetOcid: {root[0].id}",
            )
        )
    if needs.adopted_target and needs.adopted_target not in {target.id for target in root}:
        fix = f"set it to {root[0].id}" if root else "remove it to let the stack create the root target"
        findings.append(
            Finding(
                BLOCKING,
                f"security.cloudGuardTargetOcid = {needs.adopted_target}: no such active "
                f"target on the root compartment. Fix: {fix}",
            )
        )
    return findings


@dataclass(frozen=True)
class UniqueName:
    """A name that must not exist yet: `kind` is one of NAME_KINDS, `scope` the OCID it is unique in."""

    kind: str
    name: str
    scope: str


NAME_KINDS = {
    "oci:Identity/group:Group": "group",
    "oci:Identity/dynamicGroup:DynamicGroup": "dynamic group",
    "oci:Identity/user:User": "user",
    "oci:Identity/tagNamespace:TagNamespace": "tag namespace",
    "oci:Identity/policy:Policy": "policy",
    "oci:Identity/compartment:Compartment": "compartment",
    "oci:CertificatesManagement/certificateAuthority:CertificateAuthority": "certificate authority",
}
TENANCY_WIDE = {"group", "dynamic group", "user", "tag namespace", "certificate authority"}


def unique_names(index: PlanIndex) -> list[UniqueName]:
    """Names the plan creates that OCI keeps unique: tenancy-wide, or among the compartment's children (policies
    and compartments, checked where that compartment exists already: the tenancy or the stack's parent)."""
    names: list[UniqueName] = []
    for record in index.of_type(*NAME_KINDS):
        kind = NAME_KINDS[record.type]
        name = str(record.inputs.get("name", ""))
        if kind in TENANCY_WIDE:
            names.append(UniqueName(kind, name, index.tenancy_ocid))
        elif index.location(str(record.inputs.get("compartmentId", ""))).kind in {"tenancy", "parent"}:
            names.append(UniqueName(kind, name, str(record.inputs["compartmentId"])))
    return names


def check_names(names: Iterable[UniqueName], existing: Mapping[UniqueName, Sequence[Any]]) -> list[Finding]:
    """`existing[name]`: the SDK summaries OCI lists under that exact name and scope (active ones)."""
    findings = []
    for wanted in names:
        found = existing.get(wanted) or []
        if found:
            findings.append(
                Finding(
                    BLOCKING,
                    f"{wanted.kind} {wanted.name!r} exists already ({found[0].id}). Fix: "
                    "delete or rename it, or deploy under another stack name (the names "
                    "carry the project-stack prefix)",
                )
            )
    return findings


def regions_used(index: PlanIndex) -> list[str]:
    """Regions other than the stack's that the plan writes to (the DR bucket's replication destination)."""
    regions = {
        str(policy.inputs["destinationRegionName"])
        for policy in index.of_type("oci:ObjectStorage/replicationPolicy:ReplicationPolicy")
        if policy.inputs.get("destinationRegionName")
    }
    return sorted(regions - {index.region})


def check_regions(regions: Iterable[str], subscriptions: Sequence[Any]) -> list[Finding]:
    """`subscriptions`: `oci.identity.models.RegionSubscription` of the tenancy."""
    ready = {subscription.region_name for subscription in subscriptions if subscription.status == "READY"}
    return [
        Finding(
            BLOCKING,
            f"region {region}: the tenancy is not subscribed to it (the DR bucket replicates there). "
            f"Fix: subscribe in Governance > Region management, or set dicomstore:storage."
            "replicationRegion to one of " + ", ".join(sorted(ready)),
        )
        for region in regions
        if region not in ready
    ]
