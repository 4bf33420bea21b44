"""The operations block: alarm queries, routing, backup events, budget, and the index-restore switch."""

from __future__ import annotations

import json
import re

import pytest

from components.config.schema import ConfigError, OpsConfig
from components.dicom_store import DicomStore, DicomStoreArgs
from components.ops.alarms import AlarmTargets, alarm_specs, connection_threshold, mql
from components.ops.budget import budget_rules
from offline.cost import estimate, stack_usage
from offline.engine import read_stack_settings
from offline.provider_outputs import created_state
from tests.support import PROJECT_DIR, Recorded, record, stack_config

ALARM = "oci:Monitoring/alarm:Alarm"
BACKUP_OCID = "ocid1.postgresqlbackup.oc1.eu-frankfurt-1.aaaaaaaarestoretest000000000000000000000000000000000"
# `Metric[interval]{dim = "value", ...}.statistic() <op> number` (docs.oracle.com Monitoring Query Language).
MQL_ALARM = re.compile(
    r'^[A-Za-z0-9]+\[[0-9]+m\](\{[A-Za-z]+ = "[^"]+"(, [A-Za-z]+ = "[^"]+")*\})?'
    r"\.(mean|max|min|sum|count|rate)\(\) (>|<|>=|<=|==) [0-9]+$"
)
PUBLISHED_METRICS = {  # namespace -> metrics its OCI "... Metrics" page lists (cited in components/ops/alarms.py)
    "oci_lbaas": {"UnHealthyBackendServers", "HttpResponses5xx"},
    "oci_postgresql": {"CpuUtilization", "UsedStorage", "Connections"},
    "oci_objectstorage": {"ClientErrors"},
    "oci_computecontainerinstance": {"MemoryUtilization"},
    "oci_fastconnect": {"ConnectionState"},
    "oci_vpn": {"TunnelState"},
}


def _targets(**overrides: object) -> AlarmTargets:
    values: dict[str, object] = dict(
        db_system_id="ocid1.postgresqldbsystem.oc1..db", bucket_id="ocid1.bucket.oc1..b", db_max_connections=33,
        container_instances=True, virtual_circuit_id="ocid1.virtualcircuit.oc1..vc", ipsec=True,
    )  # fmt: skip
    values.update(overrides)
    return AlarmTargets(**values)  # type: ignore[arg-type]


def test_mql_with_and_without_dimensions() -> None:
    assert mql("TunnelState", "1m", "mean", "== 0") == "TunnelState[1m].mean() == 0"
    assert (
        mql("Connections", "1m", "max", "> 26", {"resourceId": "ocid1.x", "dbInstanceRole": "PRIMARY"})
        == 'Connections[1m]{resourceId = "ocid1.x", dbInstanceRole = "PRIMARY"}.max() > 26'
    )


@pytest.mark.parametrize(("max_connections", "percent", "expected"), [(33, 80, 26), (100, 80, 80), (1, 10, 1)])
def test_connection_threshold_is_a_share_of_max_connections(max_connections: int, percent: int, expected: int) -> None:
    assert connection_threshold(max_connections, percent) == expected


def test_every_query_is_mql_on_a_published_metric_with_a_runbook() -> None:
    specs = alarm_specs(OpsConfig(), _targets())
    assert len({spec.role for spec in specs}) == len(specs) == 9
    for spec in specs:
        assert MQL_ALARM.match(spec.query), spec.query
        assert spec.query.split("[")[0] in PUBLISHED_METRICS[spec.namespace], spec
        assert spec.body.startswith(f"[{spec.severity}] ") and "Runbook: " in spec.body


# Every query with the default thresholds, spelled as each namespace's OCI metrics page spells its metric and
# dimension names (cited in components/ops/alarms.py). MQL dimension names are case-sensitive: Object Storage's
# bucket dimension is `resourceID`, the others' `resourceId`.
DOCUMENTED_QUERIES = {
    "lb-unhealthy-backends": "UnHealthyBackendServers[1m].max() > 0",
    "lb-5xx": "HttpResponses5xx[1m].sum() > 10",
    "postgres-cpu": 'CpuUtilization[5m]{resourceId = "ocid1.postgresqldbsystem.oc1..db", dbInstanceRole = "PRIMARY"}'
    ".mean() > 80",
    "postgres-storage": 'UsedStorage[5m]{resourceId = "ocid1.postgresqldbsystem.oc1..db"}.max() > 200',
    "postgres-connections": 'Connections[1m]{resourceId = "ocid1.postgresqldbsystem.oc1..db"}.max() > 26',
    "bucket-client-errors": 'ClientErrors[5m]{resourceID = "ocid1.bucket.oc1..b"}.sum() > 100',
    "orthanc-memory": "MemoryUtilization[5m].max() > 90",
    "fastconnect-down": 'ConnectionState[1m]{resourceId = "ocid1.virtualcircuit.oc1..vc"}.mean() == 0',
    "ipsec-tunnel-down": "TunnelState[1m].mean() == 0",
}


def test_every_query_is_spelled_as_oci_documents_it() -> None:
    assert {spec.role: spec.query for spec in alarm_specs(OpsConfig(), _targets())} == DOCUMENTED_QUERIES


def test_thresholds_come_from_config() -> None:
    config = OpsConfig(lb_server_errors_per_minute=42, postgres_cpu_percent=65, postgres_connections_percent=50)
    queries = {spec.role: spec.query for spec in alarm_specs(config, _targets(db_max_connections=40))}
    assert queries["lb-5xx"] == "HttpResponses5xx[1m].sum() > 42"
    assert queries["postgres-cpu"].endswith(".mean() > 65")
    assert queries["postgres-connections"] == (
        'Connections[1m]{resourceId = "ocid1.postgresqldbsystem.oc1..db"}.max() > 20'
    )


def test_optional_parts_add_their_alarms() -> None:
    roles = {spec.role for spec in alarm_specs(OpsConfig(), _targets(
        container_instances=False, virtual_circuit_id=None, ipsec=False))}  # fmt: skip
    assert not roles & {"orthanc-memory", "fastconnect-down", "ipsec-tunnel-down"}
    assert {"lb-unhealthy-backends", "postgres-connections", "bucket-client-errors"} <= roles


def _alarms(plan: Recorded) -> dict[str, dict[str, object]]:
    return {record.name.removeprefix("dicomstore-ops-"): record.inputs for record in plan.of_type(ALARM)}


def test_dev_alarms_route_to_the_operations_topic(dev_plan: Recorded) -> None:
    alarms = _alarms(dev_plan)
    assert set(alarms) == {"lb-unhealthy-backends", "lb-5xx", "postgres-cpu", "postgres-storage",
                           "postgres-connections", "bucket-client-errors", "orthanc-memory"}  # fmt: skip
    compartments = {
        c.inputs["name"].rsplit("-", 1)[-1]: c for c in dev_plan.of_type("oci:Identity/compartment:Compartment")
    }
    topic = dev_plan.named("dicomstore-ops-topic")
    assert topic.inputs["compartmentId"] == alarms["lb-5xx"]["compartmentId"]
    for role, inputs in alarms.items():
        assert len(inputs["destinations"]) == 1, role  # type: ignore[arg-type]
        assert inputs["messageFormat"] == "ONS_OPTIMIZED" and inputs["pendingDuration"] == "PT5M", role
        assert MQL_ALARM.match(str(inputs["query"])), inputs["query"]
    # The database and bucket alarms evaluate the data compartment, the load balancer's the app compartment.
    assert alarms["postgres-cpu"]["metricCompartmentId"] == alarms["bucket-client-errors"]["metricCompartmentId"]
    assert len(compartments) == 3
    (load_balancer,) = dev_plan.of_type("oci:LoadBalancer/loadBalancer:LoadBalancer")
    db_system = dev_plan.named("dicomstore-database-postgresql")
    assert topic.inputs["compartmentId"] == load_balancer.inputs["compartmentId"]  # the app compartment
    assert alarms["lb-5xx"]["metricCompartmentId"] == load_balancer.inputs["compartmentId"]
    assert alarms["postgres-cpu"]["metricCompartmentId"] == db_system.inputs["compartmentId"]


def test_bucket_alarm_filters_on_the_dicom_bucket_with_object_storage_spelling(dev_plan: Recorded) -> None:
    bucket = dev_plan.named("dicomstore-storage-bucket")
    region = read_stack_settings(PROJECT_DIR, "dev").config["oci:region"]
    bucket_id, _ = created_state(bucket.type, bucket.name, bucket.inputs, region)  # the id the mocks gave it
    query = _alarms(dev_plan)["bucket-client-errors"]["query"]
    assert query == f'ClientErrors[5m]{{resourceID = "{bucket_id}"}}.sum() > 100'


def test_connection_alarm_uses_the_configured_max_connections(dev_plan: Recorded) -> None:
    overrides = dev_plan.named("dicomstore-database-configuration").inputs["dbConfigurationOverrides"]["items"]
    max_connections = int(next(i["overridenConfigValue"] for i in overrides if i["configKey"] == "max_connections"))
    query = str(_alarms(dev_plan)["postgres-connections"]["query"])
    assert query.endswith(f".max() > {connection_threshold(max_connections, OpsConfig().postgres_connections_percent)}")


def test_prod_watches_fastconnect_and_ipsec_and_not_container_instances(prod_plan: Recorded) -> None:
    alarms = _alarms(prod_plan)
    assert str(alarms["fastconnect-down"]["query"]).startswith("ConnectionState[1m]{resourceId = ")
    assert alarms["fastconnect-down"]["severity"] == "CRITICAL"
    assert alarms["fastconnect-down"]["repeatNotificationDuration"] == "PT4H"
    assert alarms["ipsec-tunnel-down"]["query"] == "TunnelState[1m].mean() == 0"
    assert "orthanc-memory" not in alarms


def test_prod_operations_topic_mails_the_configured_people(prod_plan: Recorded) -> None:
    subscriptions = [r for r in prod_plan.of_type("oci:Ons/subscription:Subscription") if "ops-email" in r.name]
    assert [(s.inputs["protocol"], s.inputs["endpoint"]) for s in subscriptions] == [
        ("EMAIL", "secops@hospital.example")
    ]


def test_every_finished_database_backup_is_announced(dev_plan: Recorded) -> None:
    rule = dev_plan.named("dicomstore-ops-database-backups")
    assert json.loads(rule.inputs["condition"]) == {"eventType": ["com.oraclecloud.postgresql.createbackup.end"]}
    (action,) = rule.inputs["actions"]["action"]
    assert action["actionType"] == "ONS" and action["isEnabled"] is True
    grant = dev_plan.named("dicomstore-ops-events-policy")
    assert grant.urn in rule.dependencies
    assert grant.inputs["statements"][0].startswith("Allow service cloudEvents to use ons-topics in compartment id ")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_budget_targets_the_stack_compartments_with_four_rules(stack: str, request: pytest.FixtureRequest) -> None:
    """One target only (terraform-provider-oci r/budget_budget: targets "should contain EXACT ONE item"): the
    parent compartment, under which every compartment of the stack lives."""
    plan: Recorded = request.getfixturevalue(f"{stack}_plan")
    budget = plan.named("dicomstore-ops-budget")
    assert budget.inputs["compartmentId"].startswith("ocid1.tenancy.")
    assert budget.inputs["targetType"] == "COMPARTMENT" and budget.inputs["resetPeriod"] == "MONTHLY"
    compartments = plan.of_type("oci:Identity/compartment:Compartment")
    (parent,) = {compartment.inputs["compartmentId"] for compartment in compartments}
    assert budget.inputs["targets"] == [parent] and len(compartments) >= 3
    rules = sorted((r.inputs["type"], r.inputs["threshold"]) for r in plan.children_of(budget))
    assert rules == [("ACTUAL", 80), ("ACTUAL", 100), ("FORECAST", 80), ("FORECAST", 100)]
    assert {r.name for r in plan.children_of(budget)} == {f"dicomstore-ops-budget-{r.name}" for r in budget_rules()}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_budgets_cover_the_cost_estimate_with_headroom(stack: str, request: pytest.FixtureRequest) -> None:
    """The amount is the plan's estimate (with the stack's own usage assumptions, as `make plan` prints it) plus
    10-100 % headroom: it neither fires every month nor never."""
    plan: Recorded = request.getfixturevalue(f"{stack}_plan")
    monthly = estimate(plan.records, stack_usage(read_stack_settings(PROJECT_DIR, stack).config))["monthly"]
    amount = plan.named("dicomstore-ops-budget").inputs["amount"]
    assert 1.1 * monthly <= amount <= 2 * monthly, (amount, monthly)


def test_restore_backup_must_be_a_postgresql_backup_ocid() -> None:
    with pytest.raises(ConfigError, match=r"ops.restoreFromBackupOcid = 'ocid1.bucket.*is the OCID of a bucket"):
        stack_config(ops={"restoreFromBackupOcid": "ocid1.bucket.oc1.eu-frankfurt-1.aaaaaaaabucket0000000000000000"})


def test_restore_creates_a_db_system_from_the_backup_and_repoints_orthanc() -> None:
    config = stack_config(ops={"restoreFromBackupOcid": BACKUP_OCID})
    plan = record(lambda: DicomStore("dicomstore", DicomStoreArgs(config=config, name_prefix="dicomstore-test")))
    restored = plan.named("dicomstore-restored-database-postgresql")
    assert restored.inputs["source"] == {"sourceType": "BACKUP", "backupId": BACKUP_OCID}
    assert "credentials" not in restored.inputs  # roles and passwords come from the backup
    assert restored.protect and restored.retain_on_delete
    original = plan.named("dicomstore-database-postgresql")
    assert restored.inputs["configId"] == original.inputs["configId"]  # max_connections sized for the fleet
    assert restored.inputs["managementPolicy"]["backupPolicy"]["kind"] == "DAILY"
    assert original.protect and original.retain_on_delete  # kept, never replaced by the restore
    # Orthanc's container reads the restored system's endpoint: the instance depends on it, not on the original.
    (instance,) = plan.of_type("oci:ContainerEngine/containerInstance:ContainerInstance")
    assert restored.urn in instance.dependencies and original.urn not in instance.dependencies
    assert plan.named("dicomstore-ops-postgres-cpu").dependencies.count(restored.urn) == 1


def test_oke_workers_ship_the_namespace_container_logs(prod_plan: Recorded) -> None:
    agent = prod_plan.named("dicomstore-container-logs-agent")
    (source,) = agent.inputs["serviceConfiguration"]["sources"]
    assert source["sourceType"] == "LOG_TAIL" and source["paths"] == ["/var/log/containers/*_dicomstore_*.log"]
    assert agent.inputs["serviceConfiguration"]["configurationType"] == "LOGGING"
    log = prod_plan.named("dicomstore-container-logs-log")
    assert log.inputs["logType"] == "CUSTOM" and log.inputs["retentionDuration"] % 30 == 0
    workers = prod_plan.named("dicomstore-container-logs-workers")
    (load_balancer,) = prod_plan.of_type("oci:LoadBalancer/loadBalancer:LoadBalancer")
    assert (
        workers.inputs["matchingRule"] == f"ALL {{instance.compartment.id = '{load_balancer.inputs['compartmentId']}'}}"
    )
    grant = prod_plan.named("dicomstore-container-logs-policy")
    assert grant.inputs["statements"] == [
        f"Allow dynamic-group dicomstore-prod-oke-log-agents to use log-content in compartment id "
        f"{prod_plan.named('dicomstore-database-postgresql').inputs['compartmentId']}"
    ]
    assert grant.urn in agent.dependencies


def test_container_instances_have_no_log_agent(dev_plan: Recorded) -> None:
    assert not dev_plan.of_type("oci:Logging/unifiedAgentConfiguration:UnifiedAgentConfiguration")
