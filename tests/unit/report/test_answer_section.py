"""The answer section of report.md and record.html: the lead, each theme's stance line, quotes
cited to their passages, the other papers cited, the comparison table and the writer's sentences."""

from __future__ import annotations

import re

from sovereign.answer.comparison import Row
from sovereign.answer.evidence import Quote
from sovereign.answer.model import INVENTED, KEPT, UNSUPPORTED, Answer, ShownTheme, WriterSentence
from sovereign.report.answer_section import answer_html, answer_markdown, lead, passage, stance

ABSTRACT_A = "We study routing. Balancing raises utilization to 93% on C4."
ABSTRACT_B = "Balancing hurts specialization."


def q(cid, text, start, *, shown=True, label="NEUTRAL", related=None, verified=True):
    aid, _, idx = cid.partition("#")
    return Quote(
        cid, aid, int(idx), start, start + len(text), text, 0.9, verified, label, "finding",
        related, "Balancing raises utilization to 93% on C4." if related else None, shown,
    )  # fmt: skip


A1 = q("2501.00001#1", "Balancing raises utilization to 93% on C4.", 18, label="SUPPORT",
       related="2501.00003")  # fmt: skip
B0 = q("2501.00002#0", ABSTRACT_B, 0, label="CONTRADICT", related="2501.00001", verified=False)
C0 = q("2501.00003#0", "Routing collapse idles experts.", 0, shown=False)
ANSWER = Answer(
    (ShownTheme(0, "balancing · utilization", (A1, B0, C0)),),
    (
        Row("Balanced", "C4", "utilization", "93%", A1.claim_id, A1.arxiv_id),
        Row("Balanced", "C4", "utilization", "41%", A1.claim_id, A1.arxiv_id),
    ),
)


def test_the_lead_says_how_much_carries_the_answer_or_that_nothing_does():
    assert lead(ANSWER, 3) == (
        "3 papers bear on this question, in 1 theme (2 of 3 cited sentences verified). "
        "Quotes are the papers' own words, each cited to its passage."
    )
    assert lead(None, 0).startswith("The sources do not answer this question: no retrieved")
    assert lead(Answer((), ()), 4) == (
        "The sources do not answer this question: none of the 4 kept papers has a sentence "
        "relevant to it."
    )


def test_a_theme_names_its_agreement_and_contradiction():
    assert stance(ANSWER.themes[0]) == (
        "3 papers in this theme; 1 sentence backed by another kept paper (2501.00003); "
        "1 sentence contradicted by another (2501.00001)."
    )


def test_markdown_quotes_verbatim_cites_the_passage_and_lists_the_other_papers():
    text = "\n".join(answer_markdown(ANSWER, 3))
    assert text.startswith("## Answer\n\n3 papers bear on this question")
    assert "### 1. balancing · utilization" in text
    assert (
        "- “Balancing raises utilization to 93% on C4.” "
        "[2501.00001 abstract 18–60](https://arxiv.org/abs/2501.00001)"
    ) in text
    assert passage(A1) == "2501.00001 abstract 18–60" and ABSTRACT_A[18:60] == A1.text
    assert "  - Backed by [2501.00003](https://arxiv.org/abs/2501.00003): “Balancing" in text
    assert "  - Contradicted by [2501.00001](https://arxiv.org/abs/2501.00001)" in text
    assert (
        "Also in this theme: [2501.00003 abstract 0–31](https://arxiv.org/abs/2501.00003 "
        '"Routing collapse idles experts.").'
    ) in text
    assert "| Balanced | C4 | utilization | 93% | [2501.00001 abstract 18–60]" in text
    cited = set(re.findall(r"\]\(https://arxiv\.org/abs/([0-9.]+)", text))
    assert cited == {"2501.00001", "2501.00002", "2501.00003"}


def test_the_writers_kept_sentences_are_shown_and_the_dropped_counted():
    writer = (
        WriterSentence(0, "Balancing raises utilization.", (A1.claim_id,), KEPT, "", "k"),
        WriterSentence(1, "It cures cancer.", (A1.claim_id,), UNSUPPORTED, "", "k"),
        WriterSentence(2, "Says 9999.", ("9999.99999#0",), INVENTED, "", "k"),
    )
    with_writer = Answer(ANSWER.themes, ANSWER.comparison, writer)
    text = "\n".join(answer_markdown(with_writer, 3))
    assert "### In prose (writer model, checked)" in text
    assert "Balancing raises utilization. [2501.00001#1]" in text
    assert "cures cancer" not in text and "Says 9999" not in text
    assert (
        "The writer model wrote 3 sentences; 1 kept, dropped: 1 unsupported, 1 citing no quote."
    ) in text
    html = answer_html(with_writer, 3)
    assert "cures cancer" not in html and "<li>Balancing raises utilization. <code>" in html


def test_html_escapes_and_links_every_quote():
    nasty = q("2501.00009#0", "<script>alert(1)</script> & more", 0)
    html = answer_html(Answer((ShownTheme(0, "<b>x</b>", (nasty,)),), ()), 1)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;x" in html
    assert '<a href="https://arxiv.org/abs/2501.00009">[2501.00009 abstract 0–32]</a>' in html
    assert "<q>" in html and "<p>1 paper bears on this question" in html


def test_the_record_counts_what_the_answer_rests_on_and_the_writers_dropped_sentences():
    from types import SimpleNamespace

    from sovereign.report.record import answer_summary

    writer = (
        WriterSentence(0, "Kept.", (A1.claim_id,), KEPT, "", "k"),
        WriterSentence(1, "No.", (A1.claim_id,), UNSUPPORTED, "", "k"),
        WriterSentence(2, "Made up.", ("9999.99999#0",), INVENTED, "", "k"),
    )
    got = answer_summary(SimpleNamespace(answer=Answer(ANSWER.themes, ANSWER.comparison, writer)))
    assert got == {
        "themes": 1,
        "quoted": 2,
        "cited_papers": 3,
        "verified_sentences": 2,
        "contradicted_sentences": 1,
        "comparison_rows": 2,
        "writer": {
            "written": 3,
            "kept": 1,
            "dropped": {"invented_citation": 1, "uncited": 0, "unsupported": 1},
        },
    }
    assert answer_summary(SimpleNamespace(answer=None))["writer"] is None
