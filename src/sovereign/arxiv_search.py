"""The `arxiv` and `replay` backends: the real `arxiv` client, answered through the ledger.

`LedgerClient` keeps the client's own URL building, paging and Atom parsing, and replaces only the
transport: each page is looked up in the ledger first; on a miss it is fetched (rate-limited,
retried), an empty page is asked again once, and the response is stored before use. In replay
mode a miss is an error naming the query, so a replay never touches the network.
"""

from __future__ import annotations

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

from . import __version__
from .errors import LedgerMiss, NetworkError
from .fetch import RetryPolicy, request_with_retries
from .ledger import Entry, Ledger
from .ratelimit import IntervalLock
from .records import from_result

SERVICE = "arxiv-api"
ATOM_FEED = "{http://www.w3.org/2005/Atom}feed"


def user_agent(contact: str) -> str:
    return f"sovereign/{__version__} (literature synthesis; {contact})"


def feed_request(url: str) -> dict[str, str]:
    """The ledger's view of a page request: its query parameters, not the host that served it."""
    return dict(sorted(parse_qsl(urlsplit(url).query, keep_blank_values=True)))


@dataclass
class Transport:
    """How pages are obtained: the ledger, and (unless replaying) the network."""

    ledger: Ledger
    replay: bool
    session: requests.Session | None = None
    policy: RetryPolicy = RetryPolicy()
    lock: IntervalLock | None = None
    log: Callable[[str], None] = lambda _msg: None
    requests_made: int = 0

    def page(self, url: str, query: str) -> Entry:
        request = feed_request(url)
        entry = self.ledger.get(SERVICE, request)
        if entry is not None:
            return entry
        if self.replay:
            raise LedgerMiss(
                f"query {query!r} (start={request.get('start')})",
                "replay backend: the ledger holds no response for this page",
                "run once with search.backend: arxiv to record it, or point `ledger` at the "
                "ledger that recorded it",
            )
        body = self._fetch(url, query)
        if not _feed.parse(body).results:
            # arXiv sometimes answers a valid query with an empty page; ask once more.
            self.log(f"empty page for {query!r}; asking again once")
            body = self._fetch(url, query)
            start = int(request.get("start") or 0)
            if start > 0 and not _feed.parse(body).results:
                # A later page that stays empty would silently truncate the hits: never record it.
                raise NetworkError(
                    f"arXiv query {query!r}",
                    f"page at start={start} came back empty twice although more results exist",
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

    def _fetch(self, url: str, query: str) -> bytes:
        assert self.session is not None
        self.requests_made += 1
        response = request_with_retries(
            self.session,
            "GET",
            url,
            what=f"arXiv query {query!r}",
            policy=self.policy,
            slot=self.lock.slot if self.lock else nullcontext,
            log=self.log,
        )
        if not is_atom_feed(response.body):
            raise NetworkError(
                f"arXiv query {query!r}",
                f"the answer from {url} is not an Atom feed: {response.body[:80]!r}",
                "check search.arxiv_url; it must point at an arXiv API query endpoint",
            )
        return response.body


def is_atom_feed(body: bytes) -> bool:
    """True for a well-formed Atom <feed> (an HTML error page or a proxy's notice is not)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return False
    return root is not None and root.tag == ATOM_FEED


class LedgerClient(arxiv.Client):
    """`arxiv.Client` whose pages come from a `Transport`; remembers the page each result is on."""

    def __init__(self, transport: Transport, base_url: str, page_size: int):
        super().__init__(page_size=page_size, delay_seconds=0.0, num_retries=0)
        self.query_url_format = base_url.rstrip("?") + "?{}"
        self.transport = transport
        self.current: Entry | None = None
        self.current_query = ""

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> Any:
        self.current = self.transport.page(url, self.current_query)
        return _feed.parse(self.current.body)

    def search(self, query: str, max_results: int) -> Iterator[tuple[dict[str, Any], Entry]]:
        """(paper, ledger entry of its page) for each hit, in arXiv's relevance order."""
        self.current_query = query
        search = arxiv.Search(
            query=query,
            max_results=max_results,
            sort_by=arxiv.SortCriterion.Relevance,
            sort_order=arxiv.SortOrder.Descending,
        )
        for result in self.results(search):
            paper = from_result(result)
            if paper is not None and self.current is not None:
                yield paper, self.current
