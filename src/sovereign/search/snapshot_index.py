"""Searching a snapshot through its one-off index (built by sovereign.search.snapshot_build):
every question's search memory-maps it, so a search costs milliseconds whatever the snapshot's
size. Ranking is exactly `sovereign.search.snapshot`'s rule: BM25 over title (twice) and
abstract, AND/OR and exact phrases honoured, the arXiv id breaking ties.
"""

from __future__ import annotations

import json
import math
import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputFileError
from ..text.normalize import search_words
from .queries import Query
from .snapshot import ref_name, snapshot_base
from .snapshot_files import INDEX_FORMAT, snapshot_files

BM25_K1 = 1.2
BM25_B = 0.75
SCORE_SLACK = 1e-8  # > the 5e-10 that rounding to 9 places can move a score


def _holds(sorted_docs: np.ndarray, doc: int) -> bool:
    at = int(np.searchsorted(sorted_docs, doc))
    return at < len(sorted_docs) and int(sorted_docs[at]) == doc


@dataclass
class Hit:
    position: int  # the document number (arXiv id order)
    score: float


def _rebuild_hint(directory: Path) -> str:
    return (
        f"delete {directory} and rerun: the snapshot_index rule rebuilds it from the snapshot "
        "(or run `python -m sovereign.snapshot_index SNAPSHOT DIR`)"
    )


def _load_array(path: Path) -> np.ndarray:
    try:
        # a plain ndarray view of the map: element access without np.memmap's Python layer
        return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
    except ValueError as err:
        if "empty" in str(err).lower():  # a zero-length array cannot be memory-mapped
            return np.load(path, allow_pickle=False)
        raise


def _map_bytes(path: Path) -> mmap.mmap | bytes:
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


class SnapshotIndex:
    """A built index, memory-mapped: opening it costs milliseconds whatever the snapshot's size."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        manifest_path = self.directory / "index.json"
        try:
            self.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if not isinstance(self.manifest, dict):
                raise ValueError("index.json is not a JSON object")
            if self.manifest.get("format") != INDEX_FORMAT:
                raise InputFileError(
                    str(manifest_path),
                    f"an index in format {self.manifest.get('format')!r}, "
                    f"this version reads {INDEX_FORMAT!r}",
                    _rebuild_hint(self.directory),
                )
            arrays = {
                name: _load_array(self.directory / f"{name}.npy")
                for name in (
                    "date norm paper_span postings_doc postings_ptr postings_tf "
                    "term_offsets text_span"
                ).split()
            }
            self.terms = _map_bytes(self.directory / "terms.bin")
            self.texts = _map_bytes(self.directory / "text.bin")
            self.papers_blob = _map_bytes(self.directory / "papers.bin")
        except InputFileError:
            raise
        except (OSError, ValueError, KeyError, EOFError) as err:
            raise InputFileError(
                str(self.directory),
                f"the snapshot index is missing or corrupt ({err})",
                _rebuild_hint(self.directory),
            ) from None
        self.date, self.norm = arrays["date"], arrays["norm"]
        self.paper_span, self.text_span = arrays["paper_span"], arrays["text_span"]
        self.ptr, self.doc, self.tf = (
            arrays["postings_ptr"],
            arrays["postings_doc"],
            arrays["postings_tf"],
        )
        self.term_offsets = arrays["term_offsets"]
        try:
            self.n = int(self.manifest["papers"])
            self._check()
        except (KeyError, TypeError, ValueError) as err:
            raise InputFileError(
                str(manifest_path),
                f"index.json lacks a field this version needs ({err})",
                _rebuild_hint(self.directory),
            ) from None

    def _check(self) -> None:
        """Cheap consistency checks, so a truncated or mixed-up index fails here, named."""
        n_terms = int(self.manifest["terms"])
        problems = [
            len(self.date) != self.n,
            len(self.norm) != self.n,
            self.paper_span.shape != (self.n, 2),
            self.text_span.shape != (self.n, 2),
            len(self.term_offsets) != n_terms + 1,
            len(self.ptr) != n_terms + 1,
            len(self.doc) != self.manifest["postings"] or len(self.tf) != len(self.doc),
            int(self.term_offsets[-1]) != len(self.terms),
            len(self.texts) != self.manifest["text_bytes"],
            len(self.papers_blob) != self.manifest["paper_bytes"],
        ]
        if any(problems):
            raise InputFileError(
                str(self.directory),
                "the snapshot index's files do not agree with each other or with index.json "
                "(a truncated file or an interrupted copy)",
                _rebuild_hint(self.directory),
            )

    def check_snapshot(self, snapshot: str | os.PathLike[str]) -> None:
        """Refuse an index built from other files than the snapshot's (names and sizes): a
        shared index directory, or a snapshot replaced with an older mtime, is never searched."""
        base = snapshot_base(snapshot)
        now = [(ref_name(f, base), f.stat().st_size) for f in snapshot_files(snapshot)]
        built = [(f["name"], f["bytes"]) for f in self.manifest["snapshot"]["files"]]
        if now != built:
            changed = sorted(set(now) ^ set(built))[:3]
            raise InputFileError(
                str(self.directory),
                f"this index was built from other snapshot files than {snapshot} now holds "
                f"(name, bytes differ: {changed})",
                f"delete {self.directory} and rerun: the snapshot_index rule rebuilds it",
            )

    def __len__(self) -> int:
        return self.n

    def _term_id(self, word: str) -> int | None:
        """Binary search of the sorted vocabulary."""
        key = word.encode("ascii", "ignore")
        lo, hi = 0, len(self.term_offsets) - 1
        offsets, terms = self.term_offsets, self.terms
        while lo < hi:
            mid = (lo + hi) // 2
            if terms[int(offsets[mid]) : int(offsets[mid + 1])] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(offsets) - 1 and terms[int(offsets[lo]) : int(offsets[lo + 1])] == key:
            return lo
        return None

    def _postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        term = self._term_id(word)
        if term is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        start, end = int(self.ptr[term]), int(self.ptr[term + 1])
        return np.asarray(self.doc[start:end]), np.asarray(self.tf[start:end], dtype=np.float64)

    def _add_bm25(self, word: str, scores: np.ndarray) -> None:
        docs, tf = self._postings(word)
        if len(docs) == 0:
            return
        idf = math.log(1 + (self.n - len(docs) + 0.5) / (len(docs) + 0.5))
        scores[docs] += idf * tf * (BM25_K1 + 1) / (tf + self.norm[docs])

    def _candidates(self, words: list[str]) -> np.ndarray:
        """Documents holding every word of a clause (sorted); a phrase's order is checked later,
        and only for the documents that could make the top hits (`_in_order`)."""
        if not words:
            return np.zeros(0, dtype=np.int32)
        lists = sorted((self._postings(w)[0] for w in set(words)), key=len)
        docs = lists[0]
        for other in lists[1:]:
            if len(docs) == 0:
                break
            at = np.minimum(np.searchsorted(other, docs), len(other) - 1)
            docs = docs[other[at] == docs] if len(other) else docs[:0]
        return docs

    def _in_order(self, doc: int, phrase: bytes) -> bool:
        start, end = (int(v) for v in self.text_span[doc])
        return self.texts.find(phrase, start, end) >= 0

    def search(self, query: Query, max_results: int, as_of: str | None) -> list[Hit]:
        """The query's top hits by BM25 score, then arXiv id; only papers dated by `as_of`.

        A clause matches a paper holding all its words, for a phrase in order. Phrase order is
        checked lazily: candidates are walked best first and checked until `max_results` match,
        so a phrase of common words costs a few checks, not one per paper that has its words.
        """
        scores = np.zeros(self.n)
        clauses = []  # (candidate documents, phrase bytes or None for a single word)
        for clause in query.clauses:
            words = search_words(clause)
            for word in words:
                self._add_bm25(word, scores)
            phrase = f" {' '.join(words)} ".encode("ascii") if len(words) > 1 else None
            clauses.append((self._candidates(words), phrase))
        if not clauses or max_results <= 0:
            return []
        # Masks over every document: OR and AND of candidate lists in linear time.
        candidate = np.zeros(self.n, dtype=bool)
        sure = np.zeros(self.n, dtype=bool)  # OR: matched by a single-word clause already
        for position, (docs, phrase) in enumerate(clauses):
            if query.operator == "AND" and position > 0:
                keep = np.zeros(self.n, dtype=bool)
                keep[docs] = True
                candidate &= keep
            else:
                candidate[docs] = True
            if phrase is None:
                sure[docs] = True
        matched = np.flatnonzero(candidate)
        if as_of and len(matched):
            dates = self.date[matched]
            matched = matched[(dates == 0) | (dates <= int(as_of.replace("-", "")))]
        phrases = [(docs, phrase) for docs, phrase in clauses if phrase is not None]

        def matches(doc: int) -> bool:
            if not phrases or (query.operator != "AND" and sure[doc]):
                return True
            checks = (
                self._in_order(doc, phrase)
                for docs, phrase in phrases
                if query.operator == "AND" or _holds(docs, doc)
            )
            return all(checks) if query.operator == "AND" else any(checks)

        hits: list[Hit] = []
        for doc, score in self._ranked(matched, scores):
            if matches(doc):
                hits.append(Hit(doc, score))
                if len(hits) == max_results:
                    break
        return hits

    @staticmethod
    def _ranked(matched: np.ndarray, scores: np.ndarray) -> Iterator[tuple[int, float]]:
        """Candidates best first: score rounded to 9 places (float noise never swaps two papers),
        then document number (= arXiv id order). Sorted in growing shortlists: every document in
        a shortlist (raw score >= the cutoff less a slack wider than rounding can move a score)
        outranks every document outside it, so each is walked in its exact final order."""
        found = scores[matched]
        size, walked = 64, 0
        while walked < len(matched):
            bound = None
            if size < len(found):
                cutoff = np.partition(found, len(found) - size)[len(found) - size]
                floor = float(cutoff) - SCORE_SLACK
                chosen = np.flatnonzero(found >= floor)
                # Documents left out score below `floor`, so they round to at most this: only
                # the shortlist's documents rounding above it are surely ahead of all of them.
                bound = round(floor, 9)
            else:
                chosen = np.arange(len(found))
            order = sorted(
                zip(matched[chosen].tolist(), found[chosen].tolist(), strict=True),
                key=lambda hit: (-round(hit[1], 9), hit[0]),
            )
            safe = len(order)
            if bound is not None:
                safe = next((i for i, (_d, s) in enumerate(order) if round(s, 9) <= bound), safe)
            yield from order[walked:safe]
            walked = max(walked, safe)
            size *= 8

    def paper(self, position: int) -> tuple[dict[str, Any], str]:
        """A document's paper and its source ref ("file:line" in the snapshot)."""
        start, end = (int(v) for v in self.paper_span[position])
        ref, paper = json.loads(self.papers_blob[start:end])
        return paper, ref
