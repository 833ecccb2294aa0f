"""Importers of public retail data sets: which files, through which built-in mapping.

Everything a data set needs is in its mapping (``ingest/mappings/<name>.toml``); this module
only knows the file names, so that ``newretail import NAME PATH`` takes the folder as it is
published.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newretail.core.errors import NotFound
from newretail.core.settings import Settings, get_settings
from newretail.ingest.loader import LoadReport, load_files


@dataclass(frozen=True)
class Dataset:
    """A public data set: its files, in load order, each with the built-in mapping to use."""

    name: str
    description: str
    files: tuple[tuple[str, str], ...]


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "uci-online-retail",
            "UCI Online Retail (UK online retailer, 2010–2011)",
            (("online_retail.csv.gz", "uci_online_retail"),),
        ),
        Dataset(
            "groceries",
            "arules Groceries (9,835 POS baskets)",
            (("groceries_long.csv", "groceries"),),
        ),
        Dataset(
            "btyd-grocery",
            "BTYDplus online grocery cohort (1,525 customers)",
            (("grocery_elog.csv", "btyd_grocery"),),
        ),
        Dataset(
            "dominicks-oj",
            "Dominick's orange juice (83 stores × 11 brands × weeks)",
            (("orangejuice_yx.csv.gz", "dominicks_oj"),),
        ),
    )
}


def _dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise NotFound(key="ingest.import.unknown", name=name, known=", ".join(DATASETS)) from None


def _file(dataset: Dataset, path: Path, file_name: str) -> Path:
    """``path`` may be the data set's folder or, for one-file sets, the file itself."""
    candidate = path / file_name if path.is_dir() else path
    if path.is_dir() and not candidate.exists():
        raise NotFound(
            key="ingest.import.missing_file", name=dataset.name, file=file_name, path=str(path)
        )
    if not path.exists():
        raise NotFound(
            key="ingest.import.missing_file",
            name=dataset.name,
            file=file_name,
            path=str(path.parent),
        )
    return candidate


def import_dataset(
    name: str,
    path: Path,
    *,
    settings: Settings | None = None,
    on_progress: Callable[[str, int], None] | None = None,
) -> list[LoadReport]:
    """Load data set ``name`` from ``path`` (its folder); one report per file."""
    dataset = _dataset(name)
    settings = settings or get_settings()
    return [
        load_files(
            [_file(dataset, Path(path), file_name)],
            source=mapping,
            settings=settings,
            on_progress=on_progress,
        )
        for file_name, mapping in dataset.files
    ]
