"""The scripts under benchmarks/ as modules, for the fast tests that hold their recorded figures
and helpers (they are scripts, not an installed package)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from .paths import REPO


def load_benchmark(name: str) -> ModuleType:
    """benchmarks/<name>.py, imported once (registered, so its dataclasses find their module,
    and its own `import` of a sibling benchmark module resolves)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
