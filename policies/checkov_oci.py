"""Checkov-equivalent OCI checks, under Checkov's own ids so teams that know Checkov recognise them.

Each policy's framework reference is the Checkov id (CKV_OCI_n / CKV2_OCI_n) and its specification the
Checkov title. Two deliberate differences from Checkov, both stricter:
* the "from anywhere" checks (CKV_OCI_19/20/22, CKV2_OCI_2) also catch IPv6 `::/0` (and non-canonical
  spellings such as `0.0.0.0/00`), which Checkov's string comparison against "0.0.0.0/0" misses;
* protocol "all" and rules without port options count as opening every port, as OCI applies them.

Enforcement follows the same line as the CIS module: MANDATORY where PHI would be exposed or lost.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from policies._checks import (
    BUCKET,
    SECURITY_LIST,
    validate_bucket_cmk,
    validate_bucket_not_public,
    validate_bucket_versioning,
    validate_nsg_no_rdp,
    validate_nsg_no_ssh,
    validate_security_list_no_rdp,
    validate_security_list_no_ssh,
)
from policies._framework import CHECKOV_OCI, describe
from policies._props import as_bool, as_list, lookup

CLUSTER = "oci:ContainerEngine/cluster:Cluster"
NODE_POOL = "oci:ContainerEngine/nodePool:NodePool"


def validate_bucket_object_events(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == BUCKET and as_bool(args.props.get("objectEventsEnabled")) is not True:
        report_violation(
            f"{describe(args)} does not emit object events. Fix: set object_events_enabled=True so "
            "uploads and deletions of images reach the Events service.",
            None,
        )


ckv_oci_7_bucket_object_events = ResourceValidationPolicy(
    name="ckv-oci-7-bucket-object-events",
    description="Object Storage buckets emit object events.",
    validate=validate_bucket_object_events,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    framework=CHECKOV_OCI.control("CKV_OCI_7", "Ensure OCI Object Storage bucket can emit object events"),
    remediation_steps="Set object_events_enabled=True on the bucket.",
    tags=["storage", "logging"],
)

ckv_oci_8_bucket_versioning = StackValidationPolicy(
    name="ckv-oci-8-bucket-versioning",
    description="Object Storage buckets have versioning enabled.",
    validate=validate_bucket_versioning,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=CHECKOV_OCI.control("CKV_OCI_8", "Ensure OCI Object Storage has versioning enabled"),
    remediation_steps="Set versioning='Enabled' on the bucket.",
    tags=["storage", "phi"],
)

ckv_oci_9_bucket_cmk = ResourceValidationPolicy(
    name="ckv-oci-9-bucket-encrypted-with-cmk",
    description="Object Storage buckets are encrypted with a customer-managed key.",
    validate=validate_bucket_cmk,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=CHECKOV_OCI.control("CKV_OCI_9", "Ensure OCI Object Storage is encrypted with Customer Managed Key"),
    remediation_steps="Set kms_key_id to the Vault master key.",
    tags=["storage", "encryption", "phi"],
)

ckv_oci_10_bucket_not_public = ResourceValidationPolicy(
    name="ckv-oci-10-bucket-not-public",
    description="Object Storage buckets are not public.",
    validate=validate_bucket_not_public,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=CHECKOV_OCI.control("CKV_OCI_10", "Ensure OCI Object Storage is not Public"),
    remediation_steps="Set access_type='NoPublicAccess' on the bucket.",
    tags=["storage", "phi"],
)


def validate_security_list_has_ingress(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == SECURITY_LIST and not as_list(args.props.get("ingressSecurityRules")):
        report_violation(
            f"{describe(args)} defines no inbound rules. Fix: if subnets only need NSG filtering, attach the "
            "managed (empty) default security list instead of a separate empty list; otherwise add the "
            "intended ingress rules.",
            None,
        )


ckv_oci_16_security_list_ingress = ResourceValidationPolicy(
    name="ckv-oci-16-security-list-has-ingress",
    description="Security lists (other than the managed default list) define their inbound rules.",
    validate=validate_security_list_has_ingress,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    framework=CHECKOV_OCI.control("CKV_OCI_16", "Ensure VCN has an inbound security list"),
    remediation_steps="Define ingress_security_rules, or drop the list and rely on the emptied default list plus NSGs.",
    tags=["network"],
)

ckv_oci_19_security_list_ssh = ResourceValidationPolicy(
    name="ckv-oci-19-security-list-no-ssh-from-anywhere",
    description="No security list allows ingress from 0.0.0.0/0 or ::/0 to port 22.",
    validate=validate_security_list_no_ssh,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=CHECKOV_OCI.control(
        "CKV_OCI_19", "Ensure security list does not allow ingress from 0.0.0.0:0 to port 22."
    ),
    remediation_steps="Remove the rule or restrict its source; use the OCI Bastion service for SSH.",
    tags=["network"],
)

ckv_oci_20_security_list_rdp = ResourceValidationPolicy(
    name="ckv-oci-20-security-list-no-rdp-from-anywhere",
    description="No security list allows ingress from 0.0.0.0/0 or ::/0 to port 3389.",
    validate=validate_security_list_no_rdp,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=CHECKOV_OCI.control(
        "CKV_OCI_20", "Ensure security list does not allow ingress from 0.0.0.0:0 to port 3389."
    ),
    remediation_steps="Remove the rule or restrict its source; use the OCI Bastion service for RDP.",
    tags=["network"],
)

ckv_oci_22_nsg_ssh = ResourceValidationPolicy(
    name="ckv-oci-22-nsg-no-ssh-from-anywhere",
    description="No NSG rule allows ingress from 0.0.0.0/0 or ::/0 to port 22.",
    validate=validate_nsg_no_ssh,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=CHECKOV_OCI.control(
        "CKV_OCI_22", "Ensure no security groups rules allow ingress from 0.0.0.0/0 to port 22."
    ),
    remediation_steps="Set the rule's source to a peer NSG or a known CIDR.",
    tags=["network"],
)

ckv2_oci_2_nsg_rdp = ResourceValidationPolicy(
    name="ckv2-oci-2-nsg-no-rdp-from-anywhere",
    description="No NSG rule allows ingress from 0.0.0.0/0 or ::/0 to port 3389.",
    validate=validate_nsg_no_rdp,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=CHECKOV_OCI.control("CKV2_OCI_2", "Ensure NSG does not allow all traffic on RDP port (3389)"),
    remediation_steps="Set the rule's source to a peer NSG or a known CIDR.",
    tags=["network"],
)


def validate_cluster_nsgs(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == CLUSTER and not as_list(lookup(args.props, "endpointConfig.nsgIds")):
        report_violation(
            f"{describe(args)} has a Kubernetes API endpoint without NSGs. Fix: set "
            "endpoint_config.nsg_ids to the oke-api NSG.",
            None,
        )


ckv2_oci_3_cluster_nsgs = ResourceValidationPolicy(
    name="ckv2-oci-3-oke-cluster-endpoint-nsgs",
    description="OKE cluster API endpoints are filtered by network security groups.",
    validate=validate_cluster_nsgs,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    framework=CHECKOV_OCI.control("CKV2_OCI_3", "Ensure Kubernetes engine cluster is configured with NSG(s)"),
    remediation_steps="Attach the oke-api NSG through endpoint_config.nsg_ids.",
    tags=["kubernetes", "network"],
)


def validate_node_pool_in_transit_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != NODE_POOL:
        return
    enabled = as_bool(lookup(args.props, "nodeConfigDetails.isPvEncryptionInTransitEnabled"))
    if enabled is not True:
        report_violation(
            f"{describe(args)} sends boot and block volume traffic unencrypted. Fix: set "
            "node_config_details.is_pv_encryption_in_transit_enabled=True.",
            None,
        )


ckv2_oci_5_node_pool_in_transit = ResourceValidationPolicy(
    name="ckv2-oci-5-node-pool-in-transit-encryption",
    description="OKE node pools encrypt volume traffic in transit.",
    validate=validate_node_pool_in_transit_encryption,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=CHECKOV_OCI.control(
        "CKV2_OCI_5", "Ensure Kubernetes Engine Cluster boot volume is configured with in-transit data encryption"
    ),
    remediation_steps="Set node_config_details.is_pv_encryption_in_transit_enabled=True on every node pool.",
    tags=["kubernetes", "encryption", "phi"],
)

POLICIES: list[Policy] = [
    ckv_oci_7_bucket_object_events,
    ckv_oci_8_bucket_versioning,
    ckv_oci_9_bucket_cmk,
    ckv_oci_10_bucket_not_public,
    ckv_oci_16_security_list_ingress,
    ckv_oci_19_security_list_ssh,
    ckv_oci_20_security_list_rdp,
    ckv_oci_22_nsg_ssh,
    ckv2_oci_2_nsg_rdp,
    ckv2_oci_3_cluster_nsgs,
    ckv2_oci_5_node_pool_in_transit,
]
