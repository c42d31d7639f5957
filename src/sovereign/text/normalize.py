"""Text normalization shared by every stage: wrapped lines, TeX, tokens.

arXiv metadata arrives hard-wrapped, with leading spaces and TeX markup (`$\\ell_1$`, `\\'a`,
`\\emph{x}`). Stored text keeps the TeX but loses the wraps; matching and scoring see plain words.
"""

from __future__ import annotations

import re
import unicodedata

# TeX accent commands and the Unicode combining mark each one stands for.
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "u": "\u0306",
    "H": "\u030b",
}
_ACCENT_RE = re.compile(
    r"""\\(['`^"~=.]|[cvuH](?=[{\s]))"""  # the accent command
    r"""\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))"""  # its letter, braced or bare
)
_TEX_CMD = re.compile(r"\\([A-Za-z]+)\*?")
_DOTLESS = re.compile(r"\\([ij])\b ?")
# Markup whose name is not content: dropped, while `\alpha` or `\ell` stay as words.
_MARKUP = frozenset(
    "emph textbf textit texttt textrm textsc textsf text mathrm mathbf mathit mathcal mathbb "
    "mathsf mathtt boldsymbol bm operatorname cite citep citet ref eqref label url href footnote "
    "left right big Big bigg Bigg mbox hbox rm bf it tt sc em cal".split()
)
_TEX_SYMBOLS = re.compile(r"[{}$^_\\]")
_SEARCH_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")


def collapse_whitespace(text: str | None) -> str:
    """Join hard-wrapped lines and squeeze runs of whitespace into one space."""
    if not text:
        return ""
    # str.split() splits on exactly the characters `\s` matches (str.isspace), 4x faster
    return " ".join(text.split())


def _accent(match: re.Match[str]) -> str:
    letter = (match.group(2) or match.group(3)).lstrip("\\")
    return unicodedata.normalize("NFC", letter + _ACCENTS[match.group(1)])


def _command(match: re.Match[str]) -> str:
    name = match.group(1)
    return " " if name in _MARKUP else f" {name} "


def detex(text: str | None) -> str:
    """Plain text from TeX-flavoured metadata: accents resolved, markup dropped, words kept."""
    if not text:
        return ""
    text = _DOTLESS.sub(r"\1", text)  # `\"\i ve`: the dotless i and its terminating space
    text = _ACCENT_RE.sub(_accent, text)
    text = _TEX_CMD.sub(_command, text)
    text = _TEX_SYMBOLS.sub(" ", text)
    return collapse_whitespace(unicodedata.normalize("NFKC", text))


def fold(text: str | None) -> str:
    """Lower-case plain text with accents removed, the form every matcher compares."""
    lowered = detex(text).lower()
    if lowered.isascii():  # most metadata: nothing to decompose (a 5x faster index build)
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_words(text: str | None) -> list[str]:
    """Words as a search engine indexes them: hyphens split (`mixture-of-experts` is three
    words, so the phrase "mixture of experts" finds it), decimals stay whole."""
    return _SEARCH_WORD.findall(fold(text))


def none_if_blank(value: object) -> str | None:
    """Metadata uses null, '', and the string 'None' for a missing value; make them all None."""
    if value is None:
        return None
    text = collapse_whitespace(str(value))
    if text == "" or text.lower() in ("none", "null", "nan"):
        return None
    return text


def stem(word: str) -> str:
    """A light English stem: enough to match plural and singular, never more."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def stems(text: str | None) -> frozenset[str]:
    """The stems of every word of a text (hyphenated words as their parts)."""
    return frozenset(stem(word) for word in search_words(text))
