"""What changes between two records of a stack: `python -m offline diff OLD.json NEW.json`.

Each file is a JSON plan (`python -m offline plan --json`) or a `pulumi stack export`, read by
`offline.stack_import` (so both kinds mix: a deployed stack's export against the plan of a branch). Resources
are matched by URN; for each one present in both, every input that differs is listed by its path
(`freeformTags.stack`, `ingressSecurityRules[0].source`), with the resource options that matter to a reviewer
(protect, retain-on-delete) and its dependencies. Secrets are shown as "[secret]" only: a plan holds them
redacted and an export encrypted, so neither side's content is ever printed (a secret's change cannot be
seen, and is not claimed). Text for a terminal, Markdown for a pull-request comment.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.records import ResourceRecord
from offline.redact import redact
from offline.stack_import import ImportedStack, StackImportError, load_stack

MAX_VALUE_CHARS = 160  # a longer value (a rendered config file) is cut, with its length said


@dataclass(frozen=True)
class Change:
    """One input (or option) of a resource that differs: `path` is `inputs.a.b[0]` or `protect`."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ChangedResource:
    urn: str
    type: str
    name: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class StackDiff:
    added: tuple[ResourceRecord, ...]
    removed: tuple[ResourceRecord, ...]
    changed: tuple[ChangedResource, ...]
    unchanged: int


ABSENT = object()  # a key or list item one side does not have


def value_changes(before: Any, after: Any, path: str) -> Iterator[Change]:
    """Every leaf that differs between two (redacted) values, by path; a value present on one side only is one
    change."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            yield from value_changes(before.get(key, ABSENT), after.get(key, ABSENT), f"{path}.{key}" if path else key)
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            yield from value_changes(
                before[index] if index < len(before) else ABSENT,
                after[index] if index < len(after) else ABSENT,
                f"{path}[{index}]",
            )
    elif before != after:
        yield Change(path, before, after)


def _option_changes(old: ResourceRecord, new: ResourceRecord) -> Iterator[Change]:
    for option in ("protect", "retain_on_delete"):
        if getattr(old, option) != getattr(new, option):
            yield Change(option.replace("_on_d", "OnD"), getattr(old, option), getattr(new, option))
    if set(old.dependencies) != set(new.dependencies):
        yield Change("dependencies", sorted(set(old.dependencies) - set(new.dependencies)) or ABSENT,
                     sorted(set(new.dependencies) - set(old.dependencies)) or ABSENT)  # fmt: skip


def diff_stacks(old: ImportedStack, new: ImportedStack) -> StackDiff:
    """Added, removed and changed resources (by URN) from `old` to `new`, secrets redacted."""
    before = {record.urn: record for record in old.records}
    after = {record.urn: record for record in new.records}
    changed = []
    for urn in sorted(before.keys() & after.keys()):
        old_record, new_record = before[urn], after[urn]
        changes = (
            *value_changes(redact(old_record.inputs), redact(new_record.inputs), ""),
            *_option_changes(old_record, new_record),
        )
        if changes:
            changed.append(ChangedResource(urn, new_record.type, new_record.name, changes))
    return StackDiff(
        added=tuple(after[urn] for urn in sorted(after.keys() - before.keys())),
        removed=tuple(before[urn] for urn in sorted(before.keys() - after.keys())),
        changed=tuple(changed),
        unchanged=len(before.keys() & after.keys()) - len(changed),
    )


def show(value: Any) -> str:
    """A value as compact JSON, cut to MAX_VALUE_CHARS; "(none)" when the side does not have it."""
    if value is ABSENT:
        return "(none)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else f"{text[:MAX_VALUE_CHARS]}… ({len(text)} characters)"


def summary(diff: StackDiff) -> str:
    return (
        f"{len(diff.added)} to add, {len(diff.changed)} to change, {len(diff.removed)} to remove, "
        f"{diff.unchanged} unchanged"
    )


def render_text(diff: StackDiff) -> str:
    lines = [summary(diff)]
    lines += [f"+ {record.type} {record.name}" for record in diff.added]
    lines += [f"- {record.type} {record.name}" for record in diff.removed]
    for resource in diff.changed:
        lines.append(f"~ {resource.type} {resource.name}")
        lines += [f"    {change.path}: {show(change.before)} -> {show(change.after)}" for change in resource.changes]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "`" + show(value).replace("|", "\\|").replace("`", "'") + "`"


def render_markdown(diff: StackDiff, title: str) -> str:
    """A pull-request comment: the summary line, then one list per kind of change."""
    parts = [f"### {title}", "", f"**{summary(diff)}**"]
    for heading, records in (("Added", diff.added), ("Removed", diff.removed)):
        if records:
            parts += ["", f"#### {heading}", ""] + [f"- `{record.type}` **{record.name}**" for record in records]
    if diff.changed:
        parts += ["", "#### Changed"]
        for resource in diff.changed:
            rows = [
                f"| `{change.path}` | {_cell(change.before)} | {_cell(change.after)} |" for change in resource.changes
            ]
            parts += ["", f"<details><summary><code>{resource.type}</code> <b>{resource.name}</b>: "
                      f"{len(resource.changes)} change(s)</summary>", "", "| input | before | after |", "|---|---|---|",
                      *rows, "", "</details>"]  # fmt: skip
    return "\n".join(parts) + "\n"


def add_diff_command(commands: Any) -> None:
    diff = commands.add_parser("diff", help="added, removed and changed resources between two plans or exports")
    diff.add_argument("old", type=Path, help="the earlier JSON plan or `pulumi stack export` file")
    diff.add_argument("new", type=Path, help="the later one")
    diff.add_argument("--markdown", type=Path, help="also write the diff as Markdown (a pull-request comment)")


def diff_command(args: argparse.Namespace) -> int:
    """Print the diff (and write it as Markdown); 0 when both files were read, 2 otherwise."""
    try:
        old, new = load_stack(args.old), load_stack(args.new)
    except StackImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    diff = diff_stacks(old, new)
    print(render_text(diff))
    if args.markdown:
        title = f"Plan diff: {new.project} {new.stack} ({args.old.name} → {args.new.name})"
        args.markdown.write_text(render_markdown(diff, title))
    return 0
