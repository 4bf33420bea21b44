"""Orthanc on Container Instances: placement and secret-fetch logic (pure), config rules, and the registered
resources under mocks (spread, network, image, config volume, no secret values, health checks, load balancer)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from components.config.schema import ConfigError, OrthancConfig
from components.data.database_bootstrap import ADMIN_PASSWORD_FILE, DatabaseBootstrap, render_bootstrap_script
from components.orthanc.container_instances import (
    ContainerInstances,
    ContainerInstancesArgs,
    bootstrap_command,
    fetcher_command,
    orthanc_command,
)
from components.orthanc.orthanc_config import (
    ObjectStorageEndpoint,
    PostgresEndpoint,
    render_orthanc_config,
    rollover_password_env_var,
    user_password_env_var,
)
from components.orthanc.orthanc_runtime import IMAGE_COMMAND, OrthancDataTier, OrthancIndex, orthanc_settings
from components.orthanc.placement import placement
from components.orthanc.secret_fetch import (
    READY_MARKER,
    WAIT_FOR_SECRETS_SECONDS,
    fetcher_environment,
    secret_ocid_env_var,
    wait_for_secrets,
)
from components.orthanc.service import OrthancService
from components.scope import TierSubnet
from offline.invokes import answer_invoke
from offline.provider_outputs import created_state
from offline.records import ResourceRecord
from offline.redact import is_secret
from tests.orthanc_inputs import (
    ACCESS_KEY_ID,
    BOOTSTRAP_IMAGE,
    COMPARTMENT,
    DB_ADMIN_PASSWORD_SECRET,
    DB_HOST,
    LB_NSG,
    REGION,
    S3_SECRET_KEY_SECRET,
    ocid,
    orthanc_service_args,
)
from tests.support import SCOPE, Recorded, record, stack_config

OCID = re.compile(r"^ocid1\.[a-z0-9]+\.oc1\.[a-z0-9-]*\.[a-z0-9]+$")
APP_SUBNET, APP_NSG = ocid("subnet", "app"), ocid("networksecuritygroup", "app")
APP_TIER = TierSubnet(APP_SUBNET, APP_NSG)
CERTIFICATE = ocid("certificate", "hospital")

CONTAINER_INSTANCE = "oci:ContainerEngine/containerInstance:ContainerInstance"
LB_BACKEND = "oci:LoadBalancer/backend:Backend"


TWO_ROLES = {"admin": "administrator", "radiologist": "reader"}


def orthanc_section(**overrides: Any) -> OrthancConfig:
    return stack_config(orthanc={"certificateOcid": CERTIFICATE, **overrides}).orthanc


def planned(config: OrthancConfig) -> Recorded:
    """The OrthancService placing Orthanc on Container Instances, with literal upstream outputs."""

    def place(name: str, data: OrthancDataTier, opts: pulumi.ResourceOptions) -> ContainerInstances:
        return ContainerInstances(
            name,
            ContainerInstancesArgs(config=config, scope=SCOPE, compartment_id=COMPARTMENT, subnet=APP_TIER, data=data),
            opts,
        )

    def program() -> None:
        orthanc = OrthancService("orthanc", orthanc_service_args(config, place))
        pulumi.export("dicomweb_url", orthanc.dicomweb_url)
        pulumi.export("dicom_host", orthanc.dicom_host)
        pulumi.export("dicom_port", orthanc.dicom_port)
        pulumi.export("dicom_aet", orthanc.dicom_aet)

    return record(program)


@pytest.fixture(scope="module")
def three_replicas() -> Recorded:
    return planned(orthanc_section(replicas=3, users=["admin", "radiologist"], userRoles=TWO_ROLES))


def containers(instance: ResourceRecord) -> dict[str, dict[str, Any]]:
    return {container["displayName"]: container for container in instance.inputs["containers"]}


def config_files(instance: ResourceRecord) -> dict[str, str]:
    """File name -> decoded content of the replica's one CONFIGFILE volume."""
    (volume,) = [v for v in instance.inputs["volumes"] if v["volumeType"] == "CONFIGFILE"]
    return {file["fileName"]: base64.b64decode(file["data"]).decode() for file in volume["configs"]}


def rendered_config(instance: ResourceRecord) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(config_files(instance)["dicomstore.json"])
    return parsed


def strings(value: Any) -> Iterator[str]:
    """Every string inside a recorded value (secrets included, unwrapped)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


# --- placement (pure) --------------------------------------------------------------------------------------


def test_three_ads_three_replicas_use_different_ads_and_fault_domains() -> None:
    spots = [placement(i, 3, 3) for i in range(3)]
    assert len({s.availability_domain for s in spots}) == 3
    assert len({s.fault_domain for s in spots}) == 3


@pytest.mark.parametrize(("ads", "fds"), [(1, 3), (2, 3), (3, 3), (3, 2)])
def test_no_ad_fd_pair_repeats_before_all_are_used(ads: int, fds: int) -> None:
    pairs = [(p.availability_domain, p.fault_domain) for p in (placement(i, ads, fds) for i in range(ads * fds))]
    assert len(set(pairs)) == ads * fds
    assert placement(ads * fds, ads, fds) == placement(0, ads, fds)


def test_one_ad_region_spreads_over_fault_domains() -> None:
    assert [placement(i, 1, 3).fault_domain for i in range(3)] == [0, 1, 2]


def test_placement_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="at least one of each"):
        placement(0, 0, 3)
    with pytest.raises(ValueError, match="start at 0"):
        placement(-1, 3, 3)


# --- secret fetch (pure) -----------------------------------------------------------------------------------


def _rendered(users: tuple[str, ...] = ("admin",)) -> Any:
    return render_orthanc_config(
        orthanc_settings(orthanc_section(users=list(users), userRoles=dict.fromkeys(users, "administrator")), 0),
        PostgresEndpoint(host=DB_HOST),
        ObjectStorageEndpoint(namespace="axoffline1234", region=REGION, bucket="b"),
    )


def test_fetch_script_fetches_every_secret_file_with_the_resource_principal_then_marks_ready() -> None:
    rendered = _rendered(("admin", "radiologist"))
    command = fetcher_command(rendered)
    assert command[:2] == ["/bin/sh", "-c"]
    script = command[2]
    assert "--auth resource_principal" in script and "umask 077" in script
    for secret in rendered.secret_files:
        assert f'fetch "${secret_ocid_env_var(secret)}" {secret.path}' in script
    assert script.rstrip().endswith(f"touch /run/secrets/{READY_MARKER}")
    assert script.index("fetch() {") < script.index("touch ")


def test_fetcher_environment_maps_each_file_to_its_secret_ocid_and_refuses_gaps() -> None:
    rendered = _rendered()
    ids = {secret.env_var: ocid("vaultsecret", secret.env_var.lower()) for secret in rendered.secret_files}
    environment = fetcher_environment(rendered.secret_files, ids)
    assert environment["ORTHANC_DB_PASSWORD_SECRET_OCID"] == ids["ORTHANC_DB_PASSWORD"]
    assert len(environment) == len(rendered.secret_files)
    missing = {k: v for k, v in ids.items() if k != "ORTHANC_S3_SECRET_KEY"}
    with pytest.raises(ValueError, match=r"without a Vault secret: \['ORTHANC_S3_SECRET_KEY'\]"):
        fetcher_environment(rendered.secret_files, missing)
    with pytest.raises(ValueError, match=r"for no file: \['STRAY'\]"):
        fetcher_environment(rendered.secret_files, {**ids, "STRAY": "x"})


def _bootstrap(rendered: Any) -> DatabaseBootstrap:
    return DatabaseBootstrap(
        host=DB_HOST,
        admin_username="orthanc_admin",
        role="orthanc",
        database="orthanc",
        role_password_file=rendered.secret_files[0],
    )


def test_orthanc_waits_for_the_database_bootstrap_then_runs_the_image_entrypoint() -> None:
    rendered = _rendered()
    command = orthanc_command(rendered, _bootstrap(rendered))
    assert command[:2] == ["/bin/sh", "-c"] and command[-2:] == list(IMAGE_COMMAND)
    script = command[2]
    assert script.startswith("waited=0\nwhile [ ! -e /run/bootstrap/done ]; do")
    assert script.endswith(rendered.entrypoint)
    # The bootstrap itself may wait for the secrets and then retry: Orthanc allows for both.
    assert f"-ge {WAIT_FOR_SECRETS_SECONDS + _bootstrap(rendered).timeout_seconds} ]" in script


def test_bootstrap_waits_for_the_secrets_then_runs_the_rendered_bootstrap() -> None:
    rendered = _rendered()
    command = bootstrap_command(rendered, _bootstrap(rendered))
    assert command[:2] == ["/bin/sh", "-c"]
    assert command[2] == wait_for_secrets(rendered.secret_files) + render_bootstrap_script(_bootstrap(rendered))
    assert f"/run/secrets/{READY_MARKER}" in command[2]


def test_fetch_script_writes_extra_files_first_and_marks_ready_in_orthancs_directory() -> None:
    rendered = _rendered()
    script = fetcher_command(rendered)[2]
    admin = script.index(f'fetch "$DB_ADMIN_PASSWORD_SECRET_OCID" {ADMIN_PASSWORD_FILE.path}')
    assert admin < script.index("/run/secrets/orthanc-db-password")
    assert script.rstrip().endswith(f"touch /run/secrets/{READY_MARKER}")


# --- config rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orthanc", "message"),
    [
        (
            {"ocpus": 1, "memoryGb": 65},
            r"orthanc.memoryGb = 65: is outside what CI.Standard.E4.Flex allows .*: 1-64 GB\)\. Fix: set orthanc.memoryGb between 1 and 64",
        ),
        ({"ocpus": 4, "memoryGb": 2}, r"orthanc.memoryGb = 2: .*4-256 GB"),
        (
            {"shape": "CI.Standard.A9.Flex"},
            r"orthanc.shape = 'CI.Standard.A9.Flex': is not a Container Instances flexible shape",
        ),
        (
            {"secretFetcherImage": "ghcr.io/oracle/oci-cli:latest"},
            r"orthanc.secretFetcherImage = 'ghcr.io/oracle/oci-cli:latest': is not pinned",
        ),
    ],
)
def test_bad_orthanc_config_is_rejected_with_key_value_and_fix(orthanc: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        stack_config(orthanc=orthanc)
    (problem,) = error.value.problems
    assert problem.fix, str(problem)
    assert ". Fix: " in str(problem)


def test_memory_rule_accepts_both_bounds() -> None:
    assert stack_config(orthanc={"ocpus": 2, "memoryGb": 128}).orthanc.memory_gb == 128
    assert stack_config(orthanc={"ocpus": 2, "memoryGb": 2}).orthanc.memory_gb == 2


# --- resources ---------------------------------------------------------------------------------------------


def test_replicas_are_spread_over_the_regions_ads_and_fault_domains(three_replicas: Recorded) -> None:
    instances = three_replicas.of_type(CONTAINER_INSTANCE)
    assert len(instances) == 3
    ads = answer_invoke("oci:Identity/getAvailabilityDomains:getAvailabilityDomains", {}, REGION)
    names = {ad["name"] for ad in ads["availabilityDomains"]}
    assert {i.inputs["availabilityDomain"] for i in instances} == names
    assert len({i.inputs["faultDomain"] for i in instances}) == 3
    assert all(i.inputs["faultDomain"].startswith("FAULT-DOMAIN-") for i in instances)


def test_single_replica_lands_in_the_first_ad_and_fault_domain() -> None:
    (instance,) = planned(orthanc_section()).of_type(CONTAINER_INSTANCE)
    assert instance.inputs["availabilityDomain"].endswith("-AD-1")
    assert instance.inputs["faultDomain"] == "FAULT-DOMAIN-1"


def test_app_subnet_orthanc_nsg_and_no_public_ip(three_replicas: Recorded) -> None:
    instances = three_replicas.of_type(CONTAINER_INSTANCE)
    assert len(instances) == 3
    for instance in instances:
        (vnic,) = instance.inputs["vnics"]
        assert vnic["isPublicIpAssigned"] is False
        assert vnic["subnetId"] == APP_SUBNET
        assert vnic["nsgIds"] == [APP_NSG]
        assert instance.inputs["compartmentId"] == COMPARTMENT


def test_pinned_images_and_shape_from_config() -> None:
    config = orthanc_section(ocpus=2, memoryGb=16, image="fra.ocir.io/hospital/orthanc:25.1.1")
    (instance,) = planned(config).of_type(CONTAINER_INSTANCE)
    assert instance.inputs["shape"] == "CI.Standard.E4.Flex"
    assert instance.inputs["shapeConfig"] == {"ocpus": 2, "memoryInGbs": 16}
    images = {name: c["imageUrl"] for name, c in containers(instance).items()}
    assert images == {
        "orthanc": "fra.ocir.io/hospital/orthanc:25.1.1",
        "secret-fetcher": config.secret_fetcher_image,
        "db-bootstrap": BOOTSTRAP_IMAGE,
    }


def test_rendered_config_is_a_configfile_volume_per_replica(three_replicas: Recorded) -> None:
    identifiers = set()
    for instance in three_replicas.of_type(CONTAINER_INSTANCE):
        config = rendered_config(instance)
        identifiers.add(config["DatabaseServerIdentifier"])
        assert config["PostgreSQL"]["Host"] == DB_HOST and config["PostgreSQL"]["Lock"] is False
        assert config["AwsS3Storage"]["BucketName"] == "dicomstore-test-dicom"
        assert config["SaveJobs"] is False
        mounts = {m["volumeName"]: m for m in containers(instance)["orthanc"]["volumeMounts"]}
        assert mounts["orthanc-config"] == {
            "volumeName": "orthanc-config",
            "mountPath": "/etc/orthanc",
            "isReadOnly": True,
        }
        files = config_files(instance)
        assert sorted(files) == ["access-control.lua", "dicomstore.json"]
        # The config loads the role filter from the same mounted directory.
        assert config["LuaScripts"] == ["/etc/orthanc/access-control.lua"]
        assert '["radiologist"] = "reader"' in files["access-control.lua"]
    assert len(identifiers) == 3


def test_config_references_secrets_and_the_secrets_volume_is_in_memory(three_replicas: Recorded) -> None:
    instance = three_replicas.of_type(CONTAINER_INSTANCE)[0]
    config = rendered_config(instance)
    assert config["PostgreSQL"]["Password"] == "${ORTHANC_DB_PASSWORD}"
    assert (config["AwsS3Storage"]["AccessKey"], config["AwsS3Storage"]["SecretKey"]) == (
        "${ORTHANC_S3_ACCESS_KEY}",
        "${ORTHANC_S3_SECRET_KEY}",
    )
    assert config["RegisteredUsers"] == {u: "${" + user_password_env_var(u) + "}" for u in ("admin", "radiologist")}
    memory = {v["name"]: v["backingStore"] for v in instance.inputs["volumes"] if v["volumeType"] == "EMPTYDIR"}
    assert memory == {"orthanc-secrets": "MEMORY", "db-admin-secrets": "MEMORY", "db-bootstrap": "MEMORY"}


def test_no_secret_value_in_any_container_definition(three_replicas: Recorded) -> None:
    # The only secret value the program ever holds is the S3 access key id (generated passwords never reach
    # Pulumi); it is in the Vault secret, and in no container instance, not even as a secret-wrapped input.
    vault_secrets = three_replicas.of_type("oci:Vault/secret:Secret")
    assert any(
        ACCESS_KEY_ID in base64.b64decode(s).decode()
        for r in vault_secrets
        for s in strings(r.inputs)
        if s.endswith("=")
    )
    instances = three_replicas.of_type(CONTAINER_INSTANCE)
    assert len(instances) == 3
    for instance in instances:
        everything = list(strings(instance.inputs))
        assert not any(ACCESS_KEY_ID in s for s in everything)
        assert not any(
            ACCESS_KEY_ID in base64.b64decode(s + "==").decode(errors="ignore")
            for s in everything
            if re.fullmatch(r"[A-Za-z0-9+/=]{16,}", s)
        )
        assert not any(is_secret(v) for c in instance.inputs["containers"] for v in c.values())
        environments = {c["displayName"]: c.get("environmentVariables") or {} for c in instance.inputs["containers"]}
        # Only the fetcher has an environment: one Vault secret OCID per secret file it writes.
        assert {name for name, environment in environments.items() if environment} == {"secret-fetcher"}
        assert len(environments["secret-fetcher"]) == 6
        for name, value in environments["secret-fetcher"].items():
            assert name.endswith("_SECRET_OCID") and OCID.match(value), (name, value)


def test_fetcher_has_the_resource_principal_and_reads_every_secret_orthanc_needs(three_replicas: Recorded) -> None:
    instance = three_replicas.of_type(CONTAINER_INSTANCE)[0]
    fetcher, orthanc = containers(instance)["secret-fetcher"], containers(instance)["orthanc"]
    assert fetcher["isResourcePrincipalDisabled"] is False
    assert orthanc["isResourcePrincipalDisabled"] is True
    environment = fetcher["environmentVariables"]
    assert environment["DB_ADMIN_PASSWORD_SECRET_OCID"] == DB_ADMIN_PASSWORD_SECRET
    assert environment["ORTHANC_S3_SECRET_KEY_SECRET_OCID"] == S3_SECRET_KEY_SECRET
    secret_ids = {
        created_state(r.type, r.name, r.inputs, REGION)[0] for r in three_replicas.of_type("oci:Vault/secret:Secret")
    }
    assert {environment[f"{user_password_env_var(u)}_SECRET_OCID"] for u in ("admin", "radiologist")} <= secret_ids
    assert environment["ORTHANC_S3_ACCESS_KEY_SECRET_OCID"] in secret_ids
    assert environment["ORTHANC_DB_PASSWORD_SECRET_OCID"] in secret_ids
    assert "--auth resource_principal" in fetcher["commands"][2]
    fetcher_mount = {m["volumeName"]: m for m in fetcher["volumeMounts"]}["orthanc-secrets"]
    orthanc_mount = {m["volumeName"]: m for m in orthanc["volumeMounts"]}["orthanc-secrets"]
    assert fetcher_mount["mountPath"] == orthanc_mount["mountPath"] == "/run/secrets"
    assert (fetcher_mount["isReadOnly"], orthanc_mount["isReadOnly"]) == (False, True)
    assert orthanc["commands"][-2:] == list(IMAGE_COMMAND)


def test_a_user_in_password_rollover_also_answers_as_its_alias_from_its_own_vault_secret() -> None:
    plan = planned(
        orthanc_section(users=["admin", "radiologist"], userRoles=TWO_ROLES, passwordRollover=["radiologist"])
    )
    instance = plan.of_type(CONTAINER_INSTANCE)[0]
    environment = containers(instance)["secret-fetcher"]["environmentVariables"]
    (alias_secret,) = [
        created_state(r.type, r.name, r.inputs, REGION)[0]
        for r in plan.of_type("oci:Vault/secret:Secret")
        if r.inputs["secretName"] == "dicomstore-test-orthanc-rollover-radiologist-password"
    ]
    assert environment[f"{rollover_password_env_var('radiologist')}_SECRET_OCID"] == alias_secret
    assert f"{rollover_password_env_var('admin')}_SECRET_OCID" not in environment  # admin is not rolling over
    assert rendered_config(instance)["RegisteredUsers"]["radiologist+rollover"] == (
        "${" + rollover_password_env_var("radiologist") + "}"
    )
    assert '["radiologist+rollover"] = "reader",' in config_files(instance)["access-control.lua"]


def test_bootstrap_container_creates_the_database_before_orthanc_which_connects_as_its_own_role(
    three_replicas: Recorded,
) -> None:
    instances = three_replicas.of_type(CONTAINER_INSTANCE)
    assert len(instances) == 3
    for instance in instances:
        assert [c["displayName"] for c in instance.inputs["containers"]] == [
            "secret-fetcher",
            "db-bootstrap",
            "orthanc",
        ]
        fetcher, bootstrap, orthanc = (containers(instance)[n] for n in ("secret-fetcher", "db-bootstrap", "orthanc"))
        assert bootstrap["imageUrl"] == BOOTSTRAP_IMAGE
        assert bootstrap["isResourcePrincipalDisabled"] is True
        assert "environmentVariables" not in bootstrap
        script = bootstrap["commands"][2]
        assert "export PGUSER=orthanc_admin" in script and f"export PGHOST={DB_HOST}" in script
        assert "export PGSSLMODE=require" in script
        assert "-v role=orthanc -v database=orthanc" in script
        assert "cat /run/secrets/orthanc-db-password" in script
        assert script.rstrip().endswith('ready"') and "touch /run/bootstrap/done" in script
        mounts = {name: {m["volumeName"]: (m["mountPath"], m["isReadOnly"]) for m in c["volumeMounts"]}
                  for name, c in containers(instance).items()}  # fmt: skip
        assert mounts["db-bootstrap"] == {
            "orthanc-secrets": ("/run/secrets", True),
            "db-admin-secrets": ("/run/db-admin", True),
            "db-bootstrap": ("/run/bootstrap", False),
        }
        assert mounts["secret-fetcher"]["db-admin-secrets"] == ("/run/db-admin", False)
        # Orthanc never sees the administrator's password, and starts after the bootstrap's marker.
        assert "db-admin-secrets" not in mounts["orthanc"]
        assert mounts["orthanc"]["db-bootstrap"] == ("/run/bootstrap", True)
        assert "while [ ! -e /run/bootstrap/done ]" in orthanc["commands"][2]
        assert "/run/db-admin/db-admin-password" in fetcher["commands"][2]
        postgres = rendered_config(instance)["PostgreSQL"]
        assert (postgres["Username"], postgres["Database"]) == ("orthanc", "orthanc")


def test_orthanc_reads_the_generated_role_password_not_the_administrators(three_replicas: Recorded) -> None:
    instance = three_replicas.of_type(CONTAINER_INSTANCE)[0]
    environment = containers(instance)["secret-fetcher"]["environmentVariables"]
    (role_secret,) = [
        r for r in three_replicas.of_type("oci:Vault/secret:Secret") if r.name == "orthanc-secrets-db-password"
    ]
    assert role_secret.protect and role_secret.retain_on_delete
    assert (
        environment["ORTHANC_DB_PASSWORD_SECRET_OCID"]
        == created_state(role_secret.type, role_secret.name, role_secret.inputs, REGION)[0]
    )
    assert environment["ORTHANC_DB_PASSWORD_SECRET_OCID"] != environment["DB_ADMIN_PASSWORD_SECRET_OCID"]


def test_health_checks_restart_policy_and_graceful_shutdown(three_replicas: Recorded) -> None:
    instances = three_replicas.of_type(CONTAINER_INSTANCE)
    assert len(instances) == 3
    for instance in instances:
        checks = containers(instance)["orthanc"]["healthChecks"]
        assert sorted((c["healthCheckType"], c["port"]) for c in checks) == [("TCP", 4242), ("TCP", 8042)]
        assert all(c["failureAction"] == "KILL" and c["failureThreshold"] == 3 for c in checks)
        assert instance.inputs["containerRestartPolicy"] == "ON_FAILURE"
        assert int(instance.inputs["gracefulShutdownTimeoutInSeconds"]) >= 30


def test_load_balancer_backends_are_the_replicas_private_addresses(three_replicas: Recorded) -> None:
    expected = set()
    for instance in three_replicas.of_type(CONTAINER_INSTANCE):
        vnic_id = created_state(instance.type, instance.name, instance.inputs, REGION)[1]["vnics"][0]["vnicId"]
        expected.add(answer_invoke("oci:Core/getVnic:getVnic", {"vnicId": vnic_id}, REGION)["privateIpAddress"])
    backends = three_replicas.of_type(LB_BACKEND)
    assert {(b.inputs["ipAddress"], b.inputs["port"]) for b in backends} == {(ip, 8042) for ip in expected}
    (lb,) = three_replicas.of_type("oci:LoadBalancer/loadBalancer:LoadBalancer")
    assert lb.inputs["isPrivate"] is True and lb.inputs["networkSecurityGroupIds"] == [LB_NSG]


def test_outputs_name_the_dicomweb_url_and_the_dicom_endpoint(three_replicas: Recorded) -> None:
    (lb,) = three_replicas.of_type("oci:LoadBalancer/loadBalancer:LoadBalancer")
    lb_ip = created_state(lb.type, lb.name, lb.inputs, REGION)[1]["ipAddressDetails"][0]["ipAddress"]
    outputs = three_replicas.outputs
    assert outputs["dicomweb_url"] == f"https://{lb_ip}/dicom-web/"
    assert (outputs["dicom_port"], outputs["dicom_aet"]) == (4242, "DICOMSTORE")
    assert OCID.match(outputs["dicom_host"]) is None and outputs["dicom_host"].count(".") == 3


def _direct_args(config: OrthancConfig, db_max_connections: int = 100) -> ContainerInstancesArgs:
    """Arguments with literal secret OCIDs (no OrthancSecrets block), for the refusals below."""
    tier = OrthancDataTier(
        index=OrthancIndex(
            namespace="ns", bucket_name="b", s3_secret_key_secret_id=S3_SECRET_KEY_SECRET,
            db_host=DB_HOST, db_port=5432, database_name="orthanc", db_username="orthanc",
            db_admin_username="orthanc_admin", db_admin_password_secret_id=DB_ADMIN_PASSWORD_SECRET,
            db_bootstrap_image=BOOTSTRAP_IMAGE, db_max_connections=db_max_connections,
        ),
        s3_access_key_secret_id=ocid("vaultsecret", "a"),
        db_password_secret_id=ocid("vaultsecret", "db"),
        user_password_secret_ids={"admin": ocid("vaultsecret", "admin")},
    )  # fmt: skip
    return ContainerInstancesArgs(config=config, scope=SCOPE, compartment_id=COMPARTMENT, subnet=APP_TIER, data=tier)


def test_secret_ids_cover_every_file_orthanc_and_the_bootstrap_read() -> None:
    assert set(_direct_args(orthanc_section()).data.secret_ids_by_variable()) == {
        "ORTHANC_DB_PASSWORD", "DB_ADMIN_PASSWORD", "ORTHANC_S3_ACCESS_KEY", "ORTHANC_S3_SECRET_KEY",
        "ORTHANC_USER_ADMIN_PASSWORD",
    }  # fmt: skip


def test_database_too_small_for_the_replicas_fails_the_component() -> None:
    # 3 replicas x 5 index connections do not stay below the database's max_connections=10: the component
    # refuses to render rather than deploy a fleet whose connections the database would reject.
    args = _direct_args(orthanc_section(replicas=3), db_max_connections=10)
    with pytest.raises(Exception, match=r"= 15 must stay below the database's max_connections=10"):
        record(lambda: ContainerInstances("orthanc", args))
    # Big enough: the same fleet renders.
    fits = record(
        lambda: ContainerInstances("orthanc", _direct_args(orthanc_section(replicas=3), db_max_connections=16))
    )
    assert len(fits.of_type(CONTAINER_INSTANCE)) == 3


# --- the shipped dev stack -----------------------------------------------------------------------------------


def test_dev_stack_runs_orthanc_on_container_instances_behind_the_private_load_balancer(dev_plan: Recorded) -> None:
    (service,) = dev_plan.of_type("dicomstore:orthanc:OrthancService")
    (runtime,) = dev_plan.of_type("dicomstore:container_instances:ContainerInstances")
    assert runtime.parent == service.urn and runtime.name == service.name == "dicomstore-orthanc"
    (instance,) = dev_plan.of_type(CONTAINER_INSTANCE)
    assert instance.parent == runtime.urn
    assert instance.inputs["vnics"][0]["isPublicIpAssigned"] is False
    (lb,) = dev_plan.of_type("oci:LoadBalancer/loadBalancer:LoadBalancer")
    assert lb.inputs["isPrivate"] is True
    listeners = {r.inputs["name"]: r.inputs for r in dev_plan.of_type("oci:LoadBalancer/listener:Listener")}
    assert (
        listeners["https"]["protocol"] == "HTTP" and listeners["https"]["sslConfiguration"]["protocols"][0] == "TLSv1.2"
    )
    # dev sets orthanc.dicomTls: DICOM 4242 terminates TLS on the load balancer, no clear-text NLB.
    assert dev_plan.of_type("oci:NetworkLoadBalancer/listener:Listener") == []
    assert (listeners["dicom-tls"]["protocol"], listeners["dicom-tls"]["port"]) == ("TCP", 4242)
    outputs = dev_plan.outputs
    assert outputs["dicomweb_url"].startswith("https://") and outputs["dicomweb_url"].endswith("/dicom-web/")
    assert outputs["dicom_endpoint"]["port"] == 4242 and outputs["dicom_endpoint"]["aet"] == "DICOMSTORE"
