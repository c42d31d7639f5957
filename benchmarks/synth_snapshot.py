"""Write a synthetic arXiv snapshot of N records, scaled up from the real shared corpora.

Every record is Kaggle/OAI-shaped (id, title, abstract, authors_parsed, categories, versions,
update_date). Titles and abstracts recombine real sentences of the shared arXiv corpora (so word
statistics and phrase structure stay real), plus a few rare words drawn from a Zipf law over a
large pool, so the vocabulary grows with N the way a real snapshot's does (millions of terms).
Deterministic for a given N and seed. Generated for benchmarks; never committed.

    python benchmarks/synth_snapshot.py --records 1000000 --out synth-1m.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
CORPORA = [
    SHARED / "arxiv_cs_daily",
    SHARED / "arxiv_ml_stars" / "arxiv_metadata.jsonl",
    SHARED / "arxiv_kaggle_sample",
]
RARE_POOL = 5_000_000
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MONTHS = [f"{y:02d}{m:02d}" for y in range(8, 27) for m in range(1, 13)]


def base_papers() -> list[dict]:
    sys.path.insert(0, str(REPO / "src"))
    from sovereign.search.snapshot import load_snapshot

    papers: list[dict] = []
    for corpus in CORPORA:
        if not corpus.exists():
            raise SystemExit(f"needs the shared data at {corpus} (a checkout with ../shared)")
        papers.extend(load_snapshot(corpus)[0])
    return papers


def generate(records: int, out: Path, seed: int = 0) -> int:
    papers = base_papers()
    sentences = [s for p in papers for s in _SENTENCE.split(p["abstract"]) if len(s) > 20]
    titles = [p["title"] for p in papers]
    authors = [p["authors"] for p in papers if p["authors"]]
    categories = [p["categories"] for p in papers if p["categories"]]
    rng = random.Random(seed)
    per_month = -(-records // len(_MONTHS))
    written = 0
    with open(out, "w", encoding="utf-8") as handle:
        for i in range(records):
            month = _MONTHS[i // per_month]
            title = titles[rng.randrange(len(titles))]
            abstract = " ".join(sentences[rng.randrange(len(sentences))] for _ in range(5))
            # rare words: one near-unique (misspellings, symbols, numbers), two Zipf-distributed;
            # the vocabulary then grows with N as a real snapshot's does
            rare = " ".join(
                [f"u{rng.randrange(RARE_POOL):x}z"]
                + [f"q{int(rng.paretovariate(1.0)) % RARE_POOL:x}z" for _ in range(2)]
            )
            names = authors[rng.randrange(len(authors))][:6]
            record = {
                "id": f"{month}.{i % per_month:05d}",
                "title": title,
                "abstract": f"{abstract} {rare}",
                "authors_parsed": [
                    [n.split(" ")[-1], " ".join(n.split(" ")[:-1]), ""] for n in names
                ],
                "categories": " ".join(categories[rng.randrange(len(categories))]),
                "versions": [
                    {
                        "version": "v1",
                        "created": f"Mon, 2 {_month_name(month)} 20{month[:2]} 10:00:00 GMT",
                    }
                ],
                "update_date": f"20{month[:2]}-{month[2:]}-02",
            }
            handle.write(json.dumps(record) + "\n")
            written += 1
    return written


def _month_name(month: str) -> str:
    return "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[int(month[2:]) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.monotonic()
    n = generate(args.records, args.out, args.seed)
    size = args.out.stat().st_size
    print(f"wrote {n:,} records, {size / 1e9:.2f} GB, in {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
