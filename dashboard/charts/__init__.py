"""Plotly figures for the pages, built from the metric frames; one module per area."""
