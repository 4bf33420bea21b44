"""The DICOM store reference architecture's own rules, as checks any changed stack must still meet.

These encode the design recommendations (ARCHITECTURE.md and the network/security/data issues) rather
than a public benchmark: regional subnets, NSGs on every VNIC-bearing resource, AI workloads on the private
AI subnet, no secret values in container definitions, HSM-protected Vault keys, the PHI compartment under
a security zone, Cloud Guard built from clones of Oracle's recipes and targeting the whole tenancy, VCN
CIDRs that do not collide with the hospital's networks, and stateful resources that survive a mistaken
`pulumi destroy`. Rules that relate resources are stack policies.

Enforcement: MANDATORY for the security zone, AI networking, plaintext secrets and protect/retain (PHI
exposure and loss); ADVISORY for the rest, hygiene whose violation exposes nothing by itself (a VNIC
without NSG gets no traffic at all: the subnets' security list is empty).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies._checks import BUCKET
from policies._framework import REFERENCE_ARCHITECTURE, RecordedResourceOptions, describe
from policies._props import as_list, is_root_compartment, lookup, overlapping_cidrs, pod_containers, pod_spec
from policies._stack import linked, resources_of

SUBNET = "oci:Core/subnet:Subnet"
VCN = "oci:Core/vcn:Vcn"
IPSEC = "oci:Core/ipsec:Ipsec"
DB_SYSTEM = "oci:Psql/dbSystem:DbSystem"
SECURITY_ZONE = "oci:CloudGuard/securityZone:SecurityZone"
DETECTOR_RECIPE = "oci:CloudGuard/detectorRecipe:DetectorRecipe"
RESPONDER_RECIPE = "oci:CloudGuard/responderRecipe:ResponderRecipe"
TARGET = "oci:CloudGuard/target:Target"
KMS_KEY = "oci:Kms/key:Key"
POD_NETWORK_VCN_NATIVE = "OCI_VCN_IP_NATIVE"

# Resources whose loss loses PHI or the keys to it.
STATEFUL_TYPES = frozenset(
    {
        BUCKET,
        DB_SYSTEM,
        "oci:Kms/vault:Vault",
        KMS_KEY,
        "oci:Vault/secret:Secret",
    }
)
# Resources holding PHI: their compartment must be a security zone.
PHI_TYPES = (BUCKET, DB_SYSTEM)


def validate_subnet_regional(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == SUBNET and args.props.get("availabilityDomain"):
        report_violation(
            f"{describe(args)} is bound to availability domain {args.props['availabilityDomain']!r}, so "
            "replicas in it cannot spread over ADs. Fix: omit availability_domain (regional subnet).",
            None,
        )


refarch_subnets_regional = ResourceValidationPolicy(
    name="refarch-subnets-regional",
    description="Subnets are regional (span all availability domains).",
    validate=validate_subnet_regional,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    framework=REFERENCE_ARCHITECTURE.control("network.regional-subnets", "One regional subnet per tier."),
    remediation_steps="Create subnets without availability_domain.",
    tags=["network", "availability"],
)

# Where each VNIC-bearing resource takes its NSGs, and the argument that sets them.
NSG_LOCATIONS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "oci:ContainerEngine/containerInstance:ContainerInstance": (("vnics[].nsgIds", "vnics[].nsg_ids"),),
    "oci:LoadBalancer/loadBalancer:LoadBalancer": (("networkSecurityGroupIds", "network_security_group_ids"),),
    "oci:NetworkLoadBalancer/networkLoadBalancer:NetworkLoadBalancer": (
        ("networkSecurityGroupIds", "network_security_group_ids"),
    ),
    DB_SYSTEM: (("networkDetails.nsgIds", "network_details.nsg_ids"),),
    "oci:ContainerEngine/cluster:Cluster": (("endpointConfig.nsgIds", "endpoint_config.nsg_ids"),),
    "oci:ContainerEngine/nodePool:NodePool": (("nodeConfigDetails.nsgIds", "node_config_details.nsg_ids"),),
    "oci:Core/instance:Instance": (("createVnicDetails.nsgIds", "create_vnic_details.nsg_ids"),),
    "oci:DataScience/privateEndpoint:PrivateEndpoint": (("nsgIds", "nsg_ids"),),
}


def missing_nsgs(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The arguments that should name NSGs on this resource but name none."""
    missing: list[str] = []
    for path, argument in NSG_LOCATIONS.get(resource_type, ()):
        if path.startswith("vnics[]."):
            vnics = as_list(props.get("vnics"))
            if not vnics or any(not as_list(vnic.get("nsgIds")) for vnic in vnics):
                missing.append(argument)
        elif not as_list(lookup(props, path)):
            missing.append(argument)
    pod_network = lookup(props, "nodeConfigDetails.nodePoolPodNetworkOptionDetails", {})
    if pod_network.get("cniType") == POD_NETWORK_VCN_NATIVE and not as_list(pod_network.get("podNsgIds")):
        missing.append("node_config_details.node_pool_pod_network_option_details.pod_nsg_ids")
    return missing


def validate_nsgs_on_vnics(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for argument in missing_nsgs(args.resource_type, args.props):
        report_violation(
            f"{describe(args)} has VNICs without a network security group. Fix: set {argument} to the NSG of "
            "its role (components/network/network.py).",
            None,
        )


refarch_nsgs_on_vnics = ResourceValidationPolicy(
    name="refarch-nsgs-on-every-vnic",
    description="Every VNIC-bearing resource (container instances, load balancers, database, OKE endpoint, "
    "nodes and pods, instances, Data Science private endpoints) is in a network security group.",
    validate=validate_nsgs_on_vnics,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    framework=REFERENCE_ARCHITECTURE.control(
        "network.nsgs", "NSGs, not security lists: one NSG per role, rules name the peer NSG."
    ),
    remediation_steps="Attach the role's NSG from the Network component's nsg_ids output.",
    tags=["network"],
)


# Where each Data Science workload names its subnet; without one it runs on Oracle's default networking.
AI_SUBNET_PATHS: Mapping[str, tuple[str, ...]] = {
    "oci:DataScience/notebookSession:NotebookSession": (
        "notebookSessionConfigurationDetails.subnetId",
        "notebookSessionConfigDetails.subnetId",
    ),
    "oci:DataScience/job:Job": ("jobInfrastructureConfigurationDetails.subnetId",),
    "oci:DataScience/modelDeployment:ModelDeployment": (
        "modelDeploymentConfigurationDetails.modelConfigurationDetails.instanceConfiguration.subnetId",
        "modelDeploymentConfigurationDetails.infrastructureConfigurationDetails.instanceConfiguration.subnetId",
    ),
}
MANAGED_EGRESS_JOB = "ME_STANDALONE"  # a job on Oracle-managed networking with internet egress


def uses_default_networking(resource_type: str, props: Mapping[str, Any]) -> bool:
    """True for a Data Science workload on Oracle's default networking (internet egress, no NSG)."""
    paths = AI_SUBNET_PATHS.get(resource_type)
    if paths is None:
        return False
    if lookup(props, "jobInfrastructureConfigurationDetails.jobInfrastructureType") == MANAGED_EGRESS_JOB:
        return True
    return not any(lookup(props, path) for path in paths)


def validate_ai_custom_networking(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if uses_default_networking(args.resource_type, args.props):
        report_violation(
            f"{describe(args)} runs on Oracle's default networking, with internet egress for the PHI it reads. "
            "Fix: give it the AI subnet (subnet_id in its configuration details; jobs: job_infrastructure_type "
            "'STANDALONE').",
            None,
        )


refarch_ai_custom_networking = ResourceValidationPolicy(
    name="refarch-ai-custom-networking",
    description="Data Science notebooks, jobs and model deployments run in the AI subnet, not on default networking.",
    validate=validate_ai_custom_networking,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=REFERENCE_ARCHITECTURE.control(
        "ai.private-networking", "AI workloads reach the DICOM archive only from the private AI subnet."
    ),
    remediation_steps="Set the workload's subnet_id to the AI subnet (its NSG goes on the Data Science private "
    "endpoint).",
    tags=["ai", "network", "phi"],
)


SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|ACCESS_KEY|API_KEY|CREDENTIAL", re.IGNORECASE)
# A variable that names where a secret is (Vault OCID, mounted file) rather than holding it.
REFERENCE_NAME_SUFFIXES = ("_OCID", "_ID", "_FILE", "_PATH")
WORKLOAD_TYPES = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet")


def is_plaintext_secret(name: str, value: Any) -> bool:
    """True for an environment variable that looks like a secret and holds a literal, not a reference."""
    if not SECRET_NAME.search(name) or name.upper().endswith(REFERENCE_NAME_SUFFIXES):
        return False
    if not isinstance(value, str) or not value:
        return False
    return not (value.startswith(("ocid1.", "/")) or (value.startswith("${") and value.endswith("}")))


def container_env(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(name, literal value) of every environment variable of a container instance or Kubernetes workload."""
    if resource_type == "oci:ContainerEngine/containerInstance:ContainerInstance":
        return [
            (str(name), value)
            for container in as_list(props.get("containers"))
            for name, value in (container.get("environmentVariables") or {}).items()
        ]
    if resource_type in WORKLOAD_TYPES:
        return [
            (str(variable.get("name")), variable.get("value"))
            for container in pod_containers(pod_spec(resource_type, props) or {})
            for variable in as_list(container.get("env"))
        ]
    return []


def validate_no_plaintext_secrets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for name, value in container_env(args.resource_type, args.props):
        if is_plaintext_secret(name, value):
            report_violation(
                f"{describe(args)} puts a literal value in environment variable {name} (anyone who can read the "
                "container definition reads it). Fix: store it in OCI Vault and pass the secret's OCID "
                f"({name}_SECRET_OCID), fetched at start, or a Kubernetes secretKeyRef.",
                None,
            )


refarch_no_plaintext_secrets = ResourceValidationPolicy(
    name="refarch-no-plaintext-secrets-in-containers",
    description="Container instances and Kubernetes workloads carry no secret values in their environment, "
    "only Vault secret OCIDs or secret references.",
    validate=validate_no_plaintext_secrets,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=REFERENCE_ARCHITECTURE.control(
        "conventions.secrets", "Secrets are generated or stored in OCI Vault; workloads reference them."
    ),
    remediation_steps="Keep the value in OCI Vault (oci.vault.Secret) and pass its OCID; the runtime reads it "
    "with its resource principal at start (components/orthanc/orthanc_secrets.py).",
    tags=["secrets", "phi"],
)


HSM_PROTECTION_MODES = ("HSM", "EXTERNAL")  # key material never leaves a hardware security module


def validate_vault_keys_in_hsm(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != KMS_KEY:
        return
    mode = args.props.get("protectionMode", "HSM")  # OCI's default protection mode is HSM
    if mode not in HSM_PROTECTION_MODES:
        report_violation(
            f"{describe(args)} has protection mode {mode!r}: its key material is handled in software. Fix: "
            "set protection_mode='HSM'.",
            None,
        )


refarch_vault_keys_in_hsm = ResourceValidationPolicy(
    name="refarch-vault-keys-in-hsm",
    description="Vault keys (the master encryption key, the certificate authority's key) are HSM-protected.",
    validate=validate_vault_keys_in_hsm,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    framework=REFERENCE_ARCHITECTURE.control(
        "security.vault", "An HSM-protected AES-256 master key in OCI Vault encrypts every PHI store."
    ),
    remediation_steps="Create keys with protection_mode='HSM' (changing it replaces the key: re-encrypt first).",
    tags=["encryption"],
)


def validate_data_security_zone(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    zoned = {zone.props.get("compartmentId") for zone in resources_of(args, SECURITY_ZONE)}
    for resource in resources_of(args, *PHI_TYPES):
        compartment = resource.props.get("compartmentId")
        if compartment not in zoned:
            report_violation(
                f"{describe(resource)} holds PHI in compartment {compartment!r}, which is not a security zone. "
                "Fix: create an oci.cloudguard.SecurityZone on that (data) compartment with the "
                "maximum-security recipe.",
                resource.urn,
            )


refarch_data_security_zone = StackValidationPolicy(
    name="refarch-data-compartment-security-zone",
    description="Every compartment that holds PHI (the DICOM bucket, the database) is a security zone.",
    validate=validate_data_security_zone,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=REFERENCE_ARCHITECTURE.control(
        "security.security-zone", "The data compartment is a security zone with a maximum-security recipe."
    ),
    remediation_steps="Place the bucket and the DB system in the data compartment and put a security zone "
    "on it (components/security/security.py).",
    tags=["governance", "phi"],
)

SOURCE_RECIPE = {DETECTOR_RECIPE: "sourceDetectorRecipeId", RESPONDER_RECIPE: "sourceResponderRecipeId"}


def validate_recipes_cloned(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    source_key = SOURCE_RECIPE.get(args.resource_type)
    if source_key is not None and not args.props.get(source_key):
        argument = (
            "source_detector_recipe_id" if args.resource_type == DETECTOR_RECIPE else ("source_responder_recipe_id")
        )
        report_violation(
            f"{describe(args)} is not a clone of an Oracle-managed recipe, so it misses Oracle's rule updates. "
            f"Fix: set {argument} to the Oracle-managed recipe (found by invoke) and customise the clone.",
            None,
        )


refarch_recipes_cloned = ResourceValidationPolicy(
    name="refarch-cloud-guard-recipes-cloned",
    description="Cloud Guard detector and responder recipes are clones of the Oracle-managed recipes.",
    validate=validate_recipes_cloned,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    framework=REFERENCE_ARCHITECTURE.control(
        "security.cloud-guard", "Clone the Oracle-managed detector and responder recipes and customise them."
    ),
    remediation_steps="Create recipes with source_detector_recipe_id / source_responder_recipe_id.",
    tags=["monitoring"],
)


def validate_cloud_guard_target(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    targets = resources_of(args, TARGET)
    if not targets:
        report_violation(
            "The stack has no Cloud Guard target. Fix: add oci.cloudguard.Target on the root compartment "
            "(target_resource_type='COMPARTMENT', target_resource_id=<tenancy OCID>) with the cloned recipes.",
            None,
        )
    detectors = resources_of(args, DETECTOR_RECIPE)
    responders = resources_of(args, RESPONDER_RECIPE)
    for target in targets:
        target_id = target.props.get("targetResourceId")
        if not is_root_compartment(target_id):
            report_violation(
                f"{describe(target)} targets {target_id!r}, not the root compartment, so the rest of the "
                "tenancy is unmonitored. Fix: set target_resource_id to the tenancy OCID.",
                target.urn,
            )
        for kind, recipes in (("detector", detectors), ("responder", responders)):
            if not any(linked(target, recipe) for recipe in recipes):
                report_violation(
                    f"{describe(target)} uses no {kind} recipe of this stack (only Oracle-managed originals). "
                    f"Fix: list the cloned {kind} recipes in target_{kind}_recipes.",
                    target.urn,
                )


refarch_cloud_guard_target = StackValidationPolicy(
    name="refarch-cloud-guard-target-root",
    description="The Cloud Guard target is the root compartment and uses the stack's cloned recipes.",
    validate=validate_cloud_guard_target,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    framework=REFERENCE_ARCHITECTURE.control(
        "security.cloud-guard", "A Cloud Guard target on the root compartment using the cloned recipes."
    ),
    remediation_steps="Target the tenancy OCID and reference the cloned detector and responder recipes.",
    tags=["monitoring"],
)


def validate_vcn_onprem_overlap(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    on_prem = list(as_list(args.get_config().get("onPremCidrs")))
    for tunnel in resources_of(args, IPSEC):
        on_prem.extend(as_list(tunnel.props.get("staticRoutes")))
    for vcn in resources_of(args, VCN):
        for vcn_cidr, other in overlapping_cidrs(as_list(vcn.props.get("cidrBlocks")), on_prem):
            report_violation(
                f"{describe(vcn)} uses {vcn_cidr}, which overlaps the on-premises network {other}; traffic to "
                "it would never reach the hospital. Fix: choose a VCN CIDR outside every on-prem CIDR "
                "(dicomstore:network.vcnCidrs).",
                vcn.urn,
            )


refarch_vcn_onprem_overlap = StackValidationPolicy(
    name="refarch-vcn-cidr-no-onprem-overlap",
    description="VCN CIDRs do not overlap the on-premises CIDRs (policy config and IPSec static routes).",
    validate=validate_vcn_onprem_overlap,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
    framework=REFERENCE_ARCHITECTURE.control(
        "network.addressing", "VCN address space disjoint from the hospital's networks."
    ),
    config_schema=PolicyConfigSchema(
        {
            "onPremCidrs": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "The hospital's networks (dicomstore:network.onPremCidrs).",
            }
        }
    ),
    remediation_steps="Re-address the VCN (or the on-prem side) so the ranges are disjoint.",
    tags=["network", "connectivity"],
)


def validate_stateful_protected(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in STATEFUL_TYPES:
        return
    missing = [] if args.opts.protect else ["protect=True"]
    # The engine does not send retain-on-delete to policy packs; the offline replay does.
    if isinstance(args.opts, RecordedResourceOptions) and not args.opts.retain_on_delete:
        missing.append("retain_on_delete=True")
    if missing:
        report_violation(
            f"{describe(args)} holds PHI or its keys but lacks {' and '.join(missing)}: a destroy or a "
            f"replacement would delete it. Fix: pass pulumi.ResourceOptions({', '.join(missing)}).",
            None,
        )


refarch_stateful_protected = ResourceValidationPolicy(
    name="refarch-stateful-protected-retained",
    description="Stateful resources (bucket, database, vault, keys, secrets) are protected and retained on "
    "delete (retain is checked offline; the engine does not pass it to policy packs).",
    validate=validate_stateful_protected,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=REFERENCE_ARCHITECTURE.control(
        "conventions.stateful", "Stateful resources get protect=True and retain_on_delete=True."
    ),
    remediation_steps="Give the resource opts=pulumi.ResourceOptions(parent=self, protect=True, "
    "retain_on_delete=True).",
    tags=["data-protection", "phi"],
)

POLICIES: list[Policy] = [
    refarch_subnets_regional,
    refarch_nsgs_on_vnics,
    refarch_ai_custom_networking,
    refarch_no_plaintext_secrets,
    refarch_vault_keys_in_hsm,
    refarch_data_security_zone,
    refarch_recipes_cloned,
    refarch_cloud_guard_target,
    refarch_vcn_onprem_overlap,
    refarch_stateful_protected,
]
