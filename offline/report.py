"""Reports of an offline plan: the resource tree (like `pulumi preview`) and the JSON plan contract.

The JSON document is the contract of ARCHITECTURE.md: `{project, stack, resources: [{urn, type, name, parent,
protect, retainOnDelete, dependencies, inputs}], outputs, policies: {packs, results}, cost: {currency,
monthly, lines}, summary}`, with every secret value redacted. It is built in one function so the contract
has one definition.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from offline.records import ResourceRecord
from offline.redact import redact

STACK_TYPE = "pulumi:pulumi:Stack"


def summary(records: Sequence[ResourceRecord]) -> dict[str, Any]:
    """Counts a reviewer looks at first."""
    by_type = Counter(record.type for record in records)
    return {
        "resources": len(records),
        "custom": sum(record.custom for record in records),
        "components": sum(not record.custom for record in records),
        "protected": sum(record.protect for record in records),
        "retainedOnDelete": sum(record.retain_on_delete for record in records),
        "byType": dict(sorted(by_type.items())),
    }


def resource_entry(record: ResourceRecord) -> dict[str, Any]:
    return {
        "urn": record.urn,
        "type": record.type,
        "name": record.name,
        "parent": record.parent,
        "protect": record.protect,
        "retainOnDelete": record.retain_on_delete,
        "dependencies": list(record.dependencies),
        "inputs": redact(record.inputs),
    }


def plan_document(
    *,
    project: str,
    stack: str,
    records: Sequence[ResourceRecord],
    outputs: Mapping[str, Any],
    policies: Mapping[str, Any],
    cost: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON plan (secrets redacted)."""
    return {
        "project": project,
        "stack": stack,
        "resources": [resource_entry(record) for record in records],
        "outputs": redact(dict(outputs)),
        "policies": dict(policies),
        "cost": dict(cost),
        "summary": summary(records),
    }


def render_tree(project: str, stack: str, records: Sequence[ResourceRecord]) -> str:
    """The resource tree, nested by parent, with protect/retain markers, then counts per type."""
    children: dict[str, list[ResourceRecord]] = defaultdict(list)
    urns = {record.urn for record in records}
    for record in records:
        children[record.parent if record.parent in urns else ""].append(record)
    type_width = max([len(record.type) for record in records] + [len(STACK_TYPE)]) + 6
    lines = [f"Offline plan of {project}/{stack} (Pulumi mocks; no cloud calls)", "",
             f"     {'Type':<{type_width}} Name"]  # fmt: skip
    lines.append(f" +   {STACK_TYPE:<{type_width}} {project}-{stack}")

    def walk(parent: str, prefix: str) -> None:
        siblings = children.get(parent, [])
        for index, record in enumerate(siblings):
            last = index == len(siblings) - 1
            branch = f"{prefix}{'└─ ' if last else '├─ '}"
            markers = [label for flag, label in ((record.protect, "protect"), (record.retain_on_delete, "retain"))
                       if flag]  # fmt: skip
            suffix = f"  [{', '.join(markers)}]" if markers else ""
            lines.append(f" +   {branch + record.type:<{type_width}} {record.name}{suffix}")
            walk(record.urn, prefix + ("   " if last else "│  "))

    walk("", "")
    counts = summary(records)
    lines += ["", "Resources by type:"]
    lines += [f"  {count:>4}  {type_}" for type_, count in counts["byType"].items()]
    lines += [
        "",
        f"Resources: {counts['resources']} to create ({counts['custom']} cloud resources, "
        f"{counts['components']} components); {counts['protected']} protected, "
        f"{counts['retainedOnDelete']} retained on delete",
    ]
    return "\n".join(lines)
