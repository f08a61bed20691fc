"""Concurrent check-ins from several processes on one SQLite file all land.

WAL mode, a busy timeout and IMMEDIATE transactions (okapi/settings.py) make writers queue
instead of failing with "database is locked". This test runs real processes against a real file.
"""

import os
import subprocess
import sys
import textwrap

import pytest

PROCESSES = 6
CHECKINS_EACH = 30

SETUP = textwrap.dedent(
    """
    import datetime as dt, django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from okapi.goals import services as goals
    from okapi.workspaces.access import system_actor
    from okapi.workspaces.services import user_create, workspace_create
    owner = user_create(email="alice@acme.test")
    ws = workspace_create(key="acme", name="Acme", owner=owner)
    actor = system_actor(ws)
    goals.cycle_create(actor=actor, key="q", start=dt.date(2020, 1, 1), end=dt.date(2099, 12, 31))
    o = goals.objective_create(actor=actor, key="o", title="Grow", cycle="q", owner="alice@acme.test")
    goals.key_result_create(actor=actor, objective=o, key="kr", title="Grow users from 0 to 1000",
                            owner="alice@acme.test", baseline=0, target=1000)
    """
)

WORKER = textwrap.dedent(
    """
    import sys, django
    django.setup()
    from okapi.goals.access import get_key_result_for_user
    from okapi.goals.services import checkin_create
    from okapi.workspaces.access import actor_for
    from okapi.accounts.models import User
    n, each = int(sys.argv[1]), int(sys.argv[2])
    actor = actor_for(User.objects.get(email="alice@acme.test"), "acme")
    for i in range(each):
        kr = get_key_result_for_user(actor, "kr", checkin=True)
        checkin_create(actor=actor, kr=kr, value=n * 1000 + i, moved=f"worker {n} step {i}")
    print("ok")
    """
)

CHECK = textwrap.dedent(
    """
    import django
    django.setup()
    from okapi.goals.models import CheckIn, KeyResult
    kr = KeyResult.objects.get(key="kr")
    print(CheckIn.objects.count(), kr.checkin_count)
    """
)


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_it_lands_every_concurrent_checkin_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "OKAPI_DATABASE_URL": f"sqlite:///{tmp_path / 'okapi.db'}",
        "DJANGO_SETTINGS_MODULE": "okapi.settings",
    }
    setup = run_python(SETUP, env)
    assert setup.returncode == 0, setup.stderr
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(n), str(CHECKINS_EACH)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        assert "database is locked" not in err
        assert out.strip() == "ok"
    check = run_python(CHECK, env)
    assert check.returncode == 0, check.stderr
    total, rolled_up = map(int, check.stdout.split())
    assert total == rolled_up == PROCESSES * CHECKINS_EACH


@pytest.mark.parametrize("journal", ["wal"])
def test_it_runs_sqlite_in_wal_mode(tmp_path, journal):
    env = {**os.environ, "OKAPI_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "DJANGO_SETTINGS_MODULE": "okapi.settings"}  # fmt: skip
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    result = run_python(code, env)
    assert result.stdout.strip() == journal, result.stderr
