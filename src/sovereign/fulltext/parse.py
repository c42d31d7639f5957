"""One paper's source (as downloaded) to sections, under the paper's limits.

A PDF (by its `%PDF` magic) goes to the PDF reader, anything else is taken as an arXiv e-print
(archive -> LaTeX). A bad source never raises anything but `SourceError`: a size check comes
first, the parse runs under a time limit, and whatever a parser library throws on malformed
input is turned into a short reason, so the paper falls back to its abstract and the run goes on.
"""

from __future__ import annotations

import signal
import tarfile
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from .archive import source_files
from .latex import latex_sections
from .model import LATEX, PDF, Limits, Section, SourceError

# What parser libraries raise on malformed input (pylatexenc, pypdf, zlib, tarfile): each
# becomes a SourceError naming it. Bugs of our own (NameError, AttributeError...) still surface.
_PARSER_ERRORS = (
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    AssertionError,
    RecursionError,
    UnicodeError,
    LookupError,
    ArithmeticError,
    EOFError,
    MemoryError,
    OSError,
    zlib.error,
    tarfile.TarError,
)
# After the first alarm, re-raise every so often in case library code swallowed the first.
_REPEAT = 0.5


def parse_source(data: bytes, limits: Limits) -> tuple[str, list[Section]]:
    """(kind, sections) of one paper's source: kind is LATEX or PDF; sections never empty."""
    if len(data) > limits.max_bytes:
        raise SourceError(f"the source is larger than {limits.max_bytes} bytes")
    try:
        with time_limit(limits.seconds):
            kind, sections = _parse(data, limits)
    except SourceError:
        raise
    except _PARSER_ERRORS as err:
        raise SourceError(f"the source could not be parsed ({_describe(err)})") from None
    if not sections:
        raise SourceError("no text in the source")
    return kind, sections


def _parse(data: bytes, limits: Limits) -> tuple[str, list[Section]]:
    if data.startswith(b"%PDF"):
        return PDF, _pdf(data)
    files = source_files(data, limits)
    if list(files) == ["main.pdf"]:  # a gzipped PDF
        return PDF, _pdf(files["main.pdf"])
    return LATEX, latex_sections(files)


def _pdf(data: bytes) -> list[Section]:
    from .pdf import pdf_sections  # imported on use: pypdf is only loaded for PDFs

    return pdf_sections(data)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise SourceError in the body once `seconds` have passed (SIGALRM via a real-time
    interval timer), then restore whatever handler and timer were there before. Signals reach
    only the main thread, so elsewhere (a worker thread) the body runs without a limit; callers
    that need one there must run parses in the main thread of a process."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise SourceError(f"parsing took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    started = time.monotonic()
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay:  # an enclosing timer keeps what is left of its time (due now if none)
            left = outer_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)


def _describe(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return text if len(text) <= 100 else text[:97] + "..."
