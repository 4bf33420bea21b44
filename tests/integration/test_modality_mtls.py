"""Modalities authenticate by client certificate (mutual TLS) before Orthanc sees their AE title.

The load balancer's DICOM listener cannot run here, so a local stand-in terminates TLS exactly as the stack's
listener is configured — the same `listener_tls(...)` data the load balancer component turns into its
`sslConfiguration` (protocols, ciphers, verify peer, verify depth) — and forwards the plain DIMSE stream to a
real Orthanc started from the rendered configuration. Certificates come from `openssl` (a hospital modality CA,
a foreign CA, a server certificate for the listener).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid
from pynetdicom import AE

from bench.dicom_factory import ct_instance, make_study
from bench.local_stack import OrthancServer
from components.security.tls_policy import ListenerTls, listener_tls
from tests.integration.conftest import MODALITY_AET, ORTHANC_AET

pytestmark = pytest.mark.integration

SUCCESS = 0x0000
TLS_VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _certificate(directory: Path, name: str, subject: str, issuer: str | None, *, client: bool = False) -> None:
    """`name.key` + `name.pem`, signed by `issuer` (self-signed when None); EC P-256 keys."""
    key, pem = directory / f"{name}.key", directory / f"{name}.pem"
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key))
    if issuer is None:
        _openssl("req", "-x509", "-new", "-key", str(key), "-subj", subject, "-days", "2", "-out", str(pem),
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")  # fmt: skip
        return
    csr, extensions = directory / f"{name}.csr", directory / f"{name}.ext"
    usage = "clientAuth" if client else "serverAuth"
    extensions.write_text(f"extendedKeyUsage={usage}\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("req", "-new", "-key", str(key), "-subj", subject, "-out", str(csr))
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(directory / f"{issuer}.pem"),
             "-CAkey", str(directory / f"{issuer}.key"), "-CAcreateserial", "-days", "2",
             "-extfile", str(extensions), "-out", str(pem))  # fmt: skip


@dataclass(frozen=True)
class Pki:
    directory: Path

    def pair(self, name: str) -> tuple[str, str]:
        return str(self.directory / f"{name}.pem"), str(self.directory / f"{name}.key")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    _certificate(directory, "modality-ca", "/CN=Hospital modality CA", None)
    _certificate(directory, "foreign-ca", "/CN=Someone else's CA", None)
    _certificate(directory, "listener", "/CN=localhost", "modality-ca")
    _certificate(directory, "ct-scanner", f"/CN={MODALITY_AET}", "modality-ca", client=True)
    _certificate(directory, "impostor", f"/CN={MODALITY_AET}", "foreign-ca", client=True)
    return Pki(directory)


class ListenerStandIn:
    """A TLS-terminating TCP proxy configured from the stack's `ListenerTls`, in front of Orthanc's DICOM port."""

    def __init__(self, tls: ListenerTls, pki: Pki, backend_port: int) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = TLS_VERSIONS[tls.protocols[0]]
        self.context.maximum_version = TLS_VERSIONS[tls.protocols[-1]]
        self.context.set_ciphers(":".join(c for c in tls.ciphers if not c.startswith("TLS_")))
        self.context.load_cert_chain(*pki.pair("listener"))
        if tls.verify_peer_certificate:
            self.context.verify_mode = ssl.CERT_REQUIRED
            self.context.load_verify_locations(pki.pair("modality-ca")[0])
        self.backend_port = backend_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            tls_client = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()  # refused before a single DIMSE byte reaches Orthanc
            return
        backend = socket.create_connection(("127.0.0.1", self.backend_port))
        threading.Thread(target=_pump, args=(backend, tls_client), daemon=True).start()
        _pump(tls_client, backend)

    def close(self) -> None:
        self.server.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def listener(primary: OrthancServer, pki: Pki) -> Iterator[ListenerStandIn]:
    stand_in = ListenerStandIn(listener_tls("TLSv1.2", verify_client=True), pki, primary.dicom_port)
    yield stand_in
    stand_in.close()


def _c_store_over_tls(port: int, pki: Pki, client_pair: tuple[str, str] | None) -> int | None:
    """C-STORE a new CT slice as the allowed modality over TLS; the status, or None when refused."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki.pair("modality-ca")[0])
    if client_pair is not None:
        context.load_cert_chain(*client_pair)
    ae = AE(ae_title=MODALITY_AET)
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    assoc = ae.associate("127.0.0.1", port, ae_title=ORTHANC_AET, tls_args=(context, "localhost"))
    if not assoc.is_established:
        return None
    try:
        ds = ct_instance(make_study(990), generate_uid(), 1, 1, rows=32, columns=32)
        status = assoc.send_c_store(ds)
        return int(status.Status) if "Status" in status else None
    finally:
        assoc.release()


def test_the_stacks_dicom_listener_verifies_client_certificates() -> None:
    tls = listener_tls("TLSv1.2", verify_client=True)
    assert tls.verify_peer_certificate and tls.verify_depth >= 2


def test_a_modality_with_a_hospital_certificate_stores(listener: ListenerStandIn, pki: Pki) -> None:
    assert _c_store_over_tls(listener.port, pki, pki.pair("ct-scanner")) == SUCCESS


def test_a_modality_without_a_certificate_is_refused(listener: ListenerStandIn, pki: Pki) -> None:
    assert _c_store_over_tls(listener.port, pki, None) is None


def test_a_certificate_from_a_foreign_ca_is_refused_even_with_an_allowed_ae_title(
    listener: ListenerStandIn, pki: Pki
) -> None:
    assert _c_store_over_tls(listener.port, pki, pki.pair("impostor")) is None


def test_without_verification_the_same_impostor_would_get_in(primary: OrthancServer, pki: Pki) -> None:
    """Control: the refusal above is the certificate check's doing, not a broken proxy or a wrong AE title."""
    open_listener = ListenerStandIn(listener_tls("TLSv1.2", verify_client=False), pki, primary.dicom_port)
    try:
        assert _c_store_over_tls(open_listener.port, pki, pki.pair("impostor")) == SUCCESS
    finally:
        open_listener.close()
