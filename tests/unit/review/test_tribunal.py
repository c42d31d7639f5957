"""The review tribunal's rubrics on synthetic stage rows: each test builds papers and claims whose
findings are known by hand, so a rubric implemented wrong changes a score, a criterion or its
evidence."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest

from sovereign import schemas
from sovereign.errors import InputFileError
from sovereign.io import read_table, write_table
from sovereign.review.coverage import (
    entity_share,
    has_entity,
    missing_entities,
    missing_terms,
    part_coverage,
    question_terms,
    stem,
    stems,
)
from sovereign.review.rows import outcome_rows, summary_from_rows
from sovereign.review.scoring import overall_score
from sovereign.review.skeptic import skeptic
from sovereign.review.synthesizer import answering_papers, synthesizer
from sovereign.review.tribunal import run_tribunal
from sovereign.review.types import (
    TRIBUNAL,
    UNFIXABLE_BY_DISCLOSURE,
    Evidence,
    RoleReview,
    Synthesis,
)
from sovereign.review.validator import validator
from sovereign.text.normalize import fold
from support.settings import review_settings as schema_settings


def review_settings(**overrides):
    """The schema's settings without breadth and the single-source cap: the tests below, up to
    the answer's own, hold the rubrics of parts, sources and grounding to their arithmetic.
    Breadth and the cap are tested with the schema's defaults (`schema_settings`) at the end."""
    return schema_settings(**{"breadth_weight": 0.0, "single_source_cap": 10.0, **overrides})


# --- builders -----------------------------------------------------------------------------------

Q = "Does sparse attention reduce memory use on BookSum, and how does it affect summary quality?"
# Three entities, one of them (PubMed) in no source (a third: below entity_fatal_share 0.5), and
# three of its 11 terms (pubmed, energy, cost) in none. Part 1 names BookSum and PubMed, part 2
# names ROUGE.
Q_GAPS = (
    "Does sparse attention reduce memory use on BookSum and PubMed, and how does it affect "
    "summary quality on ROUGE and energy cost?"
)
# Two entities, one of them (PubMed) in no source: half, which is fatal at the default share.
Q_HALF = (
    "Does sparse attention reduce memory use on BookSum and PubMed, and how does it affect "
    "summary quality and energy cost?"
)
A, B, C, D = "2401.00001", "2401.00002", "2401.00003", "2401.00004"
THRESHOLD = 0.12  # review_settings().relevance_threshold


def paper(aid, title, sentences, *, kept=True, tfidf=0.4):
    """A filtered.parquet row (the columns the tribunal reads); the abstract is the sentences."""
    return {
        "arxiv_id": aid,
        "title": title,
        "abstract": " ".join(sentences),
        "kept": kept,
        "tfidf_score": tfidf,
        "semantic_score": 0.6 if kept else 0.2,
    }


def _sentences(p):
    return re.split(r"(?<=\.) ", p["abstract"])


def claim(
    p,
    index,
    *,
    text=None,
    relevance=0.8,
    label="NEUTRAL",
    support=None,
    contradict=None,
    grounded=True,
    relevant=None,
    verified=None,
    confidence=None,
):
    """A claims.parquet row for sentence `index` of paper `p`, consistent unless told otherwise:
    the claim is its span, relevant iff relevance >= 0.12, verified iff grounded, relevant and not
    contradicted, confidence 0.9 x relevance. `text` replaces the claim text (not the span); the
    flags may be set to lie."""
    sentences = _sentences(p)
    start = sum(len(s) + 1 for s in sentences[:index])
    end = start + len(sentences[index])
    assert p["abstract"][start:end] == sentences[index]
    if relevant is None:
        relevant = relevance >= THRESHOLD
    if verified is None:
        verified = grounded and relevant and label != "CONTRADICT"
    if confidence is None:
        confidence = round(relevance * 0.9, 6) if grounded else 0.0
    return {
        "claim_id": f"{p['arxiv_id']}#{index}",
        "arxiv_id": p["arxiv_id"],
        "char_start": start,
        "char_end": end,
        "claim": sentences[index] if text is None else text,
        "grounded": grounded,
        "relevance": relevance,
        "relevant": relevant,
        "evidence_label": label,
        "support_arxiv_id": support,
        "contradict_arxiv_id": contradict,
        "verified": verified,
        "confidence": confidence,
    }


def evidence(papers, claims, *, question=Q, hits=None):
    if hits is None:  # every paper was a search hit
        hits = [{"arxiv_id": p["arxiv_id"]} for p in papers]
    return Evidence(question, hits, papers, claims)


PA = paper(
    A,
    "Sparse attention for long documents",
    [
        "We study attention patterns for long inputs.",
        "Sparse attention reduces memory by 60% on BookSum.",
        "Summary quality measured by ROUGE stays within 0.2 points of dense attention.",
    ],
)
PB = paper(
    B,
    "Efficient summarization with block attention",
    [
        "Block sparse attention reduces memory use on BookSum chapters.",
        "Summary quality improves by 1.1 ROUGE over dense attention.",
        "We release our code.",
        "Summary length grows.",
    ],
)
PC = paper(
    C,
    "Image classification with convolutional networks",
    ["Convolutional networks classify images with low latency."],
    kept=False,
    tfidf=0.05,
)


def good_claims():
    """Each part answered by a verified claim of each of two kept papers: nothing to find."""
    return [claim(PA, 1), claim(PA, 2), claim(PB, 0), claim(PB, 1)]


def gaps_claims():
    """For Q_GAPS: one verified claim covers part 1 (but its paper names only BookSum of BookSum
    and PubMed); part 2 only by a contradicted claim; two claims of B fall below the relevance
    threshold."""
    return [
        claim(PA, 1),
        claim(PA, 2, label="CONTRADICT", contradict=B),
        claim(PB, 0, relevance=0.05),
        claim(PB, 1, relevance=0.06),
    ]


def role(reviews, name):
    (found,) = [r for r in reviews if r.role == name]
    return found


def finding(review, criterion):
    (found,) = [f for f in review.findings if f.criterion == criterion]
    return found


def criteria(review):
    return [f.criterion for f in review.findings]


def weighted_mean(reviews, s):
    return sum(s.weights[r.role] * r.score for r in reviews) / sum(s.weights.values())


# --- coverage -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plural, singular",
    [
        ("losses", "loss"),
        ("studies", "study"),
        ("classes", "class"),
        ("boxes", "box"),
        ("matches", "match"),
        ("models", "model"),
        ("experts", "expert"),
    ],
)
def test_stem_matches_plural_and_singular(plural, singular):
    assert stem(plural) == stem(singular) == singular
    assert missing_terms((stem(singular),), [f"We report the {plural} of every run."]) == []


@pytest.mark.parametrize("word", ["analysis", "bus", "loss", "status", "this"])
def test_stem_leaves_words_that_are_not_plurals(word):
    assert stem(word) == word


def test_stems_split_hyphenated_words_and_fold_case():
    assert stems("Mixture-of-Experts LOSSES") == {"mixture", "of", "expert", "loss"}


def test_entity_is_not_stemmed_smoes_is_not_smoe():
    # SMoES is a model of its own: a text naming only SMoE does not name it.
    assert not has_entity("SMoES", fold("A sparse SMoE router balances the load."))
    assert missing_entities(("SMoES",), ["SMoE layers route tokens."]) == ["SMoES"]
    # ... while SMoE itself is found, in any case and in the plural.
    assert has_entity("SMoE", fold("A sparse smoe router."))
    assert has_entity("SMoE", fold("Two SMoEs were trained."))
    # A word that merely starts with the entity is another word.
    assert not has_entity("SMoE", fold("SMoEx is a different model."))
    assert not has_entity("SMoE", fold("xSMoE is a different model."))


@pytest.mark.parametrize("text", ["results on VQA CP v2", "the vqa-cp v2 split", "VQA-CP."])
def test_entity_matches_across_hyphen_space_and_case(text):
    assert has_entity("VQA-CP", fold(text))


@pytest.mark.parametrize("text", ["VQA v2 and CP", "VQAv2 only", "CP-VQA"])
def test_entity_words_must_be_adjacent_and_in_order(text):
    assert not has_entity("VQA-CP", fold(text))


def test_question_terms_split_clauses_and_drop_stopword_fragments():
    terms = question_terms(
        "How do mixture-of-experts models route tokens, and how does load balancing affect "
        "accuracy on VQA-CP?"
    )
    assert terms.terms == (
        "mixture",
        "expert",
        "model",
        "route",
        "token",
        "load",
        "balancing",
        "accuracy",
        "vqa",
        "cp",
    )
    assert "of" not in terms.terms  # the stopword inside mixture-of-experts is no term
    assert terms.entities == ("VQA-CP",)
    assert terms.parts == (
        (
            "How do mixture-of-experts models route tokens",
            ("mixture", "expert", "model", "route", "token"),
        ),
        (
            "how does load balancing affect accuracy on VQA-CP",
            ("load", "balancing", "accuracy", "vqa", "cp"),
        ),
    )


def test_question_terms_drop_single_letters_and_stopwords_of_hyphenated_words():
    terms = question_terms("Does sparse attention improve out-of-domain accuracy on A-OKVQA?")
    assert terms.terms == ("sparse", "attention", "improve", "domain", "accuracy", "okvqa")
    assert len(terms.parts) == 1


def test_question_terms_split_at_semicolon_and_question_mark_but_not_at_plain_and():
    one = question_terms("Does sparse attention and memory pooling help summarization?")
    assert len(one.parts) == 1
    three = question_terms("Does pruning help? What about distillation; which is cheaper?")
    assert [t for _, t in three.parts] == [("pruning", "help"), ("distillation",), ("cheaper",)]


def test_part_coverage_is_the_share_of_part_terms_found():
    part = ("sparse", "attention", "reduce", "memory", "booksum")
    assert part_coverage(part, "Sparse attention reduces memory on BookSum.") == 1.0
    assert part_coverage(part, "Memory drops by half.") == pytest.approx(0.2)
    assert part_coverage((), "anything") == 0.0


# --- a clean synthesis ---------------------------------------------------------------------------


def test_clean_synthesis_scores_ten_and_publishes_without_revision():
    out = run_tribunal(evidence([PA, PB, PC], good_claims()), review_settings())
    (only,) = out.rounds
    assert [r.score for r in only.reviews] == [10.0, 10.0, 10.0]
    assert role(only.reviews, "SKEPTIC").findings == ()
    assert criteria(role(only.reviews, "VALIDATOR")) == ["all_checked"]
    assert criteria(role(only.reviews, "SYNTHESIZER")) == ["part_answered", "part_answered"]
    assert only.overall == 10.0
    assert out.revision == ()
    assert (out.verdict, out.policy) == ("PUBLISH", "PUBLISH")
    assert out.reasons == ("final score 10.0/10 gives PUBLISH",)


# --- SKEPTIC: fatal findings --------------------------------------------------------------------


def test_no_kept_paper_is_fatal_capped_unrevised_and_escalated():
    papers = [
        dict(PA, kept=False, tfidf_score=0.12, semantic_score=0.31),
        dict(PB, kept=False, tfidf_score=0.14, semantic_score=0.35),
        dict(PC, semantic_score=0.1),
    ]
    ev = evidence(papers, good_claims())
    s = review_settings()
    out = run_tribunal(ev, s)

    (only,) = out.rounds  # no revision: no revision can add a source
    assert out.revision == ()
    sk = role(only.reviews, "SKEPTIC")
    assert sk.score == 0.0 and sk.fatal
    fatal = finding(sk, "no_sources")
    assert fatal.severity == "fatal"
    assert fatal.evidence == (B, A, C)  # the best-scored papers first
    assert "0.15" in fatal.finding and "0.140" in fatal.finding and "0.350" in fatal.finding
    # The other roles still score (claims cite papers that are not kept) ...
    assert weighted_mean(only.reviews, s) > s.fatal_cap
    # ... but a fatal finding caps the overall score.
    assert only.overall == s.fatal_cap
    assert out.verdict == "REJECT"
    assert out.policy == "ESCALATE_TO_OWNER"
    assert out.reasons[0] == "final score 1.0/10 gives REJECT"
    assert any(r.startswith("fatal (no_sources): No source addresses") for r in out.reasons)


def test_fatal_cap_and_fatal_policy_come_from_settings():
    papers = [dict(PA, kept=False), dict(PB, kept=False)]
    policy = {"PUBLISH": "PUBLISH", "REVISE": "HOLD", "REJECT": "HOLD", "fatal": "DISCARD"}
    out = run_tribunal(
        evidence(papers, good_claims()), review_settings(fatal_cap=0.5, policy=policy)
    )
    assert out.final.overall == 0.5
    assert (out.verdict, out.policy) == ("REJECT", "DISCARD")
    # Even a lenient verdict band does not lift a fatal finding's policy.
    lenient = review_settings(publish_at=0.0, reject_below=0.0, policy=policy)
    out = run_tribunal(evidence(papers, good_claims()), lenient)
    assert (out.verdict, out.policy) == ("PUBLISH", "DISCARD")


def test_every_entity_missing_from_the_kept_sources_is_fatal():
    pa = paper(A, PA["title"], ["Sparse attention reduces memory by 60% on arXiv papers."])
    pb = paper(B, PB["title"], ["Summary quality stays within 0.2 ROUGE points."])
    # BookSum is named only by a paper that was not kept: it does not count.
    pc = paper(C, "BookSum: long narrative summarization", ["BookSum has chapters."], kept=False)
    ev = evidence([pa, pb, pc], [claim(pa, 0), claim(pb, 0)])
    s = review_settings()
    out = run_tribunal(ev, s)

    (only,) = out.rounds
    sk = role(only.reviews, "SKEPTIC")
    fatal = finding(sk, "missing_entities")
    assert fatal.severity == "fatal"
    assert fatal.evidence == ("BookSum",)
    assert fatal.points == 10.0
    assert "do not address the question's subject" in fatal.finding
    assert finding(sk, "missing_terms").evidence == ("booksum",)
    assert sk.score == 0.0
    assert weighted_mean(only.reviews, s) > s.fatal_cap
    assert only.overall == s.fatal_cap
    assert out.revision == ()
    assert (out.verdict, out.policy) == ("REJECT", "ESCALATE_TO_OWNER")
    assert any(r.startswith("fatal (missing_entities)") and "BookSum" in r for r in out.reasons)


def test_some_entities_missing_is_a_deduction_not_fatal():
    # 1 of Q_GAPS's 3 entities (PubMed) in no kept source: a third, below 0.5. 4 x 1/3.
    ev = evidence([PA, PB], good_claims(), question=Q_GAPS)
    terms = question_terms(Q_GAPS)
    assert terms.entities == ("BookSum", "PubMed", "ROUGE")
    sk = skeptic(ev, terms, Synthesis(tuple(ev.claims)), review_settings())
    gone = finding(sk, "missing_entities")
    assert (gone.severity, gone.evidence, gone.points) == ("minor", ("PubMed",), 1.3333)
    assert gone.finding == "1 of the question's 3 named entities appear in no kept source: PubMed."
    assert not sk.fatal and sk.score > 0

    three = "Does sparse attention reduce memory on BookSum, PubMed and arXiv?"
    pa = dict(PA, abstract=PA["abstract"] + " We also test on arXiv.")
    ev = evidence([pa, PB], good_claims(), question=three)
    sk = skeptic(ev, question_terms(three), Synthesis(tuple(ev.claims)), review_settings())
    gone = finding(sk, "missing_entities")
    assert (gone.severity, gone.evidence, gone.points) == ("minor", ("PubMed",), 1.3333)
    assert not sk.fatal


def test_half_the_entities_missing_from_the_kept_sources_is_fatal():
    # Q_HALF: 1 of 2 entities (PubMed) in no kept source. 1/2 >= entity_fatal_share 0.5: fatal,
    # though BookSum is named and both kept papers answer part of the question.
    ev = evidence([PA, PB, PC], good_claims(), question=Q_HALF)
    s = review_settings()
    out = run_tribunal(ev, s)

    (only,) = out.rounds  # fatal: no revision can add a source
    assert out.revision == ()
    sk = role(only.reviews, "SKEPTIC")
    fatal = finding(sk, "missing_entities")
    assert (fatal.severity, fatal.evidence, fatal.points) == ("fatal", ("PubMed",), 10.0)
    assert fatal.finding == (
        "1 of the question's 2 named entities appear in no kept source: PubMed. The sources do "
        "not address the question's subject."
    )
    assert sk.score == 0.0
    assert weighted_mean(only.reviews, s) > s.fatal_cap
    assert only.overall == s.fatal_cap
    assert (out.verdict, out.policy) == ("REJECT", "ESCALATE_TO_OWNER")
    assert any(r.startswith("fatal (missing_entities)") and "PubMed" in r for r in out.reasons)


@pytest.mark.parametrize(
    "question, share, severity, points",
    [
        # 1 of 2 missing (0.5): fatal from 0.5 down, a major deduction of 4 x 0.5 above it.
        (Q_HALF, 0.5, "fatal", 10.0),
        (Q_HALF, 0.6, "major", 2.0),
        (Q_HALF, 1.0, "major", 2.0),
        # 1 of 3 missing: fatal at exactly 1/3 (>=, not >), a minor 4 x 1/3 just above it.
        (Q_GAPS, 1 / 3, "fatal", 10.0),
        (Q_GAPS, 0.34, "minor", 1.3333),
        (Q_GAPS, 0.2, "fatal", 10.0),
    ],
)
def test_entity_fatal_share_comes_from_settings(question, share, severity, points):
    ev = evidence([PA, PB], good_claims(), question=question)
    s = review_settings(entity_fatal_share=share)
    sk = skeptic(ev, question_terms(question), Synthesis(tuple(ev.claims)), s)
    gone = finding(sk, "missing_entities")
    assert (gone.severity, gone.evidence, gone.points) == (severity, ("PubMed",), points)
    assert sk.fatal == (severity == "fatal")
    assert (sk.score == 0.0) == (severity == "fatal")


def test_missing_entities_are_never_discounted_by_disclosure():
    assert "missing_entities" in UNFIXABLE_BY_DISCLOSURE
    ev = evidence([PA, PB], good_claims(), question=Q_GAPS)
    terms, s = question_terms(Q_GAPS), review_settings()
    hidden = skeptic(ev, terms, Synthesis(tuple(ev.claims)), s)
    disclosed = Synthesis(tuple(ev.claims), frozenset({"missing_entities", "missing_terms"}))
    told = skeptic(ev, terms, disclosed, s)
    # Saying a source is missing does not supply it: the same 1.3333, no "(disclosed)" ...
    assert finding(told, "missing_entities") == finding(hidden, "missing_entities")
    # ... while a disclosed missing term costs half: 3 x 3/11 = 0.8182, then 0.4091.
    assert finding(hidden, "missing_terms").points == 0.8182
    assert finding(told, "missing_terms").points == 0.4091
    assert finding(told, "missing_terms").finding.endswith("(disclosed)")


def test_missing_terms_are_listed_in_question_order_whatever_the_paper_order():
    question = (
        "Does sparse attention reduce latency and memory, and how does it affect energy use and "
        "summary quality?"
    )
    terms = question_terms(question)
    # PC names latency but is not kept, so latency is still missing.
    for papers in ([PA, PB, PC], [PC, PB, PA]):
        ev = evidence(papers, good_claims(), question=question)
        sk = skeptic(ev, terms, Synthesis(tuple(good_claims())), review_settings())
        lack = finding(sk, "missing_terms")
        assert lack.evidence == ("latency", "energy")
        assert lack.severity == "minor"  # 2 of 8 terms: under 30%
        assert lack.points == 0.75  # 3 x 2/8
        assert "latency, energy" in lack.finding
    # A third missing term (of 8) crosses 30%: major.
    pb = dict(PB, abstract=PB["abstract"].replace("quality", "scores"))
    pa = dict(PA, abstract=PA["abstract"].replace("quality", "scores"))
    ev = evidence([pa, pb], [], question=question)
    lack = finding(skeptic(ev, terms, Synthesis(()), review_settings()), "missing_terms")
    assert lack.evidence == ("latency", "energy", "quality")
    assert (lack.severity, lack.points) == ("major", 1.125)


def test_missing_terms_without_kept_sources_name_the_retrieved_papers():
    # No retrieved paper names BookSum, the question's only entity.
    pa = paper(A, PA["title"], ["Sparse attention reduces memory by 60% on arXiv."], kept=False)
    pb = paper(B, PB["title"], ["Summary quality stays within 0.2 points."], kept=False)
    ev = evidence([pa, pb], [])
    sk = skeptic(ev, question_terms(Q), Synthesis(()), review_settings())
    assert criteria(sk) == ["no_sources", "missing_entities", "missing_terms"]
    # With no kept source a missing entity is not what is fatal: the lack of sources is.
    gone = finding(sk, "missing_entities")
    assert (gone.severity, gone.evidence, gone.points) == ("major", ("BookSum",), 4.0)
    assert "no retrieved paper" in gone.finding
    assert "retrieved paper" in finding(sk, "missing_terms").finding
    assert [f.criterion for f in sk.findings if f.severity == "fatal"] == ["no_sources"]


def test_missing_terms_at_thirty_percent_are_major():
    ev = evidence([PA, PB], good_claims(), question=Q_HALF)
    sk = skeptic(ev, question_terms(Q_HALF), Synthesis(tuple(good_claims())), review_settings())
    lack = finding(sk, "missing_terms")
    assert lack.evidence == ("pubmed", "energy", "cost")  # 3 of 10
    assert (lack.severity, lack.points) == ("major", 0.9)
    # Q_GAPS adds a term every kept source has (rouge): 3 of 11 is under 30%, minor, 3 x 3/11.
    ev = evidence([PA, PB], good_claims(), question=Q_GAPS)
    sk = skeptic(ev, question_terms(Q_GAPS), Synthesis(tuple(good_claims())), review_settings())
    lack = finding(sk, "missing_terms")
    assert lack.evidence == ("pubmed", "energy", "cost")
    assert (lack.severity, lack.points) == ("minor", 0.8182)


# --- SKEPTIC: relevance, sources, contradictions ------------------------------------------------


def test_low_relevance_claims_cost_in_proportion():
    claims = good_claims() + [claim(PB, 2, relevance=0.05)]
    ev = evidence([PA, PB], claims)
    sk = skeptic(ev, question_terms(Q), Synthesis(tuple(claims)), review_settings())
    weak = finding(sk, "low_relevance")
    assert (weak.severity, weak.evidence, weak.points) == ("minor", (f"{B}#2",), 0.3)


def test_no_relevant_claim_is_a_major_gap_naming_the_best_claims():
    claims = [
        claim(PA, 1, relevance=0.05),
        claim(PA, 2, relevance=0.02),
        claim(PB, 0, relevance=0.07),
        claim(PB, 1, relevance=0.01),
    ]
    ev = evidence([PA, PB], claims)
    sk = skeptic(ev, question_terms(Q), Synthesis(tuple(claims)), review_settings())
    gap = finding(sk, "no_relevant_claims")
    assert (gap.severity, gap.points) == ("major", 3.0)
    assert gap.evidence == (f"{B}#0", f"{A}#1", f"{A}#2")  # top 3 by relevance
    assert "0.070" in gap.finding


def test_no_claims_is_a_major_gap_and_nothing_to_validate():
    ev = evidence([PA, PB], [])
    s = review_settings(answered_share=0.0)  # the unanswered gate is tested on its own below
    out = run_tribunal(ev, s)
    first = out.rounds[0]
    gap = finding(role(first.reviews, "SKEPTIC"), "no_claims")
    assert (gap.severity, gap.evidence, gap.points) == ("major", (A, B), 3.0)
    val = role(first.reviews, "VALIDATOR")
    assert val.score == 0.0 and criteria(val) == ["no_statements"]
    assert role(first.reviews, "SYNTHESIZER").score == 0.0
    # Not fatal, so revised; disclosing that there are no claims does not make them appear.
    assert len(out.rounds) == 2
    again = finding(role(out.final.reviews, "SKEPTIC"), "no_claims")
    assert "no_claims" in out.final.synthesis.disclosed
    assert again.points == 3.0 and not again.finding.endswith("(disclosed)")
    assert role(out.final.reviews, "VALIDATOR").score == 0.0


def test_one_answering_paper_beside_other_verified_papers_is_a_minor_finding():
    # B's only claim is verified but answers no part of the question on its own: the answer
    # rests on two papers (no single source, which caps the score), one of which answers.
    claims = [claim(PA, 1), claim(PA, 2), claim(PB, 2, relevance=0.3)]
    ev = evidence([PA, PB], claims)
    terms, syn, s = question_terms(Q), Synthesis(tuple(claims)), review_settings()
    assert answering_papers(ev, terms, syn, s) == [A]
    review = skeptic(ev, terms, syn, s)
    assert "single_source" not in criteria(review)
    one = finding(review, "one_paper_answers")
    assert (one.severity, one.evidence, one.points) == ("minor", (A,), 1.0)


def test_single_source_when_every_verified_claim_comes_from_one_paper():
    claims = [claim(PA, 1), claim(PA, 2), claim(PB, 2, relevance=0.05)]
    ev = evidence([PA, PB], claims)
    terms, syn, s = question_terms(Q), Synthesis(tuple(claims)), review_settings()
    one = finding(skeptic(ev, terms, syn, s), "single_source")
    assert (one.severity, one.evidence, one.points) == ("major", (A,), 2.0)
    assert "all 2 verified sentences of the answer come from it" in one.finding


def test_two_answering_papers_are_not_a_single_source():
    ev = evidence([PA, PB], good_claims())
    terms, syn, s = question_terms(Q), Synthesis(tuple(good_claims())), review_settings()
    assert answering_papers(ev, terms, syn, s) == [A, B]
    assert "single_source" not in criteria(skeptic(ev, terms, syn, s))


def test_a_claim_covering_exactly_answer_coverage_answers():
    # "Summary length grows." covers summary, 1 of part 2's 2 terms: exactly 0.5.
    claims = [claim(PA, 1), claim(PA, 2), claim(PB, 3)]
    ev = evidence([PA, PB], claims)
    terms, syn = question_terms(Q), Synthesis(tuple(claims))
    assert answering_papers(ev, terms, syn, review_settings()) == [A, B]
    assert answering_papers(ev, terms, syn, review_settings(answer_coverage=0.6)) == [A]


def test_single_kept_paper_is_a_single_source_even_without_verified_claims():
    claims = [claim(PA, 1, relevance=0.05)]
    ev = evidence([PA, dict(PB, kept=False)], claims)
    sk = skeptic(ev, question_terms(Q), Synthesis(tuple(claims)), review_settings())
    one = finding(sk, "single_source")
    assert one.evidence == (A,)
    assert "it is the only kept source" in one.finding


def test_one_contradiction_is_minor_two_are_major():
    one = good_claims()[:3] + [claim(PB, 1, label="CONTRADICT", contradict=A)]
    ev = evidence([PA, PB], one)
    found = finding(
        skeptic(ev, question_terms(Q), Synthesis(tuple(one)), review_settings()), "contradictions"
    )
    assert (found.severity, found.points) == ("minor", 0.5)
    assert found.evidence == (f"{B}#1", A)

    two = [
        claim(PA, 1),
        claim(PA, 2, label="CONTRADICT", contradict=B),
        claim(PB, 0),
        claim(PB, 1, label="CONTRADICT", contradict=A),
    ]
    ev = evidence([PA, PB], two)
    found = finding(
        skeptic(ev, question_terms(Q), Synthesis(tuple(two)), review_settings()), "contradictions"
    )
    assert (found.severity, found.points) == ("major", 1.0)
    assert set(found.evidence) == {f"{A}#2", f"{B}#1", A, B}


# --- VALIDATOR ----------------------------------------------------------------------------------


def test_validator_passes_consistent_grounded_claims():
    ev = evidence([PA, PB], good_claims())
    val = validator(ev, Synthesis(tuple(good_claims())), review_settings())
    assert val.score == 10.0
    (ok,) = val.findings
    assert (ok.criterion, ok.severity, ok.points) == ("all_checked", "info", 0.0)


def _swap(claims, index, **changes):
    out = list(claims)
    p = {A: PA, B: PB}[out[index]["arxiv_id"]]
    n = int(out[index]["claim_id"].split("#")[1])
    out[index] = claim(p, n, **changes)
    return out


@pytest.mark.parametrize(
    "index, changes, criterion, points",
    [
        # The text says 70% where the span says 60%: grounded=True is not trusted.
        (
            0,
            {"text": "Sparse attention reduces memory by 70% on BookSum."},
            "ungrounded",
            1.0,
        ),
        # Support from a paper that was retrieved but not kept.
        (0, {"label": "SUPPORT", "support": C}, "unknown_reference", 0.75),
        # Support from a paper that was never retrieved at all.
        (0, {"label": "SUPPORT", "support": "2401.09999"}, "unknown_reference", 0.75),
        # Contradicted, yet flagged verified.
        (
            2,
            {"label": "CONTRADICT", "contradict": A, "verified": True},
            "inconsistent_confidence",
            0.5,
        ),
        # More confident than it is relevant.
        (1, {"relevance": 0.5, "confidence": 0.7}, "inconsistent_confidence", 0.5),
        # Flagged relevant below the threshold (and so wrongly verified).
        (
            3,
            {"relevance": 0.05, "relevant": True, "verified": True, "confidence": 0.04},
            "inconsistent_confidence",
            0.5,
        ),
    ],
)
def test_validator_catches_each_inconsistency(index, changes, criterion, points):
    claims = _swap(good_claims(), index, **changes)
    ev = evidence([PA, PB, PC], claims)
    val = validator(ev, Synthesis(tuple(claims)), review_settings())
    bad = finding(val, criterion)
    assert criteria(val) == [criterion]
    assert bad.evidence == (claims[index]["claim_id"],)
    assert (bad.severity, bad.points) == ("major", points)
    assert val.score == round(10.0 - points, 2)


def test_validator_rechecks_a_claim_whose_paper_is_not_kept():
    claims = good_claims()
    ev = evidence([PA, dict(PB, kept=False)], claims)
    val = validator(ev, Synthesis(tuple(claims)), review_settings())
    assert finding(val, "ungrounded").evidence == (f"{B}#0", f"{B}#1")
    assert finding(val, "unknown_reference").evidence == (f"{B}#0", f"{B}#1")
    assert val.score == 10.0 - 2.0 - 1.5  # 4 x 2/4 and 3 x 2/4


def test_validator_lists_its_findings_in_rubric_order():
    claims = good_claims()
    claims[0] = claim(PA, 1, relevance=0.5, confidence=0.7)  # inconsistent
    claims[3] = claim(PB, 1, label="CONTRADICT", contradict=A)  # unverified
    ev = evidence([PA, dict(PB, kept=False)], claims)
    val = validator(ev, Synthesis(tuple(claims)), review_settings())
    assert criteria(val) == [
        "ungrounded",
        "unknown_reference",
        "inconsistent_confidence",
        "unverified_presented",
    ]


def test_validator_cites_a_kept_paper_that_was_no_search_hit():
    ev = evidence([PA, PB], good_claims(), hits=[{"arxiv_id": A}])
    val = validator(ev, Synthesis(tuple(good_claims())), review_settings())
    assert finding(val, "unknown_reference").evidence == (f"{B}#0", f"{B}#1")


def test_unverified_claims_presented_cost_minor_then_major():
    one = _swap(good_claims(), 3, label="CONTRADICT", contradict=A)
    ev = evidence([PA, PB], one)
    bad = finding(validator(ev, Synthesis(tuple(one)), review_settings()), "unverified_presented")
    assert (bad.severity, bad.evidence, bad.points) == ("minor", (f"{B}#1",), 0.75)

    two = _swap(one, 2, label="CONTRADICT", contradict=A)
    ev = evidence([PA, PB], two)
    bad = finding(validator(ev, Synthesis(tuple(two)), review_settings()), "unverified_presented")
    assert (bad.severity, bad.evidence, bad.points) == ("major", (f"{B}#0", f"{B}#1"), 1.5)


# --- SYNTHESIZER --------------------------------------------------------------------------------

# Part 1 of Q names BookSum: a claim earns credit for it only from a paper that names BookSum
# (PD in its second sentence, PD_TITLED in its title).
PD = paper(D, "Compact transformers", ["Memory drops by half.", "We evaluate on BookSum."])
PD_TITLED = paper(D, "Sparse attention on BookSum", ["Memory drops by half."])


NOGATE = review_settings(
    answered_share=0.0
)  # the question_unanswered gate off, to test what is under it


def test_a_synthesis_that_answers_too_little_is_fatal_and_unrevised():
    """Sources kept, claims grounded and verified, but they answer under a quarter of the
    question: fatal (question_unanswered), capped, escalated, whatever VALIDATOR says."""
    # PB#2 ("We release our code.") is verified but answers no part; PD#0 names one of part 1's
    # five terms (credit 0.2 / 0.5 = 0.4) and nothing of part 2: mean credit 0.2.
    pd = paper(D, "Notes", ["Memory is a concern in practice."])
    claims = [claim(PB, 2), claim(pd, 0)]
    out = run_tribunal(evidence([PA, PB, pd], claims), review_settings())
    (only,) = out.rounds
    syn = role(only.reviews, "SYNTHESIZER")
    gate = finding(syn, "question_unanswered")
    assert gate.severity == "fatal" and "below 25%" in gate.finding
    assert syn.score == 2.0 and role(only.reviews, "VALIDATOR").score == 10.0
    assert only.overall == review_settings().fatal_cap
    assert (out.verdict, out.policy) == ("REJECT", "ESCALATE_TO_OWNER")
    # At the gate's edge: answering exactly answered_share is not fatal.
    edge = synthesizer(
        evidence([PA, PB, pd], claims),
        question_terms(Q),
        Synthesis(tuple(claims)),
        review_settings(answered_share=0.2),
    )
    assert "question_unanswered" not in criteria(edge) and edge.score == 2.0


def test_most_question_terms_in_no_kept_source_is_fatal():
    """Kept papers near the question in meaning that lack most of what it asks about (the
    off-topic case the semantic filter lets through) are caught by their words."""
    question = "How quickly do coral reefs recover after mass bleaching events?"
    reef = paper(A, "Robots that reseed coral reefs", ["Coral reefs are declining fast."])
    ev = Evidence(question, [{"arxiv_id": A}], [reef], [claim(reef, 0)])
    sk = skeptic(ev, question_terms(question), Synthesis((claim(reef, 0),)), review_settings())
    gap = finding(sk, "missing_terms")
    assert gap.severity == "fatal" and sk.score == 0.0  # 5 of 7 terms: 0.71 >= 0.6
    assert "do not address what the question asks" in gap.finding
    lenient = skeptic(
        ev,
        question_terms(question),
        Synthesis((claim(reef, 0),)),
        review_settings(term_fatal_share=0.8),
    )
    assert finding(lenient, "missing_terms").severity == "major" and lenient.score > 0


def test_request_words_and_links_are_no_terms_to_look_for():
    t = question_terms(
        "How do external events influence software projects? Explain with a few recent "
        "examples, I'm especially interested in https://arxiv.org/abs/2401.00001 and NumPy."
    )
    assert t.terms == ("external", "event", "software", "project", "numpy")
    assert t.entities == ("NumPy",)


def _synth(papers, claims, s=None):
    ev = evidence(papers, claims)
    return synthesizer(ev, question_terms(Q), Synthesis(tuple(claims)), s or review_settings())


def test_a_verified_claim_earns_full_credit_for_its_part():
    syn = _synth([PA, PB], [claim(PA, 1)])
    assert syn.score == 5.0  # 10 x mean(1, 0)
    answered, unanswered = syn.findings
    assert (answered.criterion, answered.evidence, answered.points) == (
        "part_answered",
        (f"{A}#1",),
        0.0,
    )
    assert unanswered.criterion == "part_unanswered"
    assert unanswered.evidence == ("summary", "quality")
    assert (unanswered.severity, unanswered.points) == ("major", 5.0)


def test_an_unverified_relevant_claim_earns_half():
    syn = _synth([PA, PB], [claim(PA, 1, label="CONTRADICT", contradict=B)])
    assert syn.score == 2.5
    partial = syn.findings[0]
    assert (partial.criterion, partial.severity, partial.points) == ("part_partial", "minor", 2.5)
    assert "relevant but unverified" in partial.finding


def test_an_irrelevant_unverified_claim_earns_nothing():
    syn = _synth([PA, PB], [claim(PA, 1, relevance=0.05)], NOGATE)
    assert syn.score == 0.0
    assert criteria(syn) == ["part_unanswered", "part_unanswered"]


def test_partial_coverage_is_relative_to_answer_coverage():
    # "Memory drops by half." covers 1 of part 1's 5 terms: 0.2 / 0.5 = credit 0.4 (x 1: PD's
    # abstract names BookSum, part 1's only entity).
    syn = _synth([PD], [claim(PD, 0)])
    assert syn.score == 2.0
    partial = syn.findings[0]
    assert (partial.criterion, partial.severity, partial.points) == ("part_partial", "major", 3.0)
    assert "credit 0.40" in partial.finding and "a verified claim" in partial.finding
    # With answer_coverage 0.2 the same claim answers the part.
    syn = _synth([PD], [claim(PD, 0)], review_settings(answer_coverage=0.2))
    assert syn.score == 5.0
    assert criteria(syn)[0] == "part_answered"


def test_the_papers_title_counts_toward_coverage():
    # sparse, attention, booksum + memory: 4/5; the title names BookSum, so x 1
    syn = _synth([PD_TITLED], [claim(PD_TITLED, 0)])
    assert syn.score == 5.0
    assert criteria(syn)[0] == "part_answered"


def test_the_best_claim_is_verified_first_then_by_id():
    claims = [claim(PA, 1, label="CONTRADICT", contradict=B), claim(PB, 0)]
    syn = _synth([PA, PB], claims)
    assert syn.findings[0].evidence == (f"{B}#0",)  # verified beats an unverified lower id
    claims = [claim(PB, 0), claim(PA, 1)]
    syn = _synth([PA, PB], claims)
    assert syn.findings[0].evidence == (f"{A}#1",)  # equal credit: the lower claim id


def _named(abstract_tail):
    """A paper whose first sentence covers 4 of part 1's 5 terms (with its title), and whose
    second sentence may or may not name BookSum, part 1's entity."""
    return paper(D, "Sparse attention", ["Sparse attention reduces memory.", abstract_tail])


def test_a_part_about_a_named_thing_needs_a_paper_that_names_it():
    # The same claim text covers 4/5 of part 1 (credit capped at 1) either way; only whether its
    # paper names BookSum differs: x 1 or x 0.
    named = _named("We evaluate on BookSum.")
    syn = _synth([named], [claim(named, 0)])
    assert syn.score == 5.0  # 10 x mean(1 x 1 x 1, 0)
    assert criteria(syn) == ["part_answered", "part_unanswered"]
    unnamed = _named("We evaluate on long books.")
    syn = _synth([unnamed], [claim(unnamed, 0)], NOGATE)
    assert syn.score == 0.0  # 10 x mean(1 x 0 x 1, 0)
    assert criteria(syn) == ["part_unanswered", "part_unanswered"]
    assert syn.findings[0].evidence == ("sparse", "attention", "reduce", "memory", "booksum")
    # A relevant, unverified claim of the naming paper: 1 x 1 x 0.5.
    contradicted = claim(named, 0, label="CONTRADICT", contradict=A)
    syn = _synth([named, PA], [contradicted])
    assert syn.score == 2.5
    assert "credit 0.50" in syn.findings[0].finding


def test_a_claim_earns_the_share_of_the_parts_entities_its_paper_names():
    question = "Does sparse attention reduce memory use on BookSum and PubMed?"
    terms = question_terms(question)
    assert terms.part_entities == (("BookSum", "PubMed"),)

    def review(papers, claims):
        ev = evidence(papers, claims, question=question)
        return synthesizer(ev, terms, Synthesis(tuple(claims)), review_settings())

    # A#1 with A's title covers 5 of the 6 terms (all but pubmed): 5/6 / 0.5, capped at 1; A
    # names BookSum, not PubMed: x 1/2. One part: 10 x 0.5.
    syn = review([PA, PB], [claim(PA, 1)])
    assert syn.score == 5.0
    (partial,) = syn.findings
    assert (partial.criterion, partial.severity, partial.points) == ("part_partial", "minor", 5.0)
    assert "credit 0.50" in partial.finding and "a verified claim" in partial.finding
    # Another kept paper naming PubMed does not lend it to A's claim.
    pubmed = paper(B, "Summarizing PubMed", ["We summarize PubMed articles."])
    assert review([PA, pubmed], [claim(PA, 1)]).score == 5.0
    # Unverified but relevant: 1 x 1/2 x 1/2 = 0.25, a major gap costing 10 x 0.75.
    syn = review([PA, PB], [claim(PA, 1, label="CONTRADICT", contradict=B)])
    assert syn.score == 2.5
    (partial,) = syn.findings
    assert (partial.severity, partial.points) == ("major", 7.5)
    assert "credit 0.25" in partial.finding
    # Once A's abstract names PubMed too, the claim answers the part: 1 x 2/2 x 1.
    both = dict(PA, abstract=PA["abstract"] + " We also test on PubMed.")
    syn = review([both, PB], [claim(both, 1)])
    assert syn.score == 10.0
    assert criteria(syn) == ["part_answered"]


def test_each_part_is_held_to_its_own_entities():
    # Part 2 of Q names nothing, so a claim from a paper that never names BookSum (the entity of
    # part 1, and of the question) still answers it: 10 x mean(0, 1).
    pe = paper(D, "Summaries of long inputs", ["Summary quality stays high."])
    syn = _synth([pe], [claim(pe, 0)])
    assert syn.score == 5.0
    assert criteria(syn) == ["part_unanswered", "part_answered"]
    # Without part entities (a QuestionTerms built without them) only coverage counts.
    unnamed = _named("We evaluate on long books.")
    ev = evidence([unnamed], [claim(unnamed, 0)])
    bare = replace(question_terms(Q), part_entities=())
    syn = synthesizer(ev, bare, Synthesis(tuple(ev.claims)), review_settings())
    assert syn.score == 5.0


def test_part_entities_are_aligned_with_the_parts():
    assert question_terms(Q).part_entities == (("BookSum",), ())
    assert question_terms(Q_GAPS).part_entities == (("BookSum", "PubMed"), ("ROUGE",))
    # A clause with no terms ("What about it") is no part, and has no entity row either.
    terms = question_terms(
        "Does pruning help on ImageNet? What about it; which is cheaper on CIFAR-10?"
    )
    assert [text for text, _ in terms.parts] == [
        "Does pruning help on ImageNet",
        "which is cheaper on CIFAR-10",
    ]
    assert terms.part_entities == (("ImageNet",), ("CIFAR-10",))
    assert len(terms.part_entities) == len(terms.parts)


def test_entity_share_is_the_share_of_entities_a_folded_text_names():
    assert entity_share((), "") == 1.0  # nothing to name
    assert entity_share(("BookSum", "PubMed"), fold("Results on booksum chapters.")) == 0.5
    assert entity_share(("BookSum", "PubMed"), fold("BookSum and PUBMED.")) == 1.0
    assert entity_share(("BookSum", "PubMed", "ROUGE"), fold("ROUGE only")) == pytest.approx(1 / 3)
    assert entity_share(("SMoES",), fold("A SMoE router.")) == 0.0  # entities are not stemmed


# --- overall score ------------------------------------------------------------------------------


def test_overall_is_the_weighted_mean_rounded_half_up():
    reviews = tuple(RoleReview(r, 0, 6.25, ()) for r in ("SKEPTIC", "VALIDATOR", "SYNTHESIZER"))
    assert overall_score(reviews, review_settings()) == 6.3  # round() would give 6.2
    reviews = (
        RoleReview("SKEPTIC", 0, 7.0, ()),
        RoleReview("VALIDATOR", 0, 8.5, ()),
        RoleReview("SYNTHESIZER", 0, 10.0, ()),
    )
    assert overall_score(reviews, review_settings()) == 8.6  # 2.45 + 2.125 + 4.0 = 8.575
    only_skeptic = review_settings(weights={"SKEPTIC": 1.0, "VALIDATOR": 0.0, "SYNTHESIZER": 0.0})
    assert overall_score(reviews, only_skeptic) == 7.0


# --- revision round -----------------------------------------------------------------------------


def test_revision_round_below_threshold_drops_unverified_and_discloses_gaps():
    ev = evidence([PA, PB, PC], gaps_claims(), question=Q_GAPS)
    out = run_tribunal(ev, review_settings())
    first, second = out.rounds
    assert (first.number, second.number) == (0, 1)

    # Round 0, by hand: SKEPTIC 10 - (4 x 1/3 + 3 x 3/11 + 1.5 x 2/4 + 2 + 0.5)
    # = 10 - (1.3333 + 0.8182 + 0.75 + 2 + 0.5) = 4.5985; VALIDATOR 10 - 3 x 3/4;
    # SYNTHESIZER 10 x mean(0.5, 0.5): part 1's A#1 covers 5 of 6 terms (capped at 1) but A names
    # only BookSum of BookSum and PubMed (x 1/2); part 2's A#2 covers summary, quality, rouge
    # (3/5, capped at 1), A names ROUGE, but A#2 is contradicted (x 1/2).
    # Overall 0.35 x 4.6 + 0.25 x 7.75 + 0.4 x 5.0 = 1.61 + 1.9375 + 2.0 = 5.5475.
    assert [r.score for r in first.reviews] == [4.6, 7.75, 5.0]
    assert first.overall == 5.5
    assert [c["claim_id"] for c in first.synthesis.claims] == [
        f"{A}#1",
        f"{A}#2",
        f"{B}#0",
        f"{B}#1",
    ]

    # Round 1 presents only the verified claim and discloses every gap found.
    assert [c["claim_id"] for c in second.synthesis.claims] == [f"{A}#1"]
    assert second.synthesis.disclosed == {
        "contradictions",
        "low_relevance",
        "missing_entities",
        "missing_terms",
        "part_partial",
        "single_source",
    }
    assert out.revision == (
        f"dropped 3 unverified claims: {A}#2, {B}#0, {B}#1",
        "disclosed in the uncertainties: contradictions, low_relevance, missing_entities, "
        "missing_terms, part_partial, single_source",
    )

    # A disclosed gap costs half its points and says it was disclosed ...
    before, after = role(first.reviews, "SKEPTIC"), role(second.reviews, "SKEPTIC")
    for name in ("missing_terms", "single_source", "contradictions"):
        assert finding(after, name).points == pytest.approx(finding(before, name).points / 2)
        assert finding(after, name).finding.endswith("(disclosed)")
    # ... except a missing entity: disclosing it does not supply the source.
    assert finding(after, "missing_entities") == finding(before, "missing_entities")
    assert not finding(after, "missing_entities").finding.endswith("(disclosed)")
    assert "low_relevance" not in criteria(after)  # the weak claims were dropped
    # 10 - (1.3333 + 0.4091 + 1.0 + 0.25) = 7.0076
    assert after.score == 7.01
    assert criteria(role(second.reviews, "VALIDATOR")) == ["all_checked"]
    # Part 1 still 0.5 (A#1, A names no PubMed); part 2's half credit went with A#2: mean(0.5, 0).
    assert role(second.reviews, "SYNTHESIZER").score == 2.5
    assert second.overall == 6.0  # 2.4535 + 2.5 + 1.0 = 5.9535, half up
    # 5.0 <= 6.0 < 6.5: revise, which a person must look at.
    assert (out.verdict, out.policy) == ("REVISE", "ESCALATE_TO_OWNER")
    assert out.reasons == ("final score 6.0/10 gives REVISE",)
    assert out.final is second


@pytest.mark.parametrize(
    "factor, skeptic_score",
    # Round 1's gaps: missing_entities 1.3333 (never discounted), and missing_terms 0.8182 +
    # single_source 2 + contradictions 0.5 = 3.3182 scaled by the factor (each rounded to 4
    # places): 10 - 1.3333 - 0 = 8.6667; 10 - (1.3333 + 0.2046 + 0.5 + 0.125) = 7.8371;
    # 10 - (1.3333 + 0.4091 + 1.0 + 0.25) = 7.0076; 10 - (1.3333 + 3.3182) = 5.3485.
    [(0.0, 8.67), (0.25, 7.84), (0.5, 7.01), (1.0, 5.35)],
)
def test_disclosed_factor_scales_what_a_disclosed_gap_costs(factor, skeptic_score):
    ev = evidence([PA, PB, PC], gaps_claims(), question=Q_GAPS)
    out = run_tribunal(ev, review_settings(disclosed_factor=factor))
    assert len(out.rounds) == 2
    sk = role(out.final.reviews, "SKEPTIC")
    assert finding(sk, "missing_entities").points == 1.3333
    assert sk.score == skeptic_score


def test_no_relevant_claims_is_not_discounted_by_disclosure():
    claims = [claim(PA, 1, relevance=0.05), claim(PB, 1, relevance=0.06)]
    out = run_tribunal(evidence([PA, PB, PC], claims), NOGATE)
    first, second = out.rounds
    assert first.overall == 4.2  # 0.35 x 7 + 0.25 x 7 + 0.4 x 0
    assert "no_relevant_claims" in second.synthesis.disclosed
    gap = finding(role(second.reviews, "SKEPTIC"), "no_relevant_claims")
    assert gap.points == 3.0
    assert not gap.finding.endswith("(disclosed)")
    assert second.synthesis.claims == ()
    assert criteria(role(second.reviews, "VALIDATOR")) == ["no_statements"]
    assert out.revision[0] == f"dropped 2 unverified claims: {A}#1, {B}#1"
    assert second.overall == 2.5
    assert (out.verdict, out.policy) == ("REJECT", "ESCALATE_TO_OWNER")


def test_revised_round_does_not_call_relevant_dropped_claims_irrelevant():
    claims = [
        claim(PA, 1, label="CONTRADICT", contradict=B),
        claim(PB, 1, label="CONTRADICT", contradict=A),
    ]
    out = run_tribunal(evidence([PA, PB], claims), review_settings(revise_below=7.0))
    assert len(out.rounds) == 2
    for review in out.final.reviews:
        for f in review.findings:
            if f.criterion == "no_relevant_claims":
                top = float(re.search(r"P\(relevant\) is ([0-9.]+)", f.finding).group(1))
                assert top < THRESHOLD, f.finding


def test_no_revision_at_or_above_revise_below():
    two = [
        claim(PA, 1),
        claim(PA, 2),
        claim(PB, 0, label="CONTRADICT", contradict=A),
        claim(PB, 1, label="CONTRADICT", contradict=A),
    ]
    ev = evidence([PA, PB], two)
    assert len(run_tribunal(ev, review_settings()).rounds) == 1  # 8.6
    out = run_tribunal(ev, review_settings(revise_below=8.7))
    assert len(out.rounds) == 2
    assert [c["claim_id"] for c in out.final.synthesis.claims] == [f"{A}#1", f"{A}#2"]


# --- thresholds and policy from Settings --------------------------------------------------------

CUSTOM_POLICY = {"PUBLISH": "HOLD", "REVISE": "PUBLISH", "REJECT": "DISCARD", "fatal": "HOLD"}


@pytest.mark.parametrize(
    "settings, verdict, policy",
    [
        ({}, "PUBLISH", "PUBLISH"),
        ({"publish_at": 8.6}, "PUBLISH", "PUBLISH"),  # at the threshold publishes
        ({"publish_at": 8.7}, "REVISE", "ESCALATE_TO_OWNER"),
        ({"publish_at": 9.5, "reject_below": 8.6}, "REVISE", "ESCALATE_TO_OWNER"),
        ({"publish_at": 9.5, "reject_below": 8.7}, "REJECT", "ESCALATE_TO_OWNER"),
        ({"policy": CUSTOM_POLICY}, "PUBLISH", "HOLD"),
        ({"publish_at": 9.0, "policy": CUSTOM_POLICY}, "REVISE", "PUBLISH"),
        ({"publish_at": 9.5, "reject_below": 9.0, "policy": CUSTOM_POLICY}, "REJECT", "DISCARD"),
    ],
)
def test_thresholds_and_policy_from_settings(settings, verdict, policy):
    two = [
        claim(PA, 1),
        claim(PA, 2),
        claim(PB, 0, label="CONTRADICT", contradict=A),
        claim(PB, 1, label="CONTRADICT", contradict=A),
    ]
    out = run_tribunal(evidence([PA, PB], two), review_settings(**settings))
    assert len(out.rounds) == 1
    assert out.final.overall == 8.6
    assert (out.verdict, out.policy) == (verdict, policy)
    assert out.reasons == (f"final score 8.6/10 gives {verdict}",)


# --- reviews.parquet rows -----------------------------------------------------------------------


def test_outcome_rows_write_and_read_back(tmp_path):
    out = run_tribunal(evidence([PA, PB, PC], gaps_claims(), question=Q_GAPS), review_settings())
    rows = outcome_rows("q1", out)
    path = tmp_path / "reviews.parquet"
    table = write_table(rows, schemas.REVIEWS, path, schemas.REVIEWS_SORT)
    back = read_table(path, schemas.REVIEWS).to_pylist()
    assert back == table.to_pylist()
    key = lambda r: (r["round"], r["role"], r["seq"])  # noqa: E731
    assert back == sorted(rows, key=key)
    assert len({key(r) for r in rows}) == len(rows)  # the sort key is unique

    assert {r["question_id"] for r in back} == {"q1"}
    assert {r["reviewer"] for r in back} == {"rules"}
    assert all(r["prompt_sha256"] is None and r["ledger_key"] is None for r in back)
    for rnd in out.rounds:
        for review in rnd.reviews:
            mine = [r for r in back if r["round"] == rnd.number and r["role"] == review.role]
            assert mine[0]["seq"] == 0 and mine[0]["criterion"] == "score"
            assert mine[0]["points"] == review.score
            assert [r["criterion"] for r in mine[1:]] == criteria(review)
            assert [tuple(r["evidence"]) for r in mine[1:]] == [f.evidence for f in review.findings]
    tribunal = {(r["round"], r["seq"]): r for r in back if r["role"] == TRIBUNAL}
    assert sorted(tribunal) == [(0, 0), (0, 1), (1, 0), (1, 2), (1, 3)]
    # the overall scores of test_revision_round_below_threshold_drops_unverified_and_discloses_gaps
    assert tribunal[(0, 0)]["points"] == 5.5 and tribunal[(1, 0)]["points"] == 6.0
    assert tribunal[(0, 1)]["criterion"] == "revision"
    assert tribunal[(0, 1)]["evidence"] == [f"{A}#2", f"{B}#0", f"{B}#1"]
    assert tribunal[(0, 1)]["finding"] == "; ".join(out.revision)
    assert (tribunal[(1, 2)]["finding"], tribunal[(1, 2)]["points"]) == ("REVISE", 6.0)
    assert tribunal[(1, 3)]["finding"] == "ESCALATE_TO_OWNER"
    assert tribunal[(1, 3)]["evidence"] == list(out.reasons)

    # read back into a Summary for the report and record
    summary = summary_from_rows(back, str(path))
    assert (summary.verdict, summary.policy) == ("REVISE", "ESCALATE_TO_OWNER")
    assert (summary.final_round, summary.final_score) == (1, 6.0)
    assert summary.scores == {
        0: {"SKEPTIC": 4.6, "VALIDATOR": 7.75, "SYNTHESIZER": 5.0, "OVERALL": 5.5},
        1: {"SKEPTIC": 7.01, "VALIDATOR": 10.0, "SYNTHESIZER": 2.5, "OVERALL": 6.0},
    }
    assert summary.dropped == [f"{A}#2", f"{B}#0", f"{B}#1"]
    assert summary.reasons == list(out.reasons)


# --- reading reviews.parquet back ---------------------------------------------------------------


def _gaps_rows():
    return outcome_rows(
        "q1",
        run_tribunal(evidence([PA, PB, PC], gaps_claims(), question=Q_GAPS), review_settings()),
    )


def _without(rows, **match):
    kept = [r for r in rows if not all(r[k] == v for k, v in match.items())]
    assert len(kept) == len(rows) - 1  # exactly one row removed
    return kept


@pytest.mark.parametrize(
    "remove, problem",
    [
        ({"role": TRIBUNAL, "criterion": "verdict"}, "it has no verdict or policy row"),
        ({"role": TRIBUNAL, "criterion": "policy"}, "it has no verdict or policy row"),
        ({"round": 1, "role": "VALIDATOR", "seq": 0}, "round 1 has no score for VALIDATOR"),
        (
            {"round": 0, "role": TRIBUNAL, "criterion": "overall"},
            "round 0 has no score for OVERALL",
        ),
        ({"round": 0, "role": "SKEPTIC", "seq": 0}, "round 0 has no score for SKEPTIC"),
    ],
)
def test_an_incomplete_review_is_refused_naming_the_file(remove, problem):
    rows = _without(_gaps_rows(), **remove)
    where = "results/q1/reviews.parquet"
    with pytest.raises(InputFileError) as caught:
        summary_from_rows(rows, where)
    err = caught.value
    assert err.where == where
    assert err.problem == f"not a complete tribunal review: {problem}"
    assert err.message.startswith(f"{where}: not a complete tribunal review")
    assert "run again" in err.fix


def test_a_round_lacking_several_scores_names_them_in_role_order():
    rows = _gaps_rows()
    rows = _without(rows, round=1, role="SYNTHESIZER", seq=0)
    rows = _without(rows, round=1, role=TRIBUNAL, criterion="overall")
    rows = _without(rows, round=1, role="SKEPTIC", seq=0)
    with pytest.raises(InputFileError) as caught:
        summary_from_rows(rows, "r.parquet")
    assert caught.value.problem.endswith("round 1 has no score for SKEPTIC, SYNTHESIZER, OVERALL")


def test_no_rows_at_all_is_refused_and_the_default_name_is_the_file():
    with pytest.raises(InputFileError) as caught:
        summary_from_rows([])
    assert caught.value.where == "reviews.parquet"
    assert "no verdict or policy row" in caught.value.problem


def test_outcome_rows_without_revision_put_the_verdict_in_round_zero():
    out = run_tribunal(evidence([PA, PB], good_claims()), review_settings())
    rows = outcome_rows("q2", out)
    assert {r["round"] for r in rows} == {0}
    tribunal = [(r["seq"], r["criterion"]) for r in rows if r["role"] == TRIBUNAL]
    assert tribunal == [(0, "overall"), (2, "verdict"), (3, "policy")]


# --- determinism --------------------------------------------------------------------------------


def test_same_input_in_any_claim_order_gives_identical_rows_and_bytes(tmp_path):
    claims = gaps_claims()
    base = outcome_rows(
        "q", run_tribunal(evidence([PA, PB, PC], claims, question=Q_GAPS), review_settings())
    )
    write_table(base, schemas.REVIEWS, tmp_path / "a.parquet", schemas.REVIEWS_SORT)
    for seed in range(5):
        shuffled = list(claims)
        random.Random(seed).shuffle(shuffled)
        ev = evidence([PA, PB, PC], shuffled, question=Q_GAPS)
        rows = outcome_rows("q", run_tribunal(ev, review_settings()))
        assert rows == base
        write_table(rows, schemas.REVIEWS, tmp_path / "b.parquet", schemas.REVIEWS_SORT)
        assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_contradictions_evidence_does_not_depend_on_claim_order():
    claims = [
        claim(PA, 1, label="CONTRADICT", contradict=B),
        claim(PA, 2),
        claim(PB, 0),
        claim(PB, 1, label="CONTRADICT", contradict=A),
    ]
    forward = outcome_rows("q", run_tribunal(evidence([PA, PB], claims), review_settings()))
    backward = outcome_rows("q", run_tribunal(evidence([PA, PB], claims[::-1]), review_settings()))
    assert forward == backward


def test_the_tribunal_does_not_mutate_its_input():
    claims = gaps_claims()
    copy = [dict(c) for c in claims]
    ev = evidence([PA, PB, PC], claims, question=Q_GAPS)
    run_tribunal(ev, review_settings())
    assert claims == copy
    assert ev.claims is claims


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        review_settings().publish_at = 1.0  # type: ignore[misc]
    assert replace(review_settings(), publish_at=1.0).publish_at == 1.0


# --- the answer: judged on what it quotes, its breadth, and its sources (schema defaults) ------


def _answer_of(papers, claims):
    from sovereign.answer.build import build_answer
    from sovereign.encoders.hashing import HashingEmbedder
    from support.settings import answer_settings

    def embed(texts):
        return HashingEmbedder().embed(texts, "passage")

    return build_answer(Q, papers, claims, embed, answer_settings())


def _more_papers(n):
    """n kept papers beyond A and B, each with one verified sentence answering part 1."""
    extra = [
        paper(f"2401.1{i:04d}", f"Sparse attention study {i}", [f"Sparse attention reduces "
              f"memory use on BookSum by {10 + i}%."])
        for i in range(n)
    ]  # fmt: skip
    return extra, [claim(p, 0) for p in extra]


def test_an_answer_resting_on_one_claim_of_one_paper_cannot_be_published():
    claims = [claim(PA, 1)]  # one verified claim; B's sentences are not claims
    papers = [PA, PB]
    ev = Evidence(Q, [{"arxiv_id": p["arxiv_id"]} for p in papers], papers, claims,
                  _answer_of(papers, claims))  # fmt: skip
    s = schema_settings()
    out = run_tribunal(ev, s)
    final = out.final
    assert "single_source" in criteria(role(final.reviews, "SKEPTIC"))
    assert final.overall <= s.single_source_cap < s.publish_at
    assert out.verdict != "PUBLISH"
    thin = finding(role(final.reviews, "SYNTHESIZER"), "thin_answer")
    assert thin.severity == "major" and thin.evidence == (A,)
    assert "1 independent paper carries the answer" in thin.finding


def test_breadth_raises_the_synthesizers_score_up_to_breadth_papers():
    s = schema_settings()
    scores = []
    for n in (0, 1, 3, 6):
        extra, extra_claims = _more_papers(n)
        papers, claims = [PA, PB, *extra], good_claims() + extra_claims
        ev = Evidence(Q, [{"arxiv_id": p["arxiv_id"]} for p in papers], papers, claims,
                      _answer_of(papers, claims))  # fmt: skip
        syn = role(run_tribunal(ev, s).final.reviews, "SYNTHESIZER")
        scores.append(syn.score)
        if 2 + n >= s.breadth_papers:
            assert "breadth" in criteria(syn) and syn.score == 10.0
        else:
            gap = finding(syn, "thin_answer")
            assert gap.points == pytest.approx(10 * s.breadth_weight * (1 - (2 + n) / 5), abs=1e-4)
    assert scores == sorted(scores) and scores[0] < scores[-1]


def test_the_answer_not_the_claims_list_is_what_answers_the_question():
    # B's relevant sentences answer part 2 as claims, but an answer that leaves them out (here:
    # an answer built from A's claims alone) does not answer it.
    papers, claims = [PA, PB], good_claims()
    only_a = _answer_of(papers, [c for c in claims if c["arxiv_id"] == A][:1])
    hits = [{"arxiv_id": p["arxiv_id"]} for p in papers]
    with_answer = run_tribunal(Evidence(Q, hits, papers, claims, only_a), review_settings())
    without = run_tribunal(Evidence(Q, hits, papers, claims), review_settings())
    syn_with = role(with_answer.rounds[0].reviews, "SYNTHESIZER")
    syn_without = role(without.rounds[0].reviews, "SYNTHESIZER")
    assert syn_with.score < syn_without.score == 10.0
    assert "part_unanswered" in criteria(syn_with) or "part_partial" in criteria(syn_with)


def test_the_revision_drops_the_answers_contradicted_quotes():
    claims = [claim(PA, 1), claim(PA, 2), claim(PB, 0), claim(PB, 1, label="CONTRADICT",
              contradict=A)]  # fmt: skip
    papers = [PA, PB]
    answer = _answer_of(papers, claims)
    assert "2401.00002#1" in {q.claim_id for q in answer.quotes}
    ev = Evidence(Q, [{"arxiv_id": p["arxiv_id"]} for p in papers], papers, claims, answer)
    out = run_tribunal(ev, schema_settings(revise_below=10.0))
    assert len(out.rounds) == 2
    revised = out.final.synthesis.answer
    assert "2401.00002#1" not in {q.claim_id for q in revised.quotes}
    assert all(q.verified for q in revised.quotes)
