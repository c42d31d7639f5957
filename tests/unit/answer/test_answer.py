"""The answer stage's logic: which sentences it may quote, themes, what a theme shows, the
comparison table, answer.parquet's codec, and the answer as a whole (every quote its span's text,
the same bytes in every process)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sovereign import schemas
from sovereign.answer.build import build_answer, shown_theme
from sovereign.answer.comparison import comparison_rows, quote_rows
from sovereign.answer.evidence import Quote, answer_quotes, ranking
from sovereign.answer.model import KEPT, UNSUPPORTED, Answer, WriterSentence
from sovereign.answer.rows import answer_from_rows, answer_rows
from sovereign.answer.themes import Theme, build_themes, name_themes, theme_count
from sovereign.encoders.hashing import HashingEmbedder
from sovereign.errors import InputFileError
from sovereign.io import read_table, write_table
from support.processes import stdout_under_hash_seeds
from support.settings import answer_settings

QUESTION = "How do auxiliary load balancing losses affect expert utilization in mixture-of-experts?"

PAPERS = {
    "2501.00001": (
        "Balanced routing: auxiliary losses for sparse experts",
        [
            "We study routing in sparse mixture-of-experts models.",
            "An auxiliary load balancing loss raises expert utilization from 41% to 93% on C4.",
            "Without the loss, two experts receive most tokens.",
        ],
    ),
    "2501.00002": (
        "Loss-free balancing",
        [
            "Auxiliary balancing losses hurt expert specialization and downstream accuracy.",
            "Our loss-free bias update keeps utilization balanced and improves perplexity by "
            "1.2 points on the Pile.",
        ],
    ),
    "2501.00003": (
        "Routing collapse in MoE",
        [
            "Routing collapse leaves most experts idle when no balancing loss is used.",
            "A balancing loss restores utilization of all experts.",
        ],
    ),
    "2501.00004": (
        "Protein folding with diffusion",
        ["Diffusion models fold proteins.", "They reach 0.9 TM-score on CASP15."],
    ),
}


def paper_rows(kept=("2501.00001", "2501.00002", "2501.00003")):
    return [
        {
            "arxiv_id": aid,
            "title": title,
            "abstract": " ".join(sentences),
            "kept": aid in kept,
        }
        for aid, (title, sentences) in PAPERS.items()
    ]


def claim_rows(**changes):
    """Every sentence as a claim: relevant unless about proteins; 2501.00002#0 contradicted by
    2501.00001; 2501.00003#1 supported by it. `changes` maps claim ids to field overrides."""
    rows = []
    for aid, (_title, sentences) in PAPERS.items():
        start = 0
        for i, text in enumerate(sentences):
            cid = f"{aid}#{i}"
            relevant = aid != "2501.00004"
            label = {"2501.00002#0": "CONTRADICT", "2501.00003#1": "SUPPORT"}.get(cid, "NEUTRAL")
            other = "2501.00001" if label != "NEUTRAL" else None
            row = {
                "claim_id": cid,
                "arxiv_id": aid,
                "sentence_index": i,
                "char_start": start,
                "char_end": start + len(text),
                "claim": text,
                "claim_kind": "measurement" if any(c.isdigit() for c in text) else "statement",
                "grounded": True,
                "relevance": round(0.9 - 0.1 * i, 2) if relevant else 0.01,
                "relevant": relevant,
                "evidence_label": label,
                "support_arxiv_id": other if label == "SUPPORT" else None,
                "support_text": PAPERS["2501.00001"][1][1] if label == "SUPPORT" else None,
                "contradict_arxiv_id": other if label == "CONTRADICT" else None,
                "contradict_text": PAPERS["2501.00001"][1][1] if label == "CONTRADICT" else None,
                "verified": relevant and label != "CONTRADICT",
            }
            row.update(changes.get(cid, {}))
            rows.append(row)
            start += len(text) + 1
    return rows


def embed(texts):
    return HashingEmbedder().embed(texts, "passage")


def answer(**settings):
    return build_answer(QUESTION, paper_rows(), claim_rows(), embed, answer_settings(**settings))


def quote(cid, text="A sentence.", *, relevance=0.5, verified=True, label="NEUTRAL", kind="x"):
    aid, _, idx = cid.partition("#")
    return Quote(cid, aid, int(idx), 0, len(text), text, relevance, verified, label, kind)


# --- which sentences --------------------------------------------------------------------------


def test_quotes_are_relevant_grounded_claims_of_kept_papers_each_its_spans_text():
    papers = paper_rows()
    quotes = answer_quotes(claim_rows(), papers)
    assert [q.claim_id for q in quotes] == [
        "2501.00001#0", "2501.00001#1", "2501.00001#2",
        "2501.00002#0", "2501.00002#1", "2501.00003#0", "2501.00003#1",
    ]  # fmt: skip
    abstracts = {p["arxiv_id"]: p["abstract"] for p in papers}
    for q in quotes:
        assert abstracts[q.arxiv_id][q.char_start : q.char_end] == q.text


def test_a_claim_whose_span_is_not_its_text_or_whose_paper_was_dropped_is_not_quoted():
    claims = claim_rows(**{"2501.00001#1": {"claim": "Something else entirely."}})
    ids = {q.claim_id for q in answer_quotes(claims, paper_rows(kept=("2501.00001", "2501.00003")))}
    assert "2501.00001#1" not in ids  # not its span
    assert not any(i.startswith("2501.00002") for i in ids)  # paper not kept
    ungrounded = claim_rows(**{"2501.00003#0": {"grounded": False}})
    assert "2501.00003#0" not in {q.claim_id for q in answer_quotes(ungrounded, paper_rows())}


def test_a_contradicted_claim_stays_with_the_paper_that_contradicts_it():
    (q,) = [q for q in answer_quotes(claim_rows(), paper_rows()) if q.claim_id == "2501.00002#0"]
    assert (q.verified, q.label, q.related_arxiv_id) == (False, "CONTRADICT", "2501.00001")
    assert q.related_text == PAPERS["2501.00001"][1][1]


def test_strength_puts_verified_then_results_then_relevance_first():
    weak_finding = quote("a#1", relevance=0.5, kind="measurement")
    strong_statement = quote("a#2", relevance=0.6, kind="statement")
    unverified = quote("a#3", relevance=0.99, verified=False)
    ranked = sorted([unverified, strong_statement, weak_finding], key=lambda q: q.strength)
    assert ranked == [weak_finding, strong_statement, unverified]  # 0.5 + 0.15 > 0.6


def test_a_sentence_in_the_questions_words_leads_one_that_only_its_paper_made_relevant():
    key = ranking("How do balancing losses affect expert utilization?")
    on = quote("a#1", "Balancing losses raise expert utilization.", relevance=0.7)
    off = quote("b#1", "The model is open for the academic community.", relevance=0.9)
    assert sorted([off, on], key=key) == [on, off]  # 0.7 + 0.3 x 5/5 > 0.9
    assert sorted([off, on], key=lambda q: q.strength) == [off, on]  # relevance alone


# --- themes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "k"), [(0, 1), (2, 1), (3, 1), (8, 2), (18, 3), (72, 6), (500, 6)])
def test_theme_count_grows_with_the_square_root_of_the_evidence(n, k):
    assert theme_count(n, 6) == k


def test_themes_group_by_meaning_and_the_heaviest_comes_first():
    routing = [quote(f"r{i}#0", "expert routing balance loss", relevance=0.9) for i in range(4)]
    folding = [quote(f"p{i}#0", "protein folding diffusion", relevance=0.2) for i in range(4)]
    near = np.array([[1, 0.1 * i, 0] for i in range(4)] + [[0, 1, 0.1 * i] for i in range(4)])
    themes = build_themes(routing + folding, near, "What about it?", max_themes=2)
    assert [sorted(q.claim_id for q in t.quotes) for t in themes] == [
        [q.claim_id for q in routing],
        [q.claim_id for q in folding],
    ]
    assert themes[0].weight > themes[1].weight
    assert themes[0].label == "balance loss · expert routing"  # a word once; ties by the term
    assert themes[1].label == "folding diffusion · protein"


def test_a_theme_is_named_by_its_own_words_not_the_questions_nor_every_abstracts():
    groups = [
        [quote("a#0", "Sparse routing keeps experts busy."), quote("b#0", "Sparse routing wins.")],
        [quote("c#0", "Token dropping hurts accuracy."), quote("d#0", "Token dropping is rare.")],
    ]
    names = name_themes(groups, "How do experts behave?")
    assert names[0].startswith("sparse routing") and "experts" not in names[0]
    assert names[1].startswith("token dropping")
    assert name_themes([[quote("a#0", "We propose a novel method.")]], "q") == ["other findings"]


def test_a_theme_quotes_its_strongest_papers_cites_the_rest_and_always_shows_a_contradiction():
    quotes = (
        quote("a#0", relevance=0.9),
        quote("a#1", relevance=0.8),  # a's second sentence: a's strongest speaks for it
        quote("b#0", relevance=0.7),
        quote("c#0", relevance=0.6),
        quote("d#0", relevance=0.5),
        replace(
            quote("e#0", relevance=0.2, verified=False, label="CONTRADICT"), related_arxiv_id="a"
        ),
    )
    shown = shown_theme(0, Theme("t", quotes), quotes_per_theme=2)
    assert [(q.claim_id, q.shown) for q in shown.quotes] == [
        ("a#0", True), ("b#0", True), ("e#0", True), ("c#0", False), ("d#0", False),
    ]  # fmt: skip
    assert shown.papers == ("a", "b", "c", "d", "e")
    assert [q.claim_id for q in shown.contradicted] == ["e#0"]


# --- the comparison table ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        (
            "GPT-4 reaches 86.4% accuracy on MMLU, while LLaMA-2 reaches 68.9%.",
            [("GPT-4", "MMLU", "accuracy", "86.4%"), ("LLaMA-2", "MMLU", "accuracy", "68.9%")],
        ),
        (
            "Our method improves BLEU by 2.1 points on WMT14 English-German.",
            [("Switch", "WMT14 English-German", "BLEU (gain)", "2.1 points")],
        ),
        (
            "It reduces latency by 30% on A100 GPUs.",
            [("Switch", "", "latency (reduction)", "30%")],
        ),
        ("SciBERT obtains an F1 of 87.3 on SciERC.", [("SciBERT", "SciERC", "F1", "87.3")]),
        ("We train on 10 languages in 2019 with 3 GPUs.", []),  # counts and years: no result
        ("Accuracy improves markedly.", []),  # no number
    ],
)
def test_numbers_become_rows_only_with_a_metric_beside_them(text, rows):
    got = quote_rows(quote("a#1", text), "Switch: a title")
    assert [(r.method, r.dataset, r.metric, r.value) for r in got] == rows


def test_a_number_with_neither_method_nor_dataset_is_left_out():
    assert quote_rows(quote("a#1", "Accuracy rises by 3%."), "A title without a colon") == []


def test_one_row_compares_nothing_so_the_table_is_left_out():
    one = [quote("a#1", "SciBERT obtains an F1 of 87.3 on SciERC.")]
    assert comparison_rows(one, {}) == []
    two = one + [quote("b#1", "BioBERT obtains an F1 of 85.0 on SciERC.")]
    assert [r.method for r in comparison_rows(two, {})] == ["SciBERT", "BioBERT"]


# --- the whole answer, and its file ------------------------------------------------------------


def test_the_answer_quotes_and_cites_every_paper_with_relevant_evidence():
    a = answer()
    assert a.cited_papers == ("2501.00001", "2501.00002", "2501.00003")
    by_id = {p["arxiv_id"]: p for p in paper_rows()}
    for q in a.quotes:  # every quote round-trips to its source span
        assert by_id[q.arxiv_id]["abstract"][q.char_start : q.char_end] == q.text
    assert {r.value for r in a.comparison} >= {"93%", "1.2 points"}
    assert a.writer == ()


def test_no_relevant_evidence_gives_an_empty_answer():
    claims = [dict(c, relevant=False, verified=False) for c in claim_rows()]
    a = build_answer(QUESTION, paper_rows(), claims, embed, answer_settings())
    assert (a.themes, a.comparison, a.quotes) == ((), (), ())


def test_the_revision_drops_unverified_quotes_and_what_cites_only_them():
    a = answer(max_themes=1)
    written = (
        WriterSentence(0, "Contradicted.", ("2501.00002#0",), KEPT, "", "k"),
        WriterSentence(1, "Fine.", ("2501.00001#1",), KEPT, "", "k"),
        WriterSentence(2, "Dropped anyway.", ("2501.00001#1",), UNSUPPORTED, "", "k"),
    )
    revised = Answer(a.themes, a.comparison, written).without_unverified()
    assert all(q.verified for q in revised.quotes)
    assert "2501.00002#0" not in {q.claim_id for q in revised.quotes}
    assert [s.seq for s in revised.writer] == [1, 2]


def test_answer_parquet_reads_back_as_written(tmp_path):
    written = WriterSentence(0, "Balancing raises utilization.", ("2501.00001#1",), KEPT, "ok", "k")
    a = answer()
    a = Answer(a.themes, a.comparison, (written,))
    path = tmp_path / "answer.parquet"
    write_table(answer_rows("q", a), schemas.ANSWER, path, schemas.ANSWER_SORT)
    rows = read_table(path, schemas.ANSWER).to_pylist()
    assert answer_from_rows(rows, str(path)) == a


def test_a_row_of_unknown_kind_is_an_error_naming_the_file():
    rows = answer_rows("q", answer())
    with pytest.raises(InputFileError, match="unknown kind 'poem'"):
        answer_from_rows([*rows, dict(rows[0], kind="poem")], "answer.parquet")


def test_the_same_answer_in_every_process_and_batch():
    code = (
        "from test_answer import answer, answer_rows\n"
        "import json\nprint(json.dumps(answer_rows('q', answer()), sort_keys=True))\n"
    )
    outputs = stdout_under_hash_seeds(code, Path(__file__).parent)
    assert len(set(outputs.values())) == 1 and "2501.00001#1" in next(iter(outputs.values()))
    one_by_one = build_answer(
        QUESTION,
        paper_rows(),
        claim_rows(),
        lambda texts: np.vstack([embed([t]) for t in texts]),
        answer_settings(),
    )
    assert one_by_one == answer()
