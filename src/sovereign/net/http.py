"""HTTP with the manners a public API expects: retries, backoff, and `Retry-After` obeyed.

Retried: connection failures, cut-off answers, timeouts, 408, 429 and 5xx. Not retried: other
4xx (a bad request or a refused key will not get better by asking again). Every wait is the
larger of the server's `Retry-After` and exponential backoff; a wait longer than `max_wait` fails
at once with a message that says when to try again, instead of hanging a job for an hour.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigError, NetworkError, SovereignError

if TYPE_CHECKING:
    import requests

T = TypeVar("T")
REDACTED = "[redacted]"
# What an HTTP header can carry of a key: visible ASCII. A line break would split the header
# (requests then quotes the whole value in its error), a non-ASCII character cannot be encoded.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


def user_agent(contact: str) -> str:
    """What sovereign calls itself to arXiv (its API and its e-prints alike)."""
    from .. import __version__

    return f"sovereign/{__version__} (literature synthesis; {contact})"


def is_transient(status: int) -> bool:
    """Statuses worth asking again: timeouts, rate limits and every server-side error."""
    return status in (408, 429) or 500 <= status < 600


@dataclass(frozen=True)
class RetryPolicy:
    """How a service is asked again (the values of a config section; the schema holds their
    defaults)."""

    retries: int
    backoff: float
    max_wait: float
    timeout: float
    section: str  # the config section these came from, named in messages

    @classmethod
    def from_config(cls, config: dict[str, Any], section: str) -> RetryPolicy:
        """From a validated config's section (`search`, `embed`, `review.llm`) holding retries,
        backoff, max_wait and timeout."""
        values = config
        for part in section.split("."):
            values = values[part]
        return cls(
            retries=int(values["retries"]),
            backoff=float(values["backoff"]),
            max_wait=float(values["max_wait"]),
            timeout=float(values["timeout"]),
            section=section,
        )


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def request_with_retries(
    session: requests.Session,
    method: str,
    url: str,
    *,
    what: str,
    policy: RetryPolicy,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    slot: Callable[[], AbstractContextManager[Any]] = nullcontext,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda _msg: None,
    auth_hint: str | None = None,
    secrets: tuple[str, ...] = (),
    incomplete: Callable[[bytes], str | None] = lambda _body: None,
    answers: tuple[int, ...] = (),
) -> Response:
    """Send one request, retrying transient failures; `what` names it in every message.

    `auth_hint`, if given, is the fix offered for 401/403 (e.g. which variable holds the key).
    `secrets` (the key sent, a URL's password) are masked in every message that quotes the
    server or the HTTP library, before anything is shortened, so no part of them survives.
    `incomplete` looks at a 200 answer's body: what is wrong with it if it came out cut short or
    garbled (asked again, like any transient fault), else None. `answers` are error statuses
    that are the service's final word (a 404 for a file that does not exist): returned, not
    raised.
    """
    import requests  # here: importing it costs every job that never sends a request

    problem = "no attempt made"
    for attempt in range(policy.retries + 1):
        backoff = policy.backoff * (2**attempt)
        try:
            with slot():
                resp = session.request(
                    method, url, headers=headers, json=json_body, timeout=policy.timeout
                )
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as err:
            problem = f"could not connect or the answer was cut off ({type(err).__name__})"
            wait = backoff
        except requests.RequestException as err:
            raise NetworkError(
                what,
                f"the request could not be sent ({mask(str(err), secrets)})",
                "check the service URL",
            ) from None
        else:
            if resp.status_code == 200:
                problem = incomplete(resp.content)
                if problem is None:
                    return Response(resp.status_code, resp.content, dict(resp.headers))
                wait = backoff
            elif resp.status_code in answers:
                return Response(resp.status_code, resp.content, dict(resp.headers))
            elif not is_transient(resp.status_code):
                quoted = _snippet(resp.content, secrets)
                raise NetworkError(
                    what,
                    f"the server answered HTTP {resp.status_code}: {quoted}",
                    _fix_for(resp.status_code, auth_hint),
                )
            else:
                problem = f"the server answered HTTP {resp.status_code}"
                asked = retry_after_seconds(resp.headers.get("Retry-After"))
                wait = max(backoff, asked or 0.0)
                if asked is not None and asked > policy.max_wait:
                    raise NetworkError(
                        what,
                        f"{problem} and asked to wait {asked:.0f} s (more than max_wait "
                        f"{policy.max_wait:.0f} s)",
                        f"run again later, or raise {policy.section}.max_wait in the config",
                    )
        if attempt == policy.retries:
            break
        wait = min(wait, policy.max_wait)
        log(f"{what}: {problem}; retry {attempt + 1}/{policy.retries} in {wait:.1f} s")
        sleep(wait)
    raise NetworkError(
        what,
        f"{problem}, after {policy.retries + 1} attempts",
        "check the network and the service URL, then run again (finished jobs are kept)",
    )


def _snippet(body: bytes, secrets: tuple[str, ...] = (), limit: int = 200) -> str:
    # Masked first: cutting at `limit` could otherwise leave the start of an echoed key.
    text = " ".join(mask(body.decode("utf-8", "replace"), secrets).split())
    return text[:limit] + ("..." if len(text) > limit else "")


def _forms(secret: str) -> set[str]:
    """A secret as a message may quote it: itself, and escaped by repr() or JSON."""
    return {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}


def mask(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every form of every secret replaced by [redacted]."""
    for secret in secrets:
        if secret:
            for form in sorted(_forms(secret), key=len, reverse=True):
                text = text.replace(form, REDACTED)
    return text


def _fix_for(status: int, auth_hint: str | None = None) -> str:
    if status in (401, 403):
        return auth_hint or "check the API key or the contact/User-Agent the service requires"
    if status == 400:
        return "the service rejected the request; check the query or the service URL"
    return "check the service URL in the config"


def without_userinfo(url: str) -> str:
    """A URL without `user:password@`: a credential in a URL is a secret like any other."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def bearer_auth(api_key_env: str, alternative: str) -> tuple[dict[str, str], str, str]:
    """(headers, key, fix for 401/403) for a service keyed by an environment variable.

    No Authorization header without a key: a self-hosted server needs none, and an empty one
    would only be refused. `alternative` says what to do instead of getting a key. Whitespace
    around the key (the newline of a key file) is dropped; a key no header can carry is refused
    naming the variable, never quoting it.
    """
    key = os.environ.get(api_key_env, "").strip()
    if key and not _HEADER_SAFE.fullmatch(key):
        raise ConfigError(
            api_key_env,
            "the key holds a space, a line break, a control or a non-ASCII character, which an "
            "HTTP header cannot carry",
            f"set {api_key_env} to the key alone (copy it again from where it was issued)",
        )
    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    hint = f"set {api_key_env} to a valid key, or {alternative}"
    if not key:
        hint += f" ({api_key_env} is not set)"
    return headers, key, hint


def redacted(err: SovereignError, secrets: tuple[str, ...]) -> SovereignError:
    """The same error with `secrets` masked: messages quote servers, which may echo the key."""
    if not any(secrets):
        return err
    fix = mask(err.fix, secrets) if err.fix else err.fix
    return type(err)(mask(err.where, secrets), mask(err.problem, secrets), fix)


def _echoes(body: bytes, key: str) -> bool:
    """Whether an answer holds the key. Keys shorter than 8 characters (test keys, not issued
    ones) are not looked for: a body could hold them by chance."""
    return len(key) >= 8 and any(form.encode() in body for form in _forms(key))


def post_keyed_json(
    session: requests.Session,
    url: str,
    body: Any,
    check: Callable[[bytes], T],
    *,
    what: str,
    policy: RetryPolicy,
    api_key_env: str,
    alternative: str,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda _msg: None,
) -> tuple[int, T]:
    """POST JSON to a keyed service (NIM, an OpenAI-compatible chat endpoint) and `check` the
    answer: (status, checked value). Every error comes back with the key (and a password in the
    URL) masked, since messages quote the server's answer and a server may echo the
    Authorization header; an answer that holds the key is refused, so it is never recorded."""
    headers, key, hint = bearer_auth(api_key_env, alternative)
    secrets = tuple(s for s in (key, urlsplit(url).password) if s)
    try:
        response = request_with_retries(
            session,
            "POST",
            url,
            what=what,
            policy=policy,
            headers=headers,
            json_body=body,
            sleep=sleep,
            log=log,
            auth_hint=hint,
            secrets=secrets,
        )
        if _echoes(response.body, key):
            # A proxy or debugging endpoint mirroring the request: recording it would store
            # the key in the ledger, and from there in results and bundles.
            raise NetworkError(
                what,
                f"the answer holds the key sent with the request ({api_key_env}): an echo, "
                "not an answer; nothing was recorded",
                "check the service URL: it must reach the service itself",
            )
        return response.status, check(response.body)
    except SovereignError as err:
        raise redacted(err, secrets) from None
