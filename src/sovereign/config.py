"""Configuration and question sheet: validated, defaults filled, errors a person can act on.

JSON Schemas (config/schemas/*.yaml, draft 2020-12) hold the rules. Every error names where the
bad value came from: the config file that set it (an overlay given with --configfile wins over
config/config.yaml), `--config` on the command line, or the sheet's line and column.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from .arxiv_terms import ARXIV_API_URL, TOU_MIN_INTERVAL
from .errors import ConfigError
from .expand import has_search_terms
from .text import collapse_whitespace

if TYPE_CHECKING:
    from jsonschema import ValidationError

QUESTION_COLUMNS = ("question_id", "question", "as_of")


def load_yaml(path: str | os.PathLike[str]) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found", "check the path") from None
    except yaml.YAMLError as err:
        raise ConfigError(str(path), f"not valid YAML ({err})", "fix the YAML syntax") from None


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


def _dotted(path: Iterable[Any]) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _explain(error: ValidationError) -> tuple[list[Any], str, str]:
    """(path of the offending key, problem, fix) for one schema error."""
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(known))
        fix = f"remove it or use one of: {', '.join(known)}"
        if ":" in extra[0]:
            fix += " (in YAML, write `key: value` with a space after the colon)"
        return path + [extra[0]], "unknown key", fix
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return path + [missing], "required key is missing", "add it"
    fix = f"use {_rule_text(schema)}"
    if schema.get("description"):
        fix += f" ({schema['description']})"
    if error.validator == "type" and schema.get("type") == "object":
        keys = ", ".join(sorted(schema.get("properties", {})))
        return (
            path,
            f"{error.instance!r} is not a mapping",
            f"write it as a mapping with keys: {keys}",
        )
    if error.validator == "enum":
        options = ", ".join(map(str, error.validator_value))
        return path, f"{error.instance!r} is not one of {options}", f"use one of: {options}"
    return path, f"{error.instance!r}: {error.message}", fix


_TYPE_NAMES = {"number": "a number", "integer": "a whole number", "string": "text"}


def _rule_text(schema: dict[str, Any]) -> str:
    """What the schema allows, in words: 'a number from 0 to 1'."""
    kind = schema.get("type")
    text = _TYPE_NAMES.get(kind, "a value") if isinstance(kind, str) else "a value"
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        text += f" from {low} to {high}"
    elif low is not None:
        text += f" of at least {low}"
    elif high is not None:
        text += f" of at most {high}"
    if schema.get("exclusiveMinimum") is not None:
        text += f" greater than {schema['exclusiveMinimum']}"
    if schema.get("pattern"):
        text += f" matching {schema['pattern']}"
    return text


def _origin(path: Sequence[Any], sources: Sequence[tuple[str, dict]]) -> str:
    """The highest-precedence source that sets `path` (or its nearest parent)."""
    for depth in range(len(path), 0, -1):
        for name, data in sources:
            node: Any = data
            for part in path[:depth]:
                if not isinstance(node, dict) or part not in node:
                    break
                node = node[part]
            else:
                return name
    return sources[-1][0] if sources else "config"


_SCALARS = {"number": (int, float), "integer": (int,), "boolean": (bool,)}


def _coerce(instance: Any, schema: dict[str, Any]) -> None:
    """`--config filter='{threshold: 0.3}'` arrives as strings; read them as the schema's type."""
    if not isinstance(instance, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        value = instance.get(name)
        if isinstance(value, dict):
            _coerce(value, sub)
        elif isinstance(value, str) and str(sub.get("type")) in _SCALARS:
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                continue
            if isinstance(parsed, _SCALARS[sub["type"]]) and not (
                isinstance(parsed, bool) and sub["type"] != "boolean"
            ):
                instance[name] = parsed


def validate_config(
    config: dict[str, Any],
    schema: dict[str, Any],
    sources: Sequence[tuple[str, dict]] = (),
) -> dict[str, Any]:
    """Validate and fill defaults in place; `sources` (highest precedence first) name culprits."""
    if not isinstance(config, dict):
        raise ConfigError(_origin([], sources), "the config is not a mapping", "fix the YAML")
    _coerce(config, schema)
    errors = sorted(_filling()(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        path, problem, fix = _explain(errors[0])
        raise ConfigError(f"{_origin(path, sources)}: {_dotted(path)}", problem, fix)
    _check_search(config, sources)
    _check_review(config, sources)
    return config


def _check_search(config: dict[str, Any], sources: Sequence[tuple[str, dict]]) -> None:
    search = config["search"]
    backend = search["backend"]

    def fail(key: str, problem: str, fix: str) -> None:
        raise ConfigError(f"{_origin(['search', key], sources)}: search.{key}", problem, fix)

    # A Gate 2 re-run has its raw stage frozen in the bundle: no snapshot to search.
    frozen = config.get("gate2", {}).get("frozen_search", False)
    if backend == "snapshot" and not frozen:
        if not search.get("snapshot"):
            fail("snapshot", "backend snapshot needs a snapshot path", "set search.snapshot")
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
        raise ConfigError(f"{_origin(path, sources)}: review.{key}", problem, fix)

    if sum(review["weights"].values()) <= 0:
        fail("weights", "all three weights are 0", "give at least one role a positive weight")
    if review["reject_below"] > review["publish_at"]:
        fail(
            "reject_below",
            f"{review['reject_below']:g} is above review.publish_at {review['publish_at']:g}",
            "use reject_below <= publish_at (scores between them give REVISE)",
        )


@dataclass(frozen=True)
class Question:
    question_id: str
    question: str
    as_of: str


def read_questions(path: str | os.PathLike[str], schema: dict[str, Any]) -> list[Question]:
    """The question sheet as validated rows, sorted by question_id."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # spreadsheets write a BOM
    except FileNotFoundError:
        raise ConfigError(
            where, "question sheet not found", "create it or set `questions` in the config"
        ) from None
    except UnicodeDecodeError as err:
        raise ConfigError(where, f"not UTF-8 text ({err})", "save the sheet as UTF-8") from None
    except OSError as err:
        raise ConfigError(
            where, f"cannot be read ({err.strerror})", "point `questions` at a TSV file"
        ) from None
    entries = [
        (line, row)
        for line, row in _rows(text, where)
        if any(cell.strip() for cell in row) and not row[0].startswith("#")
    ]
    if not entries:
        raise ConfigError(where, "the sheet is empty", "add a header and at least one question")
    header_line, header = entries[0]
    header = [h.strip() for h in header]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ConfigError(
            f"{where}: line {header_line}", f"header repeats {repeated}", "name each column once"
        )
    unknown = [h for h in header if h not in QUESTION_COLUMNS]
    missing = [c for c in QUESTION_COLUMNS if c not in header]
    if unknown or missing:
        raise ConfigError(
            f"{where}: line {header_line}",
            f"header has unknown columns {unknown} / lacks {missing}",
            "the header must be: " + "\\t".join(QUESTION_COLUMNS),
        )
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    seen: dict[str, int] = {}
    questions = []
    for line, row in entries[1:]:
        if len(row) != len(header):
            raise ConfigError(
                f"{where}: line {line}",
                f"{len(row)} tab-separated fields, the header has {len(header)}",
                "separate question_id, question and as_of with single tabs",
            )
        record = {
            h: collapse_whitespace(v) if h == "question" else v.strip()
            for h, v in zip(header, row, strict=True)
        }
        for err in validator.iter_errors(record):
            column = err.absolute_path[0] if err.absolute_path else "row"
            if err.validator == "minLength" and column == "question":
                problem = "the question is empty"
            else:
                rule = err.schema.get("description", err.message)
                problem = f"{err.instance!r} is not valid: {rule}"
            where_cell = f"{where}: line {line}, column {column}"
            raise ConfigError(where_cell, problem, "correct the value")
        try:
            date.fromisoformat(record["as_of"])
        except ValueError:
            raise ConfigError(
                f"{where}: line {line}, column as_of",
                f"{record['as_of']!r} is not a calendar date",
                "use YYYY-MM-DD",
            ) from None
        if not has_search_terms(record["question"]):
            raise ConfigError(
                f"{where}: line {line}, column question",
                f"{record['question']!r} has no words to search for (only stop words)",
                "name the subject of the question",
            )
        qid = record["question_id"]
        if qid.lower() in seen:  # Q1 and q1 share a results folder on case-blind filesystems
            raise ConfigError(
                f"{where}: line {line}, column question_id",
                f"{qid!r} is used again (first on line {seen[qid.lower()]})",
                "give every question its own id (ids differing only in case count as one)",
            )
        seen[qid.lower()] = line
        questions.append(Question(qid, record["question"], record["as_of"]))
    if not questions:
        raise ConfigError(where, "the sheet has a header but no questions", "add a question row")
    return sorted(questions, key=lambda q: q.question_id)


def _rows(text: str, where: str) -> list[tuple[int, list[str]]]:
    """(1-based first line, fields) per record; a quoted field may span lines."""
    # Comment lines go before the TSV reader sees them: a stray quote there must not matter.
    kept = ["" if ln.lstrip().startswith("#") else ln for ln in text.split("\n")]
    reader = csv.reader(io.StringIO("\n".join(kept), newline=""), delimiter="\t", strict=True)
    rows = []
    line = 1
    try:
        for row in reader:
            rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error as err:
        raise ConfigError(
            f"{where}: line {line}",
            f"cannot be read as TSV ({err})",
            'a field that starts with " must end with " (write "" for a quote inside it)',
        ) from None
    return rows
