"""The claim-relevance model: the shipped JSON, the probability's shape, and its provenance."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest

from sovereign.claims.relevance import (
    FEATURES,
    MODEL_FILE,
    RelevanceModel,
    load_relevance_model,
    relevance_features,
)
from sovereign.encoders.base import Embedder
from sovereign.encoders.local import encoder
from support.benchmarks import load_benchmark
from support.paths import REPO

BENCHMARK = REPO / "benchmarks" / "relevance_eval.py"

QUESTION = "Does transfer learning from pretrained language models improve text classification?"
RELATED = (
    "Fine-tuning a pretrained language model improves text classification accuracy "
    "on six benchmark datasets."
)
RELATED_PAPER = (
    "Universal language model fine-tuning for text classification. Transfer learning from "
    "pretrained language models reduces classification error on sentiment and topic datasets."
)
UNRELATED = "Soil moisture in the upper catchment fell sharply during the dry summer months."
UNRELATED_PAPER = (
    "Hydrology of alpine catchments. We measure soil moisture and river discharge across "
    "three seasons and relate them to precipitation and snow melt."
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return encoder()


def _features(embedder: Embedder, question: str, sentence: str, paper: str) -> list:
    q_vec = embedder.embed([question], "query")[0]
    s_vec, p_vec = embedder.embed([sentence, paper], "passage")
    return relevance_features(question, sentence, paper, q_vec, s_vec, p_vec)


def test_shipped_model_loads_with_the_four_features() -> None:
    model = load_relevance_model()
    assert model.features == FEATURES
    assert 0.0 < model.threshold < 1.0
    assert np.all(model.scale > 0)
    report = model.measurement["report_half"]
    assert report["n"] > 0 and 0.85 < report["auc"] <= 1.0  # held-out questions
    assert model.measurement["embedder"] == encoder().model
    assert load_relevance_model() is model  # cached: the stage reads the file once


def test_shipped_json_is_canonical() -> None:
    text = MODEL_FILE.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=1) + "\n"


def test_model_rejects_other_features() -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    data["features"] = list(reversed(FEATURES))
    with pytest.raises(ValueError, match="features"):
        RelevanceModel.from_dict(data)


def test_probabilities_lie_in_unit_interval() -> None:
    model = load_relevance_model()
    rng = np.random.default_rng(7)
    rows = np.vstack([rng.uniform(-1, 1, (200, 4)), np.full((1, 4), 1e6), np.full((1, 4), -1e6)])
    prob = model.probability(rows)
    assert prob.shape == (len(rows),)
    assert np.all((prob >= 0.0) & (prob <= 1.0)) and np.all(np.isfinite(prob))


@pytest.mark.parametrize("index", range(len(FEATURES)))
def test_probability_moves_with_each_feature_as_its_coefficient_says(index: int) -> None:
    # Increasing where the coefficient is positive; a negative one (collinear features) falls.
    model = load_relevance_model()
    rows = np.tile(model.mean, (21, 1))
    rows[:, index] = np.linspace(0.0, 1.0, 21)
    steps = np.diff(model.probability(rows))
    assert np.all(steps > 0) if model.coef[index] > 0 else np.all(steps <= 0)


def test_identical_texts_give_full_similarity(embedder: Embedder) -> None:
    tfidf_s, cosine_s, tfidf_p, cosine_p = _features(embedder, RELATED, RELATED, RELATED)
    assert tfidf_s == tfidf_p == 1.0
    assert math.isclose(cosine_s, 1.0, abs_tol=1e-5) and math.isclose(cosine_p, 1.0, abs_tol=1e-5)


def test_related_sentence_scores_above_unrelated(embedder: Embedder) -> None:
    model = load_relevance_model()
    related = _features(embedder, QUESTION, RELATED, RELATED_PAPER)
    unrelated = _features(embedder, QUESTION, UNRELATED, UNRELATED_PAPER)
    assert unrelated[0] == unrelated[2] == 0.0  # no shared terms at all
    p_related, p_unrelated = model.probability(np.array([related, unrelated]))
    assert p_related > p_unrelated
    assert model.relevant(np.array([related, unrelated])).tolist() == [True, False]


def _bench():
    return load_benchmark("relevance_eval")


def test_refit_from_the_recorded_examples_reproduces_the_shipped_model_byte_for_byte() -> None:
    """The examples the model was fitted on are recorded (their sha256 is in the model file);
    fitting again on their fit half gives the shipped file, and the report half was only
    measured. (Recomputing the examples needs a benchmark run: benchmarks/relevance_eval.py.)"""
    bench = _bench()
    data = bench.EXAMPLES.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert load_relevance_model().measurement["examples_sha256"] == digest
    payload = bench.build_model(bench.read_examples(), digest)
    assert bench.model_json(payload) == MODEL_FILE.read_text(encoding="utf-8")


def test_the_examples_hold_both_halves_and_answer_paraphrases() -> None:
    ex = _bench().read_examples()
    assert ex.fit.any() and (~ex.fit).any()
    assert set(ex.question[ex.fit]).isdisjoint(set(ex.question[~ex.fit]))
    assert 0.05 < ex.label.mean() < 0.2
    # The encoder sees what TF-IDF misses: relevant sentences sharing no term with the question.
    unshared = ex.label & (ex.features[:, 0] == 0.0)
    assert unshared.sum() > 100
