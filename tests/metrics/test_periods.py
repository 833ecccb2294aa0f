"""Periods and the days each comparison sets against them."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from newretail.core.calendar import spring_festival, spring_festival_phase
from newretail.metrics.periods import bucket_of, buckets, comparison_days, same_day_last_year


def test_weeks_are_iso_weeks_clipped_to_the_window() -> None:
    cut = buckets("week", date(2024, 12, 28), date(2025, 1, 8))
    assert [(b.label, b.first, b.last) for b in cut] == [
        ("2024-W52", date(2024, 12, 28), date(2024, 12, 29)),
        ("2025-W01", date(2024, 12, 30), date(2025, 1, 5)),
        ("2025-W02", date(2025, 1, 6), date(2025, 1, 8)),
    ]
    assert [b.complete for b in cut] == [False, True, False]


def test_a_whole_month_is_compared_with_the_whole_month_before() -> None:
    march = bucket_of("month", date(2024, 3, 9))
    days = comparison_days("previous", "month", march)
    assert (days[0], days[-1], len(days)) == (date(2024, 2, 1), date(2024, 2, 29), 29)


def test_part_of_a_month_is_compared_with_the_same_days_of_the_month_before() -> None:
    cut = buckets("month", date(2024, 3, 1), date(2024, 3, 15))
    days = comparison_days("previous", "month", cut[0])
    assert (days[0], days[-1], len(days)) == (date(2024, 2, 1), date(2024, 2, 15), 15)
    # the 30th and 31st of March have no match in February
    end = buckets("month", date(2024, 3, 28), date(2024, 3, 31))[0]
    assert comparison_days("previous", "month", end) == [date(2024, 2, 28), date(2024, 2, 29)]


def test_last_week_is_the_same_weekday_seven_days_earlier() -> None:
    day = bucket_of("day", date(2024, 3, 1))
    assert comparison_days("last_week", "day", day) == [date(2024, 2, 23)]
    assert comparison_days("previous", "day", day) == [date(2024, 2, 29)]


def test_the_spring_festival_is_compared_with_the_previous_spring_festival() -> None:
    # New Year's Day 2024 (10 February) against New Year's Day 2023 (22 January)
    assert same_day_last_year(date(2024, 2, 10)) == date(2023, 1, 22)
    # three days after, against three days after
    assert same_day_last_year(date(2024, 2, 13)) == date(2023, 1, 25)
    # outside the festival window: 52 weeks back, same weekday
    assert same_day_last_year(date(2024, 6, 1)) == date(2023, 6, 3)


def test_the_first_calendar_year_falls_back_to_weekday_alignment() -> None:
    # 2015's Spring Festival has no previous one in the calendar
    day = spring_festival(2015)
    assert same_day_last_year(day) == day - timedelta(days=364)


@given(st.dates(min_value=date(2016, 1, 1), max_value=date(2030, 12, 31)))
def test_last_year_keeps_the_weekday_or_the_distance_to_new_year(day: date) -> None:
    before = same_day_last_year(day)
    if spring_festival_phase(day) is None:
        assert before.isoweekday() == day.isoweekday()
        assert (day - before).days == 364
    else:
        distance = (day - spring_festival(day.year)).days
        if abs(distance) > 60:  # the window of next year's festival, seen from December
            distance = (day - spring_festival(day.year + 1)).days
        assert 330 <= (day - before).days <= 400
        previous_new_year = before - timedelta(days=distance)
        assert previous_new_year in {spring_festival(y) for y in (day.year - 1, day.year)}
