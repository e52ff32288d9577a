"""Exports of up to millions of rows stream from a database cursor: read in frames as they are sent.

The account list and the recovery attempts are the two datasets that grow with the office; built
whole, one export of a million accounts held them all in a worker. Their rows are the same as the
whole frame's, they are audited once the last row has gone, and an export the client abandons is
audited too, as incomplete.
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from dashboard.data.view import Filters
from dashboard.data.warehouse import Warehouse
from etl.pipeline import run
from tests.builders import event, web_user, write_source
from tests.conftest import config_for
from tests.signin import client_as

USERS = [web_user(f"A{n}", segment="business" if n % 2 else "residential") for n in range(1, 6)]
EVENTS = [
    event(f"A{n}", f"2025-01-0{n} 10:00", kind)
    for n in range(1, 6)
    for kind in ("recovery_requested", "recovery_code_failed")
]


@pytest.fixture
def loaded(tmp_path, database_url) -> Warehouse:
    source = f"sqlite:///{tmp_path}/source.sqlite"
    write_source(source, USERS, EVENTS)
    config = config_for(source, database_url("warehouse"))
    run(config, full=True)
    return config


def whole_view(warehouse: Warehouse) -> Filters:
    return Filters.parse({}, warehouse.extent())


@pytest.mark.parametrize("rows", [1, 2, 5, 50])
def test_accounts_in_frames_are_the_accounts_whole_the_first_row_included(loaded, rows):
    warehouse = Warehouse(loaded.warehouse.url)
    frames = list(warehouse.account_frames(whole_view(warehouse), rows=rows))
    assert all(len(frame) <= rows for frame in frames)
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), warehouse.accounts(whole_view(warehouse)))


def test_recovery_attempts_in_frames_are_the_attempts_whole(loaded):
    warehouse = Warehouse(loaded.warehouse.url)
    frames = list(warehouse.recovery_attempt_frames(whole_view(warehouse), rows=2))
    assert [len(frame) for frame in frames] == [2, 2, 1]
    whole = warehouse.recovery_attempts(whole_view(warehouse))
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), whole)


def test_an_empty_view_still_sends_the_header(loaded):
    warehouse = Warehouse(loaded.warehouse.url)
    nothing = Filters(whole_view(warehouse).start, whole_view(warehouse).end, segment="no-such-segment")
    (frame,) = warehouse.account_frames(nothing, rows=2)
    assert frame.empty and "account_number" in frame.columns


def exports_of(app, actor: str) -> pd.DataFrame:
    return app.server.extensions["portal_users"].audit_entries(action="export", actor=actor)


def test_a_streamed_export_is_audited_with_every_row_once_sent(loaded, make_app):
    app = make_app(loaded)
    answer = client_as(app, "analyst").get("/export/accounts.csv?segment=business")
    sent = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [row["account_number"] for row in sent] == ["A1", "A3", "A5"]
    entry = exports_of(app, "test-analyst").iloc[0]
    assert (entry["target"], entry["rows"]) == ("accounts", 3)
    assert json.loads(entry["detail"]) == {"filters": {"segment": "business"}, "unmasked": False}


def test_an_export_the_client_abandons_is_audited_as_incomplete(loaded, make_app):
    app = make_app(loaded)
    answer = client_as(app, "analyst").get("/export/recovery_attempts.csv", buffered=False)
    next(iter(answer.response))  # the header line, then the client goes away
    answer.close()
    entry = exports_of(app, "test-analyst").iloc[0]
    assert json.loads(entry["detail"])["complete"] is False


def test_a_bad_parameter_of_a_streamed_export_is_a_400_before_anything_is_sent(loaded, make_app):
    answer = client_as(make_app(loaded), "analyst").get("/export/accounts.csv?outcome=maybe")
    assert answer.status_code == 400
    assert answer.get_data(as_text=True).startswith("outcome must be")
