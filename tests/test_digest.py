"""Issue 13, point 5: the weekly digest. Its words and numbers against hand-computed bands, once per week and
recipient, delivered to a real SMTP server on loopback with its charts inline, never naming a customer.

The office is the alert story's (tests/alert_story.py): ten quiet weeks of 2 lockouts each (A0 and A1,
Wednesdays from 5 January 2026), then 30 lockouts (A0-A29) in the week of Monday 16 March, 2026-W12.
Its band, by hand: the 8 weeks before hold 2 each, so the usual is 2, the spread its floor sqrt(2), and
the band 2 +/- 3 x 1.414 = 0 to 6.24: the whole numbers 0-6; 30 is 15.0x the usual 2.
"""

from __future__ import annotations

import base64
import math
from datetime import date, datetime

import pytest
from aiosmtpd.controller import Controller
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from dashboard.alerts import digest_send
from dashboard.alerts.digest import compose, parse_week
from dashboard.cli.digest import charts_of
from dashboard.cli.users import main
from dashboard.data.warehouse import Warehouse
from portal.config import ConfigError, load_config
from tests.alert_story import AFTER, USERS, WAVE, WEEKLY_LOCKOUTS, Office, lockouts
from tests.builders import web_user
from tests.loopback import Mailbox, free_port, smtp_server

DASHBOARD = "https://analytics.office.example"
W12 = date(2026, 3, 16)
LOCKOUTS_VIEW = f"{DASHBOARD}/lockouts?start=2025-12-29&end=2026-03-22&grain=week"
CUSTOMERS = [
    web_user(f"A{n}", email=f"lockedout.customer{n}@example.com", username=f"portaluser_{n}", portal_access="Y")
    for n in range(40)
]
NOW = datetime(2026, 3, 23, 7, 0)


@pytest.fixture
def office(sqlite_url):
    """The lockout wave loaded, the weekly rule judged (so its alert is open), the digest going to two staff
    addresses through the SMTP server on `smtp_port`."""

    def make(*, smtp_port: int | None = None, users=USERS, **settings) -> Office:
        email = {"host": "127.0.0.1", "port": smtp_port or free_port(), "security": "none"}
        email |= {"from": "digest@office.example", "roles": {"support": ["support-leads@office.example"]}}
        built = Office(
            sqlite_url("source"),
            sqlite_url("warehouse"),
            [WEEKLY_LOCKOUTS],
            users,
            dashboard_url=DASHBOARD,
            email=email,
            digest={"roles": ["support"], "recipients": ["manager@office.example"]},
            backoff_seconds=0.0,
            timeout_seconds=5.0,
            **settings,
        )
        built.load(*lockouts(WAVE, 30), through=AFTER)
        built.check()
        return built

    return make


def digest_of(built: Office):
    config = built.config
    return compose(Warehouse(config.warehouse.url), W12, config.alerts.dashboard_url, config.zone)


def send(built: Office, charts: dict[str, bytes] | None = None):
    digest = digest_of(built)
    return digest_send.send(
        built.config, digest, {} if charts is None else charts, now=lambda: NOW, sleep=lambda _: None
    )


def sent_rows(built: Office) -> list[tuple]:
    with Warehouse(built.config.warehouse.url).engine.connect() as connection:
        return [(r["recipient"], r["state"], r["tries"]) for r in digest_send.sends(connection)]


def decoded_text(mail) -> str:
    """Every text part as a reader sees it (not as quoted-printable or base64)."""
    return "\n".join(part.get_content() for part in mail.walk() if part.get_content_maintype() == "text")


# --------------------------------------------------------------------------- words and numbers


def test_a_week_outside_its_band_is_worded_with_the_band_and_how_far_off(office):
    figures = {f.series: f for f in digest_of(office()).figures}
    assert figures["lockout_events"].words == "Lockout events 30, usual 0-6, up 15.0x"
    assert figures["accounts_locked"].words == "Accounts locked 30, usual 0-6, up 15.0x"


def test_a_quiet_series_is_worded_as_usual_with_its_floor_band(office):
    # no failed recovery at all: usual 0, spread at its floor of 1, band 0-3
    figures = {f.series: f for f in digest_of(office()).figures}
    assert figures["failed_recovery_attempts"].words == "Failed recovery attempts 0, usual 0-3, as usual"


def test_a_rate_with_nothing_to_take_a_share_of_says_so(office):
    figures = {f.series: f for f in digest_of(office()).figures}
    assert (
        figures["recovery_success_rate"].words == "Recovery success rate: none this week (nothing to take a share of)"
    )
    assert figures["recovery_success_rate"].alt.endswith(
        ": no figure in any of these weeks (nothing to take a share of)."
    )


def test_a_week_before_the_data_starts_is_no_figure_rather_than_a_quiet_0(office):
    (first, *_rest) = digest_of(office()).figures[0].history["value"]
    assert math.isnan(first)  # the week of 29 Dec 2025 ends before any account exists (1 Jan 2026)


def test_the_digest_covers_every_overview_series_and_new_at_risk_accounts(office):
    assert [f.series for f in digest_of(office()).figures] == [
        "lockout_events",
        "accounts_locked",
        "failed_recovery_attempts",
        "recovery_success_rate",
        "staff_resets",
        "staff_share_of_resets",
        "new_at_risk",
    ]


def test_the_summary_names_the_figures_outside_their_band(office):
    digest = digest_of(office())
    assert digest.summary == (
        "2 of 7 figures were outside their usual range this week: Lockout events, Accounts locked."
    )
    assert digest.subject == (
        "[Billing portal analytics] Weekly digest 2026-W12 (Mon 16 Mar to Sun 22 Mar 2026): 2 outside the usual"
    )


def test_each_figure_links_to_its_page_over_the_weeks_before(office):
    figures = {f.series: f for f in digest_of(office()).figures}
    assert figures["lockout_events"].link == LOCKOUTS_VIEW
    assert figures["new_at_risk"].link.startswith(f"{DASHBOARD}/placeholder-emails?start=2025-12-29")


def test_the_alert_open_that_week_is_listed_with_its_link(office):
    (line,) = digest_of(office()).alerts
    assert line.words.startswith("Lockout events (all segments) was above its usual band in the week of Mon 16 Mar")
    assert line.words.endswith("Still open.")
    assert line.link == f"{DASHBOARD}/lockouts?start=2026-03-16&end=2026-03-22&grain=week"


def test_the_chart_s_text_alternative_says_what_it_shows(office):
    figures = {f.series: f for f in digest_of(office()).figures}
    assert figures["lockout_events"].alt == (
        "Line chart of lockout events per week from the week of 29 Dec 2025 to the week of 16 Mar 2026, with the "
        "usual range shaded. The last week is 30, above its usual range of 0-6. "
        "The 10 weeks before ranged from 2 to 2."
    )


# --------------------------------------------------------------------------- the week asked for


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("2026-12", "error: --week '2026-12': expected an ISO week as YYYY-Www, such as 2026-W12"),
        ("2026-W5", "error: --week '2026-W5': expected an ISO week as YYYY-Www, such as 2026-W12"),
        ("2026-W54", "error: --week '2026-W54': 2026 has no ISO week 54"),
        ("2026-W00", "error: --week '2026-W00': 2026 has no ISO week 0"),
    ],
)
def test_a_bad_week_is_one_line_and_exit_2(value, error, capsys):
    assert main(["digest", "send", "--week", value]) == 2
    assert capsys.readouterr().err.splitlines() == [error]


def test_a_week_the_loaded_data_does_not_reach_is_one_line_and_exit_2(office, tmp_path, capsys):
    config = write_config(tmp_path, office())  # whole days through Sun 22 Mar
    assert main(["digest", "send", "--week", "2026-W13", "--dry-run", "--config", config]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: week 2026-W13: the loaded data holds whole days only through Sun 22 Mar 2026, before the week "
        "starts (is the scheduled etl run working?)"
    ]


def test_a_week_not_whole_yet_says_so_and_judges_nothing(office):
    built = office()
    built.load(through=date(2026, 3, 25))  # a login on Wednesday 25 March: whole through Tuesday
    config = built.config
    digest = compose(Warehouse(config.warehouse.url), date(2026, 3, 23), DASHBOARD, config.zone)
    assert digest.partial_through == date(2026, 3, 24)
    assert digest.figures[0].words == "Lockout events 0, usual 0-6, so far, the week is not whole yet"
    assert digest.summary == "The week is not whole yet, so no figure is judged against its usual range."
    assert digest.subject.endswith("(Mon 23 Mar to Sun 29 Mar 2026): not whole yet")


def test_an_iso_week_is_read_as_its_monday():
    assert parse_week("2026-W12") == W12 and parse_week("2020-W53") == date(2020, 12, 28)


# --------------------------------------------------------------------------- sending once


def test_a_second_send_of_the_same_week_sends_nothing(office):
    with smtp_server() as (mailbox, port):
        built = office(smtp_port=port)
        first, second = send(built), send(built)
    assert len(mailbox.messages) == 2 and first.sent and not second.sent
    assert second.already == ["support-leads@office.example", "manager@office.example"]


def test_each_recipient_gets_a_message_of_their_own(office):
    with smtp_server() as (mailbox, port):
        send(office(smtp_port=port))
    assert [to for _sender, to in mailbox.envelopes] == [["support-leads@office.example"], ["manager@office.example"]]


class RefusesManager(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, options) -> str:
        if address == "manager@office.example":
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_failed_recipient_is_recorded_and_the_others_still_get_theirs(office):
    mailbox, port = RefusesManager(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        built = office(smtp_port=port, delivery_attempts=2)
        summary = send(built)
    finally:
        controller.stop()
    assert not summary.ok and len(mailbox.messages) == 1
    assert sent_rows(built) == [("manager@office.example", "failed", 2), ("support-leads@office.example", "sent", 1)]


def test_a_failed_recipient_is_tried_again_by_the_next_run(office):
    port = free_port()
    built = office(smtp_port=port, delivery_attempts=1)
    assert not send(built).ok
    with smtp_server(port=port) as (mailbox, _):
        assert send(built).ok
    assert len(mailbox.messages) == 2
    assert sent_rows(built) == [("manager@office.example", "sent", 2), ("support-leads@office.example", "sent", 2)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[alerts.digest]\nroles = ['billing']",
            "alerts.digest.roles: no addresses for role 'billing' in alerts.email",
        ),
        ("[alerts.digest]\nrecipients = ['nobody']", "alerts.digest.recipients: 'nobody' is not an email address"),
        ("[alerts.digest]\nroles = 'support'", "alerts.digest.roles: "),
        ("[alerts.digest]\nweekday = 'monday'", "alerts.digest.weekday: unknown key"),
    ],
)
def test_a_bad_digest_setting_is_one_line_naming_the_file_and_the_key(tmp_path, text, expected):
    path = tmp_path / "portal.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        digest_send.recipients(load_config(path))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: {expected}"), message


def test_the_digest_goes_to_its_roles_addresses_and_its_own_once_each(tmp_path):
    path = tmp_path / "portal.toml"
    path.write_text(
        "[alerts.email.roles]\nsupport = ['leads@office.example', 'it@office.example']\nadmin = ['it@office.example']\n"
        "[alerts.digest]\nroles = ['support', 'admin']\nrecipients = ['manager@office.example']\n"
    )
    assert digest_send.recipients(load_config(path)) == [
        "leads@office.example",
        "it@office.example",
        "manager@office.example",
    ]


# --------------------------------------------------------------------------- the message received


@pytest.fixture(scope="module")
def received(tmp_path_factory):
    """One digest with its real charts (Kaleido and Chromium), as the loopback SMTP server received it."""
    folder = tmp_path_factory.mktemp("received")
    built = _module_office(folder)
    with smtp_server() as (mailbox, port):
        built.config = built.config.model_copy(
            update={
                "alerts": built.config.alerts.model_copy(
                    update={"email": built.config.alerts.email.model_copy(update={"port": port})}
                )
            }
        )
        send(built, charts_of(digest_of(built)))
    return mailbox.messages[0]


def _module_office(folder) -> Office:
    email = {"host": "127.0.0.1", "port": 25, "security": "none", "from": "digest@office.example"}
    built = Office(
        f"sqlite:///{folder / 'source.sqlite'}",
        f"sqlite:///{folder / 'warehouse.sqlite'}",
        [WEEKLY_LOCKOUTS],
        CUSTOMERS,
        dashboard_url=DASHBOARD,
        email=email,
        digest={"recipients": ["manager@office.example"]},
        backoff_seconds=0.0,
    )
    built.load(*lockouts(WAVE, 30), through=AFTER)
    built.check()
    return built


def test_the_received_digest_has_its_subject_and_sender(received):
    assert received["Subject"].startswith("[Billing portal analytics] Weekly digest 2026-W12")
    assert (received["From"], received["To"]) == ("digest@office.example", "manager@office.example")


def test_the_received_digest_is_plain_text_and_html_alternatives_with_related_images(received):
    assert received.get_content_type() == "multipart/alternative"
    plain, related = received.get_payload()
    assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    kinds = [part.get_content_type() for part in related.get_payload()]
    assert kinds == ["text/html", *["image/png"] * 5]  # no chart for the two rates with nothing to share


def test_the_plain_text_reads_alone_with_words_first_and_links(received):
    lines = received.get_body(("plain",)).get_content().splitlines()
    assert lines[0] == "Weekly digest 2026-W12: Mon 16 Mar to Sun 22 Mar 2026, all segments"
    assert "! Lockout events 30, usual 0-6, up 15.0x" in lines
    assert f"  {LOCKOUTS_VIEW}" in lines


def test_every_inline_image_is_a_png_the_html_shows_with_its_alt_text(received):
    html = received.get_body(("html",)).get_content()
    images = [part for part in received.walk() if part.get_content_type() == "image/png"]
    for image in images:
        assert image.get_content().startswith(b"\x89PNG")
        assert f'src="cid:{str(image["Content-ID"]).strip().strip("<>")}"' in html
    assert 'alt="Line chart of lockout events per week' in html
    assert html.count(' alt="') == 5


def test_the_html_links_each_figure_to_its_view(received):
    html = received.get_body(("html",)).get_content()
    assert f'<a href="{LOCKOUTS_VIEW.replace("&", "&amp;")}"' in html
    assert "<strong>Lockout events 30, usual 0-6, up 15.0x</strong>" in html


def test_no_customer_email_or_username_appears_in_the_digest(received):
    for text in (received.as_string(), decoded_text(received)):
        assert "lockedout.customer" not in text and "@example.com" not in text and "portaluser_" not in text


# --------------------------------------------------------------------------- the command


def write_config(tmp_path, built: Office, smtp_port: int | None = None) -> str:
    path = tmp_path / "portal.toml"
    email = f'[alerts.email]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n' if smtp_port else ""
    path.write_text(
        f'[warehouse]\nurl = "{built.config.warehouse.url}"\n'
        f'[alerts]\ndashboard_url = "{DASHBOARD}"\nbackoff_seconds = 0\n{email}'
        '[alerts.digest]\nrecipients = ["manager@office.example"]\n'
    )
    return str(path)


def no_charts(_figures):
    raise RuntimeError("Chromium is not there")


def test_a_week_everyone_has_is_neither_composed_nor_drawn_again(office, tmp_path, monkeypatch, capsys):
    with smtp_server() as (mailbox, port):
        config = write_config(tmp_path, office(), smtp_port=port)
        assert main(["digest", "send", "--week", "2026-W12", "--config", config]) == 0
        monkeypatch.setattr("dashboard.cli.digest.png_images", no_charts)
        assert main(["digest", "send", "--week", "2026-W12", "--config", config]) == 0
    assert len(mailbox.messages) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "digest 2026-W12: already sent to manager@office.example; nothing to send"
    )


def test_charts_that_cannot_be_drawn_leave_the_words_to_go_out(office, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("dashboard.cli.digest.png_images", no_charts)
    with smtp_server() as (mailbox, port):
        config = write_config(tmp_path, office(), smtp_port=port)
        assert main(["digest", "send", "--week", "2026-W12", "--config", config]) == 0
    (mail,) = mailbox.messages
    assert "Lockout events 30, usual 0-6, up 15.0x" in mail.get_body(("plain",)).get_content()
    assert not [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert capsys.readouterr().err == (
        "digest 2026-W12: charts could not be drawn, sending without them: Chromium is not there\n"
    )


def test_a_dry_run_writes_the_message_and_records_nothing(office, tmp_path, capsys):
    built = office()
    out = tmp_path / "digest.eml"
    config = write_config(tmp_path, built)
    assert main(["digest", "send", "--week", "2026-W12", "--dry-run", "--out", str(out), "--config", config]) == 0
    assert out.read_bytes().startswith(b"Subject: [Billing portal analytics] Weekly digest 2026-W12")
    assert sent_rows(built) == []
    assert "would go to manager@office.example" in capsys.readouterr().out


def test_sending_without_an_smtp_host_is_one_line_and_exit_2(office, tmp_path, capsys):
    config = write_config(tmp_path, office())
    assert main(["digest", "send", "--week", "2026-W12", "--config", config]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {config}: alerts.email.host: not set")


# --------------------------------------------------------------------------- in a browser


@pytest.mark.browser
def test_the_html_renders_in_chromium_with_every_chart_loaded(received, tmp_path):
    """What a mail client does with the HTML: its cid: images, given as data: URIs, load at full size."""
    html = received.get_body(("html",)).get_content()
    for part in received.walk():
        if part.get_content_type() == "image/png":
            cid = str(part["Content-ID"]).strip().strip("<>")
            html = html.replace(f"cid:{cid}", "data:image/png;base64," + base64.b64encode(part.get_content()).decode())
    page = tmp_path / "digest.html"
    page.write_text(html)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=700,1200"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(page.as_uri())
        images = driver.execute_script("return [...document.images].map(i => [i.naturalWidth, i.alt])")
        heading = driver.find_element(By.TAG_NAME, "h1").text
    finally:
        driver.quit()
    assert heading == "Weekly digest 2026-W12"
    assert [width for width, _alt in images] == [560] * 5
    assert all(alt.startswith("Line chart of ") for _width, alt in images)
