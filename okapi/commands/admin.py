"""`okapi user add`, `okapi workspace add`, `okapi token add`."""

from __future__ import annotations

import argparse
import sys

from okapi.commands import UsageError, print_json, setup_database


def register(subparsers: argparse._SubParsersAction) -> None:
    user = subparsers.add_parser("user", help="manage users").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    add = user.add_parser("add", help="create a user", description="Create a user.")
    add.add_argument("email", metavar="EMAIL")
    add.add_argument("--name", default="", help="the person's name")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input "
        "(without it the user cannot sign in with a password until one is set)",
    )
    add.add_argument("--json", action="store_true", help="print the user as JSON")
    add.set_defaults(func=run_user_add)

    ws = subparsers.add_parser("workspace", help="manage workspaces").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    wadd = ws.add_parser("add", help="create a workspace", description="Create a workspace.")
    wadd.add_argument("key", metavar="KEY", help="lowercase letters, digits and '-'")
    wadd.add_argument("--name", required=True, help="the company's name")
    wadd.add_argument("--owner", required=True, metavar="EMAIL", help="an existing user")
    wadd.add_argument("--timezone", default="UTC", help="IANA time zone (UTC)")
    wadd.add_argument("--json", action="store_true", help="print the workspace as JSON")
    wadd.set_defaults(func=run_workspace_add)

    token = subparsers.add_parser("token", help="manage API tokens").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    tadd = token.add_parser(
        "add",
        help="print a new API token",
        description="Print a new API token for that user in that workspace. The token is shown "
        "once; only its hash is stored. A user who is not yet a member becomes one with --role "
        "(default member).",
    )
    tadd.add_argument("email", metavar="EMAIL")
    tadd.add_argument("--workspace", required=True, metavar="KEY")
    tadd.add_argument(
        "--role",
        choices=["owner", "admin", "member", "viewer"],
        help="the token's role, at most the user's (default: the user's role)",
    )
    tadd.add_argument("--name", default="", help="a label, e.g. 'billing sync'")
    tadd.add_argument("--json", action="store_true", help="print the token as JSON")
    tadd.set_defaults(func=run_token_add)


def _invalid(exc: Exception) -> UsageError:
    return UsageError(str(exc))


def run_user_add(args: argparse.Namespace) -> int:
    setup_database()
    from okapi.errors import Invalid
    from okapi.workspaces.services import user_create

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin: standard input gave no password")
    try:
        user = user_create(email=args.email, name=args.name, password=password)
    except Invalid as exc:
        raise _invalid(exc) from None
    if args.json:
        print_json({"email": user.email, "name": user.name})
    else:
        print(f"Created user {user.email}")
    return 0


def _user(email: str):  # type: ignore[no-untyped-def]
    from okapi.accounts.models import User, normalize_email

    user = User.objects.filter(email=normalize_email(email)).first()
    if user is None:
        raise UsageError(f"no user '{email}' (create one with: okapi user add {email})")
    return user


def _workspace(key: str):  # type: ignore[no-untyped-def]
    from okapi.workspaces.models import Workspace

    workspace = Workspace.objects.filter(key=key).first()
    if workspace is None:
        raise UsageError(f"no workspace '{key}'")
    return workspace


def run_workspace_add(args: argparse.Namespace) -> int:
    setup_database()
    from okapi.errors import Invalid
    from okapi.workspaces.services import workspace_create

    owner = _user(args.owner)
    try:
        ws = workspace_create(key=args.key, name=args.name, owner=owner, timezone=args.timezone)
    except Invalid as exc:
        raise _invalid(exc) from None
    if args.json:
        print_json({"key": ws.key, "name": ws.name, "timezone": ws.timezone, "owner": owner.email})
    else:
        print(f"Created workspace {ws.key} ({ws.name}) owned by {owner.email}")
    return 0


def run_token_add(args: argparse.Namespace) -> int:
    setup_database()
    from django.db import transaction

    from okapi.errors import Invalid, NotFound
    from okapi.workspaces.models import Membership
    from okapi.workspaces.services import membership_set, token_create

    user = _user(args.email)
    workspace = _workspace(args.workspace)
    try:
        with transaction.atomic():
            if not Membership.objects.filter(workspace=workspace, user=user).exists():
                membership_set(
                    actor=None, workspace=workspace, user=user, role=args.role or "member"
                )
            token, secret = token_create(
                workspace=workspace, user=user, role=args.role, name=args.name
            )
    except (Invalid, NotFound) as exc:
        raise _invalid(exc) from None
    if args.json:
        print_json(
            {
                "token": secret,
                "email": user.email,
                "workspace": workspace.key,
                "role": token.role,
                "name": token.name,
            }
        )
    else:
        print(secret)
    return 0
