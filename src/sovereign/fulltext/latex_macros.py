"""The authors' own macros: definitions collected (and removed from the text), then uses
expanded, as far as that is cheap and safe.

`\\newcommand` / `\\renewcommand` / `\\providecommand` / `\\def` with up to nine arguments
(an optional first one too), `\\def` with a literal delimiter (`\\def\\b1{...}`), and
`\\DeclareMathOperator`. Expansion is pass by pass with a pass cap and a size cap, so a macro
that expands into itself is simply left (and dropped later, as an unknown command).
"""

from __future__ import annotations

import re

from .latex_source import CS, CS_AT, read_arg, read_group, read_optional

MAX_PASSES = 20

_NEWCOMMAND = re.compile(
    r"\\(?:newcommand|renewcommand|providecommand|DeclareRobustCommand|newrobustcmd)\*?\s*"
)
_DEF = re.compile(r"\\(?:[gex]?def|long\\def)(?![A-Za-z@])\s*")
_MATHOP = re.compile(r"\\DeclareMathOperator\*?\s*")
_NEWTHEOREM = re.compile(r"\\newtheorem(\*?)\s*\{([^{}]*)\}\s*(?:\[[^\]]*\]\s*)?\{([^{}]*)\}")
_NEWENV = re.compile(r"\\(?:newenvironment|renewenvironment)\*?\s*\{[^{}]*\}")
_LET = re.compile(r"\\let\s*\\(?:[A-Za-z@]+|.)\s*=?\s*\\(?:[A-Za-z@]+|.)")
_PARAMS = re.compile(r"(?:\s*#\d)*\s*")
_ARG_NUMBER = re.compile(r"\s*\[\s*(\d)\s*\]")
_HASH = re.compile(r"##|#([1-9])")
_LETTERS = re.compile(r"[A-Za-z@]")
# Never expanded: the document structure later stages read (a class or package redefining
# \section for its layout must not make sections vanish).
PROTECTED = frozenset(
    "section subsection subsubsection chapter part paragraph subparagraph caption label begin end "
    "appendix item bibliography bibliographystyle abstract maketitle input include subfile "
    "footnote cite url href newcommand renewcommand def".split()
)


class Macro:
    """A user macro: `nargs` undelimited arguments (the first optional when `default` is set),
    or a literal `delimiter` that must follow the name (`\\def\\b1{...}`)."""

    __slots__ = ("body", "default", "delimiter", "nargs")

    def __init__(self, body: str, nargs: int = 0, default: str | None = None, delimiter: str = ""):
        self.body = body
        self.nargs = nargs
        self.default = default
        self.delimiter = delimiter


def collect_definitions(text: str) -> tuple[str, dict[str, Macro], dict[str, str]]:
    """The text without its macro, environment and theorem definitions, the macros defined (by
    name without backslash) and the theorem environments declared (name -> printed title)."""
    macros: dict[str, Macro] = {}
    theorems: dict[str, str] = {}
    out: list[str] = []
    pos = 0
    for cs in CS.finditer(text):
        if cs.start() < pos:
            continue
        end = _definition(text, cs.start(), macros, theorems)
        if end is not None:
            out.append(text[pos : cs.start()])
            pos = end
    out.append(text[pos:])
    return "".join(out), macros, theorems


def _definition(
    text: str, at: int, macros: dict[str, Macro], theorems: dict[str, str]
) -> int | None:
    """If a definition starts at `at`, record it and return where it ends."""
    if match := _NEWCOMMAND.match(text, at):
        name, i = _defined_name(text, match.end())
        if name is None:
            return None
        nargs, default = 0, None
        if number := _ARG_NUMBER.match(text, i):
            nargs, i = int(number.group(1)), number.end()
            if optional := read_optional(text, i):
                default, i = optional
        body = read_arg(text, i)
        if body is None:
            return None
        if name not in PROTECTED and not (text.startswith("\\provide", at) and name in macros):
            macros[name] = Macro(body[0], nargs, default)
        return body[1]
    if match := _DEF.match(text, at):
        name, i = _defined_name(text, match.end())
        brace = text.find("{", i, i + 200)
        if name is None or brace < 0:
            return None
        body = read_group(text, brace)
        if body is None:
            return None
        params = text[i:brace]
        if name not in PROTECTED:
            if _PARAMS.fullmatch(params):
                macros[name] = Macro(body[0], params.count("#"))
            elif "#" not in params and params.strip():
                macros[name] = Macro(body[0], delimiter=params.strip())
        return body[1]
    if match := _MATHOP.match(text, at):
        name, i = _defined_name(text, match.end())
        body = read_arg(text, i)
        if name is None or body is None:
            return None
        macros[name] = Macro("\\operatorname{" + body[0] + "}")
        return body[1]
    if match := _NEWTHEOREM.match(text, at):
        theorems[match.group(2).strip()] = match.group(3).strip()
        end = match.end()
        optional = read_optional(text, end)
        return optional[1] if optional else end
    if match := _NEWENV.match(text, at):
        i = match.end()
        for _ in range(2):
            if optional := read_optional(text, i):
                i = optional[1]
        for _ in range(2):
            group = read_arg(text, i)
            if group is None:
                return None
            i = group[1]
        return i
    if match := _LET.match(text, at):
        return match.end()
    return None


def _defined_name(text: str, start: int) -> tuple[str | None, int]:
    """`\\name` or `{\\name}` after a defining command."""
    i = start
    braced = i < len(text) and text[i] == "{"
    if braced:
        i += 1
    cs = CS_AT.match(text, i)
    if not cs:
        return None, start
    i = cs.end()
    if braced:
        close = re.compile(r"\s*\}").match(text, i)
        if not close:
            return None, start
        i = close.end()
    return cs.group(1), i


def expand_macros(text: str, macros: dict[str, Macro]) -> str:
    """Replace each use of a user macro by its body with the arguments put in, pass after pass
    until nothing changes. Stops after MAX_PASSES, or before the text would grow past twice its
    size plus 100,000 characters (real papers grow by a fraction), so a self-expanding macro
    cannot hang; the uses left unexpanded are then removed (never read as a built-in command of the
    same name, such as `\\b` or `\\c`)."""
    if not macros:
        return text
    cap = 2 * len(text) + 100_000
    for _ in range(MAX_PASSES):
        expanded = _expand_once(text, macros, cap)
        if expanded is None or expanded == text:
            break
        text = expanded
    return CS.sub(lambda m: "" if m.group(1) in macros else m.group(), text)


def _expand_once(text: str, macros: dict[str, Macro], cap: int) -> str | None:
    out: list[str] = []
    size = 0
    pos = 0
    for cs in CS.finditer(text):
        if cs.start() < pos:
            continue
        macro = macros.get(cs.group(1))
        if macro is None:
            continue
        result = _apply(text, cs.end(), macro)
        if result is None:
            continue
        body, end = result
        if end < len(text) and _LETTERS.match(text, end) and re.search(r"\\[A-Za-z@]+$", body):
            body += "{}"
        piece = text[pos : cs.start()]
        out.append(piece)
        out.append(body)
        size += len(piece) + len(body)
        if size > cap:
            return None
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _apply(text: str, i: int, macro: Macro) -> tuple[str, int] | None:
    """The expansion of a macro whose name ends at `i`, and where its arguments end."""
    if macro.delimiter:
        if not text.startswith(macro.delimiter, i):
            return None
        return macro.body, i + len(macro.delimiter)
    args: list[str] = []
    count = macro.nargs
    if macro.default is not None and count:
        optional = read_optional(text, i)
        if optional:
            args.append(optional[0])
            i = optional[1]
        else:
            args.append(macro.default)
        count -= 1
    for _ in range(count):
        arg = read_arg(text, i)
        if arg is None:
            return None
        args.append(arg[0])
        i = arg[1]
    if not args:
        return macro.body, i

    def put(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return "#"
        index = int(match.group(1)) - 1
        return args[index] if index < len(args) else ""

    return _HASH.sub(put, macro.body), i
