"""Where a paper's source comes from: a local directory laid out as arXiv's bulk source files
(`<id>v<N>.tar.gz`, `.gz`, `.tex`, `.pdf`), or arXiv's e-print service through the ledger, so
that a rerun and a Gate 2 replay need no network.

A source is only ever bytes here: nothing is unpacked, run or named on a shell.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..net.http import RetryPolicy, request_with_retries
from ..net.ledger import Ledger

# Ledger services: arXiv's e-print (LaTeX source, or the PDF for PDF-only papers) and its PDF.
EPRINT_SERVICE = "arxiv-eprint"
PDF_SERVICE = "arxiv-pdf"

# Local file names, strongest first: the e-print forms, then a PDF.
SOURCE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".gz", ".tex")
PDF_SUFFIX = ".pdf"
NO_SUCH_FILE = (403, 404, 410)
_VERSIONED = re.compile(r"^(?P<id>.+?)v(?P<version>\d+)$")


@dataclass(frozen=True)
class Fetched:
    """A source's bytes and where they came from (`ref`: a file name or the ledger key)."""

    data: bytes
    ref: str
    version: int | None


@dataclass(frozen=True)
class Missing:
    """No source of this kind: why, for the record."""

    reason: str


def split_version(versioned: str | None, arxiv_id: str) -> int | None:
    """The version number of `2401.01234v2` (None when not known)."""
    match = _VERSIONED.match(versioned or "")
    return int(match["version"]) if match and match["id"] == arxiv_id else None


def versioned(arxiv_id: str, version: int | None) -> str:
    """`2401.01234v2`, or the bare id when the version is not known (arXiv's newest)."""
    return arxiv_id + (f"v{version}" if version is not None else "")


def ledger_requests(arxiv_id: str, version: int | None) -> list[tuple[str, dict[str, str]]]:
    """(service, request) of every answer the fetcher may record for a paper: its e-print and
    its PDF (Gate 2 bundles carry those that were recorded)."""
    request = {"paper": versioned(arxiv_id, version)}
    return [(EPRINT_SERVICE, request), (PDF_SERVICE, request)]


def file_stem(arxiv_id: str) -> str:
    """Old-style ids lose their slash in file names, as in arXiv's bulk data: cs/0601001 ->
    cs0601001."""
    return arxiv_id.replace("/", "")


def local_source(root: Path, arxiv_id: str, version: int | None, pdf: bool) -> Fetched | Missing:
    """The paper's file in `root`: the asked version, else (version unknown) the newest one
    there, else an unversioned file. `pdf` looks for the PDF instead of the e-print."""
    suffixes = (PDF_SUFFIX,) if pdf else SOURCE_SUFFIXES
    stem = file_stem(arxiv_id)
    found: dict[int | None, Path] = {}
    for suffix in reversed(suffixes):  # the strongest suffix of a version wins
        for path in root.glob(f"{glob.escape(stem)}*{suffix}"):
            name = path.name[: -len(suffix)]
            match = _VERSIONED.match(name)
            if name == stem:
                found[None] = path
            elif match and match["id"] == stem:
                found[int(match["version"])] = path
    if version is not None and version in found:
        chosen: int | None = version
    elif version is None and any(v is not None for v in found):
        chosen = max(v for v in found if v is not None)
    elif None in found:
        chosen = None
    else:
        what = "PDF" if pdf else "source"
        # the directory is not named: it differs between machines (and in a Gate 2 bundle)
        return Missing(f"no {what} file for {versioned(stem, version)} in fulltext.sources")
    path = found[chosen]
    if not path.is_file():
        return Missing(f"{path.name} is not a regular file")
    return Fetched(path.read_bytes(), path.name, chosen if chosen is not None else version)


@dataclass
class ArxivFetcher:
    """E-prints and PDFs from arXiv, each asked once ever: the ledger holds every answer,
    including arXiv's "no such source" (HTTP 404/403), so a replay decides as the live run did.
    Transient faults that outlast the retries fail the job (a rerun asks again): a paper is never
    read from its abstract only because the network was down, which would make outputs depend
    on luck."""

    ledger: Ledger
    offline: bool
    eprint_url: str
    pdf_url: str
    policy: RetryPolicy
    max_bytes: int
    session: Any = None
    slot: Callable[[], AbstractContextManager[Any]] = nullcontext
    log: Callable[[str], None] = lambda _msg: None
    requests_made: int = 0

    def fetch(self, arxiv_id: str, version: int | None, pdf: bool) -> Fetched | Missing:
        service, request = ledger_requests(arxiv_id, version)[1 if pdf else 0]
        name = request["paper"]
        entry = self.ledger.get(service, request)
        if entry is None:
            if self.offline:
                return Missing(f"the ledger holds no {service} answer for {name} (offline)")
            entry = self._record(service, request, name, pdf)
        if entry.status != 200:
            return Missing(
                f"arXiv has no {'PDF' if pdf else 'e-print'} for {name} (HTTP {entry.status})"
            )
        if len(entry.body) > self.max_bytes:
            return Missing(
                f"the {'PDF' if pdf else 'e-print'} of {name} is {len(entry.body)} "
                f"bytes, over fulltext.max_bytes ({self.max_bytes})"
            )
        return Fetched(entry.body, f"{service}:{entry.key}", version)

    def _record(self, service: str, request: dict[str, str], name: str, pdf: bool):
        url = (self.pdf_url if pdf else self.eprint_url) + name
        what = f"{'PDF' if pdf else 'e-print'} of arXiv:{name}"
        self.requests_made += 1
        response = request_with_retries(
            self.session,
            "GET",
            url,
            what=what,
            policy=self.policy,
            slot=self.slot,
            log=self.log,
            # arXiv's answer that there is no such file is an answer: recorded, not retried.
            answers=NO_SUCH_FILE,
        )
        return self.ledger.put(
            service,
            request,
            status=response.status,
            retrieved_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            body=response.body if response.status == 200 else b"",
            url=url,
        )
