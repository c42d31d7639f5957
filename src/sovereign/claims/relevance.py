"""A calibrated probability that a claim sentence is relevant to a research question.

Four measured signals, each a cosine with the question: TF-IDF (the filter's pair-IDF score) and
embedding cosine, for the claim sentence itself and for the paper it came from (title + abstract).
A logistic regression on these, fitted and thresholded on expert relevance judgments (CSFCube;
`benchmarks/relevance_eval.py`), turns them into a probability. The coefficients, the threshold
and how both were measured ship in `models/relevance.json`; inference is plain float64 numpy, so
the probability does not move with the installed scikit-learn.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..encoders.base import cosine
from ..io import MODELS, load_model_file
from ..text.tfidf import pair_cosine, term_counts

FEATURES = ("tfidf_sentence", "cosine_sentence", "tfidf_paper", "cosine_paper")
MODEL_FILE = MODELS / "relevance.json"


def relevance_features(
    question: str,
    sentence: str,
    paper_text: str,
    q_vec: np.ndarray,
    s_vec: np.ndarray,
    p_vec: np.ndarray,
) -> list[float]:
    """FEATURES of one (question, claim sentence, paper) triple; the caller embeds the texts."""
    q_terms = term_counts(question)
    return [
        pair_cosine(q_terms, term_counts(sentence)),
        cosine(q_vec, s_vec),
        pair_cosine(q_terms, term_counts(paper_text)),
        cosine(q_vec, p_vec),
    ]


@dataclass(frozen=True)
class RelevanceModel:
    """Standardise, then a logistic regression: p = sigmoid(((x - mean) / scale) . coef + b)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    measurement: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RelevanceModel:
        features = tuple(data["features"])
        if features != FEATURES:
            raise ValueError(f"model features {features} are not {FEATURES}")
        arrays = {k: np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")}
        if any(a.shape != (len(FEATURES),) for a in arrays.values()):
            raise ValueError("mean, scale and coef need one value per feature")
        return cls(
            features=features,
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            measurement=dict(data.get("measurement", {})),
            **arrays,
        )

    def probability(self, features_rows: np.ndarray) -> np.ndarray:
        """P(relevant) for each row of FEATURES, shape (n,)."""
        rows = np.asarray(features_rows, dtype=np.float64).reshape(-1, len(self.features))
        logit = (((rows - self.mean) / self.scale) * self.coef).sum(axis=1) + self.intercept
        # tanh form of the sigmoid: no overflow for large |logit|, stays within [0, 1].
        return 0.5 * (1.0 + np.tanh(0.5 * logit))

    def relevant(self, features_rows: np.ndarray) -> np.ndarray:
        """The decision at the measured threshold, shape (n,) bool."""
        return self.probability(features_rows) >= self.threshold


@functools.cache
def load_relevance_model() -> RelevanceModel:
    def parse(text: str) -> RelevanceModel:
        return RelevanceModel.from_dict(json.loads(text))

    return load_model_file(MODEL_FILE, parse, "relevance", "relevance_eval.py")
