"""Mapping expressions: Python syntax, a whitelist, evaluated on whole columns.

``数量 * 单价 - 优惠金额``, ``startswith(InvoiceNo, 'C')``, ``choose(品牌序号, 价1, 价2)``,
``date("1989-09-14") + days(天数)`` … An expression is parsed once with :mod:`ast` when the
mapping is loaded — any construct outside the whitelist, an unknown function or a wrong number
of arguments is a :class:`MappingError` then, never a surprise on row 3 million — and compiled to
a tree of closures that work on Arrow arrays. Missing values propagate; a value that cannot be
used (text where a number is needed, a division by zero) becomes null and a row issue.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from newretail.core.errors import InputFileError, MappingError
from newretail.ingest.convert import (
    Converted,
    Mask,
    as_text,
    clean_text,
    parse_booleans,
    parse_dates,
    parse_numbers,
    to_mask,
)

DIVISION_BY_ZERO = "ingest.reason.division_by_zero"
MATH_DOMAIN = "ingest.reason.math_domain"
CHOICE_OUT_OF_RANGE = "ingest.reason.choice_out_of_range"
WRONG_TYPE = "ingest.reason.wrong_type"
ROW_NAMES = ("_line", "_file")


@dataclass(frozen=True)
class ExprIssue:
    """Rows (``mask``) an expression could not evaluate, why, and where the value came from.

    ``source`` is the source column whose text could not be used, or the expression text;
    ``values`` (when known) holds the offending raw values, aligned with the rows.
    """

    mask: Mask
    reason: str
    source: str
    values: pa.Array | None = None


@dataclass(frozen=True)
class ExprResult:
    """An expression's value on every row (null where missing or failed) and its issues."""

    values: pa.Array
    issues: tuple[ExprIssue, ...] = ()


@dataclass(frozen=True)
class _Val:
    data: Any  # pa.Array of the chunk's length, or pa.Scalar broadcast to it
    days: bool = False  # a span of days (``days(n)``), added to dates
    column: str | None = None  # the untouched source column this value is


#: Source columns by their name in the chunk, as expressions read them (:meth:`Expr.evaluate`).
Columns = Callable[[str], pa.Array]


class _Context:
    def __init__(
        self,
        chunk: pa.Table,
        *,
        lines: npt.NDArray[np.int64],
        file_name: str,
        text: str,
        columns: Columns | None = None,
    ) -> None:
        self.chunk, self.lines, self.file_name, self.text = chunk, lines, file_name, text
        self.columns = columns
        self.size = chunk.num_rows
        self.issues: list[ExprIssue] = []
        self._names = {name.strip(): name for name in chunk.column_names}
        self._cache: dict[str, _Val] = {}

    def column(self, name: str) -> _Val:
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]

    def _read(self, name: str) -> _Val:
        actual = name if name in self.chunk.column_names else self._names.get(name.strip())
        if actual is None:
            raise InputFileError(
                key="ingest.missing_column",
                file=self.file_name,
                columns=f"'{name}'",
                mapping=self.text,
            )
        if self.columns is not None:
            return _Val(self.columns(actual), column=name)
        values = self.chunk.column(actual).combine_chunks()
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            values = clean_text(values)
        return _Val(values, column=name)

    def issue(
        self, mask: Mask, reason: str, *, source: str | None = None, values: pa.Array | None = None
    ) -> None:
        if not mask.any():
            return
        source = source or self.text
        for i, known in enumerate(self.issues):
            # a column read twice (0 < 数量 <= 3) reports its bad values once
            if known.reason == reason and known.source == source:
                self.issues[i] = ExprIssue(known.mask | mask, reason, source, known.values)
                return
        self.issues.append(ExprIssue(mask, reason, source, values))


Node = Callable[[_Context], _Val]


@dataclass(frozen=True)
class Expr:
    """A compiled expression: its text, the source columns it reads, and its evaluator."""

    text: str
    columns: frozenset[str]
    _node: Node = field(repr=False, compare=False)

    def evaluate(
        self,
        chunk: pa.Table,
        *,
        lines: npt.NDArray[np.int64],
        file_name: str,
        columns: Columns | None = None,
    ) -> ExprResult:
        """The value on each row of ``chunk`` (source columns by name; ``_line`` from ``lines``).

        ``columns``, when given, returns a column of ``chunk`` (by its name in ``chunk``) as
        the expression reads it: one array, dictionaries decoded, text trimmed with empty
        text as missing. Callers evaluating several expressions on one chunk pass it to
        prepare each column once.
        """
        ctx = _Context(chunk, lines=lines, file_name=file_name, text=self.text, columns=columns)
        value = self._node(ctx)
        return ExprResult(_materialise(value, ctx.size), tuple(ctx.issues))


# -- kinds and coercions ---------------------------------------------------------------------


def _kind(value: _Val) -> str:
    kind = value.data.type
    if value.days:
        return "days"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "number"
    for name, test in (
        ("bool", pa.types.is_boolean),
        ("date", pa.types.is_date),
        ("timestamp", pa.types.is_timestamp),
        ("null", pa.types.is_null),
    ):
        if test(kind):
            return name
    return "other"


def _is_int(data: Any) -> bool:
    return bool(pa.types.is_integer(data.type))


def _broadcast(mask: Mask, size: int) -> Mask:
    return mask if len(mask) == size else np.full(size, bool(mask[0]) if len(mask) else False)


def _parse(ctx: _Context, value: _Val, parser: Callable[[pa.Array], Converted]) -> Any:
    """Run a column parser over an array or a scalar, recording its failures as issues."""
    data = value.data
    array = data if isinstance(data, pa.Array) else pa.array([data.as_py()], data.type)
    converted = parser(array)
    for reason, mask in converted.failures:
        raw = as_text(array) if isinstance(data, pa.Array) else None
        ctx.issue(_broadcast(mask, ctx.size), reason, source=value.column, values=raw)
    return converted.values if isinstance(data, pa.Array) else converted.values[0]


def _wrong_type(ctx: _Context, value: _Val, target: pa.DataType) -> Any:
    present = pc.is_valid(value.data)
    mask = (
        to_mask(present)
        if isinstance(value.data, pa.Array)
        else np.full(ctx.size, bool(present.as_py()))
    )
    ctx.issue(
        mask,
        WRONG_TYPE,
        source=value.column,
        values=as_text(value.data) if isinstance(value.data, pa.Array) else None,
    )
    return _null_like(value.data, target)


def _null_like(data: Any, target: pa.DataType) -> Any:
    if isinstance(data, pa.Array):
        return pa.nulls(len(data), target)
    return pa.scalar(None, target)


def _number(ctx: _Context, value: _Val) -> Any:
    kind = _kind(value)
    if kind == "number":
        return (
            pc.cast(value.data, pa.float64())
            if pa.types.is_decimal(value.data.type)
            else value.data
        )
    if kind in ("bool", "null"):
        return pc.cast(value.data, pa.int64())
    if kind == "text":
        return _parse(ctx, value, parse_numbers)
    return _wrong_type(ctx, value, pa.float64())


def _text(value: _Val) -> Any:
    return value.data if _kind(value) == "text" else pc.cast(value.data, pa.string())


def _boolean(ctx: _Context, value: _Val) -> Any:
    kind = _kind(value)
    if kind in ("bool", "null"):
        return pc.cast(value.data, pa.bool_())
    if kind == "number":
        return pc.not_equal(value.data, 0)
    if kind == "text":
        return _parse(ctx, value, parse_booleans)
    return _wrong_type(ctx, value, pa.bool_())


def _date(ctx: _Context, value: _Val) -> Any:
    kind = _kind(value)
    if kind in ("date", "timestamp", "null"):
        return pc.cast(value.data, pa.date32())
    if kind == "text":
        return _parse(ctx, value, parse_dates)
    return _wrong_type(ctx, value, pa.date32())


def _unify(ctx: _Context, values: Sequence[_Val]) -> list[Any]:
    """Bring values to one type: numbers, dates or booleans when text is mixed with them."""
    kinds = {_kind(v) for v in values} - {"null"}
    if kinds <= {"number", "bool"} and kinds != {"bool"}:
        floats = any(not _is_int(v.data) for v in values if _kind(v) == "number")
        target = pa.float64() if floats else pa.int64()
        return [pc.cast(_number(ctx, v), target) for v in values]
    for kind, convert in (("number", _number), ("date", _date), ("bool", _boolean)):
        if kinds == {kind, "text"} or kinds == {kind}:
            converted = [convert(ctx, v) for v in values]
            target = next(c.type for c in converted if not pa.types.is_null(c.type))
            return [pc.cast(c, target) for c in converted]
    if len(kinds) == 1:
        target = next(v.data.type for v in values if _kind(v) != "null")
        return [pc.cast(v.data, target) for v in values]
    return [_text(v) for v in values]


def _materialise(value: _Val, size: int) -> pa.Array:
    data = value.data
    if isinstance(data, pa.Array):
        return data
    if pa.types.is_null(data.type):
        return pa.nulls(size)
    return pa.repeat(data, size)


def _null_where(data: Any, mask: Any) -> Any:
    return pc.if_else(mask, pa.scalar(None, data.type), data)


# -- operators -------------------------------------------------------------------------------

_COMPARE = {
    ast.Eq: "equal",
    ast.NotEq: "not_equal",
    ast.Lt: "less",
    ast.LtE: "less_equal",
    ast.Gt: "greater",
    ast.GtE: "greater_equal",
}


def _nonzero(ctx: _Context, divisor: Any, dividend: Any) -> Any:
    zero = pc.and_(pc.equal(divisor, 0), pc.is_valid(dividend))
    mask = to_mask(zero) if isinstance(zero, pa.Array) else np.full(ctx.size, bool(zero.as_py()))
    ctx.issue(mask, DIVISION_BY_ZERO)
    return _null_where(divisor, pc.equal(divisor, 0))


def _arithmetic(ctx: _Context, op: ast.operator, left: _Val, right: _Val) -> _Val:
    if "days" in (_kind(left), _kind(right)) or {_kind(left), _kind(right)} & {"date", "timestamp"}:
        return _calendar(ctx, op, left, right)
    x, y = _number(ctx, left), _number(ctx, right)
    both_int = _is_int(x) and _is_int(y)
    if isinstance(op, ast.Add):
        return _Val(pc.add(x, y))
    if isinstance(op, ast.Sub):
        return _Val(pc.subtract(x, y))
    if isinstance(op, ast.Mult):
        return _Val(pc.multiply(x, y))
    quotient = pc.divide(pc.cast(x, pa.float64()), pc.cast(_nonzero(ctx, y, x), pa.float64()))
    if isinstance(op, ast.Div):
        return _Val(quotient)
    floor = pc.floor(quotient)
    if isinstance(op, ast.FloorDiv):
        return _Val(pc.cast(floor, pa.int64()) if both_int else floor)
    remainder = pc.subtract(x, pc.multiply(y, floor))  # Python's sign: that of the divisor
    return _Val(pc.cast(remainder, pa.int64()) if both_int else remainder)


def _day_count(data: Any) -> Any:
    return pc.cast(pc.cast(data, pa.int32()), pa.int64())


def _calendar(ctx: _Context, op: ast.operator, left: _Val, right: _Val) -> _Val:
    """Dates and day spans: date ± days(n) → date, date − date → days as a number."""
    kinds = (_kind(left), _kind(right))
    if kinds[0] == kinds[1] == "days" and isinstance(op, ast.Add | ast.Sub):
        combine = pc.add if isinstance(op, ast.Add) else pc.subtract
        return _Val(combine(left.data, right.data), days=True)
    if isinstance(op, ast.Add) and kinds[0] == "days":
        left, right, kinds = right, left, (kinds[1], kinds[0])
    if kinds[1] == "days" and isinstance(op, ast.Add | ast.Sub):
        combine = pc.add if isinstance(op, ast.Add) else pc.subtract
        if kinds[0] == "timestamp":
            micros = pc.multiply(right.data, 86_400_000_000)
            moved = combine(pc.cast(left.data, pa.int64()), micros)
            return _Val(pc.cast(moved, left.data.type))
        moved = combine(_day_count(_date(ctx, left)), right.data)
        return _Val(pc.cast(pc.cast(moved, pa.int32()), pa.date32()))
    if isinstance(op, ast.Sub) and "days" not in kinds:
        return _Val(pc.subtract(_day_count(_date(ctx, left)), _day_count(_date(ctx, right))))
    _wrong_type(ctx, left, pa.date32())
    return _Val(_null_like(left.data, pa.date32()))


def _compare(ctx: _Context, op: ast.cmpop, left: _Val, right: _Val) -> Any:
    x, y = _unify(ctx, [left, right])
    return getattr(pc, _COMPARE[type(op)])(x, y)


# -- functions -------------------------------------------------------------------------------

Impl = Callable[[_Context, list[Any]], _Val]


@dataclass(frozen=True)
class _Function:
    arity: tuple[int, int | None]  # least and most arguments (None: any number)
    impl: Impl
    literals: dict[int, type] = field(default_factory=dict)  # position → literal's type


def _text_fn(fn: Callable[..., Any], **options: Any) -> Impl:
    return lambda ctx, a: _Val(fn(_text(a[0]), **options))


def _pattern_fn(fn: Callable[..., Any]) -> Impl:
    return lambda ctx, a: _Val(fn(_text(a[0]), pattern=a[1]))


def _left(ctx: _Context, a: list[Any]) -> _Val:
    return _Val(pc.utf8_slice_codeunits(_text(a[0]), 0, max(a[1], 0)))


def _right(ctx: _Context, a: list[Any]) -> _Val:
    start, stop = (-a[1], None) if a[1] > 0 else (0, 0)
    return _Val(pc.utf8_slice_codeunits(_text(a[0]), start, stop))


def _concat(ctx: _Context, a: list[Any]) -> _Val:
    return _Val(pc.binary_join_element_wise(*[_text(v) for v in a], ""))


def _int(ctx: _Context, a: list[Any]) -> _Val:
    return _Val(pc.cast(pc.trunc(pc.cast(_number(ctx, a[0]), pa.float64())), pa.int64()))


def _round(ctx: _Context, a: list[Any]) -> _Val:
    digits = a[1] if len(a) > 1 else 0
    number = pc.cast(_number(ctx, a[0]), pa.float64())
    return _Val(pc.round(number, ndigits=digits, round_mode="half_towards_infinity"))


def _checked_math(fn: Callable[[Any], Any]) -> Impl:
    """``fn`` with a result that is not a finite number (log of 0, exp overflow) made null."""

    def apply(ctx: _Context, a: list[Any]) -> _Val:
        result = fn(pc.cast(_number(ctx, a[0]), pa.float64()))
        outside = pc.invert(pc.is_finite(result))
        mask = (
            to_mask(outside)
            if isinstance(outside, pa.Array)
            else np.full(ctx.size, bool(outside.as_py()))
        )
        ctx.issue(mask, MATH_DOMAIN)
        return _Val(_null_where(result, outside))

    return apply


def _extreme(fn: Callable[..., Any]) -> Impl:
    """min/max of numbers (text read as numbers), or of dates when any argument is a date."""

    def apply(ctx: _Context, a: list[Any]) -> _Val:
        if any(_kind(v) in ("date", "timestamp") for v in a):
            return _Val(fn(*_unify(ctx, a), skip_nulls=False))
        return _Val(fn(*_unify(ctx, [_Val(_number(ctx, v)) for v in a]), skip_nulls=False))

    return apply


def _choose(ctx: _Context, a: list[Any]) -> _Val:
    index = pc.cast(pc.trunc(pc.cast(_number(ctx, a[0]), pa.float64())), pa.int64())
    choices = _unify(ctx, a[1:])
    inside = pc.and_(pc.greater_equal(index, 1), pc.less_equal(index, len(choices)))
    outside = pc.invert(inside)
    mask = (
        to_mask(outside)
        if isinstance(outside, pa.Array)
        else np.full(ctx.size, bool(outside.as_py()))
    )
    ctx.issue(mask, CHOICE_OUT_OF_RANGE, source=a[0].column)
    zero_based = _null_where(pc.subtract(index, 1), outside)
    arrays = [_materialise(_Val(c), ctx.size) for c in choices]
    return _Val(pc.choose(_materialise(_Val(zero_based), ctx.size), *arrays))


def _if(ctx: _Context, a: list[Any]) -> _Val:
    then, otherwise = _unify(ctx, a[1:])
    return _Val(pc.if_else(_boolean(ctx, a[0]), then, otherwise))


def _days(ctx: _Context, a: list[Any]) -> _Val:
    number = pc.cast(_number(ctx, a[0]), pa.float64())
    return _Val(pc.cast(pc.round(number), pa.int64()), days=True)


FUNCTIONS: dict[str, _Function] = {
    "startswith": _Function((2, 2), _pattern_fn(pc.starts_with), {1: str}),
    "endswith": _Function((2, 2), _pattern_fn(pc.ends_with), {1: str}),
    "contains": _Function((2, 2), _pattern_fn(pc.match_substring), {1: str}),
    "upper": _Function((1, 1), _text_fn(pc.utf8_upper)),
    "lower": _Function((1, 1), _text_fn(pc.utf8_lower)),
    "strip": _Function((1, 1), _text_fn(pc.utf8_trim_whitespace)),
    "len": _Function((1, 1), lambda ctx, a: _Val(pc.cast(pc.utf8_length(_text(a[0])), pa.int64()))),
    "replace": _Function(
        (3, 3),
        lambda ctx, a: _Val(pc.replace_substring(_text(a[0]), pattern=a[1], replacement=a[2])),
        {1: str, 2: str},
    ),
    "left": _Function((2, 2), _left, {1: int}),
    "right": _Function((2, 2), _right, {1: int}),
    "concat": _Function((1, None), _concat),
    "num": _Function((1, 1), lambda ctx, a: _Val(_number(ctx, a[0]))),
    "int": _Function((1, 1), _int),
    "str": _Function((1, 1), lambda ctx, a: _Val(_text(a[0]))),
    "abs": _Function((1, 1), lambda ctx, a: _Val(pc.abs(_number(ctx, a[0])))),
    "round": _Function((1, 2), _round, {1: int}),
    "exp": _Function((1, 1), _checked_math(pc.exp)),
    "log": _Function((1, 1), _checked_math(pc.ln)),
    "min": _Function((2, None), _extreme(pc.min_element_wise)),
    "max": _Function((2, None), _extreme(pc.max_element_wise)),
    "coalesce": _Function((1, None), lambda ctx, a: _Val(pc.coalesce(*_unify(ctx, a)))),
    "is_null": _Function((1, 1), lambda ctx, a: _Val(pc.is_null(a[0].data))),
    "choose": _Function((2, None), _choose),
    "if_": _Function((3, 3), _if),
    "date": _Function((1, 1), lambda ctx, a: _Val(_date(ctx, a[0]))),
    "days": _Function((1, 1), _days),
}


# -- compiler --------------------------------------------------------------------------------


class _Compiler:
    def __init__(self, text: str, *, file: str, line: int) -> None:
        self.text, self.file, self.line = text, file, line
        self.columns: set[str] = set()

    def fail(self, key: str, detail: str = "", **params: Any) -> MappingError:
        return MappingError(
            detail,
            key=f"ingest.mapping.{key}",
            file=self.file,
            line=self.line,
            expression=self.text,
            **params,
        )

    def compile(self, node: ast.AST) -> Node:
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            construct = ast.get_source_segment(self.text, node) or type(node).__name__
            raise self.fail("expr_not_allowed", construct=construct)
        result: Node = handler(node)
        return result

    def _Constant(self, node: ast.Constant) -> Node:
        value = node.value
        if value is not None and not isinstance(value, str | int | float | bool):
            raise self.fail("expr_not_allowed", construct=repr(value))
        scalar = pa.scalar(value)
        return lambda ctx: _Val(scalar)

    def _Name(self, node: ast.Name) -> Node:
        if node.id == "_line":
            return lambda ctx: _Val(pa.array(ctx.lines, pa.int64()))
        if node.id == "_file":
            return lambda ctx: _Val(pa.scalar(ctx.file_name, pa.string()))
        return self._column(node.id)

    def _column(self, name: str) -> Node:
        self.columns.add(name)
        return lambda ctx: ctx.column(name)

    def _BinOp(self, node: ast.BinOp) -> Node:
        if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.FloorDiv | ast.Mod):
            raise self.fail("expr_not_allowed", construct=type(node.op).__name__)
        left, right, op = self.compile(node.left), self.compile(node.right), node.op
        return lambda ctx: _arithmetic(ctx, op, left(ctx), right(ctx))

    def _UnaryOp(self, node: ast.UnaryOp) -> Node:
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda ctx: _Val(pc.invert(_boolean(ctx, operand(ctx))))
        if isinstance(node.op, ast.USub):
            return lambda ctx: _Val(pc.negate(_number(ctx, operand(ctx))))
        if isinstance(node.op, ast.UAdd):
            return lambda ctx: _Val(_number(ctx, operand(ctx)))
        raise self.fail("expr_not_allowed", construct=type(node.op).__name__)

    def _BoolOp(self, node: ast.BoolOp) -> Node:
        parts = [self.compile(v) for v in node.values]
        combine = pc.and_kleene if isinstance(node.op, ast.And) else pc.or_kleene

        def evaluate(ctx: _Context) -> _Val:
            result = _boolean(ctx, parts[0](ctx))
            for part in parts[1:]:
                result = combine(result, _boolean(ctx, part(ctx)))
            return _Val(result)

        return evaluate

    def _IfExp(self, node: ast.IfExp) -> Node:
        test, body, orelse = (self.compile(n) for n in (node.test, node.body, node.orelse))
        return lambda ctx: _if(ctx, [test(ctx), body(ctx), orelse(ctx)])

    def _Compare(self, node: ast.Compare) -> Node:
        operands = [node.left, *node.comparators]
        pairs = [
            self._comparison(op, a, b)
            for op, a, b in zip(node.ops, operands, operands[1:], strict=False)
        ]

        def evaluate(ctx: _Context) -> _Val:
            result = pairs[0](ctx)
            for pair in pairs[1:]:
                result = pc.and_kleene(result, pair(ctx))
            return _Val(result)

        return evaluate

    def _comparison(
        self, op: ast.cmpop, left: ast.expr, right: ast.expr
    ) -> Callable[[_Context], Any]:
        if isinstance(op, ast.In | ast.NotIn):
            return self._membership(op, left, right)
        none_side = [n for n in (left, right) if isinstance(n, ast.Constant) and n.value is None]
        if none_side and isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot):
            other = self.compile(right if none_side[0] is left else left)
            test = pc.is_null if isinstance(op, ast.Eq | ast.Is) else pc.is_valid
            return lambda ctx: test(other(ctx).data)
        if type(op) not in _COMPARE:
            raise self.fail("expr_not_allowed", construct=type(op).__name__)
        a, b = self.compile(left), self.compile(right)
        return lambda ctx: _compare(ctx, op, a(ctx), b(ctx))

    def _membership(
        self, op: ast.cmpop, left: ast.expr, right: ast.expr
    ) -> Callable[[_Context], Any]:
        if not isinstance(right, ast.Tuple | ast.List | ast.Set) or not all(
            isinstance(e, ast.Constant) for e in right.elts
        ):
            raise self.fail(
                "expr_not_allowed", construct=ast.get_source_segment(self.text, right) or "in"
            )
        options = [e.value for e in right.elts if isinstance(e, ast.Constant)]
        value = self.compile(left)
        negate = isinstance(op, ast.NotIn)

        def evaluate(ctx: _Context) -> Any:
            current = value(ctx)
            choices = _Val(pa.array(options))
            data, allowed = _unify(ctx, [current, choices])
            found = pc.is_in(data, value_set=allowed)
            found = _null_where(found, pc.is_null(data))
            return pc.invert(found) if negate else found

        return evaluate

    def _Call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise self.fail(
                "expr_not_allowed", construct=ast.get_source_segment(self.text, node) or "call"
            )
        name, args = node.func.id, node.args
        if name == "col":
            return self._column(self._literal("col", 0, args, str, arity=(1, 1)))
        function = FUNCTIONS.get(name)
        if function is None:
            raise self._unknown_function(name)
        self._check_arity(name, function.arity, len(args))
        if name == "date" and isinstance(args[0], ast.Constant):
            return self._date_literal(args[0])
        parts: list[Any] = [
            ("literal", self._literal(name, i, args, function.literals[i]))
            if i in function.literals
            else self.compile(arg)
            for i, arg in enumerate(args)
        ]
        impl = function.impl
        return lambda ctx: impl(ctx, [p[1] if isinstance(p, tuple) else p(ctx) for p in parts])

    def _check_arity(self, name: str, arity: tuple[int, int | None], count: int) -> None:
        least, most = arity
        if count < least or (most is not None and count > most):
            expected = (
                str(least)
                if least == most
                else (f"{least}–{most}" if most is not None else f"≥ {least}")
            )
            raise self.fail("expr_arguments", function=name, expected=expected, count=count)

    def _literal(
        self,
        name: str,
        position: int,
        args: list[ast.expr],
        kind: type,
        *,
        arity: tuple[int, int | None] | None = None,
    ) -> Any:
        if arity is not None:
            self._check_arity(name, arity, len(args))
        node = args[position]
        value: Any = None
        if isinstance(node, ast.Constant):
            value = node.value
        elif (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int)
        ):
            value = -node.operand.value
        if not isinstance(value, kind) or isinstance(value, bool):
            which = "expr_literal_text" if kind is str else "expr_literal_int"
            raise self.fail(which, function=name, position=position + 1)
        return value

    def _date_literal(self, node: ast.Constant) -> Node:
        try:
            day = dt.date.fromisoformat(str(node.value))
        except ValueError:
            raise self.fail("expr_bad_date", value=repr(node.value)) from None
        scalar = pa.scalar(day, pa.date32())
        return lambda ctx: _Val(scalar)

    def _unknown_function(self, name: str) -> MappingError:
        known = sorted([*FUNCTIONS, "col"])
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            return self.fail("expr_unknown_function", function=name, suggestion=close[0])
        return self.fail("expr_unknown_function_no_match", function=name, known=", ".join(known))


def compile_expression(text: str, *, file: str = "<expression>", line: int = 0) -> Expr:
    """Parse and check ``text`` once; a :class:`MappingError` names the problem, file and line.

    ``file`` and ``line`` say where the expression is written, for the messages only.
    """
    source = text.strip()
    compiler = _Compiler(source, file=file, line=line)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise compiler.fail("expr_syntax", detail=exc.msg) from None
    node = compiler.compile(tree.body)
    return Expr(source, frozenset(compiler.columns), node)
