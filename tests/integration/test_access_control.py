"""Per-user roles on a real Orthanc: every route family, called as every role, through the rendered Lua filter.

Expected rights come from issue 19 ("administrator; ingest — store only; reader — query and retrieve, viewer
included"; operator = reader + sending to configured modalities/peers; pipeline = query, retrieve and store,
no viewer UI), written out here by hand, not derived
from components/orthanc/orthanc_access.py. A refused call must answer 403 *and* change nothing: the tests look at the
store afterwards as the administrator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pydicom
import pytest
import requests
from pydicom.uid import generate_uid

from bench.dicom_factory import ct_instance, make_study, to_part10
from bench.local_stack import OrthancServer
from components.orthanc.orthanc_access import Role
from components.orthanc.orthanc_config import user_password_env_var
from tests.integration.conftest import USER_ROLES
from tools.stow import multipart_body

pytestmark = pytest.mark.integration

ALL = frozenset(Role)
VIEWERS = frozenset({Role.ADMINISTRATOR, Role.READER, Role.OPERATOR})
READERS = VIEWERS | {Role.PIPELINE}
WRITERS = frozenset({Role.ADMINISTRATOR, Role.INGEST, Role.PIPELINE})
SENDERS = frozenset({Role.ADMINISTRATOR, Role.OPERATOR})
ADMIN_ONLY = frozenset({Role.ADMINISTRATOR})
USER_OF_ROLE = {role: user for user, role in USER_ROLES.items()}


@dataclass(frozen=True)
class Stored:
    """One instance stored by the administrator, with its Orthanc ids and DICOM UIDs."""

    patient: str
    study: str
    series: str
    instance: str
    study_uid: str
    series_uid: str
    sop_uid: str


def _auth(server: OrthancServer, role: Role) -> tuple[str, str]:
    user = USER_OF_ROLE[role]
    return user, server.secret_values[user_password_env_var(user)]


def _call(server: OrthancServer, role: Role, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, server.url + path, auth=_auth(server, role), timeout=30, **kwargs)


def _admin(server: OrthancServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    return _call(server, Role.ADMINISTRATOR, method, path, **kwargs)


def _new_instance(index: int) -> pydicom.Dataset:
    return ct_instance(make_study(index), generate_uid(), 1, 1, rows=64, columns=64)


def _store(server: OrthancServer, ds: pydicom.Dataset) -> Stored:
    answer = _admin(server, "POST", "/instances", data=to_part10(ds))
    answer.raise_for_status()
    body = answer.json()
    series = _admin(server, "GET", f"/instances/{body['ID']}/series").json()
    return Stored(
        patient=body["ParentPatient"],
        study=body["ParentStudy"],
        series=series["ID"],
        instance=body["ID"],
        study_uid=str(ds.StudyInstanceUID),
        series_uid=str(ds.SeriesInstanceUID),
        sop_uid=str(ds.SOPInstanceUID),
    )


def _is_stored(server: OrthancServer, sop_uid: str) -> bool:
    return bool(_admin(server, "POST", "/tools/lookup", data=sop_uid).json())


@pytest.fixture(scope="module")
def stored(primary: OrthancServer) -> Stored:
    return _store(primary, _new_instance(801))


# (method, path template, allowed roles). Paths name the module's stored instance.
READ_ROUTES = [
    ("GET", "/system", ALL),
    ("GET", "/patients", READERS),
    ("GET", "/patients/{patient}", READERS),
    ("GET", "/studies/{study}", READERS),
    ("GET", "/studies/{study}/archive", READERS),
    ("GET", "/series/{series}", READERS),
    ("GET", "/instances/{instance}/file", READERS),
    ("GET", "/instances/{instance}/tags", READERS),
    ("GET", "/statistics", READERS),
    ("GET", "/dicom-web/studies", READERS),
    ("GET", "/dicom-web/studies/{study_uid}/series", READERS),
    ("GET", "/dicom-web/studies/{study_uid}/series/{series_uid}/instances/{sop_uid}", READERS),
    ("GET", "/wado?requestType=WADO&studyUID={study_uid}&seriesUID={series_uid}&objectUID={sop_uid}", READERS),
    ("GET", "/app/explorer.html", VIEWERS),
    ("GET", "/web-viewer/app/viewer.html", VIEWERS),
    ("GET", "/modalities", SENDERS),
    ("GET", "/peers", SENDERS),
    ("GET", "/jobs", SENDERS),
    ("GET", "/changes", ADMIN_ONLY),
    ("GET", "/exports", ADMIN_ONLY),
    ("GET", "/tools/log-level", ADMIN_ONLY),
    ("GET", "/studiesX", frozenset()),  # a sibling of a granted family is not granted (404 for the admin)
]


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("route", READ_ROUTES, ids=[f"{m} {p}" for m, p, _ in READ_ROUTES])
def test_read_routes(
    primary: OrthancServer, stored: Stored, role: Role, route: tuple[str, str, frozenset[Role]]
) -> None:
    method, path, allowed = route
    answer = _call(primary, role, method, path.format(**vars(stored)))
    if role in allowed:
        assert answer.status_code == 200, answer.text[:200]
    elif role is Role.ADMINISTRATOR:
        assert answer.status_code == 404
    else:
        assert answer.status_code == 403


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_find_is_a_read(primary: OrthancServer, stored: Stored, role: Role) -> None:
    query = {"Level": "Study", "Query": {"StudyInstanceUID": stored.study_uid}}
    answer = _call(primary, role, "POST", "/tools/find", json=query)
    if role in READERS:
        assert answer.json() == [stored.study]
    else:
        assert answer.status_code == 403


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("route", ["rest", "stow"])
def test_store(primary: OrthancServer, role: Role, route: str) -> None:
    ds = _new_instance(900 + list(Role).index(role))
    if route == "rest":
        answer = _call(primary, role, "POST", "/instances", data=to_part10(ds))
    else:
        body, content_type = multipart_body([to_part10(ds)])
        answer = _call(primary, role, "POST", "/dicom-web/studies", data=body, headers={"Content-Type": content_type})
    if role in WRITERS:
        assert answer.status_code == 200, answer.text[:200]
        assert _is_stored(primary, str(ds.SOPInstanceUID))
    else:
        assert answer.status_code == 403
        assert not _is_stored(primary, str(ds.SOPInstanceUID))


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("level", ["patients", "studies", "series", "instances"])
def test_delete(primary: OrthancServer, role: Role, level: str) -> None:
    target = _store(primary, _new_instance(700 + 10 * list(Role).index(role) + len(level)))
    resource = {"patients": target.patient, "studies": target.study, "series": target.series}.get(
        level, target.instance
    )
    answer = _call(primary, role, "DELETE", f"/{level}/{resource}")
    if role is Role.ADMINISTRATOR:
        assert answer.status_code == 200
        assert not _is_stored(primary, target.sop_uid)
    else:
        assert answer.status_code == 403
        assert _is_stored(primary, target.sop_uid)


@pytest.fixture
def rogue_cleanup(primary: OrthancServer) -> Iterator[None]:
    yield
    _admin(primary, "DELETE", "/modalities/ROGUE")
    _admin(primary, "DELETE", "/peers/rogue")


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.usefixtures("rogue_cleanup")
def test_only_the_administrator_registers_modalities_and_peers(primary: OrthancServer, role: Role) -> None:
    """The attack of issue 19: a non-admin registers a modality, after which that AE title may store/query."""
    modality = _call(primary, role, "PUT", "/modalities/ROGUE", json={"AET": "ROGUE", "Host": "10.9.9.9", "Port": 104})
    peer = _call(primary, role, "PUT", "/peers/rogue", json={"Url": "http://10.9.9.9:8042/"})
    registered = _admin(primary, "GET", "/modalities").json(), _admin(primary, "GET", "/peers").json()
    if role is Role.ADMINISTRATOR:
        assert (modality.status_code, peer.status_code) == (200, 200)
        assert "ROGUE" in registered[0] and "rogue" in registered[1]
    else:
        assert (modality.status_code, peer.status_code) == (403, 403)
        assert "ROGUE" not in registered[0] and "rogue" not in registered[1]


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_sending_to_a_configured_modality(primary: OrthancServer, stored: Stored, role: Role) -> None:
    """C-ECHO / C-STORE to the configured modality: senders get through the filter (the modality itself is not
    listening here, so Orthanc answers with a DIMSE failure, not 403); everyone else is refused."""
    (aet,) = _admin(primary, "GET", "/modalities").json()
    echo = _call(primary, role, "POST", f"/modalities/{aet}/echo", json={})
    store = _call(primary, role, "POST", f"/modalities/{aet}/store", json={"Resources": [stored.instance]})
    if role in SENDERS:
        assert echo.status_code not in (401, 403) and store.status_code not in (401, 403)
    else:
        assert (echo.status_code, store.status_code) == (403, 403)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_settings_are_for_the_administrator(primary: OrthancServer, role: Role) -> None:
    answer = _call(primary, role, "PUT", "/tools/log-level", data="default")
    assert answer.status_code == (200 if role is Role.ADMINISTRATOR else 403)


@pytest.mark.parametrize("path", ["/patients/../tools/log-level", "/patients//../changes", "/app/..%2F..%2Fchanges"])
def test_path_tricks_are_refused(primary: OrthancServer, path: str) -> None:
    """Raw request lines a browser would normalise; the filter refuses `..` and `//` for restricted roles."""
    session = requests.Session()
    request = requests.Request("GET", primary.url + "/system", auth=_auth(primary, Role.READER)).prepare()
    request.url = primary.url + path
    answer = session.send(request, timeout=10)
    assert answer.status_code in (403, 404)
    assert "Sequence" not in answer.text and "log" not in answer.text.lower()


def test_wrong_credentials_are_refused_before_the_filter(primary: OrthancServer) -> None:
    """Authentication still comes first: wrong credentials get 401, whatever the route."""
    answer = requests.get(primary.url + "/system", auth=("nobody", "wrong"), timeout=10)
    assert answer.status_code == 401
