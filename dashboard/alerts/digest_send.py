"""Sending the weekly digest: once per ISO week and recipient, through the alerts' SMTP delivery with its
retries, each recipient's send recorded as it is made (`digests`), so a failure for one recipient stops
nobody else's, is said, and is tried again by the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage

from sqlalchemy import Connection, and_, select

from dashboard.alerts import store
from dashboard.alerts.deliver import DeliveryFailed, send_mail
from dashboard.alerts.digest import Digest
from dashboard.alerts.digest_mail import build
from dashboard.data.warehouse import Warehouse
from portal import schema
from portal.config import Config


def recipients(config: Config) -> list[str]:
    """Who wants the digest: the addresses of `alerts.digest.roles` and `alerts.digest.recipients`; raises
    ConfigError (one line, naming the file and the key) for a role with no addresses."""
    digest, roles = config.alerts.digest, config.alerts.email.roles
    for role in digest.roles:
        if role not in roles:
            raise config.error("alerts.digest.roles", f"no addresses for role {role!r} in alerts.email.roles")
    chosen = [*(address for role in digest.roles for address in roles[role]), *digest.recipients]
    return list(dict.fromkeys(chosen))


def message(config: Config, digest: Digest, charts: Mapping[str, bytes], to: list[str]) -> EmailMessage:
    settings = config.alerts
    return build(digest, charts, sender=settings.email.sender, to=to, dashboard_url=settings.dashboard_url)


@dataclass
class SendSummary:
    week: str
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = f"digest {self.week}"
        out = [f"{head}: sent to {address}" for address in self.sent]
        out += [f"{head}: already sent to {address}" for address in self.already]
        out += [f"{head}: failed for {text}" for text in self.failed]
        return out or [f"{head}: no recipients"]

    @property
    def ok(self) -> bool:
        return not self.failed


def send(
    config: Config,
    digest: Digest,
    charts: Mapping[str, bytes],
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> SendSummary:
    """Send the digest to every recipient who has not had this week's; record each send or failure."""
    summary = SendSummary(digest.name)
    warehouse = Warehouse(config.warehouse.url)
    week = digest.week.start
    for address in recipients(config):
        with warehouse.engine.connect() as connection:
            if state(connection, week, address) == store.SENT:
                summary.already.append(address)
                continue
        mail = message(config, digest, charts, [address])
        try:
            tries, error = send_mail(config.alerts, mail, sleep=sleep), None
            summary.sent.append(address)
        except DeliveryFailed as failed:
            tries, error = failed.tries, str(failed)
            summary.failed.append(f"{address}: {error}")
        with warehouse.engine.begin() as connection:
            record(connection, week, address, tries=tries, now=now(), error=error)
    return summary


def owed(config: Config, week: date, to: list[str]) -> list[str]:
    """Those of `to` who have not had the week's digest: nobody means nothing to compose or draw."""
    with Warehouse(config.warehouse.url).engine.connect() as connection:
        return [address for address in to if state(connection, week, address) != store.SENT]


def state(connection: Connection, week: date, recipient: str) -> str | None:
    table = schema.digests
    return connection.execute(
        select(table.c.state).where(and_(table.c.week_start == week, table.c.recipient == recipient))
    ).scalar_one_or_none()


def record(connection: Connection, week: date, recipient: str, *, tries: int, now: datetime, error: str | None) -> None:
    """Sent (error None) or failed after `tries`; a later try adds its tries to the earlier ones."""
    key = {"week_start": week, "recipient": recipient}
    store.record_try(connection, schema.digests, key, tries=tries, now=now, error=error)


def sends(connection: Connection) -> list[dict]:
    """Every recorded digest send, by week and recipient."""
    table = schema.digests
    return [
        dict(row._mapping) for row in connection.execute(select(table).order_by(table.c.week_start, table.c.recipient))
    ]
