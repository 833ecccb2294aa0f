"""Lifetime value of every member: P(alive), expected purchases, spend and CLV."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow.compute as pc
import pytest
from ibis.backends import BaseBackend

from newretail.members import InvalidRule, MemberValue, ValueRules, member_value
from newretail.members.clv import BG_NBD, BetaGeometricNBD, Cohort

from .conftest import SimulatedChain


@pytest.fixture(scope="module")
def chain_value(small_chain: SimulatedChain) -> MemberValue:
    return member_value(small_chain.connect(), as_of=small_chain.as_of)


def test_every_buying_member_gets_a_value(
    chain_value: MemberValue, small_chain: SimulatedChain
) -> None:
    scores = chain_value.scores
    buyers = (
        (
            small_chain.connect()
            .table("orders")
            .filter(lambda t: t.member_id.notnull())
            .member_id.nunique()
        )
        .to_pyarrow()
        .as_py()
    )
    assert scores.num_rows == buyers
    alive = scores["p_alive"].to_numpy()
    assert ((alive > 0) & (alive <= 1)).all()
    assert (scores["expected_purchases"].to_numpy() >= 0).all()
    assert pc.min(scores["clv"]).as_py() >= 0
    assert scores.schema.field("clv").type == "int64"
    assert chain_value.selection is not None
    chosen = chain_value.selection.filter(chain_value.selection["chosen"])
    assert chosen["model"].to_pylist() == [chain_value.model.name]
    assert chain_value.spend is not None and chain_value.spend.customers > 10


def test_members_who_bought_more_recently_are_more_likely_alive(chain_value: MemberValue) -> None:
    rows = chain_value.scores.to_pandas()
    regulars = rows[rows.x >= 3]
    recent = regulars[regulars["T"] - regulars.t_x < 1].p_alive.mean()
    stale = regulars[regulars["T"] - regulars.t_x > 6].p_alive.mean()
    assert recent > stale


def test_undiscounted_value_is_purchases_times_spend(small_chain: SimulatedChain) -> None:
    con = small_chain.connect()
    plain = member_value(
        con, as_of=small_chain.as_of, model=BG_NBD, rules=ValueRules(annual_discount_rate=0.0)
    )
    rows = plain.scores.to_pandas()
    expected = rows.expected_purchases * rows.expected_value
    np.testing.assert_allclose(rows.clv, expected, atol=1.0)
    kept = member_value(
        con,
        as_of=small_chain.as_of,
        model=plain.model,
        rules=ValueRules(annual_discount_rate=0.0, margin=0.25),
    )
    np.testing.assert_allclose(kept.scores["clv"].to_numpy(), 0.25 * expected, atol=1.0)
    discounted = member_value(con, as_of=small_chain.as_of, model=plain.model)
    assert (discounted.scores["clv"].to_numpy() <= rows.clv.to_numpy() + 1).all()
    assert discounted.model is plain.model  # a fitted model is used as it is
    assert discounted.selection is None


def test_value_without_amounts_has_probabilities_but_no_money(grocery: BaseBackend) -> None:
    value = member_value(grocery, as_of=date(2006, 12, 31), model=BG_NBD)
    assert value.spend is None
    assert value.scores["clv"].null_count == value.scores.num_rows
    assert value.scores["p_alive"].null_count == 0
    assert value.model.name == "BG/NBD"


def test_the_fitted_likelihood_is_the_sum_over_customers(grocery: BaseBackend) -> None:
    value = member_value(grocery, as_of=date(2006, 12, 31), model=BG_NBD)
    cohort = Cohort.from_arrow(
        value.scores.append_column("litt", pc.multiply(value.scores["x"], 0.0))
    )
    model: BetaGeometricNBD = value.model
    assert model.row_log_likelihood(cohort).sum() == pytest.approx(model.log_likelihood)


@pytest.mark.parametrize(
    ("field", "bad"),
    [("annual_discount_rate", 1.5), ("margin", 0.0), ("step_days", 0), ("unit_days", -7.0)],
)
def test_unusable_value_rules_are_refused(field: str, bad: float) -> None:
    with pytest.raises(InvalidRule) as caught:
        ValueRules(**{field: bad})
    assert caught.value.params["rule"] == field
