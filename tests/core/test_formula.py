"""The formula parser (okapi/core/formula.py): values, errors with their column, and properties
on arbitrary text and random trees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okapi.core.formula import (
    MAX_LENGTH,
    Binary,
    Call,
    FormulaError,
    Name,
    Number,
    Unary,
    dependency_cycle,
    evaluate,
    evaluate_series,
    names,
    parse,
    to_text,
)

VALUES = {
    "ltv": Decimal(9000),
    "cac": Decimal(3000),
    "mrr": Decimal(1000),
    "churned_mrr": Decimal(50),
    "nrr-12m": Decimal("112.5"),
    "zero": Decimal(0),
    "min": Decimal(7),
}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ltv / cac", "3"),
        ("(mrr - churned_mrr) / mrr * 100", "95"),
        ("[nrr-12m] / 100", "1.125"),
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),
        ("2 * 3 / 4", "1.5"),
        ("-2 ** 2", "-4"),
        ("(-2) ** 2", "4"),
        ("2 ** -1", "0.5"),
        ("2 ** 3 ** 2", "512"),
        ("--3", "3"),
        ("+3", "3"),
        ("1e3 + .5", "1000.5"),
        ("1.5E-1", "0.15"),
        ("min(ltv, cac, 5000)", "3000"),
        ("MAX(1, 2)", "2"),
        ("abs(churned_mrr - mrr)", "950"),
        ("round(ltv / 7)", "1286"),
        ("round(ltv / 7, 2)", "1285.71"),
        ("round(2.5)", "2"),  # half to even
        ("min * 2", "14"),  # a KPI key that is also a function name
        ("  ltv\t/\ncac  ", "3"),
    ],
)
def test_it_evaluates(text: str, value: str) -> None:
    assert evaluate(parse(text), VALUES) == Decimal(value)


@pytest.mark.parametrize(
    "text",
    [
        "ltv / zero",  # division by zero
        "ltv / (cac - cac)",
        "(-8) ** 0.5",  # no real answer
        "0 ** -1",
        "0 ** 0",
        "9 ** 9 ** 9 ** 9",  # overflow
        "unknown + 1",  # an input without a value
        "round(ltv, 0.5)",
        "round(ltv, 13)",
    ],
)
def test_it_has_no_value_instead_of_failing(text: str) -> None:
    assert evaluate(parse(text), VALUES) is None


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("", 1, "the formula is empty"),
        ("   ", 1, "the formula is empty"),
        ("ltv +", 6, "expected a number, a KPI key or '(', found the end of the formula"),
        ("ltv / / cac", 7, "expected a number, a KPI key or '(', found '/'"),
        ("(ltv / cac", 11, "expected ')' to close the '(' at column 1"),
        ("ltv / cac)", 10, "')' without a matching '('"),
        ("ltv cac", 5, "unexpected 'cac' (an operator is missing before it)"),
        ("2 ^ 3", 3, "unexpected character '^' (use ** for powers)"),
        ("ltv; drop", 4, "unexpected character ';'"),
        ("nrr-12m / 100", 7, "unexpected 'm' after the number 12"),
        ("[nrr-12m / 100", 1, "'[' without a closing ']'"),
        ("[] + 1", 1, "'' is not a KPI key"),
        ("__import__(os)", 1, "unknown function '__import__'"),
        ("__import__('os')", 12, 'unexpected character "\'"'),
        ("round(1, 2, 3)", 1, "round() takes 1 or 2 arguments, got 3"),
        ("abs()", 5, "expected a number, a KPI key or '(', found ')'"),
        ("abs(1, 2)", 1, "abs() takes 1 argument, got 2"),
        ("'a'", 1, 'unexpected character "\'"'),
        ("(" * 41 + "1" + ")" * 41, 41, "nested more than 40 levels deep"),
        ("-" * 41 + "1", 41, "nested more than 40 levels deep"),
        ("x" * (MAX_LENGTH + 1), MAX_LENGTH + 1, f"longer than {MAX_LENGTH} characters"),
    ],
)
def test_it_names_the_column_and_the_reason(text: str, column: int, reason: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(text)
    assert caught.value.position == column - 1
    assert str(caught.value).startswith(f"column {column}: {reason}")


def test_it_lists_the_keys_it_reads() -> None:
    assert names(parse("(mrr - churned_mrr) / mrr * max([nrr-12m], 1)")) == {
        "mrr",
        "churned_mrr",
        "nrr-12m",
    }
    assert names(parse("1 + 2")) == set()


def test_it_evaluates_a_series_where_every_input_has_a_value() -> None:
    jan, feb, mar = (dt.date(2027, m, 1) for m in (1, 2, 3))
    series = {
        "ltv": {jan: Decimal(300), feb: Decimal(400), mar: Decimal(500)},
        "cac": {jan: Decimal(100), feb: Decimal(0)},  # no March; February divides by zero
    }
    assert evaluate_series(parse("ltv / cac"), series) == {jan: Decimal(3)}
    assert evaluate_series(parse("ltv / unknown"), series) == {}
    assert evaluate_series(parse("42"), series) == {}


def test_it_finds_dependency_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c", "x"}, "c": {"a"}}
    assert dependency_cycle(graph, "a") == ["a", "b", "c", "a"]
    assert dependency_cycle({"a": {"a"}}, "a") == ["a", "a"]
    assert dependency_cycle({"a": {"b"}, "b": {"c"}}, "a") is None


# --------------------------------------------------------------------------- properties


@settings(max_examples=500)
@given(st.text(max_size=200))
def test_it_never_crashes_on_arbitrary_text(text: str) -> None:
    try:
        expr = parse(text)
    except FormulaError as exc:
        assert 0 <= exc.position <= len(text)
        return
    result = evaluate(expr, dict.fromkeys(names(expr), Decimal("1.5")))
    assert result is None or result.is_finite()


formula_alphabet = st.sampled_from(
    list("0123456789.eE+-*/() ,[]_") + ["**", "ltv", "cac", "min(", "round(", "[nrr-12m]"]
)


@settings(max_examples=500)
@given(st.lists(formula_alphabet, max_size=40).map("".join))
def test_it_never_crashes_on_formula_like_text(text: str) -> None:
    try:
        expr = parse(text)
    except FormulaError:
        return
    assert evaluate(expr, VALUES) is None or True
    assert parse(to_text(expr)) == expr


finite_decimals = st.decimals(allow_nan=False, allow_infinity=False, places=6).filter(
    lambda d: abs(d) < Decimal(10) ** 30
)


@given(finite_decimals)
def test_it_round_trips_numbers(number: Decimal) -> None:
    assert evaluate(parse(str(number)), {}) == number
    assert evaluate(parse(f"{number:f}"), {}) == number


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_it_round_trips_floats(number: float) -> None:
    assert evaluate(parse(repr(number)), {}) == Decimal(repr(number))


keys = st.sampled_from(["ltv", "cac", "nrr-12m", "min", "a.b", "9lives"])
leaves = st.one_of(
    st.builds(Name, keys),
    st.builds(Number, st.decimals(min_value=0, max_value=10**6, places=3)),
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(Unary, st.sampled_from(["-", "+"]), children),
        st.builds(Binary, st.sampled_from(["+", "-", "*", "/", "**"]), children, children),
        st.builds(
            Call,
            st.sampled_from(["min", "max"]),
            st.lists(children, min_size=1, max_size=3).map(tuple),
        ),
        st.builds(Call, st.just("abs"), st.tuples(children)),
    ),
    max_leaves=12,
)
values = st.dictionaries(
    keys, st.decimals(allow_nan=False, allow_infinity=False, places=4), max_size=6
)


@settings(max_examples=300)
@given(trees)
def test_text_of_a_tree_parses_back_to_the_same_tree(tree: object) -> None:
    text = to_text(tree)  # type: ignore[arg-type]
    assert parse(text) == tree, text


@settings(max_examples=300)
@given(trees, values)
def test_evaluation_never_raises(tree: object, inputs: dict[str, Decimal]) -> None:
    result = evaluate(tree, inputs)  # type: ignore[arg-type]
    assert result is None or result.is_finite()
