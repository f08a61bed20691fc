"""OKR file import and export (FORMATS §3) through the CLI and the transfer module."""

from pathlib import Path

import pytest

from okapi.cli import main
from okapi.core.okrfile import dump_okr_yaml, load_okr_yaml
from okapi.goals.models import CheckIn, KeyResult, Objective
from okapi.kpis.models import Measurement
from okapi.transfer import okr_export, okr_import
from okapi.workspaces.models import AuditEvent, Membership, Workspace

EXAMPLE = (Path(__file__).parent / "data" / "formats_example.yaml").read_text()
BIGGER = EXAMPLE.replace(
    "people:\n  - {email: maria@acme.test, name: Maria Lopez}",
    "people:\n  - {email: maria@acme.test, name: Maria Lopez}\n"
    "  - {email: ole@acme.test, name: Ole, role: admin}",
).replace(
    "objectives:\n",
    "objectives:\n"
    "  - key: child\n    title: Grow the self-serve funnel\n    owner: ole@acme.test\n"
    "    cycle: 2027-Q1\n    parent: retention\n    type: committed\n    key_results:\n"
    "      - {key: signups, title: Grow weekly signups from 200 to 300, owner: ole@acme.test,\n"
    "         baseline: 200, target: 300, unit: signups, weight: 2,\n"
    "         checkins: [{at: 2027-01-15, by: ole@acme.test, value: 230, confidence: at_risk,\n"
    "                     moved: null, blocked: Landing page copy}]}\n"
    "      - {key: launch, title: Launch the referral page, owner: ole@acme.test, kind: milestone}\n",
)


def export_text(key: str) -> str:
    return dump_okr_yaml(okr_export(Workspace.objects.get(key=key)))


def test_it_round_trips_export_import_export(db, frozen):
    okr_import(load_okr_yaml(BIGGER), workspace_key="first")
    first = export_text("first")
    okr_import(load_okr_yaml(first), workspace_key="second")
    second = export_text("second")
    # Identical but for the workspace's own key, which names the export's source.
    assert second == first.replace("{key: first,", "{key: second,")
    assert "key: child" in first and "weight: 2" in first and "blocked: Landing page copy" in first


def test_it_ignores_the_files_workspace_key_and_makes_people_members(db, frozen):
    okr_import(load_okr_yaml(BIGGER), workspace_key="mine")
    ws = Workspace.objects.get(key="mine")
    assert ws.name == "Acme Inc."
    assert not Workspace.objects.filter(key="acme").exists()
    roles = dict(Membership.objects.filter(workspace=ws).values_list("user__email", "role"))
    assert roles == {"maria@acme.test": "member", "ole@acme.test": "admin"}


def test_it_is_safe_to_import_the_same_file_twice(db, frozen):
    okr_import(load_okr_yaml(BIGGER), workspace_key="acme")
    before = (Objective.objects.count(), KeyResult.objects.count(), CheckIn.objects.count(),
              Measurement.objects.count())  # fmt: skip
    okr_import(load_okr_yaml(BIGGER), workspace_key="acme")
    after = (Objective.objects.count(), KeyResult.objects.count(), CheckIn.objects.count(),
             Measurement.objects.count())  # fmt: skip
    assert before == after == (2, 3, 2, 1)


def test_it_updates_what_changed_and_audits_it(db, frozen):
    okr_import(load_okr_yaml(BIGGER), workspace_key="acme")
    okr_import(load_okr_yaml(BIGGER.replace("target: 120", "target: 125")), workspace_key="acme")
    assert KeyResult.objects.get(key="retention-nrr").target == 125
    event = AuditEvent.objects.filter(entity_key="retention-nrr", action="updated").get()
    assert (event.before, event.after) == ({"target": "120"}, {"target": "125"})


def test_it_writes_nothing_when_the_database_refuses_part_of_the_file(db, frozen):
    # The check-in is dated after "today": only found while writing, after much was written.
    late = BIGGER.replace("at: 2027-01-15", "at: 2027-12-15")
    with pytest.raises(Exception) as info:
        okr_import(load_okr_yaml(late), workspace_key="acme")
    assert "objectives[0].key_results[0].checkins[0].at: 2027-12-15 is in the future" in str(
        info.value
    )
    assert not Workspace.objects.filter(key="acme").exists()
    assert Objective.objects.count() == CheckIn.objects.count() == 0


def test_it_refuses_a_key_result_without_owner(db, frozen):
    text = BIGGER.replace("      - {key: launch, title: Launch the referral page, owner: ole@acme.test,",
                          "      - {key: launch, title: Launch the referral page,")  # fmt: skip
    with pytest.raises(Exception) as info:
        okr_import(load_okr_yaml(text), workspace_key="acme")
    assert "objectives[0].key_results[1].owner: is required" in str(info.value)


def test_the_cli_imports_and_exports(db, frozen, tmp_path, capsys):
    path = tmp_path / "okrs.yaml"
    path.write_text(BIGGER)
    assert main(["import", str(path), "--workspace", "acme", "--json"]) == 0
    out = capsys.readouterr()
    assert '"key_results": 3' in out.out
    assert out.err == ""  # no progress bar when stderr is not a terminal
    target = tmp_path / "out.yaml"
    assert main(["export", "--workspace", "acme", "-o", str(target)]) == 0
    assert target.read_text() == export_text("acme")
    assert main(["export", "--workspace", "acme"]) == 0
    assert capsys.readouterr().out == export_text("acme")


def test_the_cli_names_the_place_of_a_bad_reference_and_changes_nothing(
    db, frozen, tmp_path, capsys
):
    path = tmp_path / "okrs.yaml"
    path.write_text(
        EXAMPLE.replace("owner: maria@acme.test\n        kind", "owner: x@acme.test\n        kind")
    )
    assert main(["import", str(path), "--workspace", "acme"]) == 2
    err = capsys.readouterr().err
    assert "objectives[0].key_results[0].owner: unknown person 'x@acme.test'" in err
    assert not Workspace.objects.filter(key="acme").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"objectives: [", "not valid YAML"), (b"\xff\xfe", "not UTF-8"), (None, "no such file")],
)
def test_the_cli_refuses_unreadable_files(db, tmp_path, capsys, content, message):
    path = tmp_path / "okrs.yaml"
    if content is not None:
        path.write_bytes(content)
    assert main(["import", str(path), "--workspace", "acme"]) == 2
    assert message in capsys.readouterr().err


def test_export_of_an_unknown_workspace_is_refused(db, capsys):
    assert main(["export", "--workspace", "nope"]) == 2
    assert "no workspace 'nope'" in capsys.readouterr().err
