"""`okapi serve` and `okapi demo`."""

from __future__ import annotations

import argparse
import os
import sys

from okapi.commands import CommandError
from okapi.commands import setup_database as migrate

DEMO_EMAIL = "demo@okapi.test"
DEMO_PASSWORD = "demo"
DEMO_WORKSPACE = "demo"


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="apply pending migrations and serve the web app and API",
        description="Apply pending migrations, then serve the web app and API with waitress "
        "(a production WSGI server). Put a TLS-terminating proxy in front for the internet.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument("--threads", type=int, default=8, help="worker threads (8)")
    serve.set_defaults(func=run_serve)

    demo = subparsers.add_parser(
        "demo",
        help="create the demo workspace (once) and serve it",
        description=f"Create (once) the workspace '{DEMO_WORKSPACE}', a realistic 30-person "
        f"startup, in the default database with the owner {DEMO_EMAIL} (password "
        f"'{DEMO_PASSWORD}'), print the login and serve it.",
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    demo.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    demo.add_argument("--no-serve", action="store_true", help="create the data, do not serve")
    demo.set_defaults(func=run_demo)


def serve(host: str, port: int, threads: int = 8) -> None:
    from waitress import serve as waitress_serve

    from okapi.wsgi import application

    if not 0 < port < 65536:
        raise CommandError(f"--port {port}: expected 1–65535")
    print(f"Serving Okapi on http://{host}:{port}/ (Ctrl+C to stop)", file=sys.stderr)
    waitress_serve(application, host=host, port=port, threads=threads, ident="okapi")


def run_serve(args: argparse.Namespace) -> int:
    migrate()
    serve(args.host, args.port, args.threads)
    return 0


def create_demo() -> bool:
    """Create the demo workspace unless it exists; True when it was created now."""
    import datetime as dt

    from django.db import transaction

    from okapi.accounts.models import User
    from okapi.demo_data import demo_document
    from okapi.transfer import okr_import
    from okapi.workspaces.models import Membership, Role, Workspace

    if Workspace.objects.filter(key=DEMO_WORKSPACE).exists():
        return False
    with transaction.atomic():
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, name="Demo Founder")
        workspace = okr_import(
            demo_document(dt.date.today()), workspace_key=DEMO_WORKSPACE, progress=_progress()
        )
        Membership.objects.update_or_create(
            workspace=workspace, user=user, defaults={"role": Role.OWNER}
        )
    return True


def _progress():  # type: ignore[no-untyped-def]
    from okapi.commands.transfer import progress_bar

    return progress_bar("Creating the demo workspace")


def run_demo(args: argparse.Namespace) -> int:
    os.environ.setdefault("OKAPI_DEBUG", "false")
    migrate()
    created = create_demo()
    host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0") else args.host
    print(
        ("Created" if created else "Found") + f" the demo workspace '{DEMO_WORKSPACE}'.\n"
        f"Sign in at http://{host}:{args.port}/ as {DEMO_EMAIL} with the password "
        f"'{DEMO_PASSWORD}'.\n"
        f"API docs: http://{host}:{args.port}/api/docs",
    )
    sys.stdout.flush()
    if not args.no_serve:
        from okapi.commands.worker import start_worker_thread

        start_worker_thread()  # scheduled KPI sources run beside the demo's web server
        serve(args.host, args.port)
    return 0
