"""The query layer: every dataset the dashboard and the exports show, read from the warehouse.

Pages and routes call only these functions. Each reads the smallest warehouse rows that answer it
(the daily tables for charts, indexed rows for lists) and hands them to the metric functions, so a
figure has one definition whatever path shows it. Masking of customer details happens here too, so
no output path can leak what a role may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Engine, and_, func, literal, select

from dashboard import metrics
from dashboard.masking import mask_emails, mask_usernames
from dashboard.metrics import Filters
from etl import schema
from etl.warehouse import read_frame, warehouse_engine

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
ACCOUNT_EXPORT_COLUMNS = (
    "account_number",
    "segment",
    "portal_access",
    "email_status",
    "username_is_email",
    "email",
    "username",
    "enrolled_at",
    "last_login_at",
    "failed_recovery_attempts",
    "lockouts",
    "created_at",
)
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


@dataclass(frozen=True)
class AccountFilters:
    """The account list's own filters, on top of the view's segment and range."""

    email_status: str | None = None
    portal_access: bool | None = None
    has_failed_recovery: bool | None = None


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
        bounds = []
        with self.engine.connect() as connection:
            for column in (schema.daily_accounts.c.day, schema.daily_events.c.day):
                low, high = connection.execute(select(func.min(column), func.max(column))).one()
                bounds += [pd.Timestamp(v).date() for v in (low, high) if v is not None]
        return (min(bounds), max(bounds)) if bounds else None

    def segments(self) -> list[str]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.accounts.c.segment).distinct().order_by(schema.accounts.c.segment))
            return [row[0] for row in rows]

    def last_load(self) -> datetime | None:
        with self.engine.connect() as connection:
            return connection.execute(select(func.max(schema.etl_runs.c.finished_at))).scalar_one_or_none()

    def _daily(self, table, filters: Filters, *, from_start: bool = True) -> pd.DataFrame:
        statement = select(*table.columns).where(table.c.day <= filters.end)
        if from_start:
            statement = statement.where(table.c.day >= filters.start)
        if filters.segment is not None:
            statement = statement.where(table.c.segment == filters.segment)
        return self._read(statement)

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

    def recovery_attempts(self, filters: Filters) -> pd.DataFrame:
        r, a = schema.recovery_attempts, schema.accounts
        segment = func.coalesce(a.c.segment, literal("unknown")).label("segment")
        statement = (
            select(*r.columns, segment)
            .select_from(r.outerjoin(a, a.c.account_number == r.c.account_number))
            .where(r.c.started_day.between(filters.start, filters.end))
            .order_by(r.c.started_at, r.c.attempt_id)
        )
        if filters.segment is not None:
            statement = statement.where(segment == filters.segment)
        attempts = self._read(statement).rename(columns={"started_day": "day"})
        return attempts[list(ATTEMPT_EXPORT_COLUMNS)]

    def accounts(
        self,
        filters: Filters,
        only: AccountFilters = AccountFilters(),
        *,
        unmasked: bool = False,
    ) -> pd.DataFrame:
        """Accounts with their failed recovery attempts and lockouts inside the view's range."""
        a, r, lk = schema.accounts, schema.recovery_attempts, schema.daily_lockouts
        failed = (
            select(r.c.account_number, func.count().label("n"))
            .where(and_(r.c.outcome == "failed", r.c.started_day.between(filters.start, filters.end)))
            .group_by(r.c.account_number)
            .subquery()
        )
        locked = (
            select(lk.c.account_number, func.sum(lk.c.lockouts).label("n"))
            .where(lk.c.day.between(filters.start, filters.end))
            .group_by(lk.c.account_number)
            .subquery()
        )
        failed_count = func.coalesce(failed.c.n, 0)
        statement = (
            select(
                *(a.c[name] for name in ACCOUNT_EXPORT_COLUMNS if name in a.c),
                failed_count.label("failed_recovery_attempts"),
                func.coalesce(locked.c.n, 0).label("lockouts"),
            )
            .select_from(
                a.outerjoin(failed, failed.c.account_number == a.c.account_number).outerjoin(
                    locked, locked.c.account_number == a.c.account_number
                )
            )
            .order_by(a.c.account_number)
        )
        conditions = []
        if filters.segment is not None:
            conditions.append(a.c.segment == filters.segment)
        if only.email_status is not None:
            conditions.append(a.c.email_status == only.email_status)
        if only.portal_access is not None:
            conditions.append(a.c.portal_access == only.portal_access)
        if only.has_failed_recovery is not None:
            conditions.append((failed_count > 0) if only.has_failed_recovery else (failed_count == 0))
        if conditions:
            statement = statement.where(and_(*conditions))
        frame = self._read(statement)
        frame["failed_recovery_attempts"] = frame["failed_recovery_attempts"].astype("int64")
        frame["lockouts"] = frame["lockouts"].astype("int64")
        if not unmasked:
            frame["email"] = mask_emails(frame["email"])
            frame["username"] = mask_usernames(frame["username"])
        return frame[list(ACCOUNT_EXPORT_COLUMNS)]

    def activity(self, account_number: str, filters: Filters | None = None) -> pd.DataFrame:
        """One account's events, oldest first."""
        e = schema.events
        statement = select(*(e.c[name] for name in ACTIVITY_EXPORT_COLUMNS)).where(e.c.account_number == account_number)
        if filters is not None:
            statement = statement.where(e.c.occurred_day.between(filters.start, filters.end))
        return self._read(statement.order_by(e.c.occurred_utc, e.c.event_id))

    def quality(self) -> pd.DataFrame:
        """Quarantined rows with their reasons, unmapped event types, and orphan events, in one table."""
        q, e, a = schema.quarantine, schema.events, schema.accounts
        quarantined = self._read(
            select(
                literal("quarantined").label("issue"),
                q.c.source_table,
                q.c.row_key,
                q.c.reason.label("detail"),
                literal(1).label("rows"),
            ).order_by(q.c.source_table, q.c.row_key)
        )
        unmapped = self._read(
            select(
                literal("unmapped_event_type").label("issue"),
                literal("activity_log").label("source_table"),
                e.c.source_event_type.label("row_key"),
                literal("mapped to other").label("detail"),
                func.count().label("rows"),
            )
            .where(e.c.event_type == "other")
            .group_by(e.c.source_event_type)
            .order_by(e.c.source_event_type)
        )
        orphans = self._read(
            select(
                literal("orphan_event").label("issue"),
                literal("activity_log").label("source_table"),
                e.c.event_id.label("row_key"),
                e.c.account_number.label("detail"),
                literal(1).label("rows"),
            )
            .select_from(e.outerjoin(a, a.c.account_number == e.c.account_number))
            .where(and_(e.c.account_number.is_not(None), a.c.account_number.is_(None)))
            .order_by(e.c.occurred_utc, e.c.event_id)
        )
        frames = [frame for frame in (quarantined, unmapped, orphans) if not frame.empty]
        if not frames:
            return pd.DataFrame({column: pd.Series(dtype="object") for column in QUALITY_COLUMNS})
        table = pd.concat(frames, ignore_index=True)
        table["rows"] = table["rows"].astype("int64")
        return table[list(QUALITY_COLUMNS)]
