"""Every input the shipped stacks send to a provider is a property the provider SDK defines.

Pulumi mocks accept any input, so a misspelt nested key in a plain dict (`shape_details={...}`,
`network_details={...}`, `containers=[{...}]`) or a misspelt property name passes every offline test and
fails only on a real `pulumi up`. This module checks each recorded `oci:` and `kubernetes:` resource (and
the explicit providers) of both shipped stacks, and of config variants of them that take the branches the
shipped stacks skip (model deployment, network load balancer, static IPSec, ...), against the installed SDKs: the resource's `*Args` input class gives the
camelCase property names and types (from its `pulumi.getter(name=...)` properties, via the SDK's own
`input_type_types`), and each nested `*Args` class found in those types gives the keys allowed below it, at
every depth (through lists, maps and secrets). Kubernetes `Literal` types (apiVersion, kind) are compared by
value. Nothing is hard-coded. OCI enum-like strings are plain `str` in the SDK (allowed values live only in
docstrings), so their values are not checked here.
"""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import json
import runpy
import typing
from functools import cache
from typing import Any

import pulumi
import pytest
from pulumi import _types as pulumi_types

from offline.engine import pulumi_json, read_stack_settings, record_program
from offline.records import ResourceRecord
from offline.redact import UNKNOWN, is_secret
from tests.support import PROJECT_DIR, Recorded

PROVIDER_PACKAGES = {"oci": "pulumi_oci", "kubernetes": "pulumi_kubernetes"}


def module_and_class(type_token: str) -> tuple[str, str]:
    """The SDK module and resource class of a type token.

    oci:Core/vcn:Vcn -> (pulumi_oci.core, Vcn); kubernetes:networking.k8s.io/v1:NetworkPolicy ->
    (pulumi_kubernetes.networking.v1, NetworkPolicy); pulumi:providers:oci -> (pulumi_oci, Provider).
    """
    package, module, class_name = type_token.split(":")
    if package == "pulumi" and module == "providers":
        return PROVIDER_PACKAGES[class_name], "Provider"
    sdk = PROVIDER_PACKAGES[package]
    if package == "oci":
        return f"{sdk}.{module.split('/')[0].lower()}", class_name
    group, version = module.split("/")
    # Kubernetes API groups map to the SDK's short module names (networking.k8s.io -> networking).
    return f"{sdk}.{group.split('.')[0]}.{version}", class_name


@cache
def args_class(type_token: str) -> type:
    """The SDK's `*Args` input class for a resource type token (checked to really register that token)."""
    module_name, class_name = module_and_class(type_token)
    module = importlib.import_module(module_name)
    resource_class = getattr(module, class_name)
    if not type_token.startswith("pulumi:providers:"):
        # The class must be the one that registers this token, or the mapping above picked a namesake.
        assert f"'{type_token}'" in inspect.getsource(resource_class), f"{module_name}.{class_name} is not {type_token}"
    args: type = getattr(module, f"{class_name}Args")
    return args


@cache
def properties(input_class: type) -> dict[str, Any]:
    """camelCase property name -> type hint, exactly as the SDK translates its `*Args` class for the engine."""
    return dict(pulumi_types.input_type_types(input_class))


def _element_type(hint: Any) -> Any:
    """The T of Input[T] / Optional[T] / Output[T] (the SDK's own unwrapping, applied until it settles)."""
    while True:
        unwrapped = pulumi_types.unwrap_type(hint)
        if unwrapped is hint:
            return hint
        hint = unwrapped


def _union_members(hint: Any) -> tuple[Any, ...]:
    """The usable members of a Union (awaitables and outputs of the same T are not separate shapes)."""
    members = []
    for member in typing.get_args(hint):
        origin = typing.get_origin(member)
        if member is type(None) or origin is pulumi.Output or origin in (typing.Awaitable, collections.abc.Awaitable):
            continue
        members.append(member)
    return tuple(members)


def problems(value: Any, hint: Any, path: str) -> list[str]:
    """Every key in `value` the type `hint` does not define, and every shape `hint` cannot hold, by key path."""
    while is_secret(value):
        value = value["value"]
    if value is None or value == UNKNOWN or hint is Any:
        return []
    hint = _element_type(hint)
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        candidates = [problems(value, member, path) for member in _union_members(hint)]
        return min(candidates, key=len) if candidates else []
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        return [] if value in allowed else [f"{path}: {value!r} is not one of {allowed!r}"]
    if origin is None:
        return _leaf_problems(value, hint, path)
    return _collection_problems(value, hint, path)


def _collection_problems(value: Any, hint: Any, path: str) -> list[str]:
    origin = typing.get_origin(hint)
    if origin in (collections.abc.Sequence, list):
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        (item_hint,) = typing.get_args(hint)
        return [
            problem for index, item in enumerate(value) for problem in problems(item, item_hint, f"{path}[{index}]")
        ]
    assert origin in (collections.abc.Mapping, dict), f"{path}: no check for {hint}"
    if not isinstance(value, dict):
        return [f"{path}: expected a map, got {type(value).__name__}"]
    _, item_hint = typing.get_args(hint)
    return [problem for key, item in value.items() for problem in problems(item, item_hint, f"{path}.{key}")]


def _leaf_problems(value: Any, hint: Any, path: str) -> list[str]:
    if isinstance(hint, type) and pulumi_types.is_input_type(hint):
        if not isinstance(value, dict):
            return [f"{path}: expected an object ({hint.__name__}), got {type(value).__name__}"]
        return object_problems(value, hint, path)
    if isinstance(value, (dict, list)):
        return [f"{path}: expected {getattr(hint, '__name__', hint)}, got {type(value).__name__}"]
    return []


def object_problems(value: dict[str, Any], input_class: type, path: str) -> list[str]:
    allowed = properties(input_class)
    found: list[str] = []
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key not in allowed:
            found.append(f"{where}: not a property of {input_class.__module__}.{input_class.__name__}")
        else:
            found.extend(problems(item, allowed[key], where))
    return found


def record_problems(record: ResourceRecord) -> list[str]:
    """What a real provider would reject in this resource's inputs, each prefixed with the resource's URN."""
    inputs = record.inputs
    if record.type.startswith("pulumi:providers:"):
        # Provider SDKs JSON-encode non-string settings before registration: only the names can be checked.
        inputs = dict.fromkeys(inputs)
    return [f"{record.urn}: {problem}" for problem in object_problems(inputs, args_class(record.type), "")]


def provider_records(plan: Recorded) -> list[ResourceRecord]:
    return [record for record in plan if record.custom and not record.type.startswith("dicomstore:")]


# Branches the shipped stacks do not take, each reached by overriding config sections of a shipped stack; the
# types listed are those only the variant registers (so a variant that stops reaching its branch fails).
VARIANTS: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "prod-alternatives": (
        "prod",
        {
            "ai": {
                "modelDeploymentEnabled": True,
                "modelOcid": "ocid1.datasciencemodel.oc1.eu-frankfurt-1.aaaaaaaaexamplemodel000000000000000000000000000000000000",
            },
            "orthanc": {"dicomTls": False, "modalityCaBundleOcid": None},
            "oke": {
                "orthancMaxReplicas": 6,
                "imageVerificationKeyOcid": "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaaexamplekey00000000000000000000000000000000000000000",
            },
            "network": {"publicLoadBalancer": True},
            "storage": {"autoTiering": False},
            "connectivity": {"fastconnect": {"ipMtu": "MTU_9000", "bfdEnabled": True}},
        },
        (
            "oci:DataScience/modelDeployment:ModelDeployment",
            "oci:NetworkLoadBalancer/networkLoadBalancer:NetworkLoadBalancer",
            "oci:ContainerEngine/addon:Addon",
            "oci:Core/internetGateway:InternetGateway",
            "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        ),
    ),
    "dev-alternatives": (
        "dev",
        {
            "orthanc": {"dicomTls": False, "modalityCaBundleOcid": None},
            "connectivity": {"ipsec": {"enabled": True, "routing": "STATIC", "cpeIpAddress": "203.0.113.10"}},
        },
        ("oci:Core/ipsec:Ipsec", "oci:NetworkLoadBalancer/networkLoadBalancer:NetworkLoadBalancer"),
    ),
}


def _merged(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{key: _merged(base.get(key), value) for key, value in override.items()}}
    return override


def variant_plan(stack: str, overrides: dict[str, Any]) -> Recorded:
    """The whole program planned for a shipped stack with some config sections overridden (merged)."""
    settings = read_stack_settings(PROJECT_DIR, stack)
    config = dict(settings.config)
    for section, values in overrides.items():
        key = f"{settings.project}:{section}"
        config[key] = pulumi_json(_merged(json.loads(config.get(key, "{}")), values))
    records, outputs = record_program(
        lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__main__"),
        settings.project, stack, config, settings.secret_keys,
    )  # fmt: skip
    return Recorded(records, outputs)


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> tuple[Recorded, tuple[str, ...]]:
    stack, overrides, reached = VARIANTS[request.param]
    return variant_plan(stack, overrides), reached


def assert_sdk_defines_every_input(plan: Recorded) -> None:
    resources = provider_records(plan)
    assert any(record.type.startswith("oci:") for record in resources)
    found = [problem for record in resources for problem in record_problems(record)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_provider_input_is_defined_by_the_sdk(stack: str, request: pytest.FixtureRequest) -> None:
    assert_sdk_defines_every_input(request.getfixturevalue(f"{stack}_plan"))


def test_every_provider_input_of_the_branches_the_shipped_stacks_skip_is_defined_by_the_sdk(
    variant: tuple[Recorded, tuple[str, ...]],
) -> None:
    plan, reached = variant
    assert set(reached) <= {record.type for record in plan}
    assert_sdk_defines_every_input(plan)


def test_the_plans_reach_only_providers_this_module_checks(
    dev_plan: Recorded, prod_plan: Recorded, variant: tuple[Recorded, tuple[str, ...]]
) -> None:
    types = {record.type for plan in (dev_plan, prod_plan, variant[0]) for record in provider_records(plan)}
    unchecked = {token for token in types if token.split(":")[0] not in (*PROVIDER_PACKAGES, "pulumi")}
    assert not unchecked, f"no SDK check for {sorted(unchecked)}"
    assert any(token.startswith("kubernetes:") for token in types)


def synthetic(type_token: str, inputs: dict[str, Any]) -> ResourceRecord:
    return ResourceRecord(
        urn=f"urn:pulumi:test::dicomstore::{type_token}::bad", type=type_token, name="bad", inputs=inputs
    )


@pytest.mark.parametrize(
    ("type_token", "inputs", "expected"),
    [
        # A misspelt top-level property.
        ("oci:Core/vcn:Vcn", {"compartmentId": "c", "cidrBlocs": ["10.0.0.0/16"]}, "cidrBlocs: not a property"),
        # A misspelt key in a plain-dict input, one level down.
        (
            "oci:Core/drgAttachment:DrgAttachment",
            {"drgId": "d", "networkDetails": {"type": "VCN", "vcnId": "v"}},
            "networkDetails.vcnId: not a property of pulumi_oci.core._inputs.DrgAttachmentNetworkDetailsArgs",
        ),
        # Inside a list of objects, two levels down.
        (
            "oci:ContainerEngine/containerInstance:ContainerInstance",
            {"containers": [{"imageUrl": "i", "healthChecks": [{"healthCheckType": "HTTP", "url": "/"}]}]},
            "containers[0].healthChecks[0].url: not a property",
        ),
        # A behind-a-secret nested key.
        (
            "oci:Psql/dbSystem:DbSystem",
            {
                "credentials": {
                    "username": "u",
                    "passwordDetails": {
                        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                        "value": {"password": "p", "secretVersionNumber": "1"},
                    },
                }
            },
            "credentials.passwordDetails.secretVersionNumber: not a property",
        ),
        # An object where the SDK expects a string.
        ("oci:Core/vcn:Vcn", {"compartmentId": {"id": "c"}}, "compartmentId: expected str, got dict"),
        # A Kubernetes literal and a misspelt container field.
        (
            "kubernetes:apps/v1:Deployment",
            {
                "apiVersion": "apps/v1beta1",
                "kind": "Deployment",
                "spec": {
                    "template": {"spec": {"containers": [{"name": "c", "imagePullPolicy": "Always", "imageTag": "x"}]}}
                },
            },
            "apiVersion: 'apps/v1beta1' is not one of ('apps/v1',)",
        ),
        ("pulumi:providers:oci", {"region": "r", "regionName": "r"}, "regionName: not a property"),
    ],
)
def test_the_check_names_the_urn_and_key_path_of_an_unknown_key(
    type_token: str, inputs: dict[str, Any], expected: str
) -> None:
    bad = synthetic(type_token, inputs)
    found = record_problems(bad)
    assert any(problem.startswith(f"{bad.urn}: {expected}") for problem in found), found


def test_the_check_accepts_defined_keys_at_every_level() -> None:
    good = synthetic(
        "oci:ContainerEngine/containerInstance:ContainerInstance",
        {
            "compartmentId": "c",
            "containers": [{"imageUrl": "i", "healthChecks": [{"healthCheckType": "HTTP", "path": "/", "port": 8042}]}],
            "shapeConfig": {"ocpus": 1, "memoryInGbs": 8},
            "freeformTags": {"stack": "dev"},
        },
    )
    assert record_problems(good) == []
