"""SPEC sections 2 and 3: how each source value is read."""

from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from etl.rules import email_status, map_event_types, parse_bool, parse_timestamps, username_is_email

CHICAGO = ZoneInfo("America/Chicago")


def statuses(*emails, **settings):
    return email_status(pd.Series(list(emails), dtype="object"), **settings).tolist()


def test_placeholder_email_matches_whatever_its_case_and_spaces():
    assert statuses("Blackhole@mhtc.net", " BLACKHOLE@MHTC.NET ", "blackhole@mhtc.net") == ["placeholder"] * 3


def test_placeholder_list_comes_from_the_settings():
    assert statuses("noemail@telco.com", placeholder_emails=["NoEmail@telco.com"]) == ["placeholder"]
    assert statuses("blackhole@mhtc.net", placeholder_emails=["noemail@telco.com"]) == ["valid"]


def test_every_address_at_a_placeholder_domain_is_placeholder():
    assert statuses("anyone@Fake.Invalid", "x@real.com", placeholder_domains=["fake.invalid"]) == [
        "placeholder",
        "valid",
    ]


def test_null_and_blank_emails_are_missing():
    assert statuses(None, "", "   ") == ["missing"] * 3


@pytest.mark.parametrize("email", ["john.doe@", "no email", "a@b", "a@@b.com", "a b@c.com", "@b.com", "a@b.", "a@.com"])
def test_email_that_is_not_local_at_domain_dot_tld_is_invalid(email):
    assert statuses(email) == ["invalid"]


@pytest.mark.parametrize("email", ["jane@example.com", " Jane.Doe@Example.co.uk ", "a+b@c.io"])
def test_email_shaped_address_is_valid(email):
    assert statuses(email) == ["valid"]


def test_username_flag_is_false_only_for_a_present_non_email():
    flags = username_is_email(pd.Series(["bob@x.com", "BobsBuilding", None, "  ", " jdoe@y.org "]))
    assert flags.tolist() == [True, False, pd.NA, pd.NA, True]


@pytest.mark.parametrize(
    ("spelling", "value"),
    [
        ("true", True), ("TRUE", True), ("1", True), ("Y", True), ("yes", True), ("t", True), (" Yes ", True),
        ("false", False), ("False", False), ("0", False), ("n", False), ("NO", False), ("F", False),
    ],
)  # fmt: skip
def test_boolean_like_spellings_are_read_in_any_case(spelling, value):
    assert parse_bool(pd.Series([spelling])).tolist() == [value]


def test_native_booleans_and_integers_are_read():
    assert parse_bool(pd.Series([True, False])).tolist() == [True, False]
    assert parse_bool(pd.Series([1, 0], dtype="object")).tolist() == [True, False]


def test_bit_column_values_are_read_as_one_and_zero():
    # MySQL and MariaDB drivers hand a BIT(1) column (a common boolean column there) over as bytes
    bits = parse_bool(pd.Series([b"\x01", b"\x00", None, b"\x02"], dtype="object"))
    assert bits.astype(object).fillna("unreadable").tolist() == [True, False, "unreadable", "unreadable"]


@pytest.mark.parametrize("spelling", ["maybe", "", None, "2", "yess"])
def test_unreadable_boolean_is_missing(spelling):
    assert parse_bool(pd.Series([spelling], dtype="object")).isna().all()


def test_naive_timestamp_text_is_local_time_in_the_zone():
    parsed = parse_timestamps(pd.Series(["2025-01-15 08:00:00"]), CHICAGO)
    assert parsed["local"].iloc[0] == pd.Timestamp("2025-01-15 08:00:00")
    assert parsed["utc"].iloc[0] == pd.Timestamp("2025-01-15 14:00:00")


def test_aware_timestamp_text_is_converted_to_the_zone():
    parsed = parse_timestamps(pd.Series(["2025-01-15T14:00:00Z", "2025-01-15T09:00:00-05:00"]), CHICAGO)
    assert parsed["local"].tolist() == [pd.Timestamp("2025-01-15 08:00:00")] * 2


def test_native_aware_timestamps_are_converted_to_the_zone():
    native = pd.Series(pd.to_datetime(["2025-07-01 05:00:00"]).tz_localize("UTC"))
    assert parse_timestamps(native, CHICAGO)["local"].iloc[0] == pd.Timestamp("2025-07-01 00:00:00")


def test_native_naive_timestamps_are_local_time():
    native = pd.Series(pd.to_datetime(["2025-07-01 00:30:00"]))
    parsed = parse_timestamps(native, CHICAGO)
    assert parsed["local"].iloc[0] == pd.Timestamp("2025-07-01 00:30:00")
    assert parsed["utc"].iloc[0] == pd.Timestamp("2025-07-01 05:30:00")


def test_naive_time_in_the_repeated_fall_back_hour_is_kept_as_its_first_occurrence():
    parsed = parse_timestamps(pd.Series(["2025-11-02 01:30:00"]), CHICAGO)
    assert parsed["local"].iloc[0] == pd.Timestamp("2025-11-02 01:30:00")
    assert parsed["utc"].iloc[0] == pd.Timestamp("2025-11-02 06:30:00")


def test_aware_times_in_both_repeated_hours_keep_their_order():
    parsed = parse_timestamps(pd.Series(["2025-11-02T01:50:00-05:00", "2025-11-02T01:10:00-06:00"]), CHICAGO)
    assert parsed["local"].tolist() == [pd.Timestamp("2025-11-02 01:50"), pd.Timestamp("2025-11-02 01:10")]
    assert parsed["utc"].iloc[1] - parsed["utc"].iloc[0] == pd.Timedelta(minutes=20)


def test_naive_time_skipped_by_spring_forward_is_kept():
    parsed = parse_timestamps(pd.Series(["2025-03-09 02:30:00"]), CHICAGO)
    assert parsed["local"].notna().all()


def test_unparsable_and_missing_timestamps_are_not_a_time():
    parsed = parse_timestamps(pd.Series(["not a date", None, ""], dtype="object"), CHICAGO)
    assert parsed["local"].isna().all()


def test_other_common_timestamp_formats_are_read():
    parsed = parse_timestamps(pd.Series(["2025-01-15T08:00:00.250", "01/15/2025 08:00"]), CHICAGO)
    assert parsed["local"].dt.floor("min").tolist() == [pd.Timestamp("2025-01-15 08:00")] * 2


def test_canonical_event_types_match_after_trimming_spaces():
    assert map_event_types(pd.Series([" login_failed ", "account_locked"]), {}).tolist() == [
        "login_failed",
        "account_locked",
    ]


def test_configured_source_values_map_to_their_canonical_type():
    mapping = {"Customer changed password via Billing Portal": "password_reset"}
    assert map_event_types(pd.Series(["Customer changed password via Billing Portal"]), mapping).tolist() == [
        "password_reset"
    ]


def test_unmapped_and_differently_cased_types_become_other():
    assert map_event_types(pd.Series(["legacy_sync", "LOGIN_FAILED", None]), {}).tolist() == ["other"] * 3
