"""The fitted part of the filter's keep rule (`models/filter.json`): which encoder it was fitted
on and its semantic threshold. Read with json alone, so the Snakefile's top level (parsed again
by every cluster job) can resolve the threshold cheaply."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from ..io import MODELS, load_model_file

MODEL_FILE = MODELS / "filter.json"


@dataclass(frozen=True)
class FilterModel:
    """The fitted half of the keep rule: the encoder it was fitted on and its threshold."""

    encoder: str
    semantic_threshold: float
    measurement: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FilterModel:
        return cls(*fitted_cosine(data, "semantic_threshold"))


def fitted_cosine(data: dict[str, Any], key: str) -> tuple[str, float, dict[str, Any]]:
    """(encoder, the cosine threshold at `key`, measurement) of a fitted-threshold model file:
    the filter's, and the full-text stage's passage threshold."""
    threshold = float(data[key])
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"{key} {threshold} is not a cosine")
    return str(data["encoder"]), threshold, dict(data.get("measurement", {}))


@functools.cache
def load_filter_model() -> FilterModel:
    def parse(text: str) -> FilterModel:
        return FilterModel.from_dict(json.loads(text))

    return load_model_file(MODEL_FILE, parse, "filter", "answer_quality.py fit-filter")


def semantic_threshold(configured: float | None) -> float:
    """`filter.semantic_threshold`, or the fitted one when it is not set."""
    return load_filter_model().semantic_threshold if configured is None else float(configured)
