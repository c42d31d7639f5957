import gzip
import io
import os
import tarfile
import time
import tracemalloc
import zlib

import pytest

from sovereign.fulltext.archive import source_files
from sovereign.fulltext.model import Limits, SourceError
from support.paths import SHARED_DATA, requires_shared

SOURCES = SHARED_DATA / "arxiv_sources"
LIMITS = Limits(max_bytes=50 << 20, max_unpacked_bytes=200 << 20, max_members=5000, seconds=60)
SMALL = Limits(max_bytes=50 << 20, max_unpacked_bytes=1 << 20, max_members=10, seconds=60)
MAIN = b"\\documentclass{article}\\begin{document}Hello.\\end{document}\n"


def _info(
    name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, link: str = ""
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.linkname = link
    return info


def _tar(members: list[tuple[tarfile.TarInfo | str, bytes]], gz: bool = True) -> bytes:
    """An archive built in memory; a str member is a plain file."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for member, body in members:
            info = _info(member, size=len(body)) if isinstance(member, str) else member
            tar.addfile(info, io.BytesIO(body) if info.isreg() else None)
    data = buffer.getvalue()
    return gzip.compress(data, mtime=0) if gz else data


def _reason(data: bytes, limits: Limits = LIMITS) -> str:
    with pytest.raises(SourceError) as caught:
        source_files(data, limits)
    return caught.value.reason


def test_gzipped_tar_gives_sorted_normalised_members_and_skips_directories():
    data = _tar(
        [
            ("./sections/b.tex", b"B"),
            (_info("figs", tarfile.DIRTYPE), b""),
            ("./main.tex", MAIN),
            ("a//x.tex", b"X"),
        ]
    )
    files = source_files(data, LIMITS)
    assert list(files) == ["a/x.tex", "main.tex", "sections/b.tex"]
    assert files["main.tex"] == MAIN


def test_plain_tar_is_read_by_its_magic_whatever_its_name():
    files = source_files(_tar([("paper.tex", MAIN)], gz=False), LIMITS)
    assert files == {"paper.tex": MAIN}


def test_single_gzipped_tex_is_main_tex():
    assert source_files(gzip.compress(MAIN), LIMITS) == {"main.tex": MAIN}


def test_plain_tex_and_latin1_bytes_are_kept_as_they_are():
    latin1 = "\\section{Caf\u00e9}".encode("latin-1")
    assert source_files(MAIN, LIMITS) == {"main.tex": MAIN}
    assert source_files(latin1, LIMITS) == {"main.tex": latin1}


def test_a_gzipped_pdf_is_named_as_a_pdf():
    pdf = b"%PDF-1.5\n" + bytes(range(256))
    assert source_files(gzip.compress(pdf), LIMITS) == {"main.pdf": pdf}


def test_concatenated_gzip_members_are_one_stream():
    assert source_files(gzip.compress(MAIN[:20]) + gzip.compress(MAIN[20:]), LIMITS) == {
        "main.tex": MAIN
    }


@pytest.mark.parametrize(
    ("member", "words"),
    [
        ("../evil.tex", ["'../evil.tex'", ".."]),
        ("sections/../../evil.tex", ["'sections/../../evil.tex'", ".."]),
        ("/etc/x.tex", ["'/etc/x.tex'", "absolute"]),
        (_info("passwd.tex", tarfile.SYMTYPE, link="/etc/passwd"), ["'passwd.tex'", "link"]),
        (_info("hard.tex", tarfile.LNKTYPE, link="main.tex"), ["'hard.tex'", "link"]),
        (_info("dev.tex", tarfile.CHRTYPE), ["'dev.tex'", "device"]),
        (_info("pipe.tex", tarfile.FIFOTYPE), ["'pipe.tex'", "fifo"]),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink", "hardlink", "device", "fifo"],
)
def test_hostile_members_are_refused_by_name(member, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    body = b"" if isinstance(member, tarfile.TarInfo) else b"x"
    reason = _reason(_tar([("main.tex", MAIN), (member, body)]))
    for word in words:
        assert word in reason
    assert list(tmp_path.iterdir()) == []  # nothing was extracted anywhere
    assert not (tmp_path.parent / "evil.tex").exists()


def _bomb(size: int) -> bytes:
    """A gzipped tar whose one member is `size` zero bytes (about 1000:1)."""
    header = _info("main.tex", size=size).tobuf(format=tarfile.GNU_FORMAT)
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [squeeze.compress(header)]
    chunk = bytes(1 << 20)
    for _ in range(size >> 20):
        parts.append(squeeze.compress(chunk))
    parts.append(squeeze.compress(bytes(1024)) + squeeze.flush())
    return b"".join(parts)


@pytest.mark.parametrize("single", [False, True], ids=["tar", "single-gzip"])
def test_a_gzip_bomb_is_stopped_early_with_little_memory(single):
    data = gzip.compress(bytes(50 << 20), 1) if single else _bomb(50 << 20)
    assert len(data) < 1 << 20
    tracemalloc.start()
    started = time.perf_counter()
    try:
        reason = _reason(data, SMALL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "more than 1048576 bytes" in reason
    assert not single or "unpacks" in reason
    assert time.perf_counter() - started < 5
    assert peak < 8 << 20  # a few MB at most, never the 50 MB


def test_the_running_total_of_members_is_bounded():
    members = [(f"part{i}.tex", bytes(400 << 10)) for i in range(3)]
    reason = _reason(_tar(members), SMALL)
    assert "the archive unpacks to more than 1048576 bytes" in reason
    assert "'part2.tex'" in reason


def test_too_many_members():
    members = [(f"f{i:02d}.tex", b"x") for i in range(11)]
    assert _reason(_tar(members), SMALL) == "the archive has more than 10 members"
    assert len(source_files(_tar(members[:10]), SMALL)) == 10


def test_the_source_itself_is_size_checked():
    limits = Limits(max_bytes=100, max_unpacked_bytes=1 << 20, max_members=10, seconds=60)
    assert _reason(b"x" * 101, limits) == "the source is larger than 100 bytes"


def test_a_truncated_archive_is_damaged():
    whole = _tar([("main.tex", MAIN), ("big.tex", os.urandom(200_000))])
    assert "damaged or cut off" in _reason(whole[: len(whole) // 2])
    plain = _tar([("main.tex", MAIN), ("big.tex", os.urandom(200_000))], gz=False)
    assert "damaged or cut off" in _reason(plain[: len(plain) // 2])


def test_random_bytes_and_a_broken_gzip_are_refused():
    noise = bytes((i * 131 + 7) % 256 for i in range(5000))
    assert _reason(noise) == "not a gzip, tar or TeX file (binary data)"
    assert "damaged or cut off" in _reason(b"\x1f\x8b" + noise)
    assert _reason(b"") == "not a gzip, tar or TeX file (binary data)"


def test_an_archive_of_directories_only_holds_no_files():
    assert _reason(_tar([(_info("d", tarfile.DIRTYPE), b"")])) == "the archive holds no files"


@requires_shared
@pytest.mark.parametrize(
    ("name", "count", "main"),
    [
        ("neural-arithmetic-units", 34, "main.tex"),
        ("elo-mmr", 15, "main.tex"),
        ("scipy-1.0", 8, "paper.tex"),
        ("avo", 5, "paper.tex"),
        ("author-disambiguation", 8, "paper.tex"),
    ],
)
def test_real_eprints_unpack_whole(name, count, main):
    files = source_files((SOURCES / f"{name}.tar.gz").read_bytes(), LIMITS)
    assert len(files) == count
    assert list(files) == sorted(files)
    assert b"\\documentclass" in files[main]
    assert all(not (k.startswith(("/", "./")) or ".." in k.split("/")) for k in files)
