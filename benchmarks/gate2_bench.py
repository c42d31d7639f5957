"""Benchmark: Gate 2 for one question of the shipped sheet: bundle size, verification time, and
the sealed sandbox's overhead against an unsealed re-run.

    .venv/bin/python benchmarks/gate2_bench.py [--question control_load_balancing] [--cores 2]
        [--repeat 3]

Runs the question on the shipped corpus (snapshot backend) in a fresh directory and builds its
bundle through Snakemake. Then, `--repeat` times each, alternating:

* sealed: `sovereign.gate2.verify.verify` (unpack, re-run in the bubblewrap sandbox with the
  default limits, hash comparison);
* unsealed: the re-run as Gate 2 did it before the sandbox was sealed: the same unpacked bundle,
  Snakemake run directly with only the network cut (`unshare --net`).

Prints the medians, their ratio, the verdict, and the sandbox's peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from sovereign.gate2.archive import extract_members, read_archive  # noqa: E402
from sovereign.gate2.verify import verify  # noqa: E402


def unsealed(bundle: Path, qid: str, cores: int) -> float:
    """Seconds for the re-run as before the seal: unpack, Snakemake under `unshare --net` only."""
    start = time.perf_counter()
    members = read_archive(bundle)
    root = Path(tempfile.mkdtemp(prefix="sovereign-gate2-unsealed-"))
    try:
        extract_members(
            {k: v for k, v in members.items() if k.startswith(("workflow/", "work/"))}, root
        )
        cut = ["unshare", "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
        cmd = [
            *cut, sys.executable, "-m", "snakemake",
            "--snakefile", str(root / "workflow" / "Snakefile"), "--directory", str(root / "work"),
            "--workflow-profile", str(root / "workflow" / "profiles" / "default"),
            "--cores", str(cores), f"results/{qid}/record.json",
        ]  # fmt: skip
        subprocess.run(cmd, cwd=root / "work", check=True, capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--question", default="control_load_balancing")
    parser.add_argument("--snapshot", default=str(REPO.parent / "shared/data/arxiv_cs_daily"))
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = (REPO / "config/questions.tsv").read_text(encoding="utf-8").splitlines()
    picked = [rows[0]] + [r for r in rows[1:] if r.split("\t")[0] == args.question]
    if len(picked) != 2:
        print(f"no question {args.question!r} in config/questions.tsv", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="sovereign-gate2-bench-"))
    try:
        (workdir / "config").mkdir()
        (workdir / "config/questions.tsv").write_text("\n".join(picked) + "\n", encoding="utf-8")
        config = {
            "questions": "config/questions.tsv",
            "search": {"backend": "snapshot", "snapshot": str(Path(args.snapshot).resolve())},
        }
        (workdir / "config/config.yaml").write_text(yaml.safe_dump(config))
        bundle = workdir / "results" / args.question / "gate2" / "bundle.tar.gz"
        cmd = [
            sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
            "--directory", str(workdir), "--workflow-profile", str(REPO / "profiles/default"),
            "--cores", str(args.cores), str(bundle.relative_to(workdir)), "--quiet", "all",
        ]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        built = time.perf_counter() - start
        members = read_archive(bundle)
        sealed_s, unsealed_s = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            verdict = verify(bundle, cores=args.cores)
            sealed_s.append(time.perf_counter() - start)
            unsealed_s.append(unsealed(bundle, args.question, args.cores))
        sealed_m, unsealed_m = statistics.median(sealed_s), statistics.median(unsealed_s)
        env = verdict.get("environment", {})
        print(
            f"{args.question}: pipeline + bundle {built:.1f} s; bundle "
            f"{bundle.stat().st_size / 1024:.0f} KB, {len(members)} members"
        )
        print(f"verdict ({env.get('isolation')}): {verdict['status']} - {verdict['reason']}")
        print(
            f"verification on {args.cores} cores, median of {args.repeat}: sealed "
            f"{sealed_m:.1f} s, unsealed {unsealed_m:.1f} s; sealed / unsealed "
            f"{sealed_m / unsealed_m:.2f}x ({sealed_m - unsealed_m:+.1f} s); sandbox peak "
            f"resident {env.get('peak_memory_mb')} MiB, CPU {env.get('cpu_seconds')} s"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
