"""The record page's bar figures (drawn with sovereign.report.svg): the retrieval funnel and the
tribunal's scores per role and round against the publication threshold. Every bar has a
`<title>` tooltip with its exact value; long labels are shortened on the drawing, never in the
tooltip. (The score histogram is `histogram`, the claim-confidence dot plot `dotplot`.)
"""

from __future__ import annotations

from .svg import (
    BLUE,
    INK,
    MUTED,
    PLOT_X0,
    PLOT_Y0,
    PLOT_Y1,
    SERIES,
    WIDTH,
    beside,
    clip,
    close_svg,
    count_text,
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
    trim,
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

    x0, x1 = PLOT_X0, WIDTH - 80.0  # the right margin holds the threshold label
    y_of = scale(0.0, TRIBUNAL_MAX, PLOT_Y1, PLOT_Y0)
    height = PLOT_Y1 + 46
    group = (x1 - x0) / len(roles)
    bar_w = min(48.0, group * 0.76 / len(rounds))
    desc = "; ".join(f"{role} round {r}: {fixed(s, 1)}" for (role, r), s in scores.items())
    desc += f"; threshold {trim(threshold)}"

    parts = open_svg(title, height, desc, prefix)
    colours = {r: SERIES[i % len(SERIES)] for i, r in enumerate(rounds)}
    parts += swatch_legend(x0, 44, [(colours[r], f"round {r}") for r in rounds])
    y_ticks = [(float(v), str(v)) for v in range(0, int(TRIBUNAL_MAX) + 1, 2)]
    parts += y_axis(x0, x1, y_of, y_ticks, "score (0\u201310)", PLOT_Y0, PLOT_Y1)

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
                PLOT_Y1 + 14,
                clip(role, max(int(group / 7), 3)),
                size=11,
                anchor="middle",
                cls="label",
            )
        )
        parts.append("</g>")
    parts.append(line_el(x0, PLOT_Y1, x1, PLOT_Y1, stroke=MUTED))
    parts.append(text_el((x0 + x1) / 2, PLOT_Y1 + 34, "role", size=12, anchor="middle"))
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
