"""The billing portal analytics dashboard: Dash pages, the query layer and the CSV exports."""
