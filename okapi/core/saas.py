"""SaaS metrics from a billing export (FORMATS §6), computed in DuckDB.

The engine never expands subscriptions into months. A customer's MRR only changes in the month
a subscription starts or stops covering a month end, so each subscription becomes at most two
change events (+MRR in the month of `start_date`, −MRR in the month of `end_date`). Per customer,
running sums over those events give the MRR before and after each change, which is all the
movements need. The 12-month cohorts use the same events shifted by twelve months: a second
running sum gives each customer's MRR at the end of M−12 next to its MRR at the end of M.

Conventions this module decides (FORMATS §6 leaves them open):

- Amounts and quantities are decimals (quantities need not be whole), read to six decimal
  places (more are rounded half away from zero) and at most 12 digits before the point; all
  sums are exact (DuckDB DECIMAL, in units of 12 × MRR so that quarterly and annual plans stay
  exact).
  Every money figure is rounded once, to cents, with ROUND_HALF_EVEN (banker's rounding); so
  `net_new_mrr` is the rounded exact change, which may differ by a cent from the sum of the
  rounded movements or the difference of the rounded MRRs.
- Rates and ratios are computed from the exact figures and rounded half-even to six decimals.
  `cac_payback_months` and `ltv_cac` are ratios; `cac` and `ltv` are money.
- Without a spend file the four spend fields are absent from each month; with one, a month the
  spend file does not list has them all `null`.
- `end_date` equal to `start_date` is a subscription that never bills (not an error); a
  subscription that starts and ends inside one month never covers a month end and so never
  counts. Amount 0 and quantity 0 are allowed and count as MRR 0.
- Extra columns are ignored; interval and currency are case-insensitive (`Month`, `usd`).
- The spend file may have no rows; a month listed twice there is refused.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from pathlib import Path
from typing import Any

import duckdb

__all__ = [
    "OUTPUT_FIELDS",
    "SPEND_FIELDS",
    "SUBSCRIPTION_COLUMNS",
    "SPEND_COLUMNS",
    "MonthValue",
    "SaasInputError",
    "SaasReport",
    "SpendMonth",
    "compute_saas_metrics",
    "parse_month",
    "read_spend",
]

SUBSCRIPTION_COLUMNS = (
    "subscription_id",
    "customer_id",
    "start_date",
    "end_date",
    "interval",
    "amount",
    "quantity",
    "currency",
)
SPEND_COLUMNS = ("month", "sales_marketing_spend", "gross_margin")

OUTPUT_FIELDS = (
    "month",
    "mrr",
    "arr",
    "customers",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "net_new_mrr",
    "new_customers",
    "churned_customers",
    "reactivated_customers",
    "mrr_growth_rate",
    "logo_churn_rate",
    "gross_mrr_churn_rate",
    "nrr_monthly",
    "grr_monthly",
    "nrr_12m",
    "grr_12m",
    "arpa",
    "quick_ratio",
)
SPEND_FIELDS = ("cac", "cac_payback_months", "ltv", "ltv_cac")

MonthValue = str | int | float | Decimal | None

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")
_MONTH_RE = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_EXACT = Context(prec=60)


class SaasInputError(ValueError):
    """Input the engine refuses: the message names the file, the line and the reason."""

    def __init__(
        self, reason: str, *, path: str | os.PathLike[str] | None = None, line: int | None = None
    ) -> None:
        self.reason = reason
        self.path = None if path is None else str(path)
        self.line = line
        where = [part for part in (self.path, None if line is None else f"line {line}") if part]
        super().__init__(": ".join([*where, reason]) if where else reason)


@dataclass(frozen=True)
class SpendMonth:
    sales_marketing_spend: Decimal
    gross_margin: Decimal


@dataclass(frozen=True)
class SaasReport:
    """`months` holds one dict per month with OUTPUT_FIELDS (and SPEND_FIELDS with spend), in
    order: money as Decimal rounded to cents, rates as float, counts as int, None for null."""

    currency: str
    months: list[dict[str, MonthValue]]

    def to_json(self) -> dict[str, Any]:
        """The FORMATS §6 document: money becomes a JSON number (float of the cents value)."""
        return {
            "currency": self.currency,
            "months": [
                {
                    key: float(value) if isinstance(value, Decimal) else value
                    for key, value in month.items()
                }
                for month in self.months
            ],
        }


def parse_month(text: str) -> int:
    """'YYYY-MM' -> month index (year × 12 + month − 1); ValueError otherwise."""
    match = _MONTH_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a month (YYYY-MM)")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def _month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# --------------------------------------------------------------------------------------------
# Reading files


def _check_text_file(path: Path) -> None:
    """Refuse a missing, empty or non-UTF-8 file, naming the first bad line."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise SaasInputError("no such file", path=path) from None
    except OSError as exc:
        raise SaasInputError(f"cannot read the file ({exc.strerror})", path=path) from None
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    has_text = False
    with handle:
        while True:
            chunk = handle.read(1 << 20)
            held = decoder.getstate()[0]  # the start of a character cut by the last chunk
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                line = newlines + (held + chunk)[: exc.start].count(b"\n") + 1
                raise SaasInputError("the file is not UTF-8 text", path=path, line=line) from None
            if not has_text and text.replace("\ufeff", "").strip():
                has_text = True
            if not chunk:
                break
            newlines += chunk.count(b"\n")
    if not has_text:
        raise SaasInputError("empty file", path=path)


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of each non-blank CSV record, header included."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            for row in reader:
                if not row:
                    continue  # a blank line; DuckDB skips those too
                yield reader.line_num - sum(field.count("\n") for field in row), row
        except csv.Error as exc:
            raise SaasInputError(
                f"not valid CSV ({exc})", path=path, line=reader.line_num
            ) from None


def _header(path: Path, required: Sequence[str]) -> tuple[list[str], dict[str, int]]:
    first = next(_records(path), None)
    if first is None:
        raise SaasInputError("empty file", path=path)
    names = [name.strip() for name in first[1]]
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in positions and name in required:
            raise SaasInputError(f"column {name!r} appears twice", path=path, line=first[0])
        positions.setdefault(name, position)
    missing = [name for name in required if name not in positions]
    if missing:
        listed = ", ".join(repr(name) for name in missing)
        raise SaasInputError(
            f"missing column{'s' if len(missing) > 1 else ''} {listed} "
            f"(the header must name {', '.join(required)})",
            path=path,
            line=first[0],
        )
    return names, positions


def _locate_csv_problem(path: Path, width: int) -> SaasInputError | None:
    """Called only when DuckDB cannot parse the file: find the first malformed record."""
    for line, row in _records(path):
        if len(row) != width:
            return SaasInputError(
                f"expected {width} fields like the header, found {len(row)}", path=path, line=line
            )
    return None


def _record_lines(path: Path, records: set[int]) -> dict[int, int]:
    """Line numbers of data records, by 0-based record index (the error path only)."""
    found: dict[int, int] = {}
    records_iter = _records(path)
    next(records_iter, None)  # the header
    for index, (line, _row) in enumerate(records_iter):
        if index in records:
            found[index] = line
            if len(found) == len(records):
                break
    return found


def _number(text: str) -> Decimal | None:
    text = text.strip()
    return Decimal(text) if _NUMBER_RE.fullmatch(text) else None


def read_spend(path: str | os.PathLike[str]) -> dict[int, SpendMonth]:
    """The spend table (one small row per month) by month index, validated."""
    spend_path = Path(path)
    _check_text_file(spend_path)
    names, positions = _header(spend_path, SPEND_COLUMNS)
    months: dict[int, SpendMonth] = {}
    first_line: dict[int, int] = {}
    records = _records(spend_path)
    next(records, None)
    for line, row in records:

        def fail(reason: str, line: int = line) -> SaasInputError:
            return SaasInputError(reason, path=spend_path, line=line)

        if len(row) != len(names):
            raise fail(f"expected {len(names)} fields like the header, found {len(row)}")
        month_text = row[positions["month"]].strip()
        spend_text = row[positions["sales_marketing_spend"]].strip()
        margin_text = row[positions["gross_margin"]].strip()
        try:
            month = parse_month(month_text)
        except ValueError:
            raise fail(
                f"month {month_text!r} is not a month (YYYY-MM)" if month_text else "month is empty"
            ) from None
        if month in first_line:
            raise fail(f"duplicate month {month_text} (first on line {first_line[month]})")
        spend = _number(spend_text)
        if not spend_text:
            raise fail("sales_marketing_spend is empty")
        if spend is None:
            raise fail(f"sales_marketing_spend {spend_text!r} is not a number")
        if spend < 0:
            raise fail(f"sales_marketing_spend {spend_text} is negative")
        margin = _number(margin_text)
        if not margin_text:
            raise fail("gross_margin is empty")
        if margin is None:
            raise fail(f"gross_margin {margin_text!r} is not a number")
        if not 0 < margin <= 1:
            raise fail(f"gross_margin {margin_text} is outside (0, 1] (a fraction, 0.8 for 80%)")
        first_line[month] = line
        months[month] = SpendMonth(spend, margin)
    return months


# --------------------------------------------------------------------------------------------
# Subscriptions: load and validate in DuckDB

# Each check is (SQL condition over the prepared rows, message template over the raw values of
# the row). The first failing check of the first failing row is reported.
_CHECKS: tuple[tuple[str, str], ...] = (
    ("subscription_id IS NULL", "subscription_id is empty"),
    ("customer_id IS NULL", "customer_id is empty"),
    ("start_s IS NULL", "start_date is empty"),
    ("start_d IS NULL", "start_date {start_s!r} is not a date (YYYY-MM-DD)"),
    ("end_s IS NOT NULL AND end_d IS NULL", "end_date {end_s!r} is not a date (YYYY-MM-DD)"),
    ("end_d < start_d", "end_date {end_s} is before start_date {start_s}"),
    ("interval_s IS NULL", "interval is empty"),
    ("factor IS NULL", "unknown interval {interval_s!r} (expected month, quarter or year)"),
    ("amount_s IS NULL", "amount is empty"),
    ("amount IS NULL AND isfinite(TRY_CAST(amount_s AS DOUBLE))", "amount {amount_s} is too large"),
    ("amount IS NULL", "amount {amount_s!r} is not a number"),
    ("amount < 0", "amount {amount_s} is negative"),
    (
        "quantity_s IS NOT NULL AND quantity IS NULL AND isfinite(TRY_CAST(quantity_s AS DOUBLE))",
        "quantity {quantity_s} is too large",
    ),
    ("quantity_s IS NOT NULL AND quantity IS NULL", "quantity {quantity_s!r} is not a number"),
    ("quantity < 0", "quantity {quantity_s} is negative"),
    ("currency IS NULL", "currency is empty"),
    (
        "NOT regexp_full_match(currency, '[A-Z]{3}')",
        "currency {currency_s!r} is not a three-letter ISO code",
    ),
    (
        "currency <> $first_currency",
        "mixed currencies: {currency} here, {first_currency} on line {first_line}",
    ),
)
_RAW = (
    "subscription_id",
    "customer_id",
    "start_s",
    "end_s",
    "interval_s",
    "amount_s",
    "quantity_s",
    "currency_s",
    "currency",
)
# Amounts and quantities: up to 12 digits before the point, 6 after.
_NUMERIC = "DECIMAL(18,6)"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _prepared_sql(path: Path, width: int, positions: dict[str, int]) -> str:
    """The CSV as raw trimmed text (NULL when empty) next to the typed values."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"

    def raw(name: str) -> str:
        return f"NULLIF(trim(c{positions[name]}), '')"

    def date(name: str) -> str:
        return (
            f"CASE WHEN regexp_full_match({name}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') "
            f"THEN TRY_CAST({name} AS DATE) END"
        )

    return f"""
        SELECT *,
            {date("start_s")} AS start_d,
            {date("end_s")} AS end_d,
            CASE lower(interval_s) WHEN 'month' THEN 12 WHEN 'quarter' THEN 4
                WHEN 'year' THEN 1 END AS factor,
            TRY_CAST(amount_s AS {_NUMERIC}) AS amount,
            TRY_CAST(quantity_s AS {_NUMERIC}) AS quantity,
            upper(currency_s) AS currency
        FROM (
            SELECT {raw("subscription_id")} AS subscription_id,
                {raw("customer_id")} AS customer_id,
                {raw("start_date")} AS start_s, {raw("end_date")} AS end_s,
                {raw("interval")} AS interval_s, {raw("amount")} AS amount_s,
                {raw("quantity")} AS quantity_s, {raw("currency")} AS currency_s
            FROM read_csv({_sql_string(str(path))}, header = true, auto_detect = false,
                delim = ',', quote = '"', escape = '"', compression = 'none',
                columns = {columns})
        )
    """


def _duckdb_path(path: Path, temp_dir: str) -> Path:
    """An absolute path DuckDB reads literally: it expands glob characters in file names."""
    absolute = path.resolve()
    if not any(char in str(absolute) for char in "*?[]{}"):
        return absolute
    link = Path(temp_dir) / "subscriptions.csv"
    try:
        link.symlink_to(absolute)
    except OSError:
        shutil.copyfile(absolute, link)
    return link


def _load_subscriptions(con: duckdb.DuckDBPyConnection, path: Path, temp_dir: str) -> None:
    """Read the CSV into the table `subs` (typed), refusing the first contradictory row.

    One pass parses every row and flags it when any check fails; only when a row is flagged is
    the file read again, as text, to say which check failed on which line.
    """
    names, positions = _header(path, SUBSCRIPTION_COLUMNS)
    records = _records(path)
    next(records, None)
    first = next(records, None)
    if first is None:
        raise SaasInputError("no subscriptions after the header", path=path, line=2)
    first_line, first_row = first
    position = positions["currency"]
    first_currency = first_row[position].strip().upper() if position < len(first_row) else ""
    checks = [
        condition.replace("$first_currency", _sql_string(first_currency))
        for condition, _ in _CHECKS
    ]
    prepared = _prepared_sql(_duckdb_path(path, temp_dir), len(names), positions)
    try:
        con.execute(
            f"""
            CREATE TEMP TABLE subs AS
            SELECT subscription_id, customer_id, start_d, end_d, factor, amount, quantity,
                currency, coalesce({" OR ".join(f"({check})" for check in checks)}, false) AS bad
            FROM ({prepared})
            """
        )
    except duckdb.Error as exc:
        problem = _locate_csv_problem(path, len(names))
        if problem is not None:
            raise problem from None
        message = str(exc).strip().splitlines()[0]
        raise SaasInputError(f"cannot read the CSV ({message})", path=path) from None

    summary = con.execute(
        """
        SELECT min(rowid) FILTER (WHERE bad),
            count(subscription_id) - count(DISTINCT subscription_id)
        FROM subs
        """
    ).fetchone()
    assert summary is not None
    bad_row, duplicates = summary
    duplicate_row = first_of_pair = None
    if duplicates:
        found = con.execute(
            """
            SELECT rowid, first_row FROM (
                SELECT rowid, min(rowid) OVER (PARTITION BY subscription_id) AS first_row
                FROM subs
                WHERE subscription_id IN (
                    SELECT subscription_id FROM subs GROUP BY ALL HAVING count(*) > 1)
            )
            WHERE rowid <> first_row ORDER BY rowid LIMIT 1
            """
        ).fetchone()
        assert found is not None
        duplicate_row, first_of_pair = found
    if bad_row is not None and (duplicate_row is None or bad_row <= duplicate_row):
        con.execute(f"CREATE TEMP TABLE raw AS {prepared}")
        which = " ".join(f"WHEN {check} THEN {i}" for i, check in enumerate(checks))
        row = con.execute(
            f"SELECT CASE {which} END, {', '.join(_RAW)} FROM raw WHERE rowid = $row",
            {"row": bad_row},
        ).fetchone()
        assert row is not None
        values = dict(zip(_RAW, row[1:], strict=True))
        reason = _CHECKS[row[0]][1].format(
            **values, first_currency=first_currency, first_line=first_line
        )
        line = _record_lines(path, {bad_row}).get(bad_row, bad_row + 2)
        raise SaasInputError(reason, path=path, line=line)
    if duplicate_row is not None and first_of_pair is not None:
        lines = _record_lines(path, {duplicate_row, first_of_pair})
        sid = con.execute(
            "SELECT subscription_id FROM subs WHERE rowid = $row", {"row": duplicate_row}
        ).fetchone()
        assert sid is not None
        raise SaasInputError(
            f"duplicate subscription_id {sid[0]!r} (first on line "
            f"{lines.get(first_of_pair, first_of_pair + 2)})",
            path=path,
            line=lines.get(duplicate_row, duplicate_row + 2),
        )


# --------------------------------------------------------------------------------------------
# Subscriptions: the metrics

# Month index of a date: year × 12 + month − 1. A subscription covers the month ends of the
# month indexes [month(start), month(end)): start ≤ last day of its own month always, and the
# last day of month m is before `end` exactly when m < month(end).
_MONTH_OF = "(year({0}) * 12 + month({0}) - 1)"

# Per customer and month: the net change of 12 × MRR (exact, in DECIMAL(38,12)).
_CHANGES_SQL = f"""
CREATE TEMP TABLE changes AS
WITH s AS (
    SELECT customer_id AS c,
        {_MONTH_OF.format("start_d")} AS k0,
        {_MONTH_OF.format("end_d")} AS k1,
        CAST(amount AS DECIMAL(38,6)) * coalesce(quantity, 1) * factor AS v
    FROM subs
)
SELECT c, k, sum(d) AS d
FROM (
    SELECT c, k0 AS k, v AS d FROM s WHERE v > 0 AND (k1 IS NULL OR k1 > k0)
    UNION ALL
    SELECT c, k1 AS k, -v AS d FROM s WHERE v > 0 AND k1 > k0
)
GROUP BY c, k
HAVING sum(d) <> 0
"""

# Per month t, from the change events (kind 0: the MRR change at t) and the same events twelve
# months later (kind 1: the change of the MRR the customer had at t − 12). Ordered by (t, kind)
# the running sums y (MRR now) and x (MRR twelve months earlier) step through valid states, so
# each row's contribution to the cohort sums is "state after − state before" and the per-month
# sums of those deltas telescope. A customer's first row is its first change (kind-1 rows come
# twelve months after a change), which takes it from 0 to > 0: a new customer; any later change
# from 0 (y = d) is a reactivation.
_MONTHLY_SQL = """
WITH events AS (
    SELECT c, k AS t, 0 AS kind, d, CAST(0 AS DECIMAL(38,12)) AS dx FROM changes
    WHERE k <= $last
    UNION ALL
    SELECT c, k + 12 AS t, 1 AS kind, CAST(0 AS DECIMAL(38,12)) AS d, d AS dx FROM changes
    WHERE k + 12 <= $last
),
running AS (
    SELECT t, kind, d, dx,
        sum(d) OVER w AS y,
        sum(dx) OVER w AS x,
        row_number() OVER w AS nth
    FROM events
    WINDOW w AS (PARTITION BY c ORDER BY t, kind ROWS UNBOUNDED PRECEDING)
)
SELECT t,
    sum(d) AS delta,
    coalesce(sum(d) FILTER (WHERE kind = 0 AND y = d AND nth = 1), 0) AS new_v,
    count(*) FILTER (WHERE kind = 0 AND y = d AND nth = 1) AS new_n,
    coalesce(sum(d) FILTER (WHERE kind = 0 AND y = d AND nth > 1), 0) AS reactivation_v,
    count(*) FILTER (WHERE kind = 0 AND y = d AND nth > 1) AS reactivation_n,
    coalesce(sum(d) FILTER (WHERE kind = 0 AND d > 0 AND y > d), 0) AS expansion_v,
    coalesce(-sum(d) FILTER (WHERE kind = 0 AND d < 0 AND y > 0), 0) AS contraction_v,
    coalesce(-sum(d) FILTER (WHERE kind = 0 AND d < 0 AND y = 0), 0) AS churned_v,
    count(*) FILTER (WHERE kind = 0 AND d < 0 AND y = 0) AS churned_n,
    sum(CASE WHEN x > 0 THEN x ELSE 0 END
        - CASE WHEN x - dx > 0 THEN x - dx ELSE 0 END) AS cohort_then,
    sum(CASE WHEN x > 0 THEN y ELSE 0 END
        - CASE WHEN x - dx > 0 THEN y - d ELSE 0 END) AS cohort_now,
    sum(CASE WHEN x > 0 THEN least(x, y) ELSE 0 END
        - CASE WHEN x - dx > 0 THEN least(x - dx, y - d) ELSE 0 END) AS cohort_kept
FROM running
GROUP BY t
"""

_MONTHLY_COLUMNS = (
    "delta",
    "new_v",
    "new_n",
    "reactivation_v",
    "reactivation_n",
    "expansion_v",
    "contraction_v",
    "churned_v",
    "churned_n",
    "cohort_then",
    "cohort_now",
    "cohort_kept",
)


def _connect(threads: int | None, temp_dir: str) -> duckdb.DuckDBPyConnection:
    count = threads or min(os.cpu_count() or 1, 8)
    return duckdb.connect(":memory:", config={"threads": count, "temp_directory": temp_dir})


def compute_saas_metrics(
    subscriptions_csv: str | os.PathLike[str],
    spend_csv: str | os.PathLike[str] | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
    *,
    threads: int | None = None,
) -> SaasReport:
    """The FORMATS §6 metrics of a subscriptions export, one dict per printed month.

    Raises SaasInputError (naming file, line and reason) for contradictory input.
    `threads` defaults to the number of CPUs, at most 8.
    """
    try:
        first_printed = None if month_from is None else parse_month(month_from)
    except ValueError as exc:
        raise SaasInputError(f"--from {exc}") from None
    try:
        last_printed = None if month_to is None else parse_month(month_to)
    except ValueError as exc:
        raise SaasInputError(f"--to {exc}") from None
    if first_printed is not None and last_printed is not None and first_printed > last_printed:
        raise SaasInputError(f"--from {month_from} is after --to {month_to}")

    path = Path(subscriptions_csv)
    spend = None if spend_csv is None else read_spend(spend_csv)
    _check_text_file(path)
    with tempfile.TemporaryDirectory(prefix="okapi-saas-") as temp_dir:
        con = _connect(threads, temp_dir)
        try:
            _load_subscriptions(con, path, temp_dir)
            currency, first_month, last_month = _span(con)
            first = first_month if first_printed is None else first_printed
            last = last_month if last_printed is None else last_printed
            con.execute("SET preserve_insertion_order = false")
            con.execute(_CHANGES_SQL)
            con.execute("DROP TABLE subs")
            rows = con.execute(_MONTHLY_SQL, {"last": last}).fetchall()
        finally:
            con.close()
    monthly = {row[0]: dict(zip(_MONTHLY_COLUMNS, row[1:], strict=True)) for row in rows}
    months = _finish(monthly, min(first, first_month), first, last, spend)
    return SaasReport(currency=currency, months=months)


def _span(con: duckdb.DuckDBPyConnection) -> tuple[str, int, int]:
    row = con.execute(
        f"""
        SELECT any_value(currency), min({_MONTH_OF.format("start_d")}),
            greatest(max({_MONTH_OF.format("start_d")}), max({_MONTH_OF.format("end_d")}))
        FROM subs
        """
    ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1]), int(row[2])


# --------------------------------------------------------------------------------------------
# From per-month sums (in units of 12 × MRR) to the published figures


def _money(arr_units: Decimal) -> Decimal:
    """12 × MRR units -> MRR rounded to cents."""
    return _cents(arr_units / 12)


def _cents(value: Decimal) -> Decimal:
    rounded = value.quantize(CENT, rounding=ROUND_HALF_EVEN)
    return rounded if rounded else CENT * 0  # no "-0.00"


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if not denominator else numerator / denominator


def _rate(value: Decimal | None) -> float | None:
    if value is None:
        return None
    rounded = value.quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
    return float(rounded) if rounded else 0.0


def _finish(
    monthly: dict[int, dict[str, Any]],
    start: int,
    first: int,
    last: int,
    spend: dict[int, SpendMonth] | None,
) -> list[dict[str, MonthValue]]:
    zero = Decimal(0)
    empty: dict[str, Any] = dict.fromkeys(_MONTHLY_COLUMNS, zero)
    mrr_units = cohort_then = cohort_now = cohort_kept = zero
    customers_count = 0
    out: list[dict[str, MonthValue]] = []
    with localcontext(_EXACT):
        for month in range(start, last + 1):
            m = monthly.get(month, empty)
            before, customers_before = mrr_units, customers_count
            mrr_units += m["delta"]
            customers_count += int(m["new_n"]) + int(m["reactivation_n"]) - int(m["churned_n"])
            cohort_then += m["cohort_then"]
            cohort_now += m["cohort_now"]
            cohort_kept += m["cohort_kept"]
            if month < first:
                continue
            new, expansion = m["new_v"], m["expansion_v"]
            contraction, churned = m["contraction_v"], m["churned_v"]
            reactivation = m["reactivation_v"]
            lost = contraction + churned
            arpa = _ratio(mrr_units / 12, Decimal(customers_count))
            logo_churn = _ratio(Decimal(int(m["churned_n"])), Decimal(customers_before))
            row: dict[str, MonthValue] = {
                "month": _month_text(month),
                "mrr": _money(mrr_units),
                "arr": _cents(mrr_units),
                "customers": customers_count,
                "new_mrr": _money(new),
                "expansion_mrr": _money(expansion),
                "contraction_mrr": _money(contraction),
                "churned_mrr": _money(churned),
                "reactivation_mrr": _money(reactivation),
                "net_new_mrr": _money(mrr_units - before),
                "new_customers": int(m["new_n"]),
                "churned_customers": int(m["churned_n"]),
                "reactivated_customers": int(m["reactivation_n"]),
                "mrr_growth_rate": _rate(_ratio(mrr_units - before, before)),
                "logo_churn_rate": _rate(logo_churn),
                "gross_mrr_churn_rate": _rate(_ratio(lost, before)),
                "nrr_monthly": _rate(_ratio(before + expansion - lost, before)),
                "grr_monthly": _rate(_ratio(before - lost, before)),
                "nrr_12m": _rate(_ratio(cohort_now, cohort_then)),
                "grr_12m": _rate(_ratio(cohort_kept, cohort_then)),
                "arpa": None if arpa is None else _cents(arpa),
                "quick_ratio": _rate(_ratio(new + expansion + reactivation, lost)),
            }
            if spend is not None:
                row.update(
                    _spend_fields(spend.get(month), int(m["new_n"]), new / 12, arpa, logo_churn)
                )
            out.append(row)
    return out


def _spend_fields(
    spend: SpendMonth | None,
    new_customers: int,
    new_mrr: Decimal,
    arpa: Decimal | None,
    logo_churn: Decimal | None,
) -> dict[str, MonthValue]:
    if spend is None:
        return dict.fromkeys(SPEND_FIELDS)
    margin = spend.gross_margin
    cac = _ratio(spend.sales_marketing_spend, Decimal(new_customers))
    payback = None
    if cac is not None:
        payback = _ratio(cac, new_mrr / new_customers * margin)
    ltv = None if arpa is None or logo_churn is None else _ratio(arpa * margin, logo_churn)
    ltv_cac = None if ltv is None or cac is None else _ratio(ltv, cac)
    return {
        "cac": None if cac is None else _cents(cac),
        "cac_payback_months": _rate(payback),
        "ltv": None if ltv is None else _cents(ltv),
        "ltv_cac": _rate(ltv_cac),
    }
