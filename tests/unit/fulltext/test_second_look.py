"""The second look: the filter's near misses read in full, kept when a body passage passes the
filter's own test."""

import pyarrow as pa
import pytest

from sovereign import schemas
from sovereign.embed.stage import embedded_papers
from sovereign.filter.stage import near_misses
from sovereign.fulltext.model import Limits, Section
from sovereign.fulltext.rows import kept_on_full_text, readings, with_second_look
from sovereign.fulltext.second_look import (
    FULL_TEXT_KEPT,
    PASSAGE_WORDS,
    Judge,
    passages,
)
from sovereign.fulltext.settings import DIRECTORY, OFF, Settings
from sovereign.fulltext.sources import Fetched, Missing
from sovereign.fulltext.stage import paper_texts
from sovereign.io import write_table
from sovereign.net.http import RetryPolicy
from support.sources import eprint

QUESTION = "How do graph neural networks scale to billion-edge graphs?"
ANSWER = "Neighbour sampling lets graph neural networks scale to billion-edge graphs."


def paper(arxiv_id, kept, semantic=0.1, tfidf=0.0, abstract="We study a topic."):
    return {
        "arxiv_id": arxiv_id,
        "arxiv_id_versioned": f"{arxiv_id}v1",
        "title": f"Paper {arxiv_id}",
        "abstract": abstract,
        "kept": kept,
        "semantic_score": semantic,
        "tfidf_score": tfidf,
    }


def test_near_misses_are_the_best_scored_dropped_papers():
    papers = [
        paper("2401.00001", True, semantic=0.9),
        paper("2401.00002", False, semantic=0.5),
        paper("2401.00003", False, semantic=0.6),
        paper("2401.00004", False, semantic=0.5, tfidf=0.1),
        paper("2401.00005", False, semantic=0.2),
    ]
    assert [p["arxiv_id"] for p in near_misses(papers, 3)] == [
        "2401.00003",  # highest encoder cosine
        "2401.00004",  # a tie broken by TF-IDF ...
        "2401.00002",  # ... then by id
    ]
    assert near_misses(papers, 0) == []
    assert len(near_misses(papers, 99)) == 4  # never a kept paper
    assert near_misses(papers, None) == near_misses(papers, 99)  # `all`: every dropped paper


def test_passages_are_whole_sentences_of_about_an_abstracts_length():
    sentence = "This sentence has exactly eight words in it."
    text = " ".join([sentence] * 40)
    cut = passages(text)
    assert all(len(p.split()) <= PASSAGE_WORDS for p in cut)
    assert " ".join(cut) == text  # nothing lost, in order
    assert len(cut) == 3  # 15 + 15 + 10 sentences
    long = "Long " + " ".join(["word"] * 300) + "."
    assert passages(f"Short one. {long} Short two.") == ["Short one.", long, "Short two."]
    assert passages("") == []


def judge_of(scores: dict[str, float], threshold=0.15, semantic=0.5) -> Judge:
    """A judge whose encoder cosine is looked up by a word the passage holds (0 otherwise)."""

    def score(texts):
        return [max((v for k, v in scores.items() if k in t), default=0.0) for t in texts]

    return Judge(QUESTION, threshold, semantic, score)


def test_the_best_passing_passage_is_named():
    sections = [
        Section("1 Introduction", "We introduce the setting. It is a common one."),
        Section("2 Method", "ALPHA is a passage the encoder likes."),
        Section("3 Results", "BETA is a passage the encoder likes more."),
    ]
    found = judge_of({"ALPHA": 0.55, "BETA": 0.61}).best(sections)
    assert (found.section_index, found.section_path, found.semantic_score) == (3, "3 Results", 0.61)
    assert judge_of({"ALPHA": 0.49}).best(sections) is None
    assert judge_of({}).best([]) is None


def test_tfidf_alone_can_pass_a_passage():
    sections = [Section("4 Scaling", ANSWER)]
    found = judge_of({}, threshold=0.15, semantic=0.99).best(sections)
    assert found is not None and found.tfidf_score >= 0.15 and found.semantic_score == 0.0
    note = found.note(0.15, 0.99)
    assert "TF-IDF cosine" in note and "encoder cosine" not in note and "4 Scaling" in note


def _settings(tmp_path, second_look: int, mode: str = DIRECTORY) -> Settings:
    return Settings(
        mode=mode,
        sources=str(tmp_path / "sources"),
        limits=Limits(10_000_000, 50_000_000, 100, 30.0),
        store=str(tmp_path / "store"),
        ledger=str(tmp_path / "ledger"),
        offline=True,
        eprint_url="https://example.org/e-print/",
        pdf_url="https://example.org/pdf/",
        contact="test@example.org",
        min_interval=0.0,
        policy=RetryPolicy(0, 0.0, 0.0, 1.0, "fulltext"),
        second_look=second_look,
    )


def _latex(body: str) -> bytes:
    tex = (
        "\\documentclass{article}\n\\begin{document}\n"
        "\\section{Introduction}\nWe introduce the setting of this paper.\n"
        f"\\section{{Results}}\n{body}\n\\end{{document}}\n"
    )
    return eprint({"main.tex": tex})


class Sources:
    """Fake fetches: e-prints by id; every call recorded."""

    def __init__(self, blobs):
        self.blobs, self.calls = blobs, []

    def __call__(self, arxiv_id, version, pdf):
        self.calls.append((arxiv_id, pdf))
        if pdf or arxiv_id not in self.blobs:
            return Missing(f"no {'PDF' if pdf else 'source'} for {arxiv_id}")
        return Fetched(self.blobs[arxiv_id], f"{arxiv_id}v1.tar.gz", 1)


PAPERS = [
    paper("2401.00001", True, semantic=0.8),
    paper("2401.00002", False, semantic=0.45),  # its body answers
    paper("2401.00003", False, semantic=0.44),  # its body does not
    paper("2401.00004", False, semantic=0.43),  # no source at all
    paper("2401.00005", False, semantic=0.10),  # beyond the second look
]
SOURCES = {
    "2401.00001": _latex("We report results on a benchmark."),
    "2401.00002": _latex(ANSWER),
    "2401.00003": _latex("We report results on image classification."),
    "2401.00005": _latex(ANSWER),
}


def test_a_near_miss_whose_body_answers_is_kept_on_its_full_text(tmp_path):
    fetch = Sources(SOURCES)
    judged = []

    def judge():
        judged.append(1)
        return judge_of({"Neighbour sampling": 0.7}, semantic=0.6)

    rows = paper_texts("q", PAPERS, _settings(tmp_path, 3), fetch=fetch, judge=judge)
    by_paper = {}
    for row in rows:
        by_paper.setdefault(row["arxiv_id"], []).append(row)
    assert sorted(by_paper) == ["2401.00001", "2401.00002"]
    assert {r["kept_on"] for r in by_paper["2401.00001"]} == {"abstract"}
    rescued = by_paper["2401.00002"]
    assert {r["kept_on"] for r in rescued} == {FULL_TEXT_KEPT}
    assert [r["section_path"] for r in rescued] == ["Abstract", "1 Introduction", "2 Results"]
    assert rescued[0]["note"].startswith("kept on its full text: a passage of 2 Results passes")
    assert "encoder cosine 0.700 >= 0.600" in rescued[0]["note"]
    assert judged == [1]  # the encoder is loaded once, and only for a body to judge
    assert "2401.00005" not in {a for a, _ in fetch.calls}  # only the 3 nearest misses are read

    table = _table(tmp_path, rows)
    assert kept_on_full_text(table) == {"2401.00002"}
    seen = {p["arxiv_id"]: p["kept"] for p in with_second_look(PAPERS, table)}
    assert seen == {
        "2401.00001": True,
        "2401.00002": True,
        "2401.00003": False,
        "2401.00004": False,
        "2401.00005": False,
    }
    assert {r.arxiv_id: r.kept_on for r in readings(table.to_pylist())} == {
        "2401.00001": "abstract",
        "2401.00002": FULL_TEXT_KEPT,
    }


def _table(tmp_path, rows) -> pa.Table:
    path = tmp_path / "sections.parquet"
    write_table(rows, schemas.SECTIONS, path, schemas.SECTIONS_SORT)
    import pyarrow.parquet as pq

    return pq.read_table(path)


@pytest.mark.parametrize("second_look, mode", [(0, DIRECTORY), (3, OFF)])
def test_no_second_look_reads_only_kept_papers(tmp_path, second_look, mode):
    fetch = Sources(SOURCES)

    def judge():
        raise AssertionError("no judge without a second look")

    rows = paper_texts(
        "q", PAPERS, _settings(tmp_path, second_look, mode), fetch=fetch, judge=judge
    )
    assert {r["arxiv_id"] for r in rows} == {"2401.00001"}
    assert {a for a, _ in fetch.calls} <= {"2401.00001"}


def test_near_misses_without_a_body_never_load_the_encoder(tmp_path):
    fetch = Sources({"2401.00001": SOURCES["2401.00001"]})

    def judge():
        raise AssertionError("the encoder is not needed: no near miss has a body")

    rows = paper_texts("q", PAPERS, _settings(tmp_path, 3), fetch=fetch, judge=judge)
    assert {r["arxiv_id"] for r in rows} == {"2401.00001"}


def test_the_index_holds_the_near_misses_the_second_look_may_keep():
    ids = [p["arxiv_id"] for p in embedded_papers(PAPERS, 3)]
    assert ids == ["2401.00001", "2401.00002", "2401.00003", "2401.00004"]
    assert [p["arxiv_id"] for p in embedded_papers(PAPERS)] == ["2401.00001"]


def test_the_setting_reads_all_a_count_or_nothing_when_full_text_is_off():
    from sovereign.config.checks import default_config
    from sovereign.fulltext.settings import rerun_params, second_look

    config = default_config()
    config["search"]["backend"] = "arxiv"
    assert second_look(config) is None  # the default, `all`
    params = rerun_params(config)["fulltext"]
    assert params["second_look"] is None and 0.3 < params["passage_threshold"] < 1
    config["fulltext"]["second_look"] = 7
    assert second_look(config) == 7
    config["fulltext"]["source"] = "off"
    assert second_look(config) == 0
    assert rerun_params(config)["fulltext"]["passage_threshold"] is None


def test_a_huge_body_costs_bounded_work():
    from sovereign.fulltext.second_look import MAX_PASSAGES

    seen = []

    def score(texts):
        seen.append(len(texts))
        return [0.0] * len(texts)

    body = " ".join(f"Sentence number {i} says little." for i in range(30 * MAX_PASSAGES))
    judge = Judge(QUESTION, 0.15, 0.5, score)
    assert judge.best([Section("1 Body", body)]) is None
    assert seen == [MAX_PASSAGES]
