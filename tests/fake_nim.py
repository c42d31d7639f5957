"""A loopback NVIDIA NIM embeddings service for tests: a thread in the test process.

It answers `POST /v1/embeddings` like the hosted API (`data` items with `index` and `embedding`),
with deterministic vectors (`fake_vector`), and records every request it gets, so tests can check
what the client sent (headers included) and how often.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEAD_URL = "http://127.0.0.1:9"  # nothing listens: any request would fail


def fake_vector(text, role, dimension=1024):
    """Deterministic per (role, text); multiples of 1/64, so exact in float32."""
    digest = hashlib.shake_256(f"{role}\n{text}".encode()).digest(dimension)
    return [(b - 128) / 64 for b in digest]


class FakeNim:
    """A loopback NIM: scripted (status, headers, body) answers first, then `always` (if given)
    for every later request, else real embeddings of `dimension` floats.

    A body may be a callable of the request headers (e.g. to echo the Authorization header back).
    `shuffle` returns the data items out of order; `mangle` rewrites the payload before it is
    sent (to serve malformed answers). Usable as a context manager; `close()` may be repeated.
    """

    def __init__(self, script=(), *, dimension=1024, always=None, shuffle=False, mangle=None):
        self.script = list(script)
        self.always = always
        self.dimension = dimension
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
                    data = [
                        {
                            "object": "embedding",
                            "index": i,
                            "embedding": fake_vector(text, body["input_type"], fake.dimension),
                        }
                        for i, text in enumerate(body["input"])
                    ]
                    if shuffle:
                        random.Random(len(fake.requests)).shuffle(data)
                    answer = {"object": "list", "data": data, "model": body["model"]}
                    answer = mangle(answer) if mangle else answer
                    payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
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
    def batches(self):
        return [body["input"] for _path, _headers, body in self.requests]

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
