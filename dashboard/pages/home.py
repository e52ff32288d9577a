"""Overview: the headline figures for the chosen range, each against the previous range of equal length."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth.roles import Permission
from dashboard.charts import overview
from dashboard.data.metrics import previous_range
from dashboard.web.layout import SPARKLINE_CONFIG, chart_card, download_link, page_layout, register_page
from dashboard.web.urls import KPI_PAGES, OVERVIEW, page_href

register_page(__name__, OVERVIEW, "Overview", 0, Permission.VIEW_CHARTS, warm=True)


def _page_name(path: str) -> str:
    """The name a page is registered (and shown in the navbar) with; its path if no page is there."""
    return next((page["name"] for page in dash.page_registry.values() if page["path"] == path), path)


def _card(row: dict, filters, trend, trend_grain: str, comparable: bool, share: dict | None = None) -> dbc.Col:
    """One figure's card; `share` is the row of its share of enrolled accounts, written under the value."""
    kpi = row["kpi"]
    change = overview.describe_change(kpi, row["change"], comparable=comparable)
    versus = f" vs {overview.format_value(kpi, row['previous'])}" if change.verdict != "none" else ""
    explained_by = KPI_PAGES[kpi]
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
                    html.Span(f"{change.arrow} {change.text}".strip(), style={"color": change.color}),
                    html.Span(versus, className="text-muted"),
                ],
                className="small",
                title=change.title,
                id={"type": "kpi-change", "kpi": kpi},
            ),
            dcc.Graph(
                id={"type": "kpi-trend", "kpi": kpi},
                figure=overview.sparkline(kpi, trend, trend_grain, row["label"]),
                config=SPARKLINE_CONFIG,
                style={"height": "64px"},
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


def body(warehouse, filters):
    trend_filters = overview.trend_filters(filters)
    kpis, tables = warehouse.overview(filters, trend_filters)
    before = previous_range(filters)
    comparable = overview.comparable(filters, warehouse.extent())
    rows = kpis.to_dict("records")
    shares = {overview.SHOWN_ON[row["kpi"]]: row for row in rows if row["kpi"] in overview.SHOWN_ON}
    cards = [
        _card(
            row,
            filters,
            overview.trend_series(row["kpi"], tables),
            trend_filters.grain,
            comparable,
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
    children.append(dbc.Row(cards, className="g-2"))
    note = (
        f"Counts of accounts are as on {filters.end:%Y-%m-%d}; counts of attempts and events fall inside the range. "
        f"Each change is against the previous {(filters.end - filters.start).days + 1:,} days "
        f"({before.start:%Y-%m-%d} – {before.end:%Y-%m-%d}); green is better news, vermillion worse, grey neither. "
        f"Trend lines are per {trend_filters.grain}."
    )
    return chart_card("Headline figures", html.Div(children), download_link("kpis", filters), note=note)


layout = page_layout(
    "Overview",
    "Portal adoption, placeholder emails, failed recovery, resets and lockouts at a glance.",
    body,
)
