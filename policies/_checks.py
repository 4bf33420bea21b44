"""Validators that several frameworks share (one check, several controls).

CIS 5.1.1, Checkov CKV_OCI_10 and the HIPAA storage controls ask the same question of a bucket; the
question is answered once here and each framework module wraps it in a policy with its own metadata.
Validators name the resource and the fix in every message, and read only the engine representation
(camelCase inputs).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidation, ResourceValidationArgs

from policies._framework import describe
from policies._props import ADMIN_PORTS, RDP_PORT, SSH_PORT, as_list, open_ports

BUCKET = "oci:ObjectStorage/bucket:Bucket"
SECURITY_LIST = "oci:Core/securityList:SecurityList"
DEFAULT_SECURITY_LIST = "oci:Core/defaultSecurityList:DefaultSecurityList"
NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
PRIVATE_BUCKET_ACCESS = "NoPublicAccess"  # OCI's default when accessType is omitted


def bucket_is_public(access_type: object) -> bool:
    """True for every bucket access type other than NoPublicAccess (ObjectRead, ObjectReadWithoutList)."""
    return access_type is not None and access_type != PRIVATE_BUCKET_ACCESS


def validate_bucket_not_public(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != BUCKET:
        return
    access_type = args.props.get("accessType")
    if bucket_is_public(access_type):
        report_violation(
            f"{describe(args)} has accessType {access_type!r}, so anyone can read its objects (PHI). "
            f"Fix: set access_type='{PRIVATE_BUCKET_ACCESS}' and serve images only through Orthanc.",
            None,
        )


def validate_bucket_cmk(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == BUCKET and not args.props.get("kmsKeyId"):
        report_violation(
            f"{describe(args)} is encrypted with an Oracle-managed key only. "
            "Fix: set kms_key_id to the OCI Vault master key (and let the Object Storage service use it).",
            None,
        )


def validate_bucket_versioning(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != BUCKET:
        return
    versioning = args.props.get("versioning")
    if versioning != "Enabled":
        report_violation(
            f"{describe(args)} has versioning {versioning or 'Disabled'!r}: an overwrite or delete loses the "
            "image for good. Fix: set versioning='Enabled'.",
            None,
        )


def open_ports_validator(ports: tuple[int, ...], *, nsg: bool) -> ResourceValidation:
    """A validator reporting each (source, port) of `ports` that an NSG rule (nsg=True) or a security list's
    ingress rules (nsg=False) open to the whole internet."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if nsg and args.resource_type == NSG_RULE:
            found = open_ports([args.props], ports, nsg=True)
            fix = "restrict the source to a known CIDR or NSG, or reach hosts through the OCI Bastion service"
        elif not nsg and args.resource_type in (SECURITY_LIST, DEFAULT_SECURITY_LIST):
            found = open_ports(as_list(args.props.get("ingressSecurityRules")), ports, nsg=False)
            fix = "remove the ingress rule (filter in NSGs instead) or restrict its source to a known CIDR"
        else:
            return
        for source, port in found:
            report_violation(f"{describe(args)} allows ingress from {source} to port {port}. Fix: {fix}.", None)

    return validate


validate_security_list_no_admin_ports = open_ports_validator(ADMIN_PORTS, nsg=False)
validate_security_list_no_ssh = open_ports_validator((SSH_PORT,), nsg=False)
validate_security_list_no_rdp = open_ports_validator((RDP_PORT,), nsg=False)
validate_nsg_no_admin_ports = open_ports_validator(ADMIN_PORTS, nsg=True)
validate_nsg_no_ssh = open_ports_validator((SSH_PORT,), nsg=True)
validate_nsg_no_rdp = open_ports_validator((RDP_PORT,), nsg=True)
