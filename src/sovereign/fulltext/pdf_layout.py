"""The layout side of PDF parsing: text runs (text, font, size, position) into lines, running
heads and page numbers dropped, and headings told from body by size, weight and numbering.

Pure functions over plain values, so each rule can be tried without a PDF."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from statistics import median

# The side stamp arXiv prints on its PDFs ("arXiv:2304.02623v1 [cs.CL] 5 Apr 2023").
ARXIV_STAMP = re.compile(
    r"arXiv:\s*(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?\s*"
    r"(?:\[[\w.-]+\]\s*)?(?:\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4})?"
)
_PAGE_NUMBER = re.compile(r"(?i)(?:page\s*)?(?:\d{1,4}|[ivxl]{1,6})(?:\s*(?:of|/)\s*\d{1,4})?")
_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb06": "st",
    }
)
# Math fonts without a Unicode map come out as control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MARGIN = 0.09  # top and bottom share of a page where running heads and page numbers live
_BOLD = re.compile(r"(?i)bold|black|heavy|demi|semibold|medi(?:um)?\b|-medi|cmbx|cmb\d|\bbf|bf\b")
_BOLD_SUFFIX = re.compile(r"(?:T|-|,)BI?$|Bold")  # LinLibertineTB, Times-B
_MATH = re.compile(
    r"(?i)^(?:cmmi|cmsy|cmex|cmbsy|msam|msbm|eufm|eusm|rsfs|stmary|wasy|lasy|bbm|dsrom|esint)"
    r"|math|symbol|^tx(?:sy|ex|mi)|^px(?:sy|ex|mi)|^mt(?:sy|ex|mi)"
)
_NUMBERED = re.compile(
    r"(?P<num>\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-Z](?:\.\d{1,2}){0,3}\.?|[IVX]{1,5}\.)\s+(?P<title>.+)"
)
_NOT_HEADING = re.compile(  # captions, theorem-like heads, algorithm lines
    r"(?i)(?:(?:fig\.?|figure|table|tab\.|algorithm|listing|lemma|theorem|definition|corollary"
    r"|proposition|remark|example|eq\.?|equation)\s*[\dIVX]|proof\b)"
)
_KNOWN = re.compile(
    r"(?i)(?:abstract|introduction|related work|background|conclusions?|discussion|summary"
    r"|acknowledge?ments?|references|bibliography|appendix(?:\s+[A-Z](?:[:.]?\s.*)?)?|appendices"
    r"|supplementary materials?|limitations|ethics statement|broader impacts?|funding"
    r"|author contributions|data availability|keywords|ccs concepts|index terms)"
)
REFERENCES = re.compile(r"(?i)(?:references|bibliography|literature cited|works cited)")
APPENDIX = re.compile(r"(?i)(?:appendix|appendices|supplementary)\b")
_ROMAN = {r: i for i, r in enumerate("I II III IV V VI VII VIII IX X XI XII".split(), start=1)}


@dataclass(frozen=True)
class Run:
    """One piece of text as pypdf shows it: where its baseline starts on the page, its font."""

    page: int
    order: int  # position in the page's content stream
    x: float
    y: float
    size: float  # effective font size in points
    font: str
    text: str
    top: float  # height of the page


@dataclass(frozen=True)
class Line:
    page: int
    x: float
    y: float
    top: float
    text: str
    size: float  # largest size of its (non-math) text
    bold: bool
    caps_text: str  # the text with small capitals turned back into lower case


@dataclass(frozen=True)
class Heading:
    """A heading found at `index` over `lines` lines (0: "Abstract" run into its text). `number`
    is its numbering as (scheme, components), `title` what follows the number."""

    index: int
    lines: int
    text: str
    number: tuple[str, tuple[int, ...]] | None
    styled: bool


def title_of(text: str) -> str:
    """A heading without its number ("2.1 Encoder" -> "Encoder")."""
    match = _NUMBERED.fullmatch(text)
    return match["title"] if match else text


def is_bold(font: str) -> bool:
    return bool(_BOLD.search(font) or _BOLD_SUFFIX.search(font))


def is_math(font: str) -> bool:
    return bool(_MATH.search(font))


def page_lines(runs: list[Run]) -> list[Line]:
    """Runs joined into lines, in stream order: a run starts a new line when it changes page,
    leaves the baseline (more than half the main size: sub- and superscripts stay), or jumps
    back to the left. Lines that are only the arXiv stamp are dropped."""
    lines: list[Line] = []
    current: list[Run] = []
    for run in runs:
        if not run.text.strip():
            if current:
                current.append(run)
        elif current and _same_line(current, run):
            current.append(run)
        else:
            if current:
                lines.append(_line(current))
            current = [run]
    if current:
        lines.append(_line(current))
    return [line for line in lines if line.text]


def _same_line(current: list[Run], run: Run) -> bool:
    shown = [r for r in current if r.text.strip()]
    main = max(shown, key=lambda r: r.size)
    return (
        run.page == main.page
        and abs(run.y - main.y) < 0.55 * max(main.size, 1.0)
        and run.x > shown[-1].x - 2 * max(main.size, 1.0)
    )


def _line(runs: list[Run]) -> Line:
    texts = [r for r in runs if r.text.strip() and not is_math(r.font) and _letters(r.text)]
    shown = [r for r in runs if r.text.strip()]
    big = max(r.size for r in texts or shown)
    chars = sum(_letters(r.text) for r in texts)
    bold = chars > 0 and sum(_letters(r.text) for r in texts if is_bold(r.font)) >= 0.6 * chars
    # Small capitals are set as capitals in a smaller size: those are lower case letters.
    caps = [r.text.lower() if r.size < 0.92 * big and r.text.isupper() else r.text for r in runs]
    main = max(shown, key=lambda r: r.size)
    return Line(
        page=main.page,
        x=shown[0].x,
        y=main.y,
        top=main.top,
        text=_clean("".join(r.text for r in runs)),
        size=big,
        bold=bold,
        caps_text=_clean("".join(caps)),
    )


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _clean(text: str) -> str:
    text = _CONTROL.sub(" ", ARXIV_STAMP.sub(" ", text.translate(_LIGATURES)))
    return " ".join(text.split())


def body_size(runs: list[Run]) -> float:
    """The most common font size, by characters."""
    sizes: Counter[float] = Counter()
    for run in runs:
        sizes[run.size] += len(run.text.strip())
    return max(sorted(sizes), key=lambda size: sizes[size])


def drop_margins(lines: list[Line], body: float) -> list[Line]:
    """Without page numbers and running heads or feet: lines in a page's top or bottom margin
    that are a bare number, or whose text (digits aside) recurs on many pages, and a page's
    first line when it is in the top margin and smaller than body text (a running head)."""
    pages = len({line.page for line in lines})
    heads = {
        id(line)
        for previous, line in zip([None, *lines], lines, strict=False)
        if (previous is None or previous.page != line.page)
        and line.y > (1 - _MARGIN) * line.top
        and line.size < 0.9 * body
    }

    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())

    def in_margin(line: Line) -> bool:
        return line.y > (1 - _MARGIN) * line.top or line.y < _MARGIN * line.top

    seen: dict[str, set[int]] = {}
    for line in lines:
        if in_margin(line):
            seen.setdefault(key(line), set()).add(line.page)
    repeated = {k for k, on in seen.items() if len(on) >= max(2, 0.4 * pages)}
    return [
        line
        for line in lines
        if id(line) not in heads
        and not (in_margin(line) and (key(line) in repeated or _PAGE_NUMBER.fullmatch(line.text)))
    ]


def leading(lines: list[Line], body: float) -> float:
    """The usual distance between two body lines of a paragraph."""
    steps = [
        a.y - b.y
        for a, b in zip(lines, lines[1:], strict=False)
        if a.page == b.page and abs(a.size - body) < 0.5 and 0 < a.y - b.y < 2.5 * body
    ]
    return median(steps) if steps else 1.2 * body


def find_headings(lines: list[Line], body: float, lead: float) -> list[Heading]:
    """The headings, in order. With a numbering in the paper (two or more numbered headings that
    follow each other), only numbered headings and the usual unnumbered names (Abstract,
    Acknowledgments, References, Appendix) count; without, any short larger or bold line does."""
    candidates = _candidates(lines, body, lead)
    numbered = _in_sequence([c for c in candidates if c.number])
    if len(numbered) >= 2:
        chained = {h.index for h in numbered}
        named = [
            replace(c, number=None)  # "Acknowledgments", also "7 References" out of sequence
            for c in candidates
            if c.index not in chained and _KNOWN.fullmatch(title_of(c.text).rstrip(":"))
        ]
        headings = sorted(numbered + named, key=lambda h: h.index)
    else:
        title = max((line.size for line in lines if line.page == 0), default=0)
        headings = [
            c
            for c in candidates
            if c.styled and not (lines[c.index].page == 0 and lines[c.index].size >= title)
        ]
    return _with_abstract(lines, headings)


def _with_abstract(lines: list[Line], headings: list[Heading]) -> list[Heading]:
    """The "Abstract" heading, when the word opens a line before the first section (a heading
    of its own or run into its text); what comes before it is front matter, dropped later."""
    first = next((h.index for h in headings if h.number), len(lines))
    for i, line in enumerate(lines[:first]):
        if line.page <= 1 and re.match(
            r"(?i)abstract\s*(?:$|[.:\u2014\u2013-])|ABSTRACT ", line.text
        ):
            own = next((h.lines for h in headings if h.index == i), 0)
            abstract = Heading(i, own, "Abstract", None, True)
            return [abstract] + [h for h in headings if h.index != i]
    return headings


def _candidates(lines: list[Line], body: float, lead: float) -> list[Heading]:
    found = []
    i = 0
    while i < len(lines):
        line = lines[i]
        styled = line.bold or line.size >= 1.08 * body
        end = i + 1
        text = line.caps_text
        while (
            styled and end < len(lines) and end - i < 3 and _continues(lines[end - 1], lines[end])
        ):
            text = _join_heading(text, lines[end].caps_text)
            end += 1
        own = styled or any(
            g is not None and g > 1.25 * lead
            for g in (_gap(lines, i - 1, i), _gap(lines, end - 1, end))
        )
        heading = _heading(i, end - i, text, styled, own)
        if heading:
            found.append(heading)
            i = end
        else:
            i += 1
    return found


def _continues(first: Line, then: Line) -> bool:
    """A heading set over two lines: the same style, close below, not numbered itself."""
    return (
        then.page == first.page
        and then.bold == first.bold
        and abs(then.size - first.size) < 0.3
        and 0 < first.y - then.y <= 1.6 * first.size
        and not _NUMBERED.fullmatch(then.text)
        and len(first.text.split()) + len(then.text.split()) <= 16
    )


def _join_heading(text: str, more: str) -> str:
    return text[:-1] + more if re.search(r"[a-z]-$", text) else f"{text} {more}"


def _gap(lines: list[Line], a: int, b: int) -> float | None:
    if a < 0 or b >= len(lines) or lines[a].page != lines[b].page:
        return None
    step = lines[a].y - lines[b].y
    return step if step > 0 else None


def _heading(index: int, count: int, text: str, styled: bool, own: bool) -> Heading | None:
    """A candidate heading when the text is shaped like one: short, not a sentence (no final
    period), mostly letters, not a caption; numbered ones need a number scheme we know."""
    words = text.split()
    letters = _letters(text)
    if not own or not words or len(words) > 12 + 4 * (count - 1) or len(text) > 160:
        return None
    if text[-1] in ".,;:" and not _KNOWN.fullmatch(text[:-1]) or letters < 2:
        return None
    if letters < 0.5 * len(text.replace(" ", "")):
        return None
    match = _NUMBERED.fullmatch(text)
    title = match["title"] if match else text
    if not (title[0].isupper() or title[0].isdigit()) or _NOT_HEADING.match(title):
        return None
    if match:
        return Heading(index, count, text, _number(match["num"]), styled)
    return Heading(index, count, text, None, styled) if styled or _KNOWN.fullmatch(text) else None


def _number(num: str) -> tuple[str, tuple[int, ...]]:
    """("arabic", (2, 1)) for "2.1"; ("roman", (2,)) for "II."; ("letter", (1, 2)) for "A.2"."""
    parts = num.rstrip(".").split(".")
    if parts[0].isdigit():
        return "arabic", tuple(int(p) for p in parts)
    if num.endswith(".") and len(parts) == 1 and parts[0] in _ROMAN:
        return "roman", (_ROMAN[parts[0]],)
    return "letter", (ord(parts[0]) - ord("A") + 1, *(int(p) for p in parts[1:]))


def _in_sequence(numbered: list[Heading]) -> list[Heading]:
    """The numbered candidates that follow on from each other ("2.2" then "2.2.1", "3", "A", ...).
    Styled ones are chained first; an unstyled one (a numbered line on its own, set like body
    text) must also lead on to the next styled heading, so a stray body line cannot break the
    chain."""
    styled = _chain([h for h in numbered if h.styled], [])
    chained = {h.index for h in styled}
    return _chain([h for h in numbered if h.index in chained or not h.styled], styled)


def _chain(headings: list[Heading], guide: list[Heading]) -> list[Heading]:
    kept: list[Heading] = []
    last = None
    for heading in headings:
        current = _place(heading.number, last)
        if current is None:
            continue
        if not heading.styled:
            after = next((g for g in guide if g.index > heading.index), None)
            if after is not None and _place(after.number, current) is None:
                continue
        kept.append(replace(heading, number=current))
        last = current
    return kept


def _place(number, last):
    """Where `number` stands if it comes after `last` (both as (scheme, components)), or None
    when it cannot come next. A letter under roman sections is a subsection ("III." then "A.")."""
    scheme, parts = number
    options = [(scheme, parts)]
    if scheme == "letter" and len(parts) == 1 and last and last[0] == "roman":
        options.insert(0, ("roman", (last[1][0], parts[0])))
    for option in options:
        if last is None:
            if option[0] != "letter" and option[1][0] <= 2 and all(n <= 2 for n in option[1][1:]):
                return option
        elif _follows(last, option):
            return option
    return None


def _follows(previous: tuple[str, tuple[int, ...]], current: tuple[str, tuple[int, ...]]) -> bool:
    """Whether `current` can come next after `previous`: a step of one or two at some level,
    with any deeper levels starting again at 1 or 2; an appendix may start after any scheme."""
    (scheme, now), (last_scheme, last) = current, previous
    if scheme != last_scheme:
        return scheme == "letter" and now[0] == 1 and all(n <= 2 for n in now[1:])
    for k in range(len(now)):
        if k > len(last) or now[:k] != last[:k]:
            return False
        base = last[k] if k < len(last) else 0
        if 1 <= now[k] - base <= 2 and all(n <= 2 for n in now[k + 1 :]):
            return True
    return False
