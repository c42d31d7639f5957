"""The claim-confidence figure: one dot per claim on a 0-1 axis, stacked where they would touch,
verified claims filled and unverified ones open, the median of each marked.
"""

from __future__ import annotations

from collections.abc import Sequence

from .svg import (
    GRID,
    INK,
    MUTED,
    UNVERIFIED_COLOUR,
    VERIFIED_COLOUR,
    WIDTH,
    close_svg,
    count_text,
    empty_figure,
    esc,
    finite,
    fixed,
    line_el,
    num,
    open_svg,
    scale,
    text_el,
    x_axis,
)

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
        (str(cid), finite(value, f"claim {cid!r} confidence"), bool(v)) for cid, value, v in points
    ]
    if not claims:
        return empty_figure(title, "no claims", prefix)
    x_of = scale(0.0, 1.0, _CONF_X0, _CONF_X1)

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
    desc = (
        f"{count_text(len(claims))} claims, {count_text(n_verified)} verified; "
        "confidence from 0 to 1"
    )
    parts = open_svg(title, height, desc, prefix)
    ticks = [(i / 10, fixed(i / 10, 1)) for i in range(11)]
    parts += x_axis(axis_y, x_of, ticks, "confidence", _CONF_X0, _CONF_X1, grid_top=44.0)
    for (verified, name, colour, members, levels, step, half), cy in zip(rows, bands, strict=True):
        kind = "verified" if verified else "unverified"
        parts.append(f'<g class="row {kind}">')
        parts.append(line_el(_CONF_X0, cy, _CONF_X1, cy, stroke=GRID))
        parts.append(text_el(_CONF_X0 - 12, cy - 7, name, anchor="end", bold=True))
        parts.append(
            text_el(
                _CONF_X0 - 12,
                cy + 8,
                f"n = {count_text(len(members))}",
                size=11,
                anchor="end",
                fill=MUTED,
            )
        )
        if members:
            median = _median([value for _, value, _ in members])
            mx = x_of(min(max(median, 0.0), 1.0))
            parts.append(line_el(mx, cy - half, mx, cy + half, stroke=INK, width=1.5, cls="median"))
            label_x = min(max(mx, _CONF_X0 + 40), _CONF_X1 - 40)
            parts.append(
                text_el(
                    label_x,
                    cy - half - 7,
                    f"median {fixed(median, 2)}",
                    size=11,
                    anchor="middle",
                    cls="median-label",
                )
            )
        fill = colour if verified else "#FFFFFF"
        for (x, value, cid), level in zip(members, levels, strict=True):
            parts.append(
                f'<circle class="dot {kind}" cx="{num(x)}" cy="{num(cy - level * step)}" '
                f'r="{num(_DOT_R)}" fill="{fill}" stroke="{colour}" stroke-width="1.5">'
                f"<title>{esc(cid)}: {fixed(value, 3)}</title></circle>"
            )
        parts.append("</g>")
    return close_svg(parts)
