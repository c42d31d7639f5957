"""A loopback OpenAI-compatible chat service for tests: a thread in the test process.

It answers `POST /v1/chat/completions` like NIM, vLLM or Ollama (`choices[0].message.content`),
by default with a deterministic JSON review (`fake_review`) whose score follows a hash of the
request, and records every request it gets, so tests can check what the client sent (headers
included) and how often.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEAD_URL = "http://127.0.0.1:9"  # nothing listens: any request would fail


def request_digest(body):
    """sha256 of what determines an answer (model and messages), in canonical JSON."""
    what = {"model": body["model"], "messages": body["messages"]}
    text = json.dumps(what, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def fake_review(body):
    """The default answer: a review whose score (0..10) and finding follow the request's hash."""
    digest = request_digest(body)
    return {
        "score": int(digest[:8], 16) % 11,
        "findings": [{"finding": f"finding {digest[:8]}", "evidence": [f"span {digest[8:16]}"]}],
    }


def chat_answer(content, *, model="fake-model", finish_reason="stop"):
    """A chat completion response body carrying `content` (any JSON value, to test bad ones)."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
    }


class FakeLlm:
    """A loopback chat service: scripted (status, headers, body) answers first, then `always` (if
    given) for every later request, else a chat answer whose content is `content(body)` (default:
    `fake_review` as JSON text).

    A body may be bytes, a JSON-able value, or a callable of the request headers (e.g. to echo
    the Authorization header back). `mangle` rewrites the default payload before it is sent (to
    serve malformed answers). Usable as a context manager; `close()` may be repeated.
    """

    def __init__(self, script=(), *, always=None, content=None, mangle=None):
        self.script = list(script)
        self.always = always
        self.requests = []  # (path, headers, json body) of each request, in arrival order
        self.statuses = []  # the status answered to each request
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                body = json.loads(raw)
                with fake._lock:
                    fake.requests.append((self.path, dict(self.headers), body))
                    answer = fake.script.pop(0) if fake.script else fake.always
                if answer is not None:
                    status, headers, payload = answer
                    if callable(payload):
                        payload = payload(self.headers)
                else:
                    status, headers = 200, {"Content-Type": "application/json"}
                    text = content(body) if content else json.dumps(fake_review(body))
                    payload = chat_answer(text, model=body["model"])
                    payload = mangle(payload) if mangle else payload
                if not isinstance(payload, bytes):
                    payload = json.dumps(payload).encode()
                with fake._lock:
                    fake.statuses.append(status)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._closed = False

    @property
    def bodies(self):
        return [body for _path, _headers, body in self.requests]

    def close(self):
        if not self._closed:
            self._closed = True
            self.server.shutdown()
            self.server.server_close()
            self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
