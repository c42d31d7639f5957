import pytest

from sovereign.search.queries import KINDS, expand
from sovereign.text.question import analyse

SEED = (
    "What is the generalization capability of SMoES on out-of-domain VQA benchmarks like "
    "VQA-CP v2 and A-OKVQA, and how does this compare to fixed routing strategies in terms of "
    "accuracy drop and expert utilization metrics?"
)


def test_four_queries_of_fixed_kinds():
    queries = expand(SEED)
    assert [q.kind for q in queries] == list(KINDS)
    assert [q.index for q in queries] == [0, 1, 2, 3]
    assert all(q.clauses for q in queries)


def test_named_entities_and_acronyms_are_found():
    entities = analyse(SEED)["entities"]
    assert {"SMoES", "VQA-CP", "A-OKVQA"} <= set(entities)
    assert "What" not in entities  # a capital at the start of the question is not a name


def test_phrases_are_runs_of_content_words():
    assert "fixed routing strategies" in analyse(SEED)["phrases"]


def test_rendering_quotes_non_alphanumeric_terms_and_applies_as_of():
    query = expand(SEED)[2]
    assert 'all:"VQA-CP"' in query.text and "all:SMoES" in query.text
    assert query.arxiv_query("2026-05-28").endswith("submittedDate:[190001010000 TO 202605282359]")
    assert query.arxiv_query(None) == query.text


def test_expansion_is_a_pure_function_of_the_text():
    assert expand(SEED) == expand(SEED)
    assert expand("  " + SEED.replace(" ", "\n", 3)) == expand(SEED)


def test_question_without_entities_falls_back_to_keywords():
    queries = expand("how do sparse experts reduce inference cost?")
    assert queries[2].clauses  # entities fall back to the most specific keywords
    assert queries[3].operator == "AND"


def test_question_of_only_stop_words_is_rejected():
    with pytest.raises(ValueError, match="no content words"):
        expand("What is it, and how does it compare?")


def test_words_of_any_script_and_sentence_starts():
    parts = analyse(
        "Mixture-of-experts models route tokens. Routing collapses? Does Schrödinger's naïve "
        "GPT-4 agree?"
    )
    assert "Routing" not in parts["entities"] and "Does" not in parts["entities"]
    assert parts["entities"] == ["Schrödinger's", "GPT-4"]
    assert "naïve" in parts["keywords"]
    assert analyse("量子计算的未来是什么？")["keywords"]  # not mistaken for stop words only
