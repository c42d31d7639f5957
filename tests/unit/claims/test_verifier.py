"""The claim verifier: its features, the shipped model, and its provenance (the labelled sets)."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

from sovereign.claims.verifier import (
    FEATURES,
    MODEL_FILE,
    VerifierModel,
    feature_matrix,
    load_verifier_model,
)
from sovereign.claims.verifier_data import CONTRADICT, LABELS, SETS, SUPPORT, load_pairs, split_of
from sovereign.claims.verifier_features import FEATURE_NAMES, pair_features
from support.benchmarks import load_benchmark
from support.paths import SHARED_DATA, requires_shared


def features(claim, evidence):
    return dict(zip(FEATURE_NAMES, pair_features(claim, evidence), strict=True))


def test_agreement_features():
    f = features(
        "Vitamin D supplements reduce the risk of infections.",
        "Supplementing vitamin D reduced infection risk in the trial.",
    )
    assert f["recall"] > 0.5 and f["tfidf"] > 0 and f["direction_agree"] == 1.0
    assert f["neg_mismatch"] == 0.0 and f["direction_conflict"] == 0.0


def test_conflict_features():
    negated = features("The drug improves survival.", "The drug did not improve survival.")
    assert negated["neg_mismatch"] == 1.0 and negated["null_evidence"] == 1.0
    numbers = features("Accuracy rose to 91.5% on VQA-CP.", "Accuracy rose to 84.2% on VQA-CP.")
    assert numbers["numbers_claim"] == 1.0 and numbers["numbers_missing"] == 1.0
    direction = features(
        "Load balancing increases utilization.", "Load balancing lowers utilization."
    )
    assert direction["direction_conflict"] == 1.0 and direction["direction_agree"] == 0.0


def test_plural_forms_match_and_empty_texts_are_safe():
    assert features("experts route tokens", "each expert routes a token")["recall"] == 1.0
    assert all(math.isfinite(x) for x in pair_features("", ""))


def test_probabilities_are_distributions_and_respond_to_conflict():
    model = load_verifier_model()
    claim = "The auxiliary loss improves expert utilization by 12% on all models."
    x = feature_matrix(
        [claim] * 3,
        [
            "The auxiliary loss improves expert utilization by 12% on all models we tested.",
            "The auxiliary loss did not improve expert utilization on any model.",
            "Protein structures are predicted from amino-acid sequences.",
        ],
    )
    p = model.probabilities(x)
    assert p.shape == (3, 3) and np.allclose(p.sum(axis=1), 1.0)
    neutral = LABELS.index("NEUTRAL")
    # Related evidence is judged (SUPPORT or CONTRADICT); an unrelated sentence is NEUTRAL.
    # (Which of the two a near-copy gets is the verifier's weak side: docs/method.md, Claims.)
    assert p[0].argmax() != neutral and p[1].argmax() != neutral
    assert p[2].argmax() == neutral


def test_model_json_round_trips_and_refuses_other_features():
    text = MODEL_FILE.read_text(encoding="utf-8")
    model = VerifierModel.from_json(text)
    assert model.to_json() == text
    assert model.coef.shape == (len(LABELS), len(FEATURES))
    with pytest.raises(ValueError, match="other features"):
        VerifierModel.from_json(text.replace('"cosine"', '"something_else"'))


def test_split_is_salted_and_balanced_enough():
    groups = [f"group-{i}" for i in range(3000)]
    test_share = sum(split_of("any", g) == "test" for g in groups) / len(groups)
    assert 0.28 < test_share < 0.39


@requires_shared
def test_each_set_loads_with_its_labels_and_no_group_on_both_sides():
    expected = {
        "scifact": {SUPPORT, CONTRADICT},
        "covidfact": {SUPPORT, CONTRADICT},
        "climate_fever": set(LABELS),
        "healthver": set(LABELS),
        "citint": set(LABELS),
    }
    for name in SETS:
        pairs = load_pairs(SHARED_DATA, name)
        assert {p.label for p in pairs} == expected[name], name
        assert all(p.claim and p.evidence for p in pairs), name
        sides = defaultdict(set)
        for p in pairs:
            sides[p.group].add(split_of(p.dataset, p.group))
        assert all(len(s) == 1 for s in sides.values()), name
        assert {"train", "test"} == set().union(*sides.values()), name


@requires_shared
def test_the_shipped_model_is_reproduced_from_the_data_byte_for_byte():
    bench = load_benchmark("verify_eval")
    sets = bench.load(SHARED_DATA)
    model = bench.train_model(sets)
    shipped = load_verifier_model()
    assert model.to_json().split('"measured"')[0] == MODEL_FILE.read_text().split('"measured"')[0]
    report = bench.evaluate(sets, model)
    for name, row in report.items():
        assert round(row["verifier"]["macro_f1"], 4) == shipped.measured["test_macro_f1"][name]
