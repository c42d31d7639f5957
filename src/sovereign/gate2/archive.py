"""Deterministic, safe tar.gz bundles (Gate 2 reproduction bundles).

`write_archive` produces bytes that depend only on the members (name -> content): members are
sorted by name, every header field that could carry the writer's environment (mtime, owner,
mode, gzip file name and timestamp) is fixed, and the format (PAX) and compression level (9)
never vary. `read_archive` reads a bundle back refusing anything a bundle never holds (links,
devices, directories, escaping or duplicate names, oversize content, corrupt data).
`extract_members` writes members under a directory without letting any path escape it.

The archive bytes are identical for the same members on the same zlib build; a different zlib
could in principle compress differently, so compare bundles by their member contents when the
machines differ, and by archive sha256 when they do not.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from ..errors import InputFileError

TAR_FORMAT = tarfile.PAX_FORMAT
COMPRESSLEVEL = 9
FILE_MODE = 0o644
DEFAULT_MAX_TOTAL_BYTES = 2 * 1024**3  # 2 GiB of member content
# Besides the content: headers (PAX ones can be any size) and padding, at most this much, and
# at most this many members. A bundle holds a few hundred members of a few hundred bytes of
# header each; a compression bomb hidden in a header stops here.
MAX_HEADER_BYTES = 64 * 1024**2
MAX_MEMBERS = 100_000
_CHUNK = 1024 * 1024


class _Capped(io.RawIOBase):
    """A stream that refuses to give more than `cap` bytes (decompressed, for tarfile)."""

    def __init__(self, stream, cap: int):
        self.stream, self.cap, self.given = stream, cap, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.given >= self.cap:
            raise OSError(f"more than {self.cap} bytes once decompressed")
        data = self.stream.read(min(len(buffer), self.cap - self.given))
        buffer[: len(data)] = data
        self.given += len(data)
        return len(data)


def validate_name(name: object) -> str:
    """Check one member name is a plain relative POSIX path; return it, or raise ValueError."""
    if not isinstance(name, str):
        raise ValueError(f"member name {name!r} is not a string")
    if not name:
        raise ValueError("member name is empty")
    if "\\" in name:
        raise ValueError(f"member name {name!r} contains a backslash; use '/' separators")
    if "\x00" in name:
        raise ValueError(f"member name {name!r} contains a NUL character")
    if name.startswith("/"):
        raise ValueError(f"member name {name!r} is absolute; names must be relative")
    for segment in name.split("/"):
        if segment == "":
            raise ValueError(f"member name {name!r} has an empty path segment")
        if segment == "..":
            raise ValueError(f"member name {name!r} contains '..'")
        if segment == ".":
            raise ValueError(f"member name {name!r} contains a '.' segment")
    return name


def validate_names(names: list[str]) -> list[str]:
    """Validate every name and the set as a whole (no duplicates, no file that is also a dir)."""
    seen: set[str] = set()
    for name in names:
        validate_name(name)
        if name in seen:
            raise ValueError(f"member name {name!r} appears more than once")
        seen.add(name)
    for name in names:
        parent = PurePosixPath(name).parent
        while str(parent) != ".":
            if str(parent) in seen:
                raise ValueError(
                    f"member name {str(parent)!r} is a file but {name!r} needs it as a directory"
                )
            parent = parent.parent
    return sorted(names)


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.type = tarfile.REGTYPE
    info.mode = FILE_MODE
    info.uid = 0
    info.gid = 0
    info.uname = ""
    info.gname = ""
    info.mtime = 0
    return info


def write_archive(path: Path, members: Mapping[str, bytes]) -> str:
    """Write `members` as a deterministic .tar.gz at `path` (atomically); return its sha256 hex.

    Raises ValueError for an invalid, duplicate or conflicting member name and TypeError for
    content that is not bytes-like.
    """
    target = Path(path)
    names = validate_names(list(members))
    contents: dict[str, bytes] = {}
    for name in names:
        content = members[name]
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise TypeError(f"member {name!r} content must be bytes, not {type(content).__name__}")
        contents[name] = bytes(content)

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            with (
                gzip.GzipFile(
                    fileobj=raw, mode="wb", mtime=0, filename="", compresslevel=COMPRESSLEVEL
                ) as gz,
                tarfile.open(fileobj=gz, mode="w", format=TAR_FORMAT, encoding="utf-8") as tar,
            ):
                for name in names:
                    data = contents[name]
                    tar.addfile(_tarinfo(name, len(data)), io.BytesIO(data))
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, FILE_MODE)
        digest = _sha256_file(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if member.ischr() or member.isblk():
        return "a device"
    if member.isfifo():
        return "a FIFO"
    if member.isdir():
        return "a directory"
    return f"a non-regular member (type {member.type!r})"


def read_archive(path: Path, *, max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES) -> dict[str, bytes]:
    """Read a bundle written by `write_archive` back into name -> bytes, refusing anything unsafe.

    Raises InputFileError for a missing or unreadable file, corrupt or truncated gzip/tar data,
    links, devices, directories or other non-regular members, absolute or '..' names,
    duplicate names, and member content totalling more than `max_total_bytes`.
    """
    source = Path(path)
    where = str(source)
    fix = f"rebuild the bundle {source.name} with sovereign (write_archive) and try again"

    def refuse(problem: str, fix_text: str = fix) -> InputFileError:
        return InputFileError(where, problem, fix_text)

    if not source.is_file():
        raise refuse("the bundle does not exist or is not a file", "check the bundle path")

    result: dict[str, bytes] = {}
    total = 0
    try:
        with (
            gzip.open(source, "rb") as unzipped,
            tarfile.open(
                fileobj=io.BufferedReader(_Capped(unzipped, max_total_bytes + MAX_HEADER_BYTES)),
                mode="r|",
            ) as tar,
        ):
            while (member := tar.next()) is not None:
                if len(result) >= MAX_MEMBERS:
                    raise refuse(f"more than {MAX_MEMBERS} members; bundles hold a few hundred")
                tar.members = []  # stream mode: nothing to keep of the members gone by
                name = member.name
                try:
                    validate_name(name)
                except ValueError as exc:
                    raise refuse(f"unsafe member name: {exc}") from None
                if not member.isreg():
                    raise refuse(f"member {name!r} is {_kind(member)}; bundles hold only files")
                if name in result:
                    raise refuse(f"member {name!r} appears more than once")
                total += member.size
                if total > max_total_bytes:
                    raise refuse(
                        f"member content exceeds the {max_total_bytes}-byte limit",
                        "raise max_total_bytes if this bundle is trusted and expected to be large",
                    )
                fh = tar.extractfile(member)
                if fh is None:  # pragma: no cover - isreg() members always have a file object
                    raise refuse(f"member {name!r} has no content")
                data = fh.read()
                if len(data) != member.size:
                    raise refuse("not a readable bundle (member content is truncated)")
                result[name] = data
    except InputFileError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise refuse(f"not a readable bundle ({type(exc).__name__}: {exc})") from None

    try:
        validate_names(list(result))
    except ValueError as exc:
        raise refuse(f"unsafe member names: {exc}") from None
    return result


def extract_members(members: Mapping[str, bytes], dest: Path) -> list[Path]:
    """Write each member under `dest` (creating directories); return the written paths, sorted.

    Raises ValueError, before writing anything, for an invalid name or one that would resolve
    outside `dest` (for example through a symbolic link already inside `dest`).
    """
    root = Path(dest)
    root.mkdir(parents=True, exist_ok=True)
    real_root = root.resolve()
    names = validate_names(list(members))
    targets: dict[str, Path] = {}
    for name in names:
        target = real_root.joinpath(*name.split("/"))
        resolved = target.resolve()
        if not resolved.is_relative_to(real_root):
            raise ValueError(f"member {name!r} would be written outside {root}")
        targets[name] = target
    written: list[Path] = []
    for name in names:
        target = targets[name]
        target.parent.mkdir(parents=True, exist_ok=True)
        # Re-check after creating directories, in case one was swapped for a link meanwhile.
        if not target.parent.resolve().is_relative_to(real_root):
            raise ValueError(f"member {name!r} would be written outside {root}")
        if target.is_symlink():
            raise ValueError(f"member {name!r} would overwrite a symbolic link in {root}")
        target.write_bytes(bytes(members[name]))
        written.append(target)
    return written
