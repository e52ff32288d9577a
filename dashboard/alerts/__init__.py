"""Alerts: the rules of the config judged on every whole period a load completes, kept in the warehouse,
and delivered by email and webhook.

`rules` reads and checks the rules, `evaluate` judges them with the same usual band the pages draw
(`Warehouse.band`), `store` keeps alerts, their history and deliveries, `message` words them (counts and
series names only, never a customer's email or username), `deliver` sends them, and `check` runs one
evaluation from end to end. It sits above dashboard.data and takes its links from dashboard.web.urls,
the one place URLs are spelled (tests/test_layers.py); the Alerts page, the banner and the weekly digest
are to read `store` from the layers above, which then list dashboard.alerts among their imports.
"""
