"""Fit the full-text stage's second-look passage threshold on the answer benchmark's full-text
variant, on its fit half only (as `answer_quality.py fit-filter` fits the filter's).

    benchmarks/answer_quality.py build --out DIR --data ../shared/data --fulltext
    benchmarks/answer_quality.py run --out DIR --half fit     # (and --half report, to report)
    benchmarks/second_look_fit.py --out DIR [--write-model]

For every question of a half with results: the papers the filter dropped (filtered.parquet; all
of them, as `fulltext.second_look: all` reads them), each one's e-print from DIR/sources read by
the library as the stage reads it, every passage scored by the filter's encoder and TF-IDF
(`Judge.passage_scores`). On a grid of passage thresholds, a question keeps the filter's papers
and the near misses with a passage at TF-IDF >= 0.15 or encoder cosine >= the threshold; the
fitted threshold is the highest whose mean per-question F2 of kept evidence papers is within
`F2_NOISE` of the best, as for the filter. Passages score higher than whole abstracts (a short
text is less diluted), so the filter's own threshold would keep too much. --write-model writes
src/sovereign/models/second_look.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from statistics import mean
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import answer_quality as aq  # noqa: E402

from sovereign.config.checks import default_config  # noqa: E402
from sovereign.filter.stage import near_misses  # noqa: E402
from sovereign.fulltext.model import Limits  # noqa: E402
from sovereign.fulltext.second_look import encoder_judge  # noqa: E402
from sovereign.fulltext.sources import local_source  # noqa: E402
from sovereign.fulltext.stage import read_paper  # noqa: E402
from sovereign.fulltext.store import ParseStore  # noqa: E402

NEAR_MISSES = None  # fulltext.second_look's default, all: every paper the filter dropped
GRID = [round(0.30 + 0.005 * i, 3) for i in range(101)]  # 0.300 ... 0.800
MODEL = REPO / "src" / "sovereign" / "models" / "second_look.json"


def near_miss_scores(out: Path, half: str) -> dict[str, dict[str, Any]]:
    """{question_id: {"kept": filter-kept ids, "evidence": evidence ids, "misses": [(id, best
    TF-IDF, best encoder cosine)]}} for the half's questions with results."""
    import pyarrow.parquet as pq

    split = aq._read_json(out / "split.json")
    gold = aq._read_json(out / "gold.json")
    config = default_config()
    limits = Limits(52428800, 209715200, 5000, 60.0)
    root = out / "sources"
    found: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = ParseStore(tmp, limits)
        for qid in aq.half_ids(split, half):
            path = out / "results" / qid / "filtered.parquet"
            if not path.is_file():
                continue
            papers = pq.read_table(path).to_pylist()
            judge = encoder_judge(gold[qid]["question"], config)
            misses = []
            for paper in near_misses(papers, NEAR_MISSES):
                text = read_paper(
                    paper, lambda i, v, pdf: local_source(root, i, v, pdf), store, limits
                )
                scores = judge.passage_scores(text.sections)
                misses.append(
                    (
                        paper["arxiv_id"],
                        max((p.tfidf_score for p in scores), default=0.0),
                        max((p.semantic_score for p in scores), default=-1.0),
                    )
                )
            found[qid] = {
                "kept": {p["arxiv_id"] for p in papers if p["kept"]},
                "evidence": set(gold[qid]["evidence_ids"]),
                "misses": misses,
            }
    return found


def figures(
    questions: dict[str, dict[str, Any]], threshold: float, second_look: bool = True
) -> dict[str, float]:
    """Per-question means of kept recall (over all evidence), precision, F2 and kept count, and
    the papers a second look keeps at `threshold` (and how many of them are evidence); without
    `second_look`, the filter's alone."""
    rows: dict[str, list[float]] = {k: [] for k in ("recall", "p", "f2", "kept")}
    rescued = rescued_evidence = 0
    for q in questions.values():
        extra = {
            pid
            for pid, tfidf, sem in q["misses"]
            if second_look and (tfidf >= aq.TFIDF_THRESHOLD or sem >= threshold)
        }
        kept = q["kept"] | extra
        hit = len(kept & q["evidence"])
        r_ = hit / len(q["evidence"]) if q["evidence"] else 0.0
        p_ = hit / len(kept) if kept else 0.0
        rows["recall"].append(r_)
        rows["p"].append(p_)
        rows["f2"].append(5 * p_ * r_ / (4 * p_ + r_) if p_ + r_ else 0.0)
        rows["kept"].append(len(kept))
        rescued += len(extra)
        rescued_evidence += len(extra & q["evidence"])
    return {
        "questions": len(questions),
        "recall": mean(rows["recall"]),
        "precision": mean(rows["p"]),
        "f2": mean(rows["f2"]),
        "kept": mean(rows["kept"]),
        "kept_on_full_text": rescued,
        "kept_on_full_text_evidence": rescued_evidence,
    }


def fit(out: Path, write_model: bool = False) -> dict[str, Any]:
    fit_half = near_miss_scores(out, "fit")
    if not fit_half:
        raise SystemExit(f"no filtered.parquet of the fit half under {out}/results: run it first")
    report_half = near_miss_scores(out, "report")
    curve = {t: figures(fit_half, t) for t in GRID}
    top = max(c["f2"] for c in curve.values())
    best = max(t for t, c in curve.items() if c["f2"] >= top - aq.F2_NOISE)
    result = {
        "encoder": aq.MINILM_ID,
        "passage_threshold": best,
        "measurement": {
            "benchmark": "benchmarks/answer_quality.py --fulltext (ScholarQA-CS evidence quotes "
            "in e-print bodies among arxiv_cs_daily distractors whose bodies are their abstracts)",
            "rule": f"a near miss is kept when a passage has TF-IDF cosine >= "
            f"{aq.TFIDF_THRESHOLD} or encoder cosine >= threshold",
            "near_misses": NEAR_MISSES,
            "fit": f"the grid {GRID[0]:.3f}..{GRID[-1]:.3f} (step 0.005): the highest threshold "
            f"whose mean per-question F2 of kept evidence papers is within {aq.F2_NOISE} of the "
            "best, fit half only",
            "split": f'sha256("{aq.SPLIT_SALT}" + question) % 2 == 0 -> fit, else report',
            "fit_half": aq.rounded(curve[best]),
            "fit_half_without": aq.rounded(figures(fit_half, 2.0, second_look=False)),
            "report_half": aq.rounded(figures(report_half, best)) if report_half else None,
            "report_half_without": (
                aq.rounded(figures(report_half, 2.0, second_look=False)) if report_half else None
            ),
        },
    }
    print(json.dumps(result, indent=1, sort_keys=True))
    if write_model:
        MODEL.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {MODEL}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--write-model", action="store_true")
    parser.add_argument("--curve", action="store_true", help="print the fit half's curve")
    args = parser.parse_args(argv)
    if args.curve:
        fit_half = near_miss_scores(args.out, "fit")
        for t in GRID[::4]:
            print(t, aq.rounded(figures(fit_half, t)))
        return 0
    fit(args.out, args.write_model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
