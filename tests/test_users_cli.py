"""`python -m dashboard users ...`: the operator's way to manage sign-in users from a shell.

Most behaviours run in-process through `users_cli.main` over a temporary SQLite warehouse; two run
the real command as an operator would, because the exit code and a traceback-free stderr only show
there. Every change must be audited with a `cli:` actor, so the log tells a shell change from a
change made in the browser.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dashboard.auth.store import Outcome, UserStore
from dashboard.cli import users as users_cli

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
OTHER_PASSWORD = "staple-staple-staple"
PORTAL_VARIABLES = ("PORTAL_CONFIG", "PORTAL_SOURCE_URL", "PORTAL_WAREHOUSE_URL")


class Terminal(io.StringIO):
    """Standard input as a terminal, so the CLI prompts instead of reading a line."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No operator settings leak in, and the OS user is fixed so the audit actor is predictable."""
    for name in PORTAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(users_cli.getpass, "getuser", lambda: "tester")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/w.sqlite"


def users(url: str, *args: str, stdin: str = "") -> int:
    return users_cli.main(["users", *args, "--warehouse", url], stdin=io.StringIO(stdin))


def add(url: str, name: str, *roles: str, password: str = PASSWORD) -> int:
    role_options = [option for role in roles for option in ("--role", role)]
    return users(url, "add", name, *role_options, stdin=f"{password}\n")


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one `error: ...` line on stderr, with nothing on stdout."""
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert captured.out == ""
    return lines[0]


def audited(url: str, action: str) -> list[dict]:
    return UserStore(url).audit_entries(action=action).to_dict("records")


def test_add_reads_the_password_from_standard_input(url, capsys):
    assert add(url, "Alice", "analyst") == 0
    assert capsys.readouterr().out == "added user alice (analyst)\n"
    signed = UserStore(url).authenticate("alice", PASSWORD)
    assert signed.outcome is Outcome.OK
    assert signed.user.roles == ("analyst",)


def test_add_takes_only_the_first_line_of_standard_input(url):
    assert users(url, "add", "alice", "--role", "viewer", stdin=f"{PASSWORD}\nsomething else\n") == 0
    assert UserStore(url).authenticate("alice", PASSWORD).outcome is Outcome.OK


def test_add_reads_the_password_from_a_named_environment_variable(url, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", PASSWORD)
    assert users(url, "add", "alice", "--role", "support", "--password-env", "NEW_USER_PASSWORD") == 0
    assert UserStore(url).authenticate("alice", PASSWORD).outcome is Outcome.OK


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_or_empty_password_variable_is_an_error(url, monkeypatch, capsys, value):
    monkeypatch.delenv("NEW_USER_PASSWORD", raising=False)
    if value is not None:
        monkeypatch.setenv("NEW_USER_PASSWORD", value)
    assert users(url, "add", "alice", "--role", "viewer", "--password-env", "NEW_USER_PASSWORD") == 2
    assert "NEW_USER_PASSWORD" in error_line(capsys)
    assert UserStore(url).get("alice") is None


def test_empty_standard_input_is_an_error(url, capsys):
    assert users(url, "add", "alice", "--role", "viewer", stdin="") == 2
    assert "standard input" in error_line(capsys)


@pytest.mark.parametrize(
    "roles",
    [("analyst", "support"), ("analyst,support",), ("support, analyst",), ("analyst", "support,analyst")],
)
def test_roles_may_be_repeated_or_comma_separated(url, capsys, roles):
    assert add(url, "alice", *roles) == 0
    assert capsys.readouterr().out == "added user alice (support, analyst)\n"
    assert UserStore(url).get("alice").roles == ("support", "analyst")


def test_an_unknown_role_names_the_roles_there_are(url, capsys):
    assert add(url, "alice", "analyst", "boss") == 2
    line = error_line(capsys)
    assert "'boss'" in line
    assert "viewer, support, analyst, admin" in line
    assert UserStore(url).get("alice") is None


def test_a_duplicate_user_is_refused(url, capsys):
    assert add(url, "alice", "analyst") == 0
    capsys.readouterr()
    assert add(url, "ALICE", "admin", password=OTHER_PASSWORD) == 2
    assert "already exists" in error_line(capsys)
    assert UserStore(url).get("alice").roles == ("analyst",)


def test_a_short_password_is_refused(url, capsys):
    assert add(url, "alice", "analyst", password="short") == 2
    assert "10 characters" in error_line(capsys)
    assert UserStore(url).get("alice") is None


def test_a_bad_user_name_is_refused(url, capsys):
    assert add(url, "alice smith", "analyst") == 2
    assert "user name" in error_line(capsys)


def test_a_terminal_is_prompted_twice(url, monkeypatch):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(users_cli.getpass, "getpass", lambda prompt: next(answers))
    assert users_cli.main(["users", "add", "alice", "--role", "viewer", "--warehouse", url], stdin=Terminal()) == 0
    assert UserStore(url).authenticate("alice", PASSWORD).outcome is Outcome.OK


def test_prompted_passwords_must_match(url, monkeypatch, capsys):
    answers = iter([PASSWORD, OTHER_PASSWORD])
    monkeypatch.setattr(users_cli.getpass, "getpass", lambda prompt: next(answers))
    assert users_cli.main(["users", "add", "alice", "--role", "viewer", "--warehouse", url], stdin=Terminal()) == 2
    assert "do not match" in error_line(capsys)
    assert UserStore(url).get("alice") is None


def test_list_shows_every_user_in_aligned_columns(url, capsys):
    add(url, "alice", "analyst", "support")
    add(url, "bob", "admin")
    users(url, "disable", "alice")
    capsys.readouterr()
    assert users(url, "list") == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["NAME", "ROLES", "ACTIVE"]
    assert [row.split()[:4] for row in rows] == [["alice", "support,analyst", "no", "-"], ["bob", "admin", "yes", "-"]]
    assert {tuple(column_starts(line)[:4]) for line in rows} == {tuple(column_starts(header)[:4])}


def column_starts(line: str) -> list[int]:
    """Where each cell begins; header cells of several words count once, as their words are one space apart."""
    return [match.start() for match in re.finditer(r"(?:^|(?<=  ))\S", line)]


def test_list_of_no_users_says_so(url, capsys):
    assert users(url, "list") == 0
    assert capsys.readouterr().out == "no users\n"


def test_list_shows_a_lock_until_it_runs_out(url, capsys, clock):
    add(url, "alice", "viewer")
    store = UserStore(url)
    clock.now = datetime.now(UTC).timestamp()
    for _ in range(store.policy.lock_after):
        clock.advance(60)
        store.authenticate("alice", "wrong password", remote_addr="10.0.0.1")
    assert store.get("alice").locked_until is not None
    capsys.readouterr()
    users(url, "list")
    row = capsys.readouterr().out.splitlines()[1]
    assert row.split()[3] != "-"


@pytest.mark.parametrize("roles", [("analyst", "admin"), ("analyst,admin",), ("--role", "admin", "--role", "analyst")])
def test_set_role_replaces_the_roles(url, capsys, roles):
    add(url, "alice", "viewer")
    capsys.readouterr()
    assert users(url, "set-role", "alice", *roles) == 0
    assert capsys.readouterr().out == "roles of alice set to analyst, admin\n"
    assert UserStore(url).get("alice").roles == ("analyst", "admin")


def test_set_role_of_a_missing_user_is_an_error(url, capsys):
    assert users(url, "set-role", "nobody", "viewer") == 2
    assert "no user 'nobody'" in error_line(capsys)


def test_set_role_without_a_role_is_an_error(url, capsys):
    add(url, "alice", "viewer")
    capsys.readouterr()
    assert users(url, "set-role", "alice") == 2
    assert "no role given" in error_line(capsys)


def test_disable_stops_sign_in_and_enable_allows_it_again(url, capsys):
    add(url, "alice", "analyst")
    assert users(url, "disable", "alice") == 0
    assert UserStore(url).authenticate("alice", PASSWORD).outcome is Outcome.DISABLED
    assert users(url, "enable", "alice") == 0
    assert UserStore(url).authenticate("alice", PASSWORD).outcome is Outcome.OK
    assert capsys.readouterr().out.splitlines()[1:] == ["disabled user alice", "enabled user alice"]


def test_the_last_active_admin_cannot_be_disabled(url, capsys):
    add(url, "root", "admin")
    capsys.readouterr()
    assert users(url, "disable", "root") == 2
    assert "last active admin" in error_line(capsys)


def test_reset_password_reads_the_new_one_from_standard_input(url, capsys):
    add(url, "alice", "analyst")
    assert users(url, "reset-password", "alice", stdin=f"{OTHER_PASSWORD}\n") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "reset password of alice"
    store = UserStore(url)
    assert store.authenticate("alice", PASSWORD).outcome is Outcome.WRONG
    assert store.authenticate("alice", OTHER_PASSWORD).outcome is Outcome.OK


def test_reset_password_generate_prints_a_password_that_signs_in(url, capsys):
    add(url, "alice", "analyst")
    capsys.readouterr()
    assert users(url, "reset-password", "alice", "--generate") == 0
    output = capsys.readouterr().out.splitlines()
    assert len(output) == 1
    assert output[0].startswith("new password for alice: ")
    generated = output[0].rsplit(" ", 1)[-1]
    assert UserStore(url).authenticate("alice", generated).outcome is Outcome.OK


def test_reset_password_of_a_missing_user_asks_for_nothing(url, capsys):
    assert users(url, "reset-password", "nobody", stdin=f"{PASSWORD}\n") == 2
    assert "no user 'nobody'" in error_line(capsys)


@pytest.mark.parametrize(
    ("command", "action"),
    [
        (["add", "bob", "--role", "viewer"], "user_added"),
        (["set-role", "alice", "support"], "user_role_set"),
        (["disable", "alice"], "user_disabled"),
        (["enable", "alice"], "user_enabled"),
        (["reset-password", "alice"], "user_password_reset"),
        (["reset-password", "alice", "--generate"], "user_password_reset"),
    ],
)
def test_every_change_is_audited_as_the_os_user(url, command, action):
    add(url, "alice", "analyst")
    before = len(audited(url, action))
    assert users(url, *command, stdin=f"{OTHER_PASSWORD}\n") == 0
    entries = audited(url, action)
    assert len(entries) == before + 1
    assert entries[0]["actor"] == "cli:tester"


def test_the_actor_falls_back_to_cli_without_an_os_user(url, monkeypatch):
    def no_user() -> str:
        raise OSError("no user name")

    monkeypatch.setattr(users_cli.getpass, "getuser", no_user)
    assert add(url, "alice", "analyst") == 0
    assert audited(url, "user_added")[0]["actor"] == "cli"


def test_the_config_file_names_the_warehouse(tmp_path, url):
    config = tmp_path / "portal.toml"
    config.write_text(f'[warehouse]\nurl = "{url}"\n')
    command = ["users", "add", "alice", "--role", "viewer", "--config", str(config)]
    assert users_cli.main(command, stdin=io.StringIO(f"{PASSWORD}\n")) == 0
    assert UserStore(url).get("alice") is not None


def test_a_config_mistake_is_one_line(tmp_path, capsys):
    config = tmp_path / "portal.toml"
    config.write_text("[warehouse]\nhost = 'x'\n")
    assert users_cli.main(["users", "list", "--config", str(config)], stdin=io.StringIO()) == 2
    assert "warehouse.host" in error_line(capsys)


def test_a_usage_mistake_exits_2(url, capsys):
    assert users_cli.main(["users", "add", "alice"], stdin=io.StringIO()) == 2
    assert "--role" in capsys.readouterr().err


def dashboard_command(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in PORTAL_VARIABLES}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_adds_a_user_from_piped_input(url):
    result = dashboard_command("users", "add", "alice", "--role", "analyst,support", "--warehouse", url, stdin=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "added user alice (support, analyst)\n"
    assert UserStore(url).authenticate("alice", PASSWORD).outcome is Outcome.OK


def test_the_command_reports_an_error_in_one_line_without_a_traceback(url):
    result = dashboard_command("users", "add", "alice", "--role", "boss", "--warehouse", url, stdin=PASSWORD)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == ["error: unknown role 'boss'; roles are viewer, support, analyst, admin"]


def test_portal_admin_password_creates_admin_even_when_users_were_added_before_the_first_start(
    url, make_app, monkeypatch, capsys
):
    from dashboard.auth.store import FIRST_ADMIN
    from tests.conftest import config_for

    assert add(url, "alice", "analyst") == 0
    monkeypatch.setenv("PORTAL_ADMIN_PASSWORD", OTHER_PASSWORD)
    make_app(config_for("sqlite://", url))
    store = UserStore(url)
    signed = store.authenticate(FIRST_ADMIN, OTHER_PASSWORD)
    assert signed.outcome is Outcome.OK
    assert signed.user.roles == ("admin",)
    assert store.authenticate("alice", PASSWORD).outcome is Outcome.OK
    assert OTHER_PASSWORD not in capsys.readouterr().out


def test_without_portal_admin_password_no_admin_is_made_beside_existing_users(url, make_app, monkeypatch):
    from dashboard.auth.store import FIRST_ADMIN
    from tests.conftest import config_for

    assert add(url, "root", "admin") == 0
    monkeypatch.delenv("PORTAL_ADMIN_PASSWORD", raising=False)
    make_app(config_for("sqlite://", url))
    assert UserStore(url).get(FIRST_ADMIN) is None


def test_a_tools_user_gets_a_fresh_password_and_its_role_back_each_run(url):
    """The page bench and the load test sign in as their own user: made once, re-enabled after."""
    store = UserStore(url)
    first = store.tool_password("bench", "analyst", actor="bench")
    store.set_roles("bench", "viewer", actor="someone")
    store.set_active("bench", False, actor="someone")
    second = store.tool_password("bench", "analyst", actor="bench")
    assert first != second
    assert store.authenticate("bench", first).outcome is not Outcome.OK
    signed = store.authenticate("bench", second)
    assert signed.outcome is Outcome.OK and signed.user.roles == ("analyst",)
