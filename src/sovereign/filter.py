"""The filter stage: de-duplicate the hits and score each paper against the question.

TF-IDF over word unigrams and bigrams, fitted on the question plus every paper's title and
abstract in arXiv-id order, so a paper's score is the same whatever order the hits arrived in.
Every paper stays in the output with its score and `kept`, so the funnel can be drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.feature_extraction.text import TfidfVectorizer

from .schemas import PAPER_COLUMNS
from .text import fold


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


def document(paper: dict[str, Any]) -> str:
    return f"{paper['title']}. {paper['abstract']}"


def tfidf_scores(question: str, documents: list[str]) -> np.ndarray:
    """Cosine similarity of each document to the question (TF-IDF, unigrams + bigrams)."""
    if not documents:
        return np.zeros(0)
    vectorizer = TfidfVectorizer(
        preprocessor=fold, ngram_range=(1, 2), stop_words="english", dtype=np.float64
    )
    try:
        matrix = vectorizer.fit_transform([question, *documents])
    except ValueError:  # nothing but stop words anywhere: no vocabulary, no similarity
        return np.zeros(len(documents))
    # Rows are L2-normalised, so the dot product is the cosine.
    return np.asarray((matrix[1:] @ matrix[0].T).todense()).ravel()


def filter_papers(question: str, raw: pa.Table, threshold: float) -> list[dict[str, Any]]:
    """Filtered-stage rows: every de-duplicated paper with `tfidf_score` and `kept`."""
    papers = deduplicate(raw)
    scores = tfidf_scores(question, [document(p) for p in papers])
    for paper, score in zip(papers, scores, strict=True):
        paper["tfidf_score"] = float(score)
        paper["kept"] = bool(score >= threshold)
    return papers
