"""Issue 13, point 1: alert rules and their delivery in the config, checked like every other key, with
built-in rules when the file names none."""

import pytest

from dashboard.alerts.rules import DEFAULT_RULES, recipients, rules_of
from portal.config import ConfigError, load_config

OFFICE = """
[alerts]
dashboard_url = "https://portal-analytics.example.net/"

[[alerts.rules]]
series = "lockout_events"
grain = "day"
direction = "up"
spreads = 1
min_volume = 25
roles = ["support"]

[[alerts.rules]]
series = "recovery_success_rate"
segment = "business"
direction = "down"
recipients = ["billing-manager@office.example"]

[alerts.email]
host = "smtp.office.example"
port = 465
security = "tls"
user = "alerts"
password_env = "PORTAL_SMTP_PASSWORD"
from = "alerts@office.example"
recipients = ["everyone@office.example"]

[alerts.email.roles]
support = ["support-leads@office.example"]

[alerts.webhook]
urls = ["https://hooks.slack.com/services/T0/B0/secret"]
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
    """The one line a bad file gets, which must name the file."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        rules_of(load_config(path))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message.removeprefix(f"{path}: ")


def test_a_fresh_install_has_the_built_in_rules():
    rules = rules_of(load_config())
    assert [rule.settings for rule in rules] == list(DEFAULT_RULES)
    assert {rule.settings.series for rule in rules} >= {"lockout_events", "failed_recovery_attempts"}


def test_an_empty_rule_list_means_no_rules(tmp_path):
    assert rules_of(load_config(write(tmp_path, "[alerts]\nrules = []"))) == []


def test_an_office_s_rules_replace_the_built_in_ones(tmp_path):
    rules = rules_of(load_config(write(tmp_path, OFFICE)))
    assert [rule.key for rule in rules] == ["lockout_events/day/up/*", "recovery_success_rate/week/down/business"]
    assert (rules[0].settings.spreads, rules[0].settings.min_volume) == (1.0, 25)
    assert rules[1].settings.min_volume == 10


def test_the_delivery_settings_are_read(tmp_path):
    alerts = load_config(write(tmp_path, OFFICE)).alerts
    email = alerts.email
    assert (email.host, email.port, email.security, email.user, email.password_env, email.sender) == (
        "smtp.office.example",
        465,
        "tls",
        "alerts",
        "PORTAL_SMTP_PASSWORD",
        "alerts@office.example",
    )
    assert alerts.dashboard_url == "https://portal-analytics.example.net"
    assert alerts.webhook.urls == ["https://hooks.slack.com/services/T0/B0/secret"]


def test_a_rule_s_email_goes_to_its_roles_and_addresses_else_to_everyone(tmp_path):
    config = load_config(write(tmp_path, OFFICE))
    by_role, by_address = rules_of(config)
    assert recipients(by_role, config) == ["support-leads@office.example"]
    assert recipients(by_address, config) == ["billing-manager@office.example"]
    plain = rules_of(load_config(write(tmp_path, OFFICE.replace('roles = ["support"]', ""))))[0]
    assert recipients(plain, config) == ["everyone@office.example"]


def test_email_defaults_to_starttls_on_587_and_is_off_without_a_host():
    email = load_config().alerts.email
    assert (email.host, email.port, email.security) == (None, 587, "starttls")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[alerts.rules]]\nseries = 'lockouts'", "alerts.rules[0].series: unknown series 'lockouts'; expected one of"),
        ("[[alerts.rules]]\nseries = 'lockout_events'\ngrain = 'month'", "alerts.rules[0].grain: unknown grain"),
        ("[[alerts.rules]]\nseries = 'lockout_events'\ndirection = 'sideways'", "alerts.rules[0].direction: unknown"),
        ("[[alerts.rules]]\nseries = 'lockout_events'\nspreads = -1", "alerts.rules[0].spreads: "),
        ("[[alerts.rules]]\nseries = 'lockout_events'\nmin_volume = 'ten'", "alerts.rules[0].min_volume: "),
        ("[[alerts.rules]]\nseries = 'lockout_events'\nthreshold = 3", "alerts.rules[0].threshold: unknown key"),
        ("[[alerts.rules]]\nseries = 'lockout_events'\nroles = ['support']", "alerts.rules[0].roles: no addresses"),
        ("[alerts.email]\nsecurity = 'ssl'", "alerts.email.security: unknown security 'ssl'"),
        ("[alerts.email]\nport = 0", "alerts.email.port: "),
        ("[alerts.email]\nfrom = 'nobody'", "alerts.email.from: 'nobody' is not an email address"),
        ("[alerts.email]\npassword_env = 'hunter 2'", "alerts.email.password_env: 'hunter 2' is not an environment"),
        ("[alerts.email]\npassword = 'hunter2'", "alerts.email.password: unknown key"),
        ("[alerts.webhook]\nurls = ['hooks.slack.com/x']", "alerts.webhook.urls: 'hooks.slack.com/...' is not"),
        ("[alerts]\ndashboard_url = 'portal'", "alerts.dashboard_url: 'portal' is not an http(s) URL"),
    ],
)
def test_a_bad_alert_setting_is_one_line_naming_the_file_and_the_key(tmp_path, text, expected):
    assert error_of(tmp_path, text).startswith(expected)


def test_two_rules_for_the_same_series_grain_direction_and_segment_are_refused(tmp_path):
    twice = "[[alerts.rules]]\nseries = 'staff_resets'\n" * 2
    assert error_of(tmp_path, twice) == (
        "alerts.rules[1]: the same series, grain, direction and segment as alerts.rules[0]"
    )


def test_a_password_in_the_file_is_refused_and_not_repeated(tmp_path):
    message = error_of(tmp_path, "[alerts.email]\npassword_env = 'correct horse'")
    assert message.count("correct horse") == 1  # it names what was given, which is not a password variable
