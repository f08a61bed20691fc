"""`okapi kpi import` (FORMATS §5)."""

from __future__ import annotations

import argparse
from pathlib import Path

from okapi.commands import UsageError, print_json, setup_database


def register(subparsers: argparse._SubParsersAction) -> None:
    kpi = subparsers.add_parser("kpi", help="KPI data").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    imp = kpi.add_parser(
        "import",
        help="import KPI measurements from CSV, all or nothing",
        description="Import KPI measurements from a CSV file with the header kpi,at,value (the "
        "KPI key, an ISO date or date-time, a number), all or nothing. A date is midnight in the "
        "workspace's time zone. A measurement at an instant that already has one replaces it. "
        "An error names the line (the header is line 1).",
    )
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument("--workspace", required=True, metavar="KEY")
    imp.add_argument("--json", action="store_true", help="print a summary as JSON")
    imp.set_defaults(func=run_kpi_import)


def run_kpi_import(args: argparse.Namespace) -> int:
    try:
        data = Path(args.file).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{args.file}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{args.file}: {exc.strerror}") from None
    setup_database()
    from okapi.errors import Invalid
    from okapi.kpis.services import kpi_measure_bulk, line_errors, measurements_from_csv
    from okapi.workspaces.access import system_actor
    from okapi.workspaces.models import Workspace

    workspace = Workspace.objects.filter(key=args.workspace).first()
    if workspace is None:
        raise UsageError(f"no workspace '{args.workspace}'")
    try:
        points = measurements_from_csv(data)
        stored = kpi_measure_bulk(actor=system_actor(workspace), points=points)
    except Invalid as exc:
        errors = line_errors(exc, points) if "points" in locals() else exc
        detail = "\n".join(f"{args.file}: {where}: {msg}" for where, msg in errors.errors.items())
        raise UsageError(f"not imported, nothing changed:\n{detail}") from None
    if args.json:
        print_json({"workspace": workspace.key, "stored": stored})
    else:
        print(f"Imported {stored} measurements into '{workspace.key}'.")
    return 0
