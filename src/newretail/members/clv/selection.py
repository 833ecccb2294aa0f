"""Which lifetime model fits a cohort: chosen by how well each forecasts a hold-out period.

Grocery buyers shop on a rhythm that BG/NBD cannot express, and it then over-forecasts them;
a chain of department-store shoppers may be the opposite. So the model is chosen per cohort:
the end of the calibration period is held out, every candidate is fitted on what comes
before and forecasts the held-out weeks, and the candidate with the smallest mean absolute
error per customer wins (the simplest one among those within ``tolerance`` of the best).
The winner is then refitted on the whole calibration period. The final hold-out, if any,
stays untouched by the choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from newretail.members.clv.beta_geometric import BetaGeometricNBD, fit_beta_geometric
from newretail.members.clv.cohort import Cohort
from newretail.members.clv.summary import cohort_summary
from newretail.members.errors import InvalidRule, ModelInputError


@dataclass(frozen=True)
class Candidate:
    """A model of the family to try: regularity ``k`` and whether a customer may drop out
    right after the first purchase."""

    k: int = 1
    dropout_at_zero: bool = False

    @property
    def name(self) -> str:
        return BetaGeometricNBD(1.0, 1.0, 1.0, 1.0, self.k, self.dropout_at_zero).name

    def fit(self, cohort: Cohort) -> BetaGeometricNBD:
        return fit_beta_geometric(cohort, k=self.k, dropout_at_zero=self.dropout_at_zero)


BG_NBD = Candidate(1, False)
MBG_NBD = Candidate(1, True)
#: BG/NBD, MBG/NBD, then MBG/CNBD-k for k = 2..8, simplest first
DEFAULT_CANDIDATES: tuple[Candidate, ...] = (
    BG_NBD,
    MBG_NBD,
    *(Candidate(k, True) for k in range(2, 9)),
)


@dataclass(frozen=True)
class HoldoutScore:
    """How a fitted model forecast a hold-out period: totals, their relative error
    (predicted / actual - 1), mean absolute error per customer and the correlation of the
    per-customer forecasts with what happened."""

    model: BetaGeometricNBD
    predicted: float
    actual: int
    error: float
    mae: float
    correlation: float


@dataclass(frozen=True)
class Selection:
    """The chosen model (fitted on the whole calibration period) and every candidate's
    score on the validation weeks (:data:`SCORE_COLUMNS`)."""

    chosen: BetaGeometricNBD
    scores: pa.Table
    validation_start: date
    calibration_end: date


SCORE_COLUMNS = (
    "model", "k", "dropout_at_zero", "r", "alpha", "a", "b", "log_likelihood",
    "predicted", "actual", "error", "mae", "correlation", "chosen",
)  # fmt: skip


def holdout_score(
    model: BetaGeometricNBD, cohort: Cohort, actual: np.ndarray, horizon: float
) -> HoldoutScore:
    """Score ``model``'s forecast of the ``horizon`` after calibration against ``actual``
    purchase occasions per customer (same order as ``cohort``)."""
    predicted = model.expected_purchases(cohort, horizon)
    observed = np.asarray(actual, dtype=np.float64)
    total = float(observed.sum())
    spread = predicted.std() > 0 and observed.std() > 0
    return HoldoutScore(
        model=model,
        predicted=float(predicted.sum()),
        actual=int(total),
        error=float(predicted.sum() / total - 1.0) if total > 0 else float("nan"),
        mae=float(np.mean(np.abs(predicted - observed))),
        correlation=float(np.corrcoef(predicted, observed)[0, 1]) if spread else float("nan"),
    )


def holdout_report(
    purchases: ir.Table,
    *,
    calibration_end: date,
    holdout_end: date,
    candidates: Sequence[Candidate] = DEFAULT_CANDIDATES,
    unit_days: float = 7.0,
    first_from: date | None = None,
) -> list[HoldoutScore]:
    """Every candidate fitted up to ``calibration_end`` and scored on the purchases in
    ``(calibration_end, holdout_end]`` (``purchases`` as for :func:`cohort_summary`)."""
    summary = cohort_summary(
        purchases,
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        first_from=first_from,
        unit_days=unit_days,
    )
    cohort = Cohort.from_arrow(summary)
    actual = summary.column("holdout_x").to_numpy()
    horizon = (holdout_end - calibration_end).days / unit_days
    return [holdout_score(c.fit(cohort), cohort, actual, horizon) for c in candidates]


def select_model(
    purchases: ir.Table,
    *,
    calibration_end: date,
    validation_days: int | None = None,
    candidates: Sequence[Candidate] = DEFAULT_CANDIDATES,
    tolerance: float = 0.01,
    patience: int = 2,
    unit_days: float = 7.0,
    first_from: date | None = None,
) -> Selection:
    """Choose among ``candidates`` by their forecast of the last ``validation_days`` before
    ``calibration_end`` (default: the last quarter of the history, in whole weeks), then
    refit the winner on everything up to ``calibration_end``.

    Candidates are tried in order; after ``patience`` candidates in a row that do worse
    than the best so far the rest are skipped (errors only grow once a cohort's regularity
    is passed).
    """
    if not candidates:
        raise InvalidRule(rule="candidates", value="()", reason="at least one model is needed")
    validation = validation_days or _default_validation(purchases, calibration_end)
    start = calibration_end - timedelta(days=validation)
    scores = _validation_scores(
        purchases,
        start=start,
        end=calibration_end,
        candidates=candidates,
        patience=patience,
        unit_days=unit_days,
        first_from=first_from,
    )
    best = min(s.mae for s in scores)
    winner = next(i for i, s in enumerate(scores) if s.mae <= best * (1.0 + tolerance))
    full = Cohort.from_arrow(
        cohort_summary(
            purchases, calibration_end=calibration_end, first_from=first_from, unit_days=unit_days
        )
    )
    chosen = candidates[winner].fit(full)
    return Selection(
        chosen=chosen,
        scores=_score_table(scores, winner),
        validation_start=start + timedelta(days=1),
        calibration_end=calibration_end,
    )


def _validation_scores(
    purchases: ir.Table,
    *,
    start: date,
    end: date,
    candidates: Sequence[Candidate],
    patience: int,
    unit_days: float,
    first_from: date | None,
) -> list[HoldoutScore]:
    summary = cohort_summary(
        purchases,
        calibration_end=start,
        holdout_end=end,
        first_from=first_from,
        unit_days=unit_days,
    )
    cohort = Cohort.from_arrow(summary)
    actual = summary.column("holdout_x").to_numpy()
    horizon = (end - start).days / unit_days
    scores: list[HoldoutScore] = []
    worse = 0
    for candidate in candidates:
        score = holdout_score(candidate.fit(cohort), cohort, actual, horizon)
        worse = worse + 1 if scores and score.mae >= min(s.mae for s in scores) else 0
        scores.append(score)
        if worse >= patience:
            break
    return scores


def _default_validation(purchases: ir.Table, calibration_end: date) -> int:
    """A quarter of the days from the first purchase to ``calibration_end``, in whole weeks."""
    kept = purchases.filter(purchases.business_date <= calibration_end)
    first: date | None = kept.business_date.min().to_pyarrow().as_py()
    if first is None:
        raise ModelInputError(model="selection", reason=f"no purchase up to {calibration_end}")
    weeks = (calibration_end - first).days // 4 // 7
    if weeks < 2:
        raise ModelInputError(
            model="selection",
            reason=f"{(calibration_end - first).days} days of history; at least 56 needed",
        )
    return weeks * 7


def _score_table(scores: Sequence[HoldoutScore], winner: int) -> pa.Table:
    models = [s.model for s in scores]
    return pa.table(
        {
            "model": [m.name for m in models],
            "k": pa.array([m.k for m in models], pa.int64()),
            "dropout_at_zero": [m.dropout_at_zero for m in models],
            "r": [m.r for m in models],
            "alpha": [m.alpha for m in models],
            "a": [m.a for m in models],
            "b": [m.b for m in models],
            "log_likelihood": [m.log_likelihood for m in models],
            "predicted": [s.predicted for s in scores],
            "actual": pa.array([s.actual for s in scores], pa.int64()),
            "error": [s.error for s in scores],
            "mae": [s.mae for s in scores],
            "correlation": [s.correlation for s in scores],
            "chosen": [i == winner for i in range(len(scores))],
        }
    )
