"""Where each replica runs: spread over availability domains (ADs) and fault domains (FDs).

Pure arithmetic on counts, so it is decided before the region's AD list (an invoke result) is known.

Replica `i` goes to AD `i mod A`; within the AD, fault domains rotate one step further on each pass over the
ADs (FD `(ad + pass) mod F`). So the first `min(A, F)` replicas are in pairwise different ADs *and* FDs, no
AD/FD pair is used twice before all `A x F` pairs are, and in a one-AD region the replicas still land in
different FDs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Placement:
    """Indexes into the region's AD list and into that AD's FD list."""

    availability_domain: int
    fault_domain: int


def placement(replica: int, availability_domains: int, fault_domains: int) -> Placement:
    """The AD and FD of replica `replica` (0-based) in a region with the given counts."""
    if availability_domains < 1 or fault_domains < 1:
        raise ValueError(
            f"availability_domains={availability_domains!r}, fault_domains={fault_domains!r}: a region has at "
            "least one of each"
        )
    if replica < 0:
        raise ValueError(f"replica={replica!r}: replica indexes start at 0")
    ad = replica % availability_domains
    passes = replica // availability_domains
    return Placement(availability_domain=ad, fault_domain=(ad + passes) % fault_domains)
