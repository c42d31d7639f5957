"""The record page's status sections, in the seeds' order: header, contents, abstract, question,
verification level, Gate 2 verdict, quality tier and dimensions, correction record and
provenance, each with its disclaimer.
"""

from __future__ import annotations

import re
from typing import Any

from ..contracts import NOTE
from .html import (
    data_table,
    esc,
    fmt_date,
    fmt_hash,
    fmt_score,
    fmt_value,
    gate_badge,
    humanize,
    kv_table,
    level_badge,
    para,
    tier_badge,
    verdict_badge,
)

DISCLAIMERS = {
    "verification": "Descriptive public verification status only; aggregate claim counts are "
    "public, and the individual claims are listed under Extracted Claims below.",
    "gate_open": "This record has not completed Gate 2 of the verification pipeline (a "
    "sealed-sandbox reproduction of the run, or a type-checked proof for mathematical claims). "
    "It is a literature synthesis only. VERIFIED requires an attached reproducible artifact "
    "before this status can be set; it is not derived from review score or claim count.",
    "gate_verified": "Gate 2 verified this record against an attached reproducible artifact; "
    "the status is not derived from review score or claim count.",
    "tier": "Descriptive public triage only; this tier does not alter current publication or "
    "DOI behavior.",
    "dimensions": "Automated triage signals derived from public fields; not human peer review "
    "or independent validation.",
    "corrections": "Public corrections are additive records. Current status does not claim the "
    "synthesis is error-free.",
    "provenance": NOTE,
}

DIMENSION_NAMES = {
    "evidence_strength": "Evidence strength",
    "citation_grounding": "Citation grounding",
    "uncertainty_disclosure": "Uncertainty disclosure",
    "reproducibility_status": "Reproducibility status",
}

# (section id, heading) in page order; the contents list is built from it.
SECTIONS = (
    ("answer", "Answer"),
    ("abstract", "Abstract"),
    ("question", "Research Question"),
    ("verification", "Verification Level"),
    ("gate", "Truth-Engine Gate Verdict"),
    ("tier", "Quality Tier"),
    ("dimensions", "Quality Dimensions"),
    ("corrections", "Correction Record"),
    ("provenance", "Provenance"),
    ("figures", "Figures"),
    ("claims", "Extracted Claims"),
    ("tribunal", "Tribunal Review"),
    ("references", "References"),
)


def section(sid: str, body: str, disclaimer: str | None = None) -> str:
    heading = dict(SECTIONS)[sid]
    tail = f'<p class="disclaimer">{esc(disclaimer)}</p>\n' if disclaimer else ""
    return f'<section id="{sid}">\n<h2>{esc(heading)}</h2>\n{body}{tail}</section>\n'


def header(record: dict[str, Any]) -> str:
    review, verif = record["review"], record["verification"]
    facts = [
        ("Submitted", fmt_date(record.get("submitted"))),
        ("Review score", esc(fmt_score(review["score"]))),
        ("Verification", esc(f"{verif['level']}, {verif['label']}")),
        ("Gate status", gate_badge(record["gate2"]["status"])),
        ("Quality tier", tier_badge(record["quality_tier"]["tier"])),
        (
            "Tribunal verdict",
            f'{verdict_badge(review["verdict"])} <span class="muted">policy</span> '
            f"{esc(review['policy'])}",
        ),
    ]
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{v}</dd></div>\n" for k, v in facts)
    return (
        "<header>\n"
        f'<p class="record-id">{esc(record["id"])}</p>\n'
        f"<h1>{esc(record['title'])}</h1>\n"
        f'<dl class="facts">\n{items}</dl>\n'
        f'<p class="note">{esc(record["provenance"].get("note", NOTE))}</p>\n'
        "</header>\n"
    )


def contents() -> str:
    items = "".join(f'<li><a href="#{sid}">{esc(title)}</a></li>' for sid, title in SECTIONS)
    return f'<nav aria-label="Contents">\n<ol>{items}</ol>\n</nav>\n'


def abstract_section(abstract: str) -> str:
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", abstract or "")]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return section("abstract", para("No abstract was supplied for this record.", "muted"))
    return section("abstract", "".join(para(p) for p in paragraphs))


def verification_section(record: dict[str, Any]) -> str:
    v = record["verification"]
    rows = [
        ("Paper level", esc(f"{v['level']}, {v['label']}")),
        ("Source-grounded claims", fmt_value(v["source_grounded_claims"])),
        ("Claim record source", esc(v["claim_record_source"])),
        ("Rule", esc(v["rule"])),
    ]
    read_in_full = [
        p for p in v.get("full_text", {}).get("papers", []) if p["read_from"] != "abstract"
    ]
    if read_in_full:
        rows.append(
            (
                "Read in full",
                "; ".join(
                    f"{esc(p['arxiv_id'])} ({esc(p['read_from'])}, {p['sections']} sections)"
                    for p in read_in_full
                ),
            )
        )
    rescued = [
        p for p in v.get("full_text", {}).get("papers", []) if p.get("kept_on") == "full text"
    ]
    if rescued:
        rows.append(
            (
                "Kept on full text",
                "; ".join(f"{esc(p['arxiv_id'])}: {esc(p['note'] or '')}" for p in rescued),
            )
        )
    return section("verification", kv_table(rows), DISCLAIMERS["verification"])


def gate_section(record: dict[str, Any]) -> str:
    g = record["gate2"]
    evaluated = g.get("evaluated")
    rows = [
        ("Status", gate_badge(g["status"])),
        ("Gate", esc(g["gate"])),
        ("Reason", esc(g["reason"])),
        ("Evaluated", esc(evaluated) if evaluated else "Not evaluated"),
    ]
    if g.get("correction_seq") is not None:
        rows.append(("Correction", esc(f"entry {g['correction_seq']} of the correction record")))
    verified = str(g["status"]).upper() == "VERIFIED"
    note = DISCLAIMERS["gate_verified" if verified else "gate_open"]
    return section("gate", kv_table(rows), note)


def tier_section(record: dict[str, Any]) -> str:
    t = record["quality_tier"]
    rows = [
        ("Tier", tier_badge(t["tier"])),
        ("Basis", esc(t["basis"])),
        ("Review score", esc(fmt_score(t["score"]))),
    ]
    return section("tier", kv_table(rows), DISCLAIMERS["tier"])


def dimensions_section(record: dict[str, Any]) -> str:
    rows = []
    dims = record["quality_dimensions"]
    # the seeds' order, whatever order the dict arrives in (record.json is written key-sorted)
    order = [k for k in DIMENSION_NAMES if k in dims] + sorted(set(dims) - set(DIMENSION_NAMES))
    for key in order:
        dim = dims[key]
        measured = "".join(
            f"<li>{esc(humanize(k))}: {fmt_value(v)}</li>"
            for k, v in sorted(dim.get("measured", {}).items())
        )
        rows.append(
            (
                esc(DIMENSION_NAMES.get(key, humanize(key))),
                level_badge(dim["level"]),
                esc(dim["rule"]),
                f'<ul class="measured">{measured}</ul>' if measured else "none",
            )
        )
    if not rows:
        body = para("No quality dimension was assessed.", "muted")
    else:
        body = data_table(
            ("Dimension", "Level", "Rule", "Measured"), rows, widths=("17%", "12%", "", "28%")
        )
    return section("dimensions", body, DISCLAIMERS["dimensions"])


def corrections_section(record: dict[str, Any]) -> str:
    c = record["correction_record"]
    body = kv_table(
        [
            ("Status", esc(c["status"])),
            ("Correction count", fmt_value(c["count"])),
            ("Manifest contract", esc(c["manifest_contract"])),
            ("Correction contract", esc(c["correction_contract"])),
        ]
    )
    entries = sorted(c.get("corrections", []), key=lambda e: (e["seq"], str(e["date"])))
    if entries:
        body += "<h3>Corrections</h3>\n" + data_table(
            ("Entry", "Date", "Kind", "Summary"),
            [
                (esc(e["seq"]), fmt_date(e["date"]), esc(e["kind"]), esc(e["summary"]))
                for e in entries
            ],
            numeric=(0,),
        )
    return section("corrections", body, DISCLAIMERS["corrections"])


def provenance_section(record: dict[str, Any]) -> str:
    p = record["provenance"]
    report = p.get("report_artifact", {})
    artifact = esc(f"{report.get('status', 'Unknown')} ({report.get('path', 'report.md')})")
    if report.get("sha256"):
        artifact += f"<br>sha256 {fmt_hash(report['sha256'])}"
    body = kv_table(
        [
            ("Publisher", esc(p["publisher"])),
            ("Public provenance", esc(p["public_provenance"])),
            ("Report artifact", artifact),
            ("External record", esc(p["external_record"])),
            ("Claim lineage", esc(p["claim_lineage"])),
            ("Review method", esc(p["review_method"])),
            ("Quality guide", esc(p.get("quality_guide", ""))),
            ("Provenance contract", esc(p["provenance_contract"])),
            ("Note", esc(p.get("note", NOTE))),
        ]
    )
    versions = sorted(p.get("versions", {}).items())
    body += "<h3>Package versions</h3>\n"
    body += (
        data_table(("Package", "Version"), [(esc(k), esc(v)) for k, v in versions])
        if versions
        else para("No package versions were recorded.", "muted")
    )
    ledger = p.get("ledger", {})
    body += "<h3>Search ledger</h3>\n"
    if ledger:
        snapshots = ledger.get("snapshot_files", [])
        body += kv_table(
            [
                ("Search entries", fmt_value(ledger.get("search_entries", 0))),
                (
                    "Search keys (sha256 of the sorted list)",
                    fmt_hash(ledger.get("search_keys_sha256", "")),
                ),
                (
                    "Snapshot files",
                    ", ".join(f"<code>{esc(s)}</code>" for s in snapshots) if snapshots else "none",
                ),
            ]
        )
    else:
        body += para("No search ledger was recorded.", "muted")
    stages = sorted(p.get("stage_files", {}).items())
    body += "<h3>Stage files</h3>\n"
    body += (
        data_table(("File", "SHA-256"), [(esc(k), fmt_hash(v)) for k, v in stages])
        if stages
        else para("No stage file hashes were recorded.", "muted")
    )
    methods = sorted(p.get("methods", {}).items())
    if methods:
        body += "<h3>Methods</h3>\n" + kv_table((humanize(k), fmt_value(v)) for k, v in methods)
    return section("provenance", body, DISCLAIMERS["provenance"])
