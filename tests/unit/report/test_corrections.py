"""Append-only correction records: a hash chain that refuses edited, deleted or reordered lines
with the file and line named, a published record's count and head hash that catch what the chain
cannot (the last line edited or removed), and a CLI that says so in one message (no traceback)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from sovereign.errors import InputFileError
from sovereign.report.corrections import (
    FIX,
    GENESIS,
    append_correction,
    check_published,
    correction_files,
    head_sha256,
    main,
    read_corrections,
)

FIRST = "Reference 3 was a preprint of reference 2."
SECOND = "The memory figure is for BookSum chapters, not whole books."
THIRD = "Claim 2401.00001#2 is withdrawn."
VERIFIED = {"status": "VERIFIED", "evaluated": "2026-08-02T10:00:00Z"}


def sha(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def line_of(entry: dict) -> str:
    """A line as the module writes it: sorted keys, compact separators, UTF-8."""
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@pytest.fixture
def three(tmp_path):
    """A file of three chained corrections."""
    path = tmp_path / "corrections" / "q1.jsonl"
    append_correction(path, date="2026-08-01", kind="erratum", summary=FIRST)
    append_correction(path, date="2026-08-02", kind="clarification", summary=SECOND)
    append_correction(path, date="2026-08-03T10:00:00Z", kind="retraction", summary=THIRD)
    return path


def lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def write_lines(path, items: list[str]) -> None:
    path.write_text("".join(f"{x}\n" for x in items), encoding="utf-8")


def refused(path, line: int, problem: str) -> InputFileError:
    with pytest.raises(InputFileError) as caught:
        read_corrections(path)
    err = caught.value
    assert err.where == f"{path}, line {line}"
    assert problem in err.problem
    assert err.fix == FIX
    assert err.message.startswith(f"{path}, line {line}: ")
    assert "corrections are append-only" in err.message
    return err


# --- appending ----------------------------------------------------------------------------------


def test_first_correction_has_seq_1_and_chains_to_genesis(tmp_path):
    path = tmp_path / "corrections" / "q1.jsonl"  # the folder does not exist yet
    entry = append_correction(path, date="2026-08-01", kind="erratum", summary=f"  {FIRST}\n")
    expected = {
        "seq": 1,
        "date": "2026-08-01",
        "kind": "erratum",
        "summary": FIRST,  # stripped
        "prev_sha256": GENESIS,
    }
    assert entry == expected
    assert GENESIS == "0" * 64
    # The exact bytes: one sorted, compact JSON object a line, newline-terminated.
    assert (
        path.read_bytes()
        == (
            '{"date":"2026-08-01","kind":"erratum","prev_sha256":"' + "0" * 64 + '","seq":1,'
            '"summary":"Reference 3 was a preprint of reference 2."}\n'
        ).encode()
    )
    assert read_corrections(path) == [expected]


def test_second_correction_chains_to_the_first_line(tmp_path):
    path = tmp_path / "q1.jsonl"
    append_correction(path, date="2026-08-01", kind="erratum", summary=FIRST)
    first_line = lines(path)[0]
    entry = append_correction(
        path, date="2026-08-02", kind="erratum", summary=SECOND, details={"claims": ["a#1"]}
    )
    assert entry["seq"] == 2
    assert entry["prev_sha256"] == sha(first_line)
    assert entry["details"] == {"claims": ["a#1"]}
    assert lines(path) == [first_line, line_of(entry)]
    assert [e["seq"] for e in read_corrections(path)] == [1, 2]


def test_chain_of_three_reads_back(three):
    entries = read_corrections(three)
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert [e["kind"] for e in entries] == ["erratum", "clarification", "retraction"]
    raw = lines(three)
    assert entries[1]["prev_sha256"] == sha(raw[0])
    assert entries[2]["prev_sha256"] == sha(raw[1])


def test_a_missing_file_has_no_corrections(tmp_path):
    assert read_corrections(tmp_path / "none.jsonl") == []
    assert read_corrections(None) == []


def test_file_bytes_are_deterministic(tmp_path):
    def build(folder):
        path = folder / "q.jsonl"
        append_correction(path, date="2026-08-01", kind="erratum", summary=FIRST)
        append_correction(
            path,
            date="2026-08-02",
            kind="gate2",
            summary="Überprüft: π ≈ 3.14",
            details={"status": "VERIFIED", "evaluated": "2026-08-02", "note": "ø"},
        )
        return path.read_bytes()

    one, two = build(tmp_path / "a"), build(tmp_path / "b")
    assert one == two
    assert "Überprüft: π ≈ 3.14".encode() in one  # UTF-8 as written, not \u escapes
    # details too, with sorted keys
    assert '"details":{"evaluated":"2026-08-02","note":"ø","status":"VERIFIED"}'.encode() in one


def test_appending_keeps_earlier_lines_byte_for_byte(three):
    before = three.read_bytes()
    append_correction(three, date="2026-09-01", kind="erratum", summary="One more.")
    after = three.read_bytes()
    assert after.startswith(before)
    assert after.count(b"\n") == 4


# --- refusing a changed history -----------------------------------------------------------------


def test_editing_an_earlier_line_breaks_the_chain_at_the_next(three):
    raw = lines(three)
    raw[0] = raw[0].replace("preprint", "reprint")
    write_lines(three, raw)
    refused(three, 2, "does not chain to the line before it (an earlier line was edited)")


def test_editing_a_middle_line_is_named_by_the_line_after_it(three):
    raw = lines(three)
    entry = json.loads(raw[1])
    entry["date"] = "2026-07-01"
    raw[1] = line_of(entry)
    write_lines(three, raw)
    refused(three, 3, "does not chain")


def test_deleting_the_first_line_is_refused(three):
    write_lines(three, lines(three)[1:])
    refused(three, 1, "seq is 2, expected 1 (a line was removed or reordered)")


def test_deleting_a_middle_line_is_refused(three):
    raw = lines(three)
    write_lines(three, [raw[0], raw[2]])
    refused(three, 2, "seq is 3, expected 2")


def test_reordering_lines_is_refused(three):
    raw = lines(three)
    write_lines(three, [raw[0], raw[2], raw[1]])
    refused(three, 2, "seq is 3, expected 2 (a line was removed or reordered)")


def test_renumbering_after_a_deletion_still_breaks_the_chain(three):
    raw = lines(three)
    entry = json.loads(raw[2])
    entry["seq"] = 2
    write_lines(three, [raw[0], line_of(entry)])
    refused(three, 2, "does not chain")


def test_appending_to_a_broken_file_is_refused_and_changes_nothing(three):
    raw = lines(three)
    write_lines(three, [raw[1], raw[2]])
    before = three.read_bytes()
    with pytest.raises(InputFileError) as caught:
        append_correction(three, date="2026-09-01", kind="erratum", summary="More.")
    assert caught.value.where == f"{three}, line 1"
    assert three.read_bytes() == before


def _chained(*entries: dict) -> list[str]:
    """Lines for `entries` with seq and prev_sha256 filled in correctly."""
    out, previous = [], GENESIS
    for n, entry in enumerate(entries, start=1):
        text = line_of({"seq": n, "prev_sha256": previous, **entry})
        out.append(text)
        previous = sha(text)
    return out


GOOD = {"date": "2026-08-01", "kind": "erratum", "summary": FIRST}


@pytest.mark.parametrize(
    "bad, problem",
    [
        ({**GOOD, "kind": "typo"}, "kind 'typo' is not one of erratum, clarification"),
        ({**GOOD, "date": "01/08/2026"}, "date '01/08/2026' is not YYYY-MM-DD"),
        (
            {**GOOD, "date": "2026-08-01T10:00:00+02:00"},
            "is not YYYY-MM-DD (or an ISO time in UTC)",
        ),
        ({**GOOD, "date": 20260801}, "date 20260801 is not YYYY-MM-DD"),
        ({**GOOD, "summary": "   "}, "summary is empty"),
        ({**GOOD, "summary": None}, "summary is empty"),
        ({"date": "2026-08-01", "kind": "erratum"}, "missing summary"),
    ],
)
def test_a_bad_line_with_an_intact_chain_is_refused(tmp_path, bad, problem):
    path = tmp_path / "q.jsonl"
    write_lines(path, _chained(GOOD, bad))
    refused(path, 2, problem)


@pytest.mark.parametrize("text", ["not json", "", "[1, 2]", '"a string"'])
def test_a_line_that_is_no_json_object_is_refused(tmp_path, text):
    path = tmp_path / "q.jsonl"
    write_lines(path, [*_chained(GOOD), text])
    refused(path, 2, "not a JSON object")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_bytes(b"\xff\xfe\x00garbage\n")
    with pytest.raises(InputFileError) as caught:
        read_corrections(path)
    assert caught.value.where == str(path)
    assert "not readable" in caught.value.problem
    assert "corrections are append-only" in caught.value.message


@pytest.mark.parametrize(
    "field, value, problem",
    [
        ("kind", "typo", "kind 'typo' is not one of"),
        ("date", "2026-8-1", "date '2026-8-1' is not YYYY-MM-DD"),
        ("summary", "  \n ", "summary is empty"),
    ],
)
def test_appending_an_invalid_correction_is_refused_and_writes_nothing(
    three, field, value, problem
):
    before = three.read_bytes()
    args = {"date": "2026-09-01", "kind": "erratum", "summary": "Fine."}
    args[field] = value
    with pytest.raises(InputFileError) as caught:
        append_correction(three, **args)
    assert caught.value.where == str(three)
    assert caught.value.problem.startswith("the new correction is invalid: ")
    assert problem in caught.value.problem
    assert three.read_bytes() == before


def test_an_invalid_first_correction_creates_no_file(tmp_path):
    path = tmp_path / "q.jsonl"
    with pytest.raises(InputFileError):
        append_correction(path, date="soon", kind="erratum", summary=FIRST)
    assert not path.exists()


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_summary_with_a_unicode_line_separator_reads_back(tmp_path, separator):
    path = tmp_path / "q.jsonl"
    append_correction(path, date="2026-08-01", kind="erratum", summary=f"one{separator}two")
    assert read_corrections(path)[0]["summary"] == f"one{separator}two"


# --- details, and Gate 2's verdicts -------------------------------------------------------------

GATE2 = {"date": "2026-08-02", "kind": "gate2", "summary": "Sandbox replay reproduced it."}


@pytest.mark.parametrize("status", ["VERIFIED", "FAILED", "UNVERIFIED"])
@pytest.mark.parametrize(
    "evaluated", ["2026-08-02", "2026-08-02T10:00:00Z", "2026-08-02T10:00:00+00:00"]
)
def test_a_gate2_verdict_with_status_and_evaluated_reads_back(tmp_path, status, evaluated):
    path = tmp_path / "q.jsonl"
    details = {"status": status, "evaluated": evaluated}
    write_lines(path, _chained(GOOD, {**GATE2, "details": details}))
    assert read_corrections(path)[1]["details"] == details


@pytest.mark.parametrize(
    "details, problem",
    [
        (None, "a gate2 correction needs details {status, evaluated}"),
        ("VERIFIED", "a gate2 correction needs details {status, evaluated}"),
        (["VERIFIED", "2026-08-02"], "a gate2 correction needs details {status, evaluated}"),
        (
            {"evaluated": "2026-08-02"},
            "gate2 status None is not one of VERIFIED, FAILED, UNVERIFIED",
        ),
        ({**VERIFIED, "status": "PASSED"}, "gate2 status 'PASSED' is not one of VERIFIED, FAILED"),
        ({**VERIFIED, "status": "verified"}, "gate2 status 'verified' is not one of"),
        ({"status": "FAILED"}, "gate2 evaluated None is not an ISO date or UTC time"),
        ({**VERIFIED, "evaluated": "2026-02-30"}, "gate2 evaluated '2026-02-30' is not an ISO"),
        ({**VERIFIED, "evaluated": "yesterday"}, "gate2 evaluated 'yesterday' is not an ISO"),
        (
            {**VERIFIED, "evaluated": "2026-08-02T10:00:00+02:00"},
            "gate2 evaluated '2026-08-02T10:00:00+02:00' is not an ISO date or UTC time",
        ),
        ({**VERIFIED, "evaluated": 20260802}, "gate2 evaluated 20260802 is not an ISO"),
        (
            {**VERIFIED, "evaluated": "2026-08-02T25:99:99Z"},
            "gate2 evaluated '2026-08-02T25:99:99Z' is not an ISO date or UTC time",
        ),
    ],
)
def test_a_gate2_verdict_without_valid_details_is_refused(tmp_path, details, problem):
    path = tmp_path / "q.jsonl"
    entry = dict(GATE2) if details is None else {**GATE2, "details": details}
    write_lines(path, _chained(GOOD, entry))
    refused(path, 2, problem)


@pytest.mark.parametrize("details", [["a#1"], "a#1", None, 3])
def test_other_kinds_details_must_be_a_json_object(tmp_path, details):
    path = tmp_path / "q.jsonl"
    write_lines(path, _chained({**GOOD, "details": details}))
    refused(path, 1, "details is not a JSON object")


def test_other_kinds_need_no_details_and_may_carry_any_object(tmp_path):
    path = tmp_path / "q.jsonl"
    write_lines(path, _chained(GOOD, {**GOOD, "kind": "retraction", "details": {"why": [1]}}))
    assert [e.get("details") for e in read_corrections(path)] == [None, {"why": [1]}]


def test_appending_a_gate2_verdict_checks_its_details(three):
    before = three.read_bytes()
    with pytest.raises(InputFileError) as caught:
        append_correction(three, date="2026-09-01", kind="gate2", summary="Replayed.")
    assert caught.value.problem == (
        "the new correction is invalid: a gate2 correction needs details {status, evaluated}"
    )
    with pytest.raises(InputFileError, match="gate2 status 'OK' is not one of"):
        append_correction(
            three, date="2026-09-01", kind="gate2", summary="Replayed.", details={"status": "OK"}
        )
    assert three.read_bytes() == before
    entry = append_correction(
        three, date="2026-09-01", kind="gate2", summary="Replayed.", details=VERIFIED
    )
    assert (entry["seq"], entry["details"]) == (4, VERIFIED)
    assert read_corrections(three)[-1] == entry


# --- the published record holds the file to what it counted -------------------------------------


def publish(path, record_path, count=None, head=None):
    """A results/<qid>/record.json that counted the file's first `count` lines (all of them by
    default) and quoted the sha256 of the last of them."""
    raw = lines(path) if path.exists() else []
    count = len(raw) if count is None else count
    if head is None:
        head = sha(raw[count - 1]) if count else GENESIS
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record = {"id": "SRCH:00000000", "correction_record": {"count": count, "head_sha256": head}}
    record_path.write_text(json.dumps(record), encoding="utf-8")
    return record_path


def refused_by_record(path, record_path, where: str, problem: str) -> InputFileError:
    with pytest.raises(InputFileError) as caught:
        check_published(path, record_path)
    err = caught.value
    assert err.where == where
    assert problem in err.problem and str(record_path) in err.problem
    assert err.fix == FIX
    return err


def test_head_sha256_is_the_hash_of_the_last_line(three, tmp_path):
    assert head_sha256(three) == sha(lines(three)[-1])
    assert head_sha256(str(three)) == sha(lines(three)[-1])
    assert head_sha256(None) == GENESIS
    assert head_sha256(tmp_path / "none.jsonl") == GENESIS
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert head_sha256(empty) == GENESIS
    # the last line as split at newline only, whatever Unicode separators a summary holds
    odd = tmp_path / "odd.jsonl"
    append_correction(odd, date="2026-08-01", kind="erratum", summary="one\u2028two")
    assert head_sha256(odd) == sha(odd.read_text(encoding="utf-8").rstrip("\n"))


def test_the_published_corrections_unchanged_pass(three, tmp_path):
    record = publish(three, tmp_path / "results" / "q1" / "record.json")
    assert check_published(three, record) is None
    # corrections appended since publication are what the file is for
    append_correction(three, date="2026-09-01", kind="erratum", summary="One more.")
    assert check_published(three, record) is None
    # a record published before any correction holds the file to nothing
    assert check_published(three, publish(three, tmp_path / "r0.json", count=0)) is None


def test_editing_the_last_published_line_is_caught_by_the_record(three, tmp_path):
    record = publish(three, tmp_path / "record.json")
    raw = lines(three)
    entry = json.loads(raw[2])
    entry["summary"] = "Claim 2401.00001#2 stands."  # the chain cannot see an edit of its end
    write_lines(three, [raw[0], raw[1], line_of(entry)])
    assert len(read_corrections(three)) == 3
    err = refused_by_record(three, record, f"{three}, line 3", "differs from the correction")
    assert err.problem == (f"differs from the correction {record} published (its sha256 changed)")
    assert err.message.startswith(f"{three}, line 3: ")
    assert "append a new correction" in err.message


def test_an_edited_counted_line_is_caught_even_with_later_lines(three, tmp_path):
    # The record counted 2; line 2 edited and line 3 re-chained onto it: the chain is intact.
    record = publish(three, tmp_path / "record.json", count=2)
    raw = lines(three)
    second = json.loads(raw[1])
    second["summary"] = "Something else."
    third = json.loads(raw[2])
    third["prev_sha256"] = sha(line_of(second))
    write_lines(three, [raw[0], line_of(second), line_of(third)])
    assert len(read_corrections(three)) == 3
    refused_by_record(three, record, f"{three}, line 2", "differs from the correction")


def test_removing_published_lines_is_caught_by_the_record(three, tmp_path):
    record = publish(three, tmp_path / "record.json")
    write_lines(three, lines(three)[:2])  # the last line dropped: the chain is still intact
    assert len(read_corrections(three)) == 2
    err = refused_by_record(three, record, str(three), "counts 3 corrections but the file holds 2")
    assert err.problem == f"{record} counts 3 corrections but the file holds 2"
    write_lines(three, [])
    refused_by_record(three, record, str(three), "counts 3 corrections but the file holds 0")


def test_a_head_hash_that_names_another_line_is_refused(three, tmp_path):
    # counted 3, but the head quoted is line 2's: line 3 is not what was published
    record = publish(three, tmp_path / "record.json", count=3, head=sha(lines(three)[1]))
    refused_by_record(three, record, f"{three}, line 3", "differs from the correction")


@pytest.mark.parametrize(
    "text",
    [
        None,  # no record yet: the question was never published
        "not json",
        "[]",
        '{"id": "SRCH:00000000"}',
        '{"correction_record": {"count": "many", "head_sha256": "x"}}',
        '{"correction_record": {"head_sha256": "x"}}',
        '{"correction_record": null}',
    ],
)
def test_no_readable_published_record_holds_the_file_to_nothing(three, tmp_path, text):
    record = tmp_path / "results" / "q1" / "record.json"
    if text is not None:
        record.parent.mkdir(parents=True)
        record.write_text(text, encoding="utf-8")
    write_lines(three, lines(three)[:1])  # would be refused by a record counting 3
    assert check_published(three, record) is None


# --- the files of a run -------------------------------------------------------------------------


def test_correction_files_of_known_questions_and_a_warning_for_the_rest(tmp_path):
    folder = tmp_path / "corrections"
    for name in ("q2", "q1", "stray"):
        append_correction(
            folder / f"{name}.jsonl", date="2026-08-01", kind="erratum", summary=FIRST
        )
    (folder / "notes.txt").write_text("not a correction file", encoding="utf-8")
    write_lines(folder / "old.jsonl", ["not json"])  # unknown: warned about, never read
    files, warnings = correction_files(folder, ["q1", "q2", "q3"], tmp_path / "results")
    assert files == {"q1": str(folder / "q1.jsonl"), "q2": str(folder / "q2.jsonl")}
    assert list(files) == ["q1", "q2"]  # sorted: the same on every run
    assert warnings == [
        f"{folder / 'old.jsonl'}: no question 'old' in the sheet; file not used",
        f"{folder / 'stray.jsonl'}: no question 'stray' in the sheet; file not used",
    ]
    # no folder (or an empty one): nothing to use, nothing to warn about
    assert correction_files(tmp_path / "none", ["q1"], tmp_path / "results") == ({}, [])


def test_correction_files_refuse_a_broken_chain_before_any_job(three):
    raw = lines(three)
    write_lines(three, [raw[0], raw[2]])
    with pytest.raises(InputFileError) as caught:
        correction_files(three.parent, ["q1"], three.parent / "results")
    assert caught.value.where == f"{three}, line 2"


def test_correction_files_hold_each_file_to_its_published_record(three, tmp_path):
    results = tmp_path / "results"
    publish(three, results / "q1" / "record.json")
    assert correction_files(three.parent, ["q1"], results) == ({"q1": str(three)}, [])
    write_lines(three, lines(three)[:2])
    with pytest.raises(InputFileError) as caught:
        correction_files(three.parent, ["q1"], results)
    assert caught.value.where == str(three)
    assert "counts 3 corrections but the file holds 2" in caught.value.problem
    # another question's record does not hold this file
    assert correction_files(three.parent, ["q1"], tmp_path / "elsewhere")[0] == {"q1": str(three)}


def test_deleting_a_published_corrections_file_is_refused(three, tmp_path):
    """The record counted corrections; the file is gone: a retraction must not vanish silently."""
    results = tmp_path / "results"
    publish(three, results / "q1" / "record.json")
    three.unlink()
    with pytest.raises(InputFileError) as caught:
        correction_files(three.parent, ["q1"], results)
    assert caught.value.where == str(three)
    assert "counts 3 corrections but the file holds 0" in caught.value.problem
    assert caught.value.fix == FIX
    # a cluster job (not the planning process) does not read the published records
    assert correction_files(three.parent, ["q1"], results, check_records=False) == ({}, [])
    # a record that counted none holds no file to anything
    publish(three, results / "q1" / "record.json", count=0)
    assert correction_files(three.parent, ["q1"], results) == ({}, [])


# --- the command line ---------------------------------------------------------------------------


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sovereign.corrections", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_cli_add_then_check(tmp_path):
    path = tmp_path / "corrections" / "q1.jsonl"
    first = cli("add", str(path), "--date", "2026-08-01", "--kind", "erratum", "--summary", FIRST)
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == f"{path}: correction 1 appended\n"
    second = cli(
        "add", str(path), "--date", "2026-08-02", "--kind", "clarification", "--summary", SECOND
    )
    assert second.returncode == 0
    assert second.stdout == f"{path}: correction 2 appended\n"

    check = cli("check", str(path))
    assert (check.returncode, check.stderr) == (0, "")
    assert check.stdout == f"{path}: 2 corrections, chain intact\n"

    # The CLI writes the same bytes as the library.
    other = tmp_path / "lib.jsonl"
    append_correction(other, date="2026-08-01", kind="erratum", summary=FIRST)
    append_correction(other, date="2026-08-02", kind="clarification", summary=SECOND)
    assert path.read_bytes() == other.read_bytes()


def test_cli_check_of_an_edited_file_fails_with_one_message(three):
    raw = lines(three)
    raw[0] = raw[0].replace("preprint", "reprint")
    write_lines(three, raw)
    proc = cli("check", str(three))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    problem, fix = proc.stderr.rstrip("\n").split("\n")
    assert problem == (
        f"sovereign: {three}, line 2: does not chain to the line before it "
        "(an earlier line was edited)"
    )
    assert fix == f"  fix: {FIX}"


def test_cli_add_to_a_broken_file_fails_and_leaves_it_alone(three):
    write_lines(three, lines(three)[1:])
    before = three.read_bytes()
    proc = cli("add", str(three), "--date", "2026-09-01", "--kind", "erratum", "--summary", "x")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"sovereign: {three}, line 1: seq is 2, expected 1")
    assert proc.stderr.count("sovereign:") == 1
    assert three.read_bytes() == before


def test_cli_add_with_a_bad_date_fails_without_traceback(tmp_path):
    path = tmp_path / "q.jsonl"
    proc = cli("add", str(path), "--date", "tomorrow", "--kind", "erratum", "--summary", FIRST)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(
        f"sovereign: {path}: the new correction is invalid: date 'tomorrow' is not YYYY-MM-DD"
    )
    assert not path.exists()


def test_cli_rejects_an_unknown_kind_as_a_usage_error(tmp_path):
    path = tmp_path / "q.jsonl"
    proc = cli("add", str(path), "--date", "2026-08-01", "--kind", "typo", "--summary", FIRST)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "invalid choice: 'typo'" in proc.stderr
    assert not path.exists()


def test_cli_does_not_offer_gate2(tmp_path):
    """Gate 2 appends its own verdicts, with the details a person would not type."""
    path = tmp_path / "q.jsonl"
    proc = cli("add", str(path), "--date", "2026-08-01", "--kind", "gate2", "--summary", FIRST)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "invalid choice: 'gate2'" in proc.stderr
    assert "'erratum', 'clarification', 'retraction'" in proc.stderr
    assert not path.exists()
    with pytest.raises(SystemExit) as caught:
        main(["add", str(path), "--date", "2026-08-01", "--kind", "gate2", "--summary", FIRST])
    assert caught.value.code == 2
    assert not path.exists()


def test_main_returns_exit_codes_in_process(three, capsys):
    assert main(["check", str(three)]) == 0
    assert capsys.readouterr().out == f"{three}: 3 corrections, chain intact\n"
    write_lines(three, lines(three)[::-1])
    assert main(["check", str(three)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"sovereign: {three}, line 1: seq is 3, expected 1")
