"""The headless-Chromium driver (tests/support/browser.py) sees what it must: clean pages pass, and
console errors, uncaught exceptions, missing files and outside requests all show up."""

from __future__ import annotations

import contextlib
import socket
import struct
import tempfile
from pathlib import Path

import pytest

from support import browser
from support.browser import PNG_SIGNATURE, BrowserError, open_page, requires_chromium


def page(tmp_path: Path, body: str, head: str = "", name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><title>{name}</title>{head}</head>'
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    return path


@requires_chromium
def test_clean_page_with_inline_svg(tmp_path):
    svg = '<svg width="200" height="120"><circle cx="60" cy="60" r="50" fill="#c33"/></svg>'
    path = page(tmp_path, f"<h1>Report</h1>{svg}")
    shot = tmp_path / "shots" / "clean.png"
    report = open_page(
        path, screenshot=shot, evaluate="document.querySelectorAll('svg').length", height=700
    )
    assert report.console_errors == []
    assert report.failed_requests == []
    assert report.requests == [path.resolve().as_uri()]  # nothing fetched but the file
    assert report.title == "page.html"
    assert report.value == 1
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 1000
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (1280, 700)


@requires_chromium
def test_full_page_screenshot_and_json_value(tmp_path):
    path = page(tmp_path, '<div style="height:2000px">tall</div>')
    shot = tmp_path / "tall.png"
    report = open_page(
        path, screenshot=shot, evaluate="({n: 1, s: 'x', l: [true, null]})", width=400
    )
    assert report.value == {"n": 1, "s": "x", "l": [True, None]}
    width, height = struct.unpack(">II", shot.read_bytes()[16:24])
    assert width == 400 and height > 2000  # beyond the 900px viewport


@requires_chromium
def test_console_error_is_caught(tmp_path):
    report = open_page(page(tmp_path, '<script>console.error("boom")</script>'))
    assert any("boom" in message for message in report.console_errors), report


@requires_chromium
def test_uncaught_exception_is_caught(tmp_path):
    report = open_page(page(tmp_path, '<script>throw new Error("kaput")</script>'))
    assert any("kaput" in message for message in report.console_errors), report


@requires_chromium
def test_missing_local_image_is_reported(tmp_path):
    report = open_page(page(tmp_path, '<img src="missing.png" alt="">'))
    missing = (tmp_path / "missing.png").as_uri()
    assert any(missing in message for message in report.console_errors), report
    assert any(missing in failure for failure in report.failed_requests), report


@requires_chromium
def test_outside_request_is_recorded(tmp_path):
    head = '<script src="http://example.invalid/x.js"></script>'
    report = open_page(page(tmp_path, "<p>hi</p>", head=head))
    assert "http://example.invalid/x.js" in report.requests
    assert any("example.invalid" in failure for failure in report.failed_requests), report


@requires_chromium
def test_throwing_evaluate_raises(tmp_path):
    with pytest.raises(BrowserError, match="evaluating .* threw: .*nope"):
        open_page(page(tmp_path, "<p>hi</p>"), evaluate="(() => { throw new Error('nope') })()")


def test_missing_page_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_page(tmp_path / "absent.html")


@requires_chromium
def test_timeout_names_the_page_and_cleans_up(tmp_path, monkeypatch):
    # A server that takes connections and never answers: the load event never comes.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        src = f"http://127.0.0.1:{server.getsockname()[1]}/never.js"
        path = page(tmp_path, "<p>hi</p>", head=f'<script src="{src}"></script>', name="slow.html")
        with pytest.raises(BrowserError, match=r"slow\.html: timed out waiting for"):
            open_page(path, timeout=1.5)  # launch + load
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.html"]  # profile removed
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):  # exited meanwhile
            assert str(tmp_path).encode() not in cmdline.read_bytes(), "Chromium left running"


@pytest.mark.parametrize("required", [False, True])
def test_missing_browser_skips_or_fails(monkeypatch, required):
    monkeypatch.setattr(browser, "chromium_path", lambda: None)
    if required:
        monkeypatch.setenv(browser.REQUIRE_ENV, "1")
    else:
        monkeypatch.delenv(browser.REQUIRE_ENV, raising=False)
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(outcome, match="apt-get install chromium"):
        browser.need_chromium()
