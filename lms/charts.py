"""Geometry for the server-rendered charts of `templates/components/` (inline SVG and CSS bars,
no JavaScript, no external assets): the numbers stay in the page as text for screen readers
and print."""

from dataclasses import dataclass
from decimal import Decimal

CHART_WIDTH, CHART_HEIGHT = 320, 120


def line_points(values: list[float | None], top: float = 100) -> list[tuple[float, float, float]]:
    """(x, y, value) of each point of a line chart on a CHART_WIDTH × CHART_HEIGHT canvas whose
    top is `top`; a missing value leaves a gap in x."""
    if not values:
        return []
    step = CHART_WIDTH / max(1, len(values) - 1)
    return [
        (round(i * step, 1), round(CHART_HEIGHT - value / top * CHART_HEIGHT, 1), value)
        for i, value in enumerate(values)
        if value is not None
    ]


def nice_top(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value` (1 for nothing): a chart's top."""
    if value <= 0:
        return 1
    scale = 1
    while scale * 10 < value:
        scale *= 10
    while scale > value:
        scale /= 10
    return next(scale * m for m in (1, 2, 2.5, 5, 10) if scale * m >= value)


def line_chart(values: list[float], labels: list[str]) -> dict:
    """Context for `components/line_chart.html`: points scaled to a rounded top, and an x-axis
    label under each point (`labels`, one a value)."""
    top = nice_top(max(values, default=0))
    points = line_points(values, top)
    return {
        "points": points,
        "x_labels": [(x, label) for (x, _y, _value), label in zip(points, labels, strict=True)],
        "top": top,
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
    }


@dataclass
class Bar:
    """One row of `components/bar_chart.html`: `width` is its length in % of the longest bar."""

    label: str
    value: float | Decimal
    text: str
    width: int
    url: str = ""


def bars(rows: list[tuple], *, top: float | None = None) -> list[Bar]:
    """Bars from rows (label, value, text[, url]), scaled to `top` (default the largest value)."""
    top = top if top is not None else max((row[1] for row in rows), default=0)
    return [
        Bar(
            label=str(row[0]),
            value=row[1],
            text=str(row[2]),
            width=round(float(row[1]) * 100 / float(top)) if top else 0,
            url=row[3] if len(row) > 3 else "",
        )
        for row in rows
    ]
