"""The alerts the warehouse keeps: one per rule and period, each change of state in its history, each
delivery per change and channel, and each evaluation.

Every write takes the caller's connection, so one evaluation's changes commit together, or (a dry run)
not at all. Times are naive UTC, as the warehouse keeps every instant.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, and_, insert, select, update

from dashboard.alerts.evaluate import Judgement
from dashboard.data.alert_list import CLOSED, OPENED, STILL_OUTSIDE, Alert
from portal import schema

__all__ = ["CLOSED", "OPENED", "STILL_OUTSIDE", "Alert"]
SENT, FAILED = "sent", "failed"


def _alert(row) -> Alert:
    values = dict(row._mapping)
    for name in ("period_start", "last_period_start"):
        if isinstance(values[name], datetime):
            values[name] = values[name].date()
    return Alert(**values)


def open_alerts(connection: Connection) -> list[Alert]:
    table = schema.alerts
    rows = connection.execute(select(table).where(table.c.state == OPENED).order_by(table.c.alert_id))
    return [_alert(row) for row in rows]


def alerts_of_rule(connection: Connection, rule_key: str) -> list[Alert]:
    """The rule's alerts, oldest period first."""
    table = schema.alerts
    rows = connection.execute(select(table).where(table.c.rule_key == rule_key).order_by(table.c.period_start))
    return [_alert(row) for row in rows]


def alert(connection: Connection, alert_id: int) -> Alert:
    return _alert(connection.execute(select(schema.alerts).where(schema.alerts.c.alert_id == alert_id)).one())


def all_alerts(connection: Connection) -> list[Alert]:
    rows = connection.execute(select(schema.alerts).order_by(schema.alerts.c.alert_id))
    return [_alert(row) for row in rows]


def open_alert(connection: Connection, judged: Judgement, now: datetime, detail: str) -> int:
    """A new alert for the judged period, with its first history entry."""
    s = judged.rule.settings
    alert_id = connection.execute(
        insert(schema.alerts).values(
            rule_key=judged.rule.key,
            series=s.series,
            grain=s.grain,
            segment=s.segment,
            direction=s.direction,
            period_start=judged.period_start,
            last_period_start=judged.period_start,
            value=judged.value,
            usual=judged.usual,
            low=judged.low,
            high=judged.high,
            state=OPENED,
            opened_at=now,
        )
    ).inserted_primary_key[0]
    _history(connection, alert_id, OPENED, judged, now, detail)
    return alert_id


def extend(connection: Connection, alert_id: int, judged: Judgement, now: datetime, detail: str) -> None:
    """The next period is still outside: the same alert runs on through it."""
    table = schema.alerts
    connection.execute(update(table).where(table.c.alert_id == alert_id).values(last_period_start=judged.period_start))
    _history(connection, alert_id, STILL_OUTSIDE, judged, now, detail)


def close(connection: Connection, alert: Alert, judged: Judgement | None, now: datetime, reason: str) -> None:
    """Back inside the band (or no longer outside once judged again): closed, saying when and why. Without
    a judgement (its rule left the config) the history entry names the alert's last period, no figures."""
    table = schema.alerts
    connection.execute(
        update(table).where(table.c.alert_id == alert.alert_id).values(state=CLOSED, closed_at=now, close_reason=reason)
    )
    if judged is None:
        entry = {"period_start": alert.last_period_start}
        connection.execute(
            insert(schema.alert_history).values(alert_id=alert.alert_id, at=now, change=CLOSED, detail=reason, **entry)
        )
    else:
        _history(connection, alert.alert_id, CLOSED, judged, now, reason)


def _history(connection: Connection, alert_id: int, change: str, judged: Judgement, now: datetime, detail: str):
    connection.execute(
        insert(schema.alert_history).values(
            alert_id=alert_id,
            at=now,
            change=change,
            period_start=judged.period_start,
            value=judged.value,
            usual=judged.usual,
            low=judged.low,
            high=judged.high,
            detail=detail,
        )
    )


def history(connection: Connection, alert_id: int) -> list[dict]:
    table = schema.alert_history
    rows = connection.execute(select(table).where(table.c.alert_id == alert_id).order_by(table.c.entry_id))
    return [dict(row._mapping) for row in rows]


def changes_since(connection: Connection, since: datetime) -> list[tuple[Alert, str]]:
    """Openings and closings recorded since `since`, oldest first: what may still be owed a delivery."""
    table = schema.alert_history
    rows = connection.execute(
        select(table.c.alert_id, table.c.change)
        .where(table.c.at >= since, table.c.change.in_((OPENED, CLOSED)))
        .order_by(table.c.entry_id)
    ).all()
    return [(alert(connection, row.alert_id), row.change) for row in rows]


def delivered(connection: Connection, alert_id: int, change: str, channel: str) -> bool:
    table = schema.alert_deliveries
    state = connection.execute(
        select(table.c.state).where(
            and_(table.c.alert_id == alert_id, table.c.change == change, table.c.channel == channel)
        )
    ).scalar_one_or_none()
    return state == SENT


def record_delivery(
    connection: Connection, alert_id: int, change: str, channel: str, *, tries: int, now: datetime, error: str | None
) -> None:
    """Sent (error None) or failed after `tries`; a later failure adds its tries to the earlier ones."""
    key = {"alert_id": alert_id, "change": change, "channel": channel}
    record_try(connection, schema.alert_deliveries, key, tries=tries, now=now, error=error)


def record_try(
    connection: Connection, table, key: dict[str, object], *, tries: int, now: datetime, error: str | None
) -> None:
    """One delivery's outcome in `table` (alert deliveries, digests), the row `key` names by its primary
    key: sent (error None) or failed after `tries`, a later try adding its tries to the earlier ones."""
    where = and_(*(table.c[name] == value for name, value in key.items()))
    before = connection.execute(select(table.c.tries).where(where)).scalar_one_or_none()
    values = {
        "state": FAILED if error else SENT,
        "tries": (before or 0) + tries,
        "last_try_at": now,
        "sent_at": None if error else now,
        "error": error,
    }
    if before is None:
        connection.execute(insert(table).values(**key, **values))
    else:
        connection.execute(update(table).where(where).values(**values))


def deliveries(connection: Connection) -> list[dict]:
    table = schema.alert_deliveries
    rows = connection.execute(select(table).order_by(table.c.alert_id, table.c.change, table.c.channel))
    return [dict(row._mapping) for row in rows]


def last_complete_through(connection: Connection) -> date | None:
    """The last whole day the previous successful evaluation judged; None before the first."""
    table = schema.alert_checks
    value = connection.execute(
        select(table.c.complete_through)
        .where(table.c.status == "ok", table.c.complete_through.is_not(None))
        .order_by(table.c.check_id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return value.date() if isinstance(value, datetime) else value


def record_check(connection: Connection, **values) -> None:
    """One evaluation: started_at, finished_at, trigger, complete_through, status, opened, closed,
    deliveries_failed, error."""
    connection.execute(insert(schema.alert_checks).values(**values))


def checks(connection: Connection) -> list[dict]:
    table = schema.alert_checks
    return [dict(row._mapping) for row in connection.execute(select(table).order_by(table.c.check_id))]
