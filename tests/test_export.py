"""SPEC section 5: the CSV exports over HTTP, against the app's test client."""

import csv
import io

import pytest

from etl.pipeline import run
from tests.builders import event, web_user, write_source
from tests.conftest import config_for
from tests.signin import client_as

WEB_USERS = [
    web_user(
        "A1",
        segment="residential",
        portal_access="Y",
        email="jane@example.com",
        username="jane@example.com",
        created_at="2025-01-01 08:00",
        enrolled_at="2025-01-02 08:00",
    ),
    web_user(
        "A2",
        segment="business",
        portal_access="yes",
        email="Blackhole@mhtc.net",
        username="BobsBuilding7",
        created_at="2025-01-01 08:00",
    ),
    web_user("A3", segment="business", portal_access="N", email="Blackhole@mhtc.net", created_at="2025-01-08 08:00"),
]
EVENTS = [
    event("A1", "2025-01-03 10:00", "recovery_requested", 1),
    event("A1", "2025-01-03 10:05", "recovery_code_failed", 2),
    event("A2", "2025-01-04 10:00", "recovery_requested", 3),
    event("A2", "2025-01-04 10:02", "password_reset", 4),
    event("A2", "2025-01-06 09:00", "account_locked", 5),
    event("A2", "2025-01-06 11:00", "account_locked", 6),
    event("A1", "2025-01-06 12:00", "password_reset_by_staff", 7),
    event(None, "2025-01-07 12:00", "recovery_email_unknown", 8),
    event("A1", "2025-01-07 12:00", "login_succeeded", 9, detail='=HYPERLINK("http://x")'),
    event("A9", "2025-01-07 13:00", "legacy_sync", 10),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory, make_app):
    """An analyst's client of an app on a warehouse loaded from WEB_USERS and EVENTS."""
    folder = tmp_path_factory.mktemp("export")
    source, warehouse = f"sqlite:///{folder}/source.sqlite", f"sqlite:///{folder}/warehouse.sqlite"
    write_source(source, WEB_USERS, EVENTS)
    config = config_for(source, warehouse)
    run(config)
    return client_as(make_app(config))


def rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def header(response):
    return response.get_data(as_text=True).splitlines()[0].split(",")


@pytest.mark.parametrize(
    ("dataset", "first_columns"),
    [
        ("adoption", ["period_start", "total_accounts", "enrolled_accounts", "adoption_rate", "new_enrollments"]),
        (
            "recovery",
            [
                "period_start",
                "attempts",
                "succeeded",
                "failed",
                "abandoned",
                "recovery_email_unknown",
                "recovery_code_failed",
                "security_question_failed",
            ],
        ),
        (
            "recovery_attempts",
            ["attempt_id", "account_number", "started_at", "ended_at", "outcome", "failure_reason", "events"],
        ),
        ("resets", ["period_start", "self_service_resets", "staff_resets", "password_changes"]),
        ("lockouts", ["period_start", "lockout_events", "accounts_locked"]),
        (
            "accounts",
            [
                "account_number",
                "segment",
                "portal_access",
                "email_status",
                "username_is_email",
                "email",
                "username",
                "enrolled_at",
                "last_login_at",
                "failed_recovery_attempts",
                "lockouts",
            ],
        ),
        ("quality", ["issue", "source_table", "row_key", "detail", "rows"]),
    ],
)
def test_each_dataset_starts_with_the_specified_columns(client, dataset, first_columns):
    response = client.get(f"/export/{dataset}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert header(response)[: len(first_columns)] == first_columns


def test_activity_lists_one_accounts_events_oldest_first(client):
    response = client.get("/export/activity.csv?account=A2")
    assert [r["event_id"] for r in rows(response)] == ["3", "4", "5", "6"]


def test_default_range_is_the_datas_first_to_last_day(client):
    table = rows(client.get("/export/resets.csv"))
    assert (table[0]["period_start"], table[-1]["period_start"]) == ("2025-01-01", "2025-01-08")


def test_adoption_by_week_with_rate_as_a_fraction(client):
    table = rows(client.get("/export/adoption.csv?grain=week&start=2025-01-01&end=2025-01-12"))
    assert table == [
        {
            "period_start": "2024-12-30",
            "total_accounts": "2",
            "enrolled_accounts": "2",
            "adoption_rate": "1",
            "new_enrollments": "2",
        },
        {
            "period_start": "2025-01-06",
            "total_accounts": "3",
            "enrolled_accounts": "2",
            "adoption_rate": "0.666667",
            "new_enrollments": "0",
        },
    ]


def test_segment_filter_applies_to_event_metrics(client):
    business = rows(client.get("/export/lockouts.csv?grain=month&segment=business"))
    residential = rows(client.get("/export/lockouts.csv?grain=month&segment=residential"))
    assert (business[0]["lockout_events"], business[0]["accounts_locked"]) == ("2", "1")
    assert (residential[0]["lockout_events"], residential[0]["accounts_locked"]) == ("0", "0")


def test_recovery_counts_failed_attempts_by_reason(client):
    table = rows(client.get("/export/recovery.csv?grain=month"))
    assert {
        k: table[0][k] for k in ("attempts", "succeeded", "failed", "recovery_email_unknown", "recovery_code_failed")
    } == {
        "attempts": "3",
        "succeeded": "1",
        "failed": "2",
        "recovery_email_unknown": "1",
        "recovery_code_failed": "1",
    }


def test_accounts_are_masked_in_the_export(client):
    by_number = {r["account_number"]: r for r in rows(client.get("/export/accounts.csv"))}
    assert by_number["A1"]["email"] == "j•••@example.com"
    assert by_number["A2"]["username"] == "B•••7"
    assert "jane@example.com" not in client.get("/export/accounts.csv").get_data(as_text=True)


def test_accounts_filter_by_email_status_and_portal_access(client):
    at_risk = rows(client.get("/export/accounts.csv?email_status=placeholder&portal_access=true"))
    assert [r["account_number"] for r in at_risk] == ["A2"]


def test_accounts_filter_by_failed_recovery_in_the_range(client):
    assert [r["account_number"] for r in rows(client.get("/export/accounts.csv?has_failed_recovery=true"))] == ["A1"]
    assert rows(client.get("/export/accounts.csv?has_failed_recovery=true&start=2025-01-04")) == []


def test_accounts_without_failed_recovery_ignore_attempts_that_have_no_account(client):
    # event 8 starts a failed attempt with no account number; a NOT IN over it would match nobody
    without = rows(client.get("/export/accounts.csv?has_failed_recovery=false"))
    assert [r["account_number"] for r in without] == ["A2", "A3"]


def test_accounts_filter_by_a_minimum_of_failed_attempts(client):
    assert [r["account_number"] for r in rows(client.get("/export/accounts.csv?min_failed=1"))] == ["A1"]
    assert rows(client.get("/export/accounts.csv?min_failed=2")) == []


def test_account_counts_cover_the_range(client):
    everything = {r["account_number"]: r for r in rows(client.get("/export/accounts.csv"))}
    later = {r["account_number"]: r for r in rows(client.get("/export/accounts.csv?start=2025-01-07"))}
    assert (everything["A2"]["lockouts"], later["A2"]["lockouts"]) == ("2", "0")
    assert everything["A1"]["failed_recovery_attempts"] == "1"


def test_quality_lists_quarantine_unmapped_types_and_orphans(client):
    issues = {(r["issue"], r["row_key"]) for r in rows(client.get("/export/quality.csv"))}
    assert issues == {("unmapped_event_type", "legacy_sync"), ("orphan_event", "10")}


def test_formula_like_text_is_neutralised(client):
    table = rows(client.get("/export/activity.csv?account=A1"))
    assert [r["detail"] for r in table if r["detail"]] == ['\'=HYPERLINK("http://x")']


def test_file_name_carries_dataset_range_grain_and_segment(client):
    response = client.get("/export/lockouts.csv?start=2025-01-01&end=2025-01-31&grain=week&segment=business")
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="lockouts_2025-01-01_2025-01-31_week_business.csv"'
    )


def test_a_segment_in_another_script_gives_an_ascii_header(client):
    # Regression (found by tests/test_properties.py): headers go out as latin-1, so a WSGI server
    # failed the response for a segment written in another script.
    response = client.get("/export/lockouts.csv?start=2025-01-01&end=2025-01-31&segment=%E1%A8%80r%C3%A9s")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    disposition.encode("ascii")
    assert "filename*=UTF-8''lockouts_2025-01-01_2025-01-31_day_%E1%A8%80r%C3%A9s.csv" in disposition


@pytest.mark.parametrize(
    ("segment", "fallback", "encoded"),
    [("Geschäft", "Geschaft", "Gesch%C3%A4ft"), ("業務", "--", "%E6%A5%AD%E5%8B%99")],
)
def test_a_non_ascii_segment_names_the_file_in_rfc_6266_form(client, segment, fallback, encoded):
    response = client.get(f"/export/adoption.csv?start=2025-01-01&end=2025-01-31&segment={segment}")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    assert header.isascii()
    assert header == (
        f'attachment; filename="adoption_2025-01-01_2025-01-31_day_{fallback}.csv"; '
        f"filename*=UTF-8''adoption_2025-01-01_2025-01-31_day_{encoded}.csv"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("/export/adoption.csv?start=2025-13-01", "start must be a date"),
        ("/export/adoption.csv?end=yesterday", "end must be a date"),
        ("/export/adoption.csv?start=2025-02-01&end=2025-01-01", "is after end"),
        ("/export/adoption.csv?grain=year", "grain must be one of"),
        ("/export/adoption.csv?segement=business", "unknown parameter 'segement'"),
        ("/export/adoption.csv?email_status=valid", "unknown parameter 'email_status'"),
        ("/export/accounts.csv?email_status=bogus", "email_status must be one of"),
        ("/export/accounts.csv?portal_access=perhaps", "portal_access must be true or false"),
        ("/export/accounts.csv?has_failed_recovery=2", "has_failed_recovery must be true or false"),
        ("/export/activity.csv", "needs an account parameter"),
        ("/export/most_locked.csv?limit=0", "limit must be a whole number from 1 to 100000, got '0'"),
        ("/export/most_locked.csv?limit=ten", "limit must be a whole number from 1 to 100000, got 'ten'"),
        # a digit to str.isdigit, not to int(): was a 500 (found by tests/test_properties.py)
        ("/export/most_locked.csv?limit=%C2%B2", "limit must be a whole number from 1 to 100000, got '²'"),
        ("/export/accounts.csv?hour=%C2%B2", "hour must be a whole number from 0 to 23"),
    ],
)
def test_a_bad_parameter_is_a_400_with_one_line(client, query, message):
    response = client.get(query)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in body
    assert body.count("\n") == 1 and "Traceback" not in body


def test_an_unknown_dataset_is_a_404_naming_the_datasets(client):
    response = client.get("/export/passwords.csv")
    assert response.status_code == 404
    assert "adoption" in response.get_data(as_text=True)


@pytest.mark.parametrize("dataset", ["accounts", "lockouts"])  # streamed from a cursor, and whole
def test_bom_1_starts_the_file_with_the_byte_order_mark_excel_reads_utf8_by(client, dataset):
    body = client.get(f"/export/{dataset}.csv?bom=1").get_data()
    assert body.startswith("\ufeff".encode())
    plain = client.get(f"/export/{dataset}.csv").get_data()
    assert body == "\ufeff".encode() + plain


def test_a_masked_address_survives_the_round_trip_through_utf8_sig(client):
    text = client.get("/export/accounts.csv?bom=1").get_data().decode("utf-8-sig")
    by_number = {r["account_number"]: r for r in csv.DictReader(io.StringIO(text))}
    assert by_number["A1"]["email"] == "j•••@example.com"


def test_a_bad_bom_value_is_a_400_in_one_line(client):
    answer = client.get("/export/lockouts.csv?bom=yes")
    assert answer.status_code == 400
    assert answer.get_data(as_text=True) == "bom must be 1 (a byte order mark for Excel) or 0, got 'yes'\n"
