"""Enrollment adoption, for billing managers."""

import dash

from dashboard.components import page, preview_table

dash.register_page(__name__, path="/adoption", name="Adoption", title="Adoption · Billing portal analytics")


def layout(**query):
    return page(
        "Enrollment adoption",
        "Accounts with portal access against all accounts, and new enrollments per period.",
        ("adoption",),
        query,
        lambda w, f: preview_table(w.adoption(f)),
    )
