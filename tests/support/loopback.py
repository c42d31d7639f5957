"""A JSON-over-POST service on 127.0.0.1, in a thread of the test process: the base of the fake
NIM and the fake chat service.

Scripted (status, headers, body) answers are served first, then `always` (if given) for every
later request, else the subclass's `default_answer(body)`. A body may be bytes, a JSON-able value,
or a callable of the request headers (e.g. to echo the Authorization header back). An answer may
also be `STALL` (read the request, never answer: the client must time out) or `RESET` (read the
request, then drop the connection with a TCP reset). Every request is recorded (path, headers,
JSON body) with the status it got (or "stall", "reset"), so tests can check what a client sent
and how often. Usable as a context manager; `close()` may be repeated.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEAD_URL = "http://127.0.0.1:9"  # nothing listens: any request would fail
STALL = "stall"
RESET = "reset"


class LoopbackJsonService:
    def __init__(self, script=(), *, always=None):
        self.script = list(script)
        self.always = always
        self.requests = []  # (path, headers, json body) of each request, in arrival order
        self.statuses = []  # the status answered to each request (or STALL, RESET)
        self._lock = threading.Lock()
        self._closing = threading.Event()  # ends stalled answers when the service closes
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                body = json.loads(raw)
                with service._lock:
                    service.requests.append((self.path, dict(self.headers), body))
                    answer = service.script.pop(0) if service.script else service.always
                if answer in (STALL, RESET):
                    with service._lock:
                        service.statuses.append(answer)
                    if answer == STALL:
                        service._closing.wait(60)  # far beyond any client timeout in the tests
                    # SO_LINGER 0: close() sends RST, not FIN, as a crashed peer or proxy would.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    self.connection.close()
                    return
                if answer is None:
                    json_type = {"Content-Type": "application/json"}
                    answer = (200, json_type, service.default_answer(body))
                status, headers, payload = answer
                if callable(payload):
                    payload = payload(self.headers)
                if not isinstance(payload, bytes):
                    payload = json.dumps(payload).encode()
                with service._lock:
                    service.statuses.append(status)
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

    def default_answer(self, body):
        raise NotImplementedError

    @property
    def bodies(self):
        return [body for _path, _headers, body in self.requests]

    def close(self):
        if not self._closed:
            self._closed = True
            self._closing.set()
            self.server.shutdown()
            self.server.server_close()
            self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
