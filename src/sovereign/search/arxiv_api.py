"""The `arxiv` and `replay` backends: the real `arxiv` client, answered through the ledger.

`LedgerClient` keeps the client's own URL building, paging and Atom parsing, and replaces only the
transport: each page is looked up in the ledger first; on a miss it is fetched (rate-limited,
retried), checked to be a whole, well-formed feed, and stored before use. In replay mode a miss is
an error naming the query, so a replay never touches the network.

Only a complete page is ever recorded: a cut-off or garbled feed is asked again and, if it stays
broken, ends the search with an error (the `arxiv` client itself would quietly recover what it
could parse, and a short answer would then be replayed forever as if it were the whole one).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import arxiv
import requests
from arxiv import _feed
from lxml import etree

from ..errors import InputFileError, LedgerMiss, NetworkError
from ..net.http import RetryPolicy, request_with_retries
from ..net.ledger import Entry, Ledger
from ..net.ratelimit import IntervalLock
from .records import from_result

SERVICE = "arxiv-api"
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ATOM_FEED = f"{ATOM}feed"
# arXiv answers a query it cannot run with HTTP 200 and one entry whose id is under this path.
API_ERROR_ID = "arxiv.org/api/errors"


def feed_request(url: str) -> dict[str, str]:
    """The ledger's view of a page request: its query parameters, not the host that served it."""
    return dict(sorted(parse_qsl(urlsplit(url).query, keep_blank_values=True)))


@dataclass(frozen=True)
class Feed:
    """What the checks learnt about a whole page."""

    total: int
    entries: int


@dataclass(frozen=True)
class FeedProblem:
    """Why a page cannot be used; `fix` is set when asking again would not help."""

    problem: str
    fix: str | None = None


def check_feed(body: bytes, start: int) -> Feed | FeedProblem:
    """A page's totals if it is a whole arXiv Atom feed, else what is wrong with it."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as err:
        head = body[:4096].lstrip()
        # nothing, or XML cut off before or inside the feed: a transfer problem, worth asking again
        if not head or head.startswith(b"<?xml") or b"<feed" in head:
            return FeedProblem(f"the Atom feed is cut off or garbled ({err})")
        return FeedProblem(
            f"the answer is not an Atom feed: {body[:80]!r}",
            "check search.arxiv_url; it must point at an arXiv API query endpoint",
        )
    if root is None or root.tag != ATOM_FEED:
        return FeedProblem(
            f"the answer is not an Atom feed: {body[:80]!r}",
            "check search.arxiv_url; it must point at an arXiv API query endpoint",
        )
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        entry_id = (entry.findtext(f"{ATOM}id") or "").strip()
        if API_ERROR_ID in entry_id:
            summary = " ".join((entry.findtext(f"{ATOM}summary") or "").split())
            return FeedProblem(
                f"arXiv refused the query: {summary or entry_id}",
                "the query was built from the question text; rephrase the question",
            )
    total = (root.findtext(f"{OPENSEARCH}totalResults") or "").strip()
    if not total.isdigit():
        return FeedProblem("the feed has no valid opensearch:totalResults (cut off or garbled)")
    given_start = (root.findtext(f"{OPENSEARCH}startIndex") or "").strip()
    if given_start and given_start != str(start):
        return FeedProblem(f"the feed starts at {given_start}, not at the start={start} asked")
    for number, entry in enumerate(entries, start=1):
        missing = [f for f in ("id", "published", "updated") if not entry.findtext(f"{ATOM}{f}")]
        if missing:
            return FeedProblem(f"entry {number} of the feed has no <{missing[0]}> (garbled)")
    return Feed(total=int(total), entries=len(entries))


@dataclass
class Transport:
    """How pages are obtained: the ledger, and (unless replaying) the network."""

    ledger: Ledger
    replay: bool
    policy: RetryPolicy
    session: requests.Session | None = None
    lock: IntervalLock | None = None
    log: Callable[[str], None] = lambda _msg: None
    sleep: Callable[[float], None] = time.sleep
    requests_made: int = 0

    def page(self, url: str, what: str) -> Entry:
        """The page at `url`; `what` names the question and query in every message."""
        request = feed_request(url)
        start = int(request.get("start") or 0)
        entry = self.ledger.get(SERVICE, request)
        if entry is not None:
            found = check_feed(entry.body, start)
            if isinstance(found, Feed) and not found.entries and found.total > start:
                # older versions recorded such a page as "no hits"
                found = FeedProblem(f"it is empty although arXiv reported {found.total} results")
            if isinstance(found, FeedProblem):
                # Recorded by an older version, or edited: never replay a broken page as good.
                path = self.ledger.path(SERVICE, entry.key)
                raise InputFileError(
                    str(path),
                    f"ledger entry for {what} (start={start}) is not usable: {found.problem}",
                    f"delete {path} so the page is fetched again (needs the network)",
                )
            return entry
        if self.replay:
            raise LedgerMiss(
                f"{what} (start={start})",
                "replay backend: the ledger holds no response for this page",
                "run once with search.backend: arxiv to record it, or point `ledger` at the "
                "ledger that recorded it",
            )
        body, feed = self._fetch(url, what, start)
        if not feed.entries:
            # arXiv sometimes answers a valid query with an empty page; ask once more.
            self.log(f"{what}: empty page at start={start}; asking again once")
            body, feed = self._fetch(url, what, start)
            if not feed.entries and feed.total > start:
                # An empty page where results were promised would silently cut the hits short:
                # never record it.
                raise NetworkError(
                    what,
                    f"page at start={start} came back empty twice although arXiv reports "
                    f"{feed.total} results",
                    "run again later (pages already fetched are kept in the ledger)",
                )
        return self.ledger.put(
            SERVICE,
            request,
            status=200,
            retrieved_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            body=body,
            url=url,
        )

    def _fetch(self, url: str, what: str, start: int) -> tuple[bytes, Feed]:
        """A whole page: a cut-off or garbled feed is asked again like any transient fault, an
        answer that is no feed at all (a wrong URL, arXiv refusing the query) fails at once."""
        assert self.session is not None
        whole: list[Feed] = []  # the checked totals of the answer let through

        def incomplete(body: bytes) -> str | None:
            found = check_feed(body, start)
            if isinstance(found, Feed):
                whole.append(found)
                return None
            if found.fix is not None:
                raise NetworkError(what, f"{found.problem} (from {url})", found.fix)
            return f"{found.problem} (start={start})"

        self.requests_made += 1
        response = request_with_retries(
            self.session,
            "GET",
            url,
            what=what,
            policy=self.policy,
            slot=self.lock.slot if self.lock else nullcontext,
            sleep=self.sleep,
            log=self.log,
            incomplete=incomplete,
        )
        return response.body, whole[-1]


class LedgerClient(arxiv.Client):
    """`arxiv.Client` whose pages come from a `Transport`; remembers the page each result is on."""

    def __init__(self, transport: Transport, base_url: str, page_size: int):
        super().__init__(page_size=page_size, delay_seconds=0.0, num_retries=0)
        self.query_url_format = base_url.rstrip("?") + "?{}"
        self.transport = transport
        self.current: Entry | None = None
        self.what = ""

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> Any:
        self.current = self.transport.page(url, self.what)
        return _feed.parse(self.current.body)

    def search(
        self, query: str, max_results: int, what: str = ""
    ) -> Iterator[tuple[dict[str, Any], Entry]]:
        """(paper, ledger entry of its page) for the first `max_results` distinct papers, in
        arXiv's relevance order. arXiv's paging can repeat a paper on the next page: a repeat
        is skipped and the next hit takes its place. `what` names the search in messages."""
        self.what = what or f"arXiv query {query!r}"
        search = arxiv.Search(
            query=query,
            max_results=None,  # counted here, in distinct papers; pages are asked the same way
            sort_by=arxiv.SortCriterion.Relevance,
            sort_order=arxiv.SortOrder.Descending,
        )
        seen: set[str] = set()
        if max_results <= 0:
            return
        for result in self.results(search):
            paper = from_result(result)
            if paper is None or self.current is None:
                continue
            if paper["arxiv_id"] in seen:
                self.transport.log(f"{self.what}: {paper['arxiv_id']} repeated; skipped")
                continue
            seen.add(paper["arxiv_id"])
            yield paper, self.current
            if len(seen) == max_results:
                return
