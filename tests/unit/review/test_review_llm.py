"""The review stage's glue: config to Settings, and the optional LLM reviewer blended into the
rule-based tribunal, against a loopback OpenAI-compatible server and replayed offline."""

from __future__ import annotations

import json
import random
import re

import pytest

from sovereign import schemas
from sovereign.claims import relevance as relevance_module
from sovereign.claims.relevance import load_relevance_model
from sovereign.errors import LedgerMiss, NetworkError
from sovereign.io import write_table
from sovereign.net.chat import LLM_SERVICE, prompt_sha256
from sovereign.net.ledger import Ledger, request_key
from sovereign.review.coverage import question_terms
from sovereign.review.llm_review import messages_for
from sovereign.review.rows import outcome_rows
from sovereign.review.settings import Settings, rerun_params
from sovereign.review.stage import brief, llm_client, llm_reviewer
from sovereign.review.tribunal import review_round, run_tribunal
from sovereign.review.types import TRIBUNAL, Evidence, RoleReview, Synthesis
from support.fake_llm import DEAD_URL, FakeLlm
from support.settings import default_config
from support.settings import review_settings as schema_settings


def review_settings(**overrides):
    """Without breadth and the single-source cap, whose arithmetic tests/unit/review/
    test_tribunal.py holds: the blend's figures below are the parts' rubric alone."""
    return schema_settings(**{"breadth_weight": 0.0, "single_source_cap": 10.0, **overrides})


# --- builders -----------------------------------------------------------------------------------

# Three entities, one (PubMed) in no source: a third, a deduction (half or more would be fatal;
# see tests/unit/review/test_tribunal.py, whose Q_GAPS this is).
QUESTION = (
    "Does sparse attention reduce memory use on BookSum and PubMed, and how does it affect "
    "summary quality on ROUGE and energy cost?"
)
A, B = "2401.00001", "2401.00002"


def paper(aid, title, sentences, *, kept=True, tfidf=0.4):
    return {
        "arxiv_id": aid,
        "title": title,
        "abstract": " ".join(sentences),
        "kept": kept,
        "tfidf_score": tfidf,
        "semantic_score": 0.6 if kept else 0.2,
    }


def claim(p, index, *, relevance=0.8, label="NEUTRAL", contradict=None):
    """A consistent claims row for sentence `index` of `p` (see test_tribunal.py)."""
    sentences = re.split(r"(?<=\.) ", p["abstract"])
    start = sum(len(s) + 1 for s in sentences[:index])
    relevant = relevance >= 0.12
    return {
        "claim_id": f"{p['arxiv_id']}#{index}",
        "arxiv_id": p["arxiv_id"],
        "char_start": start,
        "char_end": start + len(sentences[index]),
        "claim": sentences[index],
        "grounded": True,
        "relevance": relevance,
        "relevant": relevant,
        "evidence_label": label,
        "support_arxiv_id": None,
        "contradict_arxiv_id": contradict,
        "verified": relevant and label != "CONTRADICT",
        "confidence": round(relevance * 0.9, 6),
    }


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
    ],
)


def claims():
    return [
        claim(PA, 1),
        claim(PA, 2, label="CONTRADICT", contradict=B),
        claim(PB, 0, relevance=0.05),
        claim(PB, 1, relevance=0.06),
    ]


def evidence(rows=None):
    rows = claims() if rows is None else rows
    return Evidence(QUESTION, [{"arxiv_id": A}, {"arxiv_id": B}], [PA, PB], rows)


# The scripted LLM: a fixed score per role, so each blend is known. With the rules' round-0
# scores (4.6, 7.75, 5.0; worked out in test_tribunal.py) every 50/50 blend is 5.0.
LLM_SCORES = {"SKEPTIC": 5.4, "VALIDATOR": 2.25, "SYNTHESIZER": 5.0}


def role_of(body) -> str:
    system = body["messages"][0]["content"]
    return re.match(r"You are the (\w+) ", system).group(1)


def scripted(body) -> str:
    name = role_of(body)
    finding = {"finding": f"{name.lower()} finding", "evidence": [f"{name} evidence"]}
    return json.dumps({"score": LLM_SCORES[name], "findings": [finding]})


def section(url, **changes):
    base = {
        "url": url,
        "model": "m",
        "api_key_env": "X_KEY",
        "weight": 0.5,
        "offline": False,
        "max_tokens": 256,
        "retries": 0,
        "backoff": 0,
        "max_wait": 1,
        "timeout": 5,
    }
    return {**base, **changes}


def tribunal_with_llm(llm, ledger_dir, ev=None, s=None, log=None):
    ev = ev or evidence()
    config = default_config(review={"llm": llm})
    config["ledger"] = str(ledger_dir)
    client = llm_client(config, log or (lambda _msg: None))
    outcome = run_tribunal(ev, s or review_settings(), llm_reviewer(client, ev, llm["weight"]))
    return outcome, client


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv("X_KEY", raising=False)


@pytest.fixture
def fake():
    with FakeLlm(content=scripted) as server:
        yield server


# --- blending -----------------------------------------------------------------------------------


def test_each_role_score_is_the_blend_of_rules_and_llm(fake, tmp_path):
    ev, s = evidence(), review_settings()
    outcome, client = tribunal_with_llm(section(fake.url), tmp_path / "ledger", ev, s)
    assert client.model == "m"
    terms = question_terms(ev.question)

    assert len(outcome.rounds) == 2  # the blended round 0 (5.0) is below 6.5: revised
    for rnd in outcome.rounds:
        rules = review_round(rnd.number, ev, terms, rnd.synthesis, s)  # the rules alone
        for blended, plain in zip(rnd.reviews, rules.reviews, strict=True):
            assert blended.role == plain.role
            expected = 0.5 * plain.score + 0.5 * LLM_SCORES[plain.role]
            assert blended.score == pytest.approx(expected, abs=0.0051)
            assert blended.round == rnd.number
            # The rule-based findings stay, the LLM's are added as info (costing nothing).
            assert blended.findings[: len(plain.findings)] == plain.findings
            (extra,) = blended.findings[len(plain.findings) :]
            assert (extra.criterion, extra.severity, extra.points) == ("llm", "info", 0.0)
            assert extra.finding == f"{plain.role.lower()} finding"
            assert extra.evidence == (f"{plain.role} evidence",)
    first = outcome.rounds[0]
    assert [r.score for r in first.reviews] == [5.0, 5.0, 5.0]
    assert first.overall == 5.0
    # Round 1's rules give 7.01, 10.0, 2.5: blends 6.21 (6.205 rounded to 2 places), 6.125 and
    # 3.75; 0.35 x 6.21 + 0.25 x 6.125 + 0.4 x 3.75 = 2.1735 + 1.53125 + 1.5 = 5.20475.
    assert outcome.final.overall == 5.2
    assert (outcome.verdict, outcome.policy) == ("REVISE", "ESCALATE_TO_OWNER")
    # The revision is the rules' (LLM findings are info): same claims kept as without the LLM.
    plain = run_tribunal(ev, s)
    assert outcome.revision == plain.revision
    assert outcome.final.synthesis == plain.final.synthesis


def test_requests_are_greedy_keyless_and_one_per_role_and_round(fake, tmp_path):
    tribunal_with_llm(section(fake.url), tmp_path / "ledger")
    assert [path for path, _h, _b in fake.requests] == ["/v1/chat/completions"] * 6
    assert [role_of(b) for b in fake.bodies] == ["SKEPTIC", "VALIDATOR", "SYNTHESIZER"] * 2
    for _path, headers, body in fake.requests:
        assert (body["model"], body["temperature"], body["max_tokens"]) == ("m", 0, 256)
        assert "Authorization" not in headers  # X_KEY unset: a local server needs no key


def test_rows_carry_reviewer_prompt_hash_and_ledger_key(fake, tmp_path):
    ev, s = evidence(), review_settings()
    ledger = tmp_path / "ledger"
    outcome, _ = tribunal_with_llm(section(fake.url), ledger, ev, s)
    rows = outcome_rows("q1", outcome)
    write_table(rows, schemas.REVIEWS, tmp_path / "reviews.parquet", schemas.REVIEWS_SORT)

    terms = question_terms(ev.question)
    for rnd in outcome.rounds:
        rules = review_round(rnd.number, ev, terms, rnd.synthesis, s)
        for plain in rules.reviews:
            messages = messages_for(plain.role, brief(ev, rnd.synthesis, plain))
            key = request_key(
                LLM_SERVICE,
                {"model": "m", "messages": messages, "temperature": 0, "max_tokens": 256},
            )
            mine = [r for r in rows if r["round"] == rnd.number and r["role"] == plain.role]
            assert mine  # the score row and every finding
            for row in mine:
                assert row["reviewer"] == "rules+llm:m"
                assert row["prompt_sha256"] == prompt_sha256(messages)
                assert row["ledger_key"] == key
            assert Ledger(ledger).path(LLM_SERVICE, key).is_file()
            assert mine[0]["points"] == next(r for r in rnd.reviews if r.role == plain.role).score
    for row in (r for r in rows if r["role"] == TRIBUNAL):
        assert (row["reviewer"], row["prompt_sha256"], row["ledger_key"]) == ("rules", None, None)
    hashes = {r["prompt_sha256"] for r in rows if r["role"] != TRIBUNAL}
    assert len(hashes) == 6  # three roles, two rounds: six distinct prompts


def test_offline_replay_against_a_dead_url_gives_identical_rows(fake, tmp_path):
    ledger = tmp_path / "ledger"
    live, _ = tribunal_with_llm(section(fake.url), ledger)
    asked = len(fake.requests)
    assert asked == 6

    logs: list[str] = []
    replay, client = tribunal_with_llm(section(DEAD_URL, offline=True), ledger, log=logs.append)
    assert client.requests_sent == 0
    assert len(fake.requests) == asked
    assert outcome_rows("q1", replay) == outcome_rows("q1", live)
    assert len(logs) == 6 and all("replayed" in line for line in logs)

    # Claims in another order give the same briefs, so the same prompts: still all replayed.
    shuffled = claims()
    random.Random(3).shuffle(shuffled)
    again, _ = tribunal_with_llm(section(DEAD_URL, offline=True), ledger, evidence(shuffled))
    assert outcome_rows("q1", again) == outcome_rows("q1", live)


def test_a_rerun_online_asks_nothing_again(fake, tmp_path):
    ledger = tmp_path / "ledger"
    first, _ = tribunal_with_llm(section(fake.url), ledger)
    second, client = tribunal_with_llm(section(fake.url), ledger)
    assert client.requests_sent == 0
    assert len(fake.requests) == 6
    assert outcome_rows("q", second) == outcome_rows("q", first)


def test_offline_without_a_recorded_answer_is_a_ledger_miss(tmp_path):
    with pytest.raises(LedgerMiss) as caught:
        tribunal_with_llm(section(DEAD_URL, offline=True), tmp_path / "empty")
    assert "offline" in caught.value.problem
    assert not (tmp_path / "empty" / LLM_SERVICE).exists()


def test_an_answer_that_is_no_review_fails_naming_the_role(tmp_path):
    with (
        FakeLlm(content=lambda body: "I think it is fine.") as server,
        pytest.raises(NetworkError) as caught,
    ):
        tribunal_with_llm(section(server.url), tmp_path / "ledger")
    assert "SKEPTIC" in caught.value.where
    assert "no JSON object with a score" in caught.value.problem


# The rules' SKEPTIC 4.6 and the LLM's 5.4: 0.75 x 4.6 + 0.25 x 5.4 = 4.8.
@pytest.mark.parametrize("weight, skeptic", [(0.0, 4.6), (1.0, 5.4), (0.25, 4.8)])
def test_the_weight_sets_the_blend(fake, tmp_path, weight, skeptic):
    outcome, _ = tribunal_with_llm(section(fake.url, weight=weight), tmp_path / "ledger")
    first = outcome.rounds[0]
    assert first.reviews[0].role == "SKEPTIC"
    assert first.reviews[0].score == pytest.approx(skeptic, abs=0.0051)


def test_the_key_is_sent_but_never_recorded(fake, tmp_path, monkeypatch):
    secret = "sk-TEST-5d1c0e"
    monkeypatch.setenv("X_KEY", secret)
    ledger = tmp_path / "ledger"
    tribunal_with_llm(section(fake.url), ledger)
    assert {h.get("Authorization") for _p, h, _b in fake.requests} == {f"Bearer {secret}"}
    for path in ledger.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8")


# --- the brief ----------------------------------------------------------------------------------


def test_brief_is_deterministic_text():
    ev = evidence()
    syn = Synthesis(tuple(sorted(ev.claims, key=lambda c: c["claim_id"]))[:2])
    rules = review_round(0, ev, question_terms(QUESTION), syn, review_settings()).reviews[1]
    text = brief(ev, syn, rules)
    assert text == brief(ev, syn, rules)
    assert text == (
        f"Research question: {QUESTION}\n"
        "\n"
        "Kept sources:\n"
        f"- {A}: Sparse attention for long documents\n"
        f"- {B}: Efficient summarization with block attention\n"
        "\n"
        "Claims presented (id | verified | confidence | text):\n"
        f"- {A}#1 | yes | 0.720 | Sparse attention reduces memory by 60% on BookSum.\n"
        f"- {A}#2 | no | 0.720 | Summary quality measured by ROUGE stays within 0.2 points of "
        "dense attention.\n"
        "\n"
        "Rule-based VALIDATOR findings (score 8.50/10):\n"
        f"- [major] unverified_presented: 1 of 2 claims presented are not verified. "
        f"evidence: {A}#2\n"
    )


def test_brief_marks_empty_sections():
    ev = Evidence(QUESTION, [], [dict(PA, kept=False)], [])
    rules = RoleReview("SYNTHESIZER", 0, 0.0, ())
    text = brief(ev, Synthesis(()), rules)
    assert "Kept sources:\n- (none)\n" in text
    assert "(id | verified | confidence | text):\n- (none)\n" in text
    assert text.endswith("Rule-based SYNTHESIZER findings (score 0.00/10):\n- (none)\n")


def test_brief_shows_the_answer_the_reader_gets():
    from sovereign.answer.evidence import Quote
    from sovereign.answer.model import Answer, ShownTheme

    text = "Sparse attention reduces memory by 60% on BookSum."
    quoted = Quote(f"{A}#1", A, 1, 45, 45 + len(text), text, 0.8, True, "SUPPORT", "measurement")
    cited = Quote(f"{B}#0", B, 0, 0, 10, "Block sparse", 0.7, False, "CONTRADICT", shown=False)
    answer = Answer((ShownTheme(0, "memory · booksum", (quoted, cited)),), ())
    ev = evidence()
    syn = Synthesis(tuple(ev.claims), answer=answer)
    rules = RoleReview("SYNTHESIZER", 0, 9.0, ())
    assert (
        "Answer (themes; quoted sentences, then papers cited only):\n"
        "- theme 1: memory · booksum\n"
        f"  - {A}#1 | quoted | verified | SUPPORT | {text}\n"
        f"  - {B}#0 | cited | unverified | CONTRADICT | Block sparse\n"
    ) in brief(ev, syn, rules)
    empty = brief(ev, Synthesis(tuple(ev.claims), answer=Answer((), ())), rules)
    assert "- (no relevant sentence: the sources do not answer the question)" in empty


# --- config to Settings -------------------------------------------------------------------------


def test_settings_from_the_review_params():
    config = {
        "filter": {"threshold": 0.2, "semantic_threshold": 0.3},
        "review": {
            "revise_below": 6,
            "publish_at": 7,
            "reject_below": 4,
            "fatal_cap": 0.5,
            "disclosed_factor": 0.25,
            "answer_coverage": 0.6,
            "entity_fatal_share": 0.75,
            "term_fatal_share": 0.7,
            "answered_share": 0.2,
            "breadth_papers": 4,
            "breadth_weight": 0.25,
            "single_source_cap": 5.5,
            "weights": {"VALIDATOR": 1, "SYNTHESIZER": 2, "SKEPTIC": 1},
            "policy": {
                "REVISE": "HOLD",
                "PUBLISH": "PUBLISH",
                "fatal": "DISCARD",
                "REJECT": "ESCALATE_TO_OWNER",
            },
            "llm": {"url": None},
        },
    }
    s = Settings.from_params(config)
    assert s == Settings(
        revise_below=6.0,
        publish_at=7.0,
        reject_below=4.0,
        fatal_cap=0.5,
        disclosed_factor=0.25,
        answer_coverage=0.6,
        entity_fatal_share=0.75,
        term_fatal_share=0.7,
        answered_share=0.2,
        breadth_papers=4,
        breadth_weight=0.25,
        single_source_cap=5.5,
        filter_threshold=0.2,
        semantic_threshold=0.3,
        relevance_threshold=load_relevance_model().threshold,
        weights={"SKEPTIC": 1.0, "SYNTHESIZER": 2.0, "VALIDATOR": 1.0},
        policy={
            "PUBLISH": "PUBLISH",
            "REJECT": "ESCALATE_TO_OWNER",
            "REVISE": "HOLD",
            "fatal": "DISCARD",
        },
    )
    assert all(isinstance(v, float) for v in s.weights.values())
    assert list(s.weights) == sorted(s.weights)  # sorted: the same on every run
    assert isinstance(s.revise_below, float)
    assert isinstance(s.entity_fatal_share, float)


def _params(**review):
    """The review rule's params for a config with these review settings."""
    return rerun_params(default_config(review=review))


@pytest.mark.parametrize("share", [0.3, 1])
def test_entity_fatal_share_is_read_from_the_config(share):
    s = Settings.from_params(_params(entity_fatal_share=share))
    assert s.entity_fatal_share == float(share)
    assert isinstance(s.entity_fatal_share, float)


def test_relevance_threshold_is_the_shipped_relevance_models(monkeypatch):
    """The claims stage decided `relevant` at the model's threshold, so the tribunal must check
    against that one, not a default of its own (here the model says 0.37)."""

    class Model:
        threshold = 0.37

    monkeypatch.setattr(relevance_module, "load_relevance_model", lambda: Model())
    assert Settings.from_params(_params()).relevance_threshold == 0.37
    monkeypatch.undo()
    shipped = load_relevance_model().threshold
    assert Settings.from_params(_params()).relevance_threshold == float(shipped)


def test_a_fatal_rule_review_is_not_lifted_by_the_llm(fake, tmp_path):
    """With half of the question's entities in no source (BookSum and PubMed, PubMed missing)
    SKEPTIC is fatal: the LLM's 5.4 is not blended in, and the overall stays capped."""
    half = (
        "Does sparse attention reduce memory use on BookSum and PubMed, and how does it affect "
        "summary quality and energy cost?"
    )
    ev = Evidence(half, [{"arxiv_id": A}, {"arxiv_id": B}], [PA, PB], claims())
    outcome, _ = tribunal_with_llm(section(fake.url), tmp_path / "ledger", ev)
    (only,) = outcome.rounds  # fatal: no revision round
    skeptic = only.reviews[0]
    assert skeptic.role == "SKEPTIC" and skeptic.fatal and skeptic.score == 0.0
    assert skeptic.reviewer == "rules+llm:m"  # the LLM was asked, its score not used
    assert only.overall == review_settings().fatal_cap
    assert (outcome.verdict, outcome.policy) == ("REJECT", "ESCALATE_TO_OWNER")
