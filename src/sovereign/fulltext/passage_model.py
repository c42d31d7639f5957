"""The fitted part of the second look's test (`models/second_look.json`): the encoder it was
fitted on and the passage threshold. A passage scores higher than a whole abstract (a short text
is less diluted), so the filter's own semantic threshold would keep too much; this one is fitted
the same way as the filter's, on the answer benchmark's full-text variant, fit half only
(benchmarks/second_look_fit.py). Read with json alone: the Snakefile resolves it for the rule's
params."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from ..filter.model import fitted_cosine
from ..io import MODELS, load_model_file

MODEL_FILE = MODELS / "second_look.json"


@dataclass(frozen=True)
class PassageModel:
    encoder: str
    passage_threshold: float
    measurement: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PassageModel:
        return cls(*fitted_cosine(data, "passage_threshold"))


@functools.cache
def load_passage_model() -> PassageModel:
    def parse(text: str) -> PassageModel:
        return PassageModel.from_dict(json.loads(text))

    return load_model_file(MODEL_FILE, parse, "second-look", "second_look_fit.py")
