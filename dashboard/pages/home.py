"""Overview: the headline figures for the chosen range, each against the previous range, and what lies
outside its usual range in the last whole week."""

from dataclasses import replace
from datetime import timedelta

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth.roles import Permission
from dashboard.charts import overview
from dashboard.data.metrics import previous_range
from dashboard.data.view import period_label
from dashboard.web.layout import SPARKLINE_CONFIG, chart_card, described, download_link, page_layout, register_page
from dashboard.web.urls import KPI_PAGES, OVERVIEW, SERIES_PAGES, page_href

register_page(__name__, OVERVIEW, "Overview", 0, Permission.VIEW_CHARTS, warm=True)


def _page_name(path: str) -> str:
    """The name a page is registered (and shown in the navbar) with; its path if no page is there."""
    return next((page["name"] for page in dash.page_registry.values() if page["path"] == path), path)


def _card(row: dict, filters, trend, trend_grain: str, coverage: str, share: dict | None = None) -> dbc.Col:
    """One figure's card; `share` is the row of its share of enrolled accounts, written under the value."""
    kpi = row["kpi"]
    change = overview.describe_change(kpi, row["change"], row["previous"], coverage=coverage)
    versus = f" vs {overview.format_value(kpi, row['previous'])}" if change.verdict != "none" else ""
    explained_by = KPI_PAGES[kpi]
    line = overview.sparkline(kpi, trend, trend_grain, row["label"])
    href = page_href(explained_by, filters)
    share_line = share and html.Div(
        f"{overview.format_value(share['kpi'], share['value'])} of enrolled",
        className="small text-muted",
        id={"type": "kpi-value", "kpi": share["kpi"]},
    )
    body = dbc.CardBody(
        [
            dcc.Link(row["label"], href=href, className="small fw-semibold text-body text-decoration-none"),
            html.Div(
                overview.format_value(kpi, row["value"]),
                className="fs-3 fw-bold lh-sm",
                id={"type": "kpi-value", "kpi": kpi},
            ),
            share_line,
            html.Div(
                [
                    html.Span(f"{change.arrow} {change.text} {change.word}".strip(), style={"color": change.color}),
                    html.Span(versus, className="text-muted"),
                ],
                className="small",
                title=change.title,
                id={"type": "kpi-change", "kpi": kpi},
            ),
            described(
                dcc.Graph(
                    id={"type": "kpi-trend", "kpi": kpi}, figure=line, config=SPARKLINE_CONFIG, style={"height": "64px"}
                ),
                line,
                f"kpi-trend-{kpi}",
                f"{row['label']} per {trend_grain}",
            ),
            dcc.Link(
                f"Open {_page_name(explained_by)} →",
                href=href,
                className="small",
                id={"type": "kpi-link", "kpi": kpi},
            ),
        ],
        className="p-2",
    )
    return dbc.Col(
        dbc.Card(body, className="h-100", id={"type": "kpi-card", "kpi": kpi}), xs=12, md=6, xl=3, className="mb-2"
    )


UNUSUAL_CONTEXT = {"week": timedelta(weeks=11), "day": timedelta(weeks=4)}
"""How far back an unusual figure's link shows its page: enough periods to see the usual range."""


def unusual_strip(warehouse, filters) -> html.Div:
    """What lies outside its usual range in the last whole week of the view and on its last day, each
    linked to its page over the periods before it; or that nothing does."""
    groups, judged_any = [], []
    for period, judged in warehouse.unusual_now(filters):
        when = f"in the week of {period.start:%Y-%m-%d}" if period.grain == "week" else f"on {period.start:%a %Y-%m-%d}"
        judged_any.append(when)
        context = replace(period, start=period.start - UNUSUAL_CONTEXT[period.grain])
        items = [
            html.Li(
                dcc.Link(
                    overview.describe_unusual(row),
                    href=page_href(SERIES_PAGES[row["series"]], context),
                    className="alert-link fw-normal",
                ),
                id={"type": "unusual", "series": row["series"], "grain": period.grain},
            )
            for row in judged.to_dict("records")
            if row["outside"]
        ]
        if items:
            groups += [html.Div(f"Outside the usual range {when}:", className="fw-semibold"), html.Ul(items)]
    if groups:
        return dbc.Alert(groups, color="warning", className="py-2 small", id="unusual-strip")
    if not judged_any:
        return html.Div()
    when = " and ".join(judged_any)
    text = (
        f"{when[0].upper()}{when[1:]}, lockouts, failed recovery and staff resets were all inside their usual ranges."
    )
    return html.P(text, className="small mb-2", id="unusual-none")


def body(warehouse, filters):
    trend_filters = overview.trend_filters(filters)
    kpis, tables = warehouse.overview(filters, trend_filters)
    before = previous_range(filters)
    coverage = overview.previous_coverage(filters, warehouse.extent())
    rows = kpis.to_dict("records")
    shares = {overview.SHOWN_ON[row["kpi"]]: row for row in rows if row["kpi"] in overview.SHOWN_ON}
    cards = [
        _card(
            row,
            filters,
            overview.trend_series(row["kpi"], tables),
            trend_filters.grain,
            coverage,
            shares.get(row["kpi"]),
        )
        for row in rows
        if row["kpi"] not in overview.SHOWN_ON
    ]
    children = []
    if not overview.has_any_figure(kpis):
        children.append(
            dbc.Alert(
                "No accounts or events in this view"
                + (f" for segment “{filters.segment}”" if filters.segment else "")
                + ": pick another range or segment.",
                color="info",
                id="overview-empty",
            )
        )
    children.append(unusual_strip(warehouse, filters))
    children.append(dbc.Row(cards, className="g-2"))
    note = (
        f"Counts of accounts are as on {filters.end:%Y-%m-%d}; counts of attempts and events fall inside the range. "
        f"Each change is against the previous range ({period_label(before)}), as a count and a percentage "
        "of it (rates in percentage points); better or worse news says so in words, in green or vermillion. "
        f"Trend lines are per {trend_filters.grain}."
    )
    return chart_card("Headline figures", html.Div(children), download_link("kpis", filters), note=note)


layout = page_layout(
    "Overview",
    "Portal adoption, placeholder emails, failed recovery, resets and lockouts at a glance.",
    body,
)
