"""The arXiv fault matrix: every way a page can go wrong, through the real `arxiv` client against a
loopback server. A fault that passes ends in the same hits as a clean run, with no request sooner
than the politeness interval allows; a fault that persists ends in one error naming the question
and the query. Either way the ledger holds only whole pages, byte-identical to clean answers."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from sovereign.contracts import Question
from sovereign.errors import InputFileError, NetworkError
from sovereign.net.http import RetryPolicy
from sovereign.net.ledger import Ledger
from sovereign.search.arxiv_api import SERVICE, Feed, check_feed
from sovereign.search.settings import Settings
from sovereign.search.stage import search
from support.atom import feed_xml
from support.fake_arxiv import FakeArxiv
from support.fixture_papers import PAPERS
from support.workflow import make_workdir, snakemake

QUESTION = Question(
    "q1",
    "How does expert routing in mixture-of-experts models affect VQA accuracy and expert "
    "utilization compared to fixed routing?",
    "2026-05-28",
)
INTERVAL = 0.2  # the politeness interval for these runs (arXiv's own is 3 s)
# 26 papers that all match the keyword query, so results span pages of 5
MANY = [
    dict(PAPERS[0], id=f"2501.{10000 + i}", title=f"Expert routing study {i}") for i in range(26)
]


def settings(tmp_path, url, *, timeout=5.0, max_results=5):
    return Settings(
        backend="arxiv",
        max_results=max_results,
        snapshot=None,
        index_root=str(tmp_path / "indexes"),
        ledger=str(tmp_path / "ledger"),
        contact="mailto:test@example.org",
        arxiv_url=url,
        min_interval=INTERVAL,
        policy=RetryPolicy(retries=2, backoff=0.01, max_wait=5, timeout=timeout, section="search"),
    )


def cut(body: bytes) -> bytes:
    """A whole answer truncated at 60 %: well framed over HTTP, but not a whole feed."""
    return body[: len(body) * 6 // 10]


def without(tag: str):
    """Drop the first element `tag` (e.g. an entry's <published>) from a feed."""
    pattern = re.compile(rb"\s*<" + tag.encode() + rb"[ >].*?</" + tag.encode() + rb">", re.S)
    return lambda body: pattern.sub(b"", body, count=1)


def ledger_bodies(tmp_path) -> dict[str, bytes]:
    """Every recorded page, by its request, each checked to be a whole feed."""
    ledger = Ledger(tmp_path / "ledger")
    out = {}
    for path in (tmp_path / "ledger" / SERVICE).rglob("*.json"):
        request = json.loads(path.read_text())["request"]
        entry = ledger.get(SERVICE, request)
        assert isinstance(check_feed(entry.body, int(request["start"])), Feed), path
        out[json.dumps(request, sort_keys=True)] = entry.body
    return out


def gaps(fake) -> list[float]:
    times = [r["time"] for r in fake.requests]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def stable(rows):
    """Rows without the wall-clock retrieval time."""
    return [{k: v for k, v in r.items() if k != "retrieved_at"} for r in rows]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A clean run: its rows and its ledger are what every faulty run must end with."""
    tmp = tmp_path_factory.mktemp("clean")
    with FakeArxiv(PAPERS + MANY) as fake:
        rows = search(QUESTION, settings(tmp, fake.url, max_results=12))
        return stable(rows), ledger_bodies(tmp), len(fake.requests)


# (name, faults for the first requests, settings changes, least gap before the second request)
PASSING = [
    ("429 with Retry-After", [("status", 429, {"Retry-After": "1"})], {}, 1.0),
    ("429 without Retry-After", [("status", 429, {})], {}, INTERVAL),
    ("503", [("status", 503, {})], {}, INTERVAL),
    ("500", [("status", 500, {})], {}, INTERVAL),
    ("502 then 504", [("status", 502, {}), ("status", 504, {})], {}, INTERVAL),
    ("stalled response", [("stall", 1.5)], {"timeout": 0.5}, 0.5),
    ("connection reset", [("reset",)], {}, INTERVAL),
    ("answer cut off mid-transfer", [("cutoff",)], {}, INTERVAL),
    ("truncated Atom", [("mangle", cut)], {}, INTERVAL),
    ("entry without <published>", [("mangle", without("published"))], {}, INTERVAL),
    ("feed without totalResults", [("mangle", without("opensearch:totalResults"))], {}, INTERVAL),
    (
        "mismatched tag",
        [("mangle", lambda b: b.replace(b"</title>", b"</titel>", 1))],
        {},
        INTERVAL,
    ),
    ("empty first page", [("empty",)], {}, INTERVAL),
    ("empty body", [("mangle", lambda b: b"")], {}, INTERVAL),
    ("only the XML declaration", [("mangle", lambda b: b[: b.index(b"\n")])], {}, INTERVAL),
]


@pytest.mark.parametrize(("faults", "change", "least_gap"), [p[1:] for p in PASSING],
                         ids=[p[0] for p in PASSING])  # fmt: skip
def test_a_passing_fault_is_retried_politely_and_changes_nothing(
    tmp_path, clean, faults, change, least_gap
):
    rows, bodies, requests = clean
    with FakeArxiv(PAPERS + MANY) as fake:
        fake.faults = list(faults)
        got = search(QUESTION, settings(tmp_path, fake.url, max_results=12, **change))
    assert stable(got) == rows
    assert ledger_bodies(tmp_path) == bodies  # only whole pages, byte-identical to clean ones
    assert len(fake.requests) == requests + len(faults)
    assert min(gaps(fake)) >= INTERVAL - 0.02  # every retry waited for its slot
    assert gaps(fake)[0] >= least_gap - 0.02


# (name, the fault on every request, what the message says)
FAILING = [
    ("503 every time", ("status", 503, {}), "the server answered HTTP 503, after 3 attempts"),
    ("429 asking for an hour", ("status", 429, {"Retry-After": "3600"}),
     "asked to wait 3600 s (more than max_wait 5 s)"),
    ("stalled every time", ("stall", 1.0), "(ReadTimeout), after 3 attempts"),
    ("reset every time", ("reset",), "could not connect or the answer was cut off"),
    ("truncated every time", ("mangle", cut), "the Atom feed is cut off or garbled"),
    ("garbled every time", ("mangle", lambda b: re.sub(rb"(<entry>\s*)<id>.*?</id>", rb"\1", b)),
     "entry 1 of the feed has no <id>"),
    ("HTML instead of Atom", ("html",), "the answer is not an Atom feed"),
    ("binary junk", ("mangle", lambda b: b"\x00\xff\xfe junk"), "the answer is not an Atom feed"),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "says"), [f[1:] for f in FAILING], ids=[f[0] for f in FAILING])
def test_a_persisting_fault_is_one_clear_error_and_nothing_is_recorded(tmp_path, fault, says):
    with FakeArxiv(PAPERS + MANY) as fake:
        fake.faults = [fault] * 30
        with pytest.raises(NetworkError) as err:
            search(QUESTION, settings(tmp_path, fake.url, timeout=0.4))
    message = err.value.message
    assert message.startswith("question q1: arXiv query '(all:expert OR all:routing")
    assert says in message
    assert "\n  fix: " in message
    assert ledger_bodies(tmp_path) == {}
    assert min(gaps(fake), default=INTERVAL) >= INTERVAL - 0.02


class Paged(FakeArxiv):
    """Answers every query from MANY, `size` entries a page (arXiv's own paging quirks are played
    by overriding `page`)."""

    size = 5

    def page(self, start: int) -> list[dict]:
        return MANY[start : start + self.size]

    def good_answer(self, params):
        start = int(params.get("start", "0"))
        items = self.page(start)
        return 200, {}, feed_xml(items, len(MANY), start, len(items))


def keyword_ids(rows):
    return [r["arxiv_id"] for r in rows if r["query_index"] == 0]


def test_pages_shorter_than_asked_are_followed_to_the_full_count(tmp_path):
    class Short(Paged):
        size = 3  # arXiv sometimes returns fewer entries than max_results asked

    with Short() as fake:
        rows = search(QUESTION, settings(tmp_path, fake.url, max_results=8))
    assert keyword_ids(rows) == [p["id"] for p in MANY[:8]]
    assert [r["params"]["start"] for r in fake.requests[:3]] == ["0", "3", "6"]


def test_a_paper_repeated_on_the_next_page_is_kept_once_and_the_next_hit_fills_in(tmp_path):
    class Repeating(Paged):
        def page(self, start):
            items = MANY[start : start + self.size]
            # every later page starts with the previous page's last paper
            return [MANY[start - 1], *items[:-1]] if start else items

    with Repeating() as fake:
        rows = search(QUESTION, settings(tmp_path, fake.url, max_results=8))
    ids = keyword_ids(rows)
    assert len(ids) == len(set(ids)) == 8
    assert [r["rank"] for r in rows if r["query_index"] == 0] == list(range(1, 9))


def test_a_later_page_empty_although_more_are_promised_is_an_error(tmp_path):
    class Stopping(Paged):
        def page(self, start):
            return MANY[:5] if start == 0 else []  # totalResults says 26

    with Stopping() as fake, pytest.raises(NetworkError) as err:
        search(QUESTION, settings(tmp_path, fake.url, max_results=8))
    assert "page at start=5 came back empty twice although arXiv reports 26 results" in str(
        err.value
    )
    assert "question q1: arXiv query '(all:expert" in str(err.value)
    assert len(ledger_bodies(tmp_path)) == 1  # the whole first page is kept, the empty one never


def test_a_first_page_empty_although_results_are_promised_is_an_error(tmp_path):
    class Promising(Paged):
        def good_answer(self, params):
            return 200, {}, feed_xml([], 26, 0, 0)

    with Promising() as fake, pytest.raises(NetworkError, match="reports 26 results"):
        search(QUESTION, settings(tmp_path, fake.url))
    assert ledger_bodies(tmp_path) == {}


def test_a_broken_page_recorded_by_an_older_version_is_refused_naming_the_entry(tmp_path, clean):
    with FakeArxiv(PAPERS + MANY) as fake:
        search(QUESTION, settings(tmp_path, fake.url, max_results=12))
    entry = next((tmp_path / "ledger" / SERVICE).rglob("*.json"))
    record = json.loads(entry.read_text())
    body = cut(record["body"].encode())
    record.update(body=body.decode("utf-8", "ignore"))
    record["body_sha256"] = hashlib.sha256(record["body"].encode()).hexdigest()
    entry.write_text(json.dumps(record))
    with pytest.raises(Exception) as err:
        search(QUESTION, settings(tmp_path, "http://127.0.0.1:9/api/query", max_results=12))
    assert str(entry) in str(err.value)
    assert "is not usable: the Atom feed is cut off or garbled" in str(err.value)
    assert f"delete {entry} so the page is fetched again" in str(err.value)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "says"),
    [(("mangle", cut), "the Atom feed is cut off or garbled"),
     (("status", 503, {}), "the server answered HTTP 503, after 3 attempts")],
    ids=["truncated Atom", "503"],
)  # fmt: skip
def test_through_snakemake_a_failed_search_writes_no_raw_file(tmp_path, fault, says):
    rows = [["q1", "How does expert routing work?", "2026-05-28"]]
    with FakeArxiv(PAPERS) as fake:
        fake.faults = [fault] * 30
        search_config = {
            "backend": "arxiv",
            "arxiv_url": fake.url,
            "contact": "x",
            "min_interval": 0,
            "retries": 2,
            "backoff": 0.01,
        }
        workdir = make_workdir(tmp_path / "w", rows, search_config)
        proc = snakemake(workdir, "-c", "1", check=False)
    assert proc.returncode != 0
    assert "sovereign: question q1: arXiv query '" in proc.stderr
    assert says in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (workdir / "results/q1/raw.parquet").exists()
    assert not list(workdir.joinpath("results").rglob("*.parquet"))
    assert not list(workdir.joinpath("ledger").rglob("*.json"))


def test_an_empty_page_recorded_by_an_older_version_is_refused_naming_the_entry(tmp_path):
    # older versions recorded an empty first page as "no hits" even when totalResults said more
    ledger = Ledger(tmp_path / "ledger")
    with FakeArxiv(PAPERS) as fake:
        search(QUESTION, settings(tmp_path, fake.url))
    path = next((tmp_path / "ledger" / SERVICE).rglob("*.json"))
    record = json.loads(path.read_text())
    request = record["request"]
    path.unlink()
    entry = ledger.put(SERVICE, request, status=200, retrieved_at="t", url="u",
                       body=feed_xml([], 26, 0, 0))  # fmt: skip
    with pytest.raises(InputFileError) as err:
        search(QUESTION, settings(tmp_path, "http://127.0.0.1:9/api/query"))
    where = ledger.path(SERVICE, entry.key)
    assert f"{where}: ledger entry for question q1: arXiv query" in err.value.message
    assert "is not usable: it is empty although arXiv reported 26 results" in err.value.message
