"""Store DICOM files by STOW-RS and prove every instance was stored: the store's client contract.

Why: a STOW-RS answer of 200 does not by itself mean every instance was stored. Orthanc's DICOMweb plugin (the
1.7 in Debian, measured in tests/integration/test_no_silent_loss.py) answers 200 with an *empty*
ReferencedSOPSequence (0008,1199) and an empty FailedSOPSequence (0008,1198) while its PostgreSQL index is
unreachable: nothing was stored and nothing says so. DICOM PS3.18 10.5.3 defines ReferencedSOPSequence as the
instances the origin server stored, so the contract is: an instance counts as stored only when its SOP Instance
UID is listed there. This tool sends each file, checks that, retries what is missing with back-off (the index
outage is usually transient: a database failover, a replica restart) and exits non-zero naming every instance
it could not confirm. Any DICOMweb client can follow the same rule; this is the reference implementation.

Usage: python -m tools.stow --url https://<lb>/dicom-web --user <name> --password-file <file> FILE...
The password is read from a file (or $DICOMSTORE_PASSWORD), never from the command line (visible in `ps`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom
import requests

REFERENCED_SOP_SEQUENCE = "00081199"
FAILED_SOP_SEQUENCE = "00081198"
REFERENCED_SOP_INSTANCE_UID = "00081155"
FAILURE_REASON = "00081197"


@dataclass(frozen=True)
class StowOutcome:
    """What one STOW-RS request achieved, judged by the response body, not by its status code."""

    status: int
    stored: frozenset[str]
    """SOP Instance UIDs the server lists in ReferencedSOPSequence."""
    failed: dict[str, str]
    """SOP Instance UID -> failure reason (0008,1197) from FailedSOPSequence."""


def _uids(items: Any, with_reason: bool = False) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        uid = ((item.get(REFERENCED_SOP_INSTANCE_UID) or {}).get("Value") or [None])[0]
        if isinstance(uid, str):
            reason = ((item.get(FAILURE_REASON) or {}).get("Value") or [""])[0] if with_reason else ""
            found[uid] = str(reason)
    return found


def outcome(status: int, body: Any) -> StowOutcome:
    """Parse a STOW-RS response (application/dicom+json); a body that is not a dataset stores nothing."""
    dataset = body if isinstance(body, dict) else {}
    stored = _uids((dataset.get(REFERENCED_SOP_SEQUENCE) or {}).get("Value"))
    failed = _uids((dataset.get(FAILED_SOP_SEQUENCE) or {}).get("Value"), with_reason=True)
    return StowOutcome(status, frozenset(stored), failed)


def multipart_body(parts: Sequence[bytes]) -> tuple[bytes, str]:
    """A STOW-RS request body (multipart/related of application/dicom parts) and its Content-Type."""
    boundary = uuid.uuid4().hex
    body = b"".join(
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + part + b"\r\n" for part in parts
    )
    return body + f"--{boundary}--\r\n".encode(), f'multipart/related; type="application/dicom"; boundary={boundary}'


def post_instances(session: requests.Session, url: str, parts: Sequence[bytes]) -> StowOutcome:
    body, content_type = multipart_body(parts)
    answer = session.post(
        f"{url.rstrip('/')}/studies",
        data=body,
        headers={"Content-Type": content_type, "Accept": "application/dicom+json"},
        timeout=300,
    )
    try:
        parsed: Any = answer.json()
    except ValueError:
        parsed = None
    return outcome(answer.status_code, parsed)


def store_all(
    post: Callable[[Sequence[bytes]], StowOutcome],
    files: dict[str, bytes],
    *,
    attempts: int = 5,
    backoff_s: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, str]:
    """Send every file until the server lists it as stored; the UIDs never confirmed, with the last reason."""
    missing = dict.fromkeys(files, "never sent")
    for attempt in range(attempts):
        if attempt:
            sleep(backoff_s * 2 ** (attempt - 1))
        result = post([files[uid] for uid in missing])
        for uid in list(missing):
            if uid in result.stored:
                del missing[uid]
            else:
                missing[uid] = result.failed.get(uid) or f"HTTP {result.status}, not in ReferencedSOPSequence"
        if not missing:
            break
    return missing


def _password(path: Path | None) -> str:
    if path is not None:
        return path.read_text().strip()
    if "DICOMSTORE_PASSWORD" in os.environ:
        return os.environ["DICOMSTORE_PASSWORD"]
    raise SystemExit("stow: give --password-file FILE or set DICOMSTORE_PASSWORD")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.stow", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="DICOMweb root, e.g. https://dicomstore.internal/dicom-web")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", type=Path)
    parser.add_argument("--ca-bundle", help="CA certificate of the load balancer (the stack's private CA)")
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    files = {
        str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID): path.read_bytes() for path in args.files
    }
    session = requests.Session()
    session.auth = (args.user, _password(args.password_file))
    if args.ca_bundle:
        session.verify = args.ca_bundle
    missing = store_all(lambda parts: post_instances(session, args.url, parts), files, attempts=args.attempts)
    for uid, reason in sorted(missing.items()):
        print(f"stow: NOT STORED {uid}: {reason}", file=sys.stderr)
    print(f"stow: {len(files) - len(missing)}/{len(files)} instances confirmed stored")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
