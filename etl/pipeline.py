"""One ETL run: extract, normalise, form attempts, and load the warehouse; a failed run changes nothing served.

A full load streams the activity log in batches into tables built beside the served ones and
swaps them in with one transaction (`etl.bulk`, `etl.stage`). An incremental run re-reads all web
users (there is no change stamp on them) but rewrites only the changed ones, and reads events from
`late_arrival_hours` before the last watermark, loading those whose id it has not loaded, so an
event written late still counts. Recovery attempts of every account touched by new recovery events
are formed again from that account's whole history, so an attempt that straddles the watermark
comes out as it would in a full load. Either way the served tables change in one transaction, and
both compare the web users read with the accounts loaded before, recording the accounts that became
at risk or were fixed (etl.at_risk) in a history no load replaces.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, Engine, Table, and_, case, delete, func, insert, select, union_all
from sqlalchemy.exc import SQLAlchemyError

from etl import aggregates, at_risk, failures
from etl.aggregates import HOURLY_TYPES, ORPHAN_COLUMNS
from etl.attempts import form_attempts
from etl.bulk import TablesBeside, drop_leftovers
from etl.extract import SourceError, SourceTable, describe, read_table, row_count, source_engine
from etl.stage import EventStage
from etl.transform import (
    Reasons,
    daily_account_counts,
    has_reason,
    no_quarantine,
    normalise_events,
    normalise_web_users,
    number_copies,
    quarantine_rows,
)
from portal import rebuild, schema
from portal.config import Config
from portal.db import insert_frame, read_frame, read_frames, warehouse_engine
from portal.engine import WarehouseError, first_line, loading_page_cache, safe_url
from portal.vocabulary import (
    ACTIVE_WINDOWS,
    ALL_EVENT_TYPES,
    OTHER_EVENT_TYPE,
    RECOVERY_TYPES,
    QuarantineReason,
    unloaded_warning,
)

KEY_BATCH = 500
ID_BATCH = 5_000
ATTEMPT_BATCH_ROWS = 500_000
BUILT_BESIDE = (schema.accounts, schema.events, schema.recovery_attempts)
"""The tables a full load writes beside the served ones (`etl.bulk`); the small ones it rewrites in place."""


@dataclass(frozen=True)
class RunSummary:
    mode: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_other_typed: int
    accounts_changed: int
    seconds: float
    rows_unloaded: int = 0

    def line(self) -> str:
        line = (
            f"{self.mode} load: read {self.rows_read:,} rows, loaded {self.rows_loaded:,}, "
            f"quarantined {self.rows_quarantined:,}, other-typed {self.rows_other_typed:,}, "
            f"accounts changed {self.accounts_changed:,}, in {self.seconds:.1f}s"
        )
        if self.rows_unloaded:
            line += f"; {unloaded_warning(self.rows_unloaded)}"
        return line


Progress = Callable[[int], None]


def run(config: Config, *, full: bool = False, progress: Callable[[str, int], Progress] | None = None) -> RunSummary:
    """Load the warehouse from the source; `progress(label, total)` returns a callback for rows done.

    A run that fails raises as it would, once it has recorded that it failed (etl.failures)."""
    started_at = _utc_now()
    try:
        return _load(config, full, progress)
    except (Exception, KeyboardInterrupt) as error:
        failures.record(config.warehouse.url, started_at, error)
        raise


def _utc_now() -> datetime:
    """Now as the warehouse keeps instants: naive UTC, whatever the machine's clock is set to."""
    return datetime.now(UTC).replace(tzinfo=None)


def _load(config: Config, full: bool, progress: Callable[[str, int], Progress] | None) -> RunSummary:
    began = time.monotonic()
    if not config.source.url:
        raise SourceError("no source configured: set [source] url in the config file or PORTAL_SOURCE_URL")
    source = source_engine(config.source.url)
    web_table, log_table = describe(source, config)
    warehouse = warehouse_engine(config.warehouse.url)

    with warehouse.connect() as connection:
        watermark = None if full or rebuild.pending(connection) else _watermark(connection)

    web_raw = pd.concat(
        list(
            _tracked(
                read_table(source, web_table), progress, "web users", row_count(source, web_table) if progress else 0
            )
        )
    )
    accounts, web_quarantine = normalise_web_users(web_raw, config)
    load = _Load(config, source, log_table, warehouse, accounts, web_quarantine, len(web_raw), progress, began)
    try:
        with loading_page_cache():
            return _full_load(load) if watermark is None else _incremental_load(load, watermark)
    except SQLAlchemyError as error:
        raise WarehouseError(
            f"loading warehouse {safe_url(config.warehouse.url)} failed: {first_line(error)}"
        ) from None


@dataclass(frozen=True)
class _Load:
    """What either kind of load starts from: the source, the warehouse, and the web users read."""

    config: Config
    source: Engine
    log_table: SourceTable
    warehouse: Engine
    accounts: pd.DataFrame
    web_quarantine: pd.DataFrame
    web_rows: int
    progress: Callable[[str, int], Progress] | None
    began: float


def _full_load(load: _Load) -> RunSummary:
    """Stream the activity log through normalising into tables built beside the served ones, then swap.

    Memory holds the accounts and one batch of events; the slim columns the derived tables need go
    to a DuckDB store on disk (`etl.stage`), which counts the daily tables and hands back recovery
    events in account order, a few accounts' histories at a time, to form attempts.
    """
    config, source, log_table = load.config, load.source, load.log_table
    warehouse, accounts = load.warehouse, load.accounts
    started_at = _utc_now()
    beside = TablesBeside(warehouse, BUILT_BESIDE)
    try:
        with EventStage() as stage:
            beside.append("accounts", accounts)
            total = row_count(source, log_table) if load.progress else 0
            quarantined, orphans, read = [], [], 0
            with _Writer() as writer:
                for chunk in _tracked(read_table(source, log_table), load.progress, "activity log", total):
                    read += len(chunk)
                    good, bad = normalise_events(chunk, config)
                    writer.submit(_write_batch, beside, stage, good, bad["row_key"])
                    quarantined.append(bad)
                    orphans.append(aggregates.orphans(good, accounts))
            repeated = stage.repeated_ids()
            stage.withdraw(repeated)
            event_quarantine = _with_repeated_ids(source, log_table, config, quarantined, repeated)
            orphan_rows = pd.concat(orphans, ignore_index=True) if orphans else pd.DataFrame(columns=ORPHAN_COLUMNS)
            orphan_rows = orphan_rows[~orphan_rows["event_id"].isin(repeated)]
            daily_attempts, attempt_rows = [], 0
            for history in stage.recovery_events(ATTEMPT_BATCH_ROWS):
                attempts = form_attempts(history, config.recovery_attempt_gap_minutes)
                beside.append("recovery_attempts", attempts)
                daily_attempts.append(aggregates.daily_attempts(attempts, accounts))
                attempt_rows += len(attempts)
            daily = stage.daily_tables(accounts)
            loaded_events, other_typed = stage.counts()
            unmapped = stage.unmapped_types()
        beside.close()
        _withdraw_events(warehouse, beside.table("events"), repeated)
        beside.build_indexes()
        with warehouse.begin() as connection:
            previous = at_risk.previous_accounts(connection)
            for table in reversed(schema.DATA_TABLES):
                if table not in BUILT_BESIDE:
                    connection.execute(delete(table))
            rebuild.clear(connection)
            _load_quarantine(connection, load.web_quarantine, event_quarantine)
            insert_frame(connection, schema.daily_accounts, daily_account_counts(accounts))
            for name, frame in daily.items():
                insert_frame(connection, schema.metadata.tables[name], frame)
            insert_frame(connection, schema.orphan_events, orphan_rows)
            insert_frame(connection, schema.daily_attempts, aggregates.sum_counts(daily_attempts, "attempts"))
            counts = {"accounts": len(accounts), "events": loaded_events, "recovery_attempts": attempt_rows}
            _store_counts(connection, {**counts, "quarantine": _count(connection, schema.quarantine)}, unmapped)
            latest = connection.execute(select(func.max(beside.table("events").c.occurred_utc))).scalar_one()
            summary = RunSummary(
                mode="full",
                rows_read=load.web_rows + read,
                rows_loaded=len(accounts) + loaded_events,
                rows_quarantined=len(load.web_quarantine) + len(event_quarantine),
                rows_other_typed=other_typed,
                accounts_changed=len(accounts),
                seconds=time.monotonic() - load.began,
                rows_unloaded=_unloaded_rows(connection, read),
            )
            beside.swap_in(connection)
            at_risk.record(connection, previous, accounts, schema.events, _utc_now(), config.zone)
            _record_run(connection, summary, started_at, _as_datetime(latest))
    finally:
        beside.close()
    return replace(summary, seconds=time.monotonic() - load.began)


class _Writer:
    """Writes one batch in a second thread while the next is read and normalised.

    The bulk ingest and DuckDB both work outside the GIL, so on two cores reading and writing
    overlap; waiting for the previous batch before handing over the next keeps two batches at most
    in memory.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="etl-writer")
        self._pending: Future | None = None

    def submit(self, function: Callable[..., None], *args) -> None:
        self.wait()
        self._pending = self._pool.submit(function, *args)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self.wait()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _write_batch(beside: TablesBeside, stage: EventStage, events: pd.DataFrame, quarantined_ids: pd.Series) -> None:
    beside.append("events", events)
    stage.append(events, quarantined_ids)


def _withdraw_events(warehouse, events: Table, event_ids: list[str]) -> None:
    """Delete the repeated ids from the new events before their unique index is built."""
    with warehouse.begin() as connection:
        for ids in _batches(event_ids, ID_BATCH):
            connection.execute(delete(events).where(events.c.event_id.in_(ids)))


def _with_repeated_ids(
    source, table: SourceTable, config: Config, quarantined: list[pd.DataFrame], repeated: list[str]
) -> pd.DataFrame:
    """The batches' quarantine, with every row of a repeated id quarantined as one batch would have.

    An id repeated across batches looks single in each; its rows are read again together so they
    carry the same reasons (and hashes) as in a load read in a single batch.
    """
    kept = pd.concat(quarantined, ignore_index=True) if quarantined else no_quarantine()
    if not repeated:
        return number_copies(kept)
    kept = kept[~kept["row_key"].isin(repeated)]
    rows = pd.concat(list(read_table(source, table, event_ids=repeated)), ignore_index=True)
    _, again = normalise_events(rows, config)
    return number_copies(pd.concat([kept, again], ignore_index=True))


def _as_datetime(value) -> datetime | None:
    return None if value is None else pd.Timestamp(value).to_pydatetime()


def _record_run(connection: Connection, summary: RunSummary, started_at: datetime, watermark: datetime | None) -> None:
    connection.execute(
        insert(schema.etl_runs).values(
            started_at=started_at,
            finished_at=_utc_now(),
            mode=summary.mode,
            rows_read=summary.rows_read,
            rows_loaded=summary.rows_loaded,
            rows_quarantined=summary.rows_quarantined,
            rows_other_typed=summary.rows_other_typed,
            accounts_changed=summary.accounts_changed,
            watermark_utc=watermark,
            rows_unloaded=summary.rows_unloaded,
        )
    )


def _unloaded_rows(connection: Connection, source_rows: int) -> int:
    """Source activity rows neither loaded nor quarantined: a reconciliation of counts, cheap at any size.

    Every source row ends as an event or a quarantined row, so a shortfall is events written to the
    source later than the late-arrival window before the watermark, which only a full load reads.
    """
    counted = dict(connection.execute(select(schema.table_rows.c.table_name, schema.table_rows.c.rows)).all())
    q = schema.quarantine
    set_aside = connection.execute(
        select(func.count()).select_from(q).where(q.c.source_table == "activity_log")
    ).scalar_one()
    return max(source_rows - counted.get(schema.events.name, 0) - set_aside, 0)


def _incremental_load(load: _Load, watermark: datetime) -> RunSummary:
    config, source, log_table = load.config, load.source, load.log_table
    warehouse, accounts = load.warehouse, load.accounts
    drop_leftovers(warehouse)  # of a full load that failed: they hold a copy of the large tables
    started_at = _utc_now()
    window_start = watermark - timedelta(hours=config.late_arrival_hours)
    events, event_quarantine, events_read = _read_events(source, log_table, config, window_start, load.progress)
    source_rows = row_count(source, log_table)
    with warehouse.begin() as connection:
        events, event_quarantine, withdrawn = _reconcile_ids(
            connection, source, log_table, config, events, event_quarantine
        )
        previous = at_risk.previous_accounts(connection)
        changed, rewrite_all = _load_accounts(connection, accounts)
        _load_quarantine(connection, load.web_quarantine, event_quarantine)
        insert_frame(
            connection, schema.events, events, load.progress("loading events", len(events)) if load.progress else None
        )
        at_risk.record(connection, previous, accounts, schema.events, _utc_now(), config.zone)
        if changed or not events.empty or not withdrawn.empty:
            _load_attempts(connection, events, withdrawn, config.recovery_attempt_gap_minutes)
            touched_days = pd.concat([events["occurred_day"], withdrawn["occurred_day"]]).dropna()
            since = touched_days.min() if not touched_days.empty else pd.Timestamp.max
            refresh_aggregates(connection, accounts, None if rewrite_all else since)
        _record_table_rows(connection)
        summary = RunSummary(
            mode="incremental",
            rows_read=load.web_rows + events_read,
            rows_loaded=changed + len(events),
            rows_quarantined=len(load.web_quarantine) + len(event_quarantine),
            rows_other_typed=int((events["event_type"] == OTHER_EVENT_TYPE).sum()),
            accounts_changed=changed,
            seconds=time.monotonic() - load.began,
            rows_unloaded=_unloaded_rows(connection, source_rows),
        )
        _record_run(connection, summary, started_at, _max_time(watermark, events))
    return summary


COUNTED_TABLES = (schema.accounts, schema.events, schema.recovery_attempts, schema.quarantine)


def _record_table_rows(connection: Connection) -> None:
    """Count what the quality page reports once per load, so no page view scans 20 million events."""
    e = schema.events
    by_type = (
        select(e.c.source_event_type, func.count().label("events"))
        .where(e.c.event_type == OTHER_EVENT_TYPE)
        .group_by(e.c.source_event_type)
    )
    counts = {table.name: _count(connection, table) for table in COUNTED_TABLES}
    _store_counts(connection, counts, read_frame(connection, by_type))


def _count(connection: Connection, table) -> int:
    return connection.execute(select(func.count()).select_from(table)).scalar_one()


def _store_counts(connection: Connection, rows: dict[str, int], unmapped: pd.DataFrame) -> None:
    """Each table's row count and the source types mapped to `other`, as the quality page shows them."""
    connection.execute(delete(schema.table_rows))
    connection.execute(insert(schema.table_rows), [{"table_name": k, "rows": int(v)} for k, v in rows.items()])
    connection.execute(delete(schema.unmapped_event_types))
    insert_frame(connection, schema.unmapped_event_types, unmapped)


def _tracked(chunks: Iterator[pd.DataFrame], progress, label: str, total: int) -> Iterator[pd.DataFrame]:
    advance = progress(label, total) if progress else None
    for chunk in chunks:
        if advance:
            advance(len(chunk))
        yield chunk


def _watermark(connection: Connection) -> datetime | None:
    """The latest event instant loaded; None when nothing was ever loaded (a full load is due)."""
    latest = select(schema.etl_runs.c.watermark_utc).order_by(schema.etl_runs.c.run_id.desc()).limit(1)
    rows = connection.execute(latest).all()
    if not rows:
        return None
    return rows[0][0] or datetime(1, 1, 1)


def _read_events(source, table: SourceTable, config: Config, window_start: datetime, progress):
    """Events at or after `window_start` (UTC); the source is asked for a day more, whatever its zone."""
    margin = window_start - timedelta(days=1)
    if "occurred_at" in table.aware:
        since = ("occurred_at", margin.replace(tzinfo=UTC))
    elif "occurred_at" in table.temporal:
        local = pd.Timestamp(margin, tz="UTC").tz_convert(config.zone).tz_localize(None)
        since = ("occurred_at", local.to_pydatetime())
    else:
        since = ("occurred_at", margin)
    total = row_count(source, table, since) if progress else 0
    events, quarantined, read = [], [], 0
    for chunk in _tracked(read_table(source, table, since=since), progress, "activity log", total):
        read += len(chunk)
        good, bad = normalise_events(chunk, config)
        good = good[good["occurred_utc"] >= pd.Timestamp(window_start)]
        events.append(good)
        quarantined.append(bad)
    if not events:
        empty, no_rows = normalise_events(pd.DataFrame(columns=list(table.columns)), config)
        return empty, no_rows, 0
    events_frame = pd.concat(events, ignore_index=True)
    quarantine_frame = number_copies(pd.concat(quarantined, ignore_index=True))
    events_frame, cross = _cross_chunk_duplicates(events_frame, quarantine_frame)
    return events_frame, cross, read


def _cross_chunk_duplicates(events: pd.DataFrame, quarantine: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ids repeated across chunks are as untrustworthy as ids repeated within one."""
    repeated = events["event_id"].duplicated(keep=False)
    if not repeated.any():
        return events, quarantine
    rows = events[repeated].astype({"occurred_at": "string", "occurred_utc": "string", "occurred_day": "string"})
    extra = _quarantined_as_duplicates(rows)
    return events[~repeated].reset_index(drop=True), pd.concat([quarantine, extra], ignore_index=True)


def _quarantined_as_duplicates(rows: pd.DataFrame) -> pd.DataFrame:
    """Activity rows set aside because their id is on another row too."""
    reasons = Reasons.every(rows.index, QuarantineReason.DUPLICATE_EVENT_ID).frame()
    return quarantine_rows(rows, reasons, "activity_log", "event_id")


def _no_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": pd.Series(dtype="string"),
            "account_number": pd.Series(dtype="string"),
            "occurred_day": pd.Series(dtype="datetime64[us]"),
            "event_type": pd.Series(dtype="string"),
        }
    )


def _reconcile_ids(
    connection: Connection, source, table: SourceTable, config: Config, events: pd.DataFrame, quarantine: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Make an incremental batch end as a full load would, whatever ids it shares with earlier loads.

    An event read again at the watermark is the same event and is dropped. An id reused by a
    different event (or repeated in the source in any way) is untrustworthy everywhere: every source
    row with it is quarantined and the copy loaded earlier is withdrawn. Returns the events to load,
    the quarantine, and the withdrawn events (whose days and accounts must be recomputed).
    """
    e, q = schema.events, schema.quarantine
    repeated_now = set(
        quarantine.loc[has_reason(quarantine["reason_codes"], QuarantineReason.DUPLICATE_EVENT_ID), "row_key"].dropna()
    )
    new_ids = events["event_id"].tolist()
    loaded = pd.concat(
        [
            read_frame(
                connection,
                select(e.c.event_id, e.c.account_number, e.c.occurred_utc, e.c.occurred_day, e.c.event_type).where(
                    e.c.event_id.in_(ids)
                ),
            )
            for ids in _batches(new_ids + sorted(repeated_now), ID_BATCH)
        ]
        or [_no_events().assign(occurred_utc=pd.Series(dtype="datetime64[us]"))],
        ignore_index=True,
    )
    repeated_before = set()
    for ids in _batches(new_ids, ID_BATCH):
        repeated_before |= set(
            connection.execute(
                select(q.c.row_key).where(
                    and_(
                        q.c.source_table == "activity_log",
                        q.c.row_key.in_(ids),
                        schema.quarantined_for(QuarantineReason.DUPLICATE_EVENT_ID),
                    )
                )
            ).scalars()
        )
    pairs = events[["event_id", "occurred_utc"]].merge(
        loaded[["event_id", "occurred_utc"]], on="event_id", suffixes=("", "_loaded")
    )
    same = set(pairs.loc[pairs["occurred_utc"] == pairs["occurred_utc_loaded"], "event_id"])
    conflicts = set(pairs.loc[pairs["occurred_utc"] != pairs["occurred_utc_loaded"], "event_id"])
    conflicts |= (repeated_now & set(loaded["event_id"])) | repeated_before
    events = events[~events["event_id"].isin(same | conflicts)].reset_index(drop=True)
    if not conflicts:
        return events, quarantine, _no_events()
    rows = pd.concat(list(read_table(source, table, event_ids=sorted(conflicts))), ignore_index=True)
    extra = _quarantined_as_duplicates(rows)
    fresh = ~extra["row_key"].isin(set(quarantine["row_key"].dropna()) & repeated_now)
    quarantine = pd.concat([quarantine, extra[fresh]], ignore_index=True).drop_duplicates("row_hash")
    withdrawn = loaded[loaded["event_id"].isin(conflicts)]
    for ids in _batches(sorted(conflicts), ID_BATCH):
        connection.execute(delete(e).where(e.c.event_id.in_(ids)))
    return events, quarantine, withdrawn[["event_id", "account_number", "occurred_day", "event_type"]]


def _max_time(watermark: datetime | None, events: pd.DataFrame) -> datetime | None:
    latest = events["occurred_utc"].max() if not events.empty else None
    candidates = [t for t in (watermark, latest) if t is not None and not pd.isna(t)]
    return max(pd.Timestamp(t) for t in candidates).to_pydatetime() if candidates else None


def _batches(values: list, size: int = KEY_BATCH) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _load_accounts(connection: Connection, accounts: pd.DataFrame) -> tuple[int, bool]:
    """Rewrite only the web users that changed; say whether event segments must be re-derived."""
    table = schema.accounts
    existing = read_frame(connection, select(table.c.account_number, table.c.row_hash, table.c.segment))
    merged = accounts[["account_number", "row_hash", "segment"]].merge(
        existing, on="account_number", how="outer", suffixes=("", "_old"), indicator=True
    )
    removed = merged.loc[merged["_merge"] == "right_only", "account_number"].tolist()
    added = merged.loc[merged["_merge"] == "left_only", "account_number"].tolist()
    both = merged[merged["_merge"] == "both"]
    changed = both.loc[both["row_hash"] != both["row_hash_old"], "account_number"].tolist()
    segment_moved = bool((both["segment"] != both["segment_old"]).any())
    for keys in _batches(removed + changed):
        connection.execute(delete(table).where(table.c.account_number.in_(keys)))
    rewrite = set(added) | set(changed)
    insert_frame(connection, table, accounts[accounts["account_number"].isin(rewrite)])
    adopts_orphans = any(
        connection.execute(
            select(func.count()).select_from(schema.events).where(schema.events.c.account_number.in_(keys))
        ).scalar_one()
        for keys in _batches(added)
    )
    return len(rewrite) + len(removed), bool(removed) or segment_moved or adopts_orphans


def _load_quarantine(connection: Connection, web: pd.DataFrame, events: pd.DataFrame) -> None:
    """Web users are re-read whole each run, so their quarantine is replaced; events' only grows."""
    table = schema.quarantine
    connection.execute(delete(table).where(table.c.source_table == "web_users"))
    insert_frame(connection, table, web)
    if events.empty:
        return
    known = set(connection.execute(select(table.c.row_hash).where(table.c.source_table == "activity_log")).scalars())
    insert_frame(connection, table, events[~events["row_hash"].isin(known)])


def _load_attempts(connection: Connection, new_events: pd.DataFrame, withdrawn: pd.DataFrame, gap_minutes: int) -> None:
    """Form again the attempts of every account whose recovery history gained or lost an event.

    A full load has every event in hand and forms all attempts at once instead.
    """
    recovery = new_events[new_events["event_type"].isin(RECOVERY_TYPES)]
    gone = withdrawn[withdrawn["event_type"].isin(RECOVERY_TYPES)]
    if recovery.empty and gone.empty:
        return
    keys = sorted(set(recovery["account_number"].dropna()) | set(gone["account_number"].dropna()))
    table, events = schema.recovery_attempts, schema.events
    for ids in _batches(gone.loc[gone["account_number"].isna(), "event_id"].tolist()):
        connection.execute(delete(table).where(table.c.attempt_id.in_(ids)))
    history = [recovery[recovery["account_number"].isna()]]
    for batch in _batches(keys):
        connection.execute(delete(table).where(table.c.account_number.in_(batch)))
        history.append(
            read_frame(
                connection,
                select(
                    events.c.event_id,
                    events.c.account_number,
                    events.c.occurred_at,
                    events.c.occurred_utc,
                    events.c.event_type,
                ).where(and_(events.c.account_number.in_(batch), events.c.event_type.in_(RECOVERY_TYPES))),
            )
        )
    attempts = form_attempts(pd.concat(history, ignore_index=True), gap_minutes)
    insert_frame(connection, table, attempts)


def refresh_aggregates(connection: Connection, accounts: pd.DataFrame, since: datetime | None) -> None:
    """Recompute the daily tables; event-based ones only from `since` when nothing older moved."""
    connection.execute(delete(schema.daily_accounts))
    insert_frame(connection, schema.daily_accounts, daily_account_counts(accounts))
    day_from = since.date() if since is not None and not pd.isna(since) else None
    e = schema.events
    _refresh_from_events(connection, schema.daily_events, [e.c.event_type], "events", None, day_from)
    locked = and_(e.c.event_type == "account_locked", e.c.account_number.is_not(None))
    _refresh_from_events(connection, schema.daily_lockouts, [e.c.account_number], "lockouts", locked, day_from)
    _refresh_orphans(connection, day_from)
    hourly = e.c.event_type.in_(HOURLY_TYPES)
    _refresh_from_events(
        connection, schema.hourly_events, [e.c.occurred_hour, e.c.event_type], "events", hourly, day_from
    )
    connection.execute(delete(schema.daily_attempts))
    _insert_daily_attempts(connection)
    _refresh_active(connection, accounts, day_from)


def _refresh_from_events(connection: Connection, target, keys: list, count_name: str, condition, day_from) -> None:
    """Count events per local day, segment and `keys` into `target`, from `day_from` on (or all)."""
    e, a = schema.events, schema.accounts
    segment = schema.account_segment(a).label("segment")
    query = (
        select(e.c.occurred_day, segment, *keys, func.count().label(count_name))
        .select_from(e.outerjoin(a, a.c.account_number == e.c.account_number))
        .group_by(e.c.occurred_day, segment, *keys)
    )
    if condition is not None:
        query = query.where(condition)
    stale = delete(target)
    if day_from is not None:
        stale = stale.where(target.c.day >= day_from)
        query = query.where(_from_day(e, day_from))
    connection.execute(stale)
    names = ["day", "segment", *(target.c[k.name.removeprefix("occurred_")].name for k in keys), count_name]
    connection.execute(insert(target).from_select(names, query))


def _from_day(events, day_from):
    """Events from `day_from` on, through the (event_type, occurred_day) index.

    Naming every type an event can have lets the index serve a day range (one short range per type)
    where a bare day condition scanned all 21 million events.
    """
    return and_(events.c.event_type.in_(ALL_EVENT_TYPES), events.c.occurred_day >= day_from)


def _refresh_orphans(connection: Connection, day_from) -> None:
    """Events whose account number matches no loaded web user, from `day_from` on (or all)."""
    o, e, a = schema.orphan_events, schema.events, schema.accounts
    columns = ["event_id", "account_number", "occurred_at", "occurred_utc", "occurred_day", "event_type", "channel"]
    columns.append("detail")
    query = (
        select(*(e.c[name] for name in columns))
        .select_from(e.outerjoin(a, a.c.account_number == e.c.account_number))
        .where(and_(e.c.account_number.is_not(None), a.c.account_number.is_(None)))
    )
    stale = delete(o)
    if day_from is not None:
        stale = stale.where(o.c.occurred_day >= day_from)
        query = query.where(_from_day(e, day_from))
    connection.execute(stale)
    connection.execute(insert(o).from_select(columns, query))


def _refresh_active(connection: Connection, accounts: pd.DataFrame, day_from) -> None:
    """`daily_active_changes` from `day_from` on (or all), from the login days that reach those days.

    A change on or after `day_from` comes from a login on or after it, or from an account's last login
    in the longest window before it (whose stretch ends then, or at its next login): so those are
    read, one row per account for the days before, through the (event_type, occurred_day) index."""
    e, target = schema.events, schema.daily_active_changes
    login = and_(e.c.event_type == "login_succeeded", e.c.account_number.is_not(None))
    stale = delete(target)
    query = select(e.c.account_number, e.c.occurred_day.label("day")).where(login)
    if day_from is not None:
        stale = stale.where(target.c.day >= day_from)
        reach = day_from - timedelta(days=max(ACTIVE_WINDOWS))
        last_before = (
            select(e.c.account_number, func.max(e.c.occurred_day).label("day"))
            .where(login, e.c.occurred_day >= reach, e.c.occurred_day < day_from)
            .group_by(e.c.account_number)
        )
        both = union_all(last_before, query.where(e.c.occurred_day >= day_from)).subquery()
        query = select(both.c.account_number, both.c.day)
    query = query.order_by("account_number", "day")
    parts = [
        aggregates.active_changes(logins, accounts)
        for logins in aggregates.whole_accounts(read_frames(connection, query, ATTEMPT_BATCH_ROWS))
    ]
    changes = aggregates.net_changes(parts)
    if day_from is not None:
        changes = changes[changes["day"] >= pd.Timestamp(day_from)]
    connection.execute(stale)
    insert_frame(connection, target, changes)


def _insert_daily_attempts(connection: Connection) -> None:
    r, a, d = schema.recovery_attempts, schema.accounts, schema.daily_attempts
    segment = schema.account_segment(a).label("segment")
    reason = case((r.c.outcome == "failed", r.c.failure_reason), else_=None).label("failure_reason")
    query = (
        select(r.c.started_day, segment, r.c.outcome, reason, r.c.furthest_step, func.count().label("attempts"))
        .select_from(r.outerjoin(a, a.c.account_number == r.c.account_number))
        .group_by(r.c.started_day, segment, r.c.outcome, reason, r.c.furthest_step)
    )
    columns = ["day", "segment", "outcome", "failure_reason", "furthest_step", "attempts"]
    connection.execute(insert(d).from_select(columns, query))


def has_loaded(warehouse_url: str) -> bool:
    """Whether any load has finished into this warehouse."""
    with warehouse_engine(warehouse_url).connect() as connection:
        return bool(connection.execute(select(func.count()).select_from(schema.etl_runs)).scalar_one())
