"""Realism report: summary statistics of a simulated chain beside real retail data sets.

Three comparisons, each with the real data set it is measured against:

- items per basket of walk-in orders against the Groceries point-of-sale baskets (arules);
- repeat purchases of a first-purchase cohort against the BTYDplus online grocery cohort,
  counted over the same number of days after each customer's first purchase;
- the share of lines (and of value) returned against the cancellations of UCI Online Retail.

The simulated side is read from the run's ground truth (``truth/orders.parquet``,
``truth/returns.parquet``); everything is computed with Ibis on DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir

from newretail.core.i18n import translate
from newretail.simulate.config import SimulationError
from newretail.simulate.layout import TRUTH

GROCERIES = Path("arules_groceries") / "groceries_long.csv"
BTYD = Path("btydplus_grocery_elog") / "grocery_elog.csv"
UCI = Path("uci_online_retail") / "online_retail.csv.gz"
#: BTYDplus cohort: first purchases in the first quarter of 2006
BTYD_COHORT_END = date(2006, 3, 31)
COHORT_DAYS = 91
MAX_WINDOW = 273


@dataclass(frozen=True)
class Comparison:
    """One statistic, simulated and real. ``metric`` and ``dataset`` are message keys
    (``simulate.report.*``)."""

    metric: str
    dataset: str
    simulated: float
    reference: float
    unit: str = ""


@dataclass(frozen=True)
class RealismReport:
    """The comparisons of one run, and the repeat-purchase window used (days)."""

    out: Path
    window_days: int
    comparisons: list[Comparison]

    def rows(self, lang: str | None = None) -> list[tuple[str, str, str, str]]:
        """(statistic, simulated, real, data set) as display text in ``lang``."""
        return [
            (
                translate(c.metric, lang, days=self.window_days),
                _fmt(c.simulated, c.unit),
                _fmt(c.reference, c.unit),
                translate(c.dataset, lang),
            )
            for c in self.comparisons
        ]

    def to_markdown(self, lang: str | None = None) -> str:
        head = [
            translate(k, lang)
            for k in (
                "simulate.report.col.metric",
                "simulate.report.col.simulated",
                "simulate.report.col.real",
                "simulate.report.col.dataset",
            )
        ]
        lines = [
            f"# {translate('simulate.report.title', lang)}",
            "",
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows(lang)]
        return "\n".join(lines) + "\n"


def _fmt(value: float, unit: str) -> str:
    return f"{value * 100:.2f} %" if unit == "%" else f"{value:.2f}"


def report(out: Path, *, data_dir: Path | None = None) -> RealismReport:
    """Compare the run in ``out`` with the real data sets in ``data_dir`` (default: the
    first of ``./data`` and ``../shared/data`` holding them)."""
    data = _data_dir(data_dir)
    truth = Path(out) / TRUTH
    if not (truth / "orders.parquet").is_file():
        raise SimulationError(
            f"no simulation output in {out}", key="simulate.report_no_run", path=str(out)
        )
    con = ibis.duckdb.connect()
    orders = con.read_parquet(str(truth / "orders.parquet"))
    returns = (
        con.read_parquet(str(truth / "returns.parquet"))
        if (truth / "returns.parquet").is_file()
        else None
    )
    members = con.read_parquet(str(truth / "members.parquet"))
    window = _window(orders)
    comparisons = [
        *_baskets(con, orders, data),
        *_repeats(con, orders, members, data, window),
        *_returns(con, orders, returns, data),
    ]
    return RealismReport(out=Path(out), window_days=window, comparisons=comparisons)


def _data_dir(given: Path | None) -> Path:
    candidates = (
        [given]
        if given is not None
        else [Path.cwd() / "data", Path.cwd().parent / "shared" / "data"]
    )
    for folder in candidates:
        if folder is not None and all((folder / f).is_file() for f in (GROCERIES, BTYD, UCI)):
            return folder
    shown = ", ".join(str(c) for c in candidates if c is not None)
    raise SimulationError(
        f"real data sets not found in {shown}", key="simulate.report_no_data", path=shown
    )


def _window(orders: ir.Table) -> int:
    span = orders.aggregate(first=orders.business_date.min(), last=orders.business_date.max())
    row = span.to_pyarrow().to_pylist()[0]
    days = (row["last"] - row["first"]).days + 1
    return int(max(7, min(MAX_WINDOW, days - COHORT_DAYS)))


def _basket_stats(sizes: ir.IntegerColumn) -> dict[str, ir.Scalar]:
    return {
        "mean": sizes.mean(),
        "median": sizes.approx_median(),
        "single": (sizes == 1).mean(),
        "ten_plus": (sizes >= 10).mean(),
    }


def _baskets(con: ibis.BaseBackend, orders: ir.Table, data: Path) -> list[Comparison]:
    """Distinct items per walk-in basket against Groceries' items per basket."""
    walk_in = orders.filter(orders.channel_id == "pos")
    sim = walk_in.aggregate(**_basket_stats(walk_in.distinct_skus)).to_pyarrow().to_pylist()[0]
    long = con.read_csv(str(data / GROCERIES))
    per_basket = long.group_by("transaction_id").aggregate(items=long.item.nunique())
    real = per_basket.aggregate(**_basket_stats(per_basket["items"])).to_pyarrow().to_pylist()[0]
    dataset = "simulate.report.data.groceries"
    return [
        Comparison("simulate.report.basket_mean", dataset, sim["mean"], real["mean"]),
        Comparison("simulate.report.basket_median", dataset, sim["median"], real["median"]),
        Comparison("simulate.report.basket_single", dataset, sim["single"], real["single"], "%"),
        Comparison(
            "simulate.report.basket_ten_plus", dataset, sim["ten_plus"], real["ten_plus"], "%"
        ),
    ]


def _repeat_stats(events: ir.Table, window: int) -> dict[str, float]:
    """Repeat purchase days within ``window`` days after each customer's first purchase.

    ``events`` has ``customer`` and ``day`` (a date) with one row per purchase day;
    customers are those whose first purchase is in the cohort (filtered by the caller).
    """
    first = events.group_by("customer").aggregate(first=events.day.min())
    joined = events.join(first, "customer")
    later = joined.filter(
        (joined.day > joined.first) & (joined.day <= joined.first + ibis.interval(days=window))
    )
    repeats = later.group_by("customer").aggregate(repeats=later.day.nunique())
    cohort = first.left_join(repeats, "customer")
    n = cohort.repeats.fill_null(0)
    stats = (
        cohort.aggregate(
            customers=cohort.count(),
            mean=n.mean(),
            none=(n == 0).mean(),
            one_to_three=((n >= 1) & (n <= 3)).mean(),
            ten_plus=(n >= 10).mean(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    return {k: float(v) for k, v in stats.items()}


def _repeats(
    con: ibis.BaseBackend, orders: ir.Table, members: ir.Table, data: Path, window: int
) -> list[Comparison]:
    """Repeat-purchase distribution of the members acquired in the first 91 days (their
    first order falls in those days), against the BTYDplus cohort (customers new in Q1
    2006), over the same window after each first purchase."""
    start = orders.business_date.min().as_scalar()
    new = members.filter(
        (members.joined_on >= start) & (members.joined_on < start + ibis.interval(days=COHORT_DAYS))
    )
    bought = orders.filter(orders.member_id.notnull())
    days = bought.select(customer=bought.member_id, day=bought.business_date).distinct()
    first = days.group_by("customer").aggregate(first=days.day.min())
    cohort = first.filter(first.first < start + ibis.interval(days=COHORT_DAYS))
    cohort = cohort.semi_join(new, cohort.customer == new.member_id)
    sim = _repeat_stats(days.semi_join(cohort, "customer"), window)
    elog = con.read_csv(str(data / BTYD))
    real_days = elog.select(customer=elog.cust, day=elog.date.cast("date")).distinct()
    real = _repeat_stats(real_days, window)
    dataset = "simulate.report.data.btyd"
    return [
        Comparison("simulate.report.repeat_mean", dataset, sim["mean"], real["mean"]),
        Comparison("simulate.report.repeat_none", dataset, sim["none"], real["none"], "%"),
        Comparison(
            "simulate.report.repeat_one_to_three",
            dataset,
            sim["one_to_three"],
            real["one_to_three"],
            "%",
        ),
        Comparison(
            "simulate.report.repeat_ten_plus", dataset, sim["ten_plus"], real["ten_plus"], "%"
        ),
    ]


def _returns(
    con: ibis.BaseBackend, orders: ir.Table, returns: ir.Table | None, data: Path
) -> list[Comparison]:
    """Returned lines per sold line and refunds per net sales, against the cancellation
    lines and value of UCI Online Retail."""
    sold = orders.aggregate(lines=orders.lines.sum(), value=orders.net_fen.sum())
    sold_row = sold.to_pyarrow().to_pylist()[0]
    back_row = {"lines": 0, "value": 0}
    if returns is not None:
        back = returns.aggregate(lines=returns.count(), value=returns.refund_fen.sum())
        back_row = back.to_pyarrow().to_pylist()[0]
    uci = con.read_csv(str(data / UCI), types={"InvoiceNo": "string", "StockCode": "string"})
    cancelled = uci.InvoiceNo.startswith("C")
    value = (uci.Quantity * uci.UnitPrice).abs()
    real = (
        uci.aggregate(
            line_share=cancelled.mean(),
            value_share=value.sum(where=cancelled) / value.sum(where=~cancelled),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    dataset = "simulate.report.data.uci"
    return [
        Comparison(
            "simulate.report.return_lines",
            dataset,
            back_row["lines"] / max(sold_row["lines"], 1),
            real["line_share"],
            "%",
        ),
        Comparison(
            "simulate.report.return_value",
            dataset,
            (back_row["value"] or 0) / max(sold_row["value"], 1),
            real["value_share"],
            "%",
        ),
    ]
