"""Lockouts, for support leads."""

import dash

from dashboard.components import page, preview_table

dash.register_page(__name__, path="/lockouts", name="Lockouts", title="Lockouts · Billing portal analytics")


def layout(**query):
    return page(
        "Lockouts",
        "Lockout events and distinct accounts locked per period.",
        ("lockouts",),
        query,
        lambda w, f: preview_table(w.lockouts(f)),
    )
