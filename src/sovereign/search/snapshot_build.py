"""Building a snapshot's search index once, streaming (the `snapshot_index` rule, or
`python -m sovereign.snapshot_index SNAPSHOT OUT`).

A full Kaggle/OAI snapshot (about 2.7 million records, 4 GB) is too big to load per question.
The build reads it in chunks (parsed and tokenized by worker processes), spills each chunk's term
counts to disk, then merges them term by term, so memory grows with the vocabulary and the id
list, not with the text. Every file is a pure function of the snapshot's bytes: the chunk size
and the number of workers change nothing.

An index directory (see snapshot_files.INDEX_FILES):
  index.json        format, the snapshot's files (name, bytes, sha256), counts, BM25 constants
  terms.bin         the vocabulary, sorted, concatenated (ASCII: search words are [a-z0-9.])
  term_offsets.npy  where each term starts in terms.bin (n_terms + 1, int64)
  postings_ptr.npy  where each term's postings start (n_terms + 1, int64)
  postings_doc.npy  document numbers, ascending within a term (int32)
  postings_tf.npy   how often the term occurs in that document (uint16, or uint32 if needed)
  norm.npy          BM25 length normalisation per document (float64)
  date.npy          submission date per document as YYYYMMDD (int32; 0 = unknown)
  text.bin          every record's search text, space-padded (phrase checks); text_span.npy
  papers.bin        every record's paper and "file:line" as JSON; paper_span.npy
Documents are numbered in arXiv id order, one per id (the highest version, else the first seen).
"""

from __future__ import annotations

import heapq
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputFileError
from .snapshot_files import INDEX_FILES, INDEX_FORMAT
from .snapshot_index import BM25_B, BM25_K1
from .snapshot_tokenize import Reader, tokenized

Progress = Callable[[str], None]
CHUNK_RECORDS = 20_000
MERGE_BLOCK = 8_000_000  # postings sorted at once in the final pass (bounds its memory)


class _Progress:
    """A progress line every `step` of the input (the log is for people; outputs never see it)."""

    def __init__(self, report: Progress, total: int, step: float = 0.05):
        self.report, self.total, self.step = report, max(total, 1), step
        self.start = time.monotonic()
        self.next = step

    def __call__(self, done: int, records: int) -> None:
        share = done / self.total
        if share + 1e-12 < self.next and done < self.total:
            return
        while self.next <= share:
            self.next += self.step
        elapsed = time.monotonic() - self.start
        left = elapsed * (1 - share) / share if share > 0 else 0.0
        bar = "#" * int(share * 30)
        self.report(
            f"[{bar:<30}] {share:6.1%}  {records:,} records  "
            f"{done / 1e6:,.1f} of {self.total / 1e6:,.1f} MB  "
            f"{elapsed:,.0f}s elapsed, ~{left:,.0f}s left"
        )


def _save(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def build_index(
    snapshot: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    workers: int = 1,
    chunk_records: int = CHUNK_RECORDS,
    progress: Progress = lambda _m: None,
) -> dict[str, Any]:
    """Index a snapshot into `out_dir` (its files replaced only once all are built)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".building-*"):  # left by a build that was killed
        shutil.rmtree(stale, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=out))
    try:
        manifest = _build(snapshot, work, workers, chunk_records, progress)
        for name in INDEX_FILES:
            os.replace(work / name, out / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _build(
    snapshot: str | os.PathLike[str],
    work: Path,
    workers: int,
    chunk_records: int,
    progress: Progress,
) -> dict[str, Any]:
    reader = Reader(snapshot, chunk_records)
    spill = work / "chunks"
    spill.mkdir()
    show = _Progress(progress, reader.total_bytes)
    ids: list[str] = []
    versions, dates, lengths, text_ends, paper_ends, firsts = [], [], [], [], [], []
    vocab_sizes = []
    with open(work / "text.bin", "wb") as texts, open(work / "papers.bin", "wb") as papers:
        for number, (chunk, consumed) in enumerate(tokenized(reader, workers)):
            firsts.append(len(ids))
            ids.extend(chunk.ids)
            versions.append(chunk.versions)
            dates.append(chunk.dates)
            lengths.append(chunk.lengths)
            text_ends.append(texts.tell() + np.cumsum(chunk.text_lengths))
            paper_ends.append(papers.tell() + np.cumsum(chunk.paper_lengths))
            texts.write(chunk.texts)
            papers.write(chunk.papers)
            (spill / f"{number}.terms").write_bytes(
                "".join(f"{t}\n" for t in chunk.vocabulary).encode("ascii")
            )
            np.savez(spill / f"{number}.npz", indptr=chunk.indptr, rows=chunk.rows, tf=chunk.counts)
            vocab_sizes.append(len(chunk.vocabulary))
            show(consumed, len(ids))
    records = len(ids)
    if not records:
        # an index of nothing would let every question run on, and fail as "no sources" later
        raise InputFileError(
            str(snapshot),
            "no record in the snapshot has an arXiv id, so there is nothing to search",
            "point search.snapshot at arXiv metadata: JSON lines with an `id` field, such as "
            "the Kaggle arxiv-metadata-oai-snapshot.json",
        )
    progress(f"read {records:,} records from {len(reader.files)} file(s); merging")

    # One document per arXiv id, numbered in id order: the highest version, else the first seen.
    id_array = np.asarray(ids, dtype=str) if ids else np.zeros(0, dtype="<U1")
    del ids
    version = _concat(versions, np.int64)
    seq = np.arange(records, dtype=np.int64)
    order = np.lexsort((seq, -version, id_array))
    first = np.ones(records, dtype=bool)
    first[1:] = id_array[order][1:] != id_array[order][:-1]
    doc_seq = order[first]
    del order, first, id_array
    doc_of_seq = np.full(records, -1, dtype=np.int64)
    doc_of_seq[doc_seq] = np.arange(len(doc_seq))
    n_docs = len(doc_seq)

    length = _concat(lengths, np.int64)[doc_seq].astype(np.float64)
    average = max(length.mean(), 1.0) if n_docs else 1.0
    _save(work / "norm.npy", BM25_K1 * (1 - BM25_B + BM25_B * length / average))
    _save(work / "date.npy", _concat(dates, np.int32)[doc_seq])
    for name, ends in (("text_span.npy", text_ends), ("paper_span.npy", paper_ends)):
        end = _concat(ends, np.int64)
        start = np.concatenate(([0], end[:-1])) if records else end
        _save(work / name, np.stack([start[doc_seq], end[doc_seq]], axis=1))

    maps = _merge_vocabulary(spill, vocab_sizes, work)
    progress(f"merged the vocabulary ({_term_count(work):,} terms); placing postings")
    postings = _merge_postings(spill, maps, firsts, doc_of_seq, work, progress)
    manifest = {
        "format": INDEX_FORMAT,
        "snapshot": {"files": reader.described, "records": records},
        "papers": n_docs,
        "terms": _term_count(work),
        "postings": postings,
        "text_bytes": (work / "text.bin").stat().st_size,
        "paper_bytes": (work / "papers.bin").stat().st_size,
        "bm25": {"k1": BM25_K1, "b": BM25_B, "average_length": float(average)},
    }
    (work / "index.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    progress(f"indexed {n_docs:,} papers, {manifest['terms']:,} terms, {postings:,} postings")
    return manifest


def _concat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _term_count(work: Path) -> int:
    return len(np.load(work / "term_offsets.npy", mmap_mode="r")) - 1


def _chunk_terms(path: Path, chunk: int) -> Iterator[tuple[bytes, int, int]]:
    with open(path, "rb") as handle:
        for position, line in enumerate(handle):
            yield line[:-1], chunk, position


def _merge_vocabulary(spill: Path, sizes: list[int], work: Path) -> list[np.ndarray]:
    """Write the sorted union of the chunks' vocabularies; map each chunk's terms into it."""
    maps = [np.empty(size, dtype=np.int64) for size in sizes]
    offsets = [0]
    term = -1
    last = None
    streams = [_chunk_terms(spill / f"{c}.terms", c) for c in range(len(sizes))]
    with open(work / "terms.bin", "wb") as out:
        for word, chunk, position in heapq.merge(*streams):
            if word != last:
                out.write(word)
                offsets.append(offsets[-1] + len(word))
                term += 1
                last = word
            maps[chunk][position] = term
    _save(work / "term_offsets.npy", np.asarray(offsets, dtype=np.int64))
    return maps


def _chunk_postings(
    spill: Path, chunk: int, term_map: np.ndarray, first: int, doc_of_seq: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A chunk's postings as (term, document, count), terms ascending; older versions dropped."""
    with np.load(spill / f"{chunk}.npz") as saved:
        indptr, rows, tf = saved["indptr"], saved["rows"], saved["tf"]
    terms = np.repeat(term_map, np.diff(indptr))
    docs = doc_of_seq[first + rows]
    keep = docs >= 0
    return terms[keep], docs[keep], tf[keep]


def _merge_postings(
    spill: Path,
    maps: list[np.ndarray],
    firsts: list[int],
    doc_of_seq: np.ndarray,
    work: Path,
    progress: Progress,
) -> int:
    """Postings grouped by term, documents ascending within each; one chunk in memory at once."""
    n_terms = _term_count(work)
    df = np.zeros(n_terms, dtype=np.int64)
    top_tf = 0
    for c, term_map in enumerate(maps):
        terms, _docs, tf = _chunk_postings(spill, c, term_map, firsts[c], doc_of_seq)
        df += np.bincount(terms, minlength=n_terms)
        top_tf = max(top_tf, int(tf.max()) if len(tf) else 0)
    ptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=ptr[1:])
    total = int(ptr[-1])
    _save(work / "postings_ptr.npy", ptr)
    tf_type = np.uint16 if top_tf <= np.iinfo(np.uint16).max else np.uint32
    open_memmap = np.lib.format.open_memmap
    doc_out = open_memmap(work / "postings_doc.npy", mode="w+", dtype=np.int32, shape=(total,))
    tf_out = open_memmap(work / "postings_tf.npy", mode="w+", dtype=tf_type, shape=(total,))
    filled = np.zeros(n_terms, dtype=np.int64)
    for c, term_map in enumerate(maps):
        terms, docs, tf = _chunk_postings(spill, c, term_map, firsts[c], doc_of_seq)
        rank = np.arange(len(terms)) - np.searchsorted(terms, terms, side="left")
        where = ptr[terms] + filled[terms] + rank
        doc_out[where] = docs
        tf_out[where] = tf
        filled += np.bincount(terms, minlength=n_terms)
        (spill / f"{c}.npz").unlink()
    progress(f"placed {total:,} postings; sorting each term's documents")
    # Chunks arrive in file order, documents are numbered in id order: sort within each term.
    start = 0
    while start < n_terms:
        end = int(np.searchsorted(ptr, ptr[start] + MERGE_BLOCK, side="right")) - 1
        end = min(max(end, start + 1), n_terms)
        lo, hi = ptr[start], ptr[end]
        owner = np.repeat(np.arange(start, end), df[start:end])
        docs = np.asarray(doc_out[lo:hi])
        order = np.lexsort((docs, owner))
        doc_out[lo:hi] = docs[order]
        tf_out[lo:hi] = np.asarray(tf_out[lo:hi])[order]
        start = end
    doc_out.flush()
    tf_out.flush()
    del doc_out, tf_out
    return total


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m sovereign.snapshot_index",
        description="Build the search index of an arXiv metadata snapshot.",
    )
    parser.add_argument("snapshot", help="a JSON-lines snapshot file or a directory of them")
    parser.add_argument("out", help="the index directory to write")
    parser.add_argument(
        "--workers",
        type=int,
        default=min(len(os.sched_getaffinity(0)), 4),
        help="worker processes (default: the CPUs this process may use, at most 4; each holds "
        "two chunks of records in memory)",
    )
    parser.add_argument("--chunk-records", type=int, default=CHUNK_RECORDS)
    args = parser.parse_args(argv)
    try:
        build_index(
            args.snapshot,
            args.out,
            workers=args.workers,
            chunk_records=args.chunk_records,
            progress=lambda m: print(m, file=sys.stderr, flush=True),
        )
    except InputFileError as err:
        print(f"sovereign: {err.message}", file=sys.stderr)
        return 2
    return 0
