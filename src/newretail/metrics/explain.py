""" "Why did GMV move?": :func:`explain_gmv` attributes a GMV change between two days (weeks,
months) and says it in zh-CN and en, e.g.
``GMV −8.2 %: store 鼓楼店 −4.1 pts, of which conversion −3.0 pts``.

Points are percentage points of the baseline GMV, so the contributions of one dimension add
up to the change in per cent (the amounts behind them add up to the fen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from newretail.core.i18n import LANGS, translate
from newretail.core.money import format_money
from newretail.core.settings import Settings, get_settings
from newretail.metrics.attribution import (
    DEFAULT_BY,
    Contribution,
    DriverEffect,
    GmvAttribution,
    attribute_gmv,
    check_dimensions,
    dimension_name,
)
from newretail.metrics.frames import GUEST
from newretail.metrics.model import CATEGORY_LEVELS, CHANNEL, STORE
from newretail.metrics.periods import Bucket, bucket_of, check_period

_MINUS = "\u2212"


@dataclass(frozen=True)
class GmvExplanation:
    """An attribution and what it says: ``sentences[lang]`` for ``zh-CN`` and ``en`` — the
    headline (GMV, its change and the traffic / conversion / AOV split), then one sentence per
    dimension naming its largest contributors in the direction of the change."""

    attribution: GmvAttribution
    current_label: str
    baseline_label: str
    sentences: Mapping[str, tuple[str, ...]]


def explain_gmv(
    con: Any,
    date: date,
    vs: date | None = None,
    *,
    period: str = "day",
    by: Sequence[str] = DEFAULT_BY,
    top: int = 3,
    settings: Settings | None = None,
) -> GmvExplanation:
    """Explain GMV of the ``period`` (day, ISO week, month) holding ``date`` against the one
    holding ``vs``.

    ``vs`` defaults to the same weekday a week earlier for a day, else the period before.
    ``by`` are the dimensions whose ``top`` largest contributors the sentences name
    (default: channel, store, top-level category). Money is formatted in the configured
    currency.
    """
    span = check_period(period)
    check_dimensions(by)
    current = bucket_of(span, date)
    baseline = bucket_of(span, vs if vs is not None else _default_vs(span, current))
    attribution = attribute_gmv(
        con,
        current=(current.first, current.last),
        baseline=(baseline.first, baseline.last),
        by=by,
        labels={dim: _labels(con, dim) for dim in by},
    )
    currency = (settings or get_settings()).currency
    sentences = {
        lang: tuple(_sentences(attribution, current, baseline, lang, top, currency))
        for lang in LANGS
    }
    return GmvExplanation(attribution, current.label, baseline.label, sentences)


def _default_vs(period: str, current: Bucket) -> date:
    if period == "day":
        return current.first - timedelta(days=7)
    return current.first - timedelta(days=1)


def _labels(con: Any, dim: str) -> dict[str | None, tuple[str, str]]:
    """``{key: (name_zh, name_en)}`` of a dimension's members (English falls back to Chinese)."""
    sources = {CHANNEL: ("channels", "channel_id"), STORE: ("stores", "store_id")}
    sources.update({level: ("categories", "category_id") for level in CATEGORY_LEVELS})
    found: dict[str | None, tuple[str, str]] = {
        None: _both("metrics.unknown_member"),
        GUEST: _both("metrics.guest"),
    }
    if dim in sources:
        table, key = sources[dim]
        rows = con.table(table).select(key, "name", "name_en").to_pyarrow().to_pylist()
        found.update({r[key]: (r["name"], r["name_en"] or r["name"]) for r in rows})
    return found


def _both(key: str) -> tuple[str, str]:
    return translate(key, "zh-CN"), translate(key, "en")


def _sentences(
    result: GmvAttribution, current: Bucket, baseline: Bucket, lang: str, top: int, currency: str
) -> list[str]:
    money = {
        "current": format_money(result.current.gmv, currency=currency),
        "baseline": format_money(result.baseline.gmv, currency=currency),
        "label": current.label,
        "baseline_label": baseline.label,
    }
    if result.baseline.gmv == 0:
        return [translate("metrics.explain.no_baseline", lang, **money)]
    if result.change == 0:
        return [translate("metrics.explain.unchanged", lang, **money)]
    change = _percent(result.change_pct, lang)
    drivers = {d.driver: _points(d.points) for d in result.drivers}
    lines = [translate("metrics.explain.headline", lang, change=change, **money, **drivers)]
    for dim in result.contributions:
        items = [_item(c, lang) for c in result.largest(dim, top)]
        if items:
            joined = translate("metrics.explain.separator", lang).join(items)
            lines.append(
                translate("metrics.explain.contributors", lang, change=change, items=joined)
            )
    return lines


def _item(contribution: Contribution, lang: str) -> str:
    fields = {
        "dimension": dimension_name(contribution.dimension, lang),
        "name": contribution.name(lang),
        "points": _points(contribution.points),
    }
    main = _main_driver(contribution)
    if main is None:
        return translate("metrics.explain.item", lang, **fields)
    driver = translate(f"metrics.driver.{main.driver}", lang)
    return translate(
        "metrics.explain.item_driver",
        lang,
        driver=driver,
        driver_points=_points(main.points),
        **fields,
    )


def _main_driver(contribution: Contribution) -> DriverEffect | None:
    """The driver that moved most in the contributor's direction (None if none did)."""
    sign = -1 if contribution.amount < 0 else 1
    moving = [d for d in contribution.drivers if d.amount * sign > 0]
    return max(moving, key=lambda d: d.amount * sign) if moving else None


def _signed(value: float) -> str:
    text = f"{value:+.1f}"
    return text.replace("-", _MINUS)


def _points(value: float | None) -> str:
    return _signed(value) if value is not None else "–"


def _percent(ratio: float | None, lang: str) -> str:
    if ratio is None:
        return "–"
    return translate("metrics.explain.percent", lang, value=_signed(ratio * 100))
