"""A schema's complaint said as one sentence and its fix, naming the file that set the value.

jsonschema speaks of regular expressions and Python reprs; a person wrote YAML. These turn one
validation error into (where, problem, fix): the key's dotted path, the highest-precedence source
that set it (`--config`, an overlay, config/config.yaml), the value as YAML writes it, and what
the schema allows, in words.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import ValidationError


def dotted(path: Iterable[Any]) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def explain(error: ValidationError) -> tuple[list[Any], str, str]:
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
            f"{show(error.instance)} is not a mapping",
            f"write it as a mapping with keys: {keys}",
        )
    if error.validator == "enum":
        options = ", ".join(map(str, error.validator_value))
        return path, f"{show(error.instance)} is not one of {options}", f"use one of: {options}"
    return path, _problem(error, schema), fix_for(schema)


def fix_for(schema: dict[str, Any]) -> str:
    fix = f"use {_rule_text(schema)}"
    if schema.get("description"):
        fix += f" ({schema['description']})"
    return fix


def _problem(error: ValidationError, schema: dict[str, Any]) -> str:
    """jsonschema's complaint in a user's words: YAML spellings, no regular expressions."""
    shown = show(error.instance)
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


def show(value: Any) -> str:
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
    "^all$": "the word all",
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
    if schema.get("pattern") and isinstance(kind, list) and "integer" in kind:
        # a word or a count (fulltext.second_look: all, or a number)
        numbers = _rule_text(
            {k: v for k, v in schema.items() if k != "pattern"} | {"type": "integer"}
        )
        return f"{_pattern_text(schema['pattern'])}, or {numbers}"
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


def schema_at(schema: dict[str, Any], path: Sequence[Any]) -> dict[str, Any]:
    for part in path:
        schema = schema.get("properties", {}).get(part, {})
    return schema


def origin(path: Sequence[Any], sources: Sequence[tuple[str, dict]]) -> str:
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
