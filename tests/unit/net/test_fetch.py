import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sovereign.errors import NetworkError
from sovereign.net.http import RetryPolicy, request_with_retries, retry_after_seconds


class Script:
    """A loopback server that answers each request with the next scripted (status, headers)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.seen = 0
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                script.seen += 1
                status, headers = script.answers.pop(0) if script.answers else (200, {})
                body = b"ok" if status == 200 else b"slow down"
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/x"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve():
    servers = []

    def start(answers):
        servers.append(Script(answers))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


POLICY = RetryPolicy(retries=3, backoff=0.5, max_wait=60, timeout=5, section="search")


def fetch(url, waits, policy=POLICY):
    return request_with_retries(
        requests.Session(), "GET", url, what="test request", policy=policy, sleep=waits.append
    )


def test_retry_after_is_honoured_when_longer_than_backoff(serve):
    server = serve([(429, {"Retry-After": "7"}), (503, {}), (200, {})])
    waits = []
    assert fetch(server.url, waits).body == b"ok"
    assert waits == [7.0, 1.0]  # server's 7 s, then backoff 0.5 * 2**1
    assert server.seen == 3


def test_gives_up_after_retries_with_a_clear_message(serve):
    server = serve([(503, {})] * 10)
    waits = []
    with pytest.raises(NetworkError, match="HTTP 503, after 4 attempts") as err:
        fetch(server.url, waits)
    assert err.value.where == "test request" and waits == [0.5, 1.0, 2.0]


def test_client_errors_are_not_retried(serve):
    server = serve([(400, {})])
    with pytest.raises(NetworkError, match="HTTP 400"):
        fetch(server.url, [])
    assert server.seen == 1


def test_a_wait_longer_than_max_wait_fails_at_once(serve):
    server = serve([(429, {"Retry-After": "3600"})])
    with pytest.raises(NetworkError, match="asked to wait 3600 s") as err:
        fetch(server.url, [])
    assert "run again later" in err.value.message and server.seen == 1


def test_connection_refused_is_retried_then_reported():
    waits = []
    with pytest.raises(NetworkError, match="could not connect"):
        fetch(
            "http://127.0.0.1:9/x",
            waits,
            RetryPolicy(retries=2, backoff=0.1, max_wait=60, timeout=1, section="search"),
        )
    assert waits == [0.1, 0.2]


def test_retry_after_as_http_date():
    now = datetime(2026, 5, 28, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Thu, 28 May 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None) is None


def test_every_server_error_and_408_is_retried(serve):
    server = serve([(520, {}), (408, {}), (200, {})])
    waits = []
    assert fetch(server.url, waits).body == b"ok" and len(waits) == 2
