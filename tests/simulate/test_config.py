"""Presets, overrides and the checks on options."""

from __future__ import annotations

from datetime import date

import pytest

from newretail.core.i18n import translate
from newretail.simulate import PRESETS, SimulationConfig, SimulationError, preset


def test_presets_have_the_sizes_the_command_promises() -> None:
    assert (
        preset("demo").stores,
        preset("demo").skus,
        preset("demo").members,
        preset("demo").days,
    ) == (20, 2_000, 20_000, 365)
    bench = preset("bench")
    assert (bench.stores, bench.skus, bench.members, bench.days) == (200, 5_000, 500_000, 365)
    small = preset("small")
    assert (small.stores, small.skus, small.members) == (3, 200, 1_000)
    assert set(PRESETS) == {"small", "demo", "bench"}


def test_overrides_replace_preset_values_and_none_means_unset() -> None:
    config = preset("demo", seed=7, stores=5, skus=None, start="2025-03-01")
    assert config.seed == 7
    assert config.stores == 5
    assert config.skus == 2_000
    assert config.start == date(2025, 3, 1)
    assert config.end == date(2026, 2, 28)


def test_unknown_preset_names_the_known_ones() -> None:
    with pytest.raises(SimulationError) as caught:
        preset("huge")
    assert caught.value.key == "simulate.unknown_preset"
    assert "small, demo, bench" in caught.value.message("en")


def test_unknown_option_is_refused_with_its_name() -> None:
    with pytest.raises(SimulationError) as caught:
        preset("small", shops=3)
    assert caught.value.key == "simulate.unknown_option"
    assert "shops" in caught.value.message("en")


@pytest.mark.parametrize(
    ("option", "value"), [("stores", 0), ("dirt_rate", 0.5), ("days", 0), ("promo_share", -0.1)]
)
def test_out_of_range_option_names_option_value_and_bounds(option: str, value: float) -> None:
    with pytest.raises(SimulationError) as caught:
        preset("small", **{option: value})
    message = caught.value.message("zh-CN")
    assert caught.value.key == "simulate.bad_option"
    assert option in message and str(value) in message


def test_period_outside_the_calendar_is_refused() -> None:
    with pytest.raises(SimulationError) as caught:
        SimulationConfig(start=date(2030, 6, 1), days=365).validate()
    assert caught.value.key == "simulate.bad_period"


def test_start_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(SimulationError) as caught:
        preset("small", start="next monday")
    assert caught.value.key == "simulate.bad_start"


def test_every_simulate_message_has_both_languages() -> None:
    for key in ("simulate.bad_option", "simulate.out_not_empty", "simulate.report.title"):
        assert translate(key, "en") != key
        assert translate(key, "zh-CN") != translate(key, "en")
