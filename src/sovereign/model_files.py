"""Reading the shipped model files (src/sovereign/models/*.json) with a clear error if damaged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .errors import InputFileError

Model = TypeVar("Model")


def load_model_file(path: Path, parse: Callable[[str], Model], kind: str, trainer: str) -> Model:
    """`parse(text)` of the file; any failure names the file and how to get a good one back."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputFileError(
            str(path),
            f"not a {kind} model this code can use ({err})",
            f"restore it from the repository (git checkout -- src/sovereign/models/{path.name}) "
            f"or retrain it: python benchmarks/{trainer} --write-model",
        ) from None
