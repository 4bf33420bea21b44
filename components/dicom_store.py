"""The DICOM store: the top component that composes one child component per architectural block.

Data flows one way: each block receives its own config section and the outputs of the blocks it depends on,
in the order Identity -> Network -> Security -> Storage -> Database -> Orthanc (service and runtime) -> Connectivity ->
Edge -> AI. This is the only place that sees the whole `StackConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pulumi

from components.ai.ai import Ai, AiArgs
from components.config.schema import StackConfig, Tier, orthanc_fleet
from components.connectivity.connectivity import Connectivity, ConnectivityArgs
from components.data.database import BackupCopy, Database, DatabaseArgs
from components.data.storage import Storage, StorageArgs
from components.edge.edge import Edge, EdgeArgs
from components.identity.identity import Identity, IdentityArgs
from components.network.network import Network, NetworkArgs
from components.network.ports import DICOM_PORT, ORTHANC_HTTP_PORT
from components.ops.alarms import MetricCompartment
from components.ops.logs import OkeContainerLogs, OkeContainerLogsArgs
from components.ops.operations import Operations, OperationsArgs
from components.ops.restore import RestoredDatabase, RestoredDatabaseArgs
from components.orthanc.container_instances import ContainerInstances, ContainerInstancesArgs
from components.orthanc.kubernetes_workloads import NAMESPACE as KUBERNETES_NAMESPACE
from components.orthanc.kubernetes_workloads import KubernetesWorkloads, KubernetesWorkloadsArgs
from components.orthanc.oke import Oke, OkeArgs
from components.orthanc.orthanc_runtime import OrthancDataTier, OrthancIndex
from components.orthanc.service import OrthancService, OrthancServiceArgs
from components.scope import StackScope
from components.security.kms import MovedFrom
from components.security.security import Security, SecurityArgs


@dataclass(frozen=True)
class DicomStoreArgs:
    config: StackConfig
    """The validated stack configuration."""
    name_prefix: str
    """Prefix of physical names that must be unique in the tenancy (e.g. compartments): `<project>-<stack>`."""


class DicomStore(pulumi.ComponentResource):
    """Orthanc with Object Storage and PostgreSQL on OCI, and everything around it."""

    identity: Identity
    network: Network
    security: Security
    storage: Storage
    database: Database
    oke: Oke | None
    orthanc: OrthancService
    connectivity: Connectivity
    edge: Edge | None
    ai: Ai | None
    restored_database: RestoredDatabase | None
    container_logs: OkeContainerLogs | None
    operations: Operations

    def __init__(self, name: str, args: DicomStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:dicom_store:DicomStore", name, None, opts)
        config = args.config
        fleet = orthanc_fleet(config)  # derived once; Database and the OKE workloads size for the same peak
        child = pulumi.ResourceOptions(parent=self)
        scope = StackScope(
            name_prefix=args.name_prefix,
            region=config.region,
            tenancy_id=config.tenancy_ocid,
            parent_compartment_id=config.parent_compartment_ocid,
        )

        self.identity = Identity(
            f"{name}-identity",
            IdentityArgs(
                scope=scope,
                ai_enabled=config.ai.enabled,
                orthanc_runtime=config.orthanc.runtime,
                private_ca=config.orthanc.certificate_ocid is None,
            ),
            child,
        )
        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                config=config.network,
                compartment_id=self.identity.network_compartment_id,
                modalities=tuple(config.orthanc.allowed_modalities),
                oke_balancer_ports=(ORTHANC_HTTP_PORT, DICOM_PORT) if config.orthanc.runtime == "oke" else (),
                ai_internet_egress=config.ai.enabled and config.ai.internet_egress,
            ),
            child,
        )
        self.security = Security(
            f"{name}-security",
            SecurityArgs(
                config=config.security,
                scope=scope,
                data_compartment_id=self.identity.data_compartment_id,
                app_compartment_id=self.identity.app_compartment_id,
                bastion_subnet_id=self.network.subnet_ids[Tier.BASTION],
                on_prem_cidrs=config.network.on_prem_cidrs,
                postgresql_dynamic_group_name=self.identity.postgresql_dynamic_group_name,
                oke_cluster_dynamic_group_name=self.identity.oke_cluster_dynamic_group_name,
                certificate_authority_dynamic_group_name=self.identity.certificate_authority_dynamic_group_name,
                dr_region=config.storage.replication_region,
                # Until the Security block owned every key, the Storage block declared the DR vault and key.
                dr_key_moved_from=MovedFrom(
                    f"{name}-storage-dr",
                    pulumi.create_urn(f"{name}-storage", "dicomstore:storage:Storage", parent=self),
                ),
            ),
            child,
        )
        self.storage = Storage(
            f"{name}-storage",
            StorageArgs(
                config=config.storage,
                scope=scope,
                compartment_id=self.identity.data_compartment_id,
                vault_key=self.security.vault_key,
                log_group_id=self.security.log_group_id,
                replica_provider=self.security.dr_provider,
                replica_key_id=self.security.dr_key_id,
            ),
            child,
        )
        db_subnet = self.network.tier(Tier.DB)
        self.database = Database(
            f"{name}-database",
            DatabaseArgs(
                config=config.database,
                scope=scope,
                max_connections=fleet.db_max_connections,
                compartment_id=self.identity.data_compartment_id,
                subnet=db_subnet,
                vault_key=self.security.vault_key,
                postgresql_dynamic_group_name=self.identity.postgresql_dynamic_group_name,
                backup_copy=BackupCopy(config.storage.replication_region, self.security.dr_key_id)
                if config.storage.replication_region and self.security.dr_key_id
                else None,
            ),
            child,
        )
        self.restored_database = (
            RestoredDatabase(
                f"{name}-restored-database",
                RestoredDatabaseArgs(
                    config=config.database,
                    backup_id=config.ops.restore_from_backup_ocid,
                    compartment_id=self.identity.data_compartment_id,
                    subnet=db_subnet,
                    master_key_id=self.security.vault_key.key_id,
                    configuration_id=self.database.configuration_id,
                ),
                child,
            )
            if config.ops.restore_from_backup_ocid
            else None
        )
        # After a restore Orthanc uses the restored DB system; the original stays (protected) until retired.
        live_database = self.restored_database or self.database
        # Orthanc's runtime, its load balancers and the OKE cluster all live in the app compartment; the workers'
        # subnet carries both OKE's node pools and the Kubernetes load balancer in front of Orthanc's pods.
        oke_workers = self.network.tier(Tier.OKE_WORKERS)
        self.oke = None
        if config.orthanc.runtime == "oke":
            self.oke = Oke(
                f"{name}-oke",
                OkeArgs(
                    config=config.oke,
                    scope=scope,
                    vcn_id=self.network.vcn_id,
                    compartment_id=self.identity.app_compartment_id,
                    api_subnet=self.network.tier(Tier.OKE_API),
                    workers_subnet=oke_workers,
                    pods_subnet=self.network.tier(Tier.OKE_PODS),
                    master_key_id=self.security.vault_key.key_id,
                    cpu_node_defined_tags=self.identity.orthanc_node_defined_tags,
                ),
                child,
            )
        # Container Instances cannot ship container output to OCI Logging (components/ops/logs.py).
        self.container_logs = (
            OkeContainerLogs(
                f"{name}-container-logs",
                OkeContainerLogsArgs(
                    scope=scope,
                    workers_compartment_id=self.identity.app_compartment_id,
                    log_group_id=self.security.log_group_id,
                    log_compartment_id=self.identity.data_compartment_id,
                    kubernetes_namespace=KUBERNETES_NAMESPACE,
                ),
                child,
            )
            if self.oke is not None
            else None
        )

        def place_on_container_instances(
            service: str, data: OrthancDataTier, opts: pulumi.ResourceOptions
        ) -> ContainerInstances:
            return ContainerInstances(
                service,
                ContainerInstancesArgs(
                    config=config.orthanc,
                    scope=scope,
                    compartment_id=self.identity.app_compartment_id,
                    subnet=self.network.tier(Tier.APP),
                    data=data,
                ),
                opts,
            )

        def place_on_oke(
            kubeconfig: pulumi.Output[str], service: str, data: OrthancDataTier, opts: pulumi.ResourceOptions
        ) -> KubernetesWorkloads:
            return KubernetesWorkloads(
                service,
                KubernetesWorkloadsArgs(
                    orthanc=config.orthanc,
                    oke=config.oke,
                    peak_replicas=fleet.peak_replicas,
                    subnets=config.network.subnets,
                    hospital_cidrs=list(config.network.on_prem_cidrs),
                    scope=scope,
                    kubeconfig=kubeconfig,
                    workers_subnet=oke_workers,
                    data=data,
                ),
                opts,
            )

        self.orthanc = OrthancService(
            f"{name}-orthanc",
            OrthancServiceArgs(
                config=config.orthanc,
                scope=scope,
                index=OrthancIndex(
                    namespace=self.storage.namespace,
                    bucket_name=self.storage.bucket_name,
                    s3_secret_key_secret_id=self.storage.s3_secret_key_secret_id,
                    db_host=live_database.host,
                    db_port=self.database.port,
                    database_name=self.database.database_name,
                    db_username=config.database.orthanc_username,
                    db_admin_username=self.database.admin_username,
                    db_admin_password_secret_id=self.database.admin_password_secret_id,
                    db_bootstrap_image=config.database.bootstrap_image,
                    db_max_connections=self.database.max_connections,
                ),
                s3_access_key_id=self.storage.s3_access_key_id,
                data_compartment_id=self.identity.data_compartment_id,
                vault_key=self.security.vault_key,
                orthanc_dynamic_group_name=self.identity.orthanc_dynamic_group_name,
                app_compartment_id=self.identity.app_compartment_id,
                load_balancer_subnet=self.network.tier(Tier.LB),
                log_group_id=self.security.log_group_id,
                place=partial(place_on_oke, self.oke.kubeconfig) if self.oke else place_on_container_instances,
                vault_management_endpoint=self.security.vault_management_endpoint,
                public_load_balancer=config.network.public_load_balancer,
            ),
            child,
        )
        self.connectivity = Connectivity(
            f"{name}-connectivity",
            ConnectivityArgs(
                config=config.connectivity,
                compartment_id=self.identity.network_compartment_id,
                drg_id=self.network.drg_id,
                on_prem_cidrs=list(config.network.on_prem_cidrs),
            ),
            child,
        )
        self.edge = None
        if config.edge.enabled:
            self.edge = Edge(
                f"{name}-edge",
                EdgeArgs(
                    config=config.edge,
                    scope=scope,
                    app_compartment_id=self.identity.app_compartment_id,
                    data_compartment_id=self.identity.data_compartment_id,
                    namespace=self.storage.namespace,
                    master_key_id=self.security.vault_key.key_id,
                    log_group_id=self.security.log_group_id,
                ),
                # The transfer bucket's lifecycle needs the Object Storage service grant the storage block makes.
                pulumi.ResourceOptions(parent=self, depends_on=[self.storage]),
            )
        self.ai = None
        if config.ai.enabled and self.identity.ai_compartment_id is not None:
            self.ai = Ai(
                f"{name}-ai",
                AiArgs(
                    config=config.ai,
                    scope=scope,
                    compartment_id=self.identity.ai_compartment_id,
                    subnet=self.network.tier(Tier.AI),
                    data_compartment_id=self.identity.data_compartment_id,
                    network_compartment_id=self.identity.network_compartment_id,
                    namespace=self.storage.namespace,
                    bucket_name=self.storage.bucket_name,
                    master_key_id=self.security.vault_key.key_id,
                ),
                child,
            )
        self.operations = Operations(
            f"{name}-ops",
            OperationsArgs(
                config=config.ops,
                scope=scope,
                emails=config.ops.notification_emails or config.security.notification_emails,
                compartment_ids={
                    MetricCompartment.APP: self.identity.app_compartment_id,
                    MetricCompartment.DATA: self.identity.data_compartment_id,
                    MetricCompartment.NETWORK: self.identity.network_compartment_id,
                },
                db_system_id=live_database.db_system_id,
                db_max_connections=self.database.max_connections,
                bucket_id=self.storage.bucket_id,
                container_instances=isinstance(self.orthanc.runtime, ContainerInstances),
                virtual_circuit_id=self.connectivity.virtual_circuit_id,
                ipsec=self.connectivity.ipsec_connection_id is not None,
            ),
            child,
        )
        self.register_outputs(
            {
                "vcn_id": self.network.vcn_id,
                "data_compartment_id": self.identity.data_compartment_id,
                "vault_id": self.security.vault_key.vault_id,
                "master_key_id": self.security.vault_key.key_id,
                "security_zone_id": self.security.security_zone_id,
                "cloud_guard_target_id": self.security.cloud_guard_target_id,
                "bucket_name": self.storage.bucket_name,
                "s3_endpoint": self.storage.s3_endpoint,
                "database_host": self.database.host,
                "database_port": self.database.port,
                "orthanc_user_password_secret_ids": self.orthanc.secrets.user_password_secret_ids,
                "dicomweb_url": self.orthanc.dicomweb_url,
                "dicom_host": self.orthanc.dicom_host,
                "dicom_port": self.orthanc.dicom_port,
                "dicom_aet": self.orthanc.dicom_aet,
                "oke_cluster_id": self.oke.cluster_id if self.oke else None,
                "kubeconfig": self.oke.kubeconfig if self.oke else None,
                "virtual_circuit_id": self.connectivity.virtual_circuit_id,
                "ipsec_connection_id": self.connectivity.ipsec_connection_id,
                "edge_transfer_bucket": self.edge.transfer_bucket_name if self.edge else None,
                "ai_project_id": self.ai.project_id if self.ai else None,
                "operations_topic_id": self.operations.topic_id,
            }
        )
