"""The answer section that opens report.md and record.html: the answer's themes, each with its
stance line, its quotes cited to their passages and its other papers cited; then the comparison
table; then the writer model's checked sentences, if a writer was used.

A quote is its claim's text exactly, so a reader finds it again at its span (the citation names
the section, `§4.2` or the abstract, and the character span, and links the paper).
"""

from __future__ import annotations

import re

from ..answer.evidence import Quote
from ..answer.model import INVENTED, UNCITED, UNSUPPORTED, Answer, ShownTheme
from .html import arxiv_link, data_table, esc, para, plural

ARXIV_ABS = "https://arxiv.org/abs/"
HEADING = "Answer"


def section_mark(path: str) -> str:
    """`§4.2` for "4 Experiments / 4.2 Ablations", `§A.1` for an appendix's, `§Related Work` for
    an unnumbered one (a lone capital counts as a number only in an appendix: "A Survey" is a
    title)."""
    last = path.rpartition(" / ")[2].strip()
    number = r"\d+(?:\.\d+)*|[A-Z]\.\d+(?:\.\d+)*"
    if "Appendix" in path:
        number += "|[A-Z]"
    match = re.match(rf"^({number})\s+\S", last)
    return f"§{match[1]}" if match else f"§{last}"


def passage(q: Quote) -> str:
    """Where a quote stands: `2401.01234 §4.2, 120–245` (characters of the section's stored
    text, sections.parquet), or `2401.01234 abstract 120–245` for a sentence of the abstract."""
    if q.section_index == 0:
        return f"{q.arxiv_id} abstract {q.char_start}–{q.char_end}"
    return f"{q.arxiv_id} {section_mark(q.section_path)}, {q.char_start}–{q.char_end}"


def lead(answer: Answer | None, kept: int) -> str:
    """The answer's first sentence: how much of the literature carries it, or that none does."""
    if not kept:
        return "The sources do not answer this question: no retrieved paper addresses it."
    if answer is None or not answer.quotes:
        return (
            f"The sources do not answer this question: none of the {plural(kept, 'kept paper')} "
            "has a sentence relevant to it."
        )
    verified = sum(q.verified for q in answer.quotes)
    themes = len(answer.themes)
    return (
        f"{plural(len(answer.cited_papers), 'paper')} "
        f"{'bears' if len(answer.cited_papers) == 1 else 'bear'} on this question, in "
        f"{plural(themes, 'theme')} ({verified} of {len(answer.quotes)} cited sentences "
        "verified). Quotes are the papers' own words, each cited to its passage."
    )


def stance(theme: ShownTheme) -> str:
    """Agreement and contradiction in a theme, as the verifier found them."""
    parts = [f"{plural(len(theme.papers), 'paper')} in this theme"]
    if theme.supported:
        others = sorted({q.related_arxiv_id for q in theme.supported})
        parts.append(
            f"{plural(len(theme.supported), 'sentence')} backed by another kept paper "
            f"({', '.join(others)})"
        )
    if theme.contradicted:
        others = sorted({q.related_arxiv_id for q in theme.contradicted})
        parts.append(
            f"{plural(len(theme.contradicted), 'sentence')} contradicted by another "
            f"({', '.join(others)})"
        )
    return "; ".join(parts) + "."


def writer_tally(answer: Answer) -> str:
    dropped = {
        status: sum(s.status == status for s in answer.writer)
        for status in (UNSUPPORTED, INVENTED, UNCITED)
    }
    names = {UNSUPPORTED: "unsupported", INVENTED: "citing no quote", UNCITED: "uncited"}
    parts = [f"{n} {names[k]}" for k, n in dropped.items() if n]
    return (
        f"The writer model wrote {plural(len(answer.writer), 'sentence')}; "
        f"{len(answer.written)} kept" + (f", dropped: {', '.join(parts)}" if parts else "") + "."
    )


# ---- Markdown (report.md) ----


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _title(text: str, limit: int = 140) -> str:
    text = _md(text).replace('"', "'")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _md_cite(q: Quote, hover: bool = False) -> str:
    """A citation linking the paper; a cited-only sentence shows its words on hover."""
    title = f' "{_title(q.text)}"' if hover else ""
    return f"[{passage(q)}]({ARXIV_ABS}{q.arxiv_id}{title})"


def _md_theme(n: int, theme: ShownTheme) -> list[str]:
    lines = [f"### {n}. {theme.label}", "", stance(theme), ""]
    for q in (q for q in theme.quotes if q.shown):
        lines.append(f"- “{_md(q.text)}” {_md_cite(q)}")
        if q.label in ("SUPPORT", "CONTRADICT") and q.related_arxiv_id:
            how = "Backed by" if q.label == "SUPPORT" else "Contradicted by"
            lines.append(
                f"  - {how} [{q.related_arxiv_id}]({ARXIV_ABS}{q.related_arxiv_id}): "
                f"“{_md(q.related_text or '')}”"
            )
    cited = [q for q in theme.quotes if not q.shown]
    if cited:
        also = ", ".join(_md_cite(q, hover=True) for q in cited)
        lines += ["", f"Also in this theme: {also}."]
    return lines + [""]


def answer_markdown(answer: Answer | None, kept: int) -> list[str]:
    lines = [f"## {HEADING}", "", lead(answer, kept), ""]
    if answer is None or not answer.quotes:
        return lines
    for n, theme in enumerate(answer.themes, start=1):
        lines += _md_theme(n, theme)
    if answer.comparison:
        lines += [
            "### Comparison",
            "",
            "Numbers the cited sentences report (empty cells: the sentence does not name it).",
            "",
            "| Method | Task or dataset | Metric | Value | Source |",
            "|---|---|---|---|---|",
        ]
        by_claim = {q.claim_id: q for q in answer.quotes}
        lines += [
            f"| {_md(r.method)} | {_md(r.dataset)} | {_md(r.metric)} | {_md(r.value)} | "
            f"{_md_cite(by_claim[r.claim_id])} |"
            for r in answer.comparison
        ]
        lines.append("")
    if answer.writer:
        lines += ["### In prose (writer model, checked)", ""]
        lines += [
            " ".join([_md(s.text), *(f"[{c}]" for c in s.cites)]) for s in answer.written
        ] or ["(no written sentence survived the check)"]
        lines += ["", writer_tally(answer), ""]
    return lines


# ---- HTML (record.html) ----


def _html_cite(q: Quote) -> str:
    return arxiv_link(q.arxiv_id, f"[{passage(q)}]")


def _html_theme(n: int, theme: ShownTheme) -> str:
    items = []
    for q in (q for q in theme.quotes if q.shown):
        extra = ""
        if q.label in ("SUPPORT", "CONTRADICT") and q.related_arxiv_id:
            how = "Backed by" if q.label == "SUPPORT" else "Contradicted by"
            other = arxiv_link(q.related_arxiv_id, q.related_arxiv_id)
            extra = f'<br><span class="muted">{how} {other}: “{esc(q.related_text or "")}”</span>'
        items.append(f"<li><q>{esc(q.text)}</q> {_html_cite(q)}{extra}</li>")
    cited = [q for q in theme.quotes if not q.shown]
    also = ""
    if cited:
        links = ", ".join(f'<span title="{esc(q.text)}">{_html_cite(q)}</span>' for q in cited)
        also = f"<p>Also in this theme: {links}.</p>\n"
    return (
        f'<h3 id="theme-{n}">{n}. {esc(theme.label)}</h3>\n'
        + para(stance(theme), "muted")
        + '<ul class="quotes">\n'
        + "\n".join(items)
        + "\n</ul>\n"
        + also
    )


def answer_html(answer: Answer | None, kept: int) -> str:
    body = para(lead(answer, kept))
    if answer is None or not answer.quotes:
        return body
    body += "".join(_html_theme(n, t) for n, t in enumerate(answer.themes, start=1))
    if answer.comparison:
        by_claim = {q.claim_id: q for q in answer.quotes}
        body += "<h3>Comparison</h3>\n" + data_table(
            ("Method", "Task or dataset", "Metric", "Value", "Source"),
            [
                (
                    esc(r.method),
                    esc(r.dataset),
                    esc(r.metric),
                    esc(r.value),
                    _html_cite(by_claim[r.claim_id]),
                )
                for r in answer.comparison
            ],  # fmt: skip
            numeric=(3,),
        )
    if answer.writer:
        sentences = "".join(
            f"<li>{esc(s.text)} " + " ".join(f"<code>{esc(c)}</code>" for c in s.cites) + "</li>"
            for s in answer.written
        )
        body += (
            "<h3>In prose (writer model, checked)</h3>\n"
            + (f"<ol>{sentences}</ol>\n" if sentences else para("No written sentence survived."))
            + para(writer_tally(answer), "muted")
        )
    return body
