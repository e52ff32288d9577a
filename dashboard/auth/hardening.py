"""Response headers and error pages that keep the server from saying more than it should.

The Content Security Policy allows scripts from this site only, plus the hashes of Dash's own
inline scripts (its renderer bootstrap and the clientside callbacks), computed once the pages have
registered them. Styles need 'unsafe-inline' because Plotly and React set style attributes.
"""

from __future__ import annotations

from dash import Dash
from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException


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
        if not response.headers.get("Cache-Control"):
            reusable = is_static_path(request.path) and response.status_code in (200, 304)
            # Library code may be kept but checked (an ETag answers 304); everything else holds data.
            response.headers["Cache-Control"] = "no-cache" if reusable else "no-store"
        return response

    @server.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return Response(f"{error.code} {error.name}: {error.description}\n", status=error.code, mimetype="text/plain")

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
