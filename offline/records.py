"""The record of one registered resource: what the offline engine captures and what policies replay.

A record holds the resource exactly as the Pulumi engine sees it at registration: type token, URN,
parent URN, resource options that matter for compliance (protect, retain-on-delete), dependencies and
the *engine representation* of the inputs (camelCase property names; secrets as Pulumi's secret
signature dicts until a report redacts them). The same shape is read back from a JSON plan or from a
`pulumi stack export`, so policies have one input format whatever the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ResourceRecord:
    """One resource as registered with the engine."""

    urn: str
    type: str
    name: str
    parent: str = ""
    protect: bool = False
    retain_on_delete: bool = False
    dependencies: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    custom: bool = True
    aliases: tuple[str, ...] = ()
    """URNs the resource was known by before (`ResourceOptions.aliases`), resolved as the engine resolves them."""
