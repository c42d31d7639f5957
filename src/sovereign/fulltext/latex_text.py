"""LaTeX to plain text with pylatexenc, set up so that words and math survive.

Math is rendered as text (`$O(n \\log n)$` -> `O(n log n)`, `\\frac{a+b}{2}` -> `(a+b)/2`,
`x_{i,j}^{2}` -> `x_(i,j)^2`, Greek and operators as Unicode: `α`, `≤`, `∑`), with font switches
such as `\\mathbf`/`\\mathcal` reduced to their letters so they stay searchable. Markup keeps its
words: `\\emph{x}` and unknown commands with arguments keep their text, a footnote is put in
parentheses, `\\url{x}` is x, `\\href{u}{x}` is x. Citations become "[cite]", references "?"
(what LaTeX prints before they resolve). Layout and setup commands (`\\label`, `\\color`,
`\\vspace`, ...) vanish. Nothing here depends on the date or the environment: the same LaTeX
always gives the same text.
"""

from __future__ import annotations

import re

from pylatexenc import latex2text, latexwalker
from pylatexenc.latex2text import MacroTextSpec
from pylatexenc.macrospec import MacroSpec, std_macro

from .latex_source import read_group

_CITES = (
    "cite citep citet citealt citealp citeauthor citeyear citeyearpar citenum Cite Citep Citet "
    "Citealt Citealp Citeauthor parencite textcite autocite footcite smartcite nocite "
    "citefullauthor".split()
)
_REFS = "ref eqref autoref Autoref cref Cref pageref nameref vref Vref subref".split()
# Setup and layout: their arguments are never words of the paper.
_DROPPED = (
    "label hypersetup keywords bibliography bibliographystyle setlength addtolength setcounter "
    "addtocounter hphantom vphantom phantom documentclass usepackage RequirePackage "
    "selectlanguage pagecolor rowcolors definecolor providecolor colorlet color boxframe "
    "newcommand renewcommand providecommand newenvironment renewenvironment "
    "provideenvironment DeclareMathOperator includegraphics todo vspace hspace title author date "
    "maketitle thanks affiliation email address institute ding linewidth captionsetup "
    "graphicspath pdfoutput".split()
)
# Font switches inside math: the letters themselves are what a reader searches for.
_PLAIN = (
    "mathcal mathbf mathit mathsf mathtt mathrm mathscr mathfrak bm boldsymbol mathbbm "
    "textsuperscript textsubscript".split()
)
_HEADINGS = "part chapter section subsection subsubsection paragraph subparagraph".split()
_SYMBOLS = {
    "|": "‖",
    "gets": "←",
    "lvert": "|",
    "rvert": "|",
    "rVert": "‖",
    "S": "§",
    "coloneqq": "≔",
    "eqqcolon": "≕",
    "lesssim": "≲",
    "gtrsim": "≳",
    "varnothing": "∅",
    "neg": "¬",
    "land": "∧",
    "lor": "∨",
    "implies": "⟹",
    "iff": "⟺",
    "bmod": "mod",
    "mod": "mod",
    **{name: name for name in ("TeX", "LaTeX", "LaTeXe", "BibTeX")},
    **{op: op for op in "Pr det arg dim ker gcd deg hom lg argmax argmin cot sec csc coth".split()},
}
_SCRIPT = re.compile(r"(?<!\\)([_^])\s*\{")
_SPACE = re.compile(r"[ \t\n\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_PARAGRAPH = re.compile(r"\n[ \t\u00a0]*\n\s*")
_LABEL = re.compile(r"[ \t]*\n?[ \t]*\\label\s*\{[^{}]*\}")
# A space left before punctuation where math or a dropped command ended (`f(x) , where`).
_LOOSE_PUNCTUATION = re.compile(r"(?<=\S) ([,.;:])(?=\s|$)")
_LEFTOVER = re.compile(r"\\[A-Za-z@]+\*?")
_CRUDE = re.compile(r"\\[A-Za-z@]+\*?|\\.|[{}$&^_~]")


def _fraction(node: latexwalker.LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
    parts = [_arg(l2tobj, node, i) for i in range(2)]
    return "/".join(p if len(p) <= 1 or p.isalnum() else f"({p})" for p in parts) + " "


def _arg(l2t: latex2text.LatexNodes2Text, node: latexwalker.LatexMacroNode, index: int) -> str:
    args = node.nodeargd.argnlist if node.nodeargd else []
    if index >= len(args) or args[index] is None:
        return ""
    return l2t.nodelist_to_text([args[index]]).strip()


def _footnote(node: latexwalker.LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
    text = _arg(l2tobj, node, 1)
    return f" ({text})" if text else ""


def _last_arg(node: latexwalker.LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
    args = node.nodeargd.argnlist if node.nodeargd else []
    return _arg(l2tobj, node, len(args) - 1) if args else ""


def _binomial(node: latexwalker.LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
    return f"binom({_arg(l2tobj, node, 0)}, {_arg(l2tobj, node, 1)}) "


def _heading(node: latexwalker.LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
    """A heading left inside other text (an unclosed brace swallowed it): its title as a
    paragraph."""
    return "\n\n" + _last_arg(node, l2tobj) + "\n\n"


def _verb(node: latexwalker.LatexMacroNode) -> str:
    return getattr(node.nodeargd, "verbatim_text", "") or ""


def _item(node: latexwalker.LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
    label = _arg(l2tobj, node, 0)
    return "\n\n" + (label + " " if label else "")


def _contexts() -> tuple[object, object]:
    walker_db = latexwalker.get_default_latex_context_db()
    walker_db.add_context_category(
        "sovereign",
        prepend=True,
        macros=[
            std_macro("href", False, 2),
            std_macro("url", False, 1),
            std_macro("nolinkurl", False, 1),
            std_macro("todo", True, 1),
            std_macro("operatorname", "*{"),
            std_macro("footnote", True, 1),
            std_macro("footnotetext", True, 1),
            std_macro("thanks", False, 1),
            std_macro("affiliation", False, 1),
            std_macro("email", False, 1),
            std_macro("captionsetup", True, 1),
            std_macro("graphicspath", False, 1),
            std_macro("ding", False, 1),
            std_macro("frac", False, 2),
            std_macro("dfrac", False, 2),
            std_macro("tfrac", False, 2),
            std_macro("binom", False, 2),
            *(std_macro(name, False, 1) for name in _PLAIN),
            *(MacroSpec(name, "*[[{") for name in _CITES),
            *(std_macro(name, "*{") for name in _REFS),
        ],
    )
    text_db = latex2text.get_default_latex_context_db()
    text_db.add_context_category(
        "sovereign",
        prepend=True,
        macros=[
            MacroTextSpec("href", "%(2)s"),
            MacroTextSpec("url", "%(1)s"),
            MacroTextSpec("nolinkurl", "%(1)s"),
            MacroTextSpec("operatorname", "%(2)s"),
            MacroTextSpec("footnote", simplify_repl=_footnote),
            MacroTextSpec("footnotetext", simplify_repl=_footnote),
            MacroTextSpec("frac", simplify_repl=_fraction),
            MacroTextSpec("dfrac", simplify_repl=_fraction),
            MacroTextSpec("tfrac", simplify_repl=_fraction),
            MacroTextSpec("binom", simplify_repl=_binomial),
            MacroTextSpec("verb", simplify_repl=_verb),
            MacroTextSpec("item", simplify_repl=_item),
            MacroTextSpec("textcolor", simplify_repl=_last_arg),
            *(MacroTextSpec(name, simplify_repl=_heading) for name in _HEADINGS),
            *(MacroTextSpec(name, "[cite]") for name in _CITES),
            *(MacroTextSpec(name, "?") for name in _REFS),
            *(MacroTextSpec(name, "") for name in _DROPPED),
            *(MacroTextSpec(name, "%(1)s") for name in _PLAIN),
            *(MacroTextSpec(name, text) for name, text in _SYMBOLS.items()),
        ],
    )
    return walker_db, text_db


class _Converter(latex2text.LatexNodes2Text):
    """Commands the parser knows to take arguments but that have no text rule keep the text of
    their arguments (pylatexenc would drop it: `\\texttt{word}` -> "")."""

    def macro_node_to_text(self, node: latexwalker.LatexMacroNode) -> str:
        if self.latex_context.get_macro_spec(node.macroname) is None:
            args = node.nodeargd.argnlist if node.nodeargd and node.nodeargd.argnlist else []
            return "".join(self._groupnodecontents_to_text(a) for a in args if a is not None)
        return super().macro_node_to_text(node)

    def math_node_to_text(self, node: latexwalker.LatexNode) -> str:
        """Display math stays in its sentence, on one line (pylatexenc sets it apart)."""
        text = super().math_node_to_text(node)
        if getattr(node, "displaytype", "display") == "inline":
            return text
        return " " + one_line(text) + " "


_WALKER_DB, _TEXT_DB = _contexts()
_CONVERTER = _Converter(latex_context=_TEXT_DB, math_mode="text", strict_latex_spaces=False)


def latex_to_text(latex: str) -> str:
    """Plain text: paragraphs joined by a blank line, single spaces inside them."""
    source = _group_scripts(_LABEL.sub("", latex))
    walker = latexwalker.LatexWalker(source, latex_context=_WALKER_DB, tolerant_parsing=True)
    nodes, _, _ = walker.get_latex_nodes()
    # a command pylatexenc could not parse (cut off, `\\end{document`) is left raw: drop it
    return normalise(_LEFTOVER.sub("", _CONVERTER.nodelist_to_text(nodes)))


def crude_text(latex: str) -> str:
    """The words of LaTeX pylatexenc could not read: commands and braces removed."""
    return normalise(_CRUDE.sub(" ", latex))


def normalise(text: str) -> str:
    paragraphs = (_SPACE.sub(" ", p).strip() for p in _PARAGRAPH.split(text))
    paragraphs = (_LOOSE_PUNCTUATION.sub(r"\1", p) for p in paragraphs)
    return "\n\n".join(p for p in paragraphs if p)


def one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _group_scripts(latex: str, depth: int = 0) -> str:
    """Put parentheses inside a multi-character sub- or superscript group (`x_{i+1}` ->
    `x_{(i+1)}`), which pylatexenc would otherwise flatten to the ambiguous `x_i+1`."""
    out: list[str] = []
    pos = 0
    for match in _SCRIPT.finditer(latex):
        if match.start() < pos:
            continue
        group = read_group(latex, match.end() - 1, limit=2000)
        if group is None:
            continue
        content = group[0].strip()
        if len(content) <= 1 or re.fullmatch(r"\\[A-Za-z]+|\d+|[A-Za-z]+", content):
            continue
        out.append(latex[pos : match.end()])
        inner = _group_scripts(group[0], depth + 1) if depth < 8 else group[0]
        out.append("(" + inner + ")}")
        pos = group[1]
    out.append(latex[pos:])
    return "".join(out)
