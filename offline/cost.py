"""Monthly cost estimate of a plan, from the recorded resources and a table of OCI list prices.

Prices are pay-as-you-go list prices in USD (Oracle's public price list, "Cloud Price List", as of 2025);
they are an estimate for comparing stacks and seeing what a config change costs, not a quote. Each price
carries the price-list line it comes from, so a reviewer can check and update one line. Usage-driven costs
(Object Storage GB, requests, egress, logging above the free tier) are shown per unit with an assumed volume
(`ASSUMED_STORED_TB`), because a plan cannot know how many images a hospital will store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from offline.records import ResourceRecord

HOURS_PER_MONTH = 744  # OCI bills a month as 744 hours
ASSUMED_STORED_TB = 10.0  # images under management for the Object Storage line
ASSUMED_INDEX_GB = 100.0  # Orthanc's index takes a few KB per instance: 100 GB holds tens of millions


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str


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
class CostLine:
    urn: str
    type: str
    item: str
    quantity: float
    unit: str
    unit_price: float
    monthly: float


def _line(record: ResourceRecord, price_key: str, quantity: float, *, hourly: bool = True) -> CostLine:
    price = PRICES[price_key]
    monthly = quantity * price.usd * (HOURS_PER_MONTH if hourly else 1)
    return CostLine(record.urn, record.type, price.source, quantity, price.unit, price.usd, round(monthly, 2))


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


def _container_instance(record: ResourceRecord) -> list[CostLine]:
    shape = record.inputs.get("shapeConfig") or {}
    family = "e4" if "E4" in str(record.inputs.get("shape", "")) else "e5"
    return [
        _line(record, f"compute_{family}_ocpu", _number(shape.get("ocpus"), 1)),
        _line(record, f"compute_{family}_memory", _number(shape.get("memoryInGbs"), 16)),
    ]


def _db_system(record: ResourceRecord) -> list[CostLine]:
    nodes = _number(record.inputs.get("instanceCount"), 1)
    return [
        _line(record, "postgresql_ocpu", nodes * _number(record.inputs.get("instanceOcpuCount"), 2)),
        _line(record, "postgresql_memory", nodes * _number(record.inputs.get("instanceMemorySizeInGbs"), 32)),
        _line(record, "postgresql_storage", ASSUMED_INDEX_GB, hourly=False),
    ]


# The image archive and its DR replica, named by components/storage.py; other buckets (edge staging) hold
# transient data the lifecycle deletes, so they are not priced at the archive's volume.
ARCHIVE_BUCKET_SUFFIXES = ("-dicom", "-dicom-dr")


def _bucket(record: ResourceRecord) -> list[CostLine]:
    if not str(record.inputs.get("name", "")).endswith(ARCHIVE_BUCKET_SUFFIXES):
        return []
    return [_line(record, "object_storage", ASSUMED_STORED_TB * 1024, hourly=False)]


def _load_balancer(record: ResourceRecord) -> list[CostLine]:
    details = record.inputs.get("shapeDetails") or {}
    return [
        _line(record, "lb_base", 1),
        _line(record, "lb_bandwidth", _number(details.get("minimumBandwidthInMbps"), 10)),
    ]


def _node_pool(record: ResourceRecord) -> list[CostLine]:
    size = _number((record.inputs.get("nodeConfigDetails") or {}).get("size"), 1)
    shape = str(record.inputs.get("nodeShape", ""))
    if "GPU" in shape:
        gpus_per_node = shape.rsplit(".", 1)[-1]  # VM.GPU.A10.2 -> 2 GPUs
        return [_line(record, "gpu_a10", size * (int(gpus_per_node) if gpus_per_node.isdigit() else 1))]
    shape_config = record.inputs.get("nodeShapeConfig") or {}
    return [
        _line(record, "compute_e5_ocpu", size * _number(shape_config.get("ocpus"), 2)),
        _line(record, "compute_e5_memory", size * _number(shape_config.get("memoryInGbs"), 32)),
    ]


def _cluster(record: ResourceRecord) -> list[CostLine]:
    return [_line(record, "oke_enhanced", 1)] if record.inputs.get("type") == "ENHANCED_CLUSTER" else []


def _virtual_circuit(record: ResourceRecord) -> list[CostLine]:
    gbps = str(record.inputs.get("bandwidthShapeName", "1 Gbps")).split()[0]  # "10 Gbps" -> "10"
    price_key = f"fastconnect_{gbps}g"
    return [_line(record, price_key if price_key in PRICES else "fastconnect_1g", 1)]


def _notebook(record: ResourceRecord) -> list[CostLine]:
    details = record.inputs.get("notebookSessionConfigurationDetails") or {}
    shape = details.get("notebookSessionShapeConfigDetails") or {}
    # A notebook bills while it is active; the estimate assumes it is never deactivated.
    return [
        _line(record, "compute_e4_ocpu", _number(shape.get("ocpus"), 1)),
        _line(record, "compute_e4_memory", _number(shape.get("memoryInGbs"), 16)),
    ]


def _vault(record: ResourceRecord) -> list[CostLine]:
    return [_line(record, "vault_private", 1)] if record.inputs.get("vaultType") == "VIRTUAL_PRIVATE" else []


COSTED_TYPES: dict[str, Callable[[ResourceRecord], list[CostLine]]] = {
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


def estimate(records: Sequence[ResourceRecord]) -> dict[str, Any]:
    """The `cost` section of the JSON plan: currency, monthly total and one line per priced item."""
    lines = [line for record in records if record.type in COSTED_TYPES for line in COSTED_TYPES[record.type](record)]
    return {
        "currency": "USD",
        "monthly": round(sum(line.monthly for line in lines), 2),
        "assumptions": {"hoursPerMonth": HOURS_PER_MONTH, "storedTerabytes": ASSUMED_STORED_TB,
                        "indexGigabytes": ASSUMED_INDEX_GB,
                        "prices": "OCI pay-as-you-go list prices (2025); free: VCN, gateways, NSGs, "
                                  "Cloud Guard, Bastion, NLB, first 20 HSM key versions; "
                                  "not estimated: training job runs (billed per run hour)"},
        "lines": [asdict(line) for line in lines],
    }  # fmt: skip


def render_cost(cost: Mapping[str, Any]) -> str:
    """The cost section of the text report."""
    rows = [f"Estimated monthly cost: {cost['monthly']:,.2f} {cost['currency']} (list prices; see offline/cost.py)"]
    for line in sorted(cost["lines"], key=lambda item: -item["monthly"]):
        rows.append(
            f"  {line['monthly']:>10,.2f}  {line['item']} x {line['quantity']:g} {line['unit']}  "
            f"({line['urn'].rsplit('::', 1)[-1]})"
        )
    return "\n".join(rows)
