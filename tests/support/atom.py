"""Atom feeds in arXiv's wire format, written for tests (the project's own fixtures)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

FEED_HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
)


def entry_xml(paper: dict) -> str:
    vid = paper["id"] + paper.get("version", "v1")
    parts = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{vid}</id>",
        f"    <title>{escape(paper['title'])}</title>",
        f"    <updated>{paper.get('updated', paper['published'])}</updated>",
        f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf"'
        ' title="pdf"/>',
        f"    <summary>{escape(paper['summary'])}</summary>",
    ]
    for cat in paper["categories"]:
        parts.append(
            f'    <category term={quoteattr(cat)} scheme="http://arxiv.org/schemas/atom"/>'
        )
    parts.append(f"    <published>{paper['published']}</published>")
    for tag in ("comment", "journal_ref", "doi"):
        if paper.get(tag):
            parts.append(f"    <arxiv:{tag}>{escape(paper[tag])}</arxiv:{tag}>")
    parts.append(f"    <arxiv:primary_category term={quoteattr(paper['categories'][0])}/>")
    for name in paper["authors"]:
        parts.append(f"    <author>\n      <name>{escape(name)}</name>\n    </author>")
    parts.append("  </entry>")
    return "\n".join(parts)


def feed_xml(papers: list[dict], total: int, start: int, per_page: int, query: str = "") -> bytes:
    head = [
        FEED_HEAD,
        "  <id>https://arxiv.org/api/test</id>\n",
        f"  <title>arXiv Query: {escape(query)}</title>\n",
        "  <updated>2026-05-28T00:00:00Z</updated>\n",
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n",
    ]
    body = "".join(head) + "\n".join(entry_xml(p) for p in papers) + "\n</feed>\n"
    return body.encode("utf-8")
