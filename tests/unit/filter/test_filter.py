import json
import random
from collections import Counter

import pyarrow as pa
import pytest

from sovereign import schemas
from sovereign.encoders.local import encoder
from sovereign.filter.model import semantic_threshold
from sovereign.filter.settings import Settings
from sovereign.filter.stage import deduplicate, filter_papers
from sovereign.io import to_table, write_table
from sovereign.text.tfidf import tfidf_scores
from support.paths import CS_DAILY


def run_filter(hits, threshold=0.15, semantic=None):
    """The filter stage's rows for these hits (the fitted semantic threshold unless given)."""
    settings = Settings(threshold, semantic_threshold(semantic))
    return filter_papers(QUESTION, to_table(hits, schemas.RAW), settings, encoder())


QUESTION = "How does top-k expert routing affect accuracy in mixture-of-experts models?"


def hit(qi, rank, pid, title, abstract):
    return {
        "question_id": "q",
        "query_index": qi,
        "query_kind": "keywords",
        "query": "all:x",
        "rank": rank,
        "arxiv_id": pid,
        "arxiv_id_versioned": None,
        "title": title,
        "abstract": abstract,
        "authors": ["A. Author"],
        "categories": ["cs.LG"],
        "primary_category": "cs.LG",
        "published": None,
        "updated": None,
        "doi": None,
        "journal_ref": None,
        "comment": None,
        "links": [],
        "backend": "snapshot",
        "search_score": 1.0,
        "ledger_key": None,
        "source_ref": None,
        "retrieved_at": None,
    }


HITS = [
    hit(
        0,
        1,
        "2501.1",
        "Top-k expert routing",
        "Top-k routing in mixture-of-experts models raises accuracy by two points.",
    ),
    hit(0, 2, "2501.2", "Gaussian splatting", "Rendering driving scenes in real time."),
    hit(
        1,
        1,
        "2501.1",
        "Top-k expert routing",
        "Top-k routing in mixture-of-experts models raises accuracy by two points.",
    ),
    hit(2, 3, "2501.3", "Expert load balancing", "Balancing experts in mixture-of-experts."),
    hit(3, 1, "2501.4", "Stop words only", ""),
    # Answers the question in other words: no bigram and almost no word in common.
    hit(
        3,
        2,
        "2501.5",
        "Sending each token to a few specialists",
        "Letting every token pick two of many feed-forward sub-networks changes how well the "
        "sparse transformer predicts.",
    ),
]


def test_duplicates_collapse_with_hit_counts():
    papers = deduplicate(to_table(HITS, schemas.RAW))
    assert [p["arxiv_id"] for p in papers] == ["2501.1", "2501.2", "2501.3", "2501.4", "2501.5"]
    first = papers[0]
    assert first["query_hits"] == 2 and first["best_rank"] == 1 and first["first_query_index"] == 0


def test_relevant_papers_are_kept_and_unrelated_ones_are_not():
    rows = {r["arxiv_id"]: r for r in run_filter(HITS)}
    assert rows["2501.1"]["kept"] and rows["2501.1"]["tfidf_score"] > 0.3
    assert not rows["2501.2"]["kept"] and rows["2501.2"]["tfidf_score"] == 0.0
    assert all(0.0 <= r["tfidf_score"] <= 1.0 + 1e-12 for r in rows.values())


def test_a_paraphrase_is_kept_by_meaning_and_both_signals_are_recorded():
    rows = {r["arxiv_id"]: r for r in run_filter(HITS)}
    para, off = rows["2501.5"], rows["2501.2"]
    assert not para["tfidf_pass"] and para["tfidf_score"] < 0.05
    assert para["semantic_score"] > off["semantic_score"] + 0.2
    semantic = (para["semantic_score"] + off["semantic_score"]) / 2
    rows = {r["arxiv_id"]: r for r in run_filter(HITS, semantic=semantic)}
    assert rows["2501.5"]["kept"] and rows["2501.5"]["semantic_pass"]
    assert not rows["2501.2"]["kept"] and not rows["2501.2"]["semantic_pass"]
    for r in rows.values():
        assert r["tfidf_pass"] == (r["tfidf_score"] >= 0.15)
        assert r["kept"] == (r["tfidf_pass"] or r["semantic_pass"])


def test_the_fitted_threshold_is_the_default():
    from sovereign.filter.model import load_filter_model, semantic_threshold

    assert semantic_threshold(None) == load_filter_model().semantic_threshold
    assert semantic_threshold(0.3) == 0.3


def test_threshold_is_inclusive():
    rows = run_filter(HITS)
    score = rows[0]["tfidf_score"]
    again = run_filter(HITS, score)
    assert again[0]["kept"]


def test_scores_do_not_depend_on_arrival_order(tmp_path):
    outputs = []
    for seed in range(4):
        shuffled = HITS[:]
        random.Random(seed).shuffle(shuffled)
        rows = run_filter(shuffled)
        path = tmp_path / f"f{seed}.parquet"
        write_table(rows, schemas.FILTERED, path, schemas.FILTERED_SORT)
        outputs.append(path.read_bytes())
    assert len(set(outputs)) == 1


def test_no_hits_gives_an_empty_filtered_stage():
    assert run_filter([]) == []
    assert tfidf_scores(QUESTION, []).shape == (0,)


@pytest.mark.parametrize("docs", [["the and of"], ["", ""]])
def test_documents_without_vocabulary_score_zero(docs):
    assert tfidf_scores("the of and", docs).tolist() == [0.0] * len(docs)


def test_filtered_schema_round_trip(tmp_path):
    rows = run_filter(HITS)
    table = write_table(rows, schemas.FILTERED, tmp_path / "f.parquet", schemas.FILTERED_SORT)
    assert table.schema.equals(schemas.FILTERED)
    assert isinstance(table, pa.Table) and table.num_rows == 5


def test_pair_cosine_equals_scikit_learn_fitted_on_the_pair():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from sovereign.text.normalize import fold

    docs = [h["title"] + ". " + h["abstract"] for h in HITS]
    ours = tfidf_scores(QUESTION, docs)
    for doc, score in zip(docs, ours, strict=True):
        vec = TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), stop_words="english")
        try:
            m = vec.fit_transform([QUESTION, doc])
        except ValueError:
            assert score == 0.0
            continue
        assert abs((m[0] @ m[1].T).toarray()[0, 0] - score) < 1e-12


def test_a_paper_score_ignores_the_other_hits():
    docs = [h["title"] + ". " + h["abstract"] for h in HITS]
    alone = tfidf_scores(QUESTION, docs[:1])[0]
    assert tfidf_scores(QUESTION, docs)[0] == alone


def test_the_term_analyzer_is_scikit_learns_word_analyzer():
    """filter spells out TfidfVectorizer's analyzer (to spare every job the sklearn import):
    the two must give the same terms on real metadata and on awkward text."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from sovereign.text.normalize import fold
    from sovereign.text.tfidf import term_counts

    reference = TfidfVectorizer(
        preprocessor=fold, ngram_range=(1, 2), stop_words="english"
    ).build_analyzer()
    texts = [
        "",
        "a",
        "the of and",
        "x y",
        "GPT-4 vs. Llama_2: 3.5x faster; naïve Straße, Ελληνικά, 中文 模型 e.g. $\\ell_1$",
        "word word word the word",
    ]
    if CS_DAILY.is_dir():
        for line in (CS_DAILY / "topic_moe_routing.jsonl").read_text().splitlines()[:300]:
            record = json.loads(line)
            texts.append(f"{record.get('title', '')}. {record.get('abstract', '')}")
    for text in texts:
        assert term_counts(text) == Counter(reference(text)), text
