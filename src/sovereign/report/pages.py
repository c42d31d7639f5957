"""The public record of a question as one self-contained HTML page, and an index across questions.

`record_page` renders `record.json` (sovereign.public_record) with the stage rows behind it: the
seeds' sections in the seeds' order (header, Abstract, Research Question, Verification Level,
Truth-Engine Gate Verdict, Quality Tier, Quality Dimensions, Correction Record, Provenance), each
with its one-line disclaimer, then the evidence a reader can check them against: four figures
(sovereign.figures), the extracted claims, the tribunal's findings and the references.

The pages are made to be archived and opened offline:

- self-contained: one inline `<style>`, no script, no stylesheet, font, image or frame to fetch;
  the only URLs are the references' links to arXiv abstract pages (`<a href>`, never loaded) and
  the SVG namespace;
- every string from a record or a row goes through `esc` (html.escape, quotes included);
- byte-deterministic: no clock (the only dates are the record's), every order is a sort or the
  record's own, every number has a fixed format;
- readable and accessible: system-ui font, at most 960px wide, bordered zebra tables whose
  headers carry `scope`, headings in order, every figure in a `<figure>` with a `<figcaption>`
  saying how to read it, levels shown as coloured badges that also spell the level out, and a
  print stylesheet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from ..review.types import ROLES, TRIBUNAL, Settings
from . import figures

ARXIV_ABS = "https://arxiv.org/abs/"
TIERS = ("Reviewed synthesis", "Provisional", "Quarantine candidate", "Retracted")
OVERALL = "OVERALL"
PUBLISH_AT = Settings().publish_at  # the tribunal's default; record.json does not carry it
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
NOTE = "Machine-generated synthesis of existing literature. Not primary research."

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

# Badge colours: dark text on a light fill (contrast above 7:1) and a border, so a badge stays
# a badge in greyscale print; the text always names the level, the colour only repeats it.
STYLE = """
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:#1b1b1b;font:16px/1.55 system-ui,-apple-system,"Segoe UI",\
Roboto,"Helvetica Neue",Arial,sans-serif}
.page{max-width:960px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.6rem;line-height:1.3;margin:.2em 0 .6em}
h2{font-size:1.3rem;margin:2.2em 0 .6em;padding-bottom:.2em;border-bottom:2px solid #d0d7de}
h3{font-size:1.1rem;margin:1.6em 0 .5em}
h4{font-size:1rem;margin:1.3em 0 .4em}
p{margin:.5em 0}
a{color:#0b57a4}
code{font:.9em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code.hash{word-break:break-all}
.record-id{margin:0;font:600 .95rem ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;\
color:#444}
.note{margin:.4em 0 1em;padding:.5em .8em;border-left:4px solid #8a6d00;background:#fff8e0}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:8px 16px;\
margin:0 0 1em;padding:12px 16px;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa}
.facts div{margin:0}
.facts dt{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#555}
.facts dd{margin:0;font-weight:600}
.facts dd .muted{font-weight:400}
nav ol{margin:.4em 0 0;padding-left:1.4em;columns:2 220px;font-size:.95rem}
table{width:100%;border-collapse:collapse;margin:.6em 0;font-size:.93rem}
th,td{border:1px solid #c8ced6;padding:6px 9px;text-align:left;vertical-align:top;\
overflow-wrap:break-word}
thead th{background:#e9edf1}
tbody th{background:#f3f5f7;font-weight:600;width:26%}
table.data tbody th{width:auto}
.scroll{overflow-x:auto}
td.wide{min-width:16em}
tbody tr:nth-child(even) td{background:#f8f9fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.disclaimer{font-size:.88rem;color:#555;font-style:italic}
.muted{color:#555}
.badge{display:inline-block;padding:0 .5em;border:1px solid;border-radius:4px;font-size:.85em;\
font-weight:700;letter-spacing:.02em;white-space:nowrap}
.level-high{background:#dcf3e4;color:#0a4d22;border-color:#1f7a3f}
.level-medium{background:#fff0c2;color:#5a4300;border-color:#a07800}
.level-low{background:#fde0dc;color:#7d1a10;border-color:#b3261e}
.level-fatal{background:#7d1a10;color:#fff;border-color:#4a0d07}
.level-neutral{background:#eceff3;color:#2f3a45;border-color:#7a8794}
.yes{color:#0a4d22;font-weight:700}
.no{color:#7d1a10;font-weight:700}
ul.measured{margin:0;padding-left:1.1em}
figure{margin:1.4em 0;padding:12px;border:1px solid #d0d7de;border-radius:6px}
figure svg{display:block;margin:0 auto}
.figure{max-width:100%;height:auto}
figcaption{margin-top:.6em;font-size:.9rem;color:#333}
figcaption strong{color:#1b1b1b}
ol.references li{margin:.5em 0}
footer{margin-top:3em;padding-top:.8em;border-top:1px solid #d0d7de;font-size:.85rem;color:#555}
@media print{
body{font-size:11pt}
.page{max-width:none;padding:0}
nav{display:none}
a{color:inherit;text-decoration:none}
h2,h3,h4{break-after:avoid}
figure,tr,.facts{break-inside:avoid}
tbody tr:nth-child(even) td,.facts,thead th,tbody th{background:none}
}
"""

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- text and numbers ---------------------------------------------------------------------------


def esc(value: object) -> str:
    """Text safe in element content and quoted attributes (control characters dropped)."""
    return escape(_CONTROL.sub("", str(value)), quote=True)


def _score(value: float) -> str:
    """A review score as the seeds write it: 4.50/10."""
    return f"{float(value):.2f}/10"


def _fixed(value: float, places: int = 2) -> str:
    s = f"{float(value):.{places}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def _param(value: float) -> str:
    """A setting as people write it: 0.15, 6.5 (at most three decimals)."""
    s = _fixed(value, 3).rstrip("0").rstrip(".")
    return s or "0"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _date(iso: str | None) -> str:
    """`2026-07-31` as `<time>` reading 31 July 2026 (fixed month names, no locale)."""
    if not iso:
        return "not recorded"
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(iso)[:10])
    if not match or not 1 <= int(match[2]) <= 12:
        return esc(iso)
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    return f'<time datetime="{esc(iso)}">{day} {MONTHS[month - 1]} {year}</time>'


def _value(value: Any) -> str:
    """A measured figure: yes/no, an integer, a float to 2 decimals, a list, or text."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return _fixed(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(esc(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return esc(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))
    return esc(value)


LABELS = {"gate2_status": "Gate 2 status", "synthesizer_score": "SYNTHESIZER score"}


def _humanize(key: str) -> str:
    if key in LABELS:
        return LABELS[key]
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _badge(text: str, kind: str) -> str:
    return f'<span class="badge level-{kind}">{esc(text)}</span>'


def level_badge(level: str) -> str:
    """LOW / MEDIUM / HIGH as a coloured badge that spells the level out."""
    kind = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}.get(str(level).upper(), "neutral")
    return _badge(level, kind)


def tier_badge(tier: str) -> str:
    kind = {TIERS[0]: "high", TIERS[1]: "medium", TIERS[2]: "low", TIERS[3]: "fatal"}.get(
        tier, "neutral"
    )
    return _badge(tier, kind)


def gate_badge(status: str) -> str:
    kind = {"VERIFIED": "high", "FAILED": "low"}.get(str(status).upper(), "neutral")
    return _badge(str(status).capitalize(), kind)


def verdict_badge(verdict: str) -> str:
    kind = {"PUBLISH": "high", "REVISE": "medium", "REJECT": "low"}.get(verdict, "neutral")
    return _badge(verdict or "none", kind)


def severity_badge(severity: str) -> str:
    kind = {"fatal": "fatal", "major": "low", "minor": "medium"}.get(severity, "neutral")
    return _badge(severity, kind)


def _arxiv_link(arxiv_id: str, text: str | None = None) -> str:
    href = ARXIV_ABS + quote(str(arxiv_id), safe="/")
    return f'<a href="{esc(href)}">{esc(text if text is not None else "arXiv:" + arxiv_id)}</a>'


def _breakable(text: str) -> str:
    """Escaped, with a line-break opportunity after each underscore (ESCALATE_TO_OWNER)."""
    return esc(text).replace("_", "_<wbr>")


def _hash(digest: str) -> str:
    """A sha256 in monospace, breakable anywhere so that it never widens its table."""
    return f'<code class="hash">{esc(digest)}</code>'


# --- building blocks ----------------------------------------------------------------------------


def _kv_table(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table: an escaped label (a row header) and a value given as HTML."""
    body = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{v}</td></tr>\n' for k, v in rows)
    return f'<table class="kv">\n<tbody>\n{body}</tbody>\n</table>\n'


def _data_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[int] = (),
    widths: Sequence[str] | None = None,
    wide: Sequence[int] = (),
) -> str:
    """A table with a header row; cells are HTML; columns in `numeric` are right-aligned,
    `widths` (CSS widths, "" for auto) set the columns' shares, columns in `wide` are kept at
    least 16em wide (the table scrolls sideways on a narrow screen instead)."""

    def cls(i: int) -> str:
        names = (["num"] if i in numeric else []) + (["wide"] if i in wide else [])
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(f'<th scope="col"{cls(i)}>{esc(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>\n"
        for row in rows
    )
    cols = ""
    if widths:
        cols = "<colgroup>" + "".join(f'<col style="width:{w}">' if w else "<col>" for w in widths)
        cols += "</colgroup>\n"
    return (
        f'<div class="scroll"><table class="data">\n{cols}<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}</tbody>\n</table></div>\n"
    )


def _section(sid: str, body: str, disclaimer: str | None = None) -> str:
    heading = dict(SECTIONS)[sid]
    tail = f'<p class="disclaimer">{esc(disclaimer)}</p>\n' if disclaimer else ""
    return f'<section id="{sid}">\n<h2>{esc(heading)}</h2>\n{body}{tail}</section>\n'


def _p(text: str, cls: str | None = None) -> str:
    """A paragraph of escaped text."""
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{esc(text)}</p>\n"


def _document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light">\n'
        f"<title>{esc(title)}</title>\n"
        f"<style>{STYLE}</style>\n"
        "</head>\n<body>\n"
        f'<div class="page">\n{body}</div>\n'
        "</body>\n</html>\n"
    )


# --- the record page ----------------------------------------------------------------------------


def _header(record: dict[str, Any]) -> str:
    review, verif = record["review"], record["verification"]
    facts = [
        ("Submitted", _date(record.get("submitted"))),
        ("Review score", esc(_score(review["score"]))),
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


def _contents() -> str:
    items = "".join(f'<li><a href="#{sid}">{esc(title)}</a></li>' for sid, title in SECTIONS)
    return f'<nav aria-label="Contents">\n<ol>{items}</ol>\n</nav>\n'


def _abstract(abstract: str) -> str:
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", abstract or "")]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return _section("abstract", _p("No abstract was supplied for this record.", "muted"))
    return _section("abstract", "".join(_p(p) for p in paragraphs))


def _verification(record: dict[str, Any]) -> str:
    v = record["verification"]
    rows = [
        ("Paper level", esc(f"{v['level']}, {v['label']}")),
        ("Source-grounded claims", _value(v["source_grounded_claims"])),
        ("Claim record source", esc(v["claim_record_source"])),
        ("Rule", esc(v["rule"])),
    ]
    return _section("verification", _kv_table(rows), DISCLAIMERS["verification"])


def _gate(record: dict[str, Any]) -> str:
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
    return _section("gate", _kv_table(rows), note)


def _tier(record: dict[str, Any]) -> str:
    t = record["quality_tier"]
    rows = [
        ("Tier", tier_badge(t["tier"])),
        ("Basis", esc(t["basis"])),
        ("Review score", esc(_score(t["score"]))),
    ]
    return _section("tier", _kv_table(rows), DISCLAIMERS["tier"])


def _dimensions(record: dict[str, Any]) -> str:
    rows = []
    dims = record["quality_dimensions"]
    # the seeds' order, whatever order the dict arrives in (record.json is written key-sorted)
    order = [k for k in DIMENSION_NAMES if k in dims] + sorted(set(dims) - set(DIMENSION_NAMES))
    for key in order:
        dim = dims[key]
        measured = "".join(
            f"<li>{esc(_humanize(k))}: {_value(v)}</li>"
            for k, v in sorted(dim.get("measured", {}).items())
        )
        rows.append(
            (
                esc(DIMENSION_NAMES.get(key, _humanize(key))),
                level_badge(dim["level"]),
                esc(dim["rule"]),
                f'<ul class="measured">{measured}</ul>' if measured else "none",
            )
        )
    if not rows:
        body = _p("No quality dimension was assessed.", "muted")
    else:
        body = _data_table(
            ("Dimension", "Level", "Rule", "Measured"), rows, widths=("17%", "12%", "", "28%")
        )
    return _section("dimensions", body, DISCLAIMERS["dimensions"])


def _corrections(record: dict[str, Any]) -> str:
    c = record["correction_record"]
    body = _kv_table(
        [
            ("Status", esc(c["status"])),
            ("Correction count", _value(c["count"])),
            ("Manifest contract", esc(c["manifest_contract"])),
            ("Correction contract", esc(c["correction_contract"])),
        ]
    )
    entries = sorted(c.get("corrections", []), key=lambda e: (e["seq"], str(e["date"])))
    if entries:
        body += "<h3>Corrections</h3>\n" + _data_table(
            ("Entry", "Date", "Kind", "Summary"),
            [(esc(e["seq"]), _date(e["date"]), esc(e["kind"]), esc(e["summary"])) for e in entries],
            numeric=(0,),
        )
    return _section("corrections", body, DISCLAIMERS["corrections"])


def _provenance(record: dict[str, Any]) -> str:
    p = record["provenance"]
    report = p.get("report_artifact", {})
    artifact = esc(f"{report.get('status', 'Unknown')} ({report.get('path', 'report.md')})")
    if report.get("sha256"):
        artifact += f"<br>sha256 {_hash(report['sha256'])}"
    body = _kv_table(
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
        _data_table(("Package", "Version"), [(esc(k), esc(v)) for k, v in versions])
        if versions
        else _p("No package versions were recorded.", "muted")
    )
    ledger = p.get("ledger", {})
    body += "<h3>Search ledger</h3>\n"
    if ledger:
        snapshots = ledger.get("snapshot_files", [])
        body += _kv_table(
            [
                ("Search entries", _value(ledger.get("search_entries", 0))),
                (
                    "Search keys (sha256 of the sorted list)",
                    _hash(ledger.get("search_keys_sha256", "")),
                ),
                (
                    "Snapshot files",
                    ", ".join(f"<code>{esc(s)}</code>" for s in snapshots) if snapshots else "none",
                ),
            ]
        )
    else:
        body += _p("No search ledger was recorded.", "muted")
    stages = sorted(p.get("stage_files", {}).items())
    body += "<h3>Stage files</h3>\n"
    body += (
        _data_table(("File", "SHA-256"), [(esc(k), _hash(v)) for k, v in stages])
        if stages
        else _p("No stage file hashes were recorded.", "muted")
    )
    methods = sorted(p.get("methods", {}).items())
    if methods:
        body += "<h3>Methods</h3>\n" + _kv_table((_humanize(k), _value(v)) for k, v in methods)
    return _section("provenance", body, DISCLAIMERS["provenance"])


def _role_order(names: Iterable[str]) -> list[str]:
    """The tribunal's roles first, in their fixed order, then any other (sorted); OVERALL last."""
    names = set(names)
    known = [r for r in ROLES if r in names]
    rest = sorted(n for n in names if n not in ROLES and n not in (OVERALL, TRIBUNAL))
    return known + rest + ([OVERALL] if OVERALL in names else [])


def _figures(
    record: dict[str, Any],
    papers: list[dict[str, Any]],
    claims: list[dict[str, Any]],
    publish_at: float,
) -> str:
    r = record["retrieval"]
    threshold = float(r["threshold"])
    t = _param(threshold)
    semantic = float(r["semantic_threshold"])
    s = _param(semantic)
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
            f"Read top to bottom: {_plural(r['hits'], 'search hit')} from "
            f"{_plural(r['queries'], 'query', 'queries')} were deduplicated to "
            f"{_plural(r['deduplicated'], 'paper')}; {r['kept']:,} were kept "
            f"({r['kept_by_tfidf']:,} reached the TF-IDF threshold {t}, "
            f"{r['kept_by_semantic']:,} the semantic threshold {s}; a paper may reach both); "
            f"{_plural(r['claims'], 'claim')} were extracted from the kept "
            f"papers and {r['verified']:,} verified. Each bar's length is its count relative to "
            "the largest stage; the exact count is printed at its end.",
        )
    )

    ordered = sorted(papers, key=lambda p: p["arxiv_id"])
    histogram = figures.score_histogram(
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
            f"Each bar counts the {_plural(len(papers), 'retrieved paper')} whose TF-IDF "
            "similarity to the question falls in that score bin, kept papers (blue) stacked "
            "under dropped ones (orange); the number above a bar is its total. The dashed line "
            f"is the threshold {t}: papers scoring at or above it are kept, and so are papers "
            f"below it whose semantic score reaches {s} (Figure 3).",
        )
    )
    meaning = figures.score_histogram(
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
            f"The same {_plural(len(papers), 'paper')} by the cosine of the question and the "
            "paper (title + abstract) in the sentence encoder, which sees an answer in other "
            "words where TF-IDF sees none; negative cosines are counted at 0. Kept papers "
            f"(blue) stacked under dropped ones (orange); the dashed line is the threshold {s}, "
            "fitted on expert-answered questions: papers at or above it are kept, and so are "
            f"papers below it whose TF-IDF score reaches {t}.",
        )
    )

    points = [
        (str(c["claim_id"]), float(c["confidence"]), bool(c["verified"]))
        for c in sorted(claims, key=_claim_key)
    ]
    confidence = figures.confidence_plot(
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
    roles = _role_order(k for rnd in rounds for k in rnd if k != "round")
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
            + f". The dashed line is the publication threshold {_param(publish_at)}: a final "
            "overall score at or above it gives the verdict PUBLISH.",
        )
    )

    body = "".join(
        f"<figure>\n{svg}<figcaption><strong>{esc(head)}</strong> {esc(text)}</figcaption>\n"
        "</figure>\n"
        for svg, head, text in parts
    )
    return _section("figures", body)


def _claim_key(claim: dict[str, Any]) -> tuple[str, int, str]:
    return (str(claim["arxiv_id"]), int(claim.get("sentence_index") or 0), str(claim["claim_id"]))


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
            else f"the {_plural(r['kept'], 'kept paper')} state no checkable claim (no "
            "comparison, measured result, reported finding or relevant statement in their "
            "abstracts)."
        )
        return _section("claims", _p("No claim was extracted: " + why, "muted"))
    verified = sum(bool(c["verified"]) for c in claims)
    papers = len({c["arxiv_id"] for c in claims})
    intro = _p(
        f"{_plural(len(claims), 'claim')} from {_plural(papers, 'kept paper')}; "
        f"{verified:,} verified. Each claim is a sentence of its paper's abstract, quoted as "
        "it stands. Evidence is the verifier's verdict on the nearest sentences of the other "
        "kept papers: SUPPORT, CONTRADICT, or NEUTRAL when nothing bears on it."
    )
    rows = [
        (
            f"<code>{esc(c['claim_id'])}</code>",
            esc(c["claim"]),
            _ref_link(c["arxiv_id"]),
            '<span class="yes">✓ yes</span>' if c["verified"] else '<span class="no">✗ no</span>',
            _fixed(c["confidence"]),
            _evidence(c),
        )
        for c in sorted(claims, key=_claim_key)
    ]
    table = _data_table(
        ("Claim", "Statement", "Paper", "Verified", "Confidence", "Evidence"),
        rows,
        numeric=(4,),
        widths=("13%", "", "12%", "10%", "11%", "14%"),
    )
    return _section("claims", intro + table)


def _tribunal(record: dict[str, Any], reviews: list[dict[str, Any]]) -> str:
    review = record["review"]
    body = _p(
        "Three rule-based reviewers read the stage outputs and itemize their findings, each "
        "naming its evidence (claim ids, paper ids, missing terms) and the points it costs the "
        "reviewer's score out of 10. An overall score below the revision threshold, without a "
        "fatal finding, triggers one revision round that drops the unverified claims and "
        "discloses every gap found; the final round's score gives the verdict."
    )
    decision = [
        ("Verdict", verdict_badge(review["verdict"])),
        ("Policy", esc(review["policy"])),
        ("Final score", esc(_score(review["score"]))),
        ("Final round", esc(review["revision_round"])),
        (
            "Reasons",
            "<br>".join(esc(x) for x in review.get("reasons", [])) or "none",
        ),
    ]
    if review.get("revision"):
        decision.insert(4, ("Revision", esc(review["revision"])))
    body += "<h3>Decision</h3>\n" + _kv_table(decision)

    rows = [r for r in reviews if r["role"] != TRIBUNAL]
    if not rows:
        body += _p("No tribunal findings were supplied with this record.", "muted")
        return _section("tribunal", body)
    tribunal_rows = {(r["round"], r["criterion"]): r for r in reviews if r["role"] == TRIBUNAL}
    for rnd in sorted({r["round"] for r in rows}):
        title = f"Round {rnd}" + (" (after revision)" if rnd > 0 else "")
        body += f"<h3>{esc(title)}</h3>\n"
        overall = tribunal_rows.get((rnd, "overall"))
        if overall is not None:
            body += _p(f"Overall score {_score(overall['points'])}.")
        in_round = [r for r in rows if r["round"] == rnd]
        for role in _role_order(r["role"] for r in in_round):
            mine = sorted((r for r in in_round if r["role"] == role), key=lambda r: r["seq"])
            score = next((r for r in mine if r["seq"] == 0), None)
            heading = role
            if score is not None:
                heading += f" — {_score(score['points'])}"
                if score.get("reviewer") and score["reviewer"] != "rules":
                    heading += f" (reviewer {score['reviewer']})"
            body += f"<h4>{esc(heading)}</h4>\n"
            findings = [r for r in mine if r["seq"] > 0]
            if not findings:
                body += _p("No findings.", "muted")
                continue
            body += _data_table(
                ("#", "Criterion", "Severity", "Finding", "Evidence", "Points off"),
                [
                    (
                        esc(f["seq"]),
                        f"<code>{_breakable(f['criterion'])}</code>",
                        severity_badge(f["severity"]),
                        esc(f["finding"]),
                        ", ".join(esc(e) for e in f.get("evidence") or []) or "—",
                        _fixed(f["points"]),
                    )
                    for f in findings
                ],
                numeric=(0, 5),
                widths=("5%", "17%", "10%", "", "20%", "8%"),
            )
        revision = tribunal_rows.get((rnd, "revision"))
        if revision is not None:
            body += _p(f"Revision after round {rnd}: {revision['finding']}.")
    return _section("tribunal", body)


def _references(record: dict[str, Any], papers: list[dict[str, Any]]) -> str:
    kept = sorted((p for p in papers if p["kept"]), key=lambda p: p["arxiv_id"])
    dropped = sorted(
        (p for p in papers if not p["kept"]),
        key=lambda p: (-p["semantic_score"], -p["tfidf_score"], p["arxiv_id"]),
    )
    threshold = _param(record["retrieval"]["threshold"])
    semantic = _param(record["retrieval"]["semantic_threshold"])
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
            cite += _arxiv_link(p["arxiv_id"])
            cite += (
                f' <span class="muted">(TF-IDF {_fixed(p["tfidf_score"], 3)}, '
                f"semantic {_fixed(p['semantic_score'], 3)})</span>"
            )
            items.append(f'<li id="ref-{esc(p["arxiv_id"])}">{cite}</li>\n')
        body = (
            _p(
                f"The {_plural(len(kept), 'paper')} kept at the TF-IDF threshold {threshold} or "
                f"the semantic threshold {semantic}, by arXiv id. Links lead to the arXiv "
                "abstract pages; nothing is loaded from them when this page is opened."
            )
            + f'<ol class="references">\n{"".join(items)}</ol>\n'
        )
    else:
        body = _p(
            f"No retrieved paper reached the TF-IDF threshold {threshold} or the semantic "
            f"threshold {semantic}, so the synthesis cites no source.",
            "muted",
        )
    if dropped:
        body += "<h3>Retrieved but not kept</h3>\n" + _data_table(
            ("arXiv id", "Title", "TF-IDF score", "Semantic score"),
            [
                (
                    _arxiv_link(p["arxiv_id"], p["arxiv_id"]),
                    esc(p["title"]),
                    _fixed(p["tfidf_score"], 3),
                    _fixed(p["semantic_score"], 3),
                )
                for p in dropped
            ],
            numeric=(2, 3),
        )
    plan = record["retrieval"].get("query_plan", [])
    if plan:
        body += "<h3>Queries sent</h3>\n" + _data_table(
            ("#", "Kind", "arXiv query (date limit included)", "Hits"),
            [
                (str(q["index"]), esc(q["kind"]), f"<code>{esc(q['query'])}</code>", str(q["hits"]))
                for q in plan
            ],
            numeric=(0, 3),
        )
    return _section("references", body)


def record_page(
    record: dict[str, Any],
    papers: list[dict[str, Any]],
    claims: list[dict[str, Any]],
    reviews: list[dict[str, Any]],
    abstract: str,
    *,
    publish_at: float = PUBLISH_AT,
) -> str:
    """The public record of one question as a self-contained HTML5 document (`record.html`).

    `record` is `public_record.build_record`'s dict; `papers` the filtered stage rows (kept or
    not), `claims` the claims rows, `reviews` the tribunal's rows (`tribunal.outcome_rows`),
    `abstract` a paragraph of text (blank lines separate paragraphs). `publish_at` is the
    review score that publishes, drawn as the tribunal chart's threshold.
    """
    body = (
        _header(record)
        + _contents()
        + "<main>\n"
        + _abstract(abstract)
        + _section("question", _p(record["question"]))
        + _verification(record)
        + _gate(record)
        + _tier(record)
        + _dimensions(record)
        + _corrections(record)
        + _provenance(record)
        + _figures(record, papers, claims, publish_at)
        + _claims(record, claims)
        + _tribunal(record, reviews)
        + _references(record, papers)
        + "</main>\n"
        + "<footer>\n"
        + _p(f"{record['id']} · {record.get('contract', 'record')} · {NOTE}")
        + "</footer>\n"
    )
    return _document(f"{record['id']} — {record['title']}", body)


# --- the index page -----------------------------------------------------------------------------


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
    head = f"<header>\n<h1>{esc(title)}</h1>\n" + _p(NOTE, "note") + "</header>\n"
    if not entries:
        body = head + "<main>\n" + _p("No records have been published yet.") + "</main>\n"
        return _document(title, body)
    ordered = sorted(
        entries, key=lambda e: (str(e[1]["id"]), str(e[1].get("question_id", "")), e[0])
    )
    records = [rec for _, rec in ordered]
    summary = _p(f"{_plural(len(records), 'question')}: {_tier_counts(records)}.", "summary")
    rows = []
    for href, rec in ordered:
        review, verif = rec["review"], rec["verification"]
        rows.append(
            (
                f'<a href="{esc(href)}"><code>{esc(rec["id"])}</code></a>',
                esc(rec["title"]),
                esc(_score(review["score"])),
                tier_badge(rec["quality_tier"]["tier"]),
                esc(verif["level"]),
                gate_badge(rec["gate2"]["status"]),
                f"{verdict_badge(review['verdict'])}<br>{_breakable(review['policy'])}",
            )
        )
    table = _data_table(
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
    legend = _p(
        "Score: the review score out of 10. Level: the verification level ("
        + "; ".join(f"{level}, {label}" for level, label in levels)
        + "). Gate 2: the sandbox-reproduction verdict.",
        "disclaimer",
    )
    body = head + "<main>\n" + summary + table + legend + "</main>\n"
    return _document(title, body)
