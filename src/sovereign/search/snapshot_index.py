"""A one-off search index over an arXiv metadata snapshot: built streaming, read by every search.

A full Kaggle/OAI snapshot (about 2.7 million records, 4 GB) is too big to load per question, so
the `snapshot_index` rule builds this index once and every question's search memory-maps it.
Ranking is exactly `sovereign.snapshot`'s rule: BM25 over title (twice) and abstract, AND/OR and
exact phrases honoured, the arXiv id breaking ties.

The build reads the snapshot in chunks (parsed and tokenized by worker processes), spills each
chunk's term counts to disk, then merges them term by term, so memory grows with the vocabulary
and the id list, not with the text. Every file is a pure function of the snapshot's bytes: the
chunk size and the number of workers change nothing.

An index directory (see INDEX_FILES):
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

import hashlib
import heapq
import json
import math
import mmap
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputFileError
from ..text.normalize import search_words
from .queries import Query
from .records import paper_date
from .snapshot import paper_version, parse_line, ref_name, snapshot_base
from .snapshot_files import INDEX_FILES, INDEX_FORMAT, snapshot_files

FIELD_BREAK = "|"  # between title, title and abstract: no phrase can match across it
BM25_K1 = 1.2
BM25_B = 0.75
CHUNK_RECORDS = 20_000
MERGE_BLOCK = 8_000_000  # postings sorted at once in the final pass (bounds its memory)
SCORE_SLACK = 1e-8  # > the 5e-10 that rounding to 9 places can move a score


# ---------------------------------------------------------------------------------------------
# Reading and tokenizing (runs in worker processes)


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

    raw_bytes: int
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
    raw_bytes = sum(len(raw) for raw, _where, _ref in lines)
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
        raw_bytes=raw_bytes,
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


# ---------------------------------------------------------------------------------------------
# Building


Progress = Callable[[str], None]


class _Reader:
    """Snapshot lines in batches, hashing each file and counting bytes as it goes."""

    def __init__(self, snapshot: str | os.PathLike[str], batch: int):
        self.files = snapshot_files(snapshot)
        self.base = snapshot_base(snapshot)
        self.batch = batch
        self.total_bytes = sum(f.stat().st_size for f in self.files)
        self.described: list[dict[str, Any]] = []

    def batches(self) -> Iterator[list[tuple[bytes, str, str]]]:
        """Batches of (raw line, "path:line", "name:line"); the build reports progress by the
        chunks it has taken back (Chunk.raw_bytes), as workers may run ahead of it."""
        lines: list[tuple[bytes, str, str]] = []
        for file in self.files:
            name = ref_name(file, self.base)
            digest = hashlib.sha256()
            size = 0
            with open(file, "rb") as handle:
                for number, raw in enumerate(handle, start=1):
                    digest.update(raw)
                    size += len(raw)
                    lines.append((raw, f"{file}:{number}", f"{name}:{number}"))
                    if len(lines) >= self.batch:
                        yield lines
                        lines = []
            self.described.append({"name": name, "bytes": size, "sha256": digest.hexdigest()})
        if lines:
            yield lines


def _tokenized(reader: _Reader, workers: int) -> Iterator[Chunk]:
    """Chunks in snapshot order; with workers, at most two batches each in flight (bounded)."""
    if workers <= 1:
        for lines in reader.batches():
            yield _checked(tokenize_chunk(lines))
        return
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            pending: list[Any] = []
            for lines in reader.batches():
                pending.append(pool.submit(tokenize_chunk, lines))
                while len(pending) >= 2 * workers:
                    yield _checked(pending.pop(0).result())
            while pending:
                yield _checked(pending.pop(0).result())
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
    reader = _Reader(snapshot, chunk_records)
    spill = work / "chunks"
    spill.mkdir()
    show = _Progress(progress, reader.total_bytes)
    ids: list[str] = []
    versions, dates, lengths, text_ends, paper_ends, firsts = [], [], [], [], [], []
    vocab_sizes = []
    consumed = 0
    with open(work / "text.bin", "wb") as texts, open(work / "papers.bin", "wb") as papers:
        for number, chunk in enumerate(_tokenized(reader, workers)):
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
            consumed += chunk.raw_bytes
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


# ---------------------------------------------------------------------------------------------
# Searching


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


# ---------------------------------------------------------------------------------------------
# Command line: build an index by hand (the workflow's snapshot_index rule does the same).


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
