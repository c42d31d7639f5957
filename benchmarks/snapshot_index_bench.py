"""Snapshot index at scale: build time, peak memory, index size and query latency.

Generates a synthetic snapshot of N records (benchmarks/synth_snapshot.py, scaled up from the
shared corpora; deleted afterwards unless --keep), builds its index with the command line the
`snapshot_index` rule runs, then times the searches a question makes: its four queries, 50 hits
each, papers read back. Goals (issue 6, 2 cores): build <= 20 min for 1 million records, query
<= 100 ms, and the full Kaggle file (2.7 million records) under 8 GB.

    python benchmarks/snapshot_index_bench.py --records 1000000
    python benchmarks/snapshot_index_bench.py --snapshot arxiv-metadata-oai-snapshot.json
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

from sovereign.search.queries import expand  # noqa: E402
from sovereign.search.snapshot_index import SnapshotIndex  # noqa: E402


def run_sampled(cmd: list[str]) -> tuple[float, float, int, int]:
    """Run cmd; (wall s, CPU s, peak RSS of the whole process tree, peak of one process)."""
    start = time.monotonic()
    proc = psutil.Popen(cmd, stderr=subprocess.PIPE, text=True)
    peak_tree = peak_one = 0
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        try:
            family = [proc, *proc.children(recursive=True)]
            rss = []
            for p in family:
                try:
                    rss.append(p.memory_info().rss)
                    times = p.cpu_times()
                    cpu[p.pid] = times.user + times.system
                except psutil.NoSuchProcess:
                    pass
            peak_tree = max(peak_tree, sum(rss))
            peak_one = max(peak_one, max(rss, default=0))
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.2)
    wall = time.monotonic() - start
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"index build failed:\n{err}")
    return wall, sum(cpu.values()), peak_tree, peak_one


# Questions as people ask them (paraphrased, not titles: few papers hold their phrases verbatim),
# among them the shipped sheet's.
NATURAL = [
    "Which methods reduce the memory cost of training large models?",
    "Does expert pruning of mixture-of-experts LLMs reduce memory while preserving performance?",
    "How do diffusion models compare to GANs for image synthesis quality?",
    "What is the effect of learning rate warmup on transformer training stability?",
    "Can reinforcement learning from human feedback reduce hallucination in language models?",
    "How well do graph neural networks predict molecule properties?",
    "Which data augmentation strategies improve robustness to distribution shift?",
    "What are the trade-offs between retrieval-augmented generation and long-context models?",
    "How does quantization affect the accuracy of large language models on reasoning?",
    "Do vision transformers need more training data than convolutional networks?",
    *(
        line.split("\t")[1]
        for line in (REPO / "config" / "questions.tsv").read_text().splitlines()[1:]
    ),
]


def latency(index: SnapshotIndex, titles: list[str]) -> None:
    """Per query: search (50 hits) and read the papers back, as the search stage does. Each set
    twice: the first pass reads the index from disk (cold), the second from the page cache."""
    for name, questions in (("titles", titles), ("natural", NATURAL)):
        if not questions:
            continue
        for run in ("first pass", "second pass"):
            times = []
            for question in questions:
                for query in expand(question):
                    start = time.monotonic()
                    for hit in index.search(query, 50, "2026-12-31"):
                        index.paper(hit.position)
                    times.append(time.monotonic() - start)
            times.sort()
            print(
                f"{name:8} {run:11} {len(times)} queries: median "
                f"{statistics.median(times) * 1000:.1f} ms, p95 "
                f"{times[int(0.95 * (len(times) - 1))] * 1000:.1f} ms, "
                f"max {times[-1] * 1000:.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--snapshot", type=Path, help="an existing snapshot instead of synthetic")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the snapshot and the index")
    parser.add_argument("--index", type=Path, help="time queries on an index already built")
    args = parser.parse_args()

    if args.index:
        latency(SnapshotIndex(args.index), [])
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sovereign-index-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    snapshot = args.snapshot
    if snapshot is None:
        from synth_snapshot import base_papers, generate

        snapshot = work / f"synth-{args.records}.jsonl"
        if not snapshot.exists():
            start = time.monotonic()
            generate(args.records, snapshot)
            print(f"generated {args.records:,} records in {time.monotonic() - start:.0f} s")
        titles = [p["title"] for p in base_papers()]
    else:
        titles = []
    size = sum(
        f.stat().st_size for f in ([snapshot] if snapshot.is_file() else snapshot.rglob("*"))
    )
    index_dir = work / "index"
    cmd = [sys.executable, "-m", "sovereign.snapshot_index", str(snapshot), str(index_dir)]
    wall, cpu, tree, one = run_sampled([*cmd, "--workers", str(args.workers)])
    index_bytes = sum(f.stat().st_size for f in index_dir.iterdir() if f.is_file())

    start = time.monotonic()
    index = SnapshotIndex(index_dir)
    opened = time.monotonic() - start
    step = max(1, len(titles) // max(args.questions, 1))
    manifest = index.manifest
    print(f"snapshot           {manifest['snapshot']['records']:,} records, {size / 1e9:.2f} GB")
    print(
        f"index              {manifest['papers']:,} papers, {manifest['terms']:,} terms, "
        f"{manifest['postings']:,} postings, {index_bytes / 1e9:.2f} GB on disk"
    )
    print(f"build              {wall:.0f} s wall, {cpu:.0f} s CPU, {args.workers} workers")
    print(f"build peak memory  {tree / 1e9:.2f} GB (all processes), {one / 1e9:.2f} GB (largest)")
    print(f"open               {opened * 1000:.1f} ms")
    latency(index, titles[::step][: args.questions])
    if not args.keep and args.workdir is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
