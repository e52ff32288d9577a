"""The data-quality page: quarantined rows, unmapped event types, orphan events and the last load."""

from __future__ import annotations

from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest

from dashboard.data.clock import shown
from tests.conftest import config_for
from tests.page_tree import find, has, page_module, render_page, words_of
from tests.signin import signed_in

UTC = ZoneInfo("UTC")


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


def test_the_last_load_s_times_are_shown_in_the_configured_zone_named(make_app, demo_warehouse, warehouse):
    app = make_app(config_for("sqlite://", demo_warehouse, timezone="America/Chicago"))
    with signed_in(app, "analyst"):
        last_run = words_of(find(render_page("/quality"), "quality-last-run"))
    run, chicago = warehouse.load_summary()["last_run"], ZoneInfo("America/Chicago")
    for instant in ("finished_at", "started_at", "watermark_utc"):
        assert shown(run[instant], chicago) in last_run, instant
    assert "UTC" not in last_run


def test_the_whole_report_is_one_download_for_the_page(quality):
    assert urlparse(find(quality.layout(), "export-quality").href).path == "/export/quality.csv"


def test_empty_warehouse_shows_a_clear_message(quality, empty_warehouse):
    assert "Nothing has been loaded into this warehouse yet" in words_of(find(quality.layout(), "quality-empty"))


def test_the_last_load_warns_when_the_source_holds_rows_the_warehouse_lacks(quality, warehouse):
    summary = warehouse.load_summary()
    assert summary["last_run"]["rows_unloaded"] == 0
    assert not has(quality.last_load_card(summary, UTC), "quality-unloaded")
    summary["last_run"]["rows_unloaded"] = 12
    warning = words_of(find(quality.last_load_card(summary, UTC), "quality-unloaded"))
    assert "12 activity rows the warehouse lacks" in warning
    assert "python -m etl run --full" in warning


# --- addresses in source text are masked unless the user may unmask -------------------------------

ADDRESS = "jane.doe@example.com"


@pytest.fixture(scope="module")
def leaky_warehouse(tmp_path_factory) -> str:
    """A warehouse whose orphan event, quarantined row and unmapped event type quote an address."""
    from etl.pipeline import run
    from tests.builders import event, web_user, write_source
    from tests.conftest import config_for

    folder = tmp_path_factory.mktemp("leaky")
    source, warehouse = f"sqlite:///{folder}/source.sqlite", f"sqlite:///{folder}/warehouse.sqlite"
    users = [web_user("A1", email="a1@example.org", created_at="2025-01-01 08:00")]
    events = [
        event("A1", "2025-01-02 10:00", "login_succeeded", 1),
        event("B9", "2025-01-03 10:00", "email_changed", 2, detail=f"Email changed from {ADDRESS} to x@y.org"),
        event("A1", "not a time", "login_succeeded", ADDRESS),
        event("A1", "2025-01-04 10:00", f"sent to {ADDRESS}", 4),
    ]
    write_source(source, users, events)
    run(config_for(source, warehouse))
    return warehouse


def test_the_quality_report_masks_addresses_by_default(leaky_warehouse):
    from dashboard.data.warehouse import Warehouse

    warehouse = Warehouse(leaky_warehouse)
    parts = warehouse.quality_sections()
    shown = [parts["orphans"]["detail"], parts["quarantined"]["row_key"], parts["unmapped"]["source_event_type"]]
    assert all(len(column) for column in shown)
    assert not any(ADDRESS in str(value) for column in shown for value in column)
    assert "j•••@example.com" in parts["orphans"]["detail"].iloc[0]
    report = warehouse.quality()
    assert len(report) and not any(ADDRESS in str(value) for value in report.to_numpy().ravel())
    unmasked = warehouse.quality_sections(unmasked=True)
    assert ADDRESS in unmasked["orphans"]["detail"].iloc[0]
    assert ADDRESS in set(warehouse.quality(unmasked=True)["row_key"])


@pytest.mark.parametrize(("roles", "sees_address"), [("analyst", False), ("analyst,support", True)])
def test_the_quality_page_and_export_mask_addresses_unless_the_user_may_unmask(
    make_app, leaky_warehouse, roles, sees_address
):
    from tests.conftest import config_for
    from tests.page_tree import render_page
    from tests.signin import client_as, signed_in

    app = make_app(config_for("sqlite://", leaky_warehouse))
    with signed_in(app, roles):
        page = render_page("/quality")
        details = [row["detail"] for row in find(page, "quality-orphans").rowData]
    assert any(ADDRESS in detail for detail in details) is sees_address
    exported = client_as(app, roles).get("/export/quality.csv").get_data(as_text=True)
    assert (ADDRESS in exported) is sees_address
