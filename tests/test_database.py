"""Database block: the recorded DB system, its Vault-generated password and configuration; sizing and config."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.config.schema import ConfigError, OrthancFleet, orthanc_fleet
from components.data.database import BackupCopy, Database, DatabaseArgs
from components.data.postgres_sizing import (
    ADMIN_HEADROOM_CONNECTIONS,
    POSTGRES_MAX_CONNECTIONS_CAP,
    configuration_shape,
    minimum_memory_gb,
    required_max_connections,
    shape_connection_limit,
)
from components.network.ports import POSTGRES_PORT
from components.scope import TierSubnet, VaultKey
from offline.policy_replay import replay
from offline.provider_outputs import created_state
from offline.report import plan_document
from policies.packs import PACKS
from tests.support import SCOPE, Recorded, record, spy_registrations, stack_config

NAME = "dicomstore-database"
REGION = "eu-frankfurt-1"
DATA = "ocid1.compartment.oc1..aaaaaaaadatacompartment000000000000000000000000000000000"
DB_SUBNET = "ocid1.subnet.oc1.eu-frankfurt-1.aaaaaaaadbsubnet0000000000000000000000000000000000000000"
DB_NSG = "ocid1.networksecuritygroup.oc1.eu-frankfurt-1.aaaaaaaadbnsg00000000000000000000000000000000000000"
VAULT = "ocid1.vault.oc1.eu-frankfurt-1.aaaaaaaavault000000000000000000000000000000000000000000"
MASTER_KEY = "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaamasterkey00000000000000000000000000000000000000"
DB_SYSTEM = "oci:Psql/dbSystem:DbSystem"


def run_database(
    replicas: int = 3, index_connections: int = 5, backup_copy: BackupCopy | None = None, **database: Any
) -> Recorded:
    """The Database block alone, with literal upstream outputs, under the recording mocks."""
    config = stack_config(database=database).database

    def program() -> None:
        block = Database(
            NAME,
            DatabaseArgs(
                config=config,
                scope=SCOPE,
                max_connections=required_max_connections(replicas, index_connections),
                compartment_id=DATA,
                subnet=TierSubnet(subnet_id=DB_SUBNET, nsg_id=DB_NSG),
                vault_key=VaultKey(vault_id=VAULT, key_id=MASTER_KEY),
                postgresql_dynamic_group_name="dicomstore-test-postgresql",
                backup_copy=backup_copy,
            ),
        )
        for output in ("db_system_id", "host", "database_name", "admin_username", "admin_password_secret_id"):
            pulumi.export(output, getattr(block, output))
        pulumi.export("port", block.port)
        pulumi.export("max_connections", block.max_connections)

    return record(program)


@pytest.fixture(scope="module")
def ha() -> Recorded:
    """Prod-like: two nodes, 35 days of backups, 3 Orthanc replicas x 5 connections."""
    return run_database(instanceCount=2, ocpus=4, memoryGb=64, backupRetentionDays=35)


@pytest.fixture(scope="module")
def single() -> Recorded:
    """Dev-like: one node."""
    return run_database(replicas=1)


def secret_id() -> str:
    return created_state("oci:Vault/secret:Secret", f"{NAME}-admin-password", {}, REGION)[0]


def test_db_system_is_private_in_the_db_subnet_with_the_db_nsg(ha: Recorded) -> None:
    db = ha.named(f"{NAME}-postgresql").inputs
    assert db["compartmentId"] == DATA
    network = db["networkDetails"]
    # The service has no public endpoint option: subnet, NSGs and the reader endpoint are all there is.
    assert network == {"subnetId": DB_SUBNET, "nsgIds": [DB_NSG], "isReaderEndpointEnabled": True}


def test_ha_sizing_comes_from_config(ha: Recorded, single: Recorded) -> None:
    db = ha.named(f"{NAME}-postgresql").inputs
    assert (db["instanceCount"], db["instanceOcpuCount"], db["instanceMemorySizeInGbs"]) == (2, 4, 64)
    assert db["shape"] == "PostgreSQL.VM.Standard.E5.Flex"
    assert db["dbVersion"] == "15"
    lone = single.named(f"{NAME}-postgresql").inputs
    assert lone["instanceCount"] == 1
    assert lone["networkDetails"]["isReaderEndpointEnabled"] is False


def test_storage_is_regional_and_encrypted_with_the_master_key(ha: Recorded) -> None:
    assert ha.named(f"{NAME}-postgresql").inputs["storageDetails"] == {
        "isRegionallyDurable": True,
        "systemType": "OCI_OPTIMIZED_STORAGE",
        "kmsKeyId": MASTER_KEY,
    }


def test_daily_backups_with_configured_retention(ha: Recorded, single: Recorded) -> None:
    policy = ha.named(f"{NAME}-postgresql").inputs["managementPolicy"]
    assert policy["backupPolicy"] == {"kind": "DAILY", "backupStart": "02:00", "retentionDays": 35}
    assert policy["maintenanceWindowStart"] == "SUN 03:00"
    assert single.named(f"{NAME}-postgresql").inputs["managementPolicy"]["backupPolicy"]["retentionDays"] == 7


def test_backups_stay_in_region_without_a_dr_region(ha: Recorded) -> None:
    assert "copyPolicy" not in ha.named(f"{NAME}-postgresql").inputs["managementPolicy"]["backupPolicy"]
    assert [p.name for p in ha.of_type("oci:Identity/policy:Policy")] == [f"{NAME}-admin-password-policy"]


def test_backups_are_copied_to_the_dr_region_with_its_key() -> None:
    dr_key = "ocid1.key.oc1.eu-amsterdam-1.aaaaaaaadrkey0000000000000000000000000000000000000000"
    recorded = run_database(backup_copy=BackupCopy("eu-amsterdam-1", dr_key), backupRetentionDays=35)
    db = recorded.named(f"{NAME}-postgresql")
    assert db.inputs["managementPolicy"]["backupPolicy"]["copyPolicy"] == {
        "compartmentId": DATA,
        "regions": ["eu-amsterdam-1"],
        "kmsKeyIds": [dr_key],
        "retentionPeriod": 35,
    }
    grant = recorded.named(f"{NAME}-backup-key-policy")
    assert grant.inputs["name"] == "dicomstore-test-postgresql-backup-copy"
    assert grant.inputs["statements"] == [
        f"Allow dynamic-group dicomstore-test-postgresql to use keys in compartment id {DATA} "
        f"where target.key.id = '{dr_key}'"
    ]
    # OCI checks the grant when it creates the DB system.
    assert grant.urn in db.dependencies


def test_postgresql_may_read_its_password_secret_and_no_other_before_the_db_system_exists(ha: Recorded) -> None:
    """OCI Database with PostgreSQL reads a VAULT_SECRET password with its resource principal when it creates
    the DB system; Vault's `target.secret.id` variable confines the grant to that secret (OCI "Details for the
    Vault Service": https://docs.oracle.com/en-us/iaas/Content/Identity/Reference/keypolicyreference.htm)."""
    grant = ha.named(f"{NAME}-admin-password-policy")
    assert grant.inputs["compartmentId"] == DATA
    assert grant.inputs["name"] == "dicomstore-test-postgresql-admin-password"
    assert grant.inputs["statements"] == [
        f"Allow dynamic-group dicomstore-test-postgresql to read secret-bundles in compartment id {DATA} "
        f"where target.secret.id = '{secret_id()}'"
    ]
    assert grant.urn in ha.named(f"{NAME}-postgresql").dependencies


def test_admin_password_is_a_vault_secret_reference(ha: Recorded) -> None:
    credentials = ha.named(f"{NAME}-postgresql").inputs["credentials"]
    assert credentials == {
        "username": "orthanc_admin",
        "passwordDetails": {"passwordType": "VAULT_SECRET", "secretId": secret_id(), "secretVersion": "1"},
    }


def test_a_new_password_version_does_not_replace_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    registered = spy_registrations(monkeypatch)
    run_database()
    assert registered[f"{NAME}-postgresql"].ignoreChanges == ["credentials"]


def test_password_is_generated_by_vault(ha: Recorded) -> None:
    secret = ha.named(f"{NAME}-admin-password").inputs
    assert secret["vaultId"] == VAULT
    assert secret["keyId"] == MASTER_KEY
    assert secret["compartmentId"] == DATA
    assert secret["enableAutoGeneration"] is True
    assert secret["secretGenerationContext"] == {
        "generationType": "PASSPHRASE",
        "generationTemplate": "DBAAS_DEFAULT_PASSWORD",
        "passphraseLength": 30,
    }
    assert "secretContent" not in secret


def test_no_password_anywhere_in_the_plan(ha: Recorded) -> None:
    document = plan_document(
        project="dicomstore", stack="test", records=ha.records, outputs=ha.outputs, policies={}, cost={}
    )
    text = json.dumps(document)
    assert '"password"' not in text
    assert "PLAIN_TEXT" not in text
    assert "[secret]" not in text  # nothing to redact: the password never reaches Pulumi


def test_stateful_resources_are_protected_and_retained(ha: Recorded) -> None:
    for role in ("postgresql", "admin-password"):
        resource = ha.named(f"{NAME}-{role}")
        assert (resource.protect, resource.retain_on_delete) == (True, True), resource.urn
    assert ha.named(NAME).type == "dicomstore:database:Database"
    assert {child.name for child in ha.children_of(ha.named(NAME))} == {
        f"{NAME}-postgresql",
        f"{NAME}-admin-password",
        f"{NAME}-admin-password-policy",
        f"{NAME}-configuration",
    }


def test_configuration_sizes_max_connections_for_the_fleet(ha: Recorded) -> None:
    configuration = ha.named(f"{NAME}-configuration")
    items = {
        item["configKey"]: item["overridenConfigValue"]
        for item in configuration.inputs["dbConfigurationOverrides"]["items"]
    }
    # 3 replicas + 1 rolling-update surge, 5 connections each, + 20 for administrators.
    # Also: a dead replica's idle transaction ends after five minutes; statements over a second are logged.
    assert items == {
        "max_connections": "40",
        "idle_in_transaction_session_timeout": "300000",
        "log_min_duration_statement": "1000",
    }
    assert configuration.inputs["shape"] == "VM.Standard.E5.Flex"
    assert configuration.inputs["isFlexible"] is True
    assert configuration.inputs["dbVersion"] == "15"
    db = ha.named(f"{NAME}-postgresql").inputs
    assert db["configId"] == created_state(configuration.type, configuration.name, {}, REGION)[0]


def test_max_connections_follows_the_orthanc_fleet() -> None:
    recorded = run_database(replicas=8, index_connections=10)
    items = recorded.named(f"{NAME}-configuration").inputs["dbConfigurationOverrides"]["items"]
    assert {"configKey": "max_connections", "overridenConfigValue": "110"} in items
    assert recorded.outputs["max_connections"] == 110


def test_outputs(ha: Recorded) -> None:
    outputs = ha.outputs
    db = ha.named(f"{NAME}-postgresql")
    state = created_state(DB_SYSTEM, db.name, db.inputs, REGION)
    assert outputs["db_system_id"] == state[0]
    assert outputs["host"] == state[1]["networkDetails"]["primaryDbEndpointPrivateIp"]
    assert outputs["port"] == POSTGRES_PORT == 5432
    assert outputs["database_name"] == "orthanc"
    assert outputs["admin_username"] == "orthanc_admin"
    assert outputs["admin_password_secret_id"] == secret_id()


# --- pure sizing ---------------------------------------------------------------------------------------------


def test_required_connections() -> None:
    assert required_max_connections(1, 5) == 2 * 5 + ADMIN_HEADROOM_CONNECTIONS
    assert required_max_connections(3, 5) == 40
    with pytest.raises(ValueError, match="at least 1"):
        required_max_connections(0, 5)


def test_shape_limit_and_minimum_memory() -> None:
    assert shape_connection_limit(16) == 256
    assert shape_connection_limit(32) == 512
    assert shape_connection_limit(1024) == POSTGRES_MAX_CONNECTIONS_CAP
    for connections in (1, 256, 257, 3120):
        memory = minimum_memory_gb(connections)
        assert shape_connection_limit(memory) >= connections > shape_connection_limit(memory - 1)


def test_configuration_shape() -> None:
    assert configuration_shape("PostgreSQL.VM.Standard.E5.Flex") == "VM.Standard.E5.Flex"
    assert configuration_shape("VM.Standard.E4.Flex") == "VM.Standard.E4.Flex"


# --- config rules --------------------------------------------------------------------------------------------


def test_fleet_too_big_for_the_database_memory_is_rejected() -> None:
    with pytest.raises(ConfigError) as error:
        stack_config(orthanc={"replicas": 30, "indexConnections": 20}, database={"memoryGb": 16})
    (problem,) = error.value.problems
    assert problem.key == "orthanc.replicas"
    assert problem.value == 30
    assert "needs 640 PostgreSQL connections" in problem.problem and "at most 256" in problem.problem
    assert f"database.memoryGb to at least {minimum_memory_gb(640)}" in problem.fix
    # The same fleet fits once the memory is raised as the fix says.
    stack_config(orthanc={"replicas": 30, "indexConnections": 20}, database={"memoryGb": minimum_memory_gb(640)})


def test_prod_without_standby_is_rejected() -> None:
    with pytest.raises(ConfigError) as error:
        stack_config(environment="prod", database={"instanceCount": 1})
    (problem,) = error.value.problems
    assert (problem.key, problem.value) == ("database.instanceCount", 1)
    assert "set 2 or more" in problem.fix
    stack_config(environment="prod", database={"instanceCount": 2})


def test_backup_retention_zero_is_rejected() -> None:
    with pytest.raises(ConfigError) as error:
        stack_config(database={"backupRetentionDays": 0})
    (problem,) = error.value.problems
    assert (problem.key, problem.value) == ("database.backupRetentionDays", 0)
    assert problem.fix == "use 1 or more"
    assert stack_config(database={"backupRetentionDays": 1}).database.backup_retention_days == 1


# --- the shipped stacks --------------------------------------------------------------------------------------


def recorded_id(plan: Recorded, name: str) -> str:
    """The id the offline provider gave the resource `name` of a planned stack."""
    resource = plan.named(name)
    return created_state(resource.type, resource.name, resource.inputs, REGION)[0]


def test_shipped_stacks_put_the_database_in_the_db_tier(dev_plan: Recorded, prod_plan: Recorded) -> None:
    for plan, nodes, retention in ((dev_plan, 1, 7), (prod_plan, 2, 35)):
        db = plan.named("dicomstore-database-postgresql").inputs
        assert db["compartmentId"] == recorded_id(plan, "dicomstore-identity-data")
        assert db["networkDetails"]["subnetId"] == recorded_id(plan, "dicomstore-network-db")
        assert db["networkDetails"]["nsgIds"] == [recorded_id(plan, "dicomstore-network-db-nsg")]
        assert db["networkDetails"]["isReaderEndpointEnabled"] is (nodes > 1)
        assert db["instanceCount"] == nodes
        assert db["storageDetails"]["kmsKeyId"] == recorded_id(plan, "dicomstore-security-key")
        assert db["managementPolicy"]["backupPolicy"]["retentionDays"] == retention
        secret = plan.named("dicomstore-database-admin-password").inputs
        assert secret["vaultId"] == recorded_id(plan, "dicomstore-security-vault")
        assert plan.outputs["database_port"] == POSTGRES_PORT


def test_prod_copies_backups_to_the_dr_region(dev_plan: Recorded, prod_plan: Recorded) -> None:
    copy = prod_plan.named("dicomstore-database-postgresql").inputs["managementPolicy"]["backupPolicy"]["copyPolicy"]
    assert copy["regions"] == ["eu-amsterdam-1"]
    assert copy["kmsKeyIds"] == [recorded_id(prod_plan, "dicomstore-security-dr-key")]
    assert (
        "copyPolicy" not in dev_plan.named("dicomstore-database-postgresql").inputs["managementPolicy"]["backupPolicy"]
    )


def test_prod_max_connections_is_computed_from_its_orthanc_fleet(prod_plan: Recorded) -> None:
    items = prod_plan.named("dicomstore-database-configuration").inputs["dbConfigurationOverrides"]["items"]
    # Pulumi.prod.yaml: the HPA's bound of 6 replicas + 1 rolling-update surge, x 5 index connections, + 20 for
    # administrators.
    assert {"configKey": "max_connections", "overridenConfigValue": "55"} in items


def test_database_passes_every_policy_of_the_pack(prod_plan: Recorded) -> None:
    ours = {record.urn for record in prod_plan if "dicomstore:database:Database" in record.urn}
    assert len(ours) == 6  # component, secret, its grant, configuration, DB system, DR key grant
    assert [result for result in replay(prod_plan.records, PACKS) if result.urn in ours] == []


def test_the_oke_autoscaler_bound_counts_for_the_database() -> None:
    fleet = {"runtime": "oke", "replicas": 3, "indexConnections": 20}
    deployers = {"deployerCidrs": ["10.0.8.0/24"]}  # the OKE runtime's `pulumi up` reaches the API from there
    with pytest.raises(ConfigError) as error:
        stack_config(orthanc=fleet, oke={"orthancMaxReplicas": 30}, database={"memoryGb": 16}, network=deployers)
    (problem,) = error.value.problems
    assert (problem.key, problem.value) == ("oke.orthancMaxReplicas", 30)
    assert "lower oke.orthancMaxReplicas" in problem.fix
    stack_config(orthanc=fleet, database={"memoryGb": 16}, network=deployers)  # 3 replicas alone fit


def test_the_autoscaler_bound_counts_only_when_orthanc_runs_on_oke() -> None:
    """One peak for the config check and the blocks: on Container Instances an `oke.orthancMaxReplicas` left in
    the stack file sizes nothing (DicomStore never runs an autoscaler there)."""
    fleet = {"replicas": 3, "indexConnections": 20}
    config = stack_config(orthanc=fleet, oke={"orthancMaxReplicas": 30}, database={"memoryGb": 16})
    assert config.orthanc.runtime == "container_instances"
    assert orthanc_fleet(config) == OrthancFleet(3, required_max_connections(3, 20))
