"""Benchmark and fit: claim relevance ("this sentence helps answer the question").

Fitted on question -> evidence data: the answer-quality benchmark (benchmarks/answer_quality.py:
ScholarQA-CS expert evidence quotes as small papers among real cs_daily listings). For each
question, the candidates are the papers its search returned (filtered.parquet): every evidence
paper of the question, and the 40 others nearest to it in the encoder (the hard negatives the
claims stage meets; other questions' evidence among them). Every sentence of a candidate's
abstract is one example, relevant when its paper is evidence for the question. The features are
sovereign.claims.relevance's four: TF-IDF and sentence-encoder cosines of the sentence and of its
paper with the question. Fit (standardised logistic regression) and the decision threshold (best F1)
come from the benchmark's fit half; figures are reported on the report half, never fitted on.

    # after `answer_quality.py build --out DIR` and a run of both halves up to filtered.parquet:
    .venv/bin/python benchmarks/relevance_eval.py examples --bench DIR   # -> EXAMPLES (~2 min)
    .venv/bin/python benchmarks/relevance_eval.py fit [--write-model]    # from EXAMPLES (<1 s)

The examples (features rounded to 6 digits, as the fit reads them) are recorded in EXAMPLES, so
`fit` and the test that holds the shipped model to it need neither ../shared nor a pipeline run.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from sovereign.claims.relevance import FEATURES, MODEL_FILE, RelevanceModel, relevance_features
from sovereign.claims.stage import claim_kind, paper_sentences
from sovereign.contracts import document
from sovereign.encoders.cache import CachedEmbedder
from sovereign.encoders.local import encoder
from sovereign.text.tfidf import term_counts

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "benchmarks" / "relevance_examples.tsv.gz"
HARD_NEGATIVES = 40
THRESHOLD_GRID = np.round(np.arange(0.01, 1.0, 0.01), 2)
SIGNIFICANT = 6
COLUMNS = ("question_id", "half", "arxiv_id", "sentence_index", "is_claim", "label", *FEATURES)


def _bench():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "answer_quality", REPO / "benchmarks" / "answer_quality.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_examples(bench_dir: Path) -> bytes:
    """The EXAMPLES file (gzip, no timestamp: the same bytes for the same inputs)."""
    import pyarrow.parquet as pq

    gold = json.loads((bench_dir / "gold.json").read_text("utf-8"))
    split = json.loads((bench_dir / "split.json").read_text("utf-8"))
    embed = CachedEmbedder(encoder(2), REPO / "cache" / "embeddings")
    lines = ["\t".join(COLUMNS)]
    for qid in sorted(split):
        path = bench_dir / "results" / qid / "filtered.parquet"
        if not path.is_file():
            print(f"skipped {qid}: no {path}", file=sys.stderr)
            continue
        question = gold[qid]["question"]
        evidence = set(gold[qid]["evidence_ids"])
        papers = pq.read_table(path).to_pylist()
        others = sorted(
            (p for p in papers if p["arxiv_id"] not in evidence),
            key=lambda p: (-p["semantic_score"], p["arxiv_id"]),
        )[:HARD_NEGATIVES]
        chosen = sorted(
            [p for p in papers if p["arxiv_id"] in evidence] + others,
            key=lambda p: p["arxiv_id"],
        )
        q_vec = embed.embed([question], "query")[0]
        p_vecs = embed.embed([document(p) for p in chosen], "passage")
        for paper, p_vec in zip(chosen, p_vecs, strict=True):
            sentences = paper_sentences(paper)
            s_vecs = embed.embed([s.text for s in sentences], "passage")
            for s, s_vec in zip(sentences, s_vecs, strict=True):
                if not term_counts(s.text):
                    continue  # a sentence of stop words or symbols only
                feats = relevance_features(question, s.text, document(paper), q_vec, s_vec, p_vec)
                lines.append(
                    "\t".join(
                        [
                            qid,
                            split[qid],
                            paper["arxiv_id"],
                            str(s.index),
                            str(int(claim_kind(s.text) is not None)),
                            str(int(paper["arxiv_id"] in evidence)),
                            *(f"{v:.{SIGNIFICANT}f}" for v in feats),
                        ]
                    )
                )
        print(f"{qid}: {len(chosen)} papers; {embed.summary()}", file=sys.stderr)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as handle:
        handle.write(("\n".join(lines) + "\n").encode("utf-8"))
    return buffer.getvalue()


@dataclass(frozen=True)
class Examples:
    features: np.ndarray
    label: np.ndarray
    claim: np.ndarray
    fit: np.ndarray  # True on the fit half
    question: np.ndarray


def read_examples(path: Path = EXAMPLES) -> Examples:
    text = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    header, rows = text[0].split("\t"), [line.split("\t") for line in text[1:]]
    if tuple(header) != COLUMNS:
        raise SystemExit(f"{path}: columns {header} are not {COLUMNS}")
    col = {name: i for i, name in enumerate(header)}
    return Examples(
        features=np.array([[float(r[col[f]]) for f in FEATURES] for r in rows], dtype=np.float64),
        label=np.array([r[col["label"]] == "1" for r in rows]),
        claim=np.array([r[col["is_claim"]] == "1" for r in rows]),
        fit=np.array([r[col["half"]] == "fit" for r in rows]),
        question=np.array([r[col["question_id"]] for r in rows]),
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


def fit(features: np.ndarray, label: np.ndarray) -> RelevanceModel:
    """Standardise, fit an L2 logistic regression, keep the parameters rounded as they ship."""
    mean, scale = features.mean(axis=0), features.std(axis=0)
    # A tight tolerance lands on the optimum itself, so six digits do not depend on the path.
    clf = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-10, max_iter=10_000)
    clf.fit((features - mean) / scale, label)
    return RelevanceModel(
        features=FEATURES,
        mean=np.array(_sig(mean.tolist())),
        scale=np.array(_sig(scale.tolist())),
        coef=np.array(_sig(clf.coef_[0].tolist())),
        intercept=_sig(float(clf.intercept_[0])),
        threshold=0.5,
    )


def decisions(prob: np.ndarray, label: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = prob >= threshold
    tp = float(np.sum(predicted & label))
    precision = tp / max(1.0, float(predicted.sum()))
    recall = tp / max(1.0, float(label.sum()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def measure(prob: np.ndarray, label: np.ndarray, threshold: float) -> dict[str, float]:
    return {
        "n": int(label.size),
        "positives": int(label.sum()),
        "auc": float(roc_auc_score(label, prob)),
        **decisions(prob, label, threshold),
        "brier": float(np.mean((prob - label) ** 2)),
        "brier_base_rate": float(np.mean((label.mean() - label) ** 2)),
    }


def build_model(ex: Examples, examples_sha256: str) -> dict[str, Any]:
    """The shipped JSON payload: fit-half coefficients and threshold, report-half measurement."""
    model = fit(ex.features[ex.fit], ex.label[ex.fit])
    p_fit = model.probability(ex.features[ex.fit])
    threshold = float(
        max(THRESHOLD_GRID, key=lambda t: (decisions(p_fit, ex.label[ex.fit], t)["f1"], -t))
    )
    rep = ~ex.fit
    p_rep = model.probability(ex.features[rep])
    claims = rep & ex.claim
    measurement = {
        "dataset": "answer-quality benchmark (benchmarks/answer_quality.py): ScholarQA-CS "
        "evidence quotes among arxiv_cs_daily; per question every sentence of its evidence "
        f"papers (relevant) and of the {HARD_NEGATIVES} other hits nearest it (not)",
        "embedder": encoder().model,
        "examples_file": EXAMPLES.name,
        "examples_sha256": examples_sha256,
        "fit": "scikit-learn LogisticRegression(C=1, lbfgs) on standardised fit-half features",
        "threshold_rule": "max fit-half F1 on a 0.01 grid",
        "split": "the benchmark's halves: sha256(salt + question) % 2",
        "fit_half": measure(p_fit, ex.label[ex.fit], threshold),
        "report_half": measure(p_rep, ex.label[rep], threshold),
        "report_half_claim_sentences": measure(
            model.probability(ex.features[claims]), ex.label[claims], threshold
        ),
        "report_half_semantic_sentence_alone_auc": float(
            roc_auc_score(ex.label[rep], ex.features[rep][:, 1])
        ),
        "report_half_tfidf_sentence_alone_auc": float(
            roc_auc_score(ex.label[rep], ex.features[rep][:, 0])
        ),
    }
    return {
        "features": list(FEATURES),
        "mean": model.mean.tolist(),
        "scale": model.scale.tolist(),
        "coef": model.coef.tolist(),
        "intercept": model.intercept,
        "threshold": threshold,
        "measurement": _sig(measurement),
    }


def model_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_ex = sub.add_parser("examples", help="compute the examples from a benchmark run")
    p_ex.add_argument("--bench", required=True, type=Path)
    p_fit = sub.add_parser("fit", help="fit on the recorded examples' fit half")
    p_fit.add_argument("--write-model", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "examples":
        EXAMPLES.write_bytes(build_examples(args.bench))
        print(f"wrote {EXAMPLES}")
        return 0
    data = EXAMPLES.read_bytes()
    payload = build_model(read_examples(), hashlib.sha256(data).hexdigest())
    m = payload["measurement"]
    for half in ("fit_half", "report_half", "report_half_claim_sentences"):
        f = m[half]
        print(
            f"{half:28s} n={f['n']:6d} pos={f['positives']:5d} AUC {f['auc']:.3f} "
            f"P {f['precision']:.3f} R {f['recall']:.3f} F1 {f['f1']:.3f} "
            f"Brier {f['brier']:.4f} (base rate {f['brier_base_rate']:.4f})"
        )
    print(
        f"threshold {payload['threshold']:.2f}; report-half AUC of one feature alone: "
        f"encoder cosine {m['report_half_semantic_sentence_alone_auc']:.3f}, "
        f"TF-IDF {m['report_half_tfidf_sentence_alone_auc']:.3f}"
    )
    if args.write_model:
        MODEL_FILE.write_text(model_json(payload), encoding="utf-8")
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
