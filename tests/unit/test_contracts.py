"""The shared vocabulary is defined once (sovereign.contracts) and every other statement of it
agrees: the question sheet's schema, the record's schema, the workflow's wildcard and Gate 2."""

from __future__ import annotations

import json

import pytest
import yaml

from sovereign.contracts import (
    LEVELS,
    MAX_QUESTION_ID_CHARS,
    QUESTION_ID_CHARS,
    QUESTION_ID_PATTERN,
    ROLES,
    TIERS,
    is_question_id,
)
from support.paths import REPO

SCHEMAS = REPO / "config" / "schemas"


def test_the_sheet_schema_states_the_question_id_rule():
    schema = yaml.safe_load((SCHEMAS / "questions.schema.yaml").read_text(encoding="utf-8"))
    assert schema["properties"]["question_id"]["pattern"] == f"^{QUESTION_ID_PATTERN}$"


def test_the_record_schema_states_the_question_id_rule():
    schema = json.loads((SCHEMAS / "record.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["question_id"]["pattern"] == f"^{QUESTION_ID_PATTERN}$"


def test_the_workflow_wildcard_is_the_rule():
    common = (REPO / "rules" / "common.smk").read_text(encoding="utf-8")
    assert "qid=QUESTION_ID_PATTERN," in common


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("q1", True),
        ("seed_vqa-ood", True),
        ("_x", True),
        ("-q", False),  # reads as an option to command-line tools
        ("a" * MAX_QUESTION_ID_CHARS, True),
        ("a" * (MAX_QUESTION_ID_CHARS + 1), False),
        ("", False),
        ("q/1", False),
        ("q 1", False),
        ("..", False),
        ("q1\n", False),  # a trailing newline is no part of an id
        (None, False),
    ],
)
def test_question_ids(value, ok):
    assert is_question_id(value) is ok
    if ok:
        assert set(value) <= QUESTION_ID_CHARS


def test_vocabulary_is_what_the_record_schema_allows():
    schema = json.loads((SCHEMAS / "record.schema.json").read_text(encoding="utf-8"))
    text = json.dumps(schema)
    for word in (*TIERS, *LEVELS):
        assert f'"{word}"' in text, word
    assert ROLES == ("SKEPTIC", "VALIDATOR", "SYNTHESIZER")
