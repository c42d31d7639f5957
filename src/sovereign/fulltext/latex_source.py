"""A paper's source files read as TeX reads them: decoded, comments gone, `\\input`s followed,
`\\iffalse` blocks out; and the small readers of TeX arguments the other modules share.

Files come only from the archive's dict (never the filesystem); recursion and size are capped.
"""

from __future__ import annotations

import posixpath
import re

from .model import SourceError

MAX_CHARS = 16_000_000  # the whole source after \input; far above any real paper
MAX_DEPTH = 20
MAX_ARG = 50_000  # an argument longer than this is taken as an unclosed brace

_COMMENT = re.compile(r"\\.|%[^\n]*(?:\n[ \t]*(?=\S))?", re.DOTALL)
_INPUT = re.compile(
    r"(?<!\\)\\(?:input|include|subfile)(?![A-Za-z@])\s*(?:\{([^{}]*)\}|([^\s{}\\%]+))"
)
_ENDINPUT = re.compile(r"(?<!\\)\\endinput(?![A-Za-z@])")
CS = re.compile(r"\\([A-Za-z@]+|.)", re.DOTALL)
CS_AT = re.compile(r"\s*\\([A-Za-z@]+|.)", re.DOTALL)
_IF = re.compile(r"\\(newif\s*\\[A-Za-z@]+|if[A-Za-z@]*|else|fi)(?![A-Za-z@])")


def decode(data: bytes) -> str:
    """UTF-8, else latin-1 (which never fails): old sources are often in a legacy encoding."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def strip_comments(text: str) -> str:
    """Drop `%` comments (an escaped `\\%` stays). As in TeX, a comment also swallows its line
    end when text continues on the next line (`word%` + newline joins), but not a blank line."""
    return _COMMENT.sub(lambda m: m.group() if m.group().startswith("\\") else "", text)


def expand_inputs(files: dict[str, bytes], main: str) -> str:
    """The main file with every \\input/\\include/\\subfile replaced by the named file's text
    (comments stripped first, so commented-out inputs are not followed); a name not in the
    archive contributes nothing."""
    size = 0

    def read(name: str, depth: int, stack: tuple[str, ...]) -> str:
        nonlocal size
        text = strip_comments(decode(files[name]))
        end = _ENDINPUT.search(text)
        if end:
            text = text[: end.start()]

        def replace(match: re.Match[str]) -> str:
            target = _resolve(files, (match.group(1) or match.group(2)).strip(), name, main)
            if target is None or target in stack or depth >= MAX_DEPTH:
                return ""
            return "\n" + read(target, depth + 1, (*stack, target)) + "\n"

        text = _INPUT.sub(replace, text)
        size += len(text)
        if size > MAX_CHARS:
            raise SourceError(f"the source expands to more than {MAX_CHARS} characters")
        return text

    return read(main, 0, (main,))


def _resolve(files: dict[str, bytes], target: str, including: str, main: str) -> str | None:
    """The archive member an \\input names, as TeX looks: `x.tex` before `x`, beside the
    including file, then beside the main file."""
    if not target:
        return None
    names = [target] if target.lower().endswith(".tex") else [target + ".tex", target]
    for base in dict.fromkeys((posixpath.dirname(including), posixpath.dirname(main))):
        for name in names:
            path = posixpath.normpath(posixpath.join(base, name))
            path = path.removeprefix("./")
            if path in files and b"\0" not in files[path][:8192]:  # never a binary file
                return path
    return None


def strip_conditionals(text: str) -> str:
    """Drop `\\iffalse ... \\fi` blocks (a common way to comment out text; their `\\else` branch
    stays) and the tokens of every other conditional, keeping both of its branches: which branch
    TeX takes is not known here, and losing words is worse than keeping a variant."""
    out: list[str] = []
    frames: list[list[bool]] = []  # per open \if: [is \iffalse, in its \else branch]
    pos = 0
    for match in _IF.finditer(text):
        word = match.group(1)
        if not _hidden(frames):
            out.append(text[pos : match.start()])
        pos = match.end()
        if word == "ifthenelse":  # a macro with arguments, not a TeX conditional
            if not _hidden(frames):
                out.append(match.group())
            continue
        if word.startswith("newif"):
            continue
        if word == "else":
            if frames:
                frames[-1][1] = True
        elif word == "fi":
            if frames:
                frames.pop()
        else:
            frames.append([word == "iffalse", False])
            if word in ("ifdefined", "ifx", "ifcsname"):
                # the control sequences tested are not text
                for _ in range(1 if word == "ifdefined" else 2):
                    cs = CS_AT.match(text, pos)
                    if cs:
                        pos = cs.end()
    if not _hidden(frames):
        out.append(text[pos:])
    return "".join(out)


def _hidden(frames: list[list[bool]]) -> bool:
    return any(is_false and not in_else for is_false, in_else in frames)


def read_group(text: str, start: int, limit: int = MAX_ARG) -> tuple[str, int] | None:
    """The content of the brace group opening at `start` and the index after it; None when it
    does not close within `limit` characters."""
    if start >= len(text) or text[start] != "{":
        return None
    depth = 0
    i = start
    end = min(len(text), start + limit)
    while i < end:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
        i += 1
    return None


def read_arg(text: str, start: int) -> tuple[str, int] | None:
    """One undelimited TeX argument after optional spaces: a brace group's content or a single
    token (a control sequence or a character)."""
    i = start
    while i < len(text) and text[i] in " \t\n":
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        return read_group(text, i)
    if text[i] == "}":
        return None
    if text[i] == "\\":
        cs = CS.match(text, i)
        return (cs.group(), cs.end()) if cs else None
    return text[i], i + 1


def read_optional(text: str, start: int) -> tuple[str, int] | None:
    """A `[...]` argument after optional spaces (brackets inside braces do not close it)."""
    i = start
    while i < len(text) and text[i] in " \t\n":
        i += 1
    if i >= len(text) or text[i] != "[":
        return None
    depth = 0
    for j in range(i + 1, min(len(text), i + MAX_ARG)):
        char = text[j]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "]" and depth <= 0:
            return text[i + 1 : j], j + 1
    return None
