"""A realistic demo workspace: Northwind Analytics, a 30-person B2B SaaS startup.

`demo_document(today)` builds it as a plain `OkrDocument` (the OKR file's dataclasses, FORMATS
§3), so the demo loads through the same importer as any OKR file. Nothing here touches Django.

What it holds, relative to `today`:

- 30 people (the owner `demo@okapi.test` is the CEO), five teams, engineering under product;
- two calendar quarters: the previous one closed and scored, the current one in progress;
- 13 objectives and 35 key results with weekly check-ins, some on pace, some behind, some stuck
  (no movement for the last weeks), one sandbagging team (sales hits every target early), one
  milestone shipped, and a few flaws for the coach: a KPI in disguise ("Maintain 99.9% uptime"),
  a binary KR ("Launch the new pricing page") and a KR tied to no initiative;
- 11 KPIs with 18 months of measurements: most healthy, logo churn in breach, NRR, activation,
  trial conversion and burn multiple in the amber band, NPS stale (the survey stopped).

The same `today` and `seed` always give the same document.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from okapi.core.cycles import Period, previous_quarter, quarter_period, week_start
from okapi.core.okrfile import (
    CheckIn,
    Cycle,
    Initiative,
    KeyResult,
    Kpi,
    Measurement,
    Objective,
    OkrDocument,
    Person,
    Team,
)

WORKSPACE_KEY = "demo"
WORKSPACE_NAME = "Northwind Analytics"
DOMAIN = "northwind.test"
OWNER_EMAIL = "demo@okapi.test"
OWNER_NAME = "Demo Founder"
HISTORY_MONTHS = 18

_CEO = "demo"
_DAYS_PER_MONTH = 30.44
_CHECKIN_WEEKDAY = 4  # Friday

# --------------------------------------------------------------------------- people and teams

# (handle, full name, team); the first person of each team leads it.
_PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("maria", "Maria Lopez", "growth"),
    ("tom", "Tom Becker", "growth"),
    ("aisha", "Aisha Khan", "growth"),
    ("lucas", "Lucas Moreau", "growth"),
    ("nina", "Nina Petrova", "growth"),
    ("diego", "Diego Alvarez", "growth"),
    ("james", "James Carter", "sales"),
    ("sofia", "Sofia Rossi", "sales"),
    ("kwame", "Kwame Mensah", "sales"),
    ("emily", "Emily Chen", "sales"),
    ("ravi", "Ravi Patel", "sales"),
    ("hannah", "Hannah Schmidt", "product"),
    ("omar", "Omar Haddad", "product"),
    ("julia", "Julia Novak", "product"),
    ("kenji", "Kenji Tanaka", "product"),
    ("grace", "Grace Okafor", "product"),
    ("daniel", "Daniel Kim", "engineering"),
    ("priya", "Priya Sharma", "engineering"),
    ("mateo", "Mateo Silva", "engineering"),
    ("lena", "Lena Fischer", "engineering"),
    ("samuel", "Samuel Adeyemi", "engineering"),
    ("chloe", "Chloe Martin", "engineering"),
    ("ivan", "Ivan Horvat", "engineering"),
    ("yuki", "Yuki Sato", "engineering"),
    ("olivia", "Olivia Brown", "customer-success"),
    ("marcus", "Marcus Johnson", "customer-success"),
    ("fatima", "Fatima Zahra", "customer-success"),
    ("noah", "Noah Williams", "customer-success"),
    ("elena", "Elena Garcia", "customer-success"),
)

# (key, name, parent)
_TEAMS: tuple[tuple[str, str, str | None], ...] = (
    ("growth", "Growth", None),
    ("sales", "Sales", None),
    ("product", "Product", None),
    ("engineering", "Engineering", "product"),
    ("customer-success", "Customer Success", None),
)
_TEAM_KEYS = frozenset(key for key, _, _ in _TEAMS)


def _email(handle: str) -> str:
    if handle == _CEO:
        return OWNER_EMAIL
    name = next(name for h, name, _ in _PEOPLE if h == handle)
    return f"{name.lower().replace(' ', '.')}@{DOMAIN}"


def _owner(value: str) -> str:
    """A team key stays a team key; a handle becomes that person's e-mail."""
    return value if value in _TEAM_KEYS else _email(value)


def _people() -> list[Person]:
    people = [Person(email=OWNER_EMAIL, name=OWNER_NAME)]
    people += [Person(email=_email(handle), name=name) for handle, name, _ in _PEOPLE]
    return people


def _teams() -> list[Team]:
    leads: dict[str, str] = {}
    for handle, _, team in _PEOPLE:
        leads.setdefault(team, _email(handle))
    return [
        Team(key=key, name=name, lead=leads[key], parent=parent) for key, name, parent in _TEAMS
    ]


# --------------------------------------------------------------------------- numbers


def _dec(value: float, places: int) -> Decimal:
    if places == 0:
        return Decimal(int(round(value)))
    return Decimal(str(round(value, places)))


def _fmt(value: Decimal) -> str:
    """A number as a title shows it: 205,000 or 33.7."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,}"


def _interp(points: tuple[tuple[float, float], ...]) -> Callable[[float], float]:
    """A piecewise-linear trend through (months before today, value) points."""
    ordered = sorted(points)

    def trend(months_ago: float) -> float:
        if months_ago <= ordered[0][0]:
            return ordered[0][1]
        for (m0, v0), (m1, v1) in zip(ordered, ordered[1:], strict=False):
            if months_ago <= m1:
                return v0 + (v1 - v0) * (months_ago - m0) / (m1 - m0)
        return ordered[-1][1]

    return trend


def _mrr_trend(months_ago: float) -> float:
    return float(262_000 * 1.045**-months_ago)


# --------------------------------------------------------------------------- KPIs


@dataclass(frozen=True)
class _KpiSpec:
    key: str
    name: str
    unit: str
    direction: str
    cadence: str
    owner: str
    description: str
    trend: Callable[[float], float]  # months before today -> value
    noise: float  # standard deviation of the (autocorrelated) noise
    places: int
    latest: tuple[float, float]  # the latest value stays in this band: its designed health
    target: float | None = None
    warning: float | None = None
    target_low: float | None = None
    target_high: float | None = None
    warning_low: float | None = None
    warning_high: float | None = None
    ceiling: float | None = None
    incidents: float = 0.0  # daily chance of an outage (uptime)
    stale_periods: int = 0  # measurements missing at the end (a KPI nobody updates any more)


_KPIS: tuple[_KpiSpec, ...] = (
    _KpiSpec(
        key="mrr",
        name="Monthly recurring revenue",
        unit="$",
        direction="up",
        cadence="monthly",
        owner=_CEO,
        description="From the Stripe billing export at month end.",
        trend=_mrr_trend,
        noise=1_500,
        places=0,
        latest=(252_000, 275_000),
        target=240_000,
        warning=220_000,
    ),
    _KpiSpec(
        key="nrr",
        name="Net revenue retention",
        unit="%",
        direction="up",
        cadence="monthly",
        owner="customer-success",
        description="Trailing twelve months, from the billing export.",
        trend=_interp(((0, 105), (4, 107), (9, 110), (18, 113))),
        noise=0.7,
        places=1,
        latest=(103, 107),
        target=110,
        warning=100,
    ),
    _KpiSpec(
        key="logo-churn",
        name="Logo churn",
        unit="% per month",
        direction="down",
        cadence="monthly",
        owner="customer-success",
        description="Customers lost in the month over customers at its start.",
        trend=_interp(((0, 2.6), (5, 1.9), (10, 1.5), (18, 1.9))),
        noise=0.12,
        places=2,
        latest=(2.3, 3.0),
        target=1.5,
        warning=2.0,
    ),
    _KpiSpec(
        key="cac-payback",
        name="CAC payback",
        unit="months",
        direction="down",
        cadence="monthly",
        owner="growth",
        description="Sales and marketing spend over new gross-margin MRR.",
        trend=_interp(((0, 11), (6, 13), (18, 19))),
        noise=0.5,
        places=1,
        latest=(9.5, 11.8),
        target=12,
        warning=18,
    ),
    _KpiSpec(
        key="burn-multiple",
        name="Burn multiple",
        unit="x",
        direction="down",
        cadence="monthly",
        owner=_CEO,
        description="Net burn over net new ARR, from the finance close.",
        trend=_interp(((0, 1.8), (6, 2.2), (18, 3.1))),
        noise=0.08,
        places=2,
        latest=(1.6, 1.95),
        target=1.5,
        warning=2.0,
    ),
    _KpiSpec(
        key="nps",
        name="Net promoter score",
        unit="",
        direction="up",
        cadence="monthly",
        owner="product",
        description="In-app survey; paused when the survey vendor contract lapsed.",
        trend=_interp(((0, 36), (18, 28))),
        noise=2,
        places=0,
        latest=(20, 45),
        target=40,
        warning=30,
        stale_periods=3,
    ),
    _KpiSpec(
        key="activation-rate",
        name="Activation rate",
        unit="%",
        direction="up",
        cadence="weekly",
        owner="product",
        description="New accounts that build a shared dashboard within 7 days of signup.",
        trend=_interp(((0, 39), (6, 31), (18, 29))),
        noise=0.6,
        places=1,
        latest=(35, 39.5),
        target=40,
        warning=30,
    ),
    _KpiSpec(
        key="trial-to-paid",
        name="Trial-to-paid conversion",
        unit="%",
        direction="up",
        cadence="weekly",
        owner="growth",
        description="Trials started 14 days earlier that converted to a paid plan.",
        trend=_interp(((0, 14.5), (6, 11.5), (18, 10))),
        noise=0.35,
        places=1,
        latest=(12.5, 16),
        target=18,
        warning=12,
    ),
    _KpiSpec(
        key="first-response",
        name="Support first-response time",
        unit="hours",
        direction="down",
        cadence="weekly",
        owner="customer-success",
        description="Median business hours to the first human reply, from the help desk.",
        trend=_interp(((0, 3.4), (6, 7.5), (18, 12))),
        noise=0.3,
        places=1,
        latest=(2.6, 3.9),
        target=4,
        warning=8,
        ceiling=24,
    ),
    _KpiSpec(
        key="pipeline-coverage",
        name="Pipeline coverage",
        unit="x",
        direction="range",
        cadence="weekly",
        owner="sales",
        description="Qualified pipeline over the quarter's new-business quota, from the CRM.",
        trend=_interp(((0, 3.9), (6, 3.5), (18, 2.6))),
        noise=0.15,
        places=2,
        latest=(3.3, 4.6),
        target_low=3,
        target_high=5,
        warning_low=2.5,
        warning_high=6,
    ),
    _KpiSpec(
        key="uptime",
        name="Uptime",
        unit="%",
        direction="up",
        cadence="daily",
        owner="engineering",
        description="Share of one-minute synthetic checks that passed, per day.",
        trend=_interp(((0, 99.98), (18, 99.95))),
        noise=0.015,
        places=2,
        latest=(99.95, 100),
        target=99.9,
        warning=99.5,
        ceiling=100,
        incidents=0.03,
    ),
)


def _month_end(year: int, month: int) -> dt.date:
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def _measurement_days(cadence: str, today: dt.date) -> list[dt.date]:
    """18 months of measurement days, oldest first, ending at or just before `today`."""
    if cadence == "daily":
        days = [today - dt.timedelta(days=k) for k in range(1, 549)]
    elif cadence == "weekly":
        monday = week_start(today)
        days = [monday - dt.timedelta(weeks=k) for k in range(78)]
    else:
        year, month = today.year, today.month
        if _month_end(year, month) > today:
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        days = []
        for _ in range(HISTORY_MONTHS):
            days.append(_month_end(year, month))
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(days)


def _kpi(spec: _KpiSpec, today: dt.date, seed: int) -> Kpi:
    rng = random.Random(f"{seed}:kpi:{spec.key}")
    days = _measurement_days(spec.cadence, today)
    values: list[float] = []
    drift = 0.0
    for day in days:
        drift = 0.5 * drift + rng.gauss(0, spec.noise)
        value = spec.trend((today - day).days / _DAYS_PER_MONTH) + drift
        if spec.incidents and rng.random() < spec.incidents:
            value = rng.uniform(98.6, 99.85)
        if spec.ceiling is not None:
            value = min(value, spec.ceiling)
        values.append(max(value, 0.0))
    if spec.stale_periods:
        days, values = days[: -spec.stale_periods], values[: -spec.stale_periods]
    low, high = spec.latest
    values[-1] = min(max(values[-1], low), high)

    def number(value: float | None) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return Kpi(
        key=spec.key,
        name=spec.name,
        unit=spec.unit,
        direction=spec.direction,
        target=number(spec.target),
        warning=number(spec.warning),
        target_low=number(spec.target_low),
        target_high=number(spec.target_high),
        warning_low=number(spec.warning_low),
        warning_high=number(spec.warning_high),
        cadence=spec.cadence,
        owner=_owner(spec.owner),
        description=spec.description,
        measurements=[
            Measurement(at=day, value=_dec(value, spec.places))
            for day, value in zip(days, values, strict=True)
        ],
    )


# --------------------------------------------------------------------------- initiatives

_TRACKER = f"https://tracker.{DOMAIN}/projects"

# (key, title, owner, has a tracker link)
_INITIATIVES: tuple[tuple[str, str, str, bool], ...] = (
    ("pricing-page", "Redesign the pricing page around annual plans", "growth", True),
    ("trial-nurture", "Trial nurture e-mail sequence", "growth", False),
    ("paid-search", "Rebuild paid search around the ideal customer profile", "growth", False),
    ("seo-content", "SEO content hub for analytics templates", "growth", True),
    ("usage-pricing", "Usage-based packaging for the Scale plan", "growth", True),
    ("expansion-playbook", "Account expansion playbook", "sales", False),
    ("enterprise-motion", "Enterprise sales motion: security pack and MSA template", "sales", True),
    ("onboarding-revamp", "Guided onboarding checklist", "product", True),
    ("sample-data", "Sample data and template dashboards", "product", True),
    ("customer-research", "Continuous customer interview programme", "grace", False),
    ("sso-scim", "SSO and SCIM provisioning", "engineering", True),
    ("query-engine-v2", "Query engine v2 with result caching", "engineering", True),
    ("incident-process", "On-call rotation and incident runbooks", "engineering", False),
    ("billing-tests", "Billing service test harness", "lena", True),
    ("multi-region", "Multi-region failover", "engineering", True),
    ("support-tiers", "Tiered support with a 24/5 rota", "customer-success", False),
    ("health-scores", "Customer health scores in the CRM", "customer-success", True),
    ("onboarding-calls", "Kick-off call for every new account", "customer-success", False),
    (
        "qbr-program",
        "Quarterly business reviews for the top 50 accounts",
        "customer-success",
        False,
    ),
    ("cost-review", "Cloud and vendor cost review", _CEO, False),
)


def _initiatives() -> list[Initiative]:
    return [
        Initiative(
            key=key, title=title, owner=_owner(owner), url=f"{_TRACKER}/{key}" if url else None
        )
        for key, title, owner, url in _INITIATIVES
    ]


# --------------------------------------------------------------------------- objectives


@dataclass(frozen=True)
class _KrSpec:
    slug: str
    title: str  # "{b}" and "{t}" stand for the baseline and the target
    owner: str  # a handle
    # on_pace | behind | stuck | sandbag | milestone | kpi (the value follows the linked KPI)
    pattern: str
    baseline: float | None = None  # a KPI-linked KR without one starts from the KPI's value
    target: float | None = None
    target_of: Callable[[float], float] | None = None  # the target from a KPI-linked baseline
    unit: str = ""
    places: int = 0
    level: float = 1.0  # progress at cycle end (on_pace, behind) or where it sticks (stuck)
    turn: float = 0.3  # share of the cycle when it sticks, hits its target or ships
    kpi: str | None = None
    initiatives: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()  # the first for the first check-in, the others when it improves
    blocked: tuple[str, ...] = ()


@dataclass(frozen=True)
class _ObjectiveSpec:
    slug: str
    title: str
    level: str
    owner: str  # a team key or a handle
    key_results: tuple[_KrSpec, ...]
    parent: str | None = None  # the slug of an objective of the same cycle
    type: str = "aspirational"
    description: str = ""


_SLIPPED = (
    "Dipped this week; looking into it",
    "Went backwards a little, within normal weekly noise",
    "Slipped: a couple of large accounts skewed the number",
    "Down this week after a quiet holiday period",
)

_PREVIOUS: tuple[_ObjectiveSpec, ...] = (
    _ObjectiveSpec(
        slug="revenue",
        title="Grow recurring revenue faster than we burn cash",
        level="company",
        owner=_CEO,
        description="Efficient growth before the Series B conversations start.",
        key_results=(
            _KrSpec(
                slug="mrr",
                title="Grow MRR from ${b} to ${t}",
                owner=_CEO,
                pattern="kpi",
                kpi="mrr",
                target_of=lambda b: round(b * 1.2, -3),
                unit="$",
                initiatives=("enterprise-motion", "pricing-page"),
                moved=(
                    "Month closed in line with plan",
                    "Month-end close: new logos and expansion both up",
                    "Two annual prepayments landed",
                    "Net new MRR best month this year",
                ),
                blocked=("Two enterprise deals slipped to next month on legal review",),
            ),
            _KrSpec(
                slug="new-logos",
                title="Increase new customers won per month from {b} to {t}",
                owner="james",
                pattern="on_pace",
                baseline=9,
                target=14,
                unit="customers",
                level=0.8,
                initiatives=("enterprise-motion", "paid-search"),
                moved=(
                    "Pipeline review done; forecast 10 this month",
                    "Closed three mid-market deals from the webinar",
                    "New SDR ramped and booking demos",
                    "Partner referral closed in four days",
                ),
                blocked=("Security questionnaires take two weeks each",),
            ),
            _KrSpec(
                slug="burn",
                title="Reduce burn multiple from {b}x to {t}x",
                owner=_CEO,
                pattern="kpi",
                kpi="burn-multiple",
                target_of=lambda b: b - 0.4,
                unit="x",
                places=2,
                initiatives=("cost-review",),
                moved=(
                    "Finance close done; cost review kicked off",
                    "Cancelled three unused SaaS tools",
                    "Reserved instances cut the cloud bill",
                ),
                blocked=("Waiting on the cloud provider's committed-use quote",),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="first-month",
        title="Improve how quickly new customers succeed with Northwind",
        level="company",
        owner="customer-success",
        key_results=(
            _KrSpec(
                slug="activation",
                title="Increase activation rate from {b}% to {t}%",
                owner="hannah",
                pattern="kpi",
                kpi="activation-rate",
                target_of=lambda b: round(b + 8),
                unit="%",
                places=1,
                initiatives=("onboarding-revamp", "sample-data"),
                moved=(
                    "Baseline confirmed with the data team",
                    "Checklist beta on for half of new signups",
                    "Template gallery lifted first-dashboard rate",
                    "Sample data now loads by default",
                ),
                blocked=("Event tracking gap on the mobile signup flow",),
            ),
            _KrSpec(
                slug="first-response",
                title="Reduce support first-response time from {b} to {t} hours",
                owner="olivia",
                pattern="kpi",
                kpi="first-response",
                target_of=lambda b: round(b * 0.5, 1),
                unit="hours",
                places=1,
                initiatives=("support-tiers",),
                moved=(
                    "New help-desk routing rules live",
                    "Second support hire started on the EU shift",
                    "Macros for the ten most common questions",
                ),
                blocked=("Help-desk SLA reporting is broken after the vendor update",),
            ),
            _KrSpec(
                slug="kickoff-calls",
                title="Increase new accounts with a kick-off call from {b}% to {t}%",
                owner="marcus",
                pattern="stuck",
                baseline=40,
                target=75,
                unit="%",
                level=0.5,
                turn=0.45,
                initiatives=("onboarding-calls",),
                moved=(
                    "Calendly link added to the welcome e-mail",
                    "Booked calls for all enterprise signups",
                    "Follow-up sequence for no-shows",
                ),
                blocked=(
                    "Only two CSMs for 60 new accounts a month",
                    "Self-serve accounts ignore the booking link",
                ),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="platform",
        title="Build a product mid-market teams can bet their business on",
        level="company",
        owner="engineering",
        key_results=(
            _KrSpec(
                slug="p1-incidents",
                title="Reduce P1 incidents from {b} to {t} per month",
                owner="daniel",
                pattern="behind",
                baseline=6,
                target=2,
                unit="incidents",
                level=0.5,
                initiatives=("incident-process",),
                moved=(
                    "Incident log cleaned up; baseline agreed",
                    "Connection-pool fix removed a recurring P1",
                    "Alert noise halved",
                ),
                blocked=("Legacy ingestion workers still page twice a week",),
            ),
            _KrSpec(
                slug="p95-load",
                title="Cut p95 dashboard load time from {b} s to {t} s",
                owner="priya",
                pattern="on_pace",
                baseline=3.8,
                target=1.5,
                unit="s",
                places=2,
                level=0.9,
                initiatives=("query-engine-v2",),
                moved=(
                    "Profiling done: 70% of time is in the query planner",
                    "Result cache on for read-only dashboards",
                    "Query engine v2 rolled out to 30% of workspaces",
                    "Column pruning shipped",
                ),
                blocked=("Cache invalidation bug on shared filters",),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="growth-trials",
        title="Grow the share of trials that become paying customers",
        level="team",
        owner="growth",
        parent="revenue",
        key_results=(
            _KrSpec(
                slug="trial-to-paid",
                title="Increase trial-to-paid conversion from {b}% to {t}%",
                owner="maria",
                pattern="kpi",
                kpi="trial-to-paid",
                target_of=lambda b: round(b + 4),
                unit="%",
                places=1,
                initiatives=("trial-nurture", "pricing-page"),
                moved=(
                    "Cohort dashboard ready; baseline confirmed",
                    "Day-3 nurture e-mail live",
                    "In-app upgrade prompt on the fifth dashboard",
                    "Sales-assist for trials from companies over 50 people",
                ),
                blocked=("E-mail deliverability dropped after the domain change",),
            ),
            _KrSpec(
                slug="pricing-page",
                title="Launch the new pricing page",
                owner="lucas",
                pattern="milestone",
                turn=0.5,
                initiatives=("pricing-page",),
                moved=(
                    "Plan matrix agreed with sales",
                    "Copy and design review done",
                    "A/B test set up behind a flag",
                    "Legal approved annual-plan terms",
                    "New pricing page live for all visitors",
                ),
                blocked=("Waiting on legal for the annual-plan terms",),
            ),
            _KrSpec(
                slug="mqls",
                title="Grow marketing-qualified leads from {b} to {t} per month",
                owner="aisha",
                pattern="stuck",
                baseline=320,
                target=450,
                unit="MQLs",
                level=0.3,
                turn=0.4,
                initiatives=("seo-content", "paid-search"),
                moved=(
                    "Lead scoring model reviewed with sales",
                    "Two template landing pages published",
                    "Webinar drove 40 sign-ups",
                ),
                blocked=(
                    "Content writer left; no one owns the SEO hub",
                    "Paid search budget frozen pending the CAC review",
                ),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="sales-expansion",
        title="Expand our footprint in the accounts we already have",
        level="team",
        owner="sales",
        parent="revenue",
        key_results=(
            _KrSpec(
                slug="expansion-mrr",
                title="Increase expansion MRR from ${b} to ${t} per month",
                owner="sofia",
                pattern="sandbag",
                baseline=8_000,
                target=9_000,
                unit="$",
                turn=0.25,
                initiatives=("expansion-playbook",),
                moved=(
                    "Expansion list built from usage data",
                    "Seat upgrades at three accounts",
                    "Two accounts moved to the Scale plan",
                    "Upsell on the annual renewal",
                ),
            ),
            _KrSpec(
                slug="pipeline",
                title="Grow qualified pipeline from ${b} to ${t}",
                owner="kwame",
                pattern="sandbag",
                baseline=400_000,
                target=440_000,
                unit="$",
                turn=0.3,
                initiatives=("expansion-playbook", "enterprise-motion"),
                moved=(
                    "Pipeline hygiene pass in the CRM",
                    "Four expansion opportunities qualified",
                    "Partner-sourced deal entered the pipeline",
                ),
            ),
            _KrSpec(
                slug="demo-close",
                title="Increase demo-to-close rate from {b}% to {t}%",
                owner="emily",
                pattern="sandbag",
                baseline=22,
                target=24,
                unit="%",
                places=1,
                turn=0.35,
                initiatives=("enterprise-motion",),
                moved=(
                    "Demo script rewritten around the buyer's own data",
                    "Mutual action plans on every late-stage deal",
                    "Closed two deals in the first call after the demo",
                ),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="eng-reliability",
        title="Fix the reliability problems that wake us up at night",
        level="team",
        owner="engineering",
        parent="platform",
        type="committed",
        key_results=(
            _KrSpec(
                slug="mttr",
                title="Reduce mean time to recovery from {b} to {t} minutes",
                owner="mateo",
                pattern="stuck",
                baseline=90,
                target=30,
                unit="min",
                level=0.5,
                turn=0.35,
                initiatives=("incident-process",),
                moved=(
                    "On-call rotation published",
                    "Runbooks for the top five alerts",
                    "One-click rollback in the deploy pipeline",
                ),
                blocked=(
                    "On-call is still three people; nobody has time for runbooks",
                    "Database failover needs a maintenance window",
                ),
            ),
            _KrSpec(
                slug="billing-coverage",
                title="Increase billing service test coverage from {b}% to {t}%",
                owner="lena",
                pattern="on_pace",
                baseline=45,
                target=80,
                unit="%",
                level=0.95,
                initiatives=("billing-tests",),
                moved=(
                    "Test harness with a fake Stripe server",
                    "Proration and refund paths covered",
                    "Invoice generation covered end to end",
                    "Coverage gate added to CI",
                ),
                blocked=("Flaky webhook tests block the CI gate",),
            ),
        ),
    ),
)

_CURRENT: tuple[_ObjectiveSpec, ...] = (
    _ObjectiveSpec(
        slug="bigger-customers",
        title="Grow revenue by winning bigger customers",
        level="company",
        owner=_CEO,
        description="Move up-market: fewer, larger accounts that stay longer.",
        key_results=(
            _KrSpec(
                slug="enterprise-logos",
                title="Increase enterprise customers from {b} to {t}",
                owner="james",
                pattern="behind",
                baseline=4,
                target=10,
                unit="customers",
                level=0.5,
                initiatives=("enterprise-motion",),
                moved=(
                    "Target account list of 80 agreed",
                    "Security pack answered the first questionnaire same day",
                    "Signed a 200-seat logistics company",
                ),
                blocked=(
                    "Procurement cycles run past the quarter end",
                    "No SOC 2 report yet; two deals waiting on it",
                ),
            ),
            _KrSpec(
                slug="nrr",
                title="Grow net revenue retention from {b}% to {t}%",
                owner="olivia",
                pattern="kpi",
                kpi="nrr",
                target_of=lambda b: round(b + 7),
                unit="%",
                places=1,
                initiatives=("qbr-program", "health-scores"),
                moved=(
                    "Health scores visible to every CSM",
                    "QBRs booked for the top 20 accounts",
                    "Three renewals with seat expansion",
                ),
                blocked=("Churned accounts from the old SMB cohort still weigh on the number",),
            ),
            _KrSpec(
                slug="acv",
                title="Increase average contract value from ${b} to ${t}",
                owner=_CEO,
                pattern="on_pace",
                baseline=9_000,
                target=14_000,
                unit="$",
                level=0.8,
                initiatives=("usage-pricing", "enterprise-motion"),
                moved=(
                    "New packaging approved by the board",
                    "Scale plan default in every sales quote",
                    "Discount approvals now need the CEO",
                    "Two multi-year deals signed",
                ),
                blocked=("Billing system cannot invoice usage tiers yet",),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="retention",
        title="Become the analytics tool customers refuse to leave",
        level="company",
        owner="customer-success",
        key_results=(
            _KrSpec(
                slug="logo-churn",
                title="Reduce monthly logo churn from {b}% to {t}%",
                owner="olivia",
                pattern="kpi",
                kpi="logo-churn",
                target=1.5,
                unit="%",
                places=2,
                initiatives=("health-scores", "qbr-program"),
                moved=(
                    "Churn interviews with the last ten lost accounts",
                    "Save desk for cancellation requests",
                    "At-risk playbook triggered by health scores",
                ),
                blocked=(
                    "SMB accounts from last year's promo are churning at renewal",
                    "No owner for accounts under $500 a month",
                ),
            ),
            _KrSpec(
                slug="activation",
                title="Increase activation rate from {b}% to {t}%",
                owner="hannah",
                pattern="kpi",
                kpi="activation-rate",
                target_of=lambda b: round(b + 8),
                unit="%",
                places=1,
                initiatives=("onboarding-revamp",),
                moved=(
                    "Activation definition re-checked with data",
                    "Checklist on for all new signups",
                    "Connect-your-database step simplified",
                    "Invite-a-teammate prompt at the first dashboard",
                ),
                blocked=("Warehouse connector errors stall a third of new accounts",),
            ),
            _KrSpec(
                slug="csat",
                title="Increase enterprise CSAT from {b}% to {t}%",
                owner="fatima",
                pattern="stuck",
                baseline=82,
                target=92,
                unit="%",
                level=0.4,
                turn=0.15,
                initiatives=("support-tiers",),
                moved=(
                    "CSAT survey on every closed enterprise ticket",
                    "Named support engineer for the top ten accounts",
                ),
                blocked=(
                    "Tier-2 queue has no engineer this month",
                    "Bug backlog for enterprise tickets keeps growing",
                ),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="it-approved",
        title="Build a platform that IT teams approve on the first call",
        level="company",
        owner="engineering",
        key_results=(
            _KrSpec(
                slug="uptime",
                title="Maintain {t}% uptime",
                owner="daniel",
                pattern="kpi",
                kpi="uptime",
                baseline=99.9,
                target=99.9,
                unit="%",
                places=2,
                initiatives=("multi-region",),
                moved=(
                    "Status page moved to its own provider",
                    "No incidents this week",
                    "Failover drill passed",
                ),
                blocked=("Multi-region failover needs the database upgrade first",),
            ),
            _KrSpec(
                slug="sso",
                title="Increase enterprise accounts using SSO from {b} to {t}",
                owner="ivan",
                pattern="on_pace",
                baseline=2,
                target=15,
                unit="accounts",
                level=0.9,
                initiatives=("sso-scim",),
                moved=(
                    "SAML SSO in beta with two customers",
                    "Okta and Azure AD guides published",
                    "SCIM provisioning shipped",
                    "Three enterprise accounts switched SSO on",
                ),
                blocked=("One customer's IdP sends malformed assertions",),
            ),
            _KrSpec(
                slug="p95-load",
                title="Cut p95 dashboard load time from {b} s to {t} s",
                owner="priya",
                pattern="behind",
                baseline=1.9,
                target=1.2,
                unit="s",
                places=2,
                level=0.45,
                initiatives=("query-engine-v2",),
                moved=(
                    "Slowest 50 dashboards profiled",
                    "Query engine v2 on for all workspaces",
                    "Pre-aggregation for date filters",
                ),
                blocked=(
                    "Largest customer's warehouse is the bottleneck, not us",
                    "Two engineers pulled onto SSO",
                ),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="growth-conversion",
        title="Improve the path from trial to paid",
        level="team",
        owner="growth",
        parent="bigger-customers",
        key_results=(
            _KrSpec(
                slug="trial-to-paid",
                title="Increase trial-to-paid conversion from {b}% to {t}%",
                owner="maria",
                pattern="kpi",
                kpi="trial-to-paid",
                target_of=lambda b: round(b + 5),
                unit="%",
                places=1,
                initiatives=("trial-nurture", "usage-pricing"),
                moved=(
                    "Conversion funnel split by company size",
                    "Trial extended to 21 days for teams over 20 people",
                    "Pricing page A/B test winner rolled out",
                    "Onboarding call offered to high-intent trials",
                ),
                blocked=("Attribution breaks for trials started on mobile",),
            ),
            _KrSpec(
                slug="cac-payback",
                title="Reduce CAC payback from {b} to {t} months",
                owner="tom",
                pattern="kpi",
                kpi="cac-payback",
                target_of=lambda b: round(b - 3),
                unit="months",
                places=1,
                initiatives=("paid-search",),
                moved=(
                    "Spend by channel reconciled with finance",
                    "Paused the two worst paid-search campaigns",
                    "Shifted budget to review sites",
                ),
                blocked=("Finance closes the books three weeks late",),
            ),
            _KrSpec(
                slug="organic-signups",
                title="Grow organic signups from {b} to {t} per month",
                owner="nina",
                pattern="stuck",
                baseline=600,
                target=900,
                unit="signups",
                level=0.3,
                turn=0.15,
                initiatives=("seo-content",),
                moved=(
                    "Template pages indexed",
                    "Ten comparison articles published",
                ),
                blocked=(
                    "Search traffic dropped after the core algorithm update",
                    "No writer since the contractor left",
                ),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="sales-expansion",
        title="Expand revenue inside our existing accounts",
        level="team",
        owner="sales",
        parent="bigger-customers",
        key_results=(
            _KrSpec(
                slug="expansion-mrr",
                title="Increase expansion MRR from ${b} to ${t} per month",
                owner="sofia",
                pattern="sandbag",
                baseline=9_500,
                target=10_500,
                unit="$",
                turn=0.3,
                initiatives=("expansion-playbook",),
                moved=(
                    "Expansion list refreshed from usage data",
                    "Seat true-ups at four accounts",
                    "Scale plan upgrade at a retail customer",
                ),
            ),
            _KrSpec(
                slug="pipeline",
                title="Grow qualified pipeline from ${b} to ${t}",
                owner="kwame",
                pattern="sandbag",
                baseline=460_000,
                target=490_000,
                unit="$",
                turn=0.35,
                initiatives=("expansion-playbook", "enterprise-motion"),
                moved=(
                    "Pipeline review with every account executive",
                    "Three expansion opportunities qualified",
                    "Event follow-ups converted to meetings",
                ),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="product-first-week",
        title="Improve the first week of every new account",
        level="team",
        owner="product",
        parent="retention",
        key_results=(
            _KrSpec(
                slug="time-to-dashboard",
                title="Reduce median time to first dashboard from {b} to {t} hours",
                owner="omar",
                pattern="on_pace",
                baseline=72,
                target=24,
                unit="hours",
                level=0.85,
                initiatives=("sample-data",),
                moved=(
                    "Funnel instrumented from signup to first dashboard",
                    "Sample data workspace for every trial",
                    "Ten template dashboards for common stacks",
                    "One-click CSV import",
                ),
                blocked=("Templates need connectors we have not built",),
            ),
            _KrSpec(
                slug="weekly-active",
                title="Increase weekly active accounts from {b} to {t}",
                owner="julia",
                pattern="on_pace",
                baseline=410,
                target=520,
                unit="accounts",
                level=0.7,
                moved=(
                    "Weekly digest e-mail designed",
                    "Digest live for all accounts",
                    "Slack alerts for dashboard thresholds",
                ),
                blocked=("Digest e-mails land in spam for some domains",),
            ),
            _KrSpec(
                slug="checklist",
                title="Increase onboarding checklist completion from {b}% to {t}%",
                owner="kenji",
                pattern="behind",
                baseline=38,
                target=60,
                unit="%",
                level=0.4,
                initiatives=("onboarding-revamp",),
                moved=(
                    "Checklist completion tracked per step",
                    "Dropped the two steps nobody finished",
                    "Progress bar in the sidebar",
                ),
                blocked=("Design capacity went to the pricing work",),
            ),
        ),
    ),
    _ObjectiveSpec(
        slug="research-grace",
        title="Become the team's go-to source of customer insight",
        level="individual",
        owner="grace",
        parent="product-first-week",
        key_results=(
            _KrSpec(
                slug="interviews",
                title="Increase customer interviews per month from {b} to {t}",
                owner="grace",
                pattern="on_pace",
                baseline=4,
                target=12,
                unit="interviews",
                level=0.9,
                initiatives=("customer-research",),
                moved=(
                    "Interview guide and consent form ready",
                    "Recruiting panel of 40 customers",
                    "Incentive budget approved",
                    "Five interviews this week",
                ),
                blocked=("Customers book then no-show in the holiday weeks",),
            ),
            _KrSpec(
                slug="insights",
                title="Grow the tagged insight library from {b} to {t} insights",
                owner="grace",
                pattern="on_pace",
                baseline=20,
                target=60,
                unit="insights",
                level=0.75,
                initiatives=("customer-research",),
                moved=(
                    "Tagging taxonomy agreed with product",
                    "Old interview notes migrated",
                    "Insights linked to roadmap items",
                ),
            ),
        ),
    ),
)

_REVIEW_NOTE = (
    "Sales hit every key result by week five: their next targets need real stretch. "
    "The new pricing page shipped mid-quarter. Kick-off calls, MQLs and MTTR stopped moving "
    "after week six: a staffing problem, not an effort problem. Reliability work carries over."
)


# --------------------------------------------------------------------------- check-ins


def _checkin_days(cycle: Period, today: dt.date, *, closed: bool) -> list[dt.date]:
    """Fridays of the cycle up to `today`; a closed cycle also gets a final one on its end."""
    last = min(cycle.end, today)
    day = cycle.start + dt.timedelta(days=(_CHECKIN_WEEKDAY - cycle.start.weekday()) % 7)
    days = []
    while day <= last:
        days.append(day)
        day += dt.timedelta(weeks=1)
    if closed and (not days or days[-1] != cycle.end) and cycle.end <= today:
        days.append(dt.date.fromordinal(cycle.end.toordinal()))  # a copy: no YAML alias
    return days


def _latest(kpi: Kpi, day: dt.date) -> Measurement:
    """The KPI's latest measurement on `day` (its first one when it has none yet)."""
    latest = kpi.measurements[0]
    for m in kpi.measurements:
        if m.at <= day:
            latest = m
    return latest


def _planned_progress(spec: _KrSpec, t: float, rng: random.Random) -> float:
    """Where a manual KR stands after a share `t` of the cycle, by its pattern."""
    noise = rng.gauss(0, 0.03)
    if spec.pattern == "on_pace":
        p = spec.level * float(t**1.1) + noise
    elif spec.pattern == "behind":
        p = spec.level * float(t**1.8) + noise
    elif spec.pattern == "stuck":
        p = spec.level if t >= spec.turn else spec.level * t / spec.turn + noise
    elif spec.pattern == "sandbag":
        if t < spec.turn:
            p = min(0.98, t / spec.turn + noise)
        else:
            p = 1 + 0.5 * (t - spec.turn) / (1 - spec.turn) + abs(noise)
    else:
        raise ValueError(f"unknown pattern {spec.pattern!r}")
    return max(-0.05, p)


def _progress(value: Decimal, baseline: Decimal, target: Decimal) -> float:
    span = target - baseline
    if span == 0:
        return 1.0 if value >= target else 0.0
    return float((value - baseline) / span)


def _confidence(progress: float, elapsed: float) -> str:
    """On track when heading for at least 0.8 (0.7 is success on an aspirational objective)."""
    if progress >= 0.8 * elapsed - 0.1:
        return "on_track"
    if progress >= 0.5 * elapsed - 0.1:
        return "at_risk"
    return "off_track"


def _key_result(
    spec: _KrSpec,
    key: str,
    cycle: Period,
    *,
    closed: bool,
    today: dt.date,
    kpis: dict[str, Kpi],
    seed: int,
) -> KeyResult:
    rng = random.Random(f"{seed}:kr:{key}")
    owner = _email(spec.owner)
    kpi = kpis[spec.kpi] if spec.kpi else None
    milestone = spec.pattern == "milestone"

    baseline: Decimal | None = None
    target: Decimal | None = None
    if not milestone:
        if spec.baseline is not None:
            baseline = _dec(spec.baseline, spec.places)
        else:
            assert kpi is not None, f"{key}: a KR without a baseline follows a KPI"
            baseline = _latest(kpi, cycle.start - dt.timedelta(days=1)).value
        if spec.target is not None:
            target = _dec(spec.target, spec.places)
        else:
            assert spec.target_of is not None, f"{key}: no target"
            target = _dec(spec.target_of(float(baseline)), spec.places)

    total_days = (cycle.end - cycle.start).days + 1
    checkins: list[CheckIn] = []
    previous: Decimal | None = None
    recent: list[float] = []
    step = 0
    for day in _checkin_days(cycle, today, closed=closed):
        t = ((day - cycle.start).days + 1) / total_days
        if milestone:
            done = t >= spec.turn
            value = Decimal(1 if done else 0)
            if done:
                confidence = "on_track"
                moved: str | None = spec.moved[-1] if previous == 0 else None
            else:
                confidence = "on_track" if t < spec.turn - 0.2 else "at_risk"
                moved = spec.moved[step] if step < len(spec.moved) - 1 else None
            step += 1
        else:
            assert baseline is not None and target is not None
            if kpi is not None:
                latest = _latest(kpi, day)
                value = latest.value
                # Judge a KPI's value by the day it was measured: a month-end number checked
                # in three weeks later is not three weeks further behind.
                measured = latest.at.date() if isinstance(latest.at, dt.datetime) else latest.at
                t = max(0, (measured - cycle.start).days + 1) / total_days
            else:
                planned = _planned_progress(spec, t, rng)
                value = _dec(float(baseline) + planned * float(target - baseline), spec.places)
            # Confidence follows the trend of the last three values, not one noisy week.
            recent.append(_progress(value, baseline, target))
            confidence = _confidence(sum(recent[-3:]) / len(recent[-3:]), t)
            better = 1 if target >= baseline else -1
            if previous is None:
                moved = spec.moved[0]
            elif (value - previous) * better > 0:
                moved = rng.choice(spec.moved[1:] or spec.moved)
            elif value != previous:
                moved = rng.choice(_SLIPPED)
            else:
                moved = None
        blocked = None
        if spec.blocked and confidence != "on_track":
            chance = 0.85 if value == previous else 0.5
            if rng.random() < chance:
                blocked = rng.choice(spec.blocked)
        checkins.append(
            CheckIn(
                at=day, by=owner, value=value, confidence=confidence, moved=moved, blocked=blocked
            )
        )
        previous = value

    final_score = None
    if closed and checkins:
        last = checkins[-1].value
        assert last is not None
        if milestone:
            final_score = Decimal(1 if last >= 1 else 0)
        else:
            assert baseline is not None and target is not None
            final_score = _dec(min(1.0, max(0.0, _progress(last, baseline, target))), 2)

    return KeyResult(
        key=key,
        title=spec.title.format(
            b=_fmt(baseline) if baseline is not None else "",
            t=_fmt(target) if target is not None else "",
        ),
        owner=owner,
        kind="milestone" if milestone else "metric",
        baseline=baseline,
        target=target,
        unit=spec.unit,
        kpi=spec.kpi,
        initiatives=list(spec.initiatives),
        final_score=final_score,
        checkins=checkins,
    )


def _objectives(
    specs: tuple[_ObjectiveSpec, ...],
    cycle: Period,
    *,
    closed: bool,
    today: dt.date,
    kpis: dict[str, Kpi],
    seed: int,
) -> list[Objective]:
    prefix = cycle.key.lower()
    objectives = []
    for spec in specs:
        key = f"{prefix}-{spec.slug}"
        objectives.append(
            Objective(
                key=key,
                title=spec.title,
                level=spec.level,
                owner=_owner(spec.owner),
                cycle=cycle.key,
                parent=f"{prefix}-{spec.parent}" if spec.parent else None,
                type=spec.type,
                description=spec.description,
                key_results=[
                    _key_result(
                        kr,
                        f"{key}-{kr.slug}",
                        cycle,
                        closed=closed,
                        today=today,
                        kpis=kpis,
                        seed=seed,
                    )
                    for kr in spec.key_results
                ],
            )
        )
    return objectives


def _cycle_name(period: Period) -> str:
    return f"Q{(period.start.month - 1) // 3 + 1} {period.start.year}"


# --------------------------------------------------------------------------- the document


def demo_document(today: dt.date, *, seed: int = 7) -> OkrDocument:
    """The Northwind Analytics demo workspace as it stands on `today`.

    Deterministic for a given `today` and `seed`; no check-in or measurement is later than
    `today`. The result passes the OKR file's validation (`dump_okr_yaml` / `load_okr_yaml`).
    """
    previous = previous_quarter(today)
    current = quarter_period(today)
    kpis = [_kpi(spec, today, seed) for spec in _KPIS]
    by_key = {kpi.key: kpi for kpi in kpis}
    return OkrDocument(
        workspace_key=WORKSPACE_KEY,
        workspace_name=WORKSPACE_NAME,
        people=_people(),
        teams=_teams(),
        cycles=[
            Cycle(
                key=previous.key,
                start=previous.start,
                end=previous.end,
                name=_cycle_name(previous),
                closed=True,
                review_note=_REVIEW_NOTE,
            ),
            Cycle(key=current.key, start=current.start, end=current.end, name=_cycle_name(current)),
        ],
        kpis=kpis,
        initiatives=_initiatives(),
        objectives=_objectives(
            _PREVIOUS, previous, closed=True, today=today, kpis=by_key, seed=seed
        )
        + _objectives(_CURRENT, current, closed=False, today=today, kpis=by_key, seed=seed),
    )
