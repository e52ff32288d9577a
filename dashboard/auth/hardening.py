"""Response headers and error pages that keep the server from saying more than it should.

The Content Security Policy allows scripts from this site only, plus the hashes of Dash's own
inline scripts (its renderer bootstrap and the clientside callbacks), computed once the pages have
registered them. Styles need 'unsafe-inline' because Plotly and React set style attributes.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

from dash import Dash
from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import ConfigError

DEFAULT_HOST = "127.0.0.1"
"""The address `python app.py` binds when PORTAL_HOST is unset."""
HSTS = "max-age=31536000"
"""A year of HTTPS only, sent whenever cookies are Secure (a browser heeds it over HTTPS only)."""
MAX_PROXY_HOPS = 5


def proxy_hops(environ: Mapping[str, str] = os.environ) -> int:
    """PORTAL_PROXY_HOPS: how many proxies in front of the server set X-Forwarded-*; 0 (default) trusts none."""
    text = (environ.get("PORTAL_PROXY_HOPS") or "0").strip()
    if not text.isdigit() or int(text) > MAX_PROXY_HOPS:
        raise ConfigError(f"PORTAL_PROXY_HOPS must be a whole number from 0 to {MAX_PROXY_HOPS}, got {text!r}")
    return int(text)


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def secure_cookies(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether cookies are Secure (and HSTS is sent): PORTAL_SECURE_COOKIES=1 or 0 decides; unset, they
    are Secure unless the server is bound to loopback (PORTAL_HOST, 127.0.0.1 by default) with no
    proxy in front (PORTAL_PROXY_HOPS=0): anything else is reached over a network, which must be HTTPS."""
    chosen = (environ.get("PORTAL_SECURE_COOKIES") or "").strip()
    hops = proxy_hops(environ)
    if chosen in ("0", "1"):
        return chosen == "1"
    if chosen:
        raise ConfigError(f"PORTAL_SECURE_COOKIES must be 1 or 0, got {chosen!r}")
    return hops > 0 or not is_loopback(environ.get("PORTAL_HOST") or DEFAULT_HOST)


def content_security_policy(app: Dash) -> str:
    scripts = " ".join(["'self'", *app.csp_hashes()])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


MAX_REQUEST_BYTES = 1024 * 1024
"""The largest request body: a callback's post is a few kilobytes, so anything bigger answers 413 unread."""


def install(app: Dash) -> None:
    server: Flask = app.server
    server.session_interface = StaticFreeSessions()
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    hops = proxy_hops()
    if hops:
        # The client's address, scheme and host as the trusted proxies saw them, never as a client claims.
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    strict_transport = bool(server.config.get("SESSION_COOKIE_SECURE"))
    policy: dict[str, str] = {}

    @server.after_request
    def secure_headers(response: Response) -> Response:
        if "csp" not in policy:
            policy["csp"] = content_security_policy(app)
        response.headers["Content-Security-Policy"] = policy["csp"]
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if strict_transport:
            response.headers["Strict-Transport-Security"] = HSTS
        if not response.headers.get("Cache-Control"):
            reusable = is_static_path(request.path) and response.status_code in (200, 304)
            # Library code may be kept but checked (an ETag answers 304); everything else holds data.
            response.headers["Cache-Control"] = "no-cache" if reusable else "no-store"
        return response

    @server.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return Response(f"{error.code} {error.name}: {error.description}\n", status=error.code, mimetype="text/plain")

    @server.errorhandler(RedisError)
    def shared_store_down(_error: RedisError) -> Response:
        """Redis holds the sign-in counters: without them no attempt can be counted, so none is let in,
        and the person learns it is the server's trouble and passing, not their password."""
        server.logger.exception("Redis (PORTAL_REDIS_URL) did not answer")
        return Response(
            "503 Service Unavailable: sign-in is unavailable for a moment; try again shortly\n",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "30"},
        )

    @server.errorhandler(Exception)
    def server_error(_error: Exception) -> Response:
        server.logger.exception("request failed")
        return Response(
            "500 Internal Server Error: the server could not answer this request\n", status=500, mimetype="text/plain"
        )


STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
"""The same files for every visitor: Dash's and Plotly's scripts (8 MB), the stylesheet, the icon."""


def is_static_path(path: str) -> bool:
    return path.startswith(STATIC_PREFIXES)


class StaticFreeSessions(SecureCookieSessionInterface):
    """Sessions that leave static files alone.

    Refreshing the session cookie on every response adds `Vary: Cookie` and a new cookie value, so
    the browser's cache never matched and every page load downloaded and compiled 8 MB of scripts
    again (about a second per page). Static files are the same for everyone; pages and callbacks
    still refresh the idle timer.
    """

    def save_session(self, app: Flask, session, response: Response) -> None:
        if is_static_path(request.path):
            return
        super().save_session(app, session, response)
