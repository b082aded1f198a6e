"""Server-rendered SVG charts: no JavaScript library, nothing loaded from a CDN.

Every label passes through format_html, so category names from ingested data stay inert.
"""
from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4b5563")


def _n(value: float) -> str:
    return f"{value:.1f}"


def stacked_bars(labels: list[str], series: dict[str, list[int]], *, title: str, height: int = 220) -> SafeString:
    width, left, bottom, top = 640, 48, 28, 22
    plot_h = height - bottom - top
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    slot = (width - left) / max(len(labels), 1)
    bar_w = slot * 0.6
    parts: list[SafeString] = []
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        for n, (name, values) in enumerate(series.items()):
            h = plot_h * values[i] / peak
            y -= h
            parts.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} {}: {}</title></rect>',
                _n(x), _n(y), _n(bar_w), _n(h), PALETTE[n % len(PALETTE)], label, name, values[i]))
        parts.append(format_html('<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text>',
                                 _n(x + bar_w / 2), height - 8, label))
        parts.append(format_html('<text x="{}" y="{}" text-anchor="middle" class="value">{}</text>',
                                 _n(x + bar_w / 2), _n(top + plot_h - plot_h * totals[i] / peak - 3), totals[i]))
    legend = format_html_join(
        "", '<span class="legend-item"><span class="swatch" style="background:{}"></span>{}</span>',
        ((PALETTE[n % len(PALETTE)], name) for n, name in enumerate(series)),
    )
    svg = format_html(
        '<svg viewBox="0 0 {} {}" role="img" aria-label="{}" class="chart">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="baseline"/>{}</svg>',
        width, height, title, left, top + plot_h, width, top + plot_h, mark_safe("".join(parts)),
    )
    return format_html('<figure class="chart"><figcaption>{}</figcaption>{}<div class="legend">{}</div></figure>',
                       title, svg, legend)


def line_chart(points: list[tuple[float, float]], *, title: str, x_label: str, y_label: str,
               marker: float | None = None, height: int = 200) -> SafeString:
    """A single line over x in points' range, y in [0, 1]; x and y as percentages. ``marker`` draws a
    dashed vertical line at that x (e.g. the alert rate)."""
    width, left, bottom, top, right = 480, 44, 34, 12, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    if not points:
        return format_html("")
    x0, x1 = points[0][0], points[-1][0]
    span = (x1 - x0) or 1.0

    def sx(x: float) -> float:
        return left + plot_w * (x - x0) / span

    def sy(y: float) -> float:
        return top + plot_h * (1 - y)

    path = " ".join(f"{'M' if i == 0 else 'L'}{_n(sx(x))},{_n(sy(y))}" for i, (x, y) in enumerate(points))
    ticks = format_html_join("", '<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text>',
                             ((_n(sx(x)), height - 18, f"{x:.1%}") for x, _ in points[:: max(1, len(points) // 5)]))
    grid = format_html_join("", '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/><text x="{}" y="{}" '
                            'text-anchor="end" class="axis">{}</text>',
                            ((left, width - right, _n(sy(y)), _n(sy(y)), left - 4, _n(sy(y) + 4), f"{y:.0%}")
                             for y in (0, 0.5, 0.8, 1)))
    mark = format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" class="marker"/>', _n(sx(marker)), _n(sx(marker)),
                       top, top + plot_h) if marker is not None and x0 <= marker <= x1 else ""
    dots = format_html_join("", '<circle cx="{}" cy="{}" r="2.5"><title>{}: {}</title></circle>',
                            ((_n(sx(x)), _n(sy(y)), f"{x:.2%}", f"{y:.0%}") for x, y in points))
    svg = format_html(
        '<svg viewBox="0 0 {} {}" role="img" aria-label="{}" class="chart line">{}{}<path d="{}" class="line"/>{}{}'
        '<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text></svg>',
        width, height, title, grid, mark, path, dots, ticks, left + plot_w / 2, height - 3, x_label,
    )
    return format_html('<figure class="chart"><figcaption>{}</figcaption>{}<div class="muted small">{}</div></figure>',
                       title, svg, y_label)


def trend_chart(weeks: list[str], values: list[float | None], lower: list[float | None], upper: list[float | None], *,
                title: str, threshold: float | None = None, guardrail: float | None = None,
                lcl: list[float | None] | None = None, ucl: list[float | None] | None = None,
                height: int = 220) -> SafeString:
    """A weekly rate with its interval band, the threshold and guardrail lines, and the control
    limits (dotted steps). Weeks without a value leave a gap. Percentages on the y axis."""
    width, left, bottom, top, right = 560, 48, 30, 12, 32  # room for the last week's label
    plot_w, plot_h = width - left - right, height - top - bottom
    if not weeks:
        return format_html("")
    known = [v for v in [*upper, *values, *(ucl or []), threshold, guardrail] if v is not None]
    peak = min(1.0, max(known, default=0.01) * 1.15) or 0.01
    slot = plot_w / max(len(weeks) - 1, 1)

    def sx(i: int) -> float:
        return left + (slot * i if len(weeks) > 1 else plot_w / 2)

    def sy(y: float) -> float:
        return top + plot_h * (1 - y / peak)

    parts: list[SafeString] = []
    for y in (0, peak / 2, peak):
        parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/><text x="{}" y="{}" '
                                 'text-anchor="end" class="axis">{}</text>', left, width - right, _n(sy(y)), _n(sy(y)),
                                 left - 4, _n(sy(y) + 4), f"{y:.1%}"))
    runs: list[list[int]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append(i)
    for run in filter(None, runs):
        if all(lower[i] is not None and upper[i] is not None for i in run):
            edge = [f"{_n(sx(i))},{_n(sy(upper[i]))}" for i in run] + [f"{_n(sx(i))},{_n(sy(lower[i]))}" for i in reversed(run)]
            parts.append(format_html('<polygon points="{}" class="band"/>', " ".join(edge)))
        parts.append(format_html('<path d="{}" class="line"/>',
                                 " ".join(f"{'M' if k == 0 else 'L'}{_n(sx(i))},{_n(sy(values[i]))}" for k, i in enumerate(run))))
    for limits in (lcl, ucl):
        if limits:
            steps = " ".join(f"{'M' if i == 0 or limits[i - 1] is None else 'L'}{_n(sx(i))},{_n(sy(v))}"
                             for i, v in enumerate(limits) if v is not None)
            if steps:
                parts.append(format_html('<path d="{}" class="limit"/>', steps))
    for level, css, name in ((threshold, "threshold", "threshold"), (guardrail, "guardrail", "guardrail")):
        if level is not None:
            parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" class="{}"><title>{} {}</title></line>',
                                     left, width - right, _n(sy(level)), _n(sy(level)), css, name, f"{level:.2%}"))
    for i, v in enumerate(values):
        if v is not None:
            interval = f" [{lower[i]:.2%}, {upper[i]:.2%}]" if lower[i] is not None and upper[i] is not None else ""
            parts.append(format_html('<circle cx="{}" cy="{}" r="3"><title>{}: {}{}</title></circle>',
                                     _n(sx(i)), _n(sy(v)), weeks[i], f"{v:.2%}", interval))
    every = max(1, len(weeks) // 8)
    for i, week in enumerate(weeks):
        if i % every == 0 or i == len(weeks) - 1:
            parts.append(format_html('<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text>',
                                     _n(sx(i)), height - 10, week))
    svg = format_html('<svg viewBox="0 0 {} {}" role="img" aria-label="{}" class="chart trend">{}</svg>',
                      width, height, title, mark_safe("".join(parts)))
    legend = mark_safe('<span class="legend-item"><span class="swatch band"></span>95% interval</span>'
                       '<span class="legend-item"><span class="swatch threshold"></span>threshold</span>'
                       '<span class="legend-item"><span class="swatch guardrail"></span>guardrail</span>'
                       '<span class="legend-item"><span class="swatch limit"></span>control limits</span>')
    return format_html('<figure class="chart"><figcaption>{}</figcaption>{}<div class="legend">{}</div></figure>',
                       title, svg, legend)
