"""The full-text stage's settings (config section `fulltext`; the schema holds the defaults).

`mode` resolves `source: auto` from the search backend: a live or replayed arXiv search reads
e-prints from arXiv (through the ledger), a snapshot search reads `fulltext.sources` when given,
and otherwise the papers' abstracts stand in for their text. `rerun_params` are the rule's params:
what changes the sections (where sources come from, the limits, the parser), not how arXiv is
reached; replaying recorded e-prints is reading arXiv (switching is no change)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..io import canonical
from ..net.http import RetryPolicy
from .model import PARSER_VERSION, Limits
from .passage_model import load_passage_model

ARXIV = "arxiv"
DIRECTORY = "directory"
OFF = "off"


def mode(config: dict[str, Any]) -> str:
    """arxiv, directory or off, with `auto` resolved."""
    f = config["fulltext"]
    if f["source"] != "auto":
        return f["source"]
    if config["search"]["backend"] in ("arxiv", "replay"):
        return ARXIV
    return DIRECTORY if f["sources"] else OFF


def offline(config: dict[str, Any]) -> bool:
    """E-prints only from the ledger: asked for, or the search itself is replayed."""
    return bool(config["fulltext"]["offline"]) or config["search"]["backend"] == "replay"


def limits(config: dict[str, Any]) -> Limits:
    f = config["fulltext"]
    return Limits(
        max_bytes=int(f["max_bytes"]),
        max_unpacked_bytes=int(f["max_unpacked_bytes"]),
        max_members=int(f["max_members"]),
        seconds=float(f["seconds"]),
    )


ALL = "all"


def second_look(config: dict[str, Any]) -> int | None:
    """How many of the filter's near misses are read in full: None for every paper it dropped
    (`all`), 0 when full text is off."""
    if mode(config) == OFF:
        return 0
    n = config["fulltext"]["second_look"]
    return None if n == ALL else int(n)


def rerun_params(config: dict[str, Any]) -> dict[str, Any]:
    m = mode(config)
    f = config["fulltext"]
    look = second_look(config)
    return canonical(
        {
            "fulltext": {
                "mode": m,
                "sources": f["sources"] if m == DIRECTORY else None,
                "limits": limits(config).__dict__ if m != OFF else None,
                "second_look": look,
                # the fitted passage threshold: a refit reruns the stage
                "passage_threshold": load_passage_model().passage_threshold if look != 0 else None,
                "parser": PARSER_VERSION,
            }
        }
    )


@dataclass(frozen=True)
class Settings:
    mode: str
    sources: str | None
    limits: Limits
    store: str  # parsed sources, shared by every question: <cache>/fulltext
    ledger: str
    offline: bool
    eprint_url: str
    pdf_url: str
    contact: str
    min_interval: float
    policy: RetryPolicy
    second_look: int | None = 0  # near misses of the filter read in full (None: all of them)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        f = config["fulltext"]
        return cls(
            mode=mode(config),
            sources=f["sources"],
            limits=limits(config),
            store=f"{config['cache']}/fulltext",
            ledger=config["ledger"],
            offline=offline(config),
            eprint_url=f["eprint_url"],
            pdf_url=f["pdf_url"],
            contact=config["search"]["contact"],
            min_interval=float(config["search"]["min_interval"]),
            policy=RetryPolicy.from_config(config, "fulltext"),
            second_look=second_look(config),
        )
