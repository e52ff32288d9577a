"""The dashboard's data layer: the view, the drill-down slices, the metrics, the warehouse reads and
the datasets every page and export shows. No Dash or Flask import belongs here."""
