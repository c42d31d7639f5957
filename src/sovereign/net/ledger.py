"""The ledger: every response from a remote service, stored so a rerun never asks twice.

Entries are content-addressed by their request (service + canonical request fields, never a
secret), one JSON file each, written atomically, so concurrent jobs can share one ledger
directory. A Gate 2 reproduction ships the entries it used and replays them with no network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputFileError
from ..io import canonical_json, write_atomic


def request_key(service: str, request: dict[str, Any]) -> str:
    """The entry's address: sha256 of the service name and the canonical request."""
    text = canonical_json({"service": service, "request": request})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    key: str
    service: str
    request: dict[str, Any]
    status: int
    retrieved_at: str
    body: bytes
    url: str


class Ledger:
    """A directory of responses: `<root>/<service>/<key[:2]>/<key>.json`."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def path(self, service: str, key: str) -> Path:
        return self.root / service / key[:2] / f"{key}.json"

    def get(self, service: str, request: dict[str, Any]) -> Entry | None:
        key = request_key(service, request)
        path = self.path(service, key)
        fix = f"delete {path} so the response is fetched again (needs the network)"
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as err:
            raise InputFileError(str(path), f"ledger entry is not readable ({err})", fix) from None
        try:
            data = json.loads(raw)
            body = (
                base64.b64decode(data["body"])
                if data["body_encoding"] == "base64"
                else data["body"].encode("utf-8")
            )
            entry = Entry(
                key=key,
                service=data["service"],
                request=data["request"],
                status=int(data["status"]),
                retrieved_at=data["retrieved_at"],
                body=body,
                url=data.get("url", ""),
            )
        except (ValueError, KeyError, TypeError) as err:
            raise InputFileError(str(path), f"ledger entry is not readable ({err})", fix) from None
        if hashlib.sha256(body).hexdigest() != data.get("body_sha256"):
            raise InputFileError(str(path), "ledger entry body does not match its sha256", fix)
        if entry.request != request or entry.service != service:
            raise InputFileError(str(path), "ledger entry holds a different request", fix)
        return entry

    def put(
        self,
        service: str,
        request: dict[str, Any],
        *,
        status: int,
        retrieved_at: str,
        body: bytes,
        url: str,
    ) -> Entry:
        key = request_key(service, request)
        try:
            text, encoding = body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(body).decode("ascii"), "base64"
        record = {
            "key": key,
            "service": service,
            "request": request,
            "url": url,
            "status": status,
            "retrieved_at": retrieved_at,
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "body_encoding": encoding,
            "body": text,
        }
        path = self.path(service, key)
        write_atomic(path, (json.dumps(record, sort_keys=True, indent=1) + "\n").encode("utf-8"))
        return Entry(key, service, request, status, retrieved_at, body, url)


class RecordingLedger(Ledger):
    """A ledger that remembers every request it was asked for, found or not: what a replay
    reads (a Gate 2 bundle carries exactly those entries, empty answers included, which no
    result row points to)."""

    def __init__(self, root: str | os.PathLike[str]):
        super().__init__(root)
        self.found: list[tuple[str, str]] = []  # (service, key), in the order asked
        self.missed: list[tuple[str, str]] = []

    def get(self, service: str, request: dict[str, Any]) -> Entry | None:
        entry = super().get(service, request)
        (self.found if entry is not None else self.missed).append(
            (service, request_key(service, request))
        )
        return entry
