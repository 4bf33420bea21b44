"""Load only the provider SDK modules a program uses: most of an offline plan's time was importing unused ones.

pulumi-oci and pulumi-kubernetes make each service a lazily imported subpackage (`pulumi_oci.identity`), but
the first name read from one runs its `__init__.py`, which star-imports every module of the service: reading
`oci.identity.Compartment` loads all 230 identity modules (the identity domains API), `oci.core.Vcn` all 247
core ones, `k8s.core.v1.Namespace` every core/v1 kind. That was about 70% of a dev plan's CPU time.

`use_only_needed_sdk_modules()` puts an `SdkPackage` in place of each subpackage not loaded yet. It resolves a
name to the one module whose `__all__` declares it, read from the installed files (the index is exact for the
installed SDK version: nothing is generated or guessed), imports that module alone and keeps the value. Names
that no module declares (nested subpackages such as `core.v1`) become `SdkPackage`s themselves. What a program
sees is the object the package's own `__init__` would have exported: `tests/test_sdk_modules.py` checks,
across every subpackage of both SDKs, that each `__init__` star-imports exactly the modules indexed and that no
name is declared by two of them (so star-import order cannot matter).

Used by the offline engine only; `pulumi up` imports the SDKs as published.
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
import types
from pathlib import Path
from typing import Any

SDK_PACKAGES = ("pulumi_oci", "pulumi_kubernetes")

# A subpackage's `__init__.py` star-imports its modules (`from .compartment import *`), each of which declares
# its exports in one `__all__ = [...]` list near the top.
_STAR_IMPORT = re.compile(r"^from \.(\w+) import \*$", re.MULTILINE)
_NAME = re.compile(r"'(\w+)'")
# Every statement of a generated subpackage `__init__.py` (the star imports, `outputs`, nested subpackages
# imported lazily). A package whose `__init__` does anything else (pulumi_oci.config swaps its module class)
# is left to its own `__init__`.
_GENERATED_INIT_LINE = re.compile(
    r"import builtins as _builtins|import typing|from \. import outputs|from \.+ import _utilities"
    r"|from \.\w+ import \*|if typing\.TYPE_CHECKING:|else:|    import [\w.]+ as __\w+|    \w+ = __\w+"
    r"|    \w+ = _utilities\.lazy_import\('[\w.]+'\)"
)


@functools.cache
def is_generated_package(directory: Path) -> bool:
    """True when the folder's `__init__.py` holds only what the SDK generator writes (see above) and every
    module it star-imports declares `__all__` (without one, a star import exports every public name, which the
    index would not see: pulumi_kubernetes.helm.v3's hand-written `helm.py`)."""
    init = (directory / "__init__.py").read_text(encoding="utf-8")
    lines = [line for line in init.splitlines() if line.strip() and not line.startswith("#")]
    return all(_GENERATED_INIT_LINE.fullmatch(line) for line in lines) and all(
        exports(directory / f"{module}.py") for module in _STAR_IMPORT.findall(init)
    )


@functools.cache
def declared_names(directory: Path) -> dict[str, str]:
    """Name -> module (file stem) of everything the subpackage's `__init__.py` star-imports, later modules
    winning as they do in a star import."""
    index: dict[str, str] = {}
    for module in _STAR_IMPORT.findall((directory / "__init__.py").read_text(encoding="utf-8")):
        index.update(dict.fromkeys(exports(directory / f"{module}.py"), module))
    return index


def exports(path: Path) -> list[str]:
    """The names of a module's `__all__`, read up to the list's end only (an `_inputs.py` runs to megabytes)."""
    with path.open(encoding="utf-8") as source:
        for line in source:
            if line.startswith("__all__ = ["):
                declaration = line
                while "]" not in declaration:
                    declaration += next(source)
                return _NAME.findall(declaration)
    return []


class SdkPackage(types.ModuleType):
    """Stands for one SDK subpackage: a name is imported from its own module on first use."""

    def __init__(self, name: str, directory: Path) -> None:
        super().__init__(name)
        self.__path__ = [str(directory)]
        self.__package__ = name
        self.__file__ = str(directory / "__init__.py")

    def __getattr__(self, name: str) -> Any:
        directory = Path(self.__path__[0])
        module = declared_names(directory).get(name)
        if module is not None:
            value = getattr(importlib.import_module(f"{self.__name__}.{module}"), name)
        elif (directory / name / "__init__.py").is_file():
            value = _stand_in(f"{self.__name__}.{name}", directory / name)
            if value is None:
                value = importlib.import_module(f"{self.__name__}.{name}")
        elif (directory / f"{name}.py").is_file():  # e.g. `outputs`, `_inputs`, reached as attributes
            value = importlib.import_module(f"{self.__name__}.{name}")
        else:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        setattr(self, name, value)
        return value


def _stand_in(fullname: str, directory: Path) -> SdkPackage | None:
    """An `SdkPackage` registered for the folder, or None when its `__init__` is not the generated kind."""
    if not is_generated_package(directory):
        return None
    package = SdkPackage(fullname, directory)
    sys.modules[fullname] = package
    return package


def _not_loaded(module: object) -> bool:
    """True for a module that pulumi's `lazy_import` registered and nothing has read yet."""
    return type(module).__name__ == "_LazyModule"


def _subpackage_loaded(top: str) -> bool:
    """True when a module inside one of the SDK's subpackages has run: it may hold the lazy module objects
    (`from .. import meta`), and replacing them in sys.modules would break its next lazy load."""
    root = Path(importlib.import_module(top).__path__[0])
    for fullname, module in list(sys.modules.items()):
        parts = fullname.split(".")
        if parts[0] != top or len(parts) < 2 or isinstance(module, SdkPackage) or _not_loaded(module):
            continue
        if len(parts) > 2 or (root / parts[1] / "__init__.py").is_file():
            return True
    return False


def use_only_needed_sdk_modules() -> None:
    """Replace every not yet loaded subpackage of each SDK by an `SdkPackage`, unless the process has already
    loaded part of that SDK the usual way (as a test session does): then that SDK is left as it is."""
    for top in SDK_PACKAGES:
        if _subpackage_loaded(top):
            continue
        root = importlib.import_module(top)
        for fullname, module in list(sys.modules.items()):
            if fullname.startswith(f"{top}.") and fullname.count(".") == 1 and _not_loaded(module):
                child = fullname.partition(".")[2]
                package = _stand_in(fullname, Path(root.__path__[0]) / child)
                if package is not None:
                    setattr(root, child, package)
