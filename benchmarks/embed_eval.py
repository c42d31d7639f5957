"""Compare the local embedders: retrieval quality on expert judgments, speed, determinism.

    .venv/bin/python benchmarks/embed_eval.py [--data ../shared/data/csfcube]

For each of CSFCube's query-facet pairs (a CS paper's background / method / result sentences as
the query, ~100-250 candidate papers judged 0-3 by experts), candidates are ranked by the cosine
of query and paper (title + abstract) vectors. Printed per backend: NDCG@20 on the graded
judgments and MAP with grade >= 2 as relevant (means over the pairs), the same for the pipeline's
TF-IDF score as a reference, load time, texts per second, peak memory, and whether vectors are
byte-identical one text at a time vs. in one batch.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sovereign.encoders.local import LOCAL_BACKENDS  # noqa: E402
from sovereign.text.normalize import collapse_whitespace  # noqa: E402
from sovereign.text.tfidf import pair_cosine, term_counts  # noqa: E402

# CSFCube: a query paper's facet is the sentences its tagger labels so; background includes the
# objective sentences. Relevant means the guidelines' two upper grades of 0-3.
FACETS = ("background", "method", "result")
FACET_LABELS = {
    "background": ("background_label", "objective_label"),
    "method": ("method_label",),
    "result": ("result_label",),
}
RELEVANT_GRADE = 2


def _lines(path: Path):
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _sentences(doc: dict) -> list[str]:
    return [collapse_whitespace(s) for s in doc["abstract"]] or [collapse_whitespace(doc["title"])]


def question_text(doc: dict, facet: str) -> str:
    """The query paper's sentences of this facet; its title + first sentence if none is tagged."""
    pairs = zip(doc["abstract"], doc["pred_labels"], strict=True)
    tagged = [collapse_whitespace(s) for s, lab in pairs if lab in FACET_LABELS[facet]]
    if tagged:
        return " ".join(tagged)
    return f"{collapse_whitespace(doc['title'])} {_sentences(doc)[0]}"


def paper_text(doc: dict) -> str:
    return f"{collapse_whitespace(doc['title'])} {' '.join(_sentences(doc))}"


def pools(folder: Path) -> list[tuple[str, list[str], list[int]]]:
    """(query text, candidate paper texts, grades) per query-facet pair, in a fixed order."""
    docs = {r["paper_id"]: r for r in _lines(folder / "abstracts-csfcube-readable.jsonl")}
    out = []
    for facet in FACETS:
        anns = json.loads((folder / f"test-pid2anns-csfcube-{facet}.json").read_text("utf-8"))
        for qpid in sorted(anns):
            texts = [paper_text(docs[c]) for c in anns[qpid]["cands"]]
            out.append((question_text(docs[qpid], facet), texts, anns[qpid]["relevance_adju"]))
    return out


def ndcg(grades_in_rank_order: np.ndarray, k: int = 20) -> float:
    gains = (2.0 ** grades_in_rank_order[:k] - 1) / np.log2(
        np.arange(2, min(k, len(grades_in_rank_order)) + 2)
    )
    ideal_order = np.sort(grades_in_rank_order)[::-1][:k]
    ideal = (2.0**ideal_order - 1) / np.log2(np.arange(2, len(ideal_order) + 2))
    return float(gains.sum() / ideal.sum()) if ideal.sum() else 0.0


def average_precision(relevant_in_rank_order: np.ndarray) -> float:
    hits = np.cumsum(relevant_in_rank_order)
    if not hits[-1]:
        return 0.0
    precision = hits / np.arange(1, len(hits) + 1)
    return float((precision * relevant_in_rank_order).sum() / hits[-1])


def quality(scores_per_pool: list[np.ndarray], data: list) -> tuple[float, float]:
    n, m = [], []
    for scores, (_, _, grades) in zip(scores_per_pool, data, strict=True):
        order = np.lexsort((np.arange(len(scores)), -scores))  # best first, ties by position
        g = np.asarray(grades)[order]
        n.append(ndcg(g))
        m.append(average_precision(g >= RELEVANT_GRADE))
    return float(np.mean(n)), float(np.mean(m))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "csfcube")
    args = parser.parse_args()
    data = pools(args.data)
    texts = sorted({t for _, cands, _ in data for t in cands})
    print(f"CSFCube: {len(data)} query-facet pairs, {len(texts)} distinct candidate papers")
    head = f"{'scorer':<11}{'NDCG@20':>9}{'MAP':>7}{'load s':>8}{'texts/s':>9}{'peak MB':>9}"
    print(f"{head}  batch=single")
    tfidf = [np.array([pair_cosine(term_counts(q), term_counts(t)) for t in c]) for q, c, _ in data]
    print(f"{'tfidf':<11}{quality(tfidf, data)[0]:>9.3f}{quality(tfidf, data)[1]:>7.3f}")
    for name, cls in LOCAL_BACKENDS.items():
        start = time.perf_counter()
        embedder = cls()
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        vectors = dict(zip(texts, embedder.embed(texts, "passage"), strict=True))
        rate = len(texts) / (time.perf_counter() - start)
        single = np.vstack([embedder.embed([t], "passage") for t in texts[:200]])
        same = single.tobytes() == np.vstack([vectors[t] for t in texts[:200]]).tobytes()
        scores = []
        for question, cands, _ in data:
            q = embedder.embed([question], "query")[0].astype(np.float64)
            scores.append(np.array([float(vectors[t].astype(np.float64) @ q) for t in cands]))
        n, m = quality(scores, data)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{name:<11}{n:>9.3f}{m:>7.3f}{loaded:>8.2f}{rate:>9.0f}{peak:>9.0f}  {same}")


if __name__ == "__main__":
    main()
