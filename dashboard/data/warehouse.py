"""The query layer: every dataset the dashboard and the exports show, read from the warehouse.

Pages and routes call only these functions. Each reads the smallest warehouse rows that answer it
(the daily tables for charts, indexed rows for lists) and hands them to the metric functions, so a
figure has one definition whatever path shows it. Masking of customer details happens here too, so
no output path can leak what a role may not see.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pandas as pd
from sqlalchemy import Engine, func, literal, select

from dashboard.data import baseline, daily_cache, metrics, ranges
from dashboard.data.account_list import ACCOUNT_COLUMNS, account_statement, count_statement
from dashboard.data.freshness import LoadState
from dashboard.data.masking import mask_emails, mask_emails_in_text, mask_usernames
from dashboard.data.series import OVERVIEW_SERIES, SERIES
from dashboard.data.slices import ALL_ACCOUNTS, AccountFilters
from dashboard.data.view import Filters
from portal import rebuild, schema
from portal.db import read_frame, read_frames, warehouse_engine

ATTEMPT_EXPORT_COLUMNS = (
    "attempt_id",
    "account_number",
    "started_at",
    "ended_at",
    "outcome",
    "failure_reason",
    "events",
    "segment",
)
ACCOUNT_EXPORT_COLUMNS = ACCOUNT_COLUMNS
ACTIVITY_EXPORT_COLUMNS = (
    "event_id",
    "account_number",
    "occurred_at",
    "event_type",
    "source_event_type",
    "actor",
    "channel",
    "detail",
)
QUALITY_COLUMNS = ("issue", "source_table", "row_key", "detail", "rows")
FIND_LIMIT = 10
"""The most accounts a lookup lists (a placeholder address is shared by thousands)."""
EXPORT_ROWS = 10_000
"""Rows per frame of a streamed export: a 1M-account export peaked 70 MB above the idle worker (50,000: 180 MB)."""
HEATMAP_TYPES = ("password_reset", "password_reset_by_staff")
"""The heatmap shows resets of both kinds: the load on the portal and on the phones."""


class Warehouse:
    """Read access to one warehouse; cheap to create, the engine is shared per URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = warehouse_engine(url)

    def _read(self, statement) -> pd.DataFrame:
        with self.engine.connect() as connection:
            return read_frame(connection, statement)

    def extent(self) -> tuple[date, date] | None:
        """The first and last day with any data, the default range of every view."""
        return daily_cache.once_per_load(self.engine, "extent", self._read_extent)

    def _read_extent(self) -> tuple[date, date] | None:
        bounds = []
        with self.engine.connect() as connection:
            for column in (schema.daily_accounts.c.day, schema.daily_events.c.day):
                low, high = connection.execute(select(func.min(column), func.max(column))).one()
                bounds += [pd.Timestamp(v).date() for v in (low, high) if v is not None]
        return (min(bounds), max(bounds)) if bounds else None

    def segments(self) -> list[str]:
        """Every account's segment, read from daily_accounts: the same set, since each load counts every
        account there by its creation day, in ten thousand rows instead of a million (every page asks)."""
        return list(daily_cache.once_per_load(self.engine, "segments", self._read_segments))

    def _read_segments(self) -> tuple[str, ...]:
        da = schema.daily_accounts
        with self.engine.connect() as connection:
            rows = connection.execute(select(da.c.segment).distinct().order_by(da.c.segment))
            return tuple(row[0] for row in rows)

    def load_state(self) -> LoadState:
        """The last successful load, and the newest failed run if none has succeeded since (freshness.py)."""
        runs, failed = schema.etl_runs, schema.failed_runs
        with self.engine.connect() as connection:
            last = connection.execute(
                select(runs.c.run_id, runs.c.finished_at, runs.c.watermark_utc).order_by(runs.c.run_id.desc()).limit(1)
            ).first()
            failure = connection.execute(
                select(failed.c.failed_at, failed.c.reason, failed.c.served_run_id)
                .order_by(failed.c.failure_id.desc())
                .limit(1)
            ).first()
        loaded = {} if last is None else {"loaded_at": last.finished_at, "newest_event_at": last.watermark_utc}
        if failure is None or failure.served_run_id != (last.run_id if last else None):
            return LoadState(**loaded)
        return LoadState(**loaded, failed_at=failure.failed_at, failure=failure.reason)

    def load_token(self) -> tuple:
        """Which load the warehouse holds (see daily_cache.load_token): what every kept figure is keyed by."""
        return daily_cache.load_token(self.engine)

    def rebuild_pending(self) -> bool:
        """Whether a migration asked for the figures to be loaded again and no full load has done it yet."""
        with self.engine.connect() as connection:
            return bool(rebuild.pending(connection))

    def _daily(self, table, filters: Filters, *, from_start: bool = True) -> pd.DataFrame:
        """A daily table's rows in the view (from its start, or from the first day for stocks)."""
        rows = daily_cache.whole_table(self.engine, table, self.load_token())
        keep = rows["day"] <= pd.Timestamp(filters.end)
        if from_start:
            keep &= rows["day"] >= pd.Timestamp(filters.start)
        return metrics.in_segment(rows[keep], filters.segment).reset_index(drop=True)

    def adoption(self, filters: Filters) -> pd.DataFrame:
        return metrics.adoption(self._daily(schema.daily_accounts, filters, from_start=False), filters)

    def recovery(self, filters: Filters) -> pd.DataFrame:
        return metrics.recovery(self._daily(schema.daily_attempts, filters), filters)

    def resets(self, filters: Filters) -> pd.DataFrame:
        return metrics.resets(self._daily(schema.daily_events, filters), filters)

    def lockouts(self, filters: Filters) -> pd.DataFrame:
        return metrics.lockouts(
            self._daily(schema.daily_events, filters), self._daily(schema.daily_lockouts, filters), filters
        )

    def email_status_over_time(self, filters: Filters) -> pd.DataFrame:
        return metrics.email_status_over_time(self._daily(schema.daily_accounts, filters, from_start=False), filters)

    def at_risk_changes(self, filters: Filters) -> pd.DataFrame:
        """New at-risk accounts against fixed ones per period (metrics.at_risk_changes)."""
        history = daily_cache.once_per_load(self.engine, "at_risk_changes", self._read_at_risk_changes)
        return metrics.at_risk_changes(history, filters)

    def _read_at_risk_changes(self) -> pd.DataFrame:
        """The at-risk history of the loaded accounts, each in its segment now, as the account list
        selects it: a move of an account no longer in the source has no account to list."""
        h, a = schema.at_risk_changes, schema.accounts
        return self._read(
            select(h.c.account_number, h.c.day, h.c.change, a.c.segment).select_from(
                h.join(a, a.c.account_number == h.c.account_number)
            )
        )

    def email_status_breakdown(self, filters: Filters) -> pd.DataFrame:
        return metrics.email_status_breakdown(self._daily(schema.daily_accounts, filters, from_start=False), filters)

    def adoption_by_segment(self, filters: Filters) -> pd.DataFrame:
        every_segment = replace(filters, segment=None)
        rows = self._daily(schema.daily_accounts, every_segment, from_start=False)
        return metrics.adoption_by_segment(rows, filters)

    def enrollment_funnel(self, filters: Filters) -> pd.DataFrame:
        """Distinct accounts per enrollment step (metrics.enrollment_funnel), each counted as the account
        list of that step's drill-down counts it."""
        counted = {
            kind: self.accounts_page(filters, AccountFilters(event_type=(kind,)), limit=0)[1]
            for _, kind, _ in metrics.ENROLLMENT_FUNNEL
        }
        return metrics.enrollment_funnel(counted)

    def recovery_funnel(self, filters: Filters) -> pd.DataFrame:
        return metrics.recovery_funnel(self._daily(schema.daily_attempts, filters), filters)

    def reset_heatmap(self, filters: Filters, event_types: tuple[str, ...] = HEATMAP_TYPES) -> pd.DataFrame:
        return metrics.reset_heatmap(self._daily(schema.hourly_events, filters), filters, event_types)

    def active_users(self, filters: Filters) -> pd.DataFrame:
        return metrics.active_users(self._daily(schema.daily_active_changes, filters, from_start=False), filters)

    def rates(self, filters: Filters) -> pd.DataFrame:
        """The support rates per period (metrics.rates) of the view."""
        tables = (self.recovery(filters), self.resets(filters), self.lockouts(filters), self.adoption(filters))
        return metrics.rates(*tables, self.active_users(filters))

    def band(self, name: str, filters: Filters) -> pd.DataFrame:
        """One support series (`series.SERIES`) per period of the view with its usual band
        (`baseline.usual_band`), judged against the history before the view as well."""
        one, extent = SERIES[name], self.extent()
        wider = replace(filters, start=baseline.history_start(filters))
        table = getattr(self, one.table)(wider)
        if extent is None:
            whole = pd.Series(False, index=table.index)
        else:
            whole = baseline.whole_periods(wider, extent[0], min(filters.end, extent[1]))
        band = baseline.usual_band(table, one.column, filters.grain, whole, count=one.count)
        first = metrics.periods(filters)["period_start"].iloc[0]
        return band[band["period_start"] >= first].reset_index(drop=True)

    def unusual_now(self, filters: Filters) -> list[tuple[Filters, pd.DataFrame]]:
        """The last whole week of the view and its last day, each with every series the overview
        checks (`series.OVERVIEW_SERIES`) against its usual band: what is unusual now."""
        extent = self.extent()
        if extent is None:
            return []
        newest = min(filters.end, extent[1])
        start, end = ranges.preset_range("last_full_week", (extent[0], newest))
        judged = []
        for period in (Filters(start, end, "week", filters.segment), Filters(newest, newest, "day", filters.segment)):
            if period.start < extent[0]:
                continue
            rows = [
                {"series": name, "label": SERIES[name].label, **self.band(name, period).iloc[-1].to_dict()}
                for name in OVERVIEW_SERIES
            ]
            judged.append((period, pd.DataFrame(rows)))
        return judged

    def kpis(self, filters: Filters) -> pd.DataFrame:
        """Headline figures for the range against the previous range of equal length."""
        both = replace(filters, start=metrics.previous_range(filters).start)
        return metrics.kpis(
            self._daily(schema.daily_accounts, both, from_start=False),
            self._daily(schema.daily_attempts, both),
            self._daily(schema.daily_events, both),
            self._daily(schema.daily_active_changes, both, from_start=False),
            filters,
        )

    def most_locked(self, filters: Filters, limit: int = 20) -> pd.DataFrame:
        """The accounts locked most often inside the range."""
        return metrics.most_locked(self._daily(schema.daily_lockouts, filters), filters, limit)

    def account(self, account_number: str, *, unmasked: bool = False) -> dict | None:
        """One web user record with its derived flags, or None when there is no such account."""
        a = schema.accounts
        frame = self._read(select(*a.columns).where(a.c.account_number == account_number))
        if frame.empty:
            return None
        if not unmasked:
            frame["email"] = mask_emails(frame["email"])
            frame["username"] = mask_usernames(frame["username"])
        return frame.drop(columns=["row_hash", "created_day", "enrolled_day"]).iloc[0].to_dict()

    def find_accounts(self, text: str, *, by_contact: bool, limit: int = FIND_LIMIT) -> list[str]:
        """The accounts a caller names: by account number (any case), and when `by_contact` (a role that
        may see customers' details) by exact email or username, case aside; at most `limit`, in order."""
        wanted = text.strip()
        if not wanted:
            return []
        a = schema.accounts

        def matching(connection, condition) -> list[str]:
            statement = select(a.c.account_number).where(condition).order_by(a.c.account_number).limit(limit)
            return list(connection.execute(statement).scalars())

        with self.engine.connect() as connection:
            # the exact number by its key first: the case-blind comparison reads every account
            found = matching(connection, a.c.account_number == wanted) or matching(
                connection, func.upper(a.c.account_number) == wanted.upper()
            )
            if found or not by_contact:
                return found
            lowered = wanted.lower()
            return matching(connection, (func.lower(a.c.email) == lowered) | (func.lower(a.c.username) == lowered))

    def account_status(self, account_number: str) -> dict:
        """Where one account stands now (metrics.account_status), from its last events of each kind."""
        e = schema.events
        statement = (
            select(e.c.event_type, func.max(e.c.occurred_at).label("last_at"))
            .where(e.c.account_number == account_number, e.c.event_type.in_(metrics.STATUS_EVENTS))
            .group_by(e.c.event_type)
        )
        last = self._read(statement)
        last_at = dict(zip(last["event_type"], pd.to_datetime(last["last_at"]), strict=True))
        return metrics.account_status(last_at, self.attempts_of(account_number))

    def attempts_of(self, account_number: str) -> pd.DataFrame:
        """Every recovery attempt of one account, newest first."""
        r = schema.recovery_attempts
        columns = [r.c[name] for name in ATTEMPT_EXPORT_COLUMNS if name in r.c] + [r.c.furthest_step]
        statement = select(*columns).where(r.c.account_number == account_number).order_by(r.c.started_at.desc())
        return self._read(statement)

    def load_summary(self) -> dict:
        """The last load and how many rows each warehouse table holds, for the data-quality page."""
        runs, counted = schema.etl_runs, schema.table_rows
        with self.engine.connect() as connection:
            last = connection.execute(select(*runs.columns).order_by(runs.c.run_id.desc()).limit(1)).mappings().first()
            stored = dict(connection.execute(select(counted.c.table_name, counted.c.rows)).all())
        counts = {name: int(stored.get(name, 0)) for name in ("accounts", "events", "recovery_attempts", "quarantine")}
        return {"last_run": dict(last) if last else None, "rows": counts}

    def recovery_attempts(self, filters: Filters) -> pd.DataFrame:
        return pd.concat(list(self.recovery_attempt_frames(filters, rows=None)), ignore_index=True)

    def recovery_attempt_frames(self, filters: Filters, rows: int | None = EXPORT_ROWS) -> Iterator[pd.DataFrame]:
        """The recovery attempts of the view, in frames of `rows` read as they are consumed (for exports)."""
        r, a = schema.recovery_attempts, schema.accounts
        segment = schema.account_segment(a).label("segment")
        statement = (
            select(*r.columns, segment)
            .select_from(r.outerjoin(a, a.c.account_number == r.c.account_number))
            .where(r.c.started_day.between(filters.start, filters.end), filters.segment_condition(segment))
            .order_by(r.c.started_at, r.c.attempt_id)
        )
        with self.engine.connect() as connection:
            for attempts in read_frames(connection, statement, rows):
                yield attempts.rename(columns={"started_day": "day"})[list(ATTEMPT_EXPORT_COLUMNS)]

    def accounts(
        self,
        filters: Filters,
        only: AccountFilters = ALL_ACCOUNTS,
        *,
        unmasked: bool = False,
    ) -> pd.DataFrame:
        """Accounts in the slice, with their failed recovery attempts and lockouts inside the range."""
        return pd.concat(list(self.account_frames(filters, only, unmasked=unmasked, rows=None)), ignore_index=True)

    def account_frames(
        self,
        filters: Filters,
        only: AccountFilters = ALL_ACCOUNTS,
        *,
        unmasked: bool = False,
        rows: int | None = EXPORT_ROWS,
    ) -> Iterator[pd.DataFrame]:
        """`accounts` in frames of `rows`, read as they are consumed: an export of a million accounts
        never holds them all."""
        with self.engine.connect() as connection:
            for frame in read_frames(connection, account_statement(filters, only), rows):
                yield self._account_columns(frame, unmasked)

    def accounts_page(
        self,
        filters: Filters,
        only: AccountFilters = ALL_ACCOUNTS,
        *,
        sort: list[tuple[str, bool]] | None = None,
        grid_filters: dict | None = None,
        offset: int = 0,
        limit: int = 100,
        unmasked: bool = False,
        known_total: int | None = None,
    ) -> tuple[pd.DataFrame, int]:
        """One page of the account list and the number of rows in the whole list.

        The count is the slow half for a slice like repeated failures, so it is skipped when the
        page itself settles it (a short last page) or when the caller already counted the same
        slice (`known_total`, from the page render) and this page does not contradict it.
        """
        statement = account_statement(filters, only, sort=sort, grid_filters=grid_filters)
        rows = self._account_rows(statement.offset(offset).limit(limit), unmasked)
        if 0 < len(rows) < limit:
            return rows, offset + len(rows)
        if len(rows) and known_total is not None and known_total >= offset + len(rows):
            return rows, int(known_total)
        with self.engine.connect() as connection:
            total = connection.execute(count_statement(filters, only, grid_filters)).scalar_one()
        return rows, int(total)

    def _account_rows(self, statement, unmasked: bool) -> pd.DataFrame:
        return self._account_columns(self._read(statement), unmasked)

    @staticmethod
    def _account_columns(frame: pd.DataFrame, unmasked: bool) -> pd.DataFrame:
        for column in ("failed_recovery_attempts", "lockouts"):
            frame[column] = frame[column].astype("int64")
        if not unmasked:
            frame["email"] = mask_emails(frame["email"])
            frame["username"] = mask_usernames(frame["username"])
        return frame[list(ACCOUNT_EXPORT_COLUMNS)]

    def activity(self, account_number: str, filters: Filters | None = None, *, unmasked: bool = False) -> pd.DataFrame:
        """One account's events, oldest first; addresses quoted in a detail text are masked by default."""
        e = schema.events
        statement = select(*(e.c[name] for name in ACTIVITY_EXPORT_COLUMNS)).where(e.c.account_number == account_number)
        if filters is not None:
            statement = statement.where(e.c.occurred_day.between(filters.start, filters.end))
        frame = self._read(statement.order_by(e.c.occurred_utc, e.c.event_id))
        if not unmasked and "detail" in frame:
            frame["detail"] = mask_emails_in_text(frame["detail"])
        return frame

    def quality(self, *, unmasked: bool = False) -> pd.DataFrame:
        """Quarantined rows with their reasons, unmapped event types, and orphan events, in one table.

        Row keys and details are source text (a bad row's key may be an address): addresses quoted
        in them are masked by default."""
        q, u, o = schema.quarantine, schema.unmapped_event_types, schema.orphan_events
        activity_log, one = literal("activity_log"), literal(1)
        parts = (
            ("quarantined", q.c.source_table, q.c.row_key, q.c.reason, one, (q.c.source_table, q.c.row_key)),
            (
                "unmapped_event_type",
                activity_log,
                u.c.source_event_type,
                literal("mapped to other"),
                u.c.events,
                (u.c.source_event_type,),
            ),
            ("orphan_event", activity_log, o.c.event_id, o.c.account_number, one, (o.c.occurred_utc, o.c.event_id)),
        )
        frames = []
        for issue, *columns, order in parts:
            labelled = [column.label(name) for column, name in zip(columns, QUALITY_COLUMNS[1:], strict=True)]
            frames.append(self._read(select(literal(issue).label("issue"), *labelled).order_by(*order)))
        frames = [frame for frame in frames if not frame.empty]
        if not frames:
            return pd.DataFrame({column: pd.Series(dtype="object") for column in QUALITY_COLUMNS})
        table = pd.concat(frames, ignore_index=True)
        table["rows"] = table["rows"].astype("int64")
        if not unmasked:
            _mask_text_columns(table, ("row_key", "detail"))
        return table[list(QUALITY_COLUMNS)]

    def quality_sections(self, limit: int = 1_000, *, unmasked: bool = False) -> dict[str, pd.DataFrame | int]:
        """The data-quality report in the parts its page shows, each straight from SQL.

        `summary`: rows per issue and reason (issue, source_table, reason, rows); `quarantined`
        (source_table, row_key, reason), `unmapped` (source_event_type, events) and `orphans`
        (event_id, account_number, occurred_at, event_type, channel, detail), the two long lists
        capped at `limit` rows with their full sizes in `quarantined_total` and `orphans_total`.
        Addresses quoted in source text (row keys, source values, account numbers, details) are
        masked by default, as in `quality`.
        """
        q, o = schema.quarantine, schema.orphan_events
        by_reason = self._read(
            select(
                literal("quarantined").label("issue"),
                q.c.source_table,
                q.c.reason,
                func.count().label("rows"),
            )
            .group_by(q.c.source_table, q.c.reason)
            .order_by(func.count().desc(), q.c.source_table, q.c.reason)
        )
        u = schema.unmapped_event_types
        unmapped = self._read(
            select(u.c.source_event_type, u.c.events).order_by(u.c.events.desc(), u.c.source_event_type)
        )
        quarantined_total = int(by_reason["rows"].sum())
        quarantined = self._read(
            select(q.c.source_table, q.c.row_key, q.c.reason)
            .order_by(q.c.source_table, q.c.reason, q.c.row_key)
            .limit(limit)
        )
        orphan_columns = (o.c.event_id, o.c.account_number, o.c.occurred_at, o.c.event_type, o.c.channel, o.c.detail)
        orphans = self._read(
            select(*orphan_columns).order_by(o.c.account_number, o.c.occurred_utc.desc(), o.c.event_id).limit(limit)
        )
        with self.engine.connect() as connection:
            orphans_total = connection.execute(select(func.count()).select_from(o)).scalar_one()
        summary_rows = [by_reason]
        if not unmapped.empty:
            mapped = pd.DataFrame(
                {
                    "issue": ["unmapped_event_type"],
                    "source_table": ["activity_log"],
                    "reason": [f"{len(unmapped)} source value(s) mapped to other"],
                    "rows": [int(unmapped["events"].sum())],
                }
            )
            summary_rows.append(mapped)
        if orphans_total:
            summary_rows.append(
                pd.DataFrame(
                    {
                        "issue": ["orphan_event"],
                        "source_table": ["activity_log"],
                        "reason": ["account_number matches no web user"],
                        "rows": [int(orphans_total)],
                    }
                )
            )
        summary = pd.concat([frame for frame in summary_rows if not frame.empty] or [by_reason], ignore_index=True)
        summary["rows"] = summary["rows"].astype("int64")
        unmapped["events"] = unmapped["events"].astype("int64")
        if not unmasked:
            _mask_text_columns(quarantined, ("row_key",))
            _mask_text_columns(unmapped, ("source_event_type",))
            _mask_text_columns(orphans, ("account_number", "detail"))
        return {
            "summary": summary,
            "quarantined": quarantined,
            "quarantined_total": int(quarantined_total),
            "unmapped": unmapped,
            "orphans": orphans,
            "orphans_total": int(orphans_total),
        }

    def overview(self, filters: Filters, trend: Filters) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        """The overview's KPI table (as `kpis`) and its trend tables at the `trend` view, each daily table read once.

        `trend` is the same range as `filters` at a grain a sparkline can hold. The metric functions cut
        the rows to each view themselves, so one read from the previous range's start serves them all.
        """
        since = replace(filters, start=min(metrics.previous_range(filters).start, trend.start))
        accounts = self._daily(schema.daily_accounts, since, from_start=False)
        attempts = self._daily(schema.daily_attempts, since)
        events = self._daily(schema.daily_events, since)
        locked = self._daily(schema.daily_lockouts, trend)
        active = self._daily(schema.daily_active_changes, since, from_start=False)
        tables = {
            "adoption": metrics.adoption(accounts, trend),
            "active_users": metrics.active_users(active, trend),
            "email_statuses": metrics.email_status_over_time(accounts, trend),
            "recovery": metrics.recovery(attempts, trend),
            "resets": metrics.resets(events, trend),
            "lockouts": metrics.lockouts(events, locked, trend),
        }
        tables["rates"] = metrics.rates(
            tables["recovery"], tables["resets"], tables["lockouts"], tables["adoption"], tables["active_users"]
        )
        return metrics.kpis(accounts, attempts, events, active, filters), tables


def _mask_text_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Mask addresses quoted in the text of `columns`, in place; values that are not text stay as they are."""
    for column in columns:
        if column in frame and len(frame):
            texts = frame[column].map(lambda value: value if isinstance(value, str) else None)
            masked = mask_emails_in_text(texts)
            frame[column] = frame[column].where(texts.isna(), masked)
