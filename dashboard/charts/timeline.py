"""The account page's timeline: each event a mark on its type's row, coloured by family."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from dashboard.charts.common import base_layout, empty_figure
from dashboard.charts.palette import ENROLLED, NEITHER, SELF_SERVICE, SIGNED_IN, STAFF
from dashboard.data.slices import event_label
from portal.vocabulary import ENROLLMENT_TYPES, LOGIN_TYPES, OTHER_EVENT_TYPE, RECOVERY_TYPES, STAFF_AND_SETTINGS_TYPES

EVENT_FAMILIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("enrollment", ENROLLMENT_TYPES, ENROLLED),
    ("login", LOGIN_TYPES, SIGNED_IN),
    ("recovery", RECOVERY_TYPES, SELF_SERVICE),
    ("staff and settings", STAFF_AND_SETTINGS_TYPES, STAFF),
    ("other", (OTHER_EVENT_TYPE,), NEITHER),
)
"""Each family in the colour of what it is (`palette.MEANINGS`): logins are being signed in, recovery is
self-service, staff and settings changes are staff's doing."""
FAMILY_OF = {kind: family for family, kinds, _ in EVENT_FAMILIES for kind in kinds}
FAMILY_COLORS = {family: colour for family, _, colour in EVENT_FAMILIES}
EVENT_TYPE_ORDER = [kind for _, kinds, _ in EVENT_FAMILIES for kind in kinds]
"""Event types in family order, so a timeline's rows group by family."""


def timeline_figure(events: pd.DataFrame) -> go.Figure:
    """Each event a dot at its time, on the row of its type, coloured by its family."""
    if events.empty:
        return empty_figure("No events for this account in this range")
    shown = events.assign(
        family=events["event_type"].map(FAMILY_OF).fillna("other"),
        event=events["event_type"].map(event_label),
    )
    order = [event_label(t) for t in EVENT_TYPE_ORDER if t in set(events["event_type"])]
    figure = px.scatter(
        shown,
        x="occurred_at",
        y="event",
        color="family",
        color_discrete_map=FAMILY_COLORS,
        category_orders={"event": order, "family": list(FAMILY_COLORS)},
        hover_data={"occurred_at": "|%Y-%m-%d %H:%M:%S", "channel": True, "actor": True, "detail": True},
        labels={"occurred_at": "When", "event": "Event", "family": "Family", "channel": "Channel"},
    )
    figure.update_traces(marker={"size": 10, "opacity": 0.85, "line": {"width": 0.5, "color": "white"}})
    figure = base_layout(figure, y_title="Event type", x_title="When", height=max(260, 70 + 26 * len(order)))
    figure.update_yaxes(rangemode="normal")  # px already lists the first category at the top
    figure.update_layout(hovermode="closest", legend_title_text="")
    return figure
