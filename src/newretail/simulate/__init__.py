"""The chain simulator (SPEC D4): a realistic omnichannel chain, its exports and the truth.

``simulate(preset("demo"), out)`` writes a year of a 20-store chain: the exports its systems
would produce in ``out/exports`` (listed with the built-in mapping that loads each in
``out/manifest.json``) and the ground truth in ``out/truth``. ``load_exports(out)`` loads
them into the lake; ``report(out)`` compares the run's summary statistics with real retail
data sets.
"""

from newretail.simulate.config import PRESETS, SimulationConfig, SimulationError, preset
from newretail.simulate.engine import Progress, SimulationResult, simulate
from newretail.simulate.loading import load_exports
from newretail.simulate.report import Comparison, RealismReport, report

__all__ = [
    "PRESETS",
    "Comparison",
    "Progress",
    "RealismReport",
    "SimulationConfig",
    "SimulationError",
    "SimulationResult",
    "load_exports",
    "preset",
    "report",
    "simulate",
]
