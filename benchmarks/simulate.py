"""Benchmark of the chain simulator, with a per-row baseline measured in the same run.

    python -m benchmarks.simulate --preset demo
    python -m benchmarks.simulate --preset bench --out /data/bench --keep

Reports the machine (cores, memory, CPU model); runs ``newretail.simulate.simulate`` in a
child process and reports its wall time, peak memory (resident set size) and output; then
times a straightforward per-row Python generator (one ``random`` draw and one ``csv`` row
per order line, the way a first simulator is often written) on a small slice of the same
chain, extrapolates it to the run's order lines and reports the ratio. The baseline only
writes POS lines, so the ratio understates the difference: the simulator writes every
export and the ground truth in its time.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date
from itertools import accumulate
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from newretail.simulate import preset, simulate
from newretail.simulate.world import build_world


@dataclass(frozen=True)
class Machine:
    cores_logical: int
    cores_physical: int
    memory_gb: float
    cpu: str
    python: str


def machine() -> Machine:
    cpu = platform.processor() or platform.machine()
    info = Path("/proc/cpuinfo")
    if info.is_file():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return Machine(
        cores_logical=os.cpu_count() or 0,
        cores_physical=psutil.cpu_count(logical=False) or 0,
        memory_gb=round(psutil.virtual_memory().total / 2**30, 1),
        cpu=cpu,
        python=platform.python_version(),
    )


def _run(name: str, seed: int, out: str, queue: Any) -> None:
    """Child process: one simulation, reporting its time, counts and peak memory."""
    started = time.perf_counter()
    result = simulate(preset(name, seed=seed), Path(out))
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    queue.put(
        {
            "seconds": seconds,
            "counts": result.counts,
            "files": result.files,
            "peak_rss_mb": round(peak_kb / 1024, 1),
            "output_gb": round(size / 2**30, 2),
        }
    )


def measure(name: str, seed: int, out: Path) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_run, args=(name, seed, str(out), queue))
    child.start()
    found: dict[str, Any] = queue.get()
    child.join()
    return found


def baseline(name: str, seed: int, *, sample: int = 60_000) -> dict[str, float]:
    """Seconds per unit of a per-row generator, measured on ``sample`` units of each kind of
    work the simulator does: a member's daily "do they shop" draw; a store × SKU × day of
    bookkeeping (see :func:`_cell_days`); an order line (SKU by bisecting cumulative
    weights, quantity, shelf check, promotional price, the 28-column POS row written with
    ``csv``); a stock snapshot row; an app event (``json.dumps`` of a dict)."""
    world = build_world(preset(name, seed=seed))
    rnd = random.Random(seed)
    products = world.catalogue.products
    prices, ids, names = products.price.tolist(), products.ids, products.names
    rates = world.members.rate.tolist()
    weights = list(accumulate(world.assortment.weight[0].tolist()))
    promo = {int(k): 0.8 for k in world.plan.item_sku[:50]}
    stock = dict.fromkeys(range(products.count), 1e9)
    per: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        out = open(Path(folder) / "rows.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
        writer = csv.writer(out)
        alive = [True] * len(rates)
        dropout = world.members.dropout.tolist()
        home = world.members.home_store.tolist()
        traffic = world.effects.store_traffic[0][world.type_of_store].tolist()
        shoppers = []
        started = time.perf_counter()
        for i in range(sample):
            m = i % len(rates)
            if alive[m] and rnd.random() < rates[m] * traffic[home[m]]:
                shoppers.append(m)
                if rnd.random() < dropout[m]:
                    alive[m] = False
        per["member_day"] = (time.perf_counter() - started) / sample
        started = time.perf_counter()
        for line in range(sample):
            sku = min(bisect.bisect_right(weights, rnd.random() * weights[-1]), len(ids) - 1)
            qty = 1 + (rnd.random() < 0.2)
            if stock[sku] < qty:
                continue
            stock[sku] -= qty
            price = prices[sku] * promo.get(sku, 1.0)
            gross, net = qty * prices[sku], round(qty * price)
            second = rnd.randrange(7 * 3600, 22 * 3600)
            stamp = f"2024-01-01 {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
            writer.writerow(
                [  # the 28 columns of the simulator's POS export
                    "S001",
                    "鲜邻·徐汇漕溪北路旗舰店",
                    "2024-01-01",
                    f"S00120240101{line:05d}",
                    line % 5 + 1,
                    stamp,
                    "01",
                    "E00101",
                    "M00000001",
                    ids[sku],
                    "6901234567892",
                    names[sku],
                    qty,
                    "件",
                    f"{prices[sku] / 100:.2f}",
                    f"{gross / 100:.2f}",
                    f"{(gross - net) / 100:.2f}",
                    f"{net / 100:.2f}",
                    f"{net * 0.7 / 100:.2f}",
                    "PR00001" if sku in promo else "",
                    "",
                    f"{gross / 100:.2f}",
                    f"{(gross - net) / 100:.2f}",
                    f"{net / 100:.2f}",
                    "微信支付",
                    "销售",
                    "",
                    "",
                ]
            )
        per["order_line"] = (time.perf_counter() - started) / sample
        started = time.perf_counter()
        for row in range(sample):
            writer.writerow(
                [
                    "2024-01-01",
                    "S001",
                    ids[row % len(ids)],
                    stock[row % len(ids)],
                    0,
                    "2024-01-01 23:59:59",
                ]
            )
        per["snapshot_row"] = (time.perf_counter() - started) / sample
        per["cell_day"] = _cell_days(world, rnd, sample)
        started = time.perf_counter()
        for event in range(sample):
            out.write(
                json.dumps(
                    {
                        "event_id": f"EV20240101{event:08d}",
                        "event": "view",
                        "ts": "2024-01-01T08:00:00+08:00",
                        "session_id": f"SE20240101{event:07d}",
                        "platform": "app",
                        "user_id": "M00000001",
                        "device_id": "DV0000000001",
                        "sku": ids[event % len(ids)],
                        "order_no": None,
                        "properties": {"page": "商品详情"},
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
        per["event"] = (time.perf_counter() - started) / sample
        out.close()
    per["shoppers_sampled"] = len(shoppers)
    return per


def _cell_days(world: Any, rnd: random.Random, sample: int) -> float:
    """Seconds per store × SKU × day of the daily bookkeeping a per-row generator needs:
    the SKU's weight today (popularity × season × promotion) and its running sum for
    sampling, its expected demand, stock after sales, a shrink draw, a reorder check, and
    its row of the demand truth (collected per day and written to Parquet)."""
    products = world.catalogue.products
    base = world.assortment.weight[0].tolist()
    leaf = products.leaf.tolist()
    ids = products.ids
    season = world.effects.leaf[0].tolist()
    promo = {int(k): 1.8 for k in world.plan.item_sku[:50]}
    n = len(base)
    stock, on_order = [10.0] * n, [0.0] * n
    done = 0
    with tempfile.TemporaryDirectory() as folder:
        truth = pq.ParquetWriter(Path(folder) / "truth.parquet", _TRUTH)
        started = time.perf_counter()
        while done < sample:
            running = 0.0
            cumulative = []
            rows = []
            for k in range(n):
                weight = base[k] * season[leaf[k]] * promo.get(k, 1.0)
                running += weight
                cumulative.append(running)
                sold = float(rnd.random() < 0.1)
                on_hand = max(stock[k] - sold, 0.0)
                if rnd.random() < 0.002 and on_hand >= 1:
                    on_hand -= 1
                if on_hand + on_order[k] < 3:
                    on_order[k] += 12
                stock[k] = on_hand
                rows.append(
                    {
                        "business_date": date(2024, 1, 1),
                        "store_id": "S001",
                        "sku_id": ids[k],
                        "expected": weight * 0.01,
                        "desired": sold,
                        "sold": sold,
                        "available": on_hand + sold,
                    }
                )
            truth.write_table(pa.Table.from_pylist(rows, schema=_TRUTH))
            done += n
        seconds = time.perf_counter() - started
        truth.close()
    return seconds / done


_TRUTH = pa.schema(
    [
        ("business_date", pa.date32()),
        ("store_id", pa.string()),
        ("sku_id", pa.string()),
        ("expected", pa.float64()),
        ("desired", pa.float64()),
        ("sold", pa.float64()),
        ("available", pa.float64()),
    ]
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo", choices=["small", "demo", "bench"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the output folder")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args(argv)
    host = machine()
    print(
        f"machine: {host.cpu}; {host.cores_logical} logical / {host.cores_physical} "
        f"physical cores; {host.memory_gb} GB RAM; Python {host.python}"
    )
    config = preset(args.preset, seed=args.seed)
    print(
        f"preset {args.preset}: {config.stores} stores, {config.skus} SKUs, "
        f"{config.members} members, {config.days} days"
    )
    folder = args.out or Path(tempfile.mkdtemp(prefix="newretail-bench-")) / "out"
    try:
        run = measure(args.preset, args.seed, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder if args.out else folder.parent, ignore_errors=True)
    counts = run["counts"]
    slow = baseline(args.preset, args.seed)
    work = {
        "member_day": config.members * config.days,
        "cell_day": counts["cell_days"],
        "order_line": counts["order_lines"],
        "snapshot_row": counts["snapshot_rows"],
        "event": counts["events"],
    }
    estimate = sum(slow[kind] * units for kind, units in work.items())
    print(
        f"simulator: {run['seconds']:.1f} s wall, peak RSS {run['peak_rss_mb']} MB, "
        f"{run['files']} export files, {run['output_gb']} GB written"
    )
    print(
        f"  orders {counts['orders']:,}, order lines {counts['order_lines']:,}, events "
        f"{counts['events']:,}, snapshot rows {counts['snapshot_rows']:,}; "
        f"{counts['order_lines'] / run['seconds']:,.0f} order lines/s, everything included"
    )
    print("baseline (per-row Python, measured on 60,000 units of each kind, extrapolated):")
    for kind, units in work.items():
        print(
            f"  {kind:13s} {slow[kind] * 1e6:7.2f} us x {units:>13,} = {slow[kind] * units:8.1f} s"
        )
    print(
        f"  total {estimate:.1f} s (leaves out coupons, returns, feedback and tickets, "
        f"abandoned sessions, purchase orders and receipts, losses, the other truth files)"
    )
    print(f"ratio baseline / simulator: {estimate / run['seconds']:.1f}x")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": asdict(host),
                    "preset": args.preset,
                    "run": run,
                    "baseline": slow,
                    "baseline_extrapolated_seconds": estimate,
                    "ratio": estimate / run["seconds"],
                },
                indent=2,
            )
            + "\n",
            "utf-8",
        )


if __name__ == "__main__":
    main()
