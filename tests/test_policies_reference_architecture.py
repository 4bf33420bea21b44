"""Reference-architecture policies: each flags a violating resource (naming it and the fix) and passes a
compliant one."""

from __future__ import annotations

from typing import Any

import pytest

from policies import reference_architecture as refarch
from tests.policy_cases import DATA_COMPARTMENT, TENANCY, assert_flags, record, run_policy

BUCKET = "oci:ObjectStorage/bucket:Bucket"
APP_COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaapp"


def test_availability_domain_subnet_is_flagged() -> None:
    ad_bound = record(refarch.SUBNET, "ad1-subnet", {"availabilityDomain": "Uocm:EU-FRANKFURT-1-AD-1"})
    regional = record(refarch.SUBNET, "regional", {"cidrBlock": "10.0.1.0/24"})
    results = run_policy(refarch.refarch_subnets_regional, [ad_bound, regional])
    assert [r.urn for r in results] == [ad_bound.urn]
    assert_flags(results, "ad1-subnet", "omit availability_domain")


@pytest.mark.parametrize(
    ("resource_type", "bare", "with_nsgs", "fix"),
    [
        (
            "oci:ContainerEngine/containerInstance:ContainerInstance",
            {"vnics": [{"subnetId": "s", "nsgIds": ["n"]}, {"subnetId": "s"}]},
            {"vnics": [{"subnetId": "s", "nsgIds": ["n"]}]},
            "vnics[].nsg_ids",
        ),
        ("oci:LoadBalancer/loadBalancer:LoadBalancer", {"isPrivate": True}, {"networkSecurityGroupIds": ["n"]},
         "network_security_group_ids"),
        ("oci:NetworkLoadBalancer/networkLoadBalancer:NetworkLoadBalancer", {"networkSecurityGroupIds": []},
         {"networkSecurityGroupIds": ["n"]}, "network_security_group_ids"),
        (refarch.DB_SYSTEM, {"networkDetails": {"subnetId": "s"}}, {"networkDetails": {"subnetId": "s", "nsgIds": ["n"]}},
         "network_details.nsg_ids"),
        ("oci:ContainerEngine/cluster:Cluster", {"endpointConfig": {"subnetId": "s"}},
         {"endpointConfig": {"nsgIds": ["n"]}}, "endpoint_config.nsg_ids"),
        (
            "oci:ContainerEngine/nodePool:NodePool",
            {"nodeConfigDetails": {"nsgIds": ["n"], "nodePoolPodNetworkOptionDetails": {"cniType": "OCI_VCN_IP_NATIVE"}}},
            {"nodeConfigDetails": {"nsgIds": ["n"], "nodePoolPodNetworkOptionDetails": {
                "cniType": "OCI_VCN_IP_NATIVE", "podNsgIds": ["p"]}}},
            "pod_nsg_ids",
        ),
        ("oci:Core/instance:Instance", {"createVnicDetails": {"subnetId": "s"}},
         {"createVnicDetails": {"nsgIds": ["n"]}}, "create_vnic_details.nsg_ids"),
        ("oci:DataScience/privateEndpoint:PrivateEndpoint", {"subnetId": "s"}, {"nsgIds": ["n"]}, "nsg_ids"),
    ],
)  # fmt: skip
def test_nsgs_on_every_vnic(resource_type: str, bare: dict[str, Any], with_nsgs: dict[str, Any], fix: str) -> None:
    results = run_policy(
        refarch.refarch_nsgs_on_vnics, [record(resource_type, "no-nsg", bare), record(resource_type, "nsg", with_nsgs)]
    )
    assert len(results) == 1
    assert_flags(results, "no-nsg", fix)


@pytest.mark.parametrize(
    ("resource_type", "default", "private"),
    [
        (
            "oci:DataScience/notebookSession:NotebookSession",
            {"notebookSessionConfigurationDetails": {"shape": "VM.Standard.E4.Flex"}},
            {"notebookSessionConfigurationDetails": {"shape": "VM.Standard.E4.Flex", "subnetId": "ocid1.subnet"}},
        ),
        (
            "oci:DataScience/job:Job",
            {"jobInfrastructureConfigurationDetails": {"jobInfrastructureType": "ME_STANDALONE", "shapeName": "x"}},
            {"jobInfrastructureConfigurationDetails": {"jobInfrastructureType": "STANDALONE", "subnetId": "s"}},
        ),
        (
            "oci:DataScience/modelDeployment:ModelDeployment",
            {"modelDeploymentConfigurationDetails": {"modelConfigurationDetails": {"instanceConfiguration": {}}}},
            {"modelDeploymentConfigurationDetails": {
                "modelConfigurationDetails": {"instanceConfiguration": {"subnetId": "ocid1.subnet"}}}},
        ),
    ],
)  # fmt: skip
def test_ai_workloads_need_the_ai_subnet(resource_type: str, default: dict[str, Any], private: dict[str, Any]) -> None:
    not_ai = record("oci:ContainerEngine/containerInstance:ContainerInstance", "orthanc", {"vnics": [{}]})
    results = run_policy(
        refarch.refarch_ai_custom_networking,
        [record(resource_type, "default-net", default), record(resource_type, "ok", private), not_ai],
    )
    assert len(results) == 1 and results[0].enforcement == "mandatory"
    assert_flags(results, "default-net", "AI subnet")


@pytest.mark.parametrize(
    ("name", "value", "plaintext"),
    [
        ("ORTHANC_DB_PASSWORD", "hunter2", True),
        ("S3_SECRET_KEY", "abc", True),
        ("api_token", "t0k3n", True),
        ("ORTHANC_DB_PASSWORD_SECRET_OCID", "ocid1.secret.oc1..x", False),
        ("ORTHANC_DB_PASSWORD", "ocid1.secret.oc1..x", False),
        ("ORTHANC_DB_PASSWORD_FILE", "/run/secrets/db", False),
        ("ORTHANC_DB_PASSWORD", "${ORTHANC_DB_PASSWORD}", False),
        ("ORTHANC_DB_HOST", "10.0.0.5", False),
        ("ORTHANC_DB_PASSWORD", "", False),  # empty: nothing leaked
        ("ORTHANC_DB_PASSWORD", None, False),  # not a literal (e.g. valueFrom)
    ],
)
def test_plaintext_secret_predicate(name: str, value: str | None, plaintext: bool) -> None:
    assert refarch.is_plaintext_secret(name, value) is plaintext


def test_plaintext_secrets_in_containers_are_flagged() -> None:
    instance = "oci:ContainerEngine/containerInstance:ContainerInstance"
    leaky = record(instance, "leaky", {"containers": [{"environmentVariables": {"DB_PASSWORD": "hunter2"}}]})
    by_ocid = record(
        instance, "vaulted", {"containers": [{"environmentVariables": {"DB_PASSWORD_SECRET_OCID": "ocid1.secret"}}]}
    )
    pod = {"spec": {"template": {"spec": {
        "initContainers": [{"name": "init", "env": [{"name": "S3_SECRET_KEY", "value": "abc"}]}],
        "containers": [{"name": "app", "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db"}}}]}],
    }}}}  # fmt: skip
    workload = record("kubernetes:apps/v1:StatefulSet", "orthanc", pod)
    results = run_policy(refarch.refarch_no_plaintext_secrets, [leaky, by_ocid, workload])
    assert [r.urn for r in results] == [leaky.urn, workload.urn]
    assert results[0].enforcement == "mandatory"
    assert_flags(results[:1], "leaky", "environment variable DB_PASSWORD", "OCI Vault")
    assert_flags(results[1:], "orthanc", "environment variable S3_SECRET_KEY", "secretKeyRef")


def test_vault_keys_must_be_hsm_protected() -> None:
    software = record(refarch.KMS_KEY, "soft-key", {"protectionMode": "SOFTWARE"})
    hsm = record(refarch.KMS_KEY, "hsm-key", {"protectionMode": "HSM"})
    default = record(refarch.KMS_KEY, "default-key", {"keyShape": {"algorithm": "AES", "length": 32}})
    results = run_policy(refarch.refarch_vault_keys_in_hsm, [software, hsm, default])
    assert [r.urn for r in results] == [software.urn]
    assert_flags(results, "soft-key", "protection_mode='HSM'")


def test_phi_outside_a_security_zone_is_flagged() -> None:
    zone = record("oci:CloudGuard/securityZone:SecurityZone", "data-zone", {"compartmentId": DATA_COMPARTMENT})
    zoned_bucket = record(BUCKET, "dicom", {"compartmentId": DATA_COMPARTMENT})
    stray_db = record(refarch.DB_SYSTEM, "stray-db", {"compartmentId": APP_COMPARTMENT})
    results = run_policy(refarch.refarch_data_security_zone, [zone, zoned_bucket, stray_db])
    assert [r.urn for r in results] == [stray_db.urn]
    assert results[0].enforcement == "mandatory"
    assert_flags(results, "stray-db", "SecurityZone")


def test_phi_in_security_zone_passes() -> None:
    zone = record("oci:CloudGuard/securityZone:SecurityZone", "data-zone", {"compartmentId": DATA_COMPARTMENT})
    db = record(refarch.DB_SYSTEM, "db", {"compartmentId": DATA_COMPARTMENT})
    assert run_policy(refarch.refarch_data_security_zone, [zone, db]) == []


def test_recipes_must_be_clones() -> None:
    scratch = record(refarch.DETECTOR_RECIPE, "scratch-detector", {"compartmentId": TENANCY})
    clone = record(refarch.DETECTOR_RECIPE, "detector", {"sourceDetectorRecipeId": "ocid1.cloudguarddetectorrecipe"})
    scratch_responder = record(refarch.RESPONDER_RECIPE, "scratch-responder", {"compartmentId": TENANCY})
    responder = record(refarch.RESPONDER_RECIPE, "responder", {"sourceResponderRecipeId": "ocid1.responder"})
    results = run_policy(refarch.refarch_recipes_cloned, [scratch, clone, scratch_responder, responder])
    assert [r.urn for r in results] == [scratch.urn, scratch_responder.urn]
    assert_flags(results[:1], "scratch-detector", "source_detector_recipe_id")
    assert_flags(results[1:], "scratch-responder", "source_responder_recipe_id")


def cloud_guard(target_id: str, linked: bool) -> list[Any]:
    detector = record(refarch.DETECTOR_RECIPE, "detector", {"sourceDetectorRecipeId": "x"})
    responder = record(refarch.RESPONDER_RECIPE, "responder", {"sourceResponderRecipeId": "y"})
    target = record(
        refarch.TARGET,
        "target",
        {"compartmentId": TENANCY, "targetResourceId": target_id, "targetResourceType": "COMPARTMENT"},
        dependencies=[detector.urn, responder.urn] if linked else [],
    )
    return [detector, responder, target]


def test_cloud_guard_target_on_root_with_clones_passes() -> None:
    assert run_policy(refarch.refarch_cloud_guard_target, cloud_guard(TENANCY, linked=True)) == []


def test_cloud_guard_target_elsewhere_or_with_originals_is_flagged() -> None:
    results = run_policy(refarch.refarch_cloud_guard_target, cloud_guard(DATA_COMPARTMENT, linked=False))
    assert len(results) == 3  # wrong target + no cloned detector + no cloned responder
    assert_flags(results, "target")
    assert "target_resource_id to the tenancy OCID" in results[0].message
    assert "cloned detector recipes" in results[1].message
    missing = run_policy(refarch.refarch_cloud_guard_target, [])
    assert [r.urn for r in missing] == [""] and "no Cloud Guard target. Fix:" in missing[0].message


def test_vcn_overlapping_on_prem_cidrs_is_flagged() -> None:
    vcn = record(refarch.VCN, "vcn", {"cidrBlocks": ["10.20.0.0/16"]})
    tunnel = record(refarch.IPSEC, "ipsec", {"staticRoutes": ["10.20.128.0/20"]})
    results = run_policy(refarch.refarch_vcn_onprem_overlap, [vcn, tunnel])
    assert_flags(results, "vcn", "10.20.128.0/20", "dicomstore:network.vcnCidrs")
    policy = refarch.refarch_vcn_onprem_overlap
    configured = run_policy(policy, [vcn], {policy.name: {"onPremCidrs": ["10.0.0.0/8"]}})
    assert_flags(configured, "vcn", "overlaps the on-premises network 10.0.0.0/8")


def test_vcn_disjoint_from_on_prem_passes() -> None:
    vcn = record(refarch.VCN, "vcn", {"cidrBlocks": ["10.20.0.0/16"]})
    tunnel = record(refarch.IPSEC, "ipsec", {"staticRoutes": ["192.168.0.0/16"]})
    policy = refarch.refarch_vcn_onprem_overlap
    assert run_policy(policy, [vcn, tunnel], {policy.name: {"onPremCidrs": ["172.16.0.0/12"]}}) == []


@pytest.mark.parametrize("resource_type", sorted(refarch.STATEFUL_TYPES))
def test_stateful_resources_need_protect_and_retain(resource_type: str) -> None:
    neither = record(resource_type, "unprotected")
    protect_only = record(resource_type, "protect-only", protect=True)
    both = record(resource_type, "kept", protect=True, retain_on_delete=True)
    results = run_policy(refarch.refarch_stateful_protected, [neither, protect_only, both])
    assert [r.urn for r in results] == [neither.urn, protect_only.urn]
    assert_flags(results[:1], "unprotected", "protect=True and retain_on_delete=True")
    assert_flags(results[1:], "protect-only", "pulumi.ResourceOptions(retain_on_delete=True)")


def test_stateless_resources_need_no_protection() -> None:
    assert run_policy(refarch.refarch_stateful_protected, [record(refarch.SUBNET, "subnet")]) == []
