"""Probability alive, expected purchases and lifetime value of every member (SPEC C3).

The purchase model is chosen for the member base by hold-out accuracy
(:func:`newretail.members.clv.selection.select_model`) unless one is given; spend per purchase
is the Gamma-Gamma model's. The value over ``horizon_days`` is the expected purchases of each
``step_days`` period, times the expected spend per purchase and the ``margin`` kept of it,
discounted at ``annual_discount_rate`` to the end of calibration:

    CLV = margin × E[spend] × Σ_i (E[Y(t_i)] − E[Y(t_{i−1})]) / (1 + d)^(t_i / 365 days)

Amounts are in fen; the value is rounded to whole fen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
from ibis.backends import BaseBackend

from newretail.members.clv.beta_geometric import BetaGeometricNBD
from newretail.members.clv.cohort import Cohort, FloatArray
from newretail.members.clv.forecast import expected_purchases
from newretail.members.clv.gamma_gamma import GammaGamma, fit_gamma_gamma
from newretail.members.clv.selection import DEFAULT_CANDIDATES, Candidate, select_model
from newretail.members.clv.summary import cohort_summary
from newretail.members.errors import InvalidRule, ModelInputError
from newretail.members.facts import purchases
from newretail.members.identity import Resolution

VALUE_COLUMNS = (
    "member_id", "first_purchase", "last_purchase", "x", "t_x", "T",
    "p_alive", "expected_purchases", "expected_value", "clv",
)  # fmt: skip


@dataclass(frozen=True)
class ValueRules:
    """Time unit of the models, horizon and step of the value, discounting and margin, and
    the candidates and validation period of the model choice."""

    unit_days: float = 7.0
    horizon_days: int = 365
    step_days: int = 30
    annual_discount_rate: float = 0.10
    margin: float = 1.0
    validation_days: int | None = None
    candidates: tuple[Candidate, ...] = field(default=DEFAULT_CANDIDATES)

    def __post_init__(self) -> None:
        for name in ("unit_days", "horizon_days", "step_days"):
            if getattr(self, name) <= 0:
                raise InvalidRule(rule=name, value=getattr(self, name), reason="must be positive")
        if not 0 <= self.annual_discount_rate < 1:
            raise InvalidRule(
                rule="annual_discount_rate", value=self.annual_discount_rate, reason="0 ≤ d < 1"
            )
        if not 0 < self.margin <= 1:
            raise InvalidRule(rule="margin", value=self.margin, reason="0 < margin ≤ 1")


@dataclass(frozen=True)
class MemberValue:
    """``scores`` (:data:`VALUE_COLUMNS`, one row per member who has bought), the purchase
    model and the spend model used (None when no amounts are known), and the candidates'
    validation scores when the model was chosen here."""

    scores: pa.Table
    model: BetaGeometricNBD
    spend: GammaGamma | None
    selection: pa.Table | None
    as_of: date
    rules: ValueRules


def member_value(
    con: BaseBackend,
    *,
    as_of: date,
    rules: ValueRules | None = None,
    resolution: Resolution | None = None,
    model: BetaGeometricNBD | Candidate | None = None,
) -> MemberValue:
    """P(alive), expected purchases over the horizon and CLV of every member on ``as_of``.

    ``model``: a fitted model to apply as it is, a candidate to fit, or None to choose one
    by hold-out accuracy. Columns of ``scores``: ``member_id``, ``first_purchase``,
    ``last_purchase``, ``x``, ``t_x``, ``T`` (model time units), ``p_alive``,
    ``expected_purchases`` (in the horizon), ``expected_value`` (fen per purchase),
    ``clv`` (fen).
    """
    rules = rules or ValueRules()
    bought = purchases(con, resolution=resolution, end=as_of)
    summary = cohort_summary(bought, calibration_end=as_of, unit_days=rules.unit_days)
    if summary.num_rows == 0:
        raise ModelInputError(model="value", reason=f"no member purchase up to {as_of}")
    cohort = Cohort.from_arrow(summary)
    selection = None
    if model is None:
        chosen = select_model(
            bought,
            calibration_end=as_of,
            validation_days=rules.validation_days,
            candidates=rules.candidates,
            unit_days=rules.unit_days,
        )
        fitted, selection = chosen.chosen, chosen.scores
    elif isinstance(model, Candidate):
        fitted = model.fit(cohort)
    else:
        fitted = model
    spend = _spend_model(summary)
    scores = value_scores(summary, fitted, spend, rules)
    return MemberValue(scores, fitted, spend, selection, as_of, rules)


def _spend_model(summary: pa.Table) -> GammaGamma | None:
    values = summary.column("repeat_value").to_numpy(zero_copy_only=False)
    known = np.isfinite(values)
    if not known.any():
        return None
    frequency = summary.column("x").to_numpy()
    try:
        return fit_gamma_gamma(frequency[known], values[known])
    except ModelInputError:
        # too few repeat buyers to fit three parameters: every member gets the mean below
        return None


def value_scores(
    summary: pa.Table, model: BetaGeometricNBD, spend: GammaGamma | None, rules: ValueRules
) -> pa.Table:
    """:data:`VALUE_COLUMNS` from a :func:`cohort_summary` table and fitted models."""
    cohort = Cohort.from_arrow(summary)
    alive = model.p_alive(cohort)
    horizons = _horizons(rules)
    curve = expected_purchases(model, cohort, [h / rules.unit_days for h in horizons])
    value = _expected_value(summary, spend)
    steps = np.diff(np.hstack([np.zeros((cohort.size, 1)), curve]), axis=1)
    discount = (1.0 + rules.annual_discount_rate) ** (-np.asarray(horizons) / 365.0)
    clv = rules.margin * value * (steps @ discount)
    return pa.table(
        {
            "member_id": summary.column("member_id"),
            "first_purchase": summary.column("first_purchase"),
            "last_purchase": summary.column("last_purchase"),
            "x": summary.column("x"),
            "t_x": summary.column("t_x"),
            "T": summary.column("T"),
            "p_alive": pa.array(alive),
            "expected_purchases": pa.array(curve[:, -1]),
            "expected_value": pa.array(value, mask=~np.isfinite(value)),
            "clv": pa.array(np.round(np.nan_to_num(clv)).astype(np.int64), mask=~np.isfinite(clv)),
        }
    )


def _horizons(rules: ValueRules) -> list[float]:
    count = math.ceil(rules.horizon_days / rules.step_days)
    return [float(min((i + 1) * rules.step_days, rules.horizon_days)) for i in range(count)]


def _expected_value(summary: pa.Table, spend: GammaGamma | None) -> FloatArray:
    """Expected spend per purchase (fen): Gamma-Gamma when fitted, else the mean of the
    known repeat purchases (NaN when no amount is known at all)."""
    frequency = summary.column("x").to_numpy().astype(np.float64)
    values = summary.column("repeat_value").to_numpy(zero_copy_only=False).astype(np.float64)
    if spend is not None and math.isfinite(spend.mean_value):
        return spend.expected_value(frequency, values)
    known = np.isfinite(values)
    if not known.any():
        return np.full(frequency.size, np.nan)
    return np.full(frequency.size, float(np.average(values[known], weights=frequency[known])))
