"""Configuration and question sheet: validated, defaults filled, errors a person can act on.

JSON Schemas (config/schemas/*.yaml, draft 2020-12) hold the rules. Every error names where the
bad value came from: the config file that set it (an overlay given with --configfile wins over
config/config.yaml), `--config` on the command line, or the sheet's line and column.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from .arxiv_terms import ARXIV_API_URL, TOU_MIN_INTERVAL
from .contracts import (
    MAX_QUESTION_ID_CHARS,
    QUESTION_ID_CHARS,
    QUESTION_ID_RULE,
    Question,
)
from .errors import ConfigError
from .text.normalize import collapse_whitespace
from .text.question import has_search_terms

if TYPE_CHECKING:
    from jsonschema import ValidationError

QUESTION_COLUMNS = ("question_id", "question", "as_of")


def load_yaml(path: str | os.PathLike[str]) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found", "check the path") from None
    except IsADirectoryError:
        raise ConfigError(str(path), "is a directory, not a YAML file", "check the path") from None
    except UnicodeDecodeError as err:
        raise ConfigError(
            str(path), f"not UTF-8 text (byte 0x{err.object[err.start]:02x})", "save it as UTF-8"
        ) from None
    except yaml.YAMLError as err:
        raise _yaml_error(str(path), err) from None


def _yaml_error(path: str, err: yaml.YAMLError) -> ConfigError:
    """One line naming where the YAML breaks (PyYAML's own text spans five lines)."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    where = f"{path}: line {mark.line + 1}, column {mark.column + 1}" if mark else path
    context, start = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context and start and mark and start.line != mark.line:
        problem += f" ({context} that starts on line {start.line + 1})"
    fix = "correct the YAML there"
    if "\\t" in problem:
        fix += " (indent with spaces: YAML does not allow tabs)"
    elif "mapping values" in problem:
        fix += " (quote a value that holds ': ')"
    return ConfigError(where, f"not valid YAML: {problem}", fix)


def check_config_file(path: str | os.PathLike[str], *, required: bool = True) -> None:
    """A config file Snakemake is about to load: readable YAML holding a mapping, or a clear
    ConfigError (Snakemake's own message names neither the file nor the line)."""
    if not required and not Path(path).exists():
        return
    data = load_yaml(path)
    if data is not None and not isinstance(data, dict):
        raise ConfigError(
            str(path),
            f"holds a YAML {_yaml_kind(data)}, not a mapping of keys",
            "write `key: value` lines at the top level, e.g. `filter: {threshold: 0.2}`",
        )


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    return "text" if isinstance(value, str) else "single value"


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
        extra = sorted(set(error.instance) - set(known), key=str)
        fix = f"remove it or use one of: {', '.join(known)}"
        close = difflib.get_close_matches(str(extra[0]), known, n=1, cutoff=0.75)
        if ":" in str(extra[0]):
            fix += " (in YAML, write `key: value` with a space after the colon)"
        elif close:
            fix += f" (did you mean {close[0]}?)"
        return path + [extra[0]], "unknown key", fix
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return path + [missing], "required key is missing", "add it"
    if error.validator == "type" and schema.get("type") == "object":
        keys = ", ".join(sorted(schema.get("properties", {})))
        return (
            path,
            f"{_show(error.instance)} is not a mapping",
            f"write it as a mapping with keys: {keys}",
        )
    if error.validator == "enum":
        options = ", ".join(map(str, error.validator_value))
        return path, f"{_show(error.instance)} is not one of {options}", f"use one of: {options}"
    return path, _problem(error, schema), _fix(schema)


def _fix(schema: dict[str, Any]) -> str:
    fix = f"use {_rule_text(schema)}"
    if schema.get("description"):
        fix += f" ({schema['description']})"
    return fix


def _problem(error: ValidationError, schema: dict[str, Any]) -> str:
    """jsonschema's complaint in a user's words: YAML spellings, no regular expressions."""
    shown = _show(error.instance)
    if error.validator == "type":
        return f"{shown} is not {_kinds(schema.get('type'))}"
    if error.validator == "pattern":
        return f"{shown} is not {_pattern_text(schema['pattern'])}"
    if error.validator == "minLength":
        return f"{shown} is empty"
    if error.validator == "exclusiveMinimum":
        return f"{shown} is not greater than {error.validator_value}"
    if error.message.startswith(repr(error.instance)):  # "2 is greater than the maximum of 1"
        return shown + error.message[len(repr(error.instance)) :]
    return f"{shown}: {error.message}"


def _show(value: Any) -> str:
    """A value as it is written in YAML (null, true, .nan), text quoted and cut short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:60] + "…")
    return repr(value)


_TYPE_NAMES = {
    "number": "a number",
    "integer": "a whole number",
    "string": "text",
    "boolean": "true or false",
    "null": "null",
    "object": "a mapping",
    "array": "a list",
}
# The schemas' patterns, said in words (a regular expression is no help in a message).
_PATTERN_NAMES = {
    "^https?://": "a URL starting with http:// or https://",
    "^[ -~]*$": "printable ASCII text",
    "^[A-Za-z_][A-Za-z0-9_]*$": "a variable name (letters, digits, _; no digit first)",
}


def _kinds(kind: Any) -> str:
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    return " or ".join(_TYPE_NAMES.get(k, k) for k in kinds) or "a value"


def _pattern_text(pattern: str) -> str:
    return _PATTERN_NAMES.get(pattern, f"text matching {pattern}")


def _rule_text(schema: dict[str, Any]) -> str:
    """What the schema allows, in words: 'a number from 0 to 1'."""
    kind = schema.get("type")
    if schema.get("pattern"):
        text = _pattern_text(schema["pattern"])
        return text + (", or null" if isinstance(kind, list) and "null" in kind else "")
    text = _kinds(kind) if kind else "a value"
    low, high = schema.get("minimum"), schema.get("maximum")
    above = schema.get("exclusiveMinimum")
    if low is not None and high is not None:
        text += f" from {low} to {high}"
    elif above is not None and high is not None:
        text += f" greater than {above} and at most {high}"
    elif low is not None:
        text += f" of at least {low}"
    elif above is not None:
        text += f" greater than {above}"
    elif high is not None:
        text += f" of at most {high}"
    if schema.get("minLength") == 1 and kind == "string":
        text = "non-empty text"
    return text


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


def _schema_at(schema: dict[str, Any], path: Sequence[Any]) -> dict[str, Any]:
    for part in path:
        schema = schema.get("properties", {}).get(part, {})
    return schema


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
                return _shown_path(name)
    return _shown_path(sources[-1][0]) if sources else "config"


def _shown_path(name: str) -> str:
    """A config file as the user named it: Snakemake makes --configfile paths absolute."""
    try:
        return str(Path(name).relative_to(Path.cwd())) if os.path.isabs(name) else name
    except ValueError:
        return name


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
    found = _not_finite(config, [])
    if found is not None:
        bad, value = found
        raise ConfigError(
            f"{_origin(bad, sources)}: {_dotted(bad)}",
            f"{_show(value)} is not a finite number",
            _fix(_schema_at(schema, bad)),
        )
    errors = sorted(_filling()(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        path, problem, fix = _explain(errors[0])
        raise ConfigError(f"{_origin(path, sources)}: {_dotted(path)}", problem, fix)
    _check_search(config, sources)
    _check_review(config, sources)
    _check_credentials_in_urls(config, sources)
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
                f"{_origin(list(path), sources)}: {_dotted(path)}",
                "the URL holds a user name or password (before '@')",
                f"remove it from the URL; {instead}",
            )


def _check_search(config: dict[str, Any], sources: Sequence[tuple[str, dict]]) -> None:
    search = config["search"]
    backend = search["backend"]

    def fail(key: str, problem: str, fix: str) -> None:
        raise ConfigError(f"{_origin(['search', key], sources)}: search.{key}", problem, fix)

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
        raise ConfigError(f"{_origin(path, sources)}: review.{key}", problem, fix)

    if sum(review["weights"].values()) <= 0:
        fail("weights", "all three weights are 0", "give at least one role a positive weight")
    if review["reject_below"] > review["publish_at"]:
        fail(
            "reject_below",
            f"{review['reject_below']:g} is above review.publish_at {review['publish_at']:g}",
            "use reject_below <= publish_at (scores between them give REVISE)",
        )


def read_questions(path: str | os.PathLike[str], schema: dict[str, Any]) -> list[Question]:
    """The question sheet as validated rows, sorted by question_id."""
    where = str(path)
    text = _sheet_text(path)
    entries = [
        (line, row)
        for line, row in _rows(text, where)
        if any(cell.strip() for cell in row) and not row[0].startswith("#")
    ]
    if not entries:
        raise ConfigError(where, "the sheet is empty", "add a header and at least one question")
    header_line, header = entries[0]
    header = [h.strip() for h in header]
    _check_header(header, f"{where}: line {header_line}")
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    seen: dict[str, int] = {}
    questions = []
    for line, row in entries[1:]:
        if len(row) != len(header):
            raise ConfigError(
                f"{where}: line {line}",
                f"{len(row)} tab-separated fields, the header has {len(header)}",
                "separate question_id, question and as_of with single tabs "
                '(a question holding a tab goes in double quotes, "...")',
            )
        cells = dict(zip(header, row, strict=True))
        record = {
            h: collapse_whitespace(v) if h == "question" else v.strip() for h, v in cells.items()
        }
        errors = sorted(
            validator.iter_errors(record),
            key=lambda e: QUESTION_COLUMNS.index(e.absolute_path[0]) if e.absolute_path else -1,
        )
        for err in errors[:1]:
            column = err.absolute_path[0] if err.absolute_path else "row"
            problem, fix = _cell_problem(str(column), err)
            raise ConfigError(f"{where}: line {line}, column {column}", problem, fix)
        control = [(i, c) for i, c in enumerate(cells["question"], 1) if _is_control(c)]
        if control:
            at, char = control[0]
            raise ConfigError(
                f"{where}: line {line}, column question",
                f"the question holds the control character {_char_name(char)} (character {at})",
                "delete it: a question is plain text (pasted terminal colours or binary data?)",
            )
        try:
            date.fromisoformat(record["as_of"])
        except ValueError as err:
            raise ConfigError(
                f"{where}: line {line}, column as_of",
                f"{record['as_of']!r} is not a calendar date ({err})",
                "use a date that exists, as YYYY-MM-DD",
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


def _sheet_text(path: str | os.PathLike[str]) -> str:
    """The sheet's text; a file that is not UTF-8 text is named with the line at fault."""
    where = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            where, "question sheet not found", "create it or set `questions` in the config"
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            where, "is a directory, not a question sheet", "set `questions` to the sheet's TSV file"
        ) from None
    except OSError as err:
        raise ConfigError(
            where, f"cannot be read ({err.strerror})", "point `questions` at a TSV file"
        ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(where, "UTF-16 text, not UTF-8", "save the sheet as UTF-8")
    if data.startswith(b"PK\x03\x04"):
        raise ConfigError(
            where,
            "a zip archive (an .xlsx or .ods workbook?), not a tab-separated sheet",
            "export the sheet as tab-separated text (UTF-8)",
        )
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise ConfigError(
            f"{where}: line {line}",
            "holds a NUL byte: binary data, or UTF-16 text without a byte-order mark",
            "save the sheet as UTF-8 tab-separated text",
        )
    try:
        return data.decode("utf-8-sig")  # spreadsheets write a BOM
    except UnicodeDecodeError as err:
        byte = data[err.start]
        line = data[: err.start].count(b"\n") + 1
        problem = f"byte 0x{byte:02x} is not UTF-8"
        legacy = bytes([byte]).decode("cp1252", errors="replace")
        if legacy.isprintable() and legacy != "\ufffd":
            problem += f" (in Latin-1 or Windows-1252 it is {legacy!r})"
        raise ConfigError(f"{where}: line {line}", problem, "save the sheet as UTF-8") from None


_COLUMNS_TEXT = "question_id, question and as_of, separated by tabs"


def _check_header(header: list[str], where: str) -> None:
    if len(header) == 1 and ("," in header[0] or ";" in header[0]):
        raise ConfigError(
            where,
            f"the header {header[0]!r} is not tab-separated",
            f"name the columns {_COLUMNS_TEXT} (save as tab-separated text, not CSV)",
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ConfigError(where, f"column {repeated[0]!r} appears twice", "name each column once")
    unknown = [h for h in header if h not in QUESTION_COLUMNS]
    missing = [c for c in QUESTION_COLUMNS if c not in header]
    if not (unknown or missing):
        return
    parts = []
    if unknown:
        parts.append(f"unknown column{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))}")
    if missing:
        parts.append(f"missing column{'s' * (len(missing) > 1)} {', '.join(map(repr, missing))}")
        fix = f"name the columns {_COLUMNS_TEXT}"
    else:  # an extra column's text would reach no record: refused rather than dropped
        fix = f"remove {'them' if len(unknown) > 1 else 'it'}: the columns are {_COLUMNS_TEXT}"
    raise ConfigError(where, "; ".join(parts), fix)


def _cell_problem(column: str, err: ValidationError) -> tuple[str, str]:
    """(problem, fix) for a sheet cell the schema refuses, naming what exactly is wrong."""
    value = err.instance if isinstance(err.instance, str) else str(err.instance)
    if column == "question_id":
        bad = sorted({c for c in value if c not in QUESTION_ID_CHARS}, key=value.index)
        if not value:
            return "the question id is empty", f"give the question a short id of {QUESTION_ID_RULE}"
        if bad:
            return f"{_show(value)} holds {_char_list(bad)}", f"use only {QUESTION_ID_RULE}"
        if len(value) > MAX_QUESTION_ID_CHARS:
            return (
                f"{_show(value)} is {len(value)} characters long",
                f"shorten it to at most {MAX_QUESTION_ID_CHARS} characters",
            )
        if value.startswith("-"):
            return (
                f"{value!r} starts with '-'",
                "start it with a letter, digit or _ (a name starting with - reads as an option "
                "to command-line tools)",
            )
    if column == "question":
        if err.validator == "minLength":
            return "the question is empty", "write the research question, in plain text"
        if err.validator == "maxLength":
            limit = err.validator_value
            return (
                f"the question is {len(value):,} characters long, over the limit of {limit:,}",
                f"shorten it to at most {limit:,} characters: a research question is a "
                "sentence or a short paragraph, not a document",
            )
    if column == "as_of":
        if not value:
            return (
                "the as_of date is empty",
                "write the date the question is asked as of, YYYY-MM-DD",
            )
        return f"{_show(value)} is not a date written YYYY-MM-DD", "write it as YYYY-MM-DD"
    return f"{_show(value)} is not valid: {err.schema.get('description', err.message)}", (
        "correct the value"
    )


def _is_control(char: str) -> bool:
    # Tabs and line breaks inside a quoted question are wrapping; they become spaces.
    return unicodedata.category(char) == "Cc" and not char.isspace()


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X}"


def _char_list(chars: list[str]) -> str:
    """'/', a space and U+FEFF: how each character is named to a person."""
    names = [
        "a space" if c == " " else repr(c) if c.isprintable() else _char_name(c) for c in chars
    ]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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
