"""Figures of the recovery page: attempts by outcome and by failure reason over time, and the step
funnel with its drop-off; the slice of accounts with repeated failed attempts the page lists."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.common import COLORS, base_layout, drill_query, empty_figure, is_empty
from dashboard.charts.over_time import CLICK_HINT, Series, bars_over_time
from dashboard.charts.palette import SELF_SERVICE
from dashboard.data.metrics import OUTCOMES
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from portal.vocabulary import RECOVERY_FAILURES

REPEATED_FAILURES = 2
"""An account with at least this many failed attempts in the range is listed as a repeat."""
NO_ACCOUNT_NOTE = (
    "Attempts with no account (requests for an email the portal does not know) are counted in the "
    "charts, but have no account to list when you click."
)
UNKNOWN_EMAIL_HINT = (
    "<br><i>A request for an unknown email names no account,<br>so its account list is usually empty</i>"
)


def outcomes_figure(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Attempts per period stacked by outcome; a segment opens the accounts with such an attempt then."""
    if is_empty(table, OUTCOMES):
        return empty_figure("No recovery attempts in this range")
    series = [Series(outcome, AccountFilters(outcome=outcome)) for outcome in OUTCOMES]
    return bars_over_time(table, filters, series, unit="attempts", y_title="Recovery attempts")


def failure_reasons_figure(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Failed attempts per period stacked by the reason they failed; a segment opens those accounts."""
    if is_empty(table, RECOVERY_FAILURES):
        return empty_figure("No failed attempts in this range")
    series = [Series(reason, AccountFilters(failure_reason=reason)) for reason in RECOVERY_FAILURES]
    figure = bars_over_time(table, filters, series, unit="failed attempts", y_title="Failed attempts")
    unknown = figure.data[RECOVERY_FAILURES.index("recovery_email_unknown")]
    unknown.hovertemplate = unknown.hovertemplate.replace(CLICK_HINT, UNKNOWN_EMAIL_HINT)
    return figure


def _step_text(row) -> str:
    if row.step_number == 0 or pd.isna(row.drop_off_rate):
        return f"{row.attempts:,}"
    return f"{row.attempts:,}  (−{row.drop_off:,}, {row.drop_off_rate:.1%} drop-off)"


def funnel_figure(funnel: pd.DataFrame, filters: Filters) -> go.Figure:
    """Attempts reaching each forgot-password step, with the drop-off from the step before."""
    if is_empty(funnel, ["attempts"]):
        return empty_figure("No recovery attempts in this range")
    labels = [step_label(step) for step in funnel["step"]]
    drills = [drill_query(filters, AccountFilters(step=int(k))) for k in funnel["step_number"]]
    dropped = [
        "" if k == 0 or pd.isna(rate) else f"<br>Dropped since the step before: {lost:,} attempts ({rate:.1%})"
        for k, lost, rate in zip(funnel["step_number"], funnel["drop_off"], funnel["drop_off_rate"], strict=True)
    ]
    colours = [COLORS["succeeded"] if k == len(funnel) - 1 else SELF_SERVICE for k in funnel["step_number"]]
    widest = int(funnel["attempts"].max())
    # Centred horizontal bars drawn as a funnel: Plotly's funnel trace is not in the cartesian bundle
    # the dashboard serves (dashboard/plotly_bundle.py), and bars read the same.
    figure = go.Figure(
        go.Bar(
            orientation="h",
            y=labels,
            x=funnel["attempts"],
            base=[(widest - attempts) / 2 for attempts in funnel["attempts"]],
            customdata=drills,
            text=[_step_text(row) for row in funnel.itertuples()],
            textposition="inside",
            insidetextanchor="middle",
            hovertext=dropped,
            marker={"color": colours},
            hovertemplate="%{y}: %{x:,} attempts reached this step%{hovertext}" + CLICK_HINT + "<extra></extra>",
        )
    )
    figure = base_layout(figure, y_title="Step reached", height=320)
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(visible=False, range=[0, widest])
    return figure


def step_label(step: str) -> str:
    return step[:1].upper() + step[1:]


REPEATS = AccountFilters(min_failed=REPEATED_FAILURES)
