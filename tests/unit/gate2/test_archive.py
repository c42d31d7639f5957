"""Deterministic, safe tar.gz bundles: same members -> same bytes; hostile tars are refused."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from sovereign.errors import InputFileError
from sovereign.gate2.archive import extract_members, read_archive, write_archive
from support.paths import REPO

MEMBERS = {
    "README.md": b"# bundle\n",
    "data/records.parquet": bytes(range(256)) * 40,
    "data/nested/deep/x.json": b'{"a": 1}\n',
    "empty.txt": b"",
    "unicode-\u00e9t\u00e9.txt": "caf\u00e9\n".encode(),
    "long/" + "n" * 150 + ".txt": b"long name\n",
}


def _hostile_tar(path: Path, build) -> Path:
    """Write a tar.gz by hand; `build(tar)` adds whatever members the test needs."""
    with tarfile.open(path, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        build(tar)
    return path


def _add_file(tar: tarfile.TarFile, name: str, data: bytes = b"x") -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_insertion_order_does_not_change_bytes(tmp_path: Path) -> None:
    forward = write_archive(tmp_path / "a.tar.gz", MEMBERS)
    backward = write_archive(tmp_path / "b.tar.gz", dict(reversed(list(MEMBERS.items()))))
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    assert forward == backward
    assert forward == hashlib.sha256((tmp_path / "a.tar.gz").read_bytes()).hexdigest()


def test_bytes_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sovereign.gate2.archive import write_archive\n"
        # A set's iteration order depends on the hash seed, so insertion order varies too.
        "names = {f'dir{i % 3}/file{i}.txt' for i in range(40)}\n"
        "members = {n: n.encode() * 7 for n in names}\n"
        "print(write_archive(Path(sys.argv[1]), members))\n"
    )
    src = str(REPO / "src")
    digests, blobs = [], []
    for seed in ("1", "2", "12345"):
        out = tmp_path / f"seed{seed}" / "bundle.tar.gz"
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": src}
        proc = subprocess.run(
            [sys.executable, "-c", script, str(out)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.append(proc.stdout.strip())
        blobs.append(out.read_bytes())
    assert len(set(digests)) == 1
    assert len(set(blobs)) == 1
    assert digests[0] == hashlib.sha256(blobs[0]).hexdigest()


def test_round_trip_and_extract(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    write_archive(bundle, MEMBERS)
    assert read_archive(bundle) == MEMBERS
    dest = tmp_path / "out"
    written = extract_members(read_archive(bundle), dest)
    assert len(written) == len(MEMBERS)
    for name, data in MEMBERS.items():
        assert (dest / name).read_bytes() == data


def test_header_fields_are_fixed(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    write_archive(bundle, MEMBERS)
    raw = bundle.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert raw[3] & 0x08 == 0  # FLG.FNAME unset: no file name in the gzip header
    assert raw[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME is zero
    with tarfile.open(bundle, mode="r:gz") as tar:
        infos = tar.getmembers()
    assert [i.name for i in infos] == sorted(MEMBERS)
    for info in infos:
        assert info.isreg()
        assert (info.mode, info.uid, info.gid, info.uname, info.gname, info.mtime) == (
            0o644,
            0,
            0,
            "",
            "",
            0,
        )


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    write_archive(bundle, {"a": b"1"})
    with pytest.raises(ValueError):
        write_archive(bundle, {"a": b"2", "../b": b"3"})
    assert read_archive(bundle) == {"a": b"1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.tar.gz"]


@pytest.mark.parametrize(
    "members",
    [
        {"../x": b""},
        {"a/../../x": b""},
        {"/etc/passwd": b""},
        {"a\\b": b""},
        {"a//b": b""},
        {"a/": b""},
        {"": b""},
        {"./a": b""},
        {"a": b"", "a/b": b""},
    ],
)
def test_write_rejects_bad_names(tmp_path: Path, members: dict[str, bytes]) -> None:
    with pytest.raises(ValueError):
        write_archive(tmp_path / "bad.tar.gz", members)
    assert not (tmp_path / "bad.tar.gz").exists()


def test_write_rejects_non_bytes_content(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_archive(tmp_path / "bad.tar.gz", {"a": "text"})  # type: ignore[dict-item]


def _symlink(tar: tarfile.TarFile) -> None:
    _add_file(tar, "ok.txt")
    info = tarfile.TarInfo("link")
    info.type = tarfile.SYMTYPE
    info.linkname = "/etc/passwd"
    tar.addfile(info)


def _hardlink(tar: tarfile.TarFile) -> None:
    _add_file(tar, "ok.txt")
    info = tarfile.TarInfo("hard")
    info.type = tarfile.LNKTYPE
    info.linkname = "ok.txt"
    tar.addfile(info)


def _device(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("dev")
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 1, 3
    tar.addfile(info)


def _directory(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("dir")
    info.type = tarfile.DIRTYPE
    tar.addfile(info)


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (_symlink, "symbolic link"),
        (_hardlink, "hard link"),
        (_device, "device"),
        (_directory, "directory"),
        (lambda tar: _add_file(tar, "../x"), ".."),
        (lambda tar: _add_file(tar, "a/../../x"), ".."),
        (lambda tar: _add_file(tar, "/abs"), "absolute"),
        (lambda tar: (_add_file(tar, "dup", b"1"), _add_file(tar, "dup", b"2")), "more than once"),
        (lambda tar: (_add_file(tar, "a"), _add_file(tar, "a/b")), "directory"),
    ],
    ids=[
        "symlink",
        "hardlink",
        "device",
        "directory",
        "dotdot",
        "nested-dotdot",
        "absolute",
        "duplicate",
        "file-and-dir",
    ],
)
def test_read_refuses_hostile_tars(tmp_path: Path, build, words: str) -> None:
    bundle = _hostile_tar(tmp_path / "hostile.tar.gz", build)
    with pytest.raises(InputFileError) as err:
        read_archive(bundle)
    assert err.value.where == str(bundle)
    assert words in err.value.problem


@pytest.mark.parametrize("keep", [10, 100, 0.5, 0.9])
def test_read_refuses_truncated_bundle(tmp_path: Path, keep: float) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    write_archive(bundle, {"big.bin": os.urandom(50_000), "small.txt": b"hi"})
    raw = bundle.read_bytes()
    cut = int(len(raw) * keep) if isinstance(keep, float) else keep
    bundle.write_bytes(raw[:cut])
    with pytest.raises(InputFileError) as err:
        read_archive(bundle)
    assert "not a readable bundle" in err.value.problem


def test_read_refuses_garbage_and_truncated_tar_inside_gzip(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"this is not a gzip file at all" * 10)
    with pytest.raises(InputFileError, match="not a readable bundle"):
        read_archive(garbage)

    # A valid gzip stream whose tar payload stops mid-member.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add_file(tar, "big.bin", b"z" * 5000)
    short = tmp_path / "short.tar.gz"
    short.write_bytes(gzip.compress(buf.getvalue()[:2048], mtime=0))
    with pytest.raises(InputFileError, match="not a readable bundle"):
        read_archive(short)


def test_read_refuses_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        read_archive(tmp_path / "nope.tar.gz")


def test_read_enforces_size_limit(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    write_archive(bundle, {"a": b"x" * 600, "b": b"y" * 600})
    assert len(read_archive(bundle, max_total_bytes=1200)) == 2
    with pytest.raises(InputFileError, match="limit"):
        read_archive(bundle, max_total_bytes=1000)


def test_extract_refuses_escapes(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    for name in ("../x", "/abs", "a/../../x"):
        with pytest.raises(ValueError):
            extract_members({name: b""}, dest)
    outside = tmp_path / "outside"
    outside.mkdir()
    (dest / "sub").parent.mkdir(parents=True, exist_ok=True)
    (dest / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError, match="outside"):
        extract_members({"ok.txt": b"1", "sub/evil.txt": b"2"}, dest)
    assert list(outside.iterdir()) == []
    assert not (dest / "ok.txt").exists()  # refused before writing anything


def _tar_gz(path: Path, build) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        build(tar)
    path.write_bytes(gzip.compress(buf.getvalue()))
    return path


def _add(tar: tarfile.TarFile, name: str, data: bytes, pax: dict | None = None) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.pax_headers = pax or {}
    tar.addfile(info, io.BytesIO(data))


def test_a_bomb_hidden_in_a_header_stops_at_the_cap(tmp_path: Path, monkeypatch) -> None:
    """A PAX header counts toward no member's size: the decompressed stream is capped instead."""
    from sovereign.gate2 import archive

    monkeypatch.setattr(archive, "MAX_HEADER_BYTES", 1024**2)
    bomb = _tar_gz(tmp_path / "bomb.tar.gz", lambda t: _add(t, "a", b"x", {"c": "x" * 2**22}))
    assert bomb.stat().st_size < 64 * 1024  # compresses to almost nothing
    with pytest.raises(InputFileError, match="not a readable bundle"):
        read_archive(bomb, max_total_bytes=1024)
    fine = _tar_gz(tmp_path / "fine.tar.gz", lambda t: _add(t, "a", b"x", {"c": "small"}))
    assert read_archive(fine, max_total_bytes=1024) == {"a": b"x"}


def test_too_many_members_are_refused(tmp_path: Path, monkeypatch) -> None:
    from sovereign.gate2 import archive

    monkeypatch.setattr(archive, "MAX_MEMBERS", 5)
    many = _tar_gz(tmp_path / "many.tar.gz", lambda t: [_add(t, f"m{i}", b"") for i in range(6)])
    with pytest.raises(InputFileError, match="more than 5 members"):
        read_archive(many)
