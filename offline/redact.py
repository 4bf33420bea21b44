"""Redaction of secret values in the engine representation (everything an offline report prints or writes)."""

from __future__ import annotations

from typing import Any

# Pulumi's wire markers (sdk/go/common/resource/sig): a secret is {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
REDACTED = "[secret]"


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def mark_secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def redact(value: Any) -> Any:
    """A copy of `value` with every secret replaced by "[secret]" and every unknown by "[unknown]"."""
    if is_secret(value):
        return REDACTED
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    if value == UNKNOWN:
        return "[unknown]"
    return value
