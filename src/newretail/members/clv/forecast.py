"""Expected purchases in the periods after calibration, for every model of the family.

Given activity, a customer's coming purchases depend on the repeat count ``x`` and the time
observed ``T`` (through the posterior of their rate and dropout probability) and on the Erlang
phase reached since the last purchase; P(alive) and the phase weights carry ``t_x``. So the
costly part is computed once per distinct ``(x, T)`` pair and horizon, then mixed per customer.

For k = 1 the closed form is FHL (2005) eq. 10 (BG/NBD), with b + 1 for b after the first
purchase in MBG/NBD (Batislam et al. 2007). For any k it is computed exactly by summing over
the number N of Erlang phases completed in the horizon: given λ and the phase j, phases form a
Poisson(λ) process, so the n-th coming purchase completes after k − j + (n − 1)k of them and
happens only if the customer survived the n − 1 purchases before it. Mixing λ over its
posterior Gamma(r + kx + j, α + T) makes N negative binomial; mixing p over Beta(a, b + s)
turns survival into the partial sums C(m) of E[(1 − p)^i]:

    E[purchases | active, phase j] = Σ_N P(N) C(⌊(N + j) / k⌋),

summed until P(N) < 1e-12.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import special

from newretail.members.clv.beta_geometric import BetaGeometricNBD, _survivals, phases
from newretail.members.clv.cohort import Cohort, FloatArray, IntArray
from newretail.members.errors import InvalidRule

#: cells (customers × phase counts) summed at once
_BLOCK_CELLS = 4_000_000


def expected_purchases(
    model: BetaGeometricNBD,
    cohort: Cohort,
    horizons: Sequence[float],
    *,
    method: Literal["auto", "sums"] = "auto",
) -> FloatArray:
    """Expected purchases of every customer from the end of calibration to each horizon
    (same time unit): an array (customers, horizons). ``method="sums"`` forces the exact
    sums where the closed form would be used."""
    if any(h < 0 for h in horizons):
        raise InvalidRule(rule="horizon", value=min(horizons), reason="must not be negative")
    alive, phase = phases(model, cohort)
    pairs, inverse = np.unique(np.stack([cohort.x, cohort.T], axis=1), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    result = np.zeros((cohort.size, len(horizons)))
    for column, horizon in enumerate(horizons):
        if horizon > 0:
            active = _active(model, pairs[:, 0], pairs[:, 1], float(horizon), method)
            result[:, column] = alive * np.sum(phase * active[:, inverse], axis=0)
    return result


def _active(
    model: BetaGeometricNBD, x: FloatArray, T: FloatArray, horizon: float, method: str
) -> FloatArray:
    """Expected purchases given activity and each phase: (k, pairs)."""
    if method == "auto" and model.k == 1 and abs(model.a - 1.0) > 1e-3:
        closed = _closed_form(model, x, T, horizon)
        bad = ~np.isfinite(closed)
        if bad.any():
            # the hypergeometric series loses precision for very frequent buyers: sum instead
            closed[bad] = _phase_sums(model, x[bad], T[bad], horizon)[0]
        return closed[None, :]
    return _phase_sums(model, x, T, horizon)


def _closed_form(model: BetaGeometricNBD, x: FloatArray, T: FloatArray, h: float) -> FloatArray:
    r, alpha, a, b = model.theta
    s = _survivals(x, model.dropout_at_zero)
    later = alpha + T + h
    with np.errstate(all="ignore"):
        series = special.hyp2f1(r + x, b + s, a + b + s - 1.0, h / later)
        share = ((alpha + T) / later) ** (r + x)
        return np.asarray((a + b + s - 1.0) / (a - 1.0) * (1.0 - share * series))


def _phase_sums(model: BetaGeometricNBD, x: FloatArray, T: FloatArray, h: float) -> FloatArray:
    """Σ_N P(N) C(⌊(N + j)/k⌋) for every pair and phase j: (k, pairs)."""
    k = model.k
    r, alpha, a, b = model.theta
    shape = r + k * x
    success = (alpha + T) / (alpha + T + h)  # the negative binomial's
    reach = special.nbdtrik(1.0 - 1e-12, shape + k - 1, success)
    reach = np.ceil(np.nan_to_num(reach, nan=0.0)).astype(np.int64) + 2 * k + 2
    result = np.zeros((k, x.size))
    for rows in _blocks(reach):
        width = int(reach[rows].max())
        partial = _survival_sums(a, b + _survivals(x[rows], model.dropout_at_zero), width // k + 2)
        counts = np.arange(width, dtype=np.float64)
        for j in range(k):
            pmf = _negative_binomial(shape[rows] + j, success[rows], counts)
            taken = partial[:, (np.arange(width) + j) // k]
            result[j, rows] = np.sum(pmf * taken, axis=1)
    return result


def _negative_binomial(shape: FloatArray, success: FloatArray, counts: FloatArray) -> FloatArray:
    """P(N = n) for n in ``counts`` (0, 1, 2, …), one row per pair, by the recursion
    P(n) = P(n-1) (n - 1 + shape) / n (1 - success), summed in log space."""
    steps = (
        np.log(counts[None, 1:] - 1.0 + shape[:, None])
        - np.log(counts[None, 1:])
        + np.log1p(-success)[:, None]
    )
    first = (shape * np.log(success))[:, None]
    return np.asarray(np.exp(np.hstack([first, first + np.cumsum(steps, axis=1)])))


def _survival_sums(a: float, bp: FloatArray, size: int) -> FloatArray:
    """C(m) = Σ_{i<m} E[(1-p)^i] with p ~ Beta(a, bp), for m = 0..size: (rows, size + 1)."""
    i = np.arange(size, dtype=np.float64)
    log_ratio = np.log(bp[:, None] + i[None, :-1]) - np.log(a + bp[:, None] + i[None, :-1])
    moments = np.exp(np.hstack([np.zeros((bp.size, 1)), np.cumsum(log_ratio, axis=1)]))
    return np.hstack([np.zeros((bp.size, 1)), np.cumsum(moments, axis=1)])


def _blocks(reach: IntArray) -> list[IntArray]:
    """Pairs grouped by how far their sums reach, each block within the cell budget (a
    single pair may exceed it)."""
    order = np.argsort(reach, kind="stable")
    widths = reach[order]
    blocks: list[IntArray] = []
    start = 0
    while start < order.size:
        # sorted by width, so a block's cells grow with its end: take the longest that fits
        cells = np.arange(1, order.size - start + 1) * widths[start:]
        stop = start + max(1, int(np.searchsorted(cells, _BLOCK_CELLS, side="right")))
        blocks.append(order[start:stop])
        start = stop
    return blocks
