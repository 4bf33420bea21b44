"""oci-service-rules: each policy flags a resource OCI would refuse (or that could not work), naming it and the
fix, and passes the compliant variant. Every docstring names the OCI document or image source of the rule."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from offline.policy_replay import replay
from offline.records import ResourceRecord
from policies import oci_service_rules as svc
from policies._props import image_repository
from policies.packs import COMPLIANCE_PACK, PACKS
from tests.policy_cases import DATA_COMPARTMENT, TENANCY, assert_flags, record, run_policy
from tests.support import Recorded

BUCKET = "oci:ObjectStorage/bucket:Bucket"
NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
DEFAULT_SECURITY_LIST = "oci:Core/defaultSecurityList:DefaultSecurityList"
PARENT_COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaparent"
KEY = "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaakey"
DRG_ID = "ocid1.drg.oc1.eu-frankfurt-1.aaaaaaaadrg"


def test_every_service_rule_is_mandatory_documented_and_in_the_pack() -> None:
    names = {policy.name for policy in COMPLIANCE_PACK.policies}
    for policy in svc.POLICIES:
        assert policy.name in names
        assert policy.name.startswith("ocisvc-")
        assert policy.enforcement_level is EnforcementLevel.MANDATORY
        assert policy.url and policy.url.startswith("https://")
        assert policy.remediation_steps


def test_service_rule_results_reach_the_plan_as_mandatory_results_of_the_pack() -> None:
    bastion = record(svc.BASTION, "bastion", {"clientCidrBlockAllowLists": ["10.0.8.0/24"]})
    results = [r.to_json() for r in replay([bastion], PACKS) if r.policy.startswith("ocisvc-")]
    assert results == [
        {
            "pack": "dicomstore-compliance",
            "policy": "ocisvc-bastion-client-cidrs-public",
            "framework": "OCI service rules",
            "severity": "high",
            "enforcement": "mandatory",
            "urn": bastion.urn,
            "message": results[0]["message"],
        }
    ]


# --- 1 -------------------------------------------------------------------------------------------------------


def _replication(destination: str) -> ResourceRecord:
    return record(svc.REPLICATION_POLICY, "replication", {"bucket": "dicom", "destinationBucketName": destination})


def test_versioned_replication_destination_is_flagged() -> None:
    """usingversioning.htm: "You can't enable versioning on a replication destination bucket. A destination
    bucket is read-only." """
    source = record(BUCKET, "source", {"name": "dicom", "versioning": "Enabled"})
    replica = record(BUCKET, "replica", {"name": "dicom-dr", "versioning": "Enabled"})
    results = run_policy(svc.ocisvc_replication_destination_unversioned, [source, replica, _replication("dicom-dr")])
    assert [r.urn for r in results] == [replica.urn]
    assert_flags(results, "replica", "versioning")


def test_replication_destination_not_known_yet_is_not_guessed() -> None:
    replica = record(BUCKET, "replica", {"name": UNKNOWN_STRING_VALUE, "versioning": "Enabled"})
    results = run_policy(svc.ocisvc_replication_destination_unversioned, [replica, _replication(UNKNOWN_STRING_VALUE)])
    assert results == []


def test_unversioned_replication_destination_passes() -> None:
    source = record(BUCKET, "source", {"name": "dicom", "versioning": "Enabled"})
    replica = record(BUCKET, "replica", {"name": "dicom-dr", "versioning": "Disabled"})
    assert run_policy(svc.ocisvc_replication_destination_unversioned, [source, replica, _replication("dicom-dr")]) == []


# --- 2 -------------------------------------------------------------------------------------------------------


def _target(name: str, resource_id: str) -> ResourceRecord:
    return record(svc.CLOUD_GUARD_TARGET, name, {"targetResourceId": resource_id, "targetResourceType": "COMPARTMENT"})


def test_second_target_on_a_compartment_is_flagged() -> None:
    """A compartment belongs to one Cloud Guard target only."""
    first, second = _target("first", TENANCY), _target("second", TENANCY)
    results = run_policy(svc.ocisvc_cloud_guard_one_target, [first, second])
    assert [r.urn for r in results] == [second.urn]
    assert_flags(results, "second", "one target per compartment")


def test_target_on_a_security_zone_compartment_is_flagged() -> None:
    """create-security-zone.htm: creating a zone deletes the compartment's existing targets and creates a
    security zone target for it."""
    zone = record(svc.SECURITY_ZONE, "zone", {"compartmentId": DATA_COMPARTMENT})
    root, data = _target("root", TENANCY), _target("data", DATA_COMPARTMENT)
    results = run_policy(svc.ocisvc_cloud_guard_one_target, [zone, root, data])
    assert [r.urn for r in results] == [data.urn]
    assert_flags(results, "data", "security-zone compartment")


# --- 3 -------------------------------------------------------------------------------------------------------


def _iam_policy(name: str, compartment: str, *statements: str, dependencies: tuple[str, ...] = ()) -> ResourceRecord:
    return record(
        svc.IAM_POLICY,
        name,
        {"compartmentId": compartment, "statements": list(statements), "name": f"dicomstore-test-{name}"},
        dependencies=dependencies,
    )


def test_in_tenancy_statement_in_a_compartment_policy_is_flagged() -> None:
    """location.htm and Policy_Attachment.htm: a policy attached to a compartment governs only its subtree."""
    child = _iam_policy("edge", PARENT_COMPARTMENT, "Allow service rover to manage objectstorage-namespaces in tenancy")
    root = _iam_policy("root", TENANCY, "Allow service rover to manage objectstorage-namespaces in tenancy")
    results = run_policy(svc.ocisvc_policy_statement_scope, [child, root])
    assert [r.urn for r in results] == [child.urn]
    assert_flags(results, "edge", "attach the policy to the tenancy")


def test_statement_on_a_compartment_outside_the_subtree_is_flagged() -> None:
    """The data compartment hangs off the tenancy, so a policy in an unrelated compartment cannot name it;
    one in the data compartment's parent can."""
    data = record(svc.COMPARTMENT, "data", {"compartmentId": TENANCY, "name": "data"})
    statement = f"Allow group admins to read buckets in compartment id {DATA_COMPARTMENT}"
    stray = _iam_policy("stray", PARENT_COMPARTMENT, statement, dependencies=(data.urn,))
    results = run_policy(svc.ocisvc_policy_statement_scope, [data, stray])
    assert [r.urn for r in results] == [stray.urn]
    assert_flags(results, "stray", "common ancestor")

    nested = record(svc.COMPARTMENT, "data", {"compartmentId": PARENT_COMPARTMENT, "name": "data"})
    assert run_policy(svc.ocisvc_policy_statement_scope, [nested, stray]) == []


def test_statement_on_the_attachment_compartment_passes() -> None:
    own = _iam_policy(
        "own", DATA_COMPARTMENT, f"Allow group admins to read buckets in compartment id {DATA_COMPARTMENT}"
    )
    assert run_policy(svc.ocisvc_policy_statement_scope, [own]) == []


# --- 4 -------------------------------------------------------------------------------------------------------


def _oke_stack(*, deployer_rule: bool, drg_route: bool, drg_id: str = DRG_ID) -> list[ResourceRecord]:
    vcn = record(svc.VCN, "vcn", {"cidrBlocks": ["10.30.0.0/16"]})
    drg = record(svc.DRG, "drg")
    routes = [{"destination": "10.0.0.0/14", "destinationType": "CIDR_BLOCK", "networkEntityId": drg_id}]
    table = record(svc.ROUTE_TABLE, "api-routes", {"routeRules": routes if drg_route else []}, dependencies=(drg.urn,))
    subnet = record(svc.SUBNET, "api", {"cidrBlock": "10.30.2.0/28"}, dependencies=(table.urn, vcn.urn))
    nsg = record(svc.NSG, "api-nsg")

    def api_rule(name: str, source: str) -> ResourceRecord:
        """An ingress rule on the API NSG admitting 6443 from `source`."""
        inputs = {
            "direction": "INGRESS",
            "protocol": "6",
            "source": source,
            "sourceType": "CIDR_BLOCK",
            "tcpOptions": {"destinationPortRange": {"min": 6443, "max": 6443}},
        }
        return record(NSG_RULE, name, inputs, dependencies=(nsg.urn,))

    rules = [api_rule("api-from-bastion", "10.30.9.0/28")]
    if deployer_rule:
        rules.append(api_rule("api-from-deployers", "10.0.8.0/24"))
    cluster = record(
        svc.CLUSTER,
        "cluster",
        {"endpointConfig": {"isPublicIpEnabled": False, "nsgIds": ["n"], "subnetId": "s"}},
        dependencies=(subnet.urn, nsg.urn, vcn.urn),
    )
    namespace = record("kubernetes:core/v1:Namespace", "ns", {"metadata": {"name": "dicomstore"}})
    return [vcn, drg, table, subnet, nsg, *rules, cluster, namespace]


@pytest.mark.parametrize(("deployer_rule", "drg_route"), [(False, True), (True, False), (False, False)])
def test_private_endpoint_without_deploy_path_is_flagged(deployer_rule: bool, drg_route: bool) -> None:
    """contengnetworkconfig.htm: a private endpoint is reachable only through the VCN; 6443 open to the
    bastion subnet alone, or no route back to the DRG, leaves `pulumi up` outside."""
    results = run_policy(svc.ocisvc_oke_deploy_path, _oke_stack(deployer_rule=deployer_rule, drg_route=drg_route))
    assert len(results) == 1
    assert_flags(results, "cluster", "6443 ingress rule per CIDR")


def test_private_endpoint_with_deployer_rule_and_drg_route_passes() -> None:
    assert run_policy(svc.ocisvc_oke_deploy_path, _oke_stack(deployer_rule=True, drg_route=True)) == []


def test_deploy_path_during_preview_reads_the_drg_from_the_route_tables_dependency() -> None:
    """In a first `pulumi preview` the DRG's OCID is unknown; the route table's dependency on the DRG decides."""
    stack = _oke_stack(deployer_rule=True, drg_route=True, drg_id=UNKNOWN_STRING_VALUE)
    assert run_policy(svc.ocisvc_oke_deploy_path, stack) == []


def test_private_endpoint_without_kubernetes_objects_needs_no_deploy_path() -> None:
    stack = [r for r in _oke_stack(deployer_rule=False, drg_route=False) if not r.type.startswith("kubernetes:")]
    assert run_policy(svc.ocisvc_oke_deploy_path, stack) == []


# --- 5 -------------------------------------------------------------------------------------------------------

NODEPOOL_GRANT = (
    f"Allow any-user to use key-delegates in compartment id {DATA_COMPARTMENT} "
    f"where ALL {{request.principal.type = 'nodepool', target.key.id = '{KEY}'}}"
)


def test_encrypted_node_pool_without_key_grant_is_flagged() -> None:
    """contengencryptingdata.htm: node pools with CMK-encrypted boot volumes need the any-user key-delegates
    grant conditioned on request.principal.type = 'nodepool' and the key."""
    pool = record(svc.NODE_POOL, "pool", {"nodeConfigDetails": {"kmsKeyId": KEY}})
    other_key = NODEPOOL_GRANT.replace(KEY, "ocid1.key.oc1.eu-frankfurt-1.other")
    results = run_policy(svc.ocisvc_node_pool_key_grant, [pool, _iam_policy("keys", PARENT_COMPARTMENT, other_key)])
    assert [r.urn for r in results] == [pool.urn]
    assert_flags(results, "pool", "request.principal.type = 'nodepool'", KEY)


def test_encrypted_node_pool_with_key_grant_passes() -> None:
    pool = record(svc.NODE_POOL, "pool", {"nodeConfigDetails": {"kmsKeyId": KEY}})
    reordered = NODEPOOL_GRANT.replace(
        f"request.principal.type = 'nodepool', target.key.id = '{KEY}'",
        f"target.key.id = '{KEY}', request.principal.type = 'nodepool'",
    )
    assert run_policy(svc.ocisvc_node_pool_key_grant, [pool, _iam_policy("keys", PARENT_COMPARTMENT, reordered)]) == []


@pytest.mark.parametrize(
    "statement",
    [
        f"Allow any-user to use keys in compartment id {DATA_COMPARTMENT}",
        f"Allow any-user to use key-delegates in compartment id {DATA_COMPARTMENT} "
        "where request.principal.type = 'nodepool'",
        f"Allow any-user to manage key-delegates in compartment id {DATA_COMPARTMENT} "
        f"where ALL {{request.principal.type = 'nodepool', target.key.id = '{KEY}'}}",
    ],
)
def test_broad_any_user_statements_are_flagged(statement: str) -> None:
    results = run_policy(svc.ocisvc_any_user_statements, [_iam_policy("broad", PARENT_COMPARTMENT, statement)])
    assert len(results) == 1
    assert_flags(results, "broad", "name a group or dynamic group")


def test_node_pool_key_grant_is_the_one_any_user_statement_allowed() -> None:
    narrow = _iam_policy("narrow", PARENT_COMPARTMENT, NODEPOOL_GRANT, "Allow group admins to read buckets in tenancy")
    assert run_policy(svc.ocisvc_any_user_statements, [narrow]) == []


# --- 6 -------------------------------------------------------------------------------------------------------


def _orthanc(container: dict[str, Any], pod: dict[str, Any] | None = None) -> ResourceRecord:
    spec = {"containers": [{"name": "orthanc", "image": "orthancteam/orthanc:25.1.1", **container}], **(pod or {})}
    return record("kubernetes:apps/v1:StatefulSet", "orthanc", {"spec": {"template": {"spec": spec}}})


READ_ONLY = {"securityContext": {"readOnlyRootFilesystem": True, "runAsUser": 999}}
WRITABLE_VOLUMES = {
    "volumes": [
        {"name": "tmp", "emptyDir": {}},
        {"name": "plugins", "emptyDir": {}},
        {"name": "config", "configMap": {}},
    ]
}


def test_read_only_orthanc_without_writable_paths_is_flagged() -> None:
    """orthanc-builder docker/orthanc: generateConfiguration.py:109-112 writes /tmp/orthanc.json,
    configurator.py:184-197 links plugins into /run/orthanc/plugins (exit -1 on failure, generateConfiguration.py
    84-86), docker-entrypoint.sh:17-26 writes /etc/hostid."""
    results = run_policy(svc.ocisvc_orthanc_writable_paths, [_orthanc(READ_ONLY)])
    assert len(results) == 3
    assert_flags(results, "orthanc", "read-only")
    messages = " ".join(r.message for r in results)
    for path in ("/tmp/orthanc.json", "plugin directory", "/etc/hostid"):
        assert path in messages


def test_a_container_that_does_not_run_the_entrypoint_is_not_judged_by_it() -> None:
    """Only `/docker-entrypoint.sh` (the image's ENTRYPOINT) writes these paths: an init container that runs its
    own shell command from the same image writes none of them; the wrapped entrypoint still counts."""
    own_command = {**READ_ONLY, "command": ["/bin/sh", "-c", "echo 1a2b3c4d > /host-id/hostid"]}
    assert run_policy(svc.ocisvc_orthanc_writable_paths, [_orthanc(own_command)]) == []
    wrapped = {
        **READ_ONLY,
        "command": ["/bin/sh", "-c", 'exec "$@"', "wrapper", "/docker-entrypoint.sh", "/tmp/o.json"],
    }
    assert len(run_policy(svc.ocisvc_orthanc_writable_paths, [_orthanc(wrapped)])) == 3


def test_config_map_mounts_are_not_writable() -> None:
    mounts = [{"name": "config", "mountPath": "/tmp"}, {"name": "plugins", "mountPath": "/run/orthanc/plugins"}]
    container = {
        **READ_ONLY,
        "volumeMounts": mounts,
        "env": [{"name": "GENERATE_HOST_ID_IF_MISSING", "value": "false"}],
    }
    results = run_policy(svc.ocisvc_orthanc_writable_paths, [_orthanc(container, WRITABLE_VOLUMES)])
    assert [("/tmp/orthanc.json" in r.message) for r in results] == [True]


def test_forced_host_id_needs_a_writable_hostid() -> None:
    mounts = [{"name": "tmp", "mountPath": "/tmp"}, {"name": "plugins", "mountPath": "/run/orthanc/plugins"}]
    env = [{"name": "GENERATE_HOST_ID_IF_MISSING", "value": "false"}, {"name": "FORCE_HOST_ID", "value": "1a2b3c4d"}]
    results = run_policy(
        svc.ocisvc_orthanc_writable_paths,
        [_orthanc({**READ_ONLY, "volumeMounts": mounts, "env": env}, WRITABLE_VOLUMES)],
    )
    assert len(results) == 1
    assert "/etc/hostid" in results[0].message


def test_read_only_orthanc_with_emptydirs_and_no_hostid_generation_passes() -> None:
    mounts = [{"name": "tmp", "mountPath": "/tmp"}, {"name": "plugins", "mountPath": "/run/orthanc/plugins"}]
    env = [{"name": "GENERATE_HOST_ID_IF_MISSING", "value": "false"}]
    container = {**READ_ONLY, "volumeMounts": mounts, "env": env}
    assert run_policy(svc.ocisvc_orthanc_writable_paths, [_orthanc(container, WRITABLE_VOLUMES)]) == []


def test_writable_root_needs_the_image_uid() -> None:
    """Dockerfile:329-347: uid 999 owns /etc/hostid, /tmp and the plugin directories."""
    other_uid = run_policy(
        svc.ocisvc_orthanc_writable_paths, [_orthanc({"securityContext": {}}, {"securityContext": {"runAsUser": 1000}})]
    )
    assert len(other_uid) == 3
    assert "uid 1000" in other_uid[0].message
    image_uid = _orthanc({"securityContext": {"runAsUser": 999}}, {"securityContext": {"runAsUser": 1000}})
    assert run_policy(svc.ocisvc_orthanc_writable_paths, [image_uid]) == []


def _container_instance(security_context: dict[str, Any], *mounts: dict[str, Any]) -> ResourceRecord:
    container = {
        "displayName": "orthanc",
        "imageUrl": "orthancteam/orthanc:25.1.1",
        "securityContext": security_context,
        "volumeMounts": list(mounts),
        "environmentVariables": {"GENERATE_HOST_ID_IF_MISSING": "false"},
    }
    volumes = [
        {"name": "config", "volumeType": "CONFIGFILE", "configs": []},
        {"name": "scratch", "volumeType": "EMPTYDIR", "backingStore": "EPHEMERAL_STORAGE"},
    ]
    return record(svc.CONTAINER_INSTANCE, "ci", {"containers": [container], "volumes": volumes})


def test_read_only_container_instance_needs_emptydir_volumes() -> None:
    read_only = {"isRootFileSystemReadonly": True, "runAsUser": 999}
    config_tmp = {"volumeName": "config", "mountPath": "/tmp", "isReadOnly": False}
    results = run_policy(svc.ocisvc_orthanc_writable_paths, [_container_instance(read_only, config_tmp)])
    assert len(results) == 2
    assert_flags(results, "ci", "emptyDir")
    scratch_tmp = {"volumeName": "scratch", "mountPath": "/tmp", "isReadOnly": False}
    scratch_plugins = {"volumeName": "scratch", "mountPath": "/run/orthanc/plugins", "isReadOnly": False}
    fixed = _container_instance(read_only, scratch_tmp, scratch_plugins)
    assert run_policy(svc.ocisvc_orthanc_writable_paths, [fixed]) == []


def test_container_instance_on_the_image_defaults_passes() -> None:
    """No security context: the image's default user (root) on a writable root filesystem writes everything."""
    assert run_policy(svc.ocisvc_orthanc_writable_paths, [_container_instance({})]) == []


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("orthancteam/orthanc:25.1.1", "orthancteam/orthanc"),
        ("orthancteam/orthanc@sha256:abc", "orthancteam/orthanc"),
        ("registry:5000/orthancteam/orthanc", "registry:5000/orthancteam/orthanc"),
        ("jodogne/orthanc-plugins:1.12", "jodogne/orthanc-plugins"),
        (f"registry:5000/team/app@sha256:{'0' * 64}", "registry:5000/team/app"),
        (f"nvcr.io/nvidia/tritonserver:24.10-py3@sha256:{'0' * 64}", "nvcr.io/nvidia/tritonserver"),
    ],
)
def test_image_repository_drops_tag_and_digest_but_keeps_a_registry_port(image: str, repository: str) -> None:
    """The one parser the Orthanc entrypoint rule and the Kubernetes digest and UID rules share."""
    assert image_repository(image) == repository


# --- 7 -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "resource_type", "refused", "valid", "fix"),
    [
        # deleting-certificate-authority.htm: CA names stay taken while pending deletion; IAM names are unique in
        # the tenancy. The test URNs are stack `test` of project `dicomstore`.
        *(
            pytest.param(
                svc.ocisvc_tenancy_unique_names,
                resource_type,
                "dicomstore-orthanc-lb-ca",
                "dicomstore-test-orthanc-lb-ca",
                "'dicomstore-test-<role>'",
                id=resource_type,
            )
            for resource_type in svc.TENANCY_UNIQUE_TYPES
            if resource_type != svc.TAG_NAMESPACE
        ),
        # Tag namespaces are tenancy-unique too; they take letters and digits only (matching rules name them as
        # `tag.<namespace>.<key>.value`), so the prefix `dicomstore-test` is written `dicomstoretest`.
        pytest.param(
            svc.ocisvc_tenancy_unique_names,
            svc.TAG_NAMESPACE,
            "dicomstore",
            "dicomstoretest",
            "'dicomstoretest'",
            id="tag-namespace",
        ),
        # CreateBucketDetails.name: letters, digits, hyphens, underscores and periods, 1 to 256 characters.
        pytest.param(
            svc.ocisvc_bucket_name,
            BUCKET,
            "dicom store/prod",
            "dicomstore-prod_dicom.v1",
            "rename the bucket",
            id="bucket",
        ),
    ],
)
def test_name_oci_refuses_is_flagged_and_valid_name_passes(
    policy: Policy, resource_type: str, refused: str, valid: str, fix: str
) -> None:
    """Names OCI refuses: tenancy-unique names without the stack prefix, bucket names with other characters (the
    source of each rule is on its case)."""
    bad = record(resource_type, "bad", {"name": refused})
    good = record(resource_type, "good", {"name": valid})
    results = run_policy(policy, [bad, good])
    assert [r.urn for r in results] == [bad.urn]
    assert_flags(results, "bad", fix)


def test_stack_prefix_comes_from_the_urn() -> None:
    assert svc.stack_prefix("urn:pulumi:prod::dicomstore::oci:Identity/group:Group::g") == "dicomstore-prod"
    assert svc.stack_prefix("not-a-urn") is None


# --- 13 ------------------------------------------------------------------------------------------------------


def _ai_stack(egress: list[dict[str, Any]]) -> list[ResourceRecord]:
    security_list = record(
        DEFAULT_SECURITY_LIST, "default", {"egressSecurityRules": egress, "ingressSecurityRules": []}
    )
    subnet = record(svc.SUBNET, "ai", {"cidrBlock": "10.30.5.0/24"}, dependencies=(security_list.urn,))
    notebook = record(
        svc.NOTEBOOK_SESSION,
        "notebook",
        {"notebookSessionConfigurationDetails": {"subnetId": "s"}},
        dependencies=(subnet.urn,),
    )
    return [security_list, subnet, notebook]


@pytest.mark.parametrize(
    "egress",
    [[], [{"protocol": "6", "destination": "10.0.0.0/8", "tcpOptions": {"min": 5432, "max": 5432}}]],
)
def test_data_science_subnet_without_https_egress_is_flagged(egress: list[dict[str, Any]]) -> None:
    """NotebookSessionConfigurationDetails.subnetId: the VNIC lives in the subnet; with no NSG argument in
    pulumi-oci 5.5, only the subnet's security lists filter its traffic."""
    results = run_policy(svc.ocisvc_data_science_egress, _ai_stack(egress))
    assert len(results) == 1
    assert_flags(results, "notebook", "egress TCP 443")


def test_data_science_subnet_with_https_egress_passes() -> None:
    egress = [
        {
            "protocol": "6",
            "destination": "all-fra-services-in-oracle-services-network",
            "destinationType": "SERVICE_CIDR_BLOCK",
            "tcpOptions": {"min": 443, "max": 443},
        }
    ]
    assert run_policy(svc.ocisvc_data_science_egress, _ai_stack(egress)) == []


# --- 14 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cidr",
    ["10.0.8.0/24", "172.16.4.0/22", "192.168.1.0/24", "100.64.1.0/24", "127.0.0.1/32", "169.254.0.0/16", "fd00::/64"],
)
def test_bastion_private_client_cidr_is_flagged(cidr: str) -> None:
    """create-bastion.htm: clients connect to the Bastion's public endpoint from the allow-listed CIDRs."""
    bastion = record(svc.BASTION, "bastion", {"clientCidrBlockAllowLists": ["198.51.100.0/24", cidr]})
    results = run_policy(svc.ocisvc_bastion_public_clients, [bastion])
    assert len(results) == 1
    assert_flags(results, "bastion", "public egress CIDRs", cidr)


def test_bastion_public_client_cidrs_pass() -> None:
    bastion = record(svc.BASTION, "bastion", {"clientCidrBlockAllowLists": ["198.51.100.0/24", "203.0.113.7/32"]})
    assert run_policy(svc.ocisvc_bastion_public_clients, [bastion]) == []


@pytest.mark.parametrize(
    ("inputs", "problem"),
    [
        ({"name": "dicomstore-prod-bastion"}, "other than letters and digits"),
        ({"clientCidrBlockAllowLists": [f"198.51.100.{i}/32" for i in range(21)]}, "21 client CIDR blocks"),
        ({"maxSessionTtlInSeconds": 1799}, "1799 is outside 1800-10800"),
        ({"maxSessionTtlInSeconds": 10801}, "10801 is outside 1800-10800"),
    ],
)
def test_bastion_parameters_oci_refuses_are_flagged(inputs: dict[str, Any], problem: str) -> None:
    """create-bastion.htm: alphanumeric names, at most 20 CIDR blocks, a session TTL of 30-180 minutes."""
    results = run_policy(svc.ocisvc_bastion_parameters, [record(svc.BASTION, "bastion", inputs)])
    assert len(results) == 1
    assert_flags(results, "bastion", problem)


def test_bastion_parameters_at_the_limits_pass() -> None:
    inputs = {
        "name": "dicomstoreprodbastion",
        "clientCidrBlockAllowLists": [f"198.51.100.{i}/32" for i in range(20)],
        "maxSessionTtlInSeconds": 10800,
    }
    low = {"maxSessionTtlInSeconds": 1800}
    bastions = [record(svc.BASTION, "bastion", inputs), record(svc.BASTION, "short", low)]
    assert run_policy(svc.ocisvc_bastion_parameters, bastions) == []


# --- 15 ------------------------------------------------------------------------------------------------------


def test_backend_on_node_pool_ip_is_flagged() -> None:
    pool = record(svc.NODE_POOL, "pool")
    instance_backend = record(svc.LB_BACKEND, "ci-backend", {"ipAddress": "10.30.1.5", "port": 8042})
    node_backend = record(
        svc.LB_BACKEND, "node-backend", {"ipAddress": "10.30.3.7", "port": 30842}, dependencies=(pool.urn,)
    )
    results = run_policy(svc.ocisvc_backends_not_node_ips, [pool, instance_backend, node_backend])
    assert [r.urn for r in results] == [node_backend.urn]
    assert_flags(results, "node-backend", "Service of type LoadBalancer")


# --- shapes, names, limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape_details", "problem"),
    [
        (None, "needs shape_details"),
        ({"minimumBandwidthInMbps": 5, "maximumBandwidthInMbps": 100}, "minimum 5 Mbps is outside"),
        ({"minimumBandwidthInMbps": 10, "maximumBandwidthInMbps": 8001}, "maximum 8001 Mbps is outside"),
        ({"minimumBandwidthInMbps": 200, "maximumBandwidthInMbps": 100}, "exceeds maximum"),
    ],
)
def test_flexible_load_balancer_bandwidth_out_of_range_is_flagged(
    shape_details: dict[str, int] | None, problem: str
) -> None:
    """flexibleshapes.htm: minimum and maximum bandwidth between 10 and 8000 Mbps."""
    inputs: dict[str, Any] = {"shape": "flexible"} | ({"shapeDetails": shape_details} if shape_details else {})
    results = run_policy(svc.ocisvc_lb_flexible_shape, [record(svc.LOAD_BALANCER, "lb", inputs)])
    assert len(results) == 1
    assert_flags(results, "lb", problem)


def test_flexible_load_balancer_in_range_passes() -> None:
    inputs = {"shape": "flexible", "shapeDetails": {"minimumBandwidthInMbps": 10, "maximumBandwidthInMbps": 8000}}
    assert run_policy(svc.ocisvc_lb_flexible_shape, [record(svc.LOAD_BALANCER, "lb", inputs)]) == []


def test_nsg_over_the_rule_limit_is_flagged() -> None:
    """Service limit securityrules-per-networksecuritygroup-count: 120 by default, configurable when raised."""
    nsg = record(svc.NSG, "nsg")

    def rules(count: int) -> list[ResourceRecord]:
        return [record(NSG_RULE, f"rule-{i}", {"direction": "INGRESS"}, dependencies=(nsg.urn,)) for i in range(count)]

    assert run_policy(svc.ocisvc_nsg_rule_limit, [nsg, *rules(120)]) == []
    results = run_policy(svc.ocisvc_nsg_rule_limit, [nsg, *rules(121)])
    assert_flags(results, "nsg", "121 security rules", "limit is 120")
    raised = {"ocisvc-nsg-rule-limit": {"maxRulesPerNsg": 200}}
    assert run_policy(svc.ocisvc_nsg_rule_limit, [nsg, *rules(121)], raised) == []


@pytest.mark.parametrize("label", ["oke_api", "1subnet", "okeworkersandpods"])
def test_invalid_dns_label_is_flagged(label: str) -> None:
    """dns.htm: VCN and subnet labels are at most 15 alphanumeric characters, starting with a letter."""
    results = run_policy(
        svc.ocisvc_dns_label,
        [record(svc.SUBNET, "bad", {"dnsLabel": label}), record(svc.VCN, "good", {"dnsLabel": "dicomstore1234x"})],
    )
    assert len(results) == 1
    assert_flags(results, "bad", "1-15 letters and digits")


@pytest.mark.parametrize(("algorithm", "length"), [("AES", 256), ("AES", 64), ("RSA", 2048), ("DES", 8)])
def test_unsupported_key_shape_is_flagged(algorithm: str, length: int) -> None:
    """KeyShape: lengths are bytes (AES 16/24/32, RSA 256/384/512, ECDSA 32/48/66)."""
    key = record(svc.KMS_KEY, "key", {"keyShape": {"algorithm": algorithm, "length": length}})
    results = run_policy(svc.ocisvc_key_shape, [key])
    assert len(results) == 1
    assert_flags(results, "key", "32 for the master key")


def test_supported_key_shapes_pass() -> None:
    keys = [
        record(svc.KMS_KEY, f"{algorithm}-{length}", {"keyShape": {"algorithm": algorithm, "length": length}})
        for algorithm, length in (("AES", 32), ("AES", 16), ("RSA", 512), ("ECDSA", 66))
    ]
    assert run_policy(svc.ocisvc_key_shape, keys) == []


def _secret_key(name: str, user: str) -> ResourceRecord:
    return record(svc.CUSTOMER_SECRET_KEY, name, {"userId": user, "displayName": name})


def test_a_third_customer_secret_key_of_one_user_is_flagged() -> None:
    """customer-secret-key.html: "A user can have up to two secret keys at a time"."""
    s3_user, other = "ocid1.user.oc1..aaaaaaaas3user", "ocid1.user.oc1..aaaaaaaaother"
    keys = [_secret_key(f"key-{n}", s3_user) for n in range(3)] + [_secret_key("other", other)]
    results = run_policy(svc.ocisvc_customer_secret_keys_per_user, keys)
    assert sorted(result.message.split("'")[1] for result in results) == ["key-0", "key-1", "key-2"]
    assert_flags(results[:1], "key-0", "allows 2 at a time", "delete the old key first")


def test_two_customer_secret_keys_during_a_roll_pass() -> None:
    keys = [_secret_key(f"key-{n}", "ocid1.user.oc1..aaaaaaaas3user") for n in (1, 2)]
    unknown = [_secret_key(f"new-{n}", UNKNOWN_STRING_VALUE) for n in range(3)]  # users created in this preview
    assert run_policy(svc.ocisvc_customer_secret_keys_per_user, keys + unknown) == []


def _alarm(name: str, namespace: str, query: str) -> ResourceRecord:
    return record(svc.ALARM, name, {"namespace": namespace, "query": query})


@pytest.mark.parametrize(
    ("namespace", "query"),
    [
        ("oci_objectstorage", 'ClientErrors[5m]{resourceId = "ocid1.bucket.oc1..b"}.sum() > 100'),
        (
            "oci_postgresql",
            'Connections[1m]{resourceID = "ocid1.dbsystem.oc1..d", dbInstanceRole = "PRIMARY"}.max() > 1',
        ),
        ("oci_vpn", 'TunnelState[1m]{resourceId = "ocid1.ipsecconnection.oc1..i"}.mean() == 0'),
    ],
)
def test_an_alarm_on_a_dimension_its_namespace_does_not_emit_is_flagged(namespace: str, query: str) -> None:
    """MQL dimension names are case-sensitive; each namespace's metrics page lists its dimensions."""
    results = run_policy(svc.ocisvc_alarm_dimensions, [_alarm("bad", namespace, query)])
    assert len(results) == 1
    assert_flags(results, "bad", "can never fire")


def test_alarms_on_documented_dimensions_or_other_namespaces_pass() -> None:
    alarms = [
        _alarm("bucket", "oci_objectstorage", 'ClientErrors[5m]{resourceID = "ocid1.bucket.oc1..b"}.sum() > 100'),
        _alarm("db", "oci_postgresql", 'CpuUtilization[5m]{resourceId = "x", dbInstanceRole = "PRIMARY"}.mean() > 80'),
        _alarm("lb", "oci_lbaas", "UnHealthyBackendServers[1m].max() > 0"),  # no filter
        _alarm("fc", "oci_fastconnect", 'ConnectionState[1m]{resourceId = "v"}.mean() == 0'),  # not judged
    ]
    assert run_policy(svc.ocisvc_alarm_dimensions, alarms) == []


def test_the_shipped_stacks_alarms_use_documented_dimensions(dev_plan: Recorded, prod_plan: Recorded) -> None:
    for plan in (dev_plan, prod_plan):
        alarms = plan.of_type(svc.ALARM)
        assert alarms and run_policy(svc.ocisvc_alarm_dimensions, alarms) == []
