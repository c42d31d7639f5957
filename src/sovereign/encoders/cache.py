"""A content-addressed store of computed vectors, so a text is embedded once per model.

Every stage that embeds (filter, embed, claims) and every question share it: 100 questions over
one corpus embed each paper once, and a rerun embeds nothing. An entry is addressed by
sha256(model, role, text) and holds the float32 vector followed by the sha256 of (address +
vector): a damaged or foreign file is recomputed and rewritten, never used. Entries are written
atomically, so concurrent jobs (and cluster jobs on a shared file system) can share one store.
The vectors are deterministic, so a hit gives the very bytes a computation would: the cache
changes how long a run takes, never what it writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path

import numpy as np

from ..io import canonical_json, write_atomic
from .base import Embedder

DIGEST = 32


def _seal(key: str, body: bytes) -> bytes:
    return hashlib.sha256(key.encode("ascii") + body).digest()


def entry_key(model: str, role: str, text: str) -> str:
    text_json = canonical_json({"model": model, "role": role, "text": text})
    return hashlib.sha256(text_json.encode("utf-8")).hexdigest()


class CachedEmbedder:
    """`inner` with its vectors kept under `<root>/<model>/<key[:2]>/<key>.f32`."""

    def __init__(self, inner: Embedder, root: str | os.PathLike[str]) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.folder = Path(root) / re.sub(r"[^A-Za-z0-9._-]+", "_", inner.model)
        self.hits = 0
        self.computed = 0

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.f32"

    def _get(self, key: str) -> np.ndarray | None:
        try:
            data = self._path(key).read_bytes()
        except OSError:
            return None
        body, digest = data[:-DIGEST], data[-DIGEST:]
        if len(body) != 4 * self.dimension or _seal(key, body) != digest:
            return None
        return np.frombuffer(body, dtype="<f4").astype(np.float32)

    def _put(self, key: str, vector: np.ndarray) -> None:
        body = np.asarray(vector, dtype="<f4").tobytes()
        # A read-only or full store costs time, not correctness: the vector is still returned.
        with contextlib.suppress(OSError):
            write_atomic(self._path(key), body + _seal(key, body))

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        keys = [entry_key(self.model, role, t) for t in texts]
        todo: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            vector = self._get(key)
            if vector is None:
                todo.setdefault(key, []).append(i)
            else:
                out[i] = vector
                self.hits += 1
        if todo:
            firsts = [rows[0] for rows in todo.values()]
            vectors = self.inner.embed([texts[i] for i in firsts], role)
            self.computed += len(firsts)
            for (key, rows), vector in zip(todo.items(), vectors, strict=True):
                out[rows] = vector
                self._put(key, vector)
        return out

    def summary(self) -> str:
        return f"{self.hits} vectors from the cache, {self.computed} computed ({self.folder})"
