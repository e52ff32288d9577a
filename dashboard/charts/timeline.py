"""The account page's timeline: each event a mark on its type's row, coloured by family."""

from __future__ import annotations

from dashboard.charts.common import BLUE, GREEN, GREY, ORANGE, PURPLE
from portal.vocabulary import ENROLLMENT_TYPES, LOGIN_TYPES, OTHER_EVENT_TYPE, RECOVERY_TYPES, STAFF_AND_SETTINGS_TYPES

EVENT_FAMILIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("enrollment", ENROLLMENT_TYPES, GREEN),
    ("login", LOGIN_TYPES, BLUE),
    ("recovery", RECOVERY_TYPES, ORANGE),
    ("staff and settings", STAFF_AND_SETTINGS_TYPES, PURPLE),
    ("other", (OTHER_EVENT_TYPE,), GREY),
)
FAMILY_OF = {kind: family for family, kinds, _ in EVENT_FAMILIES for kind in kinds}
FAMILY_COLORS = {family: colour for family, _, colour in EVENT_FAMILIES}
EVENT_TYPE_ORDER = [kind for _, kinds, _ in EVENT_FAMILIES for kind in kinds]
"""Event types in family order, so a timeline's rows group by family."""
