"""Many questions on the snapshot backend: where the time goes, per stage and in total.

For N = 1, 10, 100 questions (real paper titles of the shared cs_daily corpus, phrased as
questions) it runs the whole workflow with `snakemake -c 2` in a fresh directory and prints, per
stage: jobs, in-stage wall and CPU time, the start-up before the stage's code (interpreter,
Snakemake's script preamble, imports) and peak memory per job, read from the `done:` line each job
logs. Then the run's total wall time and its overhead ratio (total wall / sum of in-stage wall),
and the time of a 1,000-question dry run. The snapshot's index is built once beforehand (it is a
one-off per snapshot: benchmarks/snapshot_index_bench.py measures it).

Goals (issue 6, 2 cores): 1 question <= 10 s, 100 questions <= 3 min, 1,000-question dry run
<= 5 s, peak memory per job <= 1 GB.

    python benchmarks/many_questions.py [--sizes 1 10 100] [--dry-run 1000]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = REPO.parent / "shared" / "data" / "arxiv_cs_daily"
sys.path.insert(0, str(REPO / "src"))

from sovereign.search.snapshot import load_snapshot  # noqa: E402
from sovereign.search.snapshot_build import build_index  # noqa: E402
from sovereign.search.snapshot_files import index_dir  # noqa: E402

STAGES = ("search", "filter", "embed", "claims", "review", "report", "index")
DONE = re.compile(
    r"done: stage_wall=(?P<wall>[\d.]+)s stage_cpu=(?P<cpu>[\d.]+)s "
    r"startup_wall=(?P<sw>[\d.na]+)s startup_cpu=(?P<sc>[\d.]+)s peak_rss=(?P<rss>\d+)MB"
)


def questions(n: int) -> list[list[str]]:
    papers, _ = load_snapshot(SNAPSHOT)
    step = max(1, len(papers) // n)
    picked = papers[::step][:n]
    return [
        [f"q{i:04d}", f"What does recent work show about {p['title'].rstrip('.')}?", "2026-06-30"]
        for i, p in enumerate(picked)
    ]


def workdir(root: Path, rows: list[list[str]], indexes: Path) -> Path:
    (root / "config").mkdir(parents=True)
    sheet = ["question_id\tquestion\tas_of", *("\t".join(r) for r in rows)]
    (root / "config" / "questions.tsv").write_text("\n".join(sheet) + "\n", encoding="utf-8")
    config = {
        "questions": "config/questions.tsv",
        "search": {"backend": "snapshot", "snapshot": str(SNAPSHOT), "index": str(indexes)},
    }
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


def snakemake(root: Path, *args: str) -> float:
    cmd = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(root), "--workflow-profile", str(REPO / "profiles" / "default"),
        "--quiet", "all", *args,
    ]  # fmt: skip
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{proc.stderr[-3000:]}")
    return wall


def stage_figures(root: Path) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for stage in STAGES:
        for log in sorted((root / "logs" / stage).glob("*.log")):
            match = DONE.search(log.read_text(encoding="utf-8"))
            if not match:
                continue
            f = figures[stage]
            f["jobs"] += 1
            f["wall"] += float(match["wall"])
            f["cpu"] += float(match["cpu"])
            f["startup_wall"] += float(match["sw"]) if match["sw"] != "nan" else 0.0
            f["startup_cpu"] += float(match["sc"])
            f["peak_mb"] = max(f["peak_mb"], float(match["rss"]))
    return figures


def report(n: int, wall: float, figures: dict[str, dict[str, float]]) -> None:
    print(f"\n== {n} question(s): total wall {wall:.1f} s")
    print(
        f"{'stage':8} {'jobs':>5} {'wall s':>8} {'cpu s':>8} {'wall/job':>9} "
        f"{'startup/job':>12} {'startup cpu':>12} {'peak MB':>8}"
    )
    in_stage = 0.0
    for stage in STAGES:
        f = figures.get(stage)
        if not f:
            continue
        jobs = f["jobs"]
        in_stage += f["wall"]
        print(
            f"{stage:8} {jobs:5.0f} {f['wall']:8.2f} {f['cpu']:8.2f} {f['wall'] / jobs:9.3f} "
            f"{f['startup_wall'] / jobs:12.3f} {f['startup_cpu'] / jobs:12.3f} "
            f"{f['peak_mb']:8.0f}"
        )
    startup = sum(f["startup_wall"] for f in figures.values())
    print(
        f"sum of in-stage wall {in_stage:.1f} s, of job start-up {startup:.1f} s; "
        f"overhead ratio (total wall / in-stage wall) {wall / max(in_stage, 1e-9):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--dry-run", type=int, default=1000, help="questions in the dry run")
    args = parser.parse_args()
    if not SNAPSHOT.is_dir():
        raise SystemExit(f"needs the shared data at {SNAPSHOT}")
    base = Path(tempfile.mkdtemp(prefix="sovereign-many-"))
    try:
        indexes = base / "indexes"
        build_index(SNAPSHOT, index_dir(indexes, SNAPSHOT), workers=2)
        rows = questions(max([*args.sizes, args.dry_run]))
        for n in args.sizes:
            root = workdir(base / f"run{n}", rows[:n], indexes)
            wall = snakemake(root, "-c", "2")
            report(n, wall, stage_figures(root))
        root = workdir(base / f"dry{args.dry_run}", rows[: args.dry_run], indexes)
        wall = snakemake(root, "-n")
        print(f"\n== dry run of {args.dry_run} questions: {wall:.2f} s")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
