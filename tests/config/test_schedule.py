"""The awake schedule: windows, validation, time zones and daylight-saving changes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from airhost.config.schedule import ScheduleSettings

UTC = timezone.utc
OFFICE = ScheduleSettings(awake=["Mon-Fri 07:00-20:00"], timezone="Europe/Berlin")


def test_office_hours_are_65_hours_a_week():
    assert OFFICE.awake_hours_per_week() == 65


def test_overlapping_and_touching_windows_are_merged():
    schedule = ScheduleSettings(awake=["Mon 07:00-12:00", "Mon 11:00-14:00", "Mon 14:00-15:00", "Mon,Tue 06:00-07:30"])
    assert schedule.week()[0] == [(360, 900)]
    assert schedule.week()[1] == [(360, 450)]


@pytest.mark.parametrize("window, words", [
    ("Mon-Fry 07:00-20:00", "'Fry' in 'Mon-Fry 07:00-20:00' is not a day"),
    ("Fri-Mon 07:00-20:00", "runs backwards"),
    ("Mon-Fri 07:00-25:00", "not a time of day"),
    ("Mon-Fri 20:00-07:00", "split a night into two windows"),
    ("weekdays", "is not a window"),
])
def test_bad_windows_say_what_to_write(window, words):
    with pytest.raises(ValidationError) as error:
        ScheduleSettings(awake=[window])
    assert words in str(error.value)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError) as error:
        ScheduleSettings(awake=["Mon 07:00-20:00"], timezone="Europe/Berlim")
    assert "IANA name" in str(error.value)


def test_next_wake_and_sleep_in_the_schedules_zone():
    # Friday 2026-12-04 19:30 UTC = 20:30 in Berlin (CET, UTC+1): asleep, wakes Monday 07:00 CET
    assert OFFICE.next_change(datetime(2026, 12, 4, 19, 30, tzinfo=UTC)) == (
        datetime(2026, 12, 7, 6, 0, tzinfo=UTC), True)
    # Monday 2026-12-07 10:00 UTC is 11:00 in Berlin: awake until 20:00 CET = 19:00 UTC
    assert OFFICE.next_change(datetime(2026, 12, 7, 10, 0, tzinfo=UTC)) == (
        datetime(2026, 12, 7, 19, 0, tzinfo=UTC), False)


def test_local_hours_hold_across_daylight_saving_changes():
    # Berlin moves to CEST (UTC+2) on Sunday 2027-03-28: Monday's wake is 05:00 UTC, Friday's 06:00
    assert OFFICE.next_change(datetime(2027, 3, 27, 12, 0, tzinfo=UTC)) == (
        datetime(2027, 3, 29, 5, 0, tzinfo=UTC), True)
    assert OFFICE.next_change(datetime(2027, 3, 26, 4, 0, tzinfo=UTC)) == (
        datetime(2027, 3, 26, 6, 0, tzinfo=UTC), True)


def test_a_night_shift_across_midnight_is_one_stretch():
    night = ScheduleSettings(awake=["Mon 22:00-24:00", "Tue 00:00-06:00"])
    assert night.next_change(datetime(2026, 12, 7, 23, 0, tzinfo=UTC)) == (
        datetime(2026, 12, 8, 6, 0, tzinfo=UTC), False)


def test_always_awake_never_changes():
    assert ScheduleSettings(awake=["Mon-Sun 00:00-24:00"]).next_change(datetime(2026, 12, 7, tzinfo=UTC)) is None


def test_office_hours_become_two_cron_expressions_in_the_zone():
    from airhost.config.schedule import cron_edges

    assert cron_edges(OFFICE) == [("cron(0 7 ? * MON,TUE,WED,THU,FRI *)", True),
                                  ("cron(0 20 ? * MON,TUE,WED,THU,FRI *)", False)]
    night = ScheduleSettings(awake=["Mon 22:30-24:00", "Tue 00:00-06:00"])
    assert cron_edges(night) == [("cron(30 22 ? * MON *)", True), ("cron(0 6 ? * TUE *)", False)]


def test_widened_edges_cross_midnight_and_the_weeks_end():
    from airhost.config.schedule import cron_edges, recurrence_edges

    weekend_night = ScheduleSettings(awake=["Sun 22:00-24:00", "Mon 00:00-02:00"])
    # one stretch across the week's end: wakes Sunday, sleeps Monday
    assert cron_edges(weekend_night) == [("cron(0 22 ? * SUN *)", True), ("cron(0 2 ? * MON *)", False)]
    early = ScheduleSettings(awake=["Mon 00:05-08:00"])
    # woken ten minutes early, the edge moves to Sunday 23:55 (Unix cron: Sunday is 0)
    assert recurrence_edges(early, before=10, after=10) == [("55 23 * * 0", True), ("10 8 * * 1", False)]


def test_a_schedule_awake_all_week_once_widened_has_no_edge():
    from airhost.config.schedule import awake_share, recurrence_edges

    almost = ScheduleSettings(awake=["Mon-Sun 00:05-23:55"])
    assert recurrence_edges(almost)  # ten minutes asleep each night
    assert recurrence_edges(almost, before=5, after=5) == []
    assert awake_share(almost, before=5, after=5) == 1.0


def test_the_awake_share_counts_widened_minutes_once():
    from airhost.config.schedule import awake_share

    assert awake_share(OFFICE) == pytest.approx(65 / 168)
    assert awake_share(OFFICE, before=10, after=10) == pytest.approx((65 + 5 * 20 / 60) / 168)
    touching = ScheduleSettings(awake=["Mon 07:00-12:00", "Mon 12:10-18:00"])
    # widened by 5 minutes each side, the two windows meet: 07:00-12:00 and 12:10-18:00 → 06:55-18:05
    assert awake_share(touching, before=5, after=5) == pytest.approx((11 * 60 + 10) / 10080)
