"""Checkov-equivalent OCI checks, under Checkov's own ids so teams that know Checkov recognise them.

Each policy's framework reference is the Checkov id (CKV_OCI_n / CKV2_OCI_n) and its specification the
Checkov title. Two deliberate differences from Checkov, both stricter:
* the "from anywhere" checks (CKV_OCI_19/20/22, CKV2_OCI_2) also catch IPv6 `::/0` (and non-canonical
  spellings such as `0.0.0.0/00`), which Checkov's string comparison against "0.0.0.0/0" misses;
* protocol "all" and rules without port options count as opening every port, as OCI applies them.

Enforcement follows the same line as the CIS module: MANDATORY where PHI would be exposed or lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidation,
    StackValidationArgs,
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
from policies._framework import CHECKOV_OCI, PolicyKind, describe
from policies._props import as_bool, as_int, as_list, lookup
from policies._stack import linked, resources_of

CLUSTER = "oci:ContainerEngine/cluster:Cluster"
NODE_POOL = "oci:ContainerEngine/nodePool:NodePool"
VOLUME = "oci:Core/volume:Volume"
VOLUME_BACKUP_ASSIGNMENT = "oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment"
INSTANCE = "oci:Core/instance:Instance"
FILE_SYSTEM = "oci:FileStorage/fileSystem:FileSystem"
NFS_EXPORT = "oci:FileStorage/export:Export"
DATA_CATALOG = "oci:DataCatalog/catalog:Catalog"
NOBODY_ID = 65534  # the conventional nobody/nogroup id Checkov expects root to be squashed to


def _attribute_rule(resource_type: str, is_bad: Callable[[Any], bool], problem: str, fix: str) -> ResourceValidation:
    """A validator flagging a `resource_type` whose props `is_bad` says fail: "<resource> <problem>. Fix: <fix>"."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type == resource_type and is_bad(args.props):
            report_violation(f"{describe(args)} {problem}. Fix: {fix}.", None)

    return validate


def _cmk_rule(resource_type: str) -> ResourceValidation:
    """A validator flagging a `resource_type` encrypted with an Oracle-managed key (no kmsKeyId)."""
    return _attribute_rule(
        resource_type, lambda props: not props.get("kmsKeyId"), "is encrypted with an Oracle-managed key only",
        "set kms_key_id to the Vault master key",
    )  # fmt: skip


def _checkov_policy(
    check: str,
    title: str,
    description: str,
    validate: ResourceValidation | StackValidation,
    fix: str,
    *tags: str,
    severity: Severity,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    kind: PolicyKind = ResourceValidationPolicy,
) -> Policy:
    """The policy of one Checkov check (`check`: its id, `title`: its title), named after the id and tags[0]
    (`ckv-oci-19-security-list-no-ssh-from-anywhere`); tags[1:] are its tags. MANDATORY unless `level` says otherwise
    (the checks whose failure exposes nothing, module docstring)."""
    return CHECKOV_OCI.policy(
        f"{check.lower().replace('_', '-')}-{tags[0]}",
        description,
        validate,
        kind=kind,
        level=level,
        severity=severity,
        reference=check,
        specification=title,
        remediation=fix,
        tags=tags[1:],
    )


ckv_oci_7_bucket_object_events = _checkov_policy(
    "CKV_OCI_7", "Ensure OCI Object Storage bucket can emit object events",
    "Object Storage buckets emit object events.",
    _attribute_rule(
        BUCKET, lambda p: as_bool(p.get("objectEventsEnabled")) is not True, "does not emit object events",
        "set object_events_enabled=True so uploads and deletions of images reach the Events service",
    ),
    "Set object_events_enabled=True on the bucket.",
    "bucket-object-events", "storage", "logging",
    severity=Severity.LOW,
    level=EnforcementLevel.ADVISORY,
)  # fmt: skip

ckv_oci_8_bucket_versioning = _checkov_policy(
    "CKV_OCI_8", "Ensure OCI Object Storage has versioning enabled",
    "Object Storage buckets have versioning enabled.",
    validate_bucket_versioning,
    "Set versioning='Enabled' on the bucket.",
    "bucket-versioning", "storage", "phi",
    severity=Severity.MEDIUM,
    kind=StackValidationPolicy,
)  # fmt: skip

ckv_oci_9_bucket_cmk = _checkov_policy(
    "CKV_OCI_9", "Ensure OCI Object Storage is encrypted with Customer Managed Key",
    "Object Storage buckets are encrypted with a customer-managed key.",
    validate_bucket_cmk,
    "Set kms_key_id to the Vault master key.",
    "bucket-encrypted-with-cmk", "storage", "encryption", "phi",
    severity=Severity.HIGH,
)  # fmt: skip

ckv_oci_10_bucket_not_public = _checkov_policy(
    "CKV_OCI_10", "Ensure OCI Object Storage is not Public",
    "Object Storage buckets are not public.",
    validate_bucket_not_public,
    "Set access_type='NoPublicAccess' on the bucket.",
    "bucket-not-public", "storage", "phi",
    severity=Severity.CRITICAL,
)  # fmt: skip

ckv_oci_16_security_list_ingress = _checkov_policy(
    "CKV_OCI_16", "Ensure VCN has an inbound security list",
    "Security lists (other than the managed default list) define their inbound rules.",
    _attribute_rule(
        SECURITY_LIST, lambda p: not as_list(p.get("ingressSecurityRules")), "defines no inbound rules",
        "if subnets only need NSG filtering, attach the managed (empty) default security list instead of a "
        "separate empty list; otherwise add the intended ingress rules",
    ),
    "Define ingress_security_rules, or drop the list and rely on the emptied default list plus NSGs.",
    "security-list-has-ingress", "network",
    severity=Severity.LOW,
    level=EnforcementLevel.ADVISORY,
)  # fmt: skip

ckv_oci_19_security_list_ssh = _checkov_policy(
    "CKV_OCI_19", "Ensure security list does not allow ingress from 0.0.0.0:0 to port 22.",
    "No security list allows ingress from 0.0.0.0/0 or ::/0 to port 22.",
    validate_security_list_no_ssh,
    "Remove the rule or restrict its source; use the OCI Bastion service for SSH.",
    "security-list-no-ssh-from-anywhere", "network",
    severity=Severity.CRITICAL,
)  # fmt: skip

ckv_oci_20_security_list_rdp = _checkov_policy(
    "CKV_OCI_20", "Ensure security list does not allow ingress from 0.0.0.0:0 to port 3389.",
    "No security list allows ingress from 0.0.0.0/0 or ::/0 to port 3389.",
    validate_security_list_no_rdp,
    "Remove the rule or restrict its source; use the OCI Bastion service for RDP.",
    "security-list-no-rdp-from-anywhere", "network",
    severity=Severity.CRITICAL,
)  # fmt: skip

ckv_oci_22_nsg_ssh = _checkov_policy(
    "CKV_OCI_22", "Ensure no security groups rules allow ingress from 0.0.0.0/0 to port 22.",
    "No NSG rule allows ingress from 0.0.0.0/0 or ::/0 to port 22.",
    validate_nsg_no_ssh,
    "Set the rule's source to a peer NSG or a known CIDR.",
    "nsg-no-ssh-from-anywhere", "network",
    severity=Severity.CRITICAL,
)  # fmt: skip

ckv2_oci_2_nsg_rdp = _checkov_policy(
    "CKV2_OCI_2", "Ensure NSG does not allow all traffic on RDP port (3389)",
    "No NSG rule allows ingress from 0.0.0.0/0 or ::/0 to port 3389.",
    validate_nsg_no_rdp,
    "Set the rule's source to a peer NSG or a known CIDR.",
    "nsg-no-rdp-from-anywhere", "network",
    severity=Severity.CRITICAL,
)  # fmt: skip

ckv2_oci_3_cluster_nsgs = _checkov_policy(
    "CKV2_OCI_3", "Ensure Kubernetes engine cluster is configured with NSG(s)",
    "OKE cluster API endpoints are filtered by network security groups.",
    _attribute_rule(
        CLUSTER, lambda p: not as_list(lookup(p, "endpointConfig.nsgIds")),
        "has a Kubernetes API endpoint without NSGs", "set endpoint_config.nsg_ids to the oke-api NSG",
    ),
    "Attach the oke-api NSG through endpoint_config.nsg_ids.",
    "oke-cluster-endpoint-nsgs", "kubernetes", "network",
    severity=Severity.MEDIUM,
    level=EnforcementLevel.ADVISORY,
)  # fmt: skip

ckv2_oci_5_node_pool_in_transit = _checkov_policy(
    "CKV2_OCI_5", "Ensure Kubernetes Engine Cluster boot volume is configured with in-transit data encryption",
    "OKE node pools encrypt volume traffic in transit.",
    _attribute_rule(
        NODE_POOL, lambda p: as_bool(lookup(p, "nodeConfigDetails.isPvEncryptionInTransitEnabled")) is not True,
        "sends boot and block volume traffic unencrypted",
        "set node_config_details.is_pv_encryption_in_transit_enabled=True",
    ),
    "Set node_config_details.is_pv_encryption_in_transit_enabled=True on every node pool.",
    "node-pool-in-transit-encryption", "kubernetes", "encryption", "phi",
    severity=Severity.HIGH,
)  # fmt: skip


def validate_volume_backups(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    assignments = resources_of(args, VOLUME_BACKUP_ASSIGNMENT)
    for volume in resources_of(args, VOLUME):
        # backup_policy_id is deprecated on the volume; the assignment resource is OCI's current way.
        if not volume.props.get("backupPolicyId") and not any(linked(a, volume) for a in assignments):
            report_violation(
                f"{describe(volume)} has no backup policy. Fix: add oci.core.VolumeBackupPolicyAssignment("
                "asset_id=volume.id, policy_id=<gold/silver/bronze or custom policy OCID>).",
                volume.urn,
            )


ckv_oci_2_volume_backup = _checkov_policy(
    "CKV_OCI_2", "Ensure OCI Block Storage Block Volume has backup enabled",
    "Block volumes have a backup policy.",
    validate_volume_backups,
    "Assign a volume backup policy with oci.core.VolumeBackupPolicyAssignment.",
    "block-volume-backup", "storage", "backup",
    severity=Severity.MEDIUM,
    kind=StackValidationPolicy,
)  # fmt: skip

ckv_oci_3_volume_cmk = _checkov_policy(
    "CKV_OCI_3", "OCI Block Storage Block Volumes are encrypted with a Customer Managed Key (CMK)",
    "Block volumes are encrypted with a customer-managed Vault key.",
    _cmk_rule(VOLUME),
    "Set kms_key_id on the volume.",
    "block-volume-encrypted-with-cmk", "storage", "encryption",
    severity=Severity.HIGH,
)  # fmt: skip

ckv_oci_4_instance_in_transit = _checkov_policy(
    "CKV_OCI_4", "Ensure OCI Compute Instance boot volume has in-transit data encryption enabled",
    "Compute instances encrypt boot and block volume traffic in transit.",
    _attribute_rule(
        INSTANCE, lambda p: as_bool(lookup(p, "launchOptions.isPvEncryptionInTransitEnabled")) is not True,
        "sends boot volume traffic unencrypted", "set launch_options.is_pv_encryption_in_transit_enabled=True",
    ),
    "Set launch_options.is_pv_encryption_in_transit_enabled=True.",
    "instance-in-transit-encryption", "compute", "encryption",
    severity=Severity.HIGH,
)  # fmt: skip

ckv_oci_5_instance_legacy_imds = _checkov_policy(
    "CKV_OCI_5", "Ensure OCI Compute Instance has Legacy MetaData service endpoint disabled",
    "Compute instances serve only the v2 (header-protected) instance metadata endpoint.",
    _attribute_rule(
        INSTANCE, lambda p: as_bool(lookup(p, "instanceOptions.areLegacyImdsEndpointsDisabled")) is not True,
        "serves the legacy (v1) instance metadata endpoint, which SSRF can reach without a header",
        "set instance_options.are_legacy_imds_endpoints_disabled=True",
    ),
    "Set instance_options.are_legacy_imds_endpoints_disabled=True.",
    "instance-legacy-imds-disabled", "compute",
    severity=Severity.HIGH,
)  # fmt: skip

ckv_oci_6_instance_monitoring = _checkov_policy(
    "CKV_OCI_6", "Ensure OCI Compute Instance has monitoring enabled",
    "Compute instances keep the Oracle Cloud Agent monitoring plugin on.",
    _attribute_rule(
        INSTANCE, lambda p: as_bool(lookup(p, "agentConfig.isMonitoringDisabled")) is True,
        "has the Oracle Cloud Agent monitoring plugin disabled", "set agent_config.is_monitoring_disabled=False",
    ),
    "Leave agent_config.is_monitoring_disabled unset or False.",
    "instance-monitoring", "compute", "monitoring",
    severity=Severity.LOW,
)  # fmt: skip

ckv_oci_15_file_system_cmk = _checkov_policy(
    "CKV_OCI_15", "Ensure OCI File System is Encrypted with a customer Managed Key",
    "File Storage file systems are encrypted with a customer-managed Vault key.",
    _cmk_rule(FILE_SYSTEM),
    "Set kms_key_id on the file system.",
    "file-system-encrypted-with-cmk", "storage", "encryption",
    severity=Severity.HIGH,
)  # fmt: skip

ckv_oci_23_data_catalog_private = _checkov_policy(
    "CKV_OCI_23", "Ensure OCI Data Catalog is configured without overly permissive network access",
    "Data Catalog instances are reached through a private endpoint.",
    _attribute_rule(
        DATA_CATALOG, lambda p: not as_list(p.get("attachedCatalogPrivateEndpoints")),
        "is reachable over the public endpoint only", "attach a catalog private endpoint",
    ),
    "Create an oci.datacatalog.CatalogPrivateEndpoint and list it in attached_catalog_private_endpoints.",
    "data-catalog-private-endpoint", "network",
    severity=Severity.MEDIUM,
)  # fmt: skip


def _root_not_squashed(props: Any) -> bool:
    """CKV2_OCI_4, stricter than Checkov: some export option squashes root to nobody (65534:65534). Checkov also
    passes an export with no ROOT option at all, i.e. identity_squash NONE, where root stays root."""
    options = [o for o in as_list(props.get("exportOptions")) if str(o.get("identitySquash", "")).upper() == "ROOT"]
    squashed = [
        o for o in options if as_int(o.get("anonymousUid")) == NOBODY_ID and as_int(o.get("anonymousGid")) == NOBODY_ID
    ]
    return not squashed


ckv2_oci_4_nfs_root_squash = _checkov_policy(
    "CKV2_OCI_4", "Ensure File Storage File System access is restricted to root users",
    "NFS exports squash the client's root user to nobody (65534:65534).",
    _attribute_rule(NFS_EXPORT, _root_not_squashed, "lets NFS clients act as root on the file system",
                    f"squash root: identity_squash='ROOT', anonymous_uid={NOBODY_ID}, anonymous_gid={NOBODY_ID}"),
    "Squash root on every export (identity_squash ROOT to 65534:65534).",
    "nfs-export-root-squash", "storage",
    severity=Severity.HIGH,
)  # fmt: skip

POLICIES: list[Policy] = [
    ckv_oci_2_volume_backup,
    ckv_oci_3_volume_cmk,
    ckv_oci_4_instance_in_transit,
    ckv_oci_5_instance_legacy_imds,
    ckv_oci_6_instance_monitoring,
    ckv_oci_7_bucket_object_events,
    ckv_oci_8_bucket_versioning,
    ckv_oci_9_bucket_cmk,
    ckv_oci_10_bucket_not_public,
    ckv_oci_16_security_list_ingress,
    ckv_oci_19_security_list_ssh,
    ckv_oci_20_security_list_rdp,
    ckv_oci_15_file_system_cmk,
    ckv_oci_22_nsg_ssh,
    ckv_oci_23_data_catalog_private,
    ckv2_oci_2_nsg_rdp,
    ckv2_oci_3_cluster_nsgs,
    ckv2_oci_4_nfs_root_squash,
    ckv2_oci_5_node_pool_in_transit,
]
