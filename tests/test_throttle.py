"""Throttling wrong passwords: per name and address, per address, atomic, the same for every name.

The counters live in the warehouse (one upsert ... RETURNING per hit) or, with `PORTAL_REDIS_URL`, in
Redis; either way every worker shares them and parallel guesses each count. A lock holds a name at
the guessing address only, so nobody can lock `admin` out for the office; a per-address limit stops
one address spraying names. Refusals answer alike whether the name exists or not.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from dashboard.auth.store import Outcome, UserStore
from dashboard.cli import users as users_cli
from portal.config import AuthConfig
from tests.conftest import REDIS_URL, config_for, redis_reachable
from tests.signin import Clock, csrf_token, make_user, password_of, post_login

PASSWORD = "alice's long password"


def unique(name: str) -> str:
    """A name of this test run alone: Redis outlives the test's warehouse."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def unique_address() -> str:
    """An address of this test run alone, for the same reason."""
    return "10." + ".".join(str(part) for part in uuid.uuid4().bytes[:3])


def store_at(url: str, **policy) -> UserStore:
    return UserStore(url, AuthConfig(**{"slow_after": 3, "lock_after": 5, "lock_minutes": 15, **policy}))


# --- atomic counters ------------------------------------------------------------------------------


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_parallel_wrong_guesses_lock_after_exactly_n(request, tmp_path, backend, database):
    """Sixteen guesses at once from two workers: exactly five passwords are checked, the fifth locks."""
    if database == "sqlite":
        url = f"sqlite:///{tmp_path}/w.sqlite"
    else:
        url = request.getfixturevalue("new_postgres_database")()
    workers = [store_at(url, slow_after=50), store_at(url, slow_after=50)]
    name = unique("alice")
    workers[0].add(name, "viewer", PASSWORD, actor="tests")
    start, address = threading.Barrier(16), unique_address()
    outcomes: list[Outcome] = []

    def guess(worker: UserStore) -> None:
        start.wait()
        outcomes.append(worker.authenticate(name, "a wrong guess", remote_addr=address).outcome)

    threads = [threading.Thread(target=guess, args=(workers[i % 2],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted([Outcome.WRONG] * 4 + [Outcome.LOCKED_NOW] + [Outcome.LOCKED] * 11)
    assert workers[1].authenticate(name, PASSWORD, remote_addr=address).outcome is Outcome.LOCKED
    failures = workers[0].audit_entries(actor=name, action="sign_in_failed")
    reasons = [json.loads(detail)["reason"] for detail in failures["detail"]]
    assert reasons.count("wrong password") == 5
    assert len(workers[0].audit_entries(actor=name, action="user_locked")) == 1


def test_counters_live_in_redis_when_it_is_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_REDIS_URL", redis_reachable())
    url = f"sqlite:///{tmp_path}/w.sqlite"
    store, name = store_at(url), unique("alice")
    store.add(name, "viewer", PASSWORD, actor="tests")
    store.authenticate(name, "a wrong guess", remote_addr=unique_address())
    with create_engine(url).connect() as connection:
        assert connection.execute(text("select count(*) from login_counters")).scalar_one() == 0
    import redis

    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{name}*")
    assert keys


# --- locks and limits -----------------------------------------------------------------------------


def lock(store: UserStore, name: str, address: str, clock: Clock) -> None:
    for _ in range(store.policy.lock_after):
        clock.advance(60)
        store.authenticate(name, "a wrong guess", remote_addr=address)


def test_one_address_cannot_lock_admin_out_for_another(tmp_path, clock):
    store = store_at(f"sqlite:///{tmp_path}/w.sqlite")
    store.add("admin", "admin", PASSWORD, actor="tests")
    lock(store, "admin", "203.0.113.66", clock)
    assert store.authenticate("admin", PASSWORD, remote_addr="203.0.113.66").outcome is Outcome.LOCKED
    assert store.authenticate("admin", PASSWORD, remote_addr="10.0.0.7").outcome is Outcome.OK


def test_a_lock_ends_lock_minutes_after_the_first_wrong_password(tmp_path, clock):
    store = store_at(f"sqlite:///{tmp_path}/w.sqlite")
    store.add("alice", "viewer", PASSWORD, actor="tests")
    lock(store, "alice", "10.0.0.9", clock)  # wrong passwords at minutes 1 to 5
    clock.advance(5 * 60)
    locked = store.authenticate("alice", PASSWORD, remote_addr="10.0.0.9")
    assert (locked.outcome, locked.message) == (Outcome.LOCKED, "Too many failed sign-ins; try again in 6 min.")
    clock.advance(6 * 60)
    assert store.authenticate("alice", PASSWORD, remote_addr="10.0.0.9").outcome is Outcome.OK


def test_one_address_spraying_many_names_is_stopped(tmp_path, clock):
    store = store_at(f"sqlite:///{tmp_path}/w.sqlite", address_lock_after=8)
    store.add("alice", "viewer", PASSWORD, actor="tests")
    for number in range(8):
        clock.advance(1)
        assert store.authenticate(f"name{number}", "a guess", remote_addr="198.51.100.4").outcome is not Outcome.OK
    refused = store.authenticate("alice", PASSWORD, remote_addr="198.51.100.4")
    assert refused.outcome is Outcome.LOCKED
    assert refused.message == SAME_REFUSAL
    assert store.authenticate("alice", PASSWORD, remote_addr="198.51.100.5").outcome is Outcome.OK
    entry = store.audit_entries(actor="alice", action="sign_in_failed").iloc[0]
    assert json.loads(entry["detail"])["reason"] == "address throttled"


def test_signing_in_right_does_not_count_against_the_address(tmp_path, clock):
    """An office behind one address signs in all day without tripping the per-address limit."""
    store = store_at(f"sqlite:///{tmp_path}/w.sqlite", address_lock_after=3)
    store.add("alice", "viewer", PASSWORD, actor="tests")
    for _ in range(6):
        clock.advance(1)
        assert store.authenticate("alice", PASSWORD, remote_addr="192.0.2.1").outcome is Outcome.OK


SAME_REFUSAL = "Too many failed sign-ins; try again in 15 min."


def test_unknown_and_real_names_are_refused_alike(tmp_path, clock):
    store = store_at(f"sqlite:///{tmp_path}/w.sqlite")
    store.add("alice", "viewer", PASSWORD, actor="tests")
    answers = {}
    for name, address in (("alice", "10.0.0.1"), ("mallory", "10.0.0.2")):
        seen = []
        for step in range(8):
            clock.advance(1 if step == 3 else 60)  # the fourth comes too fast: wait
            result = store.authenticate(name, "a wrong guess", remote_addr=address)
            seen.append((result.outcome, result.message))
        answers[name] = seen
    assert answers["alice"] == answers["mallory"]
    assert [outcome for outcome, _ in answers["alice"]][-2:] == [Outcome.LOCKED, Outcome.LOCKED]


def test_unknown_names_take_as_long_as_real_ones(tmp_path):
    store = store_at(f"sqlite:///{tmp_path}/w.sqlite")
    store.add("alice", "viewer", PASSWORD, actor="tests")

    def timed(name: str) -> float:
        spent = []
        for number in range(4):
            began = time.perf_counter()
            store.authenticate(name, "a wrong guess", remote_addr=f"10.1.0.{number}")
            spent.append(time.perf_counter() - began)
        return min(spent)

    real, unknown = timed("alice"), timed("nobody")
    assert 1 / 3 < unknown / real < 3


# --- through the web ------------------------------------------------------------------------------


def form_answer(client, name: str, address: str) -> tuple[int, str, str | None]:
    """The status, the one error line and Retry-After of a wrong password sent from `address`."""
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": name, "password": "a wrong guess"},
        environ_base=environ,
    )
    error = re.search(r'id="login-error">([^<]*)<', response.get_data(as_text=True))
    return response.status_code, error.group(1) if error else "", response.headers.get("Retry-After")


def test_the_login_page_answers_unknown_and_real_names_alike(dash_app, clock):
    real = make_user(dash_app, "viewer")
    answers = {}
    for name, address in ((real, "172.16.5.1"), ("no-such-user", "172.16.5.2")):
        client = dash_app.server.test_client()
        seen = []
        for _ in range(7):
            clock.advance(60)
            seen.append(form_answer(client, name, address))
        answers[name] = seen
    assert answers[real] == answers["no-such-user"]
    statuses = [status for status, _, _ in answers[real]]
    assert statuses == [401, 401, 401, 401, 429, 429, 429]
    assert answers[real][-1][1] == "Too many failed sign-ins; try again in 9 min."


def basic(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def test_wrong_passwords_by_http_basic_count_like_the_form(dash_app, clock):
    name = make_user(dash_app, "analyst")
    client = dash_app.server.test_client()
    for _ in range(5):
        clock.advance(60)
        client.get("/export/kpis.csv", headers=basic(name, "wrong"), environ_base={"REMOTE_ADDR": "172.16.6.1"})
    refused = client.get(
        "/export/kpis.csv", headers=basic(name, password_of(name)), environ_base={"REMOTE_ADDR": "172.16.6.1"}
    )
    assert refused.status_code == 429
    assert refused.get_data(as_text=True).count("\n") == 1 and refused.headers["Retry-After"]
    assert form_answer(dash_app.server.test_client(), name, "172.16.6.1")[0] == 429
    elsewhere = client.get(
        "/export/kpis.csv", headers=basic(name, password_of(name)), environ_base={"REMOTE_ADDR": "172.16.6.2"}
    )
    assert elsewhere.status_code == 200


# --- the way back in ------------------------------------------------------------------------------


def test_users_unlock_lets_a_locked_admin_in_again(tmp_path, clock, monkeypatch, capsys):
    monkeypatch.delenv("PORTAL_CONFIG", raising=False)
    monkeypatch.delenv("PORTAL_WAREHOUSE_URL", raising=False)
    monkeypatch.setattr(users_cli.getpass, "getuser", lambda: "tester")
    url = f"sqlite:///{tmp_path}/w.sqlite"
    store = UserStore(url)
    store.add("admin", "admin", PASSWORD, actor="tests")
    for address in ("10.0.0.1", "10.0.0.2"):
        lock(store, "admin", address, clock)
        assert store.authenticate("admin", PASSWORD, remote_addr=address).outcome is Outcome.LOCKED
    assert store.get("admin").locked_until is not None
    assert users_cli.main(["users", "unlock", "admin", "--warehouse", url]) == 0
    assert capsys.readouterr().out == "unlocked admin\n"
    for address in ("10.0.0.1", "10.0.0.2"):
        assert store.authenticate("admin", PASSWORD, remote_addr=address).outcome is Outcome.OK
    assert store.get("admin").locked_until is None
    assert store.audit_entries(action="user_unlocked").iloc[0]["actor"] == "cli:tester"


def test_sign_in_with_redis_down_answers_503_in_one_line_and_lets_nobody_in(tmp_path, monkeypatch, make_app):
    monkeypatch.setenv("PORTAL_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    app = make_app(config_for("sqlite://", f"sqlite:///{tmp_path}/warehouse.sqlite"))
    client = app.server.test_client()
    answer = post_login(client, make_user(app, "analyst"), password_of("test-analyst"))
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "30"
    assert (
        answer.get_data(as_text=True)
        == "503 Service Unavailable: sign-in is unavailable for a moment; try again shortly\n"
    )
    assert client.get("/").status_code == 302  # still signed out: sent to the login page
