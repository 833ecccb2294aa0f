"""A large POS line export, generated deterministically, and the mapping that loads it.

The file looks like a chain's till export: one line per order line with the order id, the
line number, the local clock time, the store, the member card (empty for a third of the
orders), the SKU (a few thousand, a few of them selling most), quantity, unit price and line
amount. A small, fixed share of lines is bad in the ways real exports are bad: a quantity
that is not a number, an impossible date, a missing SKU, a negative quantity on a sale, a
line number used twice within an order. Everything is built with numpy and Arrow compute
and written by Arrow's CSV writer, so ten million lines take seconds, not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

COLUMNS = ("order_id", "line_no", "sold_at", "store", "member", "sku", "qty", "price", "amount")
DAYS = 365
STORES = 60
SKUS = 4_000
MEMBERS = 400_000
GUEST_SHARE = 0.35
MAX_QTY = 5
#: share of lines made bad, per kind of fault
BAD_SHARE = 0.0005
FAULTS = ("bad_quantity", "impossible_date", "missing_sku", "negative_quantity", "repeated_line")

MAPPING = """\
[source]
name = "bench_pos"
description = "Synthetic POS line export (benchmark)"
format = "csv"
encoding = "utf-8"
timezone = "Asia/Shanghai"
currency = "CNY"
replace_scope = ["store_id", "business_date"]

[[tables]]
table = "channels"
mode = "insert_missing"
distinct = true
[tables.columns]
channel_id = { const = "pos" }
name = { const = "门店收银" }
kind = { const = "store_pos" }

[[tables]]
table = "stores"
mode = "insert_missing"
distinct = true
[tables.columns]
store_id = "store"
name = { expr = "concat('门店 ', store)" }
store_type = { const = "community" }

[[tables]]
table = "orders"
distinct = true
create_missing = ["members"]
[tables.columns]
order_id = "order_id"
ordered_at = { column = "sold_at", format = "%Y-%m-%d %H:%M:%S" }
business_date = { from = "ordered_at" }
channel_id = { const = "pos" }
store_id = "store"
member_id = "member"
fulfilment = { const = "in_store" }
status = { const = "completed" }
currency = { const = "CNY" }

[[tables]]
table = "order_lines"
create_missing = ["products", "members"]
[tables.columns]
order_id = "order_id"
line_no = "line_no"
business_date = { column = "sold_at", format = "%Y-%m-%d %H:%M:%S" }
sku_id = "sku"
channel_id = { const = "pos" }
store_id = "store"
member_id = "member"
quantity = "qty"
unit_price = { column = "price", unit = "yuan" }
gross_amount = { expr = "qty * price", unit = "yuan" }
net_amount = { column = "amount", unit = "yuan" }
is_return = { const = false }
"""


@dataclass(frozen=True)
class Generated:
    """What was written: the file, its data lines, its orders and the bad lines per fault."""

    path: Path
    rows: int
    orders: int
    faults: dict[str, int]


def write_mapping(folder: Path) -> Path:
    """The mapping of the generated export, as ``folder/bench_pos.toml``."""
    path = folder / "bench_pos.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def generate(path: Path, *, rows: int, seed: int = 20240101) -> Generated:
    """Write ``rows`` order lines to the CSV ``path`` (the same seed gives the same bytes)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 9, size=rows // 2 + 1)
    order = pa.array(np.repeat(np.arange(sizes.size), sizes)[:rows])
    orders = int(order[-1].as_py()) + 1 if rows else 0
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    line_no = np.arange(rows) - starts[order.to_numpy()] + 1
    header = _orders(rng, orders)
    sku = (rng.random(rows) ** 3 * SKUS).astype(np.int64)
    prices = rng.integers(50, 20_000, size=SKUS)
    qty = np.where(rng.random(rows) < 0.8, 1, rng.integers(2, MAX_QTY + 1, size=rows))
    # amounts by (SKU, quantity): 24,000 texts taken ten million times, not formatted anew
    amounts = _money((prices[:, None] * np.arange(MAX_QTY + 1)).ravel())
    table = {
        "order_id": header["order_id"].take(order),
        "line_no": _numbers(line_no),
        "sold_at": header["sold_at"].take(order),
        "store": header["store"].take(order),
        "member": header["member"].take(order),
        "sku": _codes("SKU", SKUS, 6).take(pa.array(sku)),
        "qty": _numbers(qty),
        "price": _money(prices).take(pa.array(sku)),
        "amount": amounts.take(pa.array(sku * (MAX_QTY + 1) + qty)),
    }
    faults = _spoil(rng, table, line_no=line_no, qty=qty, price=prices[sku])
    with path.open("wb") as out:
        # tills write plain values, quoted only when a value needs it (none of these does)
        out.write((",".join(COLUMNS) + "\n").encode())
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(pa.table(table), out, write_options=options)
    return Generated(path, rows, orders, faults)


def _orders(rng: np.random.Generator, orders: int) -> dict[str, pa.Array]:
    """Per order: its id, clock time (in date order, 08:00–22:00), store and member."""
    day = np.arange(orders) * DAYS // max(orders, 1)
    second = rng.integers(8 * 3600, 22 * 3600, size=orders)
    instants = np.datetime64("2023-01-01T00:00:00", "s") + day * 86_400 + second
    guests = rng.random(orders) < GUEST_SHARE
    members = _codes("M", MEMBERS, 7).take(pa.array(rng.integers(0, MEMBERS, size=orders)))
    return {
        "order_id": pc.binary_join_element_wise(
            "P", pc.cast(pa.array(np.arange(orders) + 10_000_000), pa.string()), ""
        ),
        "sold_at": pc.strftime(pa.array(instants), format="%Y-%m-%d %H:%M:%S"),
        "store": _codes("S", STORES, 3).take(pa.array(rng.integers(0, STORES, size=orders))),
        "member": pc.if_else(pa.array(guests), pa.scalar(None, pa.string()), members),
    }


def _codes(prefix: str, count: int, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, count + 1)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _numbers(values: np.ndarray) -> pa.Array:
    """Small non-negative integers as text, through a table of their texts."""
    texts = pc.cast(pa.array(np.arange(int(values.max(initial=0)) + 1)), pa.string())
    return texts.take(pa.array(values))


def _money(cents: np.ndarray) -> pa.Array:
    """Fen as yuan text with two decimals (``1234`` → ``12.34``)."""
    sign = pa.array(np.where(cents < 0, "-", ""))
    whole = pc.cast(pa.array(np.abs(cents) // 100), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(np.abs(cents) % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(sign, whole, ".", fraction, "")


def _spoil(
    rng: np.random.Generator,
    table: dict[str, pa.Array],
    *,
    line_no: np.ndarray,
    qty: np.ndarray,
    price: np.ndarray,
) -> dict[str, int]:
    """Make a few lines bad, each in one way; the count of lines per fault."""
    rows = len(line_no)
    fault = np.full(rows, -1)
    picked = rng.random(rows) < BAD_SHARE * len(FAULTS)
    fault[picked] = rng.integers(0, len(FAULTS), size=int(picked.sum()))
    # a repeated line number needs an earlier line in the same order
    fault[(fault == FAULTS.index("repeated_line")) & (line_no == 1)] = -1

    def spoil(column: str, kind: str, values: pa.Array | str | None) -> np.ndarray:
        mask = fault == FAULTS.index(kind)
        count = int(mask.sum())
        if not isinstance(values, pa.Array):
            values = pa.array([values] * count, pa.string())
        table[column] = pc.replace_with_mask(table[column], pa.array(mask), values)
        return mask

    spoil("qty", "bad_quantity", "two")
    spoil("sold_at", "impossible_date", "2023-02-30 12:00:00")
    spoil("sku", "missing_sku", None)
    negative = fault == FAULTS.index("negative_quantity")
    spoil("qty", "negative_quantity", pc.cast(pa.array(-qty[negative]), pa.string()))
    spoil("amount", "negative_quantity", _money(-qty[negative] * price[negative]))
    repeated = np.where(fault == FAULTS.index("repeated_line"), line_no - 1, line_no)
    table["line_no"] = _numbers(repeated)
    return {kind: int((fault == i).sum()) for i, kind in enumerate(FAULTS)}
