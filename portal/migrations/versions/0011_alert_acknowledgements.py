"""Alert acknowledgements: who wrote each entry of an alert's history.

Support and admin acknowledge an open alert on the Alerts page with a note; the acknowledgement is an
entry of the alert's history (`change` = `acknowledged`, `detail` = the note) and `actor` says who made
it. Entries the evaluation writes have no actor. Nothing is loaded again.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_history") as batch:
        batch.add_column(sa.Column("actor", sa.String(128)))
