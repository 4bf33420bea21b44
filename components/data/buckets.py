"""The stack's buckets: one definition of a private, CMK-encrypted bucket, its lifecycle policy and its access
logs, used by the image archive, its DR replica and the edge-transfer bucket alike.

A bucket holds PHI wherever it is, so none of these properties is a parameter: no public access, the HSM master
key (CIS OCI 5.1.2), object events on (CKV_OCI_7), `protect` and `retain_on_delete`; `access_logs` gives each
one a write log (CIS OCI 4.17) and a read log (HIPAA 164.312(b): who read which image).

Versioning (CIS OCI 5.1.3) is on for every bucket a client writes to (`private_bucket`). The one exception is
a replication destination (`replica_bucket`): OCI makes it read-only and refuses versioning on it ("You can't
enable versioning on a replication destination bucket. A destination bucket is read-only." — Object Storage
docs, https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingversioning.htm; "Using Replication",
https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingreplication.htm). Such a bucket is only created
together with the replication policy that makes it a destination, so an unversioned bucket cannot exist on its
own.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_oci as oci

from components.data.bucket_lifecycle import LifecycleRule
from components.logs import service_log

ACCESS_LOG_RETENTION_DAYS = 180  # OCI Logging's maximum; archive to Object Storage for longer
# The two categories of Object Storage service logs (OCI Logging): write access events and read access events.
ACCESS_LOG_CATEGORIES = ("write", "read")


def _bucket(
    resource_name: str,
    *,
    compartment_id: pulumi.Input[str],
    namespace: pulumi.Input[str],
    name: str,
    kms_key_id: pulumi.Input[str],
    versioned: bool,
    auto_tiering: bool,
    opts: pulumi.ResourceOptions,
) -> oci.objectstorage.Bucket:
    """A bucket no one outside the tenancy can read, protected and retained whatever `opts` says."""
    return oci.objectstorage.Bucket(
        resource_name,
        compartment_id=compartment_id,
        namespace=namespace,
        name=name,
        access_type="NoPublicAccess",
        storage_tier="Standard",
        # Allowed create values: Enabled, Disabled (oracle/terraform-provider-oci objectstorage_bucket docs).
        versioning="Enabled" if versioned else "Disabled",
        kms_key_id=kms_key_id,
        object_events_enabled=True,
        auto_tiering="InfrequentAccess" if auto_tiering else "Disabled",
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True)),
    )


def private_bucket(
    resource_name: str,
    *,
    compartment_id: pulumi.Input[str],
    namespace: pulumi.Input[str],
    name: str,
    kms_key_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    auto_tiering: bool = False,
) -> oci.objectstorage.Bucket:
    """A private, versioned, CMK-encrypted bucket that clients write to."""
    return _bucket(
        resource_name,
        compartment_id=compartment_id,
        namespace=namespace,
        name=name,
        kms_key_id=kms_key_id,
        versioned=True,
        auto_tiering=auto_tiering,
        opts=opts,
    )


def replica_bucket(
    resource_name: str,
    *,
    source: oci.objectstorage.Bucket,
    region: str,
    name: str,
    kms_key_id: pulumi.Input[str],
    replication_name: str,
    provider: oci.Provider,
    compartment_id: pulumi.Input[str],
    service_grant: oci.identity.Policy,
    parent: pulumi.Resource,
) -> oci.objectstorage.Bucket:
    """The read-only replication destination of `source` in `region`, and the replication policy making it so.

    Private and CMK-encrypted like every bucket, but unversioned: OCI refuses versioning on a replication
    destination (module docstring). Its protection is the source's versioning and lifecycle (a previous version
    is never replicated, so it is recovered in the source), the destination's read-only state (no client can
    write or delete there, only replication can) and its own key in `region`. `service_grant` is the IAM policy
    letting the Object Storage service replicate and use that key: OCI refuses a replication policy it could not
    carry out, so both wait for it."""
    replica = _bucket(
        resource_name,
        compartment_id=compartment_id,
        namespace=source.namespace,
        name=name,
        kms_key_id=kms_key_id,
        versioned=False,
        auto_tiering=False,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[service_grant]),
    )
    oci.objectstorage.ReplicationPolicy(
        f"{resource_name}-replication",
        namespace=source.namespace,
        bucket=source.name,
        name=replication_name,
        destination_bucket_name=replica.name,
        destination_region_name=region,
        opts=pulumi.ResourceOptions(parent=source, depends_on=[service_grant]),
    )
    return replica


def lifecycle_policy(
    resource_name: str,
    bucket: oci.objectstorage.Bucket,
    rules: Sequence[LifecycleRule],
    depends_on: Sequence[pulumi.Resource] = (),
) -> oci.objectstorage.ObjectLifecyclePolicy:
    """The bucket's lifecycle rules (enabled, in days), parented to the bucket."""
    return oci.objectstorage.ObjectLifecyclePolicy(
        resource_name,
        namespace=bucket.namespace,
        bucket=bucket.name,
        rules=[
            oci.objectstorage.ObjectLifecyclePolicyRuleArgs(
                name=rule.name,
                action=rule.action,
                target=rule.target,
                time_amount=str(rule.days),
                time_unit="DAYS",
                is_enabled=True,
            )
            for rule in rules
        ],
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=list(depends_on)),
    )


def access_logs(
    name: str,
    log_group_id: pulumi.Input[str],
    compartment_id: pulumi.Input[str],
    bucket: oci.objectstorage.Bucket,
    provider: oci.Provider | None = None,
) -> list[oci.logging.Log]:
    """The bucket's Object Storage service logs, `<name>-write-log` (CIS OCI 4.17) and `<name>-read-log` (who
    read which object: HIPAA 164.312(b) audit controls on PHI), parented to the bucket."""
    return [
        service_log(
            f"{name}-{category}-log",
            display_name=pulumi.Output.concat(bucket.name, f"-{category}"),
            log_group_id=log_group_id,
            compartment_id=compartment_id,
            service="objectstorage",
            category=category,
            resource=bucket.name,
            retention_days=ACCESS_LOG_RETENTION_DAYS,
            opts=pulumi.ResourceOptions(parent=bucket, provider=provider),
        )
        for category in ACCESS_LOG_CATEGORIES
    ]
