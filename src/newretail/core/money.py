"""Money as integer minor units (fen for CNY, cents, pence): parsing, formatting, allocation.

Amounts are stored and summed as ``int`` minor units, never as floats. Text is parsed with
exact decimal arithmetic and is refused, not rounded, when it carries more decimals than the
currency has. Order-level amounts are spread over lines with :func:`allocate`, whose parts
always add up to the total.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from newretail.core.errors import InvalidMoney

#: Decimal places of each supported currency (ISO 4217 minor units).
MINOR_UNITS: dict[str, int] = {
    "CNY": 2,
    "USD": 2,
    "GBP": 2,
    "EUR": 2,
    "HKD": 2,
    "JPY": 0,
    "KRW": 0,
}

#: The symbol :func:`format_money` writes before an amount.
SYMBOLS: dict[str, str] = {
    "CNY": "¥",
    "USD": "$",
    "GBP": "£",
    "EUR": "€",
    "HKD": "HK$",
    "JPY": "¥",
    "KRW": "₩",
}

# Markers people write around amounts, after NFKC normalisation and case folding, with the
# currencies each may stand for ("¥" is both yuan and yen, "$" both US and Hong Kong dollars).
_MARKERS: dict[str, frozenset[str]] = {
    "¥": frozenset({"CNY", "JPY"}),
    "$": frozenset({"USD", "HKD"}),
    "£": frozenset({"GBP"}),
    "€": frozenset({"EUR"}),
    "₩": frozenset({"KRW"}),
    "hk$": frozenset({"HKD"}),
    "us$": frozenset({"USD"}),
    "rmb": frozenset({"CNY"}),
    "yuan": frozenset({"CNY"}),
    "人民币": frozenset({"CNY"}),
    "元": frozenset({"CNY"}),
    "圆": frozenset({"CNY"}),
    "块": frozenset({"CNY"}),
    "港元": frozenset({"HKD"}),
    "港币": frozenset({"HKD"}),
    "円": frozenset({"JPY"}),
    "원": frozenset({"KRW"}),
    **{code.casefold(): frozenset({code}) for code in MINOR_UNITS},
}
# powers of ten of the Chinese scale words
_SCALES = {"万": 4, "亿": 8}
_MARKER = "|".join(re.escape(m) for m in sorted(_MARKERS, key=len, reverse=True))
_AMOUNT = re.compile(
    rf"(?P<sign>[-+])?\s*(?P<prefix>{_MARKER})?\s*(?P<sign2>[-+])?\s*"
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<frac>\d*))?\s*"
    rf"(?P<scale>[万亿])?\s*(?P<suffix>{_MARKER})?"
)
_INT64_MAX = 2**63 - 1


def minor_units(currency: str) -> int:
    """Decimal places of ``currency``; :class:`InvalidMoney` for an unsupported code."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise InvalidMoney(
            key="money.unknown_currency", currency=currency, known=", ".join(MINOR_UNITS)
        ) from None


def parse_money(text: str, *, currency: str = "CNY") -> int:
    """Read ``text`` as an amount of ``currency`` and return it in minor units.

    Accepts thousands separators, full-width characters, a sign or accounting parentheses
    (``"(12.00)"`` is negative), a symbol, code or word for the currency before or after the
    number (``"¥12"``, ``"RMB 12"``, ``"1,234.5元"``, ``"12.5 yuan"``) and the Chinese scales
    万 (×10,000) and 亿 (×100,000,000): ``"1.2万元"`` is 12,000 yuan.

    Raises :class:`InvalidMoney` naming ``text`` when it is not an amount, names another
    currency, has more decimals than the currency allows (never rounded) or does not fit int64.
    """
    minor_units(currency)
    normal = unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip().casefold()
    negative = normal.startswith("(") and normal.endswith(")")
    match = _AMOUNT.fullmatch(normal[1:-1].strip() if negative else normal)
    if match is None or not (match["int"] or match["frac"]):
        raise InvalidMoney(key="money.unparseable", text=text)
    signs = [s for s in (match["sign"], match["sign2"]) if s]
    if len(signs) > 1 or (negative and signs):
        raise InvalidMoney(key="money.unparseable", text=text)
    for marker in (match["prefix"], match["suffix"]):
        if marker and currency not in _MARKERS[marker]:
            raise InvalidMoney(key="money.currency_mismatch", text=text, currency=currency)
    negative = negative or signs == ["-"]
    digits = f"{match['int'].replace(',', '') or '0'}.{match['frac'] or '0'}"
    scale = _SCALES[match["scale"]] if match["scale"] else 0
    minor = _decimal_to_minor(Decimal(digits), currency=currency, text=text, scale=scale)
    return -minor if negative else minor


def _decimal_to_minor(value: Decimal, *, currency: str, text: str, scale: int = 0) -> int:
    """``value × 10**scale`` in minor units, computed on the decimal's own digits and exponent.

    Integer arithmetic on the digits is exact whatever their number, where Decimal operations
    would round at the context precision.
    """
    units = minor_units(currency)
    sign, digit_tuple, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise InvalidMoney(key="money.unparseable", text=text)
    number = int("".join(map(str, digit_tuple)) or "0")
    shift = exponent + units + scale
    if number == 0:
        return 0
    minor: int
    if shift > 19:
        raise InvalidMoney(key="money.out_of_range", text=text)
    if shift >= 0:
        minor = number * 10**shift
    elif -shift > len(digit_tuple) or number % 10**-shift:
        # a fraction of a minor unit is refused, never rounded away
        raise InvalidMoney(key="money.too_many_decimals", text=text, currency=currency, units=units)
    else:
        minor = number // 10**-shift
    if minor > _INT64_MAX:
        raise InvalidMoney(key="money.out_of_range", text=text)
    return -minor if sign else minor


def format_money(
    amount_minor: int, *, currency: str = "CNY", lang: str | None = None, symbol: bool = True
) -> str:
    """``amount_minor`` as text: ``"¥1,234.56"``, ``"-¥12.00"``, ``"£3.50"``, ``"¥1,234"`` (JPY).

    zh-CN and en use the same numeric format (comma thousands, point decimals); ``lang`` is
    accepted so callers need not change when a language gets its own. :func:`parse_money`
    reads the result back to the same amount.
    """
    units = minor_units(currency)
    major, minor = divmod(abs(amount_minor), 10**units)
    body = f"{major:,}" + (f".{minor:0{units}d}" if units else "")
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{SYMBOLS[currency] if symbol else ''}{body}"


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` minor units over ``weights`` by largest remainder.

    Invariant: ``sum(allocate(total, weights)) == total`` exactly, and every part is within
    one minor unit of its proportional share ``total * w / sum(weights)``. Each part first gets
    the floor of its share (computed exactly, floats included); the units left over go one each
    to the parts with the largest fractional remainders, ties going to the larger weight and
    then to the earlier position, so the result is deterministic. A negative total is allocated
    by magnitude and every part keeps its sign. Zero weights get 0.

    Raises :class:`InvalidMoney` for a negative or non-finite weight, or when all weights are
    zero (or there are none) while ``total`` is not zero.
    """
    exact = [_weight(w, position) for position, w in enumerate(weights)]
    weight_sum = sum(exact, Fraction(0))
    if weight_sum == 0:
        if total == 0:
            return [0] * len(exact)
        raise InvalidMoney(key="money.zero_weights", total=total, parts=len(exact))
    magnitude = abs(total)
    shares = [magnitude * w / weight_sum for w in exact]
    parts = [math.floor(share) for share in shares]
    left_over = magnitude - sum(parts)
    order = sorted(range(len(parts)), key=lambda i: (parts[i] - shares[i], -exact[i], i))
    for i in order[:left_over]:
        parts[i] += 1
    return [-p for p in parts] if total < 0 else parts


def _weight(value: float, position: int) -> Fraction:
    if not math.isfinite(value) or value < 0:
        raise InvalidMoney(key="money.bad_weight", position=position, weight=value)
    return Fraction(value)


def major_to_minor(values: Any, *, currency: str = "CNY") -> npt.NDArray[np.int64]:
    """Convert major-unit amounts (yuan) to int64 minor units (fen), element by element.

    ``values`` is a numpy array or a pyarrow Array/ChunkedArray of floats, integers or decimals.
    Floats are rounded to the nearest minor unit (``np.rint(x * 10**units)``): exact for every
    amount written with at most the currency's decimals and below 1e13 in magnitude, where the
    float error is far below half a minor unit. Integers are scaled exactly; decimals are
    converted exactly and refused when they carry a fraction of a minor unit.

    Raises :class:`InvalidMoney` for missing or non-finite values (naming how many and the
    first position), values out of int64 range, or a non-numeric type.
    """
    units = minor_units(currency)
    if isinstance(values, pa.ChunkedArray | pa.Array):
        if values.null_count:
            nulls = np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))
            raise InvalidMoney(key="money.not_finite", count=len(nulls), position=int(nulls[0]))
        if pa.types.is_decimal(values.type):
            minor = [
                _decimal_to_minor(v, currency=currency, text=str(v)) for v in values.to_pylist()
            ]
            return np.array(minor, dtype=np.int64)
        values = values.to_numpy(zero_copy_only=False)
    array: npt.NDArray[Any] = np.asarray(values)
    if np.issubdtype(array.dtype, np.integer):
        return _scale_integers(array, units)
    if not np.issubdtype(array.dtype, np.floating):
        raise InvalidMoney(key="money.unsupported_array", dtype=str(array.dtype))
    bad = ~np.isfinite(array)
    if bad.any():
        positions = np.flatnonzero(bad)
        raise InvalidMoney(key="money.not_finite", count=len(positions), position=int(positions[0]))
    scaled: npt.NDArray[np.float64] = np.rint(array.astype(np.float64) * 10**units)
    # 2**63 is exact as a float; anything at or beyond it would wrap around in int64
    too_big = np.abs(scaled) >= 2.0**63
    if too_big.any():
        raise InvalidMoney(key="money.out_of_range", text=str(array[too_big][0]))
    return scaled.astype(np.int64)


def _scale_integers(array: npt.NDArray[Any], units: int) -> npt.NDArray[np.int64]:
    limit = _INT64_MAX // 10**units
    too_big = array > limit
    if np.issubdtype(array.dtype, np.signedinteger):
        too_big |= array < -limit
    if too_big.any():
        raise InvalidMoney(key="money.out_of_range", text=str(array[too_big][0]))
    return array.astype(np.int64) * np.int64(10**units)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency in minor units; arithmetic and ordering within one currency."""

    amount: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        minor_units(self.currency)
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidMoney(key="money.unparseable", text=repr(self.amount))

    @classmethod
    def parse(cls, text: str, *, currency: str = "CNY") -> Money:
        """``Money(parse_money(text, currency=currency), currency)``."""
        return cls(parse_money(text, currency=currency), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidMoney(
                key="money.different_currencies", left=self.currency, right=other.currency
            )

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __str__(self) -> str:
        return format_money(self.amount, currency=self.currency)
