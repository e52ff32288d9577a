"""The data-quality page: quarantined rows, unmapped event types, orphan events and the last load."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.data.view import Filters
from tests.page_tree import find, has, page_module, words_of


@pytest.fixture
def quality(in_request):
    """The page module as the app registered it."""
    return page_module("/quality")


@pytest.fixture(scope="module")
def report(warehouse):
    return warehouse.quality()


def test_quality_sections_agree_with_the_quality_export(warehouse, report):
    parts = warehouse.quality_sections()
    by_issue = parts["summary"].groupby("issue")["rows"].sum().to_dict()
    expected = report.groupby("issue")["rows"].sum().to_dict()
    assert by_issue == expected
    assert parts["quarantined_total"] == expected["quarantined"]
    assert parts["orphans_total"] == expected["orphan_event"]


def test_quality_page_lists_the_quarantined_rows_with_reasons(quality, report):
    grid = find(quality.layout(), "quality-quarantined")
    quarantined = report[report["issue"] == "quarantined"]
    assert len(quarantined) > 0
    assert sorted(row["reason"] for row in grid.rowData) == sorted(quarantined["detail"])


def test_quality_page_counts_each_unmapped_source_value(quality, report):
    grid = find(quality.layout(), "quality-unmapped")
    unmapped = report[report["issue"] == "unmapped_event_type"]
    assert len(unmapped) > 0
    assert {row["source_event_type"]: row["events"] for row in grid.rowData} == dict(
        zip(unmapped["row_key"], unmapped["rows"], strict=True)
    )


def test_quality_page_lists_the_orphan_events(quality, report):
    grid = find(quality.layout(), "quality-orphans")
    orphans = report[report["issue"] == "orphan_event"]
    assert len(orphans) > 0
    assert sorted(str(row["event_id"]) for row in grid.rowData) == sorted(orphans["row_key"].astype(str))


def test_quality_page_shows_the_last_load_and_row_counts(quality, warehouse):
    summary = warehouse.load_summary()
    page = quality.layout()
    last_run = words_of(find(page, "quality-last-run"))
    assert summary["last_run"]["mode"] in last_run
    assert f"{summary['last_run']['rows_loaded']:,}" in last_run
    assert f"{summary['rows']['accounts']:,}" in words_of(find(page, "quality-table-rows"))


def test_empty_warehouse_shows_a_clear_message(quality, empty_warehouse):
    assert "Nothing has been loaded into this warehouse yet" in words_of(find(quality.layout(), "quality-empty"))


def test_the_last_load_warns_when_the_source_holds_rows_the_warehouse_lacks(quality, warehouse):
    summary = warehouse.load_summary()
    filters = Filters(date(2024, 1, 1), date(2024, 1, 31), "day")
    assert summary["last_run"]["rows_unloaded"] == 0
    assert not has(quality.last_load_card(summary, filters), "quality-unloaded")
    summary["last_run"]["rows_unloaded"] = 12
    warning = words_of(find(quality.last_load_card(summary, filters), "quality-unloaded"))
    assert "12 activity rows the warehouse lacks" in warning
    assert "python -m etl run --full" in warning
