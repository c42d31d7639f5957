"""The record page's bar figures (drawn with sovereign.report.svg): the retrieval funnel, the
histogram of a filter score against its threshold, and the tribunal's scores per role and round
against the publication threshold. Every bar has a `<title>` tooltip with its exact value; long
labels are shortened on the drawing, never in the tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .svg import (
    BLUE,
    DROPPED_COLOUR,
    INK,
    KEPT_COLOUR,
    MUTED,
    SERIES,
    WIDTH,
    beside,
    clip,
    close_svg,
    count_axis,
    count_text,
    decimals,
    empty_figure,
    esc,
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

TRIBUNAL_MAX = 10.0
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
        return empty_figure(title, "no stages", prefix)
    for name, count in stages:
        if count < 0:
            raise ValueError(f"funnel stage {name!r} has a negative count {count}")
    largest = max(count for _, count in stages)
    height = _FUNNEL_TOP + len(stages) * _FUNNEL_ROW + 34
    desc = "; ".join(f"{name}: {count_text(count)}" for name, count in stages)
    parts = open_svg(title, height, desc, prefix)
    bottom = _FUNNEL_TOP + len(stages) * _FUNNEL_ROW
    for i, (name, count) in enumerate(stages):
        y = _FUNNEL_TOP + i * _FUNNEL_ROW + (_FUNNEL_ROW - _FUNNEL_BAR) / 2
        mid = y + _FUNNEL_BAR / 2
        width = _FUNNEL_FULL * count / largest if largest else 0.0
        parts.append(f'<g class="stage"><title>{esc(name)}: {count_text(count)}</title>')
        parts.append(rect_el(_FUNNEL_X0, y, width, _FUNNEL_BAR, BLUE, cls="bar"))
        parts.append(text_el(_FUNNEL_X0 - 8, mid, clip(name, 26), anchor="end", cls="label"))
        parts.append(
            text_el(_FUNNEL_X0 + width + 6, mid, count_text(count), bold=True, cls="value")
        )
        parts.append("</g>")
    parts.append(line_el(_FUNNEL_X0, _FUNNEL_TOP, _FUNNEL_X0, bottom, stroke=MUTED))
    parts.append(
        text_el(
            _FUNNEL_X0,
            bottom + 16,
            "bar length: count, relative to the largest stage",
            size=11,
            fill=MUTED,
        )
    )
    return close_svg(parts)


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
    x_of = scale(0.0, top, _PLOT_X0, x1)
    y_top, y_step = count_axis(max(k + d for k, d in zip(kept_n, dropped_n, strict=True)))
    y_of = scale(0.0, y_top, _PLOT_Y1, _PLOT_Y0)
    height = _PLOT_Y1 + 62

    n_kept = sum(kept_n)
    desc = (
        f"{count_text(len(values))} papers, {count_text(n_kept)} kept and "
        f"{count_text(len(values) - n_kept)} dropped; threshold {trim(threshold)}"
    )
    parts = open_svg(title, height, desc, prefix)
    parts += swatch_legend(_PLOT_X0, 44, [(KEPT_COLOUR, "kept"), (DROPPED_COLOUR, "dropped")])
    y_ticks = [(float(v), count_text(v)) for v in range(0, y_top + 1, y_step)]
    parts += y_axis(_PLOT_X0, x1, y_of, y_ticks, "papers", _PLOT_Y0, _PLOT_Y1)

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

    parts += x_axis(_PLOT_Y1, x_of, ticks_at(top, 10), axis, _PLOT_X0, x1)
    label = f"threshold {trim(threshold)}"
    if tx is not None:
        parts.append(
            line_el(
                tx, _PLOT_Y0 - 4, tx, _PLOT_Y1, stroke=INK, width=1.5, dash="5 3", cls="threshold"
            )
        )
        anchor, lx = ("start", tx + 4) if tx < x1 - 110 else ("end", tx - 4)
        parts.append(
            text_el(lx, _PLOT_Y0 - 8, label, size=11, anchor=anchor, cls="threshold-label")
        )
    else:
        parts.append(
            text_el(
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


def tribunal_chart(
    rows: list[tuple[str, int, float]], threshold: float, title: str, *, prefix: str | None = None
) -> str:
    """The review tribunal's scores (0-10) for each role, one group of bars per role (in the
    order the roles first appear) and one bar per round inside it (a colour per round, with a
    legend; a role missing from a round leaves a gap). Each bar is labelled with its score, and
    a dashed horizontal line marks the pass threshold. Scores outside 0-10 are drawn at the
    nearer end and labelled with their real value.
    """
    threshold = finite(threshold, "threshold")
    scores: dict[tuple[str, int], float] = {}
    roles: list[str] = []
    for role, round_, score in rows:
        key = (str(role), int(round_))
        if key in scores:
            raise ValueError(f"tribunal score for {key[0]!r} in round {key[1]} given twice")
        scores[key] = finite(score, f"{key[0]!r} round {key[1]} score")
        if key[0] not in roles:
            roles.append(key[0])
    if not scores:
        return empty_figure(title, "no scores", prefix)
    rounds = sorted({r for _, r in scores})

    x0, x1 = _PLOT_X0, WIDTH - 80.0  # the right margin holds the threshold label
    y_of = scale(0.0, TRIBUNAL_MAX, _PLOT_Y1, _PLOT_Y0)
    height = _PLOT_Y1 + 46
    group = (x1 - x0) / len(roles)
    bar_w = min(48.0, group * 0.76 / len(rounds))
    desc = "; ".join(f"{role} round {r}: {fixed(s, 1)}" for (role, r), s in scores.items())
    desc += f"; threshold {trim(threshold)}"

    parts = open_svg(title, height, desc, prefix)
    colours = {r: SERIES[i % len(SERIES)] for i, r in enumerate(rounds)}
    parts += swatch_legend(x0, 44, [(colours[r], f"round {r}") for r in rounds])
    y_ticks = [(float(v), str(v)) for v in range(0, int(TRIBUNAL_MAX) + 1, 2)]
    parts += y_axis(x0, x1, y_of, y_ticks, "score (0\u201310)", _PLOT_Y0, _PLOT_Y1)

    value_size = 11 if bar_w >= 24 else 9
    ty = y_of(threshold) if 0 <= threshold <= TRIBUNAL_MAX else None
    value_labels: list[str] = []  # drawn last, over the threshold line
    for g, role in enumerate(roles):
        centre = x0 + (g + 0.5) * group
        left = centre - bar_w * len(rounds) / 2
        parts.append(f'<g class="role"><title>{esc(role)}</title>')
        for j, r in enumerate(rounds):
            if (role, r) not in scores:
                continue
            score = scores[(role, r)]
            shown = min(max(score, 0.0), TRIBUNAL_MAX)
            x = left + j * bar_w
            parts.append(
                f'<g class="score"><title>{esc(role)}, round {r}: {fixed(score, 1)}</title>'
            )
            parts.append(
                rect_el(
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
                text_el(
                    x + bar_w / 2,
                    beside(y_of(shown) - 8, 7, ty, toward=-1.0),
                    fixed(score, 1),
                    size=value_size,
                    anchor="middle",
                    cls="value",
                    halo=True,
                )
            )
        parts.append(
            text_el(
                centre,
                _PLOT_Y1 + 14,
                clip(role, max(int(group / 7), 3)),
                size=11,
                anchor="middle",
                cls="label",
            )
        )
        parts.append("</g>")
    parts.append(line_el(x0, _PLOT_Y1, x1, _PLOT_Y1, stroke=MUTED))
    parts.append(text_el((x0 + x1) / 2, _PLOT_Y1 + 34, "role", size=12, anchor="middle"))
    if ty is not None:
        parts.append(
            line_el(x0, ty, x1 + 4, ty, stroke=INK, width=1.5, dash="5 3", cls="threshold")
        )
        parts.append(text_el(x1 + 8, ty - 7, "threshold", size=11, cls="threshold-label"))
        parts.append(text_el(x1 + 8, ty + 7, trim(threshold), size=11, bold=True))
    else:
        parts.append(
            text_el(
                WIDTH - 12,
                44,
                f"threshold {trim(threshold)} (off scale)",
                size=11,
                anchor="end",
                cls="threshold-label",
            )
        )
    parts += ['<g class="values">', *value_labels, "</g>"]
    return close_svg(parts)
