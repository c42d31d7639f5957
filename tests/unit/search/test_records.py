import json
from datetime import UTC, datetime

import pytest

from sovereign.search.records import from_json, id_month, iso_utc, paper_date, parse_arxiv_id
from support.paths import SHARED_DATA, requires_shared


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2503.11731", ("2503.11731", None)),
        ("http://arxiv.org/abs/2303.11436v2", ("2303.11436", "2303.11436v2")),
        ("https://arxiv.org/pdf/2104.12255v1", ("2104.12255", "2104.12255v1")),
        ("arXiv:0704.0001", ("0704.0001", None)),
        ("hep-ex/0406020v1", ("hep-ex/0406020", "hep-ex/0406020v1")),
        ("http://arxiv.org/abs/astro-ph/0601001", ("astro-ph/0601001", None)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
        ("not an id", None),
        ("None", None),
    ],
)
def test_arxiv_ids_in_every_spelling(raw, expected):
    assert parse_arxiv_id(raw) == expected


def test_timestamps_normalise_to_utc_z():
    assert iso_utc("2021-03-26T18:01:48+00:00") == "2021-03-26T18:01:48Z"
    assert iso_utc("2023-03-20T20:28:26Z") == "2023-03-20T20:28:26Z"
    assert iso_utc("Mon, 2 Apr 2007 19:18:42 GMT") == "2007-04-02T19:18:42Z"
    assert iso_utc("2008-11-26") == "2008-11-26T00:00:00Z"
    assert iso_utc(datetime(2020, 1, 1, 12, tzinfo=UTC)) == "2020-01-01T12:00:00Z"
    assert iso_utc("None") is None and iso_utc("garbage") is None


def test_id_month_for_new_and_old_ids():
    assert id_month("2503.11731") == "2025-03"
    assert id_month("hep-ex/0406020") == "2004-06"
    assert id_month("astro-ph/9912001") == "1999-12"


KAGGLE = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger and C.-P. Yuan",
    "title": "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC",
    "comments": "37 pages, 15 figures; published version",
    "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009",
    "categories": "hep-ph hep-ex",
    "abstract": "  A fully differential calculation\nis presented. $\\ell_1$ too.\n",
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-26",
}


def test_kaggle_snapshot_record():
    paper = from_json(KAGGLE)
    assert paper["arxiv_id"] == "0704.0001" and paper["arxiv_id_versioned"] == "0704.0001v2"
    assert paper["title"].endswith("at Tevatron and LHC")  # wrapped title joined
    assert paper["abstract"] == "A fully differential calculation is presented. $\\ell_1$ too."
    assert paper["authors"] == ["C. Balázs", "E. L. Berger", "C.-P. Yuan"]
    assert paper["categories"] == ["hep-ph", "hep-ex"] and paper["primary_category"] == "hep-ph"
    assert paper["published"] == "2007-04-02T19:18:42Z"
    assert paper["updated"] == "2007-07-24T20:10:27Z"
    assert paper["journal_ref"] == "Phys.Rev.D76:013009,2007"
    assert paper["comment"].startswith("37 pages")
    assert paper["links"] == ["https://arxiv.org/abs/0704.0001v2"]


def test_authors_parsed_wins_over_the_author_string():
    record = dict(KAGGLE, authors_parsed=[["Bal\\'azs", "C.", ""], ["Yuan", "C. -P.", "Jr"]])
    assert from_json(record)["authors"] == ["C. Balázs", "C. -P. Yuan Jr"]


def test_api_field_names_with_none_strings_and_term_objects():
    record = {
        "_key": "2303.11436",
        "id": "http://arxiv.org/abs/2303.11436v2",
        "title": "Mind meets machine",
        "authors": [{"name": "Sifatkaur Dhingra"}, "Manmeet Singh"],
        "summary": "  Cognitive psychology\ndelves.",
        "categories": [{"@term": "cs.CL", "@scheme": "x"}, {"@term": "cs.AI"}],
        "published": "2023-03-20T20:28:26Z",
        "updated": "2023-04-12T15:46:20Z",
        "doi": "None",
        "comment": "None",
        "journal_ref": "None",
        "links": [{"href": "http://arxiv.org/abs/2303.11436v2"}],
    }
    paper = from_json(record)
    assert paper["authors"] == ["Sifatkaur Dhingra", "Manmeet Singh"]
    assert paper["categories"] == ["cs.CL", "cs.AI"] and paper["primary_category"] == "cs.CL"
    assert paper["doi"] is None and paper["comment"] is None and paper["journal_ref"] is None
    assert paper["abstract"] == "Cognitive psychology delves."


def test_daily_listing_record_has_no_dates_but_a_month():
    record = {
        "id": "2503.11731",
        "pdf": "https://arxiv.org/pdf/2503.11731",
        "abs": "https://arxiv.org/abs/2503.11731",
        "authors": ["Xianming Zeng"],
        "title": "Industrial-Grade Sensor Simulation",
        "categories": ["cs.CV", "cs.RO"],
        "comment": None,
        "summary": "Sensor simulation\nis pivotal.",
    }
    paper = from_json(record)
    assert paper["published"] is None and paper_date(paper) == "2025-03-31"
    assert paper["links"] == [
        "https://arxiv.org/abs/2503.11731",
        "https://arxiv.org/pdf/2503.11731",
    ]


def test_record_without_an_id_is_skipped():
    assert from_json({"title": "no id"}) is None


@requires_shared
@pytest.mark.parametrize(
    "relative",
    [
        "arxiv_kaggle_sample/snapshot_head_0704.jsonl",
        "arxiv_kaggle_sample/unarxive_2212_086_metadata.jsonl",
        "arxiv_ml_stars/arxiv_metadata.jsonl",
        "arxiv_cs_daily/topic_moe_routing.jsonl",
    ],
)
def test_every_shared_record_reads(relative):
    lines = (SHARED_DATA / relative).read_text(encoding="utf-8").splitlines()
    papers = [from_json(json.loads(line)) for line in lines if line.strip()]
    assert papers and all(p is not None for p in papers)
    assert all(p["title"] and "\n" not in p["abstract"] for p in papers)
    assert all(p["doi"] != "None" and p["comment"] != "None" for p in papers)
