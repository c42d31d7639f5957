"""Benchmark: the claim-relevance model (sovereign.relevance) on CSFCube expert judgments.

CSFCube pairs a query paper and a facet (background / method / result) with ~100-250 candidate
papers graded 0-3. Each candidate becomes one example: the question is the query paper's
sentences of that facet, the claim is the candidate's abstract sentence closest to it (embedding
cosine), the paper is the candidate's title + abstract; relevant means `relevance_adju >= 2`.
Split by query paper (salted SHA-256, one in three to test), fit a logistic regression on train,
choose the decision threshold on train, report test discrimination, decisions and calibration.

    .venv/bin/python benchmarks/relevance_eval.py [--data ../shared/data/csfcube] [--write-model]

--write-model writes src/sovereign/models/relevance.json (the train fit; test is never fitted).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from sovereign.embedders import WordLlamaEmbedder
from sovereign.relevance import FEATURES, MODEL_FILE, RelevanceModel, relevance_features
from sovereign.text import collapse_whitespace

REPO = Path(__file__).resolve().parent.parent
FACETS = ("background", "method", "result")
# CSFCube's background facet covers the problem a paper sets itself, which the sentence tagger
# splits into background_label and objective_label sentences.
FACET_LABELS = {
    "background": ("background_label", "objective_label"),
    "method": ("method_label",),
    "result": ("result_label",),
}
RELEVANT_GRADE = 2  # the guidelines' two upper grades of 0-3
# The shared folder is itself the `sha256(pid) % 3 != 0` side of CSFCube: without a salt, `% 3`
# would put no query paper in test.
SPLIT_SALT = "sovereign-relevance-split-v1"
SPLIT_RULE = f'sha256("{SPLIT_SALT}:" + query paper id) % 3 == 0 -> test'
THRESHOLD_GRID = np.round(np.arange(0.01, 1.0, 0.01), 2)
BOOTSTRAP_ROUNDS = 200
BOOTSTRAP_SEED = 0
SIGNIFICANT = 6


@dataclass(frozen=True)
class Examples:
    features: np.ndarray  # (n, len(FEATURES)) float64
    label: np.ndarray  # (n,) bool
    query: np.ndarray  # (n,) query paper id: the split and bootstrap unit
    pair: np.ndarray  # (n,) "facet/query id"
    test: np.ndarray  # (n,) bool


def is_test(query_pid: str) -> bool:
    digest = hashlib.sha256(f"{SPLIT_SALT}:{query_pid}".encode()).hexdigest()
    return int(digest, 16) % 3 == 0


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def sentences_of(doc: dict[str, Any]) -> list[str]:
    # Wrapped sentences were re-joined with "\n" in the dump; claims in the pipeline are one line.
    return [collapse_whitespace(s) for s in doc["abstract"]] or [collapse_whitespace(doc["title"])]


def question_text(doc: dict[str, Any], facet: str) -> str:
    """The query paper's sentences of this facet; its title + first sentence if none is tagged."""
    pairs = zip(doc["abstract"], doc["pred_labels"], strict=True)
    tagged = [collapse_whitespace(s) for s, lab in pairs if lab in FACET_LABELS[facet]]
    if tagged:
        return " ".join(tagged)
    return f"{collapse_whitespace(doc['title'])} {sentences_of(doc)[0]}"


def paper_text(doc: dict[str, Any]) -> str:
    return f"{collapse_whitespace(doc['title'])} {' '.join(sentences_of(doc))}"


class _Vectors:
    """Each distinct (text, role) embedded once: papers recur across the query pools."""

    def __init__(self) -> None:
        self._embedder = WordLlamaEmbedder()
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def __call__(self, texts: list[str], role: str) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if (t, role) not in self._cache))
        for text, vec in zip(missing, self._embedder.embed(missing, role), strict=True):
            self._cache[(text, role)] = vec
        return np.stack([self._cache[(t, role)] for t in texts])


def build_examples(folder: Path) -> Examples:
    docs = {r["paper_id"]: r for r in _lines(folder / "abstracts-csfcube-readable.jsonl")}
    embed = _Vectors()
    rows, labels, queries, pairs = [], [], [], []
    for facet in FACETS:
        anns = json.loads((folder / f"test-pid2anns-csfcube-{facet}.json").read_text("utf-8"))
        for qpid in sorted(anns):
            question = question_text(docs[qpid], facet)
            q_vec = embed([question], "query")[0]
            judged = zip(anns[qpid]["cands"], anns[qpid]["relevance_adju"], strict=True)
            for cand, grade in judged:
                sentences = sentences_of(docs[cand])
                s_vecs = embed(sentences, "passage")
                # The claim is the sentence nearest the question; argmax keeps the first of ties.
                best = int(np.argmax(s_vecs.astype(np.float64) @ q_vec.astype(np.float64)))
                paper = paper_text(docs[cand])
                p_vec = embed([paper], "passage")[0]
                rows.append(
                    relevance_features(question, sentences[best], paper, q_vec, s_vecs[best], p_vec)
                )
                labels.append(grade >= RELEVANT_GRADE)
                queries.append(qpid)
                pairs.append(f"{facet}/{qpid}")
    query = np.array(queries)
    return Examples(
        features=np.array(rows, dtype=np.float64),
        label=np.array(labels, dtype=bool),
        query=query,
        pair=np.array(pairs),
        test=np.array([is_test(q) for q in query], dtype=bool),
    )


def _sig(value: Any) -> Any:
    """Every float rounded to SIGNIFICANT digits, recursively: the JSON stays byte-stable."""
    if isinstance(value, float | np.floating):
        return float(f"{float(value):.{SIGNIFICANT}g}")
    if isinstance(value, dict):
        return {k: _sig(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sig(v) for v in value]
    return value


def fit(features: np.ndarray, label: np.ndarray, names: tuple[str, ...]) -> RelevanceModel:
    """Standardise, fit an L2 logistic regression, keep the parameters rounded as they ship."""
    mean, scale = features.mean(axis=0), features.std(axis=0)
    # A tight tolerance lands on the optimum itself, so six digits do not depend on the path.
    clf = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-10, max_iter=10_000)
    clf.fit((features - mean) / scale, label)
    return RelevanceModel(
        features=names,
        mean=np.array(_sig(mean.tolist())),
        scale=np.array(_sig(scale.tolist())),
        coef=np.array(_sig(clf.coef_[0].tolist())),
        intercept=_sig(float(clf.intercept_[0])),
        threshold=0.5,
    )


def decisions(prob: np.ndarray, label: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = prob >= threshold
    hits = int(np.sum(predicted & label))
    precision = hits / int(predicted.sum()) if predicted.any() else 0.0
    recall = hits / int(label.sum()) if label.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def resamples(query: np.ndarray) -> Iterator[np.ndarray]:
    """Index arrays of bootstrap resamples of whole query papers, from a fixed seed."""
    groups = [np.flatnonzero(query == q) for q in np.unique(query)]
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    for _ in range(BOOTSTRAP_ROUNDS):
        yield np.concatenate([groups[i] for i in rng.integers(0, len(groups), len(groups))])


def _f1_curve(prob: np.ndarray, label: np.ndarray) -> np.ndarray:
    return np.array([decisions(prob, label, t)["f1"] for t in THRESHOLD_GRID])


def choose_threshold(
    prob: np.ndarray, label: np.ndarray, query: np.ndarray
) -> tuple[float, dict[str, float]]:
    """The train-F1-maximising grid threshold, unless its gain over 0.5 is within noise.

    Noise: a bootstrap over query papers (the unit the split samples); the gain counts when its
    2.5th percentile is above zero.
    """
    best = float(THRESHOLD_GRID[int(np.argmax(_f1_curve(prob, label)))])
    gains = [
        decisions(prob[i], label[i], best)["f1"] - decisions(prob[i], label[i], 0.5)["f1"]
        for i in resamples(query)
    ]
    low = float(np.percentile(gains, 2.5))
    info = {
        "best": best,
        "f1_best": decisions(prob, label, best)["f1"],
        "f1_half": decisions(prob, label, 0.5)["f1"],
        "gain_low": low,
    }
    return (best if low > 0 else 0.5), info


def evaluate(prob: np.ndarray, label: np.ndarray, threshold: float) -> dict[str, float]:
    return {
        "auc": float(roc_auc_score(label, prob)),
        **decisions(prob, label, threshold),
        "brier": float(np.mean((prob - label) ** 2)),
    }


def reliability(prob: np.ndarray, label: np.ndarray, bins: int = 10) -> list[tuple]:
    """(lower edge, count, mean predicted, observed rate) per equal-width probability bin."""
    which = np.minimum((prob * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        mean_p = float(prob[mask].mean()) if n else float("nan")
        rate = float(label[mask].mean()) if n else float("nan")
        out.append((b / bins, n, mean_p, rate))
    return out


def build_model(ex: Examples) -> tuple[dict[str, Any], dict[str, Any]]:
    """The shipped JSON payload (train fit, train threshold, test measurement), report details."""
    train, test = ~ex.test, ex.test
    model = fit(ex.features[train], ex.label[train], FEATURES)
    p_train = model.probability(ex.features[train])
    threshold, choice = choose_threshold(p_train, ex.label[train], ex.query[train])
    p_test = model.probability(ex.features[test])
    scores = evaluate(p_test, ex.label[test], threshold)
    payload = {
        "features": list(FEATURES),
        "mean": model.mean.tolist(),
        "scale": model.scale.tolist(),
        "coef": model.coef.tolist(),
        "intercept": model.intercept,
        "threshold": threshold,
        "measurement": {
            "dataset": "CSFCube (iesl/CSFCube), shared side: 33 query-facet pairs",
            "label": f"relevance_adju >= {RELEVANT_GRADE}",
            "question": "query paper's sentences of the facet (background includes objective)",
            "claim_sentence": "candidate abstract sentence with the highest embedding cosine",
            "embedder": WordLlamaEmbedder().model,
            "fit": "scikit-learn LogisticRegression(C=1, lbfgs) on standardised train features",
            "split": SPLIT_RULE,
            "threshold_rule": "max train F1 on a 0.01 grid; 0.5 if the gain is within noise",
            "n_train": int(train.sum()),
            "n_test": int(test.sum()),
            "positives_train": int(ex.label[train].sum()),
            "positives_test": int(ex.label[test].sum()),
            "train_f1": choice["f1_best"] if threshold != 0.5 else choice["f1_half"],
            "test_auc": scores["auc"],
            "test_precision": scores["precision"],
            "test_recall": scores["recall"],
            "test_f1": scores["f1"],
            "test_brier": scores["brier"],
        },
    }
    return _sig(payload), {"choice": choice, "p_test": p_test}


def model_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, indent=1) + "\n"


def _baseline(ex: Examples, name: str) -> tuple[str, float, dict[str, float]]:
    """One feature alone, as a one-feature logistic: same threshold rule, same test metrics."""
    col = FEATURES.index(name)
    train, test = ~ex.test, ex.test
    model = fit(ex.features[train][:, [col]], ex.label[train], (name,))
    threshold, _ = choose_threshold(
        model.probability(ex.features[train][:, [col]]), ex.label[train], ex.query[train]
    )
    prob = model.probability(ex.features[test][:, [col]])
    return f"{name} alone", threshold, evaluate(prob, ex.label[test], threshold)


def _num(value: float, digits: int = 3) -> str:
    return "-" if value != value else f"{value:.{digits}f}"  # NaN -> "-"


def _scorer_rows(ex: Examples, payload: dict[str, Any]) -> list[tuple]:
    """(name, threshold, AUC, precision, recall, F1, Brier) on test; NaN where undefined."""
    m, train, test = payload["measurement"], ~ex.test, ex.test
    rows = [
        ("logistic, 4 features (shipped)", payload["threshold"], m["test_auc"])
        + (m["test_precision"], m["test_recall"], m["test_f1"], m["test_brier"])
    ]
    for name in FEATURES:
        label, threshold, s = _baseline(ex, name)
        rows.append((label, threshold, s["auc"], s["precision"], s["recall"], s["f1"], s["brier"]))
    y_test, paper_tfidf = ex.label[test], ex.features[test][:, FEATURES.index("tfidf_paper")]
    rule = decisions(paper_tfidf, y_test, 0.15)
    rows.append(
        ("tfidf_paper >= 0.15 (filter's rule)", 0.15, float(roc_auc_score(y_test, paper_tfidf)))
        + (rule["precision"], rule["recall"], rule["f1"], float("nan"))
    )
    base = float(ex.label[train].mean())
    rows.append(
        ("base rate (p = train prevalence)", float("nan"), 0.5)
        + (float("nan"),) * 3
        + (float(np.mean((base - y_test) ** 2)),)
    )
    return rows


def _interval(ex: Examples, p_test: np.ndarray, threshold: float) -> str:
    """95% bootstrap interval of the shipped model's test AUC and F1, over test query papers."""
    y_test, query = ex.label[ex.test], ex.query[ex.test]
    boot = np.array(
        [
            (roc_auc_score(y_test[i], p_test[i]), decisions(p_test[i], y_test[i], threshold)["f1"])
            for i in resamples(query)
            if 0 < y_test[i].sum() < len(i)
        ]
    )
    low, high = np.percentile(boot, [2.5, 97.5], axis=0)
    return (
        f"shipped model, 95% bootstrap interval over the {len(np.unique(query))} test query "
        f"papers: AUC {low[0]:.3f}-{high[0]:.3f}, F1 {low[1]:.3f}-{high[1]:.3f}"
    )


def report(ex: Examples, payload: dict[str, Any], details: dict[str, Any]) -> str:
    m, choice = payload["measurement"], details["choice"]
    n_pos = int(ex.label.sum())
    lines = [
        "CSFCube claim relevance: label relevance_adju >= 2",
        f"examples {len(ex.label)} from {len(np.unique(ex.pair))} query-facet pairs, "
        f"positives {n_pos} ({n_pos / len(ex.label):.1%})",
        f"split: {SPLIT_RULE}",
    ]
    for side, mask in (("train", ~ex.test), ("test", ex.test)):
        lines.append(
            f"  {side:5s} query papers {len(np.unique(ex.query[mask])):2d}  "
            f"pairs {len(np.unique(ex.pair[mask])):2d}  examples {int(mask.sum()):4d}  "
            f"positives {int(ex.label[mask].sum()):3d} ({ex.label[mask].mean():.1%})"
        )
    lines += ["", "model (train fit; coef on standardised features)"]
    lines.append(f"  {'feature':16s} {'coef':>8s} {'mean':>8s} {'scale':>8s}")
    for i, name in enumerate(FEATURES):
        lines.append(
            f"  {name:16s} {payload['coef'][i]:8.4f} {payload['mean'][i]:8.4f} "
            f"{payload['scale'][i]:8.4f}"
        )
    lines.append(f"  {'intercept':16s} {payload['intercept']:8.4f}")
    lines += [
        "",
        f"threshold: train F1 peaks at {choice['best']:.2f} (F1 {choice['f1_best']:.3f}); "
        f"at 0.50 train F1 is {choice['f1_half']:.3f}",
        f"  bootstrap over train query papers ({BOOTSTRAP_ROUNDS} rounds): 2.5th percentile "
        f"of the F1 gain {choice['gain_low']:+.3f} -> "
        + ("beyond noise" if choice["gain_low"] > 0 else "within noise, 0.5 kept")
        + f"; shipped threshold {payload['threshold']:.2f}",
        "",
        f"test ({m['n_test']} examples, {m['positives_test']} positive)",
        f"  {'scorer':36s} {'thresh':>6s} {'AUC':>6s} {'prec':>6s} {'recall':>6s} "
        f"{'F1':>6s} {'Brier':>6s}",
    ]
    for label, threshold, *vals in _scorer_rows(ex, payload):
        cells = " ".join(f"{_num(v):>6s}" for v in vals)
        lines.append(f"  {label:36s} {_num(threshold, 2):>6s} {cells}")
    lines += [
        "",
        "  " + _interval(ex, details["p_test"], payload["threshold"]),
        "",
        "reliability (test, shipped model): bins of predicted probability",
        f"  {'bin':9s} {'count':>5s} {'mean p':>7s} {'observed':>8s}",
    ]
    for lo, n, mean_p, rate in reliability(details["p_test"], ex.label[ex.test]):
        lines.append(f"  {lo:.1f}-{lo + 0.1:.1f}   {n:5d} {_num(mean_p):>7s} {_num(rate):>8s}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "csfcube"))
    parser.add_argument("--write-model", action="store_true", help=f"write {MODEL_FILE.name}")
    args = parser.parse_args()
    folder = Path(args.data)
    if not (folder / "abstracts-csfcube-readable.jsonl").is_file():
        print(f"CSFCube data not found at {folder}; pass --data PATH", file=sys.stderr)
        return 2
    start = time.perf_counter()
    ex = build_examples(folder)
    payload, details = build_model(ex)
    print(report(ex, payload, details))
    if args.write_model:
        MODEL_FILE.parent.mkdir(exist_ok=True)
        MODEL_FILE.write_text(model_json(payload), encoding="utf-8")
        print(f"\nwrote {MODEL_FILE.relative_to(REPO)}")
    print(f"\nwall time {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
