"""Small server-side SVG charts for the pages: a line chart (a trend over time) and a bar chart
(a value per carrier, lane, month...). Plain SVG, no script: each chart has a <title> and a <desc>
(read by screen readers, role="img"), labelled axes, and the numbers as text (the page shows the
same figures in a table beside it).

`line_chart(points, title=..., desc=..., x_label=..., y_label=...)` takes (label, value) pairs;
`bar_chart(...)` the same; `label` makes the ids unique when a page has several charts. Values are numbers (Decimal, int, float); labels are strings already
formatted for the page's locale (use `fmt` in the template or the handler). `target` draws a
dashed line (a dashboard metric's target). Returns Markup, to put in a template as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape
from typing import TypedDict, Unpack

from markupsafe import Markup

Number = Decimal | int | float
Point = tuple[str, Number]  # a label already formatted for the page's locale, and its value
Draw = Callable[[list[str], Sequence[Point], list[float], float, float], list[float]]
WIDTH, HEIGHT = 560, 240
PAD_START, PAD_END, PAD_TOP, PAD_BOTTOM = 56, 16, 16, 44


def _scale(values: Sequence[float], target: float | None) -> tuple[float, float]:
    candidates = [*values, *([target] if target is not None else [])]
    low = min([0.0, *candidates])
    high = max([*candidates, low + 1.0])
    return low, high if high > low else low + 1.0


def _frame(
    title: str, desc: str, x_label: str, y_label: str, low: float, high: float, label: str
) -> list[str]:
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{label}-t {label}-d">',
        f'<title id="{label}-t">{escape(title)}</title>',
        f'<desc id="{label}-d">{escape(desc)}</desc>',
        f'<line x1="{PAD_START}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH - PAD_END}" '
        f'y2="{HEIGHT - PAD_BOTTOM}" stroke="#57606a"/>',
        f'<line x1="{PAD_START}" y1="{PAD_TOP}" x2="{PAD_START}" y2="{HEIGHT - PAD_BOTTOM}" '
        f'stroke="#57606a"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = PAD_TOP + plot_h * (1 - frac)
        value = low + (high - low) * frac
        out.append(
            f'<text x="{PAD_START - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,.4g}</text>'
        )
    out.append(
        f'<text x="{(PAD_START + WIDTH - PAD_END) / 2:.0f}" y="{HEIGHT - 6}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    out.append(
        f'<text x="14" y="{PAD_TOP + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {PAD_TOP + plot_h / 2:.0f})">{escape(y_label)}</text>'
    )
    return out


def _y(value: float, low: float, high: float) -> float:
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + plot_h * (1 - (value - low) / (high - low))


def _target(out: list[str], target: float | None, low: float, high: float) -> None:
    if target is not None:
        y = _y(target, low, high)
        out.append(
            f'<line class="target" x1="{PAD_START}" y1="{y:.1f}" x2="{WIDTH - PAD_END}" '
            f'y2="{y:.1f}" stroke="#b42318" stroke-dasharray="6 4"/>'
        )


def _x_labels(out: list[str], labels: Sequence[str], xs: Sequence[float]) -> None:
    step = max(1, len(labels) // 8)  # at most about eight labels under the axis
    for i in range(0, len(labels), step):
        out.append(
            f'<text x="{xs[i]:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" '
            f'text-anchor="middle">{escape(labels[i])}</text>'
        )


class ChartText(TypedDict):
    title: str  # the <title>: what the chart shows
    desc: str  # the <desc>: its finding in a sentence, for a screen reader
    x_label: str
    y_label: str


def line_chart(
    points: Sequence[Point],
    target: Number | None = None,
    label: str = "chart",
    **text: Unpack[ChartText],
) -> Markup:
    """A trend: the points joined left to right (at even steps), each marked."""
    return _chart(points, _line, target, label, text)


def bar_chart(
    points: Sequence[Point],
    target: Number | None = None,
    label: str = "chart",
    **text: Unpack[ChartText],
) -> Markup:
    """A value per category: one bar each, from zero."""
    return _chart(points, _bars, target, label, text)


def _chart(
    points: Sequence[Point], draw: Draw, target: Number | None, label: str, text: ChartText
) -> Markup:
    values = [float(v) for _, v in points]
    goal = float(target) if target is not None else None
    low, high = _scale(values, goal)
    out = _frame(text["title"], text["desc"], text["x_label"], text["y_label"], low, high, label)
    xs = draw(out, points, values, low, high)
    _target(out, goal, low, high)
    _x_labels(out, [name for name, _ in points], xs)
    out.append("</svg>")
    return Markup("".join(out))


def _line(
    out: list[str], points: Sequence[Point], values: list[float], low: float, high: float
) -> list[float]:
    span = WIDTH - PAD_START - PAD_END
    n = len(points)
    xs = [PAD_START + (span * i / (n - 1) if n > 1 else span / 2) for i in range(n)]
    coords = " ".join(f"{x:.1f},{_y(v, low, high):.1f}" for x, v in zip(xs, values, strict=True))
    if coords:
        out.append(f'<polyline fill="none" stroke="#0a58ca" stroke-width="2" points="{coords}"/>')
    for x, v in zip(xs, values, strict=True):
        out.append(f'<circle cx="{x:.1f}" cy="{_y(v, low, high):.1f}" r="3" fill="#0a58ca"/>')
    return xs


def _bars(
    out: list[str], points: Sequence[Point], values: list[float], low: float, high: float
) -> list[float]:
    span = WIDTH - PAD_START - PAD_END
    slot = span / max(1, len(points))
    xs = [PAD_START + slot * (i + 0.5) for i in range(len(points))]
    zero = _y(0.0, low, high)
    for (name, _), x, v in zip(points, xs, values, strict=True):
        top = _y(v, low, high)
        out.append(
            f'<rect x="{x - slot * 0.35:.1f}" y="{min(top, zero):.1f}" width="{slot * 0.7:.1f}" '
            f'height="{abs(zero - top):.1f}" fill="#0a58ca"><title>{escape(name)}: '
            f"{v:,.6g}</title></rect>"
        )
    return xs
