"""CAC, CAC payback, LTV and LTV:CAC from a sales-and-marketing spend table (FORMATS §6)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from okapi.core.saas import SPEND_FIELDS, compute_saas_metrics

HEADER = "subscription_id,customer_id,start_date,end_date,interval,amount,quantity,currency"
ROWS = (
    "s1,alice,2024-01-03,2024-02-10,month,100,,USD",
    "s2,bob,2024-01-20,,quarter,300,,USD",
    "s3,carol,2024-02-01,2024-03-05,month,25,2,USD",
)


def spend_metrics(tmp_path: Path, spend: str) -> dict[str, dict[str, object]]:
    subscriptions = tmp_path / "subscriptions.csv"
    subscriptions.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    spend_path = tmp_path / "spend.csv"
    spend_path.write_text("month,sales_marketing_spend,gross_margin\n" + spend, encoding="utf-8")
    report = compute_saas_metrics(subscriptions, spend_path, month_to="2024-04")
    return {str(month["month"]): {f: month[f] for f in SPEND_FIELDS} for month in report.months}


def test_it_divides_spend_by_new_customers_and_margin(tmp_path):
    months = spend_metrics(
        tmp_path, "2024-01,1000,0.8\n2024-02,600,0.5\n2024-04,300,1\n2023-12,5,0.5\n"
    )
    # January: two new customers for 1000 -> CAC 500; 100 new MRR each at 80% margin -> 6.25
    # months; no customers at the end of December, so no logo churn rate and no LTV
    assert months["2024-01"] == {
        "cac": Decimal("500.00"),
        "cac_payback_months": 6.25,
        "ltv": None,
        "ltv_cac": None,
    }
    # February: carol is new (50 MRR) for 600; alice churned, 1 of 2 -> 0.5; ARPA (100 + 50) / 2
    # = 75, LTV 75 × 0.5 / 0.5 = 75; payback 600 / (50 × 0.5) = 24
    assert months["2024-02"] == {
        "cac": Decimal("600.00"),
        "cac_payback_months": 24.0,
        "ltv": Decimal("75.00"),
        "ltv_cac": 0.125,
    }


def test_it_gives_null_for_a_month_the_spend_file_lacks(tmp_path):
    months = spend_metrics(tmp_path, "2024-01,1000,0.8\n")
    assert months["2024-03"] == dict.fromkeys(SPEND_FIELDS)


def test_it_gives_null_where_a_denominator_is_zero(tmp_path):
    # April: no new customer (no CAC) and no churn (no LTV)
    months = spend_metrics(tmp_path, "2024-04,300,1\n")
    assert months["2024-04"] == dict.fromkeys(SPEND_FIELDS)


def test_it_gives_a_zero_cac_and_no_ratio_for_zero_spend(tmp_path):
    months = spend_metrics(tmp_path, "2024-02,0,0.5\n")
    assert months["2024-02"] == {
        "cac": Decimal("0.00"),
        "cac_payback_months": 0.0,
        "ltv": Decimal("75.00"),
        "ltv_cac": None,
    }
