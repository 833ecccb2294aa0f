"""A small simulated chain, generated once and loaded once into its own lake, shared by the
realism tests; and a helper to read the ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from ibis.backends.duckdb import Backend

from newretail.core.settings import Settings
from newretail.ingest.loader import LoadReport
from newretail.lake import connect
from newretail.simulate import SimulationResult, preset, simulate
from newretail.simulate.loading import load_exports


@dataclass(frozen=True)
class LoadedRun:
    """A simulation run, its output folder and the lake its exports were loaded into."""

    result: SimulationResult
    settings: Settings
    reports: list[LoadReport]

    @property
    def out(self) -> Path:
        return self.result.out

    def lake(self) -> Backend:
        return connect(settings=self.settings)

    def truth(self, name: str) -> pd.DataFrame:
        frame = pd.read_parquet(self.out / "truth" / name)
        for column in frame.columns:
            if column in ("business_date", "joined_on", "starts_on", "ends_on"):
                frame[column] = pd.to_datetime(frame[column])
        return frame


def run_and_load(tmp: Path, name: str, **options: object) -> LoadedRun:
    result = simulate(preset(name, **options), tmp / "out")
    settings = Settings(home=tmp / "home")
    return LoadedRun(result, settings, load_exports(result.out, settings=settings))


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> LoadedRun:
    """The ``small`` preset (3 stores, 200 SKUs, 1,000 members, 90 days around the 2024
    Spring Festival), every export loaded through the built-in mappings."""
    return run_and_load(tmp_path_factory.mktemp("small"), "small")
