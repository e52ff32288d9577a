"""Recovery attempts (SPEC section 3): forgot-password events grouped into attempts with an outcome.

Attempts are formed on UTC instants, not wall-clock times, so the gap rule stays right across the
hour repeated when clocks fall back. An attempt's id is its first event's id, which makes it the
same whether the history was loaded in one run or in many.
"""

from __future__ import annotations

import pandas as pd

from portal.vocabulary import RECOVERY_FAILURES, RECOVERY_STARTS, RECOVERY_TYPES

_STEP_OF_TYPE = {
    "recovery_code_sent": 1,
    "security_question_failed": 2,
    "security_question_passed": 3,
    "password_reset": 4,
}

ATTEMPT_COLUMNS = (
    "attempt_id",
    "account_number",
    "started_at",
    "ended_at",
    "started_day",
    "outcome",
    "failure_reason",
    "furthest_step",
    "events",
    "first_utc",
    "last_utc",
)


def event_order(events: pd.DataFrame) -> list[str]:
    """Adds sortable event-id columns; ids that are all numbers sort as numbers, as a person expects."""
    events["_id_num"] = pd.to_numeric(events["event_id"], errors="coerce")
    events["_id_text"] = events["event_id"].astype("string")
    return ["_id_num", "_id_text"]


def form_attempts(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    """Group recovery-family events into attempts.

    `events` needs event_id, account_number (null for an event with no account), occurred_at
    (local), occurred_utc and event_type; events of other families are ignored.
    """
    recovery = events.loc[
        events["event_type"].isin(RECOVERY_TYPES),
        ["event_id", "account_number", "occurred_at", "occurred_utc", "event_type"],
    ].copy()
    if recovery.empty:
        return _empty()
    id_columns = event_order(recovery)
    recovery = recovery.sort_values(["account_number", "occurred_utc", *id_columns], na_position="last", kind="stable")
    key = recovery["account_number"]
    no_key = key.isna().to_numpy()
    same_key = (key == key.shift()).fillna(False).to_numpy(dtype=bool)
    gap = (recovery["occurred_utc"] - recovery["occurred_utc"].shift()) > pd.Timedelta(minutes=gap_minutes)
    starts = recovery["event_type"].isin(RECOVERY_STARTS).to_numpy()
    new_attempt = no_key | ~same_key | starts | gap.to_numpy(dtype=bool)
    recovery["_attempt"] = new_attempt.cumsum()

    types = recovery["event_type"]
    recovery["_reset"] = types == "password_reset"
    recovery["_failure"] = types.where(types.isin(RECOVERY_FAILURES))
    recovery["_step"] = types.map(_STEP_OF_TYPE).fillna(0).astype("int64")
    grouped = recovery.groupby("_attempt", sort=False)
    attempts = grouped.agg(
        attempt_id=("event_id", "first"),
        account_number=("account_number", "first"),
        started_at=("occurred_at", "first"),
        ended_at=("occurred_at", "last"),
        first_utc=("occurred_utc", "first"),
        last_utc=("occurred_utc", "last"),
        events=("event_id", "size"),
        succeeded=("_reset", "any"),
        failure_reason=("_failure", "last"),
        furthest_step=("_step", "max"),
    )
    failed = ~attempts["succeeded"] & attempts["failure_reason"].notna()
    attempts["outcome"] = "abandoned"
    attempts.loc[failed, "outcome"] = "failed"
    attempts.loc[attempts["succeeded"], "outcome"] = "succeeded"
    attempts["failure_reason"] = attempts["failure_reason"].where(failed)
    attempts["started_day"] = attempts["started_at"].dt.normalize()
    attempts["attempt_id"] = attempts["attempt_id"].astype("string")
    return attempts.reset_index(drop=True)[list(ATTEMPT_COLUMNS)]


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype="object") for column in ATTEMPT_COLUMNS})
    for column in ("started_at", "ended_at", "started_day", "first_utc", "last_utc"):
        frame[column] = frame[column].astype("datetime64[us]")
    frame["events"] = frame["events"].astype("int64")
    frame["furthest_step"] = frame["furthest_step"].astype("int64")
    return frame
