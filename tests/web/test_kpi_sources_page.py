"""A KPI's page says where its numbers come from, and takes a CSV upload (issue 5)."""

from django.core.files.uploadedfile import SimpleUploadedFile


def signed_in(client, user):
    client.force_login(user)
    return client


def csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("nrr.csv", text.encode(), content_type="text/csv")


def test_the_kpi_page_shows_its_source_and_last_run(client, okrs):
    html = signed_in(client, okrs.vera).get("/w/acme/kpis/nrr/").content.decode()
    assert "Where the numbers come from" in html and "Manual" in html and "never" in html
    assert "Upload measurements" not in html  # a viewer gets no upload form


def test_bob_uploads_a_csv_and_the_source_records_the_run(client, okrs):
    from okapi.kpis.models import Kpi, KpiSource, Measurement

    r = signed_in(client, okrs.bob).post(
        "/w/acme/kpis/nrr/csv/",
        {"file": csv("kpi,at,value\nnrr,2027-01-31,108\nnrr,2027-02-14,109.5\n")},
    )
    assert r.status_code == 302
    assert Measurement.objects.filter(kpi__key="nrr").count() == 2
    assert Kpi.objects.get(key="nrr").latest_value == 109.5
    source = KpiSource.objects.get(kpi__key="nrr")
    assert source.status == "ok" and source.last_run_at is not None
    page = signed_in(client, okrs.bob).get("/w/acme/kpis/nrr/").content.decode()
    assert "Imported 2 measurements." in page


def test_a_bad_csv_names_the_line_and_changes_nothing(client, okrs):
    from okapi.kpis.models import Measurement

    r = signed_in(client, okrs.bob).post(
        "/w/acme/kpis/nrr/csv/",
        {"file": csv("kpi,at,value\nnrr,2027-01-31,108\nnrr,2027-02-14,lots\n")},
    )
    assert r.status_code == 422
    assert "line 3" in r.content.decode()
    assert Measurement.objects.count() == 0


def test_a_viewer_cannot_upload(client, okrs):
    r = signed_in(client, okrs.vera).post("/w/acme/kpis/nrr/csv/", {"file": csv("kpi,at,value\n")})
    assert r.status_code == 403


def test_an_upload_without_a_file_is_refused(client, okrs):
    r = signed_in(client, okrs.bob).post("/w/acme/kpis/nrr/csv/", {})
    assert r.status_code == 422 and "choose a CSV file" in r.content.decode()


def test_a_billing_kpi_shows_its_benchmark_band_on_the_dashboard_and_in_the_api(
    client, okrs, alice_api
):
    from okapi.kpis.models import Kpi, KpiSource

    KpiSource.objects.create(kpi=Kpi.objects.get(key="nrr"), kind="billing",
                             benchmark="Top quartile 120%+; below 100% is a red flag")  # fmt: skip
    html = signed_in(client, okrs.alice).get("/w/acme/kpis/").content.decode()
    assert "Benchmark: Top quartile 120%+; below 100% is a red flag" in html
    assert alice_api.get("/kpis/nrr").json()["benchmark"].startswith("Top quartile")
    assert alice_api.get("/dashboard/kpis").json()["kpis"][0]["benchmark"].startswith("Top")


SUBSCRIPTIONS = (
    "subscription_id,customer_id,start_date,end_date,interval,amount,quantity,currency\n"
    "s1,c1,2026-01-05,,month,100,1,USD\n"
    "s2,c2,2026-02-10,2026-04-10,month,50,2,USD\n"
)


def test_an_admin_uploads_a_billing_export_and_gets_the_billing_kpis(client, okrs):
    from okapi.kpis.models import Kpi

    r = signed_in(client, okrs.alice).post("/w/acme/kpis/billing/", {
        "subscriptions": SimpleUploadedFile("subs.csv", SUBSCRIPTIONS.encode()), "segment": "smb"})  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:500]
    assert Kpi.objects.get(workspace=okrs.workspace, key="mrr").latest_value == 100
    page = signed_in(client, okrs.alice).get("/w/acme/kpis/").content.decode()
    assert "Billing export read:" in page and "Benchmark:" in page


def test_a_bad_billing_export_names_the_line_and_changes_nothing(client, okrs):
    from okapi.kpis.models import Kpi

    bad = SUBSCRIPTIONS.replace("month,50", "week,50")
    r = signed_in(client, okrs.alice).post("/w/acme/kpis/billing/", {
        "subscriptions": SimpleUploadedFile("subs.csv", bad.encode())})  # fmt: skip
    assert r.status_code == 422 and "line 3" in r.content.decode()
    assert not Kpi.objects.filter(key="mrr").exists()


def test_only_admins_upload_billing_exports(client, okrs):
    assert signed_in(client, okrs.bob).get("/w/acme/kpis/billing/").status_code == 403


def test_an_unknown_segment_is_refused_by_the_service_and_named(client, okrs):
    r = signed_in(client, okrs.alice).post("/w/acme/kpis/billing/", {
        "subscriptions": SimpleUploadedFile("subs.csv", SUBSCRIPTIONS.encode()), "segment": "galactic"})  # fmt: skip
    assert (
        r.status_code == 422 and "segment: &#x27;galactic&#x27; is not one of" in r.content.decode()
    )
