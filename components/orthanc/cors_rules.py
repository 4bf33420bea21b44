"""CORS for browser apps on another origin, applied by the load balancer's HTTPS listener (Orthanc does no CORS).

Pure data: `cors_rule_items` turns `orthanc.corsAllowedOrigins` into OCI load balancer rule-set items. The same
items become the `oci.loadbalancer.RuleSet` the stack deploys (components/orthanc/load_balancer.py) and drive the local
stand-in for the load balancer the browser tests go through (tests/integration/test_viewer_browser.py).

What an OCI rule set can and cannot do, from "Rule Set Management"
(https://docs.oracle.com/en-us/iaas/Content/Balance/Tasks/managingrulesets.htm) and the provider's
`oci_load_balancer_rule_set` docs (website/docs/r/load_balancer_rule_set.html.markdown in
oracle/terraform-provider-oci):
- `ADD_HTTP_RESPONSE_HEADER` adds a header with a fixed value to every response of the listener. Header rules
  take no condition (only ALLOW and REDIRECT rules have `conditions`), so no header can depend on the request's
  `Origin`: the listener cannot echo one of several origins, and browsers refuse a multi-valued
  `Access-Control-Allow-Origin`. Hence one allowed origin at most. `EXTEND_HTTP_RESPONSE_HEADER_VALUE` only
  wraps the backend's own value in a fixed prefix and suffix, so it cannot echo an origin either.
- `CONTROL_ACCESS_USING_HTTP_METHODS` answers a method outside `allowed_methods` with `status_code` itself and
  does not forward it; with a code other than 405 it adds no `Allow` header. A CORS preflight is an `OPTIONS`
  without credentials; Orthanc answers it 401 (measured on Orthanc 1.10.1, authentication comes first) and a
  browser needs a 2xx, so `OPTIONS` stays out of `allowed_methods` and the listener answers it with 204 plus the
  added headers (so does any other method Orthanc does not serve, e.g. PATCH, instead of a 405). OCI's
  examples only show 4xx codes here; README "Viewer and CORS" says how to check a 204 on
  the first deployment.
- At most 20 rules per rule set; these are six.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

# What Orthanc's REST API and DICOMweb serve (its HTTP server knows no other method).
ORTHANC_METHODS = ("GET", "POST", "PUT", "DELETE")
# Request headers a browser client sends: Basic credentials, and DICOMweb's content negotiation and STOW bodies.
ALLOWED_REQUEST_HEADERS = ("Authorization", "Accept", "Content-Type")
PREFLIGHT_STATUS = 204  # "No Content": a preflight answer has no body; any 2xx passes the browser's CORS check
PREFLIGHT_CACHE_SECONDS = 600  # Chromium caps Access-Control-Max-Age at 7200 s; 10 min keeps a change visible soon

Action = Literal["ADD_HTTP_RESPONSE_HEADER", "CONTROL_ACCESS_USING_HTTP_METHODS"]


@dataclass(frozen=True)
class RuleItem:
    """One item of an OCI load balancer rule set (the fields `oci.loadbalancer.RuleSetItemArgs` takes)."""

    action: Action
    header: str | None = None
    value: str | None = None
    allowed_methods: tuple[str, ...] = ()
    status_code: int | None = None


def origin_problem(origin: str) -> tuple[str, str] | None:
    """(problem, fix) when `origin` is not one https origin, else None."""
    if origin.strip() == "*":
        return (
            "allows every web page to read patient data with the user's credentials",
            "list the https origin of the one web app that needs the API, e.g. https://portal.hospital.example",
        )
    parts = urlsplit(origin)
    if parts.scheme != "https":
        return (
            "is not an https origin (a page served over http would send credentials in clear text)",
            f"serve that web app over TLS and write https://{parts.netloc or parts.path or 'portal.hospital.example'}",
        )
    if not parts.hostname or parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return (
            "is not an origin (scheme://host[:port], nothing after it)",
            f"write it as https://{parts.hostname or 'portal.hospital.example'}"
            + (f":{parts.port}" if parts.port else ""),
        )
    return None


def cors_rule_items(origins: tuple[str, ...]) -> tuple[RuleItem, ...]:
    """The rule-set items letting `origins` (at most one, see module docstring) call the API with credentials.

    No origin: no items (the viewers are served from the load balancer's own origin and need no CORS).
    """
    if not origins:
        return ()
    problems = [f"{origin!r}: {problem[0]}" for origin in origins if (problem := origin_problem(origin))]
    if len(origins) > 1:
        problems.append(f"{list(origins)!r}: an OCI listener can allow one origin only")
    if problems:
        raise ValueError("; ".join(problems))

    def header(name: str, value: str) -> RuleItem:
        return RuleItem("ADD_HTTP_RESPONSE_HEADER", header=name, value=value)

    (origin,) = origins
    return (
        header("Access-Control-Allow-Origin", origin),
        # Browsers only expose a credentialed response (Basic auth) with this header.
        header("Access-Control-Allow-Credentials", "true"),
        header("Access-Control-Allow-Methods", ", ".join(ORTHANC_METHODS)),
        header("Access-Control-Allow-Headers", ", ".join(ALLOWED_REQUEST_HEADERS)),
        header("Access-Control-Max-Age", str(PREFLIGHT_CACHE_SECONDS)),
        RuleItem("CONTROL_ACCESS_USING_HTTP_METHODS", allowed_methods=ORTHANC_METHODS, status_code=PREFLIGHT_STATUS),
    )
