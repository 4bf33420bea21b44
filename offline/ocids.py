"""Deterministic, well-formed OCIDs for offline answers and provider-computed outputs."""

from __future__ import annotations

import hashlib


def fake_ocid(resource_type: str, seed: str, region: str = "") -> str:
    """A deterministic OCID of the right form, e.g. ocid1.vcn.oc1.eu-frankfurt-1.<60 chars>."""
    unique = hashlib.sha256(f"{resource_type}/{seed}".encode()).hexdigest()[:60]
    return f"ocid1.{resource_type}.oc1.{region}.{unique}"
