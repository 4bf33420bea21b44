"""The stack's buckets: one definition of a private, versioned, CMK-encrypted bucket, its lifecycle policy and
its write log, used by the image archive, its DR replica and the edge-transfer bucket alike.

A bucket holds PHI wherever it is, so none of these properties is a parameter: no public access, versioning on
(CIS OCI 5.1.3), the HSM master key (5.1.2), object events on (CKV_OCI_7), a write log (4.17), `protect` and
`retain_on_delete`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_oci as oci

from components.bucket_lifecycle import LifecycleRule

WRITE_LOG_RETENTION_DAYS = 180  # OCI Logging's maximum; archive to Object Storage for longer


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
    """A bucket no one outside the tenancy can read, protected and retained whatever `opts` says."""
    return oci.objectstorage.Bucket(
        resource_name,
        compartment_id=compartment_id,
        namespace=namespace,
        name=name,
        access_type="NoPublicAccess",
        storage_tier="Standard",
        versioning="Enabled",
        kms_key_id=kms_key_id,
        object_events_enabled=True,
        auto_tiering="InfrequentAccess" if auto_tiering else "Disabled",
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True)),
    )


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


def write_log(
    name: str,
    log_group_id: pulumi.Input[str],
    compartment_id: pulumi.Input[str],
    bucket: oci.objectstorage.Bucket,
    provider: oci.Provider | None = None,
) -> oci.logging.Log:
    """The bucket's write-access service log (CIS OCI 4.17), parented to the bucket."""
    return oci.logging.Log(
        name,
        display_name=bucket.name.apply(lambda bucket_name: f"{bucket_name}-write"),
        log_group_id=log_group_id,
        log_type="SERVICE",
        configuration=oci.logging.LogConfigurationArgs(
            compartment_id=compartment_id,
            source=oci.logging.LogConfigurationSourceArgs(
                category="write", resource=bucket.name, service="objectstorage", source_type="OCISERVICE"
            ),
        ),
        is_enabled=True,
        retention_duration=WRITE_LOG_RETENTION_DAYS,
        opts=pulumi.ResourceOptions(parent=bucket, provider=provider),
    )
