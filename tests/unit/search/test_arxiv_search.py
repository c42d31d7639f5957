"""The real `arxiv` client, through the ledger, against a loopback server on 127.0.0.1."""

import pytest

from sovereign.contracts import Question
from sovereign.errors import LedgerMiss, NetworkError
from sovereign.net.http import RetryPolicy
from sovereign.net.ledger import Ledger
from sovereign.search.arxiv_api import SERVICE
from sovereign.search.settings import Settings
from sovereign.search.stage import search
from support.fake_arxiv import FakeArxiv
from support.fixture_papers import PAPERS
from support.paths import ATOM, recorded_pages, requires_shared

QUESTION = Question(
    "q1",
    "How does expert routing in mixture-of-experts models affect VQA accuracy and expert "
    "utilization compared to fixed routing?",
    "2026-05-28",
)


def settings(tmp_path, url, backend="arxiv", **kw):
    return Settings(
        backend=backend,
        max_results=kw.pop("max_results", 5),
        snapshot=None,
        index_root=str(tmp_path / "indexes"),
        ledger=str(tmp_path / "ledger"),
        contact="mailto:test@example.org",
        arxiv_url=url,
        min_interval=kw.pop("min_interval", 0.0),
        policy=RetryPolicy(retries=2, backoff=0.01, max_wait=5, timeout=5, section="search"),
        **kw,
    )


def test_live_search_records_every_page_and_a_rerun_sends_nothing(tmp_path):
    with FakeArxiv(PAPERS) as fake:
        rows = search(QUESTION, settings(tmp_path, fake.url))
        first = len(fake.requests)
        again = search(QUESTION, settings(tmp_path, fake.url))
        assert len(fake.requests) == first == 4  # one page per query; the rerun asks nothing
    assert rows == again
    assert {r["query_index"] for r in rows} == {0, 1, 2, 3}
    assert all(r["ledger_key"] and r["retrieved_at"] for r in rows)
    assert "2612.00007" not in {r["arxiv_id"] for r in rows}  # after the as-of date
    assert all("submittedDate:[190001010000 TO 202605282359]" in r["query"] for r in rows)
    assert fake.requests[0]["params"]["sortBy"] == "relevance"
    assert "mailto:test@example.org" in fake.requests[0]["user_agent"]
    top = [r for r in rows if r["query_index"] == 0][0]
    assert top["rank"] == 1 and top["arxiv_id_versioned"].endswith("v1")
    assert top["authors"] and top["categories"] and top["published"]


def test_paging_follows_max_results(tmp_path):
    with FakeArxiv(PAPERS) as fake:
        rows = search(QUESTION, settings(tmp_path, fake.url, max_results=2))
        sizes = [r["params"]["max_results"] for r in fake.requests]
    keyword_hits = [r for r in rows if r["query_index"] == 0]
    assert [r["rank"] for r in keyword_hits] == [1, 2]
    assert set(sizes) == {"2"}


def test_replay_answers_from_the_ledger_only(tmp_path):
    with FakeArxiv(PAPERS) as fake:
        live = search(QUESTION, settings(tmp_path, fake.url))
    # The server is gone: replay must not need it, and gives the same rows.
    replayed = search(QUESTION, settings(tmp_path, "http://127.0.0.1:9/api/query", "replay"))
    assert replayed == live
    other = Question("q2", "Gaussian splatting for driving scenes", "2026-05-28")
    with pytest.raises(LedgerMiss, match="splatting") as err:
        search(other, settings(tmp_path, "http://127.0.0.1:9/api/query", "replay"))
    assert "search.backend: arxiv" in err.value.message


def test_rate_limit_429_and_empty_first_page(tmp_path):
    with FakeArxiv(PAPERS) as fake:
        fake.faults = [("status", 429, {"Retry-After": "1"}), ("empty",)]
        rows = search(QUESTION, settings(tmp_path, fake.url, min_interval=0.2))
        times = [r["time"] for r in fake.requests]
    # 429 -> retried after >= 1 s; the empty first page -> asked again once; then 3 more queries.
    assert len(times) == 6
    assert times[1] - times[0] >= 1.0
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.2
    assert {r["query_index"] for r in rows} == {0, 1, 2, 3}


def test_html_instead_of_atom_is_a_clear_error(tmp_path):
    with FakeArxiv(PAPERS) as fake:
        fake.faults = [("html",)]
        with pytest.raises(NetworkError, match="not an Atom feed") as err:
            search(QUESTION, settings(tmp_path, fake.url))
    assert "search.arxiv_url" in err.value.message
    assert not list((tmp_path / "ledger").rglob("*.json"))  # nothing bad recorded


@requires_shared
def test_real_recorded_arxiv_pages_through_the_client(tmp_path):
    """The 2025-12 cs listing (5 real pages of 100) served back: paging and parsing of real Atom."""
    with FakeArxiv() as fake:
        fake.pages = recorded_pages()
        rows = search(QUESTION, settings(tmp_path, fake.url, max_results=250))
        starts = sorted({int(r["params"]["start"]) for r in fake.requests})
    assert starts == [0, 100, 200]
    per_query = [r for r in rows if r["query_index"] == 0]
    assert len(per_query) == 250 and len({r["arxiv_id"] for r in per_query}) == 250
    assert all(r["title"] and r["abstract"] and r["published"] for r in per_query)
    assert (
        len(list(Ledger(tmp_path / "ledger").root.joinpath(SERVICE).rglob("*.json"))) == 12
    )  # 4 queries x 3 pages


@requires_shared
@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("xml/id_1605.08386_s0_m100_199195aa31ad.xml", 1),
        ("xml/id_2104.12255v1_s0_m100_6ae69987ffe1.xml", 1),  # the paper titled "0"
        ("xml/id_quant-ph_0201082v1_s0_m100_86989fe779ef.xml", 1),  # old-style id
        ("legacy_2016/search_query_au_del_maestro_AND_ti_checkerboard.xml", None),  # 2016 format
    ],
)
def test_real_edge_case_feeds(tmp_path, name, count):
    path = ATOM / name
    if count is None:
        count = path.read_text(encoding="utf-8").count("<entry>")
    with FakeArxiv() as fake:
        fake.pages = {0: path.read_bytes()}
        rows = search(QUESTION, settings(tmp_path, fake.url, max_results=100))
    hits = [r for r in rows if r["query_index"] == 0]
    assert len(hits) == count
    assert all(r["arxiv_id"] and r["title"] for r in hits)


@requires_shared
def test_arxivs_error_entry_is_a_clear_error_and_never_recorded(tmp_path):
    # arXiv answers a query it cannot run with HTTP 200 and one "Error" entry: not zero hits
    with FakeArxiv() as fake, pytest.raises(NetworkError) as err:
        fake.pages = {0: (ATOM / "xml/id_abc_s0_m100_b79c8dcf6bc3.xml").read_bytes()}
        search(QUESTION, settings(tmp_path, fake.url, max_results=100))
    assert "arXiv refused the query: incorrect id format for abc" in err.value.message
    assert "question q1: arXiv query '(all:expert" in err.value.message
    assert len(fake.requests) == 1  # asking again would not help
    assert not list((tmp_path / "ledger").rglob("*.json"))


def test_a_later_page_that_stays_empty_is_an_error_not_a_short_answer(tmp_path):
    from support.atom import feed_xml

    class Truncating(FakeArxiv):
        def answer(self, params):
            if int(params.get("start", "0")) > 0:
                return 200, {}, feed_xml([], 300, int(params["start"]), 0)
            return 200, {}, feed_xml([dict(PAPERS[0], id=f"2501.1{i:04d}") for i in range(2)],
                                     300, 0, 2)  # fmt: skip

    with Truncating() as fake, pytest.raises(NetworkError, match="empty twice"):
        search(QUESTION, settings(tmp_path, fake.url, max_results=4))
    entries = list((tmp_path / "ledger").rglob("*.json"))
    assert len(entries) == 1  # the good first page is kept, the empty one never recorded
