"""The answer as the tribunal judges it and the report renders it (built by sovereign.answer.build,
stored in answer.parquet by sovereign.answer.rows)."""

from __future__ import annotations

from dataclasses import dataclass

from .comparison import Row
from .evidence import Quote

# What became of a sentence the writer model wrote (only "kept" ones are shown).
KEPT, UNCITED, INVENTED, UNSUPPORTED = "kept", "uncited", "invented_citation", "unsupported"
WRITER_STATUSES = (KEPT, UNCITED, INVENTED, UNSUPPORTED)


@dataclass(frozen=True)
class ShownTheme:
    """A theme as the answer shows it: its quoted sentences (`shown`) and, cited only, the
    strongest sentence of each other paper in it."""

    rank: int  # 0: the theme carrying the most relevant evidence
    label: str
    quotes: tuple[Quote, ...]

    @property
    def papers(self) -> tuple[str, ...]:
        return tuple(sorted({q.arxiv_id for q in self.quotes}))

    @property
    def supported(self) -> tuple[Quote, ...]:
        return tuple(q for q in self.quotes if q.label == "SUPPORT" and q.related_arxiv_id)

    @property
    def contradicted(self) -> tuple[Quote, ...]:
        return tuple(q for q in self.quotes if q.label == "CONTRADICT" and q.related_arxiv_id)


@dataclass(frozen=True)
class WriterSentence:
    seq: int
    text: str
    cites: tuple[str, ...]  # claim ids
    status: str  # one of WRITER_STATUSES
    detail: str  # why it was dropped, or how it was checked
    ledger_key: str


@dataclass(frozen=True)
class Answer:
    themes: tuple[ShownTheme, ...]
    comparison: tuple[Row, ...]
    writer: tuple[WriterSentence, ...] = ()

    @property
    def quotes(self) -> tuple[Quote, ...]:
        return tuple(q for t in self.themes for q in t.quotes)

    @property
    def cited_papers(self) -> tuple[str, ...]:
        """Every paper the answer cites: its quotes' and the kept writer sentences' sources."""
        return tuple(sorted({q.arxiv_id for q in self.quotes}))

    @property
    def written(self) -> tuple[WriterSentence, ...]:
        return tuple(s for s in self.writer if s.status == KEPT)

    def without_unverified(self) -> Answer:
        """The revision's answer: unverified quotes (the contradicted ones) dropped, empty themes
        with them, and writer sentences that cite only dropped quotes."""
        themes = []
        for t in self.themes:
            quotes = tuple(q for q in t.quotes if q.verified)
            if quotes:
                themes.append(ShownTheme(len(themes), t.label, quotes))
        kept_ids = {q.claim_id for t in themes for q in t.quotes}
        writer = tuple(
            s if s.status != KEPT or set(s.cites) & kept_ids else None for s in self.writer
        )
        comparison = tuple(r for r in self.comparison if r.claim_id in kept_ids)
        return Answer(
            tuple(themes),
            comparison if len(comparison) >= 2 else (),
            tuple(s for s in writer if s is not None),
        )
