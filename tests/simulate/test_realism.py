"""The configured behaviour is found again in the data, measured back through the lake.

Each test computes a property from the loaded canonical tables (what an analyst would see)
and compares it with what the simulator was configured to do, as its ground truth records
it: the weekly profile, the Spring Festival peak and trough, promotion lift, censoring at
stock-outs, and the spread of members' purchase rates.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from tests.simulate.conftest import LoadedRun, run_and_load

from newretail.simulate.config import preset
from newretail.simulate.seasons import STORE_WEEKDAY


def _walk_in_per_store_day(run: LoadedRun) -> pd.DataFrame:
    """Walk-in orders per store and day from the lake, beside the truth's traffic."""
    orders = run.lake().table("orders")
    walk = orders.filter(orders.channel_id == "pos")
    daily = walk.group_by(["store_id", "business_date"]).aggregate(orders=walk.count())
    frame = daily.to_pandas()
    frame["business_date"] = pd.to_datetime(frame["business_date"])
    traffic = run.truth("traffic.parquet")
    calendar = run.truth("calendar.parquet")
    frame = frame.merge(traffic, on=["store_id", "business_date"])
    return frame.merge(calendar, on="business_date")


def test_weekend_walk_in_traffic_follows_the_weekday_profile(small: LoadedRun) -> None:
    days = _walk_in_per_store_day(small)
    ordinary = days[~days.is_holiday & days.spring_festival_phase.isna()]
    weekend, midweek = ordinary.weekday >= 6, ordinary.weekday <= 4
    measured = ordinary[weekend].orders.mean() / ordinary[midweek].orders.mean()
    expected = ordinary[weekend].expected_walk_in.mean() / ordinary[midweek].expected_walk_in.mean()
    configured = STORE_WEEKDAY[5:].mean() / STORE_WEEKDAY[:4].mean()
    assert measured == pytest.approx(expected, rel=0.10)
    assert measured > 1.1
    assert expected == pytest.approx(configured, rel=0.12)


def test_spring_festival_brings_a_peak_before_and_a_trough_during_the_holiday(
    small: LoadedRun,
) -> None:
    days = _walk_in_per_store_day(small)
    base = days[days.business_date < "2024-01-20"]  # before the festival window
    holiday = days[days.spring_festival_phase == "holiday"]
    eve = days[(days.spring_festival_phase == "before") & (days.business_date >= "2024-02-03")]

    def ratio(part: pd.DataFrame, column: str) -> float:
        return float(part[column].mean() / base[column].mean())

    assert ratio(holiday, "orders") == pytest.approx(ratio(holiday, "expected_walk_in"), rel=0.15)
    assert ratio(eve, "orders") == pytest.approx(ratio(eve, "expected_walk_in"), rel=0.15)
    assert ratio(holiday, "orders") < 0.75
    assert ratio(eve, "orders") > 1.3


def _promotion_days(run: LoadedRun) -> pd.DataFrame:
    """Promoted store × SKU × day, with the promotion's mechanic, from the lake."""
    con = run.lake()
    items, promos = con.table("promotion_items"), con.table("promotions")
    joined = (
        items.join(promos, "promotion_id")
        .select(
            "promotion_id",
            "sku_id",
            "store_id",
            start=items.business_date,
            end=items.ends_on,
            mechanic=promos.mechanic,
        )
        .to_pandas()
    )
    stores = con.table("stores").store_id.to_pandas().tolist()
    joined["store_id"] = joined.store_id.map(lambda s: stores if s == "ALL" else [s])
    joined = joined.explode("store_id")
    joined["day"] = [pd.date_range(s, e) for s, e in zip(joined.start, joined.end, strict=True)]
    joined["dip"] = [pd.date_range(e + pd.Timedelta(days=1), periods=7) for e in joined.end]
    promo = joined.explode("day").assign(state="promo")
    dip = joined.drop(columns="day").rename(columns={"dip": "day"}).explode("day")
    both = pd.concat([promo, dip.assign(state="dip")])[
        ["store_id", "sku_id", "day", "state", "mechanic"]
    ]
    both["day"] = pd.to_datetime(both.day)
    return both.rename(columns={"day": "business_date"})


def test_promotions_lift_sales_as_configured_then_dip(small: LoadedRun) -> None:
    """Lift measured like a category analyst would: the SKU's share of its store's units on
    promotion days against its share on days with no promotion or dip."""
    lines = small.lake().table("order_lines")
    units = (
        lines.group_by(["store_id", "sku_id", "business_date"])
        .aggregate(units=lines.quantity.sum())
        .to_pandas()
    )
    units["business_date"] = pd.to_datetime(units.business_date)
    totals = units.groupby(["store_id", "business_date"], as_index=False).units.sum()
    flags = _promotion_days(small).drop_duplicates(["store_id", "sku_id", "business_date"])
    grid = totals.rename(columns={"units": "store_units"}).merge(
        flags[["sku_id"]].drop_duplicates(), how="cross"
    )
    grid = grid.merge(units, on=["store_id", "sku_id", "business_date"], how="left")
    grid = grid.fillna({"units": 0.0}).merge(
        flags, on=["store_id", "sku_id", "business_date"], how="left"
    )
    clean = (
        grid[grid.state.isna()]
        .groupby(["store_id", "sku_id"], as_index=False)[["units", "store_units"]]
        .sum()
    )
    clean["share"] = clean.units / clean.store_units
    grid = grid.merge(clean[["store_id", "sku_id", "share"]], on=["store_id", "sku_id"])
    grid["baseline"] = grid.share * grid.store_units
    demand = small.truth("demand")
    for mechanic in ("special_price", "discount"):
        promo = grid[(grid.state == "promo") & (grid.mechanic == mechanic)]
        measured = promo.units.sum() / promo.baseline.sum()
        truth = demand.merge(promo[["store_id", "sku_id", "business_date"]])
        configured = truth.expected.sum() / truth.expected_base.sum()
        assert configured > 1.4, mechanic
        assert measured == pytest.approx(configured, rel=0.15), mechanic
    dip = grid[grid.state == "dip"]
    assert dip.units.sum() / dip.baseline.sum() < 0.97


def test_a_store_never_sells_more_than_it_has_and_stock_outs_hide_lost_sales(
    small: LoadedRun,
) -> None:
    con = small.lake()
    lines = con.table("order_lines")
    sold = (
        lines.group_by(["store_id", "sku_id", "business_date"])
        .aggregate(sold_lake=lines.quantity.sum())
        .to_pandas()
    )
    snaps = con.table("inventory_snapshots")
    stock = snaps.select(
        store_id=snaps.location_id,
        sku_id=snaps.sku_id,
        business_date=snaps.business_date,
        on_hand=snaps.on_hand,
    ).to_pandas()
    for frame in (sold, stock):
        frame["business_date"] = pd.to_datetime(frame.business_date)
    demand = small.truth("demand").merge(sold, how="left").merge(stock, how="left")
    demand = demand.fillna({"sold_lake": 0.0})
    assert (demand.sold_lake <= demand.available + 1e-6).all()
    assert (demand.sold_lake <= demand.desired + 1e-6).all()
    out = demand[demand.lost > 0]
    assert len(out) > 50
    assert out.lost.sum() / demand.desired.sum() > 0.005
    served_all = np.isclose(out.sold_lake, out.available, atol=1e-6)
    assert served_all.mean() > 0.97  # a few lines of these days are in the quarantine
    assert np.isclose(out.on_hand, 0.0, atol=1e-6).all()


@pytest.fixture(scope="module")
def joiners(tmp_path_factory: pytest.TempPathFactory) -> LoadedRun:
    """A chain whose 4,000 members all join during the period: their purchase rates are
    drawn from the configured gamma distribution, undistorted by who survived before."""
    return run_and_load(
        tmp_path_factory.mktemp("joiners"),
        "small",
        members=4_000,
        skus=100,
        days=70,
        existing_members=0.0,
        dirt_rate=0.0,
    )


def test_members_purchase_rates_spread_like_the_configured_gamma(joiners: LoadedRun) -> None:
    """Repeat orders in the 28 days after joining follow a negative binomial whose shape is
    the gamma shape of the purchase rates: estimated back by the method of moments."""
    window = 28
    con = joiners.lake()
    orders, members = con.table("orders"), con.table("members")
    joined = members.select("member_id", joined=members.joined_at.date())
    mine = orders.join(joined, "member_id")
    inside = mine.filter(
        (mine.business_date > mine.joined)
        & (mine.business_date <= mine.joined + ibis.interval(days=window))
    )
    counts = inside.group_by("member_id").aggregate(repeats=inside.count()).to_pandas()
    last = joiners.result.config.end - pd.Timedelta(days=window)
    cohort = joined.filter(joined.joined <= last).to_pandas()
    frame = cohort.merge(counts, how="left").fillna({"repeats": 0})
    n = frame.repeats.to_numpy(dtype=float)
    mean, var = n.mean(), n.var(ddof=1)
    shape = mean**2 / (var - mean)
    config = preset("small")
    assert len(frame) > 1_500
    assert var > 2 * mean  # far more spread than one common rate (Poisson) would give
    assert shape == pytest.approx(config.rate_shape, rel=0.35)
    truth = joiners.truth("members.parquet").merge(frame, on="member_id")
    assert truth.purchase_rate.rank().corr(truth.repeats.rank()) > 0.4  # Spearman


def test_rain_moves_shoppers_online(small: LoadedRun) -> None:
    orders = small.lake().table("orders")
    daily = (
        orders.group_by("business_date")
        .aggregate(online=(orders.channel_id != "pos").sum(), total=orders.count())
        .to_pandas()
    )
    daily["business_date"] = pd.to_datetime(daily.business_date)
    weather = small.truth("calendar.parquet")
    frame = daily.merge(weather, on="business_date")
    frame = frame[frame.spring_festival_phase.isna()]
    share = frame.online / frame.total
    rainy = frame.precipitation_mm >= 5
    assert share[rainy].mean() > share[~rainy].mean() * 1.15


def test_late_deliveries_and_their_complaints_come_with_rain(small: LoadedRun) -> None:
    con = small.lake()
    orders, feedback = con.table("orders"), con.table("feedback")
    delivered = orders.filter(orders.fulfilment == "delivery")
    late = (
        delivered.group_by("business_date")
        .aggregate(late=(delivered.delivered_at > delivered.promised_at).mean())
        .to_pandas()
    )
    slow = feedback.filter(feedback.topic == "配送慢").count().execute()
    weather = small.truth("calendar.parquet")
    late["business_date"] = pd.to_datetime(late.business_date)
    frame = late.merge(weather, on="business_date")
    rainy = frame.precipitation_mm >= 5
    assert frame.late[rainy].mean() > 2 * frame.late[~rainy].mean()
    assert slow > 0


def test_weather_truth_explains_cold_drinks_and_hot_pot(small: LoadedRun) -> None:
    effects = small.truth("category_effects.parquet")
    hot_days = effects.merge(small.truth("calendar.parquet")[["business_date", "temp_max_c"]])
    drinks = hot_days[hot_days.category_name == "碳酸饮料"]
    hot_pot = hot_days[hot_days.category_name == "火锅食材"]
    assert drinks.temp_max_c.corr(drinks.temperature_effect) > 0.9
    assert hot_pot.temp_max_c.corr(hot_pot.temperature_effect) < -0.9


def test_truth_files_sit_beside_not_inside_the_lake(small: LoadedRun) -> None:
    loaded = {r.source for r in small.reports}
    assert not any(source.startswith("truth") for source in loaded)
    assert (small.out / "truth" / "demand").is_dir()
