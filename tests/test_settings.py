"""Settings come only from OKAPI_* variables and fail loudly on bad values; docs/deploy.md's
configuration is exactly what these tests cover."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

PRINT = (
    "import json, okapi.settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'name': str(s.DATABASES['default']['NAME']), 'hosts': s.ALLOWED_HOSTS, 'debug': s.DEBUG, "
    "'proxy': getattr(s, 'SECURE_PROXY_SSL_HEADER', None), 'secure': s.SESSION_COOKIE_SECURE, "
    "'csrf': s.CSRF_TRUSTED_ORIGINS, 'options': s.DATABASES['default'].get('OPTIONS', {}), "
    "'max_age': s.DATABASES['default'].get('CONN_MAX_AGE')}, default=str))"
)


def settings_with(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OKAPI_")}
    result = subprocess.run([sys.executable, "-c", PRINT], env={**clean, **env}, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    return result


def test_it_defaults_to_sqlite_in_the_working_directory_with_wal(tmp_path):
    result = settings_with(tmp_path)
    s = json.loads(result.stdout)
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["name"] == str(tmp_path / "okapi.db")
    assert "journal_mode=WAL" in s["options"]["init_command"]
    assert s["options"]["transaction_mode"] == "IMMEDIATE"
    assert s["debug"] is False


def test_it_takes_the_team_setup_of_docs_deploy(tmp_path):
    result = settings_with(
        tmp_path,
        OKAPI_DATABASE_URL="postgresql://okapi:secret@db.internal:5432/okapi",
        OKAPI_ALLOWED_HOSTS="okr.example.com, www.okr.example.com",
        OKAPI_CSRF_TRUSTED_ORIGINS="https://okr.example.com",
        OKAPI_BEHIND_PROXY="true",
        OKAPI_SECURE_COOKIES="true",
        OKAPI_DB_CONN_MAX_AGE="120",
        OKAPI_SECRET_KEY="x" * 50,
    )
    s = json.loads(result.stdout)
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["name"] == "okapi"
    assert s["hosts"] == ["okr.example.com", "www.okr.example.com"]
    assert s["csrf"] == ["https://okr.example.com"]
    assert s["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["secure"] is True
    assert s["max_age"] == 120


def test_it_reads_a_dotenv_file_but_real_variables_win(tmp_path):
    (tmp_path / ".env").write_text("OKAPI_ALLOWED_HOSTS=from-dotenv.test\nOKAPI_DEBUG=true\n")
    s = json.loads(settings_with(tmp_path, OKAPI_DEBUG="false").stdout)
    assert s["hosts"] == ["from-dotenv.test"]
    assert s["debug"] is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OKAPI_DEBUG": "maybe"}, "OKAPI_DEBUG='maybe': expected true or false"),
        ({"OKAPI_SQLITE_TIMEOUT": "soon"}, "OKAPI_SQLITE_TIMEOUT='soon': expected a whole number"),
        ({"OKAPI_DATABASE_URL": "mysql://x@y/z"}, "unsupported scheme 'mysql'"),
    ],
)
def test_it_fails_loudly_on_bad_values(tmp_path, env, message):
    result = settings_with(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_every_setting_is_documented():
    settings_source = (ROOT / "okapi" / "settings.py").read_text()
    names = set(re.findall(r'env\w*\("(OKAPI_\w+)"', settings_source))
    names |= set(re.findall(r'os\.environ(?:\.get\(|\[)"(OKAPI_\w+)"', settings_source))
    docs = (ROOT / "README.md").read_text()
    missing = sorted(n for n in names if n not in docs)
    assert not missing, f"settings not documented in README.md: {missing}"


def test_every_cli_command_is_documented():
    from okapi.cli import build_parser

    readme = (ROOT / "README.md").read_text()
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    missing = [name for name in commands if f"okapi {name}" not in readme]
    assert not missing, f"commands not documented in README.md: {missing}"
