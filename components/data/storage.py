"""Storage block: the DICOM bucket Orthanc's S3 plugin writes to, and everything that keeps its images safe.

Design choices:
* One private bucket `<name_prefix>-dicom` in the data compartment (the security zone): NoPublicAccess,
  encrypted with the HSM master key, object events on (Cloud Guard and Events see every change), write and read
  logs in the security log group (CIS OCI 4.17; every read of an image is logged too), auto-tiering on by
  default, lifecycle rules from `components/data/bucket_lifecycle.py`. The name is deterministic so IAM policies can
  name the bucket.
* Versioning is always on: an overwritten or deleted image stays recoverable, and previous versions are
  deleted by lifecycle only after a safe period. OCI refuses bucket retention rules on a versioned bucket (and
  versioning on a bucket with retention rules), so `storage.retentionRuleDays` is enforced with versioning
  instead: lifecycle never purges a previous version before that age, and the S3 principal cannot delete
  object versions itself (its policy lacks OBJECT_VERSION_DELETE). What this does not give is a *locked*
  rule an administrator cannot remove; a WORM archive needs a separate, unversioned bucket.
* Orthanc's S3 plugin signs requests with an access key / secret key pair, which in OCI is a Customer Secret
  Key of an IAM user (instance/resource principals are not accepted by the S3-compatible API). So a dedicated
  user exists only for this: it lives in the tenancy (IAM users cannot live elsewhere), can use nothing but
  customer secret keys (no console password, no API keys), and its group may only read and write objects of
  this one bucket. The secret key goes straight into an OCI Vault secret (protected, retained) and leaves
  this component only as that secret's OCID; the access key id is exported as a Pulumi secret. The
  provider does not mark the key's `key` output secret (oracle/terraform-provider-oci
  identity_customer_secret_key_resource.go: `key` is Computed, not Sensitive), so it is declared an
  additional secret output here, which keeps it encrypted in the Pulumi state.
  The key rolls without downtime through `storage.s3KeyGenerations` (OCI allows two keys per user): the keys
  listed all exist, the last one is in the Vault secret (README, "Rotation runbook").
* Cross-region replication (optional) to `<name_prefix>-dicom-dr` in the DR region through an explicit
  `oci.Provider` for that region. Vault keys are regional, so the replica bucket gets its own HSM key in a
  vault in the DR region (provider, vault and key come from the Security block, which owns every key): it is
  as private and CMK-encrypted as the primary (the Database block encrypts its backup copies in that region
  with the same key), with write and read logs in a DR-region log group. It is
  *not* versioned: OCI refuses versioning on a replication destination, which is read-only
  (`components/data/buckets.py` cites the docs). The explicit provider takes credentials from the same environment /
  OCI config file as the default provider; only the region differs. Objects deleted in the primary are deleted
  in the replica too, and previous versions are never replicated: the replica protects against the loss of a
  region, the primary's versioning and lifecycle against the loss or overwrite of an object.
* OCI's Object Storage service acts on the bucket itself (lifecycle moves and deletes, replication writes):
  one policy in the data compartment grants it exactly that (docs: "Service permissions for lifecycle and
  replication").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_oci as oci

from components.config.schema import StorageConfig
from components.data.bucket_lifecycle import lifecycle_rules
from components.data.buckets import access_logs, lifecycle_policy, private_bucket, replica_bucket
from components.identity.identity import iam_policy
from components.scope import StackScope, VaultKey
from components.security.iam_statements import bucket_object_policy, object_storage_service_policy
from components.security.vault_secrets import stored_secret

UserCredential = Literal["api_keys", "customer_secret_keys"]
"""The one kind of credential an Object Storage user may hold: API keys (OCI request signing) or customer secret
keys (the S3-compatible API)."""


@dataclass(frozen=True)
class StorageArgs:
    config: StorageConfig
    """The `storage` config section."""
    scope: StackScope
    """Prefix of the bucket, user, group and secret names; the primary region (S3-compatible endpoint, Object
    Storage service principal); the tenancy (IAM users and groups can only live there)."""
    compartment_id: pulumi.Input[str]
    """The data compartment (security zone)."""
    vault_key: VaultKey
    """The vault holding the S3 secret key, and the HSM master key encrypting the bucket and the secret."""
    log_group_id: pulumi.Input[str]
    """The log group of service logs (bucket write and read logs)."""
    replica_provider: oci.Provider | None = None
    """The DR region's provider (from the Security block), None without replication."""
    replica_key_id: pulumi.Input[str] | None = None
    """The DR region's HSM master key (owned by the Security block), None without replication."""


def s3_key_suffix(generation: int) -> str:
    """Generation 1 keeps the names it had before keys rolled, so a deployed stack's key is not replaced."""
    return "" if generation == 1 else f"-{generation}"


def s3_key_resource_name(name: str, generation: int) -> str:
    """The Pulumi name of the S3 user's customer secret key of `generation`."""
    return f"{name}-s3-key{s3_key_suffix(generation)}"


def s3_endpoint(namespace: str, region: str) -> str:
    """The S3-compatible API endpoint of a tenancy's Object Storage namespace in a region."""
    return f"https://{namespace}.compat.objectstorage.{region}.oraclecloud.com"


def object_storage_user(
    resource_name: str,
    *,
    tenancy_id: str,
    name: str,
    description: str,
    credential: UserCredential,
    opts: pulumi.ResourceOptions,
) -> oci.identity.User:
    """An IAM user a program signs Object Storage requests as (Orthanc's S3 plugin, an edge device's sync): it
    can hold `credential` and nothing else (no console password, auth token or SMTP credential). Its
    capabilities, `<resource_name>-capabilities`, are parented to it."""
    user = oci.identity.User(resource_name, compartment_id=tenancy_id, name=name, description=description, opts=opts)
    oci.identity.UserCapabilitiesManagement(
        f"{resource_name}-capabilities",
        user_id=user.id,
        can_use_api_keys=credential == "api_keys",
        can_use_auth_tokens=False,
        can_use_console_password=False,
        can_use_customer_secret_keys=credential == "customer_secret_keys",
        can_use_smtp_credentials=False,
        opts=pulumi.ResourceOptions(parent=user),
    )
    return user


class Storage(pulumi.ComponentResource):
    """The DICOM bucket, its lifecycle, logs, optional DR replica, and the S3 credentials for Orthanc."""

    namespace: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    bucket_id: pulumi.Output[str]
    s3_endpoint: pulumi.Output[str]
    s3_access_key_id: pulumi.Output[str]
    s3_secret_key_secret_id: pulumi.Output[str]
    replica_bucket_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:storage:Storage", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        bucket_name = f"{args.scope.name_prefix}-dicom"

        self.namespace = oci.objectstorage.get_namespace_output(
            compartment_id=args.scope.tenancy_id, opts=pulumi.InvokeOutputOptions(parent=self)
        ).namespace
        bucket = private_bucket(
            f"{name}-bucket",
            compartment_id=args.compartment_id,
            namespace=self.namespace,
            name=bucket_name,
            kms_key_id=args.vault_key.key_id,
            auto_tiering=config.auto_tiering,
            opts=child,
        )
        replica_region = config.replication_region
        # OCI refuses a lifecycle (or replication) policy the Object Storage service is not allowed to carry out.
        service_policy = iam_policy(
            f"{name}-service-policy",
            compartment_id=args.compartment_id,
            name=f"{args.scope.name_prefix}-objectstorage-service",
            description="Object Storage service: lifecycle and replication of the DICOM bucket",
            statements=pulumi.Output.all(args.compartment_id, args.replica_key_id).apply(
                lambda values: object_storage_service_policy(values[0], args.scope.region, replica_region, values[1])
            ),
            opts=child,
        )
        lifecycle_policy(f"{name}-lifecycle", bucket, lifecycle_rules(config), depends_on=[service_policy])
        access_logs(name, args.log_group_id, args.compartment_id, bucket)
        self.replica_bucket_name = None
        if replica_region and args.replica_provider and args.replica_key_id:
            self.replica_bucket_name = self._replica(
                name=name,
                args=args,
                region=replica_region,
                provider=args.replica_provider,
                key_id=args.replica_key_id,
                source=bucket,
                service_policy=service_policy,
            )

        user_name = f"{args.scope.name_prefix}-orthanc-s3"
        user = object_storage_user(
            f"{name}-s3-user",
            tenancy_id=args.scope.tenancy_id,
            name=user_name,
            description="Orthanc S3 plugin: objects of the DICOM bucket only (customer secret key)",
            credential="customer_secret_keys",
            opts=child,
        )
        group = oci.identity.Group(
            f"{name}-s3-group",
            compartment_id=args.scope.tenancy_id,
            name=user_name,
            description="Orthanc S3 plugin: objects of the DICOM bucket only",
            opts=child,
        )
        oci.identity.UserGroupMembership(
            f"{name}-s3-membership", group_id=group.id, user_id=user.id, opts=pulumi.ResourceOptions(parent=group)
        )
        iam_policy(
            f"{name}-s3-policy",
            compartment_id=args.compartment_id,
            name=user_name,
            description="Orthanc S3 plugin: read and write objects of the DICOM bucket, nothing else",
            statements=pulumi.Output.all(group.id, args.compartment_id, bucket.name).apply(
                lambda values: bucket_object_policy(values[0], values[1], values[2])
            ),
            opts=pulumi.ResourceOptions(parent=group),
        )
        # Every generation listed exists; Orthanc uses the last. Listing two is the roll's middle step: both keys
        # are valid while the replicas restart onto the new one (README, "Rotation runbook").
        keys = [
            oci.identity.CustomerSecretKey(
                s3_key_resource_name(name, generation),
                user_id=user.id,
                display_name=f"{user_name}-orthanc{s3_key_suffix(generation)}",
                opts=pulumi.ResourceOptions(parent=user, additional_secret_outputs=["key"]),
            )
            for generation in config.s3_key_generations
        ]
        secret_key = keys[-1]
        # A new last key changes only the secret's content: a new version of the same secret (vault_secrets).
        secret_key_secret = stored_secret(
            f"{name}-s3-secret-key",
            compartment_id=args.compartment_id,
            vault_key=args.vault_key,
            secret_name=f"{user_name}-secret-key",
            description="Secret key of the Orthanc S3 plugin's customer secret key",
            value=secret_key.key,
            opts=child,
        )

        self.bucket_name = bucket.name
        self.bucket_id = bucket.bucket_id
        self.s3_endpoint = self.namespace.apply(lambda namespace: s3_endpoint(namespace, args.scope.region))
        self.s3_access_key_id = pulumi.Output.secret(secret_key.id)
        self.s3_secret_key_secret_id = secret_key_secret.id
        self.register_outputs(
            {
                "namespace": self.namespace,
                "bucket_name": self.bucket_name,
                "bucket_id": self.bucket_id,
                "s3_endpoint": self.s3_endpoint,
                "s3_access_key_id": self.s3_access_key_id,
                "s3_secret_key_secret_id": self.s3_secret_key_secret_id,
                "replica_bucket_name": self.replica_bucket_name,
            }
        )

    def _replica(
        self,
        *,
        name: str,
        args: StorageArgs,
        region: str,
        provider: oci.Provider,
        key_id: pulumi.Input[str],
        source: oci.objectstorage.Bucket,
        service_policy: oci.identity.Policy,
    ) -> pulumi.Output[str]:
        """The read-only DR bucket in `region` with its access logs, and the replication policy; returns its name."""
        replica = replica_bucket(
            f"{name}-dr-bucket",
            source=source,
            region=region,
            name=f"{args.scope.name_prefix}-dicom-dr",
            kms_key_id=key_id,
            replication_name=f"{args.scope.name_prefix}-dicom-to-{region}",
            provider=provider,
            compartment_id=args.compartment_id,
            service_grant=service_policy,
            parent=self,
        )
        log_group = oci.logging.LogGroup(
            f"{name}-dr-log-group",
            compartment_id=args.compartment_id,
            display_name=f"{args.scope.name_prefix}-dr-service-logs",
            description="Service logs of the DR region (replica bucket writes and reads)",
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        access_logs(f"{name}-dr", log_group.id, args.compartment_id, replica, provider)
        return replica.name
