import gzip
import time
from functools import cache

import pytest

from sovereign.fulltext.archive import source_files
from sovereign.fulltext.latex import latex_sections, main_file
from sovereign.fulltext.latex_macros import collect_definitions, expand_macros
from sovereign.fulltext.latex_source import expand_inputs, strip_comments, strip_conditionals
from sovereign.fulltext.latex_text import latex_to_text
from sovereign.fulltext.model import Limits, Section, SourceError
from support.paths import SHARED_DATA, requires_shared

SOURCES = SHARED_DATA / "arxiv_sources"
LIMITS = Limits(max_bytes=50 << 20, max_unpacked_bytes=200 << 20, max_members=5000, seconds=60)

MAIN = r"""\documentclass{article}
\usepackage{amsmath}
\newcommand{\method}{RouteNet}
\newcommand{\norm}[1]{\lVert #1 \rVert}
\newcommand{\pair}[2][p]{(#1, #2)}
\def\eps{\varepsilon}
\def\R{\mathbb{R}}
\DeclareMathOperator*{\argmax}{arg\,max}
\newtheorem{thm}{Theorem}
\title{A Test Paper}
\author{Ada Lovelace \thanks{Somewhere}}
\begin{document}
\maketitle
\begin{abstract}
We present \method{}, a router with cost $O(n \log n)$.
% \input{secret}
\end{abstract}
\input{sections/intro}
\section{Method}\label{sec:method}
We minimise $\norm{x - y}_2^2 + \eps$ over $x \in \R^d$ and take $\argmax_i s_i$.
The pair is $\pair{a}$ or $\pair[q]{b}$; see \cref{sec:intro} and \cite{smith2020}.
\subsection{Encoder}
The encoder\footnote{A small one.} maps $\frac{a+b}{2}$ to \textbf{codes} via \url{https://example.org/x}.
\begin{thm}[Bound]\label{thm:b}
For all $x$, $f(x_{i+1}) \le \frac{1}{2}$.
\end{thm}
\begin{figure}[t]
\centering
\begin{tikzpicture}\draw (0,0) -- (1,1); \node {TIKZ SECRET};\end{tikzpicture}
\includegraphics[width=\linewidth]{fig.pdf}
\caption{The \emph{encoder} at work.}\label{fig:enc}
\end{figure}
\subsection*{Notes}
Plain notes with 50\% of the words.
\include{sections/results}
\section*{Acknowledgements}
We thank the reviewers.
\bibliographystyle{plain}
\bibliography{refs}
\begin{thebibliography}{9}
\bibitem{smith2020} J. Smith. BIBLIOGRAPHY SECRET. 2020.
\end{thebibliography}
\appendix
\section{Proofs}
\subsection{Proof of the bound}
\begin{proof}
Trivial.
\end{proof}
\end{document}
"""
INTRO = r"""\section{Introduction}\label{sec:intro}
Routing matters. % \input{secret}
It really does.

A second paragraph.
"""
RESULTS = r"""\section{Results}
\begin{table}
\begin{tabular}{ll} TABLE SECRET & 1 \\ \end{tabular}
\caption{Accuracy per task.}
\end{table}
\method\ wins by 3 points.
"""
OWN = {
    "main.tex": MAIN.encode(),
    "sections/intro.tex": INTRO.encode(),
    "sections/results.tex": RESULTS.encode(),
    "secret.tex": b"\\section{Secret}SECRET TEXT",
    "refs.bib": b"@article{smith2020, title={BIB SECRET}}",
}


def _doc(body: str) -> dict[str, bytes]:
    return {"main.tex": ("\\documentclass{article}\\begin{document}\n" + body).encode()}


def test_own_source_gives_exact_sections():
    assert latex_sections(OWN) == [
        Section("Abstract", "We present RouteNet, a router with cost O(n log n)."),
        Section("1 Introduction", "Routing matters. It really does.\n\nA second paragraph."),
        Section(
            "2 Method",
            "We minimise ‖ x - y ‖_2^2 + ε over x ∈ℝ^d and take arg max_i s_i. "
            "The pair is (p, a) or (q, b); see ? and [cite].",
        ),
        Section(
            "2 Method / 2.1 Encoder",
            "The encoder (A small one.) maps (a+b)/2 to codes via https://example.org/x.\n\n"
            "Theorem (Bound). For all x, f(x_(i+1)) ≤1/2.\n\n"
            "Figure: The encoder at work.",
        ),
        Section("2 Method / Notes", "Plain notes with 50% of the words."),
        Section("3 Results", "Table: Accuracy per task.\n\nRouteNet wins by 3 points."),
        Section("Acknowledgements", "We thank the reviewers."),
        Section("Appendix / A Proofs / A.1 Proof of the bound", "Proof. Trivial."),
    ]


def test_commented_inputs_bibliography_and_pictures_leave_no_trace():
    text = " ".join(s.text for s in latex_sections(OWN))
    for secret in ("SECRET", "Ada Lovelace", "A Test Paper", "plain", "refs"):
        assert secret not in text


def test_main_file_choice():
    body = b"\\documentclass{article}\\begin{document}x\\end{document}"
    assert main_file({"a/long/paper.tex": body, "ms.tex": body}) == "ms.tex"
    assert main_file({"a.tex": b"\\documentclass{article}", "z.tex": body}) == "z.tex"
    assert main_file({"b.tex": body, "a.tex": body}) == "a.tex"
    assert main_file({"only.tex": b"\\section{A} text"}) == "only.tex"
    assert main_file({"x.tex": b"% \\documentclass{article}\n", "y.tex": body}) == "y.tex"
    with pytest.raises(SourceError, match=r"no main \.tex file \(no \\documentclass\)"):
        main_file({"a.tex": b"x", "b.tex": b"y", "fig.pdf": b"%PDF"})


def test_a_single_file_without_documentclass_and_latin1_text():
    files = {"main.tex": "\\section{Caf\u00e9}\nLe caf\u00e9 est bon.".encode("latin-1")}
    assert latex_sections(files) == [Section("1 Café", "Le café est bon.")]


def test_gzipped_and_plain_single_tex_through_the_archive():
    data = b"\\documentclass{article}\\begin{document}\\section*{Only} Words here.\\end{document}"
    for raw in (data, gzip.compress(data)):
        assert latex_sections(source_files(raw, LIMITS)) == [Section("Only", "Words here.")]


def test_comments_keep_escaped_percent_and_join_lines_like_tex():
    assert strip_comments("50\\% done % note\nnext") == "50\\% done next"
    assert strip_comments("a%\n  b") == "ab"
    assert strip_comments("a % c\n\nb") == "a \n\nb"  # a blank line still ends the paragraph


def test_conditionals():
    text = "A \\iffalse hidden \\if x nested \\fi still \\else shown \\fi B \\ifdefined\\foo C\\fi"
    assert strip_conditionals(text).split() == ["A", "shown", "B", "C"]


def test_inputs_resolve_inside_the_archive_only_and_stop_at_cycles():
    files = {
        "paper/main.tex": b"M \\input{sec/a} \\input ../outside \\include{missing} "
        b"\\input{/etc/hosts}",
        "paper/sec/a.tex": b"A \\input{b}",  # beside the including file
        "paper/sec/b.tex": b"B \\input{sec/a} \\input{paper/main}",  # a cycle back
        "outside.tex": b"OUT",
    }
    assert expand_inputs(files, "paper/main.tex").split() == ["M", "A", "B", "OUT"]


def test_macros_with_arguments_optional_arguments_and_delimiters():
    text, macros, theorems = collect_definitions(
        "\\newcommand{\\f}[2]{<#1|#2>}\\newcommand\\g[1][d]{[#1]}\\def\\h#1{(#1)}"
        "\\def\\b1{ONE}\\providecommand{\\f}{no}\\newtheorem{thm}{Theorem}[section]"
        "\\renewcommand{\\section}{broken}BODY \\f{a}{b} \\g \\g[x] \\h y \\b1 \\section{S}"
    )
    assert theorems == {"thm": "Theorem"}
    assert "section" not in macros
    assert expand_macros(text, macros) == "BODY <a|b> [d] [x] (y) ONE \\section{S}"


def test_math_stays_readable():
    assert latex_to_text("$O(n \\log n)$ and $\\sum_{i=1}^{n} x_i^2 \\leq \\alpha$") == (
        "O(n log n) and ∑_(i=1)^n x_i^2 ≤α"
    )
    assert latex_to_text("\\[ \\Pr(x) = \\frac{1}{Z} \\binom{N}{2} \\]") == (
        "Pr(x) = 1/Z binom(N, 2)"
    )
    assert latex_to_text("\\texttt{code} \\unknown{kept words} \\href{http://a}{link}") == (
        "code kept words link"
    )


@pytest.mark.parametrize(
    "body",
    [
        "\\section{Intro\nSome text {unclosed and $math\n\\section{Next} more } } text",
        "\\section{A}\\begin{itemize}\\item one\n\\begin{figure}\\caption{cap}\n\\section{B} w",
        "\\def\\a{\\a\\a}\\newcommand{\\b}{x\\b}\\section{A} words \\a \\b end",
        "\\newcommand{\\c}[1]{\\c{#1#1}}\\section{A} words \\c{x} end",
        "\\section{A} words " + "{" * 20000 + "x" + "}" * 20000,
        "\\section{A} $x" + "_{a" * 3000 + "}" * 3000 + "$ ok",
        "\\section{A} \\begin{equation} x = \\end{document",
        "\\section{}\\subsection{\\textbf{}}\\begin{abstract}",
        "% only a comment\n\\end{document}",
    ],
    ids=[
        "unbalanced",
        "begin-without-end",
        "recursive-macro",
        "recursive-argument",
        "deep-braces",
        "deep-scripts",
        "cut-off",
        "empty-headings",
        "no-text",
    ],
)
def test_malformed_latex_gives_sections_or_source_error_quickly(body):
    started = time.perf_counter()
    try:
        sections = latex_sections(_doc(body))
    except SourceError as err:
        assert err.reason == "no text in the source"
    else:
        assert sections and all(s.text and s.path for s in sections)
        assert all("\\" not in s.text for s in sections)
    assert time.perf_counter() - started < 5


def test_self_expanding_macro_is_cut_short():
    (section,) = latex_sections(
        _doc("\\def\\a{\\a\\a}\\newcommand{\\b}{x\\b}\\section{A} w \\a \\b end")
    )
    assert section.text.startswith("w x") and section.text.endswith("x end")
    assert len(section.text) < 200_000


def test_an_input_bomb_is_refused():
    files = _doc("\\section{A}" + "\\input{a}" * 200)
    files |= {"a.tex": b"\\input{b}" * 200, "b.tex": b"word " * 100}
    with pytest.raises(SourceError, match="expands to more than"):
        latex_sections(files)


def test_unheaded_opening_prose_is_kept_and_title_noise_dropped():
    prose = " ".join(["Words of a real opening paragraph that reads on."] * 8)
    sections = latex_sections(_doc(f"Jane Doe, Some University\n\n{prose}\n\n\\section{{Next}} x"))
    assert sections == [Section("Preamble text", prose), Section("1 Next", "x")]
    assert latex_sections(_doc("Jane Doe\n\n\\section{Next} x")) == [Section("1 Next", "x")]
    assert latex_sections(_doc("No headings at all.")) == [
        Section("Preamble text", "No headings at all.")
    ]


@cache
def _real(name: str) -> tuple[Section, ...]:
    return tuple(latex_sections(source_files((SOURCES / f"{name}.tar.gz").read_bytes(), LIMITS)))


# name -> (section paths in order, a sentence whose math must read, a caption, a bibliography
# entry that must not appear)
REAL = {
    "neural-arithmetic-units": (
        [
            "1 Introduction",
            "1 Introduction / 1.1 Learning a 10 parameter function",
            "2 Introducing differentiable binary arithmetic operations / 2.1 Introducing NALU",
            "3 Related work",
            "4 Experimental results / 4.1 Arithmetic datasets / 4.1.1 Model evaluation",
            "5 Conclusion / Acknowledgments",
            "Appendix / A Gradient derivatives / A.1 Weight matrix construction",
            "Appendix / D Sequential MNIST / D.1 Task and evaluation criteria",
        ],
        "Consider the static function t = (x_1 + x_2) · (x_1 + x_2 + x_3 + x_4) for x ∈ℝ^4.",
        "Figure: Visualization of NMU for a single output scalar z_1",
        "Google's Neural Machine Translation System",
    ),
    "elo-mmr": (
        [
            "1 Introduction",
            "2 A Bayesian Model for Massive Competitions",
            "3 Skill estimation in two phases / 3.1 Performance estimation",
            "3 Skill estimation in two phases / 3.2 Belief update",
            "4 Skill evolution over time",
            "5 Theoretical Properties / 5.1 Incentive-compatibility",
            "7 Conclusions",
            "Acknowledgements",
        ],
        "Evidently, l_i(p) < 0 < v_i(p).",
        "Algorithm: Elo-MMR(ρ,β, γ, μ_init, σ_init)",
        "Theoretical and Practical Aspects of Programming Contest Ratings",
    ),
    "scipy-1.0": (
        [
            "Introduction",
            "Background / SciPy Begins",
            "Architecture and implementation choices / Package organization",
            "Key technical improvements / Data structures / Sparse matrices",
            "Key technical improvements / Numerical optimization / Linear Optimization",
            "Discussion",
            "Acknowledgements",
        ],
        "min_x f(x), where x ∈ℝ^n and f: ℝ^n →ℝ.",
        "Figure: Excerpt from SciPy 0.1 release announcement (typos included).",
        "The matrix object proposal",
    ),
    "avo": (
        [
            "1 Introduction",
            "2 Problem statement",
            "3 Background / 3.1 Generative adversarial networks",
            "4 Adversarial variational optimization / 4.1 Algorithm",
            "5 Experiments / 5.3 Electron–positron annihilation",
            "7 Summary",
            "Acknowledgments",
        ],
        "We consider a family of parametrized densities p(x|θ) defined implicitly",
        "Algorithm: Adversarial variational optimization (AVO).",
        "Approximate Bayesian computation in population genetics",
    ),
    "author-disambiguation": (
        [
            "1 Introduction",
            "2 Related work",
            "3 Semi-supervised author disambiguation / 3.1 Blocking",
            "5 Experiments / 5.3 Results and discussion",
            "6 Conclusions",
        ],
        "P = { p_0, ..., p_(N-1)}",
        "Table: Average precision, recall and f-measure scores on test folds.",
        "Author name disambiguation for PubMed",
    ),
}


@requires_shared
@pytest.mark.parametrize("name", list(REAL))
def test_real_eprints(name):
    paths, math, caption, reference = REAL[name]
    sections = _real(name)
    assert sections[0].path == "Abstract" and len(sections[0].text) > 400
    found = [s.path for s in sections]
    assert [p for p in found if p in paths] == paths  # present, in this order
    assert len(set(found)) == len(found)
    text = "\n".join(s.text for s in sections)
    assert math in text
    assert caption in text
    assert reference not in text
    for markup in ("\\section", "\\cite", "\\begin{", "\\end{", "\\label", "\\ref", "\\\\"):
        assert markup not in text
    assert all(s.text and s.text == s.text.strip() and "  " not in s.text for s in sections)
    assert all(" \n" not in s.text and "\n\n\n" not in s.text for s in sections)


@requires_shared
def test_elo_mmr_theorems_and_the_section_between_inputs():
    by_path = {s.path: s.text for s in _real("elo-mmr")}
    assert "3 Skill estimation in two phases" not in by_path  # no text of its own
    perf = by_path["3 Skill estimation in two phases / 3.1 Performance estimation"]
    assert perf.startswith("In this section, we describe the first phase of Elo-MMR.")
    assert "\n\nLemma. If f_i is continuously differentiable and log-concave" in perf
    props = by_path["5 Theoretical Properties / 5.1 Incentive-compatibility"]
    assert "\n\nTheorem (Incentive-compatibility). Holding fixed the set" in props


def test_chapters_abstract_command_paragraphs_loose_captions_and_subfiles():
    doc = r"""\documentclass{book}
\abstract{Short \emph{abstract} here.}
\begin{document}
\chapter{Start}
Opening words.
\section{First}
\paragraph{Setup} We set things up.
\paragraph{Why?} Because.
\begin{minipage}{\linewidth}\captionof{figure}{A loose figure.}\end{minipage}
\subfile{part}
\chapter*{Interlude}
Interlude text.
\begin{acks}
Thanks all.
\end{acks}
\appendix
\chapter{Extra}
\section{More}
More text.
\end{document}
"""
    files = {"main.tex": doc.encode(), "part.tex": b"Part text.\\endinput\nNOT THIS"}
    assert latex_sections(files) == [
        Section("Abstract", "Short abstract here."),
        Section("1 Start", "Opening words."),
        Section(
            "1 Start / 1.1 First",
            "Setup. We set things up.\n\nWhy? Because.\n\nFigure: A loose figure.\n\nPart text.",
        ),
        Section("Interlude", "Interlude text."),
        Section("Interlude / Acknowledgments", "Thanks all."),
        Section("Appendix / A Extra / A.1 More", "More text."),
    ]
