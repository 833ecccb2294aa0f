"""The day's circumstances: weather, the China calendar and what they do to demand.

Weather is drawn around the city's monthly normals (temperature with day-to-day
persistence, rain as a wet/dry Markov chain with plum rains in June and July). The calendar
comes from :mod:`newretail.core.calendar`. Their effects are multipliers: on walk-in traffic
by store type, on online traffic, and on each leaf category's share of baskets; each one is
kept so that the ground truth can say how much of a day's demand it explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from newretail.core import calendar
from newretail.simulate.catalogue import Leaves
from newretail.simulate.config import SimulationConfig
from newretail.simulate.places import TYPE_CYCLE, city_data
from newretail.simulate.rng import SETUP, FloatArray, IntArray, Stream, rng

STORE_TYPES = tuple(dict.fromkeys(TYPE_CYCLE))
#: walk-in and online traffic by weekday, Monday first
STORE_WEEKDAY = np.array([0.93, 0.90, 0.92, 0.95, 1.04, 1.18, 1.12])
ONLINE_WEEKDAY = np.array([1.03, 1.00, 1.00, 1.01, 0.97, 0.98, 1.04])
#: walk-in traffic on a public holiday (other than the Spring Festival), by store type:
#: malls fill up, residential areas empty as people travel
HOLIDAY_STORE = {"flagship": 1.15, "community": 0.92, "convenience": 0.88, "forward_warehouse": 1.0}
HOLIDAY_ONLINE = 0.9
#: Spring Festival: New Year shopping peaks on the eve, the city empties during the holiday
SPRING_PEAK = 0.5
SPRING_HOLIDAY_STORE = 0.45
SPRING_HOLIDAY_ONLINE = 0.55
SPRING_AFTER_LOW = 0.75
#: online traffic in shopping festival windows and on their peak days
FESTIVAL_ONLINE = {
    "618": (1.2, 2.6),
    "double_11": (1.25, 3.2),
    "double_12": (1.1, 1.6),
    "520": (1.1, 1.15),
}
RAINY_MM = 5.0
HEAVY_MM = 25.0


@dataclass(frozen=True)
class Weather:
    """Daily weather of the city, one entry per simulated day."""

    temp_max: FloatArray
    temp_min: FloatArray
    rain_mm: FloatArray

    @property
    def rainy(self) -> FloatArray:
        return np.asarray(self.rain_mm >= RAINY_MM, dtype=np.float64)


@dataclass(frozen=True)
class DayEffects:
    """Multipliers of each day. ``store_traffic`` is (days, store types in
    :data:`STORE_TYPES` order); ``leaf`` is (days, leaves); components are kept for the
    ground truth."""

    dates: list[date]
    weekday: IntArray
    store_traffic: FloatArray
    online_traffic: FloatArray
    leaf: FloatArray
    weather: Weather
    weekday_store: FloatArray
    weekday_online: FloatArray
    holiday_store: FloatArray
    calendar_online: FloatArray
    weather_store: FloatArray
    weather_online: FloatArray
    is_holiday: list[bool]
    holiday_name: list[str | None]
    festival: list[str | None]
    spring_phase: list[str | None]


def build_weather(config: SimulationConfig) -> Weather:
    """Daily maximum / minimum temperature and precipitation of the simulated days."""
    gen = rng(config.seed, SETUP, Stream.WEATHER)
    climate = city_data()["city"]
    days = [config.start + timedelta(days=i) for i in range(config.days)]
    month_pos = np.array([d.month - 1 + (d.day - 15) / 30.5 for d in days])
    tmax_norm = _periodic(np.array(climate["temp_max"]), month_pos)
    tmin_norm = _periodic(np.array(climate["temp_min"]), month_pos)
    wet_share = _periodic(np.array(climate["rain_days"]), month_pos)
    wet_mm = _periodic(np.array(climate["rain_mm"]), month_pos)
    shocks = gen.normal(0.0, 2.2, config.days)
    uniforms = gen.random(config.days)
    amounts = gen.gamma(0.8, 1.0, config.days)
    anomaly = np.zeros(config.days)
    wet = np.zeros(config.days, dtype=bool)
    stay_wet = 0.6
    for i in range(config.days):  # one step per day: the chains need yesterday's state
        anomaly[i] = (0.75 * anomaly[i - 1] if i else 0.0) + shocks[i]
        p = wet_share[i]
        start_wet = p * (1 - stay_wet) / (1 - p)
        wet[i] = uniforms[i] < (stay_wet if i and wet[i - 1] else start_wet)
    rain = np.where(wet, np.round(amounts * wet_mm / 0.8, 1), 0.0)
    cooling = np.where(rain >= RAINY_MM, 2.0, 0.0)
    tmax = np.round(tmax_norm + anomaly - cooling, 1)
    tmin = np.round(np.minimum(tmin_norm + 0.6 * anomaly, tmax - 2.0), 1)
    return Weather(
        temp_max=np.asarray(tmax, dtype=np.float64),
        temp_min=np.asarray(tmin, dtype=np.float64),
        rain_mm=np.asarray(rain, dtype=np.float64),
    )


def _periodic(monthly: FloatArray, position: FloatArray) -> FloatArray:
    """Monthly values interpolated over the year (December wraps to January)."""
    xs = np.arange(-1, 13)
    ys = np.r_[monthly[-1], monthly, monthly[0]]
    return np.asarray(np.interp(position, xs, ys), dtype=np.float64)


def build_effects(config: SimulationConfig, leaves: Leaves) -> DayEffects:
    """Traffic and category multipliers of every simulated day."""
    weather = build_weather(config)
    days = [config.start + timedelta(days=i) for i in range(config.days)]
    weekday = np.array([d.isoweekday() for d in days], dtype=np.int64)
    holiday = [calendar.is_holiday(d) for d in days]
    makeup = [calendar.is_makeup_workday(d) for d in days]
    phase = [calendar.spring_festival_phase(d) for d in days]
    festivals = [calendar.festivals_on(d) for d in days]
    to_spring = np.array([calendar.days_to_spring_festival(d) for d in days])
    w_store = np.where(makeup, STORE_WEEKDAY[0], STORE_WEEKDAY[weekday - 1])
    w_online = np.where(makeup, ONLINE_WEEKDAY[0], ONLINE_WEEKDAY[weekday - 1])
    other_holiday = np.array([h and p != "holiday" for h, p in zip(holiday, phase, strict=True)])
    w_store = np.where(other_holiday, STORE_WEEKDAY[5], w_store)
    spring = _spring_factor(phase, to_spring)
    holiday_store = np.stack(
        [np.where(other_holiday, HOLIDAY_STORE[t], 1.0) * spring[0] for t in STORE_TYPES], axis=1
    )
    calendar_online = np.where(other_holiday, HOLIDAY_ONLINE, 1.0) * spring[1]
    calendar_online *= np.array(
        [_festival_online(d, fs) for d, fs in zip(days, festivals, strict=True)]
    )
    weather_store, weather_online = _weather_traffic(weather)
    return DayEffects(
        dates=days,
        weekday=weekday,
        store_traffic=holiday_store * (w_store * weather_store)[:, None],
        online_traffic=calendar_online * w_online * weather_online,
        leaf=_leaf_factors(leaves, weather, days, festivals, phase),
        weather=weather,
        weekday_store=w_store,
        weekday_online=w_online,
        holiday_store=holiday_store,
        calendar_online=calendar_online,
        weather_store=weather_store,
        weather_online=weather_online,
        is_holiday=holiday,
        holiday_name=[calendar.holiday_name(d, "en") for d in days],
        festival=[fs[0].key if fs else None for fs in festivals],
        spring_phase=phase,
    )


def _spring_factor(phase: list[str | None], to_spring: IntArray) -> tuple[FloatArray, FloatArray]:
    """Walk-in and online multipliers of the Spring Festival window: a ramp up to the eve,
    a trough in the holiday, a slow return afterwards."""
    store = np.ones(len(phase))
    online = np.ones(len(phase))
    for i, p in enumerate(phase):  # one value per day
        if p == "before":
            ramp = np.clip((22 - to_spring[i]) / 21, 0, 1)
            store[i] = online[i] = 1 + SPRING_PEAK * ramp
        elif p == "holiday":
            store[i], online[i] = SPRING_HOLIDAY_STORE, SPRING_HOLIDAY_ONLINE
        elif p == "after":
            back = np.clip(-to_spring[i] / 15, 0, 1)
            store[i] = online[i] = SPRING_AFTER_LOW + (1 - SPRING_AFTER_LOW) * back
    return store, online


def _festival_online(day: date, festivals: list[calendar.Festival]) -> float:
    factor = 1.0
    for festival in festivals:
        window, peak = FESTIVAL_ONLINE.get(festival.key, (1.0, 1.0))
        factor = max(factor, peak if day in festival.peak else window)
    return factor


def _weather_traffic(weather: Weather) -> tuple[FloatArray, FloatArray]:
    """Rain keeps people home and sends them online; so do heat waves and cold snaps."""
    rain = weather.rain_mm
    store = np.where(rain >= HEAVY_MM, 0.75, np.where(rain >= RAINY_MM, 0.88, 1.0))
    online = np.where(rain >= HEAVY_MM, 1.4, np.where(rain >= RAINY_MM, 1.25, 1.0))
    extreme = (weather.temp_max >= 35) | (weather.temp_max <= 3)
    return store * np.where(extreme, 0.93, 1.0), online * np.where(extreme, 1.1, 1.0)


def _leaf_factors(
    leaves: Leaves,
    weather: Weather,
    days: list[date],
    festivals: list[list[calendar.Festival]],
    phase: list[str | None],
) -> FloatArray:
    """(days, leaves) multipliers: temperature and rain, festival seasons."""
    heat = (weather.temp_max - 22.0) / 10.0
    log_f = heat[:, None] * leaves.temp[None, :] + weather.rainy[:, None] * leaves.rain[None, :]
    factor = np.exp(log_f)
    for i, found in enumerate(festivals):  # one row per day
        keys = {f.key for f in found}
        if "spring_festival" in keys and phase[i] != "before":
            keys.discard("spring_festival")  # gifts are bought before the holiday
        for leaf in range(leaves.count):
            wanted = leaves.festivals[leaf]
            hits = [wanted[k] for k in keys if k in wanted]
            if hits:
                factor[i, leaf] *= max(hits)
            elif leaves.outside[leaf] != 1.0:
                factor[i, leaf] *= leaves.outside[leaf]
    return np.asarray(factor, dtype=np.float64)
