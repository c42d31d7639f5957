"""Benchmark: the claims stage on the largest input a question can give it.

    .venv/bin/python benchmarks/claims_bench.py [--papers N] [--snapshot PATH]

Takes N papers (default 200: four queries of 50 hits, all kept) from the mixture-of-experts slice
of the shared arXiv corpus, indexes them with the default embedder, and prints the claims found,
verified, the stage's wall time and the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sovereign.claims.settings import Settings  # noqa: E402
from sovereign.claims.stage import extract_claims  # noqa: E402
from sovereign.config.checks import default_config  # noqa: E402
from sovereign.contracts import document  # noqa: E402
from sovereign.encoders.wordllama import WordLlamaEmbedder  # noqa: E402
from sovereign.search.snapshot import load_snapshot  # noqa: E402

QUESTION = "How do auxiliary load balancing losses affect expert utilization in mixture-of-experts?"


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
        {"arxiv_id": r["arxiv_id"], "title": r["title"], "abstract": r["abstract"]}
        for r in records[: args.papers]
    ]
    start = time.perf_counter()
    vectors = WordLlamaEmbedder().embed([document(p) for p in papers], "passage")
    index = dict(zip((p["arxiv_id"] for p in papers), vectors, strict=True))
    embedded = time.perf_counter() - start
    start = time.perf_counter()
    settings = Settings.from_config(default_config())
    rows = extract_claims("bench", QUESTION, papers, index, settings)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    verified = sum(r["verified"] for r in rows)
    print(f"{len(papers)} kept papers: index {embedded:.2f} s; claims stage {wall:.2f} s")
    print(f"{len(rows)} claims, {verified} verified; peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
