"""Command line: `python -m etl run` loads the warehouse (and then evaluates the alert rules), `python -m etl
migrate` brings its tables to this version, `python -m etl demo` writes a demo source."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from etl.after_load import evaluate_alerts
from etl.extract import SourceError
from etl.pipeline import WarehouseError, run
from portal.config import Config, ConfigError, load_config
from portal.migrate import upgrade


def _progress_bars() -> Callable[[str, int], Callable[[int], None]] | None:
    """tqdm bars on a terminal only, so cron mail and CI logs stay readable."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    def start(label: str, total: int) -> Callable[[int], None]:
        bar = tqdm(total=total, desc=label, unit="rows", unit_scale=True, leave=True)
        return bar.update

    return start


def _config(args: argparse.Namespace) -> Config:
    """The config file's settings with the command line's URLs over them."""
    config = load_config(args.config)
    updates = {}
    if getattr(args, "source", None):
        updates["source"] = config.source.model_copy(update={"url": args.source})
    if args.warehouse:
        updates["warehouse"] = config.warehouse.model_copy(update={"url": args.warehouse})
    return config.model_copy(update=updates)


def _run(args: argparse.Namespace) -> int:
    config = _config(args)
    if args.full:  # the load migrates the warehouse anyway; --full also lets it drop an old one's figures
        upgrade(config.warehouse.url, rebuild_old=True)
    summary = run(config, full=args.full, progress=_progress_bars())
    print(summary.line())
    for line in evaluate_alerts(config, args.config):
        print(line)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    print(upgrade(_config(args).warehouse.url).line())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from etl.demo import generate_demo

    summary = generate_demo(args.out, args.accounts, args.seed, progress=sys.stderr.isatty())
    print(f"demo source written to {args.out}: {summary.accounts:,} web users, {summary.events:,} events")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m etl", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    load = commands.add_parser("run", help="load the warehouse from the billing source")
    load.add_argument("--config", help="TOML config file (default: $PORTAL_CONFIG)")
    load.add_argument("--source", help="source SQLAlchemy URL (overrides the config)")
    load.add_argument("--warehouse", help="warehouse SQLAlchemy URL (overrides the config)")
    load.add_argument("--full", action="store_true", help="rebuild everything instead of loading what is new")
    load.set_defaults(handler=_run)
    migrate = commands.add_parser("migrate", help="bring the warehouse's tables to this version, keeping its data")
    migrate.add_argument("--config", help="TOML config file (default: $PORTAL_CONFIG)")
    migrate.add_argument("--warehouse", help="warehouse SQLAlchemy URL (overrides the config)")
    migrate.set_defaults(handler=_migrate)
    demo = commands.add_parser("demo", help="write a deterministic demo billing source")
    demo.add_argument("--accounts", type=int, default=20_000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--out", required=True, help="SQLAlchemy URL to write the source tables to")
    demo.set_defaults(handler=_demo)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ConfigError, SourceError, WarehouseError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; the previous load is still served", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
