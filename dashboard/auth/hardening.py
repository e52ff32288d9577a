"""Response headers and error pages that keep the server from saying more than it should.

The Content Security Policy allows scripts from this site only, plus the hashes of Dash's own
inline scripts (its renderer bootstrap and the clientside callbacks), computed once the pages have
registered them. Styles need 'unsafe-inline' because Plotly and React set style attributes.
"""

from __future__ import annotations

from dash import Dash
from flask import Flask, Response
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


def install(app: Dash) -> None:
    server: Flask = app.server
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
        if not response.headers.get("Cache-Control") and not _static(response):
            response.headers["Cache-Control"] = "no-store"
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


def _static(response: Response) -> bool:
    return response.mimetype in ("application/javascript", "text/css", "image/x-icon", "image/png")
