"""How an alert reads and where it leads: one line in plain words, the chart page of its series with its
period marked, the accounts behind it, and the banner every page shows while alerts are open.

The banner is drawn for every view, outside the kept page (dashboard/web/page_cache.py), like the
freshness warnings: an alert opens or is acknowledged without a new load to key a kept page by.
"""

from __future__ import annotations

from datetime import timedelta

import dash_bootstrap_components as dbc
from dash import dcc

from dashboard.auth.guard import can
from dashboard.auth.roles import Permission
from dashboard.charts.adoption import NEWLY_ENROLLED
from dashboard.charts.common import drill_query
from dashboard.charts.lockouts import LOCKED
from dashboard.data.alert_list import ListedAlert, open_alerts, period_end
from dashboard.data.band_words import figure, is_rate, series_label, usual_range
from dashboard.data.metrics import RESET_TYPES
from dashboard.data.series import SERIES
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.data.warehouse import Warehouse
from dashboard.web.marking import MARK
from dashboard.web.urls import (
    ALERTS,
    OVERVIEW,
    SERIES_PAGES,
    page_href,
    slice_href,
)
from portal.vocabulary import RECOVERY_FAILURES

STAFF_RESETS = AccountFilters(event_type=(RESET_TYPES["staff_resets"],))
FAILED = AccountFilters(outcome="failed")
SLICES: dict[str, AccountFilters] = {
    "lockout_events": LOCKED,
    "accounts_locked": LOCKED,
    "failed_recovery_attempts": FAILED,
    **{f"failed_recovery_{reason}": AccountFilters(failure_reason=reason) for reason in RECOVERY_FAILURES},
    "recovery_success_rate": FAILED,
    "staff_resets": STAFF_RESETS,
    "staff_share_of_resets": STAFF_RESETS,
    "new_enrollments": NEWLY_ENROLLED,
}
"""The accounts behind each series, as its chart's bars slice them: for a rate, the accounts of the events
that moved it (failed attempts, staff resets)."""
WEEKS_BEFORE = 12
DAYS_BEFORE = 27
"""How much of the series the chart link shows before the alert's period: about the 8 periods the band is
drawn from, and a few more to see the wave rise against them."""
BANNER_LISTED = 3
"""Open alerts the banner names; past that it says how many more the Alerts page lists."""


def period_words(alert: ListedAlert) -> str:
    """`week of 2026-10-19`, `on 2026-10-19`; a run of periods says where it ends."""
    word = "week of" if alert.grain == "week" else "on"
    text = f"{word} {alert.period_start.isoformat()}"
    if alert.last_period_start != alert.period_start:
        text += f" through {period_end(alert.last_period_start, alert.grain).isoformat()}"
    return text


def rule_words(key: str) -> str:
    """A rule key (`lockout_events/week/up/*`) as the rule filter shows it: `Lockout events, weekly, up`."""
    parts = key.split("/")
    if len(parts) != 4:
        return key
    series, grain, direction, segment = parts
    label = SERIES[series].label if series in SERIES else series
    every = {"day": "daily", "week": "weekly"}.get(grain, grain)
    return f"{label}, {every}, {direction}" + ("" if segment == "*" else f", {segment}")


def describe(alert: ListedAlert) -> str:
    """`Lockout events week of 2026-10-19 above usual 0-5 (31)`: the alert in one line."""
    side = "above" if alert.direction == "up" else "below"
    return (
        f"{series_label(alert.series, alert.segment)} {period_words(alert)} {side} usual "
        f"{usual_range(alert.low, alert.high, is_rate(alert.series))} ({figure(alert.value, is_rate(alert.series))})"
    )


def chart_href(alert: ListedAlert) -> str:
    """The page that draws the series, over the periods before the alert's and through its last, at its
    grain and segment, with its first period marked (`mark`, dashboard/web/marking.py)."""
    page = SERIES_PAGES.get(alert.series, OVERVIEW)
    before = timedelta(weeks=WEEKS_BEFORE) if alert.grain == "week" else timedelta(days=DAYS_BEFORE)
    view = Filters(
        alert.period_start - before, period_end(alert.last_period_start, alert.grain), alert.grain, alert.segment
    )
    return f"{page_href(page, view)}&{MARK}={alert.period_start.isoformat()}"


def accounts_href(alert: ListedAlert) -> str | None:
    """The account list of the series' slice over the alert's periods; None for a series with no slice."""
    only = SLICES.get(alert.series)
    if only is None:
        return None
    view = Filters(alert.period_start, period_end(alert.last_period_start, alert.grain), alert.grain, alert.segment)
    return slice_href(drill_query(view, only))


BANNER_ID = "alerts-banner"


def alerts_banner(warehouse: Warehouse) -> dbc.Alert | None:
    """While alerts are open, one line naming them and linking to the Alerts page, for roles that see
    charts. Acknowledged alerts stay in it, saying so, until their series is back inside the band: the
    banner says what is unusual, not who is on it; it turns from warning to information once every open
    alert is acknowledged."""
    if not can(Permission.VIEW_CHARTS):
        return None
    found = open_alerts(warehouse.engine)
    if not found:
        return None
    found.sort(key=lambda a: a.acknowledged)  # the ones nobody has taken on first
    count = f"{len(found)} open alert{'s' if len(found) != 1 else ''}"
    parts = [
        describe(a) + (f", acknowledged by {a.acknowledged_by}" if a.acknowledged else "")
        for a in found[:BANNER_LISTED]
    ]
    more = len(found) - BANNER_LISTED
    if more > 0:
        parts.append(f"and {more} more")
    return dbc.Alert(
        [dcc.Link(count, href=ALERTS, className="alert-link", id=f"{BANNER_ID}-link"), ": ", "; ".join(parts)],
        color="info" if all(a.acknowledged for a in found) else "warning",
        className="small py-2 px-3 mt-1 mb-0",
        id=BANNER_ID,
    )
