"""Synthetic but realistic CT instances (pydicom) for the integration tests and the ingest benchmark.

Each instance carries the tags a PACS indexes and a viewer needs (patient, study, series, geometry, rescale,
windowing) and 16-bit signed pixel data: a body-shaped ellipse in Hounsfield units plus noise, so compression
and transfer behave like real CT rather than like zeros. A 512x512 slice is ~0.5 MB, the issue's benchmark unit.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, CTImageStorage, ExplicitVRLittleEndian, generate_uid

PART10_PREAMBLE = b"\x00" * 128  # DICOM PS3.10 7.1: 128-byte preamble before the "DICM" prefix
CT_SERIES = (("AXIAL 5mm", "CHEST"), ("AXIAL 1mm LUNG", "CHEST"), ("CORONAL MPR", "ABDOMEN"))


@dataclass(frozen=True)
class StudySpec:
    """Identity of one synthetic study."""

    patient_id: str
    patient_name: str
    birth_date: str
    sex: str
    study_date: str
    accession: str
    study_uid: str


def make_study(index: int, study_date: str = "20240315") -> StudySpec:
    """A study of patient `index` (deterministic identities, fresh UIDs)."""
    return StudySpec(
        patient_id=f"PAT{index:06d}",
        patient_name=f"DOE^JANE{index}",
        birth_date=f"19{50 + index % 50:02d}0{1 + index % 9}1{index % 10}",
        sex="F" if index % 2 else "M",
        study_date=study_date,
        accession=f"ACC{index:08d}",
        study_uid=generate_uid(),
    )


def _pixels(rows: int, columns: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.ogrid[:rows, :columns]
    body = ((y - rows / 2) / (rows * 0.42)) ** 2 + ((x - columns / 2) / (columns * 0.36)) ** 2 <= 1
    image = np.full((rows, columns), -1000, dtype=np.int16)  # air
    image[body] = 40  # soft tissue
    noise = rng.normal(0, 12, size=(rows, columns)).astype(np.int16)
    return (image + noise).astype(np.int16)


def ct_instance(
    study: StudySpec,
    series_uid: str,
    series_number: int,
    instance_number: int,
    *,
    rows: int = 512,
    columns: int = 512,
) -> Dataset:
    """One CT slice of `study`, series `series_number`, as a complete Part 10 dataset."""
    description, body_part = CT_SERIES[(series_number - 1) % len(CT_SERIES)]
    sop_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID

    ds = Dataset()
    ds.file_meta = meta
    # What a file read from disk carries; without it pydicom 3 (and dicomweb-client's STOW encoder, which
    # calls plain dcmwrite) writes no 128-byte preamble and no "DICM" prefix: not a Part 10 file.
    ds.preamble = PART10_PREAMBLE
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = study.study_date
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = f"{8 + series_number:02d}{instance_number % 60:02d}00"
    ds.AccessionNumber = study.accession
    ds.Modality = "CT"
    ds.Manufacturer = "SYNTHETIC"
    ds.InstitutionName = "DICOMSTORE TEST HOSPITAL"
    ds.ReferringPhysicianName = "SMITH^JOHN"
    ds.StudyDescription = "CT CHEST ABDOMEN"
    ds.SeriesDescription = description
    ds.PatientName = study.patient_name
    ds.PatientID = study.patient_id
    ds.PatientBirthDate = study.birth_date
    ds.PatientSex = study.sex
    ds.BodyPartExamined = body_part
    ds.SliceThickness = "5.0"
    ds.KVP = "120"
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = study.study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = study.accession[-6:]
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance_number
    ds.ImagePositionPatient = [-250.0, -250.0, -5.0 * instance_number]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.FrameOfReferenceUID = generate_uid(entropy_srcs=[study.study_uid, "frame-of-reference"])
    ds.SliceLocation = -5.0 * instance_number
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = columns
    ds.PixelSpacing = [0.976562, 0.976562]
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    ds.PixelData = _pixels(rows, columns, seed=instance_number * 1009 + series_number).tobytes()
    return ds


def study_instances(
    study: StudySpec, series_count: int, instances_per_series: int, *, rows: int = 512, columns: int = 512
) -> Iterator[Dataset]:
    """Every instance of a study with `series_count` series of `instances_per_series` slices."""
    for series_number in range(1, series_count + 1):
        series_uid = generate_uid()
        for instance_number in range(1, instances_per_series + 1):
            yield ct_instance(study, series_uid, series_number, instance_number, rows=rows, columns=columns)


def to_part10(ds: Dataset) -> bytes:
    """The dataset as a DICOM Part 10 file (what STOW-RS and POST /instances carry)."""
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()
