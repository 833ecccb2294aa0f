"""Straightforward pandas computations of the metrics over the hand-made rows, written from
the metric descriptions, to check the engine's answers against.

Every function takes the frames of :class:`tests.metrics.conftest.Chain` and the slices, and
returns ``{(business_date, *slice values): value}`` for the slices that have a value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pandas as pd

Frames = dict[str, pd.DataFrame]
Answer = dict[tuple[Any, ...], float]


def sold(f: Frames) -> pd.DataFrame:
    """Lines of orders not cancelled, return lines left out, with the order's attributes."""
    orders = f["orders"]
    orders = orders[orders["status"] != "cancelled"]
    lines = f["order_lines"]
    lines = lines[lines["is_return"] != True]  # noqa: E712 (None means not a return)
    keep = ["order_id", "business_date", "channel_id", "store_id", "member_id", "coupon_codes"]
    merged = lines.drop(columns=["business_date", "channel_id", "store_id", "member_id"]).merge(
        orders[keep], on="order_id"
    )
    quantity = merged["quantity"].astype(float)
    merged["units"] = quantity.where(quantity == quantity.round(), 1.0)
    merged["has_coupon"] = merged["coupon_codes"].notna() | merged["coupon_code"].notna()
    return merged


def refunds(f: Frames) -> pd.DataFrame:
    """Returns not of cancelled orders, with store / channel / member from the order when
    missing, and the returned cost at the original line's unit cost."""
    orders = f["orders"][["order_id", "status", "channel_id", "store_id", "member_id"]]
    merged = f["returns"].merge(orders, on="order_id", how="left", suffixes=("", "_o"))
    merged = merged[merged["status"] != "cancelled"].copy()
    for name in ("channel_id", "store_id", "member_id"):
        merged[name] = merged[name].fillna(merged[f"{name}_o"])
    lines = f["order_lines"]
    lines = lines[lines["is_return"] != True]  # noqa: E712
    unit = lines.groupby(["order_id", "sku_id"]).apply(
        lambda g: g["cost_amount"].sum() / g["quantity"].sum(), include_groups=False
    )
    merged["returned_cost"] = [
        q * unit.get((o, s), 0.0)
        for q, o, s in zip(merged["quantity"], merged["order_id"], merged["sku_id"], strict=True)
    ]
    return merged


def with_dimensions(df: pd.DataFrame, f: Frames, by: Sequence[str]) -> pd.DataFrame:
    """``df`` with region, category levels 1–2 and member tier looked up when asked for."""
    df = df.copy()
    if "region" in by:
        regions = dict(zip(f["stores"]["store_id"], f["stores"]["region"], strict=True))
        df["region"] = df["store_id"].map(regions)
    leaf = dict(zip(f["products"]["sku_id"], f["products"]["category_id"], strict=True))
    parent = dict(zip(f["categories"]["category_id"], f["categories"]["parent_id"], strict=True))
    if "category_l2" in by:
        df["category_l2"] = df["sku_id"].map(leaf)
    if "category_l1" in by:
        df["category_l1"] = df["sku_id"].map(leaf).map(parent)
    if "member_tier" in by:
        tiers = dict(zip(f["members"]["member_id"], f["members"]["tier"], strict=True))
        df["member_tier"] = [
            tiers.get(m) if isinstance(m, str) else "guest" for m in df["member_id"]
        ]
    return df


def grouped(
    df: pd.DataFrame, by: Sequence[str], value: Callable[[pd.DataFrame], float | None]
) -> Answer:
    """``value`` of each business day and slice of ``df`` (slices as in ``by``)."""
    answer: Answer = {}
    if df.empty:
        return answer
    keys = ["business_date", *by]
    for key, group in df.groupby(keys, dropna=False):
        found = value(group)
        if found is not None:
            answer[tuple(None if pd.isna(k) else k for k in key)] = float(found)
    return answer


def ratio(top: float, bottom: float) -> float | None:
    return top / bottom if bottom > 0 else None


def combine(
    left: pd.DataFrame,
    right: pd.DataFrame,
    by: Sequence[str],
    value: Callable[[pd.DataFrame, pd.DataFrame], float | None],
) -> Answer:
    """``value(left rows, right rows)`` for every business day and slice either side has."""
    keys = ["business_date", *by]
    found: set[tuple[Any, ...]] = set()
    for df in (left, right):
        found |= {tuple(row) for row in df[keys].itertuples(index=False)}
    answer: Answer = {}
    for key in found:
        pick_left = _pick(left, keys, key)
        pick_right = _pick(right, keys, key)
        result = value(pick_left, pick_right)
        if result is not None:
            answer[tuple(None if pd.isna(k) else k for k in key)] = float(result)
    return answer


def _pick(df: pd.DataFrame, keys: list[str], key: tuple[Any, ...]) -> pd.DataFrame:
    mask = pd.Series(True, index=df.index)
    for name, value in zip(keys, key, strict=True):
        mask &= df[name].isna() if pd.isna(value) else df[name] == value
    return df[mask]


def as_answer(table: Any, by: Sequence[str], metric: str) -> Answer:
    """The rows of ``metric`` with a value in a ``compute`` result, keyed like the references."""
    frame = table.to_pandas()
    frame = frame[(frame["metric"] == metric) & ~frame["no_data"]]
    return {
        (row["period_start"], *(row[b] for b in by)): float(row["value"])
        for _, row in frame.iterrows()
    }


def in_window(answer: Answer, start: date, end: date) -> Answer:
    return {k: v for k, v in answer.items() if start <= k[0] <= end}
