"""The record page's figures section: the four inline SVG figures (sovereign.report.figures) with
the captions that say what each shows and where its thresholds come from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..contracts import ROLES
from ..review.types import OVERALL, TRIBUNAL
from . import dotplot, figures
from .histogram import score_histogram
from .html import esc, fmt_param, plural
from .record_sections import section


def role_order(names: Iterable[str]) -> list[str]:
    """The tribunal's roles first, in their fixed order, then any other (sorted); OVERALL last."""
    names = set(names)
    known = [r for r in ROLES if r in names]
    rest = sorted(n for n in names if n not in ROLES and n not in (OVERALL, TRIBUNAL))
    return known + rest + ([OVERALL] if OVERALL in names else [])


def claim_key(claim: dict[str, Any]) -> tuple[str, int, str]:
    return (str(claim["arxiv_id"]), int(claim.get("sentence_index") or 0), str(claim["claim_id"]))


def figures_section(
    record: dict[str, Any],
    papers: list[dict[str, Any]],
    claims: list[dict[str, Any]],
    publish_at: float,
) -> str:
    r = record["retrieval"]
    threshold = float(r["threshold"])
    t = fmt_param(threshold)
    semantic = float(r["semantic_threshold"])
    s = fmt_param(semantic)
    parts = []

    funnel = figures.funnel(
        [
            ("search hits", r["hits"]),
            ("deduplicated papers", r["deduplicated"]),
            ("kept papers", r["kept"]),
            ("claims", r["claims"]),
            ("verified claims", r["verified"]),
        ],
        "Retrieval funnel",
        prefix="fig-funnel",
    )
    parts.append(
        (
            funnel,
            "Figure 1. Retrieval funnel.",
            f"Read top to bottom: {plural(r['hits'], 'search hit')} from "
            f"{plural(r['queries'], 'query', 'queries')} were deduplicated to "
            f"{plural(r['deduplicated'], 'paper')}; {r['kept']:,} were kept "
            f"({r['kept_by_tfidf']:,} reached the TF-IDF threshold {t}, "
            f"{r['kept_by_semantic']:,} the semantic threshold {s}; a paper may reach both"
            + (
                f"; {r['kept_on_full_text']:,} reached neither and were kept on their full "
                "text, a passage of their body passing the same test"
                if r.get("kept_on_full_text")
                else ""
            )
            + "); "
            f"{plural(r['claims'], 'claim')} were extracted from the kept "
            f"papers and {r['verified']:,} verified. Each bar's length is its count relative to "
            "the largest stage; the exact count is printed at its end.",
        )
    )

    ordered = sorted(papers, key=lambda p: p["arxiv_id"])
    rescued = r.get("kept_on_full_text", 0)
    histogram = score_histogram(
        [float(p["tfidf_score"]) for p in ordered],
        [bool(p["kept"]) for p in ordered],
        threshold,
        "TF-IDF relevance of the retrieved papers",
        prefix="fig-scores",
    )
    parts.append(
        (
            histogram,
            "Figure 2. TF-IDF score distribution.",
            f"Each bar counts the {plural(len(papers), 'retrieved paper')} whose TF-IDF "
            "similarity to the question falls in that score bin, kept papers (blue) stacked "
            "under dropped ones (orange); the number above a bar is its total. The dashed line "
            f"is the threshold {t}: papers scoring at or above it are kept, and so are papers "
            f"below it whose semantic score reaches {s} (Figure 3)"
            + (" or whose body was read and passed (kept on full text)." if rescued else "."),
        )
    )
    meaning = score_histogram(
        [max(0.0, float(p["semantic_score"])) for p in ordered],
        [bool(p["kept"]) for p in ordered],
        max(0.0, semantic),
        "Semantic relevance of the retrieved papers",
        prefix="fig-semantic",
        axis="semantic score (encoder cosine)",
    )
    parts.append(
        (
            meaning,
            "Figure 3. Semantic score distribution.",
            f"The same {plural(len(papers), 'paper')} by the cosine of the question and the "
            "paper (title + abstract) in the sentence encoder, which sees an answer in other "
            "words where TF-IDF sees none; negative cosines are counted at 0. Kept papers "
            f"(blue) stacked under dropped ones (orange); the dashed line is the threshold {s}, "
            "fitted on expert-answered questions: papers at or above it are kept, and so are "
            f"papers below it whose TF-IDF score reaches {t}"
            + (" or whose body was read and passed (kept on full text)." if rescued else "."),
        )
    )

    points = [
        (str(c["claim_id"]), float(c["confidence"]), bool(c["verified"]))
        for c in sorted(claims, key=claim_key)
    ]
    confidence = dotplot.confidence_plot(
        points, "Claim confidence, verified and not", prefix="fig-confidence"
    )
    parts.append(
        (
            confidence,
            "Figure 4. Claim confidence by verification.",
            "One dot per extracted claim at its confidence, from 0 to 1: the upper row holds "
            "the verified claims (filled green dots), the lower row the claims not verified "
            "(open vermillion circles); the vertical mark is the row's median. Confidence is the "
            "claim's calibrated probability of being relevant to the question times the "
            "measured probability that it holds given the evidence found in the other kept "
            "papers. A verified claim is grounded in its source span, relevant, and not "
            "contradicted.",
        )
    )

    rounds = record["review"]["rounds"]
    roles = role_order(k for rnd in rounds for k in rnd if k != "round")
    rows = [
        (role, int(rnd["round"]), float(rnd[role]))
        for role in roles
        for rnd in sorted(rounds, key=lambda x: x["round"])
        if role in rnd
    ]
    tribunal = figures.tribunal_chart(
        rows, publish_at, "Tribunal scores by role and round", prefix="fig-tribunal"
    )
    revised = len(rounds) > 1
    parts.append(
        (
            tribunal,
            "Figure 5. Tribunal scores.",
            "Scores out of 10 given by the three rule-based reviewers (SKEPTIC: what is missing "
            "or wrong; VALIDATOR: is every statement grounded; SYNTHESIZER: is each part of the "
            "question answered) and their weighted mean (OVERALL), one bar per review round"
            + (
                "; round 1 reviews the revised synthesis"
                if revised
                else "; there was no revision round"
            )
            + f". The dashed line is the publication threshold {fmt_param(publish_at)}: a final "
            "overall score at or above it gives the verdict PUBLISH.",
        )
    )

    body = "".join(
        f"<figure>\n{svg}<figcaption><strong>{esc(head)}</strong> {esc(text)}</figcaption>\n"
        "</figure>\n"
        for svg, head, text in parts
    )
    return section("figures", body)
