"""Dry-run overhead of the workflow layer: sovereign's `snakemake -n` beside a trivial workflow's.

In a temporary directory it builds (a) a working directory for this repository's Snakefile with a
sheet of N synthetic but valid questions (default 1,000) and a three-record snapshot (the snapshot
search backend, fully offline; no ../shared needed), and (b) a trivial six-rule Snakefile (search,
filter, embed, claims, review, report: one input -> one output per question, `rule all` over the
sheet's ids read with plain csv) over the same sheet. It then times `snakemake -n --quiet` on
both, alternating A B A B for R rounds (default 5) after one warm-up pair, and prints each side's
median wall time and the per-pair ratio A/B (min, median, max). Both sides run the same
interpreter and Snakemake (this repository's .venv), with --cores 2; the real workflow also reads
its default workflow profile, as any run does. The machine's load moves both sides alike, so the
ratio is the figure to compare (issue goal: <= 2.0).

    nice .venv/bin/python benchmarks/dryrun_ratio.py [--questions 1000] [--rounds 5] [--keep]
        [--snakefile OTHER/Snakefile]

--snakefile times another checkout's workflow on side A (e.g. a `git worktree` of an older commit,
for a before/after comparison). With --keep the directories stay (their paths are printed) for
profiling, e.g. `python -m cProfile -o out.prof .venv/bin/snakemake -n ...` in the sovereign one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# 10 x 10 x 10 distinct questions, each with words to search for (no stop-word-only question).
METHODS = (
    "sparse mixture-of-experts routing", "low-rank adaptation", "knowledge distillation",
    "contrastive pretraining", "retrieval augmentation", "quantization-aware training",
    "curriculum learning", "graph neural message passing", "diffusion-based augmentation",
    "speculative decoding",
)  # fmt: skip
EFFECTS = (
    "calibration", "robustness to distribution shift", "inference latency", "sample efficiency",
    "memory footprint", "factual accuracy", "fairness across groups", "energy use",
    "out-of-domain generalization", "training stability",
)  # fmt: skip
DOMAINS = (
    "medical image segmentation", "code generation", "speech recognition", "machine translation",
    "visual question answering", "tabular classification", "protein structure prediction",
    "autonomous driving perception", "recommender systems", "time-series forecasting",
)  # fmt: skip

STAGES = ("search", "filter", "embed", "claims", "review", "report")


def questions(n: int) -> list[tuple[str, str, str]]:
    combos = [(m, e, d) for d in DOMAINS for e in EFFECTS for m in METHODS]
    if n > len(combos):
        raise SystemExit(f"at most {len(combos)} synthetic questions")
    return [
        (f"q{i:04d}", f"How does {m} affect {e} in {d}?", "2026-06-30")
        for i, (m, e, d) in enumerate(combos[:n])
    ]


def snapshot_record(i: int) -> dict:
    return {
        "id": f"2501.{i:05d}",
        "title": f"A study of {METHODS[i]} for {DOMAINS[i]}",
        "abstract": f"We measure how {METHODS[i]} changes {EFFECTS[i]} in {DOMAINS[i]}.",
        "authors_parsed": [["Doe", "Jane", ""]],
        "categories": "cs.LG",
        "versions": [{"version": "v1", "created": "Mon, 6 Jan 2025 10:00:00 GMT"}],
        "update_date": "2025-01-06",
    }


def sovereign_dir(root: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A working directory for this repository's Snakefile: sheet, snapshot, config."""
    (root / "config").mkdir(parents=True)
    sheet = ["question_id\tquestion\tas_of", *("\t".join(r) for r in rows)]
    (root / "config" / "questions.tsv").write_text("\n".join(sheet) + "\n", encoding="utf-8")
    snapshot = root / "snapshot" / "papers.jsonl"
    snapshot.parent.mkdir()
    lines = [json.dumps(snapshot_record(i)) for i in range(3)]
    snapshot.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # JSON is YAML: the config needs no YAML writer
    config = {
        "questions": "config/questions.tsv",
        "search": {"backend": "snapshot", "snapshot": str(snapshot), "index": "indexes"},
    }
    (root / "config" / "config.yaml").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return root


TRIVIAL = """import csv

with open({sheet!r}, newline="", encoding="utf-8") as handle:
    IDS = [row["question_id"] for row in csv.DictReader(handle, delimiter="\\t")]


rule all:
    input:
        expand("results/{{qid}}/report.txt", qid=IDS),

{rules}"""

TRIVIAL_RULE = """
rule {name}:
    input:
        {source!r},
    output:
        "results/{{qid}}/{name}.txt",
    shell:
        "cp {{input}} {{output}}"

"""


def trivial_dir(root: Path, sheet: Path) -> Path:
    """The six-rule chain over the same sheet (the first rule reads the sheet itself)."""
    root.mkdir(parents=True)
    sources = [str(sheet)] + [f"results/{{qid}}/{s}.txt" for s in STAGES[:-1]]
    rules = "".join(
        TRIVIAL_RULE.format(name=name, source=source)
        for name, source in zip(STAGES, sources, strict=True)
    )
    (root / "Snakefile").write_text(TRIVIAL.format(sheet=str(sheet), rules=rules), "utf-8")
    return root


def snakemake_bin() -> str:
    venv = REPO / ".venv" / "bin" / "snakemake"
    found = str(venv) if venv.exists() else shutil.which("snakemake")
    if not found:
        raise SystemExit("no snakemake: run `make setup` first")
    return found


def dry_run(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed in {cwd}: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=1000, help="questions in the sheet")
    parser.add_argument("--rounds", type=int, default=5, help="timed A B pairs (after a warm-up)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    parser.add_argument(
        "--snakefile", type=Path, default=REPO / "Snakefile", help="side A's workflow"
    )
    args = parser.parse_args()
    snakemake = snakemake_bin()
    base = Path(tempfile.mkdtemp(prefix="sovereign-dryrun-"))
    try:
        real = sovereign_dir(base / "sovereign", questions(args.questions))
        trivial = trivial_dir(base / "trivial", real / "config" / "questions.tsv")
        common = ["-n", "--quiet", "--cores", "2"]
        sides = {
            "sovereign": ([snakemake, "--snakefile", str(args.snakefile.resolve()), *common], real),
            "trivial": ([snakemake, "--snakefile", str(trivial / "Snakefile"), *common], trivial),
        }
        for cmd, cwd in sides.values():  # warm-up: page cache, .snakemake/, bytecode
            dry_run(cmd, cwd)
        walls: dict[str, list[float]] = {name: [] for name in sides}
        print(
            f"{args.questions} questions, {args.rounds} rounds "
            f"(A = sovereign, {args.snakefile.resolve()}; B = trivial)"
        )
        for i in range(args.rounds):
            for name, (cmd, cwd) in sides.items():
                walls[name].append(dry_run(cmd, cwd))
            a, b = walls["sovereign"][-1], walls["trivial"][-1]
            print(f"round {i + 1}: A {a:6.2f} s  B {b:6.2f} s  A/B {a / b:5.2f}")
        ratios = [a / b for a, b in zip(walls["sovereign"], walls["trivial"], strict=True)]
        for name, values in walls.items():
            print(f"{name:9} median {statistics.median(values):6.2f} s")
        print(
            f"ratio A/B per pair: min {min(ratios):.2f}  median {statistics.median(ratios):.2f}  "
            f"max {max(ratios):.2f}"
        )
        if args.keep:
            print(f"kept: {real}  {trivial}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
