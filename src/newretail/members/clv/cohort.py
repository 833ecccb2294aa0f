"""A cohort as the buy-till-you-die models see it: one row of sufficient statistics per customer.

``x`` is the number of repeat purchases in the calibration period, ``t_x`` the time from the
first to the last purchase, ``T`` the time from the first purchase to the end of calibration,
``litt`` the sum of the logarithms of the times between consecutive purchases (the regularity
models need it to compare likelihoods across ``k``). Times are in one unit throughout, usually
weeks. Purchases on one day count once: the models describe purchase occasions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from newretail.members.errors import ModelInputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: slack for times read from files rounded to two decimals (the CDNOW summary is)
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Cohort:
    """Sufficient statistics of ``len(x)`` customers (see the module docstring)."""

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    litt: FloatArray

    def __post_init__(self) -> None:
        n = self.x.shape
        if any(a.shape != n or a.ndim != 1 for a in (self.t_x, self.T, self.litt)):
            raise ModelInputError(model="cohort", reason="x, t_x, T and litt differ in length")
        if n[0] == 0:
            raise ModelInputError(model="cohort", reason="no customers")
        checks = (
            (self.x < 0, "x < 0"),
            (self.x != np.floor(self.x), "x is not a whole number"),
            (self.t_x < 0, "t_x < 0"),
            (self.t_x > self.T + _TOLERANCE, "t_x > T"),
            ((self.x == 0) & (self.t_x > _TOLERANCE), "t_x > 0 without repeat purchases"),
            (~np.isfinite(self.T + self.t_x + self.x + self.litt), "a value is missing"),
        )
        for broken, reason in checks:
            if np.any(broken):
                raise ModelInputError(
                    model="cohort", reason=f"{reason} for {int(np.sum(broken))} customer(s)"
                )

    @classmethod
    def of(
        cls,
        x: npt.ArrayLike,
        t_x: npt.ArrayLike,
        T: npt.ArrayLike,
        litt: npt.ArrayLike | None = None,
    ) -> Cohort:
        """A cohort from array-likes; ``litt`` defaults to zeros (fine for fixed ``k``)."""
        xs = np.asarray(x, dtype=np.float64)
        return cls(
            x=xs,
            t_x=np.minimum(np.asarray(t_x, dtype=np.float64), np.asarray(T, dtype=np.float64)),
            T=np.asarray(T, dtype=np.float64),
            litt=np.zeros_like(xs) if litt is None else np.asarray(litt, dtype=np.float64),
        )

    @classmethod
    def from_arrow(cls, table: pa.Table) -> Cohort:
        """A cohort from a table with columns ``x``, ``t_x``, ``T`` and ``litt``."""
        missing = [c for c in ("x", "t_x", "T", "litt") if c not in table.column_names]
        if missing:
            raise ModelInputError(model="cohort", reason=f"missing column(s) {missing}")
        columns = [
            table.column(c).cast(pa.float64()).to_numpy(zero_copy_only=False)
            for c in ("x", "t_x", "T", "litt")
        ]
        return cls.of(*columns)

    @property
    def size(self) -> int:
        return int(self.x.size)

    def distinct(self) -> tuple[Cohort, FloatArray, IntArray]:
        """The distinct ``(x, t_x, T)`` rows, how many customers share each, and for every
        customer the index of its row. ``litt`` of a distinct row is the sum over its
        customers, so that weighted likelihoods add up to the full cohort's."""
        keys = np.stack([self.x, self.t_x, self.T], axis=1)
        rows, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1).astype(np.int64)
        litt = np.bincount(inverse, weights=self.litt, minlength=rows.shape[0])
        weights = counts.astype(np.float64)
        # litt enters the likelihood linearly, so the mean per customer times the weight
        # gives back the sum
        distinct = Cohort(x=rows[:, 0], t_x=rows[:, 1], T=rows[:, 2], litt=litt / weights)
        return distinct, weights, inverse
