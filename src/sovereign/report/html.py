"""The small HTML toolkit of the record and index pages: escaping, number and date formats, badges
that spell their level out, tables, paragraphs, and the self-contained document with its one
stylesheet (no script, no external resource; it prints).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from ..contracts import LEVELS, TIERS

ARXIV_ABS = "https://arxiv.org/abs/"

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


def esc(value: object) -> str:
    """Text safe in element content and quoted attributes (control characters dropped)."""
    return escape(_CONTROL.sub("", str(value)), quote=True)


def fmt_score(value: float) -> str:
    """A review score as the seeds write it: 4.50/10."""
    return f"{float(value):.2f}/10"


def fmt_fixed(value: float, places: int = 2) -> str:
    s = f"{float(value):.{places}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def fmt_param(value: float) -> str:
    """A setting as people write it: 0.15, 6.5 (at most three decimals)."""
    s = fmt_fixed(value, 3).rstrip("0").rstrip(".")
    return s or "0"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def fmt_date(iso: str | None) -> str:
    """`2026-07-31` as `<time>` reading 31 July 2026 (fixed month names, no locale)."""
    if not iso:
        return "not recorded"
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(iso)[:10])
    if not match or not 1 <= int(match[2]) <= 12:
        return esc(iso)
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    return f'<time datetime="{esc(iso)}">{day} {MONTHS[month - 1]} {year}</time>'


def fmt_value(value: Any) -> str:
    """A measured figure: yes/no, an integer, a float to 2 decimals, a list, or text."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return fmt_fixed(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(esc(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return esc(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))
    return esc(value)


LABELS = {"gate2_status": "Gate 2 status", "synthesizer_score": "SYNTHESIZER score"}


def humanize(key: str) -> str:
    if key in LABELS:
        return LABELS[key]
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def badge(text: str, kind: str) -> str:
    return f'<span class="badge level-{kind}">{esc(text)}</span>'


def level_badge(level: str) -> str:
    """LOW / MEDIUM / HIGH as a coloured badge that spells the level out."""
    kind = {name: name.lower() for name in LEVELS}.get(str(level).upper(), "neutral")
    return badge(level, kind)


def tier_badge(tier: str) -> str:
    kind = {TIERS[0]: "high", TIERS[1]: "medium", TIERS[2]: "low", TIERS[3]: "fatal"}.get(
        tier, "neutral"
    )
    return badge(tier, kind)


def gate_badge(status: str) -> str:
    kind = {"VERIFIED": "high", "FAILED": "low"}.get(str(status).upper(), "neutral")
    return badge(str(status).capitalize(), kind)


def verdict_badge(verdict: str) -> str:
    kind = {"PUBLISH": "high", "REVISE": "medium", "REJECT": "low"}.get(verdict, "neutral")
    return badge(verdict or "none", kind)


def severity_badge(severity: str) -> str:
    kind = {"fatal": "fatal", "major": "low", "minor": "medium"}.get(severity, "neutral")
    return badge(severity, kind)


def arxiv_link(arxiv_id: str, text: str | None = None) -> str:
    href = ARXIV_ABS + quote(str(arxiv_id), safe="/")
    return f'<a href="{esc(href)}">{esc(text if text is not None else "arXiv:" + arxiv_id)}</a>'


def breakable(text: str) -> str:
    """Escaped, with a line-break opportunity after each underscore (ESCALATE_TO_OWNER)."""
    return esc(text).replace("_", "_<wbr>")


def fmt_hash(digest: str) -> str:
    """A sha256 in monospace, breakable anywhere so that it never widens its table."""
    return f'<code class="hash">{esc(digest)}</code>'


def kv_table(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table: an escaped label (a row header) and a value given as HTML."""
    body = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{v}</td></tr>\n' for k, v in rows)
    return f'<table class="kv">\n<tbody>\n{body}</tbody>\n</table>\n'


def data_table(
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


def para(text: str, cls: str | None = None) -> str:
    """A paragraph of escaped text."""
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{esc(text)}</p>\n"


def html_document(title: str, body: str) -> str:
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
