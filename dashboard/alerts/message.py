"""What an alert says, by email and webhook alike: the series, the period, its figure against the usual
band, and a link to the dashboard view of that period.

Built from the stored alert alone, which holds counts, rates and series names: no account, email or
username ever reaches a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.alerts.store import OPENED, Alert
from dashboard.data.band_words import figure, is_rate, series_label, usual_range
from dashboard.data.view import Filters
from dashboard.web.urls import OVERVIEW, SERIES_PAGES, page_href

PRODUCT = "Billing portal analytics"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    link: str


def link(alert: Alert, dashboard_url: str) -> str:
    """The page that draws the series, showing exactly the alert's period at its grain and segment."""
    page = SERIES_PAGES.get(alert.series, OVERVIEW)
    view = Filters(alert.period_start, alert.period_end, alert.grain, alert.segment)
    return dashboard_url.rstrip("/") + page_href(page, view)


def describe(alert: Alert) -> str:
    """What the alert found, in one sentence: the opening message's first line and the digest's item."""
    label, _rate, period, scope, figures = _parts(alert)
    side = "above" if alert.direction == "up" else "below"
    return f"{label} ({scope}) was {side} its usual band in {period}: {figures}."


def _parts(alert: Alert) -> tuple[str, bool, str, str, str]:
    label = series_label(alert.series)
    rate = is_rate(alert.series)
    scope = f"segment {alert.segment}" if alert.segment else "all segments"
    usual = usual_range(alert.low, alert.high, rate)
    figures = f"{figure(alert.value, rate)}, usual {figure(alert.usual, rate)} (band {usual})"
    return label, rate, _period(alert), scope, figures


def compose(alert: Alert, change: str, dashboard_url: str) -> Message:
    """The message for an alert's opening or closing."""
    label, _rate, period, scope, figures = _parts(alert)
    target = link(alert, dashboard_url)
    if change == OPENED:
        subject = f"[{PRODUCT}] {label} {alert.direction} in {period}: {figures}"
        lines = [
            describe(alert),
            f"Rule: {alert.rule_key}. Opened {alert.opened_at:%Y-%m-%d %H:%M} UTC.",
        ]
    else:
        subject = f"[{PRODUCT}] Closed: {label} back inside its usual band ({period})"
        lines = [
            f"The alert on {label} ({scope}) for {period}, {figures}, is closed.",
            f"Why: {alert.close_reason}",
        ]
    return Message(subject, "\n".join([*lines, f"View: {target}", ""]), target)


def _period(alert: Alert) -> str:
    if alert.grain == "day":
        return f"{alert.period_start:%a %d %b %Y}"
    return f"the week of {alert.period_start:%a %d %b %Y} to {alert.period_end:%a %d %b %Y}"
