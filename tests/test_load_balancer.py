"""The private load balancer: TLS policy table (pure) and the resources the component registers under mocks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pulumi
import pytest

from components.orthanc.load_balancer import (
    Backend,
    CertificateLifetimes,
    OrthancLoadBalancer,
    OrthancLoadBalancerArgs,
    certificate_lifetimes,
    iso_days,
    not_after,
)
from components.scope import TierSubnet
from components.security.tls_policy import (
    TLS12_CIPHERS,
    TLS13_CIPHERS,
    TlsVersion,
    cipher_suite,
    cipher_suite_name,
    tls_protocols,
)
from offline.provider_outputs import created_state
from offline.records import ResourceRecord
from tests.support import SCOPE, Recorded, record, spy_registrations

REGION = "eu-frankfurt-1"
COMPARTMENT = "ocid1.compartment.oc1.eu-frankfurt-1.aaaaaaaaappcompartment0000000000000000000000000000000000"
LB_SUBNET = "ocid1.subnet.oc1.eu-frankfurt-1.aaaaaaaalbsubnet00000000000000000000000000000000000000000"
LB_NSG = "ocid1.networksecuritygroup.oc1.eu-frankfurt-1.aaaaaaaalbnsg000000000000000000000000000000000000000"
LB_TIER = TierSubnet(LB_SUBNET, LB_NSG)
LOG_GROUP = "ocid1.loggroup.oc1.eu-frankfurt-1.aaaaaaaaloggroup00000000000000000000000000000000000000000"
CERTIFICATE = "ocid1.certificate.oc1.eu-frankfurt-1.aaaaaaaahospitalcertificate000000000000000000000000000000"
VAULT_ENDPOINT = "https://abc123-management.kms.eu-frankfurt-1.oraclecloud.com"
BACKEND_IPS = ("10.20.1.10", "10.20.1.11")

LOAD_BALANCER = "oci:LoadBalancer/loadBalancer:LoadBalancer"
LISTENER = "oci:LoadBalancer/listener:Listener"
BACKEND_SET = "oci:LoadBalancer/backendSet:BackendSet"
BACKEND = "oci:LoadBalancer/backend:Backend"
CIPHER_SUITE = "oci:LoadBalancer/sslCipherSuite:SslCipherSuite"
NLB = "oci:NetworkLoadBalancer/networkLoadBalancer:NetworkLoadBalancer"
NLB_LISTENER = "oci:NetworkLoadBalancer/listener:Listener"
NLB_BACKEND_SET = "oci:NetworkLoadBalancer/backendSet:BackendSet"
NLB_BACKEND = "oci:NetworkLoadBalancer/backend:Backend"
LOG = "oci:Logging/log:Log"
KEY = "oci:Kms/key:Key"
CA = "oci:CertificatesManagement/certificateAuthority:CertificateAuthority"
CERT = "oci:CertificatesManagement/certificate:Certificate"


MODALITY_CA_BUNDLE = "ocid1.cabundle.oc1.eu-frankfurt-1.aaaaaaaamodalitycabundle0000000000000000000000000000"


def engine_id(resource: ResourceRecord) -> str:
    return created_state(resource.type, resource.name, resource.inputs, REGION)[0]


def planned(
    tls_min_version: TlsVersion = "TLSv1.2",
    dicom_tls: bool = False,
    certificate_id: str | None = CERTIFICATE,
    internet_facing: bool = False,
    modality_ca_bundle_id: str | None = MODALITY_CA_BUNDLE,
) -> Recorded:
    def program() -> None:
        lb = OrthancLoadBalancer(
            "edge",
            OrthancLoadBalancerArgs(
                scope=SCOPE,
                compartment_id=COMPARTMENT,
                subnet=LB_TIER,
                backends=[Backend(ip_address=ip, http_port=8042, dicom_port=4242) for ip in BACKEND_IPS],
                tls_min_version=tls_min_version,
                dicom_tls=dicom_tls,
                log_group_id=LOG_GROUP,
                certificate_id=certificate_id,
                vault_management_endpoint=VAULT_ENDPOINT,
                internet_facing=internet_facing,
                modality_ca_bundle_id=modality_ca_bundle_id,
            ),
        )
        pulumi.export("dicom_host", lb.dicom_host)
        pulumi.export("ip_address", lb.ip_address)
        pulumi.export("dicom_port", lb.dicom_port)

    return record(program)


# --- pure TLS table ----------------------------------------------------------------------------------------


def test_tls12_floor_accepts_12_and_13_with_forward_secret_aead_ciphers_only() -> None:
    assert tls_protocols("TLSv1.2") == ["TLSv1.2", "TLSv1.3"]
    ciphers = cipher_suite("TLSv1.2")
    assert set(ciphers) == set(TLS12_CIPHERS) | set(TLS13_CIPHERS)
    for cipher in TLS12_CIPHERS:
        assert cipher.startswith("ECDHE-") and "GCM" in cipher, cipher
    assert not any("CBC" in c or c.endswith("-SHA") or c.startswith(("AES", "DHE-", "DES")) for c in ciphers)


def test_tls13_floor_drops_every_tls12_cipher() -> None:
    assert tls_protocols("TLSv1.3") == ["TLSv1.3"]
    assert cipher_suite("TLSv1.3") == list(TLS13_CIPHERS)
    assert cipher_suite_name("TLSv1.3") != cipher_suite_name("TLSv1.2")


@pytest.mark.parametrize("version", ["TLSv1.1", "TLSv1", "SSLv3"])
def test_tls_below_12_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match=rf"min_version='{version}'.*TLS below 1.2 is refused"):
        tls_protocols(version)  # type: ignore[arg-type]


# --- resources ---------------------------------------------------------------------------------------------


def test_load_balancer_is_private_flexible_in_the_lb_subnet_and_nsg() -> None:
    (lb,) = planned().of_type(LOAD_BALANCER)
    assert lb.inputs["isPrivate"] is True
    assert lb.inputs["shape"] == "flexible"
    assert lb.inputs["shapeDetails"] == {"minimumBandwidthInMbps": 10, "maximumBandwidthInMbps": 100}
    assert lb.inputs["subnetIds"] == [LB_SUBNET]
    assert lb.inputs["networkSecurityGroupIds"] == [LB_NSG]
    assert "reservedIps" not in lb.inputs


def test_https_listener_is_http_with_tls12_plus_and_a_strong_custom_suite() -> None:
    plan = planned()
    (suite,) = plan.of_type(CIPHER_SUITE)
    (https,) = [listener for listener in plan.of_type(LISTENER) if listener.inputs["name"] == "https"]
    assert (https.inputs["protocol"], https.inputs["port"]) == ("HTTP", 443)
    ssl = https.inputs["sslConfiguration"]
    assert ssl["protocols"] == ["TLSv1.2", "TLSv1.3"]
    assert ssl["cipherSuiteName"] == suite.inputs["name"]
    assert suite.inputs["ciphers"] == cipher_suite("TLSv1.2")
    assert ssl["certificateIds"] == [CERTIFICATE]
    assert ssl["serverOrderPreference"] == "ENABLED"


def test_tls13_config_reaches_the_listener() -> None:
    plan = planned(tls_min_version="TLSv1.3")
    (https,) = plan.of_type(LISTENER)
    assert https.inputs["sslConfiguration"]["protocols"] == ["TLSv1.3"]
    assert plan.of_type(CIPHER_SUITE)[0].inputs["ciphers"] == list(TLS13_CIPHERS)


def test_http_backend_set_checks_orthanc_expecting_401_and_has_no_session_persistence() -> None:
    plan = planned()
    (backend_set,) = plan.of_type(BACKEND_SET)
    checker = backend_set.inputs["healthChecker"]
    assert (checker["protocol"], checker["urlPath"], checker["returnCode"]) == ("HTTP", "/system", 401)
    assert checker["retries"] == 3 and checker["intervalMs"] == 10_000
    assert "sessionPersistenceConfiguration" not in backend_set.inputs
    assert "lbCookieSessionPersistenceConfiguration" not in backend_set.inputs
    backends = plan.of_type(BACKEND)
    assert sorted((b.inputs["ipAddress"], b.inputs["port"]) for b in backends) == [(ip, 8042) for ip in BACKEND_IPS]
    assert {b.inputs["backendsetName"] for b in backends} == {backend_set.inputs["name"]}


def test_plain_dicom_goes_through_a_private_nlb_with_a_tcp_health_check() -> None:
    plan = planned(dicom_tls=False)
    (nlb,) = plan.of_type(NLB)
    assert nlb.inputs["isPrivate"] is True
    assert nlb.inputs["subnetId"] == LB_SUBNET and nlb.inputs["networkSecurityGroupIds"] == [LB_NSG]
    (listener,) = plan.of_type(NLB_LISTENER)
    assert (listener.inputs["protocol"], listener.inputs["port"]) == ("TCP", 4242)
    (backend_set,) = plan.of_type(NLB_BACKEND_SET)
    assert backend_set.inputs["healthChecker"]["protocol"] == "TCP"
    assert sorted(b.inputs["ipAddress"] for b in plan.of_type(NLB_BACKEND)) == list(BACKEND_IPS)
    assert {b.inputs["port"] for b in plan.of_type(NLB_BACKEND)} == {4242}
    assert [listener.inputs["name"] for listener in plan.of_type(LISTENER)] == ["https"]
    nlb_address = created_state(nlb.type, nlb.name, nlb.inputs, REGION)[1]["ipAddresses"][0]["ipAddress"]
    assert plan.outputs["dicom_host"] == nlb_address


def test_dicom_tls_terminates_on_the_lb_tcp_listener_and_drops_the_clear_text_nlb() -> None:
    plan = planned(dicom_tls=True)
    assert plan.of_type(NLB) == []
    (dicom,) = [listener for listener in plan.of_type(LISTENER) if listener.inputs["name"] == "dicom-tls"]
    assert (dicom.inputs["protocol"], dicom.inputs["port"]) == ("TCP", 4242)
    assert dicom.inputs["sslConfiguration"]["protocols"] == ["TLSv1.2", "TLSv1.3"]
    dicom_set = next(s for s in plan.of_type(BACKEND_SET) if s.inputs["name"] == dicom.inputs["defaultBackendSetName"])
    assert dicom_set.inputs["healthChecker"]["protocol"] == "TCP"
    assert plan.outputs["dicom_host"] == plan.outputs["ip_address"]
    assert plan.outputs["dicom_port"] == 4242


def test_the_dicom_listener_requires_modality_certificates_and_https_does_not() -> None:
    """Mutual TLS on 4242 (issue 19, HIPAA 164.312(d)): SSLConfiguration verifyPeerCertificate with the modality CA
    bundle in trustedCertificateAuthorityIds (OCI Load Balancer API, SSLConfigurationDetails). Users on 443
    authenticate to Orthanc instead, so that listener asks for no client certificate."""
    listeners = {
        listener.inputs["name"]: listener.inputs["sslConfiguration"]
        for listener in planned(dicom_tls=True).of_type(LISTENER)
    }
    assert listeners["dicom-tls"]["verifyPeerCertificate"] is True
    assert listeners["dicom-tls"]["verifyDepth"] == 3
    assert listeners["dicom-tls"]["trustedCertificateAuthorityIds"] == [MODALITY_CA_BUNDLE]
    assert listeners["https"]["verifyPeerCertificate"] is False
    assert "trustedCertificateAuthorityIds" not in listeners["https"]


def test_dicom_tls_without_a_modality_ca_is_refused() -> None:
    with pytest.raises(Exception, match="DICOM TLS needs modality_ca_bundle_id"):
        planned(dicom_tls=True, modality_ca_bundle_id=None)


def test_access_and_error_logs_go_to_the_log_group() -> None:
    plan = planned()
    (lb,) = plan.of_type(LOAD_BALANCER)
    logs = plan.of_type(LOG)
    assert sorted(log.inputs["configuration"]["source"]["category"] for log in logs) == ["access", "error"]
    for log in logs:
        source = log.inputs["configuration"]["source"]
        assert (source["service"], source["sourceType"], source["resource"]) == (
            "loadbalancer",
            "OCISERVICE",
            engine_id(lb),
        )
        assert log.inputs["logGroupId"] == LOG_GROUP and log.inputs["isEnabled"] is True


def test_without_a_certificate_a_private_ca_in_the_vault_issues_one() -> None:
    plan = planned(certificate_id=None)
    (key,) = plan.of_type(KEY)
    assert key.inputs["keyShape"]["algorithm"] == "RSA" and key.inputs["protectionMode"] == "HSM"
    assert key.inputs["managementEndpoint"] == VAULT_ENDPOINT
    (authority,) = plan.of_type(CA)
    assert authority.inputs["kmsKeyId"] == engine_id(key)
    assert authority.inputs["certificateAuthorityConfig"]["configType"] == "ROOT_CA_GENERATED_INTERNALLY"
    (certificate,) = plan.of_type(CERT)
    config = certificate.inputs["certificateConfig"]
    assert config["configType"] == "ISSUED_BY_INTERNAL_CA"
    assert config["issuerCertificateAuthorityId"] == engine_id(authority)
    assert {"type": "IP", "value": plan.outputs["ip_address"]} in config["subjectAlternativeNames"]
    (https,) = plan.of_type(LISTENER)
    assert https.inputs["sslConfiguration"]["certificateIds"] == [engine_id(certificate)]
    for stateful in (key, authority):
        assert stateful.protect and stateful.retain_on_delete, stateful.urn


def test_ca_and_certificate_names_carry_the_stack_prefix() -> None:
    """CA names are unique in a tenancy, CAs pending deletion included (OCI Certificates, "Deleting a Certificate
    Authority": https://docs.oracle.com/en-us/iaas/Content/certificates/deleting-certificate-authority.htm), so
    the dev and prod stacks of one tenancy must not both call theirs after the component."""
    plan = planned(certificate_id=None)  # project dicomstore, stack test
    (authority,) = plan.of_type(CA)
    (certificate,) = plan.of_type(CERT)
    (key,) = plan.of_type(KEY)
    assert authority.inputs["name"] == "dicomstore-test-lb-ca"
    assert certificate.inputs["name"] == "dicomstore-test-lb-https"
    assert key.inputs["displayName"] == "dicomstore-test-lb-ca-key"


def test_shipped_stacks_name_their_cas_apart(dev_plan: Recorded, prod_plan: Recorded) -> None:
    names = {
        stack: {r.inputs["name"] for r in plan.of_type(CA) + plan.of_type(CERT)}
        for stack, plan in (("dev", dev_plan), ("prod", prod_plan))
    }
    assert names["dev"] and names["prod"]
    assert names["dev"].isdisjoint(names["prod"])
    assert all(name.startswith(f"dicomstore-{stack}-") for stack, found in names.items() for name in found)


def test_certificate_validity_is_inside_the_ca_rule_and_renewed_before_it_ends() -> None:
    """Without `validity` OCI gives the certificate its issuing CA's validity (provider docs,
    website/docs/r/certificates_management_certificate.html.markdown), beyond the CA's leaf maximum. The end
    date is RFC 3339 (`2019-04-03T21:10:29.600Z`); rule durations are ISO-8601 (`P365D`, `P30D` in the provider's
    acceptance test certificates_management_certificate_test.go)."""
    plan = planned(certificate_id=None)
    (authority,) = plan.of_type(CA)
    (certificate,) = plan.of_type(CERT)
    (rule,) = authority.inputs["certificateAuthorityRules"]
    leaf_max = rule["leafCertificateMaxValidityDuration"]
    (renewal,) = certificate.inputs["certificateRules"]
    certificate_end = certificate.inputs["certificateConfig"]["validity"]["timeOfValidityNotAfter"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00\.000Z", certificate_end)
    validity = datetime.fromisoformat(certificate_end) - datetime.now(UTC)
    assert timedelta(days=364) < validity <= timedelta(days=days(leaf_max))
    assert renewal["ruleType"] == "CERTIFICATE_RENEWAL_RULE"
    # OCI refuses an interval that does not end at least a day before expiry (editing-certificate-rules.htm);
    # the end date counts from midnight, so the certificate lives a little under its nominal 365 days.
    assert 0 < days(renewal["advanceRenewalPeriod"]) < days(renewal["renewalInterval"]) < validity.days
    assert days(leaf_max) <= days(rule["certificateAuthorityMaxValidityDuration"])
    # The root CA's own end date (its issuer is itself: nothing to inherit), beyond every certificate it issues.
    ca_end = authority.inputs["certificateAuthorityConfig"]["validity"]["timeOfValidityNotAfter"]
    assert datetime.fromisoformat(ca_end) - datetime.fromisoformat(certificate_end) >= timedelta(days=3650 - 365)


def days(duration: str) -> int:
    match = re.fullmatch(r"P(\d+)D", duration)
    assert match, duration
    return int(match[1])


def test_a_new_day_does_not_reissue_the_certificate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The end date is computed when the program runs; only the first `pulumi up` may use it (an update of
    `certificate_config` issues a new certificate version)."""
    registered = spy_registrations(monkeypatch)
    planned(certificate_id=None)
    assert registered["edge-certificate"].ignoreChanges == ["certificateConfig.validity"]
    assert registered["edge-ca"].ignoreChanges == ["certificateAuthorityConfig.validity"]


@pytest.mark.parametrize(
    ("lifetimes", "problem"),
    [
        (CertificateLifetimes(validity_days=398), "within the CA's leaf maximum 397d"),
        (CertificateLifetimes(validity_days=200, renewal_interval_days=365), "would let the 200d certificate expire"),
        (CertificateLifetimes(validity_days=365, renewal_interval_days=365), "would let the 365d certificate expire"),
        (CertificateLifetimes(advance_renewal_days=365), "shorter than the renewal interval"),
        (CertificateLifetimes(advance_renewal_days=0), "shorter than the renewal interval"),
    ],
)
def test_lifetimes_that_do_not_fit_are_refused(lifetimes: CertificateLifetimes, problem: str) -> None:
    assert any(problem in found for found in lifetimes.problems())


def test_shipped_lifetimes_fit_and_end_dates_are_rfc3339() -> None:
    lifetimes = certificate_lifetimes()
    assert lifetimes.problems() == []
    issued = datetime(2026, 3, 1, 12, 30, 15, 600_000, tzinfo=UTC)
    assert not_after(issued, 365) == "2027-03-01T12:30:15.600Z"
    assert iso_days(365) == "P365D"


def test_a_configured_certificate_creates_no_ca() -> None:
    plan = planned(certificate_id=CERTIFICATE)
    assert plan.of_type(CA) == [] and plan.of_type(KEY) == [] and plan.of_type(CERT) == []


def test_no_backends_is_refused() -> None:
    args = OrthancLoadBalancerArgs(
        scope=SCOPE, compartment_id=COMPARTMENT, subnet=LB_TIER, backends=[], tls_min_version="TLSv1.2",
        dicom_tls=False, log_group_id=LOG_GROUP, certificate_id=CERTIFICATE,
    )  # fmt: skip
    with pytest.raises(Exception, match="at least one backend"):
        record(lambda: OrthancLoadBalancer("edge", args))


def test_only_an_explicit_public_load_balancer_is_internet_facing_and_dicom_stays_private() -> None:
    public = planned(internet_facing=True)
    assert public.named("edge-lb").inputs["isPrivate"] is False
    # DICOM is never served by the internet-facing load balancer: it stays on the private NLB.
    (nlb,) = public.of_type(NLB)
    assert nlb.inputs["isPrivate"] is True
    assert [listener.inputs["name"] for listener in public.of_type(LISTENER)] == ["https"]
    nlb_address = created_state(nlb.type, nlb.name, nlb.inputs, REGION)[1]["ipAddresses"][0]["ipAddress"]
    assert public.outputs["dicom_host"] == nlb_address != public.outputs["ip_address"]
    assert planned().named("edge-lb").inputs["isPrivate"] is True
