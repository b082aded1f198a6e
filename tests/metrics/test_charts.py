"""The server-side SVG charts: weeks with data only, readable ticks, a hover value on every point and band."""
from __future__ import annotations

import itertools
import re

from reviewapp.lib.charts import _label_width, line_chart, nice_ticks, percent, trend_chart

XSS = '<script>alert("x")</script>'


def axis_labels(svg: str, y: int) -> list[tuple[float, str]]:
    return [(float(x), text) for x, text in re.findall(rf'<text x="([\d.]+)" y="{y}" [^>]*class="axis[^"]*">([^<]*)</text>', svg)]


def test_weeks_without_a_value_are_left_off_the_axis():
    svg = trend_chart(["2026-W44", "2026-W45", "2026-W46", "2026-W47"], [0.02, None, 0.03, 0.025],
                      [0.01, None, 0.02, 0.015], [0.04, None, 0.05, 0.04], title="Error rate", threshold=0.05,
                      items=[240, None, 250, 120], notes=["", "", "", "in progress: 120 of 288 items"], selected=3)
    labels = [text for _, text in axis_labels(svg, 210)]
    assert labels == ["2026-W44", "W46", "W47"] and "W45" not in svg
    assert svg.count("<circle") == 3


def test_every_point_and_the_band_have_a_hover_value():
    svg = trend_chart(["2026-W46", "2026-W47"], [0.012, 0.03], [0.008, 0.01], [0.019, 0.2], title="Error rate",
                      items=[240, 114], notes=["", "in progress: 114 of 289 items"])
    circles = re.findall(r"<circle [^>]*>(.*?)</circle>", svg)
    assert circles == ["<title>2026-W46: 1.2 % (0.80 %\u20131.9 %), 240 items</title>",
                       "<title>2026-W47: 3.0 % (1.0 %\u201320.0 %), 114 items; in progress: 114 of 289 items</title>"]
    assert re.search(r'<polygon points="[^"]+" class="band"><title>95 % interval: 2026-W46 0.80 %\u20131.9 %; '
                     r'2026-W47 1.0 %\u201320.0 %</title></polygon>', svg)
    assert 'class="open"' in svg  # the week in progress is drawn hollow


def test_a_single_week_still_has_a_visible_band_and_a_titled_point():
    svg = trend_chart(["2026-W47"], [0.05], [0.02], [0.09], title="Error rate")
    points = re.search(r'<polygon points="([^"]+)" class="band">', svg)[1].split()
    assert len({p.split(",")[0] for p in points}) == 2  # a bar with some width
    assert svg.count("<title>2026-W47: 5.0 %") == 1


def test_week_labels_never_overlap_and_the_latest_is_always_labelled():
    weeks = [f"2025-W{w:02d}" for w in range(20, 53)] + [f"2026-W{w:02d}" for w in range(1, 21)]
    values = [0.02 + 0.001 * (i % 5) for i in range(len(weeks))]
    svg = trend_chart(weeks, values, [v - 0.01 for v in values], [v + 0.01 for v in values], title="Error rate")
    labels = axis_labels(svg, 210)
    assert labels[-1][1] == "W20"
    for (x0, a), (x1, b) in itertools.pairwise(labels):
        assert x1 - x0 >= (_label_width(a) + _label_width(b)) / 2 - 8, (a, b)
    assert labels[0][1].startswith("2025-W") and sum(t.startswith("2026-W") for _, t in labels) == 1  # years named once


def test_y_ticks_are_round_percentages():
    svg = trend_chart(["2026-W46", "2026-W47"], [0.002, 0.003], [0.001, 0.001], [0.006, 0.008], title="Harm",
                      threshold=0.005)
    ticks = [text for _, text in re.findall(r'<text x="(\d+)" y="[\d.]+" text-anchor="end" class="axis">([^<]*)</text>', svg)]
    assert ticks == ["0.00 %", "0.25 %", "0.50 %", "0.75 %", "1.00 %"]
    assert nice_ticks(0.01, 0.06, count=5) == ([0.01, 0.02, 0.03, 0.04, 0.05, 0.06], 0.01)
    assert percent(0.0005, 0.0005) == "0.05 %" and percent(0.5, 0.25) == "50 %" and percent(0.0035) == "0.35 %"


def test_chart_text_is_escaped():
    svg = trend_chart([XSS], [0.1], [0.05], [0.2], title=XSS, notes=[XSS])
    assert XSS not in svg and "&lt;script&gt;" in svg


def test_the_plan_pages_line_chart_keeps_its_call_and_gets_round_ticks():
    points = [(0.01 + 0.05 * i / 11, min(1.0, 0.05 + 0.09 * i)) for i in range(12)]
    svg = line_chart(points, title="Chance to notice a rise", x_label="true error rate", y_label="alarm", marker=0.03)
    labels = [text for _, text in axis_labels(svg, 182)]
    assert labels == ["1 %", "2 %", "3 %", "4 %", "5 %", "6 %"]
    assert svg.count("<circle") == svg.count("</title></circle>") == 12
    assert 'class="marker"' in svg
