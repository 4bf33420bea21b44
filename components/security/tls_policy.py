"""TLS policy of the load balancer's listeners: which protocols and which ciphers, as plain data.

Design choices:
- A custom cipher suite rather than a predefined one: `oci-modern-ssl-cipher-suite-v1` still offers static-RSA
  key exchange and CBC ciphers (`AES128-SHA256`, ...), which have no forward secrecy. This suite keeps only
  ECDHE key exchange with AEAD ciphers for TLS 1.2 (what Mozilla's "intermediate" profile and NIST SP 800-52r2
  accept) plus the three TLS 1.3 suites.
- The protocol list is explicit (never the load balancer's default, which may change): TLS 1.2 and 1.3, or
  TLS 1.3 only when the configuration raises the floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TlsVersion = Literal["TLSv1.2", "TLSv1.3"]

TLS_VERSIONS: tuple[TlsVersion, ...] = ("TLSv1.2", "TLSv1.3")  # oldest first

# Cipher names as the OCI Load Balancer API spells them (SSLCipherSuiteDetails.ciphers).
TLS13_CIPHERS: tuple[str, ...] = (
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
)
# Forward secrecy (ECDHE) and authenticated encryption (GCM) only; RSA and ECDSA certificates both work.
TLS12_CIPHERS: tuple[str, ...] = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
)
CIPHERS_BY_VERSION: dict[TlsVersion, tuple[str, ...]] = {"TLSv1.2": TLS12_CIPHERS, "TLSv1.3": TLS13_CIPHERS}


def _accepted(min_version: TlsVersion) -> tuple[TlsVersion, ...]:
    if min_version not in TLS_VERSIONS:
        raise ValueError(f"min_version={min_version!r}: use one of {list(TLS_VERSIONS)} (TLS below 1.2 is refused)")
    return TLS_VERSIONS[TLS_VERSIONS.index(min_version) :]


def tls_protocols(min_version: TlsVersion) -> list[str]:
    """The protocols a listener accepts: `min_version` and every newer one."""
    return list(_accepted(min_version))


def cipher_suite(min_version: TlsVersion) -> list[str]:
    """The ciphers of the listener's custom suite: those of every accepted protocol, strongest families only."""
    return [cipher for version in _accepted(min_version) for cipher in CIPHERS_BY_VERSION[version]]


def cipher_suite_name(min_version: TlsVersion) -> str:
    """A load-balancer-unique suite name that says what it allows (suites cannot be renamed in place)."""
    return "dicomstore-" + "-".join(version.lower().replace(".", "") for version in tls_protocols(min_version))


MODALITY_CERTIFICATE_VERIFY_DEPTH = 3  # modality certificate, an issuing CA, the hospital's root


@dataclass(frozen=True)
class ListenerTls:
    """What a TLS listener of the load balancer enforces; the local stand-in in the tests is built from it too."""

    protocols: tuple[str, ...]
    ciphers: tuple[str, ...]
    verify_peer_certificate: bool
    """Mutual TLS: refuse a client without a certificate issued by a trusted CA (modalities on DICOM TLS)."""
    verify_depth: int


def listener_tls(min_version: TlsVersion, *, verify_client: bool) -> ListenerTls:
    """The HTTPS listener (`verify_client=False`: users authenticate to Orthanc) or the DICOM listener
    (`verify_client=True`: modalities prove their identity with a client certificate)."""
    return ListenerTls(
        protocols=tuple(tls_protocols(min_version)),
        ciphers=tuple(cipher_suite(min_version)),
        verify_peer_certificate=verify_client,
        verify_depth=MODALITY_CERTIFICATE_VERIFY_DEPTH if verify_client else 1,
    )
