"""Source values to canonical types, a whole column at a time.

Every function takes one Arrow array — text as exported (CSV, Excel, JSON lines) or a native
Parquet type — and returns a :class:`Converted`: the values in the canonical Arrow type, null
where the source was missing or could not be converted, and a boolean mask per failure reason.
The common case (a clean column) is one Arrow cast; the clean-up of messy text (currency marks,
thousands separators, full-width digits, Chinese date forms) runs only when that cast fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Mask = npt.NDArray[np.bool_]

BAD_NUMBER = "ingest.reason.bad_number"
NOT_INTEGER = "ingest.reason.not_integer"
TOO_MANY_DECIMALS = "ingest.reason.too_many_decimals"
OUT_OF_RANGE = "ingest.reason.number_out_of_range"
BAD_BOOL = "ingest.reason.bad_bool"
BAD_DATE = "ingest.reason.bad_date"
BAD_TIMESTAMP = "ingest.reason.bad_timestamp"

UNIT_FACTORS = {"yuan": 100, "major": 100, "jiao": 10, "fen": 1, "minor": 1}
TRUE_VALUES = ("1", "true", "yes", "y", "t", "是")
FALSE_VALUES = ("0", "false", "no", "n", "f", "否")
DEFAULT_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M%z",
    "%Y/%m/%d %H:%M:%S%z",
)

# formats Arrow's own ISO 8601 cast reads the same way, only faster
_ISO_FORMATS = frozenset(
    {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"}
)
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
_MARKS = r"(?i)(rmb|cny|人民币|元|[¥$€£\s])"
# doubles hold every integer up to 2**53 exactly; past it an amount could not be exact
_EXACT_LIMIT = float(2**53)
_MICROS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Converted:
    """One column in its canonical type and the rows that failed, per reason.

    ``values`` is null where the source was missing or a conversion failed. ``failures`` pairs a
    reason key (``ingest.reason.*``) with a mask over the rows; each row is under one reason
    at most.
    """

    values: pa.Array
    failures: tuple[tuple[str, Mask], ...] = ()

    @property
    def error_mask(self) -> Mask:
        mask = np.zeros(len(self.values), dtype=bool)
        for _, failed in self.failures:
            mask |= failed
        return mask


def to_mask(values: pa.Array | pa.ChunkedArray) -> Mask:
    """A boolean Arrow array as a numpy mask (null counts as false)."""
    filled = pc.fill_null(values, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def _failures(*pairs: tuple[str, Mask]) -> tuple[tuple[str, Mask], ...]:
    return tuple((reason, mask) for reason, mask in pairs if mask.any())


def as_text(values: pa.Array) -> pa.Array:
    """The values as ``pa.string()`` (dictionary and large strings decoded, numbers formatted)."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_string(values.type):
        return values
    return pc.cast(values, pa.string())


def clean_text(values: pa.Array, *, strip: bool = True) -> pa.Array:
    """Text with surrounding spaces trimmed (when ``strip``) and empty strings made missing."""
    text = as_text(values)
    if strip:
        text = pc.utf8_trim_whitespace(text)
    empty = pc.equal(text, "")
    if not pc.any(empty).as_py():
        return text
    return pc.if_else(empty, pa.scalar(None, pa.string()), text)


def _is_text(values: pa.Array) -> bool:
    kind = values.type.value_type if pa.types.is_dictionary(values.type) else values.type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _is_numeric(values: pa.Array) -> bool:
    kind = values.type
    return bool(
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
    )


def _float_array(values: npt.NDArray[np.float64]) -> pa.Array:
    return pa.array(values, type=pa.float64(), from_pandas=True)


def _present(values: pa.Array) -> Mask:
    return np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


# -- numbers ---------------------------------------------------------------------------------


def parse_numbers(values: pa.Array) -> Converted:
    """Numbers as float64: ``1,234.5``, ``¥12``, ``12元``, ``￥1,234.50``, ``(12.00)``, ``12%``.

    Full-width digits and marks are read as their ASCII forms. Native numbers pass through
    (a native NaN is missing). A text that is not a number is null under ``bad_number``.
    """
    if _is_numeric(values):
        numbers = np.asarray(
            pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
        return _finite(numbers, present=~np.isnan(numbers))
    text = as_text(values)
    try:
        direct = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        return _parse_messy_numbers(text)
    numbers = np.asarray(direct.to_numpy(zero_copy_only=False), dtype=np.float64)
    return _finite(numbers, present=_present(text))


def _finite(numbers: npt.NDArray[np.float64], *, present: Mask) -> Converted:
    bad = present & ~np.isfinite(numbers)
    if bad.any():
        numbers = np.where(bad, np.nan, numbers)
    return Converted(_float_array(numbers), _failures((BAD_NUMBER, bad)))


def _parse_messy_numbers(text: pa.Array) -> Converted:
    # a column the direct cast refused is mostly plain numbers still (one "N/A" or "¥12" is
    # enough): those are cast as they are, only the others go through the clean-up, which
    # leaves a plain number unchanged anyway
    plain = to_mask(pc.match_substring_regex(text, _NUMBER))
    numbers = np.full(len(text), np.nan)
    ok, blank = plain.copy(), np.zeros(len(text), dtype=bool)
    if plain.any():
        numbers[plain] = np.asarray(
            pc.cast(text.filter(pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )
    rest = np.flatnonzero(~plain)
    if rest.size:
        numbers[rest], ok[rest], blank[rest] = _clean_numbers(text.take(pa.array(rest)))
    present = _present(text) & ~blank
    bad = present & ~ok
    result = _finite(np.where(bad, np.nan, numbers), present=present & ok)
    return Converted(result.values, _failures((BAD_NUMBER, bad), *result.failures))


def _clean_numbers(text: pa.Array) -> tuple[npt.NDArray[np.float64], Mask, Mask]:
    """Messy number texts read: (values, which were numbers, which were blank)."""
    cleaned = pc.utf8_trim_whitespace(pc.utf8_normalize(text, "NFKC"))
    cleaned = pc.replace_substring(cleaned, "\u2212", "-")
    blank = to_mask(pc.equal(cleaned, ""))
    negative = to_mask(pc.match_substring_regex(cleaned, r"^\(.*\)$"))
    cleaned = pc.replace_substring_regex(cleaned, r"^\((.*)\)$", r"\1")
    percent = to_mask(pc.ends_with(cleaned, "%"))
    cleaned = pc.replace_substring_regex(cleaned, r"%$", "")
    cleaned = pc.replace_substring_regex(cleaned, _MARKS, "")
    # "1.234,5" must not become 1.2345: commas only as groups of three before the point
    commas = to_mask(pc.match_substring(cleaned, ","))
    grouped = to_mask(pc.match_substring_regex(cleaned, _GROUPED))
    cleaned = pc.replace_substring(cleaned, ",", "")
    ok = to_mask(pc.match_substring_regex(cleaned, _NUMBER)) & (~commas | grouped)
    kept = pc.if_else(pa.array(ok), cleaned, pa.scalar(None, pa.string()))
    numbers = np.asarray(
        pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    numbers = np.where(negative, -numbers, numbers)
    numbers = np.where(percent, numbers / 100.0, numbers)
    return numbers, ok, blank


def parse_floats(values: pa.Array, *, scale: float | None = None) -> Converted:
    """Numbers as float64, multiplied by ``scale`` (e.g. 0.001 for grams to kilograms)."""
    parsed = parse_numbers(values)
    if scale is None:
        return parsed
    return Converted(pc.multiply(parsed.values, pa.scalar(float(scale))), parsed.failures)


def parse_integers(values: pa.Array, *, scale: float | None = None) -> Converted:
    """Whole numbers as int64; ``1.5`` is null under ``not_integer``."""
    if scale is None and (pa.types.is_integer(values.type) or _is_text(values)):
        try:
            return Converted(pc.cast(values, pa.int64()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    parsed = parse_numbers(values)
    numbers = np.asarray(parsed.values.to_numpy(zero_copy_only=False), dtype=np.float64)
    if scale is not None:
        numbers = numbers * scale
    finite = np.isfinite(numbers)
    fractional = finite & (numbers != np.floor(np.where(finite, numbers, 0.0)))
    too_big = finite & (np.abs(numbers) > _EXACT_LIMIT)
    good = finite & ~fractional & ~too_big
    ints = pa.array(np.where(good, numbers, 0).astype(np.int64), mask=~good)
    return Converted(
        ints, _failures(*parsed.failures, (NOT_INTEGER, fractional), (OUT_OF_RANGE, too_big))
    )


def to_minor_units(
    values: pa.Array, *, unit: str = "yuan", scale: float | None = None, round_excess: bool = False
) -> Converted:
    """Money in integer minor units (fen): ``unit`` is yuan/major (×100), jiao (×10), fen/minor.

    A value with more decimals than the unit allows (12.345 yuan) is null under
    ``too_many_decimals``, unless ``round_excess`` (computed amounts: 0.372 kg × 12.80) rounds
    it half away from zero. Amounts with up to two decimals are exact: a double holds them
    within a tiny fraction of a fen, and ``rint`` removes that fraction.
    """
    factor = UNIT_FACTORS[unit]
    if scale is None and pa.types.is_integer(values.type):
        try:
            whole = pc.cast(values, pa.int64())
            return Converted(pc.multiply_checked(whole, pa.scalar(factor, pa.int64())))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # too large: the general path below says which
    parsed = parse_numbers(values)
    amounts = np.asarray(parsed.values.to_numpy(zero_copy_only=False), dtype=np.float64)
    amounts = amounts * (scale if scale is not None else 1.0) * factor
    finite = np.isfinite(amounts)
    safe = np.where(finite, amounts, 0.0)
    if round_excess:
        # 3 × 12.345 is 3703.4999… fen in doubles: settle the float noise before rounding halves
        settled = np.round(safe, 6)
        rounded = np.trunc(settled + np.copysign(0.5, settled))
    else:
        rounded = np.rint(safe)
    tolerance = np.maximum(1e-6, np.abs(safe) * 1e-15)
    excess = finite & (np.abs(safe - rounded) > tolerance) & (not round_excess)
    too_big = finite & (np.abs(rounded) > _EXACT_LIMIT)
    good = finite & ~excess & ~too_big
    minor = pa.array(np.where(good, rounded, 0).astype(np.int64), mask=~good)
    return Converted(
        minor,
        _failures(*parsed.failures, (TOO_MANY_DECIMALS, excess), (OUT_OF_RANGE, too_big)),
    )


# -- booleans --------------------------------------------------------------------------------


def parse_booleans(
    values: pa.Array,
    *,
    true_values: Sequence[str] | None = None,
    false_values: Sequence[str] | None = None,
) -> Converted:
    """Booleans from ``1/0``, ``true/false``, ``yes/no``, ``y/n``, ``T/F``, ``是/否`` (any case).

    ``true_values``/``false_values`` replace the defaults. Native booleans pass; native numbers
    must be 1 or 0.
    """
    if pa.types.is_boolean(values.type):
        return Converted(values)
    blank = np.zeros(len(values), dtype=bool)
    if _is_numeric(values):
        numbers = pc.cast(values, pa.float64())
        ones, zeros = pc.equal(numbers, 1.0), pc.equal(numbers, 0.0)
    else:
        key = pc.utf8_lower(pc.utf8_trim_whitespace(pc.utf8_normalize(as_text(values), "NFKC")))
        trues = [v.lower() for v in (true_values if true_values is not None else TRUE_VALUES)]
        falses = [v.lower() for v in (false_values if false_values is not None else FALSE_VALUES)]
        ones = pc.is_in(key, value_set=pa.array(trues, pa.string()))
        zeros = pc.and_(pc.is_in(key, value_set=pa.array(falses, pa.string())), pc.invert(ones))
        blank = to_mask(pc.equal(key, ""))
    known = pc.or_(ones, zeros)
    result = pc.if_else(known, ones, pa.scalar(None, pa.bool_()))
    bad = _present(values) & ~to_mask(known) & ~blank
    return Converted(result, _failures((BAD_BOOL, bad)))


# -- dates and times -------------------------------------------------------------------------


@dataclass
class _Clock:
    """Parsed clock readings: microseconds since 1970, UTC where ``aware`` else local."""

    micros: npt.NDArray[np.int64]
    aware: Mask
    ok: Mask


def _split_fraction(text: pa.Array) -> tuple[pa.Array, npt.NDArray[np.int64]]:
    """Text without fractional seconds (strptime has no ``%f``) and the fractions in µs."""
    pattern = r"(\d:\d\d)[.,](\d{1,9})"
    # a plain substring search first: most clock texts have neither separator
    marked = pc.or_(pc.match_substring(text, "."), pc.match_substring(text, ","))
    if not pc.any(marked).as_py() or not pc.any(pc.match_substring_regex(text, pattern)).as_py():
        return text, np.zeros(len(text), dtype=np.int64)
    digits = pc.struct_field(pc.extract_regex(text, r"\d:\d\d[.,](?P<f>\d{1,9})"), [0])
    padded = pc.utf8_slice_codeunits(pc.utf8_rpad(digits, width=6, padding="0"), 0, 6)
    fraction = pc.fill_null(pc.cast(padded, pa.int64()), 0)
    stripped = pc.replace_substring_regex(text, pattern, r"\1")
    return stripped, np.asarray(fraction.to_numpy(zero_copy_only=False), dtype=np.int64)


def _parse_clock(text: pa.Array, formats: Sequence[str]) -> _Clock:
    size = len(text)
    clock = _Clock(np.zeros(size, np.int64), np.zeros(size, bool), np.zeros(size, bool))
    if not formats or _ISO_FORMATS.issuperset(formats):
        try:
            iso = pc.cast(text, pa.timestamp("us"))
        except pa.ArrowInvalid:
            pass
        else:
            clock.ok = _present(iso)
            clock.micros = np.asarray(
                pc.fill_null(pc.cast(iso, pa.int64()), 0).to_numpy(), dtype=np.int64
            )
            return clock
    if not formats:
        text = pc.replace_substring_regex(text, r"^(\d{4}-\d{1,2}-\d{1,2})T", r"\1 ")
        text = pc.replace_substring_regex(text, r"(\d)\s*Z$", r"\1+0000")
    text, fraction = _split_fraction(text)
    pending = np.flatnonzero(_present(text))
    for fmt in formats or DEFAULT_FORMATS:
        if pending.size == 0:
            break
        subset = text if pending.size == size else text.take(pa.array(pending))
        parsed = pc.strptime(subset, format=fmt, unit="us", error_is_null=True)
        hit = _present(parsed)
        if "%z" not in fmt and hit.any():
            hit &= _round_trips(subset, parsed, fmt)
        rows = pending[hit]
        clock.micros[rows] = np.asarray(
            pc.cast(parsed.filter(pa.array(hit)), pa.int64()).to_numpy(), dtype=np.int64
        )
        clock.aware[rows] = parsed.type.tz is not None
        clock.ok[rows] = True
        pending = pending[~hit]
    clock.micros += np.where(clock.ok, fraction, 0)
    return clock


def _unpadded(text: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.replace_substring_regex(text, r"(^|\D)0+(\d)", r"\1\2"))


def _round_trips(text: pa.Array, parsed: pa.Array, fmt: str) -> Mask:
    """False where strptime rolled an impossible day over (2024-02-30 read as 1 March)."""
    ok = np.ones(len(parsed), dtype=bool)
    # a rolled-over day lands on the 1st to 3rd of the next month: only those are re-checked
    suspects = np.flatnonzero(to_mask(pc.less_equal(pc.day(parsed), 3)))
    if suspects.size:
        chosen = pa.array(suspects)
        # at second resolution, as %S of a µs timestamp would print the fraction
        again = pc.strftime(pc.cast(parsed.take(chosen), pa.timestamp("s")), format=fmt)
        written = text.take(chosen)
        # the same text needs no unpadding to compare (the regular expressions cost)
        same = to_mask(pc.equal(again, written))
        ok[suspects] = same
        if not same.all():
            other = pa.array(~same)
            differs = pc.equal(_unpadded(again.filter(other)), _unpadded(written.filter(other)))
            ok[suspects[~same]] = to_mask(differs)
    return ok


def _local_to_utc(micros: npt.NDArray[np.int64], *, timezone: str) -> npt.NDArray[np.int64]:
    if micros.size == 0:
        return micros
    local = pa.array(micros, type=pa.timestamp("us"))
    # a clock time in a DST gap or overlap is read as the earlier instant rather than rejected
    utc = pc.assume_timezone(local, timezone=timezone, ambiguous="earliest", nonexistent="earliest")
    return np.asarray(pc.cast(utc, pa.int64()).to_numpy(), dtype=np.int64)


def parse_timestamps(values: pa.Array, *, formats: Sequence[str] = (), timezone: str) -> Converted:
    """Instants as ``timestamp[us, UTC]``.

    Text is read with ``formats`` (strftime, tried in order) or the default list: ISO 8601 with
    ``T`` or a space, with or without seconds and fractions, ``2024/01/05 08:30``, ``2024年1月5日``,
    ``20240105``, and with an offset (``+08:00``, ``Z``). A clock time without an offset is in
    ``timezone`` (IANA). Native timestamps without a zone are in ``timezone`` too; native dates
    are local midnight.
    """
    target = pa.timestamp("us", tz="UTC")
    kind = values.type
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            return Converted(pc.cast(values, target))
        naive = pc.cast(values, pa.timestamp("us"))
        zoned = pc.assume_timezone(
            naive, timezone=timezone, ambiguous="earliest", nonexistent="earliest"
        )
        return Converted(pc.cast(zoned, target))
    if pa.types.is_date(kind):
        return parse_timestamps(pc.cast(values, pa.timestamp("us")), timezone=timezone)
    if not _is_text(values):
        return Converted(
            pa.nulls(len(values), target), _failures((BAD_TIMESTAMP, _present(values)))
        )
    text = clean_text(values)
    clock = _parse_clock(text, formats)
    local = clock.ok & ~clock.aware
    micros = clock.micros.copy()
    micros[local] = _local_to_utc(clock.micros[local], timezone=timezone)
    instants = pa.array(micros, type=pa.int64(), mask=~clock.ok).cast(target)
    return Converted(instants, _failures((BAD_TIMESTAMP, _present(text) & ~clock.ok)))


def parse_dates(
    values: pa.Array, *, formats: Sequence[str] = (), timezone: str | None = None
) -> Converted:
    """Dates as ``date32``, read as written: ``2024-01-05 23:30`` is 5 January.

    Text uses the formats of :func:`parse_timestamps` (a time part and an offset are ignored).
    Native dates pass; native timestamps give their date, local to ``timezone`` for zoned ones.
    """
    kind = values.type
    if pa.types.is_date(kind):
        return Converted(pc.cast(values, pa.date32()))
    if pa.types.is_timestamp(kind):
        if kind.tz is not None and timezone is not None:
            return Converted(local_dates(values, timezone=timezone))
        return Converted(pc.cast(values, pa.date32()))
    if not _is_text(values):
        return Converted(
            pa.nulls(len(values), pa.date32()), _failures((BAD_DATE, _present(values)))
        )
    text = clean_text(values)
    clock = _parse_clock(text, formats)
    offset = r"(\d:\d\d)\s*(Z|[+-]\d\d:?\d\d)$"
    if (
        not clock.ok[_present(text)].all()
        and pc.any(pc.match_substring_regex(text, offset)).as_py()
    ):
        # an offset does not change the date as written: read the rest again without it
        text = pc.replace_substring_regex(text, offset, r"\1")
        clock = _parse_clock(text, formats)
    days = np.floor_divide(clock.micros, _MICROS_PER_DAY).astype(np.int32)
    dates = pa.array(days, type=pa.int32(), mask=~clock.ok).cast(pa.date32())
    return Converted(dates, _failures((BAD_DATE, _present(text) & ~clock.ok)))


def local_dates(instants: pa.Array, *, timezone: str) -> pa.Array:
    """The local calendar date in ``timezone`` of each UTC instant (the business date)."""
    zoned = pc.cast(instants, pa.timestamp("us", tz=timezone))
    return pc.cast(pc.local_timestamp(zoned), pa.date32())
