"""The index page across questions (`results/index.html`): every record's ID, title, score, tier,
verification level and Gate 2 status, with counts per tier.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..contracts import NOTE
from .html import (
    TIERS,
    breakable,
    data_table,
    esc,
    fmt_score,
    gate_badge,
    html_document,
    para,
    plural,
    tier_badge,
    verdict_badge,
)


def _tier_counts(records: Sequence[dict[str, Any]]) -> str:
    counts: dict[str, int] = {t: 0 for t in TIERS}
    for rec in records:
        tier = rec["quality_tier"]["tier"]
        counts[tier] = counts.get(tier, 0) + 1
    order = list(TIERS) + sorted(t for t in counts if t not in TIERS)
    # the review tiers always (a 0 says something), a retraction only when there is one
    shown = [t for t in order if counts[t] or t in TIERS[:3]]
    return ", ".join(f"{counts[t]:,} {t}" for t in shown)


def index_page(entries: list[tuple[str, dict[str, Any]]]) -> str:
    """An index of public records: (relative href of the record page, record) pairs, listed by
    record id, then question id, with a line counting the questions per quality tier."""
    title = "Sovereign research records"
    head = f"<header>\n<h1>{esc(title)}</h1>\n" + para(NOTE, "note") + "</header>\n"
    if not entries:
        body = head + "<main>\n" + para("No records have been published yet.") + "</main>\n"
        return html_document(title, body)
    ordered = sorted(
        entries, key=lambda e: (str(e[1]["id"]), str(e[1].get("question_id", "")), e[0])
    )
    records = [rec for _, rec in ordered]
    summary = para(f"{plural(len(records), 'question')}: {_tier_counts(records)}.", "summary")
    rows = []
    for href, rec in ordered:
        review, verif = rec["review"], rec["verification"]
        rows.append(
            (
                f'<a href="{esc(href)}"><code>{esc(rec["id"])}</code></a>',
                esc(rec["title"]),
                esc(fmt_score(review["score"])),
                tier_badge(rec["quality_tier"]["tier"]),
                esc(verif["level"]),
                gate_badge(rec["gate2"]["status"]),
                f"{verdict_badge(review['verdict'])}<br>{breakable(review['policy'])}",
            )
        )
    table = data_table(
        (
            "Record",
            "Title",
            "Score",
            "Quality tier",
            "Level",
            "Gate 2",
            "Verdict / policy",
        ),
        rows,
        numeric=(2,),
        wide=(1,),
    )
    levels = sorted({(r["verification"]["level"], r["verification"]["label"]) for r in records})
    legend = para(
        "Score: the review score out of 10. Level: the verification level ("
        + "; ".join(f"{level}, {label}" for level, label in levels)
        + "). Gate 2: the sandbox-reproduction verdict.",
        "disclaimer",
    )
    body = head + "<main>\n" + summary + table + legend + "</main>\n"
    return html_document(title, body)
