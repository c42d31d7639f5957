"""Each stage's settings module gives its rule's rerun params: JSON-like, the same repr whatever
order the config's keys were set in (Snakemake compares params by repr), and enough to build the
job's Settings, so what a job uses is what reruns it."""

from __future__ import annotations

import json

import pytest

from sovereign.claims import settings as claims
from sovereign.embed import settings as embed
from sovereign.filter import settings as filter_
from sovereign.report import settings as report
from sovereign.review import settings as review
from sovereign.search import settings as search
from support.settings import default_config

STAGES = {
    "search": search,
    "filter": filter_,
    "embed": embed,
    "claims": claims,
    "review": review,
    "report": report,
}


def _reversed(value):
    """The same config with every mapping's keys in reverse order."""
    if isinstance(value, dict):
        return {k: _reversed(value[k]) for k in reversed(list(value))}
    return value


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_rerun_params_do_not_depend_on_key_order(stage):
    config = default_config(review={"llm": {"url": "https://llm.example.org"}})
    params = STAGES[stage].rerun_params(config)
    assert params == json.loads(json.dumps(params))  # JSON-like
    assert repr(STAGES[stage].rerun_params(_reversed(config))) == repr(params)


@pytest.mark.parametrize(
    ("stage", "section", "key", "value"),
    [
        ("search", "search", "max_results", 7),
        ("filter", "filter", "threshold", 0.2),
        ("claims", "claims", "evidence_sentences", 3),
        ("review", "review", "answered_share", 0.3),
        ("review", "filter", "threshold", 0.2),
        ("report", "record", "publisher", "someone"),
    ],
)
def test_a_setting_that_changes_the_output_changes_the_params(stage, section, key, value):
    before = STAGES[stage].rerun_params(default_config())
    after = STAGES[stage].rerun_params(default_config(**{section: {key: value}}))
    assert after != before


@pytest.mark.parametrize(
    ("stage", "section", "key", "value"),
    [
        ("search", "search", "retries", 9),  # how arXiv is reached, not what it answers
        ("embed", "embed", "batch_size", 10),
        ("review", "review", "llm", {"url": None, "timeout": 5}),
    ],
)
def test_how_a_service_is_reached_does_not_change_the_params(stage, section, key, value):
    before = STAGES[stage].rerun_params(default_config())
    after = STAGES[stage].rerun_params(default_config(**{section: {key: value}}))
    assert after == before


def test_the_jobs_settings_are_built_from_the_params():
    config = default_config(claims={"evidence_papers": 3}, filter={"threshold": 0.2})
    assert claims.Settings(**claims.rerun_params(config)) == claims.Settings.from_config(config)
    assert filter_.Settings(**filter_.rerun_params(config)) == filter_.Settings.from_config(config)
    assert review.Settings.from_params(review.rerun_params(config)).filter_threshold == 0.2
