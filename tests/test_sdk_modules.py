"""The offline engine's SDK stand-ins give a program exactly what the SDK's own `__init__` files would."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pulumi_kubernetes
import pulumi_oci
import pytest

from offline.sdk_modules import _STAR_IMPORT, declared_names, exports, is_generated_package
from tests.support import PROJECT_DIR

SUBPACKAGES = sorted(
    directory
    for top in (pulumi_oci, pulumi_kubernetes)
    for directory in Path(top.__path__[0]).rglob("*")
    if (directory / "__init__.py").is_file() and directory != Path(top.__path__[0])
)


def test_only_two_subpackages_are_left_to_their_own_init() -> None:
    """pulumi_oci.config swaps its module class; pulumi_kubernetes.helm.v3 star-imports a module without
    `__all__`. Every other subpackage is indexed."""
    site = Path(pulumi_oci.__path__[0]).parent
    others = [
        directory.relative_to(site).as_posix() for directory in SUBPACKAGES if not is_generated_package(directory)
    ]
    assert others == ["pulumi_kubernetes/helm/v3", "pulumi_oci/config"]


@pytest.mark.parametrize("top", ["pulumi_oci", "pulumi_kubernetes"])
def test_no_name_is_exported_by_two_modules_of_a_subpackage(top: str) -> None:
    """With every name in one module only, resolving it there equals the star imports, whatever their order."""
    checked = 0
    for directory in SUBPACKAGES:
        if top not in directory.parts or not is_generated_package(directory):
            continue
        init = (directory / "__init__.py").read_text()
        counts = Counter(name for module in _STAR_IMPORT.findall(init) for name in exports(directory / f"{module}.py"))
        assert [name for name, count in counts.items() if count > 1] == [], directory
        checked += 1
    assert checked > 20


def test_the_index_finds_resources_args_and_input_types_in_their_own_modules() -> None:
    identity = Path(pulumi_oci.__path__[0]) / "identity"
    index = declared_names(identity)
    assert (index["Compartment"], index["CompartmentArgs"], index["get_compartment"]) == (
        "compartment", "compartment", "get_compartment",
    )  # fmt: skip
    assert index["DomainsAppAliasAppArgs"] == "_inputs"
    assert set(index.values()) == set(_STAR_IMPORT.findall((identity / "__init__.py").read_text()))


def test_a_program_gets_the_real_classes_and_loads_only_their_modules() -> None:
    """In a fresh interpreter: the same objects as the SDK's own exports, a fraction of the modules."""
    script = """
import sys
from offline.sdk_modules import use_only_needed_sdk_modules
use_only_needed_sdk_modules()
import pulumi_oci as oci, pulumi_kubernetes as k8s
from pulumi_oci.containerengine import ContainerInstanceContainerVolumeMountArgs
picked = [oci.identity.Compartment, oci.identity.CompartmentArgs, oci.core.Vcn, k8s.core.v1.Namespace,
          oci.identity.get_compartment_output, ContainerInstanceContainerVolumeMountArgs]
loaded = sum(name.startswith("pulumi_oci.identity.") for name in sys.modules)
try:
    oci.identity.NoSuchThing
except AttributeError:
    missing = "AttributeError"
import importlib
real = []
for package in ("pulumi_oci.identity", "pulumi_oci.core", "pulumi_kubernetes.core.v1", "pulumi_oci.containerengine"):
    del sys.modules[package]
    real.append(importlib.import_module(package))
expected = [real[0].Compartment, real[0].CompartmentArgs, real[1].Vcn, real[2].Namespace,
            real[0].get_compartment_output, real[3].ContainerInstanceContainerVolumeMountArgs]
print(all(a is b for a, b in zip(picked, expected)), loaded, missing,
      sum(name.startswith("pulumi_oci.identity.") for name in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    same, loaded_before, missing, loaded_after = result.stdout.split()
    assert (same, missing) == ("True", "AttributeError")
    assert int(loaded_before) <= 5 and int(loaded_after) > 200


def test_an_sdk_already_partly_loaded_is_left_as_it_is() -> None:
    """Its loaded modules may hold the lazy subpackages; replacing those would break their next load."""
    script = """
import sys
import pulumi_kubernetes.meta.v1
from offline.sdk_modules import SdkPackage, use_only_needed_sdk_modules
use_only_needed_sdk_modules()
import pulumi_kubernetes as k8s, pulumi_oci as oci
print(isinstance(sys.modules["pulumi_kubernetes.core"], SdkPackage), isinstance(oci.identity, SdkPackage),
      k8s.core.v1.Namespace.__module__)
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True", "pulumi_kubernetes.core.v1.Namespace"]
