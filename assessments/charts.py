"""Charts as server-rendered inline SVG: geometry here, markup in the `chart` partial of
templates/assessments/analysis.html, so no JavaScript charting library is needed.

Readable on a phone and on a desktop: the drawing is 480 x 300 units and is never shown wider
than 34rem, so its 15-unit text is at least about 11 CSS pixels on a 390 px screen. Both axes
have a title and tick labels; with many items only every n-th item number is written. Flagged
items differ by colour and by a hatch pattern, and the legend says so in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from assessments.item_report import Report

WIDTH, HEIGHT = 480, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 60
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
MAX_X_LABELS = 12


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str
    flagged: bool = False


@dataclass
class Point:
    x: float
    y: float
    label: str
    value: str
    flagged: bool = False


@dataclass
class Chart:
    x_title: str | Promise
    y_title: str | Promise
    bars: list[Bar] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)  # (x, label)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    zero_y: float | None = None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM
    x_title_x: float = LEFT + PLOT_WIDTH / 2
    x_title_y: float = HEIGHT - 12
    y_title_x: float = 16
    y_title_y: float = TOP + PLOT_HEIGHT / 2

    @property
    def has_flagged(self) -> bool:
        return any(bar.flagged for bar in self.bars) or any(p.flagged for p in self.points)


def _y(value: float, low: float, high: float) -> float:
    return TOP + PLOT_HEIGHT - (value - low) / (high - low) * PLOT_HEIGHT


def _x(value: float, low: float, high: float) -> float:
    return LEFT + (value - low) / (high - low) * PLOT_WIDTH


def _every(count: int) -> int:
    return max(1, math.ceil(count / MAX_X_LABELS))


def facility_chart(report: Report) -> Chart:
    """A bar per item: its facility, 0 to 1 (answered questions only)."""
    items = report.items
    slot = PLOT_WIDTH / max(1, len(items))
    step = _every(len(items))
    chart = Chart(x_title=_("Item number"), y_title=_("Facility"))
    for i, item in enumerate(items):
        value = item.facility or 0.0
        top = _y(value, 0, 1)
        chart.bars.append(
            Bar(
                x=LEFT + i * slot + slot * 0.1,
                y=top,
                width=max(1.0, slot * 0.8),
                height=TOP + PLOT_HEIGHT - top,
                label=str(item.number),
                value="—" if item.facility is None else f"{item.facility:.2f}",
                flagged=item.flagged,
            )
        )
        if i % step == 0:
            chart.x_ticks.append((LEFT + (i + 0.5) * slot, str(item.number)))
    chart.y_ticks = [(_y(v, 0, 1), f"{v:.2f}".rstrip("0").rstrip(".")) for v in (0, 0.5, 1)]
    return chart


def discrimination_chart(report: Report) -> Chart:
    """Facility (x, 0 to 1) against point-biserial discrimination (y, -1 to 1)."""
    chart = Chart(x_title=_("Facility"), y_title=_("Discrimination"))
    for item in report.items:
        if item.facility is None or item.point_biserial is None:
            continue
        chart.points.append(
            Point(
                x=_x(item.facility, 0, 1),
                y=_y(item.point_biserial, -1, 1),
                label=str(item.number),
                value=f"{item.facility:.2f} / {item.point_biserial:.2f}",
                flagged=item.flagged,
            )
        )
    chart.x_ticks = [(_x(v, 0, 1), f"{v:g}") for v in (0, 0.25, 0.5, 0.75, 1)]
    chart.y_ticks = [(_y(v, -1, 1), f"{v:+g}" if v else "0") for v in (-1, -0.5, 0, 0.5, 1)]
    chart.zero_y = _y(0, -1, 1)
    return chart


def score_histogram(report: Report, bins: int = 10) -> Chart:
    """How many attempts scored 0-10%, 10-20%, ... 90-100%."""
    counts = [0] * bins
    for percent in report.score_percents:
        counts[min(bins - 1, percent * bins // 100)] += 1
    top = max(counts) or 1
    slot = PLOT_WIDTH / bins
    chart = Chart(x_title=_("Score, %"), y_title=_("Attempts"))
    for i, count in enumerate(counts):
        y = _y(count, 0, top)
        low = i * 100 // bins
        chart.bars.append(
            Bar(
                x=LEFT + i * slot + 2,
                y=y,
                width=slot - 4,
                height=TOP + PLOT_HEIGHT - y,
                label=f"{low}–{low + 100 // bins}%",
                value=str(count),
            )
        )
    chart.x_ticks = [(LEFT + i * slot, str(i * 100 // bins)) for i in range(0, bins + 1, 2)]
    chart.y_ticks = [(_y(v, 0, top), str(v)) for v in sorted({0, top // 2, top})]
    return chart
