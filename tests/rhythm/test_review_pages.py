"""The end-of-cycle review over HTTP: the printable page and its CSV under /w/<ws>/rhythm/review/,
and GET /api/cycles/{key}/review(.csv). Everyone in the workspace reads it; others get 404."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from okapi.goals import services as goals
from okapi.goals.models import Cycle, KeyResult
from okapi.rhythm.models import CycleReview
from okapi.rhythm.review import CSV_COLUMNS
from okapi.workspaces.access import system_actor
from tests.rhythm.test_review import close

PAGE = "/w/acme/rhythm/review/2027-Q1/"
CSV = "/w/acme/rhythm/review/2027-Q1.csv"


@pytest.fixture
def closed(okrs: Any) -> Any:
    kr = KeyResult.objects.get(key="churn")
    goals.checkin_create(actor=system_actor(okrs.workspace), kr=kr, value=2, author=okrs.bob,
                         at=dt.date(2027, 2, 8), moved="Onboarding calls",
                         blocked="Waiting for the CRM export")  # fmt: skip
    close(okrs, "2027-Q1", note="Retention held; ARR lagged.",
          final_scores={"arr": Decimal("0.3"), "churn": Decimal("0.8")})  # fmt: skip
    return okrs


def signed_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def test_it_shows_the_review_to_a_viewer(client: Any, closed: Any) -> None:
    response = signed_in(client, closed.vera).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "End-of-cycle review" in html
    assert "Retention held; ARR lagged." in html
    assert "Onboarding calls" in html and "Waiting for the CRM export" in html
    assert 'class="score red">0.30<' in html  # arr
    assert 'class="score green">0.80<' in html  # churn
    assert "Growth" in html and "No team" in html
    assert "0 of 0 met" in html  # no committed objective
    assert CSV.replace("/w/acme", "") in html.replace("/w/acme", "")
    assert "Ctrl+P" in html
    assert "<script>" not in html and "style=" not in html  # CSP: nothing inline


def test_it_links_the_review_from_the_tracker_of_a_closed_cycle(client: Any, closed: Any) -> None:
    html = signed_in(client, closed.bob).get("/w/acme/okrs/2027-Q1/").content.decode()
    assert f'href="{PAGE}"' in html and "Read the review" in html
    settings = signed_in(client, closed.alice).get("/w/acme/settings/cycles/")
    assert f'href="{PAGE}"' in settings.content.decode()


def test_it_says_the_review_appears_when_the_cycle_closes(client: Any, okrs: Any) -> None:
    response = signed_in(client, okrs.alice).get(PAGE)
    assert response.status_code == 404
    html = response.content.decode()
    assert "appears when the cycle closes" in html
    assert "/w/acme/okrs/2027-Q1/close/" in html  # alice may close it
    viewer = signed_in(client, okrs.vera).get(PAGE).content.decode()
    assert "/close/" not in viewer
    assert signed_in(client, okrs.alice).get(CSV).status_code == 404
    tracker = client.get("/w/acme/okrs/2027-Q1/").content.decode()
    assert "Read the review" not in tracker
    assert not CycleReview.objects.exists()


def test_it_hides_the_review_from_other_workspaces(client: Any, closed: Any) -> None:
    client = signed_in(client, closed.charlie)
    assert client.get(PAGE).status_code == 404
    assert client.get(CSV).status_code == 404
    assert client.get("/w/globex/rhythm/review/2027-Q1/").status_code == 404


def test_it_asks_to_sign_in(client: Any, closed: Any) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_downloads_the_csv(client: Any, closed: Any) -> None:
    response = signed_in(client, closed.vera).get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="okapi-acme-2027-Q1-review.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_kr = {r[6]: dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows[1:]}
    assert (
        by_kr["churn"]["last_note"]
        == "Moved: Onboarding calls | Blocked: Waiting for the CRM export"
    )
    assert by_kr["arr"]["band"] == "red"


def test_it_answers_the_review_in_the_api(closed: Any, vera_api: Any) -> None:
    response = vera_api.get("/cycles/2027-Q1/review")
    assert response.status_code == 200
    data = response.json()
    assert data["cycle"]["key"] == "2027-Q1"
    assert data["cycle"]["note"] == "Retention held; ARR lagged."
    assert {kr["key"]: kr["final_score"] for kr in data["key_results"]} == {
        "arr": 0.3, "churn": 0.8, "nps-page": 0.0,
    }  # fmt: skip
    assert [t["team"] for t in data["teams"]] == ["growth", None]
    assert data["types"]["aspirational"]["count"] == 2
    assert data["sandbagging"] == []
    csv_response = vera_api.get("/cycles/2027-Q1/review.csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.content.decode().startswith(",".join(CSV_COLUMNS))


def test_it_answers_404_in_the_api_for_an_open_cycle_or_another_workspace(
    okrs: Any, alice_api: Any, charlie_api: Any
) -> None:
    response = alice_api.get("/cycles/2027-Q1/review")
    assert response.status_code == 404
    assert "appears when the cycle closes" in response.json()["detail"]
    assert alice_api.get("/cycles/2027-Q1/review.csv").status_code == 404
    assert alice_api.get("/cycles/nope/review").status_code == 404
    close(okrs, "2027-Q1")
    assert alice_api.get("/cycles/2027-Q1/review").status_code == 200
    assert charlie_api.get("/cycles/2027-Q1/review").status_code == 404
    assert charlie_api.get("/cycles/2027-Q1/review.csv").status_code == 404


def test_it_answers_401_without_a_token(client: Any, closed: Any) -> None:
    from tests.conftest import Api

    assert Api(client, None).get("/cycles/2027-Q1/review").status_code == 401
    assert Api(client, "nope").get("/cycles/2027-Q1/review.csv").status_code == 401


def test_it_documents_the_review_in_openapi(client: Any, db: Any) -> None:
    schema = client.get("/api/openapi.json").json()
    review = schema["paths"]["/api/cycles/{key}/review"]["get"]
    assert review["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ReviewOut"
    )
    assert "404" in review["responses"]
    as_csv = schema["paths"]["/api/cycles/{key}/review.csv"]["get"]
    assert "text/csv" in as_csv["responses"]["200"]["content"]


def test_it_shows_carried_over_objectives_on_the_page(client: Any, closed: Any) -> None:
    system = system_actor(closed.workspace)
    goals.cycle_create(actor=system, key="2027-Q2", start=dt.date(2027, 4, 1),
                       end=dt.date(2027, 6, 30))  # fmt: skip
    client = signed_in(client, closed.alice)
    response = client.post("/w/acme/okrs/2027-Q1/carry-over/",
                           {"objectives": ["grow"], "cycle": "2027-Q2"})  # fmt: skip
    assert response.status_code == 302
    html = client.get(PAGE).content.decode()
    assert "Carried over" in html and 'href="/w/acme/okrs/2027-Q2/"' in html
    assert "1 objective" in html


def test_it_closes_through_the_page_and_keeps_a_review(client: Any, okrs: Any) -> None:
    client = signed_in(client, okrs.alice)
    response = client.post("/w/acme/okrs/2027-Q1/close/", {"note": "Done."})
    assert response.status_code == 302
    review = CycleReview.objects.get(cycle__key="2027-Q1")  # kept by closing, before any view
    assert client.get(PAGE).status_code == 200
    assert review.data["cycle"]["note"] == "Done."


def _grow(acme: Any, n: int, start: int) -> None:
    system = system_actor(acme.workspace)
    for i in range(start, start + n):
        objective = goals.objective_create(actor=system, key=f"more-{i}", title=f"Win {i}",
                                           cycle="2027-Q1", owner="growth")  # fmt: skip
        for j in range(3):
            kr = goals.key_result_create(actor=system, objective=objective, key=f"more-{i}-{j}",
                                         title="Reach 10 customers", owner="bob@acme.test",
                                         baseline=0, target=10)  # fmt: skip
            goals.checkin_create(actor=system, kr=kr, value=j * 4, author=acme.bob,
                                 at=dt.date(2027, 2, 1), moved="up", blocked="legal")  # fmt: skip


@pytest.mark.parametrize("path", [PAGE, CSV, "/api/cycles/2027-Q1/review"])
def test_it_reads_the_review_in_as_many_queries_at_two_sizes(
    client: Any, okrs: Any, path: str
) -> None:
    from tests.conftest import _token

    token = _token(okrs.workspace, okrs.alice)
    client.force_login(okrs.alice)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if path.startswith("/api") else {}

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(path, **headers).status_code == 200
        return len(context)

    _grow(okrs, 1, 0)
    close(okrs, "2027-Q1")
    client.get(path, **headers)  # a token's first use is recorded once
    small = count()
    cycle = Cycle.objects.get(key="2027-Q1")
    Cycle.objects.filter(pk=cycle.pk).update(closed_at=None)
    _grow(okrs, 6, 1)
    CycleReview.objects.all().delete()
    Cycle.objects.filter(pk=cycle.pk).update(closed_at=dt.datetime(2027, 2, 15, tzinfo=dt.UTC))
    client.get(path, **headers)  # the first view builds the review again
    large = count()
    assert small == large
