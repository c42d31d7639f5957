"""Measure the claim verifier on five labelled claim-verification sets, against a lexical baseline.

    .venv/bin/python benchmarks/verify_eval.py [--data ../shared/data] [--write-model]

Each set is split by group (claim, topic or cited article; sovereign.claims.verifier_data) into
train and test; nothing is trained and evaluated on the same side. Printed per set (test side):
pairs, accuracy, macro-F1 and per-class F1 for
- the shipped verifier (one model trained on the train sides of all five sets),
- the lexical-overlap baseline (share of claim words in the evidence, thresholds tuned on the
  same pooled train side: like for like), and the same baseline tuned on the set's own train
  side (an in-domain baseline, a stricter comparison),
and the reliability table of the verifier's probabilities on the pooled test side. Predictions
are the most probable label among the labels a set uses (two-way sets have no NEUTRAL).
`--write-model` writes src/sovereign/models/verifier.json (trained on the train sides only).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sovereign.claims.verifier import (  # noqa: E402
    FOLDS,
    MIN_COSINE_PERCENTILE,
    MODEL_FILE,
    TARGET_PRECISION,
    VerifierModel,
    feature_matrix,
    fit,
    holds_given_verdict,
)
from sovereign.claims.verifier_data import LABELS, SETS, fold_of, label_space, load_pairs, split_of  # noqa: E402

OVERLAP = 0  # column of the `recall` feature: the baseline's score


def macro_f1(truth: np.ndarray, pred: np.ndarray, space: tuple[str, ...]) -> tuple[float, dict]:
    per = {}
    for label in space:
        tp = np.sum((pred == label) & (truth == label))
        fp = np.sum((pred == label) & (truth != label))
        fn = np.sum((pred != label) & (truth == label))
        per[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return float(np.mean(list(per.values()))), per


def predict(probs: np.ndarray, space: tuple[str, ...]) -> np.ndarray:
    idx = [LABELS.index(label) for label in space]
    return np.array(space)[probs[:, idx].argmax(axis=1)]


def baseline_predict(score: np.ndarray, space: tuple[str, ...], high: float, low: float):
    """overlap >= high: SUPPORT; >= low: CONTRADICT (related but not matching); else NEUTRAL.
    Two-way sets: overlap >= high is SUPPORT, anything else CONTRADICT."""
    if NEUTRAL_LABEL in space:
        return np.where(score >= high, "SUPPORT", np.where(score >= low, "CONTRADICT", "NEUTRAL"))
    return np.where(score >= high, "SUPPORT", "CONTRADICT")


NEUTRAL_LABEL = "NEUTRAL"
GRID = [(h, lo) for h in np.linspace(0, 1, 41) for lo in np.linspace(0, 1, 41) if lo <= h]


def tune_baseline(parts: list[tuple[np.ndarray, np.ndarray, tuple[str, ...]]]) -> tuple:
    """Thresholds maximising the mean macro-F1 over the given (score, truth, space) parts."""

    def quality(t):
        return np.mean([macro_f1(y, baseline_predict(s, sp, *t), sp)[0] for s, y, sp in parts])

    return max(GRID, key=lambda t: (quality(t), -t[0], -t[1]))


def load(data: Path) -> dict:
    sets = {}
    for name in SETS:
        pairs = load_pairs(data, name)
        x = feature_matrix([p.claim for p in pairs], [p.evidence for p in pairs])
        train = np.array([split_of(p.dataset, p.group) == "train" for p in pairs])
        y = np.array([p.label for p in pairs])
        fold = np.array([fold_of(p.dataset, p.group, FOLDS) for p in pairs])
        sets[name] = {"x": x, "y": y, "train": train, "fold": fold, "space": label_space(pairs)}
    return sets


def train_model(sets: dict) -> VerifierModel:
    x = np.vstack([s["x"][s["train"]] for s in sets.values()])
    y = np.concatenate([s["y"][s["train"]] for s in sets.values()])
    g = np.concatenate([[n] * int(s["train"].sum()) for n, s in sets.items()])
    f = np.concatenate([s["fold"][s["train"]] for s in sets.values()])
    return fit(x, y, g, f, measured={})


def reliability(p: np.ndarray, hit: np.ndarray, bins: int = 10) -> list[tuple]:
    """Bins of a predicted probability: (range, pairs, mean predicted, observed rate)."""
    rows = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        m = (p >= lo) & ((p < hi) if b < bins - 1 else (p <= hi))
        if m.any():
            rows.append((f"{lo:.1f}-{hi:.1f}", int(m.sum()), p[m].mean(), hit[m].mean()))
    return rows


def print_reliability(title: str, rows: list[tuple]) -> float:
    """Print the table; returns the expected calibration error."""
    print(f"\n{title}")
    print(f"{'bin':<9}{'pairs':>7}{'mean p':>9}{'observed':>10}")
    for b, n, p, a in rows:
        print(f"{b:<9}{n:>7}{p:>9.3f}{a:>10.3f}")
    total = sum(n for _, n, _, _ in rows)
    ece = sum(n * abs(p - a) for _, n, p, a in rows) / total
    print(f"expected calibration error {ece:.3f}")
    return ece


def evaluate(sets: dict, model: VerifierModel) -> dict:
    pooled = tune_baseline(
        [(s["x"][s["train"], OVERLAP], s["y"][s["train"]], s["space"]) for s in sets.values()]
    )
    report = {}
    for name, s in sets.items():
        test = ~s["train"]
        y, space = s["y"][test], s["space"]
        probs = model.probabilities(s["x"][test])
        own = tune_baseline([(s["x"][s["train"], OVERLAP], s["y"][s["train"]], space)])
        score = s["x"][test, OVERLAP]
        rows = {}
        for system, pred in (
            ("verifier", predict(probs, space)),
            ("baseline", baseline_predict(score, space, *pooled)),
            ("baseline-in-domain", baseline_predict(score, space, *own)),
        ):
            f1, per = macro_f1(y, pred, space)
            rows[system] = {"accuracy": float(np.mean(pred == y)), "macro_f1": f1, "per_class": per}
        report[name] = {"pairs": int(test.sum()), "train_pairs": int(s["train"].sum()), **rows}
    return report


def print_report(report: dict) -> None:
    head = f"{'set':<14}{'pairs':>6}  {'system':<19}{'acc':>6}{'macroF1':>9}  per-class F1"
    print(head)
    print("-" * len(head) + "-" * 30)
    for name, r in report.items():
        for system in ("verifier", "baseline", "baseline-in-domain"):
            m = r[system]
            per = " ".join(f"{k[:4]}={v:.3f}" for k, v in m["per_class"].items())
            figures = f"{m['accuracy']:>6.3f}{m['macro_f1']:>9.3f}"
            print(f"{name:<14}{r['pairs']:>6}  {system:<19}{figures}  {per}")
    for system in ("verifier", "baseline", "baseline-in-domain"):
        mean = np.mean([r[system]["macro_f1"] for r in report.values()])
        print(f"mean macro-F1 over the {len(report)} sets, {system}: {mean:.3f}")


def print_decisions(model: VerifierModel, probs: np.ndarray, truth: np.ndarray) -> None:
    """Precision and recall of the pipeline's verdict thresholds on the pooled test side."""
    rule = f"measured out of fold on train: precision >= {TARGET_PRECISION}"
    print(f"\npipeline verdict thresholds ({rule})")
    for label, t in sorted(model.thresholds.items()):
        chosen = probs[:, LABELS.index(label)] >= t
        precision = truth[chosen].tolist().count(label) / max(1, chosen.sum())
        recall = np.sum(chosen & (truth == label)) / max(1, np.sum(truth == label))
        print(f"  {label:<10} p >= {t:.2f}: test pairs {int(chosen.sum()):>5}, "
              f"precision {precision:.3f}, recall {recall:.3f}")  # fmt: skip
    print(f"  pairs judged only above cosine {model.min_cosine:.3f} "
          f"(the {MIN_COSINE_PERCENTILE}th percentile of the training pairs)")  # fmt: skip
    test_holds = holds_given_verdict(model, probs, truth)
    print("P(not contradicted | verdict), the factor of a claim's confidence (train -> test):")
    for label in LABELS:
        print(f"  {label:<10} {model.holds[label]:.3f} -> {test_holds[label]:.3f}")


def _p_true(probs: np.ndarray) -> np.ndarray:
    """P(SUPPORT) among SUPPORT/CONTRADICT: how likely a claim is true given its evidence."""
    s, c = probs[:, LABELS.index("SUPPORT")], probs[:, LABELS.index("CONTRADICT")]
    return s / (s + c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--write-model", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    sets = load(args.data)
    # fit() returns the model as shipped (rounded through its JSON), so these are its figures.
    model = train_model(sets)
    report = evaluate(sets, model)
    test_probs = np.vstack([model.probabilities(s["x"][~s["train"]]) for s in sets.values()])
    test_truth = np.concatenate([s["y"][~s["train"]] for s in sets.values()])
    print_report(report)
    print_decisions(model, test_probs, test_truth)
    ece_top = print_reliability(
        "reliability of the top label's probability (pooled test side):",
        reliability(
            test_probs.max(axis=1), np.array(LABELS)[test_probs.argmax(axis=1)] == test_truth
        ),
    )
    contra = test_probs[:, LABELS.index("CONTRADICT")]
    ece_contra = print_reliability(
        "reliability of P(CONTRADICT) (pooled test side):",
        reliability(contra, test_truth == "CONTRADICT"),
    )
    two_way = [n for n, s in sets.items() if "NEUTRAL" not in s["space"]]
    p_true = np.concatenate(
        [_p_true(model.probabilities(sets[n]["x"][~sets[n]["train"]])) for n in two_way]
    )
    is_true = np.concatenate([sets[n]["y"][~sets[n]["train"]] == "SUPPORT" for n in two_way])
    print_reliability(
        f"reliability of P(claim is true) on the true/false sets ({', '.join(two_way)}, test):",
        reliability(p_true, is_true),
    )
    print(f"elapsed {time.perf_counter() - start:.1f} s")
    if args.write_model:
        measured = {
            "trained_on": "train side of " + ", ".join(SETS) + " (sovereign.verifier_data split)",
            "test_macro_f1": {n: round(r["verifier"]["macro_f1"], 4) for n, r in report.items()},
            "baseline_macro_f1": {
                n: round(r["baseline"]["macro_f1"], 4) for n, r in report.items()
            },
            "expected_calibration_error_top_label": round(float(ece_top), 4),
            "expected_calibration_error_contradict": round(float(ece_contra), 4),
        }
        final = replace(model, measured=measured)
        MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
        MODEL_FILE.write_text(final.to_json(), encoding="utf-8")
        print(f"wrote {MODEL_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
