"""Charts as server-rendered inline SVG: geometry here, markup in
templates/assessments/charts.html, so no JavaScript charting library is needed."""

from __future__ import annotations

from dataclasses import dataclass

from assessments.item_report import Report

WIDTH, HEIGHT, MARGIN = 640, 220, 32


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
    width: int
    height: int
    margin: int
    bars: list[Bar]
    points: list[Point]
    gridlines: list[tuple[float, str]]  # (y, label)
    zero_y: float | None = None


def _y(value: float, low: float, high: float) -> float:
    span = HEIGHT - 2 * MARGIN
    return HEIGHT - MARGIN - (value - low) / (high - low) * span


def facility_chart(report: Report) -> Chart:
    """A bar per item: its facility, 0 to 1."""
    items = report.items
    slot = (WIDTH - 2 * MARGIN) / max(1, len(items))
    bars = []
    for i, item in enumerate(items):
        value = item.facility or 0.0
        top = _y(value, 0, 1)
        bars.append(
            Bar(
                x=MARGIN + i * slot + slot * 0.1,
                y=top,
                width=max(1.0, slot * 0.8),
                height=HEIGHT - MARGIN - top,
                label=str(item.number),
                value="—" if item.facility is None else f"{item.facility:.2f}",
                flagged=item.flagged,
            )
        )
    grid = [(_y(v, 0, 1), f"{v:.1f}") for v in (0, 0.25, 0.5, 0.75, 1)]
    return Chart(WIDTH, HEIGHT, MARGIN, bars, [], grid)


def discrimination_chart(report: Report) -> Chart:
    """Facility (x, 0 to 1) against point-biserial discrimination (y, -1 to 1)."""
    points = []
    for item in report.items:
        if item.facility is None or item.point_biserial is None:
            continue
        points.append(
            Point(
                x=MARGIN + item.facility * (WIDTH - 2 * MARGIN),
                y=_y(item.point_biserial, -1, 1),
                label=str(item.number),
                value=f"{item.facility:.2f} / {item.point_biserial:.2f}",
                flagged=item.flagged,
            )
        )
    grid = [(_y(v, -1, 1), f"{v:+.1f}") for v in (-1, -0.5, 0, 0.5, 1)]
    return Chart(WIDTH, HEIGHT, MARGIN, [], points, grid, zero_y=_y(0, -1, 1))


def score_histogram(report: Report, bins: int = 10) -> Chart:
    """How many attempts scored 0-10%, 10-20%, ... 90-100%."""
    counts = [0] * bins
    for percent in report.score_percents:
        counts[min(bins - 1, percent * bins // 100)] += 1
    top = max(counts) or 1
    slot = (WIDTH - 2 * MARGIN) / bins
    bars = []
    for i, count in enumerate(counts):
        y = _y(count, 0, top)
        bars.append(
            Bar(
                x=MARGIN + i * slot + 2,
                y=y,
                width=slot - 4,
                height=HEIGHT - MARGIN - y,
                label=f"{i * 100 // bins}",
                value=str(count),
            )
        )
    grid = [(_y(v, 0, top), str(v)) for v in sorted({0, top // 2, top})]
    return Chart(WIDTH, HEIGHT, MARGIN, bars, [], grid)
