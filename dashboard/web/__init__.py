"""The web glue: the Dash app, the page frame, grids, the export route, URLs and CSV output."""
