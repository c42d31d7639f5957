"""Gaps in a question's stage files: a missing file under files made from it is a gap (and a
failed run removes those), a missing file beside one made side by side with it is not."""

from __future__ import annotations

from sovereign.contracts import STAGE_FILES
from sovereign.run.leftovers import gaps, remove_orphans


def results(tmp_path, missing):
    for name in STAGE_FILES:
        if name not in missing:
            path = tmp_path / "q1" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")
    return tmp_path


def test_a_missing_stage_under_later_ones_is_a_gap_and_its_later_files_are_removed(tmp_path):
    root = results(tmp_path, {"filtered.parquet"})
    assert gaps(root, ["q1"]) == [root / "q1" / "filtered.parquet"]
    removed = remove_orphans(root, ["q1"])
    assert root / "q1" / "sections.parquet" in removed
    assert root / "q1" / "raw.parquet" not in removed
    assert gaps(root, ["q1"]) == []


def test_embeddings_and_sections_are_made_side_by_side_not_one_from_the_other(tmp_path):
    # the embed job failed while the fulltext job finished: sections stays, nothing later exists
    root = results(
        tmp_path, set(STAGE_FILES[STAGE_FILES.index("embeddings.parquet") :]) - {"sections.parquet"}
    )
    assert gaps(root, ["q1"]) == []
    assert remove_orphans(root, ["q1"]) == []
    assert (root / "q1" / "sections.parquet").exists()
    # and the other way round
    other = results(tmp_path / "b", set(STAGE_FILES[STAGE_FILES.index("sections.parquet") :]))
    assert gaps(other, ["q1"]) == []


def test_a_missing_stage_under_both_side_by_side_files_is_still_a_gap(tmp_path):
    root = results(tmp_path, {"embeddings.parquet"})  # claims and later were made from it
    assert gaps(root, ["q1"]) == [root / "q1" / "embeddings.parquet"]
    assert root / "q1" / "claims.parquet" in remove_orphans(root, ["q1"])
    assert (root / "q1" / "sections.parquet").exists()
