"""The answer's writer model: its prompt, its answer's parsing, the check of every sentence it
writes against the quotes it cites, and the whole writer against a loopback chat server (recorded,
replayed, offline)."""

from __future__ import annotations

import json

import pytest

from sovereign.answer.evidence import Quote
from sovereign.answer.model import (
    INVENTED,
    KEPT,
    UNCITED,
    UNSUPPORTED,
    Answer,
    ShownTheme,
    WriterSentence,
)
from sovereign.answer.settings import Settings, rerun_params
from sovereign.answer.writer import (
    FORMAT_FIX,
    PROMPT_VERSION,
    SYSTEM_PROMPT,
    WRITER_SERVICE,
    Draft,
    check_sentence,
    check_sentences,
    content_stems,
    llm_writer,
    numbers,
    parse_sentences,
    writer_client,
    writer_messages,
)
from sovereign.errors import LedgerMiss, NetworkError
from sovereign.net.chat import prompt_sha256
from support.fake_llm import DEAD_URL, FakeLlm
from support.settings import default_config

# --- builders -----------------------------------------------------------------------------------

QUESTION = "How does expert routing affect VQA accuracy?"
ROUTING = "2501.00001#1"
BALANCE = "2501.00003#0"
FIXED = "2501.00004#1"


def quote(claim_id, text, *, shown=True, label="NEUTRAL"):
    return Quote(
        claim_id=claim_id,
        arxiv_id=claim_id.split("#")[0],
        sentence_index=int(claim_id.split("#")[1]),
        char_start=0,
        char_end=len(text),
        text=text,
        relevance=0.8,
        verified=True,
        label=label,
        shown=shown,
    )


ANSWER = Answer(
    (
        ShownTheme(
            0,
            "expert routing",
            (
                quote(
                    ROUTING,
                    "Top-k routing with k=2 improves VQA accuracy by 1.8 points over dense "
                    "baselines while activating 30% of parameters.",
                ),
                quote(
                    FIXED,
                    "Fixed routing strategies underperform learned\n"
                    "routing on A-OKVQA by 3 points.",
                    shown=False,
                ),
            ),
        ),
        ShownTheme(
            1,
            "load balancing",
            (quote(BALANCE, "Auxiliary load balancing losses keep expert utilization uniform."),),
        ),
    ),
    (),
)
MIN_OVERLAP = 0.6

KEPT_TEXT = "Top-k routing with k=2 improves VQA accuracy by 1.8 points over dense baselines."
# A faithful restatement the verifier calls CONTRADICT: kept, as it only decides "bears on it".
PARAPHRASE = "Load balancing losses keep expert utilization uniform."
WRONG_NUMBER = "Top-k routing with k=2 improves VQA accuracy by 12.5 points over dense baselines."
UNRELATED = "Gaussian splatting renders driving scenes in real time."


def check(text, *cites, min_overlap=MIN_OVERLAP):
    return check_sentence(Draft(text, tuple(cites)), ANSWER, min_overlap)


# --- the check ----------------------------------------------------------------------------------


def test_a_sentence_restating_its_quote_is_kept_with_overlap_and_verifier_labels():
    assert check(KEPT_TEXT, ROUTING) == (
        KEPT,
        f"content overlap 1.00 >= 0.60; verifier: {ROUTING} SUPPORT",
    )


def test_the_verifier_decides_only_whether_the_evidence_bears_on_the_sentence():
    """A faithful paraphrase can come out CONTRADICT (the verifier's SUPPORT / CONTRADICT split is
    weak); it still bears on the sentence, so the sentence is kept."""
    assert check(PARAPHRASE, BALANCE) == (
        KEPT,
        f"content overlap 1.00 >= 0.60; verifier: {BALANCE} CONTRADICT",
    )


def test_a_sentence_citing_nothing_is_uncited():
    assert check(KEPT_TEXT) == (UNCITED, "cites no evidence")


def test_a_citation_of_no_quote_is_invented_and_named():
    status, detail = check(KEPT_TEXT, ROUTING, "2501.09999#0")
    assert status == INVENTED
    assert detail == "cites 2501.09999#0, not among the answer's quotes"


def test_a_number_the_cited_quotes_do_not_state_is_unsupported():
    assert check(WRONG_NUMBER, ROUTING) == (
        UNSUPPORTED,
        "numbers 12.5 not in the cited quotes",
    )


def test_a_number_of_another_quote_is_unsupported_even_if_that_quote_is_in_the_answer():
    status, detail = check("Fixed routing underperforms learned routing by 1.8 points.", FIXED)
    assert (status, detail) == (UNSUPPORTED, "numbers 1.8 not in the cited quotes")
    status, _ = check("Fixed routing underperforms learned routing by 3 points.", FIXED)
    assert status == KEPT


def test_unrelated_content_fails_the_overlap_and_the_verifier():
    assert check(UNRELATED, ROUTING, BALANCE) == (
        UNSUPPORTED,
        "content overlap 0.00 < 0.60; verifier: NEUTRAL for every cited quote",
    )


def test_the_verifier_alone_drops_a_sentence_no_cited_quote_bears_on():
    assert check(UNRELATED, ROUTING, min_overlap=0.0) == (
        UNSUPPORTED,
        "verifier: NEUTRAL for every cited quote",
    )


def test_the_overlap_is_of_content_word_stems_against_the_cited_quotes_only():
    text = "Expert routing resembles Gaussian splatting of scenes."
    assert content_stems(text) == (
        "expert",
        "gaussian",
        "resemble",
        "routing",
        "scene",
        "splatting",
    )
    # ROUTING has "routing"; BALANCE adds "expert": 1 of 6 content stems, then 2 of 6.
    assert check(text, ROUTING)[1].startswith("content overlap 0.17 < 0.60")
    assert check(text, ROUTING, BALANCE)[1].startswith("content overlap 0.33 < 0.60")


def test_a_sentence_without_content_words_is_unsupported():
    status, detail = check("It does so.", ROUTING)
    assert status == UNSUPPORTED and detail.startswith("no content words")


def test_evidence_ids_written_into_the_text_are_no_numbers_of_it():
    status, _ = check(f"{KEPT_TEXT[:-1]} [{ROUTING}].", ROUTING)
    assert status == KEPT


def test_numbers_as_compared():
    text = "By 1.80 points, 45% of 1,000 users, k=2 on VQA-CP v2; GPT-4 and 3,14."
    assert numbers(text) == ("1.8", "45", "1000", "2", "4", "3", "14")
    assert numbers("No digits here.") == ()


def test_the_check_is_deterministic_and_sentence_by_sentence():
    drafts = [
        Draft(KEPT_TEXT, (ROUTING,)),
        Draft(UNRELATED, (ROUTING,)),
        Draft(KEPT_TEXT, ()),
        Draft(PARAPHRASE, (BALANCE, "x#1")),
        Draft(WRONG_NUMBER, (ROUTING,)),
    ]
    first = check_sentences(drafts, ANSWER, MIN_OVERLAP)
    assert [s for s, _ in first] == [KEPT, UNSUPPORTED, UNCITED, INVENTED, UNSUPPORTED]
    assert first == check_sentences(drafts, ANSWER, MIN_OVERLAP)
    assert first == [check_sentence(d, ANSWER, MIN_OVERLAP) for d in drafts]
    assert check_sentences([], ANSWER, MIN_OVERLAP) == []


# --- the prompt ---------------------------------------------------------------------------------


def test_messages_are_the_fixed_prompt_and_the_quotes_theme_by_theme():
    messages = writer_messages(QUESTION, ANSWER)
    assert messages == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {
            "role": "user",
            "content": (
                f"Research question: {QUESTION}\n"
                "\n"
                "Evidence:\n"
                "\n"
                "## expert routing\n"
                f"[{ROUTING}] Top-k routing with k=2 improves VQA accuracy by 1.8 points over "
                "dense baselines while activating 30% of parameters.\n"
                f"[{FIXED}] Fixed routing strategies underperform learned routing on A-OKVQA by "
                "3 points.\n"
                "\n"
                "## load balancing\n"
                f"[{BALANCE}] Auxiliary load balancing losses keep expert utilization uniform.\n"
            ),
        },
    ]
    assert writer_messages(QUESTION, ANSWER) == messages
    assert prompt_sha256(writer_messages(QUESTION, ANSWER)) == prompt_sha256(messages)
    assert PROMPT_VERSION == "answer-writer-v1"
    assert '{"sentences": [{"text":' in SYSTEM_PROMPT


def test_an_answer_without_quotes_has_no_prompt():
    with pytest.raises(ValueError):
        writer_messages(QUESTION, Answer((), ()))


# --- parsing ------------------------------------------------------------------------------------

GOOD = {"sentences": [{"text": KEPT_TEXT, "cites": [ROUTING]}]}


def parse(text):
    return parse_sentences(text, "llm-writer (m, prompt abc)")


def test_a_plain_json_answer_is_parsed():
    assert parse(json.dumps(GOOD)) == [Draft(KEPT_TEXT, (ROUTING,))]


def test_a_fence_and_prose_around_the_object_are_skipped():
    fenced = f"Here is the answer.\n\n```json\n{json.dumps(GOOD, indent=2)}\n```\n"
    assert parse(fenced) == [Draft(KEPT_TEXT, (ROUTING,))]
    prose = f'Notes {{"draft": 1}} then {json.dumps(GOOD)} and {{not json}} after.'
    assert parse(prose) == [Draft(KEPT_TEXT, (ROUTING,))]


def test_cites_lose_brackets_and_repeats_and_text_its_wraps():
    answer = {"sentences": [{"text": " A\n  b. ", "cites": [f"[{ROUTING}]", ROUTING, " ", FIXED]}]}
    assert parse(json.dumps(answer)) == [Draft("A b.", (ROUTING, FIXED))]
    assert parse('{"sentences": []}') == []


@pytest.mark.parametrize(
    "content, problem",
    [
        ("I cannot help with that.", 'holds no JSON object with "sentences"'),
        ('{"text": "a", "cites": []}', 'holds no JSON object with "sentences"'),
        ('{"sentences": "a"}', "sentences is str, not a list"),
        ('{"sentences": [3]}', "sentences[0] is int, not an object"),
        ('{"sentences": [{"text": "", "cites": []}]}', "sentences[0].text is not a non-empty"),
        ('{"sentences": [{"text": "a", "cites": "x"}]}', "sentences[0].cites is not a list"),
        ('{"sentences": [{"text": "a", "cites": [1]}]}', "sentences[0].cites is not a list"),
        ('{"sentences": [{"text": "a"}]}', "sentences[0].cites is not a list"),
    ],
)
def test_a_malformed_answer_is_a_network_error_naming_the_service_and_fix(content, problem):
    with pytest.raises(NetworkError) as err:
        parse(content)
    assert err.value.where == "llm-writer (m, prompt abc)"
    assert problem in err.value.problem
    assert err.value.fix == FORMAT_FIX and "answer.writer.url: null" in err.value.message


# --- the writer, against a loopback chat server -------------------------------------------------


WRITTEN = [
    {"text": KEPT_TEXT, "cites": [ROUTING]},
    {"text": "Learned routing beats fixed routing.", "cites": ["2501.09999#2"]},
    {"text": WRONG_NUMBER, "cites": [ROUTING]},
    {"text": UNRELATED, "cites": [BALANCE]},
    {"text": "Routing matters.", "cites": []},
    {"text": PARAPHRASE, "cites": [BALANCE]},
]


def scripted(_body):
    return "```json\n" + json.dumps({"sentences": WRITTEN}) + "\n```"


def config(url, ledger, **writer):
    section = {
        "url": url,
        "model": "fake-writer",
        "api_key_env": "SOVEREIGN_TEST_WRITER_KEY",
        "retries": 0,
        "backoff": 0,
        "max_wait": 1,
        "timeout": 5,
        **writer,
    }
    cfg = default_config(answer={"writer": section})
    cfg["ledger"] = str(ledger)
    return cfg


def run_writer(cfg, logs=None):
    log = (logs if logs is not None else []).append
    client = writer_client(cfg, log)
    settings = Settings.from_params(rerun_params(cfg))
    return llm_writer(client, settings, log)(QUESTION, ANSWER, {}), client


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv("SOVEREIGN_TEST_WRITER_KEY", raising=False)


@pytest.fixture
def fake():
    with FakeLlm(content=scripted) as server:
        yield server


def test_the_client_is_the_writer_sections(tmp_path):
    client = writer_client(config(DEAD_URL, tmp_path, max_tokens=77, timeout=9), print)
    assert (client.service, client.setting, client.who) == (
        "llm-writer",
        "answer.writer",
        "the writer model",
    )
    assert client.model == "fake-writer" and client.max_tokens == 77
    assert client.policy.section == "answer.writer" and client.policy.timeout == 9
    assert client.url == f"{DEAD_URL}/v1/chat/completions" and not client.offline


def test_the_writer_keeps_checked_sentences_and_drops_the_rest_counted(fake, tmp_path):
    logs = []
    sentences, client = run_writer(config(fake.url, tmp_path / "ledger"), logs)
    ((path, _headers, body),) = fake.requests
    assert path == "/v1/chat/completions"
    assert body["messages"] == writer_messages(QUESTION, ANSWER)
    assert body["model"] == "fake-writer" and body["temperature"] == 0
    assert [s.seq for s in sentences] == list(range(len(WRITTEN)))
    assert [s.text for s in sentences] == [w["text"] for w in WRITTEN]
    assert [s.status for s in sentences] == [
        KEPT,
        INVENTED,
        UNSUPPORTED,
        UNSUPPORTED,
        UNCITED,
        KEPT,
    ]
    assert "2501.09999#2" in sentences[1].detail
    assert sentences[2].detail == "numbers 12.5 not in the cited quotes"
    assert "verifier: NEUTRAL for every cited quote" in sentences[3].detail
    key = {s.ledger_key for s in sentences}
    assert len(key) == 1 and key.pop()
    assert client.ledger.path(WRITER_SERVICE, sentences[0].ledger_key).is_file()
    assert all(isinstance(s, WriterSentence) and isinstance(s.cites, tuple) for s in sentences)
    assert (
        "llm-writer (fake-writer): 6 sentences written, 2 kept; dropped: 1 uncited, "
        "1 invented_citation, 2 unsupported"
    ) in logs


def test_a_second_run_replays_from_the_ledger_and_sends_nothing(fake, tmp_path):
    first, _ = run_writer(config(fake.url, tmp_path / "ledger"))
    logs = []
    second, client = run_writer(config(fake.url, tmp_path / "ledger"), logs)
    assert len(fake.requests) == 1 and client.requests_sent == 0
    assert second == first
    assert any(line.startswith("llm-writer: replayed the fake-writer answer") for line in logs)
    offline, client = run_writer(config(DEAD_URL, tmp_path / "ledger", offline=True))
    assert offline == first and client.requests_sent == 0


def test_offline_with_an_empty_ledger_is_a_ledger_miss_naming_the_fix(tmp_path):
    with pytest.raises(LedgerMiss) as err:
        run_writer(config(DEAD_URL, tmp_path / "empty", offline=True))
    message = err.value.message
    assert message.startswith("llm-writer (fake-writer) prompt ")
    assert "offline: the ledger holds no fake-writer answer" in message
    assert "the writer model reachable" in message and "answer.writer.url: null" in message
    assert not (tmp_path / "empty" / WRITER_SERVICE).exists()


def test_a_malformed_fresh_answer_is_refused_and_never_recorded(tmp_path):
    with FakeLlm(content=lambda _body: "Routing helps VQA [2501.00001#1].") as server:
        for _ in range(2):  # refused, not replayed: the next run asks again
            with pytest.raises(NetworkError) as err:
                run_writer(config(server.url, tmp_path / "ledger"))
        assert len(server.requests) == 2
    message = err.value.message
    digest = prompt_sha256(writer_messages(QUESTION, ANSWER))[:12]
    assert message.startswith(f"llm-writer (fake-writer, prompt {digest}): ")
    assert 'holds no JSON object with "sentences"' in message
    assert "nothing was recorded, so the next run asks again" in message
    assert not (tmp_path / "ledger" / WRITER_SERVICE).exists()


def test_a_malformed_answer_in_the_ledger_says_which_file_to_delete(tmp_path):
    """An answer recorded unchecked (by an older version, or edited by hand) is replayed; only
    deleting it asks again."""
    cfg = config(DEAD_URL, tmp_path / "ledger")
    with FakeLlm(content=lambda _body: "Routing helps.") as server:
        client = writer_client(config(server.url, tmp_path / "ledger"), print)
        completion = client.complete(writer_messages(QUESTION, ANSWER))  # recorded unchecked
    with pytest.raises(NetworkError) as err:
        run_writer(cfg)
    path = client.ledger.path(WRITER_SERVICE, completion.ledger_key)
    assert 'holds no JSON object with "sentences"' in err.value.message
    assert f"then delete {path} to ask again" in err.value.message
