"""The realism report puts the simulated chain beside the real data sets."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.simulate.conftest import LoadedRun

from newretail.simulate import SimulationError
from newretail.simulate.report import report


def test_report_compares_baskets_repeats_and_returns_with_real_data(
    small: LoadedRun, data_dir: Path
) -> None:
    found = report(small.out, data_dir=data_dir)
    by_metric = {c.metric: c for c in found.comparisons}
    basket = by_metric["simulate.report.basket_mean"]
    assert basket.reference == pytest.approx(4.409, abs=0.01)  # Groceries' published mean
    assert 2.5 < basket.simulated < 7
    returns = by_metric["simulate.report.return_lines"]
    assert returns.reference == pytest.approx(9_288 / 541_909, rel=1e-3)  # UCI cancellations
    assert 0 < returns.simulated < 0.05
    repeats = by_metric["simulate.report.repeat_none"]
    assert 0 < repeats.reference < 1 and 0 <= repeats.simulated <= 1
    assert found.window_days == 7  # 90 days less the 91-day cohort: the shortest window


def test_report_renders_in_both_languages(small: LoadedRun, data_dir: Path) -> None:
    found = report(small.out, data_dir=data_dir)
    english, chinese = found.to_markdown("en"), found.to_markdown("zh-CN")
    assert "items per walk-in basket" in english and "Groceries" in english
    assert "到店小票商品数" in chinese
    assert len(found.rows("en")) == len(found.comparisons) == 10


def test_report_without_real_data_says_where_it_looked(small: LoadedRun, tmp_path: Path) -> None:
    with pytest.raises(SimulationError) as caught:
        report(small.out, data_dir=tmp_path)
    assert caught.value.key == "simulate.report_no_data"
    assert str(tmp_path) in caught.value.message("en")


def test_report_on_a_folder_without_a_run_is_refused(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SimulationError) as caught:
        report(tmp_path, data_dir=data_dir)
    assert caught.value.key == "simulate.report_no_run"
