"""Parsed sources, shared by every question and run: one JSON file per (source bytes, parser
version, limits), so a paper is parsed once however many questions keep it. A cache: safe to
delete (it lives under `cache`), written atomically, and checked when read."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from ..io import canonical_json, write_atomic
from .model import PARSER_VERSION, Limits, Section


class ParseStore:
    def __init__(self, root: str | Path, limits: Limits):
        self.root = Path(root) / PARSER_VERSION
        self.limits_key = hashlib.sha256(canonical_json(asdict(limits)).encode()).hexdigest()[:12]

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}-{self.limits_key}.json"

    def get(self, sha256: str) -> tuple[str, list[Section]] | str | None:
        """(kind, sections), or the reason the source could not be used, or None if not
        parsed yet (or the entry is unreadable: it is parsed again)."""
        try:
            data = json.loads(self._path(sha256).read_text(encoding="utf-8"))
            if data["sha256"] != sha256:
                return None
            if data.get("error") is not None:
                return str(data["error"])
            return data["kind"], [Section(p, t) for p, t in data["sections"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, sha256: str, parsed: tuple[str, list[Section]] | str) -> None:
        if isinstance(parsed, str):
            record = {"sha256": sha256, "error": parsed}
        else:
            kind, sections = parsed
            record = {
                "sha256": sha256,
                "kind": kind,
                "sections": [[s.path, s.text] for s in sections],
            }
        write_atomic(self._path(sha256), (canonical_json(record) + "\n").encode("utf-8"))
