"""SVG figures for the per-question research record page: pure Python, no dependencies.

Each function returns one `<svg class="figure">` element as a string, made to be inlined into a
self-contained HTML page:

- nothing is fetched: no scripts, no links, no images, no web fonts (`system-ui, sans-serif`);
- no element ids, unless the caller passes `prefix` (then the only ids are `{prefix}-title` and
  `{prefix}-desc`, which `aria-labelledby`/`aria-describedby` point to), so several figures can
  share a page;
- every caller-given string is escaped, and characters XML cannot hold are dropped;
- the bytes are a function of the arguments alone: every coordinate goes through `_n` (one
  decimal), every order is the input's order or a sort, and nothing reads the clock or a hash.

Colours are the Okabe-Ito palette, which stays distinct under the common colour-vision
deficiencies, and no meaning rests on colour alone: bars carry labels, series have a legend,
verified dots are filled and unverified ones open. Every bar and dot has a `<title>` tooltip with
its exact value; long labels are shortened on the drawing, never in the tooltip.

Empty input draws the title, an empty frame and a centred message instead of raising.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

WIDTH = 640
FONT = "system-ui, sans-serif"

# Okabe & Ito (2008), "Color Universal Design". Yellow (#F0E442) is left out: too pale on white.
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
BLACK = "#000000"
SERIES = (ORANGE, BLUE, GREEN, PURPLE, VERMILLION, SKY_BLUE, BLACK)

INK = "#222222"
MUTED = "#555555"
GRID = "#DDDDDD"
FRAME = "#BBBBBB"

KEPT_COLOUR = BLUE
DROPPED_COLOUR = ORANGE
VERIFIED_COLOUR = GREEN
UNVERIFIED_COLOUR = VERMILLION

TRIBUNAL_MAX = 10.0

# Characters XML 1.0 cannot carry, even escaped (C0 controls but tab/newline/CR, lone surrogates).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


# --- numbers and text ---------------------------------------------------------------------------


def _n(x: float) -> str:
    """A coordinate or length: one decimal, never `-0.0`. The only way a position is written."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


def _fixed(x: float, places: int) -> str:
    """A value label with a fixed number of decimals, never a negative zero."""
    s = f"{x:.{places}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def _trim(x: float) -> str:
    """A parameter as people write it: 0.15, 6.5, 7 (at most three decimals)."""
    s = _fixed(x, 3).rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def _count(n: int) -> str:
    """A count with thousands separators (fixed, not locale-dependent)."""
    return f"{n:,}"


def _esc(text: object) -> str:
    """Text safe in element content and in double-quoted attributes."""
    return escape(_XML_ILLEGAL.sub("", str(text)), {'"': "&quot;"})


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters on the drawing; the tooltip keeps the whole string."""
    limit = max(limit, 2)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: int = 12,
    anchor: str = "start",
    fill: str = INK,
    bold: bool = False,
    cls: str | None = None,
    rotate: bool = False,
    halo: bool = False,
) -> str:
    """One line of text; `y` is its vertical centre. `rotate` turns it to read bottom-up; `halo`
    outlines it in white so that it stays legible where a line (a threshold) crosses it."""
    attrs = [f'x="{_n(x)}"', f'y="{_n(y)}"', 'dy="0.35em"', f'font-size="{size}"']
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    attrs.append(f'fill="{fill}"')
    if bold:
        attrs.append('font-weight="bold"')
    if cls:
        attrs.append(f'class="{cls}"')
    if halo:
        attrs.append(
            'stroke="#FFFFFF" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
        )
    if rotate:
        attrs.append(f'transform="rotate(-90 {_n(x)} {_n(y)})"')
    return f"<text {' '.join(attrs)}>{_esc(content)}</text>"


def _line(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    *,
    stroke: str = MUTED,
    width: float = 1.0,
    dash: str | None = None,
    cls: str | None = None,
) -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    extra += f' class="{cls}"' if cls else ""
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
        f'stroke="{stroke}" stroke-width="{_n(width)}"{extra}/>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, *, cls: str | None = None) -> str:
    extra = f' class="{cls}"' if cls else ""
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0.0))}" height="{_n(max(h, 0.0))}" '
        f'fill="{fill}"{extra}/>'
    )


def _scale(lo: float, hi: float, a: float, b: float) -> Callable[[float], float]:
    """Maps [lo, hi] linearly onto [a, b]."""
    span = hi - lo
    return lambda v: a + (v - lo) / span * (b - a)


# --- ticks --------------------------------------------------------------------------------------


def _nice_step(span: float, max_ticks: int) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that splits `span` into at most `max_ticks` steps."""
    raw = span / max_ticks
    power = 10.0 ** math.floor(math.log10(raw))
    for mantissa in (1.0, 2.0, 2.5, 5.0):
        step = round(mantissa * power, 12)
        if step >= raw * (1 - 1e-9):
            return step
    return round(10 * power, 12)


def _decimals(step: float) -> int:
    """Decimals that write every multiple of `step` exactly."""
    for places in range(7):
        if abs(round(step, places) - step) < 1e-9 * max(step, 1.0):
            return places
    return 6


def _ticks(hi: float, max_ticks: int) -> list[tuple[float, str]]:
    """Ticks 0, step, 2 step ... up to `hi`, with labels."""
    step = _nice_step(hi, max_ticks)
    places = _decimals(step)
    count = int(math.floor(hi / step + 1e-9))
    return [(round(i * step, 12), _fixed(i * step, places)) for i in range(count + 1)]


def _count_axis(largest: int, max_ticks: int = 5) -> tuple[int, int]:
    """An integer axis for counts up to `largest`: (top, step), the step 1, 2 or 5 x 10^k and
    the top the first multiple of it at or above `largest` (at least one step)."""
    power = 1
    while True:
        for mantissa in (1, 2, 5):
            step = mantissa * power
            if largest <= step * max_ticks:
                return max(step, -(-largest // step) * step), step
        power *= 10


# --- the svg element ----------------------------------------------------------------------------


def _open(title: str, height: float, desc: str, prefix: str | None) -> list[str]:
    """The root element, its <title> and <desc>, and the visible title at the top left."""
    if prefix is None:
        label = f'aria-label="{_esc(title)}"'
        head = [f"<title>{_esc(title)}</title>", f"<desc>{_esc(desc)}</desc>"]
    else:
        if not _ID_PREFIX.match(prefix):
            raise ValueError(
                f"figure id prefix {prefix!r} must start with a letter and hold only letters, "
                "digits, '-' and '_'"
            )
        label = f'aria-labelledby="{prefix}-title" aria-describedby="{prefix}-desc"'
        head = [
            f'<title id="{prefix}-title">{_esc(title)}</title>',
            f'<desc id="{prefix}-desc">{_esc(desc)}</desc>',
        ]
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="figure" viewBox="0 0 {WIDTH} '
        f'{_n(height)}" width="{WIDTH}" height="{_n(height)}" role="img" {label} '
        f'font-family="{FONT}" font-size="12">'
    )
    visible = _text(12, 20, _clip(title, 80), size=14, bold=True, cls="figure-title")
    return [
        root,
        *head,
        f'<rect x="0" y="0" width="{WIDTH}" height="{_n(height)}" fill="#FFFFFF"/>',
        visible,
    ]


def _close(parts: list[str]) -> str:
    return "\n".join([*parts, "</svg>"]) + "\n"


def _empty(title: str, message: str, prefix: str | None, height: float = 180.0) -> str:
    """The title, an empty frame and a centred message."""
    parts = _open(title, height, message, prefix)
    top, bottom = 36.0, height - 12.0
    parts.append(
        f'<rect x="12.0" y="{_n(top)}" width="{_n(WIDTH - 24)}" height="{_n(bottom - top)}" '
        f'fill="none" stroke="{FRAME}" stroke-dasharray="4 3" class="frame"/>'
    )
    parts.append(
        _text(
            WIDTH / 2,
            (top + bottom) / 2,
            message,
            size=13,
            anchor="middle",
            fill=MUTED,
            cls="empty",
        )
    )
    return _close(parts)


def _swatch_legend(x: float, y: float, entries: Sequence[tuple[str, str]]) -> list[str]:
    """A row of colour swatches with labels, starting at `x`, centred on `y`."""
    parts = ['<g class="legend">']
    for colour, label in entries:
        parts.append(_rect(x, y - 5, 10, 10, colour))
        parts.append(_text(x + 14, y, label, size=11))
        x += 14 + 7 * len(label) + 18
    parts.append("</g>")
    return parts


def _y_axis(
    x0: float,
    x1: float,
    y_of: Callable[[float], float],
    ticks: Sequence[tuple[float, str]],
    title: str,
    y_top: float,
    y_bottom: float,
) -> list[str]:
    """Gridlines with tick labels on the left, and the axis title read bottom-up."""
    parts = ['<g class="y-axis">']
    for value, label in ticks:
        y = y_of(value)
        parts.append(_line(x0, y, x1, y, stroke=GRID))
        parts.append(_text(x0 - 6, y, label, size=11, anchor="end", fill=MUTED))
    parts.append(_line(x0, y_top, x0, y_bottom, stroke=MUTED))
    parts.append(_text(16, (y_top + y_bottom) / 2, title, size=12, anchor="middle", rotate=True))
    parts.append("</g>")
    return parts


def _x_axis(
    y: float,
    x_of: Callable[[float], float],
    ticks: Sequence[tuple[float, str]],
    title: str,
    x0: float,
    x1: float,
    *,
    grid_top: float | None = None,
) -> list[str]:
    """The baseline with ticks and labels below, optional vertical gridlines, the axis title."""
    parts = ['<g class="x-axis">']
    for value, label in ticks:
        x = x_of(value)
        if grid_top is not None:
            parts.append(_line(x, grid_top, x, y, stroke=GRID))
        parts.append(_line(x, y, x, y + 4, stroke=MUTED))
        parts.append(_text(x, y + 13, label, size=11, anchor="middle", fill=MUTED))
    parts.append(_line(x0, y, x1, y, stroke=MUTED))
    parts.append(_text((x0 + x1) / 2, y + 32, title, size=12, anchor="middle"))
    parts.append("</g>")
    return parts


def _beside(at: float, half: float, line: float | None, toward: float = 0.0) -> float:
    """Where to centre a value label of half-size `half` wanted at `at` so that it clears a
    threshold line at `line`: unchanged when it already does, else moved just past the line on
    its own side (or on the side `toward` points to: -1 up/left, +1 down/right)."""
    if line is None or abs(at - line) >= half + 2:
        return at
    side = toward or (1.0 if at >= line else -1.0)
    return line + side * (half + 2)


def _finite(value: float, what: str) -> float:
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return value


# --- 1. funnel ----------------------------------------------------------------------------------

_FUNNEL_TOP = 40.0
_FUNNEL_ROW = 30.0
_FUNNEL_BAR = 20.0
_FUNNEL_X0 = 180.0
_FUNNEL_FULL = 380.0  # the largest stage's bar; its count label fits in the right margin


def funnel(stages: list[tuple[str, int]], title: str, *, prefix: str | None = None) -> str:
    """How many items survive each stage of the pipeline, as one horizontal bar per stage.

    Stages are drawn top to bottom in the given order (e.g. hits, deduplicated, kept, claims,
    verified). A bar's length is its count over the largest count (that stage fills the width);
    each bar is labelled with its stage on the left and its exact count at its end, so a stage
    with nothing left still shows a `0`.
    """
    if not stages:
        return _empty(title, "no stages", prefix)
    for name, count in stages:
        if count < 0:
            raise ValueError(f"funnel stage {name!r} has a negative count {count}")
    largest = max(count for _, count in stages)
    height = _FUNNEL_TOP + len(stages) * _FUNNEL_ROW + 34
    desc = "; ".join(f"{name}: {_count(count)}" for name, count in stages)
    parts = _open(title, height, desc, prefix)
    bottom = _FUNNEL_TOP + len(stages) * _FUNNEL_ROW
    for i, (name, count) in enumerate(stages):
        y = _FUNNEL_TOP + i * _FUNNEL_ROW + (_FUNNEL_ROW - _FUNNEL_BAR) / 2
        mid = y + _FUNNEL_BAR / 2
        width = _FUNNEL_FULL * count / largest if largest else 0.0
        parts.append(f'<g class="stage"><title>{_esc(name)}: {_count(count)}</title>')
        parts.append(_rect(_FUNNEL_X0, y, width, _FUNNEL_BAR, BLUE, cls="bar"))
        parts.append(_text(_FUNNEL_X0 - 8, mid, _clip(name, 26), anchor="end", cls="label"))
        parts.append(_text(_FUNNEL_X0 + width + 6, mid, _count(count), bold=True, cls="value"))
        parts.append("</g>")
    parts.append(_line(_FUNNEL_X0, _FUNNEL_TOP, _FUNNEL_X0, bottom, stroke=MUTED))
    parts.append(
        _text(
            _FUNNEL_X0,
            bottom + 16,
            "bar length: count, relative to the largest stage",
            size=11,
            fill=MUTED,
        )
    )
    return _close(parts)


# --- 2. score histogram -------------------------------------------------------------------------

_PLOT_X0 = 56.0
_PLOT_Y0 = 70.0  # below the title (y 20) and the legend row (y 44)
_PLOT_Y1 = 270.0


def _default_x_max(scores: Sequence[float], threshold: float) -> float:
    """10% above the larger of the top score and the threshold, rounded up to 0.05."""
    top = max(max(scores, default=0.0), threshold) * 1.1
    if top <= 0:
        return 1.0
    return round(math.ceil(round(top / 0.05, 9)) * 0.05, 10)


def score_histogram(
    scores: list[float],
    kept: list[bool],
    threshold: float,
    title: str,
    bins: int = 20,
    x_max: float | None = None,
    *,
    prefix: str | None = None,
    axis: str = "TF-IDF score",
) -> str:
    """How the candidate papers' relevance scores (TF-IDF by default; `axis` names the score)
    are spread, and where the cut fell.

    `bins` equal-width bins over [0, x_max] (by default 10% above the larger of the top score and
    the threshold, rounded up to 0.05). Each bin's bar stacks the papers that were kept (blue,
    bottom) under those dropped (orange, top) and is labelled with its total. A dashed vertical
    line marks the threshold. A score above `x_max` is counted in the last bin (and said so under
    the axis); one below 0 in the first.
    """
    if len(scores) != len(kept):
        raise ValueError(f"{len(scores)} scores but {len(kept)} kept flags")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    threshold = _finite(threshold, "threshold")
    values = [_finite(s, "a score") for s in scores]
    if not values:
        return _empty(title, "no papers", prefix)
    top = _default_x_max(values, threshold) if x_max is None else _finite(x_max, "x_max")
    if top <= 0:
        raise ValueError(f"x_max must be positive, got {top}")

    width = top / bins
    kept_n = [0] * bins
    dropped_n = [0] * bins
    above = 0
    for score, is_kept in zip(values, kept, strict=True):
        if score > top:
            above += 1
        # Rounded first, so that 0.3 / 0.05 = 5.999... lands in the bin that starts at 0.3.
        index = min(max(math.floor(round(score / width, 9)), 0), bins - 1)
        (kept_n if is_kept else dropped_n)[index] += 1

    x1 = WIDTH - 20.0
    x_of = _scale(0.0, top, _PLOT_X0, x1)
    y_top, y_step = _count_axis(max(k + d for k, d in zip(kept_n, dropped_n, strict=True)))
    y_of = _scale(0.0, y_top, _PLOT_Y1, _PLOT_Y0)
    height = _PLOT_Y1 + 62

    n_kept = sum(kept_n)
    desc = (
        f"{_count(len(values))} papers, {_count(n_kept)} kept and "
        f"{_count(len(values) - n_kept)} dropped; threshold {_trim(threshold)}"
    )
    parts = _open(title, height, desc, prefix)
    parts += _swatch_legend(_PLOT_X0, 44, [(KEPT_COLOUR, "kept"), (DROPPED_COLOUR, "dropped")])
    y_ticks = [(float(v), _count(v)) for v in range(0, y_top + 1, y_step)]
    parts += _y_axis(_PLOT_X0, x1, y_of, y_ticks, "papers", _PLOT_Y0, _PLOT_Y1)

    edge_places = min(max(_decimals(width), 2), 4)  # bin edges in tooltips
    bar_w = x_of(width) - x_of(0.0)
    gap = 1.0 if bar_w > 3 else 0.0
    on_scale = 0 <= threshold <= top
    tx = x_of(threshold) if on_scale else None
    value_labels: list[str] = []  # drawn last, over the threshold line
    for i in range(bins):
        k, d = kept_n[i], dropped_n[i]
        if k + d == 0:
            continue
        lo, hi = i * width, (i + 1) * width
        span = f"{_fixed(lo, edge_places)}\u2013{_fixed(hi, edge_places)}"
        x = x_of(lo) + gap / 2
        parts.append(f'<g class="bin"><title>{span}: {k} kept, {d} dropped</title>')
        if k:
            parts.append(
                _rect(x, y_of(k), bar_w - gap, y_of(0) - y_of(k), KEPT_COLOUR, cls="bar kept")
            )
        if d:
            parts.append(
                _rect(
                    x,
                    y_of(k + d),
                    bar_w - gap,
                    y_of(k) - y_of(k + d),
                    DROPPED_COLOUR,
                    cls="bar dropped",
                )
            )
        parts.append("</g>")
        text = _count(k + d)
        value_labels.append(
            _text(
                _beside(x_of(lo) + bar_w / 2, 3 * len(text) + 3, tx),
                y_of(k + d) - 7,
                text,
                size=10,
                anchor="middle",
                cls="value",
                halo=True,
            )
        )

    parts += _x_axis(_PLOT_Y1, x_of, _ticks(top, 10), axis, _PLOT_X0, x1)
    label = f"threshold {_trim(threshold)}"
    if tx is not None:
        parts.append(
            _line(
                tx, _PLOT_Y0 - 4, tx, _PLOT_Y1, stroke=INK, width=1.5, dash="5 3", cls="threshold"
            )
        )
        anchor, lx = ("start", tx + 4) if tx < x1 - 110 else ("end", tx - 4)
        parts.append(_text(lx, _PLOT_Y0 - 8, label, size=11, anchor=anchor, cls="threshold-label"))
    else:
        parts.append(
            _text(
                x1,
                _PLOT_Y0 - 8,
                f"{label} (off scale)",
                size=11,
                anchor="end",
                cls="threshold-label",
            )
        )
    parts += ['<g class="values">', *value_labels, "</g>"]
    if above:
        parts.append(
            _text(
                x1,
                height - 10,
                f"{_count(above)} above {_trim(top)}, counted in the last bin",
                size=10,
                anchor="end",
                fill=MUTED,
            )
        )
    return _close(parts)


# --- 3. confidence plot -------------------------------------------------------------------------

_DOT_R = 4.5
_DOT_GAP = 2 * _DOT_R + 1  # centres closer than this on one level would touch
_BAND_HALF_MAX = 48.0  # stacks taller than this are squeezed to fit
_CONF_X0 = 130.0
_CONF_X1 = WIDTH - 30.0


def _stack(xs: Sequence[float]) -> list[int]:
    """A level for each x (sorted ascending): the first of 0, +1, -1, +2, -2 ... on which the dot
    clears the previous dot of that level. Deterministic: no jitter, no randomness."""
    last: dict[int, float] = {}
    levels = []
    for x in xs:
        level = _free_level(last, x)
        last[level] = x
        levels.append(level)
    return levels


def _free_level(last: dict[int, float], x: float) -> int:
    k = 0
    while True:
        for level in (k, -k) if k else (0,):
            if level not in last or x - last[level] >= _DOT_GAP - 1e-9:
                return level
        k += 1


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def confidence_plot(
    points: list[tuple[str, float, bool]], title: str, *, prefix: str | None = None
) -> str:
    """Each claim's confidence on a 0-1 axis, one dot per claim, in two rows: verified claims
    (filled green) and the rest (open vermillion).

    Dots that would overlap are stacked above and below the row's centre line (no random
    jitter, so the layout repeats exactly); very tall stacks are squeezed to fit. Each dot's
    tooltip gives the claim id and its confidence; each row is labelled with its size and marked
    at its median. A confidence outside [0, 1] is drawn at the nearer end.
    """
    claims = [
        (str(cid), _finite(value, f"claim {cid!r} confidence"), bool(v)) for cid, value, v in points
    ]
    if not claims:
        return _empty(title, "no claims", prefix)
    x_of = _scale(0.0, 1.0, _CONF_X0, _CONF_X1)

    rows = []
    for verified, name, colour in (
        (True, "verified", VERIFIED_COLOUR),
        (False, "not verified", UNVERIFIED_COLOUR),
    ):
        members = sorted(
            (x_of(min(max(value, 0.0), 1.0)), value, cid)
            for cid, value, v in claims
            if v is verified
        )
        levels = _stack([x for x, _, _ in members])
        reach = max((abs(level) for level in levels), default=0)
        step = _DOT_GAP if reach * _DOT_GAP <= _BAND_HALF_MAX else _BAND_HALF_MAX / reach
        half = reach * step + _DOT_R + 6
        rows.append((verified, name, colour, members, levels, step, half))

    y = 56.0  # the first band's top; room above it for a median label
    bands = []
    for row in rows:
        half = row[6]
        bands.append(y + 14 + half)
        y += 14 + 2 * half + 8
    axis_y = y + 4
    height = axis_y + 46

    n_verified = sum(1 for _, _, v in claims if v)
    desc = f"{_count(len(claims))} claims, {_count(n_verified)} verified; confidence from 0 to 1"
    parts = _open(title, height, desc, prefix)
    ticks = [(i / 10, _fixed(i / 10, 1)) for i in range(11)]
    parts += _x_axis(axis_y, x_of, ticks, "confidence", _CONF_X0, _CONF_X1, grid_top=44.0)
    for (verified, name, colour, members, levels, step, half), cy in zip(rows, bands, strict=True):
        kind = "verified" if verified else "unverified"
        parts.append(f'<g class="row {kind}">')
        parts.append(_line(_CONF_X0, cy, _CONF_X1, cy, stroke=GRID))
        parts.append(_text(_CONF_X0 - 12, cy - 7, name, anchor="end", bold=True))
        parts.append(
            _text(
                _CONF_X0 - 12,
                cy + 8,
                f"n = {_count(len(members))}",
                size=11,
                anchor="end",
                fill=MUTED,
            )
        )
        if members:
            median = _median([value for _, value, _ in members])
            mx = x_of(min(max(median, 0.0), 1.0))
            parts.append(_line(mx, cy - half, mx, cy + half, stroke=INK, width=1.5, cls="median"))
            label_x = min(max(mx, _CONF_X0 + 40), _CONF_X1 - 40)
            parts.append(
                _text(
                    label_x,
                    cy - half - 7,
                    f"median {_fixed(median, 2)}",
                    size=11,
                    anchor="middle",
                    cls="median-label",
                )
            )
        fill = colour if verified else "#FFFFFF"
        for (x, value, cid), level in zip(members, levels, strict=True):
            parts.append(
                f'<circle class="dot {kind}" cx="{_n(x)}" cy="{_n(cy - level * step)}" '
                f'r="{_n(_DOT_R)}" fill="{fill}" stroke="{colour}" stroke-width="1.5">'
                f"<title>{_esc(cid)}: {_fixed(value, 3)}</title></circle>"
            )
        parts.append("</g>")
    return _close(parts)


# --- 4. tribunal chart --------------------------------------------------------------------------


def tribunal_chart(
    rows: list[tuple[str, int, float]], threshold: float, title: str, *, prefix: str | None = None
) -> str:
    """The review tribunal's scores (0-10) for each role, one group of bars per role (in the
    order the roles first appear) and one bar per round inside it (a colour per round, with a
    legend; a role missing from a round leaves a gap). Each bar is labelled with its score, and
    a dashed horizontal line marks the pass threshold. Scores outside 0-10 are drawn at the
    nearer end and labelled with their real value.
    """
    threshold = _finite(threshold, "threshold")
    scores: dict[tuple[str, int], float] = {}
    roles: list[str] = []
    for role, round_, score in rows:
        key = (str(role), int(round_))
        if key in scores:
            raise ValueError(f"tribunal score for {key[0]!r} in round {key[1]} given twice")
        scores[key] = _finite(score, f"{key[0]!r} round {key[1]} score")
        if key[0] not in roles:
            roles.append(key[0])
    if not scores:
        return _empty(title, "no scores", prefix)
    rounds = sorted({r for _, r in scores})

    x0, x1 = _PLOT_X0, WIDTH - 80.0  # the right margin holds the threshold label
    y_of = _scale(0.0, TRIBUNAL_MAX, _PLOT_Y1, _PLOT_Y0)
    height = _PLOT_Y1 + 46
    group = (x1 - x0) / len(roles)
    bar_w = min(48.0, group * 0.76 / len(rounds))
    desc = "; ".join(f"{role} round {r}: {_fixed(s, 1)}" for (role, r), s in scores.items())
    desc += f"; threshold {_trim(threshold)}"

    parts = _open(title, height, desc, prefix)
    colours = {r: SERIES[i % len(SERIES)] for i, r in enumerate(rounds)}
    parts += _swatch_legend(x0, 44, [(colours[r], f"round {r}") for r in rounds])
    y_ticks = [(float(v), str(v)) for v in range(0, int(TRIBUNAL_MAX) + 1, 2)]
    parts += _y_axis(x0, x1, y_of, y_ticks, "score (0\u201310)", _PLOT_Y0, _PLOT_Y1)

    value_size = 11 if bar_w >= 24 else 9
    ty = y_of(threshold) if 0 <= threshold <= TRIBUNAL_MAX else None
    value_labels: list[str] = []  # drawn last, over the threshold line
    for g, role in enumerate(roles):
        centre = x0 + (g + 0.5) * group
        left = centre - bar_w * len(rounds) / 2
        parts.append(f'<g class="role"><title>{_esc(role)}</title>')
        for j, r in enumerate(rounds):
            if (role, r) not in scores:
                continue
            score = scores[(role, r)]
            shown = min(max(score, 0.0), TRIBUNAL_MAX)
            x = left + j * bar_w
            parts.append(
                f'<g class="score"><title>{_esc(role)}, round {r}: {_fixed(score, 1)}</title>'
            )
            parts.append(
                _rect(
                    x + 1,
                    y_of(shown),
                    bar_w - 2,
                    y_of(0) - y_of(shown),
                    colours[r],
                    cls=f"bar round-{r}",
                )
            )
            parts.append("</g>")
            value_labels.append(
                _text(
                    x + bar_w / 2,
                    _beside(y_of(shown) - 8, 7, ty, toward=-1.0),
                    _fixed(score, 1),
                    size=value_size,
                    anchor="middle",
                    cls="value",
                    halo=True,
                )
            )
        parts.append(
            _text(
                centre,
                _PLOT_Y1 + 14,
                _clip(role, max(int(group / 7), 3)),
                size=11,
                anchor="middle",
                cls="label",
            )
        )
        parts.append("</g>")
    parts.append(_line(x0, _PLOT_Y1, x1, _PLOT_Y1, stroke=MUTED))
    parts.append(_text((x0 + x1) / 2, _PLOT_Y1 + 34, "role", size=12, anchor="middle"))
    if ty is not None:
        parts.append(_line(x0, ty, x1 + 4, ty, stroke=INK, width=1.5, dash="5 3", cls="threshold"))
        parts.append(_text(x1 + 8, ty - 7, "threshold", size=11, cls="threshold-label"))
        parts.append(_text(x1 + 8, ty + 7, _trim(threshold), size=11, bold=True))
    else:
        parts.append(
            _text(
                WIDTH - 12,
                44,
                f"threshold {_trim(threshold)} (off scale)",
                size=11,
                anchor="end",
                cls="threshold-label",
            )
        )
    parts += ['<g class="values">', *value_labels, "</g>"]
    return _close(parts)
