"""A loopback stand-in for export.arxiv.org/api/query that the real `arxiv` client talks to.

It answers from a small corpus (boolean all:term / all:"phrase" queries, submittedDate upper
bound, paging), or from recorded Atom files, and can be told to misbehave, one scripted fault per
request: a status with headers (429 with Retry-After, 503), an empty page, an HTML page, a stall
longer than the client's timeout, a connection reset, an answer cut off mid-transfer, or a good
answer passed through a function (truncated or garbled Atom). Every request is logged with its
time and headers.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .atom import feed_xml

_CLAUSE = re.compile(r'all:(?:"([^"]+)"|([^\s()]+))')
_DATE = re.compile(r"submittedDate:\[\d+ TO (\d{8})\d*\]")


def matches(paper: dict, query: str) -> int:
    """How many clauses of the query the paper matches (0 = not a hit)."""
    text = f"{paper['title']} {paper['summary']}".lower()
    bound = _DATE.search(query)
    if bound and paper["published"][:10].replace("-", "") > bound.group(1):
        return 0
    inner = _DATE.sub("", query)
    clauses = [(a or b).lower() for a, b in _CLAUSE.findall(inner)]
    hits = sum(1 for c in clauses if c in text)
    if " AND all:" in inner:
        return hits if hits == len(clauses) else 0
    return hits


class FakeArxiv:
    def __init__(self, papers: list[dict] | None = None):
        self.papers = papers or []
        self.requests: list[dict] = []
        self.faults: list[tuple] = []
        self.pages: dict[int, bytes] | None = None  # start -> recorded Atom body
        self.lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/query"

    def __enter__(self) -> FakeArxiv:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            kind = fault[0]
            if kind == "status":
                return fault[1], fault[2], b"<html>busy</html>"
            if kind == "html":
                return 200, {}, b"<html><body>Service notice</body></html>"
            if kind == "empty":
                return 200, {}, feed_xml([], 0, 0, 0, params.get("search_query", ""))
            if kind in ("stall", "reset", "cutoff"):
                return fault  # done by the handler: it concerns the connection, not the answer
            if kind == "mangle":
                status, headers, body = self.good_answer(params)
                return status, headers, fault[1](body)
        return self.good_answer(params)

    def good_answer(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        start = int(params.get("start", "0"))
        size = int(params.get("max_results", "10"))
        if self.pages is not None:
            return 200, {}, self.pages.get(start, feed_xml([], 0, start, 0))
        query = params.get("search_query", "")
        scored = [(matches(p, query), p) for p in self.papers]
        ranked = [p for s, p in sorted(scored, key=lambda sp: (-sp[0], sp[1]["id"])) if s > 0]
        page = ranked[start : start + size]
        return 200, {}, feed_xml(page, len(ranked), start, len(page), query)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                with fake.lock:
                    fake.requests.append(
                        {
                            "time": time.time(),
                            "params": params,
                            "user_agent": self.headers.get("User-Agent", ""),
                        }
                    )
                answer = fake.answer(params)
                if answer[0] == "stall":  # say nothing for longer than the client waits
                    time.sleep(answer[1])
                    self.close_connection = True
                    return
                if answer[0] == "reset":  # RST instead of an answer
                    self.request.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    self.request.close()
                    return
                if answer[0] == "cutoff":  # promise the whole answer, send half, hang up
                    _status, _headers, body = fake.good_answer(params)
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.request.shutdown(socket.SHUT_RDWR)
                    return
                status, headers, body = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
