"""The embed stage's settings, from one place: what changes the vectors (`rerun_params`, the rule's
params: a change reruns embed; not URLs or retries) and everything the job needs to make them
(`Settings`), read from a config the schema has filled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..io import canonical
from ..net.http import RetryPolicy


def rerun_params(config: dict[str, Any]) -> dict[str, Any]:
    e = config["embed"]
    if e["backend"] != "nim":
        return canonical({"backend": e["backend"]})
    return canonical({"backend": "nim", "model": e["model"], "dimension": e["dimension"]})


@dataclass(frozen=True)
class Settings:
    backend: str  # minilm | wordllama | hashing | nim
    cache: str  # computed vectors of the local embedders
    ledger: str  # NIM's answers
    nim_url: str
    model: str
    dimension: int
    batch_size: int
    offline: bool
    policy: RetryPolicy

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        e = config["embed"]
        return cls(
            backend=e["backend"],
            cache=config["cache"],
            ledger=config["ledger"],
            nim_url=e["nim_url"],
            model=e["model"],
            dimension=int(e["dimension"]),
            batch_size=int(e["batch_size"]),
            offline=bool(e["offline"]),
            policy=RetryPolicy.from_config(config, "embed"),
        )
