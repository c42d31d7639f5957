"""Reading a snapshot for its index: the records in order, in chunks, each chunk parsed and
tokenized by a worker process into its documents' search words, dates and texts.

A document's search text is its title twice, then its abstract, with a field break between them
that no phrase can match across; dates are YYYYMMDD numbers (0 = unknown).
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputFileError
from ..text.normalize import search_words
from .records import paper_date
from .snapshot import paper_version, parse_line, ref_name, snapshot_base
from .snapshot_files import SnapshotFile, snapshot_files

FIELD_BREAK = "|"  # between title, title and abstract: no phrase can match across it


def search_text(paper: dict[str, Any]) -> str:
    """What a paper is searched by: its title twice, then its abstract, as search words."""
    return f" {FIELD_BREAK} ".join(
        " ".join(search_words(field))
        for field in (paper["title"], paper["title"], paper["abstract"])
    )


def _date_number(paper: dict[str, Any]) -> int:
    date = paper_date(paper)
    return int(date.replace("-", "")) if date else 0


@dataclass
class Chunk:
    """One chunk of records, tokenized: per-record facts and the chunk's term counts."""

    ids: list[str]
    versions: np.ndarray
    dates: np.ndarray
    lengths: np.ndarray
    texts: bytes
    text_lengths: np.ndarray
    papers: bytes
    paper_lengths: np.ndarray
    vocabulary: list[str]  # sorted
    indptr: np.ndarray  # term-major: term t's records are rows[indptr[t]:indptr[t + 1]]
    rows: np.ndarray
    counts: np.ndarray


def tokenize_chunk(lines: list[tuple[bytes, str, str]]) -> Chunk | InputFileError:
    """(raw line, "path:line" for errors, "name:line" ref) -> a Chunk; a bad line is returned as
    its error, so the pool hands it back whole and the build stops on it."""
    ids, versions, dates, texts, papers = [], [], [], [], []
    for raw, where, ref in lines:
        try:
            paper = parse_line(raw, where)
        except InputFileError as err:
            return err
        if paper is None:
            continue
        ids.append(paper["arxiv_id"])
        versions.append(paper_version(paper))
        dates.append(_date_number(paper))
        texts.append(search_text(paper))
        papers.append(json.dumps([ref, paper], sort_keys=True).encode("ascii") + b"\n")
    padded = [f" {t} ".encode("ascii") for t in texts]
    if texts:
        # imported here: searches read the index and must not pay for scikit-learn's import
        from sklearn.feature_extraction.text import CountVectorizer

        vectorizer = CountVectorizer(analyzer=str.split, lowercase=False, dtype=np.int64)
        matrix = vectorizer.fit_transform(texts)
        lengths = np.asarray(matrix.sum(axis=1), dtype=np.int64).ravel()
        counts = matrix.tocsc()
        counts.sort_indices()
        vocabulary = vectorizer.get_feature_names_out().tolist()
        indptr, rows, tf = counts.indptr, counts.indices, counts.data
    else:
        vocabulary, lengths = [], np.zeros(0, np.int64)
        indptr, rows, tf = np.zeros(1), np.zeros(0), np.zeros(0)
    return Chunk(
        ids=ids,
        versions=np.asarray(versions, dtype=np.int64),
        dates=np.asarray(dates, dtype=np.int32),
        lengths=lengths,
        texts=b"".join(padded),
        text_lengths=np.asarray([len(p) for p in padded], dtype=np.int64),
        papers=b"".join(papers),
        paper_lengths=np.asarray([len(p) for p in papers], dtype=np.int64),
        vocabulary=vocabulary,
        indptr=np.asarray(indptr, dtype=np.int64),
        rows=np.asarray(rows, dtype=np.int64),
        counts=np.asarray(tf, dtype=np.int64),
    )


class Reader:
    """Snapshot lines in batches, hashing each file and counting its bytes on disk as it goes."""

    def __init__(self, snapshot: str | os.PathLike[str], batch: int):
        self.files = snapshot_files(snapshot)
        self.base = snapshot_base(snapshot)
        self.batch = batch
        self.total_bytes = sum(f.stat().st_size for f in self.files)
        self.described: list[dict[str, Any]] = []

    def batches(self) -> Iterator[tuple[list[tuple[bytes, str, str]], int]]:
        """Batches of (raw line, "path:line", "name:line"), each with the bytes on disk read by
        then: the build reports progress by the chunks it has taken back, as workers may run
        ahead of it, and a compressed file's lines are more bytes than the file."""
        lines: list[tuple[bytes, str, str]] = []
        done = 0
        for file in self.files:
            name = ref_name(file, self.base)
            source = SnapshotFile(file)
            for number, raw in enumerate(source.lines(), start=1):
                lines.append((raw, f"{file}:{number}", f"{name}:{number}"))
                if len(lines) >= self.batch:
                    yield lines, done + source.size
                    lines = []
            done += source.size
            self.described.append({"name": name, "bytes": source.size, "sha256": source.sha256})
        if lines:
            yield lines, done


def tokenized(reader: Reader, workers: int) -> Iterator[tuple[Chunk, int]]:
    """(chunk, bytes read by then), in snapshot order; with workers, at most two batches each in
    flight (bounded)."""
    if workers <= 1:
        for lines, done in reader.batches():
            yield _checked(tokenize_chunk(lines)), done
        return
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            pending: list[Any] = []
            for lines, done in reader.batches():
                pending.append((pool.submit(tokenize_chunk, lines), done))
                while len(pending) >= 2 * workers:
                    future, read = pending.pop(0)
                    yield _checked(future.result()), read
            while pending:
                future, read = pending.pop(0)
                yield _checked(future.result()), read
    except BrokenProcessPool:
        # A worker was killed (out of memory, most often): say so rather than wait forever.
        raise InputFileError(
            str(reader.base),
            "an indexing worker process died (killed, most often for memory)",
            "give the snapshot_index job more memory, or fewer threads (each worker holds two "
            "chunks of 20,000 records)",
        ) from None


def _checked(result: Chunk | InputFileError) -> Chunk:
    if isinstance(result, InputFileError):
        raise result
    return result
