"""The alarm catalogue: which OCI Monitoring metric each alarm watches, its threshold and its runbook line.

Pure data and functions (no Pulumi runtime), so every query can be checked in a unit test. Each query is
OCI Monitoring Query Language, `Metric[interval]{dimension = "value"}.statistic() <op> threshold`
(docs.oracle.com/iaas/Content/Monitoring/Reference/mql.htm), on a namespace the service publishes. Metric and
dimension names are spelled exactly as each namespace's page lists them: the spelling differs between services
(`resourceId` almost everywhere, `resourceID` in Object Storage) and a filter on a misspelt dimension matches no
stream, so the alarm would never fire. Intervals are 1m or 5m, inside the 1m-60m an alarm query accepts
(terraform-provider-oci `oci_monitoring_alarm`, `query`).

* oci_lbaas — docs.oracle.com/iaas/Content/Balance/Reference/loadbalancermetrics.htm: UnHealthyBackendServers,
  HttpResponses5xx. The load balancer lives in the app compartment with no other: no dimension filter needed.
* oci_postgresql — docs.oracle.com/iaas/Content/postgresql/metrics.htm: CpuUtilization (percent),
  UsedStorage (GB), Connections (count); dimensions resourceId (the DB system), dbInstanceRole (whether the node
  is the primary or a read replica: `PRIMARY`) and dbInstanceId (the node).
* oci_objectstorage — docs.oracle.com/iaas/Content/Object/Reference/objectstoragemetrics.htm: ClientErrors
  (4xx, which includes 429 throttling), dimension resourceID (capital ID) = the bucket's OCID. The namespace
  documents no 5xx count; an Object Storage outage surfaces as Orthanc 5xx on the load balancer.
* oci_computecontainerinstance — docs.oracle.com/iaas/Content/container-instances/container-instance-metrics.htm:
  MemoryUtilization (percent) per container instance (dimension resourceId).
* oci_fastconnect — docs.oracle.com/iaas/Content/Network/Reference/fastconnectmetrics2.htm: ConnectionState
  (1 up, 0 down), resourceId = the virtual circuit. oci_vpn — docs.oracle.com/iaas/Content/Network/Reference/
  ipsecmetrics.htm ("Site-to-Site VPN Metrics"): TunnelState (1 up, 0 down) per tunnel (dimensions
  parentResourceId = the IPSec connection, publicIp = the tunnel); the network compartment holds only this
  stack's tunnels. Both queries are the ones of Oracle's landing-zone alarm set (oracle-quickstart CIS landing
  zone: `fast-connect-status-alarm`, `vpn-status-alarm`).

OKE publishes no pod-restart metric in `oci_oke` (its metrics are API server and node-level): on OKE the load
balancer's unhealthy-backend alarm is Orthanc's health signal (the backends are the node ports of the pods).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from components.config.schema import OpsConfig


class Severity(StrEnum):
    """OCI alarm severities (oci_monitoring_alarm `severity`)."""

    CRITICAL = "CRITICAL"
    ERROR = "ERROR"
    WARNING = "WARNING"


class MetricCompartment(StrEnum):
    """Which compartment holds the metric's resources."""

    APP = "app"
    DATA = "data"
    NETWORK = "network"


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: what it watches, when it fires, and what the person paged does first."""

    role: str
    namespace: str
    query: str
    metric_compartment: MetricCompartment
    severity: Severity
    summary: str
    runbook: str

    @property
    def body(self) -> str:
        """The notification text: severity, what happened, the runbook's first step."""
        return f"[{self.severity}] {self.summary}. Runbook: {self.runbook}"


@dataclass(frozen=True)
class AlarmTargets:
    """Identifiers the queries filter on, and which optional parts the stack has."""

    db_system_id: str
    bucket_id: str
    db_max_connections: int
    container_instances: bool
    virtual_circuit_id: str | None
    ipsec: bool


def mql(metric: str, interval: str, statistic: str, predicate: str, dimensions: dict[str, str] | None = None) -> str:
    """An MQL alarm query: `Metric[interval]{dim = "value", ...}.statistic() predicate`."""
    selector = ", ".join(f'{name} = "{value}"' for name, value in (dimensions or {}).items())
    streams = f"{metric}[{interval}]{{{selector}}}" if selector else f"{metric}[{interval}]"
    return f"{streams}.{statistic}() {predicate}"


def connection_threshold(max_connections: int, percent: int) -> int:
    """Connections that trigger the alarm: `percent` of max_connections, rounded down, at least 1."""
    return max(1, math.floor(max_connections * percent / 100))


def alarm_specs(config: OpsConfig, targets: AlarmTargets) -> list[AlarmSpec]:
    """Every alarm of the stack, from the thresholds in `ops.*` and what the stack deploys."""
    db = {"resourceId": targets.db_system_id}
    server_errors = config.lb_server_errors_per_minute
    specs = [
        AlarmSpec(
            "lb-unhealthy-backends", "oci_lbaas", mql("UnHealthyBackendServers", "1m", "max", "> 0"),
            MetricCompartment.APP, Severity.CRITICAL,
            "An Orthanc backend of the load balancer fails its health check (GET /system != 401)",
            "check the Orthanc replica's container/pod logs and restarts; the LB keeps serving from healthy replicas",
        ),
        AlarmSpec(
            "lb-5xx", "oci_lbaas", mql("HttpResponses5xx", "1m", "sum", f"> {server_errors}"), MetricCompartment.APP,
            Severity.ERROR, f"More than {server_errors} HTTP 5xx per minute from the load balancer",
            "read Orthanc's log for PostgreSQL or S3 errors; check the database and bucket alarms",
        ),
        AlarmSpec(
            "postgres-cpu", "oci_postgresql",
            mql("CpuUtilization", "5m", "mean", f"> {config.postgres_cpu_percent}",
                {**db, "dbInstanceRole": "PRIMARY"}),
            MetricCompartment.DATA, Severity.WARNING, f"PostgreSQL primary CPU above {config.postgres_cpu_percent} %",
            "look for long queries (pg_stat_activity); raise database.ocpus if the load is sustained",
        ),
        AlarmSpec(
            "postgres-storage", "oci_postgresql",
            mql("UsedStorage", "5m", "max", f"> {config.postgres_storage_used_gb}", db),
            MetricCompartment.DATA, Severity.WARNING,
            f"PostgreSQL uses more than {config.postgres_storage_used_gb} GB",
            "check the index's growth against the study count; raise ops.postgresStorageUsedGb if expected",
        ),
        AlarmSpec(
            "postgres-connections", "oci_postgresql",
            mql("Connections", "1m", "max",
                f"> {connection_threshold(targets.db_max_connections, config.postgres_connections_percent)}", db),
            MetricCompartment.DATA, Severity.ERROR,
            f"PostgreSQL connections above {config.postgres_connections_percent} % of max_connections "
            f"({targets.db_max_connections})",
            "count connections per client (pg_stat_activity); lower orthanc.indexConnections or replicas",
        ),
        AlarmSpec(
            "bucket-client-errors", "oci_objectstorage",
            mql("ClientErrors", "5m", "sum", f"> {config.bucket_client_errors_per_five_minutes}",
                # `resourceID`, not `resourceId`: docs.oracle.com/iaas/Content/Object/Reference/objectstoragemetrics.htm
                {"resourceID": targets.bucket_id}),
            MetricCompartment.DATA, Severity.ERROR,
            f"More than {config.bucket_client_errors_per_five_minutes} 4xx/429 answers from the DICOM bucket in 5 min",
            "429: Orthanc is throttled, lower ingest concurrency; 401/403: check the S3 customer secret key",
        ),
    ]  # fmt: skip
    if targets.container_instances:
        specs.append(
            AlarmSpec(
                "orthanc-memory", "oci_computecontainerinstance",
                mql("MemoryUtilization", "5m", "max", f"> {config.container_memory_percent}"), MetricCompartment.APP,
                Severity.WARNING,
                f"An Orthanc container instance uses more than {config.container_memory_percent} % memory",
                "check Orthanc's job and cache sizes; raise orthanc.memoryGb",
            )
        )  # fmt: skip
    if targets.virtual_circuit_id is not None:
        specs.append(
            AlarmSpec(
                "fastconnect-down", "oci_fastconnect",
                mql("ConnectionState", "1m", "mean", "== 0", {"resourceId": targets.virtual_circuit_id}),
                MetricCompartment.NETWORK, Severity.CRITICAL, "The FastConnect virtual circuit to the hospital is down",
                "traffic fails over to IPSec; open a ticket with the FastConnect partner and check BGP on the router",
            )
        )  # fmt: skip
    if targets.ipsec:
        specs.append(
            AlarmSpec(
                "ipsec-tunnel-down", "oci_vpn", mql("TunnelState", "1m", "mean", "== 0"), MetricCompartment.NETWORK,
                Severity.CRITICAL, "An IPSec tunnel to the hospital is down",
                "check the CPE's IKE/IPSec logs and the tunnel's status in the OCI console",
            )
        )  # fmt: skip
    return specs
