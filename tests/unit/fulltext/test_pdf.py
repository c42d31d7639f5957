"""PDF parsing into sections: four real papers (ICLR one-column, ACM two-column, revtex
two-column, an arXiv-stamped PDF), a small PDF written here with known sections, and broken input,
which must only ever raise SourceError."""

from __future__ import annotations

import contextlib
import io
import logging
import time

import pypdf
import pytest

from sovereign.fulltext.model import Section, SourceError
from sovereign.fulltext.pdf import pdf_sections
from support.paths import SHARED_DATA
from support.sources import one_page_pdf

PDFS = SHARED_DATA / "arxiv_sources"
requires_pdfs = pytest.mark.skipif(
    not PDFS.is_dir(),
    reason=f"needs the shared paper PDFs at {PDFS} (a checkout with ../shared beside it)",
)

# Per paper: headings that must appear, in this order (each the end of a section path), whether
# the paper has an abstract, a sentence of its body and the section holding it, and text that
# must not survive (reference entries, running heads, figure text, the arXiv stamp).
PAPERS = {
    "neural-arithmetic-units": dict(
        titles=[
            "Abstract",
            "1 Introduction",
            "1.1 Learning a 10 parameter function",
            "2.1 Introducing NALU",
            "2.2.1 Weight matrix construction",
            "3 Related work",
            "4.1 Arithmetic datasets",
            "5 Conclusion",
            "Acknowledgments",
            "A.1 Weight matrix construction",
            "E.1 Language to Number Translation Tasks",
        ],
        abstract=True,
        sentence=(
            "1 Introduction",
            "In this paper, we analyze and improve parts of the recently proposed Neural "
            "Arithmetic Logic Unit (NALU)",
        ),
        absent=["Published as a conference paper at ICLR 2020"],
    ),
    "elo-mmr": dict(
        titles=[
            "Abstract",
            "1 INTRODUCTION",
            "2 A BAYESIAN MODEL FOR MASSIVE COMPETITIONS",
            "3.1 Performance estimation",
            "4.2 A heuristic pseudodiffusion algorithm",
            "5.1 Incentive-compatibility",
            "6.1 Datasets",
            "7 CONCLUSIONS",
            "ACKNOWLEDGEMENTS",
            "APPENDIX",
        ],
        abstract=True,
        sentence=(
            "1 INTRODUCTION",
            "We note that since releasing our preprint, Elo-MMR has already been put in "
            "production in industry settings [9].",
        ),
        absent=["Farming Volatility", "CodeChef Rating Mechanism", "Ljubljana, Slovenia Aram"],
    ),
    "avo": dict(
        titles=[
            "I. INTRODUCTION",
            "II. PROBLEM STATEMENT",
            "A. Generative adversarial networks",
            "B. Variational optimization",
            "A. Algorithm",
            "C. Electron–positron annihilation",
            "VI. RELATED WORK",
            "VII. SUMMARY",
            "ACKNOWLEDGMENTS",
        ],
        abstract=False,
        sentence=(
            "II. PROBLEM STATEMENT",
            "We consider a family of parametrized densities p(x|θ) defined implicitly through "
            "the simulation of a stochastic generative process",
        ),
        absent=["Mark A Beaumont", "Approximate bayesian computation in population genetics"],
    ),
    "2304.02623v1": dict(
        titles=[
            "Abstract",
            "1 INTRODUCTION",
            "2 CHARACTERIZING EXPOSITORY WRITING",
            "3 DESIGNING AI SUPPORTS FOR EXPOSITORY WRITING",
            "4 CONCLUSION",
            "ACKNOWLEDGMENTS",
        ],
        abstract=True,
        sentence=(
            "1 INTRODUCTION",
            "We define expository writing pieces as articles that summarize facts and produce "
            "new knowledge or information.",
        ),
        absent=[
            "arXiv:2304.02623",
            "[cs.CL]",
            "Griffin Adams",
            "Shen, et al.",
            "Several studies have shown",  # text inside a figure
        ],
    ),
}


@pytest.fixture(scope="module", params=sorted(PAPERS))
def paper(request) -> tuple[str, bytes, list[Section], float]:
    """Each real PDF parsed once: (name, bytes, sections, seconds taken)."""
    path = PDFS / f"{request.param}.pdf"
    if not path.is_file():
        pytest.skip(f"needs {path} (the shared paper PDFs, see SOURCE.md there)")
    data = path.read_bytes()
    start = time.perf_counter()
    sections = pdf_sections(data)
    return request.param, data, sections, time.perf_counter() - start


@requires_pdfs
def test_real_papers_have_their_headings_in_order(paper):
    name, _, sections, _ = paper
    lasts = [s.path.split(" / ")[-1] for s in sections]
    positions = [lasts.index(title) for title in PAPERS[name]["titles"] if title in lasts]
    missing = [title for title in PAPERS[name]["titles"] if title not in lasts]
    assert missing == [], lasts
    assert positions == sorted(positions)
    assert all(s.path.strip() and s.text.strip() for s in sections)


@requires_pdfs
def test_real_papers_open_with_their_abstract_and_drop_the_references(paper):
    name, _, sections, _ = paper
    assert (sections[0].path == "Abstract") is PAPERS[name]["abstract"]
    assert all("Abstract" not in s.path for s in sections[1:])
    assert not [s.path for s in sections if "reference" in s.path.lower()]
    text = "\n".join(s.text for s in sections)
    assert [a for a in PAPERS[name]["absent"] if a in text] == []


@requires_pdfs
def test_real_papers_keep_a_known_sentence_in_its_section(paper):
    name, _, sections, _ = paper
    where, sentence = PAPERS[name]["sentence"]
    holding = [s.path.split(" / ")[-1] for s in sections if sentence in s.text]
    assert holding == [where]


@requires_pdfs
def test_subsections_carry_their_parents_title(paper):
    name, _, sections, _ = paper
    paths = {s.path for s in sections}
    expected = {
        "neural-arithmetic-units": "4 Experimental results / 4.1 Arithmetic datasets",
        "elo-mmr": "3 SKILL ESTIMATION IN TWO PHASES / 3.1 Performance estimation",
        "avo": "III. BACKGROUND / A. Generative adversarial networks",
        "2304.02623v1": "2 CHARACTERIZING EXPOSITORY WRITING",
    }
    assert expected[name] in paths


@requires_pdfs
def test_text_is_cleaned_up(paper):
    _, _, sections, _ = paper
    for section in sections:
        assert "  " not in section.text and "\n\n\n" not in section.text
        assert not any(ch in section.text for ch in "\x00\x01\ufb01\ufb02")
    assert sum(s.text.count("\n\n") for s in sections) > len(sections)  # paragraphs kept


@requires_pdfs
def test_parsing_is_deterministic_and_quick(paper):
    _, data, sections, seconds = paper
    assert pdf_sections(data) == sections
    assert seconds < 10


@requires_pdfs
def test_a_truncated_real_pdf_is_a_source_error():
    data = (PDFS / "avo.pdf").read_bytes()[:20_000]
    with pytest.raises(SourceError):
        pdf_sections(data)


SMALL = [
    (16, 72, 740, "A Small Paper"),
    (10, 72, 700, "Abstract"),
    (10, 72, 686, "We test the parser on a page we wrote ourselves."),
    (14, 72, 650, "1 Introduction"),
    (10, 72, 628, "Parsing papers is hard, for exam-"),
    (10, 72, 616, "ple when words are split over lines."),
    (10, 72, 590, "A second paragraph follows a wider gap."),
    (14, 72, 556, "2 Results"),
    (10, 72, 534, "Everything worked (mostly)."),
    (10, 72, 480, "References"),
    (10, 72, 466, "[1] A. Author. A paper. 2020."),
    (10, 300, 40, "1"),
]


def test_a_small_pdf_gives_exactly_its_sections():
    assert pdf_sections(one_page_pdf(SMALL)) == [
        Section("Abstract", "We test the parser on a page we wrote ourselves."),
        Section(
            "1 Introduction",
            "Parsing papers is hard, for example when words are split over lines.\n\n"
            "A second paragraph follows a wider gap.",
        ),
        Section("2 Results", "Everything worked (mostly)."),
    ]


def test_a_pdf_without_headings_is_one_full_text_section():
    data = one_page_pdf(
        [(10, 72, 700, "Just one line of text,"), (10, 72, 688, "and another one.")]
    )
    assert pdf_sections(data) == [Section("Full text", "Just one line of text, and another one.")]


def test_the_arxiv_stamp_is_dropped_even_when_upright():
    data = one_page_pdf(SMALL[:3] + [(20, 32, 300, "arXiv:2304.02623v1 [cs.CL] 5 Apr 2023")])
    assert pdf_sections(data) == [
        Section("Abstract", "We test the parser on a page we wrote ourselves.")
    ]


def _blankone_page_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _encrypted(user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(one_page_pdf(SMALL))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"<html>not a pdf</html>", "not a PDF"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 20, "corrupt"),
        (one_page_pdf(SMALL)[:300], "corrupt"),
        (_blankone_page_pdf(), "no extractable text"),
        (_encrypted("secret"), "encrypted"),
    ],
    ids=["empty", "not-pdf", "garbage", "truncated", "blank-page", "encrypted"],
)
def test_unusable_pdfs_are_source_errors(data, reason):
    with pytest.raises(SourceError) as raised:
        pdf_sections(data)
    assert reason in raised.value.reason


def test_an_encrypted_pdf_with_an_empty_password_opens():
    assert [s.path for s in pdf_sections(_encrypted(""))] == [
        "Abstract",
        "1 Introduction",
        "2 Results",
    ]


def test_damaged_bytes_never_raise_anything_but_source_error():
    data = one_page_pdf(SMALL)
    for cut in range(0, len(data), max(1, len(data) // 40)):
        for broken in (data[:cut], data[:cut] + b"\x00" * 7 + data[cut + 7 :]):
            with contextlib.suppress(SourceError):
                pdf_sections(broken)


def test_pypdf_logging_is_restored_after_a_parse():
    logger = logging.getLogger("pypdf")
    before = logger.level
    with pytest.raises(SourceError):
        pdf_sections(one_page_pdf(SMALL)[:300])
    assert logger.level == before
