"""Reading sections.parquet back: each paper's sections in order, and what its full text came
from (for the claims, the answer's citations and the record)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from .model import ABSTRACT
from .second_look import FULL_TEXT_KEPT


def kept_on_full_text(sections: pa.Table) -> set[str]:
    """The papers a second look kept on their full text (the filter dropped them)."""
    rows = sections.select(["arxiv_id", "kept_on"]).to_pylist()
    return {r["arxiv_id"] for r in rows if r["kept_on"] == FULL_TEXT_KEPT}


def with_second_look(papers: list[dict[str, Any]], sections: pa.Table) -> list[dict[str, Any]]:
    """The filtered rows as every stage after the full-text stage sees them: a paper kept on its
    full text is kept (its filter scores stay as they were)."""
    rescued = kept_on_full_text(sections)
    return [{**p, "kept": True} if p["arxiv_id"] in rescued else p for p in papers]


def paper_sections(table: pa.Table) -> dict[str, list[tuple[int, str, str]]]:
    """{arxiv_id: [(section_index, section_path, text)]}, in section order."""
    out: dict[str, list[tuple[int, str, str]]] = {}
    for row in sorted(table.to_pylist(), key=lambda r: (r["arxiv_id"], r["section_index"])):
        out.setdefault(row["arxiv_id"], []).append(
            (row["section_index"], row["section_path"], row["text"])
        )
    return out


def section_texts(table: pa.Table) -> dict[tuple[str, int], str]:
    """{(arxiv_id, section_index): text}: where a claim's span is checked again."""
    return {
        (r["arxiv_id"], r["section_index"]): r["text"]
        for r in table.select(["arxiv_id", "section_index", "text"]).to_pylist()
    }


@dataclass(frozen=True)
class Reading:
    """How one paper was read: its source kind (latex, pdf, abstract), how many body sections,
    the source file's reference and hash, and the note on why it is no better."""

    arxiv_id: str
    kind: str
    sections: int
    ref: str | None
    sha256: str | None
    note: str | None
    kept_on: str  # abstract, or "full text": a second look at its body kept it


def readings(rows: list[dict[str, Any]]) -> list[Reading]:
    """One Reading per paper, by arXiv id."""
    by_paper: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_paper.setdefault(row["arxiv_id"], []).append(row)
    out = []
    for arxiv_id in sorted(by_paper):
        paper = sorted(by_paper[arxiv_id], key=lambda r: r["section_index"])
        body = paper[1:]
        out.append(
            Reading(
                arxiv_id=arxiv_id,
                kind=body[0]["source_kind"] if body else ABSTRACT,
                sections=len(body),
                ref=body[0]["source_ref"] if body else None,
                sha256=body[0]["source_sha256"] if body else None,
                note=paper[0]["note"],
                kept_on=paper[0]["kept_on"],
            )
        )
    return out
