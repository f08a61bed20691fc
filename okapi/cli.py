"""The `okapi` command: thin shells over services (FORMATS §1).

Exit codes: 0 success, 2 bad input, 1 anything else. Data goes to stdout (with `--json`,
nothing else does); messages and errors go to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from okapi.commands import CommandError, UsageError

# Each module exposes `register(subparsers)`; the parsers it adds set `func(args) -> int`.
COMMAND_MODULES = [
    "okapi.commands.server",
    "okapi.commands.admin",
    "okapi.commands.transfer",
    "okapi.commands.kpi",
    "okapi.commands.coach",
    "okapi.commands.saas",
    "okapi.commands.worker",
    "okapi.commands.digest",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors already
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="okapi",
        description="Okapi: OKRs and KPIs for startups, side by side.",
        epilog="Configuration: OKAPI_DATABASE_URL, OKAPI_SECRET_KEY, OKAPI_DEBUG, "
        "OKAPI_ALLOWED_HOSTS and the OKAPI_EMAIL_* settings (see README).",
    )
    from okapi import __version__

    parser.add_argument("--version", action="version", version=f"okapi {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # a command family not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"okapi: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"okapi: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
