"""Benchmark: Gate 2 for one question of the shipped sheet: bundle size and verification time.

    .venv/bin/python benchmarks/gate2_bench.py [--question control_load_balancing] [--cores 2]

Runs the question on the shipped corpus (snapshot backend) in a fresh directory, builds its
bundle through Snakemake, then times `sovereign.gate2.verify.verify` (unpack, offline re-run of
every stage after search in the network sandbox, hash comparison) and prints the verdict.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from sovereign.gate2.archive import read_archive  # noqa: E402
from sovereign.gate2.verify import verify  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--question", default="control_load_balancing")
    parser.add_argument("--snapshot", default=str(REPO.parent / "shared/data/arxiv_cs_daily"))
    parser.add_argument("--cores", type=int, default=2)
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
        start = time.perf_counter()
        verdict = verify(bundle, cores=args.cores)
        took = time.perf_counter() - start
        print(
            f"{args.question}: pipeline + bundle {built:.1f} s; bundle "
            f"{bundle.stat().st_size / 1024:.0f} KB, {len(members)} members"
        )
        print(
            f"verification {took:.1f} s on {args.cores} cores "
            f"({verdict['environment']['isolation']}): {verdict['status']} - {verdict['reason']}"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
