"""Validators that several frameworks share (one check, several controls).

CIS 5.1.1, Checkov CKV_OCI_10 and the HIPAA storage controls ask the same question of a bucket; the
question is answered once here and each framework module wraps it in a policy with its own metadata.
Validators name the resource and the fix in every message, and read only the engine representation
(camelCase inputs).
"""

from __future__ import annotations

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from policies._framework import describe
from policies._props import ADMIN_PORTS, RDP_PORT, SSH_PORT, as_list, known, lookup, open_ports
from policies._stack import linked, resources_of

BUCKET = "oci:ObjectStorage/bucket:Bucket"
REPLICATION_POLICY = "oci:ObjectStorage/replicationPolicy:ReplicationPolicy"
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


def is_bucket_log(log: PolicyResource, bucket: PolicyResource, category: str) -> bool:
    """True if `log` is the bucket's Object Storage service log of `category` (`write` or `read`). The log names
    its bucket by name: by dependency when the name is an output, or by the same literal."""
    source = lookup(log.props, "configuration.source", {})
    if source.get("service") != "objectstorage" or source.get("category") != category:
        return False
    name = known(bucket.props, "name")
    return linked(log, bucket) or (name is not None and known(source, "resource") == name)


def replication_sources(args: StackValidationArgs) -> dict[str, PolicyResource]:
    """Replication destination bucket URN -> the bucket replicating into it, from the stack's replication
    policies (matched by bucket name; the policy is the source bucket's child).

    OCI makes a replication destination read-only and refuses versioning on it ("You can't enable versioning on
    a replication destination bucket. A destination bucket is read-only.",
    https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingversioning.htm), so a versioning control asks
    the question of its source instead."""
    buckets = resources_of(args, BUCKET)
    by_name = {name: bucket for bucket in buckets if (name := known(bucket.props, "name")) is not None}
    sources: dict[str, PolicyResource] = {}
    for policy in resources_of(args, REPLICATION_POLICY):
        destination = by_name.get(known(policy.props, "destinationBucketName"))
        source = by_name.get(known(policy.props, "bucket")) or next(
            (bucket for bucket in buckets if policy.parent is not None and policy.parent.urn == bucket.urn), None
        )
        if destination is not None and source is not None and destination.urn != source.urn:
            sources[destination.urn] = source
    return sources


def unrecoverable_buckets(args: StackValidationArgs, *, retention_counts: bool) -> list[PolicyResource]:
    """Buckets where an overwrite or delete loses the object: not versioned (nor under a retention rule, when
    `retention_counts`), unless the bucket is a read-only replication destination of a versioned source."""
    sources = replication_sources(args)

    def keeps_versions(bucket: PolicyResource) -> bool:
        if known(bucket.props, "versioning") == "Enabled":
            return True
        return retention_counts and bool(as_list(known(bucket.props, "retentionRules")))

    return [
        bucket
        for bucket in resources_of(args, BUCKET)
        if not keeps_versions(bucket) and not (bucket.urn in sources and keeps_versions(sources[bucket.urn]))
    ]


def validate_bucket_versioning(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for bucket in unrecoverable_buckets(args, retention_counts=False):
        versioning = known(bucket.props, "versioning")
        report_violation(
            f"{describe(bucket)} has versioning {versioning or 'Disabled'!r}: an overwrite or delete loses the "
            "image for good. Fix: set versioning='Enabled' (a replication destination stays unversioned, as OCI "
            "requires: version its source bucket instead).",
            bucket.urn,
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
