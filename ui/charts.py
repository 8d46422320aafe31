"""Server-rendered SVG charts: the geometry here (pure, integers and Decimals), the markup in
ui/templates/reports/_charts.html. No JavaScript chart library.

Amounts come in as fen; axis labels are whole yuan with thousands separators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 84, 36, 28, 44  # plot margins (the right one leaves room for the last month label)
TICKS = 4


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def yuan_label(fen: int) -> str:
    return f"¥{fen // 100:,}"


@dataclass(frozen=True, slots=True)
class Tick:
    y: int
    label: str


@dataclass(frozen=True, slots=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value_label: str
    css: str


@dataclass(frozen=True, slots=True)
class Frame:
    """What every chart draws in: its size, the plot area and the y-axis ticks."""

    width: int
    height: int
    plot_left: int
    plot_bottom: int
    plot_right: int
    ticks: list[Tick]


def _frame(top: int) -> dict:
    return {"width": WIDTH, "height": HEIGHT, "plot_left": LEFT, "plot_bottom": HEIGHT - BOTTOM, "plot_right": WIDTH - RIGHT, "ticks": _ticks(top)}


@dataclass(frozen=True, slots=True)
class BarChart(Frame):
    bars: list[Bar]
    title: str


def _ticks(top_fen: int) -> list[Tick]:
    plot_h = HEIGHT - TOP - BOTTOM
    return [Tick(y=HEIGHT - BOTTOM - plot_h * i // TICKS, label=yuan_label(top_fen * i // TICKS)) for i in range(TICKS + 1)]


def bar_chart(values: list[tuple[str, int, str]], *, title: str) -> BarChart:
    """`values`: (label, fen, css class) per bar, drawn left to right."""
    top = nice_ceiling(max((v for _, v, _ in values), default=0) // 100) * 100
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w // max(len(values), 1)
    bars = []
    for i, (label, fen, css) in enumerate(values):
        h = plot_h * max(fen, 0) // top
        bars.append(Bar(x=LEFT + i * slot + slot // 5, y=HEIGHT - BOTTOM - h, width=slot * 3 // 5, height=h, label=label,
                        value_label=_yuan2(fen), css=css))
    return BarChart(**_frame(top), bars=bars, title=title)


def _yuan2(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    css: str
    points: str  # "x,y x,y ..." for <polyline points>
    dots: list[tuple[int, int, str]]  # (x, y, value label) for markers with <title>


@dataclass(frozen=True, slots=True)
class LineChart(Frame):
    x_labels: list[tuple[int, str]]
    lines: list[Line]
    title: str


def months_back(end: date, count: int) -> list[str]:
    """The `count` months up to and including `end`'s month, oldest first ("2026-11")."""
    y, m = end.year, end.month
    out = []
    for _ in range(count):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def line_chart(periods: list[str], series: list[tuple[str, str, dict[str, int]]], *, title: str) -> LineChart:
    """`series`: (name, css class, {period: fen}); periods missing from a series count as 0."""
    top = nice_ceiling(max((max(values.values(), default=0) for _, _, values in series), default=0) // 100) * 100
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w // max(len(periods) - 1, 1)

    def x(i: int) -> int:
        return LEFT + i * step

    def y(fen: int) -> int:
        return HEIGHT - BOTTOM - plot_h * max(fen, 0) // top

    lines = []
    for name, css, values in series:
        pts = [(x(i), y(values.get(p, 0)), _yuan2(values.get(p, 0))) for i, p in enumerate(periods)]
        lines.append(Line(name=name, css=css, points=" ".join(f"{a},{b}" for a, b, _ in pts), dots=pts))
    every = max(len(periods) // 6, 1)
    x_labels = [(x(i), p) for i, p in enumerate(periods) if i % every == 0 or i == len(periods) - 1]
    return LineChart(**_frame(top), x_labels=x_labels, lines=lines, title=title)
