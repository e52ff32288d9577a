"""What the loader and the dashboard share: the vocabulary, the configuration, the warehouse schema,
its connection and its migrations. Neither `etl` nor `dashboard` is imported from here."""
