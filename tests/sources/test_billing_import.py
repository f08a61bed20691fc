"""POST /api/billing/import and `okapi billing import`: the SaaS metrics engine keeps the billing
KPIs up to date with month-end measurements and benchmark bands; bad files change nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from okapi.cli import main
from okapi.kpis.models import Kpi, KpiSource, Measurement
from tests.api.conftest import row_counts

HEADER = "subscription_id,customer_id,start_date,end_date,interval,amount,quantity,currency"
SUBSCRIPTIONS = "\n".join([
    HEADER,
    "s1,alice,2024-01-15,,month,100,,EUR",
    "s2,bob,2024-01-01,2024-03-10,quarter,300,2,EUR",
    "s3,carol,2024-02-01,,year,1200,,EUR",
]) + "\n"  # fmt: skip
SPEND = "month,sales_marketing_spend,gross_margin\n2024-02,900,0.75\n"
KEYS = ["mrr", "arr", "mrr-growth", "nrr-12m", "grr-12m", "logo-churn", "arpa", "quick-ratio"]


def upload(api: Any, subscriptions: str, spend: str | None = None, **form: str) -> Any:
    files: dict[str, Any] = {
        "subscriptions": SimpleUploadedFile("subs.csv", subscriptions.encode(), "text/csv")
    }
    if spend is not None:
        files["spend"] = SimpleUploadedFile("spend.csv", spend.encode(), "text/csv")
    return api.client.post(
        "/api/billing/import", {**files, **form}, HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )


def series(key: str) -> list[tuple[dt.date, Decimal]]:
    return [(m.at.date(), m.value) for m in Measurement.objects.filter(kpi__key=key).order_by("at")]


def test_it_creates_the_billing_kpis_with_month_end_measurements(alice_api: Any, acme: Any) -> None:
    response = upload(alice_api, SUBSCRIPTIONS)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["currency"], body["months"], body["first_month"], body["last_month"]) == (
        "EUR", 3, "2024-01", "2024-03",
    )  # fmt: skip
    assert [k["key"] for k in body["kpis"]] == KEYS
    assert series("mrr") == [
        (dt.date(2024, 1, 31), Decimal(300)),
        (dt.date(2024, 2, 29), Decimal(400)),
        (dt.date(2024, 3, 31), Decimal(200)),
    ]
    assert series("arr")[-1] == (dt.date(2024, 3, 31), Decimal(2400))
    # Rates are shown as percentages: March lost bob, one of three customers.
    assert series("logo-churn")[-1] == (dt.date(2024, 3, 31), Decimal("33.3333"))
    assert series("nrr-12m") == []  # no cohort twelve months back
    mrr = Kpi.objects.get(key="mrr")
    assert (mrr.unit, mrr.direction, mrr.cadence, mrr.source) == ("EUR", "up", "monthly", "billing")
    assert mrr.latest_value == Decimal(200)
    assert mrr.target == Decimal(200)  # no benchmark level for MRR: today's value to start
    source = KpiSource.objects.get(kpi=mrr)
    assert (source.kind, source.status, source.config["metric"]) == ("billing", "ok", "mrr")
    assert alice_api.get("/kpis/mrr/source").json()["benchmark"].startswith("No level benchmark")


def test_targets_and_bands_follow_the_stage_and_segment(alice_api: Any, acme: Any) -> None:
    acme.workspace.stage = "seed"
    acme.workspace.save()
    body = upload(alice_api, SUBSCRIPTIONS, SPEND, segment="enterprise").json()
    by_key = {k["key"]: k for k in body["kpis"]}
    assert list(by_key) == [*KEYS, "cac-payback", "ltv-cac"]
    assert (by_key["mrr-growth"]["target"], by_key["mrr-growth"]["unit"]) == (15.0, "% per month")
    assert by_key["mrr-growth"]["benchmark"].startswith("15–20% a month at seed")
    assert (by_key["nrr-12m"]["target"], by_key["nrr-12m"]["warning"]) == (120.0, 100.0)
    assert (by_key["logo-churn"]["target"], by_key["logo-churn"]["warning"]) == (0.5, None)
    assert by_key["logo-churn"]["benchmark"].startswith("Below 0.5% a month for enterprise")
    assert (by_key["cac-payback"]["target"], by_key["cac-payback"]["warning"]) == (18.0, 24.0)
    assert (by_key["ltv-cac"]["target"], by_key["ltv-cac"]["warning"]) == (3.0, 2.0)
    assert by_key["ltv-cac"]["benchmark"] == "3:1 minimum, 5:1+ healthy, below 2:1 unsustainable"
    # February had spend: CAC 900 for carol, whose 100 MRR at a 75% margin pays back in 12 months.
    assert series("cac-payback") == [(dt.date(2024, 2, 29), Decimal(12))]
    source = alice_api.get("/kpis/ltv-cac/source").json()
    assert (source["kind"], source["metric"], source["segment"]) == (
        "billing",
        "ltv_cac",
        "enterprise",
    )


def test_a_growth_stage_workspace_gets_the_growth_band(alice_api: Any, acme: Any) -> None:
    acme.workspace.headcount = 60
    acme.workspace.save()
    body = upload(alice_api, SUBSCRIPTIONS).json()
    growth = next(k for k in body["kpis"] if k["key"] == "mrr-growth")
    assert growth["target"] == 3.0


def test_importing_again_updates_without_duplicates_and_keeps_your_targets(
    alice_api: Any, acme: Any
) -> None:
    upload(alice_api, SUBSCRIPTIONS)
    alice_api.patch("/kpis/mrr", {"target": 1000})
    changed = SUBSCRIPTIONS.replace(
        "s1,alice,2024-01-15,,month,100", "s1,alice,2024-01-15,,month,150"
    )
    body = upload(alice_api, changed).json()
    assert series("mrr")[-1] == (dt.date(2024, 3, 31), Decimal(250))
    assert Measurement.objects.filter(kpi__key="mrr").count() == 3
    assert next(k for k in body["kpis"] if k["key"] == "mrr")["target"] == 1000.0


def test_an_existing_manual_kpi_is_taken_over(alice_api: Any, acme: Any) -> None:
    from okapi.kpis.services import kpi_create
    from okapi.workspaces.access import system_actor

    kpi_create(actor=system_actor(acme.workspace), key="logo-churn", name="Churn", unit="%",
               direction="down", target=1.5, warning=2)  # fmt: skip
    upload(alice_api, SUBSCRIPTIONS)
    churn = Kpi.objects.get(key="logo-churn")
    assert (churn.name, churn.target, churn.source) == ("Churn", Decimal("1.5"), "billing")


@pytest.mark.parametrize(
    ("subscriptions", "spend", "field", "message"),
    [
        (SUBSCRIPTIONS.replace("300,2,EUR", "300,2,USD"), None, "subscriptions", "line 3: "),
        (SUBSCRIPTIONS.replace(",quarter,", ",fortnight,"), None, "subscriptions", "line 3: "),
        (SUBSCRIPTIONS.replace("1200", "lots"), None, "subscriptions", "line 4: "),
        ("", None, "subscriptions", ""),
        (
            SUBSCRIPTIONS,
            "month,sales_marketing_spend,gross_margin\n2024-02,900,1.5\n",
            "spend",
            "line 2: ",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_the_line_and_nothing_changes(
    alice_api: Any, acme: Any, subscriptions: str, spend: str | None, field: str, message: str
) -> None:
    before = row_counts()
    response = upload(alice_api, subscriptions, spend)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert error["msg"].startswith(message), error["msg"]
    assert "okapi-billing-" not in error["msg"]  # no temporary path
    assert row_counts() == before
    assert not KpiSource.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("bob_api", 403), ("vera_api", 403)])
def test_only_admins_import(request: Any, acme: Any, who: str, status: int) -> None:
    assert upload(request.getfixturevalue(who), SUBSCRIPTIONS).status_code == status
    assert not Kpi.objects.exists()


def test_it_needs_the_subscriptions_file_and_a_known_segment(alice_api: Any, acme: Any) -> None:
    response = alice_api.client.post(
        "/api/billing/import", {}, HTTP_AUTHORIZATION=f"Bearer {alice_api.token}"
    )
    assert response.status_code == 422
    assert upload(alice_api, SUBSCRIPTIONS, segment="galactic").status_code == 422


# --------------------------------------------------------------------------- the command line


def test_the_command_imports_and_prints_json(acme: Any, tmp_path: Path, capsys: Any) -> None:
    subs = tmp_path / "subs.csv"
    subs.write_text(SUBSCRIPTIONS)
    assert (
        main(["billing", "import", "--workspace", "acme", "--subscriptions", str(subs), "--json"])
        == 0
    )
    out, err = capsys.readouterr()
    assert json.loads(out) == {
        "workspace": "acme", "currency": "EUR", "months": 3, "from": "2024-01", "to": "2024-03",
        "stored": 14, "kpis": KEYS,
    }  # fmt: skip
    assert err == ""


def test_the_command_exits_2_naming_the_file_and_line(
    acme: Any, tmp_path: Path, capsys: Any
) -> None:
    subs = tmp_path / "subs.csv"
    subs.write_text(SUBSCRIPTIONS.replace("300,2,EUR", "300,2,USD"))
    before = row_counts()
    assert main(["billing", "import", "--workspace", "acme", "--subscriptions", str(subs)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"okapi: not imported, nothing changed:\n{subs}: line 3: ")
    assert row_counts() == before


def test_the_command_refuses_a_missing_file_or_workspace(
    acme: Any, tmp_path: Path, capsys: Any
) -> None:
    assert main(["billing", "import", "--workspace", "acme", "--subscriptions", "nope.csv"]) == 2
    subs = tmp_path / "subs.csv"
    subs.write_text(SUBSCRIPTIONS)
    assert main(["billing", "import", "--workspace", "nope", "--subscriptions", str(subs)]) == 2
    assert "no workspace 'nope'" in capsys.readouterr().err
