"""`okapi saas` through the command line entry point (FORMATS §1 and §6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from okapi.cli import main
from okapi.core.saas import OUTPUT_FIELDS, SPEND_FIELDS

HEADER = "subscription_id,customer_id,start_date,end_date,interval,amount,quantity,currency"
ROWS = (
    "s1,alice,2024-01-15,,month,100,,EUR",
    "s2,bob,2024-01-01,2024-03-10,quarter,300,2,EUR",
    "s3,carol,2024-02-01,,year,1200,,EUR",
)


@pytest.fixture
def subscriptions(tmp_path: Path) -> Path:
    path = tmp_path / "subscriptions.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


def test_it_prints_a_table_of_months_with_the_currency(subscriptions, capsys):
    assert main(["saas", "--subscriptions", str(subscriptions)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert "EUR" in lines[0]
    assert lines[2].split()[:3] == ["month", "MRR", "customers"]
    assert [line.split()[0] for line in lines[3:]] == ["2024-01", "2024-02", "2024-03"]
    assert lines[3].split()[1:3] == ["300.00", "2"]
    assert lines[5].split()[1:3] == ["200.00", "2"]
    assert err == ""


def test_it_prints_the_json_document_and_nothing_else(subscriptions, capsys):
    assert main(["saas", "--subscriptions", str(subscriptions), "--json"]) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["currency"] == "EUR"
    assert [tuple(month) for month in document["months"]] == [OUTPUT_FIELDS] * 3
    march = document["months"][2]
    assert (march["month"], march["mrr"], march["churned_mrr"], march["logo_churn_rate"]) == (
        "2024-03",
        200.0,
        200.0,
        0.333333,
    )
    assert march["grr_12m"] is None
    assert err == ""


def test_it_limits_the_months_and_adds_spend_fields(subscriptions, tmp_path, capsys):
    spend = tmp_path / "spend.csv"
    spend.write_text("month,sales_marketing_spend,gross_margin\n2024-02,900,0.75\n")
    argv = [
        "saas",
        "--subscriptions",
        str(subscriptions),
        "--spend",
        str(spend),
        "--from",
        "2024-02",
        "--to",
        "2024-02",
        "--json",
    ]
    assert main(argv) == 0
    (month,) = json.loads(capsys.readouterr().out)["months"]
    assert tuple(month) == OUTPUT_FIELDS + SPEND_FIELDS
    assert (month["month"], month["new_customers"], month["cac"]) == ("2024-02", 1, 900.0)
    assert month["cac_payback_months"] == 12.0  # 900 / (100 × 0.75)


def test_it_shows_spend_columns_in_the_table(subscriptions, tmp_path, capsys):
    spend = tmp_path / "spend.csv"
    spend.write_text("month,sales_marketing_spend,gross_margin\n2024-02,900,0.75\n")
    assert main(["saas", "--subscriptions", str(subscriptions), "--spend", str(spend)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split()[-5:] == ["CAC", "payback", "mo", "LTV", "LTV:CAC"]
    assert lines[4].split()[-4:] == ["900.00", "12.00", "-", "-"]  # February


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            f"{HEADER}\n{ROWS[0]}\ns2,bob,2024-01-01,,month,10,,USD\n",
            "line 3: mixed currencies: USD here, EUR on line 2",
        ),
        (
            f"{HEADER}\n{ROWS[0]}\n{ROWS[1]}\ns3,carol,2024-02-01,2024-01-01,month,1,,EUR\n",
            "line 4: end_date 2024-01-01 is before start_date 2024-02-01",
        ),
        (
            f"{HEADER}\n{ROWS[0]}\ns2,bob,2024-01-01,,fortnight,10,,EUR\n",
            "line 3: unknown interval 'fortnight'",
        ),
        (
            f"{HEADER}\n{ROWS[0]}\ns2,bob,2024-01-01,,month,ten,,EUR\n",
            "line 3: amount 'ten' is not a number",
        ),
        (
            f"{HEADER.replace(',currency', '')}\ns1,alice,2024-01-15,,month,100,\n",
            "line 1: missing column 'currency'",
        ),
        ("", "empty file"),
    ],
)
def test_it_exits_2_naming_the_line_and_the_reason(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    assert main(["saas", "--subscriptions", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"okapi: {path}: ")
    assert expected in err


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--from", "2024-1"], "--from '2024-1' is not a month (YYYY-MM)"),
        (["--to", "soon"], "--to 'soon' is not a month (YYYY-MM)"),
        (["--from", "2024-03", "--to", "2024-01"], "--from 2024-03 is after --to 2024-01"),
        (["--spend", "missing-spend.csv"], "missing-spend.csv: no such file"),
    ],
)
def test_it_exits_2_for_bad_options(subscriptions, capsys, extra, expected):
    assert main(["saas", "--subscriptions", str(subscriptions), *extra]) == 2
    assert capsys.readouterr().err == f"okapi: {expected}\n"


def test_it_exits_2_for_a_bad_spend_line(subscriptions, tmp_path, capsys):
    spend = tmp_path / "spend.csv"
    spend.write_text("month,sales_marketing_spend,gross_margin\n2024-02,900,75%\n")
    assert main(["saas", "--subscriptions", str(subscriptions), "--spend", str(spend)]) == 2
    assert capsys.readouterr().err == (
        f"okapi: {spend}: line 2: gross_margin '75%' is not a number\n"
    )


def test_it_requires_the_subscriptions_file(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["saas"])
    assert exit_.value.code == 2
    assert "--subscriptions" in capsys.readouterr().err
