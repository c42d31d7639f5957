"""HTTP with the manners a public API expects: retries, backoff, and `Retry-After` obeyed.

Retried: connection failures, cut-off answers, timeouts, 408, 429 and 5xx. Not retried: other
4xx (a bad request or a refused key will not get better by asking again). Every wait is the
larger of the server's `Retry-After` and exponential backoff; a wait longer than `max_wait` fails
at once with a message that says when to try again, instead of hanging a job for an hour.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import NetworkError, SovereignError

if TYPE_CHECKING:
    import requests

T = TypeVar("T")


def is_transient(status: int) -> bool:
    """Statuses worth asking again: timeouts, rate limits and every server-side error."""
    return status in (408, 429) or 500 <= status < 600


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4
    backoff: float = 2.0
    max_wait: float = 120.0
    timeout: float = 30.0
    section: str = "search"  # the config section these came from, named in messages

    @classmethod
    def from_config(cls, config: dict[str, Any], section: str) -> RetryPolicy:
        """From a validated config's section holding retries, backoff, max_wait and timeout."""
        values = config[section]
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
) -> Response:
    """Send one request, retrying transient failures; `what` names it in every message.

    `auth_hint`, if given, is the fix offered for 401/403 (e.g. which variable holds the key).
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
                what, f"the request could not be sent ({err})", "check the service URL"
            ) from None
        else:
            if resp.status_code == 200:
                return Response(resp.status_code, resp.content, dict(resp.headers))
            if not is_transient(resp.status_code):
                raise NetworkError(
                    what,
                    f"the server answered HTTP {resp.status_code}: {_snippet(resp.content)}",
                    _fix_for(resp.status_code, auth_hint),
                )
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


def _snippet(body: bytes, limit: int = 200) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:limit] + ("..." if len(text) > limit else "")


def _fix_for(status: int, auth_hint: str | None = None) -> str:
    if status in (401, 403):
        return auth_hint or "check the API key or the contact/User-Agent the service requires"
    if status == 400:
        return "the service rejected the request; check the query or the service URL"
    return "check the service URL in the config"


def bearer_auth(api_key_env: str, alternative: str) -> tuple[dict[str, str], str, str]:
    """(headers, key, fix for 401/403) for a service keyed by an environment variable.

    No Authorization header without a key: a self-hosted server needs none, and an empty one
    would only be refused. `alternative` says what to do instead of getting a key.
    """
    key = os.environ.get(api_key_env, "")
    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    hint = f"set {api_key_env} to a valid key, or {alternative}"
    if not key:
        hint += f" ({api_key_env} is not set)"
    return headers, key, hint


def redacted(err: SovereignError, secret: str) -> SovereignError:
    """The same error with `secret` masked: messages quote servers, which may echo the key."""
    if not secret:
        return err
    hide = "[redacted]"
    fix = err.fix.replace(secret, hide) if err.fix else err.fix
    return type(err)(err.where.replace(secret, hide), err.problem.replace(secret, hide), fix)


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
    answer: (status, checked value). Every error comes back with the key masked, since messages
    quote the server's answer and a server may echo the Authorization header."""
    headers, key, hint = bearer_auth(api_key_env, alternative)
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
        )
        return response.status, check(response.body)
    except SovereignError as err:
        raise redacted(err, key) from None
