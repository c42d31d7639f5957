"""The workflow's config, checked before any job runs: JSON Schema (config/schemas/
config.schema.yaml, draft 2020-12) with its defaults filled in, then the rules a schema cannot
say (a snapshot that exists, a contact for live arXiv searches, thresholds that fit together, no
credentials in service URLs). The schema is the one place defaults are stated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from ..errors import ConfigError
from .messages import dotted, explain, fix_for, origin, schema_at, show

# arXiv's API and its terms of use: no more than one request every three seconds.
ARXIV_API_URL = "https://export.arxiv.org/api/query"
TOU_MIN_INTERVAL = 3.0
# The schemas beside the code (a checkout, or a Gate 2 bundle's workflow/): src/sovereign/config/
# is three levels below the workflow's root.
SCHEMAS = Path(__file__).resolve().parents[3] / "config" / "schemas"


def _with_defaults(validator_class: type) -> type:
    """A validator that also fills each property's `default` (as snakemake.utils.validate does)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator: Any, properties: dict, instance: Any, schema: dict) -> Any:
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = _copy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    from jsonschema import validators

    return validators.extend(validator_class, {"properties": set_defaults})


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


@cache
def _filling() -> type:
    # jsonschema is imported on first use: stage jobs read Question from here and never validate
    from jsonschema import Draft202012Validator

    return _with_defaults(Draft202012Validator)


def _not_finite(value: Any, path: list[Any]) -> tuple[list[Any], float] | None:
    """(path, value) of the first .nan or .inf: every comparison with NaN is false, so a
    schema's minimum and maximum would let it through."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    if isinstance(value, dict):
        for key, sub in value.items():
            found = _not_finite(sub, [*path, key])
            if found is not None:
                return found
    return None


_SCALARS = {"number": (int, float), "integer": (int,), "boolean": (bool,)}


def _coerce(instance: Any, schema: dict[str, Any]) -> None:
    """`--config filter='{threshold: 0.3}'` arrives as strings; read them as the schema's type."""
    if not isinstance(instance, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        value = instance.get(name)
        if isinstance(value, dict):
            _coerce(value, sub)
        elif isinstance(value, str):
            kinds = sub.get("type")
            kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
            scalars = tuple(t for k in kinds if k in _SCALARS for t in _SCALARS[k])
            if not scalars:
                continue
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                continue
            if isinstance(parsed, bool) and "boolean" not in kinds:
                continue
            if isinstance(parsed, scalars) or (parsed is None and "null" in kinds):
                instance[name] = parsed


def validate_config(
    config: dict[str, Any],
    schema: dict[str, Any],
    sources: Sequence[tuple[str, dict]] = (),
) -> dict[str, Any]:
    """Validate and fill defaults in place; `sources` (highest precedence first) name culprits."""
    if not isinstance(config, dict):
        raise ConfigError(origin([], sources), "the config is not a mapping", "fix the YAML")
    _coerce(config, schema)
    found = _not_finite(config, [])
    if found is not None:
        bad, value = found
        raise ConfigError(
            f"{origin(bad, sources)}: {dotted(bad)}",
            f"{show(value)} is not a finite number",
            fix_for(schema_at(schema, bad)),
        )
    errors = sorted(_filling()(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        path, problem, fix = explain(errors[0])
        raise ConfigError(f"{origin(path, sources)}: {dotted(path)}", problem, fix)
    _check_search(config, sources)
    _check_review(config, sources)
    _check_credentials_in_urls(config, sources)
    return config


def load_schema(name: str = "config") -> dict[str, Any]:
    """config/schemas/<name>.schema.yaml of this workflow."""
    with open(SCHEMAS / f"{name}.schema.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def default_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The config the schema gives when nothing is set (or only `overrides`): every default
    stated once, in the schema, for code that needs a whole config without a workflow (tests,
    benchmarks). Only the schema is checked, not the rules between keys."""
    config = _copy(overrides or {})
    errors = sorted(_filling()(load_schema()).iter_errors(config), key=lambda e: e.message)
    if errors:
        path, problem, fix = explain(errors[0])
        raise ConfigError(dotted(path), problem, fix)
    return config


# Every service URL, and where its key goes instead.
_SERVICE_URLS = (
    (("search", "arxiv_url"), "the arXiv API takes no credentials"),
    (("embed", "nim_url"), "the key goes in NVIDIA_API_KEY"),
    (("review", "llm", "url"), "the key goes in the variable named by review.llm.api_key_env"),
)


def _check_credentials_in_urls(config: dict[str, Any], sources: Sequence[tuple[str, dict]]) -> None:
    """A user name or password in a URL would be sent instead of the key and quoted by every
    message and log that names the URL: refused, naming the field, never the value."""
    for path, instead in _SERVICE_URLS:
        node: Any = config
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str) and "@" in (urlsplit(node).netloc or ""):
            raise ConfigError(
                f"{origin(list(path), sources)}: {dotted(path)}",
                "the URL holds a user name or password (before '@')",
                f"remove it from the URL; {instead}",
            )


def _check_search(config: dict[str, Any], sources: Sequence[tuple[str, dict]]) -> None:
    search = config["search"]
    backend = search["backend"]

    def fail(key: str, problem: str, fix: str) -> None:
        raise ConfigError(f"{origin(['search', key], sources)}: search.{key}", problem, fix)

    # A Gate 2 re-run has its raw stage frozen in the bundle: no snapshot to search.
    frozen = config.get("gate2", {}).get("frozen_search", False)
    if backend == "snapshot" and not frozen:
        if not search.get("snapshot"):
            fail(
                "snapshot",
                "backend snapshot needs a snapshot path",
                "set search.snapshot to an arXiv metadata JSON-lines file or a directory of them "
                "(or choose search.backend arxiv)",
            )
        if not Path(search["snapshot"]).exists():
            fail(
                "snapshot",
                f"{search['snapshot']} does not exist",
                "point it at an arXiv metadata JSON-lines file (e.g. the Kaggle "
                "arxiv-metadata-oai-snapshot.json) or a directory of them",
            )
    if backend == "arxiv" and not search["contact"].strip():
        fail(
            "contact",
            "live arXiv searches must say who is asking",
            "set search.contact to your e-mail or project URL (sent in the User-Agent)",
        )
    host = urlsplit(search["arxiv_url"]).hostname or ""
    if not host:
        fail("arxiv_url", f"{search['arxiv_url']!r} names no host", f"use e.g. {ARXIV_API_URL}")
    official = host == "arxiv.org" or host.endswith(".arxiv.org")
    if backend == "arxiv" and official and search["min_interval"] < TOU_MIN_INTERVAL:
        fail(
            "min_interval",
            f"{search['min_interval']} s is faster than arXiv's terms of use allow",
            f"use at least {TOU_MIN_INTERVAL:g} seconds",
        )


def _check_review(config: dict[str, Any], sources: Sequence[tuple[str, dict]]) -> None:
    """Thresholds that only make sense together (each alone is checked by the schema)."""
    review = config["review"]

    def fail(key: str, problem: str, fix: str) -> None:
        path = ["review", *key.split(".")]
        raise ConfigError(f"{origin(path, sources)}: review.{key}", problem, fix)

    if sum(review["weights"].values()) <= 0:
        fail("weights", "all three weights are 0", "give at least one role a positive weight")
    if review["reject_below"] > review["publish_at"]:
        fail(
            "reject_below",
            f"{review['reject_below']:g} is above review.publish_at {review['publish_at']:g}",
            "use reject_below <= publish_at (scores between them give REVISE)",
        )
