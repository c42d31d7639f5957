"""One paper record shape from every metadata dialect arXiv data comes in.

Dialects handled: the `arxiv` client's `Result`; the arXiv API field names as JSON (`id` as an abs
URL, `summary`/`abstract`, `published`, `primary_category`, categories as strings or `{"@term"}`
objects, the string "None" for missing values); the Kaggle/OAI snapshot (`authors` as one string,
`authors_parsed`, `journal-ref`, `versions`, space-separated `categories`); and daily listing
crawls (`abs`, `pdf`, `summary`, no dates).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ..text.normalize import collapse_whitespace, detex, none_if_blank

PAPER_FIELDS = (
    "arxiv_id",
    "arxiv_id_versioned",
    "title",
    "abstract",
    "authors",
    "categories",
    "primary_category",
    "published",
    "updated",
    "doi",
    "journal_ref",
    "comment",
    "links",
)

_ID = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|^arXiv:|^)"
    r"(?P<short>\d{4}\.\d{4,5}|[A-Za-z][A-Za-z.\-]*/\d{7})(?P<version>v\d+)?(?:\.pdf)?/?$"
)


def parse_arxiv_id(raw: object) -> tuple[str, str | None] | None:
    """(short id, versioned id or None) from a bare id, an `arXiv:` id or an abs/pdf URL."""
    text = none_if_blank(raw)
    if text is None:
        return None
    match = _ID.search(text.strip())
    if match is None:
        return None
    short = match.group("short")
    version = match.group("version")
    return short, (short + version if version else None)


def iso_utc(value: object) -> str | None:
    """A timestamp as `YYYY-MM-DDTHH:MM:SSZ` (UTC); accepts ISO 8601, RFC 2822 and bare dates."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = none_if_blank(value)
        if text is None:
            return None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                moment = parsedate_to_datetime(text)
            except (TypeError, ValueError):
                return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def id_month(short_id: str) -> str | None:
    """`YYYY-MM` encoded in an arXiv id (`2503.11731` -> 2025-03, `hep-ex/0406020` -> 2004-06)."""
    digits = short_id.split("/")[-1]
    yy, mm = int(digits[:2]), int(digits[2:4])
    if not 1 <= mm <= 12:
        return None
    year = 2000 + yy if yy < 91 else 1900 + yy
    return f"{year:04d}-{mm:02d}"


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        # Kaggle: "A. One, B. Two and C. Three" (TeX accents, wrapped lines).
        text = detex(value)
        parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", text)
        return [p.strip() for p in parts if p.strip()]
    names = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("name")
        elif hasattr(item, "name"):
            item = item.name
        name = none_if_blank(item)
        if name:
            names.append(detex(name))
    return names


def _parsed_names(value: Any) -> list[str]:
    """Kaggle `authors_parsed`: [[last, first, suffix], ...] -> ["first last suffix", ...]."""
    names = []
    for item in value or []:
        if not isinstance(item, list | tuple) or not item:
            continue
        last, first, suffix = (list(item) + ["", "", ""])[:3]
        name = " ".join(p for p in (detex(first), detex(last), detex(suffix)) if p)
        if name:
            names.append(name)
    return names


def _terms(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in value.split() if t]
    if isinstance(value, dict):
        value = [value]
    out = []
    for item in value:
        term = item.get("@term") or item.get("term") if isinstance(item, dict) else item
        term = none_if_blank(term)
        if term and term not in out:
            out.append(term)
    return out


def _links(value: Any) -> list[str]:
    out = []
    for item in value or []:
        href = item.get("href") or item.get("@href") if isinstance(item, dict) else item
        href = none_if_blank(getattr(href, "href", href))
        if href and href not in out:
            out.append(href)
    return out


def _first(record: dict[str, Any], *keys: str) -> Any:
    """The first of `keys` with a real value (dialects name the same field differently)."""
    for key in keys:
        if none_if_blank(record.get(key)) is not None:
            return record[key]
    return None


def from_json(record: dict[str, Any]) -> dict[str, Any] | None:
    """A paper from one JSON metadata record of any supported dialect; None without an arXiv id."""
    ids = parse_arxiv_id(record.get("id")) or parse_arxiv_id(record.get("_key"))
    if ids is None:
        ids = parse_arxiv_id(record.get("entry_id"))
    if ids is None:
        return None
    short, versioned = ids
    versions = record.get("versions") if isinstance(record.get("versions"), list) else []
    if versioned is None and versions:
        last = versions[-1]
        tag = last.get("version") if isinstance(last, dict) else None
        if isinstance(tag, str) and re.fullmatch(r"v\d+", tag):
            versioned = short + tag
    created = [v.get("created") for v in versions if isinstance(v, dict)]
    authors = _parsed_names(record.get("authors_parsed")) or _names(record.get("authors"))
    categories = _terms(record.get("categories"))
    primary = _terms(record.get("primary_category"))
    links = _links(record.get("links")) or _links([record.get("abs"), record.get("pdf")])
    if not links:
        links = [f"https://arxiv.org/abs/{versioned or short}"]
    return {
        "arxiv_id": short,
        "arxiv_id_versioned": versioned,
        "title": collapse_whitespace(none_if_blank(record.get("title")) or ""),
        "abstract": collapse_whitespace(none_if_blank(_first(record, "abstract", "summary")) or ""),
        "authors": authors,
        "categories": categories,
        "primary_category": primary[0] if primary else (categories[0] if categories else None),
        "published": iso_utc(record.get("published")) or (iso_utc(created[0]) if created else None),
        "updated": iso_utc(record.get("updated"))
        or (iso_utc(created[-1]) if created else None)
        or iso_utc(record.get("update_date")),
        "doi": none_if_blank(record.get("doi")),
        "journal_ref": none_if_blank(_first(record, "journal_ref", "journal-ref")),
        "comment": none_if_blank(_first(record, "comment", "comments")),
        "links": links,
    }


def from_result(result: Any) -> dict[str, Any] | None:
    """A paper from an `arxiv.Result` (the live client and replayed Atom feeds)."""
    return from_json(
        {
            "id": result.entry_id,
            "title": result.title,
            "summary": result.summary,
            "authors": [a.name for a in result.authors],
            "categories": list(result.categories),
            "primary_category": result.primary_category,
            "published": result.published,
            "updated": result.updated,
            "doi": result.doi,
            "journal_ref": result.journal_ref,
            "comment": result.comment,
            "links": [link.href for link in result.links],
        }
    )


def paper_date(paper: dict[str, Any]) -> str | None:
    """The best-known submission date `YYYY-MM-DD`. Without one, the last day of the month in
    the id: a paper whose month is not over by the as-of date is left out rather than let in."""
    if paper.get("published"):
        return paper["published"][:10]
    month = id_month(paper["arxiv_id"])
    if month is None:
        return None
    year, mon = int(month[:4]), int(month[5:])
    return f"{month}-{calendar.monthrange(year, mon)[1]:02d}"
