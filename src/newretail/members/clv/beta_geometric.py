"""The beta-geometric family of buy-till-you-die models, by maximum likelihood.

* BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while active a
  customer buys at a Poisson rate λ ~ Gamma(r, α); after every repeat purchase they drop out
  for good with probability p ~ Beta(a, b).
* MBG/NBD (Batislam, Denizel & Filiztekin 2007): the same, but a customer may also drop out
  right after the first purchase.
* (M)BG/CNBD-k (Platzer & Reutterer 2016, "Ticking away the moments"): the times between
  purchases are Erlang-k instead of exponential, so a regular buyer (a weekly grocery run) is
  told apart from an irregular one; ``k = 1`` gives back the two models above.

One likelihood covers the family (the published one: Platzer & Reutterer 2016, eq. 5; FHL
2005, eq. 6 for k = 1); it is computed in log space, for every customer at once, with its
analytic gradient. Special functions depend on a customer's repeat count only, so they are
evaluated once per distinct count; the per-customer work is a few logarithms and exponentials.
P(alive) is exact for every k; forecasts are in :mod:`newretail.members.clv.forecast`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import special

from newretail.members.clv.cohort import BoolArray, Cohort, FloatArray, IntArray
from newretail.members.clv.mle import maximise
from newretail.members.errors import InvalidRule

#: start of the search (r, α, a, b), as in BTYDplus
START = (1.0, 3.0, 1.0, 3.0)
#: the grid of regularities tried when k is chosen by likelihood
MAX_K = 12


@dataclass(frozen=True)
class BetaGeometricNBD:
    """Fitted parameters of one member of the family, with the log-likelihood of the fit."""

    r: float
    alpha: float
    a: float
    b: float
    k: int = 1
    dropout_at_zero: bool = False
    log_likelihood: float = math.nan
    customers: int = 0

    @property
    def name(self) -> str:
        """``BG/NBD``, ``MBG/NBD``, ``BG/CNBD-3``, ``MBG/CNBD-2`` …"""
        family = "MBG" if self.dropout_at_zero else "BG"
        return f"{family}/NBD" if self.k == 1 else f"{family}/CNBD-{self.k}"

    @property
    def theta(self) -> FloatArray:
        return np.array([self.r, self.alpha, self.a, self.b])

    def row_log_likelihood(self, cohort: Cohort) -> FloatArray:
        """The log-likelihood of every customer's calibration history."""
        rows = Prepared.of(cohort, distinct=False)
        terms = _terms(self.theta, self.k, self.dropout_at_zero, rows)
        return terms.rows + (self.k - 1) * cohort.litt - cohort.x * special.gammaln(float(self.k))

    def p_alive(self, cohort: Cohort) -> FloatArray:
        """P(the customer is still active at the end of calibration), per customer."""
        return phases(self, cohort)[0]

    def expected_purchases(self, cohort: Cohort, horizon: float) -> FloatArray:
        """Expected purchases per customer in the ``horizon`` after calibration (same unit)."""
        from newretail.members.clv.forecast import expected_purchases

        return expected_purchases(self, cohort, [horizon])[:, 0]


def fit_beta_geometric(
    cohort: Cohort, *, k: int = 1, dropout_at_zero: bool = False
) -> BetaGeometricNBD:
    """The maximum-likelihood member of the family with regularity ``k``.

    ``k=1, dropout_at_zero=False`` is BG/NBD; ``k=1, True`` MBG/NBD; ``k>1, True`` MBG/CNBD-k.
    """
    if k < 1:
        raise InvalidRule(rule="k", value=k, reason="must be a whole number of at least 1")
    rows = Prepared.of(cohort, distinct=True)
    # the intertransaction times enter as a constant: they compare k's, not parameters
    constant = (k - 1) * float(cohort.litt.sum()) - float(cohort.x.sum()) * math.lgamma(k)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        terms = _terms(theta, k, dropout_at_zero, rows, gradient=True)
        return float(rows.weights @ terms.rows), terms.gradient

    name = BetaGeometricNBD(*START, k=k, dropout_at_zero=dropout_at_zero).name
    theta, value = maximise(objective, START, model=name, scale=float(cohort.size))
    r, alpha, a, b = (float(v) for v in theta)
    return BetaGeometricNBD(
        r,
        alpha,
        a,
        b,
        k=k,
        dropout_at_zero=dropout_at_zero,
        log_likelihood=value + constant,
        customers=cohort.size,
    )


def fit_bg_nbd(cohort: Cohort) -> BetaGeometricNBD:
    """BG/NBD by maximum likelihood (Fader, Hardie & Lee 2005)."""
    return fit_beta_geometric(cohort, k=1, dropout_at_zero=False)


def fit_mbg_cnbd(cohort: Cohort, *, k: int | None = None, max_k: int = MAX_K) -> BetaGeometricNBD:
    """MBG/CNBD-k; without ``k``, the k of 1..``max_k`` with the highest likelihood.

    Likelihoods of different k are comparable because the cohort carries ``litt``; the grid
    stops once the likelihood has fallen twice in a row, as in Platzer & Reutterer (2016).
    """
    if k is not None:
        return fit_beta_geometric(cohort, k=k, dropout_at_zero=True)
    fits: list[BetaGeometricNBD] = []
    for candidate in range(1, max_k + 1):
        fits.append(fit_beta_geometric(cohort, k=candidate, dropout_at_zero=True))
        if len(fits) >= 3 and (
            fits[-1].log_likelihood < fits[-2].log_likelihood < fits[-3].log_likelihood
        ):
            break
    return max(fits, key=lambda f: f.log_likelihood)


# -- likelihood ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A cohort ready for repeated evaluation: its rows (distinct ones, with how many
    customers share each, or all of them), the distinct repeat counts and each row's index
    into them, and the log of the time since the last purchase."""

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    weights: FloatArray
    counts: FloatArray
    of_row: IntArray
    log_gap: FloatArray
    open_gap: BoolArray

    @classmethod
    def of(cls, cohort: Cohort, *, distinct: bool) -> Prepared:
        if distinct:
            rows, weights, _ = cohort.distinct()
        else:
            rows, weights = cohort, np.ones(cohort.size)
        counts, of_row = np.unique(rows.x, return_inverse=True)
        gap = rows.T - rows.t_x
        open_gap = gap > 0
        return cls(
            x=rows.x,
            t_x=rows.t_x,
            T=rows.T,
            weights=weights,
            counts=counts,
            of_row=of_row.reshape(-1).astype(np.int64),
            log_gap=np.log(np.where(open_gap, gap, 1.0)),
            open_gap=open_gap,
        )


@dataclass(frozen=True)
class _Terms:
    """Per row: the log-likelihood (without the litt constant), the log weight of
    "dropped out after the last purchase" and of "active, j Erlang phases into the next
    purchase" (j = 0..k-1), each branch's share of the likelihood, the shared pieces the
    gradient reuses; and the gradient of the weighted sum when asked for."""

    rows: FloatArray
    drop: FloatArray
    alive: FloatArray
    share_drop: FloatArray
    share_alive: FloatArray
    log_T: FloatArray
    log_t: FloatArray
    gradient: FloatArray


@dataclass(frozen=True)
class _ByCount:
    """Functions of the repeat count alone, evaluated once per distinct count."""

    s: FloatArray  # dropout chances survived
    rk: FloatArray  # r + kx: the shape of the rate's posterior
    can_drop: BoolArray
    drop_denominator: FloatArray  # b + s - 1
    common: FloatArray  # log Γ(r + kx)/Γ(r) + log B(a, b + s)/B(a, b)
    ladder: list[FloatArray]  # log (r + kx)_j / j!, j = 1..k-1


def _survivals(x: FloatArray, dropout_at_zero: bool) -> FloatArray:
    """Chances to drop out that an active customer has survived: one after every repeat
    purchase, and one more after the first purchase in the M-variants."""
    return x + 1.0 if dropout_at_zero else x


def _by_count(theta: FloatArray, k: int, dropout_at_zero: bool, counts: FloatArray) -> _ByCount:
    r, _, a, b = theta
    s = _survivals(counts, dropout_at_zero)
    rk = r + k * counts
    can_drop = np.ones(s.size, bool) if dropout_at_zero else counts > 0
    log_rise = special.gammaln(rk)
    return _ByCount(
        s=s,
        rk=rk,
        can_drop=can_drop,
        drop_denominator=np.where(can_drop, b + s - 1.0, 1.0),
        common=log_rise - special.gammaln(r) + special.betaln(a, b + s) - special.betaln(a, b),
        ladder=[special.gammaln(rk + j) - log_rise - math.lgamma(j + 1.0) for j in range(1, k)],
    )


def _terms(
    theta: FloatArray, k: int, dropout_at_zero: bool, p: Prepared, *, gradient: bool = False
) -> _Terms:
    r, alpha, a, _ = theta
    c = _by_count(theta, k, dropout_at_zero, p.counts)
    i = p.of_row
    rk = c.rk[i]
    log_T, log_t = np.log(alpha + p.T), np.log(alpha + p.t_x)
    drop = np.where(
        c.can_drop[i], np.log(a) - np.log(c.drop_denominator[i]) + rk * (log_T - log_t), -np.inf
    )
    alive = np.zeros((k, p.x.size))
    for j in range(1, k):
        alive[j] = np.where(p.open_gap, c.ladder[j - 1][i] + j * (p.log_gap - log_T), -np.inf)
    # log-sum-exp of the branches, shifted by the largest for stability
    top = np.maximum(drop, alive.max(axis=0))
    share_drop, share_alive = np.exp(drop - top), np.exp(alive - top)
    total = share_drop + share_alive.sum(axis=0)
    rows = c.common[i] + r * np.log(alpha) - rk * log_T + top + np.log(total)
    terms = _Terms(
        rows, drop, alive, share_drop / total, share_alive / total, log_T, log_t, np.zeros(4)
    )
    if gradient:
        return replace(terms, gradient=_gradient(theta, k, p, c, terms))
    return terms


def _gradient(theta: FloatArray, k: int, p: Prepared, c: _ByCount, t: _Terms) -> FloatArray:
    """d/d(r, α, a, b) of Σ weight × row log-likelihood: the common factor's derivative plus
    each branch's, weighted by the branch's share of the row's likelihood."""
    r, alpha, a, b = theta
    i, w = p.of_row, p.weights
    per_count = np.bincount(i, weights=w, minlength=c.s.size)  # customers per repeat count
    rk = c.rk[i]
    psi_ab, psi_abs = special.digamma(a + b), special.digamma(a + b + c.s)
    d_r = per_count @ (special.digamma(c.rk) - special.digamma(r)) + w @ (
        np.log(alpha) - t.log_T + t.share_drop * (t.log_T - t.log_t)
    )
    for j in range(1, k):
        rise = special.digamma(c.rk + j) - special.digamma(c.rk)
        d_r += w @ (t.share_alive[j] * rise[i])
    d_alpha = w @ (
        r / alpha
        - rk / (alpha + p.T)
        + t.share_drop * rk * (1.0 / (alpha + p.T) - 1.0 / (alpha + p.t_x))
        - (t.share_alive * np.arange(k)[:, None]).sum(axis=0) / (alpha + p.T)
    )
    d_a = per_count @ (psi_ab - psi_abs) + w @ (t.share_drop / a)
    d_b = per_count @ (special.digamma(b + c.s) - psi_abs - special.digamma(b) + psi_ab)
    d_b -= w @ (t.share_drop / c.drop_denominator[i])
    return np.array([d_r, d_alpha, d_a, d_b])


def phases(model: BetaGeometricNBD, cohort: Cohort) -> tuple[FloatArray, FloatArray]:
    """P(alive) per customer, and given activity the probability of each Erlang phase
    j = 0..k-1 reached since the last purchase: (n,), (k, n)."""
    terms = _terms(model.theta, model.k, model.dropout_at_zero, Prepared.of(cohort, distinct=False))
    # the phases are weighed among themselves, so a customer surely gone still gets weights
    weights = np.exp(terms.alive - terms.alive.max(axis=0))
    return terms.share_alive.sum(axis=0), weights / weights.sum(axis=0)
