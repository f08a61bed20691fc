"""SaaS metrics (FORMATS §6) on small hand-computed exports."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from okapi.core.saas import OUTPUT_FIELDS, compute_saas_metrics

HEADER = "subscription_id,customer_id,start_date,end_date,interval,amount,quantity,currency"


def write_subscriptions(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "subscriptions.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def metrics(tmp_path: Path, *rows: str, **options: str) -> dict[str, dict[str, object]]:
    report = compute_saas_metrics(
        write_subscriptions(tmp_path, *rows),
        month_from=options.get("month_from"),
        month_to=options.get("month_to"),
    )
    return {str(month["month"]): month for month in report.months}


def pick(month: dict[str, object], *fields: str) -> tuple[object, ...]:
    return tuple(month[field] for field in fields)


def test_it_returns_the_currency_and_the_fields_in_the_documented_order(tmp_path):
    report = compute_saas_metrics(
        write_subscriptions(tmp_path, "s1,alice,2024-01-15,,month,100,,usd")
    )
    assert report.currency == "USD"
    assert [tuple(month) for month in report.months] == [OUTPUT_FIELDS]
    assert "cac" not in report.months[0]  # the spend fields only come with a spend file


def test_it_counts_everyone_as_new_in_the_first_month(tmp_path):
    months = metrics(
        tmp_path,
        "s1,alice,2024-01-15,,month,100,,USD",
        "s2,bob,2024-01-01,,month,50,2,USD",
    )
    assert months["2024-01"] == {
        "month": "2024-01",
        "mrr": Decimal("200.00"),
        "arr": Decimal("2400.00"),
        "customers": 2,
        "new_mrr": Decimal("200.00"),
        "expansion_mrr": Decimal("0.00"),
        "contraction_mrr": Decimal("0.00"),
        "churned_mrr": Decimal("0.00"),
        "reactivation_mrr": Decimal("0.00"),
        "net_new_mrr": Decimal("200.00"),
        "new_customers": 2,
        "churned_customers": 0,
        "reactivated_customers": 0,
        "mrr_growth_rate": None,
        "logo_churn_rate": None,
        "gross_mrr_churn_rate": None,
        "nrr_monthly": None,
        "grr_monthly": None,
        "nrr_12m": None,
        "grr_12m": None,
        "arpa": Decimal("100.00"),
        "quick_ratio": None,
    }


@pytest.mark.parametrize(
    ("row", "months_with_mrr"),
    [
        # active on day d iff start <= d < end; a month is measured at its last day
        ("s1,a,2024-01-15,2024-03-10,month,100,,USD", ["2024-01", "2024-02"]),
        ("s1,a,2024-01-31,2024-03-10,month,100,,USD", ["2024-01", "2024-02"]),
        ("s1,a,2024-01-01,2024-01-31,month,100,,USD", []),  # ends on Jan 31: not active then
        ("s1,a,2024-01-01,2024-02-01,month,100,,USD", ["2024-01"]),
        ("s1,a,2024-01-01,2024-02-29,month,100,,USD", ["2024-01"]),  # leap day is Feb's last
        ("s1,a,2024-01-01,2024-03-01,month,100,,USD", ["2024-01", "2024-02"]),
        ("s1,a,2024-02-10,2024-02-20,month,100,,USD", []),  # covers no month end at all
        ("s1,a,2024-02-10,2024-02-10,month,100,,USD", []),  # ends the day it starts
    ],
)
def test_it_measures_mid_month_starts_and_ends_at_the_month_end(tmp_path, row, months_with_mrr):
    months = metrics(tmp_path, row, "s2,z,2024-01-01,2024-04-01,month,1,,USD")
    assert [m for m, month in months.items() if month["mrr"] == Decimal("101.00")] == (
        months_with_mrr
    )


def test_it_runs_from_the_first_start_to_the_latest_date_in_the_file(tmp_path):
    months = metrics(
        tmp_path,
        "s1,a,2023-11-20,2024-03-05,month,10,,USD",
        "s2,b,2024-01-10,,month,10,,USD",
    )
    assert list(months) == ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03"]
    assert pick(months["2024-03"], "mrr", "churned_mrr", "churned_customers") == (
        Decimal("10.00"),
        Decimal("10.00"),
        1,
    )


@pytest.mark.parametrize(
    ("interval", "amount", "quantity", "mrr", "arr"),
    [
        ("month", "100", "", "100.00", "1200.00"),
        ("quarter", "300", "", "100.00", "1200.00"),
        ("year", "1200", "", "100.00", "1200.00"),
        ("year", "1000", "", "83.33", "1000.00"),  # 83.333…
        ("quarter", "100", "", "33.33", "400.00"),  # 33.333…
        ("quarter", "100", "3", "100.00", "1200.00"),
        ("month", "9.99", "7", "69.93", "839.16"),
        ("year", "0.30", "", "0.02", "0.30"),  # 0.025 rounds half to even
        ("year", "0.90", "", "0.08", "0.90"),  # 0.075 rounds half to even
        ("month", "49", "0", "0.00", "0.00"),
        ("Month", "49", "1", "49.00", "588.00"),
    ],
)
def test_it_spreads_quarterly_and_annual_plans_over_their_months(
    tmp_path, interval, amount, quantity, mrr, arr
):
    months = metrics(tmp_path, f"s1,a,2024-01-01,,{interval},{amount},{quantity},USD")
    assert pick(months["2024-01"], "mrr", "arr") == (Decimal(mrr), Decimal(arr))


def test_it_sums_exactly_before_rounding(tmp_path):
    # three quarterly plans of 100 are 33.333… each, 100.00 together
    months = metrics(
        tmp_path,
        "s1,a,2024-01-01,,quarter,100,,USD",
        "s2,b,2024-01-01,,quarter,100,,USD",
        "s3,c,2024-01-01,,quarter,100,,USD",
    )
    assert pick(months["2024-01"], "mrr", "new_mrr", "arpa") == (
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("33.33"),
    )


def test_it_counts_a_customer_with_several_subscriptions_once(tmp_path):
    months = metrics(
        tmp_path,
        "s1,a,2024-01-01,,month,100,,USD",
        "s2,a,2024-01-05,,month,20,3,USD",  # an add-on
        "s3,b,2024-01-01,,month,0,,USD",  # a free plan is not a paying customer
    )
    assert pick(months["2024-01"], "mrr", "customers", "new_customers", "arpa") == (
        Decimal("160.00"),
        1,
        1,
        Decimal("160.00"),
    )


def test_it_turns_seat_changes_into_expansion_and_contraction(tmp_path):
    months = metrics(
        tmp_path,
        "s1,a,2024-01-01,2024-03-01,month,10,5,USD",
        "s2,a,2024-03-01,2024-05-01,month,10,8,USD",
        "s3,a,2024-05-01,,month,10,2,USD",
        "s4,b,2024-01-01,,month,100,,USD",
    )
    fields = ("mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "new_mrr", "customers")
    assert pick(months["2024-02"], *fields) == (Decimal("150.00"), 0, 0, 0, 0, 2)
    assert pick(months["2024-03"], *fields) == (Decimal("180.00"), Decimal("30.00"), 0, 0, 0, 2)
    assert pick(months["2024-05"], *fields) == (Decimal("120.00"), 0, Decimal("60.00"), 0, 0, 2)
    assert months["2024-03"]["nrr_monthly"] == 1.2  # (150 + 30) / 150
    assert months["2024-05"]["grr_monthly"] == 0.666667  # (180 − 60) / 180
    assert months["2024-05"]["gross_mrr_churn_rate"] == 0.333333
    assert months["2024-03"]["quick_ratio"] is None  # nothing lost
    assert months["2024-05"]["quick_ratio"] == 0.0


@pytest.mark.parametrize(
    ("old_plan", "new_plan", "expansion", "contraction"),
    [
        ("month,50,", "year,1200,", "50.00", "0.00"),  # upgrade to annual
        ("year,1200,", "month,50,", "0.00", "50.00"),  # downgrade to monthly
        ("month,50,2", "quarter,150,2", "0.00", "0.00"),  # same MRR, other interval
    ],
)
def test_it_sees_a_plan_change_on_the_same_day_as_no_churn(
    tmp_path, old_plan, new_plan, expansion, contraction
):
    months = metrics(
        tmp_path,
        f"s1,a,2024-01-10,2024-03-15,{old_plan},USD",
        f"s2,a,2024-03-15,,{new_plan},USD",
    )
    march = months["2024-03"]
    assert pick(march, "expansion_mrr", "contraction_mrr") == (
        Decimal(expansion),
        Decimal(contraction),
    )
    assert pick(march, "churned_mrr", "new_mrr", "reactivation_mrr", "customers") == (0, 0, 0, 1)
    assert pick(march, "churned_customers", "new_customers", "reactivated_customers") == (0, 0, 0)


def test_it_sees_churn_an_empty_month_and_a_return(tmp_path):
    months = metrics(
        tmp_path,
        "s1,a,2024-01-01,2024-03-01,month,100,,USD",
        "s2,a,2024-05-10,,month,40,,USD",
    )
    fields = (
        "mrr",
        "customers",
        "churned_mrr",
        "churned_customers",
        "reactivation_mrr",
        "reactivated_customers",
        "new_customers",
        "net_new_mrr",
    )
    assert pick(months["2024-03"], *fields) == (
        0,
        0,
        Decimal("100.00"),
        1,
        0,
        0,
        0,
        Decimal("-100.00"),
    )
    assert pick(months["2024-04"], *fields) == (0, 0, 0, 0, 0, 0, 0, 0)
    assert pick(months["2024-05"], *fields) == (
        Decimal("40.00"),
        1,
        0,
        0,
        Decimal("40.00"),
        1,
        0,
        Decimal("40.00"),
    )
    rates = ("mrr_growth_rate", "logo_churn_rate", "nrr_monthly", "grr_monthly", "arpa")
    assert pick(months["2024-03"], *rates) == (-1.0, 1.0, 0.0, 0.0, None)
    assert pick(months["2024-04"], *rates) == (None, None, None, None, None)  # 0 / 0
    assert pick(months["2024-05"], *rates) == (None, None, None, None, Decimal("40.00"))
    assert months["2024-05"]["quick_ratio"] is None


def test_it_keeps_history_before_from_for_new_versus_reactivation(tmp_path):
    rows = (
        "s1,a,2023-01-01,2023-06-01,month,100,,USD",
        "s2,a,2024-03-01,,month,70,,USD",
        "s3,b,2023-12-01,,month,30,,USD",
        "s4,c,2024-03-20,,month,10,,USD",
        "s5,d,2024-06-01,,month,10,,USD",
    )
    months = metrics(tmp_path, *rows, month_from="2024-02", month_to="2024-04")
    assert list(months) == ["2024-02", "2024-03", "2024-04"]
    march = months["2024-03"]
    assert pick(march, "reactivation_mrr", "reactivated_customers", "new_mrr", "new_customers") == (
        Decimal("70.00"),
        1,
        Decimal("10.00"),
        1,
    )
    assert months["2024-02"]["mrr_growth_rate"] == 0.0  # January is history, not printed
    assert pick(months["2024-02"], "mrr", "customers") == (Decimal("30.00"), 1)


@pytest.mark.parametrize(
    ("month_from", "month_to", "printed"),
    [
        (None, None, ["2024-01", "2024-02", "2024-03"]),
        ("2024-02", None, ["2024-02", "2024-03"]),
        (None, "2024-02", ["2024-01", "2024-02"]),
        ("2023-11", "2023-12", ["2023-11", "2023-12"]),  # before the data: all zero
        ("2024-03", "2024-05", ["2024-03", "2024-04", "2024-05"]),  # after it: carried on
        ("2024-06", None, []),
    ],
)
def test_it_prints_only_the_months_asked_for(tmp_path, month_from, month_to, printed):
    months = metrics(
        tmp_path,
        "s1,a,2024-01-01,,month,100,,USD",
        "s2,b,2024-02-01,2024-03-01,month,100,,USD",
        month_from=month_from,
        month_to=month_to,
    )
    assert list(months) == printed
    if "2024-05" in months:
        assert pick(months["2024-05"], "mrr", "customers", "net_new_mrr") == (
            Decimal("100.00"),
            1,
            0,
        )
    if "2023-12" in months:
        assert pick(months["2023-12"], "mrr", "customers") == (0, 0)


TWELVE_MONTH_ROWS = (
    "a1,a,2023-01-01,2023-06-01,month,100,,USD",
    "a2,a,2023-06-01,,month,150,,USD",  # upgrade
    "b1,b,2023-01-15,2023-08-01,year,2400,,USD",
    "b2,b,2023-08-01,,month,50,,USD",  # downgrade
    "c1,c,2023-01-31,2023-05-01,quarter,300,,USD",  # churns in May 2023
    "d1,d,2023-04-01,,month,100,,USD",  # joins after January's cohort
    "e1,e,2023-01-01,2023-03-01,month,100,,USD",  # leaves, then comes back bigger
    "e2,e,2023-10-01,,month,300,,USD",
)


@pytest.mark.parametrize(
    ("month", "nrr_12m", "grr_12m"),
    [
        ("2023-12", None, None),  # no cohort at the end of 2022-12
        # cohort at 2023-01: a 100, b 200, c 100, e 100 = 500
        # at 2024-01: a 150, b 50, c 0, e 300 = 500; kept 100 + 50 + 0 + 100 = 250
        ("2024-01", 1.0, 0.5),
        # cohort at 2023-02: a 100, b 200, c 100, e 100 (ends Mar 1, so still there Feb 28)
        ("2024-02", 1.0, 0.5),
        # cohort at 2023-03: a 100, b 200, c 100 = 400; at 2024-03: 150 + 50 + 0 = 200
        ("2024-03", 0.5, 0.375),
        # cohort at 2023-04: a, b, c, d = 500; at 2024-04: 150 + 50 + 0 + 100 = 300; kept 250
        ("2024-04", 0.6, 0.5),
    ],
)
def test_it_follows_the_twelve_month_cohort(tmp_path, month, nrr_12m, grr_12m):
    months = metrics(tmp_path, *TWELVE_MONTH_ROWS, month_to="2024-04")
    assert pick(months[month], "nrr_12m", "grr_12m") == (nrr_12m, grr_12m)


def test_it_checks_the_twelve_month_fixture_by_its_mrr(tmp_path):
    months = metrics(tmp_path, *TWELVE_MONTH_ROWS, month_to="2024-04")
    assert [months[m]["mrr"] for m in ("2023-01", "2023-03", "2023-06", "2023-08", "2023-10")] == [
        Decimal(500),
        Decimal(400),
        Decimal(450),
        Decimal(300),
        Decimal(600),
    ]
    assert pick(months["2023-10"], "reactivated_customers", "reactivation_mrr") == (
        1,
        Decimal("300.00"),
    )


def test_it_does_not_import_django():
    code = "import sys, okapi.core.saas; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
