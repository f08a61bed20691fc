"""`okapi digest --workspace KEY [--team KEY] [--json] [--send]` (FORMATS §1)."""

from __future__ import annotations

import argparse
import re
import sys

from okapi.commands import UsageError, print_json, setup_database

DESCRIPTION = """\
Print the weekly digest of a workspace (or one of its teams): what moved (the week's check-ins
with their notes), what is blocked, key results at risk or off pace, KPIs in breach, amber or
stale, and objectives without a check-in. The week is the 7 days up to today in the
workspace's time zone.

With --json the digest is printed as JSON on stdout (nothing else goes there). With --send it
is also e-mailed to every member who has not muted the digest (or the team's members and lead)
and posted to the chat channel when one is set, right away (with the workspace's other messages
that are due; other workspaces' are left to the worker); the numbers sent and failed go to
stderr. A digest is sent once per person per week: running --send again the same week sends
nothing new.

Exit codes: 0 done, 2 unknown workspace or team, 1 anything else (e.g. some messages failed).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "digest",
        help="print (or send) the weekly digest",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--workspace", required=True, metavar="KEY", help="the workspace's key")
    parser.add_argument("--team", metavar="KEY", help="only this team's digest")
    parser.add_argument("--json", action="store_true", help="print the digest as JSON")
    parser.add_argument(
        "--send", action="store_true", help="e-mail it and post it to the chat channel now"
    )
    parser.set_defaults(func=run_digest)


def run_digest(args: argparse.Namespace) -> int:
    setup_database()
    from okapi.apitypes import KEY_PATTERN
    from okapi.rhythm import delivery
    from okapi.rhythm.digest import digest_data, digest_send, digest_text
    from okapi.rhythm.models import Notification, Status
    from okapi.workspaces.models import Team, Workspace

    for name, key in (("workspace", args.workspace), ("team", args.team)):
        if key is not None and not re.fullmatch(KEY_PATTERN, key):
            raise UsageError(f"no {name} '{key[:64]}'")
    workspace = Workspace.objects.filter(key=args.workspace).first()
    if workspace is None:
        raise UsageError(f"no workspace '{args.workspace}'")
    team = None
    if args.team is not None:
        team = Team.objects.filter(workspace=workspace, key=args.team).first()
        if team is None:
            raise UsageError(f"no team '{args.team}' in workspace '{workspace.key}'")

    data = digest_data(workspace=workspace, team=team)
    if args.json:
        print_json(data)
    else:
        sys.stdout.write(digest_text(data))
    if not args.send:
        return 0

    queued_before = set(
        Notification.objects.filter(workspace=workspace, kind="digest").values_list("id", flat=True)
    )
    queued = digest_send(workspace=workspace, team=team)
    delivery.deliver_due(workspace=workspace)  # this workspace's only: the rest is the worker's
    mine = Notification.objects.filter(workspace=workspace, kind="digest").exclude(
        id__in=queued_before
    )
    sent = mine.filter(status=Status.SENT).count()
    failed = mine.exclude(status=Status.SENT).count()
    if queued == 0:
        print("The digest was already sent this week: nothing new to send.", file=sys.stderr)
    else:
        print(f"Digest: {sent} sent, {failed} failed.", file=sys.stderr)
        for n in mine.exclude(status=Status.SENT).select_related("recipient"):
            where = n.recipient.email if n.recipient else "chat channel"
            print(f"  {where}: {n.last_error}", file=sys.stderr)
    return 1 if failed else 0
