"""Measure the claim extractor against sentence roles tagged in CS abstracts.

    .venv/bin/python benchmarks/extract_eval.py [--data ../shared/data/csfcube]

CSFCube tags every abstract sentence with a facet (background, objective, method, result,
other; the `pred_labels` of its release: a classifier's tags, checked by the dataset's
annotators only through the facet queries). A checkable finding should be a result sentence, so
printed are: sentences per tag, how many the extractor takes from each, precision (the share of
extracted sentences tagged result) and recall (the share of result sentences extracted), and per
claim kind the same.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sovereign.claims.stage import claim_kind  # noqa: E402
from sovereign.text.normalize import collapse_whitespace  # noqa: E402

RESULT = "result_label"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "csfcube")
    args = parser.parse_args()
    tags: Counter[str] = Counter()
    taken: Counter[str] = Counter()
    kinds: Counter[tuple[str, bool]] = Counter()
    with (args.data / "abstracts-csfcube-readable.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            for sentence, tag in zip(doc["abstract"], doc["pred_labels"], strict=True):
                tags[tag] += 1
                kind = claim_kind(collapse_whitespace(sentence))
                if kind:
                    taken[tag] += 1
                    kinds[(kind, tag == RESULT)] += 1
    print(f"{'tag':<18}{'sentences':>10}{'extracted':>10}")
    for tag, n in tags.most_common():
        print(f"{tag:<18}{n:>10}{taken[tag]:>10}")
    extracted = sum(taken.values())
    print(f"precision (extracted that are results): {taken[RESULT] / extracted:.3f} of {extracted}")
    print(f"recall (results extracted): {taken[RESULT] / tags[RESULT]:.3f} of {tags[RESULT]}")
    for kind in ("comparison", "measurement", "finding"):
        hit, miss = kinds[(kind, True)], kinds[(kind, False)]
        if hit + miss:
            print(f"  {kind:<12} {hit + miss:>5} extracted, precision {hit / (hit + miss):.3f}")


if __name__ == "__main__":
    main()
