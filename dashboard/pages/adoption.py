"""Enrollment adoption, for billing managers."""

import dash_bootstrap_components as dbc
from dash import html

from dashboard.auth.roles import Permission
from dashboard.charts import adoption as charts
from dashboard.web.layout import chart_card, download_link, drill_graph, page_layout, rate_card, register_page
from dashboard.web.urls import ADOPTION

register_page(__name__, ADOPTION, "Adoption", 1, Permission.VIEW_CHARTS, warm=True)

SEGMENT_NOTE = (
    "Share of each segment's accounts with portal access as on the range's end (segment size in brackets). "
    "Click the blue part for the segment's accounts with portal access, the grey part for those without it: "
    "the customers still to invite to the portal."
)


def body(warehouse, filters):
    table = warehouse.adoption(filters)
    segments = warehouse.adoption_by_segment(filters)
    funnel = warehouse.enrollment_funnel(filters)
    return html.Div(
        [
            chart_card(
                "Adoption rate, and enrolled against all accounts",
                drill_graph("adoption-over-time", charts.adoption_over_time(table, filters), clickable=False),
                download_link("adoption", filters),
                note="Accounts standing at each period's last day (or the range's end). "
                "Click a bar of new enrollments below for the accounts behind it.",
            ),
            rate_card(warehouse.rates(filters), "active_share_30d", filters),
            dbc.Row(
                [
                    dbc.Col(
                        chart_card(
                            "New enrollments per period",
                            drill_graph("new-enrollments", charts.new_enrollments(table, filters)),
                            note="Accounts given portal access in each period (in the CSV of the chart above). "
                            "Click a bar for the accounts that enrolled in that period.",
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        chart_card(
                            "Adoption by segment",
                            drill_graph("adoption-by-segment", charts.by_segment(segments, filters)),
                            download_link("adoption_by_segment", filters),
                            note=SEGMENT_NOTE,
                        ),
                        lg=6,
                    ),
                ]
            ),
            chart_card(
                "Enrollment funnel",
                drill_graph("enrollment-funnel", charts.enrollment_funnel(funnel, filters)),
                download_link("enrollment_funnel", filters),
                note="Accounts with each step in the range, however often they met it; the last bar is the other "
                "route in, accounts given portal access by staff. Click a step for those accounts.",
            ),
        ]
    )


layout = page_layout(
    "Enrollment adoption",
    "How many billing accounts use the portal, how fast new ones enroll, by segment, and where registration stalls.",
    body,
)
