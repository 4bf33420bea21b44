"""Roles per Orthanc user: config rules, the rendered filter wiring in both runtimes, the README's table.

The filter's behaviour is proven on a real Orthanc in tests/integration/test_access_control.py; here the
rules that need no server.
"""

from __future__ import annotations

import pytest

from components.orthanc.orthanc_access import Role, render_access_script, role_table
from components.orthanc.orthanc_config import (
    ACCESS_SCRIPT_PATH,
    ObjectStorageEndpoint,
    OrthancConfigError,
    OrthancSettings,
    PostgresEndpoint,
    render_orthanc_config,
)
from tests.support import PROJECT_DIR, config_values
from tests.test_config import problems_of

BUCKET = ObjectStorageEndpoint(namespace="ns", region="eu-frankfurt-1", bucket="dicom")
POSTGRES = PostgresEndpoint(host="db", port=5432, database="orthanc", username="orthanc")


def _orthanc(**section: object) -> list[str]:
    return problems_of(config_values(orthanc={"users": ["admin", "radiologist"], **section}))


def test_a_user_without_a_role_is_refused() -> None:
    (problem,) = _orthanc(userRoles={"admin": "administrator"})
    assert problem.startswith("dicomstore:orthanc.userRoles.radiologist = (not set): is missing")
    assert "add `radiologist: <role>` under orthanc.userRoles" in problem


def test_a_role_for_an_unlisted_user_is_refused() -> None:
    (problem,) = _orthanc(userRoles={"admin": "administrator", "radiologist": "reader", "ghost": "reader"})
    assert problem.startswith("dicomstore:orthanc.userRoles.ghost = 'reader': names a user that orthanc.users")


def test_a_store_nobody_administers_is_refused() -> None:
    (problem,) = _orthanc(userRoles={"admin": "reader", "radiologist": "reader"})
    assert "gives no user the administrator role" in problem and "Fix: make one user" in problem


def test_an_unknown_role_is_refused() -> None:
    problems = _orthanc(userRoles={"admin": "administrator", "radiologist": "superuser"})
    assert any(p.startswith("dicomstore:orthanc.userRoles.radiologist = 'superuser'") for p in problems)


def test_the_renderer_loads_the_filter_and_refuses_settings_without_roles() -> None:
    settings = OrthancSettings(
        users=("admin", "viewer"), user_roles={"admin": Role.ADMINISTRATOR, "viewer": Role.READER}
    )
    rendered = render_orthanc_config(settings, POSTGRES, BUCKET)
    assert rendered.config["LuaScripts"] == [ACCESS_SCRIPT_PATH]
    assert rendered.files()[ACCESS_SCRIPT_PATH] == rendered.access_script
    assert (
        '["viewer"] = "reader"' in rendered.access_script
        and "function IncomingHttpRequestFilter" in rendered.access_script
    )
    with pytest.raises(OrthancConfigError, match="give exactly one role to each of users"):
        OrthancSettings(users=("admin", "viewer"))


def test_the_filter_denies_unknown_users_and_names_no_route_for_the_administrator() -> None:
    script = render_access_script({"admin": Role.ADMINISTRATOR})
    body = script.split("function IncomingHttpRequestFilter", 1)[1]
    assert body.index("if role == nil then\n    return false") < body.index('if role == "administrator"')
    assert body.rstrip().endswith("return false\nend")
    assert '["administrator"] = {' not in script


def test_readme_role_table_is_current() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    assert role_table() in readme, "paste components.orthanc.orthanc_access.role_table() between the roles markers"


def test_dicom_tls_requires_a_modality_ca_bundle() -> None:
    (problem,) = problems_of(config_values(orthanc={"dicomTls": True}))
    assert problem.startswith("dicomstore:orthanc.modalityCaBundleOcid = (not set): is missing")
    assert "Fix: upload the CA that issues your modalities' certificates" in problem


def test_a_modality_ca_bundle_without_dicom_tls_is_refused() -> None:
    bundle = "ocid1.cabundle.oc1.eu-frankfurt-1.aaaaaaaamodalitycabundle0000000000000000000000000000"
    (problem,) = problems_of(config_values(orthanc={"modalityCaBundleOcid": bundle}))
    assert "has no effect without DICOM TLS" in problem


def test_the_modality_ca_must_be_a_ca_bundle_or_ca_ocid() -> None:
    wrong = "ocid1.certificate.oc1.eu-frankfurt-1.aaaaaaaamodalitycabundle0000000000000000000000000000"
    problems = problems_of(config_values(orthanc={"dicomTls": True, "modalityCaBundleOcid": wrong}))
    assert any("is the OCID of a certificate, not of a cabundle or certificateauthority" in p for p in problems)
