"""The record page's SVG figures: well-formed, self-contained, drawn to scale, escaped,
byte-deterministic, and still drawn (with a message) when there is nothing to show."""

from __future__ import annotations

import json
import math
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sovereign.report.dotplot import confidence_plot
from sovereign.report.figures import funnel, tribunal_chart
from sovereign.report.histogram import score_histogram
from support.processes import stdout_under_hash_seeds

NS = "{http://www.w3.org/2000/svg}"

NASTY = "a <b> & \"c\" 'd' ]]> \x00\x07e"  # markup, quotes, a CDATA end and XML-illegal controls
NASTY_CLEAN = "a <b> & \"c\" 'd' ]]> e"  # what survives: everything but the control characters

TRIBUNAL_ROWS = [
    ("SKEPTIC", 0, 5.5),
    ("VALIDATOR", 0, 7.0),
    ("SYNTHESIZER", 0, 6.0),
    ("OVERALL", 0, 6.2),
    ("SKEPTIC", 1, 7.5),
    ("VALIDATOR", 1, 8.0),
    ("SYNTHESIZER", 1, 7.0),
    ("OVERALL", 1, 7.6),
]


def _samples() -> dict[str, str]:
    """One of each figure, with awkward data; the subprocess determinism check rebuilds these."""
    rng = random.Random(7)
    scores = [round(rng.random() ** 3 * 0.6, 4) for _ in range(200)]
    points = [(f"C{i}", round(rng.random(), 2) if i % 4 else 0.0, i % 3 == 0) for i in range(90)]
    roles = [f"role-{i}" for i in range(12)]  # more distinct strings for hashing to reorder
    return {
        "funnel": funnel(
            [("hits", 1234), ("deduplicated", 1100), ("kept", 140), ("claims", 312), ("v", 0)],
            "Funnel",
        ),
        "histogram": score_histogram(scores, [s >= 0.15 for s in scores], 0.15, "Scores"),
        "confidence": confidence_plot(points, "Confidence"),
        "tribunal": tribunal_chart(TRIBUNAL_ROWS, 6.5, "Tribunal"),
        "tribunal_many": tribunal_chart(
            [(r, k, (i * 7 + k) % 11) for i, r in enumerate(roles) for k in (2, 0, 1)], 6.5, "T"
        ),
        "empty": funnel([], "E")
        + score_histogram([], [], 0.15, "E")
        + confidence_plot([], "E")
        + tribunal_chart([], 6.5, "E"),
    }


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def elements(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    found = root.iter(f"{NS}{tag}")
    return [e for e in found if cls is None or cls in e.get("class", "").split()]


def texts(root: ET.Element, cls: str | None = None) -> list[str]:
    return ["".join(e.itertext()) for e in elements(root, "text", cls)]


def text_at(root: ET.Element, content: str) -> ET.Element:
    """The one <text> element that reads `content`."""
    hits = [e for e in elements(root, "text") if "".join(e.itertext()) == content]
    assert len(hits) == 1, (content, texts(root))
    return hits[0]


def tooltips(root: ET.Element) -> list[str]:
    """The <title> texts below the root's own."""
    return [e.text or "" for e in list(root.iter(f"{NS}title"))[1:]]


def num(element: ET.Element, attribute: str) -> float:
    return float(element.get(attribute))


# --- every figure -------------------------------------------------------------------------------


ALL = {
    "funnel": lambda: funnel([("hits", 10), ("kept", 3)], "F"),
    "histogram": lambda: score_histogram([0.1, 0.2], [False, True], 0.15, "H"),
    "confidence": lambda: confidence_plot([("C1", 0.4, True), ("C2", 0.6, False)], "C"),
    "tribunal": lambda: tribunal_chart(TRIBUNAL_ROWS, 6.5, "T"),
    "funnel-empty": lambda: funnel([], "F"),
    "histogram-empty": lambda: score_histogram([], [], 0.15, "H"),
    "confidence-empty": lambda: confidence_plot([], "C"),
    "tribunal-empty": lambda: tribunal_chart([], 6.5, "T"),
}
COORDINATE = re.compile(
    r'\s(?:x|y|x1|x2|y1|y2|cx|cy|r|width|height|stroke-width)="(-?\d+(?:\.\d+)?)"'
)


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_figure_is_a_self_contained_accessible_svg(name):
    svg = ALL[name]()
    root = parse(svg)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" ')
    assert root.get("class") == "figure"
    assert root.get("role") == "img"
    assert root.get("aria-label") == {"h": "H", "f": "F", "c": "C", "t": "T"}[name[0]]
    _, _, width, height = root.get("viewBox").split()
    assert width == "640" and float(height) > 100
    assert root[0].tag == f"{NS}title" and root[0].text == root.get("aria-label")
    assert "system-ui" in root.get("font-family")
    # Nothing that could fetch, run or collide with the page around it.
    for element in root.iter():
        assert element.tag.split("}")[1] not in {
            "script",
            "style",
            "image",
            "use",
            "a",
            "foreignObject",
        }
        assert "id" not in element.attrib
        for attribute, value in element.attrib.items():
            assert (
                "href" not in attribute and "url(" not in value and not attribute.startswith("on")
            )
    assert svg.count("http") == 1  # the xmlns, nothing else
    assert not re.search(r'="[^"]*(nan|inf)', svg.lower())  # no NaN/inf coordinates
    # Every length in one format: at most one decimal.
    for value in COORDINATE.findall(svg):
        assert re.fullmatch(r"-?\d+(\.\d)?", value), value


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: funnel([], "Q"), "no stages"),
        (lambda: score_histogram([], [], 0.15, "Q"), "no papers"),
        (lambda: confidence_plot([], "Q"), "no claims"),
        (lambda: tribunal_chart([], 6.5, "Q"), "no scores"),
    ],
)
def test_empty_input_draws_a_frame_and_a_centred_message(make, message):
    root = parse(make())
    (note,) = elements(root, "text", "empty")
    assert note.text == message and note.get("text-anchor") == "middle"
    assert num(note, "x") == 320.0
    (frame,) = elements(root, "rect", "frame")
    assert num(frame, "y") < num(note, "y") < num(frame, "y") + num(frame, "height")
    assert not elements(root, "rect", "bar") and not elements(root, "circle")
    assert "Q" in texts(root)  # the title is still shown


# --- 1. funnel ----------------------------------------------------------------------------------


def test_funnel_bars_are_proportional_and_labelled():
    stages = [("hits", 1234), ("deduplicated", 1100), ("kept", 140), ("claims", 312), ("ok", 0)]
    root = parse(funnel(stages, "Funnel"))
    bars = elements(root, "rect", "bar")
    assert len(bars) == len(stages)
    widths = [num(b, "width") for b in bars]
    full = max(widths)
    assert widths[0] == full > 300  # the largest stage fills the width
    for (_, count), w in zip(stages, widths, strict=True):
        assert w == pytest.approx(full * count / 1234, abs=0.051)
    assert widths[-1] == 0.0
    assert len({num(b, "x") for b in bars}) == 1  # one common baseline
    ys = [num(b, "y") for b in bars]
    assert ys == sorted(ys)  # top to bottom in the given order
    assert texts(root, "label") == [name for name, _ in stages]
    assert texts(root, "value") == ["1,234", "1,100", "140", "312", "0"]
    # Each count sits just past its own bar's end, so a zero still shows its "0".
    for bar, value in zip(bars, elements(root, "text", "value"), strict=True):
        assert num(value, "x") == pytest.approx(num(bar, "x") + num(bar, "width") + 6, abs=0.11)
    assert tooltips(root) == [f"{name}: {count:,}" for name, count in stages]


def test_funnel_of_all_zero_stages_and_bad_counts():
    root = parse(funnel([("hits", 0), ("kept", 0)], "F"))
    assert [num(b, "width") for b in elements(root, "rect", "bar")] == [0.0, 0.0]
    assert texts(root, "value") == ["0", "0"]
    with pytest.raises(ValueError, match="negative"):
        funnel([("hits", -1)], "F")


def test_funnel_shortens_a_long_label_on_the_drawing_only():
    name = "a stage with a very long name indeed, longer than the column"
    root = parse(funnel([(name, 5)], "F"))
    (label,) = texts(root, "label")
    assert label.endswith("\u2026") and len(label) <= 26 and name.startswith(label[:-1])
    assert tooltips(root) == [f"{name}: 5"]


# --- 2. score histogram -------------------------------------------------------------------------


def axis_mapping(root: ET.Element, lo_label: str, hi_label: str, attribute: str):
    """The pixel positions of two tick labels: the axis's own scale, read off the drawing."""
    return num(text_at(root, lo_label), attribute), num(text_at(root, hi_label), attribute)


def test_histogram_counts_stack_and_threshold_sits_on_the_scale():
    scores = [0.01, 0.02, 0.049, 0.12, 0.199, 0.3, 0.31]  # bins by floor, not by rounding
    kept = [False, False, False, True, True, True, False]
    root = parse(score_histogram(scores, kept, 0.15, "Scores", bins=7))
    # Default x_max: 10% above the top score (0.31 -> 0.341), rounded up to 0.05.
    x0, x1 = axis_mapping(root, "0.00", "0.35", "x")
    assert texts(root, "value") and sum(int(t) for t in texts(root, "value")) == len(scores)
    # Bins of 0.05: [0, .05) holds 3 dropped, [.1, .15) 1 kept, [.15, .2) 1 kept, [.3, .35) 1 + 1.
    assert tooltips(root) == [
        "0.00\u20130.05: 0 kept, 3 dropped",
        "0.10\u20130.15: 1 kept, 0 dropped",
        "0.15\u20130.20: 1 kept, 0 dropped",
        "0.30\u20130.35: 1 kept, 1 dropped",
    ]
    kept_bars = elements(root, "rect", "kept")
    dropped_bars = elements(root, "rect", "dropped")
    assert (len(kept_bars), len(dropped_bars)) == (3, 2)
    assert kept_bars[0].get("fill") != dropped_bars[0].get("fill")
    # Heights are counts on one scale; the last bin stacks dropped on top of kept.
    unit = num(kept_bars[0], "height")
    assert num(dropped_bars[0], "height") == pytest.approx(3 * unit, abs=0.11)
    last_kept, last_dropped = kept_bars[-1], dropped_bars[-1]
    assert num(last_dropped, "height") == pytest.approx(unit, abs=0.11)
    assert num(last_dropped, "y") + num(last_dropped, "height") == pytest.approx(
        num(last_kept, "y"), abs=0.11
    )
    # A bar starts at its bin's left edge and is one bin (less a 1 px gap) wide.
    assert num(last_kept, "x") == pytest.approx(x0 + 0.30 / 0.35 * (x1 - x0) + 0.5, abs=0.11)
    assert num(last_kept, "width") == pytest.approx((x1 - x0) / 7 - 1, abs=0.11)
    (line,) = elements(root, "line", "threshold")
    assert line.get("stroke-dasharray")
    expected = x0 + 0.15 / 0.35 * (x1 - x0)
    assert num(line, "x1") == num(line, "x2") == pytest.approx(expected, abs=0.051)
    assert texts(root, "threshold-label") == ["threshold 0.15"]
    assert {"kept", "dropped", "TF-IDF score", "papers"} <= set(texts(root))


def test_histogram_score_on_a_bin_edge_goes_to_the_bin_it_starts():
    # 0.3 / 0.05 and 0.15 / 0.05 are just under 6 and 3 in floating point.
    root = parse(score_histogram([0.3, 0.15], [True, True], 0.15, "H", bins=20, x_max=1.0))
    assert tooltips(root) == [
        "0.15\u20130.20: 1 kept, 0 dropped",
        "0.30\u20130.35: 1 kept, 0 dropped",
    ]


def test_histogram_default_range_covers_the_threshold():
    root = parse(score_histogram([0.01, 0.02], [False, False], 0.15, "H"))
    # max(0.02, 0.15) * 1.1 = 0.165 -> 0.2
    x0, x1 = axis_mapping(root, "0.00", "0.20", "x")
    (line,) = elements(root, "line", "threshold")
    assert num(line, "x1") == pytest.approx(x0 + 0.75 * (x1 - x0), abs=0.051)


def test_histogram_explicit_range_counts_overflow_in_the_last_bin():
    root = parse(score_histogram([0.1, 0.9, 1.5], [False, True, True], 0.5, "H", 4, 1.0))
    assert tooltips(root) == [
        "0.00\u20130.25: 0 kept, 1 dropped",
        "0.75\u20131.00: 2 kept, 0 dropped",
    ]
    assert "1 above 1, counted in the last bin" in texts(root)
    off = parse(score_histogram([0.1], [False], 2.0, "H", x_max=1.0))
    assert not elements(off, "line", "threshold")
    assert texts(off, "threshold-label") == ["threshold 2 (off scale)"]


def test_histogram_rejects_mismatched_or_bad_input():
    with pytest.raises(ValueError, match="2 scores but 1 kept"):
        score_histogram([0.1, 0.2], [True], 0.15, "H")
    with pytest.raises(ValueError, match="finite"):
        score_histogram([math.nan], [True], 0.15, "H")
    with pytest.raises(ValueError, match="bins"):
        score_histogram([0.1], [True], 0.15, "H", bins=0)


# --- 3. confidence plot -------------------------------------------------------------------------


def test_confidence_dots_one_per_claim_at_their_value():
    points = [("C1", 0.0, True), ("C2", 0.25, False), ("C3", 0.5, True), ("C4", 1.0, False)]
    points += [("C5", 0.73, False)]
    root = parse(confidence_plot(points, "Confidence"))
    dots = elements(root, "circle")
    assert len(dots) == len(points)
    assert len(elements(root, "circle", "verified")) == 2
    assert len(elements(root, "circle", "unverified")) == 3
    x0, x1 = axis_mapping(root, "0.0", "1.0", "x")
    by_id = {}
    for dot in dots:
        claim, value = dot.find(f"{NS}title").text.split(": ")
        by_id[claim] = (dot, float(value))
    assert sorted(by_id) == ["C1", "C2", "C3", "C4", "C5"]
    for claim, confidence, verified in points:
        dot, shown = by_id[claim]
        assert shown == confidence
        assert num(dot, "cx") == pytest.approx(x0 + confidence * (x1 - x0), abs=0.051)
        assert ("verified" if verified else "unverified") in dot.get("class").split()
    # Verified dots are filled, the others open: the rows differ in shape as well as colour.
    fills = {d.get("fill") for d in elements(root, "circle", "unverified")}
    assert fills == {"#FFFFFF"}
    assert "#FFFFFF" not in {d.get("fill") for d in elements(root, "circle", "verified")}
    verified_y = {num(d, "cy") for d in elements(root, "circle", "verified")}
    unverified_y = {num(d, "cy") for d in elements(root, "circle", "unverified")}
    assert max(verified_y) < min(unverified_y)  # verified row above
    assert {"verified", "not verified", "n = 2", "n = 3", "confidence"} <= set(texts(root))
    assert texts(root, "median-label") == ["median 0.25", "median 0.73"]


def test_confidence_stacks_colliding_dots_without_overlap():
    points = [(f"C{i}", 0.5, True) for i in range(5)] + [("D", 0.505, True), ("E", 0.9, True)]
    root = parse(confidence_plot(points, "C"))
    dots = elements(root, "circle")
    centres = [(num(d, "cx"), num(d, "cy")) for d in dots]
    radius = num(dots[0], "r")
    for i, a in enumerate(centres):
        for b in centres[i + 1 :]:
            assert math.dist(a, b) >= 2 * radius
    *column, late, lone = centres  # C0-C4 at 0.5, D at 0.505, E alone at 0.9
    row = lone[1]  # a dot with room stays on the row's line
    assert len({cx for cx, _ in column}) == 1
    # Stacked about the line in the order 0, +1, -1, +2, -2 (up first), one diameter plus 1 apart.
    step = 2 * radius + 1
    assert [cy for _, cy in column] == [row + k * step for k in (0, -1, 1, -2, 2)]
    # D is too close to the column for any of those levels, so it takes the next one up.
    assert late[1] == row - 3 * step


def test_confidence_squeezes_a_tall_stack_into_its_band():
    points = [(f"C{i:03d}", 0.0, False) for i in range(150)]
    svg = confidence_plot(points, "C")
    root = parse(svg)
    dots = elements(root, "circle")
    assert len(dots) == 150
    assert len({num(d, "cy") for d in dots}) == 150  # all distinct, none dropped
    height = float(root.get("viewBox").split()[3])
    assert height < 400 and all(0 < num(d, "cy") < height for d in dots)


def test_confidence_layout_ignores_input_order_and_clamps_out_of_range():
    points = [(f"C{i}", (i * 37 % 100) / 100, i % 2 == 0) for i in range(60)]
    shuffled = points[:]
    random.Random(3).shuffle(shuffled)
    assert confidence_plot(points, "C") == confidence_plot(shuffled, "C")
    root = parse(confidence_plot([("hi", 1.2, True), ("lo", -0.1, False)], "C"))
    x0, x1 = axis_mapping(root, "0.0", "1.0", "x")
    hi, lo = elements(root, "circle")
    assert (num(hi, "cx"), num(lo, "cx")) == (x1, x0)
    assert tooltips(root)[-2:] == ["hi: 1.200", "lo: -0.100"]
    with pytest.raises(ValueError, match="finite"):
        confidence_plot([("C1", math.inf, True)], "C")


# --- 4. tribunal chart --------------------------------------------------------------------------


def test_tribunal_bars_per_role_and_round_with_threshold_line():
    root = parse(tribunal_chart(TRIBUNAL_ROWS, 6.5, "Tribunal"))
    bars = elements(root, "rect", "bar")
    assert len(bars) == len(TRIBUNAL_ROWS)
    y0, y10 = axis_mapping(root, "0", "10", "y")
    baseline = y0
    for bar in bars:
        assert num(bar, "y") + num(bar, "height") == pytest.approx(baseline, abs=0.11)
    by_tooltip = {}
    for group in elements(root, "g", "score"):
        (bar,) = elements(group, "rect", "bar")
        by_tooltip[group.find(f"{NS}title").text] = bar
    for role, round_, score in TRIBUNAL_ROWS:
        bar = by_tooltip[f"{role}, round {round_}: {score:.1f}"]
        assert num(bar, "height") == pytest.approx(score / 10 * (y0 - y10), abs=0.11)
        assert f"round-{round_}" in bar.get("class").split()
    # One colour per round, shown in the legend; roles left to right in first-seen order.
    round0 = {b.get("fill") for b in elements(root, "rect", "round-0")}
    round1 = {b.get("fill") for b in elements(root, "rect", "round-1")}
    assert len(round0) == len(round1) == 1 and round0 != round1
    assert {"round 0", "round 1"} <= set(texts(root))
    labels = elements(root, "text", "label")
    assert [e.text for e in labels] == ["SKEPTIC", "VALIDATOR", "SYNTHESIZER", "OVERALL"]
    assert [num(e, "x") for e in labels] == sorted(num(e, "x") for e in labels)
    # Round 0 left of round 1 within each role.
    score_of = {(role, round_): score for role, round_, score in TRIBUNAL_ROWS}
    for role in ("SKEPTIC", "VALIDATOR", "SYNTHESIZER", "OVERALL"):
        left = by_tooltip[f"{role}, round 0: {score_of[(role, 0)]:.1f}"]
        right = by_tooltip[f"{role}, round 1: {score_of[(role, 1)]:.1f}"]
        assert num(left, "x") < num(right, "x")
    assert sorted(texts(root, "value")) == sorted(f"{s:.1f}" for _, _, s in TRIBUNAL_ROWS)
    (line,) = elements(root, "line", "threshold")
    assert line.get("stroke-dasharray")
    expected = y0 + 0.65 * (y10 - y0)
    assert num(line, "y1") == num(line, "y2") == pytest.approx(expected, abs=0.051)
    assert "threshold" in texts(root, "threshold-label") and "6.5" in texts(root)


def test_tribunal_value_labels_clear_the_threshold_line():
    root = parse(tribunal_chart([("A", 0, 6.4), ("B", 0, 6.0), ("C", 0, 9.0)], 6.5, "T"))
    (line,) = elements(root, "line", "threshold")
    for label in elements(root, "text", "value"):
        assert abs(num(label, "y") - num(line, "y1")) >= 8


def test_tribunal_gaps_duplicates_and_out_of_range():
    root = parse(tribunal_chart([("A", 0, 5.0), ("B", 1, 12.0), ("A", 1, -1.0)], 6.5, "T"))
    bars = elements(root, "rect", "bar")
    assert len(bars) == 3  # B has no round-0 bar: a gap, not a zero
    y0, y10 = axis_mapping(root, "0", "10", "y")
    heights = sorted(num(b, "height") for b in bars)
    assert heights == [0.0, pytest.approx(0.5 * (y0 - y10), abs=0.11), y0 - y10]
    assert sorted(texts(root, "value")) == ["-1.0", "12.0", "5.0"]
    with pytest.raises(ValueError, match="given twice"):
        tribunal_chart([("A", 0, 5.0), ("A", 0, 6.0)], 6.5, "T")
    off = parse(tribunal_chart([("A", 0, 5.0)], 11.0, "T"))
    assert not elements(off, "line", "threshold")
    assert texts(off, "threshold-label") == ["threshold 11 (off scale)"]


# --- text, ids, determinism ---------------------------------------------------------------------


def test_every_caller_string_is_escaped():
    made = {
        "funnel": funnel([(NASTY, 3)], NASTY),
        "histogram": score_histogram([0.2], [True], 0.15, NASTY),
        "confidence": confidence_plot([(NASTY, 0.5, True)], NASTY),
        "tribunal": tribunal_chart([(NASTY, 0, 7.0)], 6.5, NASTY),
        "empty": confidence_plot([], NASTY),
    }
    for name, svg in made.items():
        root = parse(svg)  # well-formed despite the markup
        assert root.get("aria-label") == NASTY_CLEAN, name
        assert root[0].text == NASTY_CLEAN, name
        assert NASTY_CLEAN in texts(root, "figure-title"), name
        assert "<b>" not in svg and "\x00" not in svg, name
    assert tooltips(parse(made["funnel"]))[0] == f"{NASTY_CLEAN}: 3"
    assert texts(parse(made["funnel"]), "label") == [NASTY_CLEAN]
    assert tooltips(parse(made["confidence"])) == [f"{NASTY_CLEAN}: 0.500"]
    assert f"{NASTY_CLEAN}, round 0: 7.0" in tooltips(parse(made["tribunal"]))


def test_prefix_gives_unique_ids_for_aria():
    a = parse(funnel([("hits", 1)], "F", prefix="q1-funnel"))
    b = parse(tribunal_chart(TRIBUNAL_ROWS, 6.5, "T", prefix="q1-tribunal"))
    ids_a = [e.get("id") for e in a.iter() if e.get("id")]
    ids_b = [e.get("id") for e in b.iter() if e.get("id")]
    assert ids_a == ["q1-funnel-title", "q1-funnel-desc"]
    assert not set(ids_a) & set(ids_b)
    assert a.get("aria-labelledby") == "q1-funnel-title" and a.get("aria-label") is None
    assert a.get("aria-describedby") == "q1-funnel-desc"
    assert a.find(f"{NS}title").get("id") == "q1-funnel-title"
    for bad in ("", "1abc", 'x" onload="y', "a b"):
        with pytest.raises(ValueError, match="prefix"):
            confidence_plot([], "C", prefix=bad)


def test_output_is_byte_identical_across_hash_seeds():
    here = _samples()
    assert here == _samples()
    code = (
        "import sys, json, test_figures; "
        "sys.stdout.write(json.dumps(test_figures._samples(), sort_keys=True))"
    )
    for seed, out in stdout_under_hash_seeds(code, Path(__file__).parent).items():
        assert json.loads(out) == here, seed
