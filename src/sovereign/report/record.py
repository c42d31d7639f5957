"""The public record of one question (`record.json`): the seeds' fields, each from measured figures.

Every field is derived from the stage files, the tribunal's reviews, the correction file and the
config; nothing is hard-coded per question and nothing comes from the clock. The rules that set
the verification level, the quality tier and the four quality dimensions are stated next to the
values (`rule`), so a reader can check them against the figures (`measured`)."""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from ..fulltext.second_look import ABSTRACT_KEPT
from ..search.queries import expand
from .inputs import Inputs
from .provenance import correction_record, gate2, provenance, retraction
from .quality import dimensions, quality_tier

RECORD_CONTRACT = "sovereign-record-v1"
TITLE_LIMIT = 110


def normalize_question(question: str) -> str:
    """The form the record ID hashes: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", question).casefold().split())


def record_id(question: str) -> str:
    """`SRCH:` + the first 8 hex digits, upper case, of sha256 of the normalized question."""
    digest = hashlib.sha256(normalize_question(question).encode("utf-8")).hexdigest()
    return "SRCH:" + digest[:8].upper()


def title_of(question: str) -> str:
    """The question, cut at a word boundary to the seeds' 110 characters."""
    text = " ".join(question.split())
    if len(text) <= TITLE_LIMIT:
        return text
    cut = text[: TITLE_LIMIT - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def query_plan(inp: Inputs) -> list[dict[str, Any]]:
    """The four queries as sent (date limit included), with how many hits each returned."""
    hits = [h["query_index"] for h in inp.hits]
    return [
        {
            "index": q.index,
            "kind": q.kind,
            "query": q.arxiv_query(inp.as_of),
            "hits": hits.count(q.index),
        }
        for q in expand(inp.question)
    ]


def funnel(inp: Inputs) -> dict[str, Any]:
    plan = query_plan(inp)
    return {
        "queries": len(plan),  # sent, whether or not each found anything
        "query_plan": plan,
        "hits": len(inp.hits),
        "deduplicated": len(inp.papers),
        "kept": sum(p["kept"] for p in inp.papers),
        "kept_by_tfidf": sum(p["tfidf_pass"] for p in inp.papers),
        "kept_by_semantic": sum(p["semantic_pass"] for p in inp.papers),
        # kept by neither threshold: a passage of the body passed (the full-text second look)
        "kept_on_full_text": sum(
            p["kept"] and not (p["tfidf_pass"] or p["semantic_pass"]) for p in inp.papers
        ),
        "claims": len(inp.claims),
        "verified": sum(c["verified"] for c in inp.claims),
        "threshold": inp.settings["filter_threshold"],
        "semantic_threshold": inp.settings["semantic_threshold"],
        "keep_rule": "TF-IDF cosine >= threshold, or sentence-encoder cosine >= semantic_threshold"
        "; or, read in full, a passage of the body passing the same rule at the fitted passage "
        "threshold (kept_on_full_text)",
    }


def full_text(inp: Inputs) -> dict[str, Any]:
    """Which kept papers were read in full, and from what (the rest from their abstracts), and
    which were kept on their full text by a second look at the filter's near misses."""
    readings = inp.readings or []
    counts = {k: sum(r.kind == k for r in readings) for k in ("latex", "pdf", "abstract")}
    papers = [
        {
            "arxiv_id": r.arxiv_id,
            "read_from": r.kind,
            "sections": r.sections,
            "source": r.ref,
            "source_sha256": r.sha256,
            "note": r.note,
            "kept_on": r.kept_on,
        }
        for r in readings
    ]
    # the filter dropped these; a passage of their body passed its test (a second look)
    rescued = [r.arxiv_id for r in readings if r.kept_on != ABSTRACT_KEPT]
    return {**counts, "kept_on_full_text": rescued, "papers": papers}


def source_phrase(text: dict[str, Any]) -> str:
    """`parsed source sections (3 LaTeX e-prints, 1 PDF, 30 arXiv abstracts; sentence spans)`."""
    parts = [
        f"{text['latex']} LaTeX e-print{'s' * (text['latex'] != 1)}" if text["latex"] else "",
        f"{text['pdf']} PDF{'s' * (text['pdf'] != 1)}" if text["pdf"] else "",
        f"{text['abstract']} arXiv abstract{'s' * (text['abstract'] != 1)} only"
        if text["abstract"] and (text["latex"] or text["pdf"])
        else "",
    ]
    if not (text["latex"] or text["pdf"]):
        return "parsed source sections (arXiv abstracts, sentence spans)"
    return f"parsed source sections ({', '.join(p for p in parts if p)}; sentence spans)"


def verification(inp: Inputs) -> dict[str, Any]:
    grounded = sum(c["grounded"] for c in inp.claims)
    text = full_text(inp)
    if grounded:
        return {
            "level": "L2",
            "label": "Source-grounded claims",
            "source_grounded_claims": grounded,
            "claim_record_source": source_phrase(text),
            "rule": "L2 when at least one claim is grounded in its source span, else L1",
            "full_text": text,
        }
    return {
        "level": "L1",
        "label": "Literature synthesis",
        "source_grounded_claims": 0,
        "claim_record_source": (
            "none (no claim is grounded in its source span)"
            if inp.claims
            else "none (no claim was extracted from the kept sources)"
        ),
        "rule": "L2 when at least one claim is grounded in its source span, else L1",
        "full_text": text,
    }


def answer_summary(inp: Inputs) -> dict[str, Any]:
    """What the answer at the top of the report rests on, in counts (the writer's dropped
    sentences by reason)."""
    from ..answer.model import INVENTED, KEPT, UNCITED, UNSUPPORTED

    a = inp.answer
    quotes = a.quotes if a is not None else ()
    writer = None
    if a is not None and a.writer:
        writer = {
            "written": len(a.writer),
            "kept": sum(s.status == KEPT for s in a.writer),
            "dropped": {
                reason: sum(s.status == reason for s in a.writer)
                for reason in (INVENTED, UNCITED, UNSUPPORTED)
            },
        }
    return {
        "themes": len(a.themes) if a is not None else 0,
        "quoted": sum(q.shown for q in quotes),
        "cited_papers": len({q.arxiv_id for q in quotes}),
        "verified_sentences": sum(q.verified for q in quotes),
        "contradicted_sentences": sum(q.label == "CONTRADICT" for q in quotes),
        "comparison_rows": len(a.comparison) if a is not None else 0,
        "writer": writer,
    }


def build_record(inp: Inputs) -> dict[str, Any]:
    summary = inp.summary
    verif = verification(inp)
    gate = gate2(inp.corrections, inp.artifacts)
    rounds = [
        {"round": rnd, **{k: v for k, v in sorted(scores.items())}}
        for rnd, scores in sorted(summary.scores.items())
    ]
    return {
        "contract": RECORD_CONTRACT,
        "id": record_id(inp.question),
        "question_id": inp.question_id,
        "title": title_of(inp.question),
        "question": inp.question,
        "submitted": inp.as_of,
        "review": {
            "score": summary.final_score,
            "max_score": 10.0,
            "verdict": summary.verdict,
            "policy": summary.policy,
            "revision_round": summary.final_round,
            "revision": summary.revision,
            "reasons": summary.reasons,
            "rounds": rounds,
        },
        "retrieval": funnel(inp),
        "answer": answer_summary(inp),
        "verification": verif,
        "gate2": gate,
        "quality_tier": quality_tier(
            summary.final_score, inp.settings, retraction(inp.corrections)
        ),
        "quality_dimensions": dimensions(inp, gate),
        "correction_record": correction_record(inp.corrections, inp.corrections_head),
        "provenance": provenance(inp, verif["level"]),
    }
