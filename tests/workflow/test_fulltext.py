"""The full-text stage through real Snakemake runs: a directory of sources (a multi-file LaTeX
e-print, a PDF, a hostile tarball, papers with none), claims and citations from body sections,
the record's account of what was read, byte-identical reruns with and without the parse store,
a Gate 2 bundle that re-verifies; and the live path against a fake arXiv e-print service on
loopback, recorded in the ledger and replayed with the service gone."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest

from support.bundles import requires_sandbox
from support.sources import FakeEprints, eprint, one_page_pdf
from support.workflow import fixture_snapshot, make_workdir, result_bytes, snakemake

pytestmark = pytest.mark.slow

QID = "routing"
ROWS = [[QID, "How does expert routing affect VQA accuracy?", "2026-05-28"]]
BODY = (
    "Routing each token to its top-two experts raised VQA accuracy from 61.2 to 63.0 on the "
    "validation split, while expert routing with a single expert lost 0.7 points of accuracy."
)
MAIN = r"""\documentclass{article}
\newcommand{\vqa}{VQA}
\def\topk#1{top-$#1$}
\begin{document}
\title{Sparse routing}
\begin{abstract}
We study expert routing.
\end{abstract}
\input{sections/intro}
\section{Experiments}
We train on the \vqa{} data with $k \in \{1, 2\}$ experts per token.
\subsection{Ablations}
Routing each token to its \topk{two} experts raised \vqa{} accuracy from 61.2 to 63.0 on the
validation split, while expert routing with a single expert lost 0.7 points of accuracy.
% Routing with three experts is a secret we never tell.
\begin{figure}\centering\rule{1cm}{1cm}\caption{Accuracy by routing choice.}\end{figure}
\bibliographystyle{plain}
\begin{thebibliography}{1}
\bibitem{a} A. Author. Bibliography text that must not be read. 2020.
\end{thebibliography}
\end{document}
"""
INTRO = r"""\section{Introduction}
Mixture-of-experts models route tokens to experts \cite{a}; expert routing decides which
parameters see a token.
"""
PDF_LINES = [
    (16, 72, 740, "Out-of-Domain VQA"),
    (10, 72, 700, "Abstract"),
    (10, 72, 686, "We study distribution shift in visual question answering."),
    (14, 72, 650, "1 Introduction"),
    (10, 72, 628, "Expert specialization reduces the VQA accuracy drop by 4 points."),
    (14, 72, 590, "2 Results"),
    (10, 72, 568, "Routing experts by question type improves VQA accuracy under shift."),
]


def sources(root):
    root.mkdir()
    (root / "2501.00001v1.tar.gz").write_bytes(
        eprint({"main.tex": MAIN, "sections/intro.tex": INTRO})
    )
    (root / "2501.00002.pdf").write_bytes(one_page_pdf(PDF_LINES))
    # hostile: a member that leaves the extraction directory, and a link out
    (root / "2501.00003v1.tar.gz").write_bytes(
        eprint({"main.tex": MAIN, "../evil.tex": "x"}, links={"passwd": "/etc/passwd"})
    )
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("fulltext")
    search = {"backend": "snapshot", "snapshot": str(fixture_snapshot(root / "snap.jsonl"))}
    fulltext = {"sources": str(sources(root / "sources"))}
    wd = make_workdir(root / "work", ROWS, search, fulltext=fulltext)
    snakemake(wd, "-c2")
    return wd


def table(wd, name):
    return pq.read_table(wd / "results" / QID / name).to_pylist()


def test_each_paper_is_read_from_its_strongest_source_with_the_reason_recorded(built):
    kept = {p["arxiv_id"] for p in table(built, "filtered.parquet") if p["kept"]}
    assert {"2501.00001", "2501.00002", "2501.00003"} <= kept
    rows = table(built, "sections.parquet")
    by = {}
    for r in rows:
        by.setdefault(r["arxiv_id"], []).append(r)
    assert set(by) == kept
    latex = by["2501.00001"]
    assert [r["section_path"] for r in latex] == [
        "Abstract",
        "1 Introduction",
        "2 Experiments",
        "2 Experiments / 2.1 Ablations",
    ]
    assert {r["source_kind"] for r in latex[1:]} == {"latex"} and latex[0]["note"] is None
    assert latex[1]["source_ref"] == "2501.00001v1.tar.gz" and latex[1]["version"] == 1
    ablation = latex[3]["text"]
    assert BODY in ablation  # macros expanded, math kept readable, comment dropped
    assert "Figure: Accuracy by routing choice." in ablation
    assert "secret" not in ablation and "Bibliography text" not in ablation
    pdf = by["2501.00002"]
    assert [r["source_kind"] for r in pdf[1:]] == ["pdf", "pdf"]
    assert "no source file for 2501.00002" in pdf[0]["note"]
    hostile = by["2501.00003"]
    assert len(hostile) == 1 and hostile[0]["source_kind"] == "abstract"
    assert "2501.00003v1.tar.gz" in hostile[0]["note"] and ".." in hostile[0]["note"]
    others = [by[i] for i in sorted(kept - {"2501.00001", "2501.00002", "2501.00003"})]
    assert all(len(p) == 1 and "no source file" in p[0]["note"] for p in others)
    assert not (built / "evil.tex").exists() and not (built.parent / "evil.tex").exists()


def test_claims_come_from_body_sections_and_round_trip_to_their_spans(built):
    texts = {
        (r["arxiv_id"], r["section_index"]): r["text"] for r in table(built, "sections.parquet")
    }
    claims = table(built, "claims.parquet")
    assert claims
    for c in claims:
        assert (
            texts[(c["arxiv_id"], c["section_index"])][c["char_start"] : c["char_end"]]
            == c["claim"]
        )
    body = [c for c in claims if c["section_index"] > 0]
    assert any(c["section_path"] == "2 Experiments / 2.1 Ablations" for c in body)
    assert all(c["relevant"] for c in body)


def test_the_report_cites_sections_and_the_record_says_what_was_read(built):
    report = (built / "results" / QID / "report.md").read_text()
    assert "[2501.00001 §2.1, " in report
    record = json.loads((built / "results" / QID / "record.json").read_text())
    text = record["verification"]["full_text"]
    assert (text["latex"], text["pdf"]) == (1, 1)
    assert "1 LaTeX e-print, 1 PDF" in record["verification"]["claim_record_source"]
    papers = {p["arxiv_id"]: p for p in text["papers"]}
    assert papers["2501.00001"]["read_from"] == "latex"
    assert papers["2501.00003"]["read_from"] == "abstract" and papers["2501.00003"]["note"]


def test_a_rerun_is_byte_identical_with_and_without_the_parse_store(built, tmp_path):
    copy = tmp_path / "work"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("results", ".snakemake", "logs"))
    snakemake(copy, "-c2")  # the parse store (cache/fulltext) is copied: sources not re-parsed
    assert result_bytes(copy) == result_bytes(built)
    shutil.rmtree(copy / "results")
    shutil.rmtree(copy / "cache" / "fulltext")
    snakemake(copy, "-c2")
    assert result_bytes(copy) == result_bytes(built)


@requires_sandbox
def test_the_gate2_bundle_carries_the_sources_and_verifies(built):
    snakemake(built, "-c2", "gate2")
    verdict = json.loads((built / "results" / QID / "gate2" / "verdict.json").read_text())
    assert verdict["status"] == "VERIFIED", verdict


def test_live_eprints_are_recorded_and_replayed_without_the_network(tmp_path):
    search = {"backend": "snapshot", "snapshot": str(fixture_snapshot(tmp_path / "snap.jsonl"))}
    files = {"e-print/2501.00001": eprint({"main.tex": MAIN, "sections/intro.tex": INTRO})}
    with FakeEprints(files) as server:
        fulltext = {
            "source": "arxiv",
            "eprint_url": f"{server.url}/e-print/",
            "pdf_url": f"{server.url}/pdf/",
        }
        wd = make_workdir(tmp_path / "work", ROWS, search, fulltext=fulltext)
        snakemake(wd, "-c2", "--config", "search={'min_interval': 0.0}")
        asked = list(server.requests)
    assert "e-print/2501.00001" in asked and "pdf/2501.00001" not in asked
    assert "pdf/2501.00002" in asked  # no e-print: the PDF is asked for next
    rows = table(wd, "sections.parquet")
    assert any(r["source_kind"] == "latex" and r["arxiv_id"] == "2501.00001" for r in rows)
    notes = {r["arxiv_id"]: r["note"] for r in rows if r["section_index"] == 0}
    assert "HTTP 404" in notes["2501.00002"]
    first = result_bytes(wd)
    # the service is gone: offline, everything comes from the ledger, byte for byte
    shutil.rmtree(wd / "results")
    snakemake(wd, "-c2", "--config", "fulltext={'offline': True}")
    assert result_bytes(wd) == first


RESCUE = (
    "Expert routing by question type raised VQA accuracy from 58.1 to 60.4 on the out-of-domain "
    "split, and expert routing with shared experts raised VQA accuracy by a further 0.9 points."
)


NEAR_MISSES = [
    (
        "2502.00011",
        "Parcel Routing for Postal Services",
        "We describe parcel routing in postal delivery and the accuracy of arrival estimates.",
    ),
    (
        "2502.00012",
        "Routing Tables at Scale",
        "We study routing tables of large networks and the accuracy of their compression.",
    ),
]


def _latex_paper(title: str, results: str) -> bytes:
    tex = (
        "\\documentclass{article}\n\\begin{document}\n"
        f"\\title{{{title}}}\n\\begin{{abstract}}\nWe study a system.\n\\end{{abstract}}\n"
        "\\section{Introduction}\nThis section introduces the setting of the paper.\n"
        f"\\section{{Results}}\n{results}\n\\end{{document}}\n"
    )
    return eprint({"main.tex": tex})


@pytest.fixture(scope="module")
def second_look(tmp_path_factory):
    """A run in which the filter's two nearest misses have e-prints: the first one's Results
    answer the question, the second one's do not."""
    from sovereign.filter.stage import near_misses

    root = tmp_path_factory.mktemp("second_look")
    snapshot = fixture_snapshot(root / "snap.jsonl")
    with snapshot.open("a", encoding="utf-8") as out:  # papers whose abstracts name no finding
        for arxiv_id, title, abstract in NEAR_MISSES:
            record = {"id": arxiv_id, "title": title, "abstract": abstract, "categories": "cs.LG"}
            out.write(json.dumps(record) + "\n")
    search = {"backend": "snapshot", "snapshot": str(snapshot)}
    folder = root / "sources"
    folder.mkdir()
    wd = make_workdir(root / "work", ROWS, search, fulltext={"sources": str(folder)})
    snakemake(wd, "-c2", f"results/{QID}/filtered.parquet")
    near = [p["arxiv_id"] for p in near_misses(table(wd, "filtered.parquet"), 2)]
    assert len(near) == 2, "the fixture corpus has near misses for this question"
    (folder / f"{near[0]}v1.tar.gz").write_bytes(_latex_paper("A near miss", RESCUE))
    off_topic = "The crawler stores each page once and retries a failed download twice."
    (folder / f"{near[1]}v1.tar.gz").write_bytes(_latex_paper("Another", off_topic))
    snakemake(wd, "-c2")
    return wd, near


def test_a_near_miss_whose_body_answers_is_kept_and_quoted(second_look):
    wd, (rescued, dropped) = second_look
    filtered = {p["arxiv_id"]: p for p in table(wd, "filtered.parquet")}
    assert not filtered[rescued]["kept"] and not filtered[dropped]["kept"]  # the filter's verdict
    rows = table(wd, "sections.parquet")
    kept_on = {r["arxiv_id"]: r["kept_on"] for r in rows}
    assert kept_on[rescued] == "full text" and dropped not in kept_on
    assert {v for k, v in kept_on.items() if k != rescued} == {"abstract"}
    note = next(r["note"] for r in rows if r["arxiv_id"] == rescued and r["section_index"] == 0)
    assert note.startswith("kept on its full text: a passage of 2 Results passes the filter")
    claims = [c for c in table(wd, "claims.parquet") if c["arxiv_id"] == rescued]
    assert any(c["section_path"] == "2 Results" for c in claims)
    vectors = {r["item_id"] for r in table(wd, "embeddings.parquet")}
    assert {rescued, dropped} <= vectors  # the index holds what a second look may keep
    report = (wd / "results" / QID / "report.md").read_text()
    assert f"<https://arxiv.org/abs/{rescued}>" in report
    assert f"<https://arxiv.org/abs/{dropped}>" not in report
    assert f"1 of them ({rescued}) the filter had dropped on their abstracts" in report
    record = json.loads((wd / "results" / QID / "record.json").read_text())
    assert record["verification"]["full_text"]["kept_on_full_text"] == [rescued]
    assert record["retrieval"]["kept_on_full_text"] == 1
    assert "1 of them on their full text, a passage of the body passing the same test" in report
    page = (wd / "results" / QID / "record.html").read_text()
    assert "Kept on full text" in page and rescued in page
    log = (wd / "logs" / "fulltext" / f"{QID}.log").read_text()
    assert f"{dropped}: read in full (latex), no passage passes the filter" in log


@requires_sandbox
def test_a_second_look_reruns_byte_identically_and_verifies_in_gate2(second_look, tmp_path):
    wd, _ = second_look
    copy = tmp_path / "work"
    shutil.copytree(wd, copy, ignore=shutil.ignore_patterns("results", ".snakemake", "logs"))
    shutil.rmtree(copy / "cache" / "fulltext")
    snakemake(copy, "-c2")
    assert result_bytes(copy) == result_bytes(wd)
    snakemake(wd, "-c2", "gate2")
    verdict = json.loads((wd / "results" / QID / "gate2" / "verdict.json").read_text())
    assert verdict["status"] == "VERIFIED", verdict
