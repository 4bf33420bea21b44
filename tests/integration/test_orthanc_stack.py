"""The rendered Orthanc configuration on a real Orthanc + PostgreSQL: behaviour, not just "it started".

Orthanc 1.10.1 silently ignores unknown keys, so every setting that matters is checked by what it does:
the index is in PostgreSQL, DICOMweb answers, DIMSE accepts only the allowed AE, HTTP needs credentials,
data survives a restart and both replicas serve the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pydicom
import pytest
import requests
from dicomweb_client import DICOMwebClient
from psycopg import sql
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid
from pynetdicom import AE

from bench.dicom_factory import ct_instance, make_study
from bench.local_stack import OrthancServer, PostgresServer

pytestmark = pytest.mark.integration

DicomwebFactory = Callable[[OrthancServer], DICOMwebClient]

INSTANCE_LEVEL, STUDY_LEVEL = 3, 1  # Orthanc's resourceType codes in its index tables
SOP_INSTANCE_UID = (0x0008, 0x0018)
STUDY_DATE = (0x0008, 0x0020)
SUCCESS = 0x0000


def _all_instances(studies: list[list[pydicom.Dataset]]) -> list[pydicom.Dataset]:
    return [ds for study in studies for ds in study]


def _study_uids(results: list[dict[str, dict[str, list[str]]]]) -> set[str]:
    return {result["0020000D"]["Value"][0] for result in results}


def _modality_aet(server: OrthancServer) -> str:
    modalities = server.rendered.config["DicomModalities"]
    assert isinstance(modalities, dict)
    (aet,) = modalities
    return aet


def _c_store(server: OrthancServer, calling_aet: str, ds: pydicom.Dataset, called_aet: str | None = None) -> int | None:
    """C-STORE `ds` as `calling_aet`; the DIMSE status, or None when the association is refused."""
    ae = AE(ae_title=calling_aet)
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    assoc = ae.associate("127.0.0.1", server.dicom_port, ae_title=called_aet or str(server.rendered.config["DicomAet"]))
    if not assoc.is_established:
        return None
    try:
        status = assoc.send_c_store(ds)
        return int(status.Status) if "Status" in status else None
    finally:
        assoc.release()


def _exists(server: OrthancServer, ds: pydicom.Dataset) -> bool:
    found = requests.post(f"{server.url}/tools/lookup", data=str(ds.SOPInstanceUID), auth=server.auth, timeout=10)
    found.raise_for_status()
    return bool(found.json())


def test_system_reports_postgresql_index_and_local_storage(primary: OrthancServer) -> None:
    system = requests.get(f"{primary.url}/system", auth=primary.auth, timeout=10).json()
    assert "libOrthancPostgreSQLIndex.so" in system["DatabaseBackendPlugin"]
    assert system["StorageAreaPlugin"] is None  # files on the local directory, not in PostgreSQL
    assert system["DicomAet"] == primary.rendered.config["DicomAet"]


def test_stow_rs_stores_every_instance(
    stow_responses: list[pydicom.Dataset], studies: list[list[pydicom.Dataset]]
) -> None:
    for response, study in zip(stow_responses, studies, strict=True):
        assert list(response.get("FailedSOPSequence", [])) == []
        stored = {str(entry.ReferencedSOPInstanceUID) for entry in response.ReferencedSOPSequence}
        assert stored == {str(ds.SOPInstanceUID) for ds in study}


def _tag_values(postgres: PostgresServer, table: str, level: int, tag: tuple[int, int]) -> set[str]:
    """Values of `tag` on resources of `level`, straight from Orthanc's index tables."""
    with postgres.connect() as connection:
        rows = connection.execute(
            sql.SQL(
                "SELECT t.value FROM {} t JOIN resources r ON r.internalid = t.id"
                " WHERE r.resourcetype = %s AND t.taggroup = %s AND t.tagelement = %s"
            ).format(sql.Identifier(table)),
            (level, *tag),
        ).fetchall()
    return {str(value) for (value,) in rows}


def test_metadata_is_in_postgresql(
    postgres: PostgresServer, stow_responses: object, studies: list[list[pydicom.Dataset]]
) -> None:
    sop_uids = _tag_values(postgres, "dicomidentifiers", INSTANCE_LEVEL, SOP_INSTANCE_UID)
    study_dates = _tag_values(postgres, "maindicomtags", STUDY_LEVEL, STUDY_DATE)
    assert {str(ds.SOPInstanceUID) for ds in _all_instances(studies)} <= sop_uids
    assert {str(study[0].StudyDate) for study in studies} <= study_dates


def test_every_replica_connection_uses_tls_and_the_configured_pool(
    postgres: PostgresServer, primary: OrthancServer, secondary: OrthancServer
) -> None:
    with postgres.connect() as connection:
        sessions = connection.execute(
            "SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid"
            " WHERE a.usename = %s AND a.pid <> pg_backend_pid()",
            (postgres.username,),
        ).fetchall()
    pools = [server.rendered.config["PostgreSQL"] for server in (primary, secondary)]
    assert len(sessions) == sum(int(str(pool["IndexConnectionsCount"])) for pool in pools if isinstance(pool, dict))
    assert all(ssl for (ssl,) in sessions)


def test_no_sqlite_index_on_disk(
    primary: OrthancServer, stow_responses: object, studies: list[list[pydicom.Dataset]]
) -> None:
    storage = Path(str(primary.rendered.config["StorageDirectory"]))
    stored_files = [path for path in storage.rglob("*") if path.is_file()]
    assert len(stored_files) >= sum(len(study) for study in studies)  # every uploaded instance is a file ...
    assert not (storage / "index").exists()  # ... but not Orthanc's default SQLite index
    assert not (primary.work_dir / "index").exists()


@pytest.fixture
def primary_dicomweb(primary: OrthancServer, dicomweb: DicomwebFactory, stow_responses: object) -> DICOMwebClient:
    """DICOMweb on replica 0, once every study is stored there."""
    return dicomweb(primary)


def test_qido_finds_study_by_patient_id_and_study_date(
    primary_dicomweb: DICOMwebClient, studies: list[list[pydicom.Dataset]]
) -> None:
    target, other = studies[0][0], studies[1][0]
    found = primary_dicomweb.search_for_studies(
        search_filters={"PatientID": str(target.PatientID), "StudyDate": str(target.StudyDate)}
    )
    assert _study_uids(found) == {str(target.StudyInstanceUID)}
    # Orthanc sits behind the load balancer's TLS listener: the Retrieve URL it hands out must be https://.
    retrieve_url = found[0]["00081190"]["Value"][0]
    assert retrieve_url.startswith("https://") and retrieve_url.endswith(str(target.StudyInstanceUID))
    wrong_date = primary_dicomweb.search_for_studies(
        search_filters={"PatientID": str(target.PatientID), "StudyDate": str(other.StudyDate)}
    )
    assert wrong_date == []


def test_wado_rs_returns_identical_pixel_data(
    primary_dicomweb: DICOMwebClient, studies: list[list[pydicom.Dataset]]
) -> None:
    for original in studies[2]:
        retrieved = primary_dicomweb.retrieve_instance(
            str(original.StudyInstanceUID), str(original.SeriesInstanceUID), str(original.SOPInstanceUID)
        )
        assert retrieved.PixelData == original.PixelData
        assert retrieved.PatientID == original.PatientID


def test_c_store_from_allowed_modality_is_stored(primary: OrthancServer) -> None:
    ds = ct_instance(make_study(90), generate_uid(), 1, 1, rows=128, columns=128)
    assert _c_store(primary, _modality_aet(primary), ds) == SUCCESS
    assert _exists(primary, ds)


def test_c_store_from_unknown_ae_is_rejected(primary: OrthancServer) -> None:
    ds = ct_instance(make_study(91), generate_uid(), 1, 1, rows=128, columns=128)
    # Orthanc 1.10.1 aborts the association of an AE missing from DicomModalities when nothing is always allowed.
    assert _c_store(primary, "ROGUE_SCANNER", ds) is None
    assert not _exists(primary, ds)


def test_c_store_to_wrong_called_aet_is_rejected(primary: OrthancServer) -> None:
    ds = ct_instance(make_study(92), generate_uid(), 1, 1, rows=128, columns=128)
    assert _c_store(primary, _modality_aet(primary), ds, called_aet="NOT_ORTHANC") is None
    assert not _exists(primary, ds)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/system"), ("GET", "/dicom-web/studies"), ("POST", "/dicom-web/studies"), ("GET", "/patients")],
)
def test_http_requires_credentials(primary: OrthancServer, method: str, path: str) -> None:
    url = primary.url + path
    assert requests.request(method, url, timeout=10).status_code == 401
    wrong = (primary.auth[0], primary.auth[1] + "x")
    assert requests.request(method, url, auth=wrong, timeout=10).status_code == 401
    if method == "GET":
        assert requests.request(method, url, auth=primary.auth, timeout=10).status_code == 200


def test_second_replica_serves_the_same_data(
    primary: OrthancServer,
    secondary: OrthancServer,
    dicomweb: DicomwebFactory,
    stow_responses: object,
    studies: list[list[pydicom.Dataset]],
) -> None:
    assert secondary.rendered.config["DatabaseServerIdentifier"] != primary.rendered.config["DatabaseServerIdentifier"]
    original = studies[1][-1]
    found = dicomweb(secondary).search_for_studies(search_filters={"PatientID": str(original.PatientID)})
    assert _study_uids(found) == {str(original.StudyInstanceUID)}
    retrieved = dicomweb(secondary).retrieve_instance(
        str(original.StudyInstanceUID), str(original.SeriesInstanceUID), str(original.SOPInstanceUID)
    )
    assert retrieved.PixelData == original.PixelData
    # And the other way round: stored through replica 1, served by replica 0.
    extra = ct_instance(make_study(93), generate_uid(), 1, 1, rows=128, columns=128)
    assert list(dicomweb(secondary).store_instances([extra]).get("FailedSOPSequence", [])) == []
    assert _exists(primary, extra)


def test_data_survives_restart(
    primary: OrthancServer,
    dicomweb: DicomwebFactory,
    stow_responses: object,
    studies: list[list[pydicom.Dataset]],
) -> None:
    primary.stop()
    primary.start()
    client = dicomweb(primary)
    every_study = client.search_for_studies()
    assert {str(study[0].StudyInstanceUID) for study in studies} <= _study_uids(every_study)
    original = studies[0][0]
    retrieved = client.retrieve_instance(
        str(original.StudyInstanceUID), str(original.SeriesInstanceUID), str(original.SOPInstanceUID)
    )
    assert retrieved.PixelData == original.PixelData
