"""Command line: `python -m dashboard audit ...` checks the audit log's integrity from a shell.

`verify` walks the hash chain and prints one line: OK with the number of entries and the last
entry's hash (keep it: a log cut short at its end is still a whole chain, but no longer ends at
that hash), or the first broken entry and why. Exit status 0 when whole, 1 when broken.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from dashboard.auth.store import UserStore
from portal.config import load_config


def _verify(args: argparse.Namespace, _stdin: TextIO) -> int:
    config = load_config(args.config)
    verdict = UserStore(args.warehouse or config.warehouse.url, config.auth).verify_audit()
    print(verdict.line())
    return 0 if verdict.ok else 1


def add_commands(commands, common) -> None:
    """The `audit` command and its subcommands, beside `users` under `python -m dashboard`."""
    audit = commands.add_parser("audit", help="check the audit log's integrity")
    actions = audit.add_subparsers(dest="action", required=True, metavar="COMMAND")
    verify = actions.add_parser("verify", help="walk the audit log's hash chain; exit status 1 if it is broken")
    verify.set_defaults(handler=_verify)
    for command in actions.choices.values():
        common(command)
