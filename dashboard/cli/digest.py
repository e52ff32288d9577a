"""Command line: `python -m dashboard digest send [--week YYYY-Www] [--dry-run --out FILE]` emails the
weekly digest to every recipient who has not had that week's yet.

Exit status 0 when every recipient has it, 1 when a send failed (said on standard error and recorded;
the others still get theirs, and the next run tries again), 2 when it could not start (a bad `--week`,
a bad config, no SMTP server or no recipients).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from dashboard.alerts import digest_send
from dashboard.alerts.digest import Digest, compose, last_full_week, parse_week, week_name
from dashboard.charts.digest import png_images, weekly_chart
from dashboard.data.series import SERIES
from dashboard.data.warehouse import Warehouse
from portal.config import Config, load_config
from portal.engine import first_line


class UsageError(Exception):
    """Options that do not go together; one line."""


def _send(args: argparse.Namespace, _stdin: TextIO) -> int:
    monday = parse_week(args.week) if args.week else None
    if args.out and not args.dry_run:
        raise UsageError("--out writes the message of a dry run: add --dry-run")
    config = load_config(args.config)
    if args.warehouse:
        config = config.model_copy(update={"warehouse": config.warehouse.model_copy(update={"url": args.warehouse})})
    to = digest_send.recipients(config)
    if not args.dry_run:
        _ready_to_send(config, to)
    monday = monday or last_full_week(datetime.now(config.zone).date())
    if not args.dry_run and not digest_send.owed(config, monday, to):
        print(f"digest {week_name(monday)}: already sent to {', '.join(to)}; nothing to send")
        return 0
    digest = compose(Warehouse(config.warehouse.url), monday, config.alerts.dashboard_url, config.zone)
    charts = _charts_or_none(digest)
    if args.dry_run:
        mail = digest_send.message(config, digest, charts, to)
        if args.out:
            Path(args.out).write_bytes(bytes(mail))
        print(f"digest {digest.name} (dry run): would go to {', '.join(to) or 'nobody (no recipients set)'}")
        print(f"digest {digest.name} (dry run): " + (f"written to {args.out}" if args.out else "nothing written"))
        return 0
    summary = digest_send.send(config, digest, charts, now=lambda: datetime.now(UTC).replace(tzinfo=None))
    for line in summary.lines():
        print(line, file=sys.stdout if not line.split(": ", 1)[1].startswith("failed") else sys.stderr)
    return 0 if summary.ok else 1


def _ready_to_send(config: Config, to: list[str]) -> None:
    if not config.alerts.email.host:
        raise config.error("alerts.email.host", "not set, so no digest can be sent (--dry-run --out FILE writes one)")
    if not to:
        raise config.error("alerts.digest", "no recipients: set roles (from alerts.email.roles) or recipients")


def _charts_or_none(digest: Digest) -> dict[str, bytes]:
    """The charts, or none when Chromium cannot draw them: the words are the digest, the charts only show
    them, so a broken browser must not keep Monday's figures from anyone. Said on standard error."""
    try:
        return charts_of(digest)
    except Exception as error:  # Kaleido and Chromium fail in many ways; each one leaves the words to go out
        print(
            f"digest {digest.name}: charts could not be drawn, sending without them: {first_line(error)}",
            file=sys.stderr,
        )
        return {}


def charts_of(digest: Digest) -> dict[str, bytes]:
    """A PNG per figure of the digest that has a figure in any of its weeks (an empty chart says nothing the
    words do not)."""
    figures = {
        item.series: weekly_chart(
            item.history, item.label, series=item.series, column=SERIES[item.series].column, rate=item.rate
        )
        for item in digest.figures
        if item.history["value"].notna().any()
    }
    return png_images(figures)


def add_commands(commands, common) -> None:
    """The `digest` command, beside `alerts` under `python -m dashboard`."""
    digest = commands.add_parser("digest", help="email the weekly digest")
    actions = digest.add_subparsers(dest="action", required=True, metavar="COMMAND")
    send = actions.add_parser("send", help="send a week's digest to every recipient who has not had it")
    send.add_argument("--week", metavar="YYYY-Www", help="the ISO week (default: the last whole week, in the timezone)")
    send.add_argument("--dry-run", action="store_true", help="build the message; send and record nothing")
    send.add_argument("--out", metavar="FILE", help="with --dry-run: write the message to FILE (.eml)")
    send.set_defaults(handler=_send)
    for command in actions.choices.values():
        common(command)
