"""Serving in production: gunicorn as the README runs it, behind a TLS proxy (ProxyFix), Secure
cookies by default when not bound to loopback, and HSTS with them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
import requests

from dashboard.auth.hardening import secure_cookies
from tests.conftest import config_for
from tests.signin import csrf_token

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRANSPORT_VARIABLES = ("PORTAL_HOST", "PORTAL_SECURE_COOKIES", "PORTAL_PROXY_HOPS")


@pytest.fixture
def transport(monkeypatch):
    """Set the transport variables for one app; the rest of the process keeps its own."""
    for name in TRANSPORT_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_variables(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_variables


@pytest.mark.parametrize(
    ("variables", "secure"),
    [
        ({}, False),
        ({"PORTAL_HOST": "127.0.0.1"}, False),
        ({"PORTAL_HOST": "localhost"}, False),
        ({"PORTAL_HOST": "::1"}, False),
        ({"PORTAL_HOST": "0.0.0.0"}, True),
        ({"PORTAL_HOST": "10.1.2.3"}, True),
        ({"PORTAL_HOST": "portal.example.org"}, True),
        ({"PORTAL_HOST": "0.0.0.0", "PORTAL_SECURE_COOKIES": "0"}, False),
        ({"PORTAL_SECURE_COOKIES": "1"}, True),
        ({"PORTAL_PROXY_HOPS": "1"}, True),
        ({"PORTAL_PROXY_HOPS": "1", "PORTAL_SECURE_COOKIES": "0"}, False),
    ],
)
def test_cookies_are_secure_unless_bound_to_loopback_without_a_proxy(variables, secure):
    assert secure_cookies(variables) is secure


@pytest.mark.parametrize("variables", [{"PORTAL_SECURE_COOKIES": "yes please"}, {"PORTAL_PROXY_HOPS": "-1"}])
def test_a_bad_transport_variable_stops_the_start_in_one_line(variables):
    from portal.config import ConfigError

    with pytest.raises(ConfigError, match="PORTAL_"):
        secure_cookies(variables)


def test_secure_cookies_come_with_hsts(make_app, demo_warehouse, transport):
    transport(PORTAL_HOST="0.0.0.0")
    app = make_app(config_for("sqlite://", demo_warehouse))
    assert app.server.config["SESSION_COOKIE_SECURE"] is True
    response = app.server.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_loopback_serving_sends_no_hsts(make_app, demo_warehouse, transport):
    app = make_app(config_for("sqlite://", demo_warehouse))
    assert app.server.config["SESSION_COOKIE_SECURE"] is False
    assert "Strict-Transport-Security" not in app.server.test_client().get("/login").headers


def failed_sign_in_address(app, **headers) -> str | None:
    name = f"proxy-test-{time.monotonic_ns()}"
    client = app.server.test_client()
    form = {"csrf_token": csrf_token(client), "username": name, "password": "wrong"}
    with app.server.app_context():
        client.post("/login", data=form, headers=headers)
    entries = app.server.extensions["portal_users"].audit_entries(target=name)
    return entries["remote_addr"].iloc[0]


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(make_app, demo_warehouse, transport):
    transport(PORTAL_PROXY_HOPS="1")
    app = make_app(config_for("sqlite://", demo_warehouse))
    assert failed_sign_in_address(app, **{"X-Forwarded-For": "203.0.113.7"}) == "203.0.113.7"


def test_without_a_proxy_a_forwarded_address_is_ignored(make_app, demo_warehouse, transport):
    app = make_app(config_for("sqlite://", demo_warehouse))
    assert failed_sign_in_address(app, **{"X-Forwarded-For": "203.0.113.7"}) == "127.0.0.1"


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_serves_the_app_as_the_readme_runs_it(demo_warehouse, tmp_path):
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")},
        "PORTAL_WAREHOUSE_URL": demo_warehouse,
        "PORTAL_ADMIN_PASSWORD": "a long admin password",
        "PORTAL_HOST": "127.0.0.1",
        "PORTAL_PROXY_HOPS": "1",
    }
    command = [str(gunicorn), "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}", "app:server"]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline, answer = time.time() + 60, None
        while time.time() < deadline and process.poll() is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/login", timeout=30)  # workers may still be starting
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.3)
        assert answer is not None, process.stdout.read() if process.poll() is not None else "no answer in 60 s"
        assert answer.status_code == 200 and "Sign in" in answer.text
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
        # As a browser behind the TLS proxy: the form's token, and its session cookie sent back though Secure.
        form = requests.get(f"http://127.0.0.1:{port}/login", headers={"X-Forwarded-Proto": "https"}, timeout=30)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        cookie = "; ".join(f"{c.name}={c.value}" for c in form.cookies)
        signed = requests.post(
            f"http://127.0.0.1:{port}/login",
            data={"username": "admin", "password": "a long admin password", "csrf_token": token},
            headers={"X-Forwarded-Proto": "https", "Cookie": cookie},
            allow_redirects=False,
            timeout=30,
        )
        assert signed.status_code == 302
        assert "secure" in signed.headers["Set-Cookie"].lower()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_served_app_gives_freed_arrow_memory_back_to_the_system(demo_warehouse):
    """pandas keeps text in Arrow arrays; Arrow's own allocator kept what a worker had freed."""
    probe = (
        "import app, pyarrow; from portal.config import load_config; "
        "app.served_app(load_config()); print(pyarrow.default_memory_pool().backend_name)"
    )
    environment = {**os.environ, "PORTAL_WAREHOUSE_URL": demo_warehouse}
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip().splitlines()[-1] == "system"
