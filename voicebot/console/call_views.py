"""Pure helpers of the call-log pages: the list's filters, durations, and the day page's 30-day chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from booking.calls import DayCounts
from booking.records import CALL_OUTCOMES, CallChannel, LoggedCall
from voicebot.console.book_views import parse_day

CHANNELS: tuple[str, ...] = tuple(channel.value for channel in CallChannel)
CHART_DAYS = 30
"""The day page's chart covers today and the 29 days before."""
CHART_SERIES: tuple[str, ...] = ("booked", "transferred", "abandoned")
"""The groups drawn inside each day's bar (bottom first); the rest of the bar is the other calls."""


@dataclass(frozen=True)
class CallFilter:
    """What the calls page was asked to show; every field optional."""

    first_day: date | None = None
    last_day: date | None = None
    """Inclusive."""
    outcome: str | None = None
    """One of `CALL_OUTCOMES`."""
    channel: str | None = None
    """One of `CHANNELS`."""

    def bounds(self, zone: tzinfo) -> tuple[datetime | None, datetime | None]:
        """The filter's days as aware instants (the end exclusive), in the practice's zone."""
        start = datetime.combine(self.first_day, time(), zone) if self.first_day else None
        end = datetime.combine(self.last_day + timedelta(days=1), time(), zone) if self.last_day else None
        return start, end

    def describe(self) -> str:
        """The filter for the audit trail (no personal data in it): "from=2026-11-01 outcome=booked"."""
        parts = [
            f"from={self.first_day.isoformat()}" if self.first_day else "",
            f"until={self.last_day.isoformat()}" if self.last_day else "",
            f"outcome={self.outcome}" if self.outcome else "",
            f"channel={self.channel}" if self.channel else "",
        ]
        return " ".join(p for p in parts if p) or "all"


def parse_filter(first: str, last: str, outcome: str, channel: str) -> CallFilter:
    """The filter from the page's query; anything not understood is left out."""
    return CallFilter(
        parse_day(first),
        parse_day(last),
        outcome if outcome in CALL_OUTCOMES else None,
        channel if channel in CHANNELS else None,
    )


def duration_text(started: datetime, ended: datetime) -> str:
    """A call's length for people: "45 s", "3 min 05 s"."""
    seconds = max(0, round((ended - started).total_seconds()))
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


@dataclass(frozen=True)
class CallView:
    """One call as the pages show it: times in the practice's zone, lengths and delays for people."""

    call: LoggedCall
    started: datetime
    ended: datetime
    duration: str
    p50_ms: int | None
    """The median reply delay; `None` on the text simulator."""
    p95_ms: int | None

    @classmethod
    def of(cls, call: LoggedCall, zone: tzinfo) -> CallView:
        """The view of a logged call."""
        e, latency = call.entry, call.entry.latency
        return cls(
            call,
            e.started_at.astimezone(zone),
            e.ended_at.astimezone(zone),
            duration_text(e.started_at, e.ended_at),
            latency.p50_ms if latency else None,
            latency.p95_ms if latency else None,
        )

    @property
    def references(self) -> list[tuple[str, str]]:
        """(`booked`|`moved`|`cancelled`, reference) of what the call changed."""
        e = self.call.entry
        return (
            [("booked", r) for r in e.booked]
            + [("moved", r) for r in e.moved]
            + [("cancelled", r) for r in e.cancelled]
        )


@dataclass(frozen=True)
class ChartBar:
    """One rectangle of the chart, in the SVG's units."""

    series: str
    """`calls` (the whole day) or one of `CHART_SERIES`."""
    y: float
    height: float


@dataclass(frozen=True)
class ChartDay:
    """One day's column of the chart."""

    counts: DayCounts
    x: float
    bars: tuple[ChartBar, ...]
    label: bool
    """Whether the day's date is written under the axis."""


@dataclass(frozen=True)
class CallChart:
    """The day page's chart of the last days' calls, laid out for an inline SVG."""

    days: tuple[ChartDay, ...]
    scale: int
    """The number of calls the full height stands for."""
    totals: DayCounts
    """The sums over the whole range (`day` is the last day)."""
    width: int
    height: int
    """The plotting area's height (labels go below it)."""
    bar_width: float


def call_chart(counts: Sequence[DayCounts], *, width: int = 600, height: int = 120) -> CallChart:
    """Lay out `daily_counts`: per day a bar as tall as its calls, with booked, transferred and abandoned calls
    stacked inside it from the bottom; every fifth day (counting back from the last) is labelled.
    """
    scale = max([1, *(c.calls for c in counts)])
    step = width / max(1, len(counts))
    days = []
    for index, c in enumerate(counts):
        unit = height / scale
        bars = [ChartBar("calls", height - c.calls * unit, c.calls * unit)]
        bottom = float(height)
        for series in CHART_SERIES:
            size = getattr(c, series) * unit
            bottom -= size
            bars.append(ChartBar(series, bottom, size))
        labelled = (len(counts) - 1 - index) % 5 == 0
        days.append(ChartDay(c, index * step, tuple(b for b in bars if b.height > 0), labelled))
    last = counts[-1].day if counts else date.min
    totals = DayCounts(
        last,
        sum(c.calls for c in counts),
        sum(c.booked for c in counts),
        sum(c.transferred for c in counts),
        sum(c.abandoned for c in counts),
    )
    return CallChart(tuple(days), scale, totals, width, height, step * 0.7)
