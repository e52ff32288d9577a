"""Finding the caller's account from the navbar: by account number for everyone; by exact email or
username (case aside) for support and admin, whose lookups read customers' details and are audited."""

from __future__ import annotations

import json

import pytest

from dashboard.data.warehouse import Warehouse
from etl.pipeline import run
from tests.builders import web_user, write_source
from tests.conftest import config_for
from tests.signin import client_as
from tests.test_access import find_payload

USERS = [
    web_user("A1", email="Jane.Doe@example.com", username="jdoe"),
    web_user("A2", email="Blackhole@mhtc.net", username="bob7"),
    web_user("A3", email="Blackhole@mhtc.net", username="carol9"),
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("find")
    source, url = f"sqlite:///{folder}/source.sqlite", f"sqlite:///{folder}/warehouse.sqlite"
    write_source(source, USERS, [])
    config = config_for(source, url)
    run(config, full=True)
    return config


@pytest.fixture(scope="module")
def warehouse(loaded) -> Warehouse:
    return Warehouse(loaded.warehouse.url)


@pytest.mark.parametrize("typed", ["A1", "a1", "  A1 "])
def test_an_account_number_is_found_in_any_case(warehouse, typed):
    assert warehouse.find_accounts(typed, by_contact=False) == ["A1"]


@pytest.mark.parametrize("typed", ["jane.doe@EXAMPLE.com", "JDOE"])
def test_an_email_or_username_is_found_exactly_case_aside(warehouse, typed):
    assert warehouse.find_accounts(typed, by_contact=True) == ["A1"]


def test_without_contact_lookups_an_email_finds_nothing(warehouse):
    assert warehouse.find_accounts("jane.doe@example.com", by_contact=False) == []


def test_a_part_of_an_email_finds_nothing(warehouse):
    assert warehouse.find_accounts("jane", by_contact=True) == []


def test_a_shared_address_finds_every_account_that_has_it_in_order(warehouse):
    assert warehouse.find_accounts("blackhole@mhtc.net", by_contact=True) == ["A2", "A3"]


def answer(client, text: str) -> dict:
    response = client.post("/_dash-update-component", json=find_payload(text))
    assert response.status_code == 200
    return response.get_json()["response"]


@pytest.fixture(scope="module")
def app(loaded, make_app):
    return make_app(loaded)


def test_one_account_found_opens_its_page(app):
    assert answer(client_as(app, "viewer"), "a1")["find-nav"]["href"] == "/accounts/A1"


def test_nothing_found_says_what_was_looked_for(app):
    said = json.dumps(answer(client_as(app, "viewer"), "jane.doe@example.com"), ensure_ascii=False)
    assert "No account has the account number “jane.doe@example.com”" in said


def test_several_found_are_listed_as_links(app):
    said = json.dumps(answer(client_as(app, "support"), "Blackhole@mhtc.net"), ensure_ascii=False)
    assert "2 accounts match" in said
    assert '"/accounts/A2"' in said and '"/accounts/A3"' in said


def test_support_finds_by_email_and_the_lookup_is_audited_without_the_address(app):
    assert answer(client_as(app, "support"), "JANE.DOE@example.com")["find-nav"]["href"] == "/accounts/A1"
    entry = app.server.extensions["portal_users"].audit_entries(action="account_lookup", actor="test-support").iloc[0]
    assert entry["target"] == "A1"
    assert json.loads(entry["detail"]) == {"by": "email or username", "matches": 1}
    assert "jane" not in entry.to_json().lower()


def test_a_lookup_by_account_number_is_not_audited(app):
    users = app.server.extensions["portal_users"]
    answer(client_as(app, "admin"), "A2")
    assert users.audit_entries(action="account_lookup", actor="test-admin").empty
