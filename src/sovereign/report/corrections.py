"""Append-only correction records (contract `correction-record-v1`), one JSON-lines file a question.

A published record is never rewritten: a change appends a correction. Each line carries its
sequence number and the sha256 of the line before it, so an edited or deleted line breaks the
chain and is refused with the line named, rather than silently changing history. Dates are given
by whoever appends (no clock), so the record built from the file is byte-identical on every run.

    python -m sovereign.corrections add corrections/<question_id>.jsonl \
        --date 2026-08-01 --kind erratum --summary "Reference 3 was a preprint of reference 2."
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InputFileError, SovereignError
from ..io import write_atomic

CONTRACT = "correction-record-v1"
KINDS = ("erratum", "clarification", "retraction", "gate2")
GENESIS = "0" * 64
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\+00:00|Z))?$")
FIX = (
    "corrections are append-only: restore the file from version control (or the published "
    "record) and append a new correction with `python -m sovereign.corrections add`"
)


def _lines(text: str) -> list[str]:
    """Lines split at newline only: a summary may hold U+2028 and friends, which
    str.splitlines() would treat as line breaks."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def head_sha256(path: str | Path | None) -> str:
    """The sha256 of the file's last line (GENESIS when empty): a record quotes it, so even an
    edit of the last correction shows against the published record."""
    if path is None or not Path(path).exists():
        return GENESIS
    lines = _lines(Path(path).read_text(encoding="utf-8"))
    return hashlib.sha256(lines[-1].encode("utf-8")).hexdigest() if lines else GENESIS


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def read_corrections(path: str | Path | None) -> list[dict[str, Any]]:
    """The corrections of a file, checked: consecutive seq, an unbroken hash chain, known kinds."""
    if path is None or not Path(path).exists():
        return []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputFileError(str(path), f"not readable ({err})", FIX) from None
    entries = []
    previous = GENESIS
    for number, line in enumerate(_lines(text), start=1):
        where = f"{path}, line {number}"
        try:
            entry = json.loads(line)
        except ValueError:
            raise InputFileError(where, "not a JSON object", FIX) from None
        problem = _problem(entry, number, previous)
        if problem:
            raise InputFileError(where, problem, FIX)
        entries.append(entry)
        previous = hashlib.sha256(line.encode("utf-8")).hexdigest()
    return entries


def _valid_date(value: Any) -> bool:
    """YYYY-MM-DD, or a UTC time; both must exist on the calendar and the clock."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False  # 2026-02-30, 25:99:99
    return True


def _problem(entry: Any, number: int, previous: str) -> str | None:
    if not isinstance(entry, dict):
        return "not a JSON object"
    missing = [k for k in ("seq", "date", "kind", "summary", "prev_sha256") if k not in entry]
    if missing:
        return f"missing {', '.join(missing)}"
    if entry["seq"] != number:
        return f"seq is {entry['seq']!r}, expected {number} (a line was removed or reordered)"
    if entry["prev_sha256"] != previous:
        return "does not chain to the line before it (an earlier line was edited)"
    if entry["kind"] not in KINDS:
        return f"kind {entry['kind']!r} is not one of {', '.join(KINDS)}"
    if not _valid_date(entry["date"]):
        return f"date {entry['date']!r} is not YYYY-MM-DD (or an ISO time in UTC)"
    if not isinstance(entry["summary"], str) or not entry["summary"].strip():
        return "summary is empty"
    if entry["kind"] == "gate2":
        return _gate2_problem(entry.get("details"))
    if "details" in entry and not isinstance(entry["details"], dict):
        return "details is not a JSON object"
    return None


GATE2_STATUSES = ("VERIFIED", "FAILED", "UNVERIFIED")


def _gate2_problem(details: Any) -> str | None:
    """A Gate 2 verdict must say its status and when it was evaluated."""
    if not isinstance(details, dict):
        return "a gate2 correction needs details {status, evaluated}"
    if details.get("status") not in GATE2_STATUSES:
        return f"gate2 status {details.get('status')!r} is not one of {', '.join(GATE2_STATUSES)}"
    if not _valid_date(details.get("evaluated")):
        return f"gate2 evaluated {details.get('evaluated')!r} is not an ISO date or UTC time"
    return None


def check_published(path: str | Path, record_path: str | Path) -> None:
    """The corrections a published record counted must still be there, unchanged: the record
    quotes the sha256 of its last correction, which catches an edit of the last line too."""
    try:
        published = json.loads(Path(record_path).read_text(encoding="utf-8"))["correction_record"]
        count, head = int(published["count"]), published["head_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return  # no readable published record: nothing to hold the file to
    if count == 0:
        return
    lines = _lines(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else []
    if len(lines) < count:
        raise InputFileError(
            str(path),
            f"{record_path} counts {count} corrections but the file holds {len(lines)}",
            FIX,
        )
    if hashlib.sha256(lines[count - 1].encode("utf-8")).hexdigest() != head:
        raise InputFileError(
            f"{path}, line {count}",
            f"differs from the correction {record_path} published (its sha256 changed)",
            FIX,
        )


def append_correction(
    path: str | Path, *, date: str, kind: str, summary: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Check the file, then append one correction chained to its last line (atomically)."""
    path = Path(path)
    entries = read_corrections(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = _lines(text)
    previous = hashlib.sha256(lines[-1].encode("utf-8")).hexdigest() if lines else GENESIS
    entry: dict[str, Any] = {
        "seq": len(entries) + 1,
        "date": date,
        "kind": kind,
        "summary": summary.strip(),
        "prev_sha256": previous,
    }
    if details:
        entry["details"] = details
    problem = _problem(entry, entry["seq"], previous)
    if problem:
        fix = "give --date as YYYY-MM-DD, one of the kinds, and a non-empty --summary"
        if kind == "gate2":
            fix += " (a gate2 correction also needs details {status, evaluated})"
        raise InputFileError(str(path), f"the new correction is invalid: {problem}", fix)
    write_atomic(path, ("".join(f"{line}\n" for line in lines) + _line(entry) + "\n").encode())
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sovereign.corrections")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="append a correction to a question's file")
    add.add_argument("file", help="corrections/<question_id>.jsonl")
    add.add_argument("--date", required=True, help="YYYY-MM-DD, the correction's date")
    # gate2 verdicts are appended by Gate 2 itself, with their details
    add.add_argument("--kind", required=True, choices=[k for k in KINDS if k != "gate2"])
    add.add_argument("--summary", required=True)
    check = sub.add_parser("check", help="check a file's chain")
    check.add_argument("file")
    args = parser.parse_args(argv)
    try:
        if args.command == "add":
            entry = append_correction(
                args.file, date=args.date, kind=args.kind, summary=args.summary
            )
            print(f"{args.file}: correction {entry['seq']} appended")
        elif not Path(args.file).exists():
            raise InputFileError(args.file, "no such file", "check the path")
        else:
            print(f"{args.file}: {len(read_corrections(args.file))} corrections, chain intact")
    except SovereignError as err:
        print(f"sovereign: {err.message}", file=sys.stderr)
        return 1
    return 0


def correction_files(
    directory: str | Path,
    question_ids: Iterable[str],
    results: str | Path,
    check_records: bool = True,
) -> tuple[dict[str, str], list[str]]:
    """({question_id: file}, warnings) for a run, every file's chain checked before any job
    starts. With `check_records` (the process that plans the run, not each cluster job), the
    corrections every published record counted must still be there, unchanged: an edited last
    line or a deleted file is refused too."""
    known = sorted(set(question_ids))
    files: dict[str, str] = {}
    warnings = []
    for path in sorted(Path(directory).glob("*.jsonl")):
        if path.stem not in known:
            warnings.append(f"{path}: no question {path.stem!r} in the sheet; file not used")
            continue
        read_corrections(path)
        files[path.stem] = str(path)
    if check_records:
        for qid in known:
            record = Path(results) / qid / "record.json"
            if record.exists():
                check_published(files.get(qid, Path(directory) / f"{qid}.jsonl"), record)
    return files, warnings
