"""The alerts as people read them: the Alerts page's list and filters, the banner's open alerts, the
`alerts` export, and acknowledging one with a note.

The evaluation (dashboard/alerts) writes the alerts; this module only reads them and adds
acknowledgements. It sits in the data layer, below the pages and the exports that read it, as the
audit log's filters do (dashboard/data/audit.py). An acknowledgement is an entry of the alert's history
(`change` = `acknowledged`, the note as its `detail`, the user as its `actor`), written in one
transaction with its audit entry, so neither stands without the other. It does not close the alert:
that happens only when its series is back inside the band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, and_, case, func, insert, select

from dashboard.auth.store import record
from dashboard.data.params import BadParameter, check_known, parse_choice, parse_text
from portal import schema

OPENED, STILL_OUTSIDE, CLOSED, ACKNOWLEDGED = "opened", "still_outside", "closed", "acknowledged"
"""An alert's states (opened, closed) and the changes its history records (all four)."""
STATES = ("open", "unacknowledged", "acknowledged", "closed")
"""The page's state filter: every open alert, the open ones nobody has acknowledged yet, the open ones
someone has, and the closed ones."""
ALERT_PARAMETERS = frozenset({"rule", "state"})
NOTE_LIMIT = 500
"""The longest note kept: a line or two for the next person, not a report."""
AUDIT_ACTION = "alert_acknowledged"
EXPORT_COLUMNS = (
    "alert_id",
    "rule",
    "series",
    "grain",
    "segment",
    "direction",
    "period_start",
    "last_period_start",
    "state",
    "opened_at",
    "closed_at",
    "close_reason",
    "value",
    "usual_low",
    "usual_high",
    "median",
    "acknowledged_by",
    "acknowledged_at",
    "note",
)


@dataclass(frozen=True)
class AlertFilters:
    """Which alerts to list or export: one rule (its key) or all, and one state of STATES or all."""

    rule: str | None = None
    state: str | None = None

    def query(self) -> dict[str, str]:
        return {name: value for name, value in (("rule", self.rule), ("state", self.state)) if value}

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> AlertFilters:
        """The filters from a query string, strictly; raises BadParameter naming the first bad one. A rule
        is any text: one no alert has lists nothing, as a rule added to the config has no alerts yet."""
        check_known(args, ALERT_PARAMETERS)
        rule = parse_text(args, "rule")
        if rule is not None and len(rule) > 300:
            raise BadParameter("rule is longer than any rule key (300 characters)")
        return cls(rule=rule, state=parse_choice(args, "state", STATES))


@dataclass(frozen=True)
class Alert:
    """A stored alert, as the evaluation, delivery and the pages read it. Times are naive UTC, as the
    warehouse keeps them."""

    alert_id: int
    rule_key: str
    series: str
    grain: str
    segment: str | None
    direction: str
    period_start: date
    last_period_start: date
    value: float
    usual: float
    low: float
    high: float
    state: str
    opened_at: datetime
    closed_at: datetime | None
    close_reason: str | None

    @property
    def period_end(self) -> date:
        return period_end(self.period_start, self.grain)

    def covers(self, period: date) -> bool:
        return self.period_start <= period <= self.last_period_start


def period_end(start: date, grain: str) -> date:
    """The last day of the day's or ISO week's period that starts on `start`."""
    return start + timedelta(days=6 if grain == "week" else 0)


@dataclass(frozen=True)
class ListedAlert(Alert):
    """An alert with its latest acknowledgement, if any."""

    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    note: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state != CLOSED

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_by is not None


class AcknowledgementRefused(ValueError):
    """Why an alert cannot be acknowledged, in one line for the user."""


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _statement(filters: AlertFilters):
    """The alerts and their latest acknowledgement: open ones first, then newest opened first."""
    alerts, history = schema.alerts, schema.alert_history
    latest = (
        select(history.c.alert_id, func.max(history.c.entry_id).label("entry_id"))
        .where(history.c.change == ACKNOWLEDGED)
        .group_by(history.c.alert_id)
        .subquery()
    )
    ack = history.alias("ack")
    statement = (
        select(
            alerts,
            ack.c.actor.label("acknowledged_by"),
            ack.c.at.label("acknowledged_at"),
            ack.c.detail.label("note"),
        )
        .select_from(
            alerts.outerjoin(latest, latest.c.alert_id == alerts.c.alert_id).outerjoin(
                ack, ack.c.entry_id == latest.c.entry_id
            )
        )
        .order_by(case((alerts.c.state == CLOSED, 1), else_=0), alerts.c.opened_at.desc(), alerts.c.alert_id.desc())
    )
    if filters.rule:
        statement = statement.where(alerts.c.rule_key == filters.rule)
    if filters.state == "closed":
        statement = statement.where(alerts.c.state == CLOSED)
    elif filters.state is not None:
        statement = statement.where(alerts.c.state != CLOSED)
    if filters.state == "acknowledged":
        statement = statement.where(ack.c.entry_id.is_not(None))
    elif filters.state == "unacknowledged":
        statement = statement.where(ack.c.entry_id.is_(None))
    return statement


def listed_alerts(engine: Engine, filters: AlertFilters = AlertFilters()) -> list[ListedAlert]:
    """The alerts the filters select, open ones first, then newest opened first."""
    with engine.connect() as connection:
        rows = connection.execute(_statement(filters)).all()
    out = []
    for row in rows:
        values = dict(row._mapping)
        values["period_start"], values["last_period_start"] = (
            _day(values["period_start"]),
            _day(values["last_period_start"]),
        )
        out.append(ListedAlert(**values))
    return out


def open_alerts(engine: Engine) -> list[ListedAlert]:
    """Every open alert, for the banner every page shows while there is one."""
    return listed_alerts(engine, AlertFilters(state="open"))


def rule_keys(engine: Engine) -> list[str]:
    """The rules that have alerts, for the page's rule filter."""
    alerts = schema.alerts
    with engine.connect() as connection:
        return list(connection.execute(select(alerts.c.rule_key).distinct().order_by(alerts.c.rule_key)).scalars())


def history(engine: Engine, alert_id: int) -> list[dict]:
    """An alert's history, oldest first: each change of state and each acknowledgement."""
    table = schema.alert_history
    with engine.connect() as connection:
        rows = connection.execute(select(table).where(table.c.alert_id == alert_id).order_by(table.c.entry_id))
        return [dict(row._mapping) for row in rows]


def failed_deliveries(engine: Engine, alert_id: int) -> list[dict]:
    """An alert's messages that never went out (each channel still `failed` after every try), so the
    page says who was not told; later checks keep trying them."""
    table = schema.alert_deliveries
    with engine.connect() as connection:
        rows = connection.execute(
            select(table)
            .where(and_(table.c.alert_id == alert_id, table.c.state == "failed"))
            .order_by(table.c.last_try_at)
        )
        return [dict(row._mapping) for row in rows]


def alert_frame(engine: Engine, filters: AlertFilters) -> pd.DataFrame:
    """The `alerts` export: one row per alert, its figures against the usual band (`usual_low`,
    `usual_high` and the `median` the band is drawn around), its state and acknowledgement. Counts and
    rates only: an alert holds no customer's data, so there is nothing to mask."""
    rows = [
        {
            "alert_id": a.alert_id,
            "rule": a.rule_key,
            "series": a.series,
            "grain": a.grain,
            "segment": a.segment,
            "direction": a.direction,
            "period_start": a.period_start,
            "last_period_start": a.last_period_start,
            "state": a.state,
            "opened_at": a.opened_at,
            "closed_at": a.closed_at,
            "close_reason": a.close_reason,
            "value": a.value,
            "usual_low": a.low,
            "usual_high": a.high,
            "median": a.usual,
            "acknowledged_by": a.acknowledged_by,
            "acknowledged_at": a.acknowledged_at,
            "note": a.note,
        }
        for a in listed_alerts(engine, filters)
    ]
    return pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))


def alerts_file_name(filters: AlertFilters) -> str:
    """`alerts_<state>` (or `_all`), then the rule when one is chosen, its `/` and `*` made safe for a file."""
    parts = ["alerts", filters.state or "all", *([filters.rule] if filters.rule else [])]
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in "_".join(parts))


def acknowledge(
    engine: Engine, alert_id: int, actor: str, note: str, now: datetime, *, remote_addr: str | None = None
) -> ListedAlert:
    """Acknowledge an open alert with a note: an `acknowledged` history entry and its audit entry (action
    `alert_acknowledged`, the alert id as target), in one transaction; `now` is naive UTC.

    Raises AcknowledgementRefused for an empty or overlong note, an unknown alert, a closed one (nothing
    left to act on) or one already acknowledged (the first note stands; the history keeps who wrote it).
    The caller checks the permission: this is the one way in, whoever calls it."""
    note = (note or "").strip()
    if not note:
        raise AcknowledgementRefused("write a note: what is being done, or why nothing needs to be")
    if len(note) > NOTE_LIMIT:
        raise AcknowledgementRefused(f"the note is longer than {NOTE_LIMIT} characters")
    alerts, table = schema.alerts, schema.alert_history
    with engine.begin() as connection:
        alert = connection.execute(select(alerts).where(alerts.c.alert_id == alert_id)).first()
        if alert is None:
            raise AcknowledgementRefused(f"there is no alert {alert_id}")
        if alert.state == CLOSED:
            raise AcknowledgementRefused(f"alert {alert_id} is closed already")
        earlier = connection.execute(
            select(table.c.actor).where(and_(table.c.alert_id == alert_id, table.c.change == ACKNOWLEDGED)).limit(1)
        ).scalar_one_or_none()
        if earlier is not None:
            raise AcknowledgementRefused(f"alert {alert_id} is acknowledged already, by {earlier}")
        connection.execute(
            insert(table).values(
                alert_id=alert_id,
                at=now,
                change=ACKNOWLEDGED,
                period_start=alert.last_period_start,
                detail=note,
                actor=actor,
            )
        )
        detail = {"rule": alert.rule_key, "period_start": _day(alert.period_start).isoformat(), "note": note}
        record(connection, actor, AUDIT_ACTION, str(alert_id), detail, remote_addr=remote_addr)
    return next(a for a in listed_alerts(engine) if a.alert_id == alert_id)
