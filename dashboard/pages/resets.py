"""Password reset volumes, for support leads."""

import dash

from dashboard.components import page, preview_table

dash.register_page(__name__, path="/resets", name="Resets", title="Resets · Billing portal analytics")


def layout(**query):
    return page(
        "Password resets",
        "Self-service resets against resets done by staff, and in-session password changes.",
        ("resets",),
        query,
        lambda w, f: preview_table(w.resets(f)),
    )
