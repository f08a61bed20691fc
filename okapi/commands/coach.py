"""`okapi coach`: lint an OKR file, or classify key-result statements (FORMATS §1, §4).

    okapi coach FILE.yaml [--json] [--stage S] [--headcount N] [--today YYYY-MM-DD]
    okapi coach kr [--json] [TEXT ...]

No server, no database, no Django: only `okapi.core`.

Exit codes. For a file: 0 without error-severity findings, 1 with them, 2 when the file cannot
be read or is not a valid OKR file (each problem goes to stderr). For `kr`: always 0, unless
the input cannot be read (2) — a classification is advice, not a failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from okapi.commands import UsageError, print_json
from okapi.core.coach import Finding, Severity, classify_kr, coach_document, has_errors
from okapi.core.okrfile import OkrFileError, load_okr_yaml
from okapi.core.stage import parse_stage

USAGE = (
    "okapi coach [-h] FILE.yaml [--json] [--stage STAGE] [--headcount N] [--today DATE]\n"
    "       okapi coach kr [-h] [--json] [TEXT ...]"
)
DESCRIPTION = """\
Coach your OKRs (no server or database needed).

  okapi coach FILE.yaml     lint an OKR file: too many objectives, KPIs in disguise, tasks
                            and milestones written as key results, missing baselines, targets,
                            units and owners, objectives without direction or alignment,
                            sandbagging, stale and stuck key results, stage advice
  okapi coach kr [TEXT …]   classify key-result statements as outcome, kpi, task or
                            milestone; one per argument, or one per line of stdin

Exit codes: 0 no error-level findings, 1 error-level findings, 2 unreadable or invalid input.
`okapi coach kr` exits 0 whatever it finds. Run `okapi coach kr --help` for its options.
A file literally named "kr" can be linted as ./kr.
"""
KR_DESCRIPTION = """\
Classify key-result statements: outcome (a change from a baseline to a target), kpi (a KPI in
disguise: maintains or restates a number), task (an activity or output), milestone (done or
not done). Each gets the reasons and a suggestion. One statement per TEXT argument; without
any, one per line of stdin (blank lines skipped). Always exits 0 unless stdin is unreadable.
"""
WIDTH = 100


class _FileOrKr(argparse._SubParsersAction):  # type: ignore[type-arg]
    """`coach` takes either the sub-word `kr` or a FILE: a FILE goes to `file_parser`."""

    file_parser: argparse.ArgumentParser

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = None  # anything that is not a sub-word is a FILE: no choices check

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if values and values[0] in self._name_parser_map:
            super().__call__(parser, namespace, values, option_string)
            return
        sub, extras = self.file_parser.parse_known_args(values, None)
        for key, value in vars(sub).items():
            setattr(namespace, key, value)
        if extras:
            self.file_parser.error(f"unrecognized arguments: {' '.join(extras)}")


def _headcount(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def register(subparsers: Any) -> None:
    coach = subparsers.add_parser(
        "coach",
        help="lint an OKR file, or classify key-result statements (no database needed)",
        usage=USAGE,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    coach.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser_class = type(coach)  # the CLI's parser class: usage errors exit 2
    modes = coach.add_subparsers(
        dest="coach_mode",
        metavar="FILE.yaml | kr",
        action=_FileOrKr,
        parser_class=parser_class,
    )
    modes.required = True

    file_parser = parser_class(
        prog="okapi coach",
        usage="okapi coach [-h] FILE.yaml [--json] [--stage STAGE] [--headcount N] [--today DATE]",
        description="Lint an OKR file (FORMATS §3) without any server or database.",
    )
    file_parser.add_argument("file", metavar="FILE.yaml", help="the OKR file; - reads stdin")
    file_parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the findings as a JSON list (FORMATS §4)",
    )
    file_parser.add_argument(
        "--stage",
        help="company stage for the stage advice: pre-seed, seed, series-a, series-b+ "
        "(default: inferred from the people the file lists)",
    )
    file_parser.add_argument(
        "--headcount", type=_headcount, help="number of people, for the stage advice"
    )
    file_parser.add_argument(
        "--today",
        type=_date,
        help="judge stale and stuck key results as of this date (default: today)",
    )
    file_parser.set_defaults(func=run_file, coach_mode="file")
    modes.file_parser = file_parser

    kr = modes.add_parser(
        "kr",
        prog="okapi coach kr",
        help="classify key-result statements",
        description=KR_DESCRIPTION,
    )
    kr.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print one JSON object per statement, as a list (FORMATS §4)",
    )
    kr.add_argument("texts", nargs="*", metavar="TEXT", help="a key-result statement")
    kr.set_defaults(func=run_kr)


# --------------------------------------------------------------------------- FILE.yaml


def _read(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot read {path}: {reason}") from None


def run_file(args: argparse.Namespace) -> int:
    stage = args.stage
    if stage is not None:
        try:
            parse_stage(stage)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    text = _read(args.file)
    try:
        doc = load_okr_yaml(text)
    except OkrFileError as exc:
        name = "stdin" if args.file == "-" else args.file
        print(f"okapi: {name} is not a valid OKR file:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    findings = coach_document(doc, today=args.today, headcount=args.headcount, stage=stage)
    if args.json:
        print_json([f.to_dict() for f in findings])
    else:
        _print_findings(args.file, findings)
    return 1 if has_errors(findings) else 0


def _print_findings(path: str, findings: Sequence[Finding]) -> None:
    name = "stdin" if path == "-" else path
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    if not findings:
        print(f"{name}: no findings.")
        return
    summary = ", ".join(
        f"{n} {s.value}{'s' if n != 1 and s is not Severity.INFO else ''}"
        for s, n in counts.items()
        if n
    )
    print(f"{name}: {summary}")
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.where, []).append(finding)
    for where, group in groups.items():
        print()
        print(where)
        for f in group:
            head = f"  {f.severity.value:<8} {f.rule}: "
            print(_wrap(f.message, head, " " * 11))
            if f.suggestion:
                print(_wrap(f.suggestion, " " * 11 + "→ ", " " * 13))


def _wrap(text: str, first: str, rest: str) -> str:
    return textwrap.fill(
        text,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
    )


# --------------------------------------------------------------------------- kr


def run_kr(args: argparse.Namespace) -> int:
    if args.texts:
        statements = [t for t in args.texts if t.strip()]
    else:
        if sys.stdin.isatty():
            print("Reading key results from stdin, one per line (Ctrl-D to end).", file=sys.stderr)
        try:
            lines = sys.stdin.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read stdin: {exc}") from None
        statements = [line.strip() for line in lines if line.strip()]
    verdicts = [classify_kr(text) for text in statements]
    if getattr(args, "json", False):
        print_json([v.to_dict() for v in verdicts])
        return 0
    for i, v in enumerate(verdicts):
        if i:
            print()
        print(f"{v.kind.value:<10} {v.text}")
        for reason in v.reasons:
            print(_wrap(reason, " " * 11 + "why: ", " " * 16))
        if v.suggestion:
            print(_wrap(v.suggestion, " " * 11 + "try: ", " " * 16))
    return 0
