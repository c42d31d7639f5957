"""The full-text variant of benchmarks/answer_quality.py: each evidence quote in a body section.

`answer_quality.py build --fulltext` gives every evidence paper an abstract that names its topic
(its title, and the quote's other content words as a keyword list: search and the filter see the
paper's subject as in the abstract variant) but never holds the quote's statement, and a
synthetic arXiv-style e-print, DIR/sources/<id>.tar.gz (the corpus's other papers get one too,
their own abstract as their body: `distractor_files`): a
gzipped tar of main.tex (title, the same abstract, Introduction / Method / Results / Conclusion,
the quote a paragraph of "3 Results", the rest neutral filler) and refs.bib. The overlay points
the full-text stage at that directory, so only a pipeline reading bodies can quote the evidence.

Everything here is deterministic: the same quote gives the same bytes on every run and machine
(tar members sorted, mtime 0, uid/gid 0; gzip header mtime 0, no file name).
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
from pathlib import Path
from typing import Any

import yaml

SOURCES = "sources"  # DIR/sources: the e-prints, named <id>.tar.gz as arXiv's bulk files are
SUFFIX = ".tar.gz"
MAIN = "main.tex"
BIB = "refs.bib"
RESULTS_PATH = "3 Results"  # the section the quote stands in, as the full-text stage names it
RESULTS_MARK = "§3"  # and as the answer cites it

_ABSTRACT_TAIL = "We describe our setting, experiments and findings in the body of the paper."
_GENERIC_TOPIC = "a question in computer science"

# Filler: words no rubric can be about (no topic, no result), the same for every paper.
INTRODUCTION = (
    "This section introduces the setting of the paper and outlines the structure of the text. "
    "It follows the conventions of earlier work~\\cite{doe2020}. "
    "The next section describes the method, the one after it reports the results, "
    "and the last one concludes."
)
METHOD = (
    "This section describes the procedure followed in this work. "
    "Each step is given in enough detail for a reader to repeat it."
)
CONCLUSION = (
    "This section summarises the paper. Further work will extend the analysis to other settings."
)
REFS = """@misc{doe2020,
  author = {Doe, Jane},
  title = {A Reference Used for Its Conventions},
  year = {2020},
}
"""

_SPECIAL = {
    "\\": "\\textbackslash{}",
    "~": "\\textasciitilde{}",
    "^": "\\textasciicircum{}",
    **{c: "\\" + c for c in "%$&#_{}"},
}
# Character pairs TeX would turn into one glyph (dashes, curly quotes): kept apart by {}.
_LIGATURE = re.compile(r"(?<=-)(?=-)|(?<=`)(?=`)|(?<=')(?=')")


def topic_words(quote: str, title: str) -> list[str]:
    """The quote's content words (3+ letters, not stop words) that its title lacks, lower-cased,
    each once, in order: what a real abstract would say the paper is about, without its finding."""
    from sovereign.text.stopwords import ENGLISH

    seen = set(re.findall(r"[a-z][a-z0-9-]{2,}", title.lower()))
    words = []
    for word in re.findall(r"[a-z][a-z0-9-]{2,}", quote.lower()):
        if word not in ENGLISH and word not in seen:
            seen.add(word)
            words.append(word)
    return words


def neutral_abstract(title: str, quote: str) -> str:
    """The abstract "This paper studies <title, lower-cased>. Topics: <the quote's other content
    words>. <tail>": the paper's topic as an abstract states it, so search and the filter see
    what they see in the abstract variant, but never the quote's statement itself (compared
    case-insensitively, whitespace collapsed): a short quote whose title is nearly all of it
    loses title words from the end until it is not there, or the topic becomes generic."""
    needle = " ".join(quote.split()).casefold()
    words = title.split()
    topics = topic_words(quote, title)
    extra = f" Topics: {', '.join(topics)}." if topics else ""
    for n in range(len(words), -1, -1):
        topic = " ".join(words[:n]).lower() if n else _GENERIC_TOPIC
        text = f"This paper studies {topic}.{extra} {_ABSTRACT_TAIL}"
        if needle not in text.casefold():
            return text
    raise ValueError(f"no neutral abstract avoids the quote {quote!r}")


def latex_escape(text: str) -> str:
    """Text as LaTeX that prints it back: % $ & # _ { } ~ ^ \\ escaped, -- `` '' kept apart."""
    escaped = "".join(_SPECIAL.get(c, c) for c in text)
    return _LIGATURE.sub("{}", escaped)


def main_tex(title: str, abstract: str, quote: str) -> str:
    return "\n".join(
        [
            "\\documentclass{article}",
            "\\usepackage[utf8]{inputenc}",
            "\\usepackage[T1]{fontenc}",
            f"\\title{{{latex_escape(title)}}}",
            "\\author{ScholarQA-CS evidence}",
            "\\date{}",
            "\\begin{document}",
            "\\maketitle",
            "",
            "\\begin{abstract}",
            latex_escape(abstract),
            "\\end{abstract}",
            "",
            "\\section{Introduction}",
            INTRODUCTION,
            "",
            "\\section{Method}",
            METHOD,
            "",
            "\\section{Results}",
            "\\label{sec:results}",
            latex_escape(quote),
            "",
            "\\section{Conclusion}",
            CONCLUSION,
            "",
            "\\bibliographystyle{plain}",
            "\\bibliography{refs}",
            "\\end{document}",
            "",
        ]
    )


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A gzipped tar of `files`, the same bytes on every run: members sorted, owner root,
    mtime 0, mode 0644, ustar format; the gzip header holds mtime 0 and no name."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[name]))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def eprint(title: str, abstract: str, quote: str) -> bytes:
    files = {MAIN: main_tex(title, abstract, quote).encode("utf-8"), BIB: REFS.encode("utf-8")}
    return tar_gz(files)


def read_main(blob: bytes) -> str:
    """main.tex of an e-print written by `eprint` (for checking a build)."""
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob)), mode="r:") as tar:
        member = tar.extractfile(MAIN)
        if member is None:
            raise ValueError(f"no {MAIN} in the e-print")
        return member.read().decode("utf-8")


def source_files(out: Path, papers: dict[str, tuple[str, str, str]]) -> dict[Path, bytes]:
    """{DIR/sources/<id>.tar.gz: bytes} for `papers` ({id: (title, abstract, quote)})."""
    root = Path(out) / SOURCES
    return {
        root / f"{pid}{SUFFIX}": eprint(title, abstract, quote)
        for pid, (title, abstract, quote) in sorted(papers.items())
    }


def distractor_files(out: Path, papers: list[dict[str, Any]]) -> dict[Path, bytes]:
    """{DIR/sources/<id>.tar.gz: bytes} for the corpus's other papers: each an e-print whose
    abstract and "3 Results" are its own abstract (a body that says what its abstract says).
    Every paper has a body then, as in a real corpus, so a pipeline reading the bodies of papers
    the filter dropped meets bodies that do not answer the question, not only evidence."""
    from sovereign.fulltext.sources import file_stem

    root = Path(out) / SOURCES
    return {
        root / f"{file_stem(p['arxiv_id'])}{SUFFIX}": eprint(
            p["title"], p["abstract"], p["abstract"]
        )
        for p in sorted(papers, key=lambda p: p["arxiv_id"])
    }


def overlay_section(out: Path) -> dict[str, Any]:
    """The overlay's `fulltext` section: read the e-prints from DIR/sources."""
    return {"source": "directory", "sources": str(Path(out) / SOURCES)}


def check_source(blob: bytes, abstract: str, quote: str) -> str | None:
    """Why an e-print does not hold what it should (None when it does): the quote escaped in
    main.tex's Results section; the abstract not holding it."""
    tex = read_main(blob)
    body = latex_escape(quote)
    results = tex.partition("\\section{Results}")[2].partition("\\section{Conclusion}")[0]
    if body not in results:
        return "the quote is not in the Results section"
    if " ".join(quote.split()).casefold() in abstract.casefold():
        return "the abstract holds the quote"
    return None


def is_fulltext(out: Path) -> bool:
    """Whether `out` holds the full-text variant (its overlay sets `fulltext`)."""
    path = Path(out) / "config.yaml"
    return path.is_file() and "fulltext" in (yaml.safe_load(path.read_text("utf-8")) or {})


# ---- evaluation: where the answer's quotes stand ----

_PASSAGE = re.compile(r"\[(\S+) (abstract|§[^\[\],]+),? \d+–\d+\]\(https?://arxiv\.org/abs/")


def answer_passages(section: str) -> list[tuple[str, str]]:
    """(arXiv id, "abstract" or a section mark such as "§3") of every passage an answer section
    cites (`[id abstract a–b](…)`, `[id §3, a–b](…)`), in order."""
    return _PASSAGE.findall(section)


def results_share(passages: list[tuple[str, str]], evidence: set[str]) -> float | None:
    """Of the body passages the answer cites from evidence papers, the share in the section this
    variant puts the quote in (§3; the rest is filler); None when there are none."""
    marks = [where for pid, where in passages if pid in evidence and where != "abstract"]
    return sum(m == RESULTS_MARK for m in marks) / len(marks) if marks else None


def kept_on_full_text(sections: Path) -> set[str]:
    """The papers the full-text stage's second look kept (none without sections.parquet, or
    one written before the second look)."""
    import pyarrow.parquet as pq

    if not sections.exists():
        return set()
    from sovereign.fulltext.rows import kept_on_full_text as rescued

    file = pq.ParquetFile(sections)
    if "kept_on" not in file.schema_arrow.names:
        return set()
    return rescued(file.read(columns=["arxiv_id", "kept_on"]))


def stated_papers(answer: Path, evidence: set[str], fulltext: bool) -> set[str]:
    """The evidence papers whose evidence statement the answer quotes (shown or cited): the
    passage it stands in, §3 in this variant, the abstract (which is the quote) in the other."""
    import pyarrow.parquet as pq

    rows = pq.read_table(answer).to_pylist() if answer.exists() else []
    out = set()
    for row in rows:
        if row["kind"] != "quote" or row["arxiv_id"] not in evidence:
            continue
        section = row.get("section_path") or "Abstract"
        if section.startswith(RESULTS_PATH) if fulltext else section == "Abstract":
            out.add(row["arxiv_id"])
    return out
