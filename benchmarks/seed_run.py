"""Benchmark: the shipped question sheet (four seed questions, two controls) end to end.

Runs on the snapshot backend in a fresh directory.

Prints the wall time of the whole run (search to record pages) and, per question, the funnel (hits
-> unique papers -> kept -> claims -> verified) with the best TF-IDF score and the tribunal's final
score, verdict and policy; with --show-claims N, each question's N
most confident claims with their evidence verdict. --threshold overrides filter.threshold (e.g.
0 to see what the claims stage makes of papers the filter would have dropped).

    .venv/bin/python benchmarks/seed_run.py [--snapshot PATH] [--cores N] [--questions TSV]
        [--threshold T] [--show-claims N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq
import yaml

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--snapshot", default=str(REPO / "resources/corpus/arxiv-cs-daily.jsonl.xz")
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--questions", default=str(REPO / "config/questions.tsv"))
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--show-claims", type=int, default=0)
    args = parser.parse_args()
    if not Path(args.snapshot).exists():
        print(f"snapshot {args.snapshot} not found; pass --snapshot PATH", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="sovereign-bench-"))
    try:
        (workdir / "config").mkdir()
        shutil.copy(args.questions, workdir / "config/questions.tsv")
        config = {
            "questions": "config/questions.tsv",
            "search": {"backend": "snapshot", "snapshot": str(Path(args.snapshot).resolve())},
            "filter": {} if args.threshold is None else {"threshold": args.threshold},
        }
        (workdir / "config/config.yaml").write_text(yaml.safe_dump(config))
        cmd = [
            sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
            "--directory", str(workdir), "--workflow-profile", str(REPO / "profiles/default"),
            "--cores", str(args.cores), "--quiet", "all",
        ]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        wall = time.perf_counter() - start
        qdirs = sorted(p for p in (workdir / "results").iterdir() if p.is_dir())
        count = len(qdirs)
        print(f"{count}-question run, snapshot backend, {args.cores} cores: wall {wall:.1f} s")
        print(
            f"{'question':28} {'hits':>5} {'unique':>6} {'kept':>5} {'claims':>6} "
            f"{'verified':>8} {'best tf-idf':>11} {'score':>5}  verdict -> policy"
        )
        shown = []
        for qdir in qdirs:
            raw = pq.read_table(qdir / "raw.parquet")
            filtered = pq.read_table(qdir / "filtered.parquet").to_pydict()
            claims = pq.read_table(qdir / "claims.parquet").to_pylist()
            kept = sum(filtered["kept"])
            best = max(filtered["tfidf_score"], default=0.0)
            verified = sum(c["verified"] for c in claims)
            review = json.loads((qdir / "record.json").read_text(encoding="utf-8"))["review"]
            print(
                f"{qdir.name:28} {raw.num_rows:5d} {len(filtered['arxiv_id']):6d} {kept:5d} "
                f"{len(claims):6d} {verified:8d} {best:11.3f} {review['score']:5.1f}  "
                f"{review['verdict']} -> {review['policy']}"
            )
            top = sorted(claims, key=lambda c: (-c["confidence"], c["claim_id"]))
            shown.append((qdir.name, top[: args.show_claims]))
        for name, top in shown:
            if top:
                print(f"\n{name}: most confident claims")
            for c in top:
                mark = "verified" if c["verified"] else "not verified"
                print(
                    f"  [{c['claim_id']}] confidence {c['confidence']:.3f}, relevance "
                    f"{c['relevance']:.3f}, evidence {c['evidence_label']} "
                    f"{c['evidence_score']:.2f}, {mark}\n    {textwrap.shorten(c['claim'], 150)}"
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
