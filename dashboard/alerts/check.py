"""One evaluation from end to end: judge every rule on the periods completed since the last one, open,
extend and close alerts, deliver what is owed, and record it all.

`etl run` starts it after every successful load (as `python -m dashboard alerts check --after-load`) and
an operator can run it at any time; both come here. The state changes of one evaluation commit together
(a dry run rolls them back and sends nothing); each delivery is recorded as it is made, so one that fails
is tried again by the next evaluation and none is sent twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial

from sqlalchemy import Connection

from dashboard.alerts import store
from dashboard.alerts.deliver import DeliveryFailed, post_webhook, send_email, webhook_channel
from dashboard.alerts.evaluate import Judgement, complete_through, judge, last_complete_period
from dashboard.alerts.message import Message, compose
from dashboard.alerts.rules import Rule, recipients, rules_of
from dashboard.data.band_words import figure, usual_range
from dashboard.data.warehouse import Warehouse
from portal.config import Config
from portal.engine import first_line

DELIVERY_WINDOW = timedelta(days=7)
"""How long a change is owed its deliveries: a channel added today does not receive last year's alerts,
and a receiver down for a day still gets what it missed."""
EMAIL = "email"
RULE_GONE = "its rule is no longer in the config, so nothing judges it"
"""Why an open alert closes when its rule is taken out: nothing would ever close it otherwise."""


@dataclass
class CheckSummary:
    """What one evaluation did, and its one-line account."""

    complete_through: date | None = None
    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    sent: int = 0
    failed: list[str] = field(default_factory=list)
    error: str | None = None
    dry_run: bool = False

    def lines(self) -> list[str]:
        head = "alerts (dry run)" if self.dry_run else "alerts"
        if self.error:
            return [f"{head}: evaluation failed: {self.error}"]
        if self.complete_through is None:
            return [f"{head}: nothing loaded yet, nothing judged"]
        out = [f"{head}: opened {text}" for text in self.opened] + [f"{head}: closed {text}" for text in self.closed]
        out += [f"{head}: delivery failed: {text}" for text in self.failed]
        out.append(
            f"{head}: judged through {self.complete_through}, opened {len(self.opened)}, closed {len(self.closed)}, "
            f"deliveries sent {self.sent}, failed {len(self.failed)}"
        )
        return out

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failed


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def check(config: Config, *, trigger: str, dry_run: bool = False, now: Clock = utc_now) -> CheckSummary:
    """Evaluate and deliver; raises ConfigError on bad rules (before anything is judged), records and
    reports any other failure instead of raising it."""
    rules = rules_of(config)
    summary = CheckSummary(dry_run=dry_run)
    warehouse = Warehouse(config.warehouse.url)
    started = now()
    try:
        with warehouse.engine.connect() as connection:
            transaction = connection.begin()
            _evaluate(connection, warehouse, config, rules, summary, now())
            if dry_run:
                transaction.rollback()
                return summary
            transaction.commit()
    except Exception as error:  # recorded and said; rolled back, so nothing it judged stands
        summary.error, summary.opened, summary.closed = first_line(error), [], []
    if summary.error is None:
        try:
            _deliver(warehouse, config, summary, now)
        except Exception as error:  # what was sent is recorded; the rest is owed to the next check
            summary.failed.append(f"delivery stopped: {first_line(error)}")
    if not dry_run:
        with warehouse.engine.begin() as connection:
            store.record_check(
                connection,
                started_at=started,
                finished_at=now(),
                trigger=trigger,
                complete_through=summary.complete_through,
                status="failed" if summary.error else "ok",
                opened=len(summary.opened),
                closed=len(summary.closed),
                deliveries_failed=len(summary.failed),
                error=summary.error,
            )
    return summary


def _evaluate(
    connection: Connection, warehouse: Warehouse, config: Config, rules: list[Rule], summary: CheckSummary, now
) -> None:
    through = complete_through(warehouse, config.zone)
    summary.complete_through = through
    if through is None:
        return
    previous = store.last_complete_through(connection)
    late = timedelta(days=math.ceil(config.late_arrival_hours / 24))
    since = (previous if previous is not None else through) - late
    for rule in rules:
        _apply(connection, warehouse, rule, since, through, summary, now)
    keys = {rule.key for rule in rules}
    for orphan in (a for a in store.open_alerts(connection) if a.rule_key not in keys):
        store.close(connection, orphan, None, now, RULE_GONE)
        summary.closed.append(f"{orphan.rule_key}, {orphan.period_start}: {RULE_GONE}")


def _apply(
    connection: Connection, warehouse: Warehouse, rule: Rule, since: date, through: date, summary, now: datetime
) -> None:
    """Walk the rule's periods in order: outside opens an alert (or runs the open one on), inside closes it.

    Judged are the periods ending after `since` (the last evaluation's last whole day, less the late-arrival
    window, so an event written late is judged again), always the newest whole one, and every period
    after an open alert's last, so it can close."""
    alerts = store.alerts_of_rule(connection, rule.key)
    opened = [a for a in alerts if a.state == store.OPENED]
    first = min([since + timedelta(days=1), last_complete_period(through, rule.settings.grain)])
    if opened:
        first = min(first, opened[-1].last_period_start)
    for judged in judge(warehouse, rule, first, through):
        current = next((a for a in reversed(alerts) if a.state == store.OPENED), None)
        if judged.alerting:
            if any(a.covers(judged.period_start) for a in alerts):
                continue
            if current is not None and judged.period_start > current.last_period_start:
                store.extend(connection, current.alert_id, judged, now, _words(judged, "still outside"))
            else:
                store.open_alert(connection, judged, now, _words(judged, "outside"))
                summary.opened.append(f"{rule.name}, {judged.period_start}: {_figures(judged)}")
        elif current is not None and (
            judged.period_start > current.last_period_start or judged.period_start == current.period_start
        ):
            again = judged.period_start == current.period_start
            reason = _words(judged, "no longer outside when judged again" if again else "back inside")
            store.close(connection, current, judged, now, reason)
            summary.closed.append(f"{rule.name}, {current.period_start}: {reason}")
        alerts = store.alerts_of_rule(connection, rule.key)


def _figures(judged: Judgement) -> str:
    rate = not judged.rule.series.count
    shown = usual_range(judged.low, judged.high, rate)
    return f"{figure(judged.value, rate)} against usual {figure(judged.usual, rate)} (band {shown})"


def _words(judged: Judgement, what: str) -> str:
    """Why, in the history and the closing message: the period and its figures against the band."""
    unit = "day" if judged.rule.settings.grain == "day" else "week of"
    return f"{what} its usual band in the {unit} {judged.period_start}: {_figures(judged)}"


def _deliver(warehouse: Warehouse, config: Config, summary: CheckSummary, now: Clock) -> None:
    """Send every opening and closing of the delivery window not yet sent on each channel, oldest first."""
    settings = config.alerts
    rules = {rule.key: rule for rule in rules_of(config)}
    with warehouse.engine.connect() as connection:
        owed = store.changes_since(connection, now() - DELIVERY_WINDOW)
    for alert, change in owed:
        message = compose(alert, change, settings.dashboard_url)
        for channel, send in _channels(config, rules.get(alert.rule_key)):
            with warehouse.engine.connect() as connection:
                if store.delivered(connection, alert.alert_id, change, channel):
                    continue
            try:
                tries, error = send(message), None
                summary.sent += 1
            except DeliveryFailed as failed:
                tries, error = failed.tries, str(failed)
                summary.failed.append(f"{change} alert {alert.alert_id} by {channel}: {error}")
            with warehouse.engine.begin() as connection:
                store.record_delivery(connection, alert.alert_id, change, channel, tries=tries, now=now(), error=error)


def _channels(config: Config, rule: Rule | None) -> list[tuple[str, Callable[[Message], int]]]:
    """Where a rule's alerts go: email to its recipients when SMTP is set, and every webhook. An alert
    of a rule since removed from the config goes to the default recipients."""
    settings = config.alerts
    to = recipients(rule, config) if rule else settings.email.recipients
    out: list[tuple[str, Callable[[Message], int]]] = []
    if settings.email.host and to:
        out.append((EMAIL, partial(send_email, settings, to)))
    out += [(webhook_channel(url), partial(post_webhook, settings, url)) for url in settings.webhook.urls]
    return out
