"""Server-rendered SVG charts: no JavaScript library, nothing loaded from a CDN.

Every label passes through format_html, so category names from ingested data stay inert.
"""
from __future__ import annotations

import math

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
        y: float = top + plot_h
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


def percent(value: float, step: float | None = None) -> str:
    """A rate as a percentage: with a tick step, just enough decimals to tell the ticks apart;
    else one decimal, two below 1 % (0.35 %, not 0.3 %)."""
    if step is None:
        return f"{value * 100:.{2 if abs(value) < 0.01 else 1}f} %"
    decimals = next((d for d in range(5) if abs(round(step * 100, d) - step * 100) < 1e-9), 4)
    return f"{value * 100:.{decimals}f} %"


def nice_ticks(low: float, high: float, *, count: int = 4) -> tuple[list[float], float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) from low up to high, about
    ``count`` intervals, and their step."""
    span = high - low
    if span <= 0:
        span = abs(high) or 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    ticks = [round(k * step, 12) for k in range(first, math.floor(high / step + 1e-9) + 1)]
    return ticks, step


def _label_width(text: str) -> float:
    """About how wide an axis label is drawn (11 px sans-serif), for spacing ticks."""
    return 6.5 * len(text) + 8


def line_chart(points: list[tuple[float, float]], *, title: str, x_label: str, y_label: str,
               marker: float | None = None, height: int = 200) -> SafeString:
    """A single line over x in points' range, y in [0, 1]; x and y as percentages. ``marker`` draws a
    dashed vertical line at that x (e.g. the alert rate). x ticks are round values far enough apart
    not to overlap; each point has its value as a hover title."""
    width, left, bottom, top, right = 480, 44, 34, 12, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    if not points:
        return mark_safe("")
    x0, x1 = points[0][0], points[-1][0]
    span = (x1 - x0) or 1.0

    def sx(x: float) -> float:
        return left + plot_w * (x - x0) / span

    def sy(y: float) -> float:
        return top + plot_h * (1 - y)

    path = " ".join(f"{'M' if i == 0 else 'L'}{_n(sx(x))},{_n(sy(y))}" for i, (x, y) in enumerate(points))
    for count in (5, 4, 3, 2, 1):
        values, step = nice_ticks(x0, x1, count=count) if x1 > x0 else ([x0], 0.001)
        labels = [percent(x, step) for x in values]
        gap = plot_w * step / span if len(values) > 1 else plot_w
        if max(map(_label_width, labels)) <= gap:
            break
    ticks = format_html_join("", '<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text>',
                             ((_n(sx(x)), height - 18, label) for x, label in zip(values, labels, strict=False)))
    grid = format_html_join("", '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/><text x="{}" y="{}" '
                            'text-anchor="end" class="axis">{}</text>',
                            ((left, width - right, _n(sy(y)), _n(sy(y)), left - 4, _n(sy(y) + 4), percent(y, 0.1))
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


def week_labels(weeks: list[str], slot: float) -> dict[int, str]:
    """Which weeks of a categorical axis get a label, and the label: the latest always, then every
    k-th back so labels never overlap; "W47" for short, the year on the first shown and where it changes."""
    if not weeks:
        return {}
    every = max(1, math.ceil(_label_width("2026-W47") / slot)) if slot > 0 else 1
    shown = sorted(range(len(weeks) - 1, -1, -every))
    labels, year = {}, None
    for i in shown:
        this_year, _, rest = weeks[i].partition("-")
        labels[i] = weeks[i] if this_year != year or not rest else rest
        year = this_year
    return labels


def trend_chart(weeks: list[str], values: list[float | None], lower: list[float | None], upper: list[float | None], *,
                title: str, threshold: float | None = None, guardrail: float | None = None,
                lcl: list[float | None] | None = None, ucl: list[float | None] | None = None,
                height: int = 220, items: list[int | None] | None = None, notes: list[str] | None = None,
                selected: int | None = None) -> SafeString:
    """A weekly rate with its interval band, the threshold and guardrail lines, and the control
    limits (dotted). The x axis is categorical: the weeks with a value, in order (a week without
    one is left off the axis, not drawn as a gap). Round percentages on the y axis.

    Every point and the band carry a hover value (an SVG <title>): "2026-W47: 1.2 % (0.8 %-1.9 %),
    240 items", with ``items`` (final items per week) and ``notes`` (e.g. "in progress: 113 of 288
    items", which also draws the point hollow). ``selected``: the index of the week the page judges."""
    width, left, bottom, top, right = 560, 52, 30, 12, 16
    plot_w, plot_h = width - left - right, height - top - bottom
    keep = [i for i, v in enumerate(values) if v is not None]
    if not keep:
        return mark_safe("")

    def pick(series):
        return [series[i] if series is not None and i < len(series) else None for i in keep]

    selected = keep.index(selected) if selected in keep else None
    weeks, lower, upper = [weeks[i] for i in keep], pick(lower), pick(upper)
    points = [v for v in values if v is not None]  # the kept weeks' values
    lcl, ucl, items, notes = pick(lcl), pick(ucl), pick(items), pick(notes)
    bands = {i: (lo, hi) for i, (lo, hi) in enumerate(zip(lower, upper, strict=True)) if lo is not None and hi is not None}
    known = [v for v in [*upper, *points, *ucl, threshold, guardrail] if v is not None]
    high = min(1.0, max(known, default=0.01) * 1.05) or 0.01
    ticks, step = nice_ticks(0.0, high, count=4)
    peak = min(1.0, ticks[-1] if ticks[-1] >= high else ticks[-1] + step)
    if peak > ticks[-1] + 1e-12:
        ticks.append(round(peak, 12))
    slot = plot_w / len(weeks)

    def sx(i: int) -> float:
        return left + slot * (i + 0.5)

    def sy(y: float) -> float:
        return top + plot_h * (1 - min(y, peak) / peak)

    def interval(i: int) -> str:
        return f" ({percent(bands[i][0])}\u2013{percent(bands[i][1])})" if i in bands else ""

    def hover(i: int) -> str:
        count = f", {items[i]} items" if items[i] is not None else ""
        note = f"; {notes[i]}" if notes[i] else ""
        return f"{weeks[i]}: {percent(points[i])}{interval(i)}{count}{note}"

    parts: list[SafeString] = []
    for y in ticks:
        parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/><text x="{}" y="{}" '
                                 'text-anchor="end" class="axis">{}</text>', left, width - right, _n(sy(y)), _n(sy(y)),
                                 left - 4, _n(sy(y) + 4), percent(y, step)))
    banded = sorted(bands)
    if banded:
        half = min(slot * 0.15, 6.0) if len(banded) == 1 else 0.0  # one week: a narrow bar, not a line
        edge = ([f"{_n(sx(i) - half)},{_n(sy(bands[i][1]))}" for i in banded]
                + [f"{_n(sx(i) + half)},{_n(sy(bands[i][1]))}" for i in banded[-1:] if half]
                + [f"{_n(sx(i) + half)},{_n(sy(bands[i][0]))}" for i in reversed(banded)]
                + [f"{_n(sx(i) - half)},{_n(sy(bands[i][0]))}" for i in banded[:1] if half])
        summary = "; ".join(f"{weeks[i]} {percent(bands[i][0])}\u2013{percent(bands[i][1])}" for i in banded)
        parts.append(format_html('<polygon points="{}" class="band"><title>95 % interval: {}</title></polygon>',
                                 " ".join(edge), summary))
    parts.append(format_html('<path d="{}" class="line"/>',
                             " ".join(f"{'M' if i == 0 else 'L'}{_n(sx(i))},{_n(sy(v))}" for i, v in enumerate(points))))
    for limits, name in ((lcl, "lower control limit"), (ucl, "upper control limit")):
        steps = " ".join(f"{'M' if i == 0 or limits[i - 1] is None else 'L'}{_n(sx(i))},{_n(sy(v))}"
                         for i, v in enumerate(limits) if v is not None)
        if steps:
            summary = "; ".join(f"{weeks[i]} {percent(v)}" for i, v in enumerate(limits) if v is not None)
            parts.append(format_html('<path d="{}" class="limit"><title>{}: {}</title></path>', steps, name, summary))
    for level, css, name in ((threshold, "threshold", "threshold"), (guardrail, "guardrail", "guardrail")):
        if level is not None:
            parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" class="{}"><title>{} {}</title></line>',
                                     left, width - right, _n(sy(level)), _n(sy(level)), css, name, percent(level)))
    for i, v in enumerate(points):
        css = " ".join(c for c in ("open" if notes[i] else "", "selected" if i == selected else "") if c)
        parts.append(format_html('<circle cx="{}" cy="{}" r="{}" class="{}"><title>{}</title></circle>',
                                 _n(sx(i)), _n(sy(v)), 4.5 if i == selected else 3, css or "point", hover(i)))
    for i, label in week_labels(weeks, slot).items():
        parts.append(format_html('<text x="{}" y="{}" text-anchor="middle" class="axis{}">{}</text>',
                                 _n(sx(i)), height - 10, " selected" if i == selected else "", label))
    svg = format_html('<svg viewBox="0 0 {} {}" role="img" aria-label="{}" class="chart trend">{}</svg>',
                      width, height, title, mark_safe("".join(parts)))
    legend = mark_safe('<span class="legend-item"><span class="swatch band"></span>95% interval</span>'
                       '<span class="legend-item"><span class="swatch threshold"></span>threshold</span>'
                       '<span class="legend-item"><span class="swatch guardrail"></span>guardrail</span>'
                       '<span class="legend-item"><span class="swatch limit"></span>control limits</span>'
                       '<span class="legend-item"><span class="swatch open"></span>week in progress</span>')
    return format_html('<figure class="chart"><figcaption>{}</figcaption>{}<div class="legend">{}</div></figure>',
                       title, svg, legend)
