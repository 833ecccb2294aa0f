from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from importlib import resources

import pyarrow as pa
import pytest

from newretail.core import calendar
from newretail.core.calendar import (
    FEATURE_SCHEMA,
    FIRST_YEAR,
    LAST_YEAR,
    CalendarError,
    calendar_features,
    covered_years,
    days_to_spring_festival,
    festival_windows,
    festivals_on,
    holiday_name,
    is_holiday,
    is_makeup_workday,
    is_workday,
    spring_festival,
    spring_festival_phase,
)
from newretail.core.errors import ConfigError
from newretail.core.settings import get_settings

ALL_DAYS = [
    date(FIRST_YEAR, 1, 1) + timedelta(days=i)
    for i in range((date(LAST_YEAR, 12, 31) - date(FIRST_YEAR, 1, 1)).days + 1)
]


@pytest.mark.parametrize(
    ("year", "new_year"),
    [(2015, date(2015, 2, 19)), (2023, date(2023, 1, 22)), (2024, date(2024, 2, 10))],
)
def test_spring_festival_is_the_first_day_of_the_lunar_year(year: int, new_year: date) -> None:
    assert spring_festival(year) == new_year


def test_weekend_days_worked_for_the_2024_spring_festival_are_make_up_workdays() -> None:
    for day in (date(2024, 2, 4), date(2024, 2, 18)):
        assert day.isoweekday() == 7
        assert is_makeup_workday(day)
        assert is_workday(day)
        assert not is_holiday(day)


def test_national_day_2024_is_seven_days_off_weekend_included() -> None:
    week = [date(2024, 10, d) for d in range(1, 8)]
    assert all(is_holiday(d) and not is_workday(d) for d in week)
    assert {holiday_name(d, "en") for d in week} == {"National Day"}
    assert {holiday_name(d, "zh-CN") for d in week} == {"国庆节"}
    assert is_workday(date(2024, 10, 8))
    assert is_makeup_workday(date(2024, 10, 12))


def test_the_2025_spring_festival_holiday_starts_on_new_years_eve() -> None:
    assert holiday_name(date(2025, 1, 28), "zh-CN") == "农历除夕"
    assert holiday_name(date(2025, 1, 29), "zh-CN") == "春节"
    assert holiday_name(date(2025, 2, 4), "en") == "Chinese New Year (Spring Festival)"
    assert not is_holiday(date(2025, 1, 27)) and not is_holiday(date(2025, 2, 5))


def test_a_plain_day_has_no_holiday_name() -> None:
    assert holiday_name(date(2024, 3, 13), "en") is None
    assert not is_holiday(date(2024, 3, 16))  # an ordinary Saturday


def test_holiday_name_defaults_to_the_configured_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWRETAIL_LANG", "en")
    get_settings.cache_clear()
    assert holiday_name(date(2024, 5, 1)) == "Labor Day"
    monkeypatch.setenv("NEWRETAIL_LANG", "zh-CN")
    get_settings.cache_clear()
    assert holiday_name(date(2024, 5, 1)) == "劳动节"


def test_weekends_are_days_off_unless_they_are_make_up_workdays() -> None:
    for day in ALL_DAYS:
        weekend = day.isoweekday() > 5
        assert is_workday(day) == (is_makeup_workday(day) or not (weekend or is_holiday(day)))
        if is_makeup_workday(day):
            assert weekend and not is_holiday(day)


def test_make_up_workdays_exist_only_in_years_with_a_published_arrangement() -> None:
    years = covered_years()
    assert years[0] == FIRST_YEAR
    assert list(years) == list(range(FIRST_YEAR, years[-1] + 1))
    assert years[-1] >= 2025
    with_makeup = {day.year for day in ALL_DAYS if is_makeup_workday(day)}
    assert with_makeup == set(years)


def test_dates_outside_the_calendar_years_are_refused_with_the_date() -> None:
    with pytest.raises(CalendarError) as caught:
        is_holiday(date(2014, 12, 31))
    assert "2014-12-31" in str(caught.value)
    with pytest.raises(CalendarError):
        is_workday(date(2031, 1, 1))
    with pytest.raises(CalendarError):
        spring_festival(2031)
    with pytest.raises(CalendarError):
        festival_windows(2014)


def test_a_datetime_is_read_as_its_calendar_day() -> None:
    assert is_holiday(datetime(2024, 10, 1, 9, 30))


def test_618_window_of_2023_holds_june_18_as_its_peak() -> None:
    on_peak = festivals_on(date(2023, 6, 18))
    assert [f.key for f in on_peak] == ["618"]
    assert on_peak[0].start == date(2023, 6, 1)
    assert date(2023, 6, 18) in on_peak[0].peak
    assert [f.key for f in festivals_on(date(2023, 6, 10))] == ["618"]
    assert festivals_on(date(2023, 6, 19)) == []


def test_double_11_window_moves_with_the_2024_presale() -> None:
    windows = {year: {f.key: f for f in festival_windows(year)} for year in (2023, 2024)}
    assert windows[2023]["double_11"].start == date(2023, 10, 20)
    assert windows[2024]["double_11"].start == date(2024, 10, 14)
    assert windows[2024]["double_11"].peak == (date(2024, 11, 11),)


def test_a_festival_peaking_on_the_day_comes_before_a_longer_window() -> None:
    assert [f.key for f in festivals_on(date(2024, 5, 20))] == ["520", "618"]


def test_spring_festival_window_follows_the_lunar_new_year() -> None:
    window = {f.key: f for f in festival_windows(2024)}["spring_festival"]
    assert (window.start, window.end, window.peak) == (
        date(2024, 1, 20),
        date(2024, 2, 25),
        (date(2024, 2, 10),),
    )
    assert window.name("zh-CN") == "春节" and window.name("en") == "Spring Festival"


@pytest.mark.parametrize(
    ("day", "phase"),
    [
        (date(2024, 1, 19), None),
        (date(2024, 1, 20), "before"),
        (date(2024, 2, 9), "before"),
        (date(2024, 2, 10), "holiday"),
        (date(2024, 2, 17), "holiday"),
        (date(2024, 2, 18), "after"),
        (date(2024, 2, 25), "after"),
        (date(2024, 2, 26), None),
        (date(2025, 1, 28), "holiday"),
    ],
)
def test_spring_festival_phase(day: date, phase: str | None) -> None:
    assert spring_festival_phase(day) == phase


@pytest.mark.parametrize(
    ("day", "days"),
    [
        (date(2024, 2, 5), 5),
        (date(2024, 2, 10), 0),
        (date(2024, 2, 15), -5),
        (date(2015, 12, 31), 39),
        (date(2030, 12, 31), 23),
    ],
)
def test_days_to_the_nearest_spring_festival(day: date, days: int) -> None:
    assert days_to_spring_festival(day) == days


def test_features_have_one_row_per_day_with_the_documented_columns() -> None:
    table = calendar_features(date(2024, 1, 1), date(2024, 12, 31))
    assert table.schema == FEATURE_SCHEMA
    assert table.num_rows == 366
    assert table.column("date").type == pa.date32()
    days = table.column("date").to_pylist()
    assert days[0] == date(2024, 1, 1) and days[-1] == date(2024, 12, 31)
    assert set(table.column("weekday").to_pylist()) == set(range(1, 8))
    assert table.column("is_makeup_workday").to_pylist().count(True) == 8
    phases = set(table.column("spring_festival_phase").to_pylist())
    assert phases == {None, "before", "holiday", "after"}


def test_feature_row_of_the_2024_spring_festival() -> None:
    row = calendar_features(date(2024, 2, 10), date(2024, 2, 10)).to_pylist()[0]
    assert row == {
        "date": date(2024, 2, 10),
        "weekday": 6,
        "iso_week": 6,
        "is_workday": False,
        "is_holiday": True,
        "is_makeup_workday": False,
        "holiday_name": "Chinese New Year (Spring Festival)",
        "festival": "spring_festival",
        "in_festival_window": True,
        "is_festival_peak": True,
        "days_to_spring_festival": 0,
        "spring_festival_phase": "holiday",
        "arrangement_published": True,
    }


def test_features_flag_years_whose_arrangement_is_not_published() -> None:
    last_known = covered_years()[-1]
    if last_known >= LAST_YEAR:
        pytest.skip("every calendar year has a published arrangement")
    table = calendar_features(date(last_known, 12, 31), date(last_known + 1, 1, 1))
    assert table.column("arrangement_published").to_pylist() == [True, False]


def test_features_cover_the_whole_calendar() -> None:
    table = calendar_features(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31))
    assert table.num_rows == len(ALL_DAYS)
    assert table.column("is_holiday").null_count == 0


def test_features_refuse_a_range_that_ends_before_it_starts() -> None:
    with pytest.raises(CalendarError) as caught:
        calendar_features(date(2024, 2, 1), date(2024, 1, 1))
    assert caught.value.key == "calendar.empty_range"


def test_festival_data_ships_inside_the_package() -> None:
    data = resources.files("newretail.core") / "data" / calendar.FESTIVALS_FILE
    assert data.is_file()
    entries = tomllib.loads(data.read_text(encoding="utf-8"))["festival"]
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        windows = festival_windows(year)
        assert [f.key for f in windows] == [entry["key"] for entry in entries]
        for festival in windows:
            assert festival.name_zh and festival.name_en
            assert all(festival.start <= p <= festival.end for p in festival.peak)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "13-40"}, "start"),
        ({"peak": "06-18"}, "peak"),
        ({"end": "05-01"}, "start/end/peak"),
        ({"name_en": ""}, "name_en"),
        ({"anchor": "No Such Holiday", "start": -1, "end": 1, "peak": [0]}, "anchor"),
        ({"anchor": "Mid-Autumn Festival", "start": "06-01"}, "start"),
    ],
)
def test_a_bad_festival_entry_names_the_field(change: dict[str, object], field: str) -> None:
    entry = {
        "key": "618",
        "name_zh": "618",
        "name_en": "618",
        "start": "06-01",
        "end": "06-18",
        "peak": ["06-18"],
        **change,
    }
    with pytest.raises(ConfigError) as caught:
        calendar._window(entry, 2024, 2)
    assert caught.value.key == "calendar.bad_festival"
    assert caught.value.params["field"] == field
    assert "festivals.toml" in str(caught.value)
