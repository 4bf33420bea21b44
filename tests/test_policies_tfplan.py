"""`python -m offline plan --tfplan FILE`: the recorded resources as Terraform plan JSON (format 1.2), with
the OCI Terraform provider's type and attribute names, so Checkov, KICS and conftest can read them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from offline.cli import main
from offline.redact import mark_secret
from offline.tfplan import TerraformTypeError, snake_case, terraform_plan, terraform_type
from tests.policy_cases import record
from tests.support import Recorded

NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"


@pytest.mark.parametrize(
    ("pulumi_type", "terraform"),
    [
        ("oci:Core/vcn:Vcn", "oci_core_vcn"),
        (NSG_RULE, "oci_core_network_security_group_security_rule"),
        ("oci:ObjectStorage/bucket:Bucket", "oci_objectstorage_bucket"),
        ("oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration", "oci_cloud_guard_cloud_guard_configuration"),
        ("oci:ContainerEngine/nodePool:NodePool", "oci_containerengine_node_pool"),
        ("oci:ContainerEngine/containerInstance:ContainerInstance", "oci_container_instances_container_instance"),
        ("oci:Psql/dbSystem:DbSystem", "oci_psql_db_system"),
        ("oci:LoadBalancer/loadBalancer:LoadBalancer", "oci_load_balancer_load_balancer"),
        ("oci:FileStorage/fileSystem:FileSystem", "oci_file_storage_file_system"),
    ],
)
def test_types_are_the_terraform_provider_names(pulumi_type: str, terraform: str) -> None:
    assert terraform_type(pulumi_type) == terraform


def test_an_unknown_module_is_an_error_naming_the_table_to_extend() -> None:
    with pytest.raises(TerraformTypeError, match="add its module to TERRAFORM_PREFIXES"):
        terraform_type("oci:GoldenGate/deployment:Deployment")


def test_snake_case_keeps_digits_attached() -> None:
    assert [snake_case(n) for n in ("cidrBlocks", "isIpv6enabled", "ipv6cidrBlocks", "kmsKeyId")] == [
        "cidr_blocks", "is_ipv6enabled", "ipv6cidr_blocks", "kms_key_id",
    ]  # fmt: skip


def test_values_are_snake_case_blocks_are_lists_maps_and_secrets_kept_apart() -> None:
    rule = record(NSG_RULE, "ssh", {"direction": "INGRESS", "source": "0.0.0.0/0", "protocol": "6",
                                    "tcpOptions": {"destinationPortRange": {"min": 22.0, "max": 22.0}},
                                    "freeformTags": {"data-classification": "phi"}})  # fmt: skip
    secret = record("oci:Vault/secret:Secret", "db", {"secretContent": {"content": mark_secret("pw")}})
    document = terraform_plan([rule, secret], region="eu-frankfurt-1")
    assert document["format_version"] == "1.2"
    resources = document["planned_values"]["root_module"]["resources"]
    assert resources[0]["address"] == "oci_core_network_security_group_security_rule.ssh"
    assert resources[0]["values"] == {
        "direction": "INGRESS", "source": "0.0.0.0/0", "protocol": "6",
        "tcp_options": [{"destination_port_range": [{"min": 22, "max": 22}]}],
        "freeform_tags": {"data-classification": "phi"},
    }  # fmt: skip
    assert resources[1]["values"] == {"secret_content": [{"content": "[secret]"}]}
    assert resources[1]["sensitive_values"] == {"secret_content": True}
    assert "pw" not in json.dumps(document)
    assert [c["change"]["actions"] for c in document["resource_changes"]] == [["create"], ["create"]]
    assert document["configuration"]["provider_config"]["oci"]["expressions"]["region"] == {
        "constant_value": "eu-frankfurt-1"
    }


def test_components_and_providers_are_left_out_and_kubernetes_objects_are_manifests() -> None:
    component = replace(record("dicomstore:network:Network", "network"), custom=False)
    provider = record("pulumi:providers:oci", "oci")
    deployment = record("kubernetes:apps/v1:Deployment", "app", {"kind": "Deployment", "spec": {"replicas": 2}})
    (resource,) = terraform_plan([component, provider, deployment], region="r")["planned_values"]["root_module"][
        "resources"
    ]
    assert resource["type"] == "kubernetes_manifest"
    assert resource["values"] == {"manifest": {"kind": "Deployment", "spec": {"replicas": 2}}}


def test_plan_writes_the_tfplan_of_the_dev_stack(tmp_path: Path, dev_plan: Recorded) -> None:
    path = tmp_path / "dev.tfplan.json"
    assert main(["plan", "--stack", "dev", "--tfplan", str(path)]) == 0
    document = json.loads(path.read_text())
    resources = document["planned_values"]["root_module"]["resources"]
    cloud = [r for r in dev_plan.records if r.custom and not r.type.startswith("pulumi:")]
    assert len(resources) == len(cloud) == len(document["resource_changes"])
    (bucket,) = [r for r in resources if r["name"] == "dicomstore-storage-bucket"]
    assert bucket["type"] == "oci_objectstorage_bucket"
    assert bucket["values"]["access_type"] == "NoPublicAccess" and bucket["values"]["versioning"] == "Enabled"
    assert bucket["values"]["kms_key_id"].startswith("ocid1.key.")
