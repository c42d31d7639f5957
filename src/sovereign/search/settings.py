"""The search stage's settings, from one place: what changes its hits (`rerun_params`, the rule's
params: a change reruns search) and everything the job needs to get them (`Settings`), read from
a config the schema has filled (the schema states every default)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..io import canonical
from ..net.http import RetryPolicy


def rerun_params(config: dict[str, Any]) -> dict[str, Any]:
    """The search settings that change what is found; not how it is reached (URLs, retries),
    and replaying recorded arXiv answers is the arXiv search (switching is no change)."""
    s = config["search"]
    snapshot = s["backend"] == "snapshot"
    return canonical(
        {
            "source": "snapshot" if snapshot else "arxiv",
            "max_results": s["max_results"],
            "snapshot": s["snapshot"] if snapshot else None,
        }
    )


@dataclass(frozen=True)
class Settings:
    backend: str  # arxiv | replay | snapshot
    max_results: int
    snapshot: str | None
    index_root: str
    ledger: str
    contact: str
    arxiv_url: str
    min_interval: float
    policy: RetryPolicy

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        s = config["search"]
        return cls(
            backend=s["backend"],
            max_results=int(s["max_results"]),
            snapshot=s["snapshot"],
            index_root=s["index"],
            ledger=config["ledger"],
            contact=s["contact"],
            arxiv_url=s["arxiv_url"],
            min_interval=float(s["min_interval"]),
            policy=RetryPolicy.from_config(config, "search"),
        )
