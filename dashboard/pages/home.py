"""Overview: the headline figures for the chosen range."""

import dash

from dashboard.components import page, preview_table

dash.register_page(__name__, path="/", name="Overview", title="Overview · Billing portal analytics")


def layout(**query):
    return page(
        "Overview",
        "Portal adoption, placeholder emails, failed recovery, resets and lockouts at a glance.",
        ("adoption", "recovery", "resets", "lockouts"),
        query,
        lambda w, f: preview_table(w.adoption(f), rows=6),
    )
