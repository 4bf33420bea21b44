"""HIPAA Security Rule technical safeguards (45 CFR 164.312) and the contingency-plan backup standard
(164.308(a)(7)), as checks on what this stack deploys.

HIPAA names outcomes, not settings; each policy states the setting that delivers the outcome on OCI:
* (a)(1) access control: nothing that holds or serves PHI gets a public IP or a public endpoint;
* (a)(2)(iv) encryption at rest: bucket, PostgreSQL storage, OKE secrets and OKE node boot volumes use the
  customer-managed key;
* (b) audit controls: audit retention >= 365 days (configurable) and access logs on every load balancer;
* (c)(1) integrity: image storage keeps versions or is under a retention rule;
* (e)(1) transmission security: every HTTP listener terminates TLS 1.2+ only; plain TCP (DICOM) listeners
  are flagged unless DICOM TLS is configured on them;
* (d) person or entity authentication: Orthanc requires authentication on HTTP and accepts DICOM only from
  registered modalities; every IAM user the stack creates is a machine identity with no console password,
  auth token or SMTP credential (only the one credential kind its job needs);
* 164.308(a)(7) contingency plan: database backups are on and kept long enough (configurable).

Enforcement: every HIPAA policy is MANDATORY, including the "addressable" specifications ((a)(2)(iv),
(e)(2)(ii)): for a store of PHI this design has decided encryption is reasonable and appropriate, which is
what 164.306(d)(3) asks an entity to decide and document. A stack can re-level a policy in
`dicomstore:policies.enforcementLevels`, which documents the decision where the reviewer reads it.

OCI Database with PostgreSQL has no public-endpoint option (it is reachable only through its subnet), so
(a)(1) covers it through its subnet being private.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies._checks import BUCKET, is_bucket_log, unrecoverable_buckets
from policies._framework import HIPAA, config_number, describe, threshold_schema
from policies._props import as_bool, as_int, as_list, is_anywhere, lookup
from policies._stack import linked, resources_of

DB_SYSTEM = "oci:Psql/dbSystem:DbSystem"
CLUSTER = "oci:ContainerEngine/cluster:Cluster"
CONTAINER_INSTANCE = "oci:ContainerEngine/containerInstance:ContainerInstance"
NODE_POOL = "oci:ContainerEngine/nodePool:NodePool"
LOAD_BALANCER = "oci:LoadBalancer/loadBalancer:LoadBalancer"
NETWORK_LOAD_BALANCER = "oci:NetworkLoadBalancer/networkLoadBalancer:NetworkLoadBalancer"
LB_LISTENER = "oci:LoadBalancer/listener:Listener"
NLB_LISTENER = "oci:NetworkLoadBalancer/listener:Listener"
SUBNET = "oci:Core/subnet:Subnet"
INSTANCE = "oci:Core/instance:Instance"
BASTION = "oci:Bastion/bastion:Bastion"
K8S_SERVICE = "kubernetes:core/v1:Service"
# OKE's cloud controller creates a PUBLIC load balancer for a LoadBalancer Service unless annotated internal.
OCI_LB_INTERNAL = "service.beta.kubernetes.io/oci-load-balancer-internal"
OCI_NLB_INTERNAL = "oci-network-load-balancer.oraclecloud.com/internal"
AUDIT_CONFIGURATION = "oci:Audit/configuration:Configuration"
LOG = "oci:Logging/log:Log"

MIN_AUDIT_RETENTION_DAYS = 365
MIN_BACKUP_RETENTION_DAYS = 7
STRONG_TLS_PROTOCOLS = frozenset({"TLSv1.2", "TLSv1.3"})
HTTP_PROTOCOLS = frozenset({"HTTP", "HTTP2", "GRPC"})  # listener protocols that carry DICOMweb/REST

# Where each resource type keeps its customer-managed key, and the argument that sets it.
CMK_LOCATIONS: Mapping[str, tuple[str, str]] = {
    BUCKET: ("kmsKeyId", "kms_key_id"),
    DB_SYSTEM: ("storageDetails.kmsKeyId", "storage_details.kms_key_id"),
    CLUSTER: ("kmsKeyId", "kms_key_id (encrypts Kubernetes secrets in etcd)"),
    NODE_POOL: ("nodeConfigDetails.kmsKeyId", "node_config_details.kms_key_id (boot volumes cache pulled PHI)"),
}


def validate_encryption_at_rest(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    location = CMK_LOCATIONS.get(args.resource_type)
    if location is not None and not lookup(args.props, location[0]):
        report_violation(
            f"{describe(args)} stores PHI without a customer-managed key. Fix: set {location[1]} to the "
            "Vault master key.",
            None,
        )


hipaa_encryption_at_rest = ResourceValidationPolicy(
    name="hipaa-164-312-a-2-iv-encryption-at-rest-cmk",
    description="The DICOM bucket, the PostgreSQL storage, OKE secrets and OKE node boot volumes are encrypted "
    "with the customer-managed Vault key.",
    validate=validate_encryption_at_rest,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=HIPAA.control(
        "164.312(a)(2)(iv)", "Encryption and decryption: encrypt and decrypt electronic protected health information."
    ),
    remediation_steps="Pass the Vault master key id to the bucket (kms_key_id), the PostgreSQL DB system "
    "(storage_details.kms_key_id), the OKE cluster (kms_key_id) and node pools (node_config_details.kms_key_id), "
    "with IAM policies that let each service use the key.",
    tags=["encryption", "phi"],
)


def listener_tls_problem(props: Mapping[str, Any]) -> str | None:
    """Why a load-balancer listener fails TLS 1.2+ (None when it passes or is a plain TCP listener)."""
    ssl = props.get("sslConfiguration")
    protocol = str(props.get("protocol", "")).upper()
    if not ssl:
        return f"{protocol} listener without TLS" if protocol in HTTP_PROTOCOLS else None
    protocols = {str(p) for p in as_list(ssl.get("protocols"))}
    if not protocols:
        return "TLS without an explicit protocol list (the load balancer's default may change)"
    weak = sorted(protocols - STRONG_TLS_PROTOCOLS)
    return f"TLS protocols {weak} allowed" if weak else None


def validate_listener_tls(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != LB_LISTENER:
        return
    problem = listener_tls_problem(args.props)
    if problem is not None:
        report_violation(
            f"{describe(args)} has {problem}. Fix: set ssl_configuration with certificate_ids, "
            "protocols=['TLSv1.2', 'TLSv1.3'] and a TLS 1.2+ cipher suite.",
            None,
        )


hipaa_tls_listeners = ResourceValidationPolicy(
    name="hipaa-164-312-e-1-tls-1-2-listeners",
    description="Every HTTP load-balancer listener, and every listener with TLS configured (DICOM TLS), "
    "accepts TLS 1.2 or newer only.",
    validate=validate_listener_tls,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=HIPAA.control(
        "164.312(e)(1)",
        "Transmission security: guard against unauthorized access to electronic protected "
        "health information that is being transmitted over an electronic communications network.",
    ),
    remediation_steps="Terminate TLS on the load balancer with protocols TLSv1.2/TLSv1.3 only "
    "(dicomstore:orthanc.tlsMinVersion).",
    tags=["encryption", "network", "phi"],
)


def validate_tcp_listener_tls(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    protocol = str(args.props.get("protocol", "")).upper()
    # A network load balancer passes TCP through and never terminates TLS; a load balancer's TCP listener
    # does when it has an ssl_configuration.
    plain_nlb = args.resource_type == NLB_LISTENER and protocol in ("TCP", "TCP_AND_UDP")
    plain_lb = args.resource_type == LB_LISTENER and protocol == "TCP" and not args.props.get("sslConfiguration")
    if plain_nlb or plain_lb:
        report_violation(
            f"{describe(args)} forwards TCP port {as_int(args.props.get('port'))} (DICOM) without TLS. Fix: "
            "set dicomstore:orthanc.dicomTls=true so DICOM TLS terminates on the load balancer's TCP listener.",
            None,
        )


hipaa_dicom_tls = ResourceValidationPolicy(
    name="hipaa-164-312-e-2-ii-dicom-tls",
    description="DICOM (TCP) listeners of load balancers and network load balancers terminate TLS; without "
    "it DICOM travels in clear text from the modalities to Orthanc.",
    validate=validate_tcp_listener_tls,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=HIPAA.control(
        "164.312(e)(2)(ii)",
        "Encryption (addressable): encrypt electronic protected health information whenever deemed appropriate.",
    ),
    remediation_steps="Set dicomstore:orthanc.dicomTls=true once the modalities support DICOM TLS; until "
    "then keep DICOM on private links (FastConnect / IPSec) only.",
    tags=["encryption", "network", "phi"],
)


# The control both audit policies prove: retention of the audit trail, and logs of who read what.
AUDIT_CONTROLS = HIPAA.control(
    "164.312(b)",
    "Audit controls: record and examine activity in information systems that contain or use "
    "electronic protected health information.",
)


def validate_audit_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != AUDIT_CONFIGURATION:
        return
    minimum = config_number(args.get_config(), "minRetentionDays", MIN_AUDIT_RETENTION_DAYS)
    days = as_int(args.props.get("retentionPeriodDays"))
    if days is None or days < minimum:
        report_violation(
            f"{describe(args)} keeps audit events {days or 90} days; at least {minimum} are required. "
            f"Fix: set retention_period_days={minimum} or more.",
            None,
        )


hipaa_audit_retention = ResourceValidationPolicy(
    name="hipaa-164-312-b-audit-retention",
    description="The tenancy keeps audit events for at least a year (configurable).",
    validate=validate_audit_retention,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=AUDIT_CONTROLS,
    config_schema=PolicyConfigSchema(
        threshold_schema("minRetentionDays", MIN_AUDIT_RETENTION_DAYS, "Shortest allowed audit retention.", 90)
    ),
    remediation_steps="Manage oci.audit.Configuration on the tenancy with retention_period_days >= 365.",
    tags=["logging", "phi"],
)


def _is_access_log_for(log: PolicyResource, load_balancer: PolicyResource) -> bool:
    source = lookup(log.props, "configuration.source", {})
    return bool(
        source.get("service") == "loadbalancer" and source.get("category") == "access" and linked(log, load_balancer)
    )


def validate_audit_and_access_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    if not resources_of(args, AUDIT_CONFIGURATION):
        report_violation(
            "The stack does not manage the tenancy's audit configuration, so audit retention is OCI's "
            "90-day default. Fix: add oci.audit.Configuration(compartment_id=<tenancy>, "
            "retention_period_days=365).",
            None,
        )
    logs = resources_of(args, LOG)
    for load_balancer in resources_of(args, LOAD_BALANCER):
        if not any(_is_access_log_for(log, load_balancer) for log in logs):
            report_violation(
                f"{describe(load_balancer)} has no access log, so who read which study is not recorded. Fix: "
                "add an oci.logging.Log with configuration.source {service: 'loadbalancer', category: "
                "'access', resource: load_balancer.id}.",
                load_balancer.urn,
            )
    # Images are read straight from the bucket too (the S3 plugin, training jobs, edge sync): Object Storage
    # `read` service logs record those reads.
    for bucket in resources_of(args, BUCKET):
        if not any(is_bucket_log(log, bucket, "read") for log in logs):
            report_violation(
                f"{describe(bucket)} has no read log, so who read which image is not recorded. Fix: add an "
                "oci.logging.Log with configuration.source {service: 'objectstorage', category: 'read', "
                "resource: bucket.name}.",
                bucket.urn,
            )


hipaa_audit_and_access_logs = StackValidationPolicy(
    name="hipaa-164-312-b-audit-and-access-logs",
    description="The audit configuration is managed by the stack; every load balancer and bucket logs reads.",
    validate=validate_audit_and_access_logs,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=AUDIT_CONTROLS,
    remediation_steps="Manage the audit configuration; add load-balancer access logs and Object Storage read logs "
    "to the log group.",
    tags=["logging", "phi"],
)


def validate_image_storage_integrity(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for bucket in unrecoverable_buckets(args, retention_counts=True):
        report_violation(
            f"{describe(bucket)} has neither versioning nor a retention rule, so an overwritten or deleted "
            "image cannot be recovered. Fix: set versioning='Enabled' (and optionally a retention rule); a "
            "replication destination, which OCI keeps read-only and unversioned, passes when its source does.",
            bucket.urn,
        )


hipaa_image_integrity = StackValidationPolicy(
    name="hipaa-164-312-c-1-image-storage-integrity",
    description="Image storage keeps object versions or is under a retention rule.",
    validate=validate_image_storage_integrity,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=HIPAA.control(
        "164.312(c)(1)",
        "Integrity: protect electronic protected health information from improper alteration or destruction.",
    ),
    remediation_steps="Enable versioning on the DICOM bucket; add a time-bound retention rule for legal holds.",
    tags=["storage", "phi"],
)


def backup_problem(props: Mapping[str, Any], minimum_days: int) -> str | None:
    """Why a PostgreSQL DB system's backups are insufficient (None when they are on and kept long enough)."""
    policy = lookup(props, "managementPolicy.backupPolicy")
    if not policy:
        return "no backup policy"
    if str(policy.get("kind", "")).upper() == "NONE":
        return "backups turned off (kind NONE)"
    days = as_int(policy.get("retentionDays"))
    if days is None or days < minimum_days:
        return f"backup retention of {days} days (minimum {minimum_days})"
    return None


def validate_database_backups(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DB_SYSTEM:
        return
    minimum = config_number(args.get_config(), "minBackupRetentionDays", MIN_BACKUP_RETENTION_DAYS)
    problem = backup_problem(args.props, minimum)
    if problem is not None:
        report_violation(
            f"{describe(args)} has {problem}. Fix: set management_policy.backup_policy with kind 'DAILY' and "
            f"retention_days >= {minimum} (dicomstore:database.backupRetentionDays).",
            None,
        )


hipaa_database_backups = ResourceValidationPolicy(
    name="hipaa-164-308-a-7-database-backups",
    description="The PostgreSQL index database is backed up automatically with a minimum retention.",
    validate=validate_database_backups,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=HIPAA.control(
        "164.308(a)(7)(ii)(A)",
        "Data backup plan: establish and implement procedures to create and maintain "
        "retrievable exact copies of electronic protected health information.",
    ),
    config_schema=PolicyConfigSchema(
        threshold_schema("minBackupRetentionDays", MIN_BACKUP_RETENTION_DAYS, "Shortest backup retention.", 1)
    ),
    remediation_steps="Give the DB system a daily backup policy with retention_days of at least 7.",
    tags=["database", "backup", "phi"],
)


def is_internal_k8s_load_balancer(props: Mapping[str, Any]) -> bool:
    """True if a Kubernetes LoadBalancer Service asks OKE for a private (internal) OCI load balancer."""
    annotations = lookup(props, "metadata.annotations", {})
    return any(str(annotations.get(key, "")).lower() == "true" for key in (OCI_LB_INTERNAL, OCI_NLB_INTERNAL))


# For each internet-reachable resource type: a predicate "is it public?" and what to say about it.
EXPOSURES: Mapping[str, tuple[Callable[[Mapping[str, Any]], bool], str]] = {
    CONTAINER_INSTANCE: (
        lambda props: any(as_bool(vnic.get("isPublicIpAssigned")) for vnic in as_list(props.get("vnics"))),
        "a VNIC with a public IP. Fix: set vnics[].is_public_ip_assigned=False",
    ),
    CLUSTER: (
        lambda props: as_bool(lookup(props, "endpointConfig.isPublicIpEnabled")) is True,
        "a public Kubernetes API endpoint. Fix: set endpoint_config.is_public_ip_enabled=False",
    ),
    LOAD_BALANCER: (
        lambda props: as_bool(props.get("isPrivate")) is not True,
        "a public IP (OCI load balancers are public unless is_private). Fix: set is_private=True",
    ),
    NETWORK_LOAD_BALANCER: (
        lambda props: as_bool(props.get("isPrivate")) is not True,
        "a public IP (network load balancers are public unless is_private). Fix: set is_private=True",
    ),
    SUBNET: (
        lambda props: as_bool(props.get("prohibitPublicIpOnVnic")) is not True,
        "public IPs allowed on its VNICs. Fix: set prohibit_public_ip_on_vnic=True",
    ),
    INSTANCE: (
        lambda props: as_bool(lookup(props, "createVnicDetails.assignPublicIp")) is True,
        "a public IP. Fix: set create_vnic_details.assign_public_ip='false'",
    ),
    K8S_SERVICE: (
        lambda props: lookup(props, "spec.type") == "LoadBalancer" and not is_internal_k8s_load_balancer(props),
        "type LoadBalancer without the internal annotation, so OKE creates a public load balancer. Fix: "
        f"annotate it {OCI_LB_INTERNAL}: 'true' (or {OCI_NLB_INTERNAL}: 'true'), or use the shared private load "
        "balancer with a NodePort service",
    ),
    BASTION: (
        lambda props: any(is_anywhere(cidr) for cidr in as_list(props.get("clientCidrBlockAllowLists"))),
        "sessions allowed from anywhere. Fix: list only the admins' CIDRs in client_cidr_block_allow_lists",
    ),
}


def public_exposure(resource_type: str, props: Mapping[str, Any]) -> str | None:
    """How a resource is reachable from the internet, with the fix; None when it is private."""
    check = EXPOSURES.get(resource_type)
    if check is None or not check[0](props):
        return None
    return check[1]


def validate_no_public_endpoints(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    exposure = public_exposure(args.resource_type, args.props)
    if exposure is not None:
        report_violation(f"{describe(args)} has {exposure}.", None)


hipaa_no_public_endpoints = ResourceValidationPolicy(
    name="hipaa-164-312-a-1-no-public-endpoints",
    description="Orthanc, the database subnet, the OKE API endpoint, load balancers (including those OKE creates "
    "for Kubernetes Services) and the bastion are not reachable from the internet.",
    validate=validate_no_public_endpoints,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=HIPAA.control(
        "164.312(a)(1)",
        "Access control: allow access only to those persons or software programs that have been granted access rights.",
    ),
    remediation_steps="Keep every subnet private, load balancers private (reach them over FastConnect/IPSec) "
    "and admin access through the OCI Bastion service with a CIDR allow-list.",
    tags=["network", "phi"],
)

ORTHANC_CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
USER = "oci:Identity/user:User"
USER_CAPABILITIES = "oci:Identity/userCapabilitiesManagement:UserCapabilitiesManagement"
# Orthanc's switches that let an unregistered DICOM peer (any AET, any host) run a command.
DICOM_ALWAYS_ALLOW = (
    "DicomAlwaysAllowEcho", "DicomAlwaysAllowFind", "DicomAlwaysAllowFindWorklist", "DicomAlwaysAllowGet",
    "DicomAlwaysAllowMove", "DicomAlwaysAllowStore",
)  # fmt: skip
# Sign-in kinds a machine identity never needs: console password, auth tokens (Swift, OCIR), SMTP.
HUMAN_CREDENTIALS = ("canUseConsolePassword", "canUseAuthTokens", "canUseSmtpCredentials")


def _json_object(text: Any) -> Mapping[str, Any] | None:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, Mapping) else None


def orthanc_configs(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(file name, Orthanc configuration) of every Orthanc JSON file a ConfigMap or a container instance's
    CONFIGFILE volume (base64 `data`) carries; an Orthanc file is a JSON object with `AuthenticationEnabled`
    or `RegisteredUsers`, which every configuration this stack renders sets."""
    files: list[tuple[str, Any]] = []
    if resource_type == ORTHANC_CONFIG_MAP:
        data = props.get("data") or {}
        files = [(str(name), text) for name, text in data.items()] if isinstance(data, Mapping) else []
    elif resource_type == CONTAINER_INSTANCE:
        for volume in as_list(props.get("volumes")):
            for config in as_list(lookup(volume, "configs")):
                try:
                    text = base64.b64decode(str(config.get("data", "")), validate=True).decode()
                except (binascii.Error, UnicodeDecodeError):
                    continue
                files.append((str(config.get("fileName")), text))
    for name, text in files:
        config = _json_object(text)
        if config is not None and ("AuthenticationEnabled" in config or "RegisteredUsers" in config):
            yield name, config


def validate_orthanc_authentication(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for name, config in orthanc_configs(args.resource_type, args.props):
        if config.get("AuthenticationEnabled") is not True:
            report_violation(
                f"{describe(args)} configures Orthanc ({name}) without HTTP authentication. Fix: set "
                "AuthenticationEnabled true with RegisteredUsers whose passwords come from Vault.",
                None,
            )
        for key in DICOM_ALWAYS_ALLOW:
            if config.get(key) is True:
                report_violation(
                    f"{describe(args)} lets any DICOM peer use {key.removeprefix('DicomAlwaysAllow')} ({name}: "
                    f"{key} true). Fix: set {key} false and register the modalities in DicomModalities.",
                    None,
                )


def validate_machine_identities(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    capabilities = resources_of(args, USER_CAPABILITIES)
    for user in resources_of(args, USER):
        linked_capabilities = [c for c in capabilities if linked(c, user)]
        if not linked_capabilities:
            report_violation(
                f"{describe(user)} keeps OCI's default capabilities (console password, API keys, auth tokens, "
                "SMTP and customer secret keys). Fix: add oci.identity.UserCapabilitiesManagement(user_id=user.id) "
                "enabling only the credential its job needs.",
                user.urn,
            )
        for capability in linked_capabilities:
            allowed = [key for key in HUMAN_CREDENTIALS if as_bool(capability.props.get(key)) is not False]
            if allowed:
                report_violation(
                    f"{describe(capability)} lets the machine user sign in with {', '.join(allowed)}. Fix: set "
                    f"{', '.join(f'{key}=False' for key in allowed)}.",
                    capability.urn,
                )


PERSON_OR_ENTITY_AUTHENTICATION = HIPAA.control(
    "164.312(d)",
    "Person or entity authentication: verify that a person or entity seeking access to electronic protected "
    "health information is the one claimed.",
)

hipaa_orthanc_authentication = ResourceValidationPolicy(
    name="hipaa-164-312-d-orthanc-authentication",
    description="Orthanc authenticates HTTP users and accepts DICOM only from registered modalities.",
    validate=validate_orthanc_authentication,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=PERSON_OR_ENTITY_AUTHENTICATION,
    remediation_steps="Keep AuthenticationEnabled true (components/orthanc/orthanc_config.py) and every "
    "DicomAlwaysAllow* false; register each modality (AET, host, port) in the stack config.",
    tags=["identity", "phi"],
)

hipaa_machine_identities = StackValidationPolicy(
    name="hipaa-164-312-d-machine-identities",
    description="Every IAM user the stack creates has its capabilities managed: no console password, auth token "
    "or SMTP credential.",
    validate=validate_machine_identities,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=PERSON_OR_ENTITY_AUTHENTICATION,
    remediation_steps="Manage each service user's capabilities with oci.identity.UserCapabilitiesManagement, "
    "enabling only the credential kind it uses (customer secret keys for S3, API keys for device sync).",
    tags=["identity"],
)

POLICIES: list[Policy] = [
    hipaa_no_public_endpoints,
    hipaa_encryption_at_rest,
    hipaa_audit_retention,
    hipaa_audit_and_access_logs,
    hipaa_image_integrity,
    hipaa_tls_listeners,
    hipaa_dicom_tls,
    hipaa_database_backups,
    hipaa_orthanc_authentication,
    hipaa_machine_identities,
]
