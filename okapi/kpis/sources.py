"""Where a KPI's numbers come from (PRODUCT §6, docs/kpi-sources.md): one source per KPI.

- manual, push: people and scripts add measurements (kpi_measure, the API); nothing runs.
- csv: an upload of FORMATS §5 through measurements_from_csv and kpi_measure_bulk.
- sql: a read-only query against a database the company already has, on a schedule.
- formula: an expression over other KPIs (okapi/core/formula.py), recomputed when they change.
- billing: the SaaS metrics engine (okapi/core/saas.py) on an uploaded billing export.

Every run records its time, its status (ok/error/never) and its last error on the KpiSource.
Errors shown back never contain a secret: an SQL source's connection URL is stored encrypted
(Fernet, with a key derived from OKAPI_SECRET_KEY), shown with its password masked, scrubbed
from every error message and never logged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import sqlite3
import tempfile
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils.timezone import now

from okapi import secrets
from okapi.core import formula as formulas
from okapi.core import stage as stages
from okapi.errors import Invalid
from okapi.kpis.models import Kpi, KpiSource, Measurement, Source, SourceStatus
from okapi.kpis.services import (
    MAX_ABS,
    Point,
    kpi_create,
    kpi_measure_bulk,
    line_errors,
    measurement_time,
    measurements_from_csv,
    refresh_latest,
)
from okapi.workspaces.access import Actor, require_admin, require_owns, system_actor
from okapi.workspaces.models import AuditEvent, Workspace
from okapi.workspaces.services import audit_record

if TYPE_CHECKING:
    from okapi.core.saas import SaasReport

log = logging.getLogger(__name__)

SCHEDULED = (Source.SQL, Source.FORMULA)  # the kinds the worker runs
DEFAULT_INTERVAL_MINUTES = 60
MAX_INTERVAL_MINUTES = 31 * 24 * 60
BACKOFF_MINUTES = (1, 5, 25)  # after the 1st, 2nd, 3rd (and later) consecutive failure
DEFAULT_TIMEOUT_SECONDS = 30
MAX_TIMEOUT_SECONDS = 300
MAX_ROWS = 100_000
MAX_QUERY_LENGTH = 20_000
MAX_URL_LENGTH = 2_000
MAX_ERROR_LENGTH = 2_000
PLACES = Decimal("0.000001")


class SourceError(Exception):
    """A source run failed; the message is safe to show (no secret) and names the cause."""


# --------------------------------------------------------------------------- reading a source


def source_of(kpi: Kpi) -> KpiSource:
    """The KPI's source, unsaved with its kind from `kpi.source` if it has never been set."""
    try:
        return kpi.data_source
    except KpiSource.DoesNotExist:
        return KpiSource(kpi=kpi, kind=kpi.source)


def source_dict(source: KpiSource, *, actor: Actor) -> dict[str, Any]:
    """What the API shows: never the secret; an SQL source's URL and query only to admins."""
    config = source.config or {}
    sql = source.kind == Source.SQL
    admin = actor.is_admin
    return {
        "kpi": source.kpi.key,
        "kind": source.kind,
        "schedule_minutes": source.interval_minutes if source.kind in SCHEDULED else None,
        "url": config.get("url") if sql and admin else None,
        "query": config.get("query") if sql and admin else None,
        "timeout_seconds": config.get("timeout_seconds") if sql else None,
        "expression": config.get("expression") if source.kind == Source.FORMULA else None,
        "inputs": config.get("inputs", []) if source.kind == Source.FORMULA else [],
        "metric": config.get("metric") if source.kind == Source.BILLING else None,
        "segment": config.get("segment") if source.kind == Source.BILLING else None,
        "benchmark": source.benchmark,
        "status": source.status,
        "last_run_at": source.last_run_at,
        "last_success_at": source.last_success_at,
        "last_error": source.last_error or None,
        "failures": source.failures,
        "next_run_at": source.next_run_at if source.kind in SCHEDULED else None,
    }


def _audit_view(source: KpiSource) -> dict[str, Any]:
    """The source as the audit log keeps it: the masked URL, never the secret itself."""
    return {
        "kind": source.kind,
        "schedule_minutes": source.interval_minutes,
        **{k: v for k, v in (source.config or {}).items() if k != "rows"},
        "secret": "set" if source.secret else "",
    }


# --------------------------------------------------------------------------- secrets


def encrypt_secret(text: str) -> str:
    return secrets.encrypt(text)


def decrypt_secret(token: str) -> str:
    try:
        return secrets.decrypt(token)
    except ValueError:
        raise SourceError(
            "the stored connection URL cannot be decrypted (was OKAPI_SECRET_KEY changed?): "
            "set the URL again"
        ) from None


_SECRET_PARAMS = {"password", "pass", "pwd", "passwd", "sslpassword", "secret", "token"}
ENGINES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mysql+pymysql": "mysql",
    "sqlite": "sqlite",
}


def mask_url(url: str) -> str:
    """The URL with its password (and any password-like query parameter) shown as ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if parts.scheme.lower() == "sqlite":
        return url  # a file path holds no password
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:***@{hostport}" if colon else f"{user}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="*"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _secrets_in(url: str) -> list[str]:
    """The texts that must never appear in an error: the URL and each password in it."""
    found = [url]
    try:
        parts = urlsplit(url)
        if parts.password:
            found += [parts.password, unquote(parts.password)]
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key.lower() in _SECRET_PARAMS and value:
                found.append(value)
    except ValueError:
        pass
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


def scrub(message: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        message = message.replace(secret, "***")
    message = message.strip()
    if len(message) > MAX_ERROR_LENGTH:
        message = message[: MAX_ERROR_LENGTH - 1] + "…"
    return message


# --------------------------------------------------------------------------- SQL connections


@dataclass(frozen=True)
class Connection:
    engine: str  # "postgresql" | "mysql" | "sqlite"
    url: str

    @property
    def sqlite_path(self) -> str:
        return unquote(self.url.split(":///", 1)[1].split("?", 1)[0])


def parse_connection(url: str) -> Connection:
    """A connection URL Okapi can read from, or Invalid naming `url` (never echoing it)."""
    url = url.strip()
    if not url:
        raise Invalid({"url": "is required for an SQL source"})
    if len(url) > MAX_URL_LENGTH or "\x00" in url:
        raise Invalid({"url": f"must be at most {MAX_URL_LENGTH} characters"})
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Invalid({"url": "is not a valid URL (check the port and brackets)"}) from None
    engine = ENGINES.get(parts.scheme.lower())
    if engine is None:
        raise Invalid(
            {"url": "must start with postgresql://, mysql:// (or mariadb://) or sqlite:///"}
        )
    if engine == "sqlite":
        if not url.lower().startswith("sqlite:///") or len(url) <= len("sqlite:///"):
            raise Invalid({"url": "an SQLite URL is sqlite:///relative/path or sqlite:////abs"})
        connection = Connection(engine, url)
        if _same_file(connection.sqlite_path, _okapi_database("sqlite")):
            raise Invalid({"url": "is Okapi's own database: point it at your data instead"})
        return connection
    if not parts.hostname:
        raise Invalid({"url": "names no host"})
    database = parts.path.lstrip("/")
    if engine == "mysql" and not database:
        raise Invalid({"url": "names no database (mysql://user:password@host:3306/database)"})
    own = _okapi_database("postgresql")
    if (
        engine == "postgresql"
        and own
        and (parts.hostname, port or 5432, database) == (own["host"], own["port"], own["name"])
    ):
        raise Invalid({"url": "is Okapi's own database: point it at your data instead"})
    return Connection(engine, url)


def _okapi_database(engine: str) -> Any:
    db = settings.DATABASES["default"]
    if engine == "sqlite" and db["ENGINE"].endswith("sqlite3"):
        return str(db["NAME"])
    if engine == "postgresql" and "postgresql" in db["ENGINE"]:
        return {
            "host": db.get("HOST") or "localhost",
            "port": int(db.get("PORT") or 5432),
            "name": db.get("NAME"),
        }
    return None


def _same_file(a: str, b: str | None) -> bool:
    if not b:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, ValueError):
        return False


Rows = tuple[list[str], list[tuple[Any, ...]]]


def run_query(connection: Connection, query: str, *, timeout: float) -> Rows:
    """Run one read-only statement with a statement timeout; the column names and rows.

    Raises SourceError with a message that never contains the URL or its password."""
    runner = {"postgresql": _run_postgresql, "mysql": _run_mysql, "sqlite": _run_sqlite}
    try:
        return runner[connection.engine](connection, query, timeout)
    except SourceError as exc:
        raise SourceError(scrub(str(exc), _secrets_in(connection.url))) from None


def _too_many_rows() -> SourceError:
    return SourceError(f"the query returned more than {MAX_ROWS} rows: aggregate it")


def _timed_out(timeout: float) -> SourceError:
    return SourceError(
        f"the query ran longer than its {timeout:g}-second timeout and was cancelled"
    )


def _read_only(detail: str) -> SourceError:
    return SourceError(f"SQL sources are read-only: the statement was refused ({detail})")


def _run_postgresql(connection: Connection, query: str, timeout: float) -> Rows:
    import psycopg
    from psycopg import errors

    try:
        with psycopg.connect(
            connection.url,
            connect_timeout=max(2, min(int(timeout), 10)),
            application_name="okapi-kpi-source",
        ) as conn:
            conn.read_only = True  # every transaction starts with BEGIN READ ONLY
            with conn.cursor() as cur:
                cur.execute("SET TRANSACTION READ ONLY")
                cur.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
                cur.execute("SET LOCAL lock_timeout = 5000")
                # binary=True sends the query with the extended protocol, which runs exactly
                # one statement: "SELECT 1; COMMIT; DELETE …" cannot end our read-only
                # transaction and write in a new one.
                cur.execute(query, binary=True)
                if cur.description is None:
                    raise SourceError("the query returned no result (is it a SELECT?)")
                columns = [c.name for c in cur.description]
                rows = cur.fetchmany(MAX_ROWS + 1)
            conn.rollback()
    except errors.QueryCanceled:
        raise _timed_out(timeout) from None
    except errors.ReadOnlySqlTransaction as exc:
        raise _read_only(_pg_message(exc)) from None
    except psycopg.Error as exc:
        message = _pg_message(exc)
        if "multiple commands" in message:
            message = "the query must be one statement (no ';' between statements)"
        raise SourceError(f"PostgreSQL: {message}") from None
    if len(rows) > MAX_ROWS:
        raise _too_many_rows()
    return columns, [tuple(row) for row in rows]


def _pg_message(exc: Exception) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if primary:
        return str(primary)
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _run_mysql(connection: Connection, query: str, timeout: float) -> Rows:
    import pymysql

    parts = urlsplit(connection.url)
    try:
        conn = pymysql.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            database=unquote(parts.path.lstrip("/")),
            connect_timeout=max(2, min(int(timeout), 10)),
            read_timeout=int(timeout) + 5,  # a backstop behind the server's own timeout
            write_timeout=10,
            autocommit=False,
            charset="utf8mb4",
        )
    except pymysql.Error as exc:
        raise SourceError(f"MySQL: {_mysql_message(exc)}") from None
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            version = str(cur.fetchone()[0])
            cur.execute("SET SESSION TRANSACTION READ ONLY")
            if "mariadb" in version.lower():
                cur.execute(f"SET SESSION max_statement_time = {max(timeout, 0.001):.3f}")
            else:
                cur.execute(f"SET SESSION max_execution_time = {max(1, int(timeout * 1000))}")
            cur.execute("START TRANSACTION READ ONLY")
            # PyMySQL does not enable multi-statements: "SELECT 1; DELETE …" is refused.
            cur.execute(query)
            if cur.description is None:
                raise SourceError("the query returned no result (is it a SELECT?)")
            columns = [str(c[0]) for c in cur.description]
            rows = cur.fetchmany(MAX_ROWS + 1)
        conn.rollback()
    except pymysql.Error as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        if code in (1969, 3024, 1317):  # MariaDB max_statement_time, MySQL max_execution_time
            raise _timed_out(timeout) from None
        if code == 1792:
            raise _read_only(_mysql_message(exc)) from None
        if isinstance(exc, pymysql.err.OperationalError) and "timed out" in str(exc):
            raise _timed_out(timeout) from None
        raise SourceError(f"MySQL: {_mysql_message(exc)}") from None
    finally:
        with contextlib.suppress(pymysql.Error):
            conn.close()
    if len(rows) > MAX_ROWS:
        raise _too_many_rows()
    return columns, [tuple(row) for row in rows]


def _mysql_message(exc: Exception) -> str:
    if len(exc.args) >= 2:
        return f"{exc.args[1]} (error {exc.args[0]})"
    return str(exc) or type(exc).__name__


_SQLITE_READS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}


def _sqlite_authorizer(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in _SQLITE_READS else sqlite3.SQLITE_DENY


def _run_sqlite(connection: Connection, query: str, timeout: float) -> Rows:
    path = os.path.abspath(connection.sqlite_path)
    if not os.path.isfile(path):
        raise SourceError("SQLite: the database file does not exist")
    deadline = time.monotonic() + timeout
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise SourceError(f"SQLite: {exc}") from None
    try:
        conn.execute("PRAGMA query_only = ON")
        # Reads only: any write, ATTACH or PRAGMA is refused before it runs.
        conn.set_authorizer(_sqlite_authorizer)
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        cur = conn.execute(query)
        if cur.description is None:
            raise SourceError("the query returned no result (is it a SELECT?)")
        columns = [str(c[0]) for c in cur.description]
        rows = cur.fetchmany(MAX_ROWS + 1)
    except (sqlite3.Error, sqlite3.Warning) as exc:
        message = str(exc)
        if "interrupted" in message and time.monotonic() > deadline:
            raise _timed_out(timeout) from None
        if "authoriz" in message or "readonly" in message or "read-only" in message:
            raise _read_only(message) from None
        if "one statement at a time" in message:
            message = "the query must be one statement (no ';' between statements)"
        raise SourceError(f"SQLite: {message}") from None
    finally:
        conn.close()
    if len(rows) > MAX_ROWS:
        raise _too_many_rows()
    return columns, [tuple(row) for row in rows]


def points_from_rows(key: str, rows: Rows, *, at: dt.datetime) -> list[Point]:
    """(at, value) rows, or a single value measured `at`; rows whose value is NULL are skipped."""
    columns, data = rows
    if len(columns) == 1:
        if len(data) != 1:
            raise SourceError(
                f"a one-column result is a single value and must have one row; it has {len(data)}"
            )
        value = data[0][0]
        return [] if value is None else [Point(key, at, _plain_value(value), line=1)]
    if len(columns) != 2:
        raise SourceError(
            f"the query must return (at, value) rows or a single value; it returned "
            f"{len(columns)} columns ({', '.join(columns[:5])})"
        )
    points = []
    for number, (when, value) in enumerate(data, start=1):
        if value is None:
            continue
        if when is None:
            raise SourceError(f"row {number}: at is empty")
        if not isinstance(when, dt.date | str):
            raise SourceError(
                f"row {number}: at must be a date, a date-time or ISO text, not "
                f"{type(when).__name__}"
            )
        points.append(Point(key, when, _plain_value(value), line=number))
    return points


def _plain_value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return value


def _measure(actor: Actor, points: list[Point], *, audit: bool = True) -> int:
    """kpi_measure_bulk, with its errors re-expressed as the row or line they came from."""
    try:
        return kpi_measure_bulk(actor=actor, points=points, where="rows", audit=audit)
    except Invalid as exc:
        errors = []
        for path, message in exc.errors.items():
            m = re.match(r"^rows\[(\d+)\]\.(\w+)$", path)
            if m and points[int(m[1])].line is not None:
                errors.append(f"row {points[int(m[1])].line}: {m[2]}: {message}")
            else:
                errors.append(f"{path}: {message}")
        raise SourceError("; ".join(errors)) from None


# --------------------------------------------------------------------------- setting a source


def _interval(value: int | None) -> int:
    if value is None:
        return DEFAULT_INTERVAL_MINUTES
    if not 1 <= value <= MAX_INTERVAL_MINUTES:
        raise Invalid({"schedule_minutes": f"must be between 1 and {MAX_INTERVAL_MINUTES}"})
    return value


def source_set(
    *,
    actor: Actor,
    kpi: Kpi,
    kind: str,
    schedule_minutes: int | None = None,
    url: str | None = None,
    query: str | None = None,
    timeout_seconds: int | None = None,
    expression: str | None = None,
) -> KpiSource:
    """Set a KPI's source. SQL sources (setting one, or changing one) are admin-only; others
    need the right to change the KPI. An SQL source keeps its stored URL when `url` is None."""
    source = source_of(kpi)
    if kind == Source.SQL or source.kind == Source.SQL:
        require_admin(actor)
    require_owns(actor, owner_user_id=kpi.owner_user_id, owner_team_id=kpi.owner_team_id)
    if kind == Source.BILLING:
        raise Invalid({"kind": "billing sources are set by importing a billing export"})
    if kind not in Source.values:
        raise Invalid({"kind": f"'{kind}' is not one of manual, push, csv, sql, formula"})
    before = _audit_view(source) if source.pk else None
    secret = source.secret if source.kind == Source.SQL else ""
    config: dict[str, Any] = {}
    interval: int | None = None
    if kind == Source.SQL:
        interval = _interval(schedule_minutes)
        if url is not None:
            connection = parse_connection(url)
            secret = encrypt_secret(connection.url)
            config["url"] = mask_url(connection.url)
        elif secret:
            config["url"] = source.config.get("url")
        else:
            raise Invalid({"url": "is required for an SQL source"})
        query = (query or "").strip()
        if not query:
            raise Invalid({"query": "is required for an SQL source"})
        if len(query) > MAX_QUERY_LENGTH or "\x00" in query:
            raise Invalid({"query": f"must be at most {MAX_QUERY_LENGTH} characters"})
        timeout = DEFAULT_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
        if not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
            raise Invalid({"timeout_seconds": f"must be between 1 and {MAX_TIMEOUT_SECONDS}"})
        config.update(query=query, timeout_seconds=timeout)
    elif kind == Source.FORMULA:
        interval = _interval(schedule_minutes)
        text = expression or ""
        try:
            tree = formulas.parse(text)
        except formulas.FormulaError as exc:
            raise Invalid({"expression": str(exc)}) from None
        inputs = sorted(formulas.names(tree))
        _check_formula_inputs(kpi, text, inputs)
        config.update(expression=formulas.to_text(tree), inputs=inputs)
    else:
        secret = ""
    kind_changed = source.kind != kind
    old_config = {k: v for k, v in (source.config or {}).items() if k != "rows"}
    changed = kind_changed or old_config != config or source.interval_minutes != interval
    source.kind, source.config, source.secret = kind, config, secret
    source.interval_minutes = interval
    if kind_changed:
        source.benchmark = ""
    if changed or url is not None:
        source.status, source.last_error, source.failures = SourceStatus.NEVER, "", 0
        source.next_run_at = now() if kind in SCHEDULED else None
    source.queued_at = None
    source.updated_at = now()
    with transaction.atomic():
        source.save()
        Kpi.objects.filter(pk=kpi.pk).update(source=kind)
        kpi.source = kind
        audit_record(
            workspace=actor.workspace,
            actor=actor.user,
            action="source_set",
            entity_type="kpi",
            entity_key=kpi.key,
            before=before,
            after=_audit_view(source),
        )
    if kind == Source.FORMULA:
        source_run(actor=actor, source=source)
    return source


_HYPHENATED = re.compile(r"(?<![\w.\[-])[A-Za-z_][\w.]*(?:-[\w.]+)+")


def _check_formula_inputs(kpi: Kpi, text: str, inputs: list[str]) -> None:
    if not inputs:
        raise Invalid({"expression": "reads no KPI: a formula needs at least one input"})
    # "ltv-cac" without brackets is ltv − cac; when a KPI ltv-cac exists, that is a trap.
    unbracketed = re.sub(r"\[[^\]]*\]", lambda m: " " * len(m.group()), text)
    candidates = {m.group(): m.start() for m in _HYPHENATED.finditer(unbracketed)}
    clash = sorted(
        Kpi.objects.filter(workspace_id=kpi.workspace_id, key__in=candidates).values_list(
            "key", flat=True
        )
    )
    if clash:
        key = clash[0]
        raise Invalid(
            {
                "expression": f"column {candidates[key] + 1}: '{key}' reads as a subtraction; "
                f"write [{key}] for the KPI (or put spaces around '-')"
            }
        )
    known = set(
        Kpi.objects.filter(workspace_id=kpi.workspace_id, key__in=inputs).values_list(
            "key", flat=True
        )
    )
    for key in inputs:
        if key not in known:
            name = re.escape(key)
            found = re.search(rf"\[{name}\]|(?<![\w.\[-]){name}(?![\w.\]-])", text)
            where = f"column {found.start() + 1}: " if found else ""
            raise Invalid({"expression": f"{where}unknown KPI '{key}'"})
    graph = _formula_graph(kpi.workspace_id)
    graph[kpi.key] = set(inputs)
    cycle = formulas.dependency_cycle(graph, kpi.key)
    if cycle:
        raise Invalid({"expression": f"a dependency cycle: {' → '.join(cycle)}"})


def _formula_graph(workspace_id: int) -> dict[str, set[str]]:
    rows = KpiSource.objects.filter(kpi__workspace_id=workspace_id, kind=Source.FORMULA)
    return {
        key: set(config.get("inputs", [])) for key, config in rows.values_list("kpi__key", "config")
    }


# --------------------------------------------------------------------------- running a source


def source_run(*, actor: Actor | None = None, source: KpiSource, cascade: bool = True) -> KpiSource:
    """Run an SQL or formula source now and record the outcome on it (never raises for a
    failing run: the error is the source's `last_error`). With `cascade`, the formulas that
    read this KPI are recomputed after a successful run."""
    if source.kind not in SCHEDULED:
        raise Invalid({"kind": f"a {source.kind} source does not run: only sql and formula do"})
    kpi = source.kpi
    actor = actor or system_actor(kpi.workspace)
    error = None
    try:
        if source.kind == Source.SQL:
            stored = _run_sql_source(actor, source)
        else:
            stored = _recompute(kpi, source)
        source.config = {**source.config, "rows": stored}
    except SourceError as exc:
        error = str(exc)
    except Exception as exc:  # a bug must not stop the worker or leak a secret to a log
        error = f"unexpected error ({type(exc).__name__}); see the server log"
        log.error(
            "KPI source %s/%s failed unexpectedly:\n%s",
            kpi.workspace.key,
            kpi.key,
            scrub("".join(traceback.format_exception(exc)), _stored_secrets(source)),
        )
    record_outcome(source, error)
    if cascade and error is None:
        formula_recompute_dependents(kpi.workspace, {kpi.key})
    return source


def _stored_secrets(source: KpiSource) -> list[str]:
    if not source.secret:
        return []
    try:
        return _secrets_in(decrypt_secret(source.secret))
    except SourceError:
        return []


def record_outcome(source: KpiSource, error: str | None) -> None:
    """Last run, status and error; on failure the next try waits 1, 5, then 25 minutes (never
    longer than the regular schedule)."""
    stamp = now()
    source.last_run_at = stamp
    source.queued_at = None
    interval = dt.timedelta(minutes=source.interval_minutes or DEFAULT_INTERVAL_MINUTES)
    if error is None:
        source.status, source.last_error, source.failures = SourceStatus.OK, "", 0
        source.last_success_at = stamp
        source.next_run_at = stamp + interval if source.kind in SCHEDULED else None
    else:
        source.status, source.last_error = SourceStatus.ERROR, error
        source.failures += 1
        backoff = dt.timedelta(minutes=BACKOFF_MINUTES[min(source.failures, 3) - 1])
        source.next_run_at = stamp + min(backoff, interval) if source.kind in SCHEDULED else None
        kpi = source.kpi
        log.warning("KPI source %s/%s failed: %s", kpi.workspace.key, kpi.key, error)
    source.updated_at = stamp
    if source.pk is None:
        source.save()
    else:
        source.save(
            update_fields=[
                "config",
                "status",
                "last_run_at",
                "last_success_at",
                "last_error",
                "failures",
                "next_run_at",
                "queued_at",
                "updated_at",
            ]
        )


def _run_sql_source(actor: Actor, source: KpiSource) -> int:
    connection = parse_connection_stored(source)
    timeout = float(source.config.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS)
    rows = run_query(connection, source.config.get("query", ""), timeout=timeout)
    at = now().replace(second=0, microsecond=0)
    points = points_from_rows(source.kpi.key, rows, at=at)
    return _measure(actor, points) if points else 0


def parse_connection_stored(source: KpiSource) -> Connection:
    if not source.secret:
        raise SourceError("no connection URL is stored: set the source again")
    url = decrypt_secret(source.secret)
    try:
        return parse_connection(url)
    except Invalid as exc:
        raise SourceError(f"url: {exc.errors.get('url', 'is not valid')}") from None


# --------------------------------------------------------------------------- formulas


def _recompute(kpi: Kpi, source: KpiSource) -> int:
    """Replace the formula KPI's measurements by the formula at its inputs' common times."""
    text = source.config.get("expression", "")
    try:
        tree = formulas.parse(text)
    except formulas.FormulaError as exc:
        raise SourceError(f"expression: {exc}") from None
    keys = formulas.names(tree)
    inputs = {k.key: k.pk for k in Kpi.objects.filter(workspace_id=kpi.workspace_id, key__in=keys)}
    missing = sorted(keys - set(inputs))
    if missing:
        raise SourceError(f"expression: unknown KPI {', '.join(repr(k) for k in missing)}")
    series: dict[str, dict[dt.datetime, Decimal]] = {key: {} for key in keys}
    by_pk = {pk: key for key, pk in inputs.items()}
    for kpi_id, at, value in Measurement.objects.filter(kpi_id__in=inputs.values()).values_list(
        "kpi_id", "at", "value"
    ):
        series[by_pk[kpi_id]][at] = value
    computed = {}
    for at, value in formulas.evaluate_series(tree, series).items():
        rounded = value.quantize(PLACES, rounding=ROUND_HALF_EVEN) if abs(value) < MAX_ABS else None
        if rounded is not None:
            computed[at] = rounded
    existing = dict(Measurement.objects.filter(kpi=kpi).values_list("at", "value"))
    stale = [at for at in existing if at not in computed]
    changed = {at: v for at, v in computed.items() if existing.get(at) != v}
    if not stale and not changed:
        return len(computed)
    system = system_actor(kpi.workspace)
    with transaction.atomic():
        if stale:
            Measurement.objects.filter(kpi=kpi, at__in=stale).delete()
        if changed:
            kpi_measure_bulk(
                actor=system,
                points=[Point(kpi.key, at, value) for at, value in changed.items()],
                audit=False,
            )
        else:
            refresh_latest([kpi.pk])
        audit_record(
            workspace=kpi.workspace,
            actor=None,
            action="recomputed",
            entity_type="kpi",
            entity_key=kpi.key,
            after={"written": len(changed), "removed": len(stale)},
        )
    return len(computed)


def formula_recompute(*, actor: Actor, kpi: Kpi) -> KpiSource:
    """Recompute a formula KPI now, then the formulas that read it."""
    source = source_of(kpi)
    if source.kind != Source.FORMULA:
        raise Invalid({"kind": f"'{kpi.key}' is not a formula KPI"})
    return source_run(actor=actor, source=source)


def formula_recompute_dependents(workspace: Workspace, changed: Iterable[str]) -> list[str]:
    """Recompute, in dependency order, every formula that reads a changed KPI (directly or
    through another formula). Returns the keys recomputed."""
    sources = {
        s.kpi.key: s
        for s in KpiSource.objects.filter(
            kpi__workspace=workspace, kind=Source.FORMULA
        ).select_related("kpi", "kpi__workspace")
    }
    if not sources:
        return []
    reads = {key: set(s.config.get("inputs", [])) for key, s in sources.items()}
    affected: set[str] = set()
    frontier = set(changed)
    while frontier:
        frontier = {k for k, inputs in reads.items() if inputs & frontier and k not in affected}
        affected |= frontier
    order: list[str] = []
    remaining = set(affected)
    while remaining:  # a formula runs after the formulas it reads
        ready = sorted(k for k in remaining if not reads[k] & remaining)
        if not ready:
            break  # a cycle; refused when a formula is set, so only from old data
        order += ready
        remaining -= set(ready)
    for key in order:
        source_run(source=sources[key], cascade=False)
    return order


# --------------------------------------------------------------------------- CSV uploads

CSV_KINDS = (Source.MANUAL, Source.PUSH, Source.CSV)


def csv_upload(*, actor: Actor, kpi: Kpi, data: bytes) -> int:
    """Import a FORMATS §5 CSV for one KPI, all or nothing; errors name the line. The outcome
    is recorded on the KPI's source (its last run, status and error)."""
    require_owns(actor, owner_user_id=kpi.owner_user_id, owner_team_id=kpi.owner_team_id)
    source = source_of(kpi)
    if source.kind not in CSV_KINDS:
        raise Invalid(
            {"file": f"'{kpi.key}' is fed by its {source.kind} source: set its source to csv first"}
        )
    points: list[Point] = []
    try:
        points = measurements_from_csv(data)
        for point in points:
            if point.kpi != kpi.key:
                raise Invalid(
                    {f"line {point.line}": f"kpi '{point.kpi}' is not '{kpi.key}' (one KPI a file)"}
                )
        stored = kpi_measure_bulk(actor=actor, points=points)
    except Invalid as exc:
        errors = line_errors(exc, points)
        record_outcome(source, "; ".join(f"{k}: {v}" for k, v in errors.errors.items()))
        raise errors from None
    source.config = {**(source.config or {}), "rows": stored}
    record_outcome(source, None)
    formula_recompute_dependents(kpi.workspace, {kpi.key})
    return stored


# --------------------------------------------------------------------------- billing exports

SEGMENTS = ("smb", "mid-market", "enterprise")


@dataclass(frozen=True)
class BillingKpi:
    key: str
    name: str
    unit: str  # "{currency}" is the export's currency
    direction: str
    field: str  # the engine's output field
    scale: int  # 100 for a rate shown as a percentage
    description: str


BILLING_KPIS = (
    BillingKpi("mrr", "Monthly recurring revenue", "{currency}", "up", "mrr", 1,
               "MRR at the month's last day, from the billing export."),
    BillingKpi("arr", "Annual recurring revenue", "{currency}", "up", "arr", 1,
               "MRR × 12, from the billing export."),
    BillingKpi("mrr-growth", "MRR growth", "% per month", "up", "mrr_growth_rate", 100,
               "(MRR − MRR a month before) / MRR a month before."),
    BillingKpi("nrr-12m", "Net revenue retention (12 months)", "%", "up", "nrr_12m", 100,
               "MRR now of the customers paying 12 months ago, over their MRR then."),
    BillingKpi("grr-12m", "Gross revenue retention (12 months)", "%", "up", "grr_12m", 100,
               "As NRR, counting each customer at most at its old MRR."),
    BillingKpi("logo-churn", "Logo churn", "% per month", "down", "logo_churn_rate", 100,
               "Customers lost in the month over customers at its start."),
    BillingKpi("arpa", "Average revenue per account", "{currency}", "up", "arpa", 1,
               "MRR over paying customers."),
    BillingKpi("quick-ratio", "SaaS quick ratio", "x", "up", "quick_ratio", 1,
               "(new + expansion + reactivation MRR) / (contraction + churned MRR)."),
    BillingKpi("cac-payback", "CAC payback", "months", "down", "cac_payback_months", 1,
               "CAC over new MRR per new customer × gross margin (needs the spend file)."),
    BillingKpi("ltv-cac", "LTV:CAC", "x", "up", "ltv_cac", 1,
               "Lifetime value over customer acquisition cost (needs the spend file)."),
)  # fmt: skip


@dataclass(frozen=True)
class Benchmark:
    text: str
    target: Decimal | None = None
    warning: Decimal | None = None


def workspace_stage(workspace: Workspace) -> stages.Stage | None:
    if workspace.stage:
        try:
            return stages.parse_stage(workspace.stage)
        except ValueError:
            pass
    if workspace.headcount is not None:
        return stages.stage_for_headcount(workspace.headcount)
    return None


def benchmark(key: str, *, stage: stages.Stage | None, segment: str) -> Benchmark:
    """The PRODUCT §6 benchmark band for a billing KPI, for this stage and segment."""
    growth = "MRR growth: 15–20% a month at seed, 3–5% at growth stage"
    if key == "mrr-growth":
        if stage == stages.Stage.SEED:
            return Benchmark("15–20% a month at seed (3–5% at growth stage)", Decimal(15))
        if stage is not None:
            return Benchmark("3–5% a month at growth stage (15–20% at seed)", Decimal(3))
        return Benchmark(growth + " (set the workspace's stage for a benchmark target)")
    if key in ("mrr", "arr"):
        return Benchmark(f"No level benchmark; watch its growth ({growth}).")
    if key == "nrr-12m":
        return Benchmark("Top quartile 120%+; below 100% is a red flag", Decimal(120), Decimal(100))
    if key == "grr-12m":
        return Benchmark("No benchmark of its own: at most 100% and at most NRR.")
    if key == "quick-ratio":
        return Benchmark("Above 1 means MRR grows (no benchmark of its own).", Decimal(1))
    if key == "logo-churn":
        limits = {"smb": Decimal(2), "mid-market": Decimal(1), "enterprise": Decimal("0.5")}
        return Benchmark(
            f"Below {limits[segment]:f}% a month for {segment} "
            "(SMB < 2%, mid-market < 1%, enterprise < 0.5%)",
            limits[segment],
        )
    if key == "cac-payback":
        if segment == "smb":
            return Benchmark("Under 12 months for SMB (18–24 for enterprise)", Decimal(12))
        return Benchmark(f"Under 18–24 months for {segment} (12 for SMB)", Decimal(18), Decimal(24))
    if key == "ltv-cac":
        return Benchmark(
            "3:1 minimum, 5:1+ healthy, below 2:1 unsustainable", Decimal(3), Decimal(2)
        )
    return Benchmark("No standard benchmark.")


@dataclass(frozen=True)
class BillingResult:
    currency: str
    months: int
    first_month: str | None
    last_month: str | None
    stored: int
    kpis: list[Kpi]


def _spool(upload: bytes | IO[bytes], directory: str, name: str) -> str:
    path = os.path.join(directory, name)
    with open(path, "wb") as out:
        if isinstance(upload, bytes | bytearray):
            out.write(upload)
        else:
            while chunk := upload.read(1 << 20):
                out.write(chunk)
    return path


def billing_import(
    *,
    actor: Actor,
    subscriptions: bytes | IO[bytes],
    spend: bytes | IO[bytes] | None = None,
    segment: str = "smb",
) -> BillingResult:
    """Run the SaaS metrics engine on a billing export and keep the billing KPIs up to date
    with monthly measurements (at each month's last day), all or nothing.

    Bad input raises Invalid naming the file (`subscriptions` or `spend`) with the engine's
    line number and reason; nothing is changed then."""
    from okapi.core import saas  # DuckDB: loaded when a billing export arrives, not at start-up

    require_admin(actor)
    if segment not in SEGMENTS:
        raise Invalid({"segment": f"'{segment}' is not one of {', '.join(SEGMENTS)}"})
    with tempfile.TemporaryDirectory(prefix="okapi-billing-") as directory:
        subs_path = _spool(subscriptions, directory, "subscriptions.csv")
        spend_path = None if spend is None else _spool(spend, directory, "spend.csv")
        try:
            report = saas.compute_saas_metrics(subs_path, spend_path, threads=2)
        except saas.SaasInputError as exc:
            field = "spend" if exc.path and exc.path == spend_path else "subscriptions"
            reason = exc.reason.replace(directory + os.sep, "")
            where = f"line {exc.line}: " if exc.line is not None else ""
            raise Invalid({field: f"{where}{reason}"}) from None
    return _store_billing(actor, report, segment=segment, with_spend=spend is not None)


def _month_end(month: str) -> dt.date:
    year, number = int(month[:4]), int(month[5:7])
    first_next = dt.date(year + number // 12, number % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _store_billing(
    actor: Actor, report: SaasReport, *, segment: str, with_spend: bool
) -> BillingResult:
    workspace = actor.workspace
    stage = workspace_stage(workspace)
    specs = [
        s for s in BILLING_KPIS if with_spend or s.field not in ("cac_payback_months", "ltv_cac")
    ]
    months = report.months
    points: list[Point] = []
    for month in months:
        at = _month_end(str(month["month"]))
        for spec in specs:
            value = month.get(spec.field)
            if value is None:
                continue
            number = Decimal(str(value)) * spec.scale
            if abs(number) >= MAX_ABS:
                continue
            points.append(Point(spec.key, at, number.quantize(PLACES, ROUND_HALF_EVEN)))
    latest = {p.kpi: Decimal(str(p.value)) for p in points}  # the last month with a value
    stamp = now()
    with transaction.atomic():
        existing = {k.key: k for k in Kpi.objects.filter(workspace=workspace)}
        kpis: list[Kpi] = []
        for spec in specs:
            mark = benchmark(spec.key, stage=stage, segment=segment)
            kpi = existing.get(spec.key)
            if kpi is None:
                # A KPI needs a target: without a benchmark one, today's value is the start.
                target = mark.target if mark.target is not None else latest.get(spec.key)
                kpi = kpi_create(
                    actor=actor,
                    key=spec.key,
                    name=spec.name,
                    description=spec.description,
                    unit=spec.unit.format(currency=report.currency),
                    direction=spec.direction,
                    cadence="monthly",
                    target=target if target is not None else Decimal(0),
                    warning=mark.warning if mark.target is not None else None,
                )
            source = source_of(kpi)
            before = _audit_view(source) if source.pk else None
            source.kind, source.secret, source.interval_minutes = Source.BILLING, "", None
            source.config = {
                "metric": spec.field,
                "currency": report.currency,
                "segment": segment,
                "stage": stage.value if stage else None,
                "months": len(months),
            }
            source.benchmark = mark.text
            source.status, source.last_error, source.failures = SourceStatus.OK, "", 0
            source.last_run_at = source.last_success_at = source.updated_at = stamp
            source.next_run_at = source.queued_at = None
            source.save()
            if kpi.source != Source.BILLING:
                Kpi.objects.filter(pk=kpi.pk).update(source=Source.BILLING)
                kpi.source = Source.BILLING
            audit_record(
                workspace=workspace,
                actor=actor.user,
                action="source_set",
                entity_type="kpi",
                entity_key=kpi.key,
                before=before,
                after=_audit_view(source),
            )
            kpis.append(kpi)
        if months:
            # The export is the truth for the months it covers: a month-end measurement it no
            # longer gives (e.g. a rate whose denominator became zero) is removed.
            first = measurement_time(workspace, _month_end(str(months[0]["month"])))
            last = measurement_time(workspace, _month_end(str(months[-1]["month"])))
            keep = {(p.kpi, measurement_time(workspace, p.at)) for p in points}
            for kpi in kpis:
                window = Measurement.objects.filter(kpi=kpi, at__gte=first, at__lte=last)
                stale = [
                    at for at in window.values_list("at", flat=True) if (kpi.key, at) not in keep
                ]
                if stale:
                    window.filter(at__in=stale).delete()
            refresh_latest([k.pk for k in kpis])
        stored = kpi_measure_bulk(actor=actor, points=points) if points else 0
    formula_recompute_dependents(workspace, {k.key for k in kpis})
    for kpi in kpis:
        kpi.refresh_from_db(fields=["latest_value", "latest_at", "source"])
    return BillingResult(
        currency=report.currency,
        months=len(months),
        first_month=str(months[0]["month"]) if months else None,
        last_month=str(months[-1]["month"]) if months else None,
        stored=stored,
        kpis=kpis,
    )


# --------------------------------------------------------------------------- the schedule

QUEUE_EXPIRY = dt.timedelta(hours=1)  # a source queued longer than this is queued again
INPUT_ACTIONS = ("measured", "recomputed", "updated", "created", "deleted")


def due_source_ids(at: dt.datetime | None = None) -> list[int]:
    """SQL and formula sources due now: their next run has come, or (formulas) one of their
    inputs changed since their last run. A source already queued is not due again until it
    has run (or was queued more than an hour ago: its worker died)."""
    at = at or now()
    free = Q(queued_at__isnull=True) | Q(queued_at__lt=at - QUEUE_EXPIRY)
    candidates = KpiSource.objects.filter(free, kind__in=SCHEDULED)
    due = set(
        candidates.filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=at)).values_list(
            "pk", flat=True
        )
    )
    waiting = list(
        candidates.filter(kind=Source.FORMULA, last_run_at__isnull=False)
        .exclude(pk__in=due)
        .values_list("pk", "kpi__workspace_id", "last_run_at", "config")
    )
    if waiting:
        keys = {key for *_, config in waiting for key in config.get("inputs", [])}
        changes = (
            AuditEvent.objects.filter(
                entity_type="kpi",
                action__in=INPUT_ACTIONS,
                workspace_id__in={w for _, w, _, _ in waiting},
                entity_key__in=keys,
                at__gt=min(last for _, _, last, _ in waiting),
            )
            .order_by()
            .values_list("workspace_id", "entity_key")
            .annotate(latest=Max("at"))
        )
        latest = {(w, key): when for w, key, when in changes}
        for pk, workspace_id, last_run_at, config in waiting:
            inputs = config.get("inputs", [])
            if any(latest.get((workspace_id, k), last_run_at) > last_run_at for k in inputs):
                due.add(pk)
    return sorted(due)


def claim_source(pk: int, at: dt.datetime) -> bool:
    """Mark a due source as queued; False when another scheduler claimed it first."""
    free = Q(queued_at__isnull=True) | Q(queued_at__lt=at - QUEUE_EXPIRY)
    return KpiSource.objects.filter(free, pk=pk).update(queued_at=at) == 1


def release_source(pk: int) -> None:
    KpiSource.objects.filter(pk=pk).update(queued_at=None)


def source_run_scheduled(source_id: int) -> str:
    """What the worker's task runs: the source's status after the run."""
    source = KpiSource.objects.select_related("kpi", "kpi__workspace").filter(pk=source_id).first()
    if source is None:
        return "gone"
    if source.kind not in SCHEDULED:
        release_source(source_id)
        return "not scheduled"
    source_run(source=source)
    return str(source.status)
