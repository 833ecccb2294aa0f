"""The China calendar as data: public holidays, make-up working days and shopping festivals.

Years 2015–2030 (:data:`FIRST_YEAR`–:data:`LAST_YEAR`); a date outside them raises
:class:`CalendarError` rather than answering wrongly.

Public holidays come from the ``holidays`` package (``country_holidays("CN")``). A *holiday*
here is any day of an official holiday period (放假期间): the statutory days, the days off
the State Council moved onto weekdays (调休) and the weekend days the period runs into, so
2024-10-01 to 2024-10-07 are all National Day. A *make-up workday* (调休上班) is a weekend day
worked in exchange. The arrangement is published each November for the next year:
:func:`covered_years` lists the years whose published arrangement the installed package holds
(2015–2026 for holidays 0.109). For the later years the statutory days, and the days the law
adds when one falls on a weekend, are still known, but the swaps are not: those years have no
make-up workdays, and their holiday periods are estimates until the package is upgraded.

Shopping festivals (520, 618, Double 11, Double 12, the Spring Festival shopping season, ...)
live in ``newretail/core/data/festivals.toml``, shipped inside the package.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from importlib import resources
from typing import Any

import holidays
import pyarrow as pa

from newretail.core.errors import ConfigError, NewretailError
from newretail.core.i18n import current_lang

FIRST_YEAR = 2015
LAST_YEAR = 2030
FESTIVALS_FILE = "festivals.toml"
SPRING_FESTIVAL_HOLIDAY = "Chinese New Year (Spring Festival)"

#: Columns of :func:`calendar_features`.
FEATURE_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("weekday", pa.int32()),
        ("iso_week", pa.int32()),
        ("is_workday", pa.bool_()),
        ("is_holiday", pa.bool_()),
        ("is_makeup_workday", pa.bool_()),
        ("holiday_name", pa.string()),
        ("festival", pa.string()),
        ("in_festival_window", pa.bool_()),
        ("is_festival_peak", pa.bool_()),
        ("days_to_spring_festival", pa.int32()),
        ("spring_festival_phase", pa.string()),
        ("arrangement_published", pa.bool_()),
    ]
)


class CalendarError(NewretailError):
    """A date or date range the China calendar cannot answer for."""

    key = "calendar.out_of_range"


@dataclass(frozen=True)
class Festival:
    """One year's window of a shopping festival; ``start``, ``end`` and ``peak`` are inclusive."""

    key: str
    name_zh: str
    name_en: str
    start: date
    end: date
    peak: tuple[date, ...]

    def name(self, lang: str | None = None) -> str:
        """The name in ``lang`` (default: the configured language)."""
        return self.name_zh if (lang or current_lang()) == "zh-CN" else self.name_en

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class _Days:
    names: dict[str, dict[date, str]]  # language -> holiday date -> name
    periods: dict[date, tuple[date, date]]  # holiday date -> its holiday period
    makeup: frozenset[date]
    covered: tuple[int, ...]
    anchors: dict[str, dict[int, date]]  # holiday name -> year -> first day


def covered_years() -> tuple[int, ...]:
    """Years of 2015–2030 whose official holiday arrangement (with make-up workdays) is known."""
    return _days().covered


def is_holiday(day: date) -> bool:
    """Whether ``day`` falls in an official holiday period (weekend days of the period included)."""
    return _check(day) in _days().periods


def holiday_name(day: date, lang: str | None = None) -> str | None:
    """Name of the holiday whose period holds ``day`` ("国庆节" / "National Day"), else ``None``."""
    names = _days().names["zh-CN" if (lang or current_lang()) == "zh-CN" else "en"]
    return names.get(_check(day))


def is_makeup_workday(day: date) -> bool:
    """Whether ``day`` is a weekend day worked in exchange for a holiday day off (调休上班)."""
    return _check(day) in _days().makeup


def is_workday(day: date) -> bool:
    """Monday–Friday outside holiday periods, or a make-up workday."""
    day = _check(day)
    return is_makeup_workday(day) or (day.isoweekday() <= 5 and not is_holiday(day))


def spring_festival(year: int) -> date:
    """The Chinese New Year's Day (正月初一) of ``year``."""
    _check_year(year)
    return _days().anchors[SPRING_FESTIVAL_HOLIDAY][year]


def festival_windows(year: int) -> list[Festival]:
    """The shopping festivals of ``year`` in the order of the data file."""
    _check_year(year)
    return list(_windows()[year])


def festivals_on(day: date) -> list[Festival]:
    """The festivals whose window holds ``day``: festivals peaking that day first, then the
    narrower windows, then the order of the data file."""
    day = _check(day)
    found = [
        (day not in festival.peak, festival.end - festival.start, position, festival)
        for year in (day.year - 1, day.year, day.year + 1)
        for position, festival in enumerate(_windows()[year])
        if festival.covers(day)
    ]
    return [entry[-1] for entry in sorted(found, key=lambda entry: entry[:3])]


def days_to_spring_festival(day: date) -> int:
    """Days from ``day`` to the nearest Spring Festival: 3 is three days before, -3 three after
    (a tie goes to the coming one)."""
    day = _check(day)
    dates = _days().anchors[SPRING_FESTIVAL_HOLIDAY]
    gaps = [(dates[year] - day).days for year in (day.year - 1, day.year, day.year + 1)]
    return min(gaps, key=lambda gap: (abs(gap), gap < 0))


def spring_festival_phase(day: date) -> str | None:
    """``"before"``, ``"holiday"`` or ``"after"`` inside the spring_festival window, else ``None``.

    ``"holiday"`` is the official Spring Festival holiday period; ``"before"`` and ``"after"``
    are the rest of the window in the festival data (New Year shopping, back to normal).
    """
    day = _check(day)
    if not any(f.key == "spring_festival" for f in festivals_on(day)):
        return None
    new_year = day + timedelta(days=days_to_spring_festival(day))
    first, last = _days().periods.get(new_year, (new_year, new_year))
    if day < first:
        return "before"
    return "holiday" if day <= last else "after"


def calendar_features(start: date, end: date) -> pa.Table:
    """One row per date from ``start`` to ``end`` inclusive, columns :data:`FEATURE_SCHEMA`.

    ``weekday`` is 1 (Monday) to 7; ``holiday_name`` is English; ``festival`` is the key of the
    first of :func:`festivals_on` (null outside every window); ``days_to_spring_festival`` as in
    :func:`days_to_spring_festival`; ``arrangement_published`` is false in years whose official
    arrangement is not yet known (see :func:`covered_years`).
    """
    start, end = _check(start), _check(end)
    if start > end:
        raise CalendarError(key="calendar.empty_range", start=start, end=end)
    rows = [_feature_row(start + timedelta(days=i)) for i in range((end - start).days + 1)]
    columns = {field.name: [row[field.name] for row in rows] for field in FEATURE_SCHEMA}
    return pa.table(columns, schema=FEATURE_SCHEMA)


def _feature_row(day: date) -> dict[str, Any]:
    festivals = festivals_on(day)
    return {
        "date": day,
        "weekday": day.isoweekday(),
        "iso_week": day.isocalendar().week,
        "is_workday": is_workday(day),
        "is_holiday": is_holiday(day),
        "is_makeup_workday": is_makeup_workday(day),
        "holiday_name": holiday_name(day, "en"),
        "festival": festivals[0].key if festivals else None,
        "in_festival_window": bool(festivals),
        "is_festival_peak": any(day in f.peak for f in festivals),
        "days_to_spring_festival": days_to_spring_festival(day),
        "spring_festival_phase": spring_festival_phase(day),
        "arrangement_published": day.year in _days().covered,
    }


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarError(date=year, first=FIRST_YEAR, last=LAST_YEAR)


def _check(day: date) -> date:
    # a datetime never equals a date, so it would silently miss every holiday
    if isinstance(day, datetime):
        day = day.date()
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarError(date=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR)
    return day


@lru_cache(maxsize=1)
def _days() -> _Days:
    # one year of margin either side: periods cross New Year, "nearest" looks a year away
    years = range(FIRST_YEAR - 1, LAST_YEAR + 2)
    listed = holidays.country_holidays("CN", years=years, language="en_US")
    named = {
        lang: holidays.country_holidays("CN", years=years, observed=False, language=code)
        for lang, code in (("en", "en_US"), ("zh-CN", "zh_CN"))
    }
    swapped, covered = _published_arrangements()
    makeup = frozenset(d for d in listed.weekend_workdays if d.year in years)
    statutory = sorted(d for d in named["en"] if d not in swapped)
    names: dict[str, dict[date, str]] = {lang: {} for lang in named}
    periods: dict[date, tuple[date, date]] = {}
    for period in _holiday_periods(set(listed), makeup, years):
        # substituted and weekend days take the name of the nearest statutory day
        inside = [d for d in statutory if period[0] <= d <= period[-1]] or statutory
        for day in period:
            closest = min(inside, key=lambda d: (abs((d - day).days), d))
            periods[day] = (period[0], period[-1])
            for lang, texts in named.items():
                names[lang][day] = str(texts[closest])
    return _Days(names, periods, makeup, covered, _anchor_dates(named["en"]))


def _holiday_periods(
    days_off: set[date], makeup: frozenset[date], years: range
) -> list[list[date]]:
    """Runs of consecutive days off that hold at least one listed holiday day."""
    periods: list[list[date]] = []
    run: list[date] = []
    day, last = date(years[0], 1, 1), date(years[-1], 12, 31)
    while day <= last:
        if day in days_off or (day.isoweekday() > 5 and day not in makeup):
            run.append(day)
        else:
            if any(d in days_off for d in run):
                periods.append(run)
            run = []
        day += timedelta(days=1)
    return periods


def _published_arrangements() -> tuple[set[date], tuple[int, ...]]:
    """Weekdays made days off by the yearly State Council notices, and the years of the notices.

    Read from the package's table of the notices, whose swap entries are
    ``(month, day, from_month, from_day[, from_year])``: the day off and the day worked for it.
    """
    from holidays.countries.china import ChinaStaticHolidays

    swapped: set[date] = set()
    for year, entries in ChinaStaticHolidays.special_public_holidays.items():
        for entry in (entries,) if isinstance(entries[0], int) else entries:
            if len(entry) >= 4:
                swapped.add(date(year, entry[0], entry[1]))
    notices = ChinaStaticHolidays.special_public_holidays
    return swapped, tuple(sorted(y for y in notices if FIRST_YEAR <= y <= LAST_YEAR))


def _anchor_dates(named: Any) -> dict[str, dict[int, date]]:
    """First day of each named holiday in each year ("Mid-Autumn Festival; National Day" is
    both holidays)."""
    anchors: dict[str, dict[int, date]] = {}
    for day, name in sorted(named.items()):
        for part in str(name).split("; "):
            anchors.setdefault(part, {}).setdefault(day.year, day)
    return anchors


@lru_cache(maxsize=1)
def _windows() -> dict[int, tuple[Festival, ...]]:
    """Every festival window of the calendar's years (and one either side), from the data file."""
    text = (resources.files("newretail.core") / "data" / FESTIVALS_FILE).read_text("utf-8")
    entries = tomllib.loads(text).get("festival", [])
    keys = [entry.get("key") for entry in entries]
    for position, key in enumerate(keys):
        if not isinstance(key, str) or not key or keys.index(key) != position:
            raise _bad_festival(position + 1, "key", key)
    return {
        year: tuple(_window(entry, year, position + 1) for position, entry in enumerate(entries))
        for year in range(FIRST_YEAR - 1, LAST_YEAR + 2)
    }


def _window(entry: dict[str, Any], year: int, position: int) -> Festival:
    """The window of one festival entry in ``year``, checked: start <= every peak <= end."""
    fields = {**entry, **entry.get("years", {}).get(str(year), {})}
    for name_field in ("name_zh", "name_en"):
        if not isinstance(fields.get(name_field), str) or not fields[name_field]:
            raise _bad_festival(position, name_field, fields.get(name_field))
    anchor = fields.get("anchor")
    base = _days().anchors.get(anchor, {}).get(year) if anchor is not None else None
    if anchor is not None and base is None:
        raise _bad_festival(position, "anchor", anchor)
    peaks = fields.get("peak")
    if not isinstance(peaks, list):
        raise _bad_festival(position, "peak", peaks)
    day = partial(_day, year=year, base=base, position=position)
    start, end = day(fields.get("start"), field="start"), day(fields.get("end"), field="end")
    peak = tuple(day(p, field="peak") for p in peaks)
    if start > end or not all(start <= p <= end for p in peak):
        raise _bad_festival(position, "start/end/peak", f"{start}..{end}, peak {peak}")
    return Festival(fields["key"], fields["name_zh"], fields["name_en"], start, end, peak)


def _day(value: Any, *, field: str, year: int, base: date | None, position: int) -> date:
    """A window day: an offset from the anchor day, or an "MM-DD" day of ``year``."""
    try:
        if base is not None and isinstance(value, int) and not isinstance(value, bool):
            return base + timedelta(days=value)
        if base is None and isinstance(value, str):
            return date.fromisoformat(f"{year:04d}-{value}")
    except ValueError:
        pass
    raise _bad_festival(position, field, value)


def _bad_festival(position: int, field: str, value: Any) -> ConfigError:
    return ConfigError(
        key="calendar.bad_festival", file=FESTIVALS_FILE, entry=position, field=field, value=value
    )
