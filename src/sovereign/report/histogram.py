"""The filter-score figure: a histogram of the papers' scores, kept and dropped stacked, with the
threshold drawn and labelled (off scale says so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .svg import (
    DROPPED_COLOUR,
    INK,
    KEPT_COLOUR,
    MUTED,
    PLOT_X0,
    PLOT_Y0,
    PLOT_Y1,
    WIDTH,
    beside,
    close_svg,
    count_axis,
    count_text,
    decimals,
    empty_figure,
    finite,
    fixed,
    line_el,
    open_svg,
    rect_el,
    scale,
    swatch_legend,
    text_el,
    ticks_at,
    trim,
    x_axis,
    y_axis,
)


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
    threshold = finite(threshold, "threshold")
    values = [finite(s, "a score") for s in scores]
    if not values:
        return empty_figure(title, "no papers", prefix)
    top = _default_x_max(values, threshold) if x_max is None else finite(x_max, "x_max")
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
    x_of = scale(0.0, top, PLOT_X0, x1)
    y_top, y_step = count_axis(max(k + d for k, d in zip(kept_n, dropped_n, strict=True)))
    y_of = scale(0.0, y_top, PLOT_Y1, PLOT_Y0)
    height = PLOT_Y1 + 62

    n_kept = sum(kept_n)
    desc = (
        f"{count_text(len(values))} papers, {count_text(n_kept)} kept and "
        f"{count_text(len(values) - n_kept)} dropped; threshold {trim(threshold)}"
    )
    parts = open_svg(title, height, desc, prefix)
    parts += swatch_legend(PLOT_X0, 44, [(KEPT_COLOUR, "kept"), (DROPPED_COLOUR, "dropped")])
    y_ticks = [(float(v), count_text(v)) for v in range(0, y_top + 1, y_step)]
    parts += y_axis(PLOT_X0, x1, y_of, y_ticks, "papers", PLOT_Y0, PLOT_Y1)

    edge_places = min(max(decimals(width), 2), 4)  # bin edges in tooltips
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
        span = f"{fixed(lo, edge_places)}\u2013{fixed(hi, edge_places)}"
        x = x_of(lo) + gap / 2
        parts.append(f'<g class="bin"><title>{span}: {k} kept, {d} dropped</title>')
        if k:
            parts.append(
                rect_el(x, y_of(k), bar_w - gap, y_of(0) - y_of(k), KEPT_COLOUR, cls="bar kept")
            )
        if d:
            parts.append(
                rect_el(
                    x,
                    y_of(k + d),
                    bar_w - gap,
                    y_of(k) - y_of(k + d),
                    DROPPED_COLOUR,
                    cls="bar dropped",
                )
            )
        parts.append("</g>")
        text = count_text(k + d)
        value_labels.append(
            text_el(
                beside(x_of(lo) + bar_w / 2, 3 * len(text) + 3, tx),
                y_of(k + d) - 7,
                text,
                size=10,
                anchor="middle",
                cls="value",
                halo=True,
            )
        )

    parts += x_axis(PLOT_Y1, x_of, ticks_at(top, 10), axis, PLOT_X0, x1)
    label = f"threshold {trim(threshold)}"
    if tx is not None:
        parts.append(
            line_el(
                tx, PLOT_Y0 - 4, tx, PLOT_Y1, stroke=INK, width=1.5, dash="5 3", cls="threshold"
            )
        )
        anchor, lx = ("start", tx + 4) if tx < x1 - 110 else ("end", tx - 4)
        parts.append(text_el(lx, PLOT_Y0 - 8, label, size=11, anchor=anchor, cls="threshold-label"))
    else:
        parts.append(
            text_el(
                x1,
                PLOT_Y0 - 8,
                f"{label} (off scale)",
                size=11,
                anchor="end",
                cls="threshold-label",
            )
        )
    parts += ['<g class="values">', *value_labels, "</g>"]
    if above:
        parts.append(
            text_el(
                x1,
                height - 10,
                f"{count_text(above)} above {trim(top)}, counted in the last bin",
                size=10,
                anchor="end",
                fill=MUTED,
            )
        )
    return close_svg(parts)
