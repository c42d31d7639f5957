"""The claim verifier: P(SUPPORT), P(CONTRADICT), P(NEUTRAL) for a (claim, evidence) pair.

A multinomial logistic regression on the readable pair features of
sovereign.claims.verifier_features plus the WordLlama cosine of the two texts. It is trained by
`benchmarks/verify_eval.py --write-model` on the train side of five public claim-verification sets
(each set weighted alike, classes balanced) and shipped as `models/verifier.json`: coefficients,
the scaling, a temperature fitted on the train side so that probabilities are calibrated, and the
figures it was measured with. Inference is plain numpy in float64, so it does not move with
scikit-learn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np

from ..encoders.wordllama import WordLlamaEmbedder
from ..io import MODELS, load_model_file
from .verifier_data import CONTRADICT, LABELS, NEUTRAL, SUPPORT
from .verifier_features import FEATURE_NAMES, pair_features

MODEL_FILE = MODELS / "verifier.json"
FEATURES = (*FEATURE_NAMES, "cosine")


def feature_matrix(
    claims: Sequence[str],
    evidences: Sequence[str],
    claim_vectors: np.ndarray | None = None,
    evidence_vectors: np.ndarray | None = None,
) -> np.ndarray:
    """One row of FEATURES per pair; pass WordLlama vectors to avoid embedding a text twice."""
    if claim_vectors is None or evidence_vectors is None:
        embedder = WordLlamaEmbedder()
        claim_vectors = embedder.embed(list(claims), "query")
        evidence_vectors = embedder.embed(list(evidences), "passage")
    cosine = np.einsum(
        "ij,ij->i", claim_vectors.astype(np.float64), evidence_vectors.astype(np.float64)
    )
    rows = [pair_features(c, e) for c, e in zip(claims, evidences, strict=True)]
    return np.column_stack(
        [np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURE_NAMES)), cosine]
    )


@dataclass(frozen=True)
class VerifierModel:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (labels, features)
    intercept: np.ndarray
    temperature: float
    measured: dict
    # Decision rule, measured on the train side (see fit): a pair is SUPPORT / CONTRADICT when
    # that label's probability reaches its threshold; pairs less similar than min_cosine lie
    # outside what the verifier was trained on and are not judged at all.
    thresholds: dict = field(default_factory=dict)
    min_cosine: float = 0.0
    # P(the claim is not contradicted | the verdict), measured per verdict: what a claim's
    # confidence multiplies its relevance by (no evidence at all counts as NEUTRAL).
    holds: dict = field(default_factory=dict)

    def logits(self, features: np.ndarray) -> np.ndarray:
        """(n, 3) linear scores in LABELS order, before the temperature."""
        # Elementwise products and numpy's own sums rather than BLAS: the same bits on any CPU.
        scaled = (features - self.mean) / self.scale
        return (scaled[:, None, :] * self.coef[None, :, :]).sum(axis=2) + self.intercept

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(n, 3) probabilities in LABELS order (SUPPORT, CONTRADICT, NEUTRAL)."""
        return _softmax(self.logits(features) / self.temperature)

    def to_json(self) -> str:
        data = {
            "features": list(FEATURES),
            "labels": list(LABELS),
            "mean": _rounded(self.mean),
            "scale": _rounded(self.scale),
            "coef": [_rounded(row) for row in self.coef],
            "intercept": _rounded(self.intercept),
            "temperature": _round(self.temperature),
            "thresholds": {k: _round(v) for k, v in sorted(self.thresholds.items())},
            "min_cosine": _round(self.min_cosine),
            "holds": {k: _round(v) for k, v in sorted(self.holds.items())},
            "measured": self.measured,
        }
        return json.dumps(data, sort_keys=True, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> VerifierModel:
        data = json.loads(text)
        if data["features"] != list(FEATURES) or data["labels"] != list(LABELS):
            raise ValueError("the verifier model was trained on other features or labels")
        return cls(
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=np.asarray(data["intercept"], dtype=np.float64),
            temperature=float(data["temperature"]),
            measured=data["measured"],
            thresholds={k: float(v) for k, v in data["thresholds"].items()},
            min_cosine=float(data["min_cosine"]),
            holds={k: float(v) for k, v in data["holds"].items()},
        )


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def _round(x: float) -> float:
    return float(f"{float(x):.6g}")


def _rounded(values) -> list[float]:
    return [_round(v) for v in np.asarray(values).ravel()]


@cache
def load_verifier_model() -> VerifierModel:
    return load_model_file(MODEL_FILE, VerifierModel.from_json, "verifier", "verify_eval.py")


TARGET_PRECISION = 0.6  # a SUPPORT or CONTRADICT verdict should be right at least this often
MIN_COSINE_PERCENTILE = 5  # the similarity below which only 5% of the training pairs lie


FOLDS = 5  # out-of-fold probabilities for everything measured after the coefficients


def fit(
    features: np.ndarray,
    labels: Sequence[str],
    datasets: Sequence[str],
    folds: Sequence[int],
    measured: dict,
) -> VerifierModel:
    """Train on the given pairs: each dataset weighted alike, classes balanced. A temperature
    makes the final model's probabilities match frequencies (18 coefficients on thousands of
    pairs: its own logits are fair to calibrate; fold models, fitted on less, are flatter). The
    verdict thresholds and P(not contradicted | verdict), which select the tails, are measured
    on out-of-fold probabilities: each pair judged by a model fitted without its fold (`folds`:
    0..FOLDS-1, drawn by group), never by one that saw it."""
    y, d, f = np.asarray(labels), np.asarray(datasets), np.asarray(folds)
    model = _linear(features, y, d, measured)
    held_out = np.zeros((len(y), len(LABELS)))
    for k in range(FOLDS):
        part = _linear(features[f != k], y[f != k], d[f != k], {})
        held_out[f == k] = part.logits(features[f == k])
    model = replace(model, temperature=_temperature(model.logits(features), y))
    # Round-trip through JSON first, so everything below is measured as the model ships.
    model = VerifierModel.from_json(model.to_json())
    probs = _softmax(held_out / model.temperature)
    thresholds = {
        label: _threshold(probs[:, LABELS.index(label)], y == label)
        for label in (SUPPORT, CONTRADICT)
    }
    floor = float(np.percentile(features[:, FEATURES.index("cosine")], MIN_COSINE_PERCENTILE))
    model = replace(model, thresholds=thresholds, min_cosine=floor)
    return replace(model, holds=holds_given_verdict(model, probs, y))


def _linear(features: np.ndarray, y: np.ndarray, datasets: np.ndarray, measured: dict):
    """The logistic regression alone (temperature 1): standardisation and coefficients."""
    from sklearn.linear_model import LogisticRegression

    weights = np.ones(len(y))
    names = sorted(set(datasets))
    for name in names:
        weights[datasets == name] = len(y) / (len(names) * (datasets == name).sum())
    for label in LABELS:
        weights[y == label] *= len(y) / (len(LABELS) * max(1, (y == label).sum()))
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=0.3, max_iter=5000)
    lr.fit((features - mean) / scale, y, sample_weight=weights)
    order = [list(lr.classes_).index(label) for label in LABELS]
    return VerifierModel(mean, scale, lr.coef_[order], lr.intercept_[order], 1.0, measured)


def holds_given_verdict(model: VerifierModel, probs: np.ndarray, y: np.ndarray) -> dict:
    """For each verdict the rule gives one judged pair, the share of its pairs whose true label
    is not CONTRADICT: P(claim not contradicted | verdict)."""
    verdicts = np.array([verdict(p[None, :], model)[0] for p in probs])
    return {v: float(np.mean(y[verdicts == v] != CONTRADICT)) for v in LABELS}


def _threshold(p: np.ndarray, truth: np.ndarray, min_pairs: int = 30) -> float:
    """The lowest probability at which this label's verdicts reach TARGET_PRECISION."""
    for t in np.round(np.arange(0.34, 0.951, 0.01), 2):
        chosen = p >= t
        if chosen.sum() >= min_pairs and truth[chosen].mean() >= TARGET_PRECISION:
            return float(t)
    return 1.0  # never reached: the label is never given


def _temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising log loss of these logits (a grid: deterministic)."""
    truth = np.array([LABELS.index(label) for label in y])
    best = (np.inf, 1.0)
    for t in np.round(np.arange(0.5, 3.01, 0.05), 2):
        p = _softmax(logits / t)[np.arange(len(truth)), truth]
        best = min(best, (-np.log(np.clip(p, 1e-12, 1)).mean(), float(t)))
    return best[1]


def verdict(probs: np.ndarray, model: VerifierModel) -> tuple[str, float]:
    """The label a set of judged pairs gives a claim, and its probability: CONTRADICT when
    some pair reaches the contradiction threshold (and outweighs the best support), else
    SUPPORT when some pair reaches the support threshold, else NEUTRAL."""
    if len(probs) == 0:
        return NEUTRAL, 0.0
    best_support = float(probs[:, LABELS.index(SUPPORT)].max())
    best_contra = float(probs[:, LABELS.index(CONTRADICT)].max())
    if best_contra >= model.thresholds[CONTRADICT] and best_contra >= best_support:
        return CONTRADICT, best_contra
    if best_support >= model.thresholds[SUPPORT]:
        return SUPPORT, best_support
    return NEUTRAL, float(probs[:, LABELS.index(NEUTRAL)].max())
