"""The four real data sets load with the counts their READMEs give, every row accounted for.

Expected figures are computed independently from the raw files with pandas.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from newretail.ingest.importers import import_dataset
from newretail.lake import Lake
from newretail.lake.engine import connect

pytestmark = pytest.mark.slow


def counts(*tables: str) -> dict[str, int]:
    con = connect(Lake.from_settings())
    return {t: int(con.table(t).count().execute()) for t in tables}


def test_uci_online_retail_accounts_for_all_541909_lines(data_dir: Path) -> None:
    folder = data_dir / "uci_online_retail"
    raw = pd.read_csv(
        folder / "online_retail.csv.gz",
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str, "UnitPrice": str},
    )
    price = raw.UnitPrice.astype(float)
    credit = raw.InvoiceNo.str.startswith("C")
    decimals = raw.UnitPrice.str.split(".").str[1].fillna("").str.len()
    negative = ~credit & ((raw.Quantity < 0) | (raw.Quantity * price < 0))
    bad = negative | (price < 0) | (decimals > 2)
    duplicates = raw[~bad].duplicated()

    [report] = import_dataset("uci-online-retail", folder)

    file = report.files[0]
    assert file.rows_read == 541_909
    assert file.rows_loaded + file.rows_quarantined == 541_909
    assert file.reasons == {
        "ingest.reason.negative_without_return": int(negative.sum()),
        "ingest.reason.below_min": int((price < 0).sum()),
        "ingest.reason.too_many_decimals": int((decimals > 2).sum()),
        "ingest.reason.duplicate_in_file": int(duplicates.sum()),
    }
    kept = raw[~bad][~duplicates]
    got = counts("order_lines", "returns", "orders", "members", "products", "channels")
    assert got == {
        "order_lines": int((~kept.InvoiceNo.str.startswith("C")).sum()),
        "returns": int(kept.InvoiceNo.str.startswith("C").sum()),
        "orders": kept[~kept.InvoiceNo.str.startswith("C")].InvoiceNo.nunique(),
        "members": 4_372,
        "products": kept.StockCode.nunique(),
        "channels": 1,
    }
    con = connect(Lake.from_settings())
    lines = con.table("order_lines")
    assert int(lines.net_amount.sum().execute()) == round(
        (
            kept[~kept.InvoiceNo.str.startswith("C")].Quantity
            * kept[~kept.InvoiceNo.str.startswith("C")].UnitPrice.astype(float)
        ).sum()
        * 100
    )
    guests = con.table("orders").member_id.isnull().sum().execute()
    assert (
        guests
        == kept[~kept.InvoiceNo.str.startswith("C") & kept.CustomerID.isna()].InvoiceNo.nunique()
    )


def test_groceries_baskets_give_9835_orders_of_169_items(data_dir: Path) -> None:
    [report] = import_dataset("groceries", data_dir / "arules_groceries")

    assert report.files[0].rows_read == 43_367
    assert report.files[0].rows_quarantined == 0
    assert counts("orders", "order_lines", "products", "categories") == {
        "orders": 9_835,
        "order_lines": 43_367,
        "products": 169,
        "categories": 10 + 55,
    }


def test_btyd_grocery_cohort_gives_1525_members_and_10483_purchases(data_dir: Path) -> None:
    [report] = import_dataset("btyd-grocery", data_dir / "btydplus_grocery_elog")

    assert report.files[0].rows_quarantined == 0
    assert counts("orders", "members") == {"orders": 10_483, "members": 1_525}
    con = connect(Lake.from_settings())
    days = con.table("orders").business_date
    assert (days.min().to_pyarrow().as_py(), days.max().to_pyarrow().as_py()) == (
        date(2006, 1, 1),
        date(2007, 12, 30),
    )


def test_dominicks_orange_juice_panel_loads_sales_prices_and_promotions(data_dir: Path) -> None:
    folder = data_dir / "bayesm_scanner_panels"
    raw = pd.read_csv(folder / "orangejuice_yx.csv.gz")

    [report] = import_dataset("dominicks-oj", folder)

    assert report.files[0].rows_quarantined == 0
    assert counts("sales_daily", "prices", "stores", "products") == {
        "sales_daily": 106_139,
        "prices": 106_139,
        "stores": 83,
        "products": 11,
    }
    con = connect(Lake.from_settings())
    promos = con.table("promotion_items").to_pyarrow().to_pandas()
    assert (promos.mechanic == "deal").sum() == (raw.deal > 0).sum()
    assert (promos.mechanic == "feature").sum() == (raw.feat > 0).sum()
    sales = con.table("sales_daily")
    # Dominick's week 1 began on 1989-09-14: week 40 is 1990-06-14
    assert sales.business_date.min().to_pyarrow().as_py() == date(1990, 6, 14)
    first = raw[(raw.store == 2) & (raw.brand == 1) & (raw.week == 40)].iloc[0]
    row = (
        sales.filter(
            (sales.store_id == "DFF2")
            & (sales.sku_id == "OJ1")
            & (sales.business_date == date(1990, 6, 14))
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    assert row["units"] == round(float(pd.Series([first.logmove]).rpow(2.718281828459045)[0]))
    assert row["unit_price"] == round(first.price1 * 64 * 100)


def test_importing_a_data_set_twice_changes_nothing(data_dir: Path) -> None:
    import_dataset("btyd-grocery", data_dir / "btydplus_grocery_elog")

    [again] = import_dataset("btyd-grocery", data_dir / "btydplus_grocery_elog")

    assert again.files[0].status == "unchanged"
    assert counts("orders") == {"orders": 10_483}
