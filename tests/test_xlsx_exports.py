"""Every export as an Excel workbook: `GET /export/<dataset>.xlsx` (and `/admin/audit.xlsx`).

The same parameters, checks, permissions, masking and audit entry as the CSV, and the same header
and rows, in cells Excel reads by type: a day is a date, a count a number, text a string cell that
never runs as a formula. The large datasets are written from the frames their cursor streams, never
built whole, and sent in chunks once the workbook is written.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import openpyxl
import pytest

from dashboard.data.warehouse import Warehouse
from dashboard.web import xlsxout
from etl.pipeline import run
from tests.builders import web_user, write_source
from tests.conftest import config_for
from tests.page_tree import find, find_all, render_page, walk
from tests.signin import client_as, signed_in
from tests.test_export import EVENTS, WEB_USERS

RISKY = web_user(
    "A4",
    segment="business",
    portal_access="Y",
    email="=cmd@example.com",
    username="@SUM(1+1)",
    created_at="2025-01-02 08:00",
)
"""A customer whose email and username a spreadsheet would run as formulas."""


@pytest.fixture(scope="module")
def app(tmp_path_factory, make_app):
    folder = tmp_path_factory.mktemp("xlsx")
    source, warehouse = f"sqlite:///{folder}/source.sqlite", f"sqlite:///{folder}/warehouse.sqlite"
    write_source(source, [*WEB_USERS, RISKY], EVENTS)
    config = config_for(source, warehouse)
    run(config)
    return make_app(config)


@pytest.fixture(scope="module")
def analyst(app):
    return client_as(app, "analyst")


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_data(as_text=True)
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def sheet_rows(response) -> list[tuple]:
    """Every row of every sheet, the header first, a later sheet's repeated header left out."""
    book = workbook(response)
    rows = []
    for number, sheet in enumerate(book.worksheets):
        values = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
        rows += values if number == 0 else values[1:]
    return rows


def cells(response, column: str) -> list:
    """The cells (openpyxl's, with their types and formats) of one column of the first sheet."""
    sheet = workbook(response).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    return [row[header.index(column)] for row in sheet.iter_rows(min_row=2)]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def reads_as(text: str, value) -> bool:
    """Whether a CSV cell and a workbook cell hold the same value, each written its own way."""
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text == str(value).lower()
    if isinstance(value, int | float):
        return float(text) == pytest.approx(value)
    if isinstance(value, datetime):
        return text in (value.isoformat(sep=" "), value.date().isoformat())
    return text in (value, "'" + value)  # the CSV neutralises what the workbook keeps as text


DATASETS = [
    "adoption?grain=week",
    "recovery",
    "recovery_attempts",
    "resets",
    "lockouts?segment=business",
    "rates?grain=month",
    "accounts",
    "activity?account=A1",
    "quality",
    "kpis",
    "most_locked",
    "reset_heatmap",
    "account_attempts?account=A2",
]


@pytest.mark.parametrize("query", DATASETS)
def test_the_workbook_holds_the_csvs_header_and_rows(analyst, query):
    dataset, _, parameters = query.partition("?")
    expected = csv_rows(analyst.get(f"/export/{dataset}.csv?{parameters}"))
    got = sheet_rows(analyst.get(f"/export/{dataset}.xlsx?{parameters}"))
    assert list(got[0]) == expected[0]
    assert len(got) == len(expected)
    for text_row, cell_row in zip(expected[1:], got[1:], strict=True):
        assert all(reads_as(text, value) for text, value in zip(text_row, cell_row, strict=True)), (text_row, cell_row)


def test_a_workbook_is_sent_as_one_with_the_csvs_file_name(analyst):
    answer = analyst.get("/export/lockouts.xlsx?start=2025-01-01&end=2025-01-31&grain=week&segment=business")
    assert answer.mimetype == xlsxout.XLSX_MIMETYPE
    assert answer.headers["Content-Disposition"] == (
        'attachment; filename="lockouts_2025-01-01_2025-01-31_week_business.xlsx"'
    )
    assert answer.get_data().startswith(b"PK")  # a zip, as every workbook is


def test_a_day_is_an_excel_date_shown_as_a_day(analyst):
    (first, *_) = cells(analyst.get("/export/lockouts.xlsx?grain=week"), "period_start")
    assert first.is_date and first.number_format == "yyyy-mm-dd"
    assert first.value == datetime(2024, 12, 30)


def test_a_time_is_an_excel_date_shown_with_its_time(analyst):
    started = cells(analyst.get("/export/recovery_attempts.xlsx"), "started_at")
    assert started[0].is_date and started[0].number_format == "yyyy-mm-dd hh:mm:ss"
    assert started[0].value == datetime(2025, 1, 3, 10, 0)


def test_a_count_is_a_number_and_a_rate_a_fraction(analyst):
    answer = analyst.get("/export/adoption.xlsx?grain=week&start=2025-01-01&end=2025-01-12")
    totals = cells(answer, "total_accounts")
    assert [cell.data_type for cell in totals] == ["n", "n"]
    assert [cell.value for cell in totals] == [3, 4]
    assert [cell.value for cell in cells(answer, "adoption_rate")] == [1, 0.75]


def test_a_flag_is_an_excel_boolean(analyst):
    by_number = {row[0]: row for row in sheet_rows(analyst.get("/export/accounts.xlsx"))[1:]}
    assert by_number["A1"][2] is True and by_number["A3"][2] is False


def test_a_missing_value_is_an_empty_cell(analyst):
    enrolled = {row[0]: row[7] for row in sheet_rows(analyst.get("/export/accounts.xlsx"))[1:]}
    assert enrolled["A3"] is None


def test_text_that_looks_like_a_formula_is_a_string_cell_as_it_is(analyst, app):
    detail = [cell for cell in cells(analyst.get("/export/activity.xlsx?account=A1"), "detail") if cell.value]
    assert [(cell.value, cell.data_type) for cell in detail] == [('=HYPERLINK("http://x")', "s")]
    admin = client_as(app, "admin").get("/export/accounts.xlsx")
    by_number = {row[0].value: row for row in workbook(admin).worksheets[0].iter_rows(min_row=2)}
    email, username = by_number["A4"][5], by_number["A4"][6]
    assert (email.value, email.data_type) == ("=cmd@example.com", "s")
    assert (username.value, username.data_type) == ("@SUM(1+1)", "s")


def test_emails_and_usernames_are_masked_as_in_the_csv(analyst):
    xlsx = {row[0]: row[5:7] for row in sheet_rows(analyst.get("/export/accounts.xlsx"))[1:]}
    text = {row[0]: tuple(row[5:7]) for row in csv_rows(analyst.get("/export/accounts.csv"))[1:]}
    assert xlsx["A1"] == ("j•••@example.com", "j•••@example.com") == text["A1"]
    assert xlsx["A2"][1] == "B•••7" == text["A2"][1]


def test_a_role_that_may_unmask_gets_the_clear_text_as_in_the_csv(app):
    admin = client_as(app, "admin")
    xlsx = {row[0]: row[5] for row in sheet_rows(admin.get("/export/accounts.xlsx"))[1:]}
    assert xlsx["A1"] == "jane@example.com"


def test_a_role_without_exports_is_refused_in_one_line_and_audited(app):
    answer = client_as(app, "viewer").get("/export/accounts.xlsx")
    assert answer.status_code == 403
    assert answer.get_data(as_text=True) == "not allowed: accounts exports need the export permission\n"
    refused = app.server.extensions["portal_users"].audit_entries(action="refused", actor="test-viewer")
    assert "accounts" in set(refused["target"])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("/export/adoption.xlsx?grain=year", "grain must be one of"),
        ("/export/adoption.xlsx?segement=business", "unknown parameter 'segement'"),
        ("/export/accounts.xlsx?portal_access=perhaps", "portal_access must be true or false"),
        ("/export/activity.xlsx", "needs an account parameter"),
        ("/export/lockouts.xlsx?bom=yes", "bom must be 1"),
    ],
)
def test_a_bad_parameter_is_a_400_in_one_line(analyst, query, message):
    answer = analyst.get(query)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert message in body and body.count("\n") == 1


def test_an_unknown_dataset_is_a_404(analyst):
    assert analyst.get("/export/passwords.xlsx").status_code == 404


def exports_of(app, actor: str):
    return app.server.extensions["portal_users"].audit_entries(action="export", actor=actor)


def test_a_workbook_export_is_audited_with_its_filters_and_rows(app):
    client_as(app, "analyst,support").get("/export/accounts.xlsx?segment=business").get_data()
    entry = exports_of(app, "test-analyst-support").iloc[0]
    assert (entry["target"], entry["rows"]) == ("accounts", 3)
    assert json.loads(entry["detail"]) == {"filters": {"segment": "business"}, "unmasked": True}


def test_the_audit_log_comes_as_a_workbook_too(app):
    answer = client_as(app, "admin").get("/admin/audit.xlsx")
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="audit_log_beginning_')
    assert sheet_rows(answer)[0][:3] == ("entry_id", "at_utc", "actor")


# --- the large datasets: written from the cursor's frames, sent once written --------------------------


@pytest.fixture
def no_whole_frames(monkeypatch):
    """The streamed datasets may not be built whole: their whole-frame readers fail if called."""

    def whole(*_args, **_kwargs):
        raise AssertionError("a streamed export built its whole frame")

    monkeypatch.setattr(Warehouse, "accounts", whole)
    monkeypatch.setattr(Warehouse, "recovery_attempts", whole)


@pytest.mark.parametrize("dataset", ["accounts", "recovery_attempts"])
def test_a_streamed_dataset_is_written_from_its_frames(analyst, no_whole_frames, dataset):
    rows = sheet_rows(analyst.get(f"/export/{dataset}.xlsx"))
    assert len(rows) == len(csv_rows(analyst.get(f"/export/{dataset}.csv")))


def test_a_streamed_workbook_is_audited_once_its_last_byte_has_gone(app, analyst, no_whole_frames):
    before = len(exports_of(app, "test-analyst"))
    answer = analyst.get("/export/accounts.xlsx?segment=business", buffered=False)
    assert len(exports_of(app, "test-analyst")) == before
    body = b"".join(answer.response)
    answer.close()
    assert openpyxl.load_workbook(io.BytesIO(body)).worksheets[0].max_row == 1 + 3
    entry = exports_of(app, "test-analyst").iloc[0]
    assert (entry["target"], entry["rows"]) == ("accounts", 3)
    assert json.loads(entry["detail"]) == {"filters": {"segment": "business"}, "unmasked": False}


def test_a_workbook_the_client_abandons_is_audited_as_incomplete(app, analyst, monkeypatch):
    monkeypatch.setattr(xlsxout, "CHUNK_BYTES", 100)
    answer = analyst.get("/export/recovery_attempts.xlsx", buffered=False)
    next(iter(answer.response))
    answer.close()
    entry = exports_of(app, "test-analyst").iloc[0]
    assert entry["target"] == "recovery_attempts"
    assert json.loads(entry["detail"])["complete"] is False


def test_the_temporary_workbook_is_removed_once_sent_or_abandoned(analyst, monkeypatch, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    analyst.get("/export/accounts.xlsx").get_data()
    abandoned = analyst.get("/export/recovery_attempts.xlsx", buffered=False)
    next(iter(abandoned.response))
    abandoned.close()
    assert list(tmp_path.iterdir()) == []


def test_rows_past_a_sheets_limit_go_on_in_the_next_sheet_under_the_same_header(analyst, monkeypatch):
    monkeypatch.setattr(xlsxout, "SHEET_ROWS", 3)
    book = workbook(analyst.get("/export/accounts.xlsx"))
    assert book.sheetnames == ["accounts", "accounts (2)"]
    first, second = ([row for row in sheet.values] for sheet in book.worksheets)
    assert first[0] == second[0] and first[0][0] == "account_number"
    assert [row[0] for row in first[1:] + second[1:]] == ["A1", "A2", "A3", "A4"]


# --- the links: an XLSX beside every CSV -----------------------------------------------------------


def download_links(tree, kind: str) -> dict[str, str]:
    return {
        json.dumps(c.id, sort_keys=True): c.href
        for c in walk(tree)
        if isinstance(getattr(c, "id", None), dict) and c.id["type"] == kind
    }


@pytest.mark.parametrize("path", ["/", "/adoption", "/placeholder-emails", "/recovery", "/resets", "/lockouts"])
def test_every_csv_link_has_an_xlsx_twin_for_the_same_view(in_request, path):
    page = render_page(path, start="2024-01-01", end="2024-06-30", grain="month")
    csv_links = {
        key.replace('"download"', '"download-xlsx"'): href for key, href in download_links(page, "download").items()
    }
    assert csv_links
    assert download_links(page, "download-xlsx") == {
        key: href.replace(".csv?", ".xlsx?", 1) for key, href in csv_links.items()
    }


def test_a_role_without_exports_gets_neither_link(dash_app):
    with signed_in(dash_app, "viewer"):
        page = render_page("/lockouts")
    assert not find_all(page, {"type": "download", "dataset": "lockouts"})
    assert not [c for c in walk(page) if isinstance(getattr(c, "href", None), str) and "/export/" in c.href]


def test_the_quality_reports_page_wide_download_has_an_xlsx_twin(in_request):
    page = render_page("/quality")
    csv = find(page, "export-quality").href
    assert find(page, "export-quality-xlsx").href == csv.replace(".csv?", ".xlsx?", 1)
