"""Real servers on loopback for the alert deliveries: an SMTP server (aiosmtpd) and an HTTP receiver."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """What the SMTP server received, and the logins it accepted."""

    def __init__(self, password: str | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, str]] = []
        self.password = password

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=password == self.password)


@contextmanager
def smtp_server(password: str | None = None, port: int | None = None) -> Iterator[tuple[Mailbox, int]]:
    """A plain SMTP server on 127.0.0.1, on `port` or a free one (AUTH without TLS when a password is given)."""
    mailbox, port = Mailbox(password), port or free_port()
    options = {"authenticator": mailbox.authenticate, "auth_require_tls": False} if password else {}
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


class Receiver:
    """What the HTTP receiver was posted; it answers `failures` 503s first, then 200 (or `status` always)."""

    def __init__(self, failures: int = 0, status: int = 200) -> None:
        self.posts: list[tuple[str, str, dict]] = []
        self.failures, self.status = failures, status
        self.url = ""


@contextmanager
def http_receiver(failures: int = 0, status: int = 200) -> Iterator[Receiver]:
    receiver = Receiver(failures, status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            receiver.posts.append((self.path, self.headers["Content-Type"], body))
            answer = 503 if len(receiver.posts) <= receiver.failures else receiver.status
            self.send_response(answer)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/B000/secret-token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
