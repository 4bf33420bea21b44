"""The recorded resources as a Terraform plan JSON document, for scanners that read Terraform plans.

Checkov, KICS and conftest read `terraform show -json <plan>` output (format 1.2:
https://developer.hashicorp.com/terraform/internals/json-format). pulumi-oci 5.5 is a bridge of
oracle/terraform-provider-oci, so each resource has a Terraform twin; this module writes the twin:

* type: `oci_<terraform prefix>_<snake_case resource>`, the prefix being the reverse of pulumi-oci's module
  table (`mappedMods` in pulumi/pulumi-oci provider/resources.go, e.g. `cloud_guard` -> `CloudGuard`,
  `objectstorage` -> `ObjectStorage`) plus its explicit overrides (`oci_container_instances_container_instance`
  is `oci:ContainerEngine/containerInstance:ContainerInstance`);
* attributes: the engine's camelCase names in snake_case, the bridge's own rule; the keys of free-form maps
  (tags, metadata, environment variables) are user data and stay as written;
* nested objects are Terraform blocks, which the plan JSON always writes as lists (terraform-provider-oci is
  an SDKv2 provider: every nested object is a block, even with MaxItems 1);
* Kubernetes objects become `kubernetes_manifest` resources (the hashicorp/kubernetes provider's resource for
  a raw object), their manifest unchanged;
* secrets are written as "[secret]" and flagged in `sensitive_values`, as Terraform flags sensitive values.

Component resources and providers have no Terraform twin and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from offline.records import ResourceRecord
from offline.redact import is_secret, redact

FORMAT_VERSION = "1.2"  # the plan JSON format Terraform 1.5-1.9 writes
TERRAFORM_VERSION = "1.5.7"  # a Terraform release that writes format 1.2 (readers check the format, not this)
OCI_PROVIDER = "registry.terraform.io/oracle/oci"
KUBERNETES_PROVIDER = "registry.terraform.io/hashicorp/kubernetes"
KUBERNETES_MANIFEST = "kubernetes_manifest"

# pulumi-oci module -> Terraform prefix (reverse of `mappedMods`, pulumi/pulumi-oci provider/resources.go),
# for the modules a DICOM store deploys or could; an unknown module is an error naming this table.
TERRAFORM_PREFIXES: Mapping[str, str] = {
    "Audit": "audit", "Bastion": "bastion", "Budget": "budget", "CertificatesManagement": "certificates_management",
    "CloudGuard": "cloud_guard", "ContainerEngine": "containerengine", "ContainerInstances": "container_instances",
    "Core": "core", "DataCatalog": "datacatalog", "DataScience": "datascience", "Dns": "dns", "Events": "events",
    "FileStorage": "file_storage", "Functions": "functions", "Identity": "identity", "Kms": "kms",
    "LoadBalancer": "load_balancer", "Logging": "logging", "Monitoring": "monitoring",
    "NetworkLoadBalancer": "network_load_balancer", "ObjectStorage": "objectstorage", "Ons": "ons", "Psql": "psql",
    "Secrets": "secrets", "Vault": "vault",
}  # fmt: skip
# Resources whose Pulumi token is not the mechanical one (explicit `Tok:` entries in resources.go).
TERRAFORM_TYPE_OVERRIDES: Mapping[str, str] = {
    "oci:ContainerEngine/containerInstance:ContainerInstance": "oci_container_instances_container_instance",
}
# Inputs typed Mapping[str, ...] in pulumi-oci: their keys are user data, not schema attributes.
FREE_FORM_MAPS = frozenset(
    {"freeformTags", "definedTags", "systemTags", "metadata", "extendedMetadata", "nodeMetadata",
     "environmentVariables"}
)  # fmt: skip
_TOKEN = re.compile(r"^oci:(?P<module>[A-Za-z]+)/(?P<resource>[a-zA-Z0-9]+):[A-Za-z0-9]+$")


class TerraformTypeError(ValueError):
    """A resource type with no known Terraform twin."""


def snake_case(name: str) -> str:
    """`cidrBlocks` -> `cidr_blocks`, `isIpv6enabled` -> `is_ipv6enabled` (digits stay attached)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def terraform_type(pulumi_type: str) -> str:
    """The Terraform resource type of a pulumi-oci type token."""
    if pulumi_type in TERRAFORM_TYPE_OVERRIDES:
        return TERRAFORM_TYPE_OVERRIDES[pulumi_type]
    match = _TOKEN.match(pulumi_type)
    if match is None or match["module"] not in TERRAFORM_PREFIXES:
        raise TerraformTypeError(
            f"{pulumi_type}: no Terraform type known. Fix: add its module to TERRAFORM_PREFIXES (or the resource to "
            "TERRAFORM_TYPE_OVERRIDES) in offline/tfplan.py, from pulumi/pulumi-oci provider/resources.go."
        )
    return f"oci_{TERRAFORM_PREFIXES[match['module']]}_{snake_case(match['resource'])}"


def _plain(value: Any) -> Any:
    """Engine numbers as JSON integers where they are whole (22.0 -> 22)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def terraform_value(value: Any, *, free_form: bool = False) -> Any:
    """An engine value in Terraform's plan shape: snake_case attributes, nested blocks as lists."""
    if isinstance(value, Mapping):
        if free_form:
            return {key: _plain(item) for key, item in value.items()}
        return {
            snake_case(key): _block(item, free_form=key in FREE_FORM_MAPS)
            for key, item in value.items()
            if item is not None
        }
    if isinstance(value, list):
        return [terraform_value(item) for item in value]
    return _plain(value)


def _block(value: Any, *, free_form: bool) -> Any:
    converted = terraform_value(value, free_form=free_form)
    return [converted] if isinstance(value, Mapping) and not free_form else converted


def _sensitive(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """`sensitive_values`: true for each attribute that holds a secret somewhere."""

    def holds_secret(value: Any) -> bool:
        if is_secret(value):
            return True
        if isinstance(value, Mapping):
            return any(holds_secret(item) for item in value.values())
        return isinstance(value, list) and any(holds_secret(item) for item in value)

    return {snake_case(key): True for key, value in inputs.items() if holds_secret(value)}


def _resource(record: ResourceRecord) -> tuple[dict[str, Any], str]:
    """The planned-values entry of one record, and its provider config key."""
    if record.type.startswith("kubernetes:"):
        resource_type, provider = KUBERNETES_MANIFEST, KUBERNETES_PROVIDER
        values: dict[str, Any] = {"manifest": redact(record.inputs)}
        sensitive = {"manifest": True} if _sensitive(record.inputs) else {}
    else:
        resource_type, provider = terraform_type(record.type), OCI_PROVIDER
        values = terraform_value(redact(record.inputs))
        sensitive = _sensitive(record.inputs)
    entry = {
        "address": f"{resource_type}.{record.name}",
        "mode": "managed",
        "type": resource_type,
        "name": record.name,
        "provider_name": provider,
        "schema_version": 0,
        "values": values,
        "sensitive_values": sensitive,
    }
    return entry, provider.rsplit("/", 1)[-1]


def terraform_plan(records: Sequence[ResourceRecord], *, region: str) -> dict[str, Any]:
    """The plan JSON document (format 1.2) of the cloud resources among `records`: everything to create."""
    exported = [record for record in records if record.custom and not record.type.startswith("pulumi:")]
    entries = [_resource(record) for record in exported]
    addresses = {record.urn: entry["address"] for record, (entry, _) in zip(exported, entries, strict=True)}
    changes = [
        {
            "address": entry["address"],
            "mode": "managed",
            "type": entry["type"],
            "name": entry["name"],
            "provider_name": entry["provider_name"],
            "change": {
                "actions": ["create"],
                "before": None,
                "after": entry["values"],
                "after_unknown": {},
                "before_sensitive": False,
                "after_sensitive": entry["sensitive_values"],
            },
        }
        for entry, _ in entries
    ]
    configuration = [
        {
            "address": entry["address"],
            "mode": "managed",
            "type": entry["type"],
            "name": entry["name"],
            "provider_config_key": provider_key,
            "expressions": {key: {"constant_value": value} for key, value in entry["values"].items()},
            "schema_version": 0,
            **(
                {"depends_on": [addresses[urn] for urn in record.dependencies if urn in addresses]}
                if any(urn in addresses for urn in record.dependencies)
                else {}
            ),
        }
        for record, (entry, provider_key) in zip(exported, entries, strict=True)
    ]
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": [entry for entry, _ in entries]}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "oci": {
                    "name": "oci",
                    "full_name": OCI_PROVIDER,
                    "expressions": {"region": {"constant_value": region}},
                },
                "kubernetes": {"name": "kubernetes", "full_name": KUBERNETES_PROVIDER},
            },
            "root_module": {"resources": configuration},
        },
    }
