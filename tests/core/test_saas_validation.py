"""Contradictory input is refused with the file, the line (header = 1) and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from okapi.core.saas import SaasInputError, compute_saas_metrics, read_spend

HEADER = "subscription_id,customer_id,start_date,end_date,interval,amount,quantity,currency"
GOOD = "s1,alice,2024-01-01,,month,100,,USD"


def refusal(path: Path, **options: object) -> SaasInputError:
    with pytest.raises(SaasInputError) as caught:
        compute_saas_metrics(path, **options)  # type: ignore[arg-type]
    return caught.value


def write(tmp_path: Path, text: str | bytes, name: str = "subscriptions.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("s2,bob,2024-01-01,,month,100,,EUR", "mixed currencies: EUR here, USD on line 2"),
        (
            "s2,bob,2024-03-01,2024-02-01,month,100,,USD",
            "end_date 2024-02-01 is before start_date 2024-03-01",
        ),
        (
            "s2,bob,2024-01-01,,week,100,,USD",
            "unknown interval 'week' (expected month, quarter or year)",
        ),
        ("s2,bob,2024-01-01,,,100,,USD", "interval is empty"),
        ('s2,bob,2024-01-01,,month,"12,50",,USD', "amount '12,50' is not a number"),
        ("s2,bob,2024-01-01,,month,$12,,USD", "amount '$12' is not a number"),
        ("s2,bob,2024-01-01,,month,NaN,,USD", "amount 'NaN' is not a number"),
        ("s2,bob,2024-01-01,,month,,,USD", "amount is empty"),
        ("s2,bob,2024-01-01,,month,1e15,,USD", "amount 1e15 is too large"),
        ("s2,bob,2024-01-01,,month,-5,,USD", "amount -5 is negative"),
        ("s2,bob,2024-01-01,,month,5,two,USD", "quantity 'two' is not a number"),
        ("s2,bob,2024-01-01,,month,5,-1,USD", "quantity -1 is negative"),
        ("s2,bob,2024-02-30,,month,5,,USD", "start_date '2024-02-30' is not a date (YYYY-MM-DD)"),
        ("s2,bob,2024/01/05,,month,5,,USD", "start_date '2024/01/05' is not a date (YYYY-MM-DD)"),
        ("s2,bob,2024-1-5,,month,5,,USD", "start_date '2024-1-5' is not a date (YYYY-MM-DD)"),
        ("s2,bob,,,month,5,,USD", "start_date is empty"),
        ("s2,bob,2024-01-01,soon,month,5,,USD", "end_date 'soon' is not a date (YYYY-MM-DD)"),
        ("s2,,2024-01-01,,month,5,,USD", "customer_id is empty"),
        (",bob,2024-01-01,,month,5,,USD", "subscription_id is empty"),
        ("s2,bob,2024-01-01,,month,5,,", "currency is empty"),
        ("s2,bob,2024-01-01,,month,5,,US Dollar", "currency 'US Dollar' is not a three-letter"),
        ("s1,bob,2024-01-01,,month,5,,USD", "duplicate subscription_id 's1' (first on line 2)"),
        ("s2,bob,2024-01-01,,month,5,USD", "expected 8 fields like the header, found 7"),
    ],
)
def test_it_refuses_a_bad_row_naming_file_line_and_reason(tmp_path, bad_row, reason):
    path = write(tmp_path, f"{HEADER}\n{GOOD}\n{bad_row}\ns9,zoe,2024-01-01,,month,1,,USD\n")
    error = refusal(path)
    assert (error.path, error.line) == (str(path), 3)
    assert reason in error.reason
    assert str(error).startswith(f"{path}: line 3: ")


def test_it_reports_the_first_bad_line_of_several(tmp_path):
    path = write(
        tmp_path,
        f"{HEADER}\n{GOOD}\ns2,b,2024-01-01,,month,1,,USD\ns3,c,2024-01-01,,week,1,,USD\n"
        "s2,d,2024-01-01,,month,1,,USD\ns5,e,2024-01-01,,month,-1,,USD\n",
    )
    assert refusal(path).line == 4


def test_it_reports_a_duplicate_before_a_later_bad_row(tmp_path):
    path = write(
        tmp_path,
        f"{HEADER}\n{GOOD}\ns2,b,2024-01-01,,month,1,,USD\ns2,c,2024-01-01,,month,1,,USD\n"
        "s5,e,2024-01-01,,month,-1,,USD\n",
    )
    error = refusal(path)
    assert (error.line, error.reason) == (4, "duplicate subscription_id 's2' (first on line 3)")


def test_it_counts_lines_across_blank_lines_and_quoted_newlines(tmp_path):
    path = write(
        tmp_path,
        f'{HEADER}\n{GOOD}\n\n"s2\nwith a newline",bob,2024-01-01,,month,1,,USD\n'
        "s3,carol,2024-01-01,,month,oops,,USD\n",
    )
    assert refusal(path).line == 6


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (
            "subscription_id,customer_id,start_date,end_date,interval,amount,quantity",
            "missing column 'currency'",
        ),
        (
            "id,customer,start_date,end_date,interval,amount,quantity,currency",
            "missing columns 'subscription_id', 'customer_id'",
        ),
        (HEADER + ",amount", "column 'amount' appears twice"),
    ],
)
def test_it_refuses_a_header_without_the_columns(tmp_path, header, reason):
    error = refusal(write(tmp_path, f"{header}\n{GOOD}\n"))
    assert error.line == 1
    assert reason in error.reason


def test_it_accepts_extra_columns_in_any_order_and_a_byte_order_mark(tmp_path):
    path = write(
        tmp_path,
        "\ufeffnote,currency,quantity,amount,interval,end_date,start_date,customer_id,"
        "subscription_id\nhello,USD,2,10,month,,2024-01-01,alice,s1\n",
    )
    assert compute_saas_metrics(path).months[0]["mrr"] == 20


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (b"", None, "empty file"),
        (b"  \n\n", None, "empty file"),
        (HEADER.encode() + b"\n", 2, "no subscriptions after the header"),
        (
            f"{HEADER}\n{GOOD}\ns2,Ren\xe9e,2024-01-01,,month,1,,USD\n".encode("latin-1"),
            3,
            "the file is not UTF-8 text",
        ),
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), 1, "the file is not UTF-8 text"),
    ],
)
def test_it_refuses_empty_and_non_utf8_files(tmp_path, content, line, reason):
    error = refusal(write(tmp_path, content))
    assert (error.line, error.reason) == (line, reason)


def test_it_refuses_a_missing_file(tmp_path):
    error = refusal(tmp_path / "nope.csv")
    assert error.reason == "no such file"
    assert "nope.csv" in str(error)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"month_from": "2024-13"}, "--from '2024-13' is not a month (YYYY-MM)"),
        ({"month_to": "March"}, "--to 'March' is not a month (YYYY-MM)"),
        ({"month_from": "2024-05", "month_to": "2024-04"}, "--from 2024-05 is after --to 2024-04"),
    ],
)
def test_it_refuses_a_bad_month_range(tmp_path, options, message):
    assert str(refusal(write(tmp_path, f"{HEADER}\n{GOOD}\n"), **options)) == message


SPEND_HEADER = "month,sales_marketing_spend,gross_margin"


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("2024-1,100,0.8", "month '2024-1' is not a month (YYYY-MM)"),
        ("2024-13,100,0.8", "month '2024-13' is not a month (YYYY-MM)"),
        ("2024-01-01,100,0.8", "month '2024-01-01' is not a month (YYYY-MM)"),
        (",100,0.8", "month is empty"),
        ("2024-01,100,0.8", "duplicate month 2024-01 (first on line 2)"),
        ("2024-02,lots,0.8", "sales_marketing_spend 'lots' is not a number"),
        ("2024-02,-1,0.8", "sales_marketing_spend -1 is negative"),
        ("2024-02,,0.8", "sales_marketing_spend is empty"),
        ("2024-02,100,0", "gross_margin 0 is outside (0, 1]"),
        ("2024-02,100,80", "gross_margin 80 is outside (0, 1]"),
        ("2024-02,100,-0.5", "gross_margin -0.5 is outside (0, 1]"),
        ("2024-02,100,80%", "gross_margin '80%' is not a number"),
        ("2024-02,100", "expected 3 fields like the header, found 2"),
    ],
)
def test_it_refuses_a_bad_spend_row(tmp_path, bad_row, reason):
    path = write(tmp_path, f"{SPEND_HEADER}\n2024-01,100,0.8\n{bad_row}\n", name="spend.csv")
    with pytest.raises(SaasInputError) as caught:
        read_spend(path)
    assert (caught.value.line, caught.value.path) == (3, str(path))
    assert reason in caught.value.reason


def test_it_checks_the_spend_file_before_the_subscriptions(tmp_path):
    subscriptions = write(tmp_path, f"{HEADER}\n{GOOD}\n")
    spend = write(tmp_path, "month,spend\n2024-01,100\n", name="spend.csv")
    error = refusal(subscriptions, spend_csv=spend)
    assert (error.path, error.line) == (str(spend), 1)
    assert "missing columns 'sales_marketing_spend', 'gross_margin'" in error.reason


def test_it_accepts_a_spend_file_with_only_a_header(tmp_path):
    assert read_spend(write(tmp_path, SPEND_HEADER + "\n", name="spend.csv")) == {}


def test_it_names_the_line_of_a_bad_byte_far_into_the_file(tmp_path):
    # "€" is cut by the reader's 1 MiB chunks and a stray byte follows it, then a newline
    rows = "".join(f"s{i},c{i},2024-01-01,,month,1,,USD\n" for i in range(1000))
    text = f"{HEADER}\n{rows}s-x,caf".encode()
    text += b"e" * ((1 << 20) - 2 - len(text))
    data = text + "€".encode() + b"\xff\n,2024-01-01,,month,1,,USD\n"
    assert refusal(write(tmp_path, data)).line == 1002


@pytest.mark.parametrize("name", ["a[1].csv", "it's {here}*.csv", "plain.csv.gz"])
def test_it_reads_windows_line_ends_and_odd_file_names(tmp_path, name):
    path = write(
        tmp_path,
        f'{HEADER}\r\n{GOOD}\r\ns2,"bob\r\nand co",2024-01-01,,quarter,30,,USD\r\n',
        name=name,
    )
    assert compute_saas_metrics(path).months[0]["mrr"] == 110
    path.write_text(f"{HEADER}\r\n{GOOD}\r\n\r\ns2,bob,2024-01-01,,month,x,,USD\r\n")
    assert refusal(path).line == 4
