"""`make bench`: the ETL at scale, against the two reads it is measured by, each step in a process of its own.

One run prints rows, wall seconds and peak RSS for `pandas.read_sql` of the activity log and the bare
ADBC read of it (the anchors), the full load into SQLite and into PostgreSQL, an incremental run
after one new day of events (from the SQLite demo source, text times, and from a PostgreSQL copy of
it with timestamp columns) and an incremental run with nothing new; then the full loads as ratios of
the anchors and the SQLite warehouse's size on disk against the source's, each beside its target.

Every step is a child process (`python -m etl.bench --step NAME`), so its peak RSS, read by
`os.wait4`, is its own and not the largest of everything run before it; the ETL steps call the real
command line, so the bench measures what operators run. On Linux a child's peak counts from its
parent's memory at the spawn, so this parent never imports pandas and generates the demo in a child
too: it stays far below any step's own peak, and the report says how far. Ratios are what to
compare across machines: the anchors run on the same data, in the same run, moments before.

Sources are cached under the bench folder by accounts and seed (the demo SQLite file, and its copy
in PostgreSQL); warehouses are rebuilt each run unless `--keep`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from etl.demo import DEMO_TIMEZONE

# Not from portal.config, which imports pandas: see the module docstring.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

STEPS = (
    "read_sql",
    "adbc",
    "full_sqlite",
    "full_postgres",
    "incremental_day_sqlite",
    "incremental_day_postgres",
    "incremental_none",
)
POSTGRES_STEPS = frozenset({"full_postgres", "incremental_day_postgres"})
ANCHORS = ("read_sql", "adbc")
WHAT = {
    "read_sql": "pandas.read_sql of the activity log, SQLAlchemy engine on the demo source",
    "adbc": "adbc_driver_sqlite fetch_arrow_table of the activity log",
    "full_sqlite": "etl run --full: demo source (SQLite, text times) -> new SQLite warehouse",
    "full_postgres": "etl run --full: demo source (SQLite, text times) -> new PostgreSQL warehouse",
    "incremental_day_sqlite": "etl run: demo source + one new day -> the SQLite warehouse of full_sqlite",
    "incremental_day_postgres": "etl run: PostgreSQL source (timestamp columns) + one new day -> the "
    "PostgreSQL warehouse of full_postgres",
    "incremental_none": "etl run: the source the SQLite warehouse last loaded, nothing new -> that warehouse",
}

# Targets at 1,000,000 accounts (21M events): seconds per step, peak RSS for every ETL step.
TARGET_SECONDS = {
    "full_sqlite": 120.0,
    "full_postgres": 180.0,
    "incremental_day_sqlite": 5.0,
    "incremental_day_postgres": 5.0,
    "incremental_none": 5.0,
}
TARGET_PEAK_MB = 2048.0
TARGET_FULL_VS_READ_SQL = 1.5
TARGET_DISK_RATIO = 2.0

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_ADMIN_DATABASE = "test"
TEMPORAL = frozenset({"created_at", "enrolled_at", "last_login_at", "occurred_at"})
COPY_ROWS = 10_000  # rows held at once while copying to PostgreSQL: keeps this process small


# --------------------------------------------------------------------------- one step, in a child


def _read_sql_rows(source_url: str) -> int:
    import pandas as pd

    engine = create_engine(source_url)
    return len(pd.read_sql("SELECT * FROM activity_log", engine))


def _adbc_rows(source_url: str) -> int:
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(make_url(source_url).database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM activity_log")
        return cursor.fetch_arrow_table().num_rows


def run_step(step: str, source: str, warehouse: str | None, config: Path | None) -> int:
    """Run one step in this process and print what it read, in the `etl run` summary's words."""
    if step in ANCHORS:
        rows = _read_sql_rows(source) if step == "read_sql" else _adbc_rows(source)
        print(f"{step}: read {rows:,} rows")
        return 0
    from etl.__main__ import main as etl_main

    arguments = ["run", "--config", str(config), "--source", source, "--warehouse", str(warehouse)]
    return etl_main([*arguments, "--full"] if step.startswith("full_") else arguments)


# --------------------------------------------------------------------------- measuring a child


@dataclass(frozen=True)
class ProcessRun:
    """One child process: wall seconds seen by the parent, its own peak RSS, and what it said."""

    seconds: float
    peak_mb: float
    exit_code: int
    stdout: str
    stderr: str


def measure(command: list[str]) -> ProcessRun:
    """Run `command` in a new process and wait for it with `wait4`, whose rusage is that process's alone.

    `RUSAGE_CHILDREN` would report the largest of all children so far, so a step after `read_sql`
    would inherit its 15 GB. Output goes to files, not pipes, so a chatty child cannot block.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=PROJECT_ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait
        out.seek(0)
        err.seek(0)
        return ProcessRun(
            seconds=seconds,
            peak_mb=usage.ru_maxrss / 1024,  # KiB on Linux
            exit_code=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def own_peak_mb() -> float:
    """This process's own peak RSS (VmHWM), the floor of every child's: not `getrusage(RUSAGE_SELF)`,
    which also counts what this process's parent held when it was spawned."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE).group(1)) / 1024


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Files:
    """Where one bench size keeps its files: cached sources, warehouses, config and report."""

    folder: Path
    accounts: int
    seed: int

    def _path(self, stem: str, suffix: str = ".sqlite") -> Path:
        return self.folder / f"{stem}_{self.accounts}_s{self.seed}{suffix}"

    @property
    def source(self) -> Path:
        return self._path("source")

    @property
    def day_source(self) -> Path:
        return self._path("source_day")

    @property
    def warehouse(self) -> Path:
        return self._path("wh")

    @property
    def config(self) -> Path:
        return self.folder / "bench.toml"

    @property
    def report(self) -> Path:
        return self.folder / f"last_{self.accounts}.md"


def sqlite_url(path: Path) -> str:
    """Steps take URLs, as `etl run --source/--warehouse` does."""
    return f"sqlite:///{path}"


def ensure_demo_source(files: Files) -> bool:
    """Generate the demo source unless cached; returns whether it was generated.

    It is written under a temporary name and renamed when complete, so an interrupted generation is
    never mistaken for a cached source.
    """
    if files.source.exists():
        return False
    partial = files.source.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    command = [sys.executable, "-m", "etl", "demo", "--accounts", str(files.accounts), "--seed", str(files.seed)]
    subprocess.run([*command, "--out", sqlite_url(partial)], cwd=PROJECT_ROOT, check=True)
    partial.replace(files.source)
    return True


@dataclass(frozen=True)
class SourceFacts:
    """What the bench needs to know about the demo source: sizes, the newest day, the largest id."""

    web_users: int
    events: int
    max_event_id: int
    newest_day: date
    columns: dict[str, tuple[str, ...]]  # per table, in the source's order


# Naive text times only: one with "+00:00" may carry the next day's date for a local evening.
_NAIVE_TIME = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] *"


def source_facts(path: Path) -> SourceFacts:
    """Read the counts, the largest event id and the newest day of a demo source in one scan."""
    with sqlite3.connect(path) as connection:
        columns = {
            table: tuple(row[1] for row in connection.execute(f"PRAGMA table_info({table})"))
            for table in ("web_users", "activity_log")
        }
        web_users = connection.execute("SELECT count(*) FROM web_users").fetchone()[0]
        events, max_id, newest = connection.execute(
            "SELECT count(*), max(event_id), max(CASE WHEN occurred_at GLOB ? THEN substr(occurred_at, 1, 10) END) "
            "FROM activity_log",
            (_NAIVE_TIME,),
        ).fetchone()
    return SourceFacts(web_users, events, max_id or 0, date.fromisoformat(newest), columns)


ROWS_READ = re.compile(r"read ([\d,]+) rows")


def write_config(files: Files) -> None:
    """The demo's naive times are wall-clock times in DEMO_TIMEZONE; the ETL must be told so."""
    files.config.write_text(f'timezone = "{DEMO_TIMEZONE}"\n')


@dataclass(frozen=True)
class NewDay:
    """One more day of events: the source's last full day (`template`) stamped `shift` days later.

    Ids are the template's plus `shift` times the source's largest id: fresh, and apart from any day
    an earlier bench run added to a kept warehouse, because each such day had a smaller shift.
    """

    template: date
    shift: int
    id_offset: int

    @property
    def day(self) -> date:
        return self.template + timedelta(days=self.shift)


def new_day(facts: SourceFacts, last_loaded: date) -> NewDay:
    """The day after both the source's newest and the warehouse's last loaded event."""
    template = facts.newest_day - timedelta(days=1)
    shift = (max(facts.newest_day, last_loaded) + timedelta(days=1) - template).days
    return NewDay(template=template, shift=shift, id_offset=shift * facts.max_event_id)


def _day_insert(columns: tuple[str, ...], moved_time: str) -> str:
    """SQL copying the template day's events (the caller's WHERE follows) with new ids and times."""
    picked = ", ".join({"event_id": "event_id + :offset", "occurred_at": moved_time}.get(c, c) for c in columns)
    return f"INSERT INTO activity_log ({', '.join(columns)}) SELECT {picked} FROM activity_log"


def sqlite_day_copy(files: Files, facts: SourceFacts, day: NewDay) -> int:
    """Copy the cached demo source and append `day` to the copy; returns the events added.

    Text times keep their form (and offset, if any): only the date is replaced.
    """
    files.day_source.unlink(missing_ok=True)
    shutil.copyfile(files.source, files.day_source)
    insert = _day_insert(facts.columns["activity_log"], ":day || substr(occurred_at, 11)")
    with sqlite3.connect(files.day_source) as connection:
        added = connection.execute(
            f"{insert} WHERE substr(occurred_at, 1, 10) = :template",
            {"offset": day.id_offset, "day": day.day.isoformat(), "template": day.template.isoformat()},
        ).rowcount
    return added


# --------------------------------------------------------------------------- PostgreSQL


def _admin(pg_url: str) -> Engine:
    return create_engine(
        f"{pg_url}/{PG_ADMIN_DATABASE}",
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 5},
    )


def postgres_reachable(pg_url: str) -> bool:
    """Whether the PostgreSQL steps can run; a bench without a server still measures SQLite."""
    try:
        with _admin(pg_url).connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


def _database(pg_url: str, name: str) -> Engine:
    """No pool: an idle pooled connection would keep a template database from being copied."""
    return create_engine(f"{pg_url}/{name}", poolclass=NullPool)


def recreate_database(pg_url: str, name: str, template: str | None = None) -> None:
    """Drop and create a database, empty or as a file copy of `template` (no one may be connected to it)."""
    copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
    with _admin(pg_url).connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))


def database_bytes(pg_url: str, name: str) -> int:
    """A PostgreSQL warehouse's size on disk, to set beside the SQLite one."""
    with _admin(pg_url).connect() as connection:
        return connection.execute(text("SELECT pg_database_size(:name)"), {"name": name}).scalar_one()


def _postgres_counts(pg_url: str, name: str) -> tuple[int, int] | None:
    """Rows in the PostgreSQL source's two tables; None when the database or a table is missing."""
    try:
        with _database(pg_url, name).connect() as connection:
            return (
                connection.execute(text("SELECT count(*) FROM web_users")).scalar_one(),
                connection.execute(text("SELECT count(*) FROM activity_log")).scalar_one(),
            )
    except SQLAlchemyError:
        return None


def _naive_local(value: str | None, zone: ZoneInfo) -> datetime | None:
    """A demo text time as the naive local time a billing database would store; None if unparsable."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment


def _converted(rows: Iterable[tuple], temporal: list[int], zone: ZoneInfo) -> Iterator[tuple]:
    for row in rows:
        values = list(row)
        for position in temporal:
            values[position] = _naive_local(values[position], zone)
        yield tuple(values)


def _postgres_types(columns: tuple[str, ...]) -> list[str]:
    return ["int8" if c == "event_id" else "timestamp" if c in TEMPORAL else "text" for c in columns]


def copy_source_to_postgres(source: Path, facts: SourceFacts, pg_url: str, name: str) -> None:
    """Write the demo source to a new PostgreSQL database with `timestamp` columns, as a billing system has.

    Binary COPY (twice as fast as text here) with rows streamed from SQLite in chunks; text times
    become naive local times (those with an offset converted, unparsable ones NULL). One
    transaction with the index on `occurred_at` (a real activity log has one; without it every
    incremental read scans the table), so a row count that matches means a complete copy.
    """
    recreate_database(pg_url, name)
    zone = ZoneInfo(DEMO_TIMEZONE)
    with sqlite3.connect(source) as reader, _database(pg_url, name).begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for table, columns in facts.columns.items():
            types = _postgres_types(columns)
            cursor.execute(f"CREATE TABLE {table} ({', '.join(map(' '.join, zip(columns, types, strict=True)))})")
            temporal = [i for i, c in enumerate(columns) if c in TEMPORAL]
            rows = reader.execute(f"SELECT {', '.join(columns)} FROM {table}")
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for chunk in iter(lambda rows=rows: rows.fetchmany(COPY_ROWS), []):
                    for row in _converted(chunk, temporal, zone):
                        copy.write_row(row)
        cursor.execute("CREATE INDEX ix_activity_log_occurred_at ON activity_log (occurred_at)")
        cursor.execute("ANALYZE web_users")
        cursor.execute("ANALYZE activity_log")


def ensure_postgres_source(files: Files, facts: SourceFacts, pg_url: str, name: str) -> bool:
    """Copy the demo source to PostgreSQL unless a complete copy is there; returns whether it copied."""
    if _postgres_counts(pg_url, name) == (facts.web_users, facts.events):
        return False
    copy_source_to_postgres(files.source, facts, pg_url, name)
    return True


def postgres_day_copy(pg_url: str, facts: SourceFacts, source: str, copy: str, day: NewDay) -> int:
    """Copy the PostgreSQL source database and append `day` to the copy; returns the events added."""
    recreate_database(pg_url, copy, template=source)
    insert = _day_insert(facts.columns["activity_log"], "occurred_at + make_interval(days => :shift)")
    with _database(pg_url, copy).begin() as connection:
        added = connection.execute(
            text(f"{insert} WHERE occurred_at >= :start AND occurred_at < :end"),
            {
                "offset": day.id_offset,
                "shift": day.shift,
                "start": datetime.combine(day.template, datetime.min.time()),
                "end": datetime.combine(day.template + timedelta(days=1), datetime.min.time()),
            },
        ).rowcount
        connection.execute(text("ANALYZE activity_log"))
    return added


# --------------------------------------------------------------------------- warehouses


def last_loaded_day(warehouse_url: str) -> date | None:
    """The local day of the warehouse's watermark; None when no load has finished into it."""
    from portal.schema import etl_runs

    database = make_url(warehouse_url).database
    if warehouse_url.startswith("sqlite") and not (database and Path(database).is_file()):
        return None  # connecting would create the file
    engine = create_engine(warehouse_url, poolclass=NullPool)
    query = select(etl_runs.c.watermark_utc).order_by(etl_runs.c.run_id.desc()).limit(1)
    try:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    except SQLAlchemyError:
        return None
    if not rows:
        return None
    watermark = rows[0][0] or datetime(1, 1, 2)
    return watermark.replace(tzinfo=UTC).astimezone(ZoneInfo(DEMO_TIMEZONE)).date()


def remove_sqlite(path: Path) -> None:
    """Delete an SQLite database with its journal files, so a full load starts from nothing."""
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        leftover.unlink(missing_ok=True)


def sqlite_bytes(path: Path) -> int:
    """The file and its write-ahead log: what the warehouse takes on disk."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


# --------------------------------------------------------------------------- the run


class Skip(Exception):
    """A step that cannot run as asked (its warehouse was never loaded); the message says why."""


@dataclass
class StepResult:
    """One step's figures as the report shows them; `note` says why a step has none."""

    step: str
    rows: int | None = None
    seconds: float | None = None
    peak_mb: float | None = None
    note: str = ""  # "kept", "skipped" or "failed"
    summary: str = ""  # the child's line saying how many rows it read


def _reason(outcome: ProcessRun) -> str:
    """A failed step's own words: `etl run`'s one `error:` line, or the exception line of a traceback
    (SQLAlchemy follows it with the statement and a link, so the last line will not do)."""
    said = re.findall(r"^(?:error|[\w.]+(?:Error|Exception)): .*$", outcome.stderr, re.MULTILINE)
    return said[-1] if said else f"exit status {outcome.exit_code}"


@dataclass
class Bench:
    """One bench run: prepares each step's databases, runs the step in a child, and keeps the figures."""

    files: Files
    facts: SourceFacts
    pg_url: str | None
    pg_prefix: str
    keep: bool
    results: dict[str, StepResult] = field(default_factory=dict)
    warehouse_bytes: int | None = None
    pg_warehouse_bytes: int | None = None
    notes: list[str] = field(default_factory=list)
    day_source_ready: bool = False

    def pg_name(self, role: str) -> str:
        return f"{self.pg_prefix}_{role}_{self.files.accounts}_s{self.files.seed}"

    def pg_database_url(self, role: str) -> str:
        return f"{self.pg_url}/{self.pg_name(role)}"

    def run(self, step: str) -> StepResult:
        try:
            source, warehouse = getattr(self, f"_prepare_{step}")()
        except Skip as reason:
            self.notes.append(f"{step} skipped: {reason}")
            return StepResult(step, note="skipped")
        if source is None:
            return StepResult(step, note="kept")
        command = [sys.executable, "-m", "etl.bench", "--step", step, "--source", source]
        if warehouse is not None:
            command += ["--warehouse", warehouse, "--config", str(self.files.config)]
        outcome = measure(command)
        result = StepResult(step, seconds=outcome.seconds, peak_mb=outcome.peak_mb)
        said = [line for line in outcome.stdout.splitlines() if ROWS_READ.search(line)] or [""]
        result.summary = said[-1]  # the read's or load's line, not the alert check's after it
        if outcome.exit_code != 0:
            result.note = "failed"
            self.notes.append(f"{step} failed: {_reason(outcome)}")
            return result
        found = ROWS_READ.search(result.summary)
        result.rows = int(found.group(1).replace(",", "")) if found else None
        return result

    # Each returns (source URL, warehouse URL or None); (None, None) when a kept warehouse stands in.

    def _prepare_read_sql(self) -> tuple[str, None]:
        return sqlite_url(self.files.source), None

    _prepare_adbc = _prepare_read_sql

    def _prepare_full_sqlite(self) -> tuple[str | None, str | None]:
        url = sqlite_url(self.files.warehouse)
        if self.keep and last_loaded_day(url):
            return None, None
        remove_sqlite(self.files.warehouse)
        return sqlite_url(self.files.source), url

    def _prepare_full_postgres(self) -> tuple[str | None, str | None]:
        url = self.pg_database_url("wh")
        if self.keep and last_loaded_day(url):
            return None, None
        recreate_database(self.pg_url, self.pg_name("wh"))
        return sqlite_url(self.files.source), url

    def _loaded(self, warehouse_url: str, by: str) -> date:
        last = last_loaded_day(warehouse_url)
        if last is None:
            raise Skip(f"no load in its warehouse yet; run {by} first")
        return last

    def _prepare_incremental_day_sqlite(self) -> tuple[str, str]:
        url = sqlite_url(self.files.warehouse)
        day = new_day(self.facts, self._loaded(url, "full_sqlite"))
        added = sqlite_day_copy(self.files, self.facts, day)
        self.notes.append(f"incremental_day_sqlite: {added:,} events of {day.template} added as {day.day}")
        self.day_source_ready = True
        return sqlite_url(self.files.day_source), url

    def _prepare_incremental_day_postgres(self) -> tuple[str, str]:
        url = self.pg_database_url("wh")
        day = new_day(self.facts, self._loaded(url, "full_postgres"))
        added = postgres_day_copy(self.pg_url, self.facts, self.pg_name("src"), self.pg_name("src_day"), day)
        self.notes.append(f"incremental_day_postgres: {added:,} events of {day.template} added as {day.day}")
        return self.pg_database_url("src_day"), url

    def _prepare_incremental_none(self) -> tuple[str, str]:
        """Against the source the warehouse last loaded: the day copy if this run made one."""
        url = sqlite_url(self.files.warehouse)
        self._loaded(url, "full_sqlite")
        return sqlite_url(self.files.day_source if self.day_source_ready else self.files.source), url

    def record_sizes(self, step: str) -> None:
        """Sizes right after the full loads, before the incremental runs add to them."""
        if step == "full_sqlite" and self.files.warehouse.exists():
            self.warehouse_bytes = sqlite_bytes(self.files.warehouse)
        if step == "full_postgres" and self.pg_url:
            self.pg_warehouse_bytes = database_bytes(self.pg_url, self.pg_name("wh"))


# --------------------------------------------------------------------------- the report


def _mark(ok: bool) -> str:
    return "met" if ok else "missed"


def _target(result: StepResult) -> tuple[str, str]:
    """The step's target and whether it was met; anchors have none."""
    if result.step in ANCHORS:
        return "anchor", ""
    limit = TARGET_SECONDS[result.step]
    wanted = f"≤ {limit:g} s, ≤ {TARGET_PEAK_MB / 1024:g} GB"
    if result.seconds is None or result.note:
        return wanted, ""
    checks = (("time", result.seconds > limit), ("RSS", result.peak_mb > TARGET_PEAK_MB))
    over = [name for name, missed in checks if missed]
    return wanted, f"missed ({', '.join(over)})" if over else "met"


HEADER = ("step", "rows read", "seconds", "peak RSS (MB)", "target", "met?")


def table_rows(results: list[StepResult]) -> list[tuple[str, ...]]:
    """The report's rows as text cells, shared by the terminal and the Markdown tables."""
    rows = []
    for result in results:
        target, met = _target(result)
        if result.note and result.seconds is None:
            rows.append((result.step, result.note, "", "", target, ""))
            continue
        shown_rows = f"{result.rows:,}" if result.rows is not None else result.note or "?"
        rows.append((result.step, shown_rows, f"{result.seconds:.1f}", f"{result.peak_mb:,.0f}", target, met))
    return rows


def text_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
    numeric = {1, 2, 3}

    def line(row: tuple[str, ...]) -> str:
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    return "\n".join([line(HEADER), "  ".join("-" * w for w in widths), *(line(row) for row in rows)])


def markdown_table(rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _seconds(results: dict[str, StepResult], step: str) -> float | None:
    result = results.get(step)
    return result.seconds if result and not result.note else None


def ratio_lines(results: dict[str, StepResult]) -> list[str]:
    """The full loads as multiples of each anchor: the figures that carry across machines."""
    read_sql, adbc = _seconds(results, "read_sql"), _seconds(results, "adbc")
    lines = []
    for step, label in (("full_sqlite", "SQLite"), ("full_postgres", "PostgreSQL")):
        if step not in results:
            continue
        full = _seconds(results, step)
        if full is None or read_sql is None or adbc is None:
            lines.append(f"full load ({label}) = n/a (needs read_sql, adbc and {step} measured in this run)")
            continue
        line = f"full load ({label}) = {full / read_sql:.2f}× read_sql, {full / adbc:.2f}× bare ADBC read"
        if step == "full_sqlite":
            met = _mark(full / read_sql <= TARGET_FULL_VS_READ_SQL)
            line += f" (target ≤ {TARGET_FULL_VS_READ_SQL:g}× read_sql: {met})"
        lines.append(line)
    return lines


def _gb(size: int) -> str:
    return f"{size / 1e9:.3g} GB"


def disk_lines(bench: Bench) -> list[str]:
    """Warehouse sizes right after the full loads; the SQLite one against the source it came from."""
    source = bench.files.source.stat().st_size
    lines = []
    if bench.warehouse_bytes is not None:
        ratio = bench.warehouse_bytes / source
        lines.append(
            f"warehouse on disk: {_gb(bench.warehouse_bytes)}, source {_gb(source)}, ratio {ratio:.2f}× "
            f"(target ≤ {TARGET_DISK_RATIO:g}×: {_mark(ratio <= TARGET_DISK_RATIO)})"
        )
    if bench.pg_warehouse_bytes is not None:
        lines.append(f"PostgreSQL warehouse: {_gb(bench.pg_warehouse_bytes)} (pg_database_size)")
    return lines


# --------------------------------------------------------------------------- command line


def _step_list(value: str) -> list[str]:
    steps = [s.strip() for s in value.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown step {', '.join(unknown)}; steps are {', '.join(STEPS)}")
    return [s for s in STEPS if s in steps]  # always in the order that makes each step valid


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m etl.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=50_000, help="demo size (default 50,000)")
    p.add_argument("--seed", type=int, default=5, help="demo seed (default 5)")
    p.add_argument("--steps", type=_step_list, default=list(STEPS), help=f"comma-separated subset of {','.join(STEPS)}")
    p.add_argument("--keep", action="store_true", help="reuse warehouses that hold a load instead of loading anew")
    p.add_argument("--folder", type=Path, default=PROJECT_ROOT / "data" / "bench", help="cache and report folder")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL, help=f"PostgreSQL server without a database ({DEFAULT_PG_URL})")
    p.add_argument("--pg-prefix", default="portal_bench", help="prefix of the bench's PostgreSQL database names")
    p.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)  # a child: run one step in this process
    p.add_argument("--source", help=argparse.SUPPRESS)
    p.add_argument("--warehouse", help=argparse.SUPPRESS)
    p.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    return p


def _say(line: str = "") -> None:
    print(line, flush=True)


def _prepare(args: argparse.Namespace, files: Files) -> tuple[SourceFacts, str | None]:
    """Cached sources and the config; returns the source's facts and the usable PostgreSQL URL, if any."""
    began = time.perf_counter()
    generated = ensure_demo_source(files)
    facts = source_facts(files.source)
    write_config(files)
    _say(f"demo source {files.source} {'generated' if generated else 'reused'} in {time.perf_counter() - began:.1f} s")
    if not POSTGRES_STEPS & set(args.steps):
        return facts, None
    if not postgres_reachable(args.pg_url):
        _say(f"PostgreSQL not reachable at {args.pg_url}: the PostgreSQL steps were skipped")
        return facts, None
    if "incremental_day_postgres" in args.steps:
        began = time.perf_counter()
        name = f"{args.pg_prefix}_src_{files.accounts}_s{files.seed}"
        copied = ensure_postgres_source(files, facts, args.pg_url, name)
        _say(f"PostgreSQL source {name} {'copied' if copied else 'reused'} in {time.perf_counter() - began:.1f} s")
    return facts, args.pg_url


def _report(bench: Bench, steps: list[str], began: datetime, seconds: float) -> tuple[str, str]:
    """The report for the terminal and the same in Markdown, for the README."""
    files = bench.files
    results = [bench.results[s] for s in steps if s in bench.results]
    rows = table_rows(results)
    heading = (
        f"ETL at {files.accounts:,} accounts ({bench.facts.events:,} events, seed {files.seed}), "
        f"{os.cpu_count()} cores, {began:%Y-%m-%d %H:%M} UTC; targets are for 1,000,000 accounts"
    )
    floor = f"bench process peak RSS {own_peak_mb():,.0f} MB: no step's peak can read lower (it counts from the spawn)"
    tail = [*ratio_lines(bench.results), *disk_lines(bench), floor]
    what = [f"{r.step}: {WHAT[r.step]}" for r in results]
    done = f"bench run took {seconds:.0f} s"
    text_report = "\n".join([heading, "", text_table(rows), "", *tail, "", *what, *bench.notes, done])
    steps_said = [f"- `{r.step}`: {WHAT[r.step]}; `{r.summary or r.note}`" for r in results]
    markdown = "\n".join([heading, "", markdown_table(rows), "", *(f"- {line}" for line in tail), "", *steps_said])
    return text_report, markdown + "\n"


def bench(args: argparse.Namespace) -> int:
    """Prepare, run every asked step in its own process, print the report and write it as Markdown."""
    began, started = datetime.now(UTC), time.perf_counter()
    files = Files(args.folder.resolve(), args.accounts, args.seed)
    files.folder.mkdir(parents=True, exist_ok=True)
    facts, pg_url = _prepare(args, files)
    runner = Bench(files, facts, pg_url, args.pg_prefix, args.keep)
    steps = [s for s in args.steps if pg_url or s not in POSTGRES_STEPS]
    for step in steps:
        _say(f"running {step} ...")
        result = runner.run(step)
        runner.results[step] = result
        runner.record_sizes(step)
        if result.seconds is not None:
            _say(f"  {result.seconds:.1f} s, peak {result.peak_mb:,.0f} MB  {result.note or result.summary}")
        else:
            _say(f"  {result.note}")
    text_report, markdown = _report(runner, steps, began, time.perf_counter() - started)
    _say()
    _say(text_report)
    files.report.write_text(markdown)
    _say(f"written to {files.report}")
    return 1 if any(r.note == "failed" for r in runner.results.values()) else 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.step:
        return run_step(args.step, args.source, args.warehouse, args.config)
    return bench(args)


if __name__ == "__main__":
    raise SystemExit(main())
