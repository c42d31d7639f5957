"""Benchmark: parsing the real paper sources of the shared data into sections.

    .venv/bin/python benchmarks/fulltext_parse.py [--rounds N]

Parses every e-print tarball and PDF in ../shared/data/arxiv_sources N times (default 5) with the
default limits, prints per paper the median time, the number of sections and the characters of
text, then the median and p95 per-paper parse time for LaTeX and for PDF separately, and a JSON
line with all of it at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sovereign.fulltext.model import Limits, SourceError  # noqa: E402
from sovereign.fulltext.parse import parse_source  # noqa: E402

SOURCES = ROOT.parent / "shared/data/arxiv_sources"
# The config schema's defaults (fulltext.max_bytes, max_unpacked_bytes, max_members, seconds).
LIMITS = Limits(max_bytes=52428800, max_unpacked_bytes=209715200, max_members=5000, seconds=60)


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not SOURCES.is_dir():
        sys.exit(f"no paper sources at {SOURCES} (needs a checkout with ../shared beside it)")
    papers = sorted(SOURCES.glob("*.tar.gz")) + sorted(SOURCES.glob("*.pdf"))
    try:
        from sovereign.fulltext import pdf  # noqa: F401
    except ImportError as err:
        print(f"note: PDFs skipped, the PDF reader is not importable ({err})")
        papers = [p for p in papers if p.suffix != ".pdf"]

    rows = []
    times: dict[str, list[float]] = {"latex": [], "pdf": []}
    print(f"{'paper':36} {'kind':5} {'median s':>9} {'sections':>8} {'chars':>8}")
    for path in papers:
        data = path.read_bytes()
        elapsed = []
        result: tuple[str, list] | str = ""
        for _ in range(args.rounds):
            started = time.perf_counter()
            try:
                result = parse_source(data, LIMITS)
            except SourceError as err:
                result = err.reason
            elapsed.append(time.perf_counter() - started)
        median = statistics.median(elapsed)
        kind = "pdf" if path.suffix == ".pdf" else "latex"
        times[kind].append(median)
        if isinstance(result, str):
            print(f"{path.name:36} {kind:5} {median:9.3f}   failed: {result}")
            rows.append({"paper": path.name, "kind": kind, "median_s": median, "error": result})
            continue
        sections = result[1]
        chars = sum(len(s.text) for s in sections)
        print(f"{path.name:36} {kind:5} {median:9.3f} {len(sections):8d} {chars:8d}")
        rows.append(
            {
                "paper": path.name,
                "kind": kind,
                "median_s": round(median, 4),
                "sections": len(sections),
                "chars": chars,
            }
        )

    summary = {}
    for kind, values in times.items():
        if values:
            summary[kind] = {
                "papers": len(values),
                "median_s": round(statistics.median(values), 4),
                "p95_s": round(_percentile(values, 95), 4),
            }
            print(
                f"{kind}: {len(values)} papers, per-paper parse median "
                f"{summary[kind]['median_s']:.3f} s, p95 {summary[kind]['p95_s']:.3f} s"
            )
    print(json.dumps({"rounds": args.rounds, "papers": rows, "summary": summary}))


if __name__ == "__main__":
    main()
