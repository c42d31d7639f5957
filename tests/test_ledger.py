import json

import pytest

from sovereign.errors import InputFileError
from sovereign.ledger import Ledger, request_key

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
