"""A loopback NVIDIA NIM embeddings service for tests: a thread in the test process.

It answers `POST /v1/embeddings` like the hosted API (`data` items with `index` and `embedding`),
with deterministic vectors (`fake_vector`), and records every request it gets, so tests can check
what the client sent (headers included) and how often.
"""

from __future__ import annotations

import hashlib
import random

from .loopback import DEAD_URL, LoopbackJsonService

__all__ = ["DEAD_URL", "FakeNim", "fake_vector"]


def fake_vector(text, role, dimension=1024):
    """Deterministic per (role, text); multiples of 1/64, so exact in float32."""
    digest = hashlib.shake_256(f"{role}\n{text}".encode()).digest(dimension)
    return [(b - 128) / 64 for b in digest]


class FakeNim(LoopbackJsonService):
    """A loopback NIM: scripted (status, headers, body) answers first, then `always` (if given)
    for every later request, else real embeddings of `dimension` floats.

    `shuffle` returns the data items out of order; `mangle` rewrites the payload before it is
    sent (to serve malformed answers).
    """

    def __init__(self, script=(), *, dimension=1024, always=None, shuffle=False, mangle=None):
        self.dimension = dimension
        self.shuffle = shuffle
        self.mangle = mangle
        super().__init__(script, always=always)

    def default_answer(self, body):
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": fake_vector(text, body["input_type"], self.dimension),
            }
            for i, text in enumerate(body["input"])
        ]
        if self.shuffle:
            random.Random(len(self.requests)).shuffle(data)
        answer = {"object": "list", "data": data, "model": body["model"]}
        return self.mangle(answer) if self.mangle else answer

    @property
    def batches(self):
        return [body["input"] for _path, _headers, body in self.requests]
