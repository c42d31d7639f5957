"""Sentence segmentation for arXiv abstracts, as offsets into the text exactly as given.

Abstracts are hard-wrapped and full of periods that end nothing: TeX math (`$p < 0.05. $`),
abbreviations (`e.g.`, `Fig. 3`, `et al.`), initials, decimals, versions, URLs. A sentence ends at
`.`, `!`, `?` or an ellipsis (plus any closing quotes or brackets) that is followed by whitespace
and then by something that can start a sentence; a blank line always ends one. The text is
scanned in place, never normalised, so `text[start:end]` is the sentence itself.

Ambiguous cases, decided for abstracts:
- After a period, a word starting in lower case continues the sentence (`i.e. the encoder`,
  `approx. twice`) unless it is camel case or a URL (`mIoU`, `https://...`), which starts one.
- `etc.`, `et al.` and `resp.` end a sentence only before a capitalised word (`etc. We`), not
  before a citation, number or math (`et al. (2020)`, `et al. [4]`).
- After an initial (`J.`), a dotted abbreviation (`U.S.`, `Ph.D.`) or `No.`, only a common
  sentence opener (`We`, `The`, `However`, ...) starts a new sentence, so names stay whole
  (`A. B. Jones`, `U.S. Army`) while `matrix A. We` and `in the U.S. The` split.
- A bare number before the period is a list marker, not a sentence end, when it opens the
  sentence, follows a colon, or continues the count (`components: 1. X, 2. Y`).
- `$` before a digit whose partner also comes before a digit is currency, not math
  (`$5 to $9`), so the pair does not hide a sentence end.
"""

from __future__ import annotations

import re

_PARAGRAPH = re.compile(r"\n\s*\n")
_NONSPACE = re.compile(r"\S")
# Terminator run, then closing quotes/brackets (or the `$` of math ending in a period) kept with
# the sentence, then whitespace or the end.
_END = re.compile(r"([.!?\u2026]+)[\"'\u201d\u2019\u00bb)\]}$]*(?=\s|\Z)")
# Regions no sentence boundary may fall inside: TeX math and (up to three-deep) brace groups.
_PROTECTED = re.compile(
    r"(?<!\\)\$\$(?:\\.|[^\\$])+\$\$"
    r"|(?<!\\)\$(?!\d[^$]*\$\d)(?:\\.|[^\\$])+\$"
    r"|\\\((?:\\[^()]|[^\\])*?\\\)"  # math never nests: a second `\(` ends the try
    r"|\\\[(?:\\[^\[\]]|[^\\])*?\\\]"
    r"|\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}",
    re.DOTALL,
)
_MARKUP_HINT = re.compile(r"[$\\{]")
# A lower-case start that still opens a sentence: a camel-case name or a URL.
_LOWER_START = re.compile(r"[a-z]+[A-Z]|https?://|www\.")
_OPENER_WORD = re.compile(r"[A-Z][a-z]*(?![\w.])")
_DOTTED = re.compile(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}")
_NUMBER = re.compile(r"\d{1,2}")

# Abbreviations that always take an object (`Fig. 3`, `e.g. BERT`), so never end a sentence;
# the first set in any case, the second only as spelled (`ms.`, `sec.` and `no.` are words).
_PREFIX_FOLDED = frozenset(
    "e.g i.e cf vs viz w.r.t a.k.a approx incl fig figs eq eqs eqn prof".split()
)
_PREFIX_EXACT = frozenset(
    "Sec Secs Sect Tab Tabs Ref Refs Thm Lem Def Prop Cor Alg App Ch Vol Dr Mr Mrs Ms St "
    "ca ex".split()
)
# Abbreviations that often end a sentence: only a capitalised word after them starts a new one.
_SOFT = frozenset("etc al resp".split())
# Words that open sentences in abstracts and are not names: the only starts trusted after an
# initial or a dotted abbreviation.
_OPENERS = frozenset(
    "A An As At After Also Although Among Across Additionally All Based Because Both But By "
    "Code Compared Consequently Despite During Each Even Existing Experiments Experimental "
    "Extensive Finally First For Further Furthermore Given Hence Here However If In Instead "
    "It Its Moreover Most Motivated Notably On Our Overall Previous Prior Recent Recently "
    "Results Second Since Specifically Such That The Their Then There These They This Those "
    "Thus To Together Unlike Using We When Where While With Without Yet".split()
)
_TOKEN_STOPS = "([{\"'\u201c\u2018~"
_NO_START = ",;:.!?\u2026"  # punctuation never opens a sentence (`so on . . . and`)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each sentence in `text`, in order; text[start:end] is the
    sentence with surrounding whitespace excluded. Never empty spans; spans do not overlap."""
    spans: list[tuple[int, int]] = []
    start = 0
    for brk in _PARAGRAPH.finditer(text):
        _segment(text, start, brk.start(), spans)
        start = brk.end()
    _segment(text, start, len(text), spans)
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def _segment(text: str, lo: int, hi: int, out: list[tuple[int, int]]) -> None:
    """Append the sentences of the paragraph text[lo:hi] to `out`."""
    guarded = []
    if _MARKUP_HINT.search(text, lo, hi):
        guarded = [m.span() for m in _PROTECTED.finditer(text, lo, hi)]
    k = 0
    start = _skip_space(text, lo, hi)
    marker = None  # the last list number seen in this paragraph
    for m in _END.finditer(text, lo, hi):
        end = m.end()
        while k < len(guarded) and guarded[k][1] <= end:
            k += 1
        if k < len(guarded) and guarded[k][0] < end:
            continue  # inside math or a brace group
        nxt = _skip_space(text, end, hi)
        if nxt == hi:
            break
        term = m.group(1)
        token_start, token = _token(text, start, m.start())
        if term == "." and _NUMBER.fullmatch(token):
            after_colon = text[start:token_start].rstrip().endswith(":")
            if token_start == start or after_colon or marker == int(token) - 1:
                marker = int(token)
                continue
        if _starts_sentence(text, term, token, m.end(1) < end, nxt):
            out.append((start, end))
            start = nxt
    end = hi
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))


def _starts_sentence(text: str, term: str, token: str, closed: bool, nxt: int) -> bool:
    """Whether the text at `nxt` opens a new sentence after `token` + `term` (+ closers)."""
    first = text[nxt]
    if first in _NO_START:
        return False
    if first.islower() and not _LOWER_START.match(text, nxt):
        return False
    if term != ".":
        return True
    if not closed and (token.lower() in _PREFIX_FOLDED or token in _PREFIX_EXACT):
        return False  # a closing bracket after `e.g.` means its object never came
    if token.lower() in _SOFT:
        return first.isupper()
    if (len(token) == 1 and token.isupper()) or token == "No" or _DOTTED.fullmatch(token):
        word = _OPENER_WORD.match(text, nxt)
        return word is not None and word.group() in _OPENERS
    return True


def _token(text: str, lo: int, i: int) -> tuple[int, str]:
    """The token ending at `i` and its start, opening brackets and quotes left out."""
    j = i
    while j > lo and not text[j - 1].isspace() and text[j - 1] not in _TOKEN_STOPS:
        j -= 1
        if i - j > 12:
            return j, ""  # longer than any abbreviation, initial or list number
    return j, text[j:i]


def _skip_space(text: str, i: int, hi: int) -> int:
    m = _NONSPACE.search(text, i, hi)
    return m.start() if m else hi
