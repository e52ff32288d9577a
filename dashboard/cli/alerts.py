"""Command line: `python -m dashboard alerts check [--dry-run]` evaluates the alert rules now.

`etl run` runs the same command with `--after-load` after every successful load, in a process of its
own (the loader may not import the dashboard, and a failing evaluation must not touch the load). Exit
status 0 when all went well, 1 when the evaluation or a delivery failed (recorded in the warehouse and
said on standard error), 2 when it could not start (a bad config, an unreadable warehouse).
"""

from __future__ import annotations

import argparse
from typing import TextIO

from dashboard.alerts.check import check
from portal.config import load_config


def _check(args: argparse.Namespace, _stdin: TextIO) -> int:
    config = load_config(args.config)
    if args.warehouse:
        config = config.model_copy(update={"warehouse": config.warehouse.model_copy(update={"url": args.warehouse})})
    summary = check(config, trigger="load" if args.after_load else "check", dry_run=args.dry_run)
    for line in summary.lines():
        print(line)
    return 0 if summary.ok else 1


def add_commands(commands, common) -> None:
    """The `alerts` command and its subcommands, beside `users` under `python -m dashboard`."""
    alerts = commands.add_parser("alerts", help="evaluate the alert rules and deliver what they raise")
    actions = alerts.add_subparsers(dest="action", required=True, metavar="COMMAND")
    run = actions.add_parser("check", help="judge every rule on the periods completed since the last check")
    run.add_argument("--dry-run", action="store_true", help="say what would open and close; store and send nothing")
    run.add_argument("--after-load", action="store_true", help=argparse.SUPPRESS)
    run.set_defaults(handler=_check)
    for command in actions.choices.values():
        common(command)
