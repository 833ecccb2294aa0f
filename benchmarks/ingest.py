"""How fast newretail loads export files, and how much memory a large one takes.

    .venv/bin/python -m benchmarks.ingest [--rows 10000000] [--skip-large] [--repeat 3]

1. UCI Online Retail (541,909 lines) loaded end to end through the loader into a fresh data
   home, against the bare conversion of the same file (``pandas.read_csv`` + ``to_parquet``,
   no checks): best and median seconds of each, their ratio, and where the loader's time goes.
2. A generated POS line export of ``--rows`` lines loaded through its own mapping in a child
   process that does nothing else, so that its peak resident memory is the load's.

Results are printed as a table and written to ``benchmarks/results/ingest-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from benchmarks import pos_export

REPO = Path(__file__).resolve().parent.parent
UCI = REPO.parent / "shared" / "data" / "uci_online_retail"
UCI_FILE = UCI / "online_retail.csv.gz"
RESULTS = Path(__file__).resolve().parent / "results"
STAGES = ("read", "transform", "checks", "quarantine", "lake")
#: a memory-backed file system (Linux), to tell the disk's part from the work's
MEMORY_DISK = "/dev/shm"
#: the issue's targets: checks cost at most this times the bare conversion; peak memory
TARGET_RATIO = 2.0
TARGET_PEAK_GB = 4.0


def machine() -> dict[str, Any]:
    """CPU model, cores, memory and the versions that matter for these figures."""
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 2**20, 1),
        "python": platform.python_version(),
        "pyarrow": pa.__version__,
        "duckdb": duckdb.__version__,
        "pandas": pd.__version__,
    }


# -- UCI Online Retail ---------------------------------------------------------------------


def settled_disk() -> None:
    """Write out what earlier runs left dirty, so that no run pays for the one before."""
    os.sync()


def file_creation_ms(days: int = 200) -> float:
    """Milliseconds to create one day folder and one empty file in it, as the lake does.

    Loads into a fresh lake create a folder and a file per table and business day; on
    some disks (virtual machines, network volumes) that, not the data, sets the pace.
    """
    settled_disk()
    with tempfile.TemporaryDirectory(prefix="newretail-bench-") as folder:
        started = time.perf_counter()
        for day in range(days):
            path = Path(folder) / "orders" / f"date={day:04d}" / "part-1.parquet"
            path.parent.mkdir(parents=True)
            path.touch()
        return (time.perf_counter() - started) / days * 1000


def load_uci(where: str | None) -> dict[str, Any]:
    """One end-to-end load of UCI Online Retail into a fresh data home under ``where``."""
    from newretail.core.settings import Settings
    from newretail.ingest.importers import import_dataset

    with tempfile.TemporaryDirectory(prefix="newretail-bench-", dir=where) as home:
        settled_disk()
        started = time.perf_counter()
        [report] = import_dataset("uci-online-retail", UCI, settings=Settings(home=Path(home)))
        seconds = time.perf_counter() - started
    [file] = report.files
    if file.status != "loaded":
        raise SystemExit(f"UCI Online Retail was not loaded: {file.status} {file.error}")
    return {
        "seconds": seconds,
        "stages": dict(getattr(file, "stages", {})),
        "rows_read": file.rows_read,
        "rows_loaded": file.rows_loaded,
        "rows_quarantined": file.rows_quarantined,
        "reasons": file.reasons,
    }


def bare_uci(where: str | None) -> dict[str, Any]:
    """The same file read by pandas and written as one Parquet file, nothing checked."""
    with tempfile.TemporaryDirectory(prefix="newretail-bench-", dir=where) as folder:
        settled_disk()
        started = time.perf_counter()
        frame = pd.read_csv(
            UCI_FILE, dtype={"InvoiceNo": "string", "StockCode": "string", "CustomerID": "string"}
        )
        frame.to_parquet(Path(folder) / "online_retail.parquet")
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(frame)}


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [r["seconds"] for r in runs]
    return {"best": min(seconds), "median": statistics.median(seconds), "runs": seconds}


def uci(repeat: int, *, where: str | None = None) -> dict[str, Any]:
    """Ours and bare, alternating (so both see the same state of the disk), ``repeat`` times.

    ``where``: the folder the data homes go in (default: the system's temporary folder).
    """
    ours: list[dict[str, Any]] = []
    bare: list[dict[str, Any]] = []
    load_uci(where)  # warm-up: imports, the page cache holding the file
    for _ in range(repeat):
        ours.append(load_uci(where))
        bare.append(bare_uci(where))
    best = min(ours, key=lambda r: r["seconds"])
    result = {
        "where": where or tempfile.gettempdir(),
        "ours": summary(ours),
        "bare": summary(bare),
        "stages_of_best": best["stages"],
        "stages_median": {
            name: statistics.median(r["stages"].get(name, 0.0) for r in ours)
            for name in best["stages"]
        },
        "counts": {k: v for k, v in best.items() if k not in ("seconds", "stages")},
    }
    result["ratio_best"] = result["ours"]["best"] / result["bare"]["best"]
    result["ratio_median"] = result["ours"]["median"] / result["bare"]["median"]
    return result


# -- a large generated export ----------------------------------------------------------------


def large(rows: int) -> dict[str, Any]:
    """Generate ``rows`` POS lines and load them in a child process; its time and peak memory."""
    with tempfile.TemporaryDirectory(prefix="newretail-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        generated = pos_export.generate(folder / "pos_lines.csv", rows=rows)
        generation = time.perf_counter() - started
        mapping = pos_export.write_mapping(folder)
        command = [sys.executable, "-m", "benchmarks.ingest", "--child-load"]
        command += [str(generated.path), str(mapping), str(folder / "home")]
        settled_disk()
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
        if done.returncode:
            raise SystemExit(f"the load of the generated file failed:\n{done.stderr}")
        loaded = json.loads(done.stdout.strip().splitlines()[-1])
        size = generated.path.stat().st_size
    loaded.update(
        generation_seconds=generation,
        file_mb=round(size / 2**20, 1),
        orders=generated.orders,
        faults=generated.faults,
        rows_per_second=loaded["rows_read"] / loaded["seconds"],
    )
    return loaded


def memory_kb(field: str = "VmHWM") -> int:
    """This process's peak (``VmHWM``) or current (``VmRSS``) resident memory, in kilobytes.

    Read from ``/proc/self/status`` (Linux), which belongs to the process's own memory map;
    ``ru_maxrss`` would not do here: a child keeps the peak of the parent it was forked
    from (the parent holding the generated file's columns) across ``exec``.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_load(csv: Path, mapping: Path, home: Path) -> None:
    """Load ``csv`` with ``mapping`` into ``home``; print the report and the peak RSS as JSON."""
    from newretail.core.settings import Settings
    from newretail.ingest.loader import load_files

    before_kb = memory_kb("VmRSS")
    started = time.perf_counter()
    report = load_files([csv], source=str(mapping), settings=Settings(home=home))
    seconds = time.perf_counter() - started
    [file] = report.files
    if file.status != "loaded":
        raise SystemExit(f"{file.status}: {file.error}")
    peak_kb = memory_kb("VmHWM")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_gb": peak_kb / 2**20,
                "rss_before_load_gb": before_kb / 2**20,
                "stages": dict(getattr(file, "stages", {})),
                "rows_read": file.rows_read,
                "rows_loaded": file.rows_loaded,
                "rows_quarantined": file.rows_quarantined,
                "reasons": file.reasons,
                "tables": file.tables,
            }
        )
    )


# -- report ------------------------------------------------------------------------------------


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def show(results: dict[str, Any]) -> str:
    out = ["machine", table([(k, str(v)) for k, v in results["machine"].items()])]
    for key in ("uci", "uci_memory"):
        if key in results:
            out += ["", *show_uci(results[key])]
    if "large" in results:
        g = results["large"]
        out += ["", f"generated POS export ({g['rows_read']:,} lines, {g['file_mb']} MB)"]
        rows = [
            ("generation s", f"{g['generation_seconds']:.1f}"),
            ("load s", f"{g['seconds']:.1f}"),
            ("rows/s", f"{g['rows_per_second']:,.0f}"),
            ("peak RSS GB", f"{g['peak_rss_gb']:.2f} (target < {TARGET_PEAK_GB:.0f})"),
            ("  of it before the load", f"{g.get('rss_before_load_gb', 0.0):.2f}"),
            ("loaded / quarantined", f"{g['rows_loaded']:,} / {g['rows_quarantined']:,}"),
        ]
        rows += [(f"  {name}", f"{seconds:.1f}") for name, seconds in _stages(g["stages"])]
        out.append(table(rows))
    return "\n".join(out)


def show_uci(u: dict[str, Any]) -> list[str]:
    head = f"UCI Online Retail ({u['counts']['rows_read']:,} lines), data home in {u['where']}"
    rows = [
        ("ours (best / median) s", f"{u['ours']['best']:.2f} / {u['ours']['median']:.2f}"),
        ("bare (best / median) s", f"{u['bare']['best']:.2f} / {u['bare']['median']:.2f}"),
        ("ratio (best / median)", f"{u['ratio_best']:.2f} / {u['ratio_median']:.2f}"),
        ("target ratio", f"≤ {TARGET_RATIO:.1f}"),
        ("stages s (best run / median)", ""),
    ]
    median = u.get("stages_median", {})
    rows += [
        (f"  {name}", f"{seconds:.2f} / {median.get(name, 0.0):.2f}")
        for name, seconds in _stages(u["stages_of_best"])
    ]
    return [head, table(rows)]


def _stages(stages: dict[str, float]) -> list[tuple[str, float]]:
    return [
        (name, stages[name])
        for name in (*STAGES, *sorted(set(stages) - set(STAGES)))
        if name in stages
    ]


def save(results: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000, help="lines of the large file")
    parser.add_argument("--skip-large", action="store_true", help="only UCI Online Retail")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each UCI variant")
    parser.add_argument(
        "--child-load", nargs=3, metavar=("CSV", "MAPPING", "HOME"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child_load:
        child_load(*map(Path, args.child_load))
        return
    command = " ".join([".venv/bin/python -m benchmarks.ingest", *sys.argv[1:]])
    results: dict[str, Any] = {"command": command, "machine": machine()}
    results["machine"]["file_creation_ms_before"] = round(file_creation_ms(), 3)
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [("uci", lambda: uci(args.repeat))]
    if os.access(MEMORY_DISK, os.W_OK):
        # the same on a memory-backed file system: what the work costs without the disk
        steps.append(("uci_memory", lambda: uci(args.repeat, where=MEMORY_DISK)))
    if not args.skip_large:
        steps.append(("large", lambda: large(args.rows)))
    for name, step in steps:
        results[name] = step()
    results["machine"]["file_creation_ms_after"] = round(file_creation_ms(), 3)
    print(show(results))
    print(f"\nwritten to {save(results).relative_to(REPO)}")


if __name__ == "__main__":
    main()
