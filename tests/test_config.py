"""SPEC section 4: the TOML configuration, validated on load with one-line errors."""

import pytest

from portal.config import ConfigError, load_config

FULL = """
timezone = "America/Chicago"
placeholder_emails = ["Blackhole@mhtc.net", "noemail@telco.com"]
placeholder_domains = ["fake.invalid"]
recovery_attempt_gap_minutes = 45

[source]
url = "sqlite:///billing.db"
web_users_table = "wu"
activity_log_table = "al"

[source.web_users_columns]
account_number = "acct_no"

[source.activity_log_columns]
occurred_at = "event_ts"

[event_types]
"Customer changed password via Billing Portal" = "password_reset"

[warehouse]
url = "sqlite:///wh.db"
"""


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    for name in ("PORTAL_CONFIG", "PORTAL_SOURCE_URL", "PORTAL_WAREHOUSE_URL"):
        monkeypatch.delenv(name, raising=False)


def write(tmp_path, text):
    path = tmp_path / "portal.toml"
    path.write_text(text)
    return path


def error_of(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_every_key_is_optional():
    config = load_config()
    assert (config.timezone, config.placeholder_emails, config.recovery_attempt_gap_minutes) == (
        "UTC",
        ["blackhole@mhtc.net"],
        30,
    )
    assert config.source.url is None and config.warehouse.url.endswith("data/warehouse.sqlite")


def test_a_full_file_is_read(tmp_path):
    config = load_config(write(tmp_path, FULL))
    assert config.source.web_users_column("account_number") == "acct_no"
    assert config.source.web_users_column("email") == "email"
    assert config.source.activity_column("occurred_at") == "event_ts"
    assert config.placeholder_emails == ["blackhole@mhtc.net", "noemail@telco.com"]
    assert config.event_types == {"Customer changed password via Billing Portal": "password_reset"}


def test_the_file_can_be_named_by_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_CONFIG", str(write(tmp_path, 'timezone = "Europe/Paris"')))
    assert load_config().timezone == "Europe/Paris"


def test_environment_urls_override_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SOURCE_URL", "postgresql+psycopg://reader@db/billing")
    monkeypatch.setenv("PORTAL_WAREHOUSE_URL", "sqlite:///other.db")
    config = load_config(write(tmp_path, FULL))
    assert (config.source.url, config.warehouse.url) == ("postgresql+psycopg://reader@db/billing", "sqlite:///other.db")


def test_an_unknown_key_is_named(tmp_path):
    assert error_of(tmp_path, "timezon = 'UTC'").endswith("timezon: unknown key")


def test_an_unknown_nested_key_is_named_with_its_table(tmp_path):
    assert "source.web_user_table: unknown key" in error_of(tmp_path, "[source]\nweb_user_table = 'x'")


def test_a_wrong_type_is_named(tmp_path):
    assert "recovery_attempt_gap_minutes" in error_of(tmp_path, "recovery_attempt_gap_minutes = '30'")


def test_a_negative_gap_is_refused(tmp_path):
    assert "recovery_attempt_gap_minutes" in error_of(tmp_path, "recovery_attempt_gap_minutes = -1")


def test_an_unknown_timezone_is_named(tmp_path):
    assert "timezone: unknown timezone 'Mars/Olympus'" in error_of(tmp_path, "timezone = 'Mars/Olympus'")


def test_an_unknown_canonical_event_type_is_named(tmp_path):
    message = error_of(tmp_path, "[event_types]\n'Pwd changed' = 'password_rest'")
    assert "event_types" in message and "'password_rest'" in message


def test_an_unknown_canonical_column_is_named(tmp_path):
    assert "source.web_users_columns" in error_of(tmp_path, "[source.web_users_columns]\nacct = 'acct_no'")


def test_a_file_that_is_not_toml_is_reported(tmp_path):
    assert "not valid TOML" in error_of(tmp_path, "timezone = ")


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.toml")


def test_an_audit_owner_role_is_read(tmp_path):
    assert load_config(write(tmp_path, "[auth]\naudit_owner = 'portal_audit'")).auth.audit_owner == "portal_audit"
    assert load_config().auth.audit_owner is None


def test_an_audit_owner_that_is_no_role_name_is_named(tmp_path):
    message = error_of(tmp_path, "[auth]\naudit_owner = 'audit; DROP TABLE x'")
    assert "auth.audit_owner" in message and "not a PostgreSQL role name" in message


def test_the_sign_in_keys_are_read_and_checked(tmp_path):
    read = load_config(write(tmp_path, "[auth]\nabsolute_hours = 8\naddress_lock_after = 40\n"))
    assert (read.auth.absolute_hours, read.auth.address_lock_after) == (8, 40)
    assert load_config().auth.absolute_hours == 12
    for bad in ("absolute_hours = 0", "absolute_hours = 1000", 'absolute_hours = "12"', "address_lock_after = 1"):
        with pytest.raises(ConfigError, match=r"auth\.(absolute_hours|address_lock_after)"):
            load_config(write(tmp_path, f"[auth]\n{bad}\n"))


def test_the_freshness_limits_are_read(tmp_path):
    read = load_config(write(tmp_path, "[freshness]\nmax_load_age_hours = 8\nmax_event_lag_hours = 72\n"))
    assert (read.freshness.max_load_age_hours, read.freshness.max_event_lag_hours) == (8, 72)


def test_the_freshness_limits_default_to_a_day_and_two_hours_and_two_days():
    assert (load_config().freshness.max_load_age_hours, load_config().freshness.max_event_lag_hours) == (26, 48)


def test_a_bad_freshness_limit_names_the_file_and_the_key(tmp_path):
    for bad in ("max_load_age_hours = 0", 'max_load_age_hours = "26"', "max_event_lag_hours = -1"):
        key = bad.split(" ")[0]
        assert f"freshness.{key}" in error_of(tmp_path, f"[freshness]\n{bad}\n")


def test_an_unknown_freshness_key_is_named(tmp_path):
    assert error_of(tmp_path, "[freshness]\nmax_age = 3\n").endswith("freshness.max_age: unknown key")
