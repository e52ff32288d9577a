"""The account list, for everyone."""

import dash

from dashboard.components import page, preview_table

dash.register_page(__name__, path="/accounts", name="Accounts", title="Accounts · Billing portal analytics")


def layout(**query):
    return page(
        "Accounts",
        "Every billing account with its portal flags, failed recovery attempts and lockouts in the range.",
        ("accounts",),
        query,
        lambda w, f: preview_table(w.accounts(f), rows=25),
    )
