"""A paper's LaTeX source as sections of plain text, named and numbered as a reader sees them.

The main file is the .tex with an uncommented `\\documentclass`; its `\\input`s are followed
inside the archive only, the authors' simple macros expanded (latex_macros), and only the
document body is read. The abstract comes first ("Abstract"); sections follow in order with
paths such as "2 Method / 2.1 Encoder" (starred headings have no number: "Acknowledgements";
after `\\appendix` sections are lettered under "Appendix / A Proofs"). Figures, tables and
algorithms keep only their captions ("Figure: ...", "Table: ...", "Algorithm: ..."); theorem-like
environments keep their text behind their printed name ("Lemma (Name). ..."); bibliographies,
TikZ pictures, code listings and commented-out blocks are dropped.

Text before the first heading is usually title, authors and affiliations, and is dropped; when
it holds real prose (a Nature-style unheaded opening: paragraphs of at least 20 words, 50 words
in all) it is kept as "Preamble text". A source with no heading at all is kept whole under that
name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import latex_source as tex
from .latex_macros import collect_definitions, expand_macros
from .latex_text import crude_text, latex_to_text, one_line
from .model import ABSTRACT_PATH, Section, SourceError

LEADING = "Preamble text"
_LEADING_PARAGRAPH_WORDS = 20
_LEADING_WORDS = 50

_DOCUMENTCLASS = re.compile(r"(?<!\\)\\document(?:class|style)(?![A-Za-z@])")
_BEGIN_DOCUMENT = re.compile(r"\\begin\s*\{document\}")
_END_DOCUMENT = re.compile(r"\\end\s*\{document\}")
_HEADING = re.compile(
    r"\\(chapter|section|subsection|subsubsection)(?![A-Za-z@])\s*(\*?)"
    r"|\\(appendix|appendices)(?![A-Za-z@])|\\begin\s*\{appendix\}"
)
_LEVEL = {"chapter": 0, "section": 1, "subsection": 2, "subsubsection": 3}
_PARAGRAPH_HEAD = re.compile(r"\\(?:sub)?paragraph(?![A-Za-z@])\s*\*?")
_DROPPED_ENVS = (
    "comment tikzpicture pgfpicture pspicture picture thebibliography verbatim Verbatim "
    "lstlisting minted CCSXML filecontents filecontents* algorithmic algorithmic* "
    "algorithm2e".split()
)
_FLOATS = {
    **dict.fromkeys(
        "figure figure* wrapfigure SCfigure sidewaysfigure subfigure".split(), "Figure"
    ),
    **dict.fromkeys("table table* wraptable sidewaystable longtable".split(), "Table"),
    **dict.fromkeys(("algorithm", "algorithm*"), "Algorithm"),
    **dict.fromkeys(("listing", "listing*"), "Listing"),
}
_FLOAT_BEGIN = re.compile(
    r"\\begin\s*\{("
    + "|".join(re.escape(n) for n in sorted(_FLOATS, key=len, reverse=True))
    + r")\}"
)
_THEOREMS = (
    "theorem lemma proposition corollary definition remark claim conjecture example assumption "
    "observation fact hypothesis problem question note condition axiom property proof".split()
)
_CAPTION = re.compile(r"\\(?:sub)?caption(?:of\s*\{[^{}]*\})?(?![A-Za-z@])\s*\*?")
_CAPTIONOF = re.compile(r"\\captionof\s*\{([^{}]*)\}")
_BIBLIOGRAPHY = re.compile(
    r"\\(?:bibliography|bibliographystyle|nocite|addbibresource)\s*\{[^{}]*\}"
    r"|\\printbibliography(?:\s*\[[^\]]*\])?"
)
_ACKS = re.compile(r"\\begin\s*\{acks\}|\\end\s*\{acks\}")
_END_APPENDIX = re.compile(r"\\end\s*\{appendix\}")
_ABSTRACT_MACRO = re.compile(r"\\abstract\s*(?=\{)")


def latex_sections(files: dict[str, bytes]) -> list[Section]:
    """The sections of the paper whose source files (archive path -> bytes) are given."""
    main = main_file(files)
    text = tex.expand_inputs(files, main)
    text = tex.strip_conditionals(text)
    text, macros, theorems = collect_definitions(text)
    text = expand_macros(text, macros)
    abstract, text = _take_abstract(text)
    body = _document_body(text)
    body = _prepare(body, theorems)
    sections: list[Section] = []
    if abstract and (abstract_text := _convert(_prepare(abstract, theorems))):
        sections.append(Section(ABSTRACT_PATH, abstract_text))
    for path, latex, leading in _split(body):
        converted = _convert(latex)
        if leading:
            converted = _leading_prose(converted)
        if converted:
            sections.append(Section(path, converted))
    if not sections:
        raise SourceError("no text in the source")
    return sections


def main_file(files: dict[str, bytes]) -> str:
    """The .tex that LaTeX is run on: an uncommented \\documentclass, preferring one with
    \\begin{document}, then the shortest path, then the first by name."""
    tex_files = sorted(name for name in files if name.lower().endswith(".tex"))
    candidates = []
    for name in tex_files:
        text = tex.strip_comments(tex.decode(files[name]))
        if _DOCUMENTCLASS.search(text):
            has_body = _BEGIN_DOCUMENT.search(text) is not None
            candidates.append((not has_body, len(name), name))
    if candidates:
        return min(candidates)[2]
    if len(tex_files) == 1:
        return tex_files[0]
    raise SourceError("no main .tex file (no \\documentclass)")


def _take_abstract(text: str) -> tuple[str, str]:
    """The abstract (environment, or the \\abstract{...} command of some classes), wherever it
    stands (some classes want it before \\begin{document}), and the text without it."""
    found = ""

    def take(_name: str, content: str) -> str:
        nonlocal found
        found = found or content
        return ""

    text = _replace_environments(text, ("abstract",), take)
    if not found and (match := _ABSTRACT_MACRO.search(text)):
        group = tex.read_group(text, match.end(), limit=len(text))
        if group:
            found = group[0]
            text = text[: match.start()] + text[group[1] :]
    return found, text


def _document_body(text: str) -> str:
    begin = _BEGIN_DOCUMENT.search(text)
    if not begin:
        return text
    end = _END_DOCUMENT.search(text, begin.end())
    return text[begin.end() : end.start() if end else len(text)]


def _prepare(text: str, theorems: dict[str, str]) -> str:
    """Figures to their captions, theorem-like environments to named paragraphs; code,
    pictures and the bibliography out."""
    text = _replace_environments(text, _DROPPED_ENVS, lambda _n, _c: "")
    text = _replace_environments(text, tuple(_FLOATS), _float_captions)
    text = _CAPTIONOF.sub(lambda m: "\n\n" + m.group(1).strip().capitalize() + ": \\caption", text)
    text = _BIBLIOGRAPHY.sub("", text)
    text = _ACKS.sub(lambda m: "\\section*{Acknowledgments}" if "begin" in m.group() else "", text)
    text = _END_APPENDIX.sub("", text)  # its begin already marked the appendix (_HEADING)
    text = _theorems(text, theorems)
    return _paragraph_heads(text)


def _replace_environments(
    text: str, names: tuple[str, ...], replace: Callable[[str, str], str]
) -> str:
    """Each outermost `\\begin{name}...\\end{name}` replaced by replace(name, content); a
    \\begin that never ends loses only itself."""
    if not any(name in text for name in names):
        return text
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    token = re.compile(r"\\(begin|end)\s*\{(" + alternatives + r")\}")
    out: list[str] = []
    pos = 0
    depth = 0
    opened: re.Match[str] | None = None
    for match in token.finditer(text):
        if match.group(1) == "begin":
            if depth == 0:
                opened = match
            if opened is not None and match.group(2) == opened.group(2):
                depth += 1
        elif opened is not None and match.group(2) == opened.group(2):
            depth -= 1
            if depth == 0:
                out.append(text[pos : opened.start()])
                out.append(replace(opened.group(2), text[opened.end() : match.start()]))
                pos = match.end()
                opened = None
    if opened is not None:  # never closed: drop the \begin only, keep what follows
        out.append(text[pos : opened.start()])
        pos = opened.end()
    out.append(text[pos:])
    return "".join(out)


def _float_captions(name: str, content: str) -> str:
    """Each caption as a paragraph named by its innermost float (an algorithm inside a figure
    is an algorithm)."""
    captions = []
    for match in _CAPTION.finditer(content):
        inner = [m.group(1) for m in _FLOAT_BEGIN.finditer(content, 0, match.start())]
        kind = _FLOATS.get(inner[-1] if inner else name, _FLOATS[name])
        i = match.end()
        if optional := tex.read_optional(content, i):
            i = optional[1]
        while i < len(content) and content[i] in " \t\n":
            i += 1
        group = tex.read_group(content, i)
        if group and group[0].strip():
            captions.append(f"\n\n{kind}: {group[0].strip()}\n\n")
    return "".join(captions) or "\n\n"


def _theorems(text: str, declared: dict[str, str]) -> str:
    titles = {name: name.rstrip("*").capitalize() for name in _THEOREMS} | declared
    alternatives = "|".join(re.escape(name) for name in sorted(titles, key=len, reverse=True))
    begin = re.compile(r"\\begin\s*\{(" + alternatives + r")\}")
    end = re.compile(r"\\end\s*\{(?:" + alternatives + r")\}")
    out: list[str] = []
    pos = 0
    for match in begin.finditer(text):
        if match.start() < pos:
            continue
        title = titles[match.group(1)]
        i = match.end()
        if optional := tex.read_optional(text, i):
            note, i = optional
            title = note if match.group(1) == "proof" else f"{title} ({note})"
        out.append(text[pos : match.start()])
        out.append(f"\n\n{{{title}}}. ")
        pos = i
    out.append(text[pos:])
    return end.sub("\n\n", "".join(out))


def _paragraph_heads(text: str) -> str:
    """`\\paragraph{Title}` folds into its section's text as the start of a paragraph."""
    out: list[str] = []
    pos = 0
    for match in _PARAGRAPH_HEAD.finditer(text):
        if match.start() < pos:
            continue
        i = match.end()
        if optional := tex.read_optional(text, i):
            i = optional[1]
        group = tex.read_group(text, i)
        if group is None:
            continue
        title = group[0].strip()
        stop = "" if not title or title[-1] in ".:?!" else "."
        out.append(text[pos : match.start()])
        out.append(f"\n\n{{{title}}}{stop} ")
        pos = group[1]
    out.append(text[pos:])
    return "".join(out)


def _split(body: str) -> list[tuple[str, str, bool]]:
    """(path, LaTeX, is-leading-text) for the text before the first heading and each heading."""
    top = 0 if re.search(r"\\chapter(?![A-Za-z@])", body) else 1
    counters = [0, 0, 0, 0]
    titles: dict[int, str] = {}
    appendix = False
    parts: list[tuple[str, str, bool]] = []
    path, start, leading = LEADING, 0, True
    pos = 0
    for match in _HEADING.finditer(body):
        if match.start() < pos:
            continue
        if match.group(1) is None:  # \appendix
            parts.append((path, body[start : match.start()], leading))
            appendix, counters[top], titles = True, 0, {}
            start = pos = match.end()
            continue
        level = _LEVEL[match.group(1)]
        i = match.end()
        if optional := tex.read_optional(body, i):
            i = optional[1]
        while i < len(body) and body[i] in " \t\n":
            i += 1
        group = tex.read_group(body, i)
        if group is None:
            continue
        parts.append((path, body[start : match.start()], leading))
        title = one_line(_convert(group[0])) or "Untitled"
        if not match.group(2) and level >= top:
            counters[level] += 1
            counters[level + 1 :] = [0] * (len(counters) - level - 1)
            numbers = [str(n) for n in counters[top : level + 1]]
            if appendix:
                numbers[0] = _letter(counters[top])
            title = ".".join(numbers) + " " + title
        titles = {k: v for k, v in titles.items() if k < level}
        titles[level] = title
        path = " / ".join((["Appendix"] if appendix else []) + [titles[k] for k in sorted(titles)])
        start = pos = group[1]
        leading = False
    parts.append((path, body[start:], leading))
    if len(parts) == 1:  # no heading at all: the whole body is the text
        return [(LEADING, body, False)]
    return parts


def _letter(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters or "0"


def _leading_prose(text: str) -> str:
    kept = [p for p in text.split("\n\n") if len(p.split()) >= _LEADING_PARAGRAPH_WORDS]
    return "\n\n".join(kept) if sum(len(p.split()) for p in kept) >= _LEADING_WORDS else ""


def _convert(latex: str) -> str:
    """Plain text of a piece of LaTeX; the crude fallback when pylatexenc fails on it."""
    if not latex.strip():
        return ""
    try:
        return latex_to_text(latex)
    except SourceError:  # the time limit, raised from inside pylatexenc
        raise
    except Exception:  # noqa: BLE001 - any pylatexenc failure costs this piece its markup only
        return crude_text(latex)
