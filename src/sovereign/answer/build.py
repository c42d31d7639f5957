"""The answer, built from the kept papers and their claims (pure, but for the encoder and the
optional writer it is given): quotes -> themes -> what each theme shows -> comparison table ->
the writer's sentences, each checked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .comparison import comparison_rows
from .evidence import Quote, answer_quotes, ranking
from .model import Answer, ShownTheme, WriterSentence
from .settings import Settings
from .themes import Theme, build_themes

Embed = Callable[[list[str]], np.ndarray]
Writer = Callable[[str, Answer, dict[str, dict[str, Any]]], Sequence[WriterSentence]]


def shown_theme(
    rank: int,
    theme: Theme,
    quotes_per_theme: int,
    key: Callable[[Quote], tuple] = lambda q: q.strength,
) -> ShownTheme:
    """The theme's strongest sentences from distinct papers, quoted (up to `quotes_per_theme`),
    and every sentence another kept paper contradicts (a reader must see the disagreement);
    then, cited only, the strongest sentence of every other paper in it."""
    contradicted = [q for q in theme.quotes if q.label == "CONTRADICT" and q.related_arxiv_id]
    quoted: list[Quote] = []
    cited: list[Quote] = []
    seen = {q.arxiv_id for q in contradicted}
    for q in sorted(theme.quotes, key=key):  # strongest first
        if q.arxiv_id in seen:
            continue
        seen.add(q.arxiv_id)
        if len(quoted) < quotes_per_theme:
            quoted.append(q)
        else:
            cited.append(replace(q, shown=False))
    quoted += contradicted
    quoted.sort(key=key)
    return ShownTheme(rank, theme.label, tuple(quoted + cited))


def build_answer(
    question: str,
    papers: list[dict[str, Any]],
    claims: list[dict[str, Any]],
    embed: Embed,
    settings: Settings,
    writer: Writer | None = None,
    texts: dict[tuple[str, int], str] | None = None,
) -> Answer:
    """`texts`: the papers' sections by (arXiv id, section index), in which every quote is checked
    again (default: their abstracts alone)."""
    quotes = answer_quotes(claims, papers, texts)
    vectors = embed([q.text for q in quotes]) if quotes else np.zeros((0, 1))
    key = ranking(question)
    themes = build_themes(quotes, vectors, question, settings.max_themes, key)
    shown = tuple(shown_theme(i, t, settings.quotes_per_theme, key) for i, t in enumerate(themes))
    titles = {p["arxiv_id"]: p["title"] for p in papers}
    table = comparison_rows([q for t in shown for q in t.quotes], titles)
    answer = Answer(shown, tuple(table))
    if writer is not None and answer.quotes:
        kept = {p["arxiv_id"]: p for p in papers if p["kept"]}
        answer = Answer(shown, tuple(table), tuple(writer(question, answer, kept)))
    return answer
