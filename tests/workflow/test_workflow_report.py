"""The review and report stages end to end: real Snakemake runs on a corpus of real papers.

The corpus is three related cs_daily papers on pruning experts from mixture-of-experts LLMs
(read by path from ../shared). Two questions calibrate the tribunal: one those papers answer
(must score >= 6.5) and the first seed question, whose named model and benchmarks the corpus
lacks (must score < 5 with the reason named). Records are checked against the JSON Schema and
the seeds' fields, pages are opened in headless Chromium, and reruns are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest

from sovereign.report.record import record_id
from support.browser import open_page
from support.paths import CS_DAILY, REPO, SHEET_QUESTIONS, requires_shared
from support.workflow import make_workdir, result_bytes, snakemake

pytestmark = requires_shared

PRUNING_PAPERS = ("2504.07807", "2509.10377", "2605.28042")
ANSWERED = (
    "answered_pruning",
    "Does expert pruning of mixture-of-experts LLMs reduce memory while preserving performance?",
    "2026-07-31",
)
SEED = next(row for row in SHEET_QUESTIONS if row[0] == "seed_vqa_ood")
SCHEMA = json.loads((REPO / "config/schemas/record.schema.json").read_text(encoding="utf-8"))
OUTPUT = Path(os.environ.get("SOVEREIGN_TEST_OUTPUT", REPO / "test-output"))


def pruning_corpus(path: Path) -> Path:
    """The three papers' lines of the shared topic file, verbatim, as a one-file snapshot."""
    lines = [
        line
        for line in (CS_DAILY / "topic_moe_routing.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(line)["id"] in PRUNING_PAPERS
    ]
    assert len(lines) == 3
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def workdir(root: Path) -> Path:
    root.mkdir(parents=True)
    corpus = pruning_corpus(root / "corpus.jsonl")
    return make_workdir(
        root,
        [list(ANSWERED), SEED],
        {"backend": "snapshot", "snapshot": str(corpus)},
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    wd = workdir(tmp_path_factory.mktemp("report") / "wd")
    snakemake(wd, "-c2")
    return wd


def record(wd: Path, qid: str) -> dict:
    return json.loads((wd / "results" / qid / "record.json").read_text(encoding="utf-8"))


def test_question_the_corpus_answers_scores_at_least_6_5(run):
    rec = record(run, "answered_pruning")
    assert rec["review"]["score"] >= 6.5, rec["review"]
    assert rec["review"]["verdict"] == "PUBLISH"
    assert rec["retrieval"]["verified"] >= 1
    assert rec["verification"]["level"] == "L2"
    assert rec["quality_tier"]["tier"] == "Reviewed synthesis"
    kept = pq.read_table(run / "results/answered_pruning/filtered.parquet").to_pylist()
    assert {p["arxiv_id"] for p in kept if p["kept"]} >= {"2509.10377"}


def test_seed_question_on_a_corpus_without_its_model_scores_below_5_with_reason(run):
    rec = record(run, SEED[0])
    review = rec["review"]
    assert review["score"] < 5.0
    assert (review["verdict"], review["policy"]) == ("REJECT", "ESCALATE_TO_OWNER")
    assert review["revision_round"] == 0  # fatal: no revision can add a source
    assert any("no_sources" in reason for reason in review["reasons"])
    rows = pq.read_table(run / f"results/{SEED[0]}/reviews.parquet").to_pylist()
    fatal = [r for r in rows if r["severity"] == "fatal"]
    assert [r["criterion"] for r in fatal] == ["no_sources"]
    missing = next(r for r in rows if r["criterion"] == "missing_entities")
    assert {"SMoES", "VQA-CP", "A-OKVQA"} <= set(missing["evidence"])
    assert rec["quality_tier"]["tier"] == "Quarantine candidate"
    assert rec["quality_tier"]["basis"].startswith("Review score is below 5.0")
    assert rec["verification"] == {
        **rec["verification"],
        "level": "L1",
        "label": "Literature synthesis",
        "source_grounded_claims": 0,
    }
    report = (run / f"results/{SEED[0]}/report.md").read_text(encoding="utf-8")
    assert "No source addresses this question" in report
    assert "Owner review required before publication" in report


def test_every_record_validates_and_carries_the_seed_fields(run):
    for qid, question, as_of in (ANSWERED, SEED):
        rec = record(run, qid)
        jsonschema.Draft202012Validator(SCHEMA).validate(rec)
        assert rec["id"] == record_id(question)
        assert rec["submitted"] == as_of
        assert rec["question"] == question
        assert rec["gate2"]["status"] == "UNVERIFIED" and rec["gate2"]["evaluated"] is None
        corr = rec["correction_record"]
        assert (corr["status"], corr["count"]) == ("CURRENT", 0)
        assert corr["manifest_contract"] == "paper-manifest-v1.1"
        assert corr["correction_contract"] == "correction-record-v1"
        prov = rec["provenance"]
        assert prov["provenance_contract"] == "source-provenance-v1"
        assert prov["claim_lineage"] == (
            f"{rec['verification']['source_grounded_claims']} aggregate source-grounded claims"
        )
        report = (run / "results" / qid / "report.md").read_bytes()
        assert prov["report_artifact"]["sha256"] == hashlib.sha256(report).hexdigest()
        for name, digest in prov["stage_files"].items():
            assert hashlib.sha256((run / "results" / qid / name).read_bytes()).hexdigest() == (
                digest
            )
        assert set(rec["quality_dimensions"]) >= {
            "evidence_strength",
            "uncertainty_disclosure",
            "reproducibility_status",
        }
        # search from a local snapshot is replayable; Gate 2 has not run: MEDIUM, not HIGH
        assert rec["quality_dimensions"]["reproducibility_status"]["level"] == "MEDIUM"
    answered = record(run, ANSWERED[0])
    assert "citation_grounding" in answered["quality_dimensions"]
    assert "citation_grounding" not in record(run, SEED[0])["quality_dimensions"]


def test_report_follows_the_seeds_draft(run):
    text = (run / "results/answered_pruning/report.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith(("# ", "## "))]
    assert headings == [
        f"# SOVEREIGN: {ANSWERED[1]}",
        "## Answer",
        "## Abstract",
        "## 1 Introduction",
        "## 2 Methodology",
        "## 3 Results",
        "## 4 Uncertainties",
        "## 5 Extracted Claims",
        "## References",
    ]
    assert "July 31, 2026" in text
    assert "The evidence shows:" in text
    assert "| Claim | Verified | Confidence | Source |" in text
    claims = pq.read_table(run / "results/answered_pruning/claims.parquet").to_pylist()
    for claim in claims:
        assert claim["claim_id"] in text
    assert "https://arxiv.org/abs/2509.10377" in text


def test_the_answer_quotes_the_papers_at_the_spans_it_cites(run):
    """End to end: every quote of the answer section is its paper's abstract at the cited span,
    and every paper the answer cites was kept."""
    qdir = run / "results/answered_pruning"
    text = (qdir / "report.md").read_text(encoding="utf-8")
    answer = text[text.index("## Answer") : text.index("## Abstract")]
    papers = {p["arxiv_id"]: p for p in pq.read_table(qdir / "filtered.parquet").to_pylist()}
    quotes = re.findall(
        r"^- “(.+)” \[(\S+) abstract (\d+)–(\d+)\]\(https://arxiv\.org/abs/\2\)$", answer, re.M
    )
    assert quotes, answer
    for quote, arxiv_id, start, end in quotes:
        assert papers[arxiv_id]["kept"]
        assert " ".join(papers[arxiv_id]["abstract"][int(start) : int(end)].split()) == quote
    cited = set(re.findall(r"\]\(https://arxiv\.org/abs/([^)\s]+)", answer))
    assert cited and all(papers[c]["kept"] for c in cited)
    # (the links also name the papers that back or contradict a quote)
    assert (
        0 < json.loads((qdir / "record.json").read_text())["answer"]["cited_papers"] <= len(cited)
    )


def test_rerun_in_a_fresh_directory_is_byte_identical(run, tmp_path):
    again = workdir(tmp_path / "again")
    snakemake(again, "-c1", env={"PYTHONHASHSEED": "4242"})
    first, second = result_bytes(run), result_bytes(again)
    assert sorted(first) == sorted(second)
    assert "index.html" in first and "answered_pruning/record.html" in first
    for name in first:
        assert first[name] == second[name], name


def test_a_correction_is_appended_and_counted_and_history_cannot_be_edited(run, tmp_path):
    wd = tmp_path / "wd"
    shutil.copytree(run, wd, symlinks=True)
    corrections = wd / "corrections" / "answered_pruning.jsonl"
    cli = [sys.executable, "-m", "sovereign.corrections", "add", str(corrections)]
    for summary in ("Reference list reordered by score.", "Claim table notes clarified."):
        subprocess.run(
            [*cli, "--date", "2026-08-01", "--kind", "clarification", "--summary", summary],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        )
    before = result_bytes(wd)
    proc = snakemake(wd, "-c1")
    assert "rule search" not in proc.stderr and "rule claims" not in proc.stderr
    rec = record(wd, "answered_pruning")
    assert (rec["correction_record"]["status"], rec["correction_record"]["count"]) == (
        "CORRECTED",
        2,
    )
    after = result_bytes(wd)
    assert after["answered_pruning/claims.parquet"] == before["answered_pruning/claims.parquet"]
    assert after[f"{SEED[0]}/record.json"] == before[f"{SEED[0]}/record.json"]
    # Rewriting the first correction breaks the chain: refused, with the line named.
    lines = corrections.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("reordered", "rewritten")
    corrections.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = snakemake(wd, "-c1", check=False)
    assert proc.returncode != 0
    assert "answered_pruning.jsonl, line 2" in proc.stderr
    assert "append-only" in proc.stderr
    assert "Traceback" not in proc.stderr
    # refused before any job ran: the published record is untouched
    assert record(wd, "answered_pruning")["correction_record"]["count"] == 2


def test_seed_question_with_off_topic_papers_kept_is_still_caught(tmp_path):
    """The seeds' real failure: papers are kept (here every paper, threshold 0) but none is
    about the question's subject. Fatal missing entities, whatever the claims say."""
    root = tmp_path / "wd"
    root.mkdir()
    corpus = pruning_corpus(root / "corpus.jsonl")
    wd = make_workdir(
        root,
        [SEED],
        {"backend": "snapshot", "snapshot": str(corpus)},
        filter={"threshold": 0.0},
    )
    snakemake(wd, "-c2")
    rec = record(wd, SEED[0])
    assert rec["retrieval"]["kept"] >= 2
    assert rec["review"]["score"] < 5.0
    assert (rec["review"]["verdict"], rec["review"]["policy"]) == ("REJECT", "ESCALATE_TO_OWNER")
    assert any("missing_entities" in reason for reason in rec["review"]["reasons"])
    rows = pq.read_table(wd / f"results/{SEED[0]}/reviews.parquet").to_pylist()
    fatal = next(r for r in rows if r["severity"] == "fatal")
    assert fatal["criterion"] == "missing_entities"
    assert {"SMoES", "VQA-CP", "A-OKVQA"} <= set(fatal["evidence"])


@pytest.mark.parametrize("page", ["answered_pruning/record.html", f"{SEED[0]}/record.html"])
def test_record_pages_load_in_chromium_with_their_figures(run, page):
    shot = OUTPUT / "screenshots" / (page.replace("/", "__") + ".png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    report = open_page(
        run / "results" / page,
        screenshot=shot,
        evaluate="""({
            figures: document.querySelectorAll('figure svg').length,
            sized: [...document.querySelectorAll('figure svg')]
                .filter(s => s.getBoundingClientRect().width > 200).length,
            tables: document.querySelectorAll('table').length,
            id: document.body.innerText.includes('SRCH:'),
        })""",
    )
    assert report.console_errors == []
    assert report.failed_requests == []
    assert report.requests == [(run / "results" / page).as_uri()]  # nothing else fetched
    assert report.value["figures"] == 5 and report.value["sized"] == 5
    assert report.value["tables"] >= 5 and report.value["id"]
    assert shot.stat().st_size > 10_000


def test_index_page_lists_and_links_every_record(run):
    shot = OUTPUT / "screenshots" / "index.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    report = open_page(
        run / "results/index.html",
        screenshot=shot,
        evaluate="[...document.querySelectorAll('a')].map(a => a.getAttribute('href'))",
    )
    assert report.console_errors == [] and report.failed_requests == []
    links = report.value
    for qid in (ANSWERED[0], SEED[0]):
        assert f"{qid}/record.html" in links
    text = (run / "results/index.html").read_text(encoding="utf-8")
    for _qid, question, _ in (ANSWERED, SEED):
        assert record_id(question) in text
