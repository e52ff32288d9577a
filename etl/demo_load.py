"""Load the demo source so that the warehouse sees the office's email fixes happen.

A warehouse learns that an at-risk account was fixed only by a load that saw its placeholder email
replaced (etl.at_risk). The demo source is written as things stand at its end, the fixes made
(etl.demo `_email_fixes`); so the demo is loaded in two steps, as a running office would have: a full
load with the placeholder put back on the fixed accounts, then, with the source as written again, an
incremental one, which finds the fixes and dates them by their `email_changed` events. The source is
left as `generate_demo` wrote it, whether the loads succeed or not.
"""

from __future__ import annotations

import sqlalchemy as sa

from etl.demo import PLACEHOLDER_EMAIL, PLACEHOLDER_REPLACED
from etl.pipeline import RunSummary, run
from portal.config import Config


def load_demo(config: Config) -> list[RunSummary]:
    """Load the demo source at `config.source.url`: a full load before the fixes, an incremental one after."""
    source = sa.create_engine(config.source.url)
    try:
        fixed = _fixed_emails(source)
        _set_emails(source, {account: PLACEHOLDER_EMAIL for account in fixed})
        try:
            summaries = [run(config, full=True)]
        finally:
            _set_emails(source, fixed)
        summaries.append(run(config))
    finally:
        source.dispose()
    return summaries


def _fixed_emails(source: sa.Engine) -> dict[str, str]:
    """The real email each fixed account holds now; accounts on more than one web user row (quarantined
    whatever their email) are left alone, since one update would write both rows."""
    web_users = sa.table("web_users", sa.column("account_number"), sa.column("email"))
    log = sa.table("activity_log", sa.column("account_number"), sa.column("detail"))
    fixed = sa.select(log.c.account_number).where(log.c.detail == PLACEHOLDER_REPLACED)
    single = (
        sa.select(web_users.c.account_number)
        .where(web_users.c.account_number.in_(fixed))
        .group_by(web_users.c.account_number)
        .having(sa.func.count() == 1)
    )
    query = sa.select(web_users.c.account_number, web_users.c.email).where(web_users.c.account_number.in_(single))
    with source.connect() as connection:
        return dict(connection.execute(query).all())


def _set_emails(source: sa.Engine, emails: dict[str, str]) -> None:
    if not emails:
        return
    web_users = sa.table("web_users", sa.column("account_number"), sa.column("email"))
    update = (
        sa.update(web_users)
        .where(web_users.c.account_number == sa.bindparam("account"))
        .values(email=sa.bindparam("new_email"))
    )
    with source.begin() as connection:
        connection.execute(update, [{"account": account, "new_email": email} for account, email in emails.items()])
