"""Command line: `python -m dashboard users ...` manages who may sign in, from a shell on the server.

It is the way back in when nobody can sign in as an admin (a forgotten password, the last admin
locked out: `users unlock admin`), and a way to script accounts. Every change goes through `UserStore`, so it is checked
and audited exactly as on the Users page; the actor recorded is `cli:<OS user>`, so the audit log
tells a shell change from a change made in the browser.

Passwords never appear on the command line (where `ps` and shell history would show them): they
come from standard input, an environment variable named with `--password-env`, or a prompt.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from dashboard.alerts.digest import WeekError
from dashboard.auth.roles import ROLES, UnknownRole, parse_roles
from dashboard.auth.store import UserError, UserStore, check_name, check_password
from dashboard.cli import alerts as alerts_cli
from dashboard.cli import audit as audit_cli
from dashboard.cli import digest as digest_cli
from dashboard.cli.digest import UsageError
from portal.config import ConfigError, load_config
from portal.engine import WarehouseError, first_line

TIME_FORMAT = "%Y-%m-%d %H:%M"
LIST_HEADER = ("NAME", "ROLES", "ACTIVE", "LOCKED UNTIL (UTC)", "CREATED (UTC)")


def actor() -> str:
    """`cli:<OS user>` for the audit log; plain `cli` when the OS cannot name the user (a bare container)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def open_store(args: argparse.Namespace) -> UserStore:
    """The users of the configured warehouse, `--warehouse` winning over the config file and environment."""
    config = load_config(args.config)
    return UserStore(args.warehouse or config.warehouse.url, config.auth)


def _joined_roles(args: argparse.Namespace) -> str:
    """`--role a --role b`, `--role a,b` and positional roles all become the one string `parse_roles` reads."""
    given = [*getattr(args, "roles", []), *(args.role or [])]
    return ",".join(given)


def _prompted_password(name: str) -> str:
    """Ask twice on a terminal, so a typo does not become a password nobody knows."""
    try:
        first = getpass.getpass(f"Password for {name}: ")
        check_password(first)
        second = getpass.getpass("Repeat the password: ")
    except EOFError:
        raise UserError("no password given") from None
    if first != second:
        raise UserError("the passwords do not match")
    return first


def read_password(name: str, variable: str | None, stdin: TextIO) -> str:
    """The new password from `--password-env`, a terminal prompt, or the first line of piped input."""
    if variable:
        password = os.environ.get(variable)
        if not password:
            raise UserError(f"environment variable {variable} is unset or empty")
        return check_password(password)
    if stdin.isatty():
        return _prompted_password(name)
    password = stdin.readline().rstrip("\r\n")
    if not password:
        raise UserError("no password on standard input (pipe it in, or use --password-env VAR)")
    return check_password(password)


def _require_user(store: UserStore, name: str, exists: bool) -> None:
    """Fail before asking for a password that could not be used."""
    if (store.get(name) is not None) != exists:
        raise UserError(f"no user {name!r}" if exists else f"user {name!r} already exists")


def _add(args: argparse.Namespace, stdin: TextIO) -> int:
    name, roles = check_name(args.name), parse_roles(_joined_roles(args))
    store = open_store(args)
    _require_user(store, name, exists=False)
    password = read_password(name, args.password_env, stdin)
    user = store.add(name, ",".join(roles), password, actor=actor())
    print(f"added user {user.name} ({', '.join(user.roles)})")
    return 0


def _set_role(args: argparse.Namespace, _stdin: TextIO) -> int:
    name, roles = check_name(args.name), parse_roles(_joined_roles(args))
    open_store(args).set_roles(name, ",".join(roles), actor=actor())
    print(f"roles of {name} set to {', '.join(roles)}")
    return 0


def _set_active(active: bool) -> Callable[[argparse.Namespace, TextIO], int]:
    def handler(args: argparse.Namespace, _stdin: TextIO) -> int:
        name = check_name(args.name)
        open_store(args).set_active(name, active, actor=actor())
        print(f"{'enabled' if active else 'disabled'} user {name}")
        return 0

    return handler


def _reset_password(args: argparse.Namespace, stdin: TextIO) -> int:
    name = check_name(args.name)
    store = open_store(args)
    _require_user(store, name, exists=True)
    if args.generate:
        password = secrets.token_urlsafe(12)
        store.set_password(name, password, actor=actor())
        print(f"new password for {name}: {password}")
        return 0
    store.set_password(name, read_password(name, args.password_env, stdin), actor=actor())
    print(f"reset password of {name}")
    return 0


def _unlock(args: argparse.Namespace, _stdin: TextIO) -> int:
    name = check_name(args.name)
    open_store(args).unlock(name, actor=actor(), address=args.address)
    print(f"unlocked {name}" + (f" and address {args.address}" if args.address else ""))
    return 0


def _when(value) -> str:
    return "-" if value is None or pd.isna(value) else pd.Timestamp(value).strftime(TIME_FORMAT)


def list_rows(frame: pd.DataFrame, now: datetime | None = None) -> list[tuple[str, ...]]:
    """One row per user; a lock that has already run out is shown as none, as sign-in treats it."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for user in frame.itertuples(index=False):
        locked = user.locked_until if not pd.isna(user.locked_until) and user.locked_until > now else None
        active = "yes" if bool(user.active) else "no"
        rows.append((user.name, user.roles, active, _when(locked), _when(user.created_at)))
    return rows


def aligned(rows: list[tuple[str, ...]]) -> str:
    """A plain table, columns padded to their widest cell, readable in a terminal and by `awk`."""
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _list(args: argparse.Namespace, _stdin: TextIO) -> int:
    rows = list_rows(open_store(args).list())
    print(aligned([LIST_HEADER, *rows]) if rows else "no users")
    return 0


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", metavar="FILE", help="TOML config file (default: $PORTAL_CONFIG)")
    command.add_argument("--warehouse", metavar="URL", help="warehouse SQLAlchemy URL (overrides the config)")


def _password_source(command: argparse.ArgumentParser, generate: bool = False) -> None:
    source = command.add_mutually_exclusive_group()
    source.add_argument(
        "--password-env", metavar="VAR", help="read the password from this environment variable, not standard input"
    )
    if generate:
        source.add_argument("--generate", action="store_true", help="generate a password and print it once")


def _user_commands(users: argparse.ArgumentParser) -> None:
    roles_help = f"role, repeatable or comma-separated: {', '.join(ROLES)}"
    commands = users.add_subparsers(dest="action", required=True, metavar="COMMAND")
    add = commands.add_parser("add", help="add a user; the password comes from standard input or --password-env")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", action="append", required=True, help=roles_help)
    _password_source(add)
    add.set_defaults(handler=_add)
    listing = commands.add_parser("list", help="list the users")
    listing.set_defaults(handler=_list)
    set_role = commands.add_parser("set-role", help="replace a user's roles (signs them out)")
    set_role.add_argument("name", metavar="NAME")
    set_role.add_argument("roles", metavar="ROLE", nargs="*", help=roles_help)
    set_role.add_argument("--role", action="append", help=roles_help)
    set_role.set_defaults(handler=_set_role)
    for name, active, text in (("disable", False, "stop a user signing in"), ("enable", True, "let a user in again")):
        toggle = commands.add_parser(name, help=text)
        toggle.add_argument("name", metavar="NAME")
        toggle.set_defaults(handler=_set_active(active))
    unlock = commands.add_parser("unlock", help="clear a user's wrong-password counters at every address")
    unlock.add_argument("name", metavar="NAME")
    unlock.add_argument("--address", metavar="ADDR", help="also clear this address's own counter of wrong passwords")
    unlock.set_defaults(handler=_unlock)
    reset = commands.add_parser("reset-password", help="set a new password (and unlock the user)")
    reset.add_argument("name", metavar="NAME")
    _password_source(reset, generate=True)
    reset.set_defaults(handler=_reset_password)
    for command in commands.choices.values():
        _common(command)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    users = commands.add_parser("users", help="add, list, change and disable sign-in users")
    _user_commands(users)
    audit_cli.add_commands(commands, _common)
    alerts_cli.add_commands(commands, _common)
    digest_cli.add_commands(commands, _common)
    return root


def main(argv: list[str] | None = None, stdin: TextIO | None = None) -> int:
    """Run `users ...`, `audit ...`, `alerts ...` or `digest ...` (argv as after `python -m dashboard`); 0 on
    success, 2 with one `error:` line otherwise (`audit verify` answers 1 for a broken chain, `alerts check` and
    `digest send` for a failure in them)."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        return args.handler(args, stdin if stdin is not None else sys.stdin)
    except (UserError, UnknownRole, ConfigError, WarehouseError, SQLAlchemyError, WeekError, UsageError) as error:
        print(f"error: {first_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was changed", file=sys.stderr)
        return 130
