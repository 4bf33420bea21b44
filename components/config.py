"""Typed stack configuration: parse and validate everything under the `dicomstore:` namespace.

One place turns `Pulumi.<stack>.yaml` into a frozen `StackConfig`. Two layers of checks:

* field checks (pydantic): types, ranges, OCID form and resource type, region ids, RFC 1918 CIDRs;
* cross-field checks (plain functions below): subnets inside the VCN, no overlapping tiers, no overlap with
  the hospital's networks, tiers big enough for their purpose, section-specific rules.

Every problem becomes one `ConfigProblem` naming the key (as written in the YAML), the bad value and the fix;
all problems are reported together in a `ConfigError`. `ConfigError` is a `pulumi.RunError`, so under
`pulumi up` the engine prints the message without a stack trace, and the offline plan exits 2 with it.

Keys are camelCase in YAML (Pulumi's convention); the models use snake_case attributes with camelCase aliases.
`load_stack_config` takes the raw values as an injectable mapping, so tests need no Pulumi runtime.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components import config_messages, connectivity_rules
from components.postgres_sizing import (
    ADMIN_HEADROOM_CONNECTIONS,
    minimum_memory_gb,
    required_max_connections,
    shape_connection_limit,
)

NAMESPACE = "dicomstore"

# Commercial, government and sovereign OCI region identifiers (docs.oracle.com "Regions and Availability
# Domains"). A region missing here is a one-line addition.
OCI_REGIONS: frozenset[str] = frozenset(
    {
        "af-johannesburg-1", "ap-batam-1", "ap-chuncheon-1", "ap-hyderabad-1", "ap-melbourne-1",
        "ap-mumbai-1", "ap-osaka-1", "ap-seoul-1", "ap-singapore-1", "ap-singapore-2", "ap-sydney-1",
        "ap-tokyo-1", "ca-montreal-1", "ca-toronto-1", "eu-amsterdam-1", "eu-frankfurt-1", "eu-frankfurt-2",
        "eu-jovanovac-1", "eu-madrid-1", "eu-madrid-2", "eu-marseille-1", "eu-milan-1", "eu-paris-1",
        "eu-stockholm-1", "eu-zurich-1", "il-jerusalem-1", "me-abudhabi-1", "me-dubai-1", "me-jeddah-1",
        "me-riyadh-1", "mx-monterrey-1", "mx-queretaro-1", "sa-bogota-1", "sa-santiago-1", "sa-saopaulo-1",
        "sa-valparaiso-1", "sa-vinhedo-1", "uk-cardiff-1", "uk-london-1", "us-ashburn-1", "us-chicago-1",
        "us-phoenix-1", "us-sanjose-1", "uk-gov-cardiff-1", "uk-gov-london-1", "us-gov-ashburn-1",
        "us-gov-chicago-1", "us-gov-phoenix-1", "us-langley-1", "us-luke-1",
    }
)  # fmt: skip

# ocid1.<resource type>.<realm>.[region][.future use].<unique id>
_OCID = re.compile(r"^ocid1\.(?P<type>[a-z0-9]+)\.(?P<realm>oc[0-9]+)\.[a-z0-9-]*(\.[a-z0-9-]*)?\.[a-z0-9]{20,}$")

# OCI reserves the first two and the last address of every subnet.
OCI_RESERVED_ADDRESSES_PER_SUBNET = 3
# OKE needs a /29 at least for the Kubernetes API endpoint subnet (docs: "Network resource configuration").
MIN_OKE_API_SUBNET_ADDRESSES = 8


def _problem(problem: str, fix: str) -> PydanticCustomError:
    return PydanticCustomError("dicomstore", "{problem}", {"problem": problem, "fix": fix})


def ocid_of(*resource_types: str) -> Callable[[str], str]:
    """A validator accepting only OCIDs of the given resource types (e.g. `tenancy`, `compartment`)."""

    def check(value: str) -> str:
        match = _OCID.match(value)
        expected = " or ".join(f"ocid1.{kind}.oc1..<unique id>" for kind in resource_types)
        if match is None:
            raise _problem("is not an OCID", f"copy the OCID from the OCI console; it looks like {expected}")
        if match["type"] not in resource_types:
            raise _problem(
                f"is the OCID of a {match['type']}, not of a {' or '.join(resource_types)}",
                f"use an OCID of the form {expected}",
            )
        return value

    return check


def _region(value: str) -> str:
    if value not in OCI_REGIONS:
        raise _problem(
            "is not an OCI region identifier",
            "use a region id such as eu-frankfurt-1 or us-ashburn-1 (`oci iam region list`)",
        )
    return value


def _private_cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise _problem(f"is not a CIDR block ({error})", "write it as address/prefix, e.g. 10.20.0.0/16") from error
    rfc1918 = [ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    if not isinstance(network, ipaddress.IPv4Network) or not any(network.subnet_of(b) for b in rfc1918):
        raise _problem(
            "is not an RFC 1918 private range",
            "choose a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
        )
    return value


def _any_cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise _problem(f"is not a CIDR block ({error})", "write it as address/prefix, e.g. 10.0.0.0/8") from error
    return value


def _not_the_world(value: str) -> str:
    if ipaddress.ip_network(value).prefixlen == 0:
        raise _problem("opens access to the whole internet", "list only the hospital's own networks instead")
    return value


# OCI Logging accepts log retention in whole months of 30 days, from one to six.
LOG_RETENTION_STEP_DAYS = 30


def _log_retention(value: int) -> int:
    if value % LOG_RETENTION_STEP_DAYS:
        raise _problem(
            f"is not a multiple of {LOG_RETENTION_STEP_DAYS} days (OCI Logging keeps logs in 30-day steps)",
            "use 30, 60, 90, 120, 150 or 180",
        )
    return value


def _no_latest_tag(value: str) -> str:
    tag = value.rsplit("/", 1)[-1].partition(":")[2]
    if "@sha256:" not in value and (not tag or tag == "latest"):
        raise _problem(
            "is not pinned to a version",
            "pin the image to a release tag or digest, e.g. orthancteam/orthanc:25.1.1",
        )
    return value


TenancyOcid = Annotated[str, AfterValidator(ocid_of("tenancy"))]
CompartmentOcid = Annotated[str, AfterValidator(ocid_of("compartment", "tenancy"))]
Region = Annotated[str, AfterValidator(_region)]
PrivateCidr = Annotated[str, AfterValidator(_private_cidr)]
Cidr = Annotated[str, AfterValidator(_any_cidr)]
AdminCidr = Annotated[str, AfterValidator(_any_cidr), AfterValidator(_not_the_world)]
# The hospital's networks are admitted to the load balancer, so the same rule applies: never 0.0.0.0/0 or ::/0.
HospitalCidr = AdminCidr
PinnedImage = Annotated[str, AfterValidator(_no_latest_tag)]
AeTitle = Annotated[str, Field(pattern=r"^[A-Z0-9_\-. ]{1,16}$")]
DnsLabel = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{0,14}$")]


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, values are immutable, keys are camelCase."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )


class SubnetCidrs(Section):
    """One regional subnet per tier. Tiers are created whatever the runtime, so switching runtime or turning on
    AI never renumbers the network."""

    lb: PrivateCidr = "10.20.0.0/24"
    """Private load balancer tier (HTTPS 443 and DICOM 4242 from the hospital)."""
    app: PrivateCidr = "10.20.1.0/24"
    """Orthanc on Container Instances."""
    bastion: PrivateCidr = "10.20.2.0/24"
    """OCI Bastion service endpoint for administrative access."""
    db: PrivateCidr = "10.20.3.0/24"
    """OCI Database with PostgreSQL private endpoint."""
    oke_api: PrivateCidr = "10.20.4.0/28"
    """OKE Kubernetes API endpoint (private)."""
    oke_workers: PrivateCidr = "10.20.8.0/22"
    """OKE worker nodes (CPU and GPU pools)."""
    ai: PrivateCidr = "10.20.16.0/22"
    """Data Science notebooks, jobs and model deployments."""
    oke_pods: PrivateCidr = "10.20.32.0/19"
    """OKE VCN-native pod networking: one VCN address per pod."""


class NetworkConfig(Section):
    vcn_cidrs: list[PrivateCidr] = Field(default_factory=lambda: ["10.20.0.0/16"], min_length=1)
    """The VCN's address blocks. Must not overlap any hospital (on-prem) or peered network."""
    dns_label: DnsLabel = "dicomstore"
    """DNS label of the VCN (letters and digits, starting with a letter, at most 15)."""
    subnets: SubnetCidrs = Field(default_factory=SubnetCidrs)
    """A CIDR per tier, each inside a VCN CIDR, none overlapping."""
    on_prem_cidrs: list[HospitalCidr] = Field(default_factory=list)
    """The hospital's networks reached over FastConnect/IPSec: routed to the DRG, allowed to the load balancer."""
    peered_cidrs: list[Cidr] = Field(default_factory=list)
    """Other networks peered with this VCN (other VCNs, partner sites); must not overlap the VCN."""
    public_load_balancer: bool = False
    """Expose the load balancer tier to the internet. Off: the DICOM store is reachable only privately."""
    flow_log_retention_days: Annotated[int, Field(ge=30, le=180), AfterValidator(_log_retention)] = 90
    """Retention of VCN flow logs (OCI Logging allows 30-180 days in steps of 30; archive to Object Storage for
    longer)."""


class SecurityConfig(Section):
    key_rotation_days: int = Field(default=90, ge=60, le=365)
    """Automatic rotation interval of the HSM master key (CIS OCI 4.16: at most 365 days)."""
    cloud_guard_enabled: bool = True
    """Enable Cloud Guard at tenancy level with cloned detector/responder recipes."""
    cloud_guard_reporting_region: Region | None = None
    """Cloud Guard reporting region (required when Cloud Guard is enabled; usually the home region)."""
    notification_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = Field(
        default_factory=list
    )
    """Email addresses subscribed to Cloud Guard problem notifications."""
    admin_cidrs: list[AdminCidr] = Field(default_factory=list)
    """Networks allowed to open Bastion sessions (never 0.0.0.0/0)."""
    trusted_user_ocids: list[Annotated[str, AfterValidator(ocid_of("user"))]] = Field(default_factory=list)
    """Users trusted by Cloud Guard's managed list (e.g. break-glass administrators)."""
    audit_retention_days: int = Field(default=365, ge=365, le=365)
    """Audit log retention; OCI's maximum and the HIPAA-driven floor are both 365 days."""
    security_zone_enabled: bool = True
    """Put the data compartment in a security zone (maximum-security recipe)."""


class StorageConfig(Section):
    auto_tiering: bool = True
    """OCI auto-tiering: objects not read for 31 days move to Infrequent Access and back when read again."""
    infrequent_access_after_days: int = Field(default=30, ge=1)
    """Move objects to the Infrequent Access tier after this many days (only with autoTiering off: OCI refuses
    an Infrequent Access lifecycle rule on an auto-tiering bucket)."""
    archive_after_days: int = Field(default=180, ge=1)
    """Move objects to Archive after this many days (must be later than infrequent access)."""
    noncurrent_version_retention_days: int = Field(default=365, ge=30)
    """Delete previous (non-current) object versions only after this safe period."""
    retention_rule_days: int | None = Field(default=None, ge=1)
    """Optional legal retention of images: no overwritten or deleted version is purged before this many days
    (OCI forbids bucket retention rules on a versioned bucket, so it is enforced by lifecycle and IAM)."""
    replication_region: Region | None = None
    """Optional cross-region replication target for disaster recovery."""


class DatabaseConfig(Section):
    shape: str = "PostgreSQL.VM.Standard.E5.Flex"
    """OCI Database with PostgreSQL shape."""
    ocpus: int = Field(default=2, ge=1, le=64)
    """OCPUs per database node."""
    memory_gb: int = Field(default=32, ge=16, le=1024)
    """Memory per database node in GB."""
    instance_count: int = Field(default=1, ge=1, le=4)
    """Database nodes: 1 primary plus read replicas; 2 or more gives high availability."""
    postgres_version: Literal["14", "15", "16"] = "15"
    """PostgreSQL major version."""
    backup_retention_days: int = Field(default=7, ge=1, le=35)
    """Automatic backup retention (OCI allows 1-35 days)."""
    admin_username: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{2,30}$")] = "orthanc_admin"
    """Database administrator; its password is generated in OCI Vault."""
    database_name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "orthanc"
    """Database holding Orthanc's index; created at Orthanc's first start, owned by database.orthancUsername."""
    orthanc_username: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{2,30}$")] = "orthanc"
    """PostgreSQL role Orthanc connects as (not the administrator); created at first start, its password
    generated in OCI Vault."""
    bootstrap_image: PinnedImage = "postgres:15.8-alpine3.20"
    """PostgreSQL client image (psql) that creates Orthanc's role and database before Orthanc starts (pinned)."""


class Modality(Section):
    aet: AeTitle
    """Application entity title of the modality (upper case, at most 16 characters)."""
    host: str
    """Host name or IP address of the modality."""
    port: int = Field(default=104, ge=1, le=65535)
    """The modality's DICOM port."""


class OrthancConfig(Section):
    runtime: Literal["container_instances", "oke"] = "container_instances"
    """Where Orthanc runs: OCI Container Instances (small) or OKE (HA, GPU inference next to it)."""
    image: PinnedImage = "orthancteam/orthanc:25.1.1"
    """Container image, pinned by tag or digest (an OCIR mirror is recommended)."""
    secret_fetcher_image: PinnedImage = "ghcr.io/oracle/oci-cli:20250716"
    """OCI CLI image that fetches Orthanc's secrets from Vault at start: the Container Instances sidecar and the
    OKE init container (pinned)."""
    replicas: int = Field(default=1, ge=1, le=32)
    """Orthanc replicas sharing one PostgreSQL index and one bucket."""
    ocpus: int = Field(default=1, ge=1, le=64)
    """OCPUs per replica (Container Instances)."""
    memory_gb: int = Field(default=8, ge=1, le=1024)
    """Memory per replica in GB (Container Instances flex shapes allow 1-64 GB per OCPU)."""
    shape: str = "CI.Standard.E4.Flex"
    """Container Instances shape."""
    aet: AeTitle = "DICOMSTORE"
    """Orthanc's own AE title."""
    index_connections: int = Field(default=5, ge=1, le=100)
    """PostgreSQL index connections per replica."""
    users: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.-]{1,31}$")]] = Field(
        default_factory=lambda: ["admin"], min_length=1
    )
    """Orthanc users; their passwords are generated into OCI Vault, never written in config."""
    allowed_modalities: list[Modality] = Field(default_factory=list)
    """Modalities allowed to C-STORE/C-FIND/C-MOVE; unknown AEs are rejected."""
    tls_min_version: Literal["TLSv1.2", "TLSv1.3"] = "TLSv1.2"
    """Lowest TLS version on the load balancer's HTTPS listener."""
    certificate_ocid: Annotated[str, AfterValidator(ocid_of("certificate"))] | None = None
    """OCI Certificates certificate for the HTTPS listener; None: one is issued from a private CA."""
    dicom_tls: bool = False
    """Terminate DICOM TLS on the load balancer's 4242 listener."""


class FastConnectConfig(Section):
    enabled: bool = False
    """Private FastConnect virtual circuit from the hospital."""
    bandwidth_shape: str = "1 Gbps"
    """Virtual circuit bandwidth."""
    provider_service_ocid: Annotated[str, AfterValidator(ocid_of("providerservice"))] | None = None
    """FastConnect partner service (None: colocation / cross-connect; see README)."""
    customer_bgp_asn: int = Field(default=64512, ge=1, le=4294967295)
    """The hospital router's BGP ASN."""
    customer_bgp_peering_ip: str = "169.254.10.2/30"
    """Hospital side of the BGP session (/30 or /31)."""
    oracle_bgp_peering_ip: str = "169.254.10.1/30"
    """Oracle side of the BGP session (/30 or /31)."""
    cross_connect_ocid: Annotated[str, AfterValidator(ocid_of("crossconnect", "crossconnectgroup"))] | None = None
    """Colocation only: the cross-connect (group) the circuit runs on. Exactly one of this and
    providerServiceOcid is set."""
    vlan: int | None = Field(default=None, ge=100, le=16383)
    """Colocation only: the VLAN of the circuit on the cross-connect."""
    provider_service_key_name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    """Provider only: the service key the FastConnect partner issued for this circuit, if it uses one."""
    bgp_md5_auth_key_secret_ocid: Annotated[str, AfterValidator(ocid_of("vaultsecret"))] | None = None
    """Optional BGP MD5 key: the OCID of an OCI Vault secret holding it (never the key itself)."""
    ip_mtu: Literal["MTU_1500", "MTU_9000"] = "MTU_1500"
    """Circuit MTU; MTU_9000 (jumbo frames) speeds bulk DICOM transfers when the hospital's path supports it."""
    bfd_enabled: bool = False
    """Bidirectional Forwarding Detection: sub-second failover to IPSec; the hospital's router must run BFD."""


class IpsecTunnelConfig(Section):
    customer_interface_ip: str
    """Hospital side of the tunnel's BGP session inside the tunnel (/30 or /31)."""
    oracle_interface_ip: str
    """Oracle side of the tunnel's BGP session inside the tunnel (/30 or /31)."""


class IpsecConfig(Section):
    enabled: bool = False
    """Site-to-site IPSec VPN as backup path to FastConnect."""
    cpe_ip_address: str | None = None
    """Public IP address of the hospital's VPN device (CPE)."""
    routing: Literal["BGP", "STATIC"] = "BGP"
    """BGP (required next to FastConnect, so routes can be ordered by AS path) or STATIC (on-prem CIDRs)."""
    customer_bgp_asn: int = Field(default=64512, ge=1, le=4294967295)
    """The VPN device's BGP ASN (BGP routing)."""
    ike_version: Literal["V1", "V2"] = "V2"
    """IKE version of both tunnels."""
    tunnels: list[IpsecTunnelConfig] = Field(
        default_factory=lambda: [
            {"customerInterfaceIp": "169.254.20.2/30", "oracleInterfaceIp": "169.254.20.1/30"},
            {"customerInterfaceIp": "169.254.20.6/30", "oracleInterfaceIp": "169.254.20.5/30"},
        ],
        validate_default=True,
    )
    """BGP inside-tunnel addresses of the two tunnels OCI creates per connection. Shared secrets are generated by
    OCI and never appear in config."""


class ConnectivityConfig(Section):
    fastconnect: FastConnectConfig = Field(default_factory=FastConnectConfig)
    """FastConnect (DRG, private virtual circuit, BGP)."""
    ipsec: IpsecConfig = Field(default_factory=IpsecConfig)
    """IPSec VPN backup."""


class OkeConfig(Section):
    kubernetes_version: Annotated[str, Field(pattern=r"^v1\.[0-9]+\.[0-9]+$")] = "v1.31.1"
    """OKE Kubernetes version."""
    node_shape: str = "VM.Standard.E5.Flex"
    """CPU worker node shape."""
    node_ocpus: int = Field(default=2, ge=1, le=64)
    """OCPUs per CPU worker."""
    node_memory_gb: int = Field(default=32, ge=1, le=1024)
    """Memory per CPU worker in GB."""
    node_count: int = Field(default=3, ge=1, le=100)
    """CPU workers (spread over availability/fault domains)."""
    max_pods_per_node: int = Field(default=31, ge=1, le=110)
    """VCN-native pod networking: pod addresses reserved per node."""
    gpu_pool_enabled: bool = False
    """A GPU node pool for AI inference next to Orthanc."""
    gpu_shape: str = "VM.GPU.A10.1"
    """GPU worker shape."""
    gpu_node_count: int = Field(default=1, ge=1, le=20)
    """GPU workers."""
    services_cidr: PrivateCidr = "10.96.0.0/16"
    """Kubernetes service (ClusterIP) range; must not overlap the VCN, the hospital or peered networks."""
    node_boot_volume_gb: int = Field(default=100, ge=50, le=1024)
    """Boot volume per worker in GB (OKE's minimum is 50; container images live there)."""
    image_verification_key_ocid: Annotated[str, AfterValidator(ocid_of("key"))] | None = None
    """Vault key that signed the allowed images; set: the cluster runs only images signed with it."""
    orthanc_max_replicas: int | None = Field(default=None, ge=1, le=32)
    """Upper bound of a CPU-based HorizontalPodAutoscaler on Orthanc (None: fixed orthanc.replicas)."""
    inference_image: PinnedImage = "nvcr.io/nvidia/tritonserver:24.10-py3"
    """GPU inference server next to Orthanc (runs on the GPU pool when it is enabled)."""


class AiConfig(Section):
    enabled: bool = False
    """OCI Data Science project, notebook and model deployment for training on the DICOM archive."""
    notebook_shape: str = "VM.Standard.E4.Flex"
    """Notebook session shape."""
    notebook_ocpus: int = Field(default=2, ge=1, le=64)
    """OCPUs of the notebook session (flex shapes)."""
    notebook_memory_gb: int = Field(default=32, ge=1, le=1024)
    """Memory of the notebook session in GB (flex shapes)."""
    notebook_block_storage_gb: int = Field(default=100, ge=50, le=10240)
    """Block volume of the notebook session (OCI minimum 50 GB)."""
    training_shape: str = "VM.GPU.A10.1"
    """Shape of training jobs."""
    training_block_storage_gb: int = Field(default=500, ge=50, le=10240)
    """Block volume of each training job run (DICOM studies are staged there)."""
    training_image_repository: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._/-]*$")] = "dicomstore/training"
    """OCIR repository (inside the tenancy's namespace) of the training container (bring your own container)."""
    training_image_tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")] = "1.0.0"
    """Pinned tag of the training container (never `latest`)."""
    training_max_runtime_minutes: int = Field(default=1440, ge=10, le=43200)
    """A training run is stopped after this long, so a stuck GPU job cannot bill forever."""
    model_deployment_enabled: bool = False
    """Serve a trained model from the catalog as a private model deployment."""
    model_ocid: Annotated[str, AfterValidator(ocid_of("datasciencemodel"))] | None = None
    """The catalog model to deploy (required when modelDeploymentEnabled)."""
    model_deployment_shape: str = "VM.GPU.A10.1"
    """Shape of the model deployment's instances."""
    model_deployment_instances: int = Field(default=1, ge=1, le=10)
    """Instances behind the model deployment's private endpoint."""


class EdgeConfig(Section):
    enabled: bool = False
    """Roving Edge Devices: edge transfer and local inference (the device is ordered outside Pulumi)."""
    device_count: int = Field(default=1, ge=1, le=15)
    """Devices to prepare access for."""
    transfer_retention_days: int = Field(default=30, ge=1, le=365)
    """Objects in the edge-transfer bucket are deleted after this many days (they are staged, then ingested)."""
    inference_image: PinnedImage = "nvcr.io/nvidia/tritonserver:24.08-py3"
    """Inference server run on the device's compute (pinned; mirror it into the device's local registry)."""
    inference_gpus: int = Field(default=1, ge=0, le=2)
    """GPUs the inference workload requests on the device (0: CPU only)."""


class StackConfig(Section):
    """The whole `dicomstore:` namespace of a stack."""

    region: Region
    """OCI region of the deployment, read from the provider's own key `oci:region` so the two never differ."""
    tenancy_ocid: TenancyOcid
    """Tenancy OCID (Cloud Guard and tenancy-wide IAM live here)."""
    parent_compartment_ocid: CompartmentOcid
    """Compartment under which the network, app and data compartments are created."""
    environment: Literal["dev", "test", "prod"] = "dev"
    """Environment tag and sizing intent."""
    cost_centre: Annotated[str, Field(min_length=1, max_length=64)] = "radiology"
    """Cost-centre tag on every resource."""
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    """VCN, subnets and the networks it must not overlap."""
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    """Vault, keys, security zone, Cloud Guard, audit, bastion."""
    storage: StorageConfig = Field(default_factory=StorageConfig)
    """The DICOM bucket."""
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    """OCI Database with PostgreSQL (Orthanc's index)."""
    orthanc: OrthancConfig = Field(default_factory=OrthancConfig)
    """Orthanc runtime and DICOM settings."""
    connectivity: ConnectivityConfig = Field(default_factory=ConnectivityConfig)
    """FastConnect and IPSec to the hospital."""
    oke: OkeConfig = Field(default_factory=OkeConfig)
    """OKE cluster (used when orthanc.runtime is oke)."""
    ai: AiConfig = Field(default_factory=AiConfig)
    """AI training and inference."""
    edge: EdgeConfig = Field(default_factory=EdgeConfig)
    """Roving Edge Devices."""

    @model_validator(mode="after")
    def _cross_field_rules(self) -> StackConfig:
        problems = cross_field_problems(self)
        if problems:
            raise ConfigError(problems)
        return self


# --- problems and errors -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigProblem:
    """One bad config value: where it is, what it is, what is wrong, how to fix it."""

    key: str
    value: Any
    problem: str
    fix: str

    def __str__(self) -> str:
        qualified = self.key if ":" in self.key else f"{NAMESPACE}:{self.key}"
        return f"{qualified} = {self.value!r}: {self.problem}. Fix: {self.fix}."


class ConfigError(pulumi.RunError):
    """All problems of a stack config. A RunError: the Pulumi engine prints it without a traceback."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid stack configuration ({len(self.problems)} problem(s)):\n{lines}")


# Keys the package reads from another namespace (the OCI provider's), spelled as the user writes them.
FOREIGN_KEYS = {"region": "oci:region"}


def _key(location: tuple[int | str, ...]) -> str:
    if location and location[0] in FOREIGN_KEYS:
        return FOREIGN_KEYS[str(location[0])] + _key(location[1:])
    key = ""
    for part in location:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _qualified(location: tuple[int | str, ...]) -> str:
    """A key as the user writes it in Pulumi.<stack>.yaml, e.g. `dicomstore:orthanc.replicas`, `oci:region`."""
    key = _key(location)
    return key if ":" in key else f"{NAMESPACE}:{key}"


def _as_problem(message: config_messages.Message) -> ConfigProblem:
    return ConfigProblem(_key(message.loc), message.value, message.problem, message.fix)


def _problems_from_validation(error: ValidationError) -> list[ConfigProblem]:
    return [
        _as_problem(config_messages.message(StackConfig, detail, _qualified))
        for detail in error.errors(include_url=False)
    ]


# --- cross-field rules ---------------------------------------------------------------------------------------


def _networks(cidrs: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr) for cidr in cidrs]


def usable_addresses(cidr: str) -> int:
    """Addresses a subnet offers to VNICs (OCI reserves three per subnet)."""
    return ipaddress.ip_network(cidr).num_addresses - OCI_RESERVED_ADDRESSES_PER_SUBNET


def network_problems(network: NetworkConfig) -> list[ConfigProblem]:
    """Subnets inside the VCN, tiers disjoint, VCN disjoint from hospital and peered networks."""
    problems: list[ConfigProblem] = []
    vcn = _networks(network.vcn_cidrs)
    for index, block in enumerate(vcn):
        for other in vcn[index + 1 :]:
            if block.overlaps(other):
                problems.append(
                    ConfigProblem(
                        f"network.vcnCidrs[{index}]", str(block), f"overlaps VCN CIDR {other}",
                        "use disjoint VCN CIDR blocks",
                    )
                )  # fmt: skip
    for field_name, kind in (("on_prem_cidrs", "on-prem"), ("peered_cidrs", "peered")):
        for index, cidr in enumerate(getattr(network, field_name)):
            clashes = [str(block) for block in vcn if block.overlaps(ipaddress.ip_network(cidr))]
            if clashes:
                problems.append(
                    ConfigProblem(
                        f"network.{to_camel(field_name)}[{index}]",
                        cidr,
                        f"overlaps the VCN CIDR {', '.join(clashes)} (the {kind} network would be unreachable)",
                        "choose VCN CIDRs (network.vcnCidrs) outside every hospital and peered network",
                    )
                )
    tiers = network.subnets.model_dump()
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for tier, cidr in tiers.items():
        subnet = ipaddress.ip_network(cidr)
        key = f"network.subnets.{to_camel(tier)}"
        if not any(subnet.subnet_of(block) for block in vcn if block.version == subnet.version):  # type: ignore[arg-type]
            problems.append(
                ConfigProblem(
                    key, cidr, f"lies outside every VCN CIDR {network.vcn_cidrs}",
                    "choose a subnet inside network.vcnCidrs",
                )
            )  # fmt: skip
        for other_tier, other in seen:
            if subnet.overlaps(other):
                problems.append(
                    ConfigProblem(
                        key, cidr, f"overlaps the {to_camel(other_tier)} tier ({other})",
                        "give every tier its own, disjoint CIDR",
                    )
                )  # fmt: skip
        seen.append((tier, subnet))
    if usable_addresses(network.subnets.oke_api) < MIN_OKE_API_SUBNET_ADDRESSES - OCI_RESERVED_ADDRESSES_PER_SUBNET:
        problems.append(
            ConfigProblem(
                "network.subnets.okeApi", network.subnets.oke_api, "is too small for the OKE API endpoint",
                "use a /29 or larger",
            )
        )  # fmt: skip
    return problems


def capacity_problems(config: StackConfig) -> list[ConfigProblem]:
    """Tiers big enough for what runs in them."""
    problems: list[ConfigProblem] = []
    subnets = config.network.subnets
    oke = config.oke
    nodes = oke.node_count + (oke.gpu_node_count if oke.gpu_pool_enabled else 0)
    needed_pods = nodes * oke.max_pods_per_node
    if config.orthanc.runtime == "oke" and usable_addresses(subnets.oke_pods) < needed_pods:
        problems.append(
            ConfigProblem(
                "network.subnets.okePods",
                subnets.oke_pods,
                f"offers {usable_addresses(subnets.oke_pods)} addresses but {nodes} nodes x "
                f"{oke.max_pods_per_node} pods need {needed_pods}",
                "widen the pods subnet or lower oke.maxPodsPerNode / node counts",
            )
        )
    if config.orthanc.runtime == "oke" and usable_addresses(subnets.oke_workers) < nodes:
        problems.append(
            ConfigProblem(
                "network.subnets.okeWorkers", subnets.oke_workers, f"cannot hold {nodes} worker nodes",
                "widen the workers subnet",
            )
        )  # fmt: skip
    if usable_addresses(subnets.app) < config.orthanc.replicas:
        problems.append(
            ConfigProblem(
                "network.subnets.app", subnets.app, f"cannot hold {config.orthanc.replicas} Orthanc replicas",
                "widen the app subnet",
            )
        )  # fmt: skip
    return problems


def reachability_problems(config: StackConfig) -> list[ConfigProblem]:
    """Peers addressed by IP must sit in a network the VCN routes to: the hospital's, through the DRG."""
    problems: list[ConfigProblem] = []
    hospital = _networks(config.network.on_prem_cidrs)
    for index, modality in enumerate(config.orthanc.allowed_modalities):
        try:
            address = ipaddress.ip_address(modality.host)
        except ValueError:
            continue  # a host name: resolved at run time, admitted towards every hospital network
        if not any(address in network for network in hospital):
            problems.append(
                ConfigProblem(
                    f"orthanc.allowedModalities[{index}].host", modality.host,
                    f"lies outside every hospital network {config.network.on_prem_cidrs} (Orthanc reaches "
                    "modalities through the DRG only)",
                    "add the modality's network to network.onPremCidrs, or correct the address",
                )
            )  # fmt: skip
    return problems


def section_problems(config: StackConfig) -> list[ConfigProblem]:
    """Rules that tie keys of one section together."""
    problems: list[ConfigProblem] = []
    security, storage, connectivity = config.security, config.storage, config.connectivity
    if security.cloud_guard_enabled and security.cloud_guard_reporting_region is None:
        problems.append(
            ConfigProblem(
                "security.cloudGuardReportingRegion", None, "is required when Cloud Guard is enabled",
                "set it to the tenancy's home region, e.g. eu-frankfurt-1",
            )
        )  # fmt: skip
    if storage.archive_after_days <= storage.infrequent_access_after_days:
        problems.append(
            ConfigProblem(
                "storage.archiveAfterDays",
                storage.archive_after_days,
                f"must be later than storage.infrequentAccessAfterDays ({storage.infrequent_access_after_days})",
                "archive after the move to Infrequent Access, e.g. 30 then 180 days",
            )
        )
    if storage.replication_region == config.region:
        problems.append(
            ConfigProblem(
                "storage.replicationRegion", storage.replication_region, "is the primary region",
                "replicate to another region (disaster recovery needs a second region)",
            )
        )  # fmt: skip
    problems += connectivity_problems(connectivity, config.network)
    if config.oke.gpu_pool_enabled and config.orthanc.runtime != "oke":
        problems.append(
            ConfigProblem(
                "oke.gpuPoolEnabled", True, "needs the OKE runtime",
                "set orthanc.runtime to oke, or turn the GPU pool off",
            )
        )  # fmt: skip
    return problems


def oke_problems(config: StackConfig) -> list[ConfigProblem]:
    """Rules of the OKE runtime: service range apart from every routed network, pods that fit the workers, a
    GPU pool of GPU shapes, an autoscaler above the fixed replica count."""
    oke, orthanc, network = config.oke, config.orthanc, config.network
    if orthanc.runtime != "oke":
        return []
    problems: list[ConfigProblem] = []
    services = ipaddress.ip_network(oke.services_cidr)
    routed = [*network.vcn_cidrs, *network.on_prem_cidrs, *network.peered_cidrs]
    clashes = [cidr for cidr in routed if ipaddress.ip_network(cidr).overlaps(services)]
    if clashes:
        problems.append(
            ConfigProblem(
                "oke.servicesCidr", oke.services_cidr,
                f"overlaps {', '.join(clashes)} (pods could not reach those addresses)",
                "choose a service range outside the VCN, on-prem and peered networks, e.g. 10.96.0.0/16",
            )
        )  # fmt: skip
    if oke.gpu_pool_enabled and ".GPU" not in oke.gpu_shape:
        problems.append(
            ConfigProblem(
                "oke.gpuShape", oke.gpu_shape, "is not a GPU shape",
                "use a VM.GPU.* or BM.GPU.* shape, e.g. VM.GPU.A10.1",
            )
        )  # fmt: skip
    # One OCPU is two vCPUs; Orthanc's pod asks for its OCPUs and memory and must leave room for the node's
    # own daemons (kubelet, CNI, log agent).
    if orthanc.ocpus >= oke.node_ocpus or orthanc.memory_gb >= oke.node_memory_gb:
        problems.append(
            ConfigProblem(
                "orthanc.ocpus", orthanc.ocpus,
                f"with orthanc.memoryGb={orthanc.memory_gb} does not fit a CPU worker "
                f"({oke.node_ocpus} OCPUs, {oke.node_memory_gb} GB) next to the node's own daemons",
                "give Orthanc fewer OCPUs/GB than oke.nodeOcpus/oke.nodeMemoryGb, or bigger workers",
            )
        )  # fmt: skip
    if oke.orthanc_max_replicas is not None and oke.orthanc_max_replicas <= orthanc.replicas:
        problems.append(
            ConfigProblem(
                "oke.orthancMaxReplicas", oke.orthanc_max_replicas,
                f"is not above orthanc.replicas ({orthanc.replicas}), so the autoscaler could never scale out",
                "set it above orthanc.replicas, or leave it unset for a fixed replica count",
            )
        )  # fmt: skip
    return problems


def orthanc_peak_replicas(config: StackConfig) -> int:
    """The most Orthanc replicas that can run at once: the configured count, or the OKE autoscaler's bound."""
    return max(config.orthanc.replicas, config.oke.orthanc_max_replicas or 0)


def database_problems(config: StackConfig) -> list[ConfigProblem]:
    """The database can serve the Orthanc fleet, and prod has a standby."""
    problems: list[ConfigProblem] = []
    database, orthanc = config.database, config.orthanc
    peak = orthanc_peak_replicas(config)
    key = "orthanc.replicas" if peak == orthanc.replicas else "oke.orthancMaxReplicas"
    needed = required_max_connections(peak, orthanc.index_connections)
    limit = shape_connection_limit(database.memory_gb)
    if needed > limit:
        problems.append(
            ConfigProblem(
                key,
                peak,
                f"needs {needed} PostgreSQL connections ({peak} replicas + 1 during a rolling update, "
                f"x orthanc.indexConnections {orthanc.index_connections}, + {ADMIN_HEADROOM_CONNECTIONS} for "
                f"administrators), but database.memoryGb ({database.memory_gb}) serves at most {limit}",
                f"raise database.memoryGb to at least {minimum_memory_gb(needed)}, or lower {key} or "
                "orthanc.indexConnections",
            )
        )
    if database.orthanc_username.startswith("pg_") or database.orthanc_username == "postgres":
        problems.append(
            ConfigProblem(
                "database.orthancUsername", database.orthanc_username, "is reserved by PostgreSQL",
                "use a role name that does not start with 'pg_' and is not 'postgres', e.g. 'orthanc'",
            )
        )  # fmt: skip
    if database.database_name == "postgres":
        problems.append(
            ConfigProblem(
                "database.databaseName", database.database_name, "is the maintenance database of the DB system",
                "give Orthanc its own database, e.g. 'orthanc'",
            )
        )  # fmt: skip
    if database.orthanc_username == database.admin_username:
        problems.append(
            ConfigProblem(
                "database.orthancUsername", database.orthanc_username,
                "is the database administrator: Orthanc would run with the administrator's privileges",
                f"use a role of its own, e.g. 'orthanc' (database.adminUsername is {database.admin_username!r})",
            )
        )  # fmt: skip
    if config.environment == "prod" and database.instance_count < 2:
        problems.append(
            ConfigProblem(
                "database.instanceCount", database.instance_count,
                "gives prod no standby: one node failure stops every Orthanc replica",
                "set 2 or more (a primary and a read replica that OCI promotes on failure)",
            )
        )  # fmt: skip
    return problems


def _peering_pairs(connectivity: ConnectivityConfig) -> list[tuple[str, str, str]]:
    """(key prefix, customer address, oracle address) of every BGP session that is enabled."""
    pairs: list[tuple[str, str, str]] = []
    fastconnect, ipsec = connectivity.fastconnect, connectivity.ipsec
    if fastconnect.enabled:
        pairs.append(
            ("connectivity.fastconnect.", fastconnect.customer_bgp_peering_ip, fastconnect.oracle_bgp_peering_ip)
        )
    if ipsec.enabled and ipsec.routing == "BGP":
        pairs += [
            (f"connectivity.ipsec.tunnels[{index}].", tunnel.customer_interface_ip, tunnel.oracle_interface_ip)
            for index, tunnel in enumerate(ipsec.tunnels)
        ]
    return pairs


def _peering_key(prefix: str, side: str) -> str:
    """The config key of one side of a BGP session: the circuit's and the tunnels' fields are named differently."""
    if prefix.startswith("connectivity.fastconnect"):
        return f"{prefix}{side}BgpPeeringIp"
    return f"{prefix}{side}InterfaceIp"


def connectivity_problems(connectivity: ConnectivityConfig, network: NetworkConfig) -> list[ConfigProblem]:
    """FastConnect and IPSec: peering addresses, how the circuit is delivered, the CPE, FastConnect preference."""
    problems: list[ConfigProblem] = []
    fastconnect, ipsec = connectivity.fastconnect, connectivity.ipsec
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    routed = network.vcn_cidrs + network.on_prem_cidrs
    for prefix, customer, oracle in _peering_pairs(connectivity):
        for side, problem, fix in connectivity_rules.peering_pair_problems(customer, oracle):
            value = customer if side == "customer" else oracle
            problems.append(ConfigProblem(_peering_key(prefix, side), value, problem, fix))
        subnet = connectivity_rules.peering_subnet(customer)
        if subnet is None:
            continue
        key = _peering_key(prefix, "customer")
        for other_prefix, other in seen:
            if subnet.overlaps(other):
                problems.append(
                    ConfigProblem(
                        key, customer, f"shares its subnet with the session of {other_prefix.rstrip('.')} ({other})",
                        "give every BGP session (the circuit and each tunnel) its own /30 or /31",
                    )
                )  # fmt: skip
        clashes = [cidr for cidr in routed if subnet.overlaps(ipaddress.ip_network(cidr))]
        if clashes:
            problems.append(
                ConfigProblem(
                    key, customer, f"overlaps {', '.join(clashes)} (a routed network)",
                    "use a 169.254.x.y/30 link-local pair",
                )
            )  # fmt: skip
        seen.append((prefix, subnet))
    if fastconnect.enabled:
        problems += _fastconnect_delivery_problems(fastconnect)
    if ipsec.enabled:
        problems += _ipsec_problems(ipsec, fastconnect.enabled, network)
    return problems


def _fastconnect_delivery_problems(fastconnect: FastConnectConfig) -> list[ConfigProblem]:
    """A circuit comes through a partner (provider service) or a colocation cross-connect: exactly one."""
    problems: list[ConfigProblem] = []
    delivery = (fastconnect.provider_service_ocid is not None, fastconnect.cross_connect_ocid is not None)
    if delivery == (False, False):
        problems.append(
            ConfigProblem(
                "connectivity.fastconnect.providerServiceOcid", None,
                "is required when FastConnect is enabled without a cross-connect",
                "set the FastConnect partner's provider service OCID (`oci network fast-connect-provider-service "
                "list`), or connectivity.fastconnect.crossConnectOcid when colocated with Oracle",
            )
        )  # fmt: skip
    elif delivery == (True, True):
        problems.append(
            ConfigProblem(
                "connectivity.fastconnect.crossConnectOcid", fastconnect.cross_connect_ocid,
                "is set together with a provider service (a partner owns the cross-connect of its circuits)",
                "keep providerServiceOcid (through a partner) or crossConnectOcid (colocation), not both",
            )
        )  # fmt: skip
    if fastconnect.cross_connect_ocid is not None and fastconnect.vlan is None:
        problems.append(
            ConfigProblem(
                "connectivity.fastconnect.vlan", None, "is required on a colocation cross-connect",
                "set the VLAN (100-16383) agreed for this circuit",
            )
        )  # fmt: skip
    if fastconnect.customer_bgp_asn == connectivity_rules.ORACLE_BGP_ASN:
        problems.append(
            ConfigProblem(
                "connectivity.fastconnect.customerBgpAsn", fastconnect.customer_bgp_asn, "is Oracle's own ASN",
                "use the hospital's ASN (a private ASN such as 64512-65534 if it has none)",
            )
        )  # fmt: skip
    return problems


def _ipsec_problems(ipsec: IpsecConfig, fastconnect_enabled: bool, network: NetworkConfig) -> list[ConfigProblem]:
    """The CPE is public, both tunnels are configured, routing can be ordered behind FastConnect."""
    problems: list[ConfigProblem] = []
    if ipsec.cpe_ip_address is None:
        problems.append(
            ConfigProblem(
                "connectivity.ipsec.cpeIpAddress", None, "is required when the IPSec backup is enabled",
                "set the public IP address of the hospital's VPN device",
            )
        )  # fmt: skip
    else:
        public = connectivity_rules.public_ipv4_problem(ipsec.cpe_ip_address)
        if public is not None:
            problems.append(ConfigProblem("connectivity.ipsec.cpeIpAddress", ipsec.cpe_ip_address, *public))
    if len(ipsec.tunnels) != connectivity_rules.IPSEC_TUNNELS:
        problems.append(
            ConfigProblem(
                "connectivity.ipsec.tunnels", [tunnel.model_dump(by_alias=True) for tunnel in ipsec.tunnels],
                f"lists {len(ipsec.tunnels)} tunnels; OCI creates exactly {connectivity_rules.IPSEC_TUNNELS}",
                "configure both tunnels (customerInterfaceIp and oracleInterfaceIp each)",
            )
        )  # fmt: skip
    if ipsec.routing == "STATIC" and fastconnect_enabled:
        problems.append(
            ConfigProblem(
                "connectivity.ipsec.routing", ipsec.routing,
                "cannot be ordered behind FastConnect (static routes carry no AS path to prepend)",
                "use BGP on the tunnels so that FastConnect stays the preferred path",
            )
        )  # fmt: skip
    if ipsec.routing == "STATIC" and not network.on_prem_cidrs:
        problems.append(
            ConfigProblem(
                "network.onPremCidrs", [], "is empty, but static IPSec routing needs the hospital's networks",
                "list the hospital's CIDRs, or use BGP routing",
            )
        )  # fmt: skip
    if ipsec.routing == "BGP" and ipsec.customer_bgp_asn == connectivity_rules.ORACLE_BGP_ASN:
        problems.append(
            ConfigProblem(
                "connectivity.ipsec.customerBgpAsn", ipsec.customer_bgp_asn, "is Oracle's own ASN",
                "use the hospital's ASN",
            )
        )  # fmt: skip
    return problems


def ai_edge_problems(config: StackConfig) -> list[ConfigProblem]:
    """AI rules that tie keys together."""
    problems: list[ConfigProblem] = []
    ai = config.ai
    if ai.enabled and ai.model_deployment_enabled and ai.model_ocid is None:
        problems.append(
            ConfigProblem(
                "ai.modelOcid", None, "is required when ai.modelDeploymentEnabled is true",
                "register the trained model in the Data Science catalog and set its OCID here",
            )
        )  # fmt: skip
    if ai.enabled and ".GPU." not in ai.training_shape:
        problems.append(
            ConfigProblem(
                "ai.trainingShape", ai.training_shape, "is not a GPU shape",
                "use a VM.GPU.* or BM.GPU.* shape, e.g. VM.GPU.A10.1",
            )
        )  # fmt: skip
    if ai.training_image_tag == "latest":
        problems.append(
            ConfigProblem(
                "ai.trainingImageTag", ai.training_image_tag, "is not pinned to a version",
                "push the training image with a release tag, e.g. 1.0.0, and set it here",
            )
        )  # fmt: skip
    return problems


# Container Instances flexible shapes: memory per OCPU allowed (docs: "Container Instance Shapes").
CONTAINER_INSTANCE_MEMORY_GB_PER_OCPU: dict[str, tuple[int, int]] = {
    "CI.Standard.E4.Flex": (1, 64),
    "CI.Standard.E3.Flex": (1, 64),
}


def orthanc_problems(config: StackConfig) -> list[ConfigProblem]:
    """The Container Instances shape must exist and allow the requested memory for the requested OCPUs."""
    orthanc = config.orthanc
    if orthanc.runtime != "container_instances":
        return []
    limits = CONTAINER_INSTANCE_MEMORY_GB_PER_OCPU.get(orthanc.shape)
    if limits is None:
        return [
            ConfigProblem(
                "orthanc.shape", orthanc.shape, "is not a Container Instances flexible shape",
                f"use one of {sorted(CONTAINER_INSTANCE_MEMORY_GB_PER_OCPU)}",
            )
        ]  # fmt: skip
    low, high = limits[0] * orthanc.ocpus, limits[1] * orthanc.ocpus
    if not low <= orthanc.memory_gb <= high:
        return [
            ConfigProblem(
                "orthanc.memoryGb",
                orthanc.memory_gb,
                f"is outside what {orthanc.shape} allows with orthanc.ocpus={orthanc.ocpus} "
                f"({limits[0]}-{limits[1]} GB per OCPU: {low}-{high} GB)",
                f"set orthanc.memoryGb between {low} and {high}, or change orthanc.ocpus",
            )
        ]
    return []


def cross_field_problems(config: StackConfig) -> list[ConfigProblem]:
    """Every rule that spans more than one key."""
    return (
        network_problems(config.network)
        + capacity_problems(config)
        + reachability_problems(config)
        + section_problems(config)
        + oke_problems(config)
        + database_problems(config)
        + ai_edge_problems(config)
        + orthanc_problems(config)
    )


# --- loading -------------------------------------------------------------------------------------------------


def pulumi_stack_values() -> dict[str, Any]:
    """Every key of the namespace (and `oci:region`) from the running stack's config, JSON-decoded.

    `pulumi.Config` cannot list keys, and a misspelt top-level key must be an error rather than be ignored,
    so this reads the engine's full config map.
    """
    # The engine hands the program its config through set_all_config or, in older hosts, PULUMI_CONFIG.
    from pulumi.runtime.config import CONFIG, get_config_env

    reverse = {qualified: key for key, qualified in FOREIGN_KEYS.items()}
    values: dict[str, Any] = {}
    for qualified, raw in {**get_config_env(), **CONFIG.get()}.items():
        namespace, _, key = qualified.partition(":")
        if namespace == NAMESPACE or qualified in reverse:
            try:
                values[reverse.get(qualified, key)] = json.loads(raw)
            except json.JSONDecodeError:
                values[reverse.get(qualified, key)] = raw  # plain strings such as a region id
    return values


def load_stack_config(values: Mapping[str, Any] | None = None) -> StackConfig:
    """Parse and validate the whole namespace (default: the running stack's); raise ConfigError listing every
    problem: bad values, repeated list items and, as far as the valid values allow, the cross-field rules."""
    raw = pulumi_stack_values() if values is None else dict(values)
    repeated = [_as_problem(message) for message in config_messages.duplicates(raw, _qualified)]
    try:
        config = StackConfig.model_validate(raw)
    except ValidationError as error:
        problems = _problems_from_validation(error)
        raise ConfigError(problems + repeated + _cross_field_problems_despite(raw, error)) from error
    except ConfigError as error:
        raise ConfigError(repeated + list(error.problems)) from error
    if repeated:
        raise ConfigError(repeated)
    return config


def _cross_field_problems_despite(raw: Mapping[str, Any], error: ValidationError) -> list[ConfigProblem]:
    """The cross-field problems of the valid part of a config that has bad values.

    Each bad value is dropped (a bad list item drops its whole list, so no index shifts), letting its default
    stand in; the rules then run on the rest, and any problem that names a dropped key is left out, since the
    rule saw the default rather than what the user wrote. A missing top-level key cannot be stood in for: then
    only the field problems are reported.
    """
    repaired = json.loads(json.dumps(raw))
    dropped: list[str] = []
    for detail in error.errors(include_url=False):
        location = tuple(detail["loc"])
        if detail["type"] == "missing":
            location = location[:-1]
        location = next((location[:index] for index, part in enumerate(location) if isinstance(part, int)), location)
        if not location:
            return []
        parent = repaired
        for part in location[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(location[-1], None)
        dropped.append(_key(location))
    try:
        StackConfig.model_validate(repaired)
    except ValidationError:
        return []
    except ConfigError as cross_field:
        return [
            problem
            for problem in cross_field.problems
            if not any(problem.key.startswith(key) or key in f"{problem.problem} {problem.fix}" for key in dropped)
        ]
    return []


class Tier(StrEnum):
    """Network tiers; each has one subnet and one NSG."""

    LB = "lb"
    APP = "app"
    BASTION = "bastion"
    DB = "db"
    OKE_API = "oke_api"
    OKE_WORKERS = "oke_workers"
    AI = "ai"
    OKE_PODS = "oke_pods"
