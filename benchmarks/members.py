"""How fast the members analytics run on a million members, against pandas and `lifetimes`.

    .venv/bin/python -m benchmarks.members [--members 1000000] [--home /tmp/bench] [--keep]

1. A chain of ``--members`` members over one year (2024) is generated straight into a fresh
   lake: members who join through the year or before it, buy as a BG/NBD process (gamma
   rates, beta dropout), in store or online, baskets shaped by each member's trait
   (price-sensitive, quality, new parent, trend). Not timed.
2. Timed, on the lake through the analytic engine: identity resolution, layers, RFM, the
   month-end layer history with sizes and transitions, lifecycle stages, tag scores and
   tags, and lifetime value (the purchase model chosen by hold-out among the candidates,
   Gamma-Gamma, P(alive), expected purchases and CLV of every member). Target: < 180 s.
3. Baselines in the same run: the layers and RFM written in pandas over the same Parquet
   files (checked to give the same answers), and the `lifetimes` package's BG/NBD fit
   (``BetaGeoFitter``) on the same customer summary as ours, with the parameters compared.

Results are printed and written to ``benchmarks/results/members-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import scipy

from newretail.core.settings import Settings
from newretail.lake import Lake, SourceFile, connect
from newretail.members import (
    LayerRules,
    RfmRules,
    lifecycle_stages,
    member_layers,
    member_value,
    month_ends,
    purchases,
    resolve_identities,
    rfm_scores,
    segment_history,
    tag_scores,
)
from newretail.members.clv import Cohort, cohort_summary, fit_bg_nbd
from newretail.members.tags import tags_from_scores

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
FIRST_DAY = date(2024, 1, 1)
AS_OF = date(2024, 12, 31)
DAYS = (AS_OF - FIRST_DAY).days + 1
TARGET_SECONDS = 180.0
TIERS = np.array(["economy", "standard", "premium"])
#: tier choice by trait: neutral, price-sensitive, quality, new parent, trend
TIER_TASTE = np.array([[0.3, 0.5, 0.2], [0.55, 0.38, 0.07], [0.12, 0.45, 0.43], [0.3, 0.5, 0.2],
                       [0.25, 0.5, 0.25]])  # fmt: skip


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    info = Path("/proc/cpuinfo")
    if info.is_file():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(pages / 2**30, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
    }


# -- the generated chain ---------------------------------------------------------------------


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    text = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, text, "")


def _dimensions(rng: np.random.Generator, skus: int) -> dict[str, pa.Table]:
    roots = [f"{i}0" for i in range(1, 9)]  # 80 is mother and baby
    leaves = [f"{root}{j:02d}" for root in roots for j in range(1, 6)]
    categories = pa.table(
        {
            "category_id": roots + leaves,
            "parent_id": [None] * len(roots) + [leaf[:2] for leaf in leaves],
            "level": [1] * len(roots) + [2] * len(leaves),
            "name": [("母婴" if r == "80" else f"品类{r}") for r in roots] + leaves,
        }
    )
    leaf = rng.integers(0, len(leaves), skus)
    launched = np.where(
        rng.random(skus) < 0.05, rng.integers(0, DAYS - 30, skus), -rng.integers(60, 2000, skus)
    )
    products = pa.table(
        {
            "sku_id": _ids("S", np.arange(skus), 6),
            "category_id": pa.array(np.array(leaves)[leaf]),
            "tier": pa.array(TIERS[rng.choice(3, skus, p=[0.3, 0.5, 0.2])]),
            "launched_on": pa.array(np.datetime64(FIRST_DAY) + launched.astype("timedelta64[D]")),
            "list_price": pa.array(rng.integers(300, 9_000, skus)),
        }
    )
    channels = pa.table(
        {
            "channel_id": ["pos", "app", "mini"],
            "name": ["门店", "App", "小程序"],
            "kind": ["store_pos", "app", "mini_program"],
        }
    )
    return {"categories": categories, "products": products, "channels": channels}


def _members(rng: np.random.Generator, n: int) -> tuple[pa.Table, dict[str, np.ndarray]]:
    join = np.where(rng.random(n) < 0.6, -rng.integers(1, 1000, n), rng.integers(0, DAYS, n))
    traits = {
        "join": join,
        "rate": rng.gamma(0.6, 0.035 / 0.6, n),
        "dropout": rng.beta(0.8, 8.0, n),
        "klass": rng.choice(5, n, p=[0.5, 0.2, 0.12, 0.08, 0.1]),
        "online": rng.beta(2.0, 5.0, n),
    }
    joined = np.datetime64(FIRST_DAY) + join.astype("timedelta64[D]")
    table = pa.table(
        {
            "member_id": _ids("M", np.arange(n), 7),
            "joined_at": pa.array(joined.astype("datetime64[us]")).cast(pa.timestamp("us", "UTC")),
            "birthday": pa.array(
                np.datetime64("1960-01-01") + rng.integers(0, 15_000, n).astype("timedelta64[D]")
            ),
            "gender": pa.array(np.array(["female", "male"])[rng.integers(0, 2, n)]),
        }
    )
    return table, traits


def _purchases(rng: np.random.Generator, t: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(member, day) of every purchase: Poisson times while alive, dropout after each."""
    start = np.maximum(t["join"], 0)
    window = DAYS - start
    possible = rng.poisson(t["rate"] * window)
    made = np.minimum(possible, rng.geometric(t["dropout"]))
    who = np.repeat(np.arange(start.size), possible)
    when = start[who] + rng.random(who.size) * window[who]
    order = np.lexsort((when, who))
    who, when = who[order], when[order]
    first = np.concatenate([[0], np.cumsum(possible)[:-1]])
    rank = np.arange(who.size) - first[who]
    keep = rank < made[who]
    return who[keep], np.floor(when[keep]).astype(np.int64)


def _facts(
    rng: np.random.Generator, who: np.ndarray, day: np.ndarray, t: dict[str, np.ndarray],
    dims: dict[str, pa.Table],
) -> tuple[pa.Table, pa.Table]:  # fmt: skip
    n = who.size
    online = rng.random(n) < t["online"][who]
    channel = np.where(online, np.where(rng.random(n) < 0.5, "app", "mini"), "pos")
    status = np.where(rng.random(n) < 0.02, "cancelled", "completed")
    dates = np.datetime64(FIRST_DAY) + day.astype("timedelta64[D]")
    count = 1 + rng.poisson(1.6, n)
    line_order = np.repeat(np.arange(n), count)
    sku, gross, promo, coupon = _lines(rng, t["klass"][who][line_order], dates[line_order], dims)
    discount = np.where(promo, gross // 5, 0) + np.where(coupon, gross // 10, 0)
    net = gross - discount
    order_ids = _ids("O", np.arange(n), 9)
    lines = pa.table(
        {
            "order_id": order_ids.take(pa.array(line_order)),
            "line_no": pa.array(
                np.arange(line_order.size) - np.repeat(np.cumsum(count) - count, count)
            ),
            "business_date": pa.array(dates[line_order]),
            "sku_id": dims["products"]["sku_id"].take(pa.array(sku)),
            "channel_id": pa.array(channel[line_order]),
            "member_id": _ids("M", who[line_order], 7),
            "quantity": pa.array(np.ones(line_order.size)),
            "gross_amount": pa.array(gross),
            "discount_amount": pa.array(discount),
            "net_amount": pa.array(net),
            "promotion_id": pa.array(np.where(promo, "P1", None)),
            "coupon_code": pa.array(np.where(coupon, "C1", None)),
        }
    )
    orders = pa.table(
        {
            "order_id": order_ids,
            "business_date": pa.array(dates),
            "ordered_at": pa.array(dates.astype("datetime64[us]")).cast(pa.timestamp("us", "UTC")),
            "channel_id": pa.array(channel),
            "member_id": _ids("M", who, 7),
            "status": pa.array(status),
            "gross_amount": pa.array(np.bincount(line_order, gross, n).astype(np.int64)),
            "discount_amount": pa.array(np.bincount(line_order, discount, n).astype(np.int64)),
            "net_amount": pa.array(np.bincount(line_order, net, n).astype(np.int64)),
        }
    )
    return orders, lines


def _lines(
    rng: np.random.Generator, klass: np.ndarray, dates: np.ndarray, dims: dict[str, pa.Table]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SKU, gross amount and promotion / coupon flags of each line, by the buyer's trait."""
    p = dims["products"]
    tier = pc.index_in(p["tier"], pa.array(TIERS)).to_numpy()
    baby = pc.starts_with(p["category_id"], "80").to_numpy(zero_copy_only=False)
    launched = p["launched_on"].to_numpy().astype("datetime64[D]")
    n = klass.size
    cumulative = TIER_TASTE.cumsum(axis=1)[klass]
    want = (rng.random(n)[:, None] > cumulative).sum(axis=1)
    by_tier = [np.flatnonzero((tier == k) & ~baby) for k in range(3)]
    sku = np.empty(n, dtype=np.int64)
    for k in range(3):
        rows = want == k
        sku[rows] = by_tier[k][rng.integers(0, by_tier[k].size, rows.sum())]
    babies = np.flatnonzero(baby)
    to_baby = rng.random(n) < np.where(klass == 3, 0.12, 0.01)
    sku[to_baby] = babies[rng.integers(0, babies.size, to_baby.sum())]
    fresh = np.flatnonzero(launched >= np.datetime64(FIRST_DAY))
    age = dates - launched[fresh][rng.integers(0, fresh.size, n)]
    to_new = (rng.random(n) < np.where(klass == 4, 0.15, 0.03)) & (age >= np.timedelta64(0, "D"))
    sku[to_new] = fresh[rng.integers(0, fresh.size, to_new.sum())]
    gross = p["list_price"].to_numpy()[sku]
    promo = rng.random(n) < np.where(klass == 1, 0.3, 0.15)
    coupon = rng.random(n) < np.where(klass == 1, 0.1, 0.04)
    return sku, gross, promo, coupon


def generate(home: Path, *, members: int, seed: int = 20240101) -> dict[str, int]:
    """Write the chain into the lake of ``home``; the row counts."""
    rng = np.random.default_rng(seed)
    dims = _dimensions(rng, skus=5_000)
    people, traits = _members(rng, members)
    who, day = _purchases(rng, traits)
    orders, lines = _facts(rng, who, day, traits, dims)
    lake = Lake.from_settings(Settings(home=home))
    with lake.begin(source="bench", files=[SourceFile("bench.parquet", "bench", 1)]) as tx:
        for name, table in {**dims, "members": people}.items():
            tx.upsert(name, table)
        tx.append("orders", orders)
        tx.append("order_lines", lines)
        total = sum(t.num_rows for t in (*dims.values(), people, orders, lines))
        tx.commit(
            period=(FIRST_DAY, AS_OF), rows_read=total, rows_loaded=total,
            rows_quarantined=0, quarantine_reasons={},
        )  # fmt: skip
    return {"members": members, "orders": orders.num_rows, "order_lines": lines.num_rows}


# -- timed runs --------------------------------------------------------------------------------


def timed(stages: dict[str, float], name: str, step: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = step()
    stages[name] = round(time.perf_counter() - started, 2)
    print(f"  {name:<12} {stages[name]:8.2f} s", flush=True)
    return result


def ours(settings: Settings) -> dict[str, Any]:
    stages: dict[str, float] = {}
    con = connect(settings=settings)
    started = time.perf_counter()
    resolution = timed(stages, "identities", lambda: resolve_identities(con))
    layers = timed(stages, "layers", lambda: member_layers(con, as_of=AS_OF, resolution=resolution))
    rfm = timed(stages, "rfm", lambda: rfm_scores(con, as_of=AS_OF, resolution=resolution))
    snapshots = month_ends(FIRST_DAY, AS_OF)
    history = timed(
        stages, "history",
        lambda: segment_history(con, snapshots=snapshots, resolution=resolution),
    )  # fmt: skip
    stages_table = timed(
        stages, "lifecycle", lambda: lifecycle_stages(con, as_of=AS_OF, resolution=resolution)
    )
    scores = timed(
        stages, "tag_scores", lambda: tag_scores(con, as_of=AS_OF, resolution=resolution)
    )
    tags = timed(stages, "tags", lambda: tags_from_scores(scores))
    value = timed(stages, "clv", lambda: member_value(con, as_of=AS_OF, resolution=resolution))
    total = round(time.perf_counter() - started, 2)
    return {
        "seconds": total,
        "target_seconds": TARGET_SECONDS,
        "within_target": total < TARGET_SECONDS,
        "stages": stages,
        "rows": {
            "layers": layers.num_rows,
            "rfm": rfm.num_rows,
            "history": history.members.num_rows,
            "lifecycle": stages_table.num_rows,
            "tag_scores": scores.num_rows,
            "tags": tags.num_rows,
            "clv": value.scores.num_rows,
        },
        "model": value.model.name,
        "selection": value.selection.to_pylist() if value.selection is not None else None,
        "layers": _counts(layers, "layer"),
        "_layers": layers,
        "_rfm": rfm,
    }


def _counts(table: pa.Table, column: str) -> dict[str, int]:
    counted = table.group_by(column).aggregate([(column, "count")])
    return dict(
        zip(counted[column].to_pylist(), counted[f"{column}_count"].to_pylist(), strict=True)
    )


def pandas_segmentation(home: Path) -> tuple[float, pd.DataFrame, pd.DataFrame]:
    """Layers and RFM in pandas over the same Parquet files, the way an analyst writes them."""
    started = time.perf_counter()
    orders = (
        ds.dataset(home / "lake" / "orders", format="parquet")
        .to_table(columns=["member_id", "business_date", "status", "net_amount"])
        .to_pandas()
    )
    members = (
        ds.dataset(home / "lake" / "members", format="parquet")
        .to_table(columns=["member_id"])
        .to_pandas()
    )
    orders = orders[
        orders.member_id.notna() & orders.status.isin(["completed", "partially_refunded"])
    ]
    orders["business_date"] = pd.to_datetime(orders.business_date)
    as_of = pd.Timestamp(AS_OF)
    rules, rfm_rules = LayerRules(), RfmRules()
    recent = orders[orders.business_date > as_of - pd.Timedelta(days=rules.window_days)]
    stats = orders.groupby("member_id").business_date.max().rename("last").to_frame()
    stats["recent"] = recent.groupby("member_id").size()
    layers = members.set_index("member_id").join(stats, how="outer")
    idle = (as_of - layers["last"]).dt.days
    rate = layers.recent.fillna(0) * 30 / rules.window_days
    layers["layer"] = np.select(
        [layers["last"].isna(), idle >= rules.churn_days, rate >= rules.high_value_per_month,
         rate >= rules.potential_per_month],
        ["no_purchase", "churn_risk", "high_value", "potential"], "occasional",
    )  # fmt: skip
    window = orders[orders.business_date > as_of - pd.Timedelta(days=rfm_rules.window_days)]
    rfm = orders.groupby("member_id").business_date.max().rename("last").to_frame()
    rfm["recency"] = (as_of - rfm["last"]).dt.days
    rfm["frequency"] = window.groupby("member_id").size().reindex(rfm.index, fill_value=0)
    rfm["monetary"] = window.groupby("member_id").net_amount.sum().reindex(rfm.index, fill_value=0)
    for column, score, ascending in (
        ("recency", "r", False),
        ("frequency", "f", True),
        ("monetary", "m", True),
    ):
        position = rfm[column].rank(method="max", pct=True, ascending=ascending)
        rfm[f"{score}_score"] = np.clip(np.ceil(position * 5), 1, 5).astype(int)
    return time.perf_counter() - started, layers, rfm


def lifetimes_fit(settings: Settings) -> dict[str, Any]:
    """BG/NBD fitted by `lifetimes` and by newretail on the same summary (weeks)."""
    con = connect(settings=settings)
    summary = cohort_summary(purchases(con), calibration_end=AS_OF)
    cohort = Cohort.from_arrow(summary)
    started = time.perf_counter()
    model = fit_bg_nbd(cohort)
    our_seconds = time.perf_counter() - started
    from lifetimes import BetaGeoFitter

    started = time.perf_counter()
    fitter = BetaGeoFitter().fit(cohort.x, cohort.t_x, cohort.T)
    their_seconds = time.perf_counter() - started
    theirs = {k: float(v) for k, v in fitter.params_.items()}
    return {
        "customers": cohort.size,
        "ours_seconds": round(our_seconds, 2),
        "lifetimes_seconds": round(their_seconds, 2),
        "ratio": round(their_seconds / our_seconds, 1),
        "ours": {
            "r": model.r,
            "alpha": model.alpha,
            "a": model.a,
            "b": model.b,
            "log_likelihood": model.log_likelihood,
        },
        "lifetimes": theirs,
    }


def compare(ours_run: dict[str, Any], layers: pd.DataFrame, rfm: pd.DataFrame) -> dict[str, bool]:
    mine = ours_run["_layers"].to_pandas().set_index("member_id")
    same_layers = bool((mine.layer == layers.layer.reindex(mine.index)).all())
    scores = ours_run["_rfm"].to_pandas().set_index("member_id")
    theirs = rfm.reindex(scores.index)
    same_rfm = all(bool((scores[c] == theirs[c]).all()) for c in ("r_score", "f_score", "m_score"))
    return {"layers_equal": same_layers, "rfm_scores_equal": same_rfm}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.members", description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--home", type=Path, help="data home to generate into (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data home")
    args = parser.parse_args(argv)
    home = args.home or Path(tempfile.mkdtemp(prefix="newretail-members-"))
    settings = Settings(home=home)
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python -m benchmarks.members", *sys.argv[1:]]),
        "machine": machine(),
    }
    try:
        print(f"generating {args.members:,} members into {home} …", flush=True)
        started = time.perf_counter()
        results["data"] = generate(home, members=args.members)
        results["data"]["seconds"] = round(time.perf_counter() - started, 1)
        print(f"  {results['data']}\nnewretail (segmentation, tags, CLV):", flush=True)
        run = ours(settings)
        pandas_seconds, layers, rfm = pandas_segmentation(home)
        seg = run["stages"]["layers"] + run["stages"]["rfm"]
        results["pandas_segmentation"] = {
            "seconds": round(pandas_seconds, 2),
            "ours_seconds": round(seg, 2),
            "ratio": round(pandas_seconds / seg, 2),
            **compare(run, layers, rfm),
        }
        results["ours"] = {k: v for k, v in run.items() if not k.startswith("_")}
        results["lifetimes_bg_nbd"] = lifetimes_fit(settings)
    finally:
        if not args.keep and args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    print(json.dumps({k: v for k, v in results.items() if k != "ours"}, indent=2))
    print(f"total {results['ours']['seconds']} s (target {TARGET_SECONDS} s)")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"members-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(results, indent=2, default=str, ensure_ascii=False), encoding="utf-8"
    )
    print(f"written to {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
