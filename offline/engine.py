"""The offline engine: run `__main__.py` under Pulumi's mocks and record every resource as registered.

What a real `pulumi preview` would do, minus the cloud:
* config comes from `Pulumi.<stack>.yaml` (the same file `pulumi up` reads);
* the program runs inside a coroutine, as the Python language host runs it, so stack transforms can be
  registered; the recording monitor applies them the way the engine does (the stock mock monitor does not);
* `RecordingMonitor` sees what `Mocks.new_resource` cannot: parent, protect, retain-on-delete, dependencies,
  and the inputs in the engine representation (camelCase keys, secrets as signature dicts);
* URNs are built like the engine builds them (the root stack's type is not part of a child's type chain);
* invokes are answered from `offline.invokes` and fail loudly when unknown.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import inspect
import json
import runpy
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as runtime_settings

from offline.invokes import answer_invoke
from offline.provider_outputs import created_state
from offline.records import ResourceRecord
from offline.redact import mark_secret
from offline.sdk_modules import use_only_needed_sdk_modules

STACK_TYPE = "pulumi:pulumi:Stack"


class StackFileError(RuntimeError):
    """A missing or unreadable Pulumi.yaml / Pulumi.<stack>.yaml."""


@dataclass(frozen=True)
class StackSettings:
    """What the offline run needs from the project's Pulumi files."""

    project_dir: Path
    project: str
    stack: str
    config: dict[str, str]
    """Fully qualified keys (`dicomstore:network`) -> values as the engine passes them (JSON for objects)."""
    secret_keys: tuple[str, ...]


def read_stack_settings(project_dir: Path, stack: str) -> StackSettings:
    """Read Pulumi.yaml (project name) and Pulumi.<stack>.yaml (config) like the CLI does."""
    project_file = _read_yaml(project_dir / "Pulumi.yaml")
    if not isinstance(project_file, dict) or not isinstance(project_file.get("name"), str):
        raise StackFileError("Pulumi.yaml has no `name:`. Fix: add `name: dicomstore` as its first line")
    project = project_file["name"]
    if not (project_dir / f"Pulumi.{stack}.yaml").is_file():
        stacks = sorted(path.name.split(".")[1] for path in project_dir.glob("Pulumi.*.yaml"))
        raise StackFileError(
            f"Pulumi.{stack}.yaml does not exist in {project_dir}. Fix: pass --stack with one of "
            f"{', '.join(stacks) or 'no stack yet'}, or copy Pulumi.dev.yaml to Pulumi.{stack}.yaml"
        )
    stack_file = _read_yaml(project_dir / f"Pulumi.{stack}.yaml")
    if stack_file is None:
        raise StackFileError(
            f"Pulumi.{stack}.yaml is empty. Fix: add a `config:` section with oci:region, dicomstore:tenancyOcid "
            "and dicomstore:parentCompartmentOcid (Pulumi.dev.yaml is a complete example)"
        )
    if not isinstance(stack_file, dict) or not isinstance(stack_file.get("config"), dict):
        raise StackFileError(
            f"Pulumi.{stack}.yaml has no `config:` section (a mapping of keys). Fix: put the stack's keys, indented, "
            "under a top-level `config:` line, as in Pulumi.dev.yaml"
        )
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in stack_file["config"].items():
        qualified = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Encrypted with the stack's secrets provider, which the offline run has no key for.
            config[qualified] = "[encrypted]"
            secret_keys.append(qualified)
        else:
            config[qualified] = value if isinstance(value, str) else pulumi_json(value)
    return StackSettings(project_dir, project, stack, config, tuple(secret_keys))


def _read_yaml(path: Path) -> Any:
    """A YAML file's content; a missing file or a syntax error is one line naming file, line and column."""
    try:
        return yaml.safe_load(path.read_text())
    except OSError as error:
        raise StackFileError(f"{path.name} cannot be read ({error.strerror}). Fix: run from the project folder "
                             "(the one holding Pulumi.yaml) or pass --project-dir") from error  # fmt: skip
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path.name} line {mark.line + 1}, column {mark.column + 1}" if mark else path.name
        problem = " ".join(part for part in (error.context, error.problem) if part)
        opened = error.context_mark.line + 1 if error.context_mark else None
        raise StackFileError(f"{where}: {problem}. Fix: {_yaml_fix(problem, opened)}") from error
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name}: {error}. Fix: check the file is YAML, as in Pulumi.dev.yaml") from error


# The usual cause of a YAML syntax error, by a phrase of the parser's problem text; `{opened}` is the line
# where the construct the parser was reading began.
YAML_FIXES = (
    ("quoted scalar", "close the quote opened on line {opened}"),
    ("flow sequence", "close the bracket opened on line {opened}"),
    ("flow mapping", "close the brace opened on line {opened}"),
    ("'\\t'", "indent with spaces, not tabs"),
    ("mapping values are not allowed", "put one `key: value` per line, and quote a value that itself contains ': '"),
    ("undefined alias", "define each &anchor before any *alias that uses it"),
    ("<block end>", "indent the line like its siblings (2 spaces per level)"),
)


def _yaml_fix(problem: str, opened: int | None) -> str:
    fixes = (fix.format(opened=opened) for phrase, fix in YAML_FIXES if phrase in problem)
    return next(fixes, "check the indentation (2 spaces per level) and quoting on that line and the one before")


def pulumi_json(value: Any) -> str:
    """Structured config as the engine hands it to a program: compact JSON. The Pulumi CLI reads stack files
    with a YAML parser that keeps `2027-01-31` a string; PyYAML makes it a date, written back as that string."""
    return json.dumps(value, separators=(",", ":"), default=_yaml_scalar)


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a stack config value")


def _plain_numbers(value: Any) -> Any:
    """protobuf Structs carry every number as a double; give integral ones back as int, as written."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(item) for item in value]
    return value


class OfflineMocks(pulumi.runtime.Mocks):
    """Creates resources with realistic ids and provider-computed outputs; answers invokes by token."""

    def __init__(self, region: str) -> None:
        self.region = region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ.startswith("pulumi:providers:"):
            return args.name, dict(args.inputs)
        return created_state(args.typ, args.name, args.inputs, self.region)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        # A plain dict: the mock monitor reads a tuple's second item as a list of check failures.
        return answer_invoke(args.token, args.args, self.region)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that applies stack transforms and records each registration."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.records: list[ResourceRecord] = []
        self.stack_urn = ""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent and parent != self.stack_urn:
            qualified = parent.split("::")[2] + "$" + type_
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{qualified}::{name}"

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.type == STACK_TYPE:
            self.stack_urn = self.make_urn("", request.type, request.name)
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]
        inputs = self._apply_transforms(request, json_format.MessageToDict(request.object))
        request.object.Clear()
        request.object.update(inputs)
        urn = self.make_urn(request.parent, request.type, request.name)
        self.records.append(
            ResourceRecord(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                dependencies=tuple(sorted(request.dependencies)),  # a set to the engine; sorted, so runs agree
                inputs=_plain_numbers(inputs),
                custom=bool(request.custom),
                aliases=tuple(self._alias_urn(request, alias) for alias in request.aliases),
            )
        )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    def _alias_urn(self, request: Any, alias: Any) -> str:
        """An alias's URN: a spec's unset name, type and parent are the resource's own (`noParent`: the stack)."""
        if alias.WhichOneof("alias") == "urn":
            return str(alias.urn)
        spec = alias.spec
        parent = "" if spec.noParent else spec.parentUrn or request.parent
        return self.make_urn(parent, spec.type or request.type, spec.name or request.name)

    def _apply_transforms(self, request: Any, props: dict[str, Any]) -> dict[str, Any]:
        """Run the registered stack transforms in order, as the engine does before a registration."""
        for transform in self.get_registered_transforms():
            result = transform(
                pulumi.ResourceTransformArgs(
                    custom=bool(request.custom),
                    type_=request.type,
                    name=request.name,
                    props=props,
                    opts=pulumi.ResourceOptions(),
                )
            )
            if inspect.isawaitable(result):
                raise TypeError("the offline engine runs synchronous stack transforms only")
            if result is not None:
                props = dict(result.props)
        return props


@dataclass(frozen=True)
class PlanRun:
    """The outcome of one offline run of the program."""

    settings: StackSettings
    records: tuple[ResourceRecord, ...]
    outputs: dict[str, Any]
    """Stack outputs in the engine representation (secrets as signature dicts)."""


async def _resolve_outputs(stack: pulumi.Resource | None) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for key, value in (getattr(stack, "outputs", None) or {}).items():
        output = pulumi.Output.from_input(value)
        plain = await output.future()
        resolved[key] = mark_secret(plain) if await output.is_secret() else plain
    return resolved


def record_program(
    program: Callable[[], object], project: str, stack: str, config: Mapping[str, str], secret_keys: Sequence[str] = ()
) -> tuple[tuple[ResourceRecord, ...], dict[str, Any]]:
    """Run `program` under the recording mocks in a fresh context; return its records and stack outputs.

    A fresh context per run keeps the Pulumi runtime's globals (root stack, config, settings) of one run out
    of the next, so several plans (and component tests) can run in one process.
    """

    def run() -> tuple[tuple[ResourceRecord, ...], dict[str, Any]]:
        # Everything of this run, the root stack set_mocks creates included, lives on one new event loop.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        mocks = OfflineMocks(config.get("oci:region", ""))
        monitor = RecordingMonitor(mocks)
        pulumi.runtime.set_all_config(dict(config), list(secret_keys))
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
        # The SDK's set of pending output tasks defaults to one process-wide set that set_mocks does not
        # replace: a failed earlier run would leave tasks of its closed loop in it.
        runtime_settings.SETTINGS.outputs = set()

        async def main() -> dict[str, Any]:
            program()
            await pulumi.runtime.stack.wait_for_rpcs()
            return await _resolve_outputs(pulumi.runtime.get_root_resource())

        try:
            outputs = loop.run_until_complete(main())
        finally:
            loop.close()
            asyncio.set_event_loop(None)
        # Registration order follows when outputs resolve on the event loop, which varies from run to run;
        # URN order makes the plan (JSON, tree, cost lines) byte-identical for the same program and config.
        return tuple(sorted(monitor.records, key=lambda record: record.urn)), outputs

    return contextvars.Context().run(run)


def run_program(project_dir: Path, stack: str) -> PlanRun:
    """Run the project's program for `stack` under mocks and return every registered resource."""
    settings = read_stack_settings(project_dir, stack)
    use_only_needed_sdk_modules()
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    records, outputs = record_program(
        lambda: runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__"),
        settings.project, settings.stack, settings.config, settings.secret_keys,
    )  # fmt: skip
    return PlanRun(settings, records, outputs)
