"""One Orthanc service for both runtimes.

`OrthancService` owns what does not depend on where Orthanc runs: the Vault secrets it reads
(`orthanc_secrets.py`), the data tier it is handed (index, bucket, database bootstrap inputs), the IAM grant
that lets the runtime read exactly those secrets, the private load balancer in front of it and the endpoints
the stack exports. A runtime (`container_instances.py`, `kubernetes_workloads.py`) only places Orthanc and
returns the backends the load balancer sends traffic to.

The runtime component carries the service's name, so every resource name, and so every OCID, is what it was
before the service existed; aliases carry the URNs of the children that moved under the service, so `pulumi up`
on an existing stack moves them instead of replacing them (the secrets are protected).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pulumi

from components.config.schema import OrthancConfig
from components.identity.identity import iam_policy
from components.network.ports import DICOM_PORT
from components.orthanc.load_balancer import OrthancLoadBalancer, OrthancLoadBalancerArgs
from components.orthanc.orthanc_runtime import OrthancDataTier, OrthancIndex, OrthancRuntime, orthanc_settings
from components.orthanc.orthanc_secrets import OrthancSecrets, OrthancSecretsArgs
from components.scope import StackScope, TierSubnet, VaultKey
from components.security.iam_statements import orthanc_runtime_statements

PlaceOrthanc = Callable[[str, OrthancDataTier, pulumi.ResourceOptions], OrthancRuntime]
"""Places Orthanc on one runtime: (the service's name, the data tier with its secret grant, options that
parent the runtime to the service)."""


@dataclass(frozen=True)
class OrthancServiceArgs:
    config: OrthancConfig
    """The `orthanc` config section."""
    scope: StackScope
    """The stack's naming and region: the runtime's IAM policy, the secrets' and the private CA's names carry its
    prefix."""
    index: OrthancIndex
    """What the data block hands Orthanc; the runtime gets it with the service's secrets."""
    s3_access_key_id: pulumi.Input[str]
    """The S3 user's access key id (a secret, Storage block); the service stores it in Vault for the runtime."""
    data_compartment_id: pulumi.Input[str]
    """The data compartment: Orthanc's secrets and the policy that lets the runtime read them."""
    vault_key: VaultKey
    """The stack's vault and master key: they hold and encrypt Orthanc's secrets; the runtime decrypts with it."""
    orthanc_dynamic_group_name: pulumi.Input[str]
    """The dynamic group of Orthanc's runtime (container instances or OKE workers), granted its secrets."""
    app_compartment_id: pulumi.Input[str]
    """The app compartment: the load balancers (and their private CA)."""
    load_balancer_subnet: TierSubnet
    """The lb tier: the load balancers' subnet and NSG."""
    log_group_id: pulumi.Input[str]
    """Service log group (Security block): load balancer access and error logs."""
    place: PlaceOrthanc
    """The runtime that places Orthanc (`orthanc.runtime`)."""
    vault_management_endpoint: pulumi.Input[str] | None = None
    """Needed only without `orthanc.certificateOcid` (the private CA's key is created in the vault)."""
    public_load_balancer: bool = False
    """`network.publicLoadBalancer`: make the HTTPS load balancer internet-facing."""


class OrthancService(pulumi.ComponentResource):
    """Orthanc's secrets, data tier and IAM grant, one runtime placing it, the load balancer and the endpoints."""

    secrets: OrthancSecrets
    runtime: OrthancRuntime
    dicomweb_url: pulumi.Output[str]
    dicom_host: pulumi.Output[str]
    dicom_port: pulumi.Output[int]
    dicom_aet: pulumi.Output[str]

    def __init__(self, name: str, args: OrthancServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:orthanc:OrthancService", name, None, opts)
        config, index = args.config, args.index
        child = pulumi.ResourceOptions(parent=self)
        # Before the service existed, these were children of its own parent (the DicomStore).
        old_parent = [pulumi.Alias(parent=opts.parent)] if opts and opts.parent else []
        moved = child.merge(pulumi.ResourceOptions(aliases=old_parent))
        self.secrets = OrthancSecrets(
            f"{name}-secrets",
            OrthancSecretsArgs(
                users=config.users,
                db_username=index.db_username,
                scope=args.scope,
                compartment_id=args.data_compartment_id,
                vault_key=args.vault_key,
                s3_access_key_id=args.s3_access_key_id,
            ),
            moved,
        )
        data = OrthancDataTier(
            index=index,
            s3_access_key_secret_id=self.secrets.s3_access_key_secret_id,
            db_password_secret_id=self.secrets.db_password_secret_id,
            user_password_secret_ids=self.secrets.user_password_secret_ids,
            # The runtime reads a rollover alias's password only while a rollover lists the user.
            rollover_password_secret_ids={
                user: self.secrets.rollover_password_secret_ids[user] for user in config.password_rollover
            },
        )
        # The runtime may read exactly the secrets it is handed, once they all exist; it starts after the grant.
        runtime_grant = iam_policy(
            f"{name}-runtime-policy",
            compartment_id=args.data_compartment_id,
            name=f"{args.scope.name_prefix}-orthanc-runtime",
            description="DICOM store: the Orthanc runtime reads its own secrets (objects go through the S3 user)",
            statements=pulumi.Output.all(
                args.orthanc_dynamic_group_name,
                args.data_compartment_id,
                args.vault_key.key_id,
                *data.secret_ids_by_variable().values(),
            ).apply(lambda v: orthanc_runtime_statements(v[0], v[1], v[2], v[3:])),
            opts=moved,
        )
        self.runtime = args.place(name, replace(data, secret_grant_id=runtime_grant.id), moved)
        load_balancer = OrthancLoadBalancer(
            f"{name}-lb",
            OrthancLoadBalancerArgs(
                scope=args.scope,
                compartment_id=args.app_compartment_id,
                subnet=args.load_balancer_subnet,
                backends=list(self.runtime.backends),
                tls_min_version=config.tls_min_version,
                dicom_tls=config.dicom_tls,
                modality_ca_bundle_id=config.modality_ca_bundle_ocid,
                log_group_id=args.log_group_id,
                certificate_id=config.certificate_ocid,
                vault_management_endpoint=args.vault_management_endpoint,
                dicom_port=DICOM_PORT,
                internet_facing=args.public_load_balancer,
                cors_allowed_origins=config.cors_allowed_origins,
            ),
            # It was the runtime's child before the service existed.
            child.merge(pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=self.runtime)])),
        )
        self.dicomweb_url = pulumi.Output.concat(
            "https://", load_balancer.ip_address, orthanc_settings(config, 0).dicomweb_root
        )
        self.dicom_host = load_balancer.dicom_host
        self.dicom_port = load_balancer.dicom_port
        self.dicom_aet = pulumi.Output.from_input(config.aet)
        self.register_outputs(
            {
                "user_password_secret_ids": self.secrets.user_password_secret_ids,
                "dicomweb_url": self.dicomweb_url,
                "dicom_host": self.dicom_host,
                "dicom_port": self.dicom_port,
                "dicom_aet": self.dicom_aet,
            }
        )
