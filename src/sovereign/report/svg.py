"""The SVG toolkit of the record page's figures: pure Python, no dependencies.

Every figure is one `<svg class="figure">` element, inlined into a self-contained HTML page:
nothing is fetched (no scripts, links, images or web fonts); no element ids unless the caller
passes `prefix` (then only `{prefix}-title` and `{prefix}-desc`); every caller-given string is
escaped and characters XML cannot hold are dropped; the bytes are a function of the arguments
alone: every coordinate goes through `n` (one decimal), every order is the input's or a sort.

Colours are the Okabe-Ito palette, which stays distinct under the common colour-vision
deficiencies, and no meaning rests on colour alone. Empty input draws the title, an empty frame
and a centred message instead of raising.
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

# The plot area of the bar and histogram figures.
PLOT_X0 = 56.0
PLOT_Y0 = 70.0  # below the title (y 20) and the legend row (y 44)
PLOT_Y1 = 270.0

# Characters XML 1.0 cannot carry, even escaped (C0 controls but tab/newline/CR, lone surrogates).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


def num(x: float) -> str:
    """A coordinate or length: one decimal, never `-0.0`. The only way a position is written."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


def fixed(x: float, places: int) -> str:
    """A value label with a fixed number of decimals, never a negative zero."""
    s = f"{x:.{places}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def trim(x: float) -> str:
    """A parameter as people write it: 0.15, 6.5, 7 (at most three decimals)."""
    s = fixed(x, 3).rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def count_text(n: int) -> str:
    """A count with thousands separators (fixed, not locale-dependent)."""
    return f"{n:,}"


def esc(text: object) -> str:
    """Text safe in element content and in double-quoted attributes."""
    return escape(_XML_ILLEGAL.sub("", str(text)), {'"': "&quot;"})


def clip(text: str, limit: int) -> str:
    """At most `limit` characters on the drawing; the tooltip keeps the whole string."""
    limit = max(limit, 2)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def text_el(
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
    attrs = [f'x="{num(x)}"', f'y="{num(y)}"', 'dy="0.35em"', f'font-size="{size}"']
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
        attrs.append(f'transform="rotate(-90 {num(x)} {num(y)})"')
    return f"<text {' '.join(attrs)}>{esc(content)}</text>"


def line_el(
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
        f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" '
        f'stroke="{stroke}" stroke-width="{num(width)}"{extra}/>'
    )


def rect_el(x: float, y: float, w: float, h: float, fill: str, *, cls: str | None = None) -> str:
    extra = f' class="{cls}"' if cls else ""
    return (
        f'<rect x="{num(x)}" y="{num(y)}" width="{num(max(w, 0.0))}" height="{num(max(h, 0.0))}" '
        f'fill="{fill}"{extra}/>'
    )


def scale(lo: float, hi: float, a: float, b: float) -> Callable[[float], float]:
    """Maps [lo, hi] linearly onto [a, b]."""
    span = hi - lo
    return lambda v: a + (v - lo) / span * (b - a)


def nice_step(span: float, max_ticks: int) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that splits `span` into at most `max_ticks` steps."""
    raw = span / max_ticks
    power = 10.0 ** math.floor(math.log10(raw))
    for mantissa in (1.0, 2.0, 2.5, 5.0):
        step = round(mantissa * power, 12)
        if step >= raw * (1 - 1e-9):
            return step
    return round(10 * power, 12)


def decimals(step: float) -> int:
    """Decimals that write every multiple of `step` exactly."""
    for places in range(7):
        if abs(round(step, places) - step) < 1e-9 * max(step, 1.0):
            return places
    return 6


def ticks_at(hi: float, max_ticks: int) -> list[tuple[float, str]]:
    """Ticks 0, step, 2 step ... up to `hi`, with labels."""
    step = nice_step(hi, max_ticks)
    places = decimals(step)
    count = int(math.floor(hi / step + 1e-9))
    return [(round(i * step, 12), fixed(i * step, places)) for i in range(count + 1)]


def count_axis(largest: int, max_ticks: int = 5) -> tuple[int, int]:
    """An integer axis for counts up to `largest`: (top, step), the step 1, 2 or 5 x 10^k and
    the top the first multiple of it at or above `largest` (at least one step)."""
    power = 1
    while True:
        for mantissa in (1, 2, 5):
            step = mantissa * power
            if largest <= step * max_ticks:
                return max(step, -(-largest // step) * step), step
        power *= 10


def open_svg(title: str, height: float, desc: str, prefix: str | None) -> list[str]:
    """The root element, its <title> and <desc>, and the visible title at the top left."""
    if prefix is None:
        label = f'aria-label="{esc(title)}"'
        head = [f"<title>{esc(title)}</title>", f"<desc>{esc(desc)}</desc>"]
    else:
        if not _ID_PREFIX.match(prefix):
            raise ValueError(
                f"figure id prefix {prefix!r} must start with a letter and hold only letters, "
                "digits, '-' and '_'"
            )
        label = f'aria-labelledby="{prefix}-title" aria-describedby="{prefix}-desc"'
        head = [
            f'<title id="{prefix}-title">{esc(title)}</title>',
            f'<desc id="{prefix}-desc">{esc(desc)}</desc>',
        ]
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="figure" viewBox="0 0 {WIDTH} '
        f'{num(height)}" width="{WIDTH}" height="{num(height)}" role="img" {label} '
        f'font-family="{FONT}" font-size="12">'
    )
    visible = text_el(12, 20, clip(title, 80), size=14, bold=True, cls="figure-title")
    return [
        root,
        *head,
        f'<rect x="0" y="0" width="{WIDTH}" height="{num(height)}" fill="#FFFFFF"/>',
        visible,
    ]


def close_svg(parts: list[str]) -> str:
    return "\n".join([*parts, "</svg>"]) + "\n"


def empty_figure(title: str, message: str, prefix: str | None, height: float = 180.0) -> str:
    """The title, an empty frame and a centred message."""
    parts = open_svg(title, height, message, prefix)
    top, bottom = 36.0, height - 12.0
    parts.append(
        f'<rect x="12.0" y="{num(top)}" width="{num(WIDTH - 24)}" height="{num(bottom - top)}" '
        f'fill="none" stroke="{FRAME}" stroke-dasharray="4 3" class="frame"/>'
    )
    parts.append(
        text_el(
            WIDTH / 2,
            (top + bottom) / 2,
            message,
            size=13,
            anchor="middle",
            fill=MUTED,
            cls="empty",
        )
    )
    return close_svg(parts)


def swatch_legend(x: float, y: float, entries: Sequence[tuple[str, str]]) -> list[str]:
    """A row of colour swatches with labels, starting at `x`, centred on `y`."""
    parts = ['<g class="legend">']
    for colour, label in entries:
        parts.append(rect_el(x, y - 5, 10, 10, colour))
        parts.append(text_el(x + 14, y, label, size=11))
        x += 14 + 7 * len(label) + 18
    parts.append("</g>")
    return parts


def y_axis(
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
        parts.append(line_el(x0, y, x1, y, stroke=GRID))
        parts.append(text_el(x0 - 6, y, label, size=11, anchor="end", fill=MUTED))
    parts.append(line_el(x0, y_top, x0, y_bottom, stroke=MUTED))
    parts.append(text_el(16, (y_top + y_bottom) / 2, title, size=12, anchor="middle", rotate=True))
    parts.append("</g>")
    return parts


def x_axis(
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
            parts.append(line_el(x, grid_top, x, y, stroke=GRID))
        parts.append(line_el(x, y, x, y + 4, stroke=MUTED))
        parts.append(text_el(x, y + 13, label, size=11, anchor="middle", fill=MUTED))
    parts.append(line_el(x0, y, x1, y, stroke=MUTED))
    parts.append(text_el((x0 + x1) / 2, y + 32, title, size=12, anchor="middle"))
    parts.append("</g>")
    return parts


def beside(at: float, half: float, line: float | None, toward: float = 0.0) -> float:
    """Where to centre a value label of half-size `half` wanted at `at` so that it clears a
    threshold line at `line`: unchanged when it already does, else moved just past the line on
    its own side (or on the side `toward` points to: -1 up/left, +1 down/right)."""
    if line is None or abs(at - line) >= half + 2:
        return at
    side = toward or (1.0 if at >= line else -1.0)
    return line + side * (half + 2)


def finite(value: float, what: str) -> float:
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return value
