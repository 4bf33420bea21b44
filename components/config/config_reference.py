"""The README's config reference, generated from the config models so the two cannot drift apart.

python -m components.config.config_reference            # print the Markdown table
python -m components.config.config_reference README.md  # rewrite the table between the README's markers
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from components.config.schema import FOREIGN_KEYS, NAMESPACE, StackConfig


def _default(model: type[BaseModel], name: str) -> str:
    field = model.model_fields[name]
    if field.default is PydanticUndefined and field.default_factory is None:
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(section)"
    return f"`{json.dumps(value)}`"


def _rows(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, str, str]]:
    for name, field in model.model_fields.items():
        key = FOREIGN_KEYS.get(name) or f"{prefix}{field.alias or name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _rows(annotation, f"{key}.")
        else:
            yield key, _default(model, name), " ".join((field.description or "").split())


def config_reference() -> str:
    """Markdown table: key, default, meaning."""
    lines = ["| key | default | meaning |", "|---|---|---|"]
    lines += [f"| `{key}` | {default} | {meaning} |" for key, default, meaning in _rows(StackConfig, f"{NAMESPACE}:")]
    return "\n".join(lines)


START_MARKER = "<!-- config-reference:start (generated: python -m components.config.config_reference README.md) -->"
END_MARKER = "<!-- config-reference:end -->"


def with_reference(readme: str) -> str:
    """The README text with the generated table between the markers."""
    head, _, rest = readme.partition(START_MARKER)
    _, _, tail = rest.partition(END_MARKER)
    return f"{head}{START_MARKER}\n{config_reference()}\n{END_MARKER}{tail}"


if __name__ == "__main__":
    if len(sys.argv) > 1:
        readme_path = Path(sys.argv[1])
        readme_path.write_text(with_reference(readme_path.read_text()))
    else:
        print(config_reference())
