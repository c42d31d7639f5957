"""The answer stage: what the kept papers say about the question, as a reader wants it first.

The relevant, grounded evidence sentences (claims) of the kept papers are grouped into themes by
their sentence-encoder vectors, each theme named from its own words and ordered by the relevant
evidence it carries; within a theme the strongest sentences are quoted verbatim with their source
span, the other papers cited, and agreement or contradiction between papers (the verifier's) named.
Numbers in the evidence become a comparison table when there are numbers to compare. An optional
writer model restates the quotes in prose; every sentence it writes must cite them and is checked
against what it cites (sovereign.answer.writer). answer.parquet holds all of it; the tribunal
judges it and the report renders it.

Public: `model` (the Answer, its themes and the writer's sentences), `evidence` (the Quote),
`comparison` (the table's Row), `rows` (the one codec of answer.parquet), `settings`, `build`
(the stage's logic) and `writer` (the optional writer model). Private: `themes`.
"""

__all__ = ["build", "comparison", "evidence", "model", "rows", "settings", "writer"]
