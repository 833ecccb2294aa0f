"""Where the exports go, which mapping loads each, and the manifest that lists them.

``exports/`` holds what the chain's systems would export; ``truth/`` what only the
simulator knows; ``manifest.json`` lists every export file with the built-in mapping to load
it with, in load order (dimensions before the facts that refer to them).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newretail.simulate.config import SimulationConfig
from newretail.simulate.writers import Sink

EXPORTS = "exports"
TRUTH = "truth"
MANIFEST = "manifest.json"
#: mappings (``ingest/mappings/<name>.toml``) in load order
SOURCES = (
    "chain_channels",
    "chain_stores",
    "chain_categories",
    "chain_suppliers",
    "chain_products",
    "chain_members",
    "chain_promotions",
    "chain_weather",
    "chain_pos",
    "chain_online_orders",
    "chain_after_sales",
    "chain_purchase_orders",
    "chain_receipts",
    "chain_inventory",
    "chain_stock_losses",
    "chain_events",
    "chain_feedback",
    "chain_tickets",
)


class Layout:
    """The export files of one run, created as rows arrive."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sinks: dict[str, Sink] = {}
        self.extra: dict[str, str] = {}  # files written whole: relative path -> source

    def sink(
        self,
        relative: str,
        source: str,
        header: list[str],
        *,
        encoding: str = "utf-8",
        quoting: str = "none",
    ) -> Sink:
        found = self.sinks.get(relative)
        if found is None:
            found = Sink(
                path=self.root / EXPORTS / relative,
                relative=relative,
                source=source,
                encoding=encoding,
                header=header,
                quoting=quoting,
            )
            self.sinks[relative] = found
        return found

    def add_whole(self, relative: str, source: str) -> Path:
        self.extra[relative] = source
        return self.root / EXPORTS / relative

    def files(self) -> list[tuple[str, str, int | None]]:
        """(relative path, source, data rows) in load order."""
        entries: list[tuple[str, str, int | None]] = [
            (s.relative, s.source, s.rows) for s in self.sinks.values()
        ]
        entries += [(rel, src, None) for rel, src in self.extra.items()]
        return sorted(entries, key=lambda e: (SOURCES.index(e[1]), e[0]))


def monthly(prefix: str, day: date, ext: str) -> str:
    return f"{prefix}/{day:%Y-%m}.{ext}"


def write_into_months(
    layout: Layout,
    prefix: str,
    source: str,
    header: list[str],
    table: pa.Table,
    day_numbers: np.ndarray,
    *,
    ext: str = "csv",
    quoting: str = "none",
) -> None:
    """Append ``table``'s rows to the monthly file of each row's business day, so that a
    file never holds a day that another file of the same source holds."""
    if table.num_rows == 0:
        return
    months = np.asarray(day_numbers, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    for month in np.unique(months):  # a day's rows fall in one or two months
        rows = np.flatnonzero(months == month)
        first = month.astype("datetime64[D]").item()
        sink = layout.sink(monthly(prefix, first, ext), source, header, quoting=quoting)
        sink.append_csv(table.take(pa.array(rows)))


def write_manifest(
    root: Path,
    layout: Layout,
    config: SimulationConfig,
    counts: dict[str, int],
    truth_files: list[str],
) -> Path:
    """``manifest.json``: the options, every export with its mapping, size and checksum
    (load order), the truth files and the headline counts."""
    exports = []
    for relative, source, rows in layout.files():
        path = root / EXPORTS / relative
        exports.append(
            {
                "path": f"{EXPORTS}/{relative}",
                "source": source,
                "rows": rows,
                "bytes": path.stat().st_size,
                "sha256": _sha256(path),
            }
        )
    manifest: dict[str, Any] = {
        "generator": "newretail.simulate",
        "config": config.as_dict(),
        "period": {"first": config.start.isoformat(), "last": config.end.isoformat()},
        "exports": exports,
        "truth": [f"{TRUTH}/{name}" for name in truth_files],
        "counts": counts,
    }
    target = root / MANIFEST
    target.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ManifestFile:
    """One export listed in a manifest."""

    path: Path
    source: str
    rows: int | None


def read_manifest(out: Path) -> list[ManifestFile]:
    """The exports of a finished run in load order (paths absolute)."""
    data = json.loads((out / MANIFEST).read_text("utf-8"))
    return [ManifestFile(out / e["path"], e["source"], e["rows"]) for e in data["exports"]]


def text_or_null(values: pa.Array, missing: np.ndarray) -> pa.Array:
    """``values`` with nulls where ``missing`` is true."""
    return pc.if_else(
        pa.array(np.asarray(missing, dtype=bool)),
        pa.nulls(len(values), pa.string()),
        pc.cast(values, pa.string()),
    )
