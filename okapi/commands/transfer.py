"""`okapi import` and `okapi export` (FORMATS §3)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from okapi.commands import UsageError, print_json, setup_database


def register(subparsers: argparse._SubParsersAction) -> None:
    imp = subparsers.add_parser(
        "import",
        help="import an OKR file, all or nothing",
        description="Import an OKR file (YAML) into a workspace, all or nothing. The whole file "
        "is checked first; an error names its place, e.g. "
        "objectives[3].key_results[1].owner: unknown person 'x@acme.test'. The workspace is "
        "created if it does not exist (the file's own workspace key is ignored), the file's "
        "people become members, and importing the same file again changes nothing.",
    )
    imp.add_argument("file", metavar="FILE.yaml")
    imp.add_argument("--workspace", required=True, metavar="KEY")
    imp.add_argument("--json", action="store_true", help="print a summary as JSON")
    imp.set_defaults(func=run_import)

    exp = subparsers.add_parser(
        "export",
        help="write a workspace as an OKR file",
        description="Write the workspace as an OKR file (YAML); importing it gives the same "
        "workspace.",
    )
    exp.add_argument("--workspace", required=True, metavar="KEY")
    exp.add_argument("-o", "--output", metavar="FILE.yaml", help="write here instead of stdout")
    exp.set_defaults(func=run_export)


def progress_bar(label: str) -> Callable[[int, int], None] | None:
    """A progress bar on stderr when it is a terminal; None (quiet) otherwise."""
    if not sys.stderr.isatty():
        return None
    shown = {"last": -1}

    def show(done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if percent == shown["last"] and done != total:
            return
        shown["last"] = percent
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {percent:3d}%")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None


def run_import(args: argparse.Namespace) -> int:
    from okapi.core.okrfile import OkrFileError, load_okr_yaml

    text = read_text(args.file)
    try:
        doc = load_okr_yaml(text)
    except OkrFileError as exc:
        raise UsageError(f"{args.file}: not imported, nothing changed:\n{exc}") from None
    setup_database()
    from okapi.transfer import okr_import

    try:
        okr_import(doc, workspace_key=args.workspace, progress=progress_bar("Importing"))
    except OkrFileError as exc:
        raise UsageError(f"{args.file}: not imported, nothing changed:\n{exc}") from None
    summary = {
        "workspace": args.workspace,
        "people": len(doc.people),
        "teams": len(doc.teams),
        "cycles": len(doc.cycles),
        "kpis": len(doc.kpis),
        "measurements": sum(len(k.measurements) for k in doc.kpis),
        "initiatives": len(doc.initiatives),
        "objectives": len(doc.objectives),
        "key_results": sum(1 for _ in doc.key_results()),
        "checkins": sum(len(kr.checkins) for _, kr in doc.key_results()),
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"Imported into '{args.workspace}': {summary['objectives']} objectives, "
            f"{summary['key_results']} key results, {summary['checkins']} check-ins, "
            f"{summary['kpis']} KPIs ({summary['measurements']} measurements)."
        )
    return 0


def run_export(args: argparse.Namespace) -> int:
    setup_database()
    from okapi.core.okrfile import dump_okr_yaml
    from okapi.transfer import okr_export
    from okapi.workspaces.models import Workspace

    workspace = Workspace.objects.filter(key=args.workspace).first()
    if workspace is None:
        raise UsageError(f"no workspace '{args.workspace}'")
    text = dump_okr_yaml(okr_export(workspace))
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.output}: {exc.strerror}") from None
        print(f"Wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
