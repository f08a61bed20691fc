"""`okapi saas`: SaaS metrics from a billing export (FORMATS §6), without server or database."""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from okapi.commands import CommandError, UsageError, print_json

if TYPE_CHECKING:
    from okapi.core.saas import MonthValue, SaasReport

DESCRIPTION = """\
Computes MRR, ARR, MRR movements (new, expansion, contraction, churned, reactivation), logo
churn, net and gross revenue retention (monthly and 12-month), ARPA and quick ratio per month
from a subscriptions CSV; with --spend also CAC, CAC payback, LTV and LTV:CAC. Months are
measured at their last day. Without --json it prints a table (rates in %); --json prints the
FORMATS §6 document (rates as fractions)."""

# (title, field, kind) of the table columns; kind: money, count, rate or ratio.
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("month", "month", "text"),
    ("MRR", "mrr", "money"),
    ("customers", "customers", "count"),
    ("new", "new_mrr", "money"),
    ("expansion", "expansion_mrr", "money"),
    ("contraction", "contraction_mrr", "money"),
    ("churned", "churned_mrr", "money"),
    ("reactivation", "reactivation_mrr", "money"),
    ("net new", "net_new_mrr", "money"),
    ("growth", "mrr_growth_rate", "rate"),
    ("logo churn", "logo_churn_rate", "rate"),
    ("NRR", "nrr_monthly", "rate"),
    ("NRR 12m", "nrr_12m", "rate"),
    ("GRR 12m", "grr_12m", "rate"),
    ("ARPA", "arpa", "money"),
    ("quick", "quick_ratio", "ratio"),
)
_SPEND_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("CAC", "cac", "money"),
    ("payback mo", "cac_payback_months", "ratio"),
    ("LTV", "ltv", "money"),
    ("LTV:CAC", "ltv_cac", "ratio"),
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "saas",
        help="compute SaaS metrics (MRR, churn, NRR, CAC payback…) from a subscriptions CSV",
        description=DESCRIPTION,
    )
    parser.add_argument(
        "--subscriptions",
        required=True,
        metavar="FILE.csv",
        help="one row per subscription: subscription_id,customer_id,start_date,end_date,"
        "interval,amount,quantity,currency",
    )
    parser.add_argument(
        "--spend",
        metavar="FILE.csv",
        help="sales and marketing spend per month: month,sales_marketing_spend,gross_margin",
    )
    parser.add_argument("--from", dest="month_from", metavar="YYYY-MM", help="first month to print")
    parser.add_argument("--to", dest="month_to", metavar="YYYY-MM", help="last month to print")
    parser.add_argument("--json", action="store_true", help="print JSON (FORMATS §6)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import duckdb

    from okapi.core.saas import SaasInputError, compute_saas_metrics

    try:
        report = compute_saas_metrics(
            args.subscriptions, args.spend, args.month_from, args.month_to
        )
    except SaasInputError as exc:
        raise UsageError(str(exc)) from None
    except duckdb.Error as exc:
        raise CommandError(f"the SaaS metrics engine failed: {exc}") from None
    if args.json:
        print_json(report.to_json())
    else:
        print(format_table(report, with_spend=args.spend is not None))
    return 0


def format_table(report: SaasReport, *, with_spend: bool = False) -> str:
    """Months as rows, money in the report's currency, rates in percent, '-' for null."""
    columns = _COLUMNS + (_SPEND_COLUMNS if with_spend else ())
    if not report.months:
        return f"SaaS metrics ({report.currency}): no months in the range."
    first, last = report.months[0]["month"], report.months[-1]["month"]
    header = [title for title, _, _ in columns]
    body = [
        [_cell(month.get(field), kind) for _, field, kind in columns] for month in report.months
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(columns))]
    lines = [
        f"SaaS metrics in {report.currency}, {first} to {last} "
        "(money per month; rates in %; '-' where undefined)",
        "",
    ]
    for row in [header, *body]:
        cells = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _cell(value: MonthValue, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "money":
        return f"{Decimal(value):,.2f}"
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"
    if kind == "ratio":
        return f"{float(value):.2f}"
    if kind == "count":
        return f"{value:,}"
    return str(value)
