"""Compressed snapshots (x.jsonl.gz, .xz, .bz2) are read as streams: the same papers and index
as the plain file, the file's own size and sha256 in the manifest, progress counted in bytes on
disk, and a damaged stream named with its fix."""

import bz2
import gzip
import hashlib
import lzma

import pytest
from test_snapshot import CORPUS, write_jsonl

from sovereign.errors import InputFileError
from sovereign.search.snapshot import load_snapshot
from sovereign.search.snapshot_build import build_index
from sovereign.search.snapshot_files import INDEX_FILES, is_snapshot_file, snapshot_files

COMPRESS = {".gz": gzip.compress, ".xz": lzma.compress, ".bz2": bz2.compress}


def compressed(tmp_path, suffix, name="snap.jsonl"):
    plain = write_jsonl(tmp_path / "plain" / name, CORPUS)
    path = tmp_path / "packed" / f"{name}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(COMPRESS[suffix](plain.read_bytes()))
    return plain, path


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
def test_a_compressed_snapshot_indexes_to_the_plain_files_bytes(tmp_path, suffix):
    plain, packed = compressed(tmp_path, suffix)
    built = build_index(plain, tmp_path / "a")
    packed_built = build_index(packed, tmp_path / "b")
    # the same search files; papers.bin, its spans and index.json name the file each came from
    for name in set(INDEX_FILES) - {"papers.bin", "paper_span.npy", "index.json"}:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert packed_built["papers"] == built["papers"] == len(CORPUS)
    [described] = packed_built["snapshot"]["files"]
    assert described == {
        "name": packed.name,
        "bytes": packed.stat().st_size,
        "sha256": hashlib.sha256(packed.read_bytes()).hexdigest(),
    }
    papers, refs = load_snapshot(packed)
    assert [p["arxiv_id"] for p in papers] == [p["arxiv_id"] for p in load_snapshot(plain)[0]]
    assert refs[0] == f"{packed.name}:1"


def test_directories_take_compressed_files_beside_plain_ones(tmp_path):
    _plain, packed = compressed(tmp_path, ".xz", name="a.jsonl")
    write_jsonl(packed.parent / "b.ndjson", CORPUS[:1])
    (packed.parent / "notes.txt.gz").write_bytes(gzip.compress(b"not a snapshot"))
    (packed.parent / "SOURCE.md").write_text("about")
    assert [f.name for f in snapshot_files(packed.parent)] == ["a.jsonl.xz", "b.ndjson"]
    assert is_snapshot_file(packed) and not is_snapshot_file(packed.parent / "notes.txt.gz")


def test_progress_counts_bytes_on_disk_up_to_the_whole_file(tmp_path):
    # many records so the build reports along the way; xz makes them far fewer bytes on disk
    records = [dict(CORPUS[i % 5], id=f"2501.{i:05d}") for i in range(400)]
    plain = write_jsonl(tmp_path / "s.jsonl", records)
    packed = tmp_path / "s.jsonl.xz"
    packed.write_bytes(lzma.compress(plain.read_bytes()))
    assert packed.stat().st_size < plain.stat().st_size / 5
    lines = []
    build_index(packed, tmp_path / "index", chunk_records=50, progress=lines.append)
    shares = [float(line.split("]")[1].split("%")[0]) for line in lines if line.startswith("[")]
    assert len(shares) >= 2 and shares == sorted(shares) and shares[-1] == 100.0
    assert "left" in lines[0]  # the ETA


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
def test_a_cut_off_stream_is_named_with_its_fix(tmp_path, suffix):
    _plain, packed = compressed(tmp_path, suffix)
    packed.write_bytes(packed.read_bytes()[: packed.stat().st_size // 2])
    with pytest.raises(InputFileError) as err:
        build_index(packed, tmp_path / "index")
    assert str(packed) in err.value.message
    assert "damaged or cut off" in err.value.message
    assert "download or copy the file again" in err.value.message
    assert not (tmp_path / "index" / "index.json").exists()
