"""Validation on real data: the BTYDplus grocery cohort, calibrated on 2006 and forecasting
2007 (Platzer & Reutterer 2016), loaded through the lake like any other source."""

from __future__ import annotations

from datetime import date

import pytest
from ibis.backends import BaseBackend

from newretail.members import purchases
from newretail.members.clv import (
    BG_NBD,
    MBG_NBD,
    Candidate,
    Cohort,
    cohort_summary,
    holdout_report,
    holdout_score,
    select_model,
)

CALIBRATION_END = date(2006, 12, 31)
HOLDOUT_END = date(2007, 12, 30)
HOLDOUT_WEEKS = (HOLDOUT_END - CALIBRATION_END).days / 7


def test_the_cohort_summary_has_the_published_counts(grocery: BaseBackend) -> None:
    summary = cohort_summary(
        purchases(grocery), calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END
    )
    assert summary.num_rows == 1_525
    # the data set's README: 7,094 calibration transactions (first ones included), 3,389 after
    assert sum(summary["x"].to_pylist()) + summary.num_rows == 7_094
    assert sum(summary["holdout_x"].to_pylist()) == 3_389


def test_plain_bg_nbd_over_forecasts_the_regular_grocery_buyers(grocery: BaseBackend) -> None:
    (bg_nbd,) = holdout_report(
        purchases(grocery),
        calibration_end=CALIBRATION_END,
        holdout_end=HOLDOUT_END,
        candidates=[BG_NBD],
    )
    assert bg_nbd.error == pytest.approx(0.18, abs=0.02)


def test_model_chosen_on_2006_forecasts_2007_within_ten_percent(grocery: BaseBackend) -> None:
    bought = purchases(grocery)
    selection = select_model(bought, calibration_end=CALIBRATION_END)
    chosen = selection.chosen
    assert chosen.k > 1  # a model that knows regular buyers
    assert selection.scores.filter(selection.scores["chosen"]).num_rows == 1
    final = cohort_summary(bought, calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END)
    score = holdout_score(
        chosen, Cohort.from_arrow(final), final["holdout_x"].to_numpy(), HOLDOUT_WEEKS
    )
    assert abs(score.error) < 0.10
    assert score.correlation > 0.8
    # the choice never saw 2007: the validation weeks are the end of 2006
    assert selection.validation_start > date(2006, 9, 1)


def test_regular_models_beat_bg_nbd_per_customer_on_the_holdout(grocery: BaseBackend) -> None:
    scores = holdout_report(
        purchases(grocery),
        calibration_end=CALIBRATION_END,
        holdout_end=HOLDOUT_END,
        candidates=[BG_NBD, MBG_NBD, Candidate(2, True), Candidate(4, True)],
    )
    bg, mbg, cnbd2, cnbd4 = scores
    assert cnbd2.model.log_likelihood > bg.model.log_likelihood
    assert cnbd4.mae < cnbd2.mae < mbg.mae < bg.mae
    assert abs(cnbd4.error) < abs(cnbd2.error) < abs(bg.error)
