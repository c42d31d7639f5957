"""The second look's fitted passage threshold: the shipped model file, and how
benchmarks/second_look_fit.py chooses it (the same rule as the filter's fit)."""

from __future__ import annotations

import json

import pytest

from sovereign.encoders.minilm import MODEL_ID
from sovereign.errors import InputFileError
from sovereign.filter.model import load_filter_model
from sovereign.fulltext import passage_model
from sovereign.fulltext.passage_model import MODEL_FILE, PassageModel, load_passage_model
from support.benchmarks import load_benchmark

fit = load_benchmark("second_look_fit")


def test_the_shipped_model_is_fitted_on_the_pipelines_encoder_and_is_stricter_than_the_filter():
    model = load_passage_model()
    assert model.encoder == MODEL_ID == load_filter_model().encoder
    # passages are less diluted than whole abstracts: their threshold sits above the filter's
    assert load_filter_model().semantic_threshold < model.passage_threshold < 1.0
    m = model.measurement
    assert "fit half only" in m["fit"] and m["near_misses"] == fit.NEAR_MISSES
    # what was measured on the half it was not fitted on is recorded, with and without
    assert m["report_half"]["recall"] >= m["report_half_without"]["recall"]


def test_the_fit_takes_the_highest_threshold_within_noise_of_the_best_f2(monkeypatch):
    questions = {
        "q1": {
            "kept": {"a", "x"},
            "evidence": {"a", "b", "c"},
            # b answers in its body (0.62); y is a distractor whose passages score 0.50
            "misses": [("b", 0.02, 0.62), ("y", 0.01, 0.50), ("z", 0.0, 0.31)],
        },
        "q2": {"kept": {"c"}, "evidence": {"c", "d"}, "misses": [("d", 0.2, 0.1)]},
    }
    at = fit.figures(questions, 0.6)
    # b, and d by TF-IDF
    assert (at["kept_on_full_text"], at["kept_on_full_text_evidence"]) == (2, 2)
    assert at["recall"] == pytest.approx((2 / 3 + 1) / 2)
    low = fit.figures(questions, 0.45)
    assert low["kept_on_full_text"] == 3 and low["precision"] < at["precision"]

    monkeypatch.setattr(fit, "near_miss_scores", lambda out, half: questions)
    result = fit.fit(None)
    # every threshold in (0.50, 0.62] keeps b and not y: the highest of them is taken
    assert result["passage_threshold"] == 0.62
    assert result["measurement"]["fit_half"]["kept_on_full_text_evidence"] == 2


def test_a_broken_model_file_names_itself_and_the_fix(tmp_path, monkeypatch):
    bad = tmp_path / "second_look.json"
    bad.write_text(json.dumps({"encoder": MODEL_ID, "passage_threshold": 3.0}))
    monkeypatch.setattr(passage_model, "MODEL_FILE", bad)
    load_passage_model.cache_clear()
    try:
        with pytest.raises(InputFileError) as err:
            load_passage_model()
        assert "second_look.json" in str(err.value) and "second_look_fit.py" in str(err.value)
    finally:
        load_passage_model.cache_clear()
    assert PassageModel.from_dict(json.loads(MODEL_FILE.read_text())).encoder == MODEL_ID
