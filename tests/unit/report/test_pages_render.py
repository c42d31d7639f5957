"""The record and index pages (sovereign.report.record_page, index_page): every section, four
inline figures, nothing fetched, everything escaped, the same bytes every time, and the empty
cases still rendered.

The inputs are small hand-written stage rows run through the real tribunal and build_record, in
three shapes: a well-answered question (one review round), a weak one (a revision round) and a
failed one (no kept paper, no claim, a fatal finding).
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sovereign.answer.build import build_answer
from sovereign.encoders.hashing import HashingEmbedder
from sovereign.errors import InputFileError
from sovereign.report import record as public_record
from sovereign.report.corrections import (
    append_correction,
    check_published,
    head_sha256,
    read_corrections,
)
from sovereign.report.index_page import index_page
from sovereign.report.inputs import Inputs
from sovereign.report.provenance import QUALITY_GUIDE
from sovereign.report.quality import gap_line, gap_marker, uncertainty_disclosure
from sovereign.report.record_page import record_page
from sovereign.report.record_sections import DISCLAIMERS, SECTIONS
from sovereign.report.stage import check_record, render_all
from sovereign.review.rows import outcome_rows, summary_from_rows
from sovereign.review.tribunal import run_tribunal
from sovereign.review.types import Evidence
from sovereign.search.queries import expand
from sovereign.versions import package_versions
from support.browser import open_page, requires_chromium
from support.paths import REPO
from support.processes import stdout_under_hash_seeds
from support.settings import answer_settings, default_config, review_settings


def HASHING(texts):  # noqa: N802  (a stand-in for the sentence encoder: fast, deterministic)
    return HashingEmbedder().embed(texts, "passage")


QUESTION = "Does expert pruning of mixture-of-experts LLMs reduce memory while preserving accuracy?"
NASTY = (
    "Does <script>alert(1)</script> & \"expert\" 'pruning' of mixture-of-experts LLMs save memory?"
)
ABSTRACT = "Expert pruning removes whole experts from a sparse model.\n\nIt saves memory."
SETTINGS = {
    "publisher": "sovereign",
    "external_record": None,
    "quarantine_below": 5.0,
    "publish_at": 6.5,
    "filter_threshold": 0.15,
    "semantic_threshold": 0.42,
    "methods": {},
}
S1 = (
    "Expert pruning of mixture-of-experts LLMs reduces memory by 40% while preserving accuracy "
    "within 1 point."
)
S2 = "Pruning half of the experts keeps accuracy on MMLU within 2 points of the full model."
S3 = "Memory use falls with fewer experts."
GATE2_VERIFIED = {
    "seq": 1,
    "date": "2026-08-02",
    "kind": "gate2",
    "summary": "Sandbox replay reproduced every stage file byte for byte.",
    "details": {"status": "VERIFIED", "evaluated": "2026-08-02T10:00:00+00:00"},
}

PUBLISH_AT = default_config()["review"]["publish_at"]


# --- inputs -------------------------------------------------------------------------------------


def _paper(aid: str, title: str, abstract: str, score: float, kept: bool, authors=("A. Author",)):
    return {
        "question_id": "q",
        "arxiv_id": aid,
        "title": title,
        "abstract": abstract,
        "authors": list(authors),
        "published": "2024-01-15T00:00:00Z",
        "links": [f"http://arxiv.org/abs/{aid}v1"],  # never rendered: links are built from ids
        "tfidf_score": score,
        "tfidf_pass": kept and score >= 0.15,
        "semantic_score": 0.6 if kept else 0.2,
        "semantic_pass": kept and score < 0.15,
        "kept": kept,
    }


def _claim(paper, sentence, idx, verified, confidence, relevance, label="NEUTRAL", support=None):
    start = paper["abstract"].index(sentence)
    return {
        "question_id": "q",
        "claim_id": f"{paper['arxiv_id']}#{idx}",
        "arxiv_id": paper["arxiv_id"],
        "sentence_index": idx,
        "char_start": start,
        "char_end": start + len(sentence),
        "claim": sentence,
        "claim_kind": "finding",
        "grounded": True,
        "relevance": relevance,
        "relevant": relevance >= 0.12,
        "evidence_label": label,
        "evidence_score": 0.0,
        "evidence_candidates": 0,
        "support_arxiv_id": support,
        "contradict_arxiv_id": None,
        "verified": verified,
        "confidence": confidence,
    }


def inputs(
    question: str = QUESTION,
    kind: str = "good",
    qid: str = "q",
    corrections=(),
    *,
    ungrounded: bool = False,
    **extra,
) -> Inputs:
    """The report stage's inputs for a question: `good` (2 kept papers, 3 claims, one round),
    `weak` (nothing relevant: a revision round) or `none` (nothing kept, no claim). `ungrounded`
    makes every claim ungrounded (so unverified); `extra` goes to Inputs (e.g. the head hash)."""
    p1 = _paper(
        "2401.00001",
        "Expert pruning for <b>mixture-of-experts</b> LLMs",
        "We study MoE compression. " + S1,
        0.31,
        True,
        ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"),
    )
    p2 = _paper(
        "2402.00002", "Memory-efficient sparse experts", f"Models are large. {S2} {S3}", 0.22, True
    )
    p3 = _paper(
        "cs/0101001", "Unrelated vision transformers", "We study image models.", 0.05, False
    )
    if kind == "good":
        papers = [p1, p2, p3]
        claims = [
            _claim(p1, S1, 1, True, 0.82, 0.9, "SUPPORT", support="2402.00002"),
            _claim(p2, S2, 1, True, 0.644, 0.7),
            _claim(p2, S3, 2, False, 0.031, 0.05),
        ]
    elif kind == "weak":
        papers = [p1, p2, p3]
        claims = [_claim(p1, S1, 1, False, 0.05, 0.06), _claim(p2, S2, 1, False, 0.04, 0.05)]
    else:
        papers = [p3, dict(p2, kept=False, tfidf_score=0.1, tfidf_pass=False, semantic_pass=False)]
        claims = []
    if ungrounded:
        claims = [dict(c, grounded=False, verified=False, confidence=0.0) for c in claims]
    hits = [
        {"query_index": i % 2, "arxiv_id": p["arxiv_id"], "ledger_key": f"k{i}", "source_ref": None}
        for i, p in enumerate(papers)
    ]
    # "weak" shows a revised synthesis, so the question_unanswered gate (fatal: no revision) is
    # off there; the fatal pages are "none" and the ungrounded ones.
    # Breadth and the single-source cap off: these pages show a tribunal's findings, whose
    # arithmetic tests/unit/review/test_tribunal.py holds.
    settings = review_settings(breadth_weight=0.0, single_source_cap=10.0)
    if kind == "weak":
        settings = dataclasses.replace(settings, answered_share=0.0)
    answer = build_answer(question, papers, claims, HASHING, answer_settings())
    outcome = run_tribunal(Evidence(question, hits, papers, claims, answer), settings)
    reviews = outcome_rows(qid, outcome)
    return Inputs(
        qid,
        question,
        "2026-07-31",
        hits,
        papers,
        claims,
        summary_from_rows(reviews),
        list(corrections),
        SETTINGS,
        {"report.md": "0" * 64, "claims.parquet": "a" * 64, "filtered.parquet": "b" * 64},
        {"pandas": "3.1.1", "pyarrow": "21.0.0"},
        **{"answer": answer, **extra},
    )


def build(question: str = QUESTION, kind: str = "good", qid: str = "q", corrections=(), **kw):
    """(record, papers, claims, tribunal summary) for a question (see `inputs`)."""
    inp = inputs(question, kind, qid, corrections, **kw)
    return public_record.build_record(inp), inp.papers, inp.claims, inp.summary


def render(question: str = QUESTION, kind: str = "good", qid="q", corrections=(), **kw) -> str:
    inp = inputs(question, kind, qid, corrections, **kw)
    record = public_record.build_record(inp)
    return record_page(
        record,
        inp.papers,
        inp.claims,
        inp.summary,
        ABSTRACT,
        publish_at=PUBLISH_AT,
        answer=inp.answer,
    )


def samples() -> dict[str, str]:
    """Every page shape; the subprocess determinism check rebuilds these."""
    entries = [
        (f"{kind}/record.html", build(q, kind, qid=kind)[0])
        for kind, q in (("good", QUESTION), ("weak", NASTY), ("none", "Who routes the experts?"))
    ]
    return {
        "good": render(),
        "weak": render(NASTY, "weak"),
        "none": render("Who routes the experts?", "none"),
        "verified": render(kind="good", corrections=[GATE2_VERIFIED]),
        "index": index_page(entries),
        "empty": index_page([]),
    }


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return samples()


# --- structure ----------------------------------------------------------------------------------


class Outline(HTMLParser):
    """Headings in order, every <th> with its scope, ids, and the tags used."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []
        self.ths: list[str | None] = []
        self.ids: list[str] = []
        self.tags: list[str] = []
        self._heading: int | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "th":
            self.ths.append(attrs.get("scope"))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._text = int(tag[1]), []

    def handle_endtag(self, tag):
        if self._heading is not None and tag == f"h{self._heading}":
            self.headings.append((self._heading, "".join(self._text)))
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._text.append(data)


def outline(page: str) -> Outline:
    parser = Outline()
    parser.feed(page)
    parser.close()
    return parser


@pytest.mark.parametrize("name", ["good", "weak", "none", "verified"])
def test_every_section_in_the_seeds_order(pages, name):
    page = pages[name]
    h2 = [text for level, text in outline(page).headings if level == 2]
    assert h2 == [title for _, title in SECTIONS]
    # the seed header's facts and every section's one-line disclaimer
    for fact in ("Submitted", "Review score", "Verification", "Gate status", "Quality tier"):
        assert f"<dt>{fact}</dt>" in page
    gate = "gate_verified" if name == "verified" else "gate_open"
    for key in ("verification", gate, "tier", "dimensions", "corrections", "provenance"):
        assert DISCLAIMERS[key] in page.replace("&#x27;", "'")
    for sub in ("Package versions", "Search ledger", "Stage files", "Decision", "Round 0"):
        assert f">{sub}</h" in page


@pytest.mark.parametrize("name", ["good", "weak", "none", "verified", "index", "empty"])
def test_document_head_and_accessible_structure(pages, name):
    page = pages[name]
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta charset="utf-8">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert page.count("<style>") == 1 and "@media print{" in page
    assert ".figure{max-width:100%;height:auto}" in page
    assert "font:16px/1.55 system-ui" in page and "max-width:960px" in page
    found = outline(page)
    levels = [level for level, _ in found.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert all(scope in ("row", "col") for scope in found.ths)
    assert len(found.ids) == len(set(found.ids))


def test_title_and_header(pages):
    record = build()[0]
    page = pages["good"]
    assert f"<title>{record['id']} — {record['title']}</title>" in page
    assert f'<p class="record-id">{record["id"]}</p>' in page
    assert '<time datetime="2026-07-31">31 July 2026</time>' in page
    assert f"{record['review']['score']:.2f}/10" in page
    assert "L2, Source-grounded claims" in page


def test_five_inline_figures_with_captions(pages):
    for name in ("good", "weak", "none", "verified"):
        page = pages[name]
        assert page.count("<svg ") == 5 and page.count("</svg>") == 5
        assert page.count("<figure>") == 5 and page.count("<figcaption>") == 5
        prefixes = ("fig-funnel", "fig-scores", "fig-semantic", "fig-confidence", "fig-tribunal")
        for prefix in prefixes:
            assert f'aria-labelledby="{prefix}-title"' in page
    figures = re.findall(r"<figure>(.*?)</figure>", pages["good"], re.S)
    assert all("<svg " in f and f.index("<svg ") < f.index("<figcaption>") for f in figures)
    assert "threshold 0.15" in figures[1] and "threshold 0.15" in figures[0]
    # Both signals, so a reader sees why each paper was kept or dropped.
    assert "semantic threshold 0.42" in figures[0] and "threshold 0.42" in figures[2]
    assert "semantic score (encoder cosine)" in figures[2]


def test_self_contained_nothing_to_fetch(pages):
    for name, page in pages.items():
        lowered = page.lower()
        for tag in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url("):
            assert tag not in lowered, (name, tag)
        rest = re.sub(r'href="https://arxiv\.org/abs/[^"<>\s]+"', "", page)
        rest = rest.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "http" not in rest.lower(), (name, rest[rest.lower().find("http") - 80 :][:160])
        for href in re.findall(r'href="([^"]*)"', page):
            assert href.startswith(("#", "https://arxiv.org/abs/")) or name == "index", href


def test_question_and_rows_are_escaped(pages):
    page = pages["weak"]
    assert "<script" not in page and "alert(1)</" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;expert&quot; &#x27;pruning&#x27;" in (
        page
    )
    title = re.search(r"<title>(.*)</title>", page)[1]
    assert "&lt;script&gt;" in title and "<" not in title
    # a paper title with markup, in the references and the svg tooltips alike
    assert "<b>" not in page and "Expert pruning for &lt;b&gt;mixture-of-experts&lt;/b&gt;" in page
    index = pages["index"]
    assert "<script" not in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index


def test_same_bytes_twice_and_across_hash_seeds(pages):
    assert samples() == pages
    here = {k: hashlib.sha256(v.encode()).hexdigest() for k, v in pages.items()}
    code = (
        "import sys, json, hashlib, test_pages_render as t; sys.stdout.write(json.dumps("
        "{k: hashlib.sha256(v.encode()).hexdigest() for k, v in t.samples().items()}))"
    )
    for seed, out in stdout_under_hash_seeds(code, Path(__file__).parent).items():
        assert json.loads(out) == here, seed


# --- contents -----------------------------------------------------------------------------------


def test_claims_table_and_references(pages):
    page = pages["good"]
    claims = page[page.index('<section id="claims">') : page.index('<section id="tribunal">')]
    rows = re.findall(r"<tr>(.*?)</tr>", claims, re.S)[1:]
    assert [re.search(r"<code>(.*?)</code>", r)[1] for r in rows] == [
        "2401.00001#1",
        "2402.00002#1",
        "2402.00002#2",
    ]
    assert ["✓ yes" in r for r in rows] == [True, True, False]
    assert "✗ no" in rows[2]
    assert ">0.82</td>" in rows[0] and ">0.64</td>" in rows[1] and ">0.03</td>" in rows[2]
    assert 'SUPPORT <span class="muted">(<a href="#ref-2402.00002">' in rows[0]
    assert "NEUTRAL" in rows[1]
    refs = page[page.index('<section id="references">') :]
    assert '<li id="ref-2401.00001">' in refs and '<li id="ref-2402.00002">' in refs
    assert '<a href="https://arxiv.org/abs/2401.00001">arXiv:2401.00001</a>' in refs
    assert "Ada Lovelace, Alan Turing, Grace Hopper et al. 2024. " in refs
    # the paper that was not kept is listed apart, linked too (old-style id kept as a path)
    assert "Retrieved but not kept" in refs
    assert '<a href="https://arxiv.org/abs/cs/0101001">cs/0101001</a>' in refs
    assert refs.index("2401.00001") < refs.index("2402.00002") < refs.index("cs/0101001")


def test_quality_dimensions_show_rule_and_measured(pages):
    page = pages["good"]
    record = build()[0]
    section = page[
        page.index('<section id="dimensions">') : page.index('<section id="corrections">')
    ]
    for dim in record["quality_dimensions"].values():
        # as the page escapes it (the rules hold "report's" and ">=")
        assert html.escape(dim["rule"], quote=True) in section
        level = dim["level"]
        assert f'<span class="badge level-{level.lower()}">{level}</span>' in section
    rules = [d["rule"] for d in record["quality_dimensions"].values()]
    assert any("'" in r for r in rules) and any(">" in r for r in rules)
    assert "<li>Verified claims: 2</li>" in section
    assert "<li>Gate 2 status: UNVERIFIED</li>" in section
    assert "<li>Search replayable: yes</li>" in section
    names = re.findall(r"<tr><td>([A-Z][a-z]+ [a-z]+)</td>", section)
    assert names == [
        "Evidence strength",
        "Citation grounding",
        "Uncertainty disclosure",
        "Reproducibility status",
    ]
    # read back from record.json (keys sorted), the page is the same
    again = json.loads(json.dumps(record, sort_keys=True))
    answer = inputs().answer
    assert record_page(again, *build()[1:], ABSTRACT, publish_at=PUBLISH_AT, answer=answer) == page


def test_tribunal_findings_per_round_and_role(pages):
    weak = pages["weak"]
    tribunal = weak[weak.index('<section id="tribunal">') : weak.index('<section id="references">')]
    assert "<h3>Round 0</h3>" in tribunal and "<h3>Round 1 (after revision)</h3>" in tribunal
    heads = re.findall(r"<h4>(.*?)</h4>", tribunal)
    assert [h.split(" — ")[0] for h in heads] == ["SKEPTIC", "VALIDATOR", "SYNTHESIZER"] * 2
    assert "no_<wbr>relevant_<wbr>claims" in tribunal
    assert '<span class="badge level-low">major</span>' in tribunal
    assert "Revision after round 0: dropped 2 unverified claims" in tribunal
    assert "ESCALATE_TO_OWNER" in tribunal
    good = pages["good"]
    assert "Round 1" not in good and "there was no revision round" in good


def test_failed_question_renders_every_empty_case(pages):
    page = pages["none"]
    assert "No claim was extracted: no paper reached the TF-IDF or the semantic threshold" in page
    assert "No retrieved paper reached the TF-IDF threshold 0.15" in page
    assert ">no claims</text>" in page  # the confidence figure's empty frame
    assert '<span class="badge level-fatal">fatal</span>' in page
    assert "Not evaluated" in page and "Quarantine candidate" in page
    assert "L1, Literature synthesis" in page and "Round 1" not in page
    # records with nothing at all: no rows, no rounds, no papers, no abstract
    record = build(kind="none")[0]
    record["review"]["rounds"] = []
    empty = record_page(record, [], [], None, "", publish_at=PUBLISH_AT)
    assert empty.count("<svg ") == 5
    assert "No abstract was supplied" in empty
    assert "No tribunal findings were supplied" in empty


def test_gate2_verdict_and_corrections(pages):
    page = pages["verified"]
    gate = page[page.index('<section id="gate">') : page.index('<section id="tier">')]
    assert '<span class="badge level-high">Verified</span>' in gate
    assert "2026-08-02T10:00:00+00:00" in gate and "entry 1 of the correction record" in gate
    corrections = page[page.index('<section id="corrections">') :]
    assert "CORRECTED" in corrections and "<h3>Corrections</h3>" in corrections
    assert '<time datetime="2026-08-02">2 August 2026</time>' in corrections


def test_provenance_versions_ledger_and_hashes(pages):
    page = pages["good"]
    section = page[page.index('<section id="provenance">') : page.index('<section id="figures">')]
    assert section.index(">pandas<") < section.index(">pyarrow<")
    assert f'<code class="hash">{"a" * 64}</code>' in section  # claims.parquet
    assert section.index("claims.parquet") < section.index("filtered.parquet")
    assert "<td>report.md</td>" not in section and "Available (report.md)" in section
    assert hashlib.sha256(b"k0\nk1\nk2").hexdigest() in section


def test_index_sorts_links_and_counts():
    good = build(QUESTION, "good", qid="q2")[0]
    twin = build(QUESTION, "good", qid="q1")[0]  # the same question: the same record id
    weak = build(NASTY, "weak", qid="q3")[0]
    failed = build("Who routes the experts?", "none", qid="q4")[0]
    entries = [("q2/record.html", good), ("q4/record.html", failed), ("q3/r.html", weak)]
    entries.append(("q1/record.html", twin))
    page = index_page(entries)
    assert page == index_page(list(reversed(entries)))
    order = sorted(entries, key=lambda e: (e[1]["id"], e[1]["question_id"]))
    hrefs = re.findall(r'<a href="([^"]+)"><code>', page)
    assert hrefs == [href for href, _ in order]
    assert hrefs.index("q1/record.html") + 1 == hrefs.index("q2/record.html")
    for href, record in entries:
        assert f'<a href="{href}"><code>{record["id"]}</code></a>' in page
    assert "4 questions: 2 Reviewed synthesis, 0 Provisional, 2 Quarantine candidate." in page
    assert '<th scope="col">Gate 2</th>' in page and "ESCALATE_<wbr>TO_<wbr>OWNER" in page
    assert f"{good['review']['score']:.2f}/10" in page and ">L2<" in page and ">L1<" in page


def test_empty_index_says_so(pages):
    page = pages["empty"]
    assert "No records have been published yet." in page
    assert "<table" not in page and "</html>" in page


# --- the public record's rules ------------------------------------------------------------------

SCHEMA = json.loads((REPO / "config/schemas/record.schema.json").read_text(encoding="utf-8"))
METHODS = {
    "search": {"backend": "snapshot", "max_results": 50},
    "embed": {"backend": "hashing", "model": "none", "dimension": 0},
    "verifier": {"macro_f1": 0.5, "relevance_auc": 0.7, "relevance_threshold": 0.12},
    "review": {
        "weights": {"SKEPTIC": 0.35, "VALIDATOR": 0.25, "SYNTHESIZER": 0.4},
        "revise_below": 6.5,
    },
}
ERRATUM = {"seq": 1, "date": "2026-08-01", "kind": "erratum", "summary": "A typo in claim 1."}
RETRACTION = {
    "seq": 2,
    "date": "2026-08-03",
    "kind": "retraction",
    "summary": "The kept papers were withdrawn.",
}
LATER = {"seq": 3, "date": "2026-08-04", "kind": "clarification", "summary": "A note."}
STAGES = ("raw", "filtered", "embeddings", "claims", "reviews")


def complete(inp: Inputs) -> Inputs:
    """Inputs as the report stage has them: every stage file hashed and the methods it quotes,
    so the record passes its schema."""
    artifacts = {"report.md": "0" * 64, **{f"{k}.parquet": "c" * 64 for k in STAGES}}
    return dataclasses.replace(
        inp,
        settings={**SETTINGS, "methods": METHODS},
        artifacts=artifacts,
        versions=package_versions(),
    )


def schema_checked(record: dict) -> dict:
    check_record(record, SCHEMA, "record.json")
    return record


def final_gaps(summary):
    return [
        f
        for f in summary.findings[summary.final_round]
        if f["severity"] in ("minor", "major", "fatal")
    ]


def uncertainties(*lines: str) -> str:
    """A report with an Uncertainties section holding `lines`, between two other sections."""
    return (
        "# Report\n\n## 3 Results\n\nSee below.\n\n## 4 Uncertainties\n\n"
        + "".join(f"- {line}: found.\n" for line in lines)
        + "\n## 5 Extracted Claims\n\n| Claim |\n"
    )


def test_gap_marker_is_role_severity_and_criterion():
    finding = {"role": "SKEPTIC", "severity": "minor", "criterion": "low_relevance", "seq": 3}
    assert gap_marker(finding) == "SKEPTIC (minor, low_relevance)"


def test_uncertainty_disclosure_is_measured_on_the_reports_uncertainties():
    summary = inputs().summary  # final round: SKEPTIC minor low_relevance and minor
    gaps = final_gaps(summary)  # one_paper_answers (only 2401.00001 names LLMs), VALIDATOR
    markers = [gap_marker(g) for g in gaps]  # minor unverified_presented
    assert markers == [
        "SKEPTIC (minor, low_relevance)",
        "SKEPTIC (minor, one_paper_answers)",
        "VALIDATOR (minor, unverified_presented)",
    ]
    lines = [gap_line(g) for g in gaps]
    assert lines[0] == f"{markers[0]}: {gaps[0]['finding']}"

    def measured(report, verified=2):
        got = uncertainty_disclosure(summary, report, verified)
        m = got["measured"]
        return got["level"], m["gaps_found"], m["disclosed"], m["undisclosed"], m["verified_claims"]

    # every gap named, a verified claim: HIGH; nothing verified: MEDIUM
    assert measured(uncertainties(*lines)) == ("HIGH", 3, 3, 0, 2)
    assert measured(uncertainties(*lines), verified=0) == ("MEDIUM", 3, 3, 0, 0)
    # one gap not named: LOW, whatever is verified
    assert measured(uncertainties(*lines[:2])) == ("LOW", 3, 2, 1, 2)
    assert measured(uncertainties(*lines[1:]), verified=0) == ("LOW", 3, 2, 1, 0)
    # the marker alone, or with another severity, does not disclose the finding
    assert measured(uncertainties(*markers))[2] == 0
    other = lines[0].replace("(minor, low_relevance)", "(major, low_relevance)")
    assert measured(uncertainties(other, *lines[1:]))[2] == 2
    # outside the Uncertainties section, it is not disclosed
    elsewhere = "## 3 Results\n\n" + "\n".join(lines) + "\n\n" + uncertainties()
    assert measured(elsewhere) == ("LOW", 3, 0, 3, 2)
    after = uncertainties() + "\n".join(lines) + "\n"
    assert measured(after) == ("LOW", 3, 0, 3, 2)
    # no report (build_record, before the report exists), or one without the section: none
    assert measured(None) == ("LOW", 3, 0, 3, 2)
    assert measured("\n".join(lines)) == ("LOW", 3, 0, 3, 2)
    assert uncertainty_disclosure(summary, None, 2)["rule"].startswith(
        "HIGH: every gap the tribunal found is named in the report's uncertainties"
    )


def test_uncertainty_disclosure_counts_only_the_final_rounds_gaps():
    summary = inputs(NASTY, "weak").summary
    assert summary.final_round == 1
    rounds = {f["round"] for r in summary.findings.values() for f in r}
    assert rounds == {0, 1}
    gaps = final_gaps(summary)
    assert [gap_marker(g) for g in gaps] == [
        "SKEPTIC (major, missing_terms)",
        "SKEPTIC (major, no_relevant_claims)",
        "VALIDATOR (major, no_statements)",
        "SYNTHESIZER (major, part_unanswered)",
    ]
    lines = [gap_line(g) for g in gaps]
    # round 0 had unverified_presented instead of no_statements: naming it discloses nothing
    round0 = [f for f in summary.findings[0] if f["criterion"] == "unverified_presented"]
    assert round0
    named = uncertainties(gap_line(round0[0]), *lines[:2], lines[3])
    got = uncertainty_disclosure(summary, named, 0)
    assert (got["level"], got["measured"]["disclosed"], got["measured"]["undisclosed"]) == (
        "LOW",
        3,
        1,
    )
    got = uncertainty_disclosure(summary, uncertainties(*lines), 0)
    assert got["measured"]["gaps_found"] == 4
    assert (got["level"], got["measured"]["undisclosed"]) == ("MEDIUM", 0)
    # with no gap at all, nothing is undisclosed, even without a report
    final = summary.final_round
    clean = dataclasses.replace(
        summary,
        findings={
            **summary.findings,
            final: [dict(f, severity="info") for f in final_gaps(summary)],
        },
    )
    assert uncertainty_disclosure(clean, None, 1)["level"] == "HIGH"
    assert uncertainty_disclosure(clean, None, 0)["level"] == "MEDIUM"
    assert uncertainty_disclosure(clean, None, 1)["measured"]["gaps_found"] == 0


@pytest.mark.parametrize("kind, verified, level", [("good", 2, "HIGH"), ("weak", 0, "MEDIUM")])
def test_render_all_measures_disclosure_on_the_rendered_report(kind, verified, level):
    question = QUESTION if kind == "good" else NASTY
    inp = complete(inputs(question, kind))
    # build_record alone has no report: every gap counts as undisclosed
    alone = public_record.build_record(inp)["quality_dimensions"]["uncertainty_disclosure"]
    gaps = len(final_gaps(inp.summary))
    assert alone["level"] == "LOW"
    assert alone["measured"] == {
        "gaps_found": gaps,
        "disclosed": 0,
        "undisclosed": gaps,
        "verified_claims": verified,
    }
    report, record_json, page = render_all(inp, SCHEMA, "results/q/record.json")
    section = report.split("## 4 Uncertainties", 1)[1].split("\n## ", 1)[0]
    for gap in final_gaps(inp.summary):
        assert gap_marker(gap) in section
    record = json.loads(record_json)
    dim = record["quality_dimensions"]["uncertainty_disclosure"]
    assert dim["level"] == level
    assert dim["measured"] == {
        "gaps_found": gaps,
        "disclosed": gaps,
        "undisclosed": 0,
        "verified_claims": verified,
    }
    assert (
        record["provenance"]["report_artifact"]["sha256"]
        == hashlib.sha256(report.encode("utf-8")).hexdigest()
    )
    dims = page[page.index('<section id="dimensions">') : page.index('<section id="corrections">')]
    row = dims[dims.index("Uncertainty disclosure") :]
    assert f'<span class="badge level-{level.lower()}">{level}</span>' in row[: row.index("</tr>")]


def test_retrieval_counts_the_queries_sent_not_those_that_found_something():
    # the hits came back from queries 0 and 1 only; four were sent
    record = build()[0]
    assert len(expand(QUESTION)) == 4
    assert record["retrieval"]["queries"] == 4
    assert record["retrieval"]["hits"] == 3
    # no hit at all: still four queries sent
    inp = dataclasses.replace(inputs("Who routes the experts?", "none"), hits=[])
    assert public_record.build_record(inp)["retrieval"]["queries"] == 4


@pytest.mark.parametrize(
    "corrections, status, tier",
    [
        ((), "CURRENT", "Reviewed synthesis"),
        ((ERRATUM,), "CORRECTED", "Reviewed synthesis"),
        ((ERRATUM, RETRACTION), "RETRACTED", "Retracted"),
        ((ERRATUM, RETRACTION, LATER), "RETRACTED", "Retracted"),  # a later note lifts nothing
    ],
)
def test_a_retraction_retracts_the_record(corrections, status, tier):
    record = build(corrections=corrections)[0]
    assert record["review"]["score"] >= SETTINGS["publish_at"]  # the score alone would publish
    c = record["correction_record"]
    assert (c["status"], c["count"]) == (status, len(corrections))
    assert [e["seq"] for e in c["corrections"]] == [e["seq"] for e in corrections]
    t = record["quality_tier"]
    assert t["tier"] == tier and t["score"] == record["review"]["score"]
    if tier == "Retracted":
        assert t["basis"] == (
            "Retracted on 2026-08-03 (correction 2): The kept papers were withdrawn."
        )
    else:
        assert t["basis"] == "Review score is at least 6.5 after the automated tribunal."
    # the schema knows the new status and tier
    schema_checked(public_record.build_record(complete(inputs(corrections=corrections))))


def test_a_retracted_record_renders_and_is_counted_as_retracted():
    record, papers, claims, summary = build(corrections=[ERRATUM, RETRACTION], qid="r")
    page = record_page(record, papers, claims, summary, ABSTRACT, publish_at=PUBLISH_AT)
    tier = page[page.index('<section id="tier">') : page.index('<section id="dimensions">')]
    assert "Retracted" in tier
    assert html.escape(
        "Retracted on 2026-08-03 (correction 2): The kept papers were withdrawn."
    ) in (tier)
    assert "Reviewed synthesis" not in tier
    corrections = page[page.index('<section id="corrections">') :]
    assert "RETRACTED" in corrections
    index = index_page([("r/record.html", record), ("q/record.html", build()[0])])
    assert (
        "2 questions: 1 Reviewed synthesis, 0 Provisional, 0 Quarantine candidate, 1 Retracted."
        in (index)
    )


def test_the_record_quotes_the_head_of_the_correction_file(tmp_path):
    path = tmp_path / "corrections" / "q.jsonl"
    append_correction(path, date="2026-08-01", kind="erratum", summary="A typo in claim 1.")
    append_correction(path, date="2026-08-02", kind="clarification", summary="A note.")
    head = head_sha256(path)
    last = path.read_text(encoding="utf-8").splitlines()[-1]
    assert head == hashlib.sha256(last.encode("utf-8")).hexdigest()
    inp = complete(inputs(corrections=read_corrections(path), corrections_head=head))
    record = schema_checked(public_record.build_record(inp))
    assert record["correction_record"]["head_sha256"] == head
    assert record["correction_record"]["count"] == 2
    # published, the record holds the file: unchanged passes, its last line edited does not
    published = tmp_path / "results" / "q" / "record.json"
    published.parent.mkdir(parents=True)
    published.write_text(json.dumps(record), encoding="utf-8")
    check_published(path, published)
    path.write_text(
        path.read_text(encoding="utf-8").replace("A note.", "Another note."), encoding="utf-8"
    )
    assert len(read_corrections(path)) == 2  # the chain cannot see it
    with pytest.raises(InputFileError) as caught:
        check_published(path, published)
    assert caught.value.where == f"{path}, line 2"
    # no correction file: the genesis hash
    assert build()[0]["correction_record"]["head_sha256"] == "0" * 64


def test_provenance_has_a_quality_guide_and_no_ledger_path(pages):
    record = build()[0]
    prov = record["provenance"]
    assert prov["quality_guide"] == QUALITY_GUIDE
    assert set(prov["ledger"]) == {"search_entries", "search_keys_sha256", "snapshot_files"}
    assert prov["ledger"]["search_entries"] == 3  # k0, k1, k2
    section = pages["good"][pages["good"].index('<section id="provenance">') :]
    assert html.escape(QUALITY_GUIDE) in section
    assert ">Directory<" not in section


@pytest.mark.parametrize(
    "kind, ungrounded, source",
    [
        ("good", True, "none (no claim is grounded in its source span)"),
        ("none", False, "none (no claim was extracted from the kept sources)"),
        ("good", False, "parsed source sections (arXiv abstracts, sentence spans)"),
    ],
)
def test_the_claim_record_source_says_why_there_is_none(kind, ungrounded, source):
    question = QUESTION if kind == "good" else "Who routes the experts?"
    record = build(question, kind, ungrounded=ungrounded)[0]
    v = record["verification"]
    assert v["claim_record_source"] == source
    assert v["level"] == ("L2" if source.startswith("parsed") else "L1")
    assert v["source_grounded_claims"] == (3 if v["level"] == "L2" else 0)
    assert record["retrieval"]["claims"] == (3 if kind == "good" else 0)


@requires_chromium
def test_the_answer_comes_first_in_chromium_with_its_quotes_and_citations(tmp_path, pages):
    path = tmp_path / "good.html"
    path.write_text(pages["good"], encoding="utf-8")
    report = open_page(
        path,
        evaluate="[[...document.querySelectorAll('main h2')].map(h => h.textContent), "
        "[...document.querySelectorAll('#answer q')].map(q => q.textContent), "
        "[...document.querySelectorAll('#answer a')].map(a => a.href), "
        "document.querySelector('#answer').getBoundingClientRect().top < "
        "document.querySelector('#abstract').getBoundingClientRect().top]",
    )
    assert report.console_errors == []
    headings, quotes, links, above = report.value
    assert headings[0] == "Answer" and above
    abstracts = {p["arxiv_id"]: p["abstract"] for p in inputs().papers}
    assert quotes and all(any(q in a for a in abstracts.values()) for q in quotes)
    assert links and all(link.startswith("https://arxiv.org/abs/") for link in links)


@requires_chromium
def test_pages_open_offline_in_chromium(tmp_path, pages):
    for name in ("weak", "none", "index"):
        path = tmp_path / f"{name}.html"
        path.write_text(pages[name], encoding="utf-8")
        report = open_page(
            path,
            width=420,
            evaluate="[document.querySelectorAll('svg').length, "
            "document.documentElement.scrollWidth, document.querySelectorAll('h2').length]",
        )
        assert report.console_errors == []
        assert report.requests == [path.resolve().as_uri()]  # the page itself, nothing else
        svgs, width, h2 = report.value
        assert svgs == (0 if name == "index" else 5)
        assert width <= 420  # no sideways scrolling of the page on a narrow screen
        assert h2 == (0 if name == "index" else len(SECTIONS))
