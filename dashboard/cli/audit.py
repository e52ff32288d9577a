"""Command line: `python -m dashboard audit ...` checks the audit log's integrity from a shell.

`verify` walks the hash chain and prints one line: OK with the number of entries and the last
entry's hash (keep it: a log cut short at its end is still a whole chain, but no longer ends at
that hash), or the first broken entry and why. Exit status 0 when whole, 1 when broken.

`protect` makes `auth.audit_owner` (or `--owner`) own a PostgreSQL audit log and leaves the app's
role INSERT and SELECT on it only (dashboard.auth.audit_owner). Run it once, after the app's role
has migrated the warehouse, with `--warehouse` naming the same database as a superuser.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from dashboard.auth import audit_owner
from dashboard.auth.store import UserStore
from portal.config import load_config
from portal.engine import WarehouseError, open_engine


def _verify(args: argparse.Namespace, _stdin: TextIO) -> int:
    config = load_config(args.config)
    verdict = UserStore(args.warehouse or config.warehouse.url, config.auth).verify_audit()
    print(verdict.line())
    return 0 if verdict.ok else 1


def _protect(args: argparse.Namespace, _stdin: TextIO) -> int:
    config = load_config(args.config)
    owner = args.owner or config.auth.audit_owner
    if not owner:
        raise WarehouseError("no audit log owner: set auth.audit_owner in the config or pass --owner ROLE")
    engine = open_engine(args.warehouse or config.warehouse.url)
    try:
        done = audit_owner.protect(engine, owner, args.app)
    finally:
        engine.dispose()
    for line in done:
        print(line)
    return 0


def add_commands(commands, common) -> None:
    """The `audit` command and its subcommands, beside `users` under `python -m dashboard`."""
    audit = commands.add_parser("audit", help="check the audit log's integrity")
    actions = audit.add_subparsers(dest="action", required=True, metavar="COMMAND")
    verify = actions.add_parser("verify", help="walk the audit log's hash chain; exit status 1 if it is broken")
    verify.set_defaults(handler=_verify)
    protect = actions.add_parser(
        "protect", help="PostgreSQL: make another role own the audit log; run once, as a superuser"
    )
    protect.add_argument("--owner", metavar="ROLE", help="the owning role (default: auth.audit_owner)")
    protect.add_argument("--app", metavar="ROLE", help="the app's role (default: the audit log's owner now)")
    protect.set_defaults(handler=_protect)
    for command in actions.choices.values():
        common(command)
