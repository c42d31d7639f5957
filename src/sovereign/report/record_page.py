"""The public record of one question as a self-contained HTML5 page (`record.html`): the status
sections, the figures, the extracted claims with their evidence, the tribunal's findings round
by round (read through sovereign.review.rows) and the references.
"""

from __future__ import annotations

from typing import Any

from ..answer.model import Answer
from ..review.rows import Summary
from ..review.types import OVERALL
from .answer_section import answer_html
from .html import (
    arxiv_link,
    breakable,
    data_table,
    esc,
    fmt_fixed,
    fmt_param,
    fmt_score,
    html_document,
    kv_table,
    para,
    plural,
    severity_badge,
    verdict_badge,
)
from .record_figures import claim_key, figures_section, role_order
from .record_sections import (
    NOTE,
    abstract_section,
    contents,
    corrections_section,
    dimensions_section,
    gate_section,
    header,
    provenance_section,
    section,
    tier_section,
    verification_section,
)


def _evidence(claim: dict[str, Any]) -> str:
    label = str(claim.get("evidence_label") or "NEUTRAL")
    other = {
        "SUPPORT": claim.get("support_arxiv_id"),
        "CONTRADICT": claim.get("contradict_arxiv_id"),
    }.get(label)
    text = esc(label)
    if other:
        text += f' <span class="muted">({_ref_link(other)})</span>'
    return text


def _ref_link(arxiv_id: str) -> str:
    return f'<a href="#ref-{esc(arxiv_id)}">{esc(arxiv_id)}</a>'


def _claims(record: dict[str, Any], claims: list[dict[str, Any]]) -> str:
    r = record["retrieval"]
    if not claims:
        why = (
            "no paper reached the TF-IDF or the semantic threshold, so there was nothing to "
            "extract claims from."
            if not r["kept"]
            else f"the {plural(r['kept'], 'kept paper')} state no checkable claim (no "
            "comparison, measured result, reported finding or relevant statement in their "
            "abstracts)."
        )
        return section("claims", para("No claim was extracted: " + why, "muted"))
    verified = sum(bool(c["verified"]) for c in claims)
    papers = len({c["arxiv_id"] for c in claims})
    intro = para(
        f"{plural(len(claims), 'claim')} from {plural(papers, 'kept paper')}; "
        f"{verified:,} verified. Each claim is a sentence of its paper's abstract or, where the "
        "paper was read in full, of a section of its body, quoted as it stands. Evidence is the "
        "verifier's verdict on the nearest sentences of the other kept papers: SUPPORT, "
        "CONTRADICT, or NEUTRAL when nothing bears on it."
    )
    rows = [
        (
            f"<code>{esc(c['claim_id'])}</code>",
            esc(c["claim"]),
            _ref_link(c["arxiv_id"]),
            '<span class="yes">✓ yes</span>' if c["verified"] else '<span class="no">✗ no</span>',
            fmt_fixed(c["confidence"]),
            _evidence(c),
        )
        for c in sorted(claims, key=claim_key)
    ]
    table = data_table(
        ("Claim", "Statement", "Paper", "Verified", "Confidence", "Evidence"),
        rows,
        numeric=(4,),
        widths=("13%", "", "12%", "10%", "11%", "14%"),
    )
    return section("claims", intro + table)


def _tribunal(record: dict[str, Any], summary: Summary | None) -> str:
    review = record["review"]
    body = para(
        "Three rule-based reviewers read the stage outputs and itemize their findings, each "
        "naming its evidence (claim ids, paper ids, missing terms) and the points it costs the "
        "reviewer's score out of 10. An overall score below the revision threshold, without a "
        "fatal finding, triggers one revision round that drops the unverified claims and "
        "discloses every gap found; the final round's score gives the verdict."
    )
    decision = [
        ("Verdict", verdict_badge(review["verdict"])),
        ("Policy", esc(review["policy"])),
        ("Final score", esc(fmt_score(review["score"]))),
        ("Final round", esc(review["revision_round"])),
        (
            "Reasons",
            "<br>".join(esc(x) for x in review.get("reasons", [])) or "none",
        ),
    ]
    if review.get("revision"):
        decision.insert(4, ("Revision", esc(review["revision"])))
    body += "<h3>Decision</h3>\n" + kv_table(decision)

    rounds = (
        []
        if summary is None
        else [
            rnd
            for rnd in sorted(summary.scores)
            if set(summary.scores[rnd]) - {OVERALL} or summary.findings.get(rnd)
        ]
    )
    if not rounds:
        body += para("No tribunal findings were supplied with this record.", "muted")
        return section("tribunal", body)
    for rnd in rounds:
        title = f"Round {rnd}" + (" (after revision)" if rnd > 0 else "")
        body += f"<h3>{esc(title)}</h3>\n"
        scores = summary.scores[rnd]
        if OVERALL in scores:
            body += para(f"Overall score {fmt_score(scores[OVERALL])}.")
        in_round = summary.findings.get(rnd, [])
        reviewers = summary.reviewer.get(rnd, {})
        for role in role_order(
            [*(r for r in scores if r != OVERALL), *(f["role"] for f in in_round)]
        ):
            heading = role
            if role in scores:
                heading += f" — {fmt_score(scores[role])}"
                if reviewers.get(role, "rules") != "rules":
                    heading += f" (reviewer {reviewers[role]})"
            body += f"<h4>{esc(heading)}</h4>\n"
            findings = sorted((f for f in in_round if f["role"] == role), key=lambda f: f["seq"])
            if not findings:
                body += para("No findings.", "muted")
                continue
            body += data_table(
                ("#", "Criterion", "Severity", "Finding", "Evidence", "Points off"),
                [
                    (
                        esc(f["seq"]),
                        f"<code>{breakable(f['criterion'])}</code>",
                        severity_badge(f["severity"]),
                        esc(f["finding"]),
                        ", ".join(esc(e) for e in f.get("evidence") or []) or "—",
                        fmt_fixed(f["points"]),
                    )
                    for f in findings
                ],
                numeric=(0, 5),
                widths=("5%", "17%", "10%", "", "20%", "8%"),
            )
        if rnd == 0 and summary.revision is not None:
            body += para(f"Revision after round {rnd}: {summary.revision}.")
    return section("tribunal", body)


def _references(record: dict[str, Any], papers: list[dict[str, Any]]) -> str:
    kept = sorted((p for p in papers if p["kept"]), key=lambda p: p["arxiv_id"])
    dropped = sorted(
        (p for p in papers if not p["kept"]),
        key=lambda p: (-p["semantic_score"], -p["tfidf_score"], p["arxiv_id"]),
    )
    threshold = fmt_param(record["retrieval"]["threshold"])
    semantic = fmt_param(record["retrieval"]["semantic_threshold"])
    if kept:
        items = []
        for p in kept:
            authors = list(p.get("authors") or [])
            who = ", ".join(authors[:3]) + (" et al." if len(authors) > 3 else "")
            year = str(p.get("published") or "")[:4]
            title = " ".join(str(p["title"]).split())
            # (plain text, its HTML): a full stop after each part unless it ends in one already
            bits = [(title, f"<cite>{esc(title)}</cite>"), (who, esc(who)), (year, esc(year))]
            cite = "".join(
                html + ("" if text.endswith((".", "?", "!")) else ".") + " "
                for text, html in bits
                if text
            )
            cite += arxiv_link(p["arxiv_id"])
            cite += (
                f' <span class="muted">(TF-IDF {fmt_fixed(p["tfidf_score"], 3)}, '
                f"semantic {fmt_fixed(p['semantic_score'], 3)})</span>"
            )
            items.append(f'<li id="ref-{esc(p["arxiv_id"])}">{cite}</li>\n')
        body = (
            para(
                f"The {plural(len(kept), 'paper')} kept at the TF-IDF threshold {threshold} or "
                f"the semantic threshold {semantic}, by arXiv id. Links lead to the arXiv "
                "abstract pages; nothing is loaded from them when this page is opened."
            )
            + f'<ol class="references">\n{"".join(items)}</ol>\n'
        )
    else:
        body = para(
            f"No retrieved paper reached the TF-IDF threshold {threshold} or the semantic "
            f"threshold {semantic}, so the synthesis cites no source.",
            "muted",
        )
    if dropped:
        body += "<h3>Retrieved but not kept</h3>\n" + data_table(
            ("arXiv id", "Title", "TF-IDF score", "Semantic score"),
            [
                (
                    arxiv_link(p["arxiv_id"], p["arxiv_id"]),
                    esc(p["title"]),
                    fmt_fixed(p["tfidf_score"], 3),
                    fmt_fixed(p["semantic_score"], 3),
                )
                for p in dropped
            ],
            numeric=(2, 3),
        )
    plan = record["retrieval"].get("query_plan", [])
    if plan:
        body += "<h3>Queries sent</h3>\n" + data_table(
            ("#", "Kind", "arXiv query (date limit included)", "Hits"),
            [
                (str(q["index"]), esc(q["kind"]), f"<code>{esc(q['query'])}</code>", str(q["hits"]))
                for q in plan
            ],
            numeric=(0, 3),
        )
    return section("references", body)


def record_page(
    record: dict[str, Any],
    papers: list[dict[str, Any]],
    claims: list[dict[str, Any]],
    summary: Summary | None,
    abstract: str,
    *,
    publish_at: float,
    answer: Answer | None = None,
) -> str:
    """The public record of one question as a self-contained HTML5 document (`record.html`).

    `record` is `record.build_record`'s dict; `papers` the filtered stage rows (kept or
    not), `claims` the claims rows, `summary` the tribunal's outcome as read from reviews.parquet
    (None: no review),
    `abstract` a paragraph of text (blank lines separate paragraphs). `publish_at` is the
    review score that publishes, drawn as the tribunal chart's threshold. `answer` (the answer
    stage's) opens the page.
    """
    kept = sum(bool(p["kept"]) for p in papers)
    body = (
        header(record)
        + contents()
        + "<main>\n"
        + section("answer", answer_html(answer, kept))
        + abstract_section(abstract)
        + section("question", para(record["question"]))
        + verification_section(record)
        + gate_section(record)
        + tier_section(record)
        + dimensions_section(record)
        + corrections_section(record)
        + provenance_section(record)
        + figures_section(record, papers, claims, publish_at)
        + _claims(record, claims)
        + _tribunal(record, summary)
        + _references(record, papers)
        + "</main>\n"
        + "<footer>\n"
        + para(f"{record['id']} · {record.get('contract', 'record')} · {NOTE}")
        + "</footer>\n"
    )
    return html_document(f"{record['id']} — {record['title']}", body)
