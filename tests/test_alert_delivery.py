"""Issue 13, point 3: alerts delivered by email and webhook to real servers on loopback, once per change
and channel, with retries; a delivery that keeps failing is recorded and fails nothing; no customer's
email or username ever appears in a message."""

from datetime import timedelta

import pytest

from dashboard.alerts.deliver import webhook_channel
from tests.alert_story import AFTER, USERS, WAVE, WEEKLY_LOCKOUTS, Office, lockouts
from tests.builders import web_user
from tests.loopback import free_port, http_receiver, smtp_server

DASHBOARD = "https://analytics.office.example"
VIEW = f"{DASHBOARD}/lockouts?start=2026-03-16&end=2026-03-22&grain=week"


@pytest.fixture
def office(sqlite_url):
    """An office whose lockout wave is loaded, delivering to the servers a test gives it."""

    def make(*, smtp_port: int | None = None, hooks=(), users=USERS, email: dict | None = None, **settings) -> Office:
        """`email` adds to the loopback server's settings (plain SMTP to 127.0.0.1, one recipient)."""
        server = {"host": "127.0.0.1", "port": smtp_port, "security": "none", "from": "alerts@office.example"}
        email = {**server, "recipients": ["support-leads@office.example"], **(email or {})}
        built = Office(
            sqlite_url("source"),
            sqlite_url("warehouse"),
            [WEEKLY_LOCKOUTS],
            users,
            dashboard_url=DASHBOARD,
            email=email if smtp_port else {},
            webhook={"urls": list(hooks)},
            backoff_seconds=0.0,
            timeout_seconds=5.0,
            **settings,
        )
        built.load(*lockouts(WAVE, 30), through=AFTER)
        return built

    return make


def test_an_opened_alert_is_emailed_with_its_figures_and_a_link_to_its_view(office):
    with smtp_server() as (mailbox, port):
        office(smtp_port=port).check()
    (mail,) = mailbox.messages
    assert mail["Subject"] == (
        "[Billing portal analytics] Lockout events up in the week of Mon 16 Mar 2026 to Sun 22 Mar 2026: "
        "30, usual 2 (band 0-6)"
    )
    assert (mail["From"], mail["To"]) == ("alerts@office.example", "support-leads@office.example")
    lines = mail.get_content().splitlines()
    assert lines[0].startswith("Lockout events (all segments) was above its usual band in the week of Mon 16 Mar")
    assert lines[-1] == f"View: {VIEW}"


def test_an_opened_alert_is_posted_as_json_with_a_text_field_and_the_link(office):
    with http_receiver() as receiver:
        office(hooks=[receiver.url]).check()
    ((path, content_type, body),) = receiver.posts
    assert (path, content_type) == ("/hooks/T000/B000/secret-token", "application/json")
    assert body["text"].startswith("*[Billing portal analytics] Lockout events up in the week of Mon 16 Mar 2026")
    assert VIEW in body["text"]


def test_each_change_is_delivered_once_per_channel_however_often_it_runs(office):
    with smtp_server() as (mailbox, port), http_receiver() as receiver:
        built = office(smtp_port=port, hooks=[receiver.url])
        built.check()
        built.check()
        built.load(through=AFTER)
        built.check()
    assert len(mailbox.messages) == 1 and len(receiver.posts) == 1
    assert {(row["channel"], row["state"], row["tries"]) for row in built.deliveries()} == {
        ("email", "sent", 1),
        (webhook_channel(receiver.url), "sent", 1),
    }


def test_the_closing_is_delivered_once_and_says_why(office):
    with smtp_server() as (mailbox, port), http_receiver() as receiver:
        built = office(smtp_port=port, hooks=[receiver.url])
        built.check()
        built.load(*lockouts(AFTER, 2), through=AFTER + timedelta(weeks=1))
        built.check()
        built.check()
    _opened, closed = mailbox.messages
    assert closed["Subject"] == (
        "[Billing portal analytics] Closed: Lockout events back inside its usual band "
        "(the week of Mon 16 Mar 2026 to Sun 22 Mar 2026)"
    )
    assert "Why: back inside its usual band in the week of 2026-03-23: 2 against usual 2" in closed.get_content()
    assert len(receiver.posts) == 2 and receiver.posts[1][2]["text"].startswith("*[Billing portal analytics] Closed")


def test_a_webhook_that_answers_503_is_tried_again_with_backoff(office):
    with http_receiver(failures=2) as receiver:
        built = office(hooks=[receiver.url])
        summary = built.check()
    assert len(receiver.posts) == 3 and summary.ok
    ((row),) = built.deliveries()
    assert (row["state"], row["tries"]) == ("sent", 3)


def test_a_webhook_that_keeps_failing_is_recorded_and_fails_nothing(office):
    with http_receiver(status=500) as receiver:
        built = office(hooks=[receiver.url], delivery_attempts=3)
        summary = built.check()
    assert len(receiver.posts) == 3
    ((row),) = built.deliveries()
    assert (row["state"], row["tries"], row["sent_at"]) == ("failed", 3, None)
    assert row["error"] == f"webhook http://127.0.0.1:{receiver.url.split(':')[2].split('/')[0]}/... answered HTTP 500"
    assert "secret-token" not in row["error"]
    assert len(summary.opened) == 1 and not summary.ok and built.alerts()[0].state == "opened"


def test_a_failed_delivery_is_tried_again_by_the_next_check(office):
    port = free_port()  # nothing listens there yet
    built = office(smtp_port=port, delivery_attempts=2)
    assert not built.check().ok
    with smtp_server(port=port) as (mailbox, _):
        assert built.check().ok
    assert len(mailbox.messages) == 1
    ((row),) = built.deliveries()
    assert (row["state"], row["tries"], row["error"]) == ("sent", 3, None)


def test_an_unreachable_smtp_server_is_recorded_as_failed_after_every_try(office):
    built = office(smtp_port=free_port(), delivery_attempts=2)
    summary = built.check()
    ((row),) = built.deliveries()
    assert (row["channel"], row["state"], row["tries"]) == ("email", "failed", 2)
    assert summary.failed and summary.failed[0].startswith("opened alert 1 by email: SMTP 127.0.0.1:")


def test_the_smtp_password_comes_from_the_environment_variable_the_config_names(office, monkeypatch):
    monkeypatch.setenv("OFFICE_SMTP_PASSWORD", "s3cret-from-env")
    with smtp_server(password="s3cret-from-env") as (mailbox, port):
        office(smtp_port=port, email={"user": "alerts", "password_env": "OFFICE_SMTP_PASSWORD"}).check()
    assert mailbox.logins == [("alerts", "s3cret-from-env")] and len(mailbox.messages) == 1


def test_no_customer_email_or_username_appears_in_any_message(office):
    customers = [
        web_user(f"A{n}", email=f"lockedout.customer{n}@example.com", username=f"portaluser_{n}", portal_access="Y")
        for n in range(40)
    ]
    with smtp_server() as (mailbox, port), http_receiver() as receiver:
        office(smtp_port=port, hooks=[receiver.url], users=customers).check()
    (mail,) = mailbox.messages
    texts = [mail.as_string(), str(receiver.posts[0][2])]
    for text in texts:
        assert "lockedout.customer" not in text and "@example.com" not in text and "portaluser_" not in text


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_server_that_cannot_encrypt_gets_no_message_in_clear(office, security):
    with smtp_server() as (mailbox, port):
        built = office(smtp_port=port, email={"security": security}, delivery_attempts=1)
        summary = built.check()
    assert mailbox.messages == [] and not summary.ok
    ((row),) = built.deliveries()
    assert (row["channel"], row["state"]) == ("email", "failed")
