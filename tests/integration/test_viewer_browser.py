"""The viewer and CORS in a real browser (Debian's chromium driven by Playwright) against real Orthanc.

Debian's Orthanc has the built-in explorer (/app/explorer.html) and the orthanc-webviewer plugin, not OE2/Stone
(their rendered settings are unit-tested in tests/test_viewer_config.py). Every request goes through a local
stand-in for the load balancer's HTTPS listener: it terminates TLS and applies the rule-set items
`cors_rule_items` computes from a validated stack config, the same items the stack deploys as an
`oci.loadbalancer.RuleSet`. The browser user is `viewer`, whose role is reader (the viewers' role).
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pydicom
import pytest
from playwright.sync_api import Browser, Page, Response, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bench.local_stack import OrthancServer
from components.orthanc.cors_rules import RuleItem, cors_rule_items
from components.orthanc.orthanc_config import user_password_env_var
from tests.support import PROJECT_DIR, stack_config

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright never downloads a browser here
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READER = "viewer"  # conftest.USER_ROLES: the reader role
ARTIFACTS = PROJECT_DIR / "out" / "test-artifacts"
# The headers a proxy must not copy from one hop to the next (RFC 9110 section 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def _tls_server_context(work_dir: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 (the browser ignores its issuer)."""
    cert, key = work_dir / "server.crt", work_dir / "server.key"
    if not cert.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


class _Site(ThreadingHTTPServer):
    """A web app's origin on this machine (https://127.0.0.1:<port>): serves one empty page.

    Served locally rather than faked by the browser: Chromium's Local Network Access refuses a page of unknown
    address space calling a loopback address, and in the hospital both sit in the private address space.
    """

    daemon_threads = True

    def __init__(self, work_dir: Path) -> None:
        super().__init__(("127.0.0.1", 0), _PageHandler)
        self.socket = _tls_server_context(work_dir).wrap_socket(self.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server_address[1]}"


class _PageHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<!doctype html><title>portal</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FrontDoor(ThreadingHTTPServer):
    """The load balancer's HTTPS listener in miniature: TLS, then the rule-set items, then one backend."""

    daemon_threads = True

    def __init__(self, backend_port: int, items: tuple[RuleItem, ...], work_dir: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.backend_port = backend_port
        self.added_headers = [(str(i.header), str(i.value)) for i in items if i.action == "ADD_HTTP_RESPONSE_HEADER"]
        method_rules = [i for i in items if i.action == "CONTROL_ACCESS_USING_HTTP_METHODS"]
        self.method_rule = method_rules[0] if method_rules else None
        self.seen: list[tuple[str, str, str | None, int]] = []
        """(method, path, Origin header, status answered) of every request."""
        self.socket = _tls_server_context(work_dir).wrap_socket(self.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FrontDoor
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.server.seen.append((self.command, self.path, self.headers.get("Origin"), status))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        for added in self.server.added_headers:  # ADD_HTTP_RESPONSE_HEADER: every response
            self.send_header(*added)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        rule = self.server.method_rule
        if rule is not None and self.command not in rule.allowed_methods:
            # CONTROL_ACCESS_USING_HTTP_METHODS: answered here, never forwarded.
            self._answer(int(str(rule.status_code)), [], b"")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        backend = http.client.HTTPConnection("127.0.0.1", self.server.backend_port, timeout=120)
        try:
            forwarded = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
            backend.request(self.command, self.path, body=body, headers=forwarded)
            response = backend.getresponse()
            payload = response.read()
            headers = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length"}]
            self._answer(response.status, headers, payload)
        finally:
            backend.close()

    # Every method reaches the rules, as at the listener.
    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = do_PATCH = _handle  # noqa: N815


@dataclass
class Sites:
    """The web app allowed by `orthanc.corsAllowedOrigins`, and another one that is not."""

    allowed: _Site
    other: _Site


def _serve(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    work_dir = tmp_path_factory.mktemp("sites")
    both = Sites(_Site(work_dir), _Site(work_dir))
    threads = [_serve(both.allowed), _serve(both.other)]
    yield both
    for server, thread in zip((both.allowed, both.other), threads, strict=True):
        server.shutdown()
        thread.join()


@pytest.fixture(scope="module")
def front_door(primary: OrthancServer, sites: Sites, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontDoor]:
    # The items come from a validated stack config, exactly as the stack derives the RuleSet it deploys.
    config = stack_config(orthanc={"corsAllowedOrigins": [sites.allowed.url]})
    server = FrontDoor(
        primary.http_port, cors_rule_items(tuple(config.orthanc.cors_allowed_origins)), tmp_path_factory.mktemp("lb")
    )
    thread = _serve(server)
    yield server
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _reader_password(server: OrthancServer) -> str:
    return server.secret_values[user_password_env_var(READER)]


def _nonblank_pixels(page: Page) -> int:
    """Pixels of the page's largest canvas that are not pure black (the viewer's background)."""
    return int(
        page.evaluate(
            """() => {
                const canvases = Array.from(document.querySelectorAll("canvas"));
                if (!canvases.length) return 0;
                const c = canvases.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
                const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 0; i < d.length; i += 4) if (d[i] || d[i + 1] || d[i + 2]) n++;
                return n;
            }"""
        )
    )


@pytest.mark.parametrize("path", ["/app/explorer.html", "/web-viewer/app/viewer.html", "/dicom-web/studies"])
def test_without_credentials_the_viewer_is_refused(browser: Browser, front_door: FrontDoor, path: str) -> None:
    context = browser.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()
        answers: list[Response] = []
        # A lambda, not answers.append: Playwright cannot wrap a builtin method as a handler.
        page.on("response", lambda answer: answers.append(answer))  # noqa: PLW0108
        # Headless Chromium cannot prompt for the Basic credentials, so the navigation fails on the challenge.
        with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
            page.goto(front_door.url + path)
        assert [(answer.url, answer.status) for answer in answers] == [(front_door.url + path, 401)]
        assert answers[0].headers["www-authenticate"].startswith("Basic")
    finally:
        context.close()


def test_a_stowed_study_is_listed_opened_and_drawn_by_the_viewer(
    browser: Browser,
    front_door: FrontDoor,
    primary: OrthancServer,
    studies: list[list[pydicom.Dataset]],
    stow_responses: list[pydicom.Dataset],
) -> None:
    first = studies[0][0]
    context = browser.new_context(
        ignore_https_errors=True,
        http_credentials={"username": READER, "password": _reader_password(primary)},
        viewport={"width": 1280, "height": 800},
    )
    try:
        page = context.new_page()
        page.goto(front_door.url + "/app/explorer.html#find-patients")
        page.locator("#all-patients li a", has_text=str(first.PatientName)).click()
        page.locator("#list-studies li a", has_text=str(first.StudyDescription)).click()
        page.locator("#list-series li a", has_text=str(first.SeriesDescription)).click()
        with context.expect_page() as opened:
            page.get_by_text("Orthanc Web Viewer").first.click()
        viewer = opened.value
        viewer.wait_for_load_state()
        assert viewer.url.startswith(front_door.url + "/web-viewer/app/viewer.html?series=")
        viewer.wait_for_function(
            """() => { const c = document.querySelector("canvas"); if (!c) return false;
                       const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                       for (let i = 0; i < d.length; i += 4) if (d[i]) return true; return false; }""",
            timeout=60_000,
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        viewer.screenshot(path=str(ARTIFACTS / "web-viewer.png"))
        # A 512x512 slice drawn zoomed: far more than the overlay text's few thousand pixels.
        assert _nonblank_pixels(viewer) > 50_000
    finally:
        context.close()


CORS_FETCH = """async ([url, authorization]) => {
    try {
        const response = await fetch(url, {headers: {Authorization: authorization, Accept: "application/dicom+json"}});
        const studies = (await response.json()).map((study) => study["0020000D"].Value[0]);
        return {ok: response.ok, status: response.status, studies: studies};
    } catch (error) {
        return {blocked: String(error)};
    }
}"""


def _fetch_from(browser: Browser, origin: str, url: str, authorization: str) -> dict[str, object]:
    """Run the API call from a page of `origin` and return what the page saw."""
    context = browser.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()
        page.goto(origin + "/")
        result = page.evaluate(CORS_FETCH, [url, authorization])
        assert isinstance(result, dict)
        return result
    finally:
        context.close()


@pytest.mark.usefixtures("stow_responses")
def test_cors_admits_the_configured_origin_and_the_browser_blocks_any_other(
    browser: Browser, front_door: FrontDoor, sites: Sites, primary: OrthancServer, studies: list[list[pydicom.Dataset]]
) -> None:
    token = base64.b64encode(f"{READER}:{_reader_password(primary)}".encode()).decode()
    url = front_door.url + "/dicom-web/studies"

    allowed = _fetch_from(browser, sites.allowed.url, url, f"Basic {token}")
    assert (allowed.get("ok"), allowed.get("status")) == (True, 200), json.dumps(allowed)
    stowed = {str(study[0].StudyInstanceUID) for study in studies}
    assert isinstance(allowed["studies"], list) and stowed <= set(allowed["studies"])

    refused = _fetch_from(browser, sites.other.url, url, f"Basic {token}")
    assert "blocked" in refused and "Failed to fetch" in str(refused["blocked"])

    # Both pages sent a preflight (Authorization is not a simple header); the listener answered both itself
    # with 204; only the configured origin's request followed, and Orthanc served it.
    preflights = [(origin, status) for method, _, origin, status in front_door.seen if method == "OPTIONS"]
    assert (sites.allowed.url, 204) in preflights and (sites.other.url, 204) in preflights
    requests_sent = [(origin, status) for method, path, origin, status in front_door.seen if method == "GET"]
    assert (sites.allowed.url, 200) in requests_sent
    assert all(origin != sites.other.url for origin, _ in requests_sent)
