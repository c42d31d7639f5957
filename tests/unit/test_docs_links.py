"""The README and docs/ hold together: every relative link reaches a file of the repository and,
when it names an `#anchor`, a heading of that file (GitHub's slug rules); every document under
docs/ is listed; the README stays a README (at most 300 lines)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.paths import REPO

MAX_README_LINES = 300

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) or [text](<target>), not images' alt text; the target has no spaces.
LINK = re.compile(r"(?<!\\)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...


def _prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: its rendered text, lower case, punctuation but `-` and `_`
    removed, spaces made `-`."""
    text = CODE_SPAN.sub(lambda m: m.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("*", "")
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor, with GitHub's -1, -2, ... for repeated ones."""
    seen: dict[str, int] = {}
    found = set()
    for line in _prose_lines(text):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> list[str]:
    """The relative link targets of a Markdown text, outside code blocks and code spans."""
    targets = []
    for line in _prose_lines(text):
        line = CODE_SPAN.sub("", line)
        targets += [t for t in LINK.findall(line) if not EXTERNAL.match(t)]
    return targets


def broken(source: Path, target: str, root: Path) -> str | None:
    """Why a link from `source` to `target` is dead, or None when it is not."""
    path, _, anchor = target.partition("#")
    destination = (source.parent / path).resolve() if path else source.resolve()
    try:
        destination.relative_to(root.resolve())
    except ValueError:
        return f"{target}: leaves the repository"
    if not destination.exists():
        return f"{target}: no file {destination.relative_to(root.resolve())}"
    if anchor:
        if destination.suffix.lower() != ".md":
            return f"{target}: an anchor into a file that is not Markdown"
        if anchor not in anchors(destination.read_text(encoding="utf-8")):
            return f"{target}: no heading #{anchor} in {destination.name}"
    return None


def documents(root: Path) -> list[Path]:
    found = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    found += [p for p in (root / "config" / "README.md",) if p.exists()]
    return [p for p in found if p.exists()]


LINKS = [(doc, target) for doc in documents(REPO) for target in links(doc.read_text("utf-8"))]


# --- the checker itself, on small examples -----------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Gate 2: reproduction bundles", "gate-2-reproduction-bundles"),
        (
            "Faults, bad input and secrets: what sovereign promises",
            "faults-bad-input-and-secrets-what-sovereign-promises",
        ),
        ("Output: `raw.parquet`", "output-rawparquet"),
        ("Answer quality: expert questions", "answer-quality-expert-questions"),
        ("snake_case and dash-ed (v2.0)", "snake_case-and-dash-ed-v20"),
        ("**Bold** [link](x.md) text", "bold-link-text"),
        ("Über die Qualität", "über-die-qualität"),
    ],
)
def test_slugs_follow_github(heading, expected):
    assert slug(heading) == expected


def test_repeated_headings_get_numbered_and_code_blocks_are_not_headings():
    text = "# A\n\n## Notes\n\n```yaml\n# Notes\n```\n\n### Notes\n\n## Notes\n"
    assert anchors(text) == {"a", "notes", "notes-1", "notes-2"}


def test_links_skip_external_targets_code_spans_and_code_blocks():
    text = (
        "See [a](a.md#x), [web](https://example.org), [mail](mailto:a@b.c), `[no](code.md)`,\n"
        "[top](#top) and ![img](pic.png).\n\n```\n[no](block.md)\n```\n"
    )
    assert links(text) == ["a.md#x", "#top", "pic.png"]


def test_the_checker_finds_dead_files_and_anchors(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# Top\n\n## Two words\n", encoding="utf-8")
    doc = tmp_path / "docs" / "a.md"
    doc.write_text("# A\n\n## Here\n\n## Here\n", encoding="utf-8")
    assert broken(doc, "../README.md#two-words", tmp_path) is None
    assert broken(doc, "#here-1", tmp_path) is None
    assert broken(doc, "a.md#here", tmp_path) is None
    assert "no heading #two_words" in broken(doc, "../README.md#two_words", tmp_path)
    assert "no heading #here-2" in broken(doc, "#here-2", tmp_path)
    assert "no file" in broken(doc, "missing.md", tmp_path)
    assert "no file" in broken(doc, "README.md", tmp_path)  # relative to docs/, not the root
    assert "leaves the repository" in broken(doc, "../../elsewhere.md", tmp_path)


# --- the repository's documents ----------------------------------------------------------------


def test_there_are_links_to_check():
    assert len(LINKS) > 50


@pytest.mark.parametrize(
    ("doc", "target"), LINKS, ids=[f"{d.relative_to(REPO)}->{t}" for d, t in LINKS]
)
def test_every_relative_link_resolves(doc, target):
    assert broken(doc, target, REPO) is None


def test_the_readme_is_at_most_300_lines():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def _linked(doc: Path) -> set[Path]:
    text = doc.read_text(encoding="utf-8")
    return {
        (doc.parent / t.partition("#")[0]).resolve() for t in links(text) if t.partition("#")[0]
    }


def test_every_document_is_listed_in_the_index_and_reached_from_the_readme():
    docs = REPO / "docs"
    index = docs / "README.md"
    pages = {p.resolve() for p in docs.glob("*.md")} - {index.resolve()}
    assert pages, "docs/ holds no document"
    from_index = _linked(index)
    assert not pages - from_index, f"not listed in docs/README.md: {sorted(pages - from_index)}"
    from_readme = _linked(REPO / "README.md")
    if index.resolve() not in from_readme:
        assert not pages - from_readme, f"not linked from README.md: {sorted(pages - from_readme)}"


def test_every_document_starts_with_a_title_and_a_link_back_to_the_readme():
    for page in sorted((REPO / "docs").glob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# "), f"{page.name}: no title on the first line"
        first_text = next(line for line in lines[1:] if line.strip())
        assert "(../README.md)" in first_text, f"{page.name}: no link back to the README"
