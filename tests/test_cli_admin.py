"""`okapi user add`, `workspace add`, `token add` and `kpi import`: exit codes, stdout, stderr."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from okapi.accounts.models import User
from okapi.cli import main
from okapi.kpis.models import Measurement
from okapi.workspaces.models import ApiToken, AuditEvent, Membership, Workspace
from tests.conftest import Api


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- user add


def test_it_adds_a_user(db: Any, capsys: Any) -> None:
    code, out, err = run(capsys, "user", "add", "Dana@Acme.test", "--name", "Dana")
    assert (code, out, err) == (0, "Created user dana@acme.test\n", "")
    dana = User.objects.get(email="dana@acme.test")
    assert dana.name == "Dana"
    assert not dana.has_usable_password()


def test_it_reads_the_password_from_stdin(db: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\nignored\n"))
    code, _, _ = run(capsys, "user", "add", "dana@acme.test", "--password-stdin")
    assert code == 0
    assert User.objects.get(email="dana@acme.test").check_password("correct horse")


def test_it_refuses_an_empty_password_on_stdin(db: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, err = run(capsys, "user", "add", "dana@acme.test", "--password-stdin")
    assert (code, out) == (2, "")
    assert "no password" in err
    assert not User.objects.filter(email="dana@acme.test").exists()


def test_it_prints_only_json_for_a_new_user(db: Any, capsys: Any) -> None:
    code, out, err = run(capsys, "user", "add", "dana@acme.test", "--name", "Dana", "--json")
    assert code == 0
    assert json.loads(out) == {"email": "dana@acme.test", "name": "Dana"}
    assert err == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["user", "add", "not-an-email"], "email: 'not-an-email' is not an e-mail address"),
        (["user", "add", "alice@acme.test"], "email: a user 'alice@acme.test' already exists"),
    ],
)
def test_it_refuses_a_bad_user(acme: Any, capsys: Any, argv: list[str], message: str) -> None:
    users = User.objects.count()
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err == f"okapi: {message}\n"
    assert User.objects.count() == users


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["user", "add", "dana@acme.test", "--name", "x" * 201], "name: is longer than 200"),
        (["user", "add", "d" * 250 + "@acme.test"], "email: is longer than 254"),
        (["workspace", "add", "initech", "--name", "x" * 201, "--owner", "alice@acme.test"],
         "name: is longer than 200"),
        (["token", "add", "bob@acme.test", "--workspace", "acme", "--name", "x" * 101],
         "name: is longer than 100"),
    ],
)  # fmt: skip
def test_it_refuses_text_longer_than_its_column(
    acme: Any, capsys: Any, argv: list[str], message: str
) -> None:
    counts = (User.objects.count(), Workspace.objects.count(), ApiToken.objects.count())
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert message in err
    assert (User.objects.count(), Workspace.objects.count(), ApiToken.objects.count()) == counts


def test_it_refuses_a_too_short_password(db: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("abc\n"))
    code, out, err = run(capsys, "user", "add", "dana@acme.test", "--password-stdin")
    assert (code, out) == (2, "")
    assert "password" in err


# --------------------------------------------------------------------------- workspace add


def test_it_adds_a_workspace_owned_by_a_user(acme: Any, capsys: Any) -> None:
    code, out, err = run(capsys, "workspace", "add", "initech", "--name", "Initech",
                         "--owner", "bob@acme.test", "--timezone", "Europe/Berlin")  # fmt: skip
    assert code == 0
    assert out == "Created workspace initech (Initech) owned by bob@acme.test\n"
    assert err == ""
    workspace = Workspace.objects.get(key="initech")
    assert workspace.timezone == "Europe/Berlin"
    assert Membership.objects.get(workspace=workspace).role == "owner"
    event = AuditEvent.objects.get(workspace=workspace)
    assert (event.action, event.entity_type, event.actor) == ("created", "workspace", acme.bob)


def test_it_prints_only_json_for_a_new_workspace(acme: Any, capsys: Any) -> None:
    code, out, err = run(capsys, "workspace", "add", "initech", "--name", "Initech",
                         "--owner", "bob@acme.test", "--json")  # fmt: skip
    assert (code, err) == (0, "")
    assert json.loads(out) == {"key": "initech", "name": "Initech", "timezone": "UTC",
                               "owner": "bob@acme.test"}  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["initech", "--name", "Initech", "--owner", "nobody@acme.test"], "no user 'nobody@acme.test'"),
        (["Initech", "--name", "Initech", "--owner", "bob@acme.test"], "key: 'Initech' must be lowercase"),
        (["init tech", "--name", "Initech", "--owner", "bob@acme.test"], "key: 'init tech' is not a valid key"),
        (["acme", "--name", "Acme again", "--owner", "bob@acme.test"], "key: a workspace 'acme' already exists"),
        (["initech", "--name", " ", "--owner", "bob@acme.test"], "name: is required"),
        (["initech", "--name", "Initech", "--owner", "bob@acme.test", "--timezone", "Mars/Olympus"],
         "timezone: unknown time zone 'Mars/Olympus'"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_workspace(acme: Any, capsys: Any, argv: list[str], message: str) -> None:
    workspaces = Workspace.objects.count()
    code, out, err = run(capsys, "workspace", "add", *argv)
    assert (code, out) == (2, "")
    assert err.startswith("okapi: ")
    assert message in err
    assert Workspace.objects.count() == workspaces


def test_it_exits_2_when_a_required_option_is_missing(acme: Any, capsys: Any) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["workspace", "add", "initech", "--owner", "bob@acme.test"])
    assert caught.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "--name" in err


# --------------------------------------------------------------------------- token add


def test_it_prints_only_the_token(acme: Any, capsys: Any, client: Any) -> None:
    code, out, err = run(capsys, "token", "add", "alice@acme.test", "--workspace", "acme")
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    secret = out.strip()
    assert secret.startswith("okapi_")
    me = Api(client, secret).get("/me").json()
    assert (me["email"], me["workspace"], me["role"]) == ("alice@acme.test", "acme", "owner")


def test_it_makes_a_read_only_token(acme: Any, capsys: Any, client: Any) -> None:
    code, out, _ = run(capsys, "token", "add", "alice@acme.test", "--workspace", "acme",
                       "--role", "viewer", "--name", "dashboard tv")  # fmt: skip
    assert code == 0
    api = Api(client, out.strip())
    assert api.get("/me").json()["role"] == "viewer"
    assert api.post("/teams", {"key": "sales", "name": "Sales"}).status_code == 403
    token = ApiToken.objects.get(prefix=out.strip()[:12])
    assert (token.name, token.role) == ("dashboard tv", "viewer")


def test_it_prints_only_json_for_a_new_token(acme: Any, capsys: Any) -> None:
    code, out, err = run(capsys, "token", "add", "bob@acme.test", "--workspace", "acme",
                         "--name", "billing sync", "--json")  # fmt: skip
    assert (code, err) == (0, "")
    body = json.loads(out)
    assert body.pop("token").startswith("okapi_")
    assert body == {"email": "bob@acme.test", "workspace": "acme", "role": "member",
                    "name": "billing sync"}  # fmt: skip


def test_it_makes_a_newcomer_a_member_with_the_token_s_role(acme: Any, capsys: Any) -> None:
    run(capsys, "user", "add", "dana@acme.test")
    code, _, _ = run(capsys, "token", "add", "dana@acme.test", "--workspace", "acme",
                     "--role", "viewer")  # fmt: skip
    assert code == 0
    assert Membership.objects.get(workspace=acme.workspace, user__email="dana@acme.test").role == (
        "viewer"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nobody@acme.test", "--workspace", "acme"], "no user 'nobody@acme.test'"),
        (["bob@acme.test", "--workspace", "nope"], "no workspace 'nope'"),
        (["bob@acme.test", "--workspace", "acme", "--role", "admin"],
         "role: 'bob@acme.test' is only member in 'acme'"),
        (["vera@acme.test", "--workspace", "acme", "--role", "member"],
         "role: 'vera@acme.test' is only viewer in 'acme'"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_token(acme: Any, capsys: Any, argv: list[str], message: str) -> None:
    tokens, events = ApiToken.objects.count(), AuditEvent.objects.count()
    code, out, err = run(capsys, "token", "add", *argv)
    assert (code, out) == (2, "")
    assert message in err
    assert (ApiToken.objects.count(), AuditEvent.objects.count()) == (tokens, events)


def test_it_refuses_an_unknown_role(acme: Any, capsys: Any) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["token", "add", "bob@acme.test", "--workspace", "acme", "--role", "god"])
    assert caught.value.code == 2
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------- kpi import


def write(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "measurements.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_it_imports_kpi_measurements(okrs: Any, capsys: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "kpi,at,value\nnrr,2027-01-01,100\nnrr,2027-02-01T00:00:00Z,108\n"
                           "nrr,2027-02-14,109.5\n")  # fmt: skip
    code, out, err = run(capsys, "kpi", "import", path, "--workspace", "acme")
    assert (code, out, err) == (0, "Imported 3 measurements into 'acme'.\n", "")
    values = list(Measurement.objects.order_by("at").values_list("value", flat=True))
    assert [float(v) for v in values] == [100, 108, 109.5]
    assert float(okrs.workspace.kpis.get(key="nrr").latest_value) == 109.5


def test_it_prints_only_json_for_an_import(okrs: Any, capsys: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffkpi,at,value\r\nnrr,2027-01-01,100\r\n\r\n")
    code, out, err = run(capsys, "kpi", "import", path, "--workspace", "acme", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"workspace": "acme", "stored": 1}


def test_it_replaces_measurements_on_a_second_import(
    okrs: Any, capsys: Any, tmp_path: Path
) -> None:
    run(capsys, "kpi", "import", write(tmp_path, "kpi,at,value\nnrr,2027-01-01,100\n"),
        "--workspace", "acme")  # fmt: skip
    run(capsys, "kpi", "import", write(tmp_path, "kpi,at,value\nnrr,2027-01-01,101\n"),
        "--workspace", "acme")  # fmt: skip
    assert [float(m.value) for m in Measurement.objects.all()] == [101]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kpi,at,value\nnrr,2027-01-01,100\nnrr,2027-02-01,abc\n", "line 3: value: 'abc' is not a number"),
        ("kpi,at,value\nnrr,2027-01-01,100\nnrr,first of may,1\n", "line 3: at: 'first of may' is not an ISO 8601"),
        ("kpi,at,value\nnrr,2027-01-01,100\nnope,2027-02-01,1\n", "line 3: kpi: unknown KPI 'nope'"),
        ("kpi,at,value\nnrr,2027-01-01,100\nnrr,2027-02-01,NaN\n", "line 3: value"),
        ("kpi,at,value\nnrr,2027-01-01,100\nnrr,2027-02-01,1e30\n", "line 3: value"),
        ("kpi,at,value\nnrr,2027-01-01,100\nnrr,2027-02-01\n", "line 3: expected 3 fields, got 2"),
        ("kpi,at,value\nnrr,2027-01-01,100\n,2027-02-01,1\n", "line 3: kpi is empty"),
        ("kpi,when,value\nnrr,2027-01-01,100\n", "line 1: missing column at"),
        ("", "is empty"),
        (b"kpi,at,value\nnrr,2027-01-01,\xff\n", "is not UTF-8"),
    ],
)  # fmt: skip
def test_it_imports_nothing_and_names_the_line_of_a_bad_row(
    okrs: Any, capsys: Any, tmp_path: Path, text: str | bytes, message: str
) -> None:
    code, out, err = run(capsys, "kpi", "import", write(tmp_path, text), "--workspace", "acme")
    assert (code, out) == (2, "")
    assert "not imported, nothing changed" in err
    assert message in err
    assert Measurement.objects.count() == 0


def test_it_refuses_an_import_into_an_unknown_workspace(
    okrs: Any, capsys: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, "kpi,at,value\nnrr,2027-01-01,100\n")
    code, out, err = run(capsys, "kpi", "import", path, "--workspace", "nope")
    assert (code, out, err) == (2, "", "okapi: no workspace 'nope'\n")


def test_it_refuses_a_missing_file(db: Any, capsys: Any, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.csv")
    code, out, err = run(capsys, "kpi", "import", missing, "--workspace", "acme")
    assert (code, out, err) == (2, "", f"okapi: {missing}: no such file\n")
