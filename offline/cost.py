"""Monthly cost estimate of a plan, from the recorded resources, the stack's usage assumptions and a table of
OCI list prices; and what each config knob costs.

Prices are pay-as-you-go list prices in USD from Oracle's public price list (`PRICE_LIST`, every line named as
it is there, `PRICES_AS_OF` the date they were read); an estimate for comparing stacks and seeing what a config
change costs, not a quote. A plan cannot know how many images a hospital stores, so the usage-driven lines
(Object Storage by tier, the index, outbound transfer) come from the stack's `cost` config section
(`cost.storedTb`, `cost.monthlyNewTb`, `cost.internetEgressTb`). Storage tiers follow each bucket's own plan:
auto-tiering and the lifecycle rules recorded for it decide how much of the archive is Standard, Infrequent
Access or Archive, with images assumed to arrive at `monthlyNewTb` and not to be read again once older than
a month.

Each knob (`knob_costs`) is priced by re-estimating a copy of the plan with that one change, so a knob's price
is the same arithmetic as the total.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from components.config.identifiers import A10_SHAPE_PATTERN, GPU_SHAPE_PREFIXES
from components.config.schema import NAMESPACE, CostConfig, gpus_per_node
from offline.records import ResourceRecord

HOURS_PER_MONTH = 744  # OCI bills a month as 744 hours
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
GB_PER_TB = 1024
INDEX_GB_PER_STORED_TB = 10.0  # Orthanc's index: a few KB per instance of ~0.5 MB, so ~10 GB per stored TB
FREE_OUTBOUND_TB = 10.0  # the first 10 TB a month of outbound data transfer are free (price list, Networking)
AUTO_TIERING_DAYS = 31.0  # auto-tiering moves objects not read for 31 days to Infrequent Access (OCI docs)
PRICE_LIST = "https://www.oracle.com/cloud/price-list/"
PRICES_AS_OF = "2025"
"""When the table's prices were taken from the price list. Not re-read on 2026-11-26: no copy of the price list
was reachable from this offline environment; check the lines against PRICE_LIST before quoting them."""


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str
    """The line of Oracle's price list the price comes from."""


PRICES: dict[str, Price] = {
    "compute_e4_ocpu": Price(0.025, "OCPU hour", "Compute - Standard - E4 - OCPU"),
    "compute_e4_memory": Price(0.0015, "GB hour", "Compute - Standard - E4 - Memory"),
    "compute_e5_ocpu": Price(0.03, "OCPU hour", "Compute - Standard - E5 - OCPU"),
    "compute_e5_memory": Price(0.002, "GB hour", "Compute - Standard - E5 - Memory"),
    "gpu_a10": Price(2.0, "GPU hour", "Compute - GPU - A10"),
    "postgresql_ocpu": Price(0.098, "OCPU hour", "OCI Database with PostgreSQL - OCPU"),
    "postgresql_memory": Price(0.0024, "GB hour", "OCI Database with PostgreSQL - Memory"),
    "postgresql_storage": Price(0.0425, "GB month", "OCI Database with PostgreSQL - Optimized storage"),
    "object_storage": Price(0.0255, "GB month", "Object Storage - Storage"),
    "object_storage_infrequent": Price(0.01, "GB month", "Object Storage - Infrequent Access Storage"),
    "object_storage_archive": Price(0.0026, "GB month", "Archive Storage"),
    "outbound_transfer": Price(0.0085, "GB", "Networking - Outbound Data Transfer (above 10 TB a month)"),
    "lb_base": Price(0.0113, "LB hour", "Load Balancer Base"),
    "lb_bandwidth": Price(0.0001, "Mbps hour", "Load Balancer Bandwidth"),
    "oke_enhanced": Price(0.10, "cluster hour", "Kubernetes Engine - Enhanced Cluster"),
    "fastconnect_1g": Price(0.2125, "port hour", "FastConnect 1 Gbps"),
    "fastconnect_10g": Price(1.275, "port hour", "FastConnect 10 Gbps"),
    "fastconnect_100g": Price(10.75, "port hour", "FastConnect 100 Gbps"),
    "vault_private": Price(5.2445, "vault hour", "Key Management - Virtual Private Vault"),
    "hsm_key_version": Price(0.5396, "key version month", "Key Management - HSM key versions (first 20 free)"),
}


@dataclass(frozen=True)
class Usage:
    """What a plan cannot know: the images under management, their growth and the traffic leaving OCI."""

    stored_tb: float
    monthly_new_tb: float
    internet_egress_tb: float

    @property
    def index_gb(self) -> float:
        return self.stored_tb * INDEX_GB_PER_STORED_TB


@dataclass(frozen=True)
class CostLine:
    urn: str
    type: str
    item: str
    quantity: float
    unit: str
    unit_price: float
    monthly: float


@dataclass(frozen=True)
class Plan:
    """What a pricing rule may look at besides its own record."""

    usage: Usage
    lifecycle_rules: Mapping[str, Sequence[Mapping[str, Any]]]
    """Lifecycle rules by the URN of the bucket they belong to."""


def _line(record: ResourceRecord, price_key: str, quantity: float, *, hourly: bool = True) -> CostLine:
    price = PRICES[price_key]
    monthly = quantity * price.usd * (HOURS_PER_MONTH if hourly else 1)
    return CostLine(record.urn, record.type, price.source, round(quantity, 2), price.unit, price.usd, round(monthly, 2))


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


def _container_instance(record: ResourceRecord, _: Plan) -> list[CostLine]:
    shape = record.inputs.get("shapeConfig") or {}
    family = "e4" if "E4" in str(record.inputs.get("shape", "")) else "e5"
    return [
        _line(record, f"compute_{family}_ocpu", _number(shape.get("ocpus"), 1)),
        _line(record, f"compute_{family}_memory", _number(shape.get("memoryInGbs"), 16)),
    ]


def _db_system(record: ResourceRecord, plan: Plan) -> list[CostLine]:
    nodes = _number(record.inputs.get("instanceCount"), 1)
    return [
        _line(record, "postgresql_ocpu", nodes * _number(record.inputs.get("instanceOcpuCount"), 2)),
        _line(record, "postgresql_memory", nodes * _number(record.inputs.get("instanceMemorySizeInGbs"), 32)),
        _line(record, "postgresql_storage", plan.usage.index_gb, hourly=False),
    ]


# The image archive and its DR replica, named by components/data/storage.py; other buckets (edge staging) hold
# transient data the lifecycle deletes, so they are not priced at the archive's volume.
ARCHIVE_BUCKET_SUFFIXES = ("-dicom", "-dicom-dr")


def _first_rule_days(rules: Sequence[Mapping[str, Any]], action: str) -> float | None:
    """Age in days at which the bucket's lifecycle applies `action` (ARCHIVE, INFREQUENT_ACCESS) to objects."""
    days = [
        float(rule["timeAmount"])
        for rule in rules
        if rule.get("target") == "objects" and rule.get("action") == action and rule.get("isEnabled", True)
    ]
    return min(days, default=None)


def tier_split(usage: Usage, infrequent_after_days: float | None, archive_after_days: float | None) -> dict[str, float]:
    """TB in Standard, Infrequent Access and Archive when images arrive at `monthly_new_tb` and move on by age
    (the oldest images are in the last tier the bucket has)."""
    entered = [("object_storage", 0.0)]
    if infrequent_after_days is not None:
        entered.append(("object_storage_infrequent", infrequent_after_days))
    if archive_after_days is not None:
        entered.append(("object_storage_archive", archive_after_days))
    split: dict[str, float] = {}
    remaining = usage.stored_tb
    for (tier, enters), following in zip(entered, [*entered[1:], None], strict=True):
        if following is None:
            held = remaining
        else:
            held = min(remaining, usage.monthly_new_tb * max(0.0, following[1] - enters) / DAYS_PER_MONTH)
        split[tier] = held
        remaining -= held
    return split


def _bucket(record: ResourceRecord, plan: Plan) -> list[CostLine]:
    if not str(record.inputs.get("name", "")).endswith(ARCHIVE_BUCKET_SUFFIXES):
        return []
    rules = plan.lifecycle_rules.get(record.urn, ())
    auto_tiering = record.inputs.get("autoTiering") == "InfrequentAccess"
    infrequent = _first_rule_days(rules, "INFREQUENT_ACCESS") or (AUTO_TIERING_DAYS if auto_tiering else None)
    split = tier_split(plan.usage, infrequent, _first_rule_days(rules, "ARCHIVE"))
    return [_line(record, tier, tb * GB_PER_TB, hourly=False) for tier, tb in split.items() if tb > 0]


def _load_balancer(record: ResourceRecord, _: Plan) -> list[CostLine]:
    details = record.inputs.get("shapeDetails") or {}
    return [
        _line(record, "lb_base", 1),
        _line(record, "lb_bandwidth", _number(details.get("minimumBandwidthInMbps"), 10)),
    ]


def _node_pool(record: ResourceRecord, _: Plan) -> list[CostLine]:
    size = _number((record.inputs.get("nodeConfigDetails") or {}).get("size"), 1)
    shape = str(record.inputs.get("nodeShape", ""))
    if shape.startswith(GPU_SHAPE_PREFIXES):
        # Only the A10 family has a price here; another GPU family is left out (see "not estimated"), rather
        # than priced as an A10.
        return [_line(record, "gpu_a10", size * gpus_per_node(shape))] if re.match(A10_SHAPE_PATTERN, shape) else []
    shape_config = record.inputs.get("nodeShapeConfig") or {}
    return [
        _line(record, "compute_e5_ocpu", size * _number(shape_config.get("ocpus"), 2)),
        _line(record, "compute_e5_memory", size * _number(shape_config.get("memoryInGbs"), 32)),
    ]


def _cluster(record: ResourceRecord, _: Plan) -> list[CostLine]:
    return [_line(record, "oke_enhanced", 1)] if record.inputs.get("type") == "ENHANCED_CLUSTER" else []


def _virtual_circuit(record: ResourceRecord, _: Plan) -> list[CostLine]:
    gbps = str(record.inputs.get("bandwidthShapeName", "1 Gbps")).split()[0]  # "10 Gbps" -> "10"
    price_key = f"fastconnect_{gbps}g"
    return [_line(record, price_key if price_key in PRICES else "fastconnect_1g", 1)]


def _notebook(record: ResourceRecord, _: Plan) -> list[CostLine]:
    details = record.inputs.get("notebookSessionConfigurationDetails") or {}
    shape = details.get("notebookSessionShapeConfigDetails") or {}
    # A notebook bills while it is active; the estimate assumes it is never deactivated.
    return [
        _line(record, "compute_e4_ocpu", _number(shape.get("ocpus"), 1)),
        _line(record, "compute_e4_memory", _number(shape.get("memoryInGbs"), 16)),
    ]


def _vault(record: ResourceRecord, _: Plan) -> list[CostLine]:
    return [_line(record, "vault_private", 1)] if record.inputs.get("vaultType") == "VIRTUAL_PRIVATE" else []


COSTED_TYPES: dict[str, Callable[[ResourceRecord, Plan], list[CostLine]]] = {
    "oci:ContainerEngine/containerInstance:ContainerInstance": _container_instance,
    "oci:Psql/dbSystem:DbSystem": _db_system,
    "oci:ObjectStorage/bucket:Bucket": _bucket,
    "oci:LoadBalancer/loadBalancer:LoadBalancer": _load_balancer,
    "oci:ContainerEngine/nodePool:NodePool": _node_pool,
    "oci:ContainerEngine/cluster:Cluster": _cluster,
    "oci:Core/virtualCircuit:VirtualCircuit": _virtual_circuit,
    "oci:Kms/vault:Vault": _vault,
    "oci:DataScience/notebookSession:NotebookSession": _notebook,
}
LIFECYCLE = "oci:ObjectStorage/objectLifecyclePolicy:ObjectLifecyclePolicy"
REPLICATION = "oci:ObjectStorage/replicationPolicy:ReplicationPolicy"
OUTBOUND = "usage:outbound-data-transfer"


def _lifecycle_rules(records: Sequence[ResourceRecord]) -> dict[str, Sequence[Mapping[str, Any]]]:
    buckets = {record.urn for record in records if record.type == "oci:ObjectStorage/bucket:Bucket"}
    return {
        bucket: record.inputs.get("rules") or []
        for record in records
        if record.type == LIFECYCLE
        for bucket in record.dependencies
        if bucket in buckets
    }


def _outbound_transfer(records: Sequence[ResourceRecord], usage: Usage) -> list[CostLine]:
    """Internet egress plus the replication copy to the DR region, above the free 10 TB."""
    replicated = usage.monthly_new_tb if any(record.type == REPLICATION for record in records) else 0.0
    billed_tb = max(0.0, usage.internet_egress_tb + replicated - FREE_OUTBOUND_TB)
    if billed_tb == 0:
        return []
    price = PRICES["outbound_transfer"]
    gb = billed_tb * GB_PER_TB
    return [CostLine("", OUTBOUND, price.source, round(gb, 2), price.unit, price.usd, round(gb * price.usd, 2))]


def cost_lines(records: Sequence[ResourceRecord], usage: Usage) -> list[CostLine]:
    plan = Plan(usage, _lifecycle_rules(records))
    priced = [
        line for record in records if record.type in COSTED_TYPES for line in COSTED_TYPES[record.type](record, plan)
    ]
    return priced + _outbound_transfer(records, usage)


def _total(lines: Sequence[CostLine]) -> float:
    return round(sum(line.monthly for line in lines), 2)


@dataclass(frozen=True)
class Knob:
    key: str
    change: str
    monthly: float
    """Change of the monthly total, USD."""


def _with_inputs(record: ResourceRecord, **inputs: Any) -> ResourceRecord:
    return dataclasses.replace(record, inputs={**record.inputs, **inputs})


def _variant(
    records: Sequence[ResourceRecord], type_: str, change: Callable[[ResourceRecord], list[ResourceRecord]]
) -> list[ResourceRecord] | None:
    """The plan with the first resource of `type_` replaced by `change(resource)`, None when there is none."""
    index = next((i for i, record in enumerate(records) if record.type == type_), None)
    if index is None:
        return None
    return [*records[:index], *change(records[index]), *records[index + 1 :]]


def _node_pool_size(record: ResourceRecord, delta: int) -> ResourceRecord:
    details = record.inputs.get("nodeConfigDetails") or {}
    return _with_inputs(record, nodeConfigDetails={**details, "size": _number(details.get("size"), 1) + delta})


def _is_gpu_pool(record: ResourceRecord) -> bool:
    return str(record.inputs.get("nodeShape", "")).startswith(GPU_SHAPE_PREFIXES)


def knob_costs(records: Sequence[ResourceRecord], usage: Usage) -> list[Knob]:
    """What one step of each config knob present in the plan adds to (or saves from) the monthly total."""
    base = _total(cost_lines(records, usage))
    pools = [record for record in records if record.type == "oci:ContainerEngine/nodePool:NodePool"]
    cpu_pools = [pool for pool in pools if not _is_gpu_pool(pool)]
    gpu_pools = [pool for pool in pools if _is_gpu_pool(pool)]
    vaults = [record for record in records if record.type == "oci:Kms/vault:Vault"]
    # The DR vault is always DEFAULT (components/security/security.py DR_VAULT_TYPE), so a VIRTUAL_PRIVATE vault
    # is the stack's own; with none, flipping any DEFAULT vault costs the same.
    stack_vault = next((vault for vault in vaults if vault.inputs.get("vaultType") == "VIRTUAL_PRIVATE"), None) or (
        vaults[0] if vaults else None
    )
    stack_vault_private = stack_vault is not None and stack_vault.inputs.get("vaultType") == "VIRTUAL_PRIVATE"

    def swap(old: ResourceRecord, new: ResourceRecord) -> list[ResourceRecord]:
        return [new if record is old else record for record in records]

    variants: list[tuple[str, str, list[ResourceRecord] | None, Usage]] = [
        ("orthanc.replicas", "+1 Container Instance",
         _variant(records, "oci:ContainerEngine/containerInstance:ContainerInstance",
                  lambda ci: [ci, dataclasses.replace(ci, urn=f"{ci.urn}-extra")]), usage),
        ("oke.nodeCount", "+1 CPU worker", swap(cpu_pools[0], _node_pool_size(cpu_pools[0], 1)) if cpu_pools else None,
         usage),
        ("oke.inferenceReplicas", "+1 (one more GPU)",
         swap(gpu_pools[0], _node_pool_size(gpu_pools[0], 1)) if gpu_pools else None, usage),
        ("database.instanceCount", "+1 node (a standby: HA)",
         _variant(records, "oci:Psql/dbSystem:DbSystem",
                  lambda db: [_with_inputs(db, instanceCount=_number(db.inputs.get("instanceCount"), 1) + 1)]), usage),
        ("security.vaultType", "the other type (VIRTUAL_PRIVATE <-> DEFAULT)",
         swap(stack_vault, _with_inputs(stack_vault, vaultType="DEFAULT" if stack_vault_private else "VIRTUAL_PRIVATE"))
         if stack_vault else None, usage),
        ("cost.storedTb", "+1 TB", list(records), dataclasses.replace(usage, stored_tb=usage.stored_tb + 1)),
        ("cost.monthlyNewTb", "a year of it (storedTb + 12 x monthlyNewTb)",
         list(records), dataclasses.replace(usage, stored_tb=usage.stored_tb + 12 * usage.monthly_new_tb)),
    ]  # fmt: skip
    knobs = [Knob(key, change, round(_total(cost_lines(variant, assumed)) - base, 2))
             for key, change, variant, assumed in variants if variant is not None]  # fmt: skip
    # Knobs that remove a block: what the block costs today.
    # The DR resources are named `<storage>-dr-*` by components/data/storage.py; the other blocks by type or component.
    for key, marker in (("storage.replicationRegion", "-dr-"), ("connectivity.fastconnect.enabled", "virtualCircuit"),
                        ("ai.enabled", "$dicomstore:ai:")):  # fmt: skip
        share = sum(line.monthly for line in cost_lines(records, usage) if marker in line.urn)
        if share:
            knobs.append(Knob(key, "off", -round(share, 2)))
    return knobs


def stack_usage(stack_config: Mapping[str, str]) -> Usage:
    """The usage assumptions of a stack's `cost` section (engine config: JSON strings by qualified key)."""
    section = CostConfig.model_validate(json.loads(stack_config.get(f"{NAMESPACE}:cost", "{}")))
    return Usage(section.stored_tb, section.monthly_new_tb, section.internet_egress_tb)


def estimate(records: Sequence[ResourceRecord], usage: Usage | None = None) -> dict[str, Any]:
    """The `cost` section of the JSON plan: currency, monthly total, one line per priced item, the knobs."""
    usage = usage or stack_usage({})  # the config defaults
    lines = cost_lines(records, usage)
    return {
        "currency": "USD",
        "monthly": _total(lines),
        "assumptions": {"hoursPerMonth": HOURS_PER_MONTH, "storedTerabytes": usage.stored_tb,
                        "monthlyNewTerabytes": usage.monthly_new_tb,
                        "internetEgressTerabytes": usage.internet_egress_tb,
                        "indexGigabytes": usage.index_gb,
                        "prices": f"OCI pay-as-you-go list prices ({PRICE_LIST}, as of {PRICES_AS_OF}); free: VCN, "
                                  "gateways, NSGs, Cloud Guard, Bastion, NLB, default vaults, first 20 HSM key "
                                  "versions, first 10 TB outbound a month; not estimated: training job runs (billed "
                                  "per run hour), GPU shapes other than A10, Infrequent Access retrieval, "
                                  "requests"},
        "lines": [asdict(line) for line in lines],
        "knobs": [asdict(knob) for knob in knob_costs(records, usage)],
    }  # fmt: skip


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else "usage"


def render_cost(cost: Mapping[str, Any]) -> str:
    """The cost section of the text report: total, lines, and what each knob costs."""
    rows = [f"Estimated monthly cost: {cost['monthly']:,.2f} {cost['currency']} (list prices; see offline/cost.py)"]
    for line in sorted(cost["lines"], key=lambda item: -item["monthly"]):
        rows.append(
            f"  {line['monthly']:>10,.2f}  {line['item']} x {line['quantity']:g} {line['unit']}  ({_name(line['urn'])})"
        )
    if cost.get("knobs"):
        rows.append("What each config knob costs (change of the monthly total):")
        rows.extend(f"  {knob['monthly']:>+10,.2f}  {knob['key']}: {knob['change']}" for knob in cost["knobs"])
    return "\n".join(rows)
