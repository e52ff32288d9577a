"""Password reset volumes, for support leads: who resets, and when."""

from dash import html

from dashboard.auth.roles import Permission
from dashboard.charts.resets import heatmap_figure, resets_figure
from dashboard.web.layout import chart_card, download_link, drill_chart, page_layout, rate_card, register_page
from dashboard.web.urls import RESETS

register_page(__name__, RESETS, "Resets", 4, Permission.VIEW_CHARTS, warm=True)


def body(warehouse, filters):
    volumes = chart_card(
        "Self-service and staff resets, and in-session changes",
        drill_chart("resets-over-time", resets_figure(warehouse.resets(filters), filters)),
        download_link("resets", filters),
        note="Each period's left bar stacks resets customers did themselves (forgot password) and resets staff "
        "did for them; the right bar is passwords changed while logged in. Click a bar to list the accounts "
        "with that event in that period.",
    )
    heatmap = chart_card(
        "When resets happen: weekday by hour",
        drill_chart("resets-heatmap", heatmap_figure(warehouse.reset_heatmap(filters), filters)),
        download_link("reset_heatmap", filters),
        note="Self-service and staff resets in the whole range, by local weekday and hour. Click a cell to list "
        "the accounts reset then.",
    )
    return html.Div(
        [
            volumes,
            rate_card(
                warehouse.rates(filters),
                "staff_share_of_resets",
                filters,
                warehouse.band("staff_share_of_resets", filters),
            ),
            heatmap,
        ]
    )


layout = page_layout(
    "Password resets",
    "Self-service resets against resets done by staff, in-session password changes, and when resets happen.",
    body,
)
