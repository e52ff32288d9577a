"""`python -m dashboard users ...` manages sign-in users, `python -m dashboard audit verify` checks the audit
log, `python -m dashboard alerts check` evaluates the alert rules, `python -m dashboard digest send` emails the weekly
digest; `python app.py` serves the dashboard."""

import sys

from dashboard.cli import users as users_cli

if __name__ == "__main__":
    sys.exit(users_cli.main())
