"""Building blocks of the policy tests: hand-made resource records and a one-policy replay.

Records carry inputs in the engine representation (camelCase, as `offline/records.py` describes); the
replay goes through the same engine glue as `python -m offline plan`, so a test also proves a policy
copes with what the engine really sends (floats for numbers, proxies for dicts and lists).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import Policy

from offline.policy_replay import PolicyResult, replay
from offline.records import ResourceRecord
from policies.packs import PackSpec

TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancy0000000000000000000000000000000000000000000"
DATA_COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaadata000000000000000000000000000000000000000000000"


def urn_of(resource_type: str, name: str) -> str:
    return f"urn:pulumi:test::dicomstore::{resource_type}::{name}"


def record(
    resource_type: str,
    name: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    parent: str = "",
    protect: bool = False,
    retain_on_delete: bool = False,
    dependencies: Sequence[str] = (),
) -> ResourceRecord:
    """A recorded resource; `dependencies` and `parent` are URNs."""
    return ResourceRecord(
        urn=urn_of(resource_type, name),
        type=resource_type,
        name=name,
        parent=parent,
        protect=protect,
        retain_on_delete=retain_on_delete,
        dependencies=tuple(dependencies),
        inputs=dict(inputs or {}),
    )


def run_policy(
    policy: Policy, records: Sequence[ResourceRecord], config: Mapping[str, Any] | None = None
) -> list[PolicyResult]:
    """The violations of one policy on `records`, through the offline replay."""
    return replay(records, [PackSpec("test-pack", "one policy under test", (policy,))], config)


def assert_flags(results: Sequence[PolicyResult], name: str, *fix: str) -> None:
    """Exactly the resource `name` is flagged, and every message names it and contains the fix text."""
    assert results, f"expected a violation naming {name!r}"
    for result in results:
        assert f"'{name}'" in result.message, result.message
        assert "Fix:" in result.message, result.message
        for fragment in fix:
            assert fragment in result.message, result.message
