"""Source rows to warehouse rows: normalise, derive the flags, and set bad rows aside with a reason.

One bad row never stops a load: it is moved to the quarantine frame, with every reason that applies
and its original values, and the rest go on.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from etl.rules import (
    clean_text,
    email_status,
    map_event_types,
    parse_bool,
    parse_timestamps,
    timestamp_text,
    username_is_email,
)
from portal.config import Config
from portal.vocabulary import REASON_CODE_SEPARATOR, UNKNOWN_SEGMENT, QuarantineReason

QUARANTINE_COLUMNS = ("row_hash", "source_table", "row_key", "reason", "raw", "reason_codes")


class Reasons:
    """Collects every reason each row is bad, as texts and as codes; a row with any reason is quarantined."""

    def __init__(self, index: pd.Index) -> None:
        self._index = index
        self._texts = np.full(len(index), "", dtype=object)
        self._codes = np.full(len(index), "", dtype=object)

    def add(self, mask: pd.Series, reason: QuarantineReason) -> None:
        hit = mask.fillna(False).to_numpy(dtype=bool).nonzero()[0]
        for joined, part, separator in (
            (self._texts, reason.text, "; "),
            (self._codes, reason.value, REASON_CODE_SEPARATOR),
        ):
            current = joined[hit]
            joined[hit] = np.where(current == "", part, current + separator + part)

    def add_key(self, key: pd.Series, missing: QuarantineReason, duplicate: QuarantineReason) -> None:
        """A row's key: quarantine a row without one, and every row of a key on more than one row."""
        self.add(key.isna(), missing)
        self.add(key.duplicated(keep=False) & key.notna(), duplicate)

    def add_time(
        self,
        text: pd.Series,
        parsed: pd.DataFrame,
        unparsable: QuarantineReason,
        missing: QuarantineReason | None = None,
    ) -> None:
        """A time column (`parse_timestamps` of `text`): quarantine a value that is not a time, and when
        `missing` is given (the time is required) a row without one."""
        given = timestamp_text(text).notna()
        if missing is not None:
            self.add(~given, missing)
        self.add(parsed["local"].isna() & given, unparsable)

    @classmethod
    def every(cls, index: pd.Index, reason: QuarantineReason) -> Reasons:
        """One reason for every row of `index`."""
        reasons = cls(index)
        reasons.add(pd.Series(True, index=index), reason)
        return reasons

    def any(self) -> pd.Series:
        """Whether each row has a reason to be quarantined."""
        return pd.Series(self._codes != "", index=self._index)

    def frame(self) -> pd.DataFrame:
        """`reason` (the texts) and `reason_codes` of each row."""
        return pd.DataFrame({"reason": self._texts, "reason_codes": self._codes}, index=self._index, dtype=object)


def has_reason(codes: pd.Series, reason: QuarantineReason) -> pd.Series:
    """Whether each of the joined `reason_codes` holds `reason` (as a whole code, never part of another)."""
    separator = REASON_CODE_SEPARATOR
    return (separator + codes.fillna("") + separator).str.contains(f"{separator}{reason}{separator}", regex=False)


def normalise_web_users(raw: pd.DataFrame, config: Config) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Web user rows to `accounts` rows, and the rows that cannot be trusted to quarantine."""
    raw = raw.reset_index(drop=True)
    zone = config.zone
    account = clean_text(raw["account_number"])
    created = parse_timestamps(raw["created_at"], zone)
    enrolled = parse_timestamps(raw["enrolled_at"], zone)
    last_login = parse_timestamps(raw["last_login_at"], zone)
    portal = parse_bool(raw["portal_access"])

    reasons = Reasons(raw.index)
    reasons.add_key(account, QuarantineReason.MISSING_ACCOUNT_NUMBER, QuarantineReason.DUPLICATE_ACCOUNT_NUMBER)
    reasons.add_time(
        raw["created_at"], created, QuarantineReason.UNPARSABLE_CREATED_AT, missing=QuarantineReason.MISSING_CREATED_AT
    )
    reasons.add(portal.isna(), QuarantineReason.UNREADABLE_PORTAL_ACCESS)
    reasons.add_time(raw["enrolled_at"], enrolled, QuarantineReason.UNPARSABLE_ENROLLED_AT)
    reasons.add_time(raw["last_login_at"], last_login, QuarantineReason.UNPARSABLE_LAST_LOGIN_AT)
    bad = reasons.any()

    good = ~bad
    portal_access = portal[good].astype(bool)
    enrolled_basis = enrolled["local"][good].fillna(created["local"][good])
    accounts = pd.DataFrame(
        {
            "account_number": account[good],
            "segment": clean_text(raw["segment"][good]).fillna(UNKNOWN_SEGMENT),
            "portal_access": portal_access,
            "email": clean_text(raw["email"][good]),
            "email_status": email_status(raw["email"][good], config.placeholder_emails, config.placeholder_domains),
            "username": clean_text(raw["username"][good]),
            "username_is_email": username_is_email(raw["username"][good]),
            "created_at": created["local"][good],
            "enrolled_at": enrolled["local"][good],
            "last_login_at": last_login["local"][good],
            "created_day": created["local"][good].dt.normalize(),
            "enrolled_day": enrolled_basis.dt.normalize().where(portal_access),
        }
    )
    accounts["row_hash"] = _row_hashes(accounts)
    return accounts.reset_index(drop=True), quarantine_rows(
        raw[bad], reasons.frame()[bad], "web_users", "account_number"
    )


def normalise_events(raw: pd.DataFrame, config: Config) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Activity log rows to `events` rows; rows without a usable id or time go to quarantine."""
    raw = raw.reset_index(drop=True)
    event_id = clean_text(raw["event_id"])
    occurred = parse_timestamps(raw["occurred_at"], config.zone)
    reasons = Reasons(raw.index)
    reasons.add_key(event_id, QuarantineReason.MISSING_EVENT_ID, QuarantineReason.DUPLICATE_EVENT_ID)
    reasons.add_time(
        raw["occurred_at"],
        occurred,
        QuarantineReason.UNPARSABLE_OCCURRED_AT,
        missing=QuarantineReason.MISSING_OCCURRED_AT,
    )
    bad = reasons.any()
    good = ~bad
    local = occurred["local"][good]
    events = pd.DataFrame(
        {
            "event_id": event_id[good],
            "account_number": clean_text(raw["account_number"][good]),
            "occurred_at": local,
            "occurred_utc": occurred["utc"][good],
            "occurred_day": local.dt.normalize(),
            "occurred_hour": local.dt.hour.astype("int64"),
            "event_type": map_event_types(raw["event_type"][good], config.event_types),
            "source_event_type": clean_text(raw["event_type"][good]),
            "actor": clean_text(raw["actor"][good]),
            "channel": clean_text(raw["channel"][good]),
            "detail": clean_text(raw["detail"][good]),
        }
    )
    return events.reset_index(drop=True), quarantine_rows(raw[bad], reasons.frame()[bad], "activity_log", "event_id")


def no_quarantine() -> pd.DataFrame:
    """A quarantine frame with no rows."""
    return pd.DataFrame({column: pd.Series(dtype="string") for column in QUARANTINE_COLUMNS})


def quarantine_rows(rows: pd.DataFrame, reasons: pd.DataFrame, table: str, key: str) -> pd.DataFrame:
    """Bad rows with their reasons and original values, keyed by a hash so reloading adds nothing.

    `reasons` is `Reasons.frame()` of the rows. The hash covers the reason's text, as it has since
    before the codes were stored: the rows already in a warehouse keep their hashes, so a load that
    sets them aside again finds them stored. A reworded text would store them again under a new hash;
    tests/test_transform.py holds the texts to those of revision 0004.
    """
    if rows.empty:
        return no_quarantine()
    raw_json = [
        json.dumps({k: _plain(v) for k, v in record.items()}, sort_keys=True) for record in rows.to_dict("records")
    ]
    frame = pd.DataFrame(
        {
            "source_table": table,
            "row_key": clean_text(rows[key].astype("string")).to_numpy(),
            "reason": reasons["reason"].to_numpy(),
            "raw": raw_json,
            "reason_codes": reasons["reason_codes"].to_numpy(),
        }
    )
    return number_copies(frame)


def number_copies(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantine rows with their `row_hash` made from their table, reason and raw values.

    Identical source rows are each a row set aside, so each keeps an entry: the first copy's hash is
    that of revision 0004, the n-th copy's that hash and n hashed again. Made from the columns alone,
    so numbering a load's batches together gives the same hashes as one batch would.
    """
    if frame.empty:
        return no_quarantine()
    frame = frame.reset_index(drop=True)
    first = [
        hashlib.md5(f"{table}\0{reason}\0{raw}".encode()).hexdigest()
        for table, reason, raw in zip(frame["source_table"], frame["reason"], frame["raw"], strict=True)
    ]
    copy = frame.groupby(["source_table", "reason", "raw"], sort=False, dropna=False).cumcount().to_numpy()
    frame["row_hash"] = [
        digest if n == 0 else hashlib.md5(f"{digest}\0{n}".encode()).hexdigest()
        for digest, n in zip(first, copy, strict=True)
    ]
    return frame[list(QUARANTINE_COLUMNS)]


def _plain(value: object) -> object:
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):
        return None
    if isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def _row_hashes(frame: pd.DataFrame) -> pd.Series:
    """A 64-bit hash of each row's values, so an incremental run rewrites only the web users that changed.

    Hashed column by column in their own types: turning a million rows' times into text first took
    most of a run with nothing new.
    """
    hashed = pd.util.hash_pandas_object(frame, index=False)
    return pd.Series(hashed.to_numpy().astype(str), index=frame.index, dtype="string")


def daily_account_counts(accounts: pd.DataFrame) -> pd.DataFrame:
    """Per day, segment and email status: accounts created, became enrolled, newly enrolled.

    An account counts as enrolled from the later of its creation and its enrollment, so the
    enrolled stock never exceeds the total; a new enrollment is counted on its enrollment day.
    The email status lets the same table give placeholder accounts (and those at risk) over time.
    """
    keys = ["day", "segment", "email_status"]
    enrolled = accounts["portal_access"].astype(bool)
    stock_day = accounts["enrolled_day"].where(
        accounts["enrolled_day"] > accounts["created_day"], accounts["created_day"]
    )
    labels = accounts[["segment", "email_status"]]
    parts = {
        "created": labels.assign(day=accounts["created_day"]),
        "enrolled": labels[enrolled].assign(day=stock_day[enrolled]),
        "new_enrollments": labels[enrolled].assign(day=accounts["enrolled_day"][enrolled]),
    }
    counts = [part.groupby(keys).size().rename(name) for name, part in parts.items()]
    table = pd.concat(counts, axis=1).fillna(0).astype("int64").reset_index()
    if table.empty:
        return pd.DataFrame(
            {
                "day": pd.Series(dtype="datetime64[us]"),
                "segment": pd.Series(dtype="string"),
                "email_status": pd.Series(dtype="string"),
                **{name: pd.Series(dtype="int64") for name in parts},
            }
        )
    return table.sort_values(keys).reset_index(drop=True)
