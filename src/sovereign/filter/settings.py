"""The filter stage's settings, from one place: its two thresholds, resolved (the fitted semantic
threshold of models/filter.json when `filter.semantic_threshold` is null). They are the rule's
rerun params and the job's settings alike: what the filter is told is what it tracks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..io import canonical
from .model import semantic_threshold


@dataclass(frozen=True)
class Settings:
    threshold: float  # keep at TF-IDF cosine >= this ...
    semantic_threshold: float  # ... or at encoder cosine >= this

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        f = config["filter"]
        return cls(float(f["threshold"]), semantic_threshold(f["semantic_threshold"]))


def rerun_params(config: dict[str, Any]) -> dict[str, Any]:
    return canonical(asdict(Settings.from_config(config)))
