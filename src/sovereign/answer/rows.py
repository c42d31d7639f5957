"""answer.parquet's codec, the only one: an `Answer` to rows and back.

One row per item, by `kind`: `quote` (a theme's quoted or cited sentence: theme rank and name,
its span, relevance, verification and the paper that supports or contradicts it), `comparison`
(a row of the comparison table) and `writer` (a sentence of the optional writer model, kept or
dropped, with the claim ids it cites and why).
"""

from __future__ import annotations

from typing import Any

from ..errors import InputFileError
from .comparison import Row
from .evidence import Quote
from .model import WRITER_STATUSES, Answer, ShownTheme, WriterSentence

KINDS = ("comparison", "quote", "writer")
_EMPTY = {
    "theme": -1,
    "theme_label": "",
    "claim_id": None,
    "arxiv_id": None,
    "sentence_index": None,
    "section_index": None,
    "section_path": None,
    "char_start": None,
    "char_end": None,
    "relevance": None,
    "verified": None,
    "evidence_label": None,
    "claim_kind": None,
    "related_arxiv_id": None,
    "related_text": None,
    "shown": None,
    "method": None,
    "dataset": None,
    "metric": None,
    "value": None,
    "cites": [],
    "status": None,
    "detail": None,
    "ledger_key": None,
}


def answer_rows(question_id: str, answer: Answer) -> list[dict[str, Any]]:
    rows = []
    for t in answer.themes:
        for seq, q in enumerate(t.quotes):
            rows.append(
                {
                    **_EMPTY,
                    "question_id": question_id,
                    "kind": "quote",
                    "theme": t.rank,
                    "theme_label": t.label,
                    "seq": seq,
                    "claim_id": q.claim_id,
                    "arxiv_id": q.arxiv_id,
                    "sentence_index": q.sentence_index,
                    "section_index": q.section_index,
                    "section_path": q.section_path,
                    "char_start": q.char_start,
                    "char_end": q.char_end,
                    "text": q.text,
                    "relevance": q.relevance,
                    "verified": q.verified,
                    "evidence_label": q.label,
                    "claim_kind": q.kind,
                    "related_arxiv_id": q.related_arxiv_id,
                    "related_text": q.related_text,
                    "shown": q.shown,
                }
            )
    for seq, r in enumerate(answer.comparison):
        rows.append(
            {
                **_EMPTY,
                "question_id": question_id,
                "kind": "comparison",
                "seq": seq,
                "claim_id": r.claim_id,
                "arxiv_id": r.arxiv_id,
                "text": r.value,
                "method": r.method,
                "dataset": r.dataset,
                "metric": r.metric,
                "value": r.value,
            }
        )
    for s in answer.writer:
        rows.append(
            {
                **_EMPTY,
                "question_id": question_id,
                "kind": "writer",
                "seq": s.seq,
                "text": s.text,
                "cites": list(s.cites),
                "status": s.status,
                "detail": s.detail,
                "ledger_key": s.ledger_key,
            }
        )
    return rows


def answer_from_rows(rows: list[dict[str, Any]], where: str) -> Answer:
    """The Answer an answer.parquet holds (rows in the file's sort order)."""
    themes: dict[int, tuple[str, list[Quote]]] = {}
    comparison, writer = [], []
    for row in rows:
        kind = row["kind"]
        if kind == "quote":
            quote = Quote(
                claim_id=row["claim_id"],
                arxiv_id=row["arxiv_id"],
                sentence_index=row["sentence_index"],
                section_index=row["section_index"],
                section_path=row["section_path"],
                char_start=row["char_start"],
                char_end=row["char_end"],
                text=row["text"],
                relevance=row["relevance"],
                verified=row["verified"],
                label=row["evidence_label"],
                kind=row["claim_kind"],
                related_arxiv_id=row["related_arxiv_id"],
                related_text=row["related_text"],
                shown=row["shown"],
            )
            themes.setdefault(row["theme"], (row["theme_label"], []))[1].append(quote)
        elif kind == "comparison":
            comparison.append(
                Row(
                    row["method"],
                    row["dataset"],
                    row["metric"],
                    row["value"],
                    row["claim_id"],
                    row["arxiv_id"],
                )
            )
        elif kind == "writer" and row["status"] in WRITER_STATUSES:
            writer.append(
                WriterSentence(
                    row["seq"],
                    row["text"],
                    tuple(row["cites"]),
                    row["status"],
                    row["detail"],
                    row["ledger_key"],
                )
            )
        else:
            raise InputFileError(
                where,
                f"holds a row of unknown kind {kind!r} or status {row.get('status')!r}",
                "delete it and run the workflow again to rebuild it",
            )
    shown = tuple(
        ShownTheme(rank, label, tuple(quotes)) for rank, (label, quotes) in sorted(themes.items())
    )
    return Answer(shown, tuple(comparison), tuple(sorted(writer, key=lambda s: s.seq)))
