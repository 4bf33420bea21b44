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
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails, PydanticCustomError

from components.ai import ai_rules
from components.config import config_messages
from components.config.identifiers import AE_TITLE_PATTERN, ORTHANC_USER_PATTERN, SQL_IDENTIFIER_PATTERN
from components.connectivity import connectivity_rules
from components.data import database_rules
from components.data.postgres_sizing import required_max_connections
from components.network import address_rules
from components.network.address_rules import networks, usable_addresses
from components.orthanc import oke_rules, orthanc_rules
from components.orthanc.cors_rules import origin_problem
from components.orthanc.orthanc_access import Role

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


# Ranges a client can never reach the Bastion's public endpoint from: its address on the internet is never one
# of these (RFC 1918, RFC 6598 carrier-grade NAT, loopback, link-local, "this network", and their IPv6 kin).
NON_PUBLIC_CLIENT_RANGES = tuple(
    ipaddress.ip_network(block)
    for block in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
        "100.64.0.0/10",  # RFC 6598 carrier-grade NAT
        "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8",  # loopback, link-local, "this network"
        "::1/128", "fe80::/10", "fc00::/7",  # IPv6 loopback, link-local, unique local
    )
)  # fmt: skip


def _public_client_cidr(value: str) -> str:
    network = ipaddress.ip_network(value)
    clashes = [str(block) for block in NON_PUBLIC_CLIENT_RANGES if network.overlaps(block)]
    if clashes:
        raise _problem(
            f"is not a public range (it overlaps {', '.join(clashes)}), but clients reach the Bastion on its public "
            "endpoint, from their public egress address",
            "list the admins' public egress CIDRs (the addresses the internet sees their connections come from), "
            "e.g. 198.51.100.0/24",
        )
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


def _cors_origin(value: str) -> str:
    problem = origin_problem(value)
    if problem is not None:
        raise _problem(*problem)
    return value


def _one_cors_origin(value: list[str]) -> list[str]:
    if len(value) > 1:
        raise _problem(
            "lists more than one origin, but an OCI load balancer header rule has one fixed value (it cannot echo "
            "the request's Origin)",
            "keep only the origin of the web app that calls the API",
        )
    return value


TenancyOcid = Annotated[str, AfterValidator(ocid_of("tenancy"))]
CompartmentOcid = Annotated[str, AfterValidator(ocid_of("compartment", "tenancy"))]
Region = Annotated[str, AfterValidator(_region)]
PrivateCidr = Annotated[str, AfterValidator(_private_cidr)]
Cidr = Annotated[str, AfterValidator(_any_cidr)]
# The hospital's networks are admitted to the load balancer: never 0.0.0.0/0 or ::/0.
HospitalCidr = Annotated[str, AfterValidator(_any_cidr), AfterValidator(_not_the_world)]
# Bastion clients: public egress ranges, never the whole internet.
AdminCidr = Annotated[
    str, AfterValidator(_any_cidr), AfterValidator(_not_the_world), AfterValidator(_public_client_cidr)
]
PinnedImage = Annotated[str, AfterValidator(_no_latest_tag)]


def _key_generations(value: list[int]) -> list[int]:
    if value != sorted(set(value)):
        raise _problem(
            "must be distinct and ascending (the last is the key Orthanc uses)",
            "list the old generation first and the new one last, e.g. [1, 2]",
        )
    return value


# "A user can have up to two secret keys at a time"
# (https://docs.oracle.com/iaas/tools/oci-cli/latest/oci_cli_docs/cmdref/iam/customer-secret-key.html).
S3KeyGenerations = Annotated[
    list[Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=2), AfterValidator(_key_generations)
]
AeTitle = Annotated[str, Field(pattern=AE_TITLE_PATTERN)]
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
    """The VCN's address blocks. Must not overlap any hospital (on-prem) network."""
    dns_label: DnsLabel = "dicomstore"
    """DNS label of the VCN (letters and digits, starting with a letter, at most 15)."""
    subnets: SubnetCidrs = Field(default_factory=SubnetCidrs)
    """A CIDR per tier, each inside a VCN CIDR, none overlapping."""
    on_prem_cidrs: list[HospitalCidr] = Field(default_factory=list)
    """The hospital's networks reached over FastConnect/IPSec: routed to the DRG, allowed to the load balancer."""
    deployer_cidrs: list[HospitalCidr] = Field(default_factory=list)
    """Hospital networks where engineers run `pulumi up` and kubectl: admitted to the private OKE API endpoint on
    TCP 6443 and routed back through the DRG. Each must lie inside network.onPremCidrs; required with the OKE
    runtime (Pulumi creates the Kubernetes objects through that endpoint)."""
    public_load_balancer: bool = False
    """Expose the load balancer tier to the internet. Off: the DICOM store is reachable only privately."""
    flow_log_retention_days: Annotated[int, Field(ge=30, le=180), AfterValidator(_log_retention)] = 90
    """Retention of VCN flow logs (OCI Logging allows 30-180 days in steps of 30; archive to Object Storage for
    longer)."""


class SecurityConfig(Section):
    vault_type: Literal["VIRTUAL_PRIVATE", "DEFAULT"] = "VIRTUAL_PRIVATE"
    """VIRTUAL_PRIVATE: dedicated HSM partition, OCI rotates the key (about 3,900 USD/month). DEFAULT: shared
    partition, HSM key rotated by a key version per period on the scheduled `pulumi up` (key versions only)."""
    key_rotation_days: int = Field(default=90, ge=60, le=365)
    """Longest life of a master key version (CIS OCI 4.16: at most 365 days), however the vault rotates it."""
    cloud_guard_enabled: bool = True
    """Enable Cloud Guard at tenancy level with cloned detector/responder recipes."""
    cloud_guard_reporting_region: Region | None = None
    """Cloud Guard reporting region (required when Cloud Guard is enabled; usually the home region)."""
    cloud_guard_target_ocid: Annotated[str, AfterValidator(ocid_of("cloudguardtarget"))] | None = None
    """The tenancy's existing Cloud Guard target on the root compartment, when Cloud Guard already runs there (a
    compartment belongs to one target only). Set: the stack leaves that target alone and puts its cloned recipes
    on a target of its own for the parent compartment (or lists them to attach by hand when the parent is the
    root). Unset: the stack creates the root target."""
    notification_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = Field(
        default_factory=list
    )
    """Email addresses subscribed to Cloud Guard problem notifications."""
    admin_cidrs: list[AdminCidr] = Field(default_factory=list)
    """The administrators' public egress CIDRs, allowed to open Bastion sessions: clients reach a Bastion on its
    public endpoint, so private (RFC 1918), CGNAT, loopback and link-local ranges are refused, and so is
    0.0.0.0/0. Empty: no Bastion."""
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
    s3_key_generations: S3KeyGenerations = Field(default_factory=lambda: [1])
    """The customer secret keys of Orthanc's S3 user, by generation; the last is the one Orthanc uses. Rolling
    the key: [1] -> [1, 2] (pulumi up creates key 2 and new versions of the two S3 secrets; rolling restart) ->
    [2] (pulumi up deletes key 1). OCI allows two keys per user (README, "Rotation runbook")."""
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
    database_name: Annotated[str, Field(pattern=SQL_IDENTIFIER_PATTERN)] = "orthanc"
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
    users: list[Annotated[str, Field(pattern=ORTHANC_USER_PATTERN)]] = Field(
        default_factory=lambda: ["admin"], min_length=1
    )
    """Orthanc users; their passwords are generated into OCI Vault, never written in config."""
    user_roles: dict[str, Role] = Field(default_factory=lambda: {"admin": Role.ADMINISTRATOR})
    """The role of each user in `users`: administrator (everything), ingest (store only), reader (query,
    retrieve, viewers), pipeline (reader's API + store, for AI) or operator (reader + send to configured
    modalities/peers). Enforced inside Orthanc for
    every HTTP route; a route a role does not name is refused (see README, "Who may do what")."""
    password_rollover: list[str] = Field(default_factory=list)
    """Users whose password is rolling over: while listed, each also answers as `<user>+rollover` with the same
    role and the password of its Vault secret `<prefix>-orthanc-rollover-<user>-password`. Empty outside a
    rollover (README, "Rotation runbook")."""
    allowed_modalities: list[Modality] = Field(default_factory=list)
    """Modalities allowed to C-STORE/C-FIND/C-MOVE; unknown AEs are rejected."""
    tls_min_version: Literal["TLSv1.2", "TLSv1.3"] = "TLSv1.2"
    """Lowest TLS version on the load balancer's HTTPS listener."""
    certificate_ocid: Annotated[str, AfterValidator(ocid_of("certificate"))] | None = None
    """OCI Certificates certificate for the HTTPS listener; None: one is issued from a private CA."""
    dicom_tls: bool = False
    """Terminate DICOM TLS on the load balancer's 4242 listener."""
    modality_ca_bundle_ocid: Annotated[str, AfterValidator(ocid_of("cabundle", "certificateauthority"))] | None = None
    """OCI Certificates CA bundle (or CA) that issues the modalities' client certificates. Required with
    dicomTls: the DICOM listener then refuses any modality without a certificate from it (mutual TLS), so an AE
    title alone no longer lets anyone on the hospital network store or query."""
    cors_allowed_origins: Annotated[
        list[Annotated[str, AfterValidator(_cors_origin)]], AfterValidator(_one_cors_origin)
    ] = Field(default_factory=list)
    """The https origin (at most one, e.g. `https://portal.hospital.example`) of a web app on another site that
    may call the API with a user's credentials; the HTTPS listener's rule set adds the CORS headers and answers
    preflights. Empty (default): no CORS, the viewers are served from the load balancer's own origin."""


class FastConnectConfig(Section):
    enabled: bool = False
    """Private FastConnect virtual circuit from the hospital."""
    bandwidth_shape: str = "1 Gbps"
    """Virtual circuit bandwidth."""
    provider_service_ocid: Annotated[str, AfterValidator(ocid_of("providerservice"))] | None = None
    """FastConnect partner service (None: colocation / cross-connect; see README)."""
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
    customer_bgp_asn: int | None = Field(default=None, ge=1, le=4294967295)
    """The hospital's BGP ASN, one for both paths: the FastConnect circuit's BGP session and the BGP sessions of
    the IPSec tunnels. Required when FastConnect or BGP-routed IPSec is enabled (a private ASN such as
    64512-65534 if the hospital has no public one)."""
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
    inference_replicas: int = Field(default=1, ge=1, le=20)
    """Inference server pods (one GPU each); the GPU pool has just the nodes they need, no idle GPU."""
    services_cidr: PrivateCidr = "10.96.0.0/16"
    """Kubernetes service (ClusterIP) range; must not overlap the VCN or the hospital's networks."""
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
    internet_egress: bool = False
    """Let notebook sessions, job runs and model deployments open HTTPS to the internet through the NAT gateway
    (public package indexes, model hubs). Off: Oracle Services Network only (the bucket, OCIR, Vault, Logging,
    Data Science conda environments), so PHI read by a notebook has no path to the internet."""


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


class CostConfig(Section):
    stored_tb: float = Field(default=10.0, ge=0)
    """Images under management in TB (priced by tier in the cost estimate of `make plan`; creates nothing)."""
    monthly_new_tb: float = Field(default=0.5, ge=0)
    """TB of new images a month: sets how much of the archive is still Standard / Infrequent Access."""
    internet_egress_tb: float = Field(default=0.0, ge=0)
    """TB a month leaving OCI over the internet (IPSec, partners); FastConnect transfer is not billed."""


# CrossGuard's enforcement levels, as `--policy-pack-config` spells them.
POLICY_ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")


def _enforcement_level(value: str) -> str:
    if value not in POLICY_ENFORCEMENT_LEVELS:
        raise _problem("is not a CrossGuard enforcement level", f"use one of {', '.join(POLICY_ENFORCEMENT_LEVELS)}")
    return value


class PolicyWaiver(Section):
    """One accepted violation of one policy by one resource, for a limited time."""

    policy: Annotated[str, Field(min_length=1)]
    """Name of the waived policy, as in policies/README.md (e.g. `cis-4-17-bucket-write-logs`)."""
    resource: Annotated[str, Field(min_length=1)]
    """The resource: its logical name (`dicomstore-storage-bucket`) or its full URN."""
    reason: Annotated[str, Field(min_length=10)]
    """Why the violation is accepted (shown in the compliance report and as the SARIF justification)."""
    expires: date
    """Last day the waiver holds (YYYY-MM-DD); from the next day the violation counts again."""


class PoliciesConfig(Section):
    """Per-stack settings of the policy pack, read by `pulumi preview --policy-pack policies` and the offline
    plan alike."""

    enforcement_levels: dict[str, Annotated[str, AfterValidator(_enforcement_level)]] = Field(default_factory=dict)
    """Enforcement level per policy name (advisory, mandatory, remediate, disabled), over the pack's defaults."""
    waivers: tuple[PolicyWaiver, ...] = ()
    """Per-resource waivers: `{policy, resource, reason, expires}` each; a waiver that matches no violation
    is an error."""


class OpsConfig(Section):
    """Day-2 operations: alarm thresholds, the budget, and the index restore switch (components/ops/)."""

    notification_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = Field(
        default_factory=list
    )
    """E-mail addresses of the operations topic (alarms, database backups, budget); empty: the addresses of
    security.notificationEmails."""
    lb_server_errors_per_minute: int = Field(default=10, ge=1)
    """Alarm when the load balancer answers more 5xx responses than this in one minute."""
    postgres_cpu_percent: int = Field(default=80, ge=1, le=100)
    """Alarm when the PostgreSQL primary's CPU utilisation stays above this for five minutes."""
    postgres_storage_used_gb: int = Field(default=200, ge=1)
    """Alarm when PostgreSQL uses more storage than this (GB; OCI-optimised storage grows on its own and is
    billed per GB)."""
    postgres_connections_percent: int = Field(default=80, ge=1, le=100)
    """Alarm when open PostgreSQL connections exceed this share of max_connections."""
    bucket_client_errors_per_five_minutes: int = Field(default=100, ge=1)
    """Alarm when the DICOM bucket answers more 4xx (including 429 throttling) than this in five minutes."""
    container_memory_percent: int = Field(default=90, ge=1, le=100)
    """Container Instances runtime: alarm when an Orthanc instance's memory utilisation exceeds this."""
    monthly_budget_usd: int = Field(default=5000, ge=1)
    """Monthly budget of the stack's compartments in USD. Set it to the plan's estimated monthly cost
    (`python -m offline plan`) plus headroom; the default fits a small (dev) stack."""
    restore_from_backup_ocid: Annotated[str, AfterValidator(ocid_of("postgresqlbackup"))] | None = None
    """Index restore: create a new DB system from this OCI PostgreSQL backup and point Orthanc at it (the
    original DB system is kept). See the README's restore runbook."""


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
    cost: CostConfig = Field(default_factory=CostConfig)
    """Usage assumptions of the cost estimate (volumes a plan cannot know)."""
    policies: PoliciesConfig = Field(default_factory=PoliciesConfig)
    """Policy pack: enforcement levels and per-resource waivers."""
    ops: OpsConfig = Field(default_factory=OpsConfig)
    """Alarms, budget and restore."""

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


# Keys earlier versions accepted, with why they are gone and what to write instead.
RETIRED_KEYS: dict[str, tuple[str, str]] = {
    "connectivity.fastconnect.customerBgpAsn": (
        "has moved: the hospital has one ASN for FastConnect and IPSec",
        "set connectivity.customerBgpAsn instead",
    ),
    "connectivity.ipsec.customerBgpAsn": (
        "has moved: the hospital has one ASN for FastConnect and IPSec",
        "set connectivity.customerBgpAsn instead",
    ),
    "storage.archiveAfterDays": (
        "is no longer supported: Orthanc's S3 plugin reads objects with a plain GET, which OCI refuses for an "
        "archived object until it is restored, so every image older than this would stop loading",
        "remove it; auto-tiering (storage.autoTiering) already moves images nobody reads to Infrequent Access",
    ),
    "network.peeredCidrs": (
        "is no longer supported: nothing routed, admitted or peered these networks",
        "list networks that reach the VCN over the hospital's FastConnect/IPSec in network.onPremCidrs "
        "(they are then routed to the DRG and admitted to the load balancer); peer another VCN outside this stack",
    ),
}


def _problems_from_validation(error: ValidationError, section: tuple[str, ...] = ()) -> list[ConfigProblem]:
    """One problem per error detail; `section` prefixes the locations of a section validated on its own."""
    problems = []
    for detail in error.errors(include_url=False):
        located: ErrorDetails = {**detail, "loc": (*section, *detail["loc"])}
        key = _key(located["loc"])
        if located["type"] == "extra_forbidden" and key in RETIRED_KEYS:
            problems.append(ConfigProblem(key, located.get("input"), *RETIRED_KEYS[key]))
        else:
            problems.append(_as_problem(config_messages.message(StackConfig, located, _qualified)))
    return problems


# --- cross-field rules ---------------------------------------------------------------------------------------


def capacity_problems(config: StackConfig) -> list[ConfigProblem]:
    """Tiers big enough for what runs in them."""
    problems: list[ConfigProblem] = []
    subnets = config.network.subnets
    oke = config.oke
    nodes = oke.node_count + (gpu_node_count(oke) if oke.gpu_pool_enabled else 0)
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
    hospital = networks(config.network.on_prem_cidrs)
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
    if security.cloud_guard_target_ocid is not None and not security.cloud_guard_enabled:
        problems.append(
            ConfigProblem(
                "security.cloudGuardTargetOcid", security.cloud_guard_target_ocid,
                "names a Cloud Guard target while security.cloudGuardEnabled is false",
                "remove cloudGuardTargetOcid, or set cloudGuardEnabled: true",
            )
        )  # fmt: skip
    if storage.replication_region == config.region:
        problems.append(
            ConfigProblem(
                "storage.replicationRegion", storage.replication_region, "is the primary region",
                "replicate to another region (disaster recovery needs a second region)",
            )
        )  # fmt: skip
    problems += _from_rules(connectivity_rules.connectivity_problems(connectivity, config.network))
    if config.oke.gpu_pool_enabled and config.orthanc.runtime != "oke":
        problems.append(
            ConfigProblem(
                "oke.gpuPoolEnabled", True, "needs the OKE runtime",
                "set orthanc.runtime to oke, or turn the GPU pool off",
            )
        )  # fmt: skip
    return problems


INFERENCE_GPUS_PER_POD = 1  # one Triton server per GPU; more throughput is more replicas


def gpus_per_node(shape: str) -> int:
    """GPUs of an OCI GPU shape, the number after its last dot (VM.GPU.A10.2 -> 2)."""
    count = shape.rsplit(".", 1)[-1]
    return int(count) if count.isdigit() else 1


def gpu_node_count(oke: OkeConfig) -> int:
    """GPU workers that hold every inference replica, and no more (a GPU node no pod uses bills all the same)."""
    return math.ceil(oke.inference_replicas * INFERENCE_GPUS_PER_POD / gpus_per_node(oke.gpu_shape))


def _inside_any(cidr: str, blocks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    network = ipaddress.ip_network(cidr)
    return any(block.version == network.version and network.subnet_of(block) for block in blocks)  # type: ignore[arg-type]


def deployer_problems(config: StackConfig) -> list[ConfigProblem]:
    """The deployers' networks: inside the hospital's (the DRG carries them), and present with the OKE runtime."""
    network = config.network
    hospital = networks(network.on_prem_cidrs)
    problems = [
        ConfigProblem(
            f"network.deployerCidrs[{index}]", cidr,
            f"lies outside every hospital network {network.on_prem_cidrs} (the OKE API endpoint is reached over "
            "FastConnect/IPSec only)",
            "use a network inside network.onPremCidrs, or add the deployers' network there",
        )
        for index, cidr in enumerate(network.deployer_cidrs)
        if not _inside_any(cidr, hospital)
    ]  # fmt: skip
    if config.orthanc.runtime == "oke" and not network.deployer_cidrs:
        problems.append(
            ConfigProblem(
                "network.deployerCidrs", [],
                "is empty, but `pulumi up` creates Orthanc's Kubernetes objects through the private OKE API endpoint",
                "list the hospital networks the engineers run `pulumi up` from (inside network.onPremCidrs), e.g. "
                "[10.0.8.0/24]",
            )
        )  # fmt: skip
    return problems


@dataclass(frozen=True)
class OrthancFleet:
    """What the Orthanc fleet needs, derived once from the config; the validation and the blocks that size for
    the fleet (Database, the OKE workloads) read these values, never their own formula."""

    peak_replicas: int
    """The most Orthanc replicas running at once: orthanc.replicas, or on OKE the autoscaler's bound."""
    db_max_connections: int
    """PostgreSQL `max_connections` for that peak (`postgres_sizing.required_max_connections`)."""


def orthanc_fleet(config: StackConfig) -> OrthancFleet:
    """The fleet's derived values; `oke.orthancMaxReplicas` counts only when Orthanc runs on OKE."""
    orthanc = config.orthanc
    autoscaler_bound = config.oke.orthanc_max_replicas if orthanc.runtime == "oke" else None
    peak = max(orthanc.replicas, autoscaler_bound or 0)
    return OrthancFleet(peak, required_max_connections(peak, orthanc.index_connections))


def _from_rules(problems: Iterable[config_messages.RuleProblem]) -> list[ConfigProblem]:
    """The problems a block's rules module reports, as the lines the stack config raises."""
    return [ConfigProblem(*problem) for problem in problems]


def cross_field_problems(config: StackConfig) -> list[ConfigProblem]:
    """Every rule that spans more than one key."""
    return (
        _from_rules(address_rules.network_problems(config.network))
        + capacity_problems(config)
        + reachability_problems(config)
        + section_problems(config)
        + _from_rules(oke_rules.oke_problems(config))
        + deployer_problems(config)
        + _from_rules(database_rules.database_problems(config, orthanc_fleet(config)))
        + _from_rules(ai_rules.ai_problems(config.ai))
        + _from_rules(orthanc_rules.orthanc_problems(config.orthanc))
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


def load_policies_config(values: Mapping[str, Any] | None = None) -> PoliciesConfig:
    """Only the `policies` section (default: the running stack's). The policy pack runs in its own process and
    reads the stack config the engine hands it (PULUMI_CONFIG); the program validates everything else."""
    raw = (pulumi_stack_values() if values is None else values).get("policies", {})
    try:
        return PoliciesConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_problems_from_validation(error, ("policies",))) from error


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
