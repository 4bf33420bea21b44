"""Edge block: what the cloud side of Roving Edge Devices (REDs) needs — everything but the device itself.

There is no Roving Edge resource in pulumi-oci 5.5 (no `rover` module; device orders are not in the
provider), so a device is **ordered outside Pulumi**. This block owns what can be owned, so that an operator's
order finds everything ready:

* an **edge-transfer bucket** `<name_prefix>-edge-transfer` in the data compartment (images and models move
  through it in both directions: studies acquired at the edge are synced up and then ingested into Orthanc,
  trained models under `models/` are synced down). It is as private as the DICOM bucket — NoPublicAccess,
  HSM master key, versioning, object events, write and read logs — and a staging area: lifecycle deletes objects and
  previous versions after `edge.transferRetentionDays`. `protect` + `retain_on_delete` like every bucket.
* an IAM group of **RED operators** who may order and manage devices in the app compartment and attach the
  transfer bucket as a device workload; the **Roving Edge service** may read that bucket (Oracle's required
  grant to build the sync manifest);
* one IAM **sync user per device** (API keys only; the operator uploads the device's public key), members of
  one sync group that may use objects of the transfer bucket only: a lost device is revoked by deleting its
  user, without touching the others. Users rather than a dynamic group: the device's data-sync tasks sign
  requests with credentials configured on the device (Oracle's data-sync prerequisites: "a user group (or
  dynamic group for services)"; a dynamic group is for OCI services acting as resource principals).
* the **local inference workload** for the device's compute, rendered as Kubernetes manifests
  (`components/edge/edge_workload.py`) and exported, not applied: the device is not reachable from where Pulumi runs.

What the operator does outside Pulumi (README, "Edge"): order the device(s) in the console or with
`oci rover node create` in the app compartment, attaching the edge-transfer bucket as a workload; after
delivery, unlock it, create an API key for its sync user on the device, configure the data-sync tasks, create
the `red-object-storage` Kubernetes secret and apply the exported manifest on the device's Kubernetes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

from components.config.schema import EdgeConfig
from components.data.bucket_lifecycle import INCOMPLETE_UPLOAD_DAYS, LifecycleRule
from components.data.buckets import access_logs, lifecycle_policy, private_bucket
from components.data.storage import object_storage_user
from components.edge.edge_workload import InferenceWorkload, render_inference_manifest
from components.identity.identity import iam_policy
from components.scope import StackScope
from components.security import ai_edge_iam
from components.security.iam_statements import bucket_object_policy


def transfer_lifecycle_rules(retention_days: int) -> list[LifecycleRule]:
    """The staging bucket keeps nothing longer than the retention: objects, old versions, stale uploads."""
    return [
        LifecycleRule("delete-staged-objects", "DELETE", "objects", retention_days),
        LifecycleRule("delete-previous-versions", "DELETE", "previous-object-versions", retention_days),
        LifecycleRule("abort-incomplete-uploads", "ABORT", "multipart-uploads", INCOMPLETE_UPLOAD_DAYS),
    ]


@dataclass(frozen=True)
class EdgeArgs:
    config: EdgeConfig
    """The `edge` config section."""
    scope: StackScope
    """Prefix of the bucket, group, user and policy names; the tenancy (groups and users live there, and the rover
    namespace grant attaches there); the parent compartment, which holds the edge policy as the common parent of the
    app and data compartments."""
    app_compartment_id: pulumi.Input[str]
    """Where devices are ordered and managed."""
    data_compartment_id: pulumi.Input[str]
    """Where the edge-transfer bucket lives (the security zone)."""
    namespace: pulumi.Input[str]
    """Object Storage namespace."""
    master_key_id: pulumi.Input[str]
    """The HSM master key the bucket is encrypted with."""
    log_group_id: pulumi.Input[str]
    """The service log group: the bucket's write log goes there."""


class Edge(pulumi.ComponentResource):
    """Edge-transfer bucket, RED operator and sync identities, and the device's inference manifest."""

    transfer_bucket_name: pulumi.Output[str]
    operators_group_name: pulumi.Output[str]
    sync_user_ids: list[pulumi.Output[str]]
    inference_manifest: str

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:edge:Edge", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        bucket_name = f"{args.scope.name_prefix}-edge-transfer"

        bucket = private_bucket(
            f"{name}-transfer-bucket",
            compartment_id=args.data_compartment_id,
            namespace=args.namespace,
            name=bucket_name,
            kms_key_id=args.master_key_id,
            opts=child,
        )
        lifecycle_policy(f"{name}-transfer-lifecycle", bucket, transfer_lifecycle_rules(config.transfer_retention_days))
        access_logs(f"{name}-transfer", args.log_group_id, args.data_compartment_id, bucket)

        # The block's two groups, `<prefix>-red-<role>`: who orders the devices, and who the devices sync as.
        operators, sync_group = (
            oci.identity.Group(
                f"{name}-{role}",
                compartment_id=args.scope.tenancy_id,
                name=f"{args.scope.name_prefix}-red-{role}",
                description=description,
                opts=child,
            )
            for role, description in (
                (
                    "operators",
                    "Roving Edge Device operators: order and manage devices, attach the edge-transfer bucket",
                ),
                ("sync", "Roving Edge Device sync users: objects of the edge-transfer bucket only"),
            )
        )
        self.sync_user_ids = [
            self._sync_user(name, args, sync_group, number) for number in range(1, config.device_count + 1)
        ]
        iam_policy(
            f"{name}-policy",
            compartment_id=args.scope.parent_compartment_id,
            name=f"{args.scope.name_prefix}-edge",
            description="Roving Edge: operators, the rover service and device sync users on the edge-transfer bucket",
            statements=pulumi.Output.all(
                operators.id, sync_group.id, args.app_compartment_id, args.data_compartment_id, bucket.name
            ).apply(
                lambda values: (
                    ai_edge_iam.edge_statements(ai_edge_iam.EdgeScope(values[0], values[2], values[3], values[4]))
                    + bucket_object_policy(values[1], values[3], values[4])
                )
            ),
            descendants=[args.app_compartment_id, args.data_compartment_id],
            opts=child,
        )
        # `in tenancy` is valid only in a policy attached to the tenancy.
        iam_policy(
            f"{name}-rover-namespaces-policy",
            compartment_id=args.scope.tenancy_id,
            name=f"{args.scope.name_prefix}-edge-rover-namespaces",
            description="Roving Edge: the rover service manages the tenancy's Object Storage namespace (Oracle's docs)",
            statements=[ai_edge_iam.ROVER_NAMESPACE_STATEMENT],
            opts=child,
        )

        self.transfer_bucket_name = bucket.name
        self.operators_group_name = operators.name
        self.inference_manifest = render_inference_manifest(
            InferenceWorkload(image=config.inference_image, bucket_name=bucket_name, gpus=config.inference_gpus)
        )
        self.register_outputs(
            {
                "transfer_bucket_name": self.transfer_bucket_name,
                "operators_group_name": self.operators_group_name,
                "sync_user_ids": self.sync_user_ids,
                "inference_manifest": self.inference_manifest,
            }
        )

    def _sync_user(self, name: str, args: EdgeArgs, group: oci.identity.Group, number: int) -> pulumi.Output[str]:
        """The IAM user device `number` syncs as: API keys only (no console password, no other credential)."""
        user = object_storage_user(
            f"{name}-sync-user-{number}",
            tenancy_id=args.scope.tenancy_id,
            name=f"{args.scope.name_prefix}-red-{number}-sync",
            description=f"Roving Edge Device {number}: data sync with the edge-transfer bucket",
            credential="api_keys",
            opts=pulumi.ResourceOptions(parent=self),
        )
        oci.identity.UserGroupMembership(
            f"{name}-sync-user-{number}-membership",
            group_id=group.id,
            user_id=user.id,
            opts=pulumi.ResourceOptions(parent=user),
        )
        return user.id
