"""benchmarks/answer_quality.py build --fulltext: each evidence quote in the Results section of a
synthetic e-print, its abstract neutral; built on a tiny fake rubric file (no pipeline run)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
import yaml

from support.benchmarks import load_benchmark

aq = load_benchmark("answer_quality")
ft = aq.ft

QUESTION = "How do sparse attention patterns reduce transformer memory?"
QUOTES = [
    "Sparse attention restricts each token to a local window, cutting memory to 50% & O(n).",
    "Block-sparse kernels -- see {1} -- reduce the $x_i^2$ footprint by ~3x #wins \\o/.",
    "the aim of SDM is to enhance the data rate.",  # short: its title is nearly all of it
]
DAILY = {
    "id": "2503.10002",
    "title": "Efficient Attention for Long Documents",
    "authors": ["B. Author"],
    "categories": ["cs.CL"],
    "summary": "Linear attention variants trade accuracy for memory on long inputs.",
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "scholarqa_cs").mkdir(parents=True)
    entry = {
        "initial_prompt": QUESTION,
        "metric_config": {
            "config": {
                "other_properties": [
                    {"name": f"i{n}", "criterion": "c", "weight": 0.5, "evidence": [q]}
                    for n, q in enumerate(QUOTES)
                ]
            }
        },
        "case_id": "c1",
        "annotator": "Annotator 1",
    }
    (root / "scholarqa_cs/test_configs_snippets.jsonl").write_text(json.dumps(entry) + "\n")
    (root / "arxiv_cs_daily/days").mkdir(parents=True)
    (root / "arxiv_cs_daily/days/2025-03-18.jsonl").write_text(json.dumps(DAILY) + "\n")
    return root


def _members(blob: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob)), mode="r:") as tar:
        return {m.name: m for m in tar.getmembers()}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_fulltext_build_hides_each_quote_in_a_results_section(data, tmp_path):
    out = tmp_path / "ft"
    assert aq.main(["build", "--fulltext", "--out", str(out), "--data", str(data)]) == 0
    plain = tmp_path / "abs"
    aq.build(plain, data)
    # the same papers, questions and gold: only the abstracts and the overlay differ
    for name in ("gold.json", "split.json", "questions.tsv"):
        assert (out / name).read_bytes() == (plain / name).read_bytes()
    ids = aq.evidence_ids(aq.load_entries(data))
    records = [json.loads(line) for line in (out / "snapshot/evidence.jsonl").open()]
    originals = [json.loads(line) for line in (plain / "snapshot/evidence.jsonl").open()]
    assert [(r["id"], r["title"]) for r in records] == [(r["id"], r["title"]) for r in originals]
    sources = out / "sources"
    distractors = [
        p for p in aq.load_snapshot(plain / "snapshot")[0] if p["arxiv_id"] not in ids.values()
    ]
    assert distractors
    assert sorted(p.name for p in sources.iterdir()) == sorted(
        [f"{i}.tar.gz" for i in ids.values()] + [f"{p['arxiv_id']}.tar.gz" for p in distractors]
    )
    for paper in distractors:  # every other paper has a body too: its own abstract
        tex = ft.read_main((sources / f"{paper['arxiv_id']}.tar.gz").read_bytes())
        results = tex.split("\\section{Results}")[1].split("\\section{Conclusion}")[0]
        assert f"\n{ft.latex_escape(paper['abstract'])}\n" in results
    for record in records:
        quote = next(q for q, i in ids.items() if i == record["id"])
        abstract = record["summary"]
        assert abstract.startswith("This paper studies ") and "body of the paper" in abstract
        assert quote.casefold() not in abstract.casefold()

        blob = (sources / f"{record['id']}.tar.gz").read_bytes()
        assert blob[4:8] == b"\0\0\0\0"  # gzip header mtime 0
        members = _members(blob)
        assert list(members) == ["main.tex", "refs.bib"]
        assert all(m.mtime == 0 and m.uid == m.gid == 0 for m in members.values())
        tex = ft.read_main(blob)
        assert "\\documentclass{article}" in tex and "\\bibliography{refs}" in tex
        abstract_tex = tex.split("\\begin{abstract}")[1].split("\\end{abstract}")[0]
        assert abstract_tex.strip() == ft.latex_escape(abstract)
        results = tex.split("\\section{Results}")[1].split("\\section{Conclusion}")[0]
        assert f"\n{ft.latex_escape(quote)}\n" in results  # a paragraph of its own
        assert tex.index("\\section{Method}") < tex.index("\\section{Results}")

    special = ft.latex_escape(QUOTES[1])
    assert "\\{1\\}" in special and "\\$x\\_i\\textasciicircum{}2\\$" in special
    assert "-{}-" in special and "\\textasciitilde{}3x \\#wins \\textbackslash{}o/" in special
    assert "50\\% \\&" in ft.latex_escape(QUOTES[0])

    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["fulltext"] == {"source": "directory", "sources": str(sources.resolve())}
    assert "fulltext" not in yaml.safe_load((plain / "config.yaml").read_text())
    assert ft.is_fulltext(out) and not ft.is_fulltext(plain)

    # the same bytes on every build
    first = _files(out)
    aq.build(out, data, fulltext=True)
    assert _files(out) == first
    # an abstract build into the same directory takes the sources away again
    aq.build(out, data)
    assert not any(sources.iterdir())
    assert (out / "snapshot/evidence.jsonl").read_bytes() == (
        plain / "snapshot/evidence.jsonl"
    ).read_bytes()


def test_neutral_abstract_never_holds_the_quote():
    quote = "the aim of SDM is to enhance the data rate."
    abstract = ft.neutral_abstract(aq.title_of(quote), quote)
    assert quote.casefold() not in abstract.casefold()
    assert abstract.startswith("This paper studies the aim of sdm")
    long = QUOTES[0]
    abstract = ft.neutral_abstract(aq.title_of(long), long)
    assert abstract.startswith(
        "This paper studies sparse attention restricts each token to a local window, cutting. "
        "Topics: "
    )
    assert abstract.endswith(
        "We describe our setting, experiments and findings in the body of the paper."
    )
    assert " ".join(long.split()).casefold() not in abstract.casefold()


def test_answer_citations_read_abstract_and_body_passages():
    report = "\n".join(
        [
            "# Q",
            "## Answer",
            "- “a” [0001.00012 §3, 10–120](https://arxiv.org/abs/0001.00012)",
            "- “b” [0001.00013 abstract 10–120](https://arxiv.org/abs/0001.00013)",
            'Also in this theme: [0001.00014 §4.2, 1–9](https://arxiv.org/abs/0001.00014 "c").',
            "## References",
            "- <https://arxiv.org/abs/0001.00099>",
        ]
    )
    assert aq.answer_citations(report) == {"0001.00012", "0001.00013", "0001.00014"}
    assert ft.answer_passages(aq.answer_section(report)) == [
        ("0001.00012", "§3"),
        ("0001.00013", "abstract"),
        ("0001.00014", "§4.2"),
    ]


def test_run_overlay_keeps_the_fulltext_section(tmp_path):
    out = tmp_path / "ft"
    plain = aq.overlay(out, out / "q.tsv")
    full = aq.overlay(out, out / "q.tsv", fulltext=True)
    assert "fulltext" not in plain
    assert full == {**plain, "fulltext": {"source": "directory", "sources": str(out / "sources")}}


def test_results_share_counts_body_passages_of_evidence_papers():
    passages = [
        ("0001.00012", "§3"),
        ("0001.00012", "§1"),
        ("0001.00013", "abstract"),
        ("2503.10002", "§2"),  # not an evidence paper
        ("0001.00014", "§3"),
    ]
    evidence = {"0001.00012", "0001.00013", "0001.00014"}
    assert ft.results_share(passages, evidence) == pytest.approx(2 / 3)
    assert ft.results_share([("0001.00013", "abstract")], evidence) is None
