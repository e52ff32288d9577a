"""Properties that hold for any input, where a person's data or a stranger's input meets the code.

Hypothesis makes the inputs: random source rows through the normalisation, random recovery
histories through attempt forming, random CSV cells, random export query strings and grid
requests. The settings profile (a few dozen examples each, no deadline) is in tests/conftest.py.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.data.datasets import DATASETS
from dashboard.data.slices import ACCOUNT_PARAMETERS, AccountFilters
from dashboard.data.view import VIEW_PARAMETERS, Filters
from dashboard.web.csvout import to_csv_text
from etl.attempts import form_attempts
from etl.transform import normalise_events, normalise_web_users
from portal.config import Config
from portal.vocabulary import CANONICAL_EVENT_TYPES, RECOVERY_TYPES
from tests.signin import client_as
from tests.test_access import paged_grid_payload

CONFIG = Config(timezone="America/Chicago")

# --- (a) random source rows: each loaded or quarantined exactly once, with a reason ---------------

MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31))
TIMESTAMPS = st.one_of(
    st.none(),
    st.sampled_from(
        ["", "   ", "0000-00-00 00:00:00", "0000-00-00", "soon", "2024-02-30 10:00:00", "2024-03-10 02:30"]
    ),
    MOMENTS.map(lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S")),
    MOMENTS.map(lambda moment: moment.isoformat(timespec="seconds") + "-05:00"),
    MOMENTS.map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.text(max_size=12),
)
"""Naive and aware times as text, MySQL's zero date, blanks, impossible dates and anything at all."""
WORDS = st.one_of(
    st.none(), st.sampled_from(["Y", "N", "true", "FALSE", "1", "0", "1.0", "yes", "No", "t", "f", "maybe", ""])
)
SOME_TEXT = st.one_of(st.none(), st.text(max_size=10))
EMAILS = st.one_of(
    SOME_TEXT, st.sampled_from([" Blackhole@MHTC.net ", "jane@example.com", "two@@x.com", "no-at.example.com"])
)
KEYS = st.one_of(st.none(), st.sampled_from(["A1", " A1", "A2", "A3 ", "", "  "]), st.text(max_size=4))
"""Few account numbers and event ids, so rows share them (with spaces that trimming removes) often."""


def web_user_rows() -> st.SearchStrategy[list[dict]]:
    row = st.fixed_dictionaries(
        {
            "account_number": KEYS,
            "segment": SOME_TEXT,
            "username": EMAILS,
            "email": EMAILS,
            "portal_access": WORDS,
            "created_at": TIMESTAMPS,
            "enrolled_at": TIMESTAMPS,
            "last_login_at": TIMESTAMPS,
        }
    )
    return with_copies(row)


def activity_rows() -> st.SearchStrategy[list[dict]]:
    row = st.fixed_dictionaries(
        {
            "event_id": st.one_of(KEYS, st.integers(0, 5).map(str)),
            "account_number": KEYS,
            "occurred_at": TIMESTAMPS,
            "event_type": st.one_of(st.sampled_from(sorted(CANONICAL_EVENT_TYPES)), SOME_TEXT),
            "actor": SOME_TEXT,
            "channel": SOME_TEXT,
            "detail": SOME_TEXT,
        }
    )
    return with_copies(row)


def with_copies(row: st.SearchStrategy[dict]) -> st.SearchStrategy[list[dict]]:
    """Lists of rows, some of them repeated whole (a source can hold the same row twice)."""
    return st.lists(row, max_size=12).flatmap(
        lambda rows: (
            st.lists(st.sampled_from(rows), max_size=3).map(lambda copies: rows + copies) if rows else st.just(rows)
        )
    )


def as_json(row: dict) -> str:
    """A row as the quarantine keeps it: missing values (None or NaN alike) as null."""
    return json.dumps({k: None if v is None or v != v else v for k, v in row.items()}, sort_keys=True)


def assert_each_row_once(raw: pd.DataFrame, loaded: pd.DataFrame, quarantine: pd.DataFrame, key: str) -> None:
    assert len(loaded) + len(quarantine) == len(raw)
    assert quarantine["row_hash"].is_unique
    assert (quarantine["reason"].str.len() > 0).all() and (quarantine["reason_codes"].str.len() > 0).all()
    # each quarantined row is a source row, as many times as the source holds it at most
    set_aside = Counter(as_json(json.loads(text)) for text in quarantine["raw"])
    source = Counter(as_json(row) for row in raw.to_dict("records"))
    assert not set_aside - source
    # each loaded key is on exactly one source row, and a row without a key is never loaded
    trimmed = raw[key].map(lambda value: value.strip() if isinstance(value, str) else value)
    counts = Counter(value for value in trimmed if value)
    assert loaded[key].notna().all()
    assert all(counts[value] == 1 for value in loaded[key])
    assert len(quarantine) >= sum(not value for value in trimmed)


TIMES = ["created_at", "enrolled_at", "last_login_at"]


@given(web_user_rows())
def test_every_web_user_row_is_loaded_or_quarantined_exactly_once_with_a_reason(rows):
    raw = pd.DataFrame(rows, columns=["account_number", "segment", "username", "email", "portal_access", *TIMES])
    accounts, quarantine = normalise_web_users(raw, CONFIG)
    assert_each_row_once(raw, accounts, quarantine, "account_number")


@given(activity_rows())
def test_every_activity_row_is_loaded_or_quarantined_exactly_once_with_a_reason(rows):
    raw = pd.DataFrame(
        rows, columns=["event_id", "account_number", "occurred_at", "event_type", "actor", "channel", "detail"]
    )
    events, quarantine = normalise_events(raw, CONFIG)
    assert_each_row_once(raw, events, quarantine, "event_id")
    assert events["occurred_at"].notna().all() and events["occurred_utc"].notna().all()


@given(
    st.lists(
        st.one_of(MOMENTS, MOMENTS.map(lambda moment: moment.replace(tzinfo=timezone(timedelta(hours=3))))),
        min_size=1,
        max_size=6,
    ),
    st.lists(TIMESTAMPS, max_size=4),
)
def test_native_times_mixed_with_text_never_raise(native, text):
    """A driver may hand back datetime objects, text, or both in one column."""
    raw = pd.DataFrame(
        {
            "event_id": [str(i) for i in range(len(native) + len(text))],
            "account_number": "A1",
            "occurred_at": pd.Series([*native, *text], dtype=object),
            "event_type": "login_failed",
            "actor": None,
            "channel": None,
            "detail": None,
        }
    )
    events, quarantine = normalise_events(raw, CONFIG)
    assert len(events) + len(quarantine) == len(raw)
    assert len(events) >= len(native)


# --- (b) recovery attempts: a partition of the recovery events, whatever their order or batching ---

RECOVERY = sorted(RECOVERY_TYPES)
START = datetime(2025, 3, 8, 12, 0)  # the night clocks spring forward in Chicago lies within reach


@st.composite
def recovery_histories(draw) -> pd.DataFrame:
    size = draw(st.integers(0, 25))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=size, max_size=size, unique=True))
    rows = [
        {
            "event_id": str(event_id),
            "account_number": draw(st.sampled_from(["A1", "A2", "A3", None])),
            "occurred_utc": START + timedelta(minutes=draw(st.integers(0, 600))),
            "event_type": draw(st.one_of(st.sampled_from(RECOVERY), st.sampled_from(["login_failed", "other"]))),
        }
        for event_id in ids
    ]
    frame = pd.DataFrame(rows, columns=["event_id", "account_number", "occurred_utc", "event_type"])
    frame["occurred_utc"] = pd.to_datetime(frame["occurred_utc"]).astype("datetime64[us]")
    frame["occurred_at"] = frame["occurred_utc"] - pd.Timedelta(hours=6)
    return frame


def attempts_in_order(attempts: pd.DataFrame) -> pd.DataFrame:
    return attempts.sort_values("attempt_id").reset_index(drop=True)


@given(recovery_histories(), st.sampled_from([5, 30, 120]))
def test_attempts_partition_the_recovery_events(events, gap):
    attempts = form_attempts(events, gap)
    recovery = events[events["event_type"].isin(RECOVERY_TYPES)]
    assert attempts["events"].sum() == len(recovery)
    assert attempts["attempt_id"].is_unique
    assert set(attempts["attempt_id"]) <= set(recovery["event_id"])
    per_account = attempts.groupby(attempts["account_number"].fillna("<none>"))["events"].sum().to_dict()
    assert per_account == recovery.groupby(recovery["account_number"].fillna("<none>")).size().to_dict()
    # an event with no account is an attempt of its own
    no_account = attempts[attempts["account_number"].isna()]
    assert (no_account["events"] == 1).all()
    # one account's attempts follow each other in time, never overlapping
    for _, mine in attempts.dropna(subset=["account_number"]).groupby("account_number"):
        mine = mine.sort_values(["first_utc", "last_utc"])
        assert (mine["first_utc"].iloc[1:].to_numpy() >= mine["last_utc"].iloc[:-1].to_numpy()).all()
    assert set(attempts["outcome"]) <= {"succeeded", "failed", "abandoned"}
    assert attempts.loc[attempts["outcome"] != "failed", "failure_reason"].isna().all()


@given(recovery_histories(), st.randoms(use_true_random=False))
def test_shuffling_the_events_changes_no_attempt(events, random):
    order = list(events.index)
    random.shuffle(order)
    shuffled = events.loc[order].reset_index(drop=True)
    pd.testing.assert_frame_equal(attempts_in_order(form_attempts(shuffled)), attempts_in_order(form_attempts(events)))


@given(recovery_histories(), st.integers(1, 4), st.randoms(use_true_random=False))
def test_forming_attempts_in_batches_of_accounts_changes_nothing(events, batches, random):
    keys = events["account_number"].fillna("<none>")
    batch_of = {key: random.randrange(batches) for key in keys.unique()}
    parts = [form_attempts(events[keys.map(batch_of) == batch]) for batch in range(batches)]
    parts = [part for part in parts if not part.empty]
    whole = attempts_in_order(form_attempts(events))
    together = attempts_in_order(pd.concat(parts, ignore_index=True)) if parts else whole.iloc[:0]
    pd.testing.assert_frame_equal(together, whole, check_dtype=False)


# --- (d) CSV cells read back as written, neutralised where a spreadsheet would run them -----------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@given(st.lists(st.tuples(st.one_of(st.none(), st.text()), st.text()), min_size=1, max_size=8))
def test_every_csv_cell_reads_back_as_the_original_or_neutralised(cells):
    frame = pd.DataFrame(cells, columns=["detail", "username"])
    rows = list(csv.reader(io.StringIO(to_csv_text(frame), newline="")))
    assert rows[0] == ["detail", "username"]
    assert len(rows) == len(cells) + 1
    for (detail, username), written in zip(cells, rows[1:], strict=True):
        for original, cell in zip((detail, username), written, strict=True):
            original = original or ""
            assert cell == ("'" + original if original.startswith(FORMULA_START) else original)


# --- (c) a stranger's input to the export route and the grid callback: never a 500 ---------------

PARAMETER_NAMES = st.one_of(
    st.sampled_from(sorted(VIEW_PARAMETERS | ACCOUNT_PARAMETERS | {"account", "limit"})), st.text(max_size=8)
)
PARAMETER_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "2024-01-01",
            "2025-12-31",
            "9999-12-31",
            "0001-01-01",
            "2024-02-30",
            "week",
            "month",
            "true",
            "no",
            "failed",
            "placeholder",
            "-1",
            "7",
            "²",
            "٣",
            "99999999999999999999",
            "A0000001",
            "résidentiel",
            "password_reset,login_failed",
        ]
    ),
    st.text(max_size=12),
)
DATASET_NAMES = st.one_of(st.sampled_from(sorted(DATASETS)), st.text(min_size=1, max_size=10))


@pytest.fixture(scope="module")
def analyst(dash_app):
    return client_as(dash_app, "analyst")


def one_line(response) -> bool:
    return response.get_data(as_text=True).strip().count("\n") == 0


@st.composite
def export_requests(draw) -> tuple[str, list[tuple[str, str]]]:
    """A dataset name and query parameters, the names mostly those the dataset takes."""
    dataset = draw(DATASET_NAMES)
    own = sorted(DATASETS[dataset].parameters) if dataset in DATASETS else sorted(VIEW_PARAMETERS)
    names = st.one_of(st.sampled_from(own), PARAMETER_NAMES)
    return dataset, draw(st.lists(st.tuples(names, PARAMETER_VALUES), max_size=4))


def latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


@given(export_requests())
def test_an_export_query_string_is_answered_200_400_or_404_never_500(analyst, request_parts):
    dataset, parameters = request_parts
    query = urlencode(parameters)
    response = analyst.get(f"/export/{dataset.replace('/', '_')}.csv?{query}")
    assert response.status_code in (200, 400, 404), (dataset, query, response.get_data(as_text=True)[:300])
    if response.status_code != 200:
        assert one_line(response)
    # a WSGI server sends headers as latin-1 and fails (a 500 the test client cannot see) on any other
    assert all(latin1(value) for _, value in response.headers.items()), dict(response.headers)


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=8)
)
COLUMN_IDS = st.one_of(
    st.sampled_from(["account_number", "segment", "email", "lockouts", "failed_recovery_attempts", "created_at"]),
    JSON_SCALARS,
)
FILTER_MODELS = st.recursive(
    st.fixed_dictionaries(
        {},
        optional={
            "filterType": st.sampled_from(["text", "number", "date", "set"]) | JSON_SCALARS,
            "type": st.sampled_from(["contains", "equals", "greaterThan", "startsWith", "blank", "inRange"])
            | JSON_SCALARS,
            "filter": JSON_SCALARS,
            "operator": st.sampled_from(["AND", "OR"]) | JSON_SCALARS,
        },
    ),
    lambda inner: st.fixed_dictionaries(
        {"conditions": st.lists(inner, max_size=3) | JSON_SCALARS},
        optional={"operator": st.sampled_from(["AND", "OR"]) | JSON_SCALARS},
    ),
    max_leaves=4,
)
ROW_REQUESTS = st.fixed_dictionaries(
    {},
    optional={
        "startRow": st.integers(-10, 5_000) | JSON_SCALARS,
        "endRow": st.integers(-10, 5_000) | JSON_SCALARS,
        "sortModel": st.lists(
            st.fixed_dictionaries({"colId": COLUMN_IDS}, optional={"sort": st.sampled_from(["asc", "desc"])}),
            max_size=3,
        )
        | JSON_SCALARS,
        "filterModel": st.dictionaries(
            st.text(max_size=6) | COLUMN_IDS.filter(lambda v: isinstance(v, str)), FILTER_MODELS, max_size=3
        )
        | JSON_SCALARS,
    },
)
STATE_QUERIES = st.dictionaries(PARAMETER_NAMES, PARAMETER_VALUES, max_size=3)


def grid_post(client, request: dict, query: dict | None = None):
    payload = paged_grid_payload(query)
    payload["inputs"][0]["value"] = request
    return client.post("/_dash-update-component", json=payload)


@given(ROW_REQUESTS, STATE_QUERIES)
def test_a_grid_row_request_is_answered_200_400_or_404_never_500(analyst, row_request, query):
    response = grid_post(analyst, row_request, query)
    assert response.status_code in (200, 400, 404), (row_request, query, response.get_data(as_text=True)[:300])


SORTABLE = ["segment", "email_status", "portal_access", "failed_recovery_attempts", "lockouts", "created_at"]


@pytest.mark.parametrize(
    "sort_model",
    [
        [{"colId": "lockouts", "sort": "desc"}],
        [{"colId": "failed_recovery_attempts", "sort": "desc"}, {"colId": "segment", "sort": "asc"}],
        [{"colId": "email_status", "sort": "asc"}, {"colId": "created_at", "sort": "desc"}],
        [{"colId": "portal_access", "sort": "desc"}, {"colId": "lockouts", "sort": "asc"}],
    ],
    ids=["lockouts", "failures-segment", "status-created", "access-lockouts"],
)
def test_sorted_grid_rows_equal_a_pandas_sort_of_the_whole_list(analyst, warehouse, sort_model):
    first, last = warehouse.extent()
    query = {"start": first.isoformat(), "end": last.isoformat()}
    response = grid_post(analyst, {"startRow": 100, "endRow": 200, "sortModel": sort_model}, query)
    assert response.status_code == 200
    rows = response.get_json()["response"][next(iter(response.get_json()["response"]))]["getRowsResponse"]
    every = warehouse.accounts(Filters.parse(query, None), AccountFilters.parse({}))
    columns = [item["colId"] for item in sort_model] + ["account_number"]
    ascending = [item["sort"] == "asc" for item in sort_model] + [True]
    expected = every.sort_values(columns, ascending=ascending, kind="stable")["account_number"].iloc[100:200]
    assert [row["account_number"] for row in rows["rowData"]] == expected.tolist()
    assert rows["rowCount"] == len(every)
