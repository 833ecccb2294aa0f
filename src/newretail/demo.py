"""The demo chain: simulate a chain once, load its exports the way a user loads their own.

``make run`` calls :func:`build_demo` through ``newretail demo``. Running it again reuses the
simulated exports and loads nothing twice (every file is recognised by its checksum), so the
demo is as idempotent as any other load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from newretail.core.settings import Settings, get_settings
from newretail.ingest.loader import LoadReport
from newretail.ops.migrate import upgrade
from newretail.simulate.config import preset
from newretail.simulate.engine import SimulationResult, simulate
from newretail.simulate.layout import MANIFEST, read_manifest
from newretail.simulate.loading import load_exports

DEMO_FOLDER = "demo-chain"

#: ``(stage, done, total)``: stage is "simulate" (days) or "load" (export files)
Progress = Callable[[str, int, int], None]


@dataclass
class DemoResult:
    """What the demo did: the simulation (None when earlier exports were reused) and the loads."""

    exports: Path
    simulation: SimulationResult | None
    loads: list[LoadReport] = field(default_factory=list)
    ops_revision: str = ""

    @property
    def files_loaded(self) -> int:
        return sum(1 for r in self.loads for f in r.files if f.status == "loaded")

    @property
    def files_rejected(self) -> int:
        return sum(1 for r in self.loads for f in r.files if f.status == "rejected")


def build_demo(
    *,
    preset_name: str = "demo",
    seed: int = 42,
    settings: Settings | None = None,
    on_progress: Progress | None = None,
    **overrides: object,
) -> DemoResult:
    """Simulate the ``preset_name`` chain into the data home (once) and load all its exports.

    ``overrides`` are simulation options (``stores``, ``days``, …) for a smaller or larger
    chain. The ops DB is created or migrated first.
    """
    settings = settings or get_settings()
    out = settings.home / DEMO_FOLDER
    result = DemoResult(exports=out, simulation=None)
    if not (out / MANIFEST).exists():
        config = preset(preset_name, seed=seed, **overrides)
        result.simulation = simulate(
            config,
            out,
            on_progress=None
            if on_progress is None
            else lambda done, total: on_progress("simulate", done, total),
        )
    result.ops_revision = upgrade(settings.database_url)
    total = len(read_manifest(out))
    started = 0

    def loading(_source: str, files: int) -> None:
        nonlocal started
        if on_progress is not None:
            on_progress("load", started, total)
        started += files

    result.loads = load_exports(out, settings=settings, on_source=loading)
    if on_progress is not None:
        on_progress("load", total, total)
    return result
