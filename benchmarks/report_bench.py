"""Benchmark: the review and report stages on the largest input a question can give them.

    .venv/bin/python benchmarks/report_bench.py [--papers N] [--snapshot PATH]

Takes N papers (default 200: four queries of 50 hits, all kept) from the mixture-of-experts slice
of the shared arXiv corpus, runs the real claims stage on them, then times the tribunal (review)
and the report (report.md, record.json checked against its schema, record.html with its figures),
and prints the sizes of the outputs and the process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sovereign.claims.settings import Settings as ClaimsSettings  # noqa: E402
from sovereign.claims.stage import extract_claims  # noqa: E402
from sovereign.config.checks import default_config  # noqa: E402
from sovereign.contracts import STAGE_FILES, document  # noqa: E402
from sovereign.encoders.wordllama import WordLlamaEmbedder  # noqa: E402
from sovereign.report.inputs import Inputs  # noqa: E402
from sovereign.report.stage import model_figures, render_all  # noqa: E402
from sovereign.review.rows import outcome_rows, summary_from_rows  # noqa: E402
from sovereign.review.settings import Settings  # noqa: E402
from sovereign.review.tribunal import run_tribunal  # noqa: E402
from sovereign.review.types import Evidence  # noqa: E402
from sovereign.search.snapshot import load_snapshot  # noqa: E402
from sovereign.versions import package_versions  # noqa: E402

QUESTION = "How do auxiliary load balancing losses affect expert utilization in mixture-of-experts?"
SCHEMA = json.loads((ROOT / "config/schemas/record.schema.json").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=200)
    parser.add_argument(
        "--snapshot",
        type=Path,
        default=ROOT.parent / "shared/data/arxiv_cs_daily/topic_moe_routing.jsonl",
    )
    args = parser.parse_args()
    records, _ = load_snapshot(args.snapshot)
    papers = [
        {
            **r,
            "kept": True,
            "tfidf_score": round(0.15 + (i % 50) / 200, 4),
            "tfidf_pass": True,
            "semantic_score": round(0.39 + (i % 40) / 100, 4),
            "semantic_pass": True,
        }
        for i, r in enumerate(records[: args.papers])
    ]
    hits = [
        {"arxiv_id": p["arxiv_id"], "query_index": i % 4, "ledger_key": None, "source_ref": "x:1"}
        for i, p in enumerate(papers)
    ]
    vectors = WordLlamaEmbedder().embed([document(p) for p in papers], "passage")
    index = dict(zip((p["arxiv_id"] for p in papers), vectors, strict=True))
    settings = ClaimsSettings.from_config(default_config())
    claims = extract_claims("bench", QUESTION, papers, index, settings)

    start = time.perf_counter()
    outcome = run_tribunal(
        Evidence(QUESTION, hits, papers, claims), Settings.from_config(default_config())
    )
    rows = outcome_rows("bench", outcome)
    reviewed = time.perf_counter() - start

    start = time.perf_counter()
    methods = {
        "search": {"backend": "snapshot", "max_results": 50},
        "review": {"weights": {"SKEPTIC": 0.35, "SYNTHESIZER": 0.4, "VALIDATOR": 0.25},
                   "revise_below": 6.5},
        "embed": {"backend": "wordllama", "model": "wordllama/l2_supercat-256", "dimension": 256},
        "verifier": model_figures(),
    }  # fmt: skip
    inputs = Inputs(
        question_id="bench",
        question=QUESTION,
        as_of="2026-07-31",
        hits=hits,
        papers=papers,
        claims=claims,
        summary=summary_from_rows(rows),
        corrections=[],
        settings={
            "publisher": "sovereign",
            "external_record": None,
            "quarantine_below": 5.0,
            "publish_at": 6.5,
            "filter_threshold": 0.15,
            "semantic_threshold": 0.39,
            "methods": methods,
        },
        # the stage files up to the report, as the report rule hashes them
        artifacts={name: "0" * 64 for name in STAGE_FILES[: STAGE_FILES.index("report.md") + 1]},
        versions=package_versions(),
    )
    report, record, page = render_all(inputs, SCHEMA, "bench/record.json")
    rendered = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(papers)} kept papers, {len(claims)} claims: review {reviewed:.2f} s "
        f"({len(outcome.rounds)} rounds, {len(rows)} rows, score {outcome.final.overall:.1f})"
    )
    print(
        f"report {rendered:.2f} s: report.md {len(report) / 1024:.0f} KB, record.json "
        f"{len(record) / 1024:.0f} KB, record.html {len(page) / 1024:.0f} KB; "
        f"peak memory {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
