"""CIS Oracle Cloud Infrastructure Foundations Benchmark v3.0.0: the controls this stack can violate.

Only controls that a Pulumi program can break are here (networking 2.1-2.5, logging and monitoring 4.13,
4.14, 4.16, 4.17, object storage 5.1.1-5.1.3, asset management 6.2); tenancy-level IAM controls (MFA,
password policy, API key age) are properties of the tenancy, not of this stack.

Enforcement follows the benchmark's own profile levels: every Level 1 control is MANDATORY (admin ports,
default security list, Cloud Guard 4.14, key rotation 4.16, public buckets 5.1.1, root compartment 6.2);
the Level 2 detective controls (flow logs 4.13, bucket write logs 4.17) are ADVISORY. The Level 2 bucket
controls 5.1.2 (CMK) and 5.1.3 (versioning) stay MANDATORY: for a PHI store they are also HIPAA
164.312(a)(2)(iv) and (c)(1). A stack can re-level any of them (`dicomstore:policies.enforcementLevels`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies._checks import (
    BUCKET,
    is_bucket_log,
    validate_bucket_cmk,
    validate_bucket_not_public,
    validate_bucket_versioning,
    validate_nsg_no_admin_ports,
    validate_security_list_no_admin_ports,
)
from policies._framework import CIS_OCI, config_number, describe, threshold_schema
from policies._props import as_bool, as_int, as_list, is_anywhere, is_root_compartment, known, lookup
from policies._stack import linked, resources_of

VCN = "oci:Core/vcn:Vcn"
SUBNET = "oci:Core/subnet:Subnet"
DEFAULT_SECURITY_LIST = "oci:Core/defaultSecurityList:DefaultSecurityList"
LOG = "oci:Logging/log:Log"
KEY = "oci:Kms/key:Key"
KEY_VERSION = "oci:Kms/keyVersion:KeyVersion"
CLOUD_GUARD_CONFIGURATION = "oci:CloudGuard/cloudGuardConfiguration:CloudGuardConfiguration"
ICMP_PROTOCOLS = ("1", "58")  # ICMP and ICMPv6: CIS 2.5 allows path-MTU discovery inside the VCN
MAX_ROTATION_DAYS = 365
ENCRYPTION_KEY_ALGORITHM = "AES"  # Vault master encryption keys; RSA/ECDSA keys sign (certificate authorities)

cis_2_1_2_2_security_lists_no_admin_ports = ResourceValidationPolicy(
    name="cis-2-1-2-2-security-lists-no-admin-ports-from-anywhere",
    description="No security list allows ingress from 0.0.0.0/0 or ::/0 to port 22 (SSH) or 3389 (RDP).",
    validate=validate_security_list_no_admin_ports,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=CIS_OCI.control(
        "2.1, 2.2",
        "Ensure no security lists allow ingress from 0.0.0.0/0 to port 22 / to port 3389.",
    ),
    remediation_steps="Delete the rule; filter traffic with NSGs and reach hosts through the OCI Bastion "
    "service, or restrict the rule's source to the administrators' CIDR.",
    tags=["network", "cis-level-1"],
)

cis_2_3_2_4_nsgs_no_admin_ports = ResourceValidationPolicy(
    name="cis-2-3-2-4-nsgs-no-admin-ports-from-anywhere",
    description="No network security group rule allows ingress from 0.0.0.0/0 or ::/0 to port 22 or 3389.",
    validate=validate_nsg_no_admin_ports,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=CIS_OCI.control(
        "2.3, 2.4",
        "Ensure no network security groups allow ingress from 0.0.0.0/0 to port 22 / to port 3389.",
    ),
    remediation_steps="Set the rule's source to the peer NSG (source_type='NETWORK_SECURITY_GROUP') or a "
    "known CIDR; use the OCI Bastion service for administrative access.",
    tags=["network", "cis-level-1"],
)


def default_list_rule_allowed(rule: Mapping[str, Any], peer_key: str) -> bool:
    """CIS 2.5: a default security list may only carry ICMP to or from inside the VCN."""
    return str(rule.get("protocol")) in ICMP_PROTOCOLS and not is_anywhere(rule.get(peer_key))


def default_list_violations(props: Mapping[str, Any]) -> list[str]:
    """Descriptions of the default security list rules that CIS 2.5 forbids."""
    found: list[str] = []
    for key, peer_key, direction in (
        ("ingressSecurityRules", "source", "ingress"),
        ("egressSecurityRules", "destination", "egress"),
    ):
        found.extend(
            f"{direction} protocol {rule.get('protocol')!r} {peer_key} {rule.get(peer_key)!r}"
            for rule in as_list(props.get(key))
            if not default_list_rule_allowed(rule, peer_key)
        )
    return found


def validate_default_security_list_restricts_all(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    default_lists = resources_of(args, DEFAULT_SECURITY_LIST)
    for vcn in resources_of(args, VCN):
        if not any(linked(default_list, vcn) for default_list in default_lists):
            report_violation(
                f"{describe(vcn)} leaves its default security list unmanaged, so it keeps OCI's default "
                "rules (SSH from 0.0.0.0/0). Fix: take it over with oci.core.DefaultSecurityList("
                "manage_default_resource_id=vcn.default_security_list_id, ingress_security_rules=[], "
                "egress_security_rules=[]).",
                vcn.urn,
            )
    for default_list in default_lists:
        for rule in default_list_violations(default_list.props):
            report_violation(
                f"{describe(default_list)} allows {rule}. Fix: remove the rule; only ICMP within the VCN "
                "may stay, all other traffic is filtered by NSGs.",
                default_list.urn,
            )


cis_2_5_default_security_list = StackValidationPolicy(
    name="cis-2-5-default-security-list-restricts-all",
    description="Every VCN's default security list is managed by the stack and restricts all traffic "
    "except ICMP within the VCN.",
    validate=validate_default_security_list_restricts_all,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=CIS_OCI.control(
        "2.5", "Ensure the default security list of every VCN restricts all traffic except ICMP within VCN."
    ),
    remediation_steps="Manage the default security list with oci.core.DefaultSecurityList and give it no "
    "rules (or ICMP from the VCN CIDR only); attach NSGs to VNICs for the traffic the workload needs.",
    tags=["network", "cis-level-1"],
)


def _is_flow_log(log: PolicyResource) -> bool:
    return bool(lookup(log.props, "configuration.source.service") == "flowlogs")


def validate_flow_logs_every_subnet(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    flow_logs = [log for log in resources_of(args, LOG) if _is_flow_log(log)]
    vcns = resources_of(args, VCN)
    for subnet in resources_of(args, SUBNET):
        # A VCN-level flow log covers all of the VCN's subnets.
        covered_by = [subnet, *(vcn for vcn in vcns if linked(subnet, vcn))]
        if not any(linked(log, target) for log in flow_logs for target in covered_by):
            report_violation(
                f"{describe(subnet)} has no VCN flow log. Fix: add an oci.logging.Log with log_type='SERVICE' "
                "and configuration.source {service: 'flowlogs', category: 'all', resource: subnet.id}.",
                subnet.urn,
            )


cis_4_13_flow_logs = StackValidationPolicy(
    name="cis-4-13-vcn-flow-logs-every-subnet",
    description="Every subnet (or its VCN) has a VCN flow log.",
    validate=validate_flow_logs_every_subnet,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    framework=CIS_OCI.control("4.13", "Ensure VCN flow logging is enabled for all subnets."),
    remediation_steps="Create one oci.logging.Log per subnet in the network log group, source service "
    "'flowlogs', category 'all', resource the subnet's OCID.",
    tags=["logging", "cis-level-2"],
)


def validate_cloud_guard_enabled(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    configurations = resources_of(args, CLOUD_GUARD_CONFIGURATION)
    for configuration in configurations:
        status = configuration.props.get("status")
        compartment = configuration.props.get("compartmentId")
        if status != "ENABLED" or not is_root_compartment(compartment):
            report_violation(
                f"{describe(configuration)} has status {status!r} in compartment {compartment!r}. Fix: set "
                "status='ENABLED' and compartment_id to the tenancy OCID (root compartment).",
                configuration.urn,
            )
    if not configurations:
        report_violation(
            "The stack does not enable Cloud Guard. Fix: add oci.cloudguard.CloudGuardConfiguration("
            "compartment_id=<tenancy OCID>, status='ENABLED', reporting_region=<home region>).",
            None,
        )


cis_4_14_cloud_guard = StackValidationPolicy(
    name="cis-4-14-cloud-guard-enabled-in-root",
    description="Cloud Guard is enabled in the root compartment of the tenancy.",
    validate=validate_cloud_guard_enabled,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=CIS_OCI.control("4.14", "Ensure Cloud Guard is enabled in the root compartment of the tenancy."),
    remediation_steps="Enable Cloud Guard at tenancy level with a reporting region and a target on the root "
    "compartment (components/security/security.py).",
    tags=["monitoring", "cis-level-1"],
)


def key_rotation_days(props: Mapping[str, Any]) -> int | None:
    """Days between automatic rotations of a Vault key, None when automatic rotation is off."""
    if as_bool(props.get("isAutoRotationEnabled")) is not True:
        return None
    # OCI rotates every 60 days when auto-rotation is on without an explicit interval.
    return as_int(lookup(props, "autoKeyRotationDetails.rotationIntervalInDays")) or 60


# A key in a DEFAULT vault (no automatic rotation there) is rotated by one oci.kms.KeyVersion per period, created
# by the scheduled `pulumi up`; its logical name says the period (components/security/kms.py, RotationPeriod).
SCHEDULED_VERSION_NAME = re.compile(r"-rotation-every-(?P<days>[0-9]+)d-from-(?P<start>[0-9]{4}-[0-9]{2}-[0-9]{2})$")


def scheduled_rotation(version: PolicyResource, today: datetime.date) -> int | None:
    """The period in days of a scheduled key version that is current on `today`, else None (not a scheduled
    version, or a stale one: the schedule stopped creating versions)."""
    match = SCHEDULED_VERSION_NAME.search(version.name)
    if match is None:
        return None
    days, start = int(match["days"]), datetime.date.fromisoformat(match["start"])
    return days if start <= today < start + datetime.timedelta(days=days) else None


def validate_key_rotation(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    limit = config_number(args.get_config(), "maxRotationIntervalDays", MAX_ROTATION_DAYS)
    versions = resources_of(args, KEY_VERSION)
    today = datetime.datetime.now(datetime.UTC).date()
    for key in resources_of(args, KEY):
        # Master encryption keys (AES) rotate in place. An asymmetric key signs for a certificate authority: a
        # new key version would not re-sign the CA, which is rotated by issuing a new CA instead.
        if lookup(key.props, "keyShape.algorithm", ENCRYPTION_KEY_ALGORITHM) != ENCRYPTION_KEY_ALGORITHM:
            continue
        automatic = key_rotation_days(key.props)
        scheduled = [days for v in versions if linked(v, key) and (days := scheduled_rotation(v, today)) is not None]
        days = min([*scheduled, *([automatic] if automatic is not None else [])], default=None)
        if days is None or days > limit:
            state = "is rotated by no mechanism" if days is None else f"rotates every {days} days"
            report_violation(
                f"{describe(key)} {state}; at most {limit} days are allowed. Fix: set is_auto_rotation_enabled=True "
                f"and auto_key_rotation_details.rotation_interval_in_days<={limit} (virtual private vault), or "
                "rotate it by a scheduled key version (components/security/kms.py, DEFAULT vault).",
                key.urn,
            )


cis_4_16_key_rotation = StackValidationPolicy(
    name="cis-4-16-kms-key-rotation",
    description="Customer-managed Vault master encryption keys (AES) rotate without a person at least once a year: "
    "automatic rotation, or a current scheduled key version.",
    validate=validate_key_rotation,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=CIS_OCI.control(
        "4.16", "Ensure customer created Customer Managed Key (CMK) is rotated at least annually."
    ),
    config_schema=PolicyConfigSchema(
        threshold_schema("maxRotationIntervalDays", MAX_ROTATION_DAYS, "Longest allowed rotation interval.", 1)
    ),
    remediation_steps="Turn on automatic key rotation on the master key with an interval of at most 365 days "
    "(virtual private vault), or keep the scheduled `pulumi up` that creates a key version per period running "
    "(default vault); the interval is dicomstore:security.keyRotationDays.",
    tags=["encryption", "cis-level-1"],
)


def validate_bucket_write_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    logs = resources_of(args, LOG)
    for bucket in resources_of(args, BUCKET):
        if not any(is_bucket_log(log, bucket, "write") for log in logs):
            report_violation(
                f"{describe(bucket)} has no write-access log. Fix: add an oci.logging.Log with "
                "configuration.source {service: 'objectstorage', category: 'write', resource: bucket.name}.",
                bucket.urn,
            )


cis_4_17_bucket_write_logs = StackValidationPolicy(
    name="cis-4-17-bucket-write-logs",
    description="Every Object Storage bucket has write-level logging enabled.",
    validate=validate_bucket_write_logs,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    framework=CIS_OCI.control("4.17", "Ensure write level Object Storage logging is enabled for all buckets."),
    remediation_steps="Create an Object Storage 'write' service log for each bucket in the log group.",
    tags=["logging", "cis-level-2"],
)

cis_5_1_1_bucket_not_public = ResourceValidationPolicy(
    name="cis-5-1-1-bucket-not-public",
    description="No Object Storage bucket is publicly readable.",
    validate=validate_bucket_not_public,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=CIS_OCI.control("5.1.1", "Ensure no Object Storage buckets are publicly visible."),
    remediation_steps="Set access_type='NoPublicAccess'; give Orthanc access through its S3 credentials.",
    tags=["storage", "cis-level-1", "phi"],
)

cis_5_1_2_bucket_cmk = ResourceValidationPolicy(
    name="cis-5-1-2-bucket-encrypted-with-cmk",
    description="Every Object Storage bucket is encrypted with a customer-managed Vault key.",
    validate=validate_bucket_cmk,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=CIS_OCI.control(
        "5.1.2", "Ensure Object Storage Buckets are encrypted with a Customer Managed Key (CMK)."
    ),
    remediation_steps="Set kms_key_id to the Vault master key and allow the objectstorage service to use it.",
    tags=["storage", "encryption", "cis-level-2", "phi"],
)

cis_5_1_3_bucket_versioning = StackValidationPolicy(
    name="cis-5-1-3-bucket-versioning-enabled",
    description="Every Object Storage bucket keeps object versions.",
    validate=validate_bucket_versioning,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=CIS_OCI.control("5.1.3", "Ensure Versioning is Enabled for Object Storage Buckets."),
    remediation_steps="Set versioning='Enabled'; expire non-current versions with a lifecycle rule.",
    tags=["storage", "cis-level-2", "phi"],
)

# Tenancy-wide services that OCI requires (or expects) in the root compartment.
ROOT_ALLOWED_TYPE_PREFIXES: Sequence[str] = (
    "oci:Identity/",  # compartments, policies, dynamic groups, users, tag namespaces
    "oci:CloudGuard/cloudGuardConfiguration:",
    "oci:CloudGuard/target:",
    "oci:CloudGuard/detectorRecipe:",
    "oci:CloudGuard/responderRecipe:",
    "oci:CloudGuard/managedList:",
    "oci:Audit/configuration:",
    "oci:Events/rule:",  # Cloud Guard problem events are matched by a rule in the target's (root) compartment
    "oci:Budget/budget:",  # budgets live in the root compartment (terraform-provider-oci budget_budget example)
)


def validate_no_workload_in_root(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    # The tenancy OCID is stack config, always known: an unknown compartment is one this stack creates.
    if not is_root_compartment(known(args.props, "compartmentId")):
        return
    allowed = args.get_config().get("allowedTypePrefixes", ROOT_ALLOWED_TYPE_PREFIXES)
    if not any(args.resource_type.startswith(prefix) for prefix in allowed):
        report_violation(
            f"{describe(args)} is created in the root compartment (tenancy). Fix: set compartment_id to the "
            "network, app or data compartment from components/identity/identity.py.",
            None,
        )


cis_6_2_no_workload_in_root = ResourceValidationPolicy(
    name="cis-6-2-no-resources-in-root-compartment",
    description="Workload resources live in compartments, not in the root compartment.",
    validate=validate_no_workload_in_root,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=CIS_OCI.control("6.2", "Ensure no resources are created in the root compartment."),
    config_schema=PolicyConfigSchema(
        {
            "allowedTypePrefixes": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(ROOT_ALLOWED_TYPE_PREFIXES),
                "description": "Type-token prefixes allowed in the root compartment (tenancy-wide services).",
            }
        }
    ),
    remediation_steps="Create the resource in the compartment of its concern (network, app, data, ai).",
    tags=["governance", "cis-level-1"],
)

POLICIES: list[Policy] = [
    cis_2_1_2_2_security_lists_no_admin_ports,
    cis_2_3_2_4_nsgs_no_admin_ports,
    cis_2_5_default_security_list,
    cis_4_13_flow_logs,
    cis_4_14_cloud_guard,
    cis_4_16_key_rotation,
    cis_4_17_bucket_write_logs,
    cis_5_1_1_bucket_not_public,
    cis_5_1_2_bucket_cmk,
    cis_5_1_3_bucket_versioning,
    cis_6_2_no_workload_in_root,
]
