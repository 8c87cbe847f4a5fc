"""Charts as server-rendered SVG: no script, no asset from anywhere.

Labels are escaped (markupsafe); numbers are formatted here. The result is
markup for a Jinja template (`{{ chart }}`).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 180
LEFT, BOTTOM, TOP = 44, 24, 12


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[int],
    *,
    css_class: str = "bars",
    errors: Sequence[int] | None = None,
) -> Markup:
    """One bar per label (a day); `errors` are drawn over the bars in red."""
    peak = max([*values, 1])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(values), 1)
    parts = [
        f'<svg class="chart {escape(css_class)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" '
        f'y2="{TOP + plot_h}"/>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + 8}" text-anchor="end">{peak}</text>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>',
    ]
    for index, value in enumerate(values):
        x = LEFT + index * step + step * 0.15
        width = max(step * 0.7, 1)
        height = plot_h * value / peak
        label = escape(labels[index]) if index < len(labels) else ""
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{width:.1f}" height="{height:.1f}"><title>{label}: {value}</title></rect>'
        )
        if errors is not None and errors[index]:
            failed = plot_h * errors[index] / peak
            parts.append(
                f'<rect class="bar error" x="{x:.1f}" y="{TOP + plot_h - failed:.1f}" '
                f'width="{width:.1f}" height="{failed:.1f}">'
                f"<title>{label}: {errors[index]} failed</title></rect>"
            )
    if labels:
        for index in sorted({0, len(labels) // 2, len(labels) - 1}):
            x = LEFT + index * step + step / 2
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
                f"{escape(labels[index][5:])}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
