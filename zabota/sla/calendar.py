"""Business time: how many seconds of a calendar's open hours lie between two moments, and the
moment when a number of business seconds has passed after a start.

A ``BusinessCalendar`` turns a ``Calendar`` row into a sorted list of open intervals in UTC epoch
seconds (weekly hours in the calendar's timezone, minus country holidays from the ``holidays``
package and the calendar's custom ``Holiday`` rows), with a running sum of open seconds. Both
questions are then two binary searches, so the recompute of a million clocks stays fast:

- ``between(a, b)``: business seconds in ``[a, b)``;
- ``add(start, seconds)``: the first moment at which ``seconds`` of business time have passed
  since ``start`` (``seconds`` may be negative: the moment that much business time before).

Intervals are built per local day, in the calendar's timezone with ``zoneinfo``, so a DST change
shortens or lengthens that day's UTC intervals as the wall clock says (09:00-18:00 is always nine
wall-clock hours, except that a day whose open hours contain the change is an hour shorter or
longer). A wall time that does not exist (inside the spring-forward gap) is read with the offset
before the change, as ``zoneinfo`` does. Days are added to the window a year at a time, lazily.

Instances are cached per process, keyed by calendar id and invalidated when
``Calendar.updated_at`` changes: whoever edits a calendar (its hours, country or holidays) must
bump ``updated_at`` (``zabota.sla.config`` does), or call ``invalidate()``.

Choices, written down:
- ``None`` or ``always_open`` is 24/7: every second counts.
- A calendar with no open hours in its week is treated as 24/7 (it can't be a deadline that
  never comes); ``clean_hours()`` rejects such hours with ValidationFailed when they are saved.
- Intervals end at or before the next midnight ("24:00" is accepted as the end of a day);
  an interval that ends before it starts is ignored (split overnight shifts in two days).
- If holidays close every open day for ``MAX_EMPTY_YEARS`` years running, the calendar falls
  back to 24/7 for that question instead of searching forever.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zabota.core.errors import ValidationFailed
from zabota.sla.models import Calendar, Holiday

logger = logging.getLogger(__name__)

MAX_EMPTY_YEARS = 10
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$|^24:00$")


def _minutes(value: str) -> int:
    if value == "24:00":
        return 24 * 60
    hh, mm = value.split(":")
    return int(hh) * 60 + int(mm)


def clean_hours(hours: Any) -> dict[str, list[list[str]]]:
    """Validate weekly hours (``{"0": [["09:00", "18:00"]], ...}``, Monday = "0") and return them
    normalised (sorted, without empty days). Raises ValidationFailed for a bad time, an interval
    that ends before it starts, overlapping intervals, or a week with no open hours at all."""
    if not isinstance(hours, dict):
        raise ValidationFailed("hours must map weekdays to intervals", fields={"hours": "invalid"})
    cleaned: dict[str, list[list[str]]] = {}
    for day, intervals in hours.items():
        if str(day) not in {str(d) for d in range(7)}:
            raise ValidationFailed(f"unknown weekday {day!r}", fields={"hours": "invalid"})
        if not intervals:
            continue
        pairs: list[list[str]] = []
        for pair in intervals:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValidationFailed("each interval is [start, end]", fields={"hours": "invalid"})
            start, end = (str(v).strip() for v in pair)
            if not _HHMM.match(start) or not _HHMM.match(end) or _minutes(start) >= _minutes(end):
                raise ValidationFailed(
                    f"{start}-{end} is not an interval within one day", fields={"hours": "invalid"}
                )
            pairs.append([start, end])
        pairs.sort(key=lambda p: _minutes(p[0]))
        for prev, nxt in zip(pairs, pairs[1:], strict=False):
            if _minutes(nxt[0]) < _minutes(prev[1]):
                raise ValidationFailed("intervals of a day overlap", fields={"hours": "invalid"})
        cleaned[str(day)] = pairs
    if not cleaned:
        raise ValidationFailed(
            "a business-hours calendar needs open hours on at least one day (or make it 24/7)",
            fields={"hours": "empty"},
        )
    return cleaned


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown timezone %r, using UTC", name)
        return ZoneInfo("UTC")


@dataclass
class BusinessCalendar:
    """Open intervals of one calendar, answering ``between`` and ``add`` in business seconds.

    Create with ``for_calendar``. Not thread-safe while extending its window (the recompute and
    the jobs are single-threaded per process).
    """

    always_open: bool = True
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    # weekday -> [(start minute, end minute)] in local wall time
    week: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    country: str = ""
    subdivision: str = ""
    custom_holidays: frozenset[date] = frozenset()
    # window: local years covered, and the intervals (epoch seconds) with running sums
    _first_year: int = 0
    _last_year: int = -1
    _starts: list[float] = field(default_factory=list)
    _ends: list[float] = field(default_factory=list)
    _cum_before: list[float] = field(default_factory=list)  # open seconds before interval i
    _cum_end: list[float] = field(default_factory=list)  # open seconds up to the end of interval i
    _safe_from: float = 0.0  # timestamps in [_safe_from, _safe_to) need no window change
    _safe_to: float = 0.0

    # ----------------------------------------------------------------- construction

    @classmethod
    def for_calendar(cls, cal: Calendar | None) -> BusinessCalendar:
        """The (cached) business calendar of ``cal``; None or an always-open calendar is 24/7."""
        if cal is None or cal.always_open:
            return ALWAYS_OPEN
        cached = _cache.get(cal.pk)
        if cached is not None and cached[0] == cal.updated_at:
            return cached[1]
        built = cls.build(cal)
        _cache[cal.pk] = (cal.updated_at, built)
        return built

    @classmethod
    def build(cls, cal: Calendar) -> BusinessCalendar:
        week: dict[int, list[tuple[int, int]]] = {}
        for day, intervals in (cal.hours or {}).items():
            try:
                wd = int(day)
                pairs = sorted(
                    (_minutes(str(a)), _minutes(str(b))) for a, b in intervals or [] if str(a) and str(b)
                )
            except (TypeError, ValueError):
                logger.warning("calendar %s has unreadable hours for day %r; ignored", cal.pk, day)
                continue
            pairs = [(a, b) for a, b in pairs if 0 <= a < b <= 24 * 60]
            if 0 <= wd <= 6 and pairs:
                week[wd] = pairs
        if not week:
            logger.warning("calendar %s (%s) has no open hours: treated as 24/7", cal.pk, cal.name)
            return ALWAYS_OPEN
        custom = frozenset(Holiday.objects.filter(calendar_id=cal.pk).values_list("date", flat=True))
        return cls(
            always_open=False,
            tz=_zone(cal.timezone),
            week=week,
            country=(cal.country or "").upper(),
            subdivision=cal.subdivision or "",
            custom_holidays=custom,
        )

    def _holidays(self, years: range) -> set[date]:
        closed = set(d for d in self.custom_holidays if d.year in years)
        if self.country:
            import holidays

            try:
                country = holidays.country_holidays(
                    self.country, subdiv=self.subdivision or None, years=list(years)
                )
            except (NotImplementedError, KeyError, ValueError):
                logger.warning("no holidays for country %r/%r", self.country, self.subdivision)
            else:
                closed.update(country.keys())
        return closed

    def _ensure_years(self, first: int, last: int) -> None:
        """Make the window cover local years ``first..last`` (rebuilding the lists)."""
        if self._first_year <= first and last <= self._last_year:
            return
        if self._last_year >= self._first_year:
            first, last = min(first, self._first_year), max(last, self._last_year)
        first, last = max(first, 1901), min(last, 9000)
        years = range(first, last + 1)
        closed = self._holidays(years)
        starts: list[float] = []
        ends: list[float] = []
        day = date(first, 1, 1)
        stop = date(last, 12, 31)
        one = timedelta(days=1)
        tz = self.tz
        week = self.week
        while day <= stop:
            pairs = week.get(day.weekday())
            if pairs and day not in closed:
                for a, b in pairs:
                    s = datetime.combine(day, time(a // 60, a % 60), tz).timestamp()
                    if b == 24 * 60:
                        e = datetime.combine(day + one, time(0, 0), tz).timestamp()
                    else:
                        e = datetime.combine(day, time(b // 60, b % 60), tz).timestamp()
                    if e > s:
                        if starts and s <= ends[-1]:  # touching intervals (e.g. 24:00 + 00:00)
                            ends[-1] = max(ends[-1], e)
                        else:
                            starts.append(s)
                            ends.append(e)
            day += one
        cum_before: list[float] = []
        cum_end: list[float] = []
        total = 0.0
        for s, e in zip(starts, ends, strict=True):
            cum_before.append(total)
            total += e - s
            cum_end.append(total)
        self._first_year, self._last_year = first, last
        self._safe_from = datetime(first + 1, 1, 1, tzinfo=tz).timestamp() if first < 9000 else 0.0
        self._safe_to = datetime(last, 1, 1, tzinfo=tz).timestamp()
        self._starts, self._ends, self._cum_before, self._cum_end = starts, ends, cum_before, cum_end

    def _cover(self, ts: float) -> None:
        """Grow the window so that ``ts`` lies at least a whole local year inside it."""
        if self._safe_from <= ts < self._safe_to:
            return
        year = datetime.fromtimestamp(ts, self.tz).year
        self._ensure_years(year - 1, year + 1)

    # ----------------------------------------------------------------- questions

    def _cum(self, ts: float) -> float:
        """Open seconds from the window's start to ``ts`` (the window must cover ``ts``)."""
        i = bisect_right(self._starts, ts) - 1
        if i < 0:
            return 0.0
        return self._cum_before[i] + min(ts, self._ends[i]) - self._starts[i]

    def between_ts(self, a: float, b: float) -> float:
        """Business seconds in ``[a, b)`` between two epoch timestamps (0 when b <= a)."""
        if b <= a:
            return 0.0
        if self.always_open:
            return b - a
        self._cover(a)
        self._cover(b)
        return self._cum(b) - self._cum(a)

    def add_ts(self, start: float, seconds: float) -> float:
        """The epoch timestamp when ``seconds`` of business time have passed after ``start``."""
        if self.always_open or seconds == 0:
            return start + seconds
        self._cover(start)
        target = self._cum(start) + seconds
        for _ in range(MAX_EMPTY_YEARS + 1):
            if seconds > 0 and self._cum_end and target <= self._cum_end[-1]:
                j = bisect_left(self._cum_end, target)
                return self._starts[j] + (target - self._cum_before[j])
            if seconds < 0 and self._cum_end and target > 0:
                j = bisect_left(self._cum_end, target)
                return self._starts[j] + (target - self._cum_before[j])
            # Beyond the window: grow it by a year in the right direction and try again.
            before = self._cum_end[-1] if self._cum_end else 0.0
            if seconds > 0:
                self._ensure_years(self._first_year, self._last_year + 1)
            else:
                self._ensure_years(self._first_year - 1, self._last_year)
                target += (self._cum_end[-1] if self._cum_end else 0.0) - before
            if self._first_year <= 1901 or self._last_year >= 9000:
                break
        logger.warning("calendar with no open day in %s years: counted as 24/7", MAX_EMPTY_YEARS)
        return start + seconds

    def between(self, a: datetime, b: datetime) -> int:
        """Business seconds in ``[a, b)`` (0 when ``b`` is not after ``a``)."""
        return round(self.between_ts(a.timestamp(), b.timestamp()))

    def add(self, start: datetime, seconds: int) -> datetime:
        """The moment when ``seconds`` of business time have passed after ``start``."""
        return datetime.fromtimestamp(self.add_ts(start.timestamp(), seconds), UTC)

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside business hours."""
        if self.always_open:
            return True
        ts = moment.timestamp()
        self._cover(ts)
        i = bisect_right(self._starts, ts) - 1
        return i >= 0 and ts < self._ends[i]


ALWAYS_OPEN = BusinessCalendar(always_open=True)

# calendar id -> (updated_at it was built from, the business calendar)
_cache: dict[int, tuple[datetime, BusinessCalendar]] = {}


def invalidate(calendar_id: int | None = None) -> None:
    """Forget the cached business calendar of ``calendar_id`` (all of them when None)."""
    if calendar_id is None:
        _cache.clear()
    else:
        _cache.pop(calendar_id, None)
