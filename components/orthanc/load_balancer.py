"""Load balancing in front of Orthanc: HTTPS (DICOMweb, REST) and DICOM (DIMSE) on port 4242.

Reusable by both runtimes: the backends are plain IP addresses and ports (container instances' VNIC addresses,
or, on OKE, the address of the cluster's internal network load balancer).

Design choices:
- A flexible-shape *private* load balancer in the lb subnet with the lb NSG: the hospital reaches it over
  FastConnect/IPSec only; there is no public IP anywhere in front of PHI. Only `network.publicLoadBalancer`
  makes it internet-facing (its subnet is then the one public subnet); the policy pack's HIPAA rule fails such
  a stack, so exposure needs a deliberate, reviewed policy exception.
- HTTPS terminates here (listener protocol HTTP with an ssl_configuration): TLS 1.2+ only with a custom
  ECDHE+AEAD cipher suite (components/security/tls_policy.py). The certificate comes from OCI Certificates: the one
  named in the config, or else one issued by a private CA of the stack, whose signing key is an RSA key in the
  stack's vault (HSM). A CA cannot sign with the AES master key, hence a dedicated asymmetric key.
- Backend health: the load balancer's health checker cannot send an Authorization header, and Orthanc answers
  every route with 401 when authentication is on (it always is). The check therefore asks `GET /system` and
  expects 401: that proves Orthanc's HTTP server is up *and* that authentication is enforced, without putting
  a password in the load balancer's definition. Health checks name no port, so each backend is checked on its
  own. Session persistence is off: replicas share the index and the bucket, so any replica serves any request.
- DICOM: plain DIMSE goes through a private network load balancer (layer 4, TCP health check on 4242); when
  DICOM TLS is configured the L7 load balancer terminates TLS on a TCP listener at 4242 instead (a network
  load balancer cannot terminate TLS), so no clear-text DICOM path exists.
- Access and error logs of the load balancer go to the stack's service log group.
- The private CA and its certificate carry the stack's prefix (`<project>-<stack>`): CA names are unique in the
  tenancy, CAs pending deletion included ("Deleting a Certificate Authority": CAs pending deletion "are subject
  to restrictions on the reuse of a certificate authority display name",
  https://docs.oracle.com/en-us/iaas/Content/certificates/deleting-certificate-authority.htm), so dev and prod
  in one tenancy need different names.
- The certificate's validity is explicit and inside the CA's issuance rule: without `validity` OCI gives a
  certificate the validity of its issuing CA (provider docs, oci_certificates_management_certificate:
  "If this is not provided when you create a certificate, the validity of the issuing CA is used"), which
  exceeds the leaf maximum the CA allows. The renewal rule renews it `ADVANCE_RENEWAL_DAYS` before it expires
  (`certificate_lifetimes` checks the durations fit together). The root CA gets its own explicit validity too.
  End dates count from the day of the first `pulumi up` and are then ignored on updates.
- CORS (only with `orthanc.corsAllowedOrigins`): a rule set on the HTTPS listener adds the CORS response headers
  and answers preflights itself; its items come from components/orthanc/cors_rules.py, which says what OCI allows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pulumi
import pulumi_oci as oci

from components.logs import LOG_RETENTION_DAYS, service_log
from components.network.ports import DICOM_PORT, HTTPS_PORT
from components.orthanc.cors_rules import cors_rule_items
from components.scope import StackScope, TierSubnet
from components.security.tls_policy import TlsVersion, cipher_suite, cipher_suite_name, listener_tls

HEALTH_CHECK_PATH = "/system"  # cheap REST route; needs auth, like every Orthanc route
HEALTH_CHECK_UNAUTHENTICATED_CODE = 401  # the checker has no credentials: 401 = up and auth enforced
HEALTH_CHECK_INTERVAL_MS = 10_000
HEALTH_CHECK_TIMEOUT_MS = 3_000
HEALTH_CHECK_RETRIES = 3
IDLE_TIMEOUT_SECONDS = "300"  # STOW-RS of a large study and WADO-RS of a CT series take minutes
# Durations in days, written as OCI wants them: ISO-8601 `P<n>D` (provider acceptance tests use P365D/P30D).
CA_VALIDITY_DAYS = 3650  # the root CA's own validity, and the longest a CA it issued could live
LEAF_CERTIFICATE_MAX_VALIDITY_DAYS = 397  # the CA's issuance rule: CA/Browser Forum ceiling for TLS servers
CERTIFICATE_VALIDITY_DAYS = 365  # the listener's certificate: inside the CA's leaf maximum
ADVANCE_RENEWAL_DAYS = 30  # renewal happens this long before expiry, so a renewed version is always in place
# OCI: the interval must end at least a day before expiry ("no more than 1 day before the expiration date",
# Content/certificates/editing-certificate-rules.htm); validity counts from midnight, so a day short of it.
RENEWAL_INTERVAL_DAYS = CERTIFICATE_VALIDITY_DAYS - ADVANCE_RENEWAL_DAYS
CA_KEY_LENGTH_BYTES = 512  # RSA 4096 for a CA that lives ten years


def iso_days(days: int) -> str:
    """An ISO-8601 duration in days, the format of OCI's certificate rules (e.g. `P365D`)."""
    return f"P{days}D"


@dataclass(frozen=True)
class CertificateLifetimes:
    """How long the CA lets certificates live, how long the listener's certificate lives, when it renews."""

    ca_validity_days: int = CA_VALIDITY_DAYS
    leaf_max_validity_days: int = LEAF_CERTIFICATE_MAX_VALIDITY_DAYS
    validity_days: int = CERTIFICATE_VALIDITY_DAYS
    renewal_interval_days: int = RENEWAL_INTERVAL_DAYS
    advance_renewal_days: int = ADVANCE_RENEWAL_DAYS

    def problems(self) -> list[str]:
        """What OCI's rules or a gap-free renewal forbid: the leaf inside the CA's issuance rule, renewal due no
        later than expiry, and the advance period shorter than the renewal interval."""
        found = []
        if not 0 < self.validity_days <= self.leaf_max_validity_days <= self.ca_validity_days:
            found.append(
                f"validity {self.validity_days}d must be within the CA's leaf maximum {self.leaf_max_validity_days}d"
                f" (itself within {self.ca_validity_days}d)"
            )
        if self.renewal_interval_days >= self.validity_days:
            found.append(
                f"renewal every {self.renewal_interval_days}d would let the {self.validity_days}d certificate expire"
            )
        if not 0 < self.advance_renewal_days < self.renewal_interval_days:
            found.append(
                f"advance renewal {self.advance_renewal_days}d must be shorter than the renewal interval "
                f"{self.renewal_interval_days}d"
            )
        return found


def not_after(issued: datetime, days: int) -> str:
    """`time_of_validity_not_after` of a certificate (or CA) issued at `issued` and valid `days`: RFC 3339 with
    milliseconds, the provider's format (e.g. `2019-04-03T21:10:29.600Z`)."""
    end = issued.astimezone(UTC) + timedelta(days=days)
    return end.strftime("%Y-%m-%dT%H:%M:%S.") + f"{end.microsecond // 1000:03d}Z"


def certificate_lifetimes() -> CertificateLifetimes:
    """The stack's lifetimes, or ValueError naming what does not fit together."""
    lifetimes = CertificateLifetimes()
    problems = lifetimes.problems()
    if problems:
        raise ValueError(f"certificate lifetimes: {'; '.join(problems)}")
    return lifetimes


@dataclass(frozen=True)
class Backend:
    """A backend of both the HTTP and the DICOM backend sets."""

    ip_address: pulumi.Input[str]
    http_port: int
    dicom_port: int


@dataclass(frozen=True)
class OrthancLoadBalancerArgs:
    scope: StackScope
    """The stack's naming: the private CA's and certificate's names, unique in the tenancy, carry its prefix."""
    compartment_id: pulumi.Input[str]
    """The app compartment: the load balancers, and the private CA, its key and the certificate."""
    subnet: TierSubnet
    """The lb tier: the load balancers' subnet and NSG."""
    backends: Sequence[Backend]
    """Where Orthanc listens (one entry per replica or node)."""
    tls_min_version: TlsVersion
    """Lowest TLS version accepted (`orthanc.tlsMinVersion`)."""
    dicom_tls: bool
    """Terminate DICOM TLS on port 4242 (`orthanc.dicomTls`)."""
    log_group_id: pulumi.Input[str]
    """Service log group (Security block) for access and error logs."""
    certificate_id: pulumi.Input[str] | None = None
    """OCI Certificates certificate (`orthanc.certificateOcid`); None: issue one from a private CA."""
    vault_management_endpoint: pulumi.Input[str] | None = None
    """Vault management endpoint, to create the private CA's key (needed when certificate_id is None)."""
    common_name: str = "dicomstore.internal"
    """Subject and DNS name of the issued certificate (the name the hospital's DNS points at the LB)."""
    dicom_port: int = DICOM_PORT
    """Port of the DICOM listener."""
    modality_ca_bundle_id: pulumi.Input[str] | None = None
    """`orthanc.modalityCaBundleOcid`: the DICOM TLS listener requires a client certificate issued by this CA
    bundle (mutual TLS), so a modality proves who it is before Orthanc sees its AE title."""
    internet_facing: bool = False
    """`network.publicLoadBalancer`: a public HTTPS load balancer (DICOM stays on the private NLB)."""
    min_bandwidth_mbps: int = 10
    max_bandwidth_mbps: int = 100
    cors_allowed_origins: Sequence[str] = ()
    """`orthanc.corsAllowedOrigins`: the web app origin the HTTPS listener's CORS rule set admits (none: no set)."""


class OrthancLoadBalancer(pulumi.ComponentResource):
    """Private L7 load balancer (HTTPS) and DICOM listener in front of Orthanc."""

    ip_address: pulumi.Output[str]
    dicom_host: pulumi.Output[str]
    dicom_port: pulumi.Output[int]
    certificate_id: pulumi.Output[str]

    def __init__(self, name: str, args: OrthancLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:load_balancer:OrthancLoadBalancer", name, None, opts)
        if not args.backends:
            raise ValueError(f"{name}: a load balancer needs at least one backend")
        child = pulumi.ResourceOptions(parent=self)

        lb = oci.loadbalancer.LoadBalancer(
            f"{name}-lb",
            compartment_id=args.compartment_id,
            display_name=f"{name}-lb",
            shape="flexible",
            shape_details={
                "minimum_bandwidth_in_mbps": args.min_bandwidth_mbps,
                "maximum_bandwidth_in_mbps": args.max_bandwidth_mbps,
            },
            is_private=not args.internet_facing,
            subnet_ids=[args.subnet.subnet_id],
            network_security_group_ids=[args.subnet.nsg_id],
            opts=child,
        )
        self.ip_address = lb.ip_address_details.apply(lambda details: str(details[0].ip_address))
        lb_child = pulumi.ResourceOptions(parent=lb)
        for category in ("access", "error"):
            service_log(
                f"{name}-{category}-log",
                display_name=f"{name}-lb-{category}",
                log_group_id=args.log_group_id,
                compartment_id=args.compartment_id,
                service="loadbalancer",
                category=category,
                resource=lb.id,
                retention_days=LOG_RETENTION_DAYS,
                opts=lb_child,
            )

        self.certificate_id = (
            pulumi.Output.from_input(args.certificate_id)
            if args.certificate_id is not None
            else self._issue_certificate(name, args, self.ip_address)
        )
        suite = oci.loadbalancer.SslCipherSuite(
            f"{name}-cipher-suite",
            load_balancer_id=lb.id,
            name=cipher_suite_name(args.tls_min_version),
            ciphers=cipher_suite(args.tls_min_version),
            opts=lb_child,
        )

        def ssl_configuration(verify_client: bool) -> oci.loadbalancer.ListenerSslConfigurationArgs:
            tls = listener_tls(args.tls_min_version, verify_client=verify_client)
            trusted = args.modality_ca_bundle_id
            return oci.loadbalancer.ListenerSslConfigurationArgs(
                certificate_ids=[self.certificate_id],
                protocols=list(tls.protocols),
                cipher_suite_name=suite.name,
                server_order_preference="ENABLED",
                verify_peer_certificate=tls.verify_peer_certificate,
                verify_depth=tls.verify_depth,
                # OCI Certificates CAs or CA bundles the listener trusts for client certificates (SSLConfiguration
                # trustedCertificateAuthorityIds, Load Balancer API reference).
                trusted_certificate_authority_ids=[trusted] if verify_client and trusted is not None else None,
            )

        cors_items = cors_rule_items(tuple(args.cors_allowed_origins))
        cors_rule_set_names = (
            [
                oci.loadbalancer.RuleSet(
                    f"{name}-cors",
                    load_balancer_id=lb.id,
                    name="cors_headers",  # unique per load balancer, immutable
                    items=[
                        oci.loadbalancer.RuleSetItemArgs(
                            action=item.action,
                            header=item.header,
                            value=item.value,
                            allowed_methods=list(item.allowed_methods) or None,
                            status_code=item.status_code,
                        )
                        for item in cors_items
                    ],
                    opts=lb_child,
                ).name
            ]
            if cors_items
            else []
        )
        self._serve(
            f"{name}-https",
            lb,
            ssl_configuration(verify_client=False),
            args.backends,
            listener=("https", HTTPS_PORT, "HTTP"),
            rule_set_names=cors_rule_set_names,
            health_checker=oci.loadbalancer.BackendSetHealthCheckerArgs(
                protocol="HTTP",
                url_path=HEALTH_CHECK_PATH,
                return_code=HEALTH_CHECK_UNAUTHENTICATED_CODE,
                interval_ms=HEALTH_CHECK_INTERVAL_MS,
                timeout_in_millis=HEALTH_CHECK_TIMEOUT_MS,
                retries=HEALTH_CHECK_RETRIES,
            ),
            backend_port=lambda backend: backend.http_port,
        )
        self.dicom_port = pulumi.Output.from_input(args.dicom_port)
        if args.dicom_tls:
            if args.modality_ca_bundle_id is None:
                raise ValueError(
                    f"{name}: DICOM TLS needs modality_ca_bundle_id (modalities authenticate by certificate)"
                )
            self._serve(
                f"{name}-dicom-tls",
                lb,
                ssl_configuration(verify_client=True),
                args.backends,
                listener=("dicom-tls", args.dicom_port, "TCP"),
                health_checker=oci.loadbalancer.BackendSetHealthCheckerArgs(
                    protocol="TCP",
                    interval_ms=HEALTH_CHECK_INTERVAL_MS,
                    timeout_in_millis=HEALTH_CHECK_TIMEOUT_MS,
                    retries=HEALTH_CHECK_RETRIES,
                ),
                backend_port=lambda backend: backend.dicom_port,
            )
            self.dicom_host = self.ip_address
        else:
            self.dicom_host = self._network_load_balancer(name, args)

        self.register_outputs(
            {
                "ip_address": self.ip_address,
                "dicom_host": self.dicom_host,
                "dicom_port": self.dicom_port,
                "certificate_id": self.certificate_id,
            }
        )

    def _serve(
        self,
        name: str,
        lb: oci.loadbalancer.LoadBalancer,
        ssl_configuration: oci.loadbalancer.ListenerSslConfigurationArgs,
        backends: Sequence[Backend],
        *,
        listener: tuple[str, int, str],
        health_checker: oci.loadbalancer.BackendSetHealthCheckerArgs,
        backend_port: Callable[[Backend], int],
        rule_set_names: Sequence[pulumi.Input[str]] = (),
    ) -> None:
        """A TLS listener (name, port, protocol) applying `rule_set_names`, its health-checked backend set and the
        backends.

        No session persistence configuration: any replica serves any request.
        """
        listener_name, port, protocol = listener
        backend_set = oci.loadbalancer.BackendSet(
            name,
            load_balancer_id=lb.id,
            name=f"orthanc-{listener_name}",
            policy="LEAST_CONNECTIONS",
            health_checker=health_checker,
            opts=pulumi.ResourceOptions(parent=lb),
        )
        for index, backend in enumerate(backends):
            oci.loadbalancer.Backend(
                f"{name}-{index}",
                load_balancer_id=lb.id,
                backendset_name=backend_set.name,
                ip_address=backend.ip_address,
                port=backend_port(backend),
                opts=pulumi.ResourceOptions(parent=backend_set),
            )
        oci.loadbalancer.Listener(
            f"{name}-listener",
            load_balancer_id=lb.id,
            name=listener_name,
            port=port,
            protocol=protocol,
            default_backend_set_name=backend_set.name,
            rule_set_names=list(rule_set_names) or None,
            ssl_configuration=ssl_configuration,
            connection_configuration=oci.loadbalancer.ListenerConnectionConfigurationArgs(
                idle_timeout_in_seconds=IDLE_TIMEOUT_SECONDS
            ),
            opts=pulumi.ResourceOptions(parent=lb),
        )

    def _issue_certificate(
        self, name: str, args: OrthancLoadBalancerArgs, ip_address: pulumi.Output[str]
    ) -> pulumi.Output[str]:
        """A private CA (key in the vault's HSM) and the listener's certificate for the common name and the
        load balancer's address, renewed automatically."""
        if args.vault_management_endpoint is None:
            raise ValueError(
                f"{name}: without certificate_id, vault_management_endpoint is needed to create the CA key"
            )
        stateful = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        lifetimes = certificate_lifetimes()
        # Validities count from the day of the first `pulumi up`; renewals take over afterwards, so a later run
        # must not re-issue because today moved (an update of the config issues a new version).
        today = _start_of_today()
        # CA (and certificate) names are unique in the tenancy: dev and prod must not share them.
        prefix = f"{args.scope.name_prefix}-lb"
        ca_key = oci.kms.Key(
            f"{name}-ca-key",
            compartment_id=args.compartment_id,
            display_name=f"{prefix}-ca-key",
            management_endpoint=args.vault_management_endpoint,
            key_shape={"algorithm": "RSA", "length": CA_KEY_LENGTH_BYTES},
            protection_mode="HSM",
            opts=stateful,
        )
        authority = oci.certificatesmanagement.CertificateAuthority(
            f"{name}-ca",
            compartment_id=args.compartment_id,
            name=f"{prefix}-ca",
            description="Private CA of the DICOM store's load balancer certificates",
            kms_key_id=ca_key.id,
            certificate_authority_config={
                "config_type": "ROOT_CA_GENERATED_INTERNALLY",
                "signing_algorithm": "SHA256_WITH_RSA",
                "subject": {"common_name": f"{args.common_name} private CA"},
                # A root CA has no issuer whose validity it could inherit: set its own.
                "validity": {"time_of_validity_not_after": not_after(today, lifetimes.ca_validity_days)},
            },
            certificate_authority_rules=[
                {
                    "rule_type": "CERTIFICATE_AUTHORITY_ISSUANCE_EXPIRY_RULE",
                    "certificate_authority_max_validity_duration": iso_days(lifetimes.ca_validity_days),
                    "leaf_certificate_max_validity_duration": iso_days(lifetimes.leaf_max_validity_days),
                }
            ],
            opts=pulumi.ResourceOptions.merge(
                stateful, pulumi.ResourceOptions(ignore_changes=["certificateAuthorityConfig.validity"])
            ),
        )
        certificate = oci.certificatesmanagement.Certificate(
            f"{name}-certificate",
            compartment_id=args.compartment_id,
            name=f"{prefix}-https",
            description="TLS server certificate of the DICOM store's private load balancer",
            certificate_config={
                "config_type": "ISSUED_BY_INTERNAL_CA",
                "issuer_certificate_authority_id": authority.id,
                "certificate_profile_type": "TLS_SERVER_OR_CLIENT",
                "key_algorithm": "RSA2048",
                "signature_algorithm": "SHA256_WITH_RSA",
                "subject": {"common_name": args.common_name},
                "subject_alternative_names": [
                    {"type": "DNS", "value": args.common_name},
                    {"type": "IP", "value": ip_address},
                ],
                "validity": {"time_of_validity_not_after": not_after(today, lifetimes.validity_days)},
            },
            certificate_rules=[
                {
                    "rule_type": "CERTIFICATE_RENEWAL_RULE",
                    "renewal_interval": iso_days(lifetimes.renewal_interval_days),
                    "advance_renewal_period": iso_days(lifetimes.advance_renewal_days),
                }
            ],
            opts=pulumi.ResourceOptions(parent=authority, ignore_changes=["certificateConfig.validity"]),
        )
        return certificate.id

    def _network_load_balancer(self, name: str, args: OrthancLoadBalancerArgs) -> pulumi.Output[str]:
        """Layer-4 pass-through of DIMSE to Orthanc's DICOM port; returns the NLB's private address."""
        nlb = oci.networkloadbalancer.NetworkLoadBalancer(
            f"{name}-nlb",
            compartment_id=args.compartment_id,
            display_name=f"{name}-dicom-nlb",
            subnet_id=args.subnet.subnet_id,
            network_security_group_ids=[args.subnet.nsg_id],
            is_private=True,
            # Orthanc matches modalities by AE title, not address (DicomCheckModalityHost: false).
            is_preserve_source_destination=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        nlb_child = pulumi.ResourceOptions(parent=nlb)
        dicom_set = oci.networkloadbalancer.BackendSet(
            f"{name}-nlb-dicom",
            network_load_balancer_id=nlb.id,
            name="orthanc-dicom",
            policy="FIVE_TUPLE",
            is_preserve_source=False,
            health_checker={
                "protocol": "TCP",
                "interval_in_millis": HEALTH_CHECK_INTERVAL_MS,
                "timeout_in_millis": HEALTH_CHECK_TIMEOUT_MS,
                "retries": HEALTH_CHECK_RETRIES,
            },
            opts=nlb_child,
        )
        for index, backend in enumerate(args.backends):
            oci.networkloadbalancer.Backend(
                f"{name}-nlb-dicom-{index}",
                network_load_balancer_id=nlb.id,
                backend_set_name=dicom_set.name,
                ip_address=backend.ip_address,
                port=backend.dicom_port,
                opts=pulumi.ResourceOptions(parent=dicom_set),
            )
        oci.networkloadbalancer.Listener(
            f"{name}-nlb-dicom-listener",
            network_load_balancer_id=nlb.id,
            name="dicom",
            port=args.dicom_port,
            protocol="TCP",
            default_backend_set_name=dicom_set.name,
            opts=nlb_child,
        )
        return nlb.ip_addresses.apply(lambda addresses: str(addresses[0].ip_address))


def _start_of_today() -> datetime:
    """Midnight UTC today: the certificate's end date moves once a day, not on every run."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
