"""SPEC section 2: which source rows are loaded, which are quarantined and why."""

import importlib

import pandas as pd

from etl.transform import daily_account_counts, normalise_events, normalise_web_users
from portal.config import Config
from portal.vocabulary import QuarantineReason
from tests.builders import event, web_user

CONFIG = Config()


def users(*rows):
    return pd.DataFrame(list(rows))


def reasons(quarantine):
    return dict(zip(quarantine["row_key"].fillna("<none>"), quarantine["reason"], strict=True))


def test_a_web_user_with_no_account_number_is_quarantined():
    accounts, bad = normalise_web_users(users(web_user(None), web_user("  "), web_user("A1")), CONFIG)
    assert accounts["account_number"].tolist() == ["A1"]
    assert bad["reason"].tolist() == ["missing account_number"] * 2


def test_every_row_of_a_duplicated_account_number_is_quarantined():
    accounts, bad = normalise_web_users(
        users(web_user("A1"), web_user(" A1", segment="business"), web_user("A2")), CONFIG
    )
    assert accounts["account_number"].tolist() == ["A2"]
    assert bad["reason"].tolist() == ["account_number on more than one web user row"] * 2


def test_a_missing_or_unparsable_created_at_is_quarantined():
    _, bad = normalise_web_users(users(web_user("A1", created_at=None), web_user("A2", created_at="soon")), CONFIG)
    assert reasons(bad) == {"A1": "missing created_at", "A2": "unparsable created_at"}


def test_a_mysql_zero_date_is_no_date():
    # MySQL and MariaDB store 0000-00-00 as a "dummy date" in place of NULL; their drivers return it as text
    zero = "0000-00-00 00:00:00"
    accounts, bad = normalise_web_users(
        users(web_user("A1", enrolled_at=zero, last_login_at=zero), web_user("A2", created_at=zero)), CONFIG
    )
    assert accounts[["account_number", "enrolled_at", "last_login_at"]].values.tolist() == [["A1", pd.NaT, pd.NaT]]
    assert reasons(bad) == {"A2": "missing created_at"}


def test_an_unreadable_portal_access_is_quarantined():
    _, bad = normalise_web_users(
        users(web_user("A1", portal_access="maybe"), web_user("A2", portal_access=None)), CONFIG
    )
    assert reasons(bad) == {"A1": "unreadable portal_access", "A2": "unreadable portal_access"}


def test_every_reason_of_a_bad_row_is_given():
    _, bad = normalise_web_users(users(web_user("A1", portal_access="?", created_at="x")), CONFIG)
    assert bad["reason"].tolist() == ["unparsable created_at; unreadable portal_access"]
    assert bad["reason_codes"].tolist() == ["unparsable_created_at,unreadable_portal_access"]


def test_each_reason_is_stored_as_its_code_too():
    _, bad = normalise_events(
        pd.DataFrame(
            [
                event("A1", "2025-01-01 10:00", "login_failed", 1),
                event("A1", "garbage", "login_failed", 1),
                event("A1", None, "login_failed", "  "),
            ]
        ),
        CONFIG,
    )
    assert bad["reason_codes"].tolist() == [
        "duplicate_event_id",
        "duplicate_event_id,unparsable_occurred_at",
        "missing_event_id,missing_occurred_at",
    ]
    assert bad["reason"].tolist() == [
        "event_id on more than one activity row",
        "event_id on more than one activity row; unparsable occurred_at",
        "missing event_id; missing occurred_at",
    ]


def test_a_reason_s_text_is_the_one_its_quarantined_rows_were_hashed_with():
    # A quarantined row's row_hash covers its reason's text, and incremental loads skip rows whose
    # hash is stored: a reworded text would store every bad row read again a second time. Reword
    # only with a revision that requests a full load (as 0003 did).
    frozen = importlib.import_module("portal.migrations.versions.0004_quarantine_reason_codes").CODES
    for text, code in frozen.items():
        assert QuarantineReason(code).text == text


def test_quarantine_keeps_the_original_values():
    _, bad = normalise_web_users(users(web_user("A1", portal_access="maybe", email="x@y.com")), CONFIG)
    assert '"portal_access": "maybe"' in bad["raw"].iloc[0]
    assert '"email": "x@y.com"' in bad["raw"].iloc[0]


def test_blank_segment_reads_as_unknown():
    accounts, _ = normalise_web_users(users(web_user("A1", segment=None), web_user("A2", segment="  ")), CONFIG)
    assert accounts["segment"].tolist() == ["unknown", "unknown"]


def test_email_status_and_username_flag_are_derived():
    accounts, _ = normalise_web_users(
        users(
            web_user("A1", email=" Blackhole@MHTC.net", username="bob7"),
            web_user("A2", email="a@b.com", username="a@b.com"),
        ),
        CONFIG,
    )
    assert accounts["email_status"].tolist() == ["placeholder", "valid"]
    assert accounts["username_is_email"].tolist() == [False, True]


def test_an_event_without_a_time_is_quarantined():
    loaded, bad = normalise_events(
        pd.DataFrame(
            [
                event("A1", None, "login_failed", 1),
                event("A1", "garbage", "login_failed", 2),
                event("A1", "2025-01-01 10:00", "login_failed", 3),
            ]
        ),
        CONFIG,
    )
    assert loaded["event_id"].tolist() == ["3"]
    assert reasons(bad) == {"1": "missing occurred_at", "2": "unparsable occurred_at"}


def test_an_event_at_the_mysql_zero_date_has_no_time():
    loaded, bad = normalise_events(pd.DataFrame([event("A1", "0000-00-00 00:00:00", "login_failed", 1)]), CONFIG)
    assert loaded.empty
    assert reasons(bad) == {"1": "missing occurred_at"}


def test_an_event_with_no_account_is_kept():
    loaded, bad = normalise_events(pd.DataFrame([event(None, "2025-01-01 10:00", "recovery_email_unknown", 1)]), CONFIG)
    assert len(loaded) == 1 and loaded["account_number"].isna().all() and bad.empty


def test_an_unmapped_event_type_is_kept_as_other_with_its_source_value():
    loaded, _ = normalise_events(pd.DataFrame([event("A1", "2025-01-01 10:00", "legacy_sync", 1)]), CONFIG)
    assert loaded[["event_type", "source_event_type"]].values.tolist() == [["other", "legacy_sync"]]


def test_events_sharing_an_id_are_quarantined():
    loaded, bad = normalise_events(
        pd.DataFrame(
            [event("A1", "2025-01-01 10:00", "login_failed", 7), event("A2", "2025-01-01 11:00", "login_failed", 7)]
        ),
        CONFIG,
    )
    assert loaded.empty and len(bad) == 2


def test_an_event_belongs_to_the_local_day_of_the_configured_zone():
    chicago = Config(timezone="America/Chicago")
    loaded, _ = normalise_events(pd.DataFrame([event("A1", "2025-01-02T03:00:00Z", "login_failed", 1)]), chicago)
    assert loaded["occurred_day"].iloc[0] == pd.Timestamp("2025-01-01")


D = pd.Timestamp


def test_daily_counts_keep_email_status_apart():
    accounts = account_frame(
        web_user("A1", portal_access="Y", email="blackhole@mhtc.net"), web_user("A2", email="a@b.com")
    )
    table = daily_account_counts(accounts)
    assert table[["email_status", "created", "enrolled"]].values.tolist() == [["placeholder", 1, 1], ["valid", 1, 0]]


def account_frame(*rows):
    accounts, _ = normalise_web_users(users(*rows), CONFIG)
    return accounts


def test_daily_counts_put_creation_enrollment_and_new_enrollment_on_their_days():
    accounts = account_frame(
        web_user("A1", portal_access="Y", created_at="2025-01-01 10:00", enrolled_at="2025-01-03 10:00"),
        web_user("A2", portal_access="N", created_at="2025-01-02 10:00", enrolled_at="2025-01-03 10:00"),
        web_user("A3", portal_access="Y", created_at="2025-01-02 10:00"),
    )
    table = daily_account_counts(accounts)
    assert table[["day", "created", "enrolled", "new_enrollments"]].values.tolist() == [
        [D("2025-01-01"), 1, 0, 0],
        [D("2025-01-02"), 2, 1, 1],
        [D("2025-01-03"), 0, 1, 1],
    ]


def test_an_account_enrolled_before_its_record_was_created_counts_as_enrolled_from_creation():
    accounts = account_frame(
        web_user("A1", portal_access="Y", created_at="2025-01-05 10:00", enrolled_at="2024-12-30 10:00")
    )
    table = daily_account_counts(accounts).set_index("day")
    assert table.loc[pd.Timestamp("2025-01-05"), "enrolled"] == 1
    assert table.loc[pd.Timestamp("2024-12-30"), "new_enrollments"] == 1


def test_identical_bad_rows_are_each_quarantined_under_a_hash_of_their_own():
    # Regression (found by tests/test_properties.py): identical rows collapsed to one quarantine entry.
    _, once = normalise_web_users(users(web_user(None)), CONFIG)
    _, twice = normalise_web_users(users(web_user(None), web_user(None), web_user("A1")), CONFIG)
    assert len(twice) == 2
    assert twice["row_hash"].is_unique
    assert twice["row_hash"].iloc[0] == once["row_hash"].iloc[0]  # the first copy keeps revision 0004's hash
