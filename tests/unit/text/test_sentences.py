import json
import re
import time

import pytest

from sovereign.text.sentences import sentence_spans, split_sentences
from support.paths import CS_DAILY, requires_shared

# (id, text, expected sentences); each text is written as arXiv serves it, wraps included.
CASES = [
    # TeX math, citations and markup
    (
        "inline-math-period",
        "The effect is significant at $p < 0.05. $ We report all seeds.",
        ["The effect is significant at $p < 0.05. $ We report all seeds."],
    ),
    (
        "inline-math-command",
        "Sorting costs $\\mathcal{O}(n.\\log n)$ per step. Memory stays linear.",
        ["Sorting costs $\\mathcal{O}(n.\\log n)$ per step.", "Memory stays linear."],
    ),
    (
        "display-math",
        "We minimise $$ \\mathcal{L} = a. B + c. $$ This loss is convex. It converges.",
        ["We minimise $$ \\mathcal{L} = a. B + c. $$ This loss is convex.", "It converges."],
    ),
    (
        "paren-and-bracket-math",
        "Attention is \\(O(n^2). \\) We reduce it to \\[ O(n). \\quad N. \\] Tests agree.",
        ["Attention is \\(O(n^2). \\) We reduce it to \\[ O(n). \\quad N. \\] Tests agree."],
    ),
    (
        "end-after-math",
        "Our router runs in time $O(n)$. Next, we study its memory.",
        ["Our router runs in time $O(n)$.", "Next, we study its memory."],
    ),
    (
        "tex-start",
        "We fix the temperature. $\\alpha$ is tuned on the validation set.",
        ["We fix the temperature.", "$\\alpha$ is tuned on the validation set."],
    ),
    (
        "cite-ref-emph",
        "Prior work \\cite{smith.2020,li.2021} uses \\emph{top-k. Routing} gates (see\n"
        "Sec.~\\ref{sec:bg.1}). We do not.",
        [
            "Prior work \\cite{smith.2020,li.2021} uses \\emph{top-k. Routing} gates (see\n"
            "Sec.~\\ref{sec:bg.1}).",
            "We do not.",
        ],
    ),
    (
        "escaped-dollar-and-currency",
        "Training costs \\$5. It used $10 of credits and $20 of storage. We stop.",
        ["Training costs \\$5.", "It used $10 of credits and $20 of storage.", "We stop."],
    ),
    # Abbreviations
    (
        "eg-ie",
        "We route tokens, e.g. Text and image patches, i.e. The two modalities. It works.",
        ["We route tokens, e.g. Text and image patches, i.e. The two modalities.", "It works."],
    ),
    (
        "et-al-citation",
        "Smith et al. (2020) and Lee et al. [4] use MoE. It helps.",
        ["Smith et al. (2020) and Lee et al. [4] use MoE.", "It helps."],
    ),
    (
        "et-al-end",
        "We follow the routing of Liu et al. GEM then adds a sparse router.",
        ["We follow the routing of Liu et al.", "GEM then adds a sparse router."],
    ),
    (
        "figure-equation-section",
        "Results are in Fig. 3, Figs. 4-5, Eq. (2), Eqs. 7 and Sec. 4.2 and Tab. 1. We discuss.",
        [
            "Results are in Fig. 3, Figs. 4-5, Eq. (2), Eqs. 7 and Sec. 4.2 and Tab. 1.",
            "We discuss.",
        ],
    ),
    (
        "vs-cf-resp",
        "Accuracy is 71.2% vs. 64.9% (cf. Table 2) on CIFAR and ImageNet, resp. Both improve.",
        ["Accuracy is 71.2% vs. 64.9% (cf. Table 2) on CIFAR and ImageNet, resp.", "Both improve."],
    ),
    (
        "approx-incl-wrt",
        "It needs approx. 5 GPU hours, incl. Tuning, and is robust w.r.t. The seed. Good.",
        ["It needs approx. 5 GPU hours, incl. Tuning, and is robust w.r.t. The seed.", "Good."],
    ),
    (
        "etc-end",
        "We test birds, cars, airplanes, etc. Among them, cars are hardest.",
        ["We test birds, cars, airplanes, etc.", "Among them, cars are hardest."],
    ),
    (
        "etc-before-citation",
        "Tasks include OCR, grounding, etc. [12] and more.",
        ["Tasks include OCR, grounding, etc. [12] and more."],
    ),
    (
        "titles",
        "Dr. Smith and Prof. Li met Mr. Brown, Ms. Green and St. Louis staff. We thank them.",
        ["Dr. Smith and Prof. Li met Mr. Brown, Ms. Green and St. Louis staff.", "We thank them."],
    ),
    (
        "number-abbreviation",
        "The model ranked No. 5 on the board. No. We did not tune it.",
        ["The model ranked No. 5 on the board.", "No.", "We did not tune it."],
    ),
    (
        "units-are-words",
        "Latency drops to 146 ms. The model runs at 3 sec. Per frame cost is low.",
        ["Latency drops to 146 ms.", "The model runs at 3 sec.", "Per frame cost is low."],
    ),
    (
        "dotted-abbreviations",
        "A U.S. Army dataset of a Ph.D. Student. It covers the U.S. We release it.",
        ["A U.S. Army dataset of a Ph.D. Student.", "It covers the U.S.", "We release it."],
    ),
    (
        "initials",
        "Following J. Smith and A. B. Jones, we build on C.\nS. Peirce. We then test it.",
        ["Following J. Smith and A. B. Jones, we build on C.\nS. Peirce.", "We then test it."],
    ),
    (
        "capital-letter-sentence-end",
        "Let G be a graph with vertex set V. We bound its degree. It is ABIDE I. The end.",
        [
            "Let G be a graph with vertex set V.",
            "We bound its degree.",
            "It is ABIDE I.",
            "The end.",
        ],
    ),
    # Numbers and versions
    (
        "decimals-versions",
        "GPT-3.5 scores 0.5 and v1.2.3 scores 3.14 on Python 3.11, a 1.5x gain (95.2%).\n"
        "Section 4.2 has details.",
        [
            "GPT-3.5 scores 0.5 and v1.2.3 scores 3.14 on Python 3.11, a 1.5x gain (95.2%).",
            "Section 4.2 has details.",
        ],
    ),
    (
        "number-ends-sentence",
        "Scores rise from 0.46 to 0.48. 95% of runs improve. See Section 4.2. It helps.",
        ["Scores rise from 0.46 to 0.48.", "95% of runs improve.", "See Section 4.2.", "It helps."],
    ),
    # URLs, e-mails, DOIs
    (
        "url-end",
        "Code is at https://github.com/foo/bar.git. Next, we describe the data.",
        ["Code is at https://github.com/foo/bar.git.", "Next, we describe the data."],
    ),
    (
        "url-email-doi-inside",
        "See www.example.org/a.b or mail user@domain.org for data (doi 10.1000/xyz.123). Thanks.",
        [
            "See www.example.org/a.b or mail user@domain.org for data (doi 10.1000/xyz.123).",
            "Thanks.",
        ],
    ),
    (
        "url-after-sentence",
        "It generalises well.\nhttps://cyqii.github.io/GenEraser.github.io/",
        ["It generalises well.", "https://cyqii.github.io/GenEraser.github.io/"],
    ),
    # Layout
    (
        "hard-wrapped",
        "  Mixture-of-experts models route each\ntoken to a few    experts. This\n"
        "  saves compute.\n",
        [
            "Mixture-of-experts models route each\ntoken to a few    experts.",
            "This\n  saves compute.",
        ],
    ),
    (
        "blank-line-ends-sentence",
        "Background and motivation\n\n  We study routing.\n \t\nResults",
        ["Background and motivation", "We study routing.", "Results"],
    ),
    (
        "no-terminator",
        "A benchmark for expert routing without a final period",
        ["A benchmark for expert routing without a final period"],
    ),
    # Terminators and closers
    (
        "question-exclamation",
        "Can routers be learned? Yes! They can.",
        ["Can routers be learned?", "Yes!", "They can."],
    ),
    (
        "ellipsis",
        "We tried k = 1, 2, ... and so on... then stopped. Results vary\u2026 Some improve.",
        [
            "We tried k = 1, 2, ... and so on... then stopped.",
            "Results vary\u2026",
            "Some improve.",
        ],
    ),
    (
        "closers-stay",
        'It fails (see above.) Next, the "gate." Then \u201cthe end.\u201d Done.',
        ["It fails (see above.)", 'Next, the "gate."', "Then \u201cthe end.\u201d", "Done."],
    ),
    (
        "closer-after-paren",
        "Routing is sparse. (We prune experts first (see above).) Next, we merge.",
        ["Routing is sparse.", "(We prune experts first (see above).)", "Next, we merge."],
    ),
    (
        "lowercase-continues",
        "We freeze the model, i.e. the encoder, and use approx. twice the data. ok. fine.",
        ["We freeze the model, i.e. the encoder, and use approx. twice the data. ok. fine."],
    ),
    (
        "camel-case-start",
        "We report the gains. mIoU improves by 2.1 points.",
        ["We report the gains.", "mIoU improves by 2.1 points."],
    ),
    (
        "bold-header",
        "\\textbf{Background.} Routing is costly. \\textbf{Methods.} We prune experts.",
        ["\\textbf{Background.}", "Routing is costly.", "\\textbf{Methods.}", "We prune experts."],
    ),
    # Enumerations
    (
        "roman-enumeration",
        "We (i) route tokens, (ii) drop experts and (iii) merge them. It is fast.",
        ["We (i) route tokens, (ii) drop experts and (iii) merge them.", "It is fast."],
    ),
    (
        "paren-enumeration",
        "1) First, we route. 2) Second, we merge.",
        ["1) First, we route.", "2) Second, we merge."],
    ),
    (
        "numbered-list-after-colon",
        "It has four parts: 1. Routing, 2. Merging, 3. Pruning and 4. Distillation. We test all.",
        [
            "It has four parts: 1. Routing, 2. Merging, 3. Pruning and 4. Distillation.",
            "We test all.",
        ],
    ),
    (
        "numbered-list-items",
        "Key features: 1. Diversity in scenes.\n2. Progressive evaluation. 3. High quality.",
        ["Key features: 1. Diversity in scenes.", "2. Progressive evaluation.", "3. High quality."],
    ),
    # Degenerate input
    ("empty", "", []),
    ("only-whitespace", " \n\t \n\n  ", []),
    ("one-word", "  Hello.  ", ["Hello."]),
    ("lone-period", ".", ["."]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


@pytest.mark.parametrize("text", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_spans_index_the_text_as_given(text):
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == split_sentences(text)
    _check_spans(text, spans)


def test_offsets_are_exact_on_wrapped_text():
    text = "  We route\n  tokens. It   works.\n"
    assert sentence_spans(text) == [(2, 20), (21, 32)]
    assert [text[s:e] for s, e in sentence_spans(text)] == ["We route\n  tokens.", "It   works."]


@pytest.mark.parametrize(
    "junk", ["$" * 20000, "{" * 20000, "\\(" * 10000, "\\[" * 10000, "a. " * 10000, "x" * 100000]
)
def test_pathological_input_stays_linear(junk):
    started = time.perf_counter()
    sentence_spans(junk)
    assert time.perf_counter() - started < 0.5


_DOLLAR = re.compile(r"(?<!\\)\$")


def _check_spans(text, spans):
    """In order, non-empty, non-overlapping, trimmed, and only whitespace left between them."""
    end = 0
    for s, e in spans:
        assert end <= s < e, spans
        assert text[s:e] == text[s:e].strip()
        assert not text[end:s].strip(), (text[end:s], spans)
        end = e
    assert not text[end:].strip()


def _real_abstracts(limit=2000):
    files = sorted((CS_DAILY / "days").glob("*.jsonl")) + [CS_DAILY / "topic_moe_routing.jsonl"]
    abstracts = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                abstracts.append(json.loads(line)["summary"])
                if len(abstracts) == limit:
                    return abstracts
    return abstracts


@requires_shared
def test_real_abstracts_split_cleanly():
    abstracts = _real_abstracts()
    assert len(abstracts) == 2000
    sentences = 0
    for text in abstracts:
        spans = sentence_spans(text)
        _check_spans(text, spans)
        sentences += len(spans)
        # No cut inside math: with an even number of `$` overall (odd ones are currency), every
        # sentence holds whole `$...$` pairs.
        if len(_DOLLAR.findall(text)) % 2 == 0:
            assert all(len(_DOLLAR.findall(text[s:e])) % 2 == 0 for s, e in spans), text
    assert 6 * len(abstracts) < sentences < 10 * len(abstracts)
