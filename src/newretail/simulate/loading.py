"""Loading a simulated chain's exports into the lake, as ``newretail load`` would: each
group of files with its built-in mapping, in the manifest's order."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from newretail.core.settings import Settings, get_settings
from newretail.ingest.loader import LoadReport, load_files
from newretail.simulate.layout import read_manifest


def load_exports(
    out: Path,
    *,
    settings: Settings | None = None,
    sources: set[str] | None = None,
    on_source: Callable[[str, int], None] | None = None,
) -> list[LoadReport]:
    """Load every export of the run in ``out`` (or only those of ``sources``), dimensions
    first; one report per mapping. ``on_source(name, files)`` is called before each."""
    settings = settings or get_settings()
    reports = []
    for source, group in groupby(read_manifest(Path(out)), key=lambda f: f.source):
        if sources is not None and source not in sources:
            continue
        paths = [f.path for f in group]
        if on_source is not None:
            on_source(source, len(paths))
        reports.append(load_files(paths, source=source, settings=settings))
    return reports
