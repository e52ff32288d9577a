"""The normalisation rules of SPEC section 2 and the email rules of section 3, over pandas Series.

They are vectorised because the same code runs on a 20-million-row activity log; each returns a
Series aligned with its input so callers can attach the result or its failures to the rows.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from portal.vocabulary import CANONICAL_EVENT_TYPES, FALSE_WORDS, OTHER_EVENT_TYPE, TRUE_WORDS

# "\x01" and "\x00": a BIT(1) column, which MySQL and MariaDB drivers return as the bytes 0x01 and 0x00
_TRUE = TRUE_WORDS | {"\x01"}
_FALSE = FALSE_WORDS | {"\x00"}
# MySQL and MariaDB allow 0000-00-00 as a "dummy date" in place of NULL; their drivers return it as text
MYSQL_ZERO_DATE = "0000-00-00"
_EMAIL_SHAPE = r"^[^\s@]+@[^\s@]+\.[^\s@]+$"
_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")


def clean_text(values: pd.Series) -> pd.Series:
    """Trimmed text with blanks as missing, so ' ' and None mean the same thing everywhere."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def timestamp_text(values: pd.Series) -> pd.Series:
    """A timestamp column as `clean_text`, where MySQL's zero date (its stand-in for NULL) is missing too."""
    text = clean_text(values)
    return text.mask(text.str.startswith(MYSQL_ZERO_DATE).fillna(False))


def parse_bool(values: pd.Series) -> pd.Series:
    """Boolean-like values to a nullable boolean; anything unreadable (or missing) becomes <NA>."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean")
    text = values.astype("string").str.strip().str.lower()
    text = text.str.replace(r"^([01])\.0+$", r"\1", regex=True)
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[text.isin(_TRUE).fillna(False)] = True
    result[text.isin(_FALSE).fillna(False)] = False
    return result


def is_email_shaped(values: pd.Series) -> pd.Series:
    """`local@domain.tld`: no spaces, exactly one `@`, a dot inside the part after it."""
    text = values.astype("string")
    return text.str.fullmatch(_EMAIL_SHAPE).fillna(False).astype(bool)


def email_status(
    emails: pd.Series,
    placeholder_emails: list[str] | tuple[str, ...] = ("blackhole@mhtc.net",),
    placeholder_domains: list[str] | tuple[str, ...] = (),
) -> pd.Series:
    """Classify each email as missing, placeholder, invalid or valid, in that order of precedence."""
    normalised = clean_text(emails).str.lower()
    domain = normalised.str.replace(r"^.*@", "", regex=True)  # after the last @, in one Arrow pass
    placeholder = normalised.isin([e.strip().lower() for e in placeholder_emails]) | (
        normalised.str.contains("@", regex=False) & domain.isin([d.strip().lower() for d in placeholder_domains])
    )
    status = np.select(
        [
            normalised.isna().to_numpy(),
            placeholder.fillna(False).to_numpy(dtype=bool),
            ~is_email_shaped(normalised).to_numpy(),
        ],
        ["missing", "placeholder", "invalid"],
        default="valid",
    )
    return pd.Series(status, index=emails.index, dtype="string")


def username_is_email(usernames: pd.Series) -> pd.Series:
    """True for an email-shaped username, False for one that is not, <NA> when there is none."""
    text = clean_text(usernames)
    result = is_email_shaped(text).astype("boolean")
    return result.mask(text.isna())


def map_event_types(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Canonical type for each source value: exact match after trimming, else `other`."""
    text = values.astype("string").str.strip()
    lookup = {name: name for name in CANONICAL_EVENT_TYPES}
    lookup.update({key.strip(): value for key, value in mapping.items()})
    mapped = text.map(lookup)
    return mapped.fillna(OTHER_EVENT_TYPE).astype("string")


def parse_timestamps(values: pd.Series, zone: ZoneInfo) -> pd.DataFrame:
    """Source timestamps to local wall-clock times in `zone` and their UTC instants.

    Naive values are local time in `zone`; aware values (native or text with an offset) are
    converted to it. In the hour repeated when clocks fall back a naive time is read as its first
    occurrence, and a naive time skipped when clocks spring forward is moved past the gap, so no
    real row is ever dropped for the zone's sake. Returns columns `local` and `utc` (both naive
    datetime64[us]); unparsable or missing values are NaT in both.
    """
    utc = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = values.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    elif pd.api.types.is_datetime64_dtype(dtype):
        utc = _localise(values.astype("datetime64[us]"), zone)
    else:
        utc = _parse_mixed(values, zone, utc)
    local = utc.dt.tz_convert(zone).dt.tz_localize(None)
    return pd.DataFrame(
        {"local": local.astype("datetime64[us]"), "utc": utc.dt.tz_localize(None)},
        index=values.index,
    )


def _localise(naive: pd.Series, zone: ZoneInfo) -> pd.Series:
    localised = naive.dt.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return localised.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def _parse_mixed(values: pd.Series, zone: ZoneInfo, out: pd.Series) -> pd.Series:
    objects = values.astype(object)
    if pd.api.types.infer_dtype(objects, skipna=True) in {"string", "empty"}:
        is_datetime = pd.Series(False, index=objects.index)
    else:
        is_datetime = objects.map(lambda v: hasattr(v, "year") and hasattr(v, "hour")).astype(bool)
    if is_datetime.any():
        aware = objects[is_datetime].map(lambda v: v.tzinfo is not None and v.utcoffset() is not None)
        for mask, is_aware in ((aware, True), (~aware, False)):
            chunk = objects[is_datetime][mask]
            if chunk.empty:
                continue
            if is_aware:
                out[chunk.index] = pd.to_datetime(list(chunk), utc=True).astype("datetime64[us, UTC]")
            else:
                stamps = pd.Series(pd.to_datetime(list(chunk)), index=chunk.index)
                out[chunk.index] = _localise(stamps.astype("datetime64[us]"), zone)
    text = clean_text(objects[~is_datetime])
    text = text.dropna()
    if text.empty:
        return out
    has_offset = text.str.contains(_OFFSET, regex=True)
    aware_text = text[has_offset]
    naive_text = text[~has_offset]
    if not aware_text.empty:
        parsed = _to_datetime(aware_text, utc=True)
        out[parsed.index] = parsed.astype("datetime64[us, UTC]")
    if not naive_text.empty:
        parsed = _to_datetime(naive_text, utc=False)
        valid = parsed.dropna()
        out[valid.index] = _localise(valid.astype("datetime64[us]"), zone)
    return out


def _to_datetime(text: pd.Series, *, utc: bool) -> pd.Series:
    """ISO 8601 first (fast); whatever that rejects gets one more, slower, try in any format."""
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
    retry = parsed.isna()
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], format="mixed", errors="coerce", utc=utc)
    return parsed
