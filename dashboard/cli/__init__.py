"""Command lines of the dashboard: `python -m dashboard users ...` and the page benchmark."""
