"""A paper's PDF into sections, when no LaTeX source is to be had: pypdf's text runs, with their
font and position, give lines; the layout (size, weight, numbering) tells headings from body.

The bytes are untrusted: whatever pypdf raises on a broken, encrypted or empty file becomes a
SourceError with a short reason, so one bad PDF costs only its own full text."""

from __future__ import annotations

import io
import logging
import re
import warnings
import zlib
from contextlib import contextmanager

import pypdf
from pypdf.errors import DependencyError, PyPdfError

from sovereign.fulltext.model import Section, SourceError
from sovereign.fulltext.pdf_layout import (
    APPENDIX,
    REFERENCES,
    Heading,
    Line,
    Run,
    body_size,
    drop_margins,
    find_headings,
    leading,
    page_lines,
    title_of,
)

_CAPTION = re.compile(r"(?:Figure|Fig\.|Table|Algorithm|Listing)\s*[\dIVX]+[:.]\s")
# What pypdf lets escape on hostile input, besides its own errors.
_PDF_ERRORS = (
    PyPdfError,
    DependencyError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    ArithmeticError,
    RecursionError,
    zlib.error,
)


def pdf_sections(data: bytes) -> list[Section]:
    """Sections of a paper PDF, in reading order (see pdf_layout for the rules); raises
    SourceError when the PDF cannot be opened or holds no text."""
    if not data.strip():
        raise SourceError("the PDF is empty")
    if b"%PDF" not in data[:1024]:
        raise SourceError("not a PDF (no %PDF header)")
    with _quiet_pypdf():
        try:
            sections = _sections(_runs(_open(data)))
        except _PDF_ERRORS as error:
            raise SourceError(f"the PDF is corrupt ({type(error).__name__})") from error
    if not sections:
        raise SourceError("the PDF has no extractable text (scanned?)")
    return sections


@contextmanager
def _quiet_pypdf():
    """pypdf logs a warning per oddity of a broken file; a batch of papers would flood the log."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _open(data: bytes) -> pypdf.PdfReader:
    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError as error:
            raise SourceError("the PDF is encrypted (cipher not supported)") from error
        if opened == pypdf.PasswordType.NOT_DECRYPTED:
            raise SourceError("the PDF is encrypted (needs a password)")
    if len(reader.pages) == 0:
        raise SourceError("the PDF has no pages")
    return reader


def _runs(reader: pypdf.PdfReader) -> list[Run]:
    """Every upright text run on the page itself, in content-stream order (the order TeX wrote
    it: column by column). Text inside form XObjects (figures drawn from included PDFs) is left
    out unless the whole document lives in them."""
    page_runs: list[Run] = []
    form_runs: list[Run] = []
    for number, page in enumerate(reader.pages):
        on_page, in_forms = _page_runs(page, number)
        page_runs += on_page
        form_runs += in_forms
    page_chars = sum(len(run.text.strip()) for run in page_runs)
    form_chars = sum(len(run.text.strip()) for run in form_runs)
    if page_chars < form_chars:  # a producer that wraps each page in a form
        return sorted(page_runs + form_runs, key=lambda run: (run.page, run.order))
    return page_runs


def _page_runs(page: pypdf.PageObject, number: int) -> tuple[list[Run], list[Run]]:
    box = page.mediabox
    left, bottom = float(box.left), float(box.bottom)
    width, height = float(box.width), float(box.height)
    on_page: list[Run] = []
    in_forms: list[Run] = []
    # Depth of form XObjects being walked; pypdf flushes the page's pending text right after
    # the `Do` operator is seen, before any operator of the form, so that text stays at depth 0.
    state = {"depth": 0, "flushing": False}

    def before(operator, operands, cm, tm):
        if operator == b"Do":
            state["depth"] += 1
            state["flushing"] = True
        else:
            state["flushing"] = False

    def after(operator, operands, cm, tm):
        if operator == b"Do":
            state["depth"] -= 1

    def visit(text, cm, tm, font, font_size):
        if not text or not text.strip("\n"):
            return
        a, b, c, d, e, f = _multiply(tm, cm)
        if a <= 0 or abs(b) > 0.05 * a or abs(c) > 0.05 * abs(d) or d <= 0:
            return  # rotated or mirrored: margin stamps, rotated tables
        x, y = e - left, f - bottom
        if not (-5 <= x <= width + 5 and -5 <= y <= height + 5):
            return
        depth = state["depth"] - (1 if state["flushing"] else 0)
        run = Run(
            page=number,
            order=len(on_page) + len(in_forms),
            x=x,
            y=y,
            size=round(abs(font_size) * (c * c + d * d) ** 0.5, 1),
            font=_font_name(font),
            text=text,
            top=height,
        )
        (in_forms if depth > 0 else on_page).append(run)

    page.extract_text(
        visitor_operand_before=before, visitor_operand_after=after, visitor_text=visit
    )
    return on_page, in_forms


def _multiply(m: list[float], n: list[float]) -> tuple[float, ...]:
    """The 2-D affine product m x n of two PDF matrices [a b c d e f]."""
    a, b, c, d, e, f = (float(v) for v in m)
    p, q, r, s, t, u = (float(v) for v in n)
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _font_name(font) -> str:
    """The base font name without its subset tag ("ABCDEF+CMBX10" -> "CMBX10")."""
    try:
        name = str(font.get("/BaseFont", "")) if font is not None else ""
    except AttributeError:
        return ""
    return name.lstrip("/").split("+", 1)[-1]


def _sections(runs: list[Run]) -> list[Section]:
    """Sections from the runs: the text between one heading and the next, paths from the
    numbering, front matter (title, authors, keywords) and the references left out."""
    lines = page_lines(runs)
    if not lines:
        return []
    body = body_size(runs)
    lines = drop_margins(lines, body)
    lead = leading(lines, body)
    headings = _cut_reference_list(lines, find_headings(lines, body, lead))
    compounds = _compounds(lines)
    notes = _footnotes(lines, body)
    if not headings:
        text = _paragraphs(lines, lead, compounds, notes)
        return [Section("Full text", text)] if text else []
    numbered = any(h.number for h in headings)
    # Front matter (title, authors, keywords) runs up to the first numbered heading, or in an
    # unnumbered paper up to the Abstract; only the Abstract is kept from it.
    front = numbered or any(_is_abstract(h) for h in headings)
    sections = []
    stack: list[tuple[int, str]] = []  # (level, title) of the numbered headings above
    skipping = False  # in the references, until an appendix
    for k, heading in enumerate(headings):
        end = headings[k + 1].index if k + 1 < len(headings) else len(lines)
        front = front and not (heading.number or not numbered and _is_abstract(heading))
        if REFERENCES.fullmatch(title_of(heading.text)):
            skipping = True
        skipping = skipping and not _is_appendix(heading)
        if skipping or front and not _is_abstract(heading):
            continue
        if heading.number:
            level = len(heading.number[1])
            stack = [entry for entry in stack if entry[0] < level] + [(level, heading.text)]
            path = " / ".join(title for _, title in stack)
        else:
            stack, path = [], heading.text
        text = _paragraphs(lines[heading.index + heading.lines : end], lead, compounds, notes)
        if heading.lines == 0:  # "Abstract. We ..." / "Abstract—We ..."
            text = re.sub(r"(?i)^abstract\W*", "", text)
        if text:
            sections.append(Section(path, text))
    return sections


def _is_abstract(heading: Heading) -> bool:
    return heading.number is None and heading.text == "Abstract"


def _is_appendix(heading: Heading) -> bool:
    return bool(heading.number and heading.number[0] == "letter") or bool(
        APPENDIX.match(title_of(heading.text))
    )


def _cut_reference_list(lines: list[Line], headings: list[Heading]) -> list[Heading]:
    """A reference list with no heading of its own ("[1] A. Author, ..." lines after the last
    section, as revtex sets it) gets a References heading, so it is cut like one."""
    if any(REFERENCES.fullmatch(title_of(h.text)) for h in headings):
        return headings
    last = max((h.index for h in headings if not _is_appendix(h)), default=0)
    stop = next((h.index for h in headings if h.index > last), len(lines))
    starts = [i for i in range(last, stop) if re.match(r"\[1\]\s", lines[i].text)]
    for i in starts:
        if any(re.match(r"\[2\]\s", line.text) for line in lines[i + 1 : stop]):
            cut = Heading(i, 0, "References", None, True)
            return sorted([*headings, cut], key=lambda h: (h.index, h.lines))
    return headings


def _paragraphs(
    lines: list[Line], lead: float, compounds: frozenset[str], notes: frozenset[int]
) -> str:
    """Lines joined into paragraphs ("\\n\\n" between them): a new paragraph after a wider gap
    than the leading or at an indented first line. Footnotes and figure or table captions, which
    TeX drops in mid-sentence, become paragraphs of their own after the section's text."""
    paragraphs: list[list[str]] = []
    asides: list[list[str]] = []
    previous: Line | None = None  # the last line of running text
    aside: Line | None = None  # the last line of the aside being read
    for line in lines:
        if aside is not None and _aside_goes_on(aside, line, lead, notes):
            asides[-1].append(line.text)
            aside = line
            continue
        aside = None
        if id(line) in notes or _CAPTION.match(line.text):
            asides.append([line.text])
            aside = line
            continue
        if previous is None or _breaks(previous, line, lead):
            paragraphs.append([])
        paragraphs[-1].append(line.text)
        previous = line
    chunks = [_join(chunk, compounds) for chunk in paragraphs + asides]
    return "\n\n".join(chunk for chunk in chunks if chunk)


def _aside_goes_on(aside: Line, line: Line, lead: float, notes: frozenset[int]) -> bool:
    if id(aside) in notes:
        return id(line) in notes
    return line.page == aside.page and aside.y > line.y and not _breaks(aside, line, lead)


def _footnotes(lines: list[Line], body: float) -> frozenset[int]:
    """Footnote lines (by id): a block of small lines in the lower part of a page that closes
    a column (the next line is higher up, or on the next page) and has words, not only math."""
    found: set[int] = set()
    i = 0
    while i < len(lines):
        j = i
        if lines[i].size <= 0.92 * body and lines[i].y < 0.45 * lines[i].top:
            while j + 1 < len(lines) and _below(lines[j], lines[j + 1]):
                if lines[j + 1].size > 0.92 * body:
                    break
                j += 1
            words = re.findall(r"[^\W\d_]{2,}", " ".join(line.text for line in lines[i : j + 1]))
            if len(words) >= 3 and (j + 1 == len(lines) or not _below(lines[j], lines[j + 1])):
                found.update(id(line) for line in lines[i : j + 1])
        i = j + 1
    return frozenset(found)


def _below(upper: Line, lower: Line) -> bool:
    return lower.page == upper.page and lower.y < upper.y


def _breaks(previous: Line, line: Line, lead: float) -> bool:
    if line.page != previous.page:
        return False  # a paragraph runs on over the page
    step = previous.y - line.y
    if step < 0 or step > 6 * lead:
        return False  # the next column
    if step > 1.35 * lead:
        return True
    return line.x > previous.x + 0.6 * line.size and line.x - previous.x < 4 * line.size


def _compounds(lines: list[Line]) -> frozenset[str]:
    """Hyphenated words the paper writes within a line ("incentive-compatible"): split over a
    line break, they keep their hyphen."""
    return frozenset(
        m.group(0).lower() for line in lines for m in re.finditer(r"\w+(?:-\w+)+", line.text)
    )


def _join(lines: list[str], compounds: frozenset[str]) -> str:
    """One paragraph's lines: "exam-" + "ple" is "example", "out-of-" + "distribution" and
    "PHY-" + "1505463" keep the hyphen, other lines meet with a space."""
    text = ""
    for line in lines:
        split = re.search(r"([\w-]*[^\W\d_])-$", text)
        if not text:
            text = line
        elif split and line[:1].islower():
            word = split.group(1) + "-" + re.match(r"\w*", line).group(0)
            keep = "-" in split.group(1) or word.lower() in compounds
            text = (text if keep else text[:-1]) + line
        elif split and line[:1].isalnum() or re.search(r"(?:https?://|www\.)\S*/$", text):
            text += line  # "PHY-" + "1505463", a URL broken after a slash
        else:
            text += " " + line
    return " ".join(text.split())
