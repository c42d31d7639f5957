"""The claims stage: what counts as a claim, spans, evidence, verdicts, verified and confidence."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from sovereign.claims.relevance import load_relevance_model
from sovereign.claims.stage import claim_kind, extract_claims
from sovereign.claims.verifier import load_verifier_model, verdict
from sovereign.claims.verifier_data import CONTRADICT, NEUTRAL, SUPPORT
from sovereign.contracts import document
from sovereign.encoders.wordllama import WordLlamaEmbedder
from sovereign.errors import InputFileError
from sovereign.search.snapshot import load_snapshot
from support.paths import CS_DAILY, SHEET_QUESTIONS, requires_shared
from support.settings import claims_settings

CHECKABLE = [
    ("Our method outperforms dense baselines on all six benchmarks.", "comparison"),
    ("Top-2 routing is 1.7x faster than dense attention at equal quality.", "comparison"),
    ("The model reaches 84.3% accuracy on VQA-CP v2.", "measurement"),
    ("Pruning removes 40% of the parameters with a loss of 0.2 BLEU.", "measurement"),
    ("We find that expert specialization emerges in the upper layers.", "finding"),
    ("Experiments show that the auxiliary loss reduces routing collapse.", "finding"),
    ("Load balancing significantly improves expert utilization.", "finding"),
    ("Extensive experiments on six QA benchmarks demonstrate consistent gains.", "finding"),
    ("We evaluate HoE on 14 objectives, demonstrating superior performance.", "finding"),
]
NOT_CHECKABLE = [
    "Mixture-of-Experts models have become the standard for scaling language models.",
    "In this paper, we propose a new routing strategy for vision-language models.",
    "Despite recent progress, out-of-domain generalization remains a challenge.",
    "Code is available at https://github.com/example/moe.",
    "Each token is routed to one expert per layer.",
    "We introduce a benchmark of 12 tasks.",
    "Efficient routing is crucial for large models.",
    "Additionally, we introduce a training schedule that uses monolingual data.",
    "To address these limits, we propose SERA, an expert routing architecture.",
    "The widespread use of large models has significantly changed NLP.",
    "We collect a dataset of 10 languages.",
    "Recent state of the art methods struggle with long inputs.",
    "The method for obtaining equations is also described.",
]


@pytest.mark.parametrize(("sentence", "kind"), CHECKABLE)
def test_checkable_statements_are_claims(sentence, kind):
    assert claim_kind(sentence) == kind


@pytest.mark.parametrize("sentence", NOT_CHECKABLE)
def test_background_motivation_and_proposals_are_not_claims(sentence):
    assert claim_kind(sentence) is None


def paper(arxiv_id, title, abstract):
    return {"arxiv_id": arxiv_id, "title": title, "abstract": abstract}


PAPERS = [
    paper(
        "2501.00001",
        "Auxiliary losses for expert load balancing",
        "Mixture-of-experts models route tokens to experts. "
        "We show that an auxiliary load balancing loss improves expert utilization by 12%. "
        "Without it, routing collapses to two experts and accuracy drops by 3 points (Fig. 3).",
    ),
    paper(
        "2501.00002",
        "Loss-free balancing of experts",
        "Balancing experts matters for throughput. "
        "Our experiments show that auxiliary load balancing losses improve expert utilization "
        "on all models. Training is 1.3x faster than with capacity factors.",
    ),
    paper(
        "2501.00003",
        "Protein structure prediction",
        "We predict protein structures from sequences. "
        "The method achieves 0.92 TM-score on CASP15, better than AlphaFold 2.",
    ),
]
CLAIMS = claims_settings()
QUESTION = "How do auxiliary load balancing losses affect expert utilization in mixture-of-experts?"


def index_of(papers):
    vectors = WordLlamaEmbedder().embed([document(p) for p in papers], "passage")
    return dict(zip((p["arxiv_id"] for p in papers), vectors, strict=True))


@pytest.fixture(scope="module")
def rows():
    return extract_claims("q", QUESTION, PAPERS, index_of(PAPERS), CLAIMS)


def test_every_claim_is_tied_to_its_span(rows):
    abstracts = {p["arxiv_id"]: p["abstract"] for p in PAPERS}
    assert rows and len({r["claim_id"] for r in rows}) == len(rows)
    for r in rows:
        assert abstracts[r["arxiv_id"]][r["char_start"] : r["char_end"]] == r["claim"]
        assert r["claim_id"] == f"{r['arxiv_id']}#{r['sentence_index']}"
        assert r["grounded"]
    assert [(r["claim_id"], r["claim_kind"]) for r in rows] == [
        # Background, but a relevant statement: part of an answer to the question.
        ("2501.00001#0", "statement"),
        ("2501.00001#1", "measurement"),
        ("2501.00001#2", "measurement"),
        ("2501.00002#1", "finding"),
        ("2501.00002#2", "comparison"),
        # Off-topic: kept as a checkable comparison, judged irrelevant.
        ("2501.00003#1", "comparison"),
    ]
    # "Balancing experts matters for throughput." is too short a statement; "We predict protein
    # structures from sequences." is no claim and not relevant.
    assert not {"2501.00002#0", "2501.00003#0"} & {r["claim_id"] for r in rows}


def test_evidence_comes_from_other_papers_and_fields_are_consistent(rows):
    relevance_threshold = load_relevance_model().threshold
    for r in rows:
        for side in ("support", "contradict"):
            assert r[f"{side}_arxiv_id"] != r["arxiv_id"]
        assert r["evidence_label"] in (SUPPORT, CONTRADICT, NEUTRAL)
        assert 0.0 <= r["relevance"] <= 1.0 and 0.0 <= r["confidence"] <= r["relevance"]
        assert r["relevant"] == (r["relevance"] >= relevance_threshold)
        assert r["verified"] == (
            r["grounded"] and r["relevant"] and r["evidence_label"] != CONTRADICT
        )
        holds = load_verifier_model().holds[r["evidence_label"]]
        assert r["confidence"] == pytest.approx(r["relevance"] * holds, abs=2e-6)


def test_claims_on_the_question_are_more_relevant_than_off_topic_ones(rows):
    by_id = {r["claim_id"]: r for r in rows}
    assert by_id["2501.00001#1"]["relevance"] > by_id["2501.00003#1"]["relevance"]
    assert by_id["2501.00001#1"]["verified"] and not by_id["2501.00003#1"]["verified"]


def test_evidence_settings_bound_the_work():
    rows = extract_claims(
        "q",
        QUESTION,
        PAPERS,
        index_of(PAPERS),
        claims_settings(evidence_papers=1, evidence_sentences=2),
    )
    assert all(r["evidence_candidates"] <= 2 for r in rows)
    for r in rows:
        others = {r["support_arxiv_id"], r["contradict_arxiv_id"]} - {None}
        assert len(others) <= 1  # one paper searched


def test_no_papers_no_claims():
    assert extract_claims("q", QUESTION, [], {}, CLAIMS) == []


def test_a_claim_without_evidence_is_not_more_confident_than_with_neutral_evidence():
    alone = extract_claims("q", QUESTION, PAPERS[:1], index_of(PAPERS[:1]), CLAIMS)
    assert all(r["evidence_candidates"] == 0 and r["evidence_label"] == NEUTRAL for r in alone)
    holds = load_verifier_model().holds
    assert holds[CONTRADICT] < min(holds[SUPPORT], holds[NEUTRAL])
    for r in alone:
        assert r["confidence"] == pytest.approx(r["relevance"] * holds[NEUTRAL], abs=2e-6)


def test_verdict_follows_the_measured_thresholds():
    model = replace(load_verifier_model(), thresholds={SUPPORT: 0.6, CONTRADICT: 0.5})
    p = np.array
    assert verdict(p([[0.7, 0.1, 0.2]]), model) == (SUPPORT, 0.7)
    assert verdict(p([[0.45, 0.1, 0.45], [0.2, 0.52, 0.28]]), model) == (CONTRADICT, 0.52)
    assert verdict(p([[0.5, 0.2, 0.3]]), model) == (NEUTRAL, 0.3)
    # Support that outweighs the contradiction wins.
    assert verdict(p([[0.65, 0.05, 0.3], [0.2, 0.55, 0.25]]), model) == (SUPPORT, 0.65)
    assert verdict(np.zeros((0, 3)), model) == (NEUTRAL, 0.0)


def test_shipped_verifier_records_how_it_was_measured():
    model = load_verifier_model()
    assert set(model.thresholds) == {SUPPORT, CONTRADICT}
    assert all(0.34 <= t <= 1.0 for t in model.thresholds.values())
    assert 0.0 < model.min_cosine < 1.0
    measured = model.measured
    assert set(measured["test_macro_f1"]) == {
        "scifact",
        "climate_fever",
        "healthver",
        "covidfact",
        "citint",
    }
    for name, f1 in measured["test_macro_f1"].items():
        assert f1 > measured["baseline_macro_f1"][name], name


def cs_daily_papers(ids):
    records = {r["arxiv_id"]: r for r in load_snapshot(CS_DAILY)[0]}
    return [paper(i, records[i]["title"], records[i]["abstract"]) for i in ids]


@requires_shared
def test_the_seed_failure_is_caught_sources_that_do_not_answer_the_question():
    """The seeds' records: claims from papers (the SMoES paper among them) that do not address
    the question. Low confidence, none verified, as the seeds should have shown."""
    papers = cs_daily_papers(["2604.23996", "2505.22323", "2511.10971"])
    question = SHEET_QUESTIONS[0][1]
    rows = extract_claims("seed", question, papers, index_of(papers), CLAIMS)
    assert rows and any(r["arxiv_id"] == "2604.23996" for r in rows)
    assert not any(r["verified"] for r in rows)
    assert max(r["confidence"] for r in rows) < 0.1


@requires_shared
def test_spans_round_trip_on_real_abstracts():
    records, _ = load_snapshot(CS_DAILY / "topic_moe_routing.jsonl")
    papers = [paper(r["arxiv_id"], r["title"], r["abstract"]) for r in records[:60]]
    rows = extract_claims("moe", QUESTION, papers, index_of(papers), CLAIMS)
    abstracts = {p["arxiv_id"]: p["abstract"] for p in papers}
    assert len(rows) > 60  # real abstracts hold several checkable statements each
    for r in rows:
        assert abstracts[r["arxiv_id"]][r["char_start"] : r["char_end"]] == r["claim"]
    assert json.dumps(rows, sort_keys=True) == json.dumps(
        extract_claims("moe", QUESTION, papers, index_of(papers), CLAIMS), sort_keys=True
    )


def test_inconsistent_inputs_fail_with_a_message_naming_the_file():
    index = index_of(PAPERS)
    with pytest.raises(InputFileError, match="repeat an arXiv id"):
        extract_claims("q", QUESTION, [PAPERS[0], PAPERS[0]], index, CLAIMS)
    partial = {k: v for k, v in index.items() if k != "2501.00002"}
    with pytest.raises(InputFileError, match="no vector for kept paper"):
        extract_claims("q", QUESTION, PAPERS, partial, CLAIMS)


def test_a_damaged_model_file_is_named_with_the_fix(tmp_path, monkeypatch):
    import sovereign.claims.verifier as verifier

    broken = tmp_path / "verifier.json"
    broken.write_text('{"features": []}')
    monkeypatch.setattr(verifier, "MODEL_FILE", broken)
    verifier.load_verifier_model.cache_clear()
    try:
        with pytest.raises(InputFileError) as err:
            verifier.load_verifier_model()
        assert str(broken) in err.value.message and "--write-model" in err.value.message
    finally:
        verifier.load_verifier_model.cache_clear()


def test_a_body_sentence_repeating_its_abstract_is_not_a_second_claim():
    first = PAPERS[0]
    repeat = "We show that an auxiliary load balancing loss improves expert utilization by 12%."
    new = "An auxiliary load balancing loss improves expert utilization in every layer we tested."
    sections = {p["arxiv_id"]: [(0, "Abstract", p["abstract"])] for p in PAPERS}
    sections[first["arxiv_id"]] += [(1, "3 Results", f"{repeat}  {new}")]
    rows = extract_claims("q", QUESTION, PAPERS, index_of(PAPERS), CLAIMS, sections=sections)
    texts = [(r["section_index"], r["claim"]) for r in rows if r["arxiv_id"] == first["arxiv_id"]]
    assert (0, repeat) in texts and (1, repeat) not in texts  # quoted once, from the abstract
    assert (1, new) in texts  # the body's own statement is still a claim
