"""The question sheet (config/questions.tsv): UTF-8 TSV with a header, checked row by row
against config/schemas/questions.schema.yaml, every error naming the line and column.
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contracts import (
    MAX_QUESTION_ID_CHARS,
    QUESTION_ID_CHARS,
    QUESTION_ID_RULE,
    Question,
)
from ..errors import ConfigError
from ..text.normalize import collapse_whitespace
from ..text.question import has_search_terms

if TYPE_CHECKING:
    from jsonschema import ValidationError
from .messages import show

QUESTION_COLUMNS = ("question_id", "question", "as_of")


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


def sheet_text(rows: list[tuple[str, str, str]]) -> str:
    """A question sheet of (question_id, question, as_of) rows, as read_questions reads it."""
    lines = ["question_id\tquestion\tas_of"]
    lines += ["\t".join(_cell(value) for value in row) for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    """A TSV field as the sheet reader wants it (quoted when it holds a tab, newline or quote)."""
    if any(c in value for c in "\t\n\r") or value.startswith('"'):
        return '"' + value.replace('"', '""') + '"'
    return value


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
            return f"{show(value)} holds {_char_list(bad)}", f"use only {QUESTION_ID_RULE}"
        if len(value) > MAX_QUESTION_ID_CHARS:
            return (
                f"{show(value)} is {len(value)} characters long",
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
        return f"{show(value)} is not a date written YYYY-MM-DD", "write it as YYYY-MM-DD"
    return f"{show(value)} is not valid: {err.schema.get('description', err.message)}", (
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
