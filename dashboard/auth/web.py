"""Sign-in for the Flask server under Dash: sessions, the login page, HTTP Basic for scripts, headers.

Flask-Login keeps the session; werkzeug hashes passwords. One `before_request` gate refuses every
route to an anonymous caller except the login page, static assets and the health probe: pages
redirect to the login page, Dash's JSON routes answer 401, and `/export` asks for HTTP Basic.
"""

from __future__ import annotations

import os
import stat
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, redirect, render_template_string, request, session
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from dashboard.auth.guard import actor, audit_refusal, page_allowed, page_template, remote_addr
from dashboard.auth.hardening import secure_cookies
from dashboard.auth.store import Outcome, User, UserStore
from dashboard.data.datasets import FILE_TYPES, export_path
from portal.config import DATA_DIR, Config

PUBLIC_PATHS = frozenset({"/login", "/logout", "/health", "/_favicon.ico"})
PUBLIC_PREFIXES = ("/assets/",)
"""Reachable signed out: signing in and out, the vendored stylesheet and favicon, a liveness probe."""

SECRET_FILE = DATA_DIR / "secret_key"
SCRIPT_PATHS = ("/export/", *(export_path("audit_log", file_type) for file_type in FILE_TYPES))
"""Export routes scripts call: HTTP Basic is accepted there, and a signed-out caller gets 401, not a redirect."""
REALM = 'Basic realm="Billing portal analytics", charset="UTF-8"'
BASIC_RESULT = "portal.basic_sign_in"
"""Where the request keeps its HTTP Basic sign-in, for the gate to answer a throttled one 429."""
CSRF_REFUSAL = "the sign-in form expired or did not come from this site: reload /login and sign in again"
"""A login POST without the form's token (Flask-WTF's, bound to the session): a page elsewhere
cannot sign a browser in as someone else. Dash's callbacks need none: they are same-origin XHR
with a SameSite=Lax cookie, which a cross-site form or script cannot send."""
THROTTLED = frozenset({Outcome.WAIT, Outcome.LOCKED, Outcome.LOCKED_NOW})
"""Refusals that answer 429 with Retry-After, alike for every name, real or not."""

blueprint = Blueprint("auth", __name__)


class SignedInUser:
    """The Flask-Login user: the stored user, its session token (so a password reset, a role change or
    disabling the user ends every session it had) and the server-side id of this session (so signing
    out, or its absolute lifetime, ends it even for a copied cookie). HTTP Basic has no session id."""

    is_anonymous = False

    def __init__(self, user: User, session_id: str | None = None) -> None:
        self.user = user
        self.session_id = session_id
        self.name = user.name
        self.roles = user.roles
        self.permissions = user.permissions

    @property
    def is_authenticated(self) -> bool:
        return self.user.active

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        return f"{self.user.name}:{self.user.session_token}:{self.session_id}"


def store() -> UserStore:
    return current_app.extensions["portal_users"]


def secret_key(path: Path = SECRET_FILE) -> str:
    """PORTAL_SECRET_KEY, or a key generated once and kept owner-only in data/ for every worker."""
    configured = os.environ.get("PORTAL_SECRET_KEY")
    if configured:
        return configured
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create_key_file(path)
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        path.chmod(0o600)
    return path.read_text().strip()


def _create_key_file(path: Path) -> None:
    """Write a new key beside `path`, then link it in: workers starting together all read one whole key,
    never a file another worker has created but not yet written."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".secret_key.", delete=False) as handle:
        handle.write(os.urandom(32).hex())
        written = Path(handle.name)
    try:
        os.link(written, path)
    except FileExistsError:
        pass  # another worker linked its key first; everyone uses that one
    finally:
        written.unlink()


def install(server: Flask, config: Config) -> None:
    """Put sign-in in front of every route of `server`."""
    users = UserStore(config.warehouse.url, config.auth)
    server.extensions["portal_users"] = users
    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies(),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.auth.idle_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
    )
    manager = LoginManager()
    manager.init_app(server)

    @manager.user_loader
    def load_user(user_id: str) -> SignedInUser | None:
        name, token, session_id = ([*user_id.split(":", 2), "", ""])[:3]
        user = users.session_user(name, session_id) if session_id else None
        if user is None or not user.active or user.session_token != token:
            return None
        return SignedInUser(user, session_id)

    @manager.request_loader
    def basic_user(req) -> SignedInUser | None:
        """Scripts sign in with HTTP Basic, on the export routes only."""
        credentials = req.authorization
        if not req.path.startswith(SCRIPT_PATHS) or credentials is None or credentials.type != "basic":
            return None
        result = users.authenticate(
            credentials.username or "", credentials.password or "", remote_addr=req.remote_addr, via="basic"
        )
        req.environ[BASIC_RESULT] = result
        return SignedInUser(result.user) if result.outcome is Outcome.OK else None

    server.register_blueprint(blueprint)
    server.before_request(_gate)


def _public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def plain_response(status: int, message: str, **headers: str) -> Response:
    """An error as one line of plain text: the caller learns what to fix, never how the server failed."""
    return Response(message + "\n", status=status, mimetype="text/plain", headers=headers)


def _gate():
    path = request.path
    if _public(path):
        return None
    if not current_user.is_authenticated:
        if path.startswith(SCRIPT_PATHS):
            refused = request.environ.get(BASIC_RESULT)
            if refused is not None and refused.outcome in THROTTLED:
                return plain_response(429, refused.message, **{"Retry-After": str(refused.retry_after)})
            return plain_response(
                401, "sign in required: use HTTP Basic with a portal user", **{"WWW-Authenticate": REALM}
            )
        if path.startswith("/_") or request.method != "GET":
            return plain_response(401, "sign in required")
        return redirect(f"/login?next={_next_target(request.full_path)}")
    if request.method == "GET" and not path.startswith(("/_", "/logout", *SCRIPT_PATHS)):
        pages = current_app.config.get("PORTAL_PAGES", {})
        template = page_template(path, list(pages))
        if template is not None and not page_allowed(pages[template]):
            audit_refusal("page", template, pages[template].get("permission"))
            return _refused_page()
    return None


def _refused_page() -> Response:
    html = render_template_string(NOT_ALLOWED_PAGE, name=actor(), roles=", ".join(getattr(current_user, "roles", ())))
    return Response(html, status=403, mimetype="text/html")


def _next_target(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our login page."""
    target = (target or "/").rstrip("?")
    parts = urlsplit(target)
    unsafe = "\\" in target or any(ord(ch) < 32 for ch in target)
    if unsafe or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if target.startswith(("/login", "/logout", "/_", "/export/")):
        return "/"
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    target = _next_target(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target)
        return render_template_string(LOGIN_PAGE, error=None, name="", next=target, csrf=generate_csrf())
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return plain_response(400, CSRF_REFUSAL)
    name = (request.form.get("username") or "").strip()
    result = store().authenticate(name, request.form.get("password") or "", remote_addr=request.remote_addr)
    if result.outcome is not Outcome.OK:
        page = render_template_string(LOGIN_PAGE, error=result.message, name=name, next=target, csrf=generate_csrf())
        if result.outcome in THROTTLED:
            return Response(page, status=429, mimetype="text/html", headers={"Retry-After": str(result.retry_after)})
        return Response(page, status=401, mimetype="text/html")
    session.clear()
    login_user(SignedInUser(result.user, store().open_session(result.user.name)))
    session.permanent = True
    return redirect(target)


@blueprint.route("/logout", methods=["GET", "POST"])
def logout():
    """POST only (the navbar's form): a link or an image elsewhere cannot sign anyone out. GET is
    routed here only to answer 405, rather than fall through to Dash's catch-all page route."""
    if request.method != "POST":
        return plain_response(405, "sign out with POST (the Sign out button)", Allow="POST")
    if current_user.is_authenticated:
        store().audit(actor(), "sign_out", actor(), remote_addr=remote_addr())
        if current_user.session_id:
            store().end_session(current_user.session_id)
    logout_user()
    session.clear()
    return redirect("/login")


LOGIN_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Billing portal analytics</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css">
</head>
<body class="bg-light">
<main class="container">
<div class="row justify-content-center mt-5"><div class="col-sm-8 col-md-5 col-lg-4">
<h1 class="h4 mb-3">Billing portal analytics</h1>
<form method="post" action="/login" class="card card-body shadow-sm" id="login-form">
  {% if error %}<div class="alert alert-danger py-2" role="alert" id="login-error">{{ error }}</div>{% endif %}
  <input type="hidden" name="next" value="{{ next }}">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <label class="form-label" for="username">Username</label>
  <input class="form-control mb-3" id="username" name="username" value="{{ name }}"
         autocomplete="username" autocapitalize="none" required autofocus>
  <label class="form-label" for="password">Password</label>
  <input class="form-control mb-3" id="password" name="password" type="password"
         autocomplete="current-password" required>
  <button class="btn btn-primary" type="submit" id="login-submit">Sign in</button>
</form>
<p class="text-muted small mt-3">Customer details are shown to support staff only, and every view of
them is recorded.</p>
</div></div>
</main>
</body>
</html>"""

NOT_ALLOWED_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Not allowed · Billing portal analytics</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"></head>
<body class="bg-light"><main class="container mt-5">
<h1 class="h4">Not allowed</h1>
<p>You are signed in as <strong>{{ name }}</strong> ({{ roles }}); your role does not open this page.</p>
<p><a href="/">Back to the overview</a></p>
</main></body></html>"""
