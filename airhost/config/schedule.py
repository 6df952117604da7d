"""The hours an environment is awake: ``schedule: {awake: ["Mon-Fri 07:00-20:00"], timezone: ...}``.

Each window is days (``Mon``, ``Mon-Fri``, ``Sat,Sun``) and a wall-clock span in the schedule's time
zone, within one day (a night shift is two windows: ``Mon-Fri 22:00-24:00`` and ``Tue-Sat
00:00-06:00``). Windows that overlap or touch are merged: they say the same thing, awake. Outside
them the environment is parked; DAG runs scheduled meanwhile are run on wake by Airflow's own
``catchup`` (a DAG with ``catchup=False`` runs only its latest missed interval).

The arithmetic here is pure and time-zone true: wall-clock times are resolved in the zone on each
date, so a window keeps its local hours across daylight-saving changes.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from airhost.config.base import StrictModel

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WINDOW = re.compile(r"^\s*(?P<days>[A-Za-z,\- ]+?)\s+(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})\s*$")

Span = tuple[int, int]  # minutes after local midnight: [start, end)


def _day(name: str, window: str) -> int:
    for index, day in enumerate(DAYS):
        if name.strip().lower() == day.lower():
            return index
    raise ValueError(f"'{name.strip()}' in '{window}' is not a day: use Mon, Tue, Wed, Thu, Fri, Sat, Sun")


def _minutes(text: str, window: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ValueError(f"'{text}' in '{window}' is not a time of day: use 00:00 to 24:00")
    return hours * 60 + minutes


def parse_window(window: str) -> tuple[list[int], Span]:
    """``"Mon-Fri 07:00-20:00"`` → ([0, 1, 2, 3, 4], (420, 1200))."""
    match = WINDOW.match(window)
    if not match:
        raise ValueError(f"'{window}' is not a window: write days and hours, like 'Mon-Fri 07:00-20:00'")
    days: list[int] = []
    for part in match["days"].split(","):
        if "-" in part:
            first, last = (_day(name, window) for name in part.split("-", 1))
            if last < first:
                raise ValueError(f"'{part.strip()}' in '{window}' runs backwards: write it from Mon "
                                 "towards Sun, or as two ranges ('Sat,Sun' or 'Fri-Sun')")
            days.extend(range(first, last + 1))
        else:
            days.append(_day(part, window))
    start, end = _minutes(match["start"], window), _minutes(match["end"], window)
    if end <= start:
        raise ValueError(f"'{window}' ends before it starts: a window stays within one day — split a "
                         "night into two windows, like 'Mon 22:00-24:00' and 'Tue 00:00-06:00'")
    return sorted(set(days)), (start, end)


def merged(spans: list[Span]) -> list[Span]:
    result: list[Span] = []
    for start, end in sorted(spans):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


class ScheduleSettings(StrictModel):
    """When the environment is awake; parked the rest of the week."""

    awake: list[str] = Field(min_length=1, description="windows like 'Mon-Fri 07:00-20:00'")
    timezone: str = Field("UTC", description="an IANA time zone, like Europe/Berlin")

    @field_validator("awake")
    @classmethod
    def _windows(cls, value: list[str]) -> list[str]:
        for window in value:
            parse_window(window)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone: use an IANA name like Europe/Berlin or UTC") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def week(self) -> list[list[Span]]:
        """Each weekday's awake spans (Mon first), overlapping windows merged."""
        days: list[list[Span]] = [[] for _ in DAYS]
        for window in self.awake:
            weekdays, span = parse_window(window)
            for day in weekdays:
                days[day].append(span)
        return [merged(spans) for spans in days]

    def awake_hours_per_week(self) -> float:
        return sum(end - start for spans in self.week() for start, end in spans) / 60

    def _changes_on(self, day: date) -> list[tuple[datetime, bool]]:
        """(instant, awake from then) for each edge of ``day``'s spans, in UTC."""
        edges = []
        for start, end in self.week()[day.weekday()]:
            for minutes, awake in ((start, True), (end, False)):
                local = datetime.combine(day, time()) + timedelta(minutes=minutes)
                edges.append((local.replace(tzinfo=self.zone).astimezone(ZoneInfo("UTC")), awake))
        return edges

    def is_awake(self, when: datetime) -> bool:
        local = when.astimezone(self.zone)
        minutes = local.hour * 60 + local.minute
        return any(start <= minutes < end for start, end in self.week()[local.weekday()])

    def next_change(self, when: datetime) -> tuple[datetime, bool] | None:
        """The next instant the environment wakes (True) or sleeps (False) after ``when``; None
        when it is awake every minute of the week."""
        awake = self.is_awake(when)
        local_day = when.astimezone(self.zone).date()
        for offset in range(8):
            for instant, wakes in self._changes_on(local_day + timedelta(days=offset)):
                if instant > when and wakes != awake:
                    # a span ending at 24:00 and the next starting at 00:00 are one stretch
                    if not wakes and self.is_awake(instant):
                        continue
                    return instant, wakes
        return None


CRON_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def cron_edges(schedule: ScheduleSettings) -> list[tuple[str, bool]]:
    """The schedule as the cron expressions AWS's schedulers take, in its time zone: (cron, wakes).

    Application Auto Scaling and EC2 Auto Scaling scheduled actions both read
    ``cron(minutes hours day-of-month month day-of-week year)`` with a separate ``Timezone``; edges
    at the same time on several days share one expression. A span ending at 24:00 sleeps at 00:00
    the next day, unless that day is awake from 00:00.
    """
    week = schedule.week()
    edges: dict[tuple[int, bool], set[int]] = {}
    for day, spans in enumerate(week):
        for start, end in spans:
            if not (start == 0 and any(e == 1440 for _, e in week[(day - 1) % 7])):
                edges.setdefault((start, True), set()).add(day)
            if end < 1440:
                edges.setdefault((end, False), set()).add(day)
            elif not any(s == 0 for s, _ in week[(day + 1) % 7]):
                edges.setdefault((0, False), set()).add((day + 1) % 7)
    return [(f"cron({minutes % 60} {minutes // 60} ? * {','.join(CRON_DAYS[d] for d in sorted(days))} *)", wakes)
            for (minutes, wakes), days in sorted(edges.items(), key=lambda item: (not item[0][1], item[0][0]))]


UNIX_DAYS = (1, 2, 3, 4, 5, 6, 0)  # Mon..Sun as Unix cron numbers them (Sunday is 0)


def weekly_edges(schedule: ScheduleSettings) -> list[tuple[int, tuple[int, ...], bool]]:
    """Each instant the schedule wakes or sleeps, in its time zone: (minutes after midnight,
    weekdays Mon=0, wakes), wakes first. A span ending at 24:00 sleeps at 00:00 the next day,
    unless that day is awake from 00:00 (then nothing changes at midnight)."""
    week = schedule.week()
    edges: dict[tuple[int, bool], set[int]] = {}
    for day, spans in enumerate(week):
        for start, end in spans:
            if not (start == 0 and any(e == 1440 for _, e in week[(day - 1) % 7])):
                edges.setdefault((start, True), set()).add(day)
            if end < 1440:
                edges.setdefault((end, False), set()).add(day)
            elif not any(s == 0 for s, _ in week[(day + 1) % 7]):
                edges.setdefault((0, False), set()).add((day + 1) % 7)
    return [(minutes, tuple(sorted(days)), wakes)
            for (minutes, wakes), days in sorted(edges.items(), key=lambda item: (not item[0][1], item[0][0]))]


def unix_cron_edges(schedule: ScheduleSettings) -> list[tuple[str, bool]]:
    """The schedule as EC2 Auto Scaling's scheduled actions take it: (recurrence, wakes).

    EC2 Auto Scaling reads traditional five-field Unix cron (``minute hour day-of-month month
    day-of-week``, Sunday 0) with a separate ``TimeZone``, not the six-field ``cron(...)`` of
    Application Auto Scaling (``cron_edges``)."""
    return [(f"{minutes % 60} {minutes // 60} * * {','.join(str(UNIX_DAYS[d]) for d in days)}", wakes)
            for minutes, days, wakes in weekly_edges(schedule)]
