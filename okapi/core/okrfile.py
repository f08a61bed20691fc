"""The OKR file (FORMATS §3): parse and validate a YAML document into plain dataclasses, and
write one back out. No Django here: the importer, the exporter and the coach all share it.

Validation collects every problem before failing, each named by its path in the file, e.g.
``objectives[3].key_results[1].owner: unknown person 'x@acme.test'`` (indexes count from 0).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

DIRECTIONS = ("up", "down", "range")
CADENCES = ("daily", "weekly", "monthly", "quarterly")
LEVELS = ("company", "team", "individual")
OBJECTIVE_TYPES = ("aspirational", "committed")
KR_KINDS = ("metric", "milestone")
CONFIDENCES = ("on_track", "at_risk", "off_track")
ROLES = ("owner", "admin", "member", "viewer")

KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class OkrFileError(ValueError):
    """The file is not a valid OKR file; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Person:
    email: str
    name: str = ""
    role: str | None = None  # owner | admin | member | viewer; None: member (or unchanged)


@dataclass
class Team:
    key: str
    name: str
    lead: str | None = None
    parent: str | None = None
    members: list[str] = field(default_factory=list)


@dataclass
class Cycle:
    key: str
    start: dt.date
    end: dt.date
    name: str = ""
    closed: bool = False
    review_note: str = ""


@dataclass
class Measurement:
    at: dt.date | dt.datetime
    value: Decimal


@dataclass
class Kpi:
    key: str
    name: str
    unit: str = ""
    direction: str = "up"
    target: Decimal | None = None
    warning: Decimal | None = None
    target_low: Decimal | None = None
    target_high: Decimal | None = None
    warning_low: Decimal | None = None
    warning_high: Decimal | None = None
    cadence: str = "monthly"
    owner: str | None = None
    description: str = ""
    measurements: list[Measurement] = field(default_factory=list)


@dataclass
class Initiative:
    key: str
    title: str
    owner: str | None = None
    url: str | None = None


@dataclass
class CheckIn:
    at: dt.date
    by: str
    value: Decimal | None
    confidence: str = "on_track"
    moved: str | None = None
    blocked: str | None = None


@dataclass
class KeyResult:
    key: str
    title: str
    owner: str | None = None
    kind: str = "metric"
    baseline: Decimal | None = None
    target: Decimal | None = None
    unit: str = ""
    weight: Decimal = Decimal(1)
    kpi: str | None = None
    initiatives: list[str] = field(default_factory=list)
    final_score: Decimal | None = None
    checkins: list[CheckIn] = field(default_factory=list)


@dataclass
class Objective:
    key: str
    title: str
    level: str = "team"
    owner: str | None = None
    cycle: str = ""
    parent: str | None = None
    type: str = "aspirational"
    description: str = ""
    key_results: list[KeyResult] = field(default_factory=list)


@dataclass
class OkrDocument:
    workspace_key: str | None = None
    workspace_name: str | None = None
    timezone: str | None = None
    people: list[Person] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    cycles: list[Cycle] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    objectives: list[Objective] = field(default_factory=list)

    def key_results(self) -> Iterable[tuple[Objective, KeyResult]]:
        for objective in self.objectives:
            for kr in objective.key_results:
                yield objective, kr


# --------------------------------------------------------------------------- parsing


class _Reader:
    """Reads typed fields out of a mapping, recording problems instead of raising."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.fail(path, f"expected a mapping, got {_kind(value)}")
        return None

    def items(self, data: Mapping[str, Any], name: str, path: str) -> list[tuple[str, Any]]:
        value = data.get(name)
        if value is None:
            return []
        full = _join(path, name)
        if not isinstance(value, list):
            self.fail(full, f"expected a list, got {_kind(value)}")
            return []
        return [(f"{full}[{i}]", item) for i, item in enumerate(value)]

    def unknown_fields(self, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for name in data:
            if name not in allowed:
                self.fail(_join(path, str(name)), "unknown field")

    def text(
        self, data: Mapping[str, Any], name: str, path: str, *, required: bool = False
    ) -> str | None:
        value = data.get(name)
        if value is None or value == "":
            if required:
                self.fail(_join(path, name), "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(_join(path, name), f"expected text, got {_kind(value)}")
            return None
        return str(value).strip()

    def key(self, data: Mapping[str, Any], name: str, path: str) -> str | None:
        value = self.text(data, name, path, required=True)
        if value is not None and not KEY_RE.match(value):
            self.fail(
                _join(path, name),
                f"'{value}' is not a valid key (letters, digits, '-', '_', '.'; up to 64)",
            )
            return None
        return value

    def choice(
        self, data: Mapping[str, Any], name: str, path: str, choices: tuple[str, ...], default: str
    ) -> str:
        value = self.text(data, name, path)
        if value is None:
            return default
        if value not in choices:
            self.fail(_join(path, name), f"'{value}' is not one of {', '.join(choices)}")
            return default
        return value

    def number(self, data: Mapping[str, Any], name: str, path: str) -> Decimal | None:
        value = data.get(name)
        if value is None:
            return None
        parsed = parse_decimal(value)
        if parsed is None:
            self.fail(_join(path, name), f"'{value}' is not a number")
        return parsed

    def date(
        self, data: Mapping[str, Any], name: str, path: str, *, allow_time: bool = False
    ) -> dt.date | dt.datetime | None:
        value = data.get(name)
        if value is None:
            self.fail(_join(path, name), "is required")
            return None
        if isinstance(value, dt.datetime):
            if allow_time:
                return value
            self.fail(_join(path, name), "expected a date (YYYY-MM-DD), got a date and time")
            return None
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                if allow_time and ("T" in value or " " in value.strip()):
                    return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(_join(path, name), f"'{value}' is not an ISO 8601 date")
        return None

    def flag(self, data: Mapping[str, Any], name: str, path: str) -> bool:
        value = data.get(name, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.fail(_join(path, name), "expected true or false")
            return False
        return value


def parse_decimal(value: Any) -> Decimal | None:
    """A finite number from YAML/JSON/CSV input, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int | float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return "text"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def load_okr_yaml(text: str) -> OkrDocument:
    """Parse YAML text into a validated document, or raise OkrFileError."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        reason = getattr(exc, "problem", None) or str(exc)
        raise OkrFileError([Problem(where, f"not valid YAML: {reason}")]) from exc
    if data is None:
        data = {}
    return parse_okr_document(data)


def parse_okr_document(data: Any) -> OkrDocument:
    """Validate an already-decoded document (a dict, as from YAML or JSON)."""
    problems: list[Problem] = []
    r = _Reader(problems)
    root = r.mapping(data, "")
    if root is None:
        raise OkrFileError(problems)
    r.unknown_fields(
        root,
        {"workspace", "people", "teams", "cycles", "kpis", "initiatives", "objectives"},
        "",
    )
    doc = OkrDocument()

    if root.get("workspace") is not None:
        ws = r.mapping(root["workspace"], "workspace")
        if ws is not None:
            r.unknown_fields(ws, {"key", "name", "timezone"}, "workspace")
            doc.workspace_key = r.text(ws, "key", "workspace")
            doc.workspace_name = r.text(ws, "name", "workspace")
            doc.timezone = r.text(ws, "timezone", "workspace")

    for path, item in r.items(root, "people", ""):
        m = r.mapping(item, path)
        if m is None:
            continue
        r.unknown_fields(m, {"email", "name", "role"}, path)
        email = r.text(m, "email", path, required=True)
        if email is None:
            continue
        if not EMAIL_RE.match(email):
            r.fail(f"{path}.email", f"'{email}' is not an e-mail address")
            continue
        role = r.text(m, "role", path)
        if role is not None and role not in ROLES:
            r.fail(f"{path}.role", f"'{role}' is not one of {', '.join(ROLES)}")
            role = None
        doc.people.append(
            Person(email=email.lower(), name=r.text(m, "name", path) or "", role=role)
        )

    for path, item in r.items(root, "teams", ""):
        m = r.mapping(item, path)
        if m is None:
            continue
        r.unknown_fields(m, {"key", "name", "lead", "parent", "members"}, path)
        key = r.key(m, "key", path)
        name = r.text(m, "name", path, required=True)
        members = m.get("members") or []
        if not isinstance(members, list):
            r.fail(f"{path}.members", "expected a list of e-mail addresses")
            members = []
        if key and name:
            lead = r.text(m, "lead", path)
            doc.teams.append(
                Team(
                    key,
                    name,
                    lead.lower() if lead else None,
                    r.text(m, "parent", path),
                    [str(e).strip().lower() for e in members],
                )
            )

    for path, item in r.items(root, "cycles", ""):
        m = r.mapping(item, path)
        if m is None:
            continue
        r.unknown_fields(m, {"key", "name", "start", "end", "closed", "review_note"}, path)
        key = r.key(m, "key", path)
        start = r.date(m, "start", path)
        end = r.date(m, "end", path)
        if key and isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                r.fail(f"{path}.end", f"{end} is before the start {start}")
                continue
            doc.cycles.append(
                Cycle(
                    key=key,
                    start=start,
                    end=end,
                    name=r.text(m, "name", path) or key,
                    closed=r.flag(m, "closed", path),
                    review_note=r.text(m, "review_note", path) or "",
                )
            )

    for path, item in r.items(root, "kpis", ""):
        kpi = _parse_kpi(r, item, path)
        if kpi:
            doc.kpis.append(kpi)

    for path, item in r.items(root, "initiatives", ""):
        m = r.mapping(item, path)
        if m is None:
            continue
        r.unknown_fields(m, {"key", "title", "owner", "url"}, path)
        key = r.key(m, "key", path)
        title = r.text(m, "title", path, required=True)
        url = r.text(m, "url", path)
        if url and not re.match(r"^https?://\S+$", url):
            r.fail(f"{path}.url", f"'{url}' is not an http(s) URL")
            url = None
        if key and title:
            doc.initiatives.append(Initiative(key, title, _owner(r.text(m, "owner", path)), url))

    for path, item in r.items(root, "objectives", ""):
        objective = _parse_objective(r, item, path)
        if objective:
            doc.objectives.append(objective)

    if not problems:
        problems.extend(check_references(doc))
    if problems:
        raise OkrFileError(problems)
    return doc


def _owner(value: str | None) -> str | None:
    return value.lower() if value and "@" in value else value


def _parse_kpi(r: _Reader, item: Any, path: str) -> Kpi | None:
    m = r.mapping(item, path)
    if m is None:
        return None
    r.unknown_fields(
        m,
        {
            "key", "name", "unit", "direction", "target", "warning", "target_low",
            "target_high", "warning_low", "warning_high", "cadence", "owner",
            "description", "measurements",
        },
        path,
    )  # fmt: skip
    key = r.key(m, "key", path)
    name = r.text(m, "name", path, required=True)
    kpi = Kpi(
        key=key or "",
        name=name or "",
        unit=r.text(m, "unit", path) or "",
        direction=r.choice(m, "direction", path, DIRECTIONS, "up"),
        target=r.number(m, "target", path),
        warning=r.number(m, "warning", path),
        target_low=r.number(m, "target_low", path),
        target_high=r.number(m, "target_high", path),
        warning_low=r.number(m, "warning_low", path),
        warning_high=r.number(m, "warning_high", path),
        cadence=r.choice(m, "cadence", path, CADENCES, "monthly"),
        owner=_owner(r.text(m, "owner", path)),
        description=r.text(m, "description", path) or "",
    )
    for problem in kpi_threshold_problems(kpi):
        r.fail(_join(path, problem.path), problem.message)
    for mpath, mitem in r.items(m, "measurements", path):
        mm = r.mapping(mitem, mpath)
        if mm is None:
            continue
        r.unknown_fields(mm, {"at", "value"}, mpath)
        at = r.date(mm, "at", mpath, allow_time=True)
        value = r.number(mm, "value", mpath)
        if value is None and "value" not in mm:
            r.fail(f"{mpath}.value", "is required")
        if at is not None and value is not None:
            kpi.measurements.append(Measurement(at, value))
    return kpi if key and name else None


def kpi_threshold_problems(kpi: Kpi) -> list[Problem]:
    """The target/warning fields a KPI of its direction needs, and their order."""
    problems = []
    if kpi.direction == "range":
        if kpi.target_low is None:
            problems.append(Problem("target_low", "is required for a range KPI"))
        if kpi.target_high is None:
            problems.append(Problem("target_high", "is required for a range KPI"))
        if kpi.target_low is not None and kpi.target_high is not None:
            if kpi.target_low > kpi.target_high:
                problems.append(Problem("target_high", "is below target_low"))
            if kpi.warning_low is not None and kpi.warning_low > kpi.target_low:
                problems.append(Problem("warning_low", "must be at or below target_low"))
            if kpi.warning_high is not None and kpi.warning_high < kpi.target_high:
                problems.append(Problem("warning_high", "must be at or above target_high"))
    else:
        if kpi.target is None:
            problems.append(
                Problem("target", f"is required for a KPI with direction {kpi.direction}")
            )
        elif kpi.warning is not None:
            if kpi.direction == "up" and kpi.warning > kpi.target:
                problems.append(
                    Problem("warning", "must be at or below the target (higher is better)")
                )
            if kpi.direction == "down" and kpi.warning < kpi.target:
                problems.append(
                    Problem("warning", "must be at or above the target (lower is better)")
                )
    return problems


def _parse_objective(r: _Reader, item: Any, path: str) -> Objective | None:
    m = r.mapping(item, path)
    if m is None:
        return None
    r.unknown_fields(
        m,
        {"key", "title", "level", "owner", "cycle", "parent", "type", "description", "key_results"},
        path,
    )
    key = r.key(m, "key", path)
    title = r.text(m, "title", path, required=True)
    cycle = r.text(m, "cycle", path, required=True)
    objective = Objective(
        key=key or "",
        title=title or "",
        level=r.choice(m, "level", path, LEVELS, "team"),
        owner=_owner(r.text(m, "owner", path)),
        cycle=cycle or "",
        parent=r.text(m, "parent", path),
        type=r.choice(m, "type", path, OBJECTIVE_TYPES, "aspirational"),
        description=r.text(m, "description", path) or "",
    )
    for kpath, kitem in r.items(m, "key_results", path):
        kr = _parse_key_result(r, kitem, kpath)
        if kr:
            objective.key_results.append(kr)
    return objective if key and title and cycle else None


def _parse_key_result(r: _Reader, item: Any, path: str) -> KeyResult | None:
    m = r.mapping(item, path)
    if m is None:
        return None
    r.unknown_fields(
        m,
        {
            "key", "title", "owner", "kind", "baseline", "target", "unit", "weight", "kpi",
            "initiatives", "final_score", "checkins",
        },
        path,
    )  # fmt: skip
    key = r.key(m, "key", path)
    title = r.text(m, "title", path, required=True)
    weight = r.number(m, "weight", path)
    if weight is not None and weight <= 0:
        r.fail(f"{path}.weight", "must be greater than 0")
    final_score = r.number(m, "final_score", path)
    if final_score is not None and not (0 <= final_score <= 1):
        r.fail(f"{path}.final_score", "must be between 0 and 1")
    initiatives: list[str] = []
    raw_initiatives = m.get("initiatives") or []
    if not isinstance(raw_initiatives, list):
        r.fail(f"{path}.initiatives", "expected a list of initiative keys")
    else:
        initiatives = [str(i) for i in raw_initiatives]
    kr = KeyResult(
        key=key or "",
        title=title or "",
        owner=_owner(r.text(m, "owner", path)),
        kind=r.choice(m, "kind", path, KR_KINDS, "metric"),
        baseline=r.number(m, "baseline", path),
        target=r.number(m, "target", path),
        unit=r.text(m, "unit", path) or "",
        weight=weight if weight is not None and weight > 0 else Decimal(1),
        kpi=r.text(m, "kpi", path),
        initiatives=initiatives,
        final_score=final_score,
    )
    for cpath, citem in r.items(m, "checkins", path):
        cm = r.mapping(citem, cpath)
        if cm is None:
            continue
        r.unknown_fields(cm, {"at", "by", "value", "confidence", "moved", "blocked"}, cpath)
        at = r.date(cm, "at", cpath)
        by = r.text(cm, "by", cpath, required=True)
        value = r.number(cm, "value", cpath)
        if kr.kind == "milestone" and value is not None and value not in (0, 1):
            r.fail(f"{cpath}.value", "a milestone check-in is 0 (not done) or 1 (done)")
        if value is None and kr.kind == "metric" and kr.kpi is None:
            r.fail(f"{cpath}.value", "is required")
        if isinstance(at, dt.date) and by:
            kr.checkins.append(
                CheckIn(
                    at=at,
                    by=by.lower(),
                    value=value,
                    confidence=r.choice(cm, "confidence", cpath, CONFIDENCES, "on_track"),
                    moved=r.text(cm, "moved", cpath),
                    blocked=r.text(cm, "blocked", cpath),
                )
            )
    return kr if key and title else None


def check_references(doc: OkrDocument) -> list[Problem]:
    """Unique keys per section, every reference resolves, no alignment loops."""
    problems: list[Problem] = []

    def unique(section: str, keys: list[str]) -> set[str]:
        seen: set[str] = set()
        for i, key in enumerate(keys):
            if key in seen:
                problems.append(Problem(f"{section}[{i}].key", f"duplicate key '{key}'"))
            seen.add(key)
        return seen

    people: set[str] = set()
    for i, p in enumerate(doc.people):
        if p.email in people:
            problems.append(Problem(f"people[{i}].email", f"duplicate person '{p.email}'"))
        people.add(p.email)
    teams = unique("teams", [t.key for t in doc.teams])
    cycles = unique("cycles", [c.key for c in doc.cycles])
    kpis = unique("kpis", [k.key for k in doc.kpis])
    initiatives = unique("initiatives", [i.key for i in doc.initiatives])
    objectives = unique("objectives", [o.key for o in doc.objectives])
    kr_paths = []
    for oi, objective in enumerate(doc.objectives):
        for ki, kr in enumerate(objective.key_results):
            kr_paths.append((f"objectives[{oi}].key_results[{ki}]", kr.key))
    seen_kr: set[str] = set()
    for path, key in kr_paths:
        if key in seen_kr:
            problems.append(Problem(f"{path}.key", f"duplicate key result key '{key}'"))
        seen_kr.add(key)

    def person(path: str, email: str | None) -> None:
        if email is not None and email not in people:
            problems.append(Problem(path, f"unknown person '{email}'"))

    def owner(path: str, value: str | None) -> None:
        if value is None:
            return
        if "@" in value:
            person(path, value)
        elif value not in teams:
            problems.append(Problem(path, f"unknown team '{value}'"))

    for i, team in enumerate(doc.teams):
        person(f"teams[{i}].lead", team.lead)
        for mi, email in enumerate(team.members):
            person(f"teams[{i}].members[{mi}]", email)
        if team.parent is not None and team.parent not in teams:
            problems.append(Problem(f"teams[{i}].parent", f"unknown team '{team.parent}'"))
    team_parent = {t.key: t.parent for t in doc.teams}
    for i, team in enumerate(doc.teams):
        if _has_loop(team.key, team_parent):
            problems.append(Problem(f"teams[{i}].parent", f"team '{team.key}' is its own ancestor"))
    for i, kpi in enumerate(doc.kpis):
        owner(f"kpis[{i}].owner", kpi.owner)
    for i, item in enumerate(doc.initiatives):
        owner(f"initiatives[{i}].owner", item.owner)
    objective_parent = {o.key: o.parent for o in doc.objectives}
    for oi, objective in enumerate(doc.objectives):
        path = f"objectives[{oi}]"
        owner(f"{path}.owner", objective.owner)
        if objective.cycle not in cycles:
            problems.append(Problem(f"{path}.cycle", f"unknown cycle '{objective.cycle}'"))
        if objective.parent is not None:
            if objective.parent not in objectives:
                problems.append(
                    Problem(f"{path}.parent", f"unknown objective '{objective.parent}'")
                )
            elif _has_loop(objective.key, objective_parent):
                problems.append(
                    Problem(f"{path}.parent", f"objective '{objective.key}' is its own ancestor")
                )
        for ki, kr in enumerate(objective.key_results):
            kpath = f"{path}.key_results[{ki}]"
            person(f"{kpath}.owner", kr.owner)
            if kr.kpi is not None and kr.kpi not in kpis:
                problems.append(Problem(f"{kpath}.kpi", f"unknown KPI '{kr.kpi}'"))
            for ii, initiative in enumerate(kr.initiatives):
                if initiative not in initiatives:
                    problems.append(
                        Problem(f"{kpath}.initiatives[{ii}]", f"unknown initiative '{initiative}'")
                    )
            for ci, checkin in enumerate(kr.checkins):
                person(f"{kpath}.checkins[{ci}].by", checkin.by)
    return problems


def _has_loop(start: str, parent_of: Mapping[str, str | None]) -> bool:
    seen = {start}
    current = parent_of.get(start)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False


# --------------------------------------------------------------------------- writing


def _num(value: Decimal | None) -> int | float | None:
    """A Decimal as the plainest YAML number: 120 rather than 120.00."""
    if value is None:
        return None
    normal = value.normalize()
    if normal == normal.to_integral_value():
        return int(normal)
    return float(normal)


def document_to_dict(doc: OkrDocument) -> dict[str, Any]:
    """A plain dict in the file's field order; optional fields left out when empty."""

    def compact(d: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k in keep or (v is not None and v != "" and v != [])}

    out: dict[str, Any] = {}
    ws = compact({"key": doc.workspace_key, "name": doc.workspace_name, "timezone": doc.timezone})
    if ws:
        out["workspace"] = ws
    out["people"] = [
        compact({"email": p.email, "name": p.name, "role": p.role}) for p in doc.people
    ]
    out["teams"] = [
        compact(
            {
                "key": t.key,
                "name": t.name,
                "lead": t.lead,
                "parent": t.parent,
                "members": list(t.members),
            },
            keep=("lead", "parent"),
        )
        for t in doc.teams
    ]
    out["cycles"] = [
        compact(
            {
                "key": c.key,
                "name": c.name if c.name != c.key else None,
                "start": c.start,
                "end": c.end,
                "closed": True if c.closed else None,
                "review_note": c.review_note,
            }
        )
        for c in doc.cycles
    ]
    out["kpis"] = [
        compact(
            {
                "key": k.key,
                "name": k.name,
                "description": k.description,
                "unit": k.unit,
                "direction": k.direction,
                "target": _num(k.target),
                "warning": _num(k.warning),
                "target_low": _num(k.target_low),
                "target_high": _num(k.target_high),
                "warning_low": _num(k.warning_low),
                "warning_high": _num(k.warning_high),
                "cadence": k.cadence,
                "owner": k.owner,
                "measurements": [{"at": m.at, "value": _num(m.value)} for m in k.measurements],
            }
        )
        for k in doc.kpis
    ]
    out["initiatives"] = [
        {"key": i.key, "title": i.title, "owner": i.owner, "url": i.url} for i in doc.initiatives
    ]
    out["objectives"] = [
        compact(
            {
                "key": o.key,
                "title": o.title,
                "description": o.description,
                "level": o.level,
                "owner": o.owner,
                "cycle": o.cycle,
                "parent": o.parent,
                "type": o.type,
                "key_results": [_kr_dict(kr, compact) for kr in o.key_results],
            },
            keep=("parent",),
        )
        for o in doc.objectives
    ]
    return out


def _kr_dict(kr: KeyResult, compact: Any) -> dict[str, Any]:
    return dict(
        compact(
            {
                "key": kr.key,
                "title": kr.title,
                "owner": kr.owner,
                "kind": kr.kind,
                "baseline": _num(kr.baseline),
                "target": _num(kr.target),
                "unit": kr.unit,
                "weight": _num(kr.weight) if kr.weight != 1 else None,
                "kpi": kr.kpi,
                "initiatives": list(kr.initiatives),
                "final_score": _num(kr.final_score),
                "checkins": [
                    {
                        "at": c.at,
                        "by": c.by,
                        "value": _num(c.value),
                        "confidence": c.confidence,
                        "moved": c.moved,
                        "blocked": c.blocked,
                    }
                    for c in kr.checkins
                ],
            }
        )
    )


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # a date used twice is written twice, never as &id001 / *id001


def _flow_small_maps(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    # Leaf records (people, check-ins, measurements) read best on one line, as in FORMATS §3.
    flow = all(not isinstance(v, dict | list) for v in data.values()) and len(data) <= 6
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(dict, _flow_small_maps)


def dump_okr_yaml(doc: OkrDocument) -> str:
    """The document as YAML text; the same document always gives the same text."""
    text: str = yaml.dump(
        document_to_dict(doc),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=120,
        default_flow_style=False,
    )
    return text
