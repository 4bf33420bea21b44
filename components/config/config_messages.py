"""Turn pydantic's validation errors on the stack config into one specific line each: problem and fix.

pydantic knows what failed (a type, a pattern, a choice, a missing or unknown key); the models know what the
key is for (docstrings, defaults, choices). This module joins the two, so a user reads
`orthanc.replica = 2: is not a key of orthanc. Fix: did you mean orthanc.replicas?` rather than pydantic's
generic text, and never a raw regular expression. It is generic: nothing here names a config section, so a
new key gets the same messages for free (a new string pattern needs its words in `PATTERN_WORDS`; a test
checks every pattern of the models has them).

It also finds duplicated list items, which pydantic accepts, on the raw values: a repeated CIDR, user or
modality is a mistake in every list of the config.
"""

from __future__ import annotations

import difflib
import json
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticUndefined

from components.config.identifiers import (
    AE_TITLE_PATTERN,
    GPU_SHAPE_PREFIXES,
    ORTHANC_USER_PATTERN,
    SQL_IDENTIFIER_PATTERN,
)

Location = tuple[int | str, ...]
RuleProblem = tuple[str, Any, str, str]
"""A bad value as a block's cross-field rules report it (e.g. `components/data/database_rules.py`): its key, the
value, what is wrong with it, how to fix it; `components/config/schema.py` makes a `ConfigProblem` of it."""


def gpu_shape_problems(key: str, shape: str) -> list[RuleProblem]:
    """The one rule for a key that must name a GPU shape (AI training, OKE's GPU pool)."""
    if shape.startswith(GPU_SHAPE_PREFIXES):
        return []
    return [(key, shape, "is not a GPU shape", "use a VM.GPU* or BM.GPU* shape, e.g. VM.GPU.A10.1")]


Qualify = Callable[[Location], str]
"""Spells a location as the user writes the key, e.g. `dicomstore:orthanc.replicas`."""

# Every string pattern of the config models, in words (a test checks none is missing). Keyed by the pattern
# itself so a field keeps its pattern where it is declared.
PATTERN_WORDS: dict[str, str] = {
    AE_TITLE_PATTERN: "1 to 16 characters: A-Z 0-9 _ - . space (upper case only)",
    r"^[a-z][a-z0-9]{0,14}$": "1 to 15 characters: a-z 0-9, starting with a letter (lower case only)",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "an email address such as pacs-admin@hospital.example",
    r"^[a-z][a-z0-9_]{2,30}$": "3 to 31 characters: a-z 0-9 _, starting with a letter (lower case only)",
    SQL_IDENTIFIER_PATTERN: "1 to 63 characters: a-z 0-9 _, starting with a letter (lower case only)",
    ORTHANC_USER_PATTERN: "2 to 32 characters: a-z 0-9 _ . -, starting with a letter (lower case only)",
    r"^v1\.[0-9]+\.[0-9]+$": "a Kubernetes version written v1.<minor>.<patch>, such as v1.31.1",
    r"^[a-z0-9][a-z0-9._/-]*$": "a repository path: a-z 0-9 . _ / -, starting with a letter or digit",
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$": "1 to 128 characters: A-Z a-z 0-9 _ . -, not starting with . or -",
}


class _NotSet:
    """The value shown for a key that is missing (rather than its parent mapping)."""

    def __repr__(self) -> str:
        return "(not set)"


NOT_SET: Any = _NotSet()


@dataclass(frozen=True)
class Message:
    """One problem, before `components.config.schema` names the key the user's way."""

    loc: Location
    value: Any
    problem: str
    fix: str


# --- walking the models --------------------------------------------------------------------------------------


def _strip(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` -> X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    stripped = _strip(annotation)
    return stripped if isinstance(stripped, type) and issubclass(stripped, BaseModel) else None


def _item(annotation: Any) -> Any:
    """The item type of `list[X]` (or None when it is not a list)."""
    stripped = _strip(annotation)
    return get_args(stripped)[0] if get_origin(stripped) is list else None


def _key_of(field_name: str, field: FieldInfo) -> str:
    return field.alias or field_name


def keys_of(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The model's fields by the key the user writes (camelCase alias)."""
    return {_key_of(name, field): field for name, field in model.model_fields.items()}


def _annotation_at(root: type[BaseModel], loc: Location) -> Any:
    """The annotation of the value at `loc` (None when the location is not in the models)."""
    annotation: Any = root
    for part in loc:
        if isinstance(part, int):
            annotation = _item(annotation)
        else:
            model = _model(annotation)
            field = keys_of(model).get(part) if model else None
            annotation = field.annotation if field else None
        if annotation is None:
            return None
    return annotation


def field_at(root: type[BaseModel], loc: Location) -> FieldInfo | None:
    """The field declaring the key at `loc` (for a list item: the list's field)."""
    names = [part for part in loc if isinstance(part, str)]
    if not names:
        return None
    last = max(index for index, part in enumerate(loc) if isinstance(part, str))
    model = _model(_annotation_at(root, loc[:last]))
    return keys_of(model).get(names[-1]) if model else None


def _sections(root: type[BaseModel], path: str = "") -> Iterator[tuple[str, type[BaseModel]]]:
    """Every model of the config with its dotted path (list items as `key[]`)."""
    yield path, root
    for key, field in keys_of(root).items():
        child = f"{path}.{key}" if path else key
        nested = _model(field.annotation)
        if nested is not None:
            yield from _sections(nested, child)
        item = _item(field.annotation)
        if item is not None and _model(item) is not None:
            yield from _sections(_model(item), f"{child}[]")  # type: ignore[arg-type]


# --- one message per error -----------------------------------------------------------------------------------


def _example(field: FieldInfo | None) -> str:
    """`, e.g. <the default>` when the field has a plain default worth showing."""
    if field is None or field.default in (PydanticUndefined, None) or field.default_factory is not None:
        return ""
    return f", e.g. {json.dumps(field.default)}"


def _purpose(field: FieldInfo | None) -> str:
    """The field's docstring, first sentence, as `: what it is`."""
    if field is None or not field.description:
        return ""
    return f": {field.description.split('. ')[0].rstrip('.')}"


def _choices(field: FieldInfo | None, expected: str) -> str:
    annotation = _strip(field.annotation) if field else None
    if get_origin(annotation) is Literal:
        return ", ".join(json.dumps(choice) for choice in get_args(annotation))
    return expected


def _unknown_key(root: type[BaseModel], loc: Location, qualify: Qualify) -> tuple[str, str]:
    parent_loc, unknown = loc[:-1], str(loc[-1])
    parent = _model(_annotation_at(root, parent_loc))
    known = sorted(keys_of(parent)) if parent else []
    where = f"a key of {qualify(parent_loc)}" if parent_loc else "a known key"
    lowered = {key.lower(): key for key in known}
    close = lowered.get(unknown.lower().replace("_", "")) or next(
        iter(difflib.get_close_matches(unknown, known, n=1, cutoff=0.6)), None
    )
    if close is not None:
        return f"is not {where}", f"rename it to {qualify((*parent_loc, close))}, the closest known key"
    homes = [path for path, model in _sections(root) if unknown in keys_of(model) and path]
    if homes:
        return f"is not {where}", f"it belongs under {qualify(tuple(homes[0].split('.')))}: move it there"
    return f"is not {where}", f"remove it, or use one of: {', '.join(known)}"


# Errors about a value, by pydantic error type: (value, error context, example) -> (problem, fix). The example
# is `, e.g. <default>` or empty.
_ValueMessage = Callable[[Any, Mapping[str, Any], str], tuple[str, str]]

# Range errors (Field(ge=..., le=...)) by pydantic error type: the error context's key of the bound, then the
# problem and the fix, each naming the bound at `{}`.
RANGE_WORDS: dict[str, tuple[str, str, str]] = {
    "less_than_equal": ("le", "is more than {}", "use {} or less"),
    "greater_than_equal": ("ge", "is less than {}", "use {} or more"),
    "less_than": ("lt", "is not less than {}", "use less than {}"),
    "greater_than": ("gt", "is not more than {}", "use more than {}"),
}


def _range_message(bound: str, problem: str, fix: str) -> _ValueMessage:
    """The message of one range error: the problem and the fix, both naming the bound."""
    return lambda value, context, example: (problem.format(context[bound]), fix.format(context[bound]))


VALUE_MESSAGES: dict[str, _ValueMessage] = {
    **dict.fromkeys(
        ("int_parsing", "int_type", "int_from_float"),
        lambda value, context, example: ("is not a whole number", f"write a whole number without quotes{example}"),
    ),
    **dict.fromkeys(
        ("bool_parsing", "bool_type"),
        lambda value, context, example: ("is not true or false", f"write true or false{example}"),
    ),
    "string_type": lambda value, context, example: (
        "is not text", f"write it as text (quoted when it looks like a number){example}",
    ),
    "list_type": lambda value, context, example: (
        "is not a list", f"write it as a YAML list, e.g. {json.dumps([value])}",
    ),
    "string_pattern_mismatch": lambda value, context, example: (
        "does not have the allowed form",
        f"use {PATTERN_WORDS.get(context['pattern'], 'the form the README config reference describes')}{example}",
    ),
    "string_too_short": lambda value, context, example: (
        "is too short", f"use at least {context['min_length']} character(s){example}",
    ),
    "string_too_long": lambda value, context, example: (
        "is too long", f"use at most {context['max_length']} characters{example}",
    ),
    "too_short": lambda value, context, example: (
        f"lists {context['actual_length']} items", f"list at least {context['min_length']}{example}",
    ),
    "too_long": lambda value, context, example: (
        f"lists {context['actual_length']} items", f"list at most {context['max_length']}",
    ),
    **{kind: _range_message(*words) for kind, words in RANGE_WORDS.items()},
}  # fmt: skip


def message(root: type[BaseModel], detail: ErrorDetails, qualify: Qualify) -> Message:
    """One pydantic error detail as a specific problem and fix. `qualify(loc)` spells a key for the user."""
    loc, kind = tuple(detail["loc"]), detail["type"]
    context: Mapping[str, Any] = detail.get("ctx") or {}
    value = detail.get("input")
    field = field_at(root, loc)
    if kind == "dicomstore":
        problem, fix = context["problem"], context["fix"]
    elif kind == "missing":
        section = f"the entry {qualify(loc[:-1])}" if loc[:-1] else "the config: section of Pulumi.<stack>.yaml"
        return Message(loc, NOT_SET, f"is missing from {section}", f"add it there{_purpose(field)}")
    elif kind == "extra_forbidden":
        problem, fix = _unknown_key(root, loc, qualify)
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        nested = _model(_annotation_at(root, loc))
        keys = ", ".join(sorted(keys_of(nested))) if nested else "its keys"
        problem, fix = "is not a mapping of keys", f"indent its keys under it, chosen among: {keys}"
    elif kind == "literal_error":
        problem, fix = "is not one of the choices", f"use one of {_choices(field, context['expected'])}"
    elif kind in VALUE_MESSAGES:
        problem, fix = VALUE_MESSAGES[kind](value, context, _example(field))
    else:
        problem = detail["msg"].rstrip(".")
        fix = f"see {qualify(loc)} in the README's config reference{_purpose(field)}"
    return Message(loc, value, problem, fix)


# --- duplicates ----------------------------------------------------------------------------------------------


def duplicates(values: Any, qualify: Qualify, loc: Location = ()) -> Iterator[Message]:
    """Every list item (at any depth of the raw values) that repeats an earlier item of its list."""
    if isinstance(values, Mapping):
        for key, value in values.items():
            yield from duplicates(value, qualify, (*loc, key))
    elif isinstance(values, list):
        seen: dict[str, int] = {}
        for index, item in enumerate(values):
            canonical = json.dumps(item, sort_keys=True, default=str)
            if canonical in seen:
                first = (*loc, seen[canonical])
                yield Message((*loc, index), item, f"repeats {qualify(first)}", "list each item once: remove this one")
            else:
                seen[canonical] = index
            yield from duplicates(item, qualify, (*loc, index))
