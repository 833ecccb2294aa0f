"""The lifetime models reproduce the published fits, their gradients are right, and their
forecasts are what the model implies."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from newretail.members.clv import (
    BetaGeometricNBD,
    Cohort,
    cohort_summary,
    fit_bg_nbd,
    fit_gamma_gamma,
    fit_mbg_cnbd,
)
from newretail.members.clv.beta_geometric import Prepared, _terms
from newretail.members.clv.forecast import expected_purchases
from newretail.members.clv.gamma_gamma import _log_likelihood as gamma_gamma_log_likelihood
from newretail.members.errors import InvalidRule, ModelInputError

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", CDNOW sample
PAPER_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", same data
PAPER_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CDNOW_CALIBRATION_END = date(1997, 9, 30)


def _cdnow_summary(datasets: Path) -> Cohort:
    table = pv.read_csv(datasets / "cdnow_customers_summary.csv")
    return Cohort.of(table["frequency"], table["recency"], table["T"])


def _cdnow_transactions(datasets: Path) -> pa.Table:
    """The CDNOW sample's transactions (2,357 customers, 1997–1998) as purchases."""
    text = (datasets / "CDNOW_sample.txt").read_text()
    fields = [row.split() for row in text.splitlines() if row.strip()]
    return pa.table(
        {
            "member_id": [f[1] for f in fields],
            "business_date": [date(int(f[2][:4]), int(f[2][4:6]), int(f[2][6:])) for f in fields],
            # dollars to cents, as the lake keeps money in minor units
            "net_amount": [round(float(f[4]) * 100) for f in fields],
        }
    )


def test_bg_nbd_fit_on_cdnow_gives_the_papers_parameters(lifetimes_data: Path) -> None:
    model = fit_bg_nbd(_cdnow_summary(lifetimes_data))
    fitted = {"r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b}
    assert {k: round(v, 3) for k, v in fitted.items()} == PAPER_BG_NBD
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_summary_of_cdnow_transactions_matches_the_published_summary(
    lifetimes_data: Path,
) -> None:
    purchases = ibis.memtable(_cdnow_transactions(lifetimes_data))
    ours = Cohort.from_arrow(cohort_summary(purchases, calibration_end=CDNOW_CALIBRATION_END))
    published = _cdnow_summary(lifetimes_data)
    # both in customer order: ids are zero-padded numbers
    np.testing.assert_array_equal(ours.x, published.x)
    np.testing.assert_allclose(ours.t_x, published.t_x, atol=0.006)
    np.testing.assert_allclose(ours.T, published.T, atol=0.006)


def test_gamma_gamma_fit_on_cdnow_gives_the_papers_parameters(lifetimes_data: Path) -> None:
    purchases = ibis.memtable(_cdnow_transactions(lifetimes_data))
    summary = cohort_summary(purchases, calibration_end=CDNOW_CALIBRATION_END)
    repeat_dollars = summary["repeat_value"].to_numpy(zero_copy_only=False) / 100
    model = fit_gamma_gamma(summary["x"].to_numpy(), repeat_dollars)
    fitted = {"p": model.p, "q": model.q, "gamma": model.gamma}
    assert {k: round(v, 2) for k, v in fitted.items()} == PAPER_GAMMA_GAMMA
    assert model.customers == 946  # the paper's customers with repeat purchases


def _random_cohort(seed: int, size: int = 300) -> Cohort:
    rng = np.random.default_rng(seed)
    x = rng.poisson(rng.gamma(0.8, 4.0, size))
    T = rng.uniform(1.0, 52.0, size)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, size), 0.0)
    litt = np.where(x > 0, x * rng.normal(1.0, 0.5, size), 0.0)
    return Cohort.of(x, t_x, T, litt)


@pytest.mark.parametrize(("k", "dropout_at_zero"), [(1, False), (1, True), (3, True), (2, False)])
def test_likelihood_gradient_matches_finite_differences(k: int, dropout_at_zero: bool) -> None:
    rows = Prepared.of(_random_cohort(seed=k), distinct=True)
    theta = np.array([0.7, 4.0, 0.9, 2.5])

    def value(t: np.ndarray) -> float:
        return float(rows.weights @ _terms(t, k, dropout_at_zero, rows).rows)

    numeric = optimize.approx_fprime(theta, value, 1e-6)
    analytic = _terms(theta, k, dropout_at_zero, rows, gradient=True).gradient
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-3)


def test_gamma_gamma_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(1, 10, 200).astype(np.float64)
    m = rng.gamma(4.0, 10.0, 200)
    theta = np.array([5.0, 3.0, 14.0])
    numeric = optimize.approx_fprime(theta, lambda t: gamma_gamma_log_likelihood(t, x, m)[0], 1e-6)
    analytic = gamma_gamma_log_likelihood(theta, x, m)[1]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-3)


@settings(max_examples=40, deadline=None)
@given(
    r=st.floats(0.1, 3.0),
    alpha=st.floats(0.5, 20.0),
    a=st.floats(0.2, 3.0).filter(lambda v: abs(v - 1.0) > 0.05),
    b=st.floats(0.3, 6.0),
    dropout_at_zero=st.booleans(),
    horizon=st.floats(1.0, 104.0),
)
def test_closed_form_forecast_equals_the_exact_sum_over_phases(
    r: float, alpha: float, a: float, b: float, dropout_at_zero: bool, horizon: float
) -> None:
    model = BetaGeometricNBD(r, alpha, a, b, k=1, dropout_at_zero=dropout_at_zero)
    cohort = _random_cohort(seed=7, size=50)
    closed = model.expected_purchases(cohort, horizon)
    summed = expected_purchases(model, cohort, [horizon], method="sums")[:, 0]
    np.testing.assert_allclose(closed, summed, rtol=1e-6, atol=1e-9)


def _simulate(model: BetaGeometricNBD, size: int, seed: int) -> tuple[Cohort, np.ndarray]:
    """Customers drawn from the model: calibration statistics and purchases in the next 52
    weeks, to check the forecast against what the model itself produces."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(model.r, 1.0 / model.alpha, size)
    drop = rng.beta(model.a, model.b, size)
    T = rng.uniform(20.0, 52.0, size)
    gaps = rng.gamma(model.k, 1.0 / rate[:, None], (size, 400))
    times = np.cumsum(gaps, axis=1)
    survives = rng.random((size, 400)) >= drop[:, None]
    if not model.dropout_at_zero:
        survives[:, 0] = True  # BG: no dropout before the first repeat purchase
    alive = np.cumprod(survives, axis=1).astype(bool)
    made = alive & (times <= T[:, None] + 52.0)
    calibration = made & (times <= T[:, None])
    x = calibration.sum(axis=1)
    t_x = np.where(x > 0, np.max(np.where(calibration, times, 0.0), axis=1), 0.0)
    litt = np.where(calibration, np.log(gaps), 0.0).sum(axis=1)
    return Cohort.of(x, t_x, T, litt), (made & ~calibration).sum(axis=1)


@pytest.mark.parametrize(
    "truth",
    [
        BetaGeometricNBD(0.35, 2.6, 0.5, 3.6),
        BetaGeometricNBD(1.3, 1.75, 0.45, 0.84, k=3, dropout_at_zero=True),
    ],
    ids=["bg-nbd", "mbg-cnbd-3"],
)
def test_forecast_of_a_simulated_cohort_matches_what_it_does(truth: BetaGeometricNBD) -> None:
    cohort, later = _simulate(truth, size=20_000, seed=11)
    predicted = truth.expected_purchases(cohort, 52.0).sum()
    assert predicted == pytest.approx(later.sum(), rel=0.04)
    refit = fit_mbg_cnbd(cohort, k=truth.k) if truth.dropout_at_zero else fit_bg_nbd(cohort)
    assert refit.r == pytest.approx(truth.r, rel=0.15)
    assert refit.a == pytest.approx(truth.a, rel=0.2)


def test_regularity_k_is_recovered_by_likelihood() -> None:
    cohort, _ = _simulate(BetaGeometricNBD(1.3, 1.75, 0.45, 0.84, 3, True), size=5_000, seed=3)
    assert fit_mbg_cnbd(cohort, max_k=6).k == 3


def test_p_alive_is_one_for_bg_nbd_customers_without_repeat_purchases() -> None:
    cohort = Cohort.of([0, 0, 3], [0.0, 0.0, 5.0], [10.0, 30.0, 40.0])
    alive = BetaGeometricNBD(0.24, 4.4, 0.79, 2.4).p_alive(cohort)
    assert alive[:2].tolist() == [1.0, 1.0]
    assert 0.0 < alive[2] < 1.0


@pytest.mark.parametrize(
    ("x", "t_x", "T", "reason"),
    [
        ([-1], [0.0], [5.0], "x < 0"),
        ([2], [6.0], [5.0], "t_x > T"),
        ([0], [2.0], [5.0], "t_x > 0 without repeat purchases"),
        ([1.5], [1.0], [5.0], "whole number"),
    ],
)
def test_impossible_histories_are_refused(
    x: list[float], t_x: list[float], T: list[float], reason: str
) -> None:
    with pytest.raises(ModelInputError, match=reason) as caught:
        Cohort(np.array(x, float), np.array(t_x), np.array(T), np.zeros(1))
    assert caught.value.key == "members.model_input"


def test_gamma_gamma_needs_enough_repeat_customers() -> None:
    with pytest.raises(ModelInputError, match="at least 10"):
        fit_gamma_gamma([1, 2, 0], [10.0, 20.0, 0.0])


def test_negative_horizon_is_refused() -> None:
    with pytest.raises(InvalidRule):
        BetaGeometricNBD(1, 1, 1, 1).expected_purchases(_random_cohort(1, 5), -1.0)
