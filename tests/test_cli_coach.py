"""`okapi coach FILE.yaml` and `okapi coach kr` through the CLI (FORMATS §1, §4)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from okapi.cli import main

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
workspace: {key: acme, name: Acme Inc.}
people:
  - {email: maria@acme.test, name: Maria Lopez}
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
          - {at: 2027-02-15, by: maria@acme.test, value: 111}
      - key: activation
        title: Increase activation rate from 40% to 60%
        owner: maria@acme.test
        baseline: 40
        target: 60
        unit: "%"
        initiatives: [onboarding]
        checkins:
          - {at: 2027-02-15, by: maria@acme.test, value: 44}
"""
FINDING_KEYS = ["rule", "severity", "where", "message", "suggestion"]
KR_KEYS = ["text", "kind", "reasons", "suggestion"]
QUIET = ["--headcount", "50", "--today", "2027-02-20"]


def write(tmp_path: Path, text: str, name: str = "okrs.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def variant(**kr_changes: object) -> str:
    data = yaml.safe_load(GOOD)
    data["objectives"][0]["key_results"][0].update(kr_changes)
    return yaml.safe_dump(data, sort_keys=False)


def without(field: str) -> str:
    data = yaml.safe_load(GOOD)
    del data["objectives"][0]["key_results"][0][field]
    return yaml.safe_dump(data, sort_keys=False)


# --------------------------------------------------------------------------- FILE.yaml


def test_it_exits_0_with_an_empty_json_list_for_a_good_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["coach", write(tmp_path, GOOD), "--json", *QUIET]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == []
    assert err == ""


@pytest.mark.parametrize(
    ("text", "code", "rule"),
    [
        (without("baseline"), 1, "missing-baseline"),
        (without("owner"), 1, "missing-owner"),
        (variant(title="Maintain NRR above 110%"), 0, "kpi-in-disguise"),
        (variant(title="Hold weekly marketing meetings"), 0, "task-as-kr"),
    ],
)
def test_it_exits_1_only_with_error_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, code: int, rule: str
) -> None:
    assert main(["coach", write(tmp_path, text), "--json", *QUIET]) == code
    findings = json.loads(capsys.readouterr().out)
    assert rule in {f["rule"] for f in findings}


def test_it_prints_findings_in_the_formats_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, variant(title="Maintain NRR above 110%"))
    main(["coach", path, "--json", *QUIET])
    (finding,) = json.loads(capsys.readouterr().out)
    assert list(finding) == FINDING_KEYS
    assert finding["rule"] == "kpi-in-disguise"
    assert finding["severity"] == "warning"
    assert finding["where"] == "nrr"
    assert all(isinstance(v, str) and v for v in finding.values())


def test_it_accepts_json_before_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["coach", "--json", write(tmp_path, GOOD), *QUIET]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_it_prints_readable_findings_grouped_by_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, without("baseline"))
    assert main(["coach", path, *QUIET]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: 1 error")
    assert "\nnrr\n" in out
    assert "error    missing-baseline:" in out
    assert "→ Set `baseline:`" in out


def test_it_says_so_when_there_is_nothing_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD)
    assert main(["coach", path, *QUIET]) == 0
    assert capsys.readouterr().out == f"{path}: no findings.\n"


def test_it_gives_stage_advice_from_the_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD)
    assert main(["coach", path, "--json", "--stage", "seed", "--today", "2027-02-20"]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert {f["rule"] for f in findings} == {"stage-framework"}
    assert {f["where"] for f in findings} == {"acme"}


def test_it_reads_the_file_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(without("target")))
    assert main(["coach", "-", "--json", *QUIET]) == 1
    assert "missing-target" in {f["rule"] for f in json.loads(capsys.readouterr().out)}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read"),
        ("objectives: [\n", "line 2"),
        ("objectives:\n  - key: x\n", "objectives[0].title: is required"),
        ("objectives:\n  - {key: x, title: Grow, cycle: nope}\n", "objectives[0].cycle"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_it_exits_2_on_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, expected: str
) -> None:
    path = str(tmp_path / "missing.yaml") if content is None else write(tmp_path, content)
    assert main(["coach", path, "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert expected in err


def test_it_lists_every_problem_of_an_invalid_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "objectives:\n  - key: x\n  - key: y\n"
    assert main(["coach", write(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    for path in ("objectives[0].title", "objectives[0].cycle", "objectives[1].title"):
        assert path in err


def test_it_exits_2_on_non_utf8_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Caf\xe9\n".encode("latin-1"))
    assert main(["coach", str(path)]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["coach"],
        ["coach", "okrs.yaml", "--stage", "mega"],
        ["coach", "okrs.yaml", "--headcount", "-3"],
        ["coach", "okrs.yaml", "--today", "tomorrow"],
        ["coach", "okrs.yaml", "extra"],
    ],
)
def test_it_exits_2_on_bad_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 2
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------- kr


def test_it_classifies_statements_given_as_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    texts = ["Maintain 95% uptime", "Grow NRR from 110% to 125% by Q3 end", "Launch new website"]
    assert main(["coach", "kr", "--json", *texts]) == 0
    verdicts = json.loads(capsys.readouterr().out)
    assert [v["text"] for v in verdicts] == texts
    assert [v["kind"] for v in verdicts] == ["kpi", "outcome", "milestone"]
    for v in verdicts:
        assert list(v) == KR_KEYS
        assert isinstance(v["reasons"], list) and v["reasons"]
        assert isinstance(v["suggestion"], str)


@pytest.mark.parametrize(
    "argv",
    [
        ["coach", "kr", "--json", "Maintain 95% uptime"],
        ["coach", "kr", "Maintain 95% uptime", "--json"],
        ["coach", "--json", "kr", "Maintain 95% uptime"],
    ],
)
def test_it_accepts_json_anywhere(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    (verdict,) = json.loads(capsys.readouterr().out)
    assert verdict["kind"] == "kpi"


def test_it_reads_one_statement_per_stdin_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = "Hold weekly marketing meetings\n\n   \nPost 5 times a week on LinkedIn\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(["coach", "kr", "--json"]) == 0
    verdicts = json.loads(capsys.readouterr().out)
    assert [v["text"] for v in verdicts] == [
        "Hold weekly marketing meetings",
        "Post 5 times a week on LinkedIn",
    ]
    assert {v["kind"] for v in verdicts} == {"task"}


def test_it_prints_an_empty_list_for_empty_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["coach", "kr", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_it_prints_readable_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coach", "kr", "Hold weekly marketing meetings", "Maintain 95% uptime"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("task       Hold weekly marketing meetings\n")
    assert "\nkpi        Maintain 95% uptime\n" in out
    assert "why: " in out and "try: " in out


def test_it_exits_0_whatever_the_statements_are(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coach", "kr", "", "???", "Launch new website"]) == 0


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["coach", "--help"], ["FILE.yaml [--json]", "okapi coach kr [-h] [--json] [TEXT ...]"]),
        (["coach", "kr", "--help"], ["okapi coach kr", "stdin", "--json"]),
        (["coach", "okrs.yaml", "--help"], ["FILE.yaml", "--stage", "--headcount", "--today"]),
    ],
)
def test_it_documents_both_forms(
    argv: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for fragment in expected:
        assert fragment in out


def test_it_runs_without_setting_up_django(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    code = (
        "import sys\n"
        "from okapi.cli import main\n"
        f"rc = main(['coach', {path!r}, '--json', '--headcount', '50'])\n"
        "rc2 = main(['coach', 'kr', '--json', 'Maintain 95% uptime'])\n"
        "apps = sys.modules.get('django.apps')\n"
        "print('READY' if apps is not None and apps.apps.ready else 'NOT-READY', rc, rc2)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "", "PYTHONPATH": str(ROOT), "OKAPI_DATABASE_URL": "postgresql://nowhere/x"},
        check=False,
    )
    assert result.stdout.strip().endswith("NOT-READY 0 0"), result.stderr
