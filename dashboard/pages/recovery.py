"""Failed recovery attempts, for support leads."""

import dash

from dashboard.components import page, preview_table

dash.register_page(__name__, path="/recovery", name="Recovery", title="Recovery · Billing portal analytics")


def layout(**query):
    return page(
        "Password recovery",
        "Forgot-password attempts by outcome and failure reason.",
        ("recovery", "recovery_attempts"),
        query,
        lambda w, f: preview_table(w.recovery(f)),
    )
