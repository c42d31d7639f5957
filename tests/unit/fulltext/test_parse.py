import contextlib
import gzip
import io
import signal
import tarfile
import threading
import time
import zlib

import pytest

from sovereign.fulltext import parse
from sovereign.fulltext.model import LATEX, PDF, Limits, Section, SourceError
from sovereign.fulltext.parse import parse_source, time_limit
from support.paths import SHARED_DATA, requires_shared

SOURCES = SHARED_DATA / "arxiv_sources"
LIMITS = Limits(max_bytes=50 << 20, max_unpacked_bytes=200 << 20, max_members=5000, seconds=60)
TEX = b"\\documentclass{article}\\begin{document}\\section{Intro} Some words.\\end{document}"


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return gzip.compress(buffer.getvalue(), mtime=0)


def _reason(data: bytes, limits: Limits = LIMITS) -> str:
    with pytest.raises(SourceError) as caught:
        parse_source(data, limits)
    return caught.value.reason


def test_latex_sources_in_every_packing():
    expected = (LATEX, [Section("1 Intro", "Some words.")])
    assert parse_source(TEX, LIMITS) == expected
    assert parse_source(gzip.compress(TEX), LIMITS) == expected
    assert parse_source(_tar({"ms.tex": TEX, "fig.png": b"\x89PNG"}), LIMITS) == expected


def test_pdfs_go_to_the_pdf_reader(monkeypatch):
    seen = []

    def fake(data: bytes) -> list[Section]:
        seen.append(data)
        return [Section("1 Intro", "From the PDF.")]

    monkeypatch.setattr("sovereign.fulltext.pdf.pdf_sections", fake)
    pdf = b"%PDF-1.4 whatever"
    assert parse_source(pdf, LIMITS) == (PDF, [Section("1 Intro", "From the PDF.")])
    assert parse_source(gzip.compress(pdf), LIMITS)[0] == PDF
    assert seen == [pdf, pdf]


def test_a_pdf_with_no_sections_is_a_source_error(monkeypatch):
    monkeypatch.setattr("sovereign.fulltext.pdf.pdf_sections", lambda _data: [])
    assert _reason(b"%PDF-1.4") == "no text in the source"


def test_size_is_checked_before_anything_else(monkeypatch):
    monkeypatch.setattr(parse, "_parse", lambda *_: pytest.fail("parsed an oversized source"))
    small = Limits(max_bytes=10, max_unpacked_bytes=100, max_members=5, seconds=5)
    assert _reason(b"%PDF" + b"x" * 10, small) == "the source is larger than 10 bytes"


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad"),
        IndexError("list index out of range"),
        KeyError("k"),
        RecursionError("deep"),
        AssertionError(),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        zlib.error("bad block"),
        EOFError(),
        tarfile.ReadError("bad"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_parser_exceptions_become_source_errors(monkeypatch, error):
    def broken(_files):
        raise error

    monkeypatch.setattr(parse, "latex_sections", broken)
    reason = _reason(TEX)
    assert reason.startswith("the source could not be parsed (" + type(error).__name__)


def test_hostile_and_broken_sources_raise_only_source_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    small = Limits(max_bytes=50 << 20, max_unpacked_bytes=1 << 20, max_members=10, seconds=10)
    whole = _tar({"main.tex": TEX, "data.tex": bytes(range(256)) * 2000})
    cases = {
        _tar({"../evil.tex": TEX}): "'../evil.tex'",
        _tar({"/etc/x.tex": TEX}): "absolute",
        _tar({f"f{i}.tex": b"x" for i in range(11)}): "more than 10 members",
        gzip.compress(bytes(50 << 20), 1): "more than 1048576 bytes",
        whole[: len(whole) // 3]: "damaged or cut off",
        bytes((i * 131 + 7) % 256 for i in range(4000)): "binary data",
        _tar({"notes.txt": b"hello"}): "no main .tex file",
        _tar({"a.tex": b"x", "b.tex": b"y"}): "no main .tex file",
        b"\\documentclass{article}\\begin{document}%\\end{document}": "no text in the source",
    }
    for data, words in cases.items():
        assert words in _reason(data, small)
    assert list(tmp_path.iterdir()) == []


def test_malformed_latex_stays_within_the_time_limit():
    quick = Limits(max_bytes=50 << 20, max_unpacked_bytes=200 << 20, max_members=10, seconds=5)
    body = (
        b"\\def\\a{\\a\\a}\\section{A} \\a {{{ \\begin{x} $ \\newcommand{\\c}[1]{\\c{#1#1}}\\c{y}"
    )
    started = time.perf_counter()
    try:
        kind, sections = parse_source(b"\\documentclass{article}\\begin{document}" + body, quick)
    except SourceError:
        pass
    else:
        assert kind == LATEX and sections
    assert time.perf_counter() - started < 5


def test_time_limit_interrupts_a_pure_python_loop():
    started = time.perf_counter()
    with pytest.raises(SourceError) as caught, time_limit(0.2):
        while True:
            sum(range(1000))
    assert caught.value.reason == "parsing took longer than 0.2 s"
    assert time.perf_counter() - started < 2


def test_time_limit_fires_again_when_library_code_swallows_it():
    started = time.perf_counter()
    with pytest.raises(SourceError), time_limit(0.1):
        with contextlib.suppress(Exception):  # a careless library swallows the first alarm
            time.sleep(1)
        time.sleep(2)
        pytest.fail("never interrupted")
    assert time.perf_counter() - started < 1.5


def test_a_timeout_inside_parsing_is_reported(monkeypatch):
    def slow(_files):
        while True:
            pass

    monkeypatch.setattr(parse, "latex_sections", slow)
    quick = Limits(max_bytes=1 << 20, max_unpacked_bytes=1 << 20, max_members=10, seconds=0.2)
    assert _reason(TEX, quick) == "parsing took longer than 0.2 s"


def test_time_limit_restores_the_previous_handler_and_timer():
    def outer(_signum, _frame):
        raise TimeoutError

    before = signal.signal(signal.SIGALRM, outer)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        with time_limit(5):
            pass
        assert signal.getsignal(signal.SIGALRM) is outer
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < left <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
    with time_limit(5):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_outside_the_main_thread_there_is_no_timer():
    result = []

    def work():
        with time_limit(0.05):
            time.sleep(0.15)
            result.append(signal.getitimer(signal.ITIMER_REAL))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert result == [(0.0, 0.0)]


@requires_shared
def test_real_eprint_twice_gives_identical_sections():
    data = (SOURCES / "neural-arithmetic-units.tar.gz").read_bytes()
    first = parse_source(data, LIMITS)
    assert first[0] == LATEX and len(first[1]) > 20
    assert parse_source(data, LIMITS) == first


@requires_shared
def test_real_pdf_is_parsed_as_pdf():
    kind, sections = parse_source((SOURCES / "avo.pdf").read_bytes(), LIMITS)
    assert kind == PDF and sections and all(s.text for s in sections)
