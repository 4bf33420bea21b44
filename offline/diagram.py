"""Architecture diagram of a plan, as Mermaid, derived from the records rather than drawn by hand.

One node per component (block) with the number of cloud resources it owns; an edge A --> B when a resource of
block B depends on a resource of block A (through an input or `depends_on`). The diagram therefore shows the
data flow the program really wires, and changes when the wiring changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from offline.records import ResourceRecord


def owning_component(record: ResourceRecord, by_urn: dict[str, ResourceRecord]) -> ResourceRecord | None:
    """The nearest component above a cloud resource (or the component itself)."""
    current: ResourceRecord | None = record
    while current is not None and current.custom:
        current = by_urn.get(current.parent)
    return current


def block_edges(records: Sequence[ResourceRecord]) -> set[tuple[str, str]]:
    """(upstream component URN, downstream component URN) for every cross-block dependency."""
    by_urn = {record.urn: record for record in records}
    edges: set[tuple[str, str]] = set()
    for record in records:
        downstream = owning_component(record, by_urn)
        for dependency in record.dependencies:
            upstream = owning_component(by_urn[dependency], by_urn) if dependency in by_urn else None
            # A dependency on a block's parent component (e.g. DicomStore) says nothing about data flow.
            if (
                upstream is not None
                and downstream is not None
                and upstream.urn != downstream.urn
                and not _is_ancestor(upstream, downstream, by_urn)
            ):
                edges.add((upstream.urn, downstream.urn))
    return edges


def _is_ancestor(candidate: ResourceRecord, record: ResourceRecord, by_urn: dict[str, ResourceRecord]) -> bool:
    current = by_urn.get(record.parent)
    while current is not None:
        if current.urn == candidate.urn:
            return True
        current = by_urn.get(current.parent)
    return False


def mermaid(records: Sequence[ResourceRecord]) -> str:
    """A Mermaid flowchart of the blocks and their dependencies."""
    by_urn = {record.urn: record for record in records}
    owned = Counter(
        component.urn
        for record in records
        if record.custom and (component := owning_component(record, by_urn)) is not None
    )
    components = [record for record in records if not record.custom and owned[record.urn]]
    ids = {record.urn: f"b{index}" for index, record in enumerate(components)}
    lines = ["flowchart LR"]
    for record in components:
        block = record.type.rsplit(":", 1)[-1]
        lines.append(f'  {ids[record.urn]}["{block}<br/>{record.name}<br/>{owned[record.urn]} resources"]')
    for upstream, downstream in sorted(block_edges(records)):
        if upstream in ids and downstream in ids:
            lines.append(f"  {ids[upstream]} --> {ids[downstream]}")
    return "\n".join(lines)
