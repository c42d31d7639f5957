"""report.md: the research draft in the seeds' form, written from the stage files alone.

Title, abstract, introduction, methodology, results, uncertainties, extracted claims and
references. The abstract says what the evidence shows (the verified claims) and what it does not
(unanswered parts, missing entities and terms); the uncertainties are the tribunal's findings and
the measured limits of the models, never boilerplate.
"""

from __future__ import annotations

from typing import Any

from ..answer.model import Answer
from ..review.rows import Summary
from .answer_section import answer_markdown
from .quality import gap_line

MONTHS = (
    "January February March April May June July August September October November December"
).split()


def long_date(iso: str) -> str:
    """`2026-05-29` as `May 29, 2026` (no locale: the same text everywhere)."""
    year, month, day = iso[:10].split("-")
    return f"{MONTHS[int(month) - 1]} {int(day)}, {year}"


def _cell(text: str) -> str:
    """Table-safe text: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _gaps(summary: Summary) -> list[dict[str, Any]]:
    """Final-round findings that are gaps (not confirmations), fatal first."""
    order = {"fatal": 0, "major": 1, "minor": 2}
    found = [f for f in summary.findings[summary.final_round] if f["severity"] in order]
    return sorted(found, key=lambda f: (order[f["severity"]], f["role"], f["seq"]))


NOT_SHOWN = ("part_unanswered", "part_partial", "missing_entities", "no_relevant_claims")


def abstract(
    record: dict[str, Any], papers: list[dict[str, Any]], claims: list[dict], summary: Summary
) -> str:
    r = record["retrieval"]
    kept = [p for p in papers if p["kept"]]
    head = (
        f"{r['queries']} arXiv queries returned {r['hits']} hits ({r['deduplicated']} distinct "
        f"papers); {r['kept']} were kept (TF-IDF cosine at least {r['threshold']:g}, or "
        f"sentence-encoder cosine at least {r['semantic_threshold']:g}"
        + (
            f"; {r['kept_on_full_text']} of them on their full text, a passage of the body "
            "passing the same test"
            if r.get("kept_on_full_text")
            else ""
        )
        + ")."
    )
    verdict = (
        f"The automated tribunal scored the synthesis {summary.final_score:.1f}/10 "
        f"({summary.verdict}; policy {summary.policy})."
    )
    gaps = _gaps(summary)
    if not kept:
        best = max(papers, key=lambda p: (p["semantic_score"], p["arxiv_id"]), default=None)
        best_text = (
            f" The closest, {best['arxiv_id']} ({_clip(best['title'], 90)}), scores "
            f"{best['semantic_score']:.3f} (semantic) and {best['tfidf_score']:.3f} (TF-IDF)."
            if best
            else ""
        )
        missing = [g for g in gaps if g["criterion"] in ("missing_entities", "missing_terms")]
        lacking = " ".join(g["finding"] for g in missing)
        return (
            f"No source addresses this question. {head}{best_text} {lacking} The evidence "
            f"therefore shows nothing about the question, and no claim is drawn from it. "
            f"{verdict}"
        ).replace("  ", " ")
    verified = sorted(
        (c for c in claims if c["verified"]), key=lambda c: (-c["confidence"], c["claim_id"])
    )
    papers_v = len({c["arxiv_id"] for c in verified})
    body = sum(int(c.get("section_index") or 0) > 0 for c in claims)
    where = (
        f"their abstracts and full texts ({body} from body sections)"
        if body
        else ("their abstracts")
    )
    shows = (
        f"{len(claims)} claims were extracted from {where} and {len(verified)} verified "
        f"(grounded, relevant, not contradicted) across {papers_v} "
        f"{'paper' if papers_v == 1 else 'papers'}."
    )
    if verified:
        quoted = "; ".join(f'"{_clip(c["claim"], 140)}" [{c["claim_id"]}]' for c in verified[:3])
        shows += f" The evidence shows: {quoted}."
    else:
        shows += " No claim is verified, so the evidence shows no answer to the question."
    not_shown = [
        g["finding"].removesuffix(" (disclosed)") for g in gaps if g["criterion"] in NOT_SHOWN
    ]
    does_not = f" It does not show: {' '.join(not_shown)}" if not_shown else ""
    caveats = [
        g["finding"].removesuffix(" (disclosed)")
        for g in gaps
        if g["criterion"] in ("single_source", "contradictions")
    ]
    unverified = len(claims) - len(verified)
    if unverified:
        caveats.append(
            f"{unverified} of {len(claims)} extracted claims are unverified and support nothing."
        )
    caveat = f" Caveats: {' '.join(caveats)}" if caveats else ""
    return f"{head} {shows}{does_not}{caveat} {verdict}"


def _methodology(record: dict[str, Any]) -> list[str]:
    m = record["provenance"]["methods"]
    s, e, v = m["search"], m["embed"], m["verifier"]
    return [
        f"Multi-query arXiv search ({record['retrieval']['queries']} queries: keywords, key "
        f"phrases, named entities, broad topic; relevance-sorted; up to {s['max_results']} "
        f"results each; backend `{s['backend']}`; papers submitted by {record['submitted']}).",
        f"Filter: a paper is kept when the TF-IDF cosine of the question and its title + "
        f"abstract (word unigrams and bigrams) reaches {record['retrieval']['threshold']:g}, "
        f"or their cosine in the sentence encoder reaches "
        f"{record['retrieval']['semantic_threshold']:g} (fitted on expert-answered questions).",
        f"Semantic index: {e['backend']} `{e['model']}` (dim={e['dimension']}).",
        "Claims: comparison, measurement and finding sentences of the kept abstracts, and "
        "relevant statements of their full texts where read (see the limits below), each tied "
        "to its section and character span; evidence from the nearest other kept papers "
        f"judged by the verifier (mean held-out macro-F1 {v['macro_f1']:.3f}); relevance "
        "P(relevant) fitted on expert question-to-evidence data "
        f"(threshold {v['relevance_threshold']:g}).",
        "Tribunal: three rule-based reviewers (SKEPTIC / VALIDATOR / SYNTHESIZER) with "
        "itemized findings; overall = weighted mean ("
        + ", ".join(f"{k} {w:g}" for k, w in m["review"]["weights"].items())
        + f"); revision round "
        f"if the score is below {m['review']['revise_below']:g}.",
    ]


def _read(record: dict[str, Any]) -> str:
    """What the claims were read from: abstracts only, or how many papers in full."""
    text = record["verification"].get("full_text") or {"latex": 0, "pdf": 0, "abstract": 0}
    full = text["latex"] + text["pdf"]
    if not full:
        return "Claims come from abstracts only, not full texts."
    rescued = text.get("kept_on_full_text") or []
    second = (
        f" {len(rescued)} of them ({', '.join(rescued)}) the filter had dropped on their "
        "abstracts; a second look kept them because a passage of their body passes its test."
        if rescued
        else ""
    )
    return (
        f"Claims come from the full texts of {full} kept papers ({text['pdf']} of them from "
        f"PDFs, the weaker kind) and from the abstracts of the other {text['abstract']}.{second}"
    )


def _uncertainties(record: dict[str, Any], claims: list[dict], summary: Summary) -> list[str]:
    out = []
    for g in _gaps(summary):
        evidence = ", ".join(g["evidence"][:8]) + (" …" if len(g["evidence"]) > 8 else "")
        out.append(gap_line(g) + (f" Evidence: {evidence}." if evidence else ""))
    unverified = [c for c in claims if not c["verified"]]
    if unverified:
        out.append(
            f"{len(unverified)} of {len(claims)} extracted claims are not verified; their "
            "confidence (below) is low for that reason."
        )
    single = {c["arxiv_id"] for c in claims if c["verified"]}
    if len(single) == 1:
        out.append(f"Every verified claim rests on one paper ({next(iter(single))}).")
    v = record["provenance"]["methods"]["verifier"]
    out.append(
        f"Measured limits: the evidence verifier's held-out macro-F1 is {v['macro_f1']:.3f}; "
        f"the relevance model's held-out AUC is {v['relevance_auc']:.3f}. {_read(record)} "
        "Whether a claim answers the question is judged by its words (terms, entities), not "
        "by its meaning."
    )
    return out


def render_report(
    record: dict[str, Any],
    papers: list[dict[str, Any]],
    claims: list[dict[str, Any]],
    summary: Summary,
    text_abstract: str,
    answer: Answer | None = None,
) -> str:
    r = record["retrieval"]
    kept = sorted(
        (p for p in papers if p["kept"]), key=lambda p: (-p["semantic_score"], p["arxiv_id"])
    )
    escalate = summary.policy == "ESCALATE_TO_OWNER"
    lines = [
        f"# SOVEREIGN: {record['title']}",
        "",
        f"SOVEREIGN Research Kernel · {record['id']}",
        "",
        "Autonomous draft — Owner review required before publication"
        if escalate
        else f"Autonomous draft — tribunal policy {summary.policy}",
        "",
        long_date(record["submitted"]),
        "",
        f"Question: {record['question']}",
        "",
        *answer_markdown(answer, len(kept)),
        "## Abstract",
        "",
        text_abstract,
        "",
        "## 1 Introduction",
        "",
        f"Research goal: {record['question']}",
        "",
    ]
    if kept:
        titles = "; ".join(f"{p['title']} ({p['arxiv_id']})" for p in kept[:5])
        more = f" and {len(kept) - 5} more" if len(kept) > 5 else ""
        lines.append(f"Analysis of: {titles}{more}.")
    else:
        lines.append("Analysis of: no source (no retrieved paper reached either threshold).")
    lines += ["", "## 2 Methodology", ""]
    lines += [f"- {m}" for m in _methodology(record)]
    lines += ["", "| # | Query kind | Query sent | Hits |", "|---|---|---|---|"]
    lines += [
        f"| {q['index']} | {q['kind']} | `{_cell(q['query'])}` | {q['hits']} |"
        for q in r["query_plan"]
    ]
    rounds = record["review"]["rounds"]
    lines += [
        "",
        "## 3 Results",
        "",
        f"{r['hits']} hits from {r['queries']} queries, {r['deduplicated']} distinct papers, "
        f"{r['kept']} kept. {r['claims']} claims extracted, {r['verified']} verified. "
        f"Tribunal: {summary.final_score:.1f}/10 → {summary.verdict} "
        f"(revision_round={summary.final_round}). Policy: {summary.policy}.",
        "",
        "| Round | SKEPTIC | VALIDATOR | SYNTHESIZER | Overall |",
        "|---|---|---|---|---|",
    ]
    for rnd in rounds:
        lines.append(
            f"| {rnd['round']} | {rnd['SKEPTIC']:.2f} | {rnd['VALIDATOR']:.2f} | "
            f"{rnd['SYNTHESIZER']:.2f} | {rnd['OVERALL']:.1f} |"
        )
    if summary.revision:
        lines += ["", f"Revision: {summary.revision}."]
    lines += ["", "## 4 Uncertainties", ""]
    lines += [f"- {u}" for u in _uncertainties(record, claims, summary)]
    dropped = set(summary.dropped)
    lines += [
        "",
        "## 5 Extracted Claims",
        "",
        "| Claim | Verified | Confidence | Source |",
        "|---|---|---|---|",
    ]
    for c in sorted(claims, key=lambda c: (-c["confidence"], c["claim_id"])):
        mark = "✓" if c["verified"] else "×"
        note = " (dropped in revision)" if c["claim_id"] in dropped else ""
        lines.append(
            f"| {_cell(_clip(c['claim'], 200))} | {mark} | {c['confidence']:.2f} | "
            f"{c['claim_id']}{note} |"
        )
    if not claims:
        lines.append("| (no claim extracted) | | | |")
    lines += ["", "## References", ""]
    lines += [
        f"- <https://arxiv.org/abs/{p['arxiv_id']}> {_cell(p['title'])} (TF-IDF "
        f"{p['tfidf_score']:.3f}, semantic {p['semantic_score']:.3f})"
        for p in kept
    ] or ["- (none: no source was kept)"]
    return "\n".join(lines) + "\n"
