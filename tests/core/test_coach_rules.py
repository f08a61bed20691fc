"""The coach's set rules (PRODUCT §4): each fires on a minimal document, none on a good one."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from okapi.core.coach import RULES, coach_document, has_errors
from okapi.core.coach.findings import Finding
from okapi.core.okrfile import load_okr_yaml

TODAY = dt.date(2027, 2, 20)  # seven weeks into 2027-Q1

GOOD = """
workspace: {key: acme, name: Acme Inc.}
people:
  - {email: maria@acme.test, name: Maria Lopez}
  - {email: li@acme.test, name: Li Wei}
teams:
  - {key: growth, name: Growth, lead: maria@acme.test}
cycles:
  - {key: 2027-Q1, start: 2027-01-01, end: 2027-03-31}
initiatives:
  - {key: onboarding, title: Rebuild onboarding, owner: growth}
objectives:
  - key: retention
    title: Make onboarding so good that customers stay
    level: company
    owner: growth
    cycle: 2027-Q1
    key_results:
      - key: nrr
        title: Grow net revenue retention from 108% to 120%
        owner: maria@acme.test
        baseline: 108
        target: 120
        unit: "%"
        initiatives: [onboarding]
        checkins:
          - {at: 2027-02-01, by: maria@acme.test, value: 109}
          - {at: 2027-02-15, by: maria@acme.test, value: 111}
      - key: activation
        title: Increase activation rate from 40% to 60%
        owner: li@acme.test
        baseline: 40
        target: 60
        unit: "%"
        initiatives: [onboarding]
        checkins:
          - {at: 2027-02-14, by: li@acme.test, value: 44}
  - key: first-week
    title: Improve the first week of every new customer
    level: team
    owner: growth
    parent: retention
    cycle: 2027-Q1
    key_results:
      - key: time-to-value
        title: Reduce time to first value from 9 days to 3 days
        owner: li@acme.test
        baseline: 9
        target: 3
        unit: days
        initiatives: [onboarding]
        checkins:
          - {at: 2027-02-18, by: li@acme.test, value: 7}
      - key: week1-retention
        title: Raise week-1 retention from 35% to 50%
        owner: maria@acme.test
        baseline: 35
        target: 50
        unit: "%"
        initiatives: [onboarding]
        checkins:
          - {at: 2027-02-18, by: maria@acme.test, value: 38}
"""

Doc = dict[str, Any]


def base() -> Doc:
    data: Doc = yaml.safe_load(GOOD)
    return data


def coach(data: Doc, **kwargs: Any) -> list[Finding]:
    """Round-trip through YAML text, as the CLI reads it."""
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("headcount", 50)  # series B+: no stage advice unless a test asks for it
    return coach_document(load_okr_yaml(yaml.safe_dump(data, sort_keys=False)), **kwargs)


def kr(data: Doc, key: str) -> Doc:
    for objective in data["objectives"]:
        for item in objective["key_results"]:
            if item["key"] == key:
                result: Doc = item
                return result
    raise KeyError(key)


def objective(data: Doc, key: str) -> Doc:
    found: Doc = next(o for o in data["objectives"] if o["key"] == key)
    return found


def good_kr(key: str, title: str = "Increase paid conversion from 2% to 3%") -> Doc:
    return {
        "key": key,
        "title": title,
        "owner": "maria@acme.test",
        "baseline": 2,
        "target": 3,
        "unit": "%",
        "initiatives": ["onboarding"],
        "checkins": [{"at": "2027-02-18", "by": "maria@acme.test", "value": 2.2}],
    }


def extra_objectives(data: Doc, n: int, *, level: str = "company", **fields: Any) -> None:
    for i in range(n):
        data["objectives"].append(
            {
                "key": f"extra-{i}",
                "title": f"Improve part {i} of the product",
                "level": level,
                "owner": "growth",
                "cycle": "2027-Q1",
                **fields,
                "key_results": [good_kr(f"extra-{i}-a"), good_kr(f"extra-{i}-b")],
            }
        )


# Each mutation breaks one rule; the finding it must produce: (rule, where, severity).
def too_many_company_objectives(d: Doc) -> None:
    extra_objectives(d, 5)


def too_many_team_objectives(d: Doc) -> None:
    extra_objectives(d, 5, level="team", parent="retention")


def single_kr(d: Doc) -> None:
    objective(d, "retention")["key_results"].pop()


def six_krs(d: Doc) -> None:
    objective(d, "retention")["key_results"] += [good_kr(f"more-{i}") for i in range(4)]


def no_krs(d: Doc) -> None:
    objective(d, "retention")["key_results"] = []


def maintain_kr(d: Doc) -> None:
    kr(d, "nrr")["title"] = "Maintain NRR above 110%"


def flat_kr(d: Doc) -> None:
    kr(d, "nrr")["target"] = 108


def task_kr(d: Doc) -> None:
    kr(d, "activation")["title"] = "Hold weekly marketing meetings"


def launch_kr(d: Doc) -> None:
    kr(d, "activation")["title"] = "Launch new website"


def milestone_kind(d: Doc) -> None:
    item = kr(d, "activation")
    item.update(kind="milestone", baseline=None, target=None, unit=None, checkins=[])


def no_baseline(d: Doc) -> None:
    del kr(d, "nrr")["baseline"]


def no_target(d: Doc) -> None:
    del kr(d, "nrr")["target"]


def no_unit(d: Doc) -> None:
    del kr(d, "nrr")["unit"]


def no_kr_owner(d: Doc) -> None:
    del kr(d, "nrr")["owner"]


def no_objective_owner(d: Doc) -> None:
    del objective(d, "retention")["owner"]


def no_direction(d: Doc) -> None:
    objective(d, "retention")["title"] = "Customer happiness"


def maintenance_objective(d: Doc) -> None:
    objective(d, "retention")["title"] = "Keep customers happy"


def number_objective(d: Doc) -> None:
    objective(d, "retention")["title"] = "Reach $1M ARR"


def no_initiative(d: Doc) -> None:
    del kr(d, "nrr")["initiatives"]


def unaligned(d: Doc) -> None:
    objective(d, "first-week")["parent"] = None


def stale(d: Doc) -> None:
    kr(d, "nrr")["checkins"] = [{"at": "2027-02-01", "by": "maria@acme.test", "value": 109}]


def never_checked_in(d: Doc) -> None:
    kr(d, "nrr")["checkins"] = []


def stuck(d: Doc) -> None:
    kr(d, "nrr")["checkins"] = [
        {"at": "2027-01-08", "by": "maria@acme.test", "value": 109},
        {"at": "2027-01-22", "by": "maria@acme.test", "value": 109},
        {"at": "2027-02-05", "by": "maria@acme.test", "value": 109},
        {"at": "2027-02-19", "by": "maria@acme.test", "value": 109},
    ]


def sandbagged(d: Doc) -> None:
    for quarter, start, end in (
        ("2026-Q3", "2026-07-01", "2026-09-30"),
        ("2026-Q4", "2026-10-01", "2026-12-31"),
    ):
        d["cycles"].append({"key": quarter, "start": start, "end": end, "closed": True})
        krs = [good_kr(f"{quarter}-{i}") | {"final_score": 1.0} for i in range(3)]
        d["objectives"].append(
            {
                "key": f"past-{quarter}",
                "title": "Grow self-serve revenue",
                "level": "team",
                "owner": "growth",
                "cycle": quarter,
                "key_results": krs,
            }
        )


CASES: list[tuple[str, Callable[[Doc], None], str, str, str]] = [
    ("6 company objectives", too_many_company_objectives, "too-many-objectives", "acme", "warning"),
    ("6 team objectives", too_many_team_objectives, "too-many-objectives", "growth", "warning"),
    ("1 key result", single_kr, "kr-count", "retention", "warning"),
    ("6 key results", six_krs, "kr-count", "retention", "warning"),
    ("no key results", no_krs, "kr-count", "retention", "warning"),
    ("maintains a number", maintain_kr, "kpi-in-disguise", "nrr", "warning"),
    ("baseline equals target", flat_kr, "kpi-in-disguise", "nrr", "warning"),
    ("an activity", task_kr, "task-as-kr", "activation", "warning"),
    ("a launch", launch_kr, "binary-kr", "activation", "warning"),
    ("kind: milestone", milestone_kind, "binary-kr", "activation", "warning"),
    ("no baseline", no_baseline, "missing-baseline", "nrr", "error"),
    ("no target", no_target, "missing-target", "nrr", "error"),
    ("no unit", no_unit, "missing-unit", "nrr", "warning"),
    ("KR without owner", no_kr_owner, "missing-owner", "nrr", "error"),
    ("objective without owner", no_objective_owner, "missing-owner", "retention", "warning"),
    ("no direction", no_direction, "objective-without-direction", "retention", "warning"),
    ("maintains", maintenance_objective, "objective-without-direction", "retention", "warning"),
    ("a number", number_objective, "objective-without-direction", "retention", "warning"),
    ("no initiative", no_initiative, "kr-without-initiative", "nrr", "warning"),
    ("no parent", unaligned, "unaligned-objective", "first-week", "warning"),
    ("19 days without check-in", stale, "stale-kr", "nrr", "warning"),
    ("never checked in", never_checked_in, "stale-kr", "nrr", "warning"),
    ("flat for 6 weeks", stuck, "stuck-kr", "nrr", "warning"),
    ("1.0 twice in a row", sandbagged, "sandbagging", "growth", "warning"),
]


def test_it_finds_nothing_wrong_with_a_good_document() -> None:
    assert coach(base()) == []


@pytest.mark.parametrize(
    ("mutate", "rule", "where", "severity"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_it_fires_the_rule(
    mutate: Callable[[Doc], None], rule: str, where: str, severity: str
) -> None:
    data = base()
    mutate(data)
    findings = coach(data)
    fired = [f for f in findings if f.rule == rule]
    assert fired, [f.rule for f in findings]
    assert fired[0].where == where
    assert fired[0].severity == severity
    assert fired[0].message and fired[0].suggestion


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [(case[1], case[2]) for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_it_fires_only_the_broken_rule_and_its_consequences(
    mutate: Callable[[Doc], None], rule: str
) -> None:
    data = base()
    mutate(data)
    rules = {f.rule for f in coach(data)}
    # A KR turned into a milestone or a task also loses its metric fields or its meaning;
    # everything else must stay quiet.
    allowed = {rule, "missing-baseline", "missing-target", "missing-unit", "stale-kr"}
    assert rules <= allowed, rules


def test_it_uses_only_registered_rule_ids_and_severities() -> None:
    findings: list[Finding] = []
    for _, mutate, *_ in CASES:
        data = base()
        mutate(data)
        findings += coach(data)
    for finding in findings:
        assert finding.rule in RULES
        if finding.rule != "missing-owner":
            assert finding.severity == RULES[finding.rule].severity


@pytest.mark.parametrize(
    ("mutate", "errors"),
    [(no_baseline, True), (no_kr_owner, True), (maintain_kr, False), (stale, False)],
)
def test_it_reports_errors_only_for_unscorable_key_results(
    mutate: Callable[[Doc], None], errors: bool
) -> None:
    data = base()
    mutate(data)
    assert has_errors(coach(data)) is errors


def test_it_explains_why_with_the_sources() -> None:
    data = base()
    maintain_kr(data)
    (finding,) = [f for f in coach(data) if f.rule == "kpi-in-disguise"]
    assert "52%" in finding.message
    assert "from 110% to <target>" in finding.suggestion


def test_it_leaves_closed_cycles_alone_except_for_sandbagging() -> None:
    data = base()
    data["cycles"][0]["closed"] = True
    maintain_kr(data)
    no_baseline(data)
    stale(data)
    assert coach(data) == []


def test_it_does_not_call_committed_objectives_sandbagging() -> None:
    data = base()
    sandbagged(data)
    for o in data["objectives"]:
        if o["key"].startswith("past-"):
            o["type"] = "committed"
    assert "sandbagging" not in {f.rule for f in coach(data)}


def test_it_does_not_call_one_perfect_cycle_sandbagging() -> None:
    data = base()
    sandbagged(data)
    data["objectives"] = [o for o in data["objectives"] if o["key"] != "past-2026-Q3"]
    data["cycles"] = [c for c in data["cycles"] if c["key"] != "2026-Q3"]
    assert "sandbagging" not in {f.rule for f in coach(data)}


def test_it_reads_sandbagging_from_the_last_check_in_when_there_is_no_final_score() -> None:
    data = base()
    sandbagged(data)
    for o in data["objectives"]:
        for item in o["key_results"]:
            if item.pop("final_score", None) is not None:
                item["checkins"] = [{"at": "2026-12-20", "by": "li@acme.test", "value": 3}]
    assert "sandbagging" in {f.rule for f in coach(data)}


def test_it_does_not_flag_a_stuck_key_result_that_reached_its_target() -> None:
    data = base()
    stuck(data)
    for c in kr(data, "nrr")["checkins"]:
        c["value"] = 120
    assert "stuck-kr" not in {f.rule for f in coach(data)}


def test_it_judges_staleness_only_while_the_cycle_runs() -> None:
    data = base()
    never_checked_in(data)
    assert "stale-kr" not in {f.rule for f in coach(data, today=dt.date(2026, 12, 1))}
    assert "stale-kr" not in {f.rule for f in coach(data, today=dt.date(2027, 1, 10))}
    assert "stale-kr" in {f.rule for f in coach(data, today=dt.date(2027, 1, 15))}


def test_it_aligns_through_a_chain_of_team_objectives() -> None:
    data = base()
    extra_objectives(data, 1, level="team", parent="first-week")
    assert "unaligned-objective" not in {f.rule for f in coach(data)}


def test_it_suggests_the_company_objectives_to_align_to() -> None:
    data = base()
    unaligned(data)
    (finding,) = [f for f in coach(data) if f.rule == "unaligned-objective"]
    assert "retention" in finding.suggestion


def test_it_does_not_ask_for_alignment_before_cascading_is_advised() -> None:
    data = base()
    unaligned(data)
    assert "unaligned-objective" not in {f.rule for f in coach(data, headcount=None, stage="A")}


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"headcount": None, "stage": "series-a"}, "early-cascading"),
        ({"headcount": None, "stage": "seed"}, "stage-framework"),
        ({"headcount": 6}, "stage-framework"),
    ],
)
def test_it_adds_stage_advice(kwargs: dict[str, Any], rule: str) -> None:
    assert rule in {f.rule for f in coach(base(), **kwargs)}


def test_it_infers_the_stage_from_the_people_listed() -> None:
    findings = coach(base(), headcount=None)
    framework = [f for f in findings if f.rule == "stage-framework"]
    assert framework and framework[0].where == "acme"
    assert "inferred from the 2 people" in framework[0].suggestion


def test_it_flags_twelve_objectives_for_six_people() -> None:
    data = base()
    extra_objectives(data, 10)
    findings = coach(data, headcount=6)
    (finding,) = [f for f in findings if f.rule == "stage-objectives"]
    assert "12 objectives" in finding.message and "6 people" in finding.message


@pytest.mark.parametrize(("count", "fires"), [(8, False), (9, True)])
def test_it_flags_too_many_kpis_at_seed(count: int, fires: bool) -> None:
    data = base()
    data["kpis"] = [{"key": f"k{i}", "name": f"KPI {i}", "target": 1} for i in range(count)]
    findings = coach(data, headcount=None, stage="seed")
    assert ("too-many-kpis" in {f.rule for f in findings}) is fires


def test_it_hints_at_too_many_kpis_when_the_stage_is_unknown() -> None:
    data = base()
    data["people"] = []
    data["teams"][0]["lead"] = None
    for o in data["objectives"]:
        for item in o["key_results"]:
            item.pop("owner")
            item["checkins"] = []
    data["kpis"] = [{"key": f"k{i}", "name": f"KPI {i}", "target": 1} for i in range(12)]
    findings = coach(data, headcount=None)
    (finding,) = [f for f in findings if f.rule == "too-many-kpis"]
    assert finding.severity == "info" and finding.where == "acme"


def test_it_uses_workspace_when_the_file_names_none() -> None:
    data = base()
    del data["workspace"]
    too_many_company_objectives(data)
    assert "workspace" in {f.where for f in coach(data)}


def test_it_is_deterministic() -> None:
    data = base()
    for mutate in (stale, task_kr, no_unit, unaligned):
        mutate(data)
    assert coach(copy.deepcopy(data)) == coach(copy.deepcopy(data))
