"""A compact corpus: one compressed JSON-lines file made from larger snapshots (`sovereign corpus`;
the shipped default corpus, resources/corpus/, is made this way by `make corpus`).

Every record with an arXiv id is kept once, its line copied verbatim: the highest version, else
the first seen (sources in the order given, each one's files in sorted order), the rule the
snapshot index follows, so a search of the corpus sees what a search of its sources saw. Lines
are written in arXiv id order, and the file's content is a pure function of its sources' records
(a compressed file carries no time or name; the same content compresses to the same bytes with
the same compression library).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from ..errors import InputFileError
from .snapshot import paper_version, parse_line
from .snapshot_files import SnapshotFile, compression, snapshot_files

Progress = Callable[[str], None]


def wanted(paper: dict[str, Any], categories: tuple[str, ...]) -> bool:
    """A paper in any of the categories (prefixes: `cs.` takes every cs category), primary or
    cross-listed; every paper when none are given."""
    if not categories:
        return True
    return any(c.startswith(prefix) for c in paper["categories"] for prefix in categories)


def choose(
    sources: Iterable[str | os.PathLike[str]], categories: tuple[str, ...] = ()
) -> tuple[list[Path], dict[str, tuple[int, int, int]]]:
    """The files read, and each kept id's (version, file number, line number): the first pass,
    which holds positions only, never the text."""
    files: list[Path] = []
    for source in sources:
        files.extend(f for f in snapshot_files(source) if f not in files)
    best: dict[str, tuple[int, int, int]] = {}
    for number, file in enumerate(files):
        for line, raw in enumerate(SnapshotFile(file).lines(), start=1):
            paper = parse_line(raw, f"{file}:{line}")
            if paper is None or not wanted(paper, categories):
                continue
            version = paper_version(paper)
            known = best.get(paper["arxiv_id"])
            if known is None or version > known[0]:
                best[paper["arxiv_id"]] = (version, number, line)
    return files, best


def build_corpus(
    sources: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    categories: tuple[str, ...] = (),
    progress: Progress = lambda _m: None,
) -> dict[str, Any]:
    """Write the corpus to `out` (compressed by its suffix: .xz, .gz, .bz2, or plain), in place
    only once whole; return what it holds: records, bytes, the sha256 of its lines and file."""
    target = Path(out)
    files, best = choose(sources, categories)
    if not best:
        raise InputFileError(
            ", ".join(str(s) for s in sources),
            "no record of the sources has an arXiv id"
            + (f" in the categories {', '.join(categories)}" if categories else ""),
            "give arXiv metadata JSON-lines snapshots (and categories that occur in them)",
        )
    progress(f"chose {len(best):,} records from {len(files)} file(s); writing {target}")
    wanted_at: dict[int, dict[int, str]] = {}
    for arxiv_id, (_version, number, line) in best.items():
        wanted_at.setdefault(number, {})[line] = arxiv_id
    lines: dict[str, bytes] = {}
    for number, file in enumerate(files):
        keep = wanted_at.get(number, {})
        for line, raw in enumerate(SnapshotFile(file).lines(), start=1):
            if line in keep:
                lines[keep[line]] = raw.rstrip(b"\r\n") + b"\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    content = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as raw, _compressor(compression(target), raw) as sink:
            for arxiv_id in sorted(lines):
                sink.write(lines[arxiv_id])
                content.update(lines[arxiv_id])
                size += len(lines[arxiv_id])
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    summary = {
        "records": len(lines),
        "content_bytes": size,
        "content_sha256": content.hexdigest(),
        "file_bytes": target.stat().st_size,
    }
    progress(
        f"wrote {target}: {summary['records']:,} records, {size / 1e6:,.1f} MB of JSON lines in "
        f"{summary['file_bytes'] / 1e6:,.1f} MB"
    )
    return summary


def content_sha256(path: str | os.PathLike[str]) -> tuple[int, str]:
    """(records, sha256 of the decompressed lines) of a corpus file: what SOURCE.md records."""
    digest = hashlib.sha256()
    count = 0
    for raw in SnapshotFile(Path(path)).lines():
        digest.update(raw)
        count += bool(raw.strip())
    return count, digest.hexdigest()


def _compressor(kind: str | None, raw: IO[bytes]) -> IO[bytes]:
    if kind == "xz":
        import lzma

        return lzma.LZMAFile(raw, "wb", preset=9)
    if kind == "gzip":
        import gzip

        return gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0)
    if kind == "bzip2":
        import bz2

        return bz2.BZ2File(raw, "wb", compresslevel=9)
    return _Uncompressed(raw)


class _Uncompressed:
    """A plain file behind the same `with` as the compressors (the caller closes the file)."""

    def __init__(self, raw: IO[bytes]):
        self.write = raw.write

    def __enter__(self) -> _Uncompressed:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None
