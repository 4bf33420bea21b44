"""Stable private addresses for offline answers where OCI would pick an address in a subnet.

The offline engine sees a resource's subnet OCID, not the subnet's CIDR, so it cannot pick an address inside
it; a deterministic RFC 1918 placeholder keeps plans reproducible and wires onward like a real address.
"""

from __future__ import annotations

import hashlib


def placeholder_ip(seed: str) -> str:
    """A deterministic address in 10.0.0.0/8, from `seed` (e.g. `vnic/<ocid>`)."""
    octets = hashlib.sha256(seed.encode()).digest()[:3]
    return "10.{}.{}.{}".format(*octets)
