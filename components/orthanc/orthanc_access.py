"""Who may do what on Orthanc's HTTP API: roles per user, enforced inside Orthanc, deny by default.

Orthanc's own authentication (`RegisteredUsers`) only says *who* is calling; every registered user can do
everything, including `DELETE /studies/...`, `PUT /modalities/...` (after which a new AE title may store and
query) and `POST /tools/execute-script`. HIPAA 164.312(a)(1) asks for access control per user, so the
renderer adds a Lua `IncomingHttpRequestFilter` (built into every Orthanc since 1.0; the orthancteam/orthanc
image and Debian's package both have Lua) that Orthanc calls for every HTTP request, plugins' routes (DICOMweb,
viewers) included, with the authenticated user name, before any handler runs.
See https://orthanc.uclouvain.be/book/users/lua.html#filtering-incoming-rest-requests

Design choices:
- Roles are data (`ROLE_RULES`): the Lua script, the unit tests and the README's role table are all generated
  from it, so they cannot drift. A role grants (method, path pattern) pairs; `administrator` is the only role
  with unrestricted access.
- Deny by default: an unknown user, a method or a route no rule names, and any path with `..`, `//` or a
  backslash (never produced by a legitimate client; refused so no normalisation quirk can widen a rule) are
  refused with 403 before Orthanc acts.
- Patterns are anchored Lua patterns over the path (Orthanc passes the path without its query string). A
  resource family is granted as `^/studies$` plus `^/studies/` so `/studiesX` matches nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles a stack config can give an Orthanc user (`orthanc.userRoles`)."""

    ADMINISTRATOR = "administrator"
    """Everything, including deletion, modality/peer registration, jobs, settings and Lua execution."""
    INGEST = "ingest"
    """Store only (REST upload and DICOMweb STOW-RS): modalities' gateways and upload scripts."""
    READER = "reader"
    """Query and retrieve (REST reads, QIDO-RS, WADO-RS/URI, downloads) and the web viewers; changes nothing."""
    PIPELINE = "pipeline"
    """A reader who may also store: AI pipelines that read studies and write derived objects (segmentations,
    reports) back; may not delete, send elsewhere or change settings."""
    OPERATOR = "operator"
    """A reader who may also send studies to the configured modalities and peers and follow the jobs that
    does; may not register a modality, delete, or change settings (a PACS administrator's daily work)."""


@dataclass(frozen=True)
class Route:
    """HTTP methods allowed on paths matching a Lua pattern (anchored at the start)."""

    methods: tuple[str, ...]
    pattern: str
    """A Lua pattern (`%` escapes magic characters such as `-`); always starts with `^`."""
    purpose: str
    """What the route family is, for the README's role table."""


def _family(path: str, methods: tuple[str, ...], purpose: str) -> tuple[Route, ...]:
    """`path` itself and everything below it, never a sibling that merely starts with the same letters."""
    lua = path.replace("-", "%-")
    return (Route(methods, f"^{lua}$", purpose), Route(methods, f"^{lua}/", purpose))


_READ = ("GET",)
_SYSTEM = (Route(_READ, "^/system$", "Orthanc's name and version (health checks)"),)
_STORE = (
    Route(("POST",), "^/instances$", "REST upload of DICOM instances"),
    Route(("POST",), "^/dicom%-web/studies$", "DICOMweb STOW-RS"),
    Route(("POST",), "^/dicom%-web/studies/[^/]+$", "DICOMweb STOW-RS into a study"),
)
_QUERY_RETRIEVE = (
    *(
        route
        for resource in ("/patients", "/studies", "/series", "/instances")
        for route in _family(resource, _READ, "read patients, studies, series, instances")
    ),
    *_family("/dicom-web", _READ, "DICOMweb QIDO-RS and WADO-RS"),
    Route(_READ, "^/wado$", "DICOMweb WADO-URI"),
    Route(("POST",), "^/tools/find$", "search the index (explorer, viewers)"),
    Route(("POST",), "^/tools/lookup$", "resolve a DICOM UID"),
    Route(_READ, "^/statistics$", "counts shown by the explorer"),
    Route(_READ, "^/plugins$", "plugin list the explorers read"),
    Route(_READ, "^/plugins/[^/]+$", "plugin details the explorers read"),
)
_VIEWERS = (
    Route(_READ, "^/$", "redirect to the explorer"),
    *_family("/app", _READ, "Orthanc Explorer (built in)"),
    *_family("/ui", ("GET", "POST"), "Orthanc Explorer 2 (its API finds and reads, changes nothing)"),
    *_family("/stone-webviewer", _READ, "Stone Web Viewer"),
    *_family("/web-viewer", _READ, "Orthanc Web Viewer plugin"),
    *_family("/ohif", _READ, "OHIF viewer plugin"),
)
_SEND = (
    Route(_READ, "^/modalities$", "list the configured modalities"),
    Route(("POST",), "^/modalities/[^/]+/echo$", "C-ECHO a configured modality"),
    Route(("POST",), "^/modalities/[^/]+/store$", "C-STORE to a configured modality"),
    Route(("POST",), "^/modalities/[^/]+/move$", "C-MOVE between configured modalities"),
    Route(_READ, "^/peers$", "list the configured peers"),
    Route(("POST",), "^/peers/[^/]+/store$", "send to a configured Orthanc peer"),
    *_family("/jobs", _READ, "follow the jobs a send started"),
)

ROLE_RULES: Mapping[Role, tuple[Route, ...]] = {
    Role.INGEST: (*_SYSTEM, *_STORE),
    Role.READER: (*_SYSTEM, *_QUERY_RETRIEVE, *_VIEWERS),
    Role.PIPELINE: (*_SYSTEM, *_QUERY_RETRIEVE, *_STORE),
    Role.OPERATOR: (*_SYSTEM, *_QUERY_RETRIEVE, *_VIEWERS, *_SEND),
}
"""Routes per restricted role; `Role.ADMINISTRATOR` is unrestricted and has no entry."""


def _lua_string(value: str) -> str:
    """A Lua long-bracket-free string literal (the values are our own patterns and user names)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_access_script(user_roles: Mapping[str, Role]) -> str:
    """The Lua script Orthanc loads through `LuaScripts`: per-user roles, deny by default."""
    users = "\n".join(f"  [{_lua_string(user)}] = {_lua_string(role)}," for user, role in sorted(user_roles.items()))
    rules = []
    for role, routes in ROLE_RULES.items():
        entries = "\n".join(
            f"    {{ {_lua_string(method)}, {_lua_string(route.pattern)} }},"
            for route in routes
            for method in route.methods
        )
        rules.append(f"  [{_lua_string(role)}] = {{\n{entries}\n  }},")
    rules_text = "\n".join(rules)
    # The header keeps the module's path from before components/ had packages: changing a rendered byte changes
    # the config hash and restarts every replica, for a comment.
    return f"""-- Rendered by components/orthanc_access.py from the stack config (orthanc.userRoles). Do not edit.
-- Orthanc calls this for every HTTP request after authentication; false answers 403 and nothing runs.
local ROLE_OF_USER = {{
{users}
}}

local ROUTES_OF_ROLE = {{
{rules_text}
}}

function IncomingHttpRequestFilter(method, uri, ip, username, httpHeaders)
  local role = ROLE_OF_USER[username]
  if role == nil then
    return false
  end
  if role == "{Role.ADMINISTRATOR}" then
    return true
  end
  if string.find(uri, "..", 1, true) or string.find(uri, "//", 1, true) or string.find(uri, "\\\\", 1, true) then
    return false
  end
  for _, route in ipairs(ROUTES_OF_ROLE[role]) do
    if method == route[1] and string.find(uri, route[2]) then
      return true
    end
  end
  return false
end
"""


def role_table() -> str:
    """The README's Markdown matrix: route families by role (generated, a test keeps it current)."""
    restricted = list(ROLE_RULES)
    header = ["| route family | methods | " + " | ".join(f"`{role}`" for role in restricted) + " |"]
    header.append("|---|---|" + "---|" * len(restricted))
    rows: dict[str, tuple[set[str], set[Role]]] = {}
    for role, routes in ROLE_RULES.items():
        for route in routes:
            methods, roles = rows.setdefault(route.purpose, (set(), set()))
            methods.update(route.methods)
            roles.add(role)
    body = [
        f"| {purpose} | {' '.join(sorted(methods))} | "
        + " | ".join("yes" if role in roles else "-" for role in restricted)
        + " |"
        for purpose, (methods, roles) in rows.items()
    ]
    everything_else = "everything else (delete, modify, register modalities/peers, jobs, settings, Lua, changes)"
    footer = f"| {everything_else} | any | " + " | ".join("-" for _ in restricted) + " |"
    return "\n".join([*header, *body, footer])
