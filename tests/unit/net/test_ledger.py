import json

import pytest

from sovereign.errors import InputFileError
from sovereign.net.ledger import Ledger, request_key

REQ = {"search_query": "all:experts", "start": "0", "max_results": "10"}


def test_roundtrip_and_content_address(tmp_path):
    ledger = Ledger(tmp_path)
    assert ledger.get("arxiv-api", REQ) is None
    entry = ledger.put(
        "arxiv-api", REQ, status=200, retrieved_at="2026-05-28T00:00:00Z", body=b"<feed/>", url="u"
    )
    assert entry.key == request_key("arxiv-api", dict(reversed(list(REQ.items()))))
    again = ledger.get("arxiv-api", REQ)
    assert again == entry and again.body == b"<feed/>"
    assert ledger.path("arxiv-api", entry.key).is_file()
    assert not list(tmp_path.rglob("*.tmp"))  # atomic write leaves no temporary behind


def test_binary_bodies_survive(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.put("svc", REQ, status=200, retrieved_at="t", body=b"\xff\x00", url="u")
    assert ledger.get("svc", REQ).body == b"\xff\x00"


def test_tampered_entry_is_reported_with_the_fix(tmp_path):
    ledger = Ledger(tmp_path)
    entry = ledger.put("svc", REQ, status=200, retrieved_at="t", body=b"abc", url="u")
    path = ledger.path("svc", entry.key)
    data = json.loads(path.read_text())
    data["body"] = "abd"
    path.write_text(json.dumps(data))
    with pytest.raises(InputFileError, match="does not match its sha256") as err:
        ledger.get("svc", REQ)
    assert str(path) in err.value.message and "delete" in err.value.message
    path.write_text("{truncated")
    with pytest.raises(InputFileError, match="not readable"):
        ledger.get("svc", REQ)


def test_undecodable_entry_is_reported(tmp_path):
    ledger = Ledger(tmp_path)
    entry = ledger.put("svc", REQ, status=200, retrieved_at="t", body=b"abc", url="u")
    ledger.path("svc", entry.key).write_bytes(b"\xff\xfe garbage")
    with pytest.raises(InputFileError, match="not readable"):
        ledger.get("svc", REQ)


def test_a_truncated_entry_is_named_with_its_fix(tmp_path):
    ledger = Ledger(tmp_path)
    entry = ledger.put("arxiv-api", REQ, status=200, retrieved_at="t", body=b"<feed/>", url="u")
    path = ledger.path("arxiv-api", entry.key)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(InputFileError) as err:
        ledger.get("arxiv-api", REQ)
    assert err.value.message.startswith(f"{path}: ledger entry is not readable (")
    assert err.value.message.endswith(
        f"\n  fix: delete {path} so the response is fetched again (needs the network)"
    )


def _hammer(root: str, writer: int, rounds: int) -> int:
    """Write every request `rounds` times with this writer's bodies, reading them back between
    writes; returns how many reads saw something other than a whole entry of some writer."""
    ledger = Ledger(root)
    bad = 0
    for _ in range(rounds):
        for n in range(8):
            request = {"n": str(n)}
            # 1 MB bodies: a write takes long enough for readers to race it
            ledger.put("svc", request, status=200, retrieved_at="t", body=_body(writer, n), url="u")
            got = ledger.get("svc", request)
            if got is None or got.body not in {_body(w, n) for w in range(4)}:
                bad += 1
    return bad


def _body(writer: int, n: int) -> bytes:
    return bytes([65 + writer]) * 1_000_000 + str(n).encode()


def test_concurrent_writers_never_leave_a_partial_entry(tmp_path):
    """Four processes writing and reading the same entries at once: every read is one writer's
    whole entry (atomic rename), and no temporary file is left behind."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(4) as pool:
        bad = pool.starmap(_hammer, [(str(tmp_path), w, 5) for w in range(4)])
    assert bad == [0, 0, 0, 0]
    assert len(list(tmp_path.rglob("*.json"))) == 8
    assert not list(tmp_path.rglob("*.tmp"))
