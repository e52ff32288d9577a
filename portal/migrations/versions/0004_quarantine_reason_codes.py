"""Quarantined rows carry their reasons as codes, so loads match a reason on its code, never its text.

`quarantine.reason_codes` holds each row's reason codes (portal.vocabulary.QuarantineReason) joined by
commas, in the order of the texts in `reason`, which stays as it was. An incremental load finds the
event ids quarantined earlier as duplicates by their code; existing rows get theirs here, read from
their text, so a load after upgrading still finds the duplicates quarantined before it.

The codes are filled per distinct reason (a handful), not per row. A reason this revision cannot read
(none was ever written but the texts below) gets no code for its part, and a full load is requested
to set every row aside again with its codes.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from portal import rebuild

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CODES = {
    "missing account_number": "missing_account_number",
    "account_number on more than one web user row": "duplicate_account_number",
    "missing created_at": "missing_created_at",
    "unparsable created_at": "unparsable_created_at",
    "unreadable portal_access": "unreadable_portal_access",
    "unparsable enrolled_at": "unparsable_enrolled_at",
    "unparsable last_login_at": "unparsable_last_login_at",
    "missing event_id": "missing_event_id",
    "event_id on more than one activity row": "duplicate_event_id",
    "missing occurred_at": "missing_occurred_at",
    "unparsable occurred_at": "unparsable_occurred_at",
}
"""Every reason text loads wrote up to this revision, and its code: frozen, whatever the code says later."""


def upgrade() -> None:
    op.add_column("quarantine", sa.Column("reason_codes", sa.Text))
    connection = op.get_bind()
    unread = False
    for (reason,) in connection.execute(sa.text("SELECT DISTINCT reason FROM quarantine")).all():
        parts = reason.split("; ")
        unread = unread or any(part not in CODES for part in parts)
        codes = ",".join(CODES[part] for part in parts if part in CODES)
        connection.execute(
            sa.text("UPDATE quarantine SET reason_codes = :codes WHERE reason = :reason"),
            {"codes": codes, "reason": reason},
        )
    with op.batch_alter_table("quarantine") as batch:
        batch.alter_column("reason_codes", existing_type=sa.Text, nullable=False)
    if unread:
        rebuild.request(connection, "quarantined rows now carry reason codes, and some reasons were not recognised")
