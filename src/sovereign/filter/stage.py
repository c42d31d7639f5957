"""The filter stage: de-duplicate the hits and score each paper against the question.

Two signals, both a function of that paper and the question alone (independent of the order hits
arrive in and of which other papers the search happened to return):

- `tfidf_score`, the seeds' signal: the TF-IDF cosine of the question and the paper's title +
  abstract, word unigrams and bigrams, English stop words removed, IDF fitted on the pair
  {question, paper} (scikit-learn's smooth IDF, L2 norm); `tfidf_pass` at `filter.threshold`
  (0.15). (Fitted on all of a question's hits instead, IDF flattens and even clearly relevant
  papers score below 0.15; docs/method.md "Filter" has the measurements.)
- `semantic_score`: the cosine of the question (query) and the title + abstract (passage) in the
  pretrained sentence encoder (sovereign.encoders.local.encoder), which sees an answer in other
  words where bigrams do not; `semantic_pass` at the threshold fitted on the answer-quality
  benchmark's fit half (`models/filter.json`, benchmarks/answer_quality.py), never on reported
  questions.

kept = tfidf_pass or semantic_pass. Every paper stays in the output with both scores, both
passes and `kept`, so the funnel can be drawn and every drop explained.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..contracts import document
from ..encoders.base import Embedder, cosine
from ..errors import InputFileError
from ..schemas import PAPER_COLUMNS
from ..text.tfidf import tfidf_scores
from .model import MODEL_FILE, load_filter_model
from .settings import Settings


def deduplicate(raw: pa.Table) -> list[dict[str, Any]]:
    """One row per arXiv id: metadata from its best hit (first query, best rank), hit counts."""
    papers: dict[str, dict[str, Any]] = {}
    queries: dict[str, set[int]] = {}
    rows = sorted(raw.to_pylist(), key=lambda r: (r["query_index"], r["rank"], r["arxiv_id"]))
    for row in rows:
        key = row["arxiv_id"]
        queries.setdefault(key, set()).add(row["query_index"])
        if key not in papers:
            papers[key] = {c: row[c] for c in PAPER_COLUMNS}
            papers[key].update(
                question_id=row["question_id"],
                first_query_index=row["query_index"],
                best_rank=row["rank"],
            )
        else:
            papers[key]["best_rank"] = min(papers[key]["best_rank"], row["rank"])
    for key, paper in papers.items():
        paper["query_hits"] = len(queries[key])
    return [papers[k] for k in sorted(papers)]


def semantic_scores(question: str, documents: list[str], encoder: Embedder) -> np.ndarray:
    """Encoder cosine of the question (query role) with each document (passage role)."""
    if not documents:
        return np.zeros(0, dtype=np.float64)
    q = encoder.embed([question], "query")[0]
    return np.array([cosine(q, v) for v in encoder.embed(documents, "passage")], dtype=np.float64)


def check_encoder(encoder: Embedder) -> None:
    """The semantic threshold was fitted on one encoder's cosines; another's are not comparable."""
    fitted_on = load_filter_model().encoder
    if encoder.model != fitted_on:
        raise InputFileError(
            str(MODEL_FILE),
            f"was fitted on {fitted_on}, not on {encoder.model}",
            "restore it from the repository (git checkout -- src/sovereign/models/filter.json)",
        )


def filter_papers(
    question: str,
    raw: pa.Table,
    settings: Settings,
    encoder: Embedder,
    log: Callable[[str], None] = lambda _m: None,
) -> list[dict[str, Any]]:
    """Filtered-stage rows: every de-duplicated paper with both scores, both passes and `kept`
    (tfidf_score >= settings.threshold, or semantic_score >= settings.semantic_threshold)."""
    threshold, semantic = settings.threshold, settings.semantic_threshold
    papers = deduplicate(raw)
    documents = [document(p) for p in papers]
    lexical = tfidf_scores(question, documents)
    meaning = semantic_scores(question, documents, encoder)
    for paper, t, m in zip(papers, lexical, meaning, strict=True):
        paper["tfidf_score"] = float(t)
        paper["tfidf_pass"] = bool(t >= threshold)
        paper["semantic_score"] = round(float(m), 6)
        paper["semantic_pass"] = bool(paper["semantic_score"] >= semantic)
        paper["kept"] = paper["tfidf_pass"] or paper["semantic_pass"]
    log(f"semantic scores by {encoder.model}, kept at >= {semantic:.3f} or TF-IDF >= {threshold}")
    return papers


def near_misses(papers: Sequence[dict[str, Any]], n: int | None) -> list[dict[str, Any]]:
    """The `n` papers the filter dropped that came closest to being kept (None: all it dropped),
    nearest first (by encoder cosine, then TF-IDF cosine, then id): the ones the full-text
    stage takes a second look at."""
    dropped = [p for p in papers if not p["kept"]]
    dropped.sort(key=lambda p: (-p["semantic_score"], -p["tfidf_score"], p["arxiv_id"]))
    return dropped if n is None else dropped[: max(n, 0)]
