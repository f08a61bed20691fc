"""Formulas over KPIs (PRODUCT §6): `ltv / cac`, `(mrr - churned_mrr) / mrr * 100`.

A small recursive-descent parser, never `eval`: the text becomes a tree of the node types below
and nothing else, so a formula can only do arithmetic on KPI values.

Grammar, loosest binding first (Python's precedence, so `-2 ** 2` is −4 and `2 ** -1` is 0.5):

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := atom ("**" unary)?                 right-associative: 2 ** 3 ** 2 = 2 ** 9
    atom       := NUMBER | NAME | "[" KEY "]" | FUNCTION "(" expression ("," expression)* ")"
                | "(" expression ")"

A NAME is a KPI key made of letters, digits and `_` (not starting with a digit). Any other KPI
key (with `-` or `.`, or starting with a digit) is written in brackets: `[nrr-12m] / 100`.
FUNCTION is one of `min`, `max` (one or more arguments), `abs` (one) and `round` (one, or two:
the number of decimal places, 0–12). A name followed by `(` is a function call; otherwise even
`min` is a KPI key.

Evaluation is in Decimal. Anything without a number as its answer — a division by zero, a
negative number to a fractional power, an overflow — gives no value (None), never an error:
that time point is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import TypeVar

__all__ = [
    "FUNCTIONS",
    "MAX_LENGTH",
    "Binary",
    "Call",
    "Expr",
    "FormulaError",
    "Name",
    "Number",
    "Unary",
    "dependency_cycle",
    "evaluate",
    "evaluate_series",
    "names",
    "parse",
    "to_text",
]

MAX_LENGTH = 1000  # characters of formula text
MAX_DEPTH = 40  # nesting of parentheses, unary signs, powers and calls
MAX_ROUND_PLACES = 12
FUNCTIONS = {"min": (1, None), "max": (1, None), "abs": (1, 1), "round": (1, 2)}
_CONTEXT = Context(
    prec=50, Emax=999_999, Emin=-999_999, traps=[InvalidOperation, DivisionByZero, Overflow]
)

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<key>\[[^\]]*\]?)
  | (?P<op>\*\*|[-+*/(),])
    """,
    re.VERBOSE,
)
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FormulaError(ValueError):
    """A formula that does not parse: `position` is the 0-based offset of the problem."""

    def __init__(self, reason: str, position: int) -> None:
        self.reason = reason
        self.position = position
        super().__init__(f"column {position + 1}: {reason}")


@dataclass(frozen=True)
class Number:
    value: Decimal


@dataclass(frozen=True)
class Name:
    key: str


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "/", "**"
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Expr, ...]


Expr = Number | Name | Unary | Binary | Call


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "key", "op", "end"
    text: str
    position: int


def _describe(token: _Token) -> str:
    return "the end of the formula" if token.kind == "end" else f"'{token.text}'"


def _tokens(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            hint = " (use ** for powers)" if char == "^" else ""
            raise FormulaError(f"unexpected character {char!r}{hint}", position)
        kind = match.lastgroup or ""
        if kind == "key":
            key = match.group()[1:]
            if not key.endswith("]"):
                raise FormulaError("'[' without a closing ']'", position)
            if not _KEY.fullmatch(key[:-1]):
                raise FormulaError(
                    f"'{key[:-1]}' is not a KPI key (letters, digits, '-', '_', '.')", position
                )
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *ops: str) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def expect(self, op: str, why: str) -> None:
        if not self.at(op):
            raise FormulaError(
                f"expected '{op}' {why}, found {_describe(self.token)}", self.token.position
            )
        self.take()

    def nested(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"nested more than {MAX_DEPTH} levels deep", position)

    def expression(self) -> Expr:
        left = self.term()
        while self.at("+", "-"):
            op = self.take().text
            left = Binary(op, left, self.term())
        return left

    def term(self) -> Expr:
        left = self.unary()
        while self.at("*", "/"):
            op = self.take().text
            left = Binary(op, left, self.unary())
        return left

    def unary(self) -> Expr:
        if self.at("-", "+"):
            token = self.take()
            self.nested(token.position)
            operand = self.unary()
            self.depth -= 1
            return Unary(token.text, operand)
        return self.power()

    def power(self) -> Expr:
        base = self.atom()
        if self.at("**"):
            token = self.take()
            self.nested(token.position)
            exponent = self.unary()
            self.depth -= 1
            return Binary("**", base, exponent)
        return base

    def atom(self) -> Expr:
        token = self.token
        if token.kind == "number":
            self.take()
            if self.token.kind in ("name", "number"):
                raise FormulaError(
                    f"unexpected {_describe(self.token)} after the number {token.text} "
                    "(write keys with '-' or '.', or starting with a digit, in brackets: "
                    "[nrr-12m])",
                    self.token.position,
                )
            return Number(Decimal(token.text))
        if token.kind == "key":
            self.take()
            return Name(token.text[1:-1])
        if token.kind == "name":
            self.take()
            if self.at("("):
                return self.call(token)
            return Name(token.text)
        if self.at("("):
            self.take()
            self.nested(token.position)
            inner = self.expression()
            self.depth -= 1
            self.expect(")", f"to close the '(' at column {token.position + 1}")
            return inner
        raise FormulaError(
            f"expected a number, a KPI key or '(', found {_describe(token)}", token.position
        )

    def call(self, name: _Token) -> Expr:
        function = name.text.lower()
        if function not in FUNCTIONS:
            raise FormulaError(
                f"unknown function '{name.text}' (use {', '.join(sorted(FUNCTIONS))})",
                name.position,
            )
        self.take()  # "("
        self.nested(name.position)
        args = [self.expression()]
        while self.at(","):
            self.take()
            args.append(self.expression())
        self.depth -= 1
        self.expect(")", f"to close the call of {function}()")
        low, high = FUNCTIONS[function]
        if len(args) < low or (high is not None and len(args) > high):
            wanted = str(low) if low == high else f"{low} or {high}" if high else f"{low} or more"
            raise FormulaError(
                f"{function}() takes {wanted} argument{'s' if wanted != '1' else ''}, "
                f"got {len(args)}",
                name.position,
            )
        return Call(function, tuple(args))


def parse(text: str) -> Expr:
    """The formula's tree; FormulaError names the column and the reason."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        raise FormulaError("the formula is empty", 0)
    parser = _Parser(text)
    expr = parser.expression()
    if parser.token.kind != "end":
        token = parser.token
        reason = f"unexpected {_describe(token)}"
        if token.text == ")":
            reason = "')' without a matching '('"
        elif token.kind in ("name", "key", "number") or token.text == "(":
            reason += " (an operator is missing before it)"
        raise FormulaError(reason, token.position)
    return expr


def names(expr: Expr) -> set[str]:
    """The KPI keys the formula reads."""
    found: set[str] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found.add(node.key)
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.extend((node.left, node.right))
        elif isinstance(node, Call):
            stack.extend(node.args)
    return found


_BINDING = {"+": 1, "-": 1, "*": 2, "/": 2, "u": 3, "**": 4}


def to_text(expr: Expr) -> str:
    """Formula text that parses back to the same tree (with only the parentheses it needs)."""
    return _text(expr)


def _text(expr: Expr) -> str:
    if isinstance(expr, Number):
        return _number_text(expr.value)
    if isinstance(expr, Name):
        return expr.key if _BARE.fullmatch(expr.key) else f"[{expr.key}]"
    if isinstance(expr, Call):
        return f"{expr.function}({', '.join(_text(arg) for arg in expr.args)})"
    if isinstance(expr, Unary):
        operand = _text(expr.operand)
        if isinstance(expr.operand, Binary) and _BINDING[expr.operand.op] < _BINDING["u"]:
            operand = f"({operand})"
        return f"{expr.op}{operand}"
    binding = _BINDING[expr.op]
    left, right = _text(expr.left), _text(expr.right)
    if expr.op == "**":
        # The base must be an atom; the exponent may be a unary or another power.
        if not isinstance(expr.left, Number | Name | Call) or _negative_literal(expr.left):
            left = f"({left})"
        if isinstance(expr.right, Binary) and expr.right.op != "**":
            right = f"({right})"
        return f"{left} ** {right}"
    if _needs_parentheses(expr.left, binding, right_side=False):
        left = f"({left})"
    if _needs_parentheses(expr.right, binding, right_side=True):
        right = f"({right})"
    return f"{left} {expr.op} {right}"


def _negative_literal(expr: Expr) -> bool:
    return isinstance(expr, Number) and expr.value.is_signed()


def _needs_parentheses(side: Expr, binding: int, *, right_side: bool) -> bool:
    if isinstance(side, Binary):
        inner = _BINDING[side.op]
        return inner < binding or (right_side and inner == binding)
    return False


def _number_text(value: Decimal) -> str:
    if value.is_signed():
        return f"({value})"
    text = str(value)
    # Decimal writes small exponents as "1E+2"; the parser reads "1E+2" as well.
    return text


def evaluate(expr: Expr, values: Mapping[str, Decimal]) -> Decimal | None:
    """The formula's value, or None when it has none (a missing input, a division by zero,
    an overflow or any other arithmetic without an answer)."""
    with localcontext(_CONTEXT):
        try:
            result = _evaluate(expr, values)
        except (DecimalException, ValueError, _NoValue):
            return None
    if result is None or not result.is_finite():
        return None
    return result


class _NoValue(Exception):
    """Raised inside evaluation: the formula has no value for these inputs."""


def _evaluate(expr: Expr, values: Mapping[str, Decimal]) -> Decimal:
    if isinstance(expr, Number):
        return expr.value
    if isinstance(expr, Name):
        value = values.get(expr.key)
        if value is None or not value.is_finite():
            raise _NoValue
        return value
    if isinstance(expr, Unary):
        operand = _evaluate(expr.operand, values)
        return operand.copy_negate() if expr.op == "-" else operand
    if isinstance(expr, Call):
        args = [_evaluate(arg, values) for arg in expr.args]
        return _CALLS[expr.function](args)
    left = _evaluate(expr.left, values)
    right = _evaluate(expr.right, values)
    if expr.op == "+":
        return left + right
    if expr.op == "-":
        return left - right
    if expr.op == "*":
        return left * right
    if expr.op == "/":
        if right.is_zero():
            raise _NoValue
        return left / right
    if left.is_zero() and (right.is_signed() and not right.is_zero()):
        raise _NoValue  # 0 ** -1
    return left**right


def _round(args: list[Decimal]) -> Decimal:
    places = args[1] if len(args) > 1 else Decimal(0)
    if places != places.to_integral_value() or not 0 <= places <= MAX_ROUND_PLACES:
        raise _NoValue
    return args[0].quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_EVEN)


_CALLS: dict[str, Callable[[list[Decimal]], Decimal]] = {
    "min": min,
    "max": max,
    "abs": lambda args: abs(args[0]),
    "round": _round,
}

T = TypeVar("T")


def evaluate_series(expr: Expr, series: Mapping[str, Mapping[T, Decimal]]) -> dict[T, Decimal]:
    """The formula at every time point where every input has a measurement (the intersection
    of the inputs' times; a formula without inputs has no time points). A point where the
    formula has no value (e.g. a division by zero) is left out."""
    keys = names(expr)
    if not keys or any(key not in series for key in keys):
        return {}
    ordered = sorted(keys, key=lambda key: len(series[key]))
    times = set(series[ordered[0]])
    for key in ordered[1:]:
        times &= set(series[key])
    out: dict[T, Decimal] = {}
    for time in times:
        value = evaluate(expr, {key: series[key][time] for key in keys})
        if value is not None:
            out[time] = value
    return out


def dependency_cycle(graph: Mapping[str, Iterable[str]], start: str) -> list[str] | None:
    """A path start → … → start through `graph` (a formula's key → the keys it reads), or None.

    The path names each key once, then start again: ["a", "b", "a"]."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None
