"""What the full-text stage's second look costs: the stage on the first N report-half questions
of a full-text variant directory (`answer_quality.py build --fulltext`, its report half run), with
a cold parse store, `fulltext.second_look: all` against `0`: wall time, papers read, section rows.

    benchmarks/second_look_cost.py --out DIR [--questions 6]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from sovereign.config.checks import default_config  # noqa: E402
from sovereign.fulltext.second_look import encoder_judge  # noqa: E402
from sovereign.fulltext.settings import Settings  # noqa: E402
from sovereign.fulltext.stage import paper_texts  # noqa: E402


def measure(out: Path, qids: list[str], look: str | int) -> dict[str, float]:
    import pyarrow.parquet as pq

    gold = json.loads((out / "gold.json").read_text(encoding="utf-8"))
    config = default_config()
    config["search"]["backend"] = "snapshot"
    config["fulltext"].update(source="directory", sources=str(out / "sources"), second_look=look)
    rows = papers = 0
    with tempfile.TemporaryDirectory() as tmp:
        config["cache"] = tmp
        settings = Settings.from_config(config)
        start = time.perf_counter()
        for qid in qids:
            filtered = pq.read_table(out / "results" / qid / "filtered.parquet").to_pylist()
            question = gold[qid]["question"]
            got = paper_texts(
                qid, filtered, settings, judge=lambda q=question: encoder_judge(q, config)
            )
            rows += len(got)
            papers += len({r["arxiv_id"] for r in got})
        wall = time.perf_counter() - start
    return {"wall_s": round(wall, 2), "papers_kept": papers, "section_rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--questions", type=int, default=6)
    args = parser.parse_args(argv)
    split = json.loads((args.out / "split.json").read_text(encoding="utf-8"))
    qids = sorted(q for q, h in split.items() if h == "report")[: args.questions]
    results = {look: measure(args.out, qids, look) for look in ("all", 0)}
    for look, r in results.items():
        print(
            f"second_look={look}: {len(qids)} questions, {r['papers_kept']} papers kept, "
            f"{r['section_rows']} section rows, {r['wall_s']:.1f} s wall (cold parse store)"
        )
    ratio = results["all"]["wall_s"] / max(results[0]["wall_s"], 1e-9)
    print(f"wall-time ratio all / 0: {ratio:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
