"""One pattern per identifier kind, shared by the config schema (what a stack may set), the renderers (what they
accept from any caller, e.g. the integration tests) and the offline tools (cost, preflight), so they cannot drift
apart."""

from __future__ import annotations

AE_TITLE_PATTERN = r"^[A-Z0-9_\-. ]{1,16}$"
"""A DICOM AE title: at most 16 characters, no backslash or control character (DICOM PS3.5 section 6.2, VR AE);
this store also asks for upper case, as modality consoles do, so titles compare equal everywhere."""
ORTHANC_USER_PATTERN = r"^[a-z][a-z0-9_.-]{1,31}$"
"""An Orthanc user name: 2-32 characters, lower case; it also names the user's Vault secret and environment
variable."""
SQL_IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
"""A PostgreSQL role or database name: unquoted lower case, at most 63 bytes (NAMEDATALEN - 1)."""
GPU_SHAPE_PREFIXES = ("VM.GPU", "BM.GPU")
"""Every OCI GPU shape starts so, whatever its generation: VM.GPU2.1, VM.GPU3.1, BM.GPU4.8, VM.GPU.A10.1,
BM.GPU.H100.8 (https://docs.oracle.com/en-us/iaas/Content/Compute/References/computeshapes.htm#vm-gpu)."""
A10_SHAPE_PATTERN = r"^(VM|BM)\.GPU\.A10\.\d+$"
"""The A10 GPU family (VM.GPU.A10.1, BM.GPU.A10.4): the one GPU family the cost estimate prices and the preflight
knows the limit of (`gpu-a10-count`)."""
