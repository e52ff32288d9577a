"""Sending a message: email through SMTP (STARTTLS, TLS or plain) and a JSON POST to incoming webhooks.

Each send tries `alerts.delivery_attempts` times, waiting 0, then `backoff_seconds`, doubling after each
try (urllib3's `Retry` schedule, which the webhook uses through requests; email follows the same one).
A send that keeps failing raises `DeliveryFailed` with the tries it made and its last error, for the
caller to record: it never stops an evaluation, let alone a load.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from dashboard.alerts.message import Message
from portal.config import AlertEmailConfig, AlertsConfig

RETRY_STATUSES = (408, 429, 500, 502, 503, 504)
"""Answers worth trying again: the receiver is busy or briefly down. Others (400, 403, 404) will not mend."""


class DeliveryFailed(Exception):
    """Every try failed; `tries` made, the message names the last error."""

    def __init__(self, message: str, tries: int) -> None:
        super().__init__(message)
        self.tries = tries


def waits(settings: AlertsConfig) -> list[float]:
    """The pause before each try: none before the first two, then `backoff_seconds`, doubling."""
    b = settings.backoff_seconds
    return [0.0, 0.0, *(b * 2**n for n in range(settings.delivery_attempts - 2))][: settings.delivery_attempts]


def webhook_channel(url: str) -> str:
    """The channel a webhook is recorded as: a digest of its URL, whose path is often its secret."""
    return "webhook:" + hashlib.sha256(url.encode()).hexdigest()[:12]


def send_email(
    settings: AlertsConfig, recipients: list[str], message: Message, *, sleep: Callable[[float], None] = time.sleep
) -> int:
    """Send to `recipients` through the configured SMTP server; the tries it took."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = settings.email.sender
    mail["To"] = ", ".join(recipients)
    mail["Message-ID"] = make_msgid(domain=settings.email.sender.rpartition("@")[2])
    mail.set_content(message.text)
    return send_mail(settings, mail, sleep=sleep)


def send_mail(settings: AlertsConfig, mail: EmailMessage, *, sleep: Callable[[float], None] = time.sleep) -> int:
    """Send a ready message (an alert's, or the weekly digest with its charts) with the retries and
    backoff of every delivery; the tries it took, or `DeliveryFailed`."""
    email = settings.email
    error: Exception | None = None
    for tries, pause in enumerate(waits(settings), start=1):
        sleep(pause)
        try:
            _smtp_send(email, settings.timeout_seconds, mail)
            return tries
        except smtplib.SMTPAuthenticationError as failed:
            raise DeliveryFailed(f"SMTP authentication failed: {failed.smtp_code}", tries) from failed
        except (smtplib.SMTPException, OSError) as failed:
            error = failed
    raise DeliveryFailed(f"SMTP {email.host}:{email.port}: {_first_line(error)}", settings.delivery_attempts)


def _smtp_send(email: AlertEmailConfig, timeout: float, mail: EmailMessage) -> None:
    context = ssl.create_default_context()
    if email.security == "tls":
        server: smtplib.SMTP = smtplib.SMTP_SSL(email.host, email.port, timeout=timeout, context=context)
    else:
        server = smtplib.SMTP(email.host, email.port, timeout=timeout)
    with server:
        if email.security == "starttls":
            server.starttls(context=context)
        if email.user:
            server.login(email.user, _password(email))
        server.send_message(mail)


def _password(email: AlertEmailConfig) -> str:
    if not email.password_env:
        raise smtplib.SMTPAuthenticationError(0, b"alerts.email.user is set but alerts.email.password_env is not")
    password = os.environ.get(email.password_env)
    if password is None:
        raise smtplib.SMTPAuthenticationError(0, f"environment variable {email.password_env} is not set".encode())
    return password


def post_webhook(settings: AlertsConfig, url: str, message: Message) -> int:
    """POST the message as JSON (`text`, which Slack and Teams incoming webhooks show); the tries it took."""
    retry = Retry(
        total=settings.delivery_attempts - 1,
        backoff_factor=settings.backoff_seconds / 2,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,
        raise_on_status=False,
    )
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=retry))
        session.mount("https://", HTTPAdapter(max_retries=retry))
        try:
            response = session.post(url, json=payload(message), timeout=settings.timeout_seconds)
        except requests.RequestException as failed:
            reason = _first_line(failed).replace(urlsplit(url).path, "/...")
            raise DeliveryFailed(f"webhook {_origin(url)}: {reason}", settings.delivery_attempts) from failed
    tries = 1 + len(response.raw.retries.history) if response.raw.retries else 1
    if response.status_code >= 300:
        raise DeliveryFailed(f"webhook {_origin(url)} answered HTTP {response.status_code}", tries)
    return tries


def _origin(url: str) -> str:
    """A webhook's scheme and host, fit for a log: its path and query are often its secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/..."


def payload(message: Message) -> dict[str, str]:
    """Slack takes `text` (and links bare URLs); Teams' incoming webhooks take `text` and `title`."""
    return {"text": f"*{message.subject}*\n{message.text}", "title": message.subject}


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
