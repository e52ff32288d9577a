"""`make bench`: how fast the ETL reads and loads, against `pandas.read_sql` measured in the same run.

Ratios, not absolute times, are what to compare across machines: the baseline runs on the same
data, in the same process, moments before. Medians of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine

from etl.config import DATA_DIR, Config
from etl.demo import DEMO_TIMEZONE, generate_demo
from etl.extract import describe, read_table
from etl.pipeline import run


def _median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl.bench", description=__doc__)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=DATA_DIR / "bench")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    source = f"sqlite:///{args.folder / f'source_{args.accounts}.sqlite'}"
    if not (args.folder / f"source_{args.accounts}.sqlite").exists():
        generate_demo(source, args.accounts, 1)
    config = Config.model_validate(
        {
            "timezone": DEMO_TIMEZONE,
            "source": {"url": source},
            "warehouse": {"url": f"sqlite:///{args.folder}/wh.sqlite"},
        }
    )
    engine = create_engine(source)
    _, log_table = describe(engine, config)
    rows = sum(len(chunk) for chunk in read_table(engine, log_table))

    baseline = _median_seconds(lambda: pd.read_sql("SELECT * FROM activity_log", engine), args.repeat)
    chunked = _median_seconds(lambda: sum(len(c) for c in read_table(engine, log_table)), args.repeat)

    def full_load() -> None:
        for leftover in args.folder.glob("wh.sqlite*"):
            leftover.unlink()
        run(config, full=True)

    full = _median_seconds(full_load, 1)
    again = _median_seconds(lambda: run(config), args.repeat)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"activity log: {rows:,} rows from {source}")
    print(f"{'measure':<34}{'seconds':>10}{'rows/s':>12}{'vs read_sql':>13}")
    for name, seconds in (
        ("pandas.read_sql (baseline)", baseline),
        ("etl.extract.read_table", chunked),
        ("full ETL run", full),
        ("incremental run, nothing new", again),
    ):
        print(f"{name:<34}{seconds:>10.2f}{rows / seconds:>12,.0f}{(rows / seconds) / (rows / baseline):>12.2f}x")
    print(f"peak memory: {peak_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
