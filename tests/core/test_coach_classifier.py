"""The key-result classifier: outcome, KPI in disguise, task or milestone (PRODUCT §4)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from okapi.core.coach import KrKind, classify_kr

DATA = Path(__file__).parent.parent / "data"
KINDS = {k.value for k in KrKind}


def load_corpus(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# The examples PRODUCT §4 and the sources give, then statements written for these tests (none
# of them is in the corpus files).
EXAMPLES = [
    # PRODUCT §4 and the sources
    ("Maintain NRR above 110%", "kpi"),
    ("Grow NRR from 110% to 125% by Q3 end", "outcome"),
    ("Hold weekly marketing meetings", "task"),
    ("Post 5 times a week on LinkedIn", "task"),
    ("Increase MQL-to-SQL conversion rate from 20% to 35%", "outcome"),
    ("Launch new website", "milestone"),
    ("Maintain 95% uptime", "kpi"),
    ("Keep NRR above 110%", "kpi"),
    ("Increase conversion rate from 2% to 3% after launching the new website", "outcome"),
    ("Improve NRR from 108% to 120% by Q3 end", "outcome"),
    # outcomes
    ("Launch the mobile app that increases weekly active users from 2,000 to 5,000", "outcome"),
    ("Raise $2M in donations from individual donors", "outcome"),
    ("grow arr from two million to three and a half million dollars", "outcome"),
    ("Increase website traffic by 20%", "outcome"),
    ("Reduce churn to 3% by improving onboarding", "outcome"),
    ("Win 12 new enterprise accounts", "outcome"),
    ("Cut onboarding time in half", "outcome"),
    ("NPS up from 30 to 45", "outcome"),
    ("Support costs down 20%", "outcome"),
    ("€500k in new bookings by Q2", "outcome"),
    ("Onboard 40 new merchants", "outcome"),
    ("increse NPS from 30 to 50", "outcome"),
    ("Improve trial conversion", "outcome"),
    ("Average order value from €40 to €50", "outcome"),
    ("Speed up checkout from 45 seconds to 20 seconds", "outcome"),
    ("Double qualified pipeline to £4M", "outcome"),
    ("Get weekly active teams to 1,500", "outcome"),
    ("Lift gross margin by five points", "outcome"),
    ("Reduse refund requests from 4% to 2%", "outcome"),
    ("Time to first value reduced from 9 days to 3", "outcome"),
    # KPIs in disguise
    ("keep churn under two percent", "kpi"),
    ("Churn under 5%", "kpi"),
    ("Test coverage above 80%", "kpi"),
    ("Track signups daily", "kpi"),
    ("mantain gross margin at sixty percent", "kpi"),
    ("Average order value above €50", "kpi"),
    ("Monitor weekly active users", "kpi"),
    ("Keep the lights on", "kpi"),
    ("Make sure p95 latency stays under 400ms", "kpi"),
    ("Sustain at least 40 qualified leads per week", "kpi"),
    ("Revenue per employee of $150k", "kpi"),
    ("Deliver at least $1M in bookings every quarter", "kpi"),
    ("Never drop below 4.5 stars on the App Store", "kpi"),
    ("Payroll processed with zero errors each month", "kpi"),
    # tasks
    ("Organize a quarterly offsite", "task"),
    ("Record and publish a podcast episode every week", "task"),
    ("Make 20 sales calls every day", "task"),
    ("Write a blog post every week", "task"),
    ("Hire a head of marketing", "task"),
    ("Book 40 demos with CFOs", "task"),
    ("Answer support tickets within 4 hours", "task"),
    ("Ship 4 integrations", "task"),
    ("Send a customer survey after every onboarding", "task"),
    ("Publish 3 case studies by Q2", "task"),
    ("Run two pricing workshops with the sales team", "task"),
    ("8 webinars hosted this quarter", "task"),
    ("Increase the number of outbound emails from 200 to 500 per week", "task"),
    ("Teach 6 cooking classes a month", "task"),
    # milestones
    ("Rollout the new pricing page", "milestone"),
    ("Win the Acme account", "milestone"),
    ("Finish the pitch deck", "milestone"),
    ("Become SOC 2 compliant", "milestone"),
    ("Migrate from Heroku to Fly.io", "milestone"),
    ("Release v3 of the dashboard by Q2", "milestone"),
    ("Go live in Spain", "milestone"),
    ("Redesign onboarding emails", "milestone"),
    ("Complete the ISO 27001 certification", "milestone"),
    ("Payments API launched", "milestone"),
    ("Sign a lease for the Berlin office by March", "milestone"),
    ("Set up Salesforce", "milestone"),
    # pasted from a document, and longer sentences
    ("KR1: Increase activation from 30% to 45%", "outcome"),
    ("1. Launch the partner portal", "milestone"),
    ("• Maintain CSAT above 90%", "kpi"),
    ("KR 2 - Publish 10 blog posts", "task"),
    ("By Q3, reduce churn from 4% to 2%", "outcome"),
    ("Bring CAC down by 25%", "outcome"),
    ("Expand into 3 new markets generating $1M ARR", "outcome"),
    ("Launch 2 products generating $500k in new ARR", "outcome"),
    ("Publish 10 blog posts generating leads", "task"),
    ("Host 4 webinars featuring customers", "task"),
    ("Launch 3 new onboarding tutorials", "task"),
    ("Achieve a 40% activation rate, up from 25%", "outcome"),
    ("At least 200 new paying customers every month", "kpi"),
    ("Monthly burn ≤ $250k", "kpi"),
    ("Achieve PCI DSS Level 1 certification", "milestone"),
]


# Statements quoted in the source articles (not in the corpus files), labelled as the articles
# label them, PRODUCT deciding where they disagree. Run once after the rules were frozen, they
# scored 16/29: bare metric names ("Churn rate") had no rule yet, the typo fixer turned
# "Organic"/"Gross" into verbs, and "of 200K" was missed. The fixes were general; see docs/coach.md.
FROM_THE_SOURCES = [
    ("Reduce average time-to-value from 10 days to 3", "outcome"),
    ("Reach 500 new newsletter subscribers", "outcome"),
    ("Reduce signup drop-off rate by 25%", "outcome"),
    ("Achieve 70% renewable packaging usage", "outcome"),
    ("Increase website traffic by 20% in the next month", "outcome"),
    ("Increase Monthly Active Users (MAUs) by 25%", "outcome"),
    ("Reduce churn to 3% by improving onboarding", "outcome"),
    ("Increase Net Promoter Score (NPS) to 45+", "outcome"),
    ("Organic search traffic growth = 25% quarter-over-quarter", "kpi"),
    ("Monthly Revenue = ₹20 lakh target", "kpi"),
    ("Employee Retention Rate = 95%", "kpi"),
    ("Order Fulfillment Time = < 24 hours", "kpi"),
    ("Improve NRR from 108% to 120% by Q3 end", "outcome"),
    ("Increase conversion rate by 15% after launching new website", "outcome"),
    ("Reduce onboarding time by 30%", "outcome"),
    ("Improve homepage conversion rate", "outcome"),
    ("Launch referral program", "milestone"),
    ("Customer Retention Rate", "kpi"),
    ("Average response time", "kpi"),
    ("Customer satisfaction (CSAT)", "kpi"),
    ("Ticket resolution rate", "kpi"),
    ("First contact resolution %", "kpi"),
    ("Daily sales numbers", "kpi"),
    ("Website bounce rate", "kpi"),
    ("Customer service response time", "kpi"),
    ("Monthly Recurring Revenue (MRR)", "kpi"),
    ("Churn rate", "kpi"),
    ("Gross Margin", "kpi"),
    ("Achieve an average blog traffic of 200K visits/month", "outcome"),
]


@pytest.mark.parametrize(("text", "kind"), EXAMPLES + FROM_THE_SOURCES)
def test_it_classifies_the_statement(text: str, kind: str) -> None:
    verdict = classify_kr(text)
    assert verdict.kind == kind, verdict.reasons
    assert verdict.reasons, "every verdict explains itself"
    assert verdict.text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Launch new website", "after launching the new website"),
        ("New website launched by end of Q1", "after launching the new website"),
        ("Launch new website", "Increase conversion rate from"),
        ("Maintain NRR above 110%", "Increase NRR from 110% to <target>"),
        ("Maintain NRR above 110%", '"NRR above 110%"'),
        ("Keep monthly churn below 2%", "Reduce monthly churn from 2% to <target>"),
        ("Hold weekly marketing meetings", "MQL-to-SQL conversion rate"),
        (
            "Hold weekly marketing meetings",
            'Keep "Hold weekly marketing meetings" as an initiative',
        ),
        ("Post 5 times a week on LinkedIn", "LinkedIn engagement"),
        ("Increase website traffic by 20%", "baseline"),
        ("Improve trial conversion", "Add a baseline and a target"),
    ],
)
def test_it_suggests_a_fix(text: str, expected: str) -> None:
    assert expected in classify_kr(text).suggestion


def test_it_leaves_a_well_formed_outcome_without_suggestion() -> None:
    assert classify_kr("Grow NRR from 110% to 125% by Q3 end").suggestion == ""


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Maintain NRR above 110%", "52%"),
        ("Hold weekly marketing meetings", "activity"),
        ("Publish 12 blog posts", "12 blog posts"),
        ("Launch new website", "done or not done"),
        ("Grow NRR from 110% to 125% by Q3 end", "from 110% to 125%"),
    ],
)
def test_it_gives_founder_readable_reasons(text: str, fragment: str) -> None:
    assert fragment in " ".join(classify_kr(text).reasons)


@pytest.mark.parametrize(
    "text",
    ["twenty percent", "Increase signups from ten to twenty percent", "€1.2M", "$80k", "3.5x"],
)
def test_it_reads_numbers_in_words_and_units(text: str) -> None:
    verdict = classify_kr(text)
    assert verdict.kind in KINDS


def test_it_serialises_to_the_formats_shape() -> None:
    data = classify_kr("Maintain 95% uptime").to_dict()
    assert list(data) == ["text", "kind", "reasons", "suggestion"]
    assert data["kind"] == "kpi"
    assert isinstance(data["reasons"], list)


@pytest.mark.parametrize("text", ["", "   ", "!!!", "123", "Q3", "by Q3", "—", "a"])
def test_it_copes_with_empty_and_odd_input(text: str) -> None:
    verdict = classify_kr(text)
    assert verdict.kind in KINDS
    assert verdict.reasons


def test_it_reaches_90_percent_on_the_labelled_corpus() -> None:
    rows = load_corpus("kr_corpus.csv")
    assert len(rows) >= 300
    correct = sum(classify_kr(r["text"]).kind == r["kind"] for r in rows)
    assert correct / len(rows) >= 0.9


@pytest.mark.parametrize("name", ["kr_corpus.csv", "kr_corpus_holdout.csv"])
def test_it_has_a_well_formed_corpus(name: str) -> None:
    rows = load_corpus(name)
    assert set(rows[0]) == {"text", "kind", "domain"}
    assert {r["kind"] for r in rows} == KINDS
    counts = [sum(r["kind"] == k for r in rows) for k in KINDS]
    assert min(counts) * 1.5 >= max(counts), "roughly balanced across the four kinds"
    assert len({r["text"] for r in rows}) == len(rows)


def test_it_keeps_the_holdout_separate_from_the_corpus() -> None:
    main = {r["text"] for r in load_corpus("kr_corpus.csv")}
    holdout = load_corpus("kr_corpus_holdout.csv")
    assert len(holdout) >= 80
    assert not main & {r["text"] for r in holdout}
