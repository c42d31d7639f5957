"""The `snapshot` backend: search a local arXiv metadata snapshot, fully offline.

A snapshot is a JSON-lines file, or a directory of them, in any dialect `records` reads (the
Kaggle/OAI file, arXiv API field names, daily listings). Records are de-duplicated on the arXiv id
(the highest version wins; otherwise the first in sorted file order), and ranked per query with
BM25 over title (counted twice) and abstract, with the query's AND/OR and exact phrases honoured
the way arXiv's own search treats them. Ties break on the arXiv id, so the ranking is a pure
function of the snapshot and the query.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from .errors import InputFileError
from .expand import Query
from .records import from_json, paper_date
from .snapshot_files import snapshot_files
from .text import search_words

FIELD_BREAK = "|"
BM25_K1 = 1.2
BM25_B = 0.75


def iter_records(files: Iterable[Path], base: Path) -> Iterator[tuple[dict[str, Any], str]]:
    """(paper, "file:line") for every record with an arXiv id; bad JSON is an error naming it."""
    for file in files:
        name = file.relative_to(base).as_posix() if file != base else file.name
        with open(file, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                where = f"{file}:{number}"
                try:
                    record = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as err:
                    raise InputFileError(
                        where, f"not UTF-8 text ({err.reason})", "re-encode the file as UTF-8"
                    ) from None
                except json.JSONDecodeError as err:
                    raise InputFileError(
                        where,
                        f"not a JSON object ({err.msg} at column {err.colno})",
                        "repair or remove that line; the snapshot must be JSON lines, "
                        "one record per line",
                    ) from None
                if not isinstance(record, dict):
                    continue
                try:
                    paper = from_json(record)
                except (TypeError, ValueError, AttributeError, IndexError) as err:
                    raise InputFileError(
                        where,
                        f"a field has an unexpected type or value ({err})",
                        "repair or remove that record",
                    ) from None
                if paper is not None:
                    yield paper, f"{name}:{number}"


def _version(paper: dict[str, Any]) -> int:
    versioned = paper.get("arxiv_id_versioned") or ""
    return int(versioned.rsplit("v", 1)[1]) if "v" in versioned else 0


def load_snapshot(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """De-duplicated papers sorted by arXiv id, and where each came from."""
    files = snapshot_files(path)
    base = Path(path) if Path(path).is_dir() else Path(path).parent
    best: dict[str, tuple[dict[str, Any], str]] = {}
    for paper, ref in iter_records(files, base):
        known = best.get(paper["arxiv_id"])
        if known is None or _version(paper) > _version(known[0]):
            best[paper["arxiv_id"]] = (paper, ref)
    ids = sorted(best)
    return [best[i][0] for i in ids], [best[i][1] for i in ids]


@dataclass
class Hit:
    position: int  # index into the snapshot's papers
    score: float


class SnapshotIndex:
    """BM25 over a snapshot's papers (title counted twice, then abstract)."""

    def __init__(self, papers: list[dict[str, Any]]):
        self.papers = papers
        self.dates = [paper_date(p) for p in papers]
        # A field boundary no phrase can match across (search_words never yields it).
        self.texts = [
            f" {FIELD_BREAK} ".join(
                " ".join(search_words(field)) for field in (p["title"], p["title"], p["abstract"])
            )
            for p in papers
        ]
        self.vectorizer = CountVectorizer(analyzer=str.split, lowercase=False, dtype=np.float64)
        counts = self.vectorizer.fit_transform(self.texts) if papers else sparse.csr_matrix((0, 0))
        self.counts = sparse.csc_matrix(counts)
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        self.norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(lengths.mean(), 1.0))
        self.vocabulary: dict[str, int] = self.vectorizer.vocabulary_ if papers else {}

    def _column(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        col = self.vocabulary.get(term)
        if col is None:
            return np.empty(0, dtype=np.int64), np.empty(0)
        start, end = self.counts.indptr[col], self.counts.indptr[col + 1]
        return self.counts.indices[start:end], self.counts.data[start:end]

    def _bm25(self, term: str, scores: np.ndarray) -> set[int]:
        docs, tf = self._column(term)
        if len(docs) == 0:
            return set()
        n = len(self.papers)
        idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
        scores[docs] += idf * tf * (BM25_K1 + 1) / (tf + self.norm[docs])
        return set(docs.tolist())

    def _clause_docs(self, words: list[str]) -> set[int]:
        """Papers containing the clause: every word, and for a phrase the words in order."""
        sets = [set(self._column(w)[0].tolist()) for w in words]
        docs = set.intersection(*sets) if sets else set()
        if len(words) > 1:
            phrase = f" {' '.join(words)} "
            docs = {d for d in docs if phrase in f" {self.texts[d]} "}
        return docs

    def search(self, query: Query, max_results: int, as_of: str | None) -> list[Hit]:
        scores = np.zeros(len(self.papers))
        matched: set[int] | None = None
        for clause in query.clauses:
            words = search_words(clause)
            for word in words:
                self._bm25(word, scores)
            docs = self._clause_docs(words)
            if query.operator == "AND":
                matched = docs if matched is None else matched & docs
            else:
                matched = docs if matched is None else matched | docs
        candidates = [
            d
            for d in (matched or set())
            if as_of is None or self.dates[d] is None or self.dates[d] <= as_of
        ]
        # Scores rounded for ordering so float noise can never swap two papers; id breaks ties.
        candidates.sort(key=lambda d: (-round(float(scores[d]), 9), self.papers[d]["arxiv_id"]))
        return [Hit(d, float(scores[d])) for d in candidates[:max_results]]
