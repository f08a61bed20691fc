"""Fixtures for the KPI source tests: throwaway tables in real external databases.

- pg_source: a schema of its own in the PostgreSQL server on this machine
  (OKAPI_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test), dropped after
  the test; skipped with a notice when the server is not reachable (a failure under CI=true).
- mysql_source: a database of its own in MariaDB/MySQL at OKAPI_TEST_MYSQL_URL (default
  mysql://root@127.0.0.1:3306/test); skipped with a notice when not reachable.
- sqlite_source: an SQLite file in a temporary directory.
Each yields a `Db` with the source URL and a way to read the table directly.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

PG_URL = os.environ.get("OKAPI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("OKAPI_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
ROWS = [("2027-01-31", "10.5"), ("2027-02-28", "11.25"), ("2027-03-31", "12")]


@dataclass
class Db:
    url: str  # the URL a source uses
    table: str  # the table name as the query writes it
    count: Callable[[], int]  # rows in the table, read directly
    tables: Callable[[], int]  # tables in the schema/database, read directly


def _unreachable(what: str, url: str) -> None:
    message = f"NOTICE: {what} is not reachable at {url}: test skipped"
    if what == "PostgreSQL" and os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def with_password(url: str, password: str) -> str:
    """The URL with a password (PostgreSQL on this machine trusts local connections and
    ignores it; it is there to prove it never shows)."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


@pytest.fixture
def pg_source() -> Iterator[Db]:
    import psycopg

    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error:
        _unreachable("PostgreSQL", PG_URL)
    schema = f"okapi_src_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    admin.execute(f"CREATE TABLE {schema}.revenue (at date NOT NULL, value numeric NOT NULL)")
    with admin.cursor() as cur:
        cur.executemany(f"INSERT INTO {schema}.revenue VALUES (%s, %s)", ROWS)

    def count() -> int:
        return int(admin.execute(f"SELECT count(*) FROM {schema}.revenue").fetchone()[0])

    def tables() -> int:
        query = "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s"
        return int(admin.execute(query, (schema,)).fetchone()[0])

    try:
        yield Db(url=PG_URL, table=f"{schema}.revenue", count=count, tables=tables)
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


@pytest.fixture
def mysql_source() -> Iterator[Db]:
    import pymysql

    parts = urlsplit(MYSQL_URL)
    try:
        admin = pymysql.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
            autocommit=True,
            connect_timeout=3,
        )
    except pymysql.Error:
        _unreachable("MySQL/MariaDB", MYSQL_URL)
    database = f"okapi_src_{uuid.uuid4().hex[:12]}"
    cur = admin.cursor()
    cur.execute(f"CREATE DATABASE {database}")
    cur.execute(f"CREATE TABLE {database}.revenue (at date NOT NULL, value decimal(12,2))")
    cur.executemany(f"INSERT INTO {database}.revenue VALUES (%s, %s)", ROWS)

    def count() -> int:
        cur.execute(f"SELECT count(*) FROM {database}.revenue")
        return int(cur.fetchone()[0])

    def tables() -> int:
        cur.execute(f"SHOW TABLES FROM {database}")
        return len(cur.fetchall())

    netloc = parts.netloc.rsplit("@", 1)
    url = urlunsplit((parts.scheme, netloc[0] + "@" + netloc[-1], f"/{database}", "", ""))
    try:
        yield Db(url=url, table="revenue", count=count, tables=tables)
    finally:
        cur.execute(f"DROP DATABASE {database}")
        admin.close()


@pytest.fixture
def sqlite_source(tmp_path: Any) -> Db:
    path = tmp_path / "warehouse.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE revenue (at TEXT NOT NULL, value REAL NOT NULL)")
    con.executemany("INSERT INTO revenue VALUES (?, ?)", ROWS)
    con.commit()
    con.close()

    def count() -> int:
        with sqlite3.connect(path) as c:
            return int(c.execute("SELECT count(*) FROM revenue").fetchone()[0])

    def tables() -> int:
        with sqlite3.connect(path) as c:
            return int(
                c.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
            )

    return Db(url=f"sqlite:///{path}", table="revenue", count=count, tables=tables)


@pytest.fixture
def revenue(acme: Any) -> Any:
    """A KPI `revenue` owned by the growth team (bob's), with no measurements."""
    from okapi.kpis.services import kpi_create
    from okapi.workspaces.access import system_actor

    return kpi_create(actor=system_actor(acme.workspace), key="revenue", name="Revenue",
                      unit="$", target=100, owner="growth")  # fmt: skip


def put_csv(client: Any, token: str, key: str, text: str, *, multipart: bool = False) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if multipart:
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("m.csv", text.encode(), content_type="text/csv")
        return client.post(f"/api/kpis/{key}/measurements/csv", {"file": upload}, **headers)
    return client.post(
        f"/api/kpis/{key}/measurements/csv", data=text.encode(), content_type="text/csv", **headers
    )


from tests.api.conftest import adam, adam_api  # noqa: E402, F401 - an admin of Acme
