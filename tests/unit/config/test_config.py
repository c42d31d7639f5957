import pytest

from sovereign.config.checks import validate_config
from sovereign.config.files import check_config_file, load_yaml
from sovereign.config.questions import read_questions
from sovereign.errors import ConfigError
from support.paths import REPO
from support.workflow import write_sheet

SCHEMA = load_yaml(REPO / "config/schemas/config.schema.yaml")
QSCHEMA = load_yaml(REPO / "config/schemas/questions.schema.yaml")


def base(tmp_path, **search):
    snap = tmp_path / "snap.jsonl"
    snap.write_text("")
    return {
        "questions": "q.tsv",
        "search": {"backend": "snapshot", "snapshot": str(snap), **search},
        "filter": {},
    }


def check(config, sources=None):
    return validate_config(config, SCHEMA, sources or [("config/config.yaml", config)])


def test_defaults_are_filled(tmp_path):
    config = check(base(tmp_path))
    assert config["filter"]["threshold"] == 0.15
    assert config["search"]["max_results"] == 50
    assert config["ledger"] == "ledger" and config["results"] == "results"


def test_shipped_config_is_valid():
    config = load_yaml(REPO / "config/config.yaml")
    config["search"]["snapshot"] = str(REPO)  # the shipped path lives beside the repository
    validate_config(config, SCHEMA)


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        ({"filter": {"threshold": 1.5}}, "filter.threshold", "from 0 to 1"),
        ({"filter": {"treshold": 0.2}}, "filter.treshold", "unknown key"),
        ({"bogus": 1}, "bogus", "unknown key"),
        ({"search": {"backend": "google"}}, "search.backend", "one of: arxiv, replay, snapshot"),
        ({"search": {"max_results": "many"}}, "search.max_results", "a whole number"),
        ({"search": {"max_results": 0}}, "search.max_results", "from 1 to 2000"),
        ({"fulltext": {"second_look": "most"}}, "fulltext.second_look", "all, or a whole number"),
        ({"fulltext": {"second_look": -1}}, "fulltext.second_look", "all, or a whole number"),
        ({"fulltext": {"second_look": 2.5}}, "fulltext.second_look", "all, or a whole number"),
    ],
)
def test_bad_values_name_the_field_and_the_fix(tmp_path, change, where, says):
    config = base(tmp_path)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key].update(value)
        else:
            config[key] = value
    with pytest.raises(ConfigError) as err:
        check(config)
    assert err.value.where == f"config/config.yaml: {where}"
    assert says in err.value.message and "fix:" in err.value.message


def test_error_names_the_overlay_that_set_the_value(tmp_path):
    config = base(tmp_path)
    overlay = {"filter": {"threshold": -1}}
    config["filter"].update(overlay["filter"])
    sources = [("--config", {}), ("my-overlay.yaml", overlay), ("config/config.yaml", {})]
    with pytest.raises(ConfigError, match="my-overlay.yaml: filter.threshold"):
        check(config, sources)


def test_command_line_strings_are_read_as_numbers(tmp_path):
    config = base(tmp_path)
    config["filter"]["threshold"] = "0.3"  # --config filter='{threshold: 0.3}'
    assert check(config)["filter"]["threshold"] == 0.3


@pytest.mark.parametrize(("text", "value"), [("0.39", 0.39), ("null", None), ("1", 1)])
def test_command_line_strings_are_read_as_a_number_or_null(tmp_path, text, value):
    """A key that takes a number or null (filter.semantic_threshold) from --config too."""
    config = base(tmp_path)
    config["filter"]["semantic_threshold"] = text
    assert check(config)["filter"]["semantic_threshold"] == value


def test_command_line_text_that_is_no_number_is_still_refused(tmp_path):
    config = base(tmp_path)
    config["filter"]["semantic_threshold"] = "high"
    with pytest.raises(ConfigError, match="semantic_threshold"):
        check(config)
    config = base(tmp_path)
    config["filter"]["threshold"] = "true"  # a boolean is no number
    with pytest.raises(ConfigError, match="filter.threshold"):
        check(config)


def test_backend_specific_requirements(tmp_path):
    with pytest.raises(ConfigError, match="search.snapshot") as err:
        check(base(tmp_path, snapshot=str(tmp_path / "missing.jsonl")))
    assert "does not exist" in err.value.message
    with pytest.raises(ConfigError, match="search.contact"):
        check(base(tmp_path, backend="arxiv"))
    with pytest.raises(ConfigError, match="terms of use"):
        check(base(tmp_path, backend="arxiv", contact="me@example.org", min_interval=1))
    loopback = base(
        tmp_path, backend="arxiv", contact="me", min_interval=0, arxiv_url="http://127.0.0.1:1/q"
    )
    check(loopback)  # a test server or mirror may be asked faster


def sheet(tmp_path, rows):
    return read_questions(write_sheet(tmp_path / "q.tsv", rows), QSCHEMA)


def test_tricky_question_text_is_kept_verbatim(tmp_path):
    texts = [
        'Does "attention" help? It\'s `rm -rf /` and $(touch pwned) with $HOME',
        "Is the $\\ell_1$ penalty on Gödel–Escher τ-embeddings\nstable? (ünïcödé)",
    ]
    questions = sheet(tmp_path, [["b", texts[0], "2026-01-01"], ["a", texts[1], "2026-01-02"]])
    assert [q.question_id for q in questions] == ["a", "b"]  # sorted by id
    assert questions[1].question == texts[0]
    assert questions[0].question == texts[1].replace("\n", " ")  # wrapped lines joined


@pytest.mark.parametrize(
    ("rows", "where", "says"),
    [
        ([["bad id!", "A question on routing?", "2026-01-01"]], "line 2, column question_id", ""),
        ([["x" * 65, "A question on routing?", "2026-01-01"]], "line 2, column question_id", ""),
        ([["a", "   ", "2026-01-01"]], "line 2, column question", "empty"),
        ([["a", "What is it and how does it?", "2026-01-01"]], "line 2, column question", "stop"),
        ([["a", "Routing?", "2026-13-01"]], "line 2, column as_of", "calendar date"),
        ([["a", "Routing?", "28 May 2026"]], "line 2, column as_of", "YYYY-MM-DD"),
        ([["a", "Routing?", "2026-01-01"], ["a", "Experts?", "2026-01-01"]], "line 3", "line 2"),
        ([["a", "Routing?"]], "line 2", "tab-separated fields"),
    ],
)
def test_bad_sheets_name_line_and_column(tmp_path, rows, where, says):
    with pytest.raises(ConfigError) as err:
        sheet(tmp_path, rows)
    assert where in err.value.where
    assert says in err.value.message


def test_header_and_emptiness(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text("id\tquestion\tdate\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown columns"):
        read_questions(path, QSCHEMA)
    path.write_text("question_id\tquestion\tas_of\n# only a comment\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no questions"):
        read_questions(path, QSCHEMA)
    with pytest.raises(ConfigError, match="not found"):
        read_questions(tmp_path / "nope.tsv", QSCHEMA)
    path.write_text('question_id\tquestion\tas_of\na\t"unterminated\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2"):
        read_questions(path, QSCHEMA)


def test_sheet_quirks_from_spreadsheets(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text(
        '\ufeffquestion_id\tquestion\tas_of\n# a note\t"with an open quote\n'
        "a\tHow does routing work?\t2026-01-01\n",
        encoding="utf-8",
    )
    assert [q.question_id for q in read_questions(path, QSCHEMA)] == ["a"]
    path.write_text("question_id\tquestion\tas_of\tquestion\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="column 'question' appears twice"):
        read_questions(path, QSCHEMA)
    with pytest.raises(ConfigError, match="used again"):
        sheet(tmp_path, [["Q1", "Routing?", "2026-01-01"], ["q1", "Experts?", "2026-01-01"]])
    with pytest.raises(ConfigError, match="is a directory, not a question sheet"):
        read_questions(tmp_path, QSCHEMA)


def test_more_config_mistakes(tmp_path):
    config = base(tmp_path, backend="arxiv", contact="me", min_interval=0)
    config["search"]["arxiv_url"] = "https://arxiv.org/api/query"
    with pytest.raises(ConfigError, match="terms of use"):
        check(config)
    config["search"]["arxiv_url"] = "http://"
    with pytest.raises(ConfigError, match="names no host"):
        check(config)
    config = base(tmp_path)
    config["filter"] = 0.3
    with pytest.raises(ConfigError, match="mapping with keys: semantic_threshold, threshold"):
        check(config)
    with pytest.raises(ConfigError, match="search.contact"):
        check(base(tmp_path, contact="naïve\n"))


# --- review thresholds that only make sense together ---------------------------------------------


def with_review(tmp_path, **review):
    config = base(tmp_path)
    config["review"] = review
    return config


def test_review_defaults_are_consistent_and_filled(tmp_path):
    review = check(base(tmp_path))["review"]
    assert review["entity_fatal_share"] == 0.5
    assert (review["reject_below"], review["publish_at"]) == (5.0, 6.5)
    assert review["weights"] == {"SKEPTIC": 0.35, "VALIDATOR": 0.25, "SYNTHESIZER": 0.4}


def test_all_review_weights_zero_is_refused(tmp_path):
    weights = {"SKEPTIC": 0, "VALIDATOR": 0, "SYNTHESIZER": 0}
    with pytest.raises(ConfigError) as err:
        check(with_review(tmp_path, weights=weights))
    assert err.value.where == "config/config.yaml: review.weights"
    assert "all three weights are 0" in err.value.problem
    assert "positive weight" in err.value.fix


def test_one_positive_review_weight_is_enough(tmp_path):
    only = {"SKEPTIC": 0, "VALIDATOR": 0, "SYNTHESIZER": 0.1}
    assert check(with_review(tmp_path, weights=only))["review"]["weights"] == only
    # a partial mapping keeps the others' defaults: not all zero
    partial = check(with_review(tmp_path, weights={"SKEPTIC": 0, "VALIDATOR": 0}))
    assert partial["review"]["weights"]["SYNTHESIZER"] == 0.4


@pytest.mark.parametrize(
    "review, says",
    [
        ({"reject_below": 7}, "7 is above review.publish_at 6.5"),  # default publish_at
        ({"publish_at": 4}, "5 is above review.publish_at 4"),  # default reject_below
        ({"reject_below": 6.6, "publish_at": 6.5}, "6.6 is above review.publish_at 6.5"),
    ],
)
def test_reject_below_above_publish_at_is_refused(tmp_path, review, says):
    with pytest.raises(ConfigError) as err:
        check(with_review(tmp_path, **review))
    assert err.value.where == "config/config.yaml: review.reject_below"
    assert err.value.problem == says
    assert "reject_below <= publish_at" in err.value.fix
    assert err.value.message.startswith("config/config.yaml: review.reject_below: ")


@pytest.mark.parametrize("review", [{"reject_below": 6.5}, {"reject_below": 0, "publish_at": 0}])
def test_reject_below_equal_to_publish_at_is_allowed(tmp_path, review):
    config = check(with_review(tmp_path, **review))
    assert config["review"]["reject_below"] == config["review"]["publish_at"]


def test_review_errors_name_the_overlay_that_set_the_value(tmp_path):
    overlay = {"review": {"reject_below": 9}}
    config = with_review(tmp_path, **overlay["review"])
    sources = [("--config", {}), ("strict.yaml", overlay), ("config/config.yaml", {})]
    with pytest.raises(ConfigError) as err:
        check(config, sources)
    assert err.value.where == "strict.yaml: review.reject_below"
    overlay = {"review": {"weights": {"SKEPTIC": 0, "VALIDATOR": 0, "SYNTHESIZER": 0}}}
    config = with_review(tmp_path, **overlay["review"])
    sources = [("zero.yaml", overlay), ("config/config.yaml", {})]
    with pytest.raises(ConfigError, match=r"^zero\.yaml: review\.weights: all three weights"):
        check(config, sources)


@pytest.mark.parametrize(
    ("share", "says"),
    [
        (0, "0 is not greater than 0"),
        (1.5, "1.5 is greater than the maximum of 1"),
        ("half", "'half' is not a number"),
    ],
)
def test_entity_fatal_share_is_a_share_above_zero(tmp_path, share, says):
    with pytest.raises(ConfigError) as err:
        check(with_review(tmp_path, entity_fatal_share=share))
    assert err.value.where == "config/config.yaml: review.entity_fatal_share"
    assert says in err.value.problem
    assert "use a number greater than 0 and at most 1" in err.value.fix
    assert check(with_review(tmp_path, entity_fatal_share=1))["review"]["entity_fatal_share"] == 1


# --- messages for mistakes the command-line tests (workflow/test_bad_input.py) leave out ---------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (float("nan"), ".nan is not a finite number"),
        (float("inf"), ".inf is not a finite number"),
        (None, "null is not a number"),
        (True, "true is not a number"),
    ],
)
def test_values_are_shown_as_written_in_yaml(tmp_path, value, problem):
    config = base(tmp_path)
    config["review"] = {"weights": {"SKEPTIC": value}}
    with pytest.raises(ConfigError) as err:
        check(config)
    assert err.value.where == "config/config.yaml: review.weights.SKEPTIC"
    assert err.value.problem == problem
    assert err.value.fix == "use a number of at least 0"


def test_patterns_are_said_in_words(tmp_path):
    config = base(tmp_path)
    config["review"] = {"llm": {"api_key_env": "1KEY"}}
    with pytest.raises(ConfigError) as err:
        check(config)
    assert err.value.problem == "'1KEY' is not a variable name (letters, digits, _; no digit first)"
    assert "^" not in err.value.message  # no regular expression shown to the user


def test_config_files_snakemake_would_load_are_checked_first(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("search: {backend: snapshot\n  snapshot: s.jsonl\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        check_config_file(path)
    assert err.value.message == (
        f"{path}: line 2, column 11: not valid YAML: expected ',' or '}}', but got ':' "
        "(while parsing a flow mapping that starts on line 1)\n  fix: correct the YAML there"
    )
    path.write_text("filter:\n\tthreshold: 0.2\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match="(?s)line 2, column 1: .* spaces: YAML does not allow tabs"
    ):
        check_config_file(path)
    path.write_text("- questions\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="holds a YAML list, not a mapping of keys"):
        check_config_file(path)
    path.write_bytes(b"filter: {threshold: 0.2}  # caf\xe9\n")
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 0xe9\)"):
        check_config_file(path)
    with pytest.raises(ConfigError, match="file not found"):
        check_config_file(tmp_path / "nope.yaml")
    check_config_file(tmp_path / "nope.yaml", required=False)  # an overlay replaces it
    path.write_text("", encoding="utf-8")
    check_config_file(path)  # empty: every default


@pytest.mark.parametrize(
    ("rows", "where", "problem", "fix"),
    [
        (
            [["Q1", "Routing?", "2026-01-01"], ["q1", "Experts?", "2026-01-01"]],
            "line 3, column question_id",
            "'q1' is used again (first on line 2)",
            "give every question its own id (ids differing only in case count as one)",
        ),
        (
            [["q1", "Routing?", ""]],
            "line 2, column as_of",
            "the as_of date is empty",
            "write the date the question is asked as of, YYYY-MM-DD",
        ),
        (
            [["bad id", "Routing?", "2026-13-01"]],  # the first column's fault is named first
            "line 2, column question_id",
            "'bad id' holds a space",
            "use only letters, digits, _ and - (the id names the folder results/<question_id>/)",
        ),
        (
            [["_ok", "Routing?\x07", "2026-01-01"]],
            "line 2, column question",
            "the question holds the control character U+0007 (character 9)",
            "delete it: a question is plain text (pasted terminal colours or binary data?)",
        ),
    ],
)
def test_sheet_cells_name_the_exact_fault(tmp_path, rows, where, problem, fix):
    with pytest.raises(ConfigError) as err:
        sheet(tmp_path, rows)
    assert err.value.where == f"{tmp_path / 'q.tsv'}: {where}"
    assert (err.value.problem, err.value.fix) == (problem, fix)


def test_sheet_limits_are_inclusive(tmp_path):
    longest = ("routing " * 250)[:-1] + "s"  # 2,000 characters, none of them trimmed
    questions = sheet(
        tmp_path, [["a" * 64, longest, "2026-01-01"], ["_b", "Experts?", "2026-01-01"]]
    )
    assert [len(q.question_id) for q in questions] == [2, 64]  # "_b" sorts first
    assert len(questions[1].question) == 2000
    path = tmp_path / "q.tsv"
    path.write_text("question_id\tquestion\tas_of\nq1\tRouting?\t2026-01-01\n", encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))  # BOM, CRLF
    assert read_questions(path, QSCHEMA)[0].as_of == "2026-01-01"


def test_header_only_sheet_and_stop_words(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text("question_id\tquestion\tas_of\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_questions(path, QSCHEMA)
    assert err.value.message == (
        f"{path}: the sheet has a header but no questions\n  fix: add a question row"
    )
    with pytest.raises(ConfigError, match="only stop words"):
        sheet(tmp_path, [["q1", "What is it and how does it?", "2026-01-01"]])
