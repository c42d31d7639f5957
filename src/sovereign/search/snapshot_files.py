"""Which files make up a snapshot, and reading them, compressed or not (kept import-light: the
Snakefile calls it at parse time)."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import InputFileError

SNAPSHOT_SUFFIXES = (".jsonl", ".json", ".ndjson")
# A snapshot file may be compressed (`x.jsonl.xz`); read as a stream, never unpacked to disk.
COMPRESSIONS = {".gz": "gzip", ".xz": "xz", ".bz2": "bzip2"}


def compression(path: Path) -> str | None:
    """gzip, xz or bzip2 by the file's last suffix; None for a plain file."""
    return COMPRESSIONS.get(path.suffix.lower())


def is_snapshot_file(path: Path) -> bool:
    """A .jsonl/.json/.ndjson file, plain or compressed (x.jsonl.gz, x.json.xz, x.ndjson.bz2)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes.pop()
    return bool(suffixes) and suffixes[-1] in SNAPSHOT_SUFFIXES


def snapshot_files(path: str | os.PathLike[str]) -> list[Path]:
    """The JSON-lines files of a snapshot, in sorted order; a clear error if there are none, or
    if they hold no bytes at all (an interrupted download or copy, most often)."""
    root = Path(path)
    if root.is_file():
        if root.stat().st_size == 0:
            raise InputFileError(
                str(root),
                "the snapshot file is empty (0 bytes)",
                "point search.snapshot at an arXiv metadata JSON-lines file, or download or copy "
                "it again",
            )
        return [root]
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and is_snapshot_file(p))
        if not files:
            raise InputFileError(
                str(root),
                "the snapshot directory holds no .jsonl, .json or .ndjson files (plain, or "
                "compressed as .gz, .xz or .bz2)",
                "point search.snapshot at an arXiv metadata JSON-lines file or a directory of them",
            )
        if all(f.stat().st_size == 0 for f in files):
            raise InputFileError(
                str(root),
                f"all {len(files)} snapshot files in the directory are empty"
                if len(files) > 1
                else f"the directory's one snapshot file, {files[0].name}, is empty",
                "put arXiv metadata JSON-lines files in it, or download or copy them again",
            )
        return files
    raise InputFileError(
        str(root),
        "the snapshot does not exist",
        "point search.snapshot at an arXiv metadata JSON-lines file (e.g. the Kaggle "
        "arxiv-metadata-oai-snapshot.json) or a directory of them",
    )


class _Tap(io.RawIOBase):
    """A file read through, its bytes hashed and counted on the way (the index records each
    file's size and sha256 on disk; progress counts bytes on disk, compressed or not)."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        count = self.handle.readinto(buffer)
        if count:
            self.digest.update(memoryview(buffer)[:count])
            self.size += count
        return count or 0


class SnapshotFile:
    """One snapshot file's lines, decompressed as they are read; `size` and `sha256` are those
    of the file on disk, `size` growing as it is read (and whole once `lines` is exhausted)."""

    def __init__(self, path: Path):
        self.path = path
        self._tap: _Tap | None = None

    @property
    def size(self) -> int:
        return self._tap.size if self._tap else 0

    @property
    def sha256(self) -> str:
        return self._tap.digest.hexdigest() if self._tap else hashlib.sha256().hexdigest()

    def lines(self) -> Iterator[bytes]:
        kind = compression(self.path)
        with open(self.path, "rb") as handle:
            self._tap = tap = _Tap(handle)
            if kind is None:
                yield from io.BufferedReader(tap, 1 << 20)
                return
            try:
                yield from _decompressed(kind, tap)
                while tap.read(1 << 20):  # anything after the stream still counts in the hash
                    pass
            except Exception as err:  # each library has its own errors for a damaged stream
                if isinstance(err, InputFileError):
                    raise
                raise InputFileError(
                    str(self.path),
                    f"the {kind} stream is damaged or cut off ({type(err).__name__}: {err})",
                    "download or copy the file again (`"
                    + {"gzip": "gzip -t", "xz": "xz -t", "bzip2": "bzip2 -t"}[kind]
                    + " FILE` checks it)",
                ) from None


def _decompressed(kind: str, raw: IO[bytes]) -> IO[bytes]:
    if kind == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "xz":
        import lzma

        return lzma.LZMAFile(raw, mode="rb")
    import bz2

    return bz2.BZ2File(raw, mode="rb")


# The snapshot index (sovereign.search.snapshot_build); named here so the Snakefile can list its
# files without importing numpy at parse time.
INDEX_FORMAT = "sovereign-snapshot-index/1"
INDEX_FILES = (
    "date.npy",
    "norm.npy",
    "paper_span.npy",
    "papers.bin",
    "postings_doc.npy",
    "postings_ptr.npy",
    "postings_tf.npy",
    "term_offsets.npy",
    "terms.bin",
    "text.bin",
    "text_span.npy",
    "index.json",  # last: written once every other file is in place
)


def index_dir(root: str | os.PathLike[str], snapshot: str | os.PathLike[str]) -> str:
    """Where a snapshot's index lives: one directory per snapshot path, so configs that share a
    snapshot share its index and switching snapshots does not rebuild back and forth."""
    import hashlib

    name = Path(snapshot).name or "snapshot"
    key = hashlib.sha256(str(snapshot).encode("utf-8")).hexdigest()[:10]
    return str(Path(root) / f"{name}-{key}")
