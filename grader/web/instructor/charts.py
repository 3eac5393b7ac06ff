"""Geometry for the server-side SVG plots, and the colour scale of the share of wrong answers;
the templates in ``instructor/_*.svg`` only draw what is computed here."""

from __future__ import annotations

import math
from dataclasses import dataclass

from grader.services.analytics import BASES, Histogram

SERIES = {
    "first": ("First attempt", "#ea580c"),
    "best": ("Best attempt", "#2563eb"),
    "last": ("Last attempt", "#6b7280"),
}
SHARE_STOPS = (
    (0.0, (21, 128, 61)),
    (0.2, (161, 98, 7)),
    (0.5, (194, 65, 12)),
    (1.0, (153, 27, 27)),
)
NO_DATA = "#9ca3af"


def share_color(share: float | None) -> str:
    """Green for no one wrong, amber at a fifth, orange-red at half, dark red for everyone: a step a
    third of the class gets wrong should not look fine."""
    if share is None:
        return NO_DATA
    share = min(max(share, 0.0), 1.0)
    for (low, a), (high, b) in zip(SHARE_STOPS, SHARE_STOPS[1:], strict=False):
        if share <= high:
            t = (share - low) / (high - low)
            return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))
    return NO_DATA


def percent(share: float) -> str:
    """A share as a whole percentage: 0.4166 -> 42%."""
    return f"{round(share * 100)}%"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    fill: str
    basis: str
    label: str


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class LegendEntry:
    x: float
    fill: str
    text: str


@dataclass(frozen=True)
class HistogramChart:
    """Everything ``_histogram.svg`` draws, in SVG user units."""

    width: int
    height: int
    left: int
    top: int
    bottom: float
    right: float
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    legend: list[LegendEntry]
    x_title: str
    empty: bool


def histogram_chart(histogram: Histogram, width: int = 760, height: int = 300) -> HistogramChart:
    """Grouped bars (first, best, last attempt) per score bin, each labelled with its count."""
    left, top, right_pad, bottom_pad = 44, 40, 12, 48
    plot_w, plot_h = width - left - right_pad, height - top - bottom_pad
    top_count = max((max(b.counts.values()) for b in histogram.bins), default=0)
    y_max = _nice(top_count)
    group = plot_w / max(len(histogram.bins), 1)
    bar_w = group * 0.78 / len(BASES)
    bars, x_ticks = [], []
    for i, item in enumerate(histogram.bins):
        x0 = left + i * group + group * 0.11
        for j, basis in enumerate(BASES):
            count = item.counts[basis]
            h = plot_h * count / y_max if y_max else 0
            bars.append(
                Bar(
                    x=round(x0 + j * bar_w, 2),
                    y=round(top + plot_h - h, 2),
                    width=round(bar_w - 1, 2),
                    height=round(h, 2),
                    count=count,
                    fill=SERIES[basis][1],
                    basis=basis,
                    label=f"{SERIES[basis][0]}, {item.label}: {count}",
                )
            )
        x_ticks.append(Tick(round(left + (i + 0.5) * group, 2), item.label))
    y_ticks = [Tick(round(top + plot_h - plot_h * v / y_max, 2), str(v)) for v in _steps(y_max)]
    legend, x = [], left
    for basis in BASES:
        name, fill = SERIES[basis]
        mean = histogram.means[basis]
        text = f"{name}: {histogram.students[basis]} students"
        if mean is not None:
            text += f", mean {percent(mean)}"
        legend.append(LegendEntry(x, fill, text))
        x += round(6.4 * len(text)) + 30
    unit = "points" if histogram.unit == "points" else "score, % of the maximum"
    return HistogramChart(
        width=width,
        height=height,
        left=left,
        top=top,
        bottom=top + plot_h,
        right=left + plot_w,
        bars=bars,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        legend=legend,
        x_title=f"Score ({unit})",
        empty=top_count == 0,
    )


def _nice(count: int) -> int:
    if count <= 5:
        return max(count, 1)
    magnitude = 10 ** math.floor(math.log10(count))
    for step in (1, 2, 2.5, 5, 10):
        if count <= step * magnitude:
            return int(step * magnitude)
    return count


def _steps(y_max: int) -> list[int]:
    if y_max <= 5:
        return list(range(y_max + 1))
    return [0, y_max // 4, y_max // 2, 3 * y_max // 4, y_max]
