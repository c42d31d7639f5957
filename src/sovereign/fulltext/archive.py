"""An arXiv e-print unpacked in memory: the files of a paper's source, read as untrusted input.

arXiv serves an e-print as a gzipped tar, a plain tar, one gzipped file or one plain file, with no
telling name, so the kind is read from the bytes themselves. Nothing is written to disk and
nothing is run: members come back as bytes by path. A hostile archive (paths that climb out,
links, devices, a gzip bomb, thousands of members) or a damaged one raises `SourceError` with the
reason; bytes are counted as they are decompressed, never taken from a header's word.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
import zlib

from .model import Limits, SourceError

GZIP_MAGIC = b"\x1f\x8b"
TAR_MAGIC = b"ustar"  # at offset 257 of the first header, POSIX ("ustar\0") and GNU ("ustar ")
_TAR_MAGIC_AT = 257
_CHUNK = 1 << 16
# Headers, padding and long-name records of a tar around its members' bytes: what a decompressed
# tar stream may hold beyond the members themselves before it counts as a bomb.
_TAR_OVERHEAD_PER_MEMBER = 4096
_TAR_OVERHEAD = 1 << 20
# Bytes other than tab, newline, form feed and carriage return below 0x20: rare in a TeX file,
# a few percent of random or binary data.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_SNIFF = 8192


def source_files(data: bytes, limits: Limits) -> dict[str, bytes]:
    """The files of an e-print by normalised posix path, in sorted order. A single (gzipped) file
    is "main.tex" ("main.pdf" when it is a PDF)."""
    if len(data) > limits.max_bytes:
        raise SourceError(f"the source is larger than {limits.max_bytes} bytes")
    if data.startswith(GZIP_MAGIC):
        cap = limits.max_unpacked_bytes + _TAR_OVERHEAD_PER_MEMBER * limits.max_members
        stream = _Gunzip(data, cap + _TAR_OVERHEAD)
        head = stream.peek(_TAR_MAGIC_AT + len(TAR_MAGIC))
        if _is_tar(head):
            return _tar_members(stream, limits)
        return _single(stream.read_all(limits.max_unpacked_bytes), limits)
    if _is_tar(data):
        return _tar_members(io.BytesIO(data), limits)
    return _single(data, limits)


def _is_tar(head: bytes) -> bool:
    return head[_TAR_MAGIC_AT : _TAR_MAGIC_AT + len(TAR_MAGIC)] == TAR_MAGIC


def _single(data: bytes, limits: Limits) -> dict[str, bytes]:
    if len(data) > limits.max_unpacked_bytes:
        raise SourceError(f"the source unpacks to more than {limits.max_unpacked_bytes} bytes")
    if data.startswith(b"%PDF"):
        return {"main.pdf": data}
    if not _looks_like_text(data):
        raise SourceError("not a gzip, tar or TeX file (binary data)")
    return {"main.tex": data}


def _looks_like_text(data: bytes) -> bool:
    """Whether a lone file can be TeX: no NUL byte and almost no control characters at its
    start (random bytes have about one in ten)."""
    head = data[:_SNIFF]
    if not head.strip() or b"\0" in head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls * 100 <= len(head)


def _tar_members(fileobj: io.BytesIO | _Gunzip, limits: Limits) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    count = 0
    total = 0
    try:
        with tarfile.open(fileobj=fileobj, mode="r|") as tar:
            for info in tar:
                count += 1
                if count > limits.max_members:
                    raise SourceError(f"the archive has more than {limits.max_members} members")
                name = _member_name(info)
                if name is None:
                    continue
                body = _read_member(tar, info, name, limits, total)
                total += len(body)
                files[name] = body
    except SourceError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as err:
        raise SourceError(f"the archive is damaged or cut off ({_short(err)})") from None
    if not files:
        raise SourceError("the archive holds no files")
    return dict(sorted(files.items()))


def _member_name(info: tarfile.TarInfo) -> str | None:
    """The member's normalised path, None for a directory; raises for anything not a plain file
    inside the archive's own tree."""
    raw = info.name
    if raw.startswith("/") or posixpath.isabs(raw):
        raise SourceError(f"archive member {raw!r} has an absolute path")
    if ".." in raw.split("/"):
        raise SourceError(f"archive member {raw!r} climbs out with '..'")
    if info.issym() or info.islnk():
        raise SourceError(f"archive member {raw!r} is a link")
    if info.ischr() or info.isblk() or info.isfifo():
        raise SourceError(f"archive member {raw!r} is a device or fifo")
    if info.isdir():
        return None
    if not info.isreg():
        raise SourceError(f"archive member {raw!r} is not a plain file")
    name = posixpath.normpath(raw)
    while name.startswith("./"):
        name = name[2:]
    return None if name in ("", ".") else name


def _read_member(
    tar: tarfile.TarFile, info: tarfile.TarInfo, name: str, limits: Limits, total: int
) -> bytes:
    handle = tar.extractfile(info)
    if handle is None:
        return b""
    parts: list[bytes] = []
    size = 0
    while chunk := handle.read(_CHUNK):
        size += len(chunk)
        if size > limits.max_unpacked_bytes:
            raise SourceError(
                f"archive member {name!r} unpacks to more than {limits.max_unpacked_bytes} bytes"
            )
        if total + size > limits.max_unpacked_bytes:
            raise SourceError(
                f"the archive unpacks to more than {limits.max_unpacked_bytes} bytes"
                f" (at member {name!r})"
            )
        parts.append(chunk)
    return b"".join(parts)


class _Gunzip:
    """A gzip stream read forward, never producing more than `cap` bytes in all: decompression
    stops (raising) as soon as the cap is passed, however small the compressed input."""

    def __init__(self, data: bytes, cap: int):
        self._data = memoryview(data)
        self._pos = 0
        self._cap = cap
        self._made = 0
        self._buffer = b""
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._done = False

    def _fill(self, want: int) -> None:
        """Decompress until `want` bytes are buffered or the stream ends."""
        try:
            while len(self._buffer) < want and not self._done:
                room = min(_CHUNK, self._cap + 1 - self._made)
                if self._inflate.unconsumed_tail:
                    out = self._inflate.decompress(self._inflate.unconsumed_tail, room)
                elif self._inflate.eof:
                    self._next_member()
                    continue
                elif self._pos < len(self._data):
                    piece = self._data[self._pos : self._pos + _CHUNK]
                    self._pos += len(piece)
                    out = self._inflate.decompress(piece, room)
                else:
                    raise SourceError("the archive is damaged or cut off (gzip stream ends early)")
                self._made += len(out)
                if self._made > self._cap:
                    raise SourceError(f"the archive unpacks to more than {self._cap} bytes")
                self._buffer += out
        except zlib.error as err:
            raise SourceError(f"the archive is damaged or cut off ({_short(err)})") from None

    def _next_member(self) -> None:
        """After one gzip member: another may follow (concatenated gzip), or only padding."""
        rest = bytes(self._inflate.unused_data) + bytes(self._data[self._pos :])
        rest = rest.lstrip(b"\0")
        if not rest.startswith(GZIP_MAGIC):
            self._done = True
            return
        self._data = memoryview(rest)
        self._pos = 0
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def peek(self, size: int) -> bytes:
        self._fill(size)
        return self._buffer[:size]

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.read_all(self._cap)
        self._fill(size)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def read_all(self, limit: int) -> bytes:
        """Everything left, or raises once more than `limit` bytes come out."""
        parts = []
        size = 0
        while chunk := self.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise SourceError(f"the source unpacks to more than {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)


def _short(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) <= 80 else text[:77] + "..."
