"""Read resource records back from a file, for `python -m offline check FILE`.

Two sources are accepted, recognised by their shape:
* the JSON plan this tool writes (`{project, stack, resources: [{urn, type, name, parent, protect,
  retainOnDelete, dependencies, inputs}], ...}`), e.g. one a reviewer edited to try a change;
* the file `pulumi stack export` writes for a deployed stack (`{version, deployment: {resources: [{urn,
  custom, type, inputs, outputs, parent, protect, retainOnDelete, dependencies, ...}]}}`), so a running
  stack's state can be audited without the CLI or cloud credentials.

Secrets: a plan holds them redacted already; an export holds them encrypted (`ciphertext`) or, with
`--show-secrets`, as `plaintext` JSON. Both become Pulumi secret values whose content is "[secret]" (a
policy never needs a secret's content, and nothing read here is ever printed in clear).
Resources an export marks as pending deletion are skipped: they are leaving the stack.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.records import ResourceRecord
from offline.redact import REDACTED, SECRET_SIG, SIG_KEY, mark_secret

COMPONENT_PACKAGES = ("dicomstore", "pulumi:pulumi")  # type-token prefixes of non-custom resources


class StackImportError(ValueError):
    """A file that is neither a JSON plan nor a stack export (the message says which file and what to do)."""


@dataclass(frozen=True)
class ImportedStack:
    project: str
    stack: str
    source: str
    """"plan" or "stack export"."""
    records: tuple[ResourceRecord, ...]


def parse_urn(urn: str) -> tuple[str, str, str, str]:
    """(stack, project, type, name) of `urn:pulumi:<stack>::<project>::<parent types$type>::<name>`."""
    parts = urn.split("::")
    if len(parts) < 4 or not parts[0].startswith("urn:pulumi:"):
        raise StackImportError(f"{urn!r} is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)")
    qualified_type = parts[2]
    return parts[0].removeprefix("urn:pulumi:"), parts[1], qualified_type.rsplit("$", 1)[-1], "::".join(parts[3:])


def normalise_secrets(value: Any) -> Any:
    """`value` with every secret (encrypted, plaintext or redacted) as a secret whose content is hidden."""
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            return mark_secret(REDACTED)
        return {key: normalise_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise_secrets(item) for item in value]
    return value


def _record(entry: Mapping[str, Any], *, inputs: Any, custom: bool) -> ResourceRecord:
    urn = str(entry["urn"])
    _, _, type_from_urn, name = parse_urn(urn)
    return ResourceRecord(
        urn=urn,
        type=str(entry.get("type") or type_from_urn),
        name=str(entry.get("name") or name),
        parent=str(entry.get("parent") or ""),
        protect=bool(entry.get("protect", False)),
        retain_on_delete=bool(entry.get("retainOnDelete", False)),
        dependencies=tuple(str(dependency) for dependency in entry.get("dependencies") or ()),
        inputs=normalise_secrets(dict(inputs or {})),
        custom=custom,
    )


def _is_custom(entry: Mapping[str, Any]) -> bool:
    if "custom" in entry:
        return bool(entry["custom"])
    return not str(entry.get("type", "")).startswith(COMPONENT_PACKAGES)


def records_from_plan(document: Mapping[str, Any]) -> tuple[ResourceRecord, ...]:
    return tuple(
        _record(entry, inputs=entry.get("inputs"), custom=_is_custom(entry)) for entry in document["resources"]
    )


def records_from_export(deployment: Mapping[str, Any]) -> tuple[ResourceRecord, ...]:
    resources: Sequence[Mapping[str, Any]] = deployment.get("resources") or []
    return tuple(
        # Inputs are what the engine validates; very old states only kept outputs.
        _record(entry, inputs=entry.get("inputs") or entry.get("outputs"), custom=_is_custom(entry))
        for entry in resources
        if not entry.get("delete", False)
    )


def load_stack(path: Path) -> ImportedStack:
    """The records of a JSON plan or a `pulumi stack export` file."""
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise StackImportError(
            f"{path}: cannot read it as JSON ({error}); pass a JSON plan or a stack export"
        ) from error
    try:
        if isinstance(document, dict) and isinstance(document.get("deployment"), dict):
            records = records_from_export(document["deployment"])
            stack, project = (parse_urn(records[0].urn)[:2]) if records else ("", "")
            return ImportedStack(project, stack, "stack export", records)
        if isinstance(document, dict) and isinstance(document.get("resources"), list):
            records = records_from_plan(document)
            return ImportedStack(str(document.get("project", "")), str(document.get("stack", "")), "plan", records)
    except (KeyError, TypeError, AttributeError) as error:
        raise StackImportError(
            f"{path}: a resource entry is malformed ({error!r}); every resource needs a urn"
        ) from error
    raise StackImportError(
        f"{path}: neither a JSON plan (top-level 'resources') nor a stack export (top-level 'deployment'); "
        "write one with `python -m offline plan --json FILE` or `pulumi stack export --file FILE`"
    )
