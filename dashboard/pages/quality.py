"""Data quality, for analysts."""

import dash

from dashboard.components import page, preview_table

dash.register_page(__name__, path="/quality", name="Data quality", title="Data quality · Billing portal analytics")


def layout(**query):
    return page(
        "Data quality",
        "Rows set aside with their reasons, event types mapped to other, and events of unknown accounts.",
        ("quality",),
        query,
        lambda w, f: preview_table(w.quality(), rows=40),
    )
