"""Deterministic demo source: the billing system's `web_users` and `activity_log` tables.

The dashboard needs data that behaves like the real thing (SPEC sections 1-2): a billing
conversion that gave every account without portal access the placeholder email
`Blackhole@mhtc.net`, enrollment rising through registration codes and staff set-ups, logins
with lockout waves, forgot-password flows that cannot work for placeholder-email accounts, staff
resets when self-service fails, and a thin sprinkling of bad rows for the quarantine.

Generation works per batch of accounts and is vectorised with numpy: there is no Python loop per
event or per account, so a million accounts (about twenty million events) take a few minutes in
bounded memory. Batch `b` draws from `default_rng([seed, b])` and run-wide choices (lockout waves)
from `default_rng(seed)`, so the tables depend only on the arguments.

Naive timestamps are wall-clock times in `DEMO_TIMEZONE`; load the demo with the ETL's
`timezone` set to it (the ~0.5% of aware timestamps carry their own offset).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from tqdm import tqdm

DEMO_TIMEZONE = "America/Chicago"
PLACEHOLDER_EMAIL = "Blackhole@mhtc.net"
MAX_ACCOUNTS = 8_999_999  # account numbers are 'A' + 7 digits, from A1000000 upwards

_MINUTE = 60
_HOUR = 3_600
_DAY = 86_400
_YEAR = 365.25 * _DAY
_EPOCH = date(1970, 1, 1)
_NO_TIME = -1  # "no timestamp" in int64 time arrays
_NO_ACCOUNT = -1  # event slot for events with a null account_number


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_demo` wrote."""

    accounts: int  # web_users rows
    events: int  # activity_log rows


# --------------------------------------------------------------------------- code tables


class _Ev(enum.IntEnum):
    """Event kinds; the canonical ones first, in SPEC order, then raw source spellings."""

    REGISTRATION_STARTED = 0
    REGISTRATION_CODE_INVALID = enum.auto()
    REGISTRATION_COMPLETED = enum.auto()
    ACCOUNT_ACTIVATED = enum.auto()
    PORTAL_ACCESS_GRANTED = enum.auto()
    LOGIN_SUCCEEDED = enum.auto()
    LOGIN_FAILED = enum.auto()
    ACCOUNT_LOCKED = enum.auto()
    ACCOUNT_UNLOCKED = enum.auto()
    RECOVERY_REQUESTED = enum.auto()
    RECOVERY_EMAIL_UNKNOWN = enum.auto()
    RECOVERY_CODE_SENT = enum.auto()
    RECOVERY_CODE_FAILED = enum.auto()
    SECURITY_QUESTION_FAILED = enum.auto()
    SECURITY_QUESTION_PASSED = enum.auto()
    PASSWORD_RESET = enum.auto()
    PASSWORD_RESET_BY_STAFF = enum.auto()
    PASSWORD_CHANGED = enum.auto()
    USERNAME_CHANGED = enum.auto()
    EMAIL_CHANGED = enum.auto()
    LEGACY_PASSWORD = enum.auto()  # the eLation wording; maps to password_reset via config
    LEGACY_SYNC = enum.auto()  # maps to nothing: becomes `other`
    PADDED_LOGIN = enum.auto()  # canonical after trimming


_EVENT_TYPE_TEXT = np.array(
    [e.name.lower() for e in _Ev if e < _Ev.LEGACY_PASSWORD]
    + ["Customer changed password via Billing Portal", "legacy_sync", " login_succeeded "],
    dtype=object,
)


class _Who(enum.IntEnum):
    NONE = 0
    CUSTOMER = 1
    STAFF = 2
    SYSTEM = 3


class _Ch(enum.IntEnum):
    NONE = 0
    WEB = 1
    MOBILE = 2
    PHONE = 3
    OFFICE = 4
    EMAIL = 5


_ACTOR_TEXT = np.array([None, "customer", "staff", "system"], dtype=object)
_CHANNEL_TEXT = np.array([None, "web", "mobile", "phone", "office", "email"], dtype=object)

# Free-text details as the billing system writes them; one is picked at random per event
# unless a generator names one (see `_detail`).
_DETAILS: dict[_Ev, tuple[str | None, ...]] = {
    _Ev.REGISTRATION_STARTED: (
        "Sign up for an Account",
        "Registration with account number and registration code",
    ),
    _Ev.REGISTRATION_CODE_INVALID: (
        "Registration code not recognised",
        "Registration code expired",
    ),
    _Ev.REGISTRATION_COMPLETED: ("Registration submitted; activation email sent",),
    _Ev.ACCOUNT_ACTIVATED: ("Account activated from registration email",),
    _Ev.PORTAL_ACCESS_GRANTED: (
        "Web user set up by Billing Office",
        "Portal access set up at customer request",
    ),
    _Ev.LOGIN_SUCCEEDED: (None,),
    _Ev.LOGIN_FAILED: ("Invalid password", "Invalid username or password"),
    _Ev.ACCOUNT_LOCKED: ("Account locked after 5 failed logins",),
    _Ev.ACCOUNT_UNLOCKED: ("Unlocked by Billing Office", "Automatic unlock after 30 minutes"),
    _Ev.RECOVERY_REQUESTED: ("Forgot Your Password",),
    _Ev.RECOVERY_EMAIL_UNKNOWN: ("Email address is not valid in the Billing Portal system",),
    _Ev.RECOVERY_CODE_SENT: ("Recovery code sent by email",),
    _Ev.RECOVERY_CODE_FAILED: ("Recovery code incorrect", "Recovery code expired"),
    _Ev.SECURITY_QUESTION_FAILED: ("Security question answered incorrectly",),
    _Ev.SECURITY_QUESTION_PASSED: (None,),
    _Ev.PASSWORD_RESET: ("Password reset via Forgot Your Password",),
    _Ev.PASSWORD_RESET_BY_STAFF: (
        "Password reset by Billing Office; CPNI verified",
        "Temporary password issued by phone",
    ),
    _Ev.PASSWORD_CHANGED: ("Password changed in Settings",),
    _Ev.USERNAME_CHANGED: ("Username changed in Settings",),
    _Ev.EMAIL_CHANGED: ("Email address updated",),
    _Ev.LEGACY_PASSWORD: ("Activity Log: customer changed password",),
    _Ev.LEGACY_SYNC: ("Nightly sync from legacy CIS",),
    _Ev.PADDED_LOGIN: (None,),
}
_UNKNOWN_USERNAME = "Unknown username"  # only where a generator asks for it
PLACEHOLDER_REPLACED = "Placeholder email replaced by the office"
"""The detail of the `email_changed` events that fixed an at-risk account (`_email_fixes`); the demo
load (etl.demo_load) finds the fixed accounts by it."""
_DETAIL_TEXT = np.array([t for e in _Ev for t in _DETAILS[e]] + [_UNKNOWN_USERNAME, PLACEHOLDER_REPLACED], dtype=object)
_DETAIL_COUNT = np.array([len(_DETAILS[e]) for e in _Ev])
_DETAIL_FIRST = np.concatenate([[0], np.cumsum(_DETAIL_COUNT)[:-1]])


def _detail(text: str) -> int:
    """Code of a specific detail text, for generators that know which one applies."""
    return int(np.flatnonzero(text == _DETAIL_TEXT)[0])


# Web user vocabulary.


def _words(text: str) -> np.ndarray:
    return np.array(text.split())


_SEGMENTS = np.array(["residential", "business", "government", None, "", "  "], dtype=object)
_SEGMENT_P = [0.835, 0.125, 0.03, 0.004, 0.004, 0.002]
_BUSINESS, _GOVERNMENT = 1, 2  # codes into _SEGMENTS

_FIRST = _words(
    "james mary robert patricia john jennifer michael linda david elizabeth william barbara "
    "richard susan joseph jessica thomas sarah charles karen chris nancy daniel lisa matthew "
    "betty anthony sandra mark ashley donald kim steven emily paul donna andrew michelle josh "
    "carol kevin amanda brian melissa george deborah tim rebecca ron laura jason cynthia"
)
_LAST = _words(
    "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez "
    "lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson "
    "white harris sanchez clark ramirez lewis robinson walker young allen king wright scott "
    "torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter"
)
_BUSINESS_NAMES = _words(
    "BobsBuilding MainStreetDiner RiverValleyFarms HilltopAuto CornerHardware PrairieVet "
    "LakesideDental SunriseBakery MidwestPlumbing OakTreeDaycare TwinPinesMotel "
    "CountyLineFeed BlueSkyRealty GreenAcresNursery"
)
_COUNTIES = _words("marion polk lincoln union franklin clay story boone")
_DOMAINS = _words("gmail.com yahoo.com outlook.com hotmail.com aol.com icloud.com mhtc.net att.net comcast.net")
_DOMAIN_P = [0.36, 0.15, 0.09, 0.08, 0.05, 0.07, 0.1, 0.05, 0.05]
_PLACEHOLDERS = np.array(
    [
        PLACEHOLDER_EMAIL,
        "blackhole@mhtc.net",
        " blackhole@MHTC.net ",
        "BLACKHOLE@MHTC.NET",
        "Blackhole@mhtc.net ",
    ]
)
_PLACEHOLDER_P = [0.82, 0.08, 0.04, 0.03, 0.03]
_MISSING_EMAILS = np.array([None, "", "   "], dtype=object)
_INVALID_EMAILS = np.array(["john.doe@", "no email", "a@b", "none", "jdoe@gmail", "mary smith@yahoo.com"], dtype=object)
_TRUE_TEXT = np.array(["Y", "true", "1", "yes", "True", "t", "TRUE", "y", "Yes", "T"], dtype=object)
_FALSE_TEXT = np.array(["N", "false", "0", "no", "False", "f", "FALSE", "n", "No", "F"], dtype=object)
_BOOL_TEXT_P = [0.3, 0.2, 0.15, 0.1, 0.08, 0.05, 0.05, 0.03, 0.02, 0.02]

# Bad values for the quarantine.
_BLANK_ACCOUNTS = np.array([None, "", "  "], dtype=object)
_BAD_TIMES = np.array([None, "not a date", "2024-02-30 08:00:00", "N/A"], dtype=object)
_BAD_PORTAL_ACCESS = np.array(["maybe", "", "?", "unknown"], dtype=object)
_BAD_ROW_RATE = 4e-5  # per row and kind; batch 0 also gets one of each so small demos have all

# When people act: customers mostly daytime and evening, staff during office hours.
_CUSTOMER_HOURS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.5, 4, 4.2, 4.3, 4.5, 4.3, 4.2, 4.2, 4.3, 4.8, 5.5, 6, 5.8, 5, 3.5, 2]
)
_OFFICE_HOURS = np.array([0.0] * 8 + [3.0, 5, 5, 4, 3, 5, 5, 4, 2] + [0.0] * 7)


class _Path(enum.IntEnum):
    """How (and whether) a web user got portal access."""

    NONE = 0
    CONVERTED = 1  # had access before the billing conversion
    REGISTERED = 2  # registration code, then activation by email
    STAFF = 3  # set up by the billing office
    UNACTIVATED = 4  # registered but never clicked the activation link


# --------------------------------------------------------------------------- time helpers


def _seconds(day: date) -> int:
    """Midnight of a day as naive wall-clock seconds since 1970-01-01 (the internal clock)."""
    return (day - _EPOCH).days * _DAY


@dataclass(frozen=True)
class _Zone:
    """A time zone's UTC offsets and spring-forward gaps over the demo range, as arrays.

    Wall-clock times inside a gap never appear on a real clock, so generated times there are
    moved forward; the offsets serve the few timestamps written with an explicit offset.
    """

    change_at: np.ndarray  # wall-clock instant (in the old offset) of each change
    offset_after: np.ndarray  # offset in seconds from that instant on
    offset_before: int
    gaps: tuple[tuple[int, int], ...]

    @classmethod
    def build(cls, name: str, lo: int, hi: int) -> _Zone:
        tz = ZoneInfo(name)
        hours = range(lo // _HOUR - 48, hi // _HOUR + 48)
        offsets = np.array(
            [datetime.fromtimestamp(h * _HOUR, tz).utcoffset().total_seconds() for h in hours],
            dtype=np.int64,
        )
        idx = np.flatnonzero(np.diff(offsets)) + 1
        utc = np.array(hours)[idx] * _HOUR
        before, after = offsets[idx - 1], offsets[idx]
        gaps = tuple((int(u + b), int(u + a)) for u, b, a in zip(utc, before, after, strict=True) if a > b)
        return cls(utc + before, after, int(offsets[0]), gaps)

    def skip_gaps(self, t: np.ndarray) -> np.ndarray:
        for lo, hi in self.gaps:
            t = np.where((t >= lo) & (t < hi), t + (hi - lo), t)
        return t

    def offsets(self, t: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self.change_at, t, side="right") - 1
        return np.where(k < 0, self.offset_before, self.offset_after[np.maximum(k, 0)])


@dataclass(frozen=True)
class _Timeline:
    """The demo range on the internal clock, plus run-wide events (the lockout waves)."""

    conversion: int  # the billing conversion's night
    start: int
    end: int  # exclusive: midnight after the last day
    waves: np.ndarray  # when a portal change made many customers' passwords fail
    wave_shares: np.ndarray  # share of portal users locked out by each wave
    zone: _Zone

    def years(self, since: np.ndarray) -> np.ndarray:
        """Years from `since` to the end of the range (0 when after it)."""
        return np.maximum(self.end - since, 0) / _YEAR

    def progress(self, t: np.ndarray) -> np.ndarray:
        """0 at the start of the range, 1 at its end."""
        return np.clip((t - self.start) / (self.end - self.start), 0.0, 1.0)


def _timeline(seed: int, start: date, end: date) -> _Timeline:
    rng = np.random.default_rng(seed)
    lo, hi = _seconds(start), _seconds(end + timedelta(days=1))
    days = (hi - lo) // _DAY
    n_waves = max(1, min(4, days // 240))
    wave_days = np.sort(rng.choice(np.arange(days // 10, days - days // 20), n_waves, replace=False))
    waves = lo + wave_days * _DAY + 6 * _HOUR  # deployed early morning
    shares = rng.uniform(0.03, 0.08, n_waves)
    zone = _Zone.build(DEMO_TIMEZONE, lo - 5 * _DAY, hi)
    return _Timeline(lo - 3 * _DAY, lo, hi, waves, shares, zone)


def _hour_sampler(weights: np.ndarray) -> np.ndarray:
    return np.cumsum(weights) / np.sum(weights)


_CUSTOMER_CDF = _hour_sampler(_CUSTOMER_HOURS)
_OFFICE_CDF = _hour_sampler(_OFFICE_HOURS)


def _time_of_day(rng: np.random.Generator, n: int, cdf: np.ndarray) -> np.ndarray:
    hour = np.searchsorted(cdf, rng.random(n), side="right")
    return hour * _HOUR + rng.integers(0, _HOUR, n)


def _between(rng: np.random.Generator, lo, hi) -> np.ndarray:
    """Uniform instants in [lo, hi); lo and hi broadcast."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, np.int64), np.asarray(hi, np.int64))
    return lo + (rng.random(lo.shape) * np.maximum(hi - lo, 1)).astype(np.int64)


def _snap(rng: np.random.Generator, t: np.ndarray, cdf: np.ndarray, lo, hi) -> np.ndarray:
    """Move each instant to a typical hour of its own day, unless that leaves [lo, hi)."""
    t = np.asarray(t, np.int64)
    moved = t // _DAY * _DAY + _time_of_day(rng, t.size, cdf)
    return np.where((moved >= lo) & (moved < hi), moved, t)


def _customer_time(rng: np.random.Generator, lo, hi) -> np.ndarray:
    """When a customer does something in [lo, hi): uniform day, customer-shaped hour."""
    return _snap(rng, _between(rng, lo, hi), _CUSTOMER_CDF, lo, hi)


def _office_time(rng: np.random.Generator, after, min_delay: float, max_delay: float):
    """When the billing office gets to something: office hours on a weekday, after a delay."""
    after = np.asarray(after, np.int64)
    t = after + rng.uniform(min_delay, max_delay, after.shape).astype(np.int64)
    t = t // _DAY * _DAY + _time_of_day(rng, after.size, _OFFICE_CDF)
    t = np.where(t < after + min_delay, t + _DAY, t)
    weekday = (t // _DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    return t + np.select([weekday == 5, weekday == 6], [2 * _DAY, _DAY], 0)


def _minutes(rng: np.random.Generator, n: int, lo: float = 1, hi: float = 10) -> np.ndarray:
    return (rng.uniform(lo, hi, n) * _MINUTE).astype(np.int64)


def _customer_channel(rng: np.random.Generator, t: np.ndarray, tl: _Timeline) -> np.ndarray:
    """Web or mobile; the mobile share grows from 20% to 45% over the range."""
    mobile = rng.random(t.size) < 0.2 + 0.25 * tl.progress(t)
    return np.where(mobile, _Ch.MOBILE, _Ch.WEB)


def _format_times(t: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS' for each instant, or 'YYYY-MM-DDTHH:MM:SS-06:00' given UTC
    offsets in seconds; built from digit tables, since per-row strftime is far too slow."""
    t = np.asarray(t, np.int64)
    days = t // _DAY
    sec = t - days * _DAY
    # Civil date from day number (H. Hinnant's algorithm).
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    fields = [(0, year // 100), (2, year % 100), (5, month), (8, day)]
    fields += [(11, sec // _HOUR), (14, sec // _MINUTE % 60), (17, sec % 60)]
    width = 19 if offset is None else 25
    out = np.empty((t.size, width), np.uint8)
    out[:, [4, 7, 10, 13, 16]] = np.frombuffer(b"-- ::", np.uint8)
    if offset is not None:
        out[:, 10] = ord("T")
        out[:, 19] = np.where(offset < 0, ord("-"), ord("+"))
        out[:, 22] = ord(":")
        fields += [(20, np.abs(offset) // _HOUR), (23, np.abs(offset) // _MINUTE % 60)]
    for col, value in fields:
        out[:, col : col + 2] = _DIGIT_PAIRS[value]
    return out.view(f"S{width}").ravel().astype(f"U{width}")


_DIGIT_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], np.uint8)


def _format_optional(t: np.ndarray) -> np.ndarray:
    """Like `_format_times`, with None where there is no time."""
    out = _format_times(np.maximum(t, 0)).astype(object)
    out[t == _NO_TIME] = None
    return out


def _format_aware(t: np.ndarray, zone: _Zone, as_utc: np.ndarray) -> np.ndarray:
    """ISO text with an explicit offset: local wall time with its offset, or the UTC instant."""
    offset = zone.offsets(t)
    shown = np.where(as_utc, t - offset, t)
    return _format_times(shown, np.where(as_utc, 0, offset)).astype(object)


# --------------------------------------------------------------------------- web users


@dataclass
class _Accounts:
    """One batch of web users, as arrays; `number` stays the true account number even where
    the written row is spoiled, so events keep pointing at it."""

    number: np.ndarray
    segment: np.ndarray  # codes into _SEGMENTS
    created: np.ndarray
    path: np.ndarray  # _Path codes
    enrolled: np.ndarray  # completion/grant time, or _NO_TIME
    active_from: np.ndarray  # first possible portal login, or _NO_TIME
    email: np.ndarray
    on_placeholder: np.ndarray  # the email is the placeholder: recovery codes go nowhere
    had_placeholder: np.ndarray  # the placeholder was the email before enrolling
    username: np.ndarray
    renamed_at: np.ndarray  # username changed to a non-email, or _NO_TIME

    @property
    def size(self) -> int:
        return self.number.size

    @property
    def portal(self) -> np.ndarray:
        return np.isin(self.path, [_Path.CONVERTED, _Path.REGISTERED, _Path.STAFF])


def _account_numbers(first: int, n: int) -> np.ndarray:
    return np.char.add("A", (1_000_000 + first + np.arange(n)).astype(str)).astype(object)


def _pick(rng: np.random.Generator, options: np.ndarray, n: int, p=None) -> np.ndarray:
    return options[rng.choice(len(options), size=n, p=p)]


def _real_emails(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    """Emails people actually have: firstname.lastname123@gmail.com and friends."""
    n = segment.size
    first, last = _pick(rng, _FIRST, n), _pick(rng, _LAST, n)
    shouty = rng.random(n) < 0.05  # typed with capitals; still the same mailbox
    first = np.where(shouty, np.char.capitalize(first), first)
    last = np.where(shouty, np.char.capitalize(last), last)
    digits = rng.integers(1, 1000, n).astype(str)
    initial = np.char.ljust(first, 1).astype("U1")
    style = rng.choice(5, n, p=[0.4, 0.2, 0.2, 0.1, 0.1])
    local = np.select(
        [style == 0, style == 1, style == 2, style == 3],
        [
            np.char.add(np.char.add(first, "."), np.char.add(last, digits)),
            np.char.add(np.char.add(first, "."), last),
            np.char.add(np.char.add(initial, last), digits),
            np.char.add(np.char.add(first, "_"), last),
        ],
        np.char.add(first, digits),
    )
    personal = np.char.add(np.char.add(local, "@"), _pick(rng, _DOMAINS, n, _DOMAIN_P))
    business = np.char.add(
        _pick(rng, np.array(["office@", "billing@", "accounts@"]), n),
        np.char.add(np.char.lower(_pick(rng, _BUSINESS_NAMES, n)), ".com"),
    )
    government = np.char.add(
        _pick(rng, np.array(["clerk@", "treasurer@", "it@"]), n),
        np.char.add(_pick(rng, _COUNTIES, n), "county.gov"),
    )
    org = rng.random(n) < 0.6
    return np.select(
        [org & (segment == _BUSINESS), org & (segment == _GOVERNMENT)],
        [business, government],
        personal,
    ).astype(object)


def _handles(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    """Usernames that are not emails, the kind that later trips people up at login;
    businesses like their company name ("BobsBuilding")."""
    n = segment.size
    first, last = _pick(rng, _FIRST, n), _pick(rng, _LAST, n)
    initial = np.char.ljust(first, 1).astype("U1")
    style = np.where((segment == _BUSINESS) & (rng.random(n) < 0.6), 1, rng.choice([0, 2, 3], n))
    return np.select(
        [style == 0, style == 1, style == 2],
        [
            np.char.add(np.char.add(initial, last), rng.integers(10, 100, n).astype(str)),
            _pick(rng, _BUSINESS_NAMES, n),
            np.char.add(first, rng.integers(1950, 2006, n).astype(str)),
        ],
        np.char.add(np.char.capitalize(first), np.char.capitalize(last)),
    ).astype(object)


def _created(rng: np.random.Generator, n: int, tl: _Timeline) -> np.ndarray:
    """Most web users date from the conversion's overnight run; the rest are new customers."""
    converted = rng.random(n) < 0.8
    conversion = tl.conversion + 20 * _HOUR + rng.integers(0, 10 * _HOUR, n)
    new = _snap(rng, _between(rng, np.full(n, tl.start), tl.end), _OFFICE_CDF, tl.start, tl.end)
    return np.where(converted, conversion, new)


def _enrollment(rng: np.random.Generator, created: np.ndarray, tl: _Timeline):
    """Path to portal access and its time: a quarter had it at conversion, the rest enroll
    at a steady hazard (new customers often at sign-up), by code or at the office."""
    n = created.size
    converted = created < tl.start
    had_access = converted & (rng.random(n) < 0.25)
    at_signup = ~converted & (rng.random(n) < 0.3)
    delay = np.where(at_signup, rng.exponential(3 * _DAY, n), rng.exponential(1300 * _DAY, n))
    by_staff = rng.random(n) < np.where(at_signup, 0.5, 0.2)
    base = np.maximum(created, tl.start) + delay.astype(np.int64)
    when = np.where(
        by_staff,
        _office_time(rng, base, 0, 0),
        _snap(rng, base, _CUSTOMER_CDF, created + _HOUR, tl.end),
    )
    when = np.maximum(when, created + 10 * _MINUTE)
    enrolls = ~had_access & (when < tl.end)
    never_activated = rng.random(n) < 0.08
    path = np.select(
        [had_access, enrolls & by_staff, enrolls & never_activated, enrolls],
        [_Path.CONVERTED, _Path.STAFF, _Path.UNACTIVATED, _Path.REGISTERED],
        _Path.NONE,
    )
    enrolled = np.where(enrolls, when, _NO_TIME)
    return path, enrolled


def _make_accounts(rng: np.random.Generator, first: int, n: int, tl: _Timeline) -> _Accounts:
    segment = rng.choice(len(_SEGMENTS), size=n, p=_SEGMENT_P)
    created = _created(rng, n, tl)
    path, enrolled = _enrollment(rng, created, tl)
    portal = np.isin(path, [_Path.CONVERTED, _Path.REGISTERED, _Path.STAFF])

    real = _real_emails(rng, segment)
    placeholder = _pick(rng, _PLACEHOLDERS, n, _PLACEHOLDER_P).astype(object)
    # Conversion gave the placeholder to everyone without access; the office kept using it
    # for most new customers too, since the field is required.
    had_placeholder = (path != _Path.CONVERTED) & ((created < tl.start) | (rng.random(n) < 0.7))
    # Staff set-ups sometimes put the real address in the username only: "at risk" accounts.
    keeps_placeholder = (path == _Path.STAFF) & had_placeholder & (rng.random(n) < 0.2)
    on_placeholder = had_placeholder & ((path == _Path.NONE) | keeps_placeholder)
    email = np.where(on_placeholder, placeholder, real)
    odd = rng.random(n)  # a few records with no usable email at all
    missing, invalid = odd < 0.004, (odd >= 0.004) & (odd < 0.007)
    email = np.where(missing, _pick(rng, _MISSING_EMAILS, n), email)
    email = np.where(invalid, _pick(rng, _INVALID_EMAILS, n), email)
    on_placeholder &= ~(missing | invalid)

    # Registrants can log in once they click the activation link (minutes, sometimes days).
    activation = np.minimum(rng.lognormal(np.log(20 * _MINUTE), 1.5, n), 14 * _DAY)
    active_from = np.select(
        [path == _Path.CONVERTED, path == _Path.REGISTERED, path == _Path.STAFF],
        [tl.start, enrolled + activation.astype(np.int64), enrolled],
        _NO_TIME,
    )
    renamed = portal & (active_from < tl.end - _DAY) & (rng.random(n) < 0.07)
    renamed_at = np.where(renamed, _customer_time(rng, np.maximum(active_from, 0), tl.end), _NO_TIME)
    username = np.where(portal, real, None)
    username = np.where(renamed, _handles(rng, segment), username)
    return _Accounts(
        number=_account_numbers(first, n),
        segment=segment,
        created=created,
        path=path,
        enrolled=enrolled,
        active_from=active_from,
        email=email,
        on_placeholder=on_placeholder,
        had_placeholder=had_placeholder,
        username=username,
        renamed_at=renamed_at,
    )


# --------------------------------------------------------------------------- events


class _Events:
    """One batch's event columns, gathered from the generators and joined once.

    `who` is a slot: 0..n-1 the batch's accounts, n.. its orphan numbers, -1 no account.
    `detail` is a code into _DETAIL_TEXT, or -1 to pick one of the kind's usual texts.
    """

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, ...]] = []

    def add(self, who, at, kind, actor, channel, detail=-1) -> None:
        at = np.asarray(at, np.int64)
        if at.size:
            columns = (who, at, kind, actor, channel, detail)
            self._parts.append(tuple(np.broadcast_to(np.asarray(c, np.int64), at.shape) for c in columns))

    def columns(self) -> tuple[np.ndarray, ...]:
        if not self._parts:
            return tuple(np.empty(0, np.int64) for _ in range(6))
        return tuple(np.concatenate(c) for c in zip(*self._parts, strict=True))


def _rare(rng: np.random.Generator, n: int, batch_no: int, rate: float = _BAD_ROW_RATE) -> int:
    """How many of a rare thing a batch gets: about `rate` per row, and at least one in batch
    0 so that even a small demo shows every kind of oddity."""
    return int(rng.binomial(n, rate)) + (batch_no == 0)


def _portal_users(acc: _Accounts, tl: _Timeline) -> tuple[np.ndarray, np.ndarray]:
    """Accounts that can use the portal within the range, and from when."""
    who = np.flatnonzero((acc.active_from != _NO_TIME) & (acc.active_from < tl.end))
    return who, acc.active_from[who]


def _per_year(rng: np.random.Generator, who, since, rate, tl: _Timeline):
    """Occurrences at `rate` per year from `since` to the end: (account slots, times)."""
    count = rng.poisson(rate * tl.years(since))
    return np.repeat(who, count), _customer_time(rng, np.repeat(since, count), tl.end)


def _enrollment_events(rng: np.random.Generator, acc: _Accounts, tl: _Timeline, ev: _Events):
    """Registration by code (sometimes mistyped first), activation, or set-up by the office."""
    reg = np.flatnonzero(np.isin(acc.path, [_Path.REGISTERED, _Path.UNACTIVATED]))
    done = acc.enrolled[reg]
    channel = _customer_channel(rng, done, tl)
    typo = rng.random(reg.size) < 0.15
    retry = np.where(typo, _minutes(rng, reg.size, 1, 5), 0)
    started = done - _minutes(rng, reg.size, 2, 8) - retry
    ev.add(reg, started, _Ev.REGISTRATION_STARTED, _Who.CUSTOMER, channel)
    ev.add(
        reg[typo],
        started[typo] + _minutes(rng, typo.sum(), 0.5, 2),
        _Ev.REGISTRATION_CODE_INVALID,
        _Who.CUSTOMER,
        channel[typo],
    )
    ev.add(reg, done, _Ev.REGISTRATION_COMPLETED, _Who.CUSTOMER, channel)
    act = reg[acc.path[reg] == _Path.REGISTERED]
    ev.add(act, acc.active_from[act], _Ev.ACCOUNT_ACTIVATED, _Who.CUSTOMER, _Ch.EMAIL)

    staff = np.flatnonzero(acc.path == _Path.STAFF)
    desk = np.where(rng.random(staff.size) < 0.6, _Ch.OFFICE, _Ch.PHONE)
    ev.add(staff, acc.enrolled[staff], _Ev.PORTAL_ACCESS_GRANTED, _Who.STAFF, desk)
    fixed = acc.had_placeholder[staff] & ~acc.on_placeholder[staff]
    ev.add(
        staff[fixed],
        acc.enrolled[staff[fixed]] + _minutes(rng, fixed.sum(), 1, 3),
        _Ev.EMAIL_CHANGED,
        _Who.STAFF,
        desk[fixed],
    )

    # Some never get past the registration code.
    gave_up = np.flatnonzero((acc.path == _Path.NONE) & (rng.random(acc.size) < 0.05))
    t = _customer_time(rng, np.maximum(acc.created[gave_up], tl.start), tl.end)
    channel = _customer_channel(rng, t, tl)
    ev.add(gave_up, t, _Ev.REGISTRATION_STARTED, _Who.CUSTOMER, channel)
    for attempt in range(2):
        tries = rng.random(gave_up.size) < (1.0, 0.4)[attempt]
        t = t + _minutes(rng, t.size, 0.5, 3)
        ev.add(gave_up[tries], t[tries], _Ev.REGISTRATION_CODE_INVALID, _Who.CUSTOMER, channel[tries])


_LOGINS_PER_MONTH = 1.1


def _login_events(rng: np.random.Generator, acc: _Accounts, tl: _Timeline, ev: _Events):
    """Logins (some people daily, most monthly around the bill), typos, and the failures of
    customers whose username is no longer their email."""
    who, since = _portal_users(acc, tl)
    rate = rng.gamma(2.0, _LOGINS_PER_MONTH / 2, who.size) * 12
    slots, t = _per_year(rng, who, since, rate, tl)
    ev.add(slots, t, _Ev.LOGIN_SUCCEEDED, _Who.CUSTOMER, _customer_channel(rng, t, tl))

    new = np.isin(acc.path[who], [_Path.REGISTERED, _Path.STAFF]) & (rng.random(who.size) < 0.8)
    first = _customer_time(rng, since[new] + _MINUTE, since[new] + 2 * _DAY)
    ev.add(who[new], first, _Ev.LOGIN_SUCCEEDED, _Who.CUSTOMER, _customer_channel(rng, first, tl))

    slots, t = _per_year(rng, who, since, 0.08 * rate + 0.1, tl)
    ev.add(slots, t, _Ev.LOGIN_FAILED, _Who.CUSTOMER, _customer_channel(rng, t, tl))

    renamed = np.flatnonzero(acc.renamed_at != _NO_TIME)
    count = rng.poisson(3, renamed.size)
    since = np.repeat(acc.renamed_at[renamed], count)
    t = _customer_time(rng, since + _HOUR, since + 60 * _DAY)
    ev.add(
        np.repeat(renamed, count),
        t,
        _Ev.LOGIN_FAILED,
        _Who.CUSTOMER,
        _customer_channel(rng, t, tl),
        _detail(_UNKNOWN_USERNAME),
    )


def _lockout_events(rng: np.random.Generator, acc: _Accounts, tl: _Timeline, ev: _Events):
    """A steady trickle of lockouts, and waves of them in the days after a portal change."""
    who, since = _portal_users(acc, tl)
    slots, t = _per_year(rng, who, since, 0.04, tl)
    parts = [(slots, t)]
    for wave, share in zip(tl.waves, tl.wave_shares, strict=True):
        hit = (since < wave) & (rng.random(who.size) < share)
        t = wave + rng.exponential(0.8 * _DAY, hit.sum()).astype(np.int64)
        parts.append((who[hit], _snap(rng, t, _CUSTOMER_CDF, wave, tl.end)))
    slots = np.concatenate([p[0] for p in parts])
    t = np.concatenate([p[1] for p in parts])
    _lockouts(rng, slots, t, tl, ev)


_LOCK_AFTER = 5  # failed logins


def _lockouts(rng: np.random.Generator, who: np.ndarray, t0: np.ndarray, tl: _Timeline, ev):
    """Failed-login bursts ending in a lock, then an unlock by the office (often with a
    password reset while the customer is on the phone) or by the system's timer."""
    n = who.size
    channel = _customer_channel(rng, t0, tl)
    fails = t0[:, None] + np.cumsum(rng.integers(15, 120, (n, _LOCK_AFTER)), axis=1)
    ev.add(
        np.repeat(who, _LOCK_AFTER),
        fails.ravel(),
        _Ev.LOGIN_FAILED,
        _Who.CUSTOMER,
        np.repeat(channel, _LOCK_AFTER),
    )
    locked = fails[:, -1] + rng.integers(1, 5, n)
    ev.add(who, locked, _Ev.ACCOUNT_LOCKED, _Who.SYSTEM, channel)

    how = rng.random(n)
    by_staff, by_timer = how < 0.55, (how >= 0.55) & (how < 0.9)  # the rest stay locked
    unlocked = _office_time(rng, locked[by_staff], 10 * _MINUTE, 36 * _HOUR)
    desk = np.where(rng.random(unlocked.size) < 0.8, _Ch.PHONE, _Ch.OFFICE)
    staff = who[by_staff]
    ev.add(
        staff,
        unlocked,
        _Ev.ACCOUNT_UNLOCKED,
        _Who.STAFF,
        desk,
        _detail("Unlocked by Billing Office"),
    )
    reset = rng.random(staff.size) < 0.45
    ev.add(
        staff[reset],
        unlocked[reset] + _minutes(rng, reset.sum(), 1, 4),
        _Ev.PASSWORD_RESET_BY_STAFF,
        _Who.STAFF,
        desk[reset],
    )
    ev.add(
        who[by_timer],
        locked[by_timer] + 30 * _MINUTE,
        _Ev.ACCOUNT_UNLOCKED,
        _Who.SYSTEM,
        _Ch.NONE,
        _detail("Automatic unlock after 30 minutes"),
    )


class _Outcome(enum.IntEnum):
    ABANDONED = 0
    CODE_FAILED = 1
    QUESTION_FAILED = 2
    RESET = 3


def _recovery_events(rng: np.random.Generator, acc: _Accounts, tl: _Timeline, ev: _Events):
    """Forgot-password flows of portal users (see `_recovery_flows`)."""
    who, since = _portal_users(acc, tl)
    slots, t = _per_year(rng, who, since, 0.25, tl)
    _recovery_flows(rng, slots, t, acc.on_placeholder[slots], tl, ev)


def _recovery_flows(rng, who: np.ndarray, t0: np.ndarray, dead_letter: np.ndarray, tl, ev):
    """requested -> code sent -> code entered (or failed) -> security question -> reset.

    Steps are minutes apart; a few flows pause for over half an hour (the customer came back
    later). A code sent to a placeholder email never arrives: those flows are abandoned or
    end in a failed code. When self-service fails the office often resets the password.
    """
    n = who.size
    channel = _customer_channel(rng, t0, tl)
    u = rng.random(n)
    outcome = np.select(
        [u < 0.08, u < 0.23, u < 0.307],
        [_Outcome.ABANDONED, _Outcome.CODE_FAILED, _Outcome.QUESTION_FAILED],
        _Outcome.RESET,
    )
    stuck = np.where(rng.random(n) < 0.55, _Outcome.ABANDONED, _Outcome.CODE_FAILED)
    outcome = np.where(dead_letter, stuck, outcome)

    pause = rng.random(n) < 0.03
    pause_first = rng.random(n) < 0.5
    sent = t0 + rng.integers(5, 60, n)
    step1 = sent + _minutes(rng, n) + np.where(pause & pause_first, _minutes(rng, n, 35, 300), 0)
    step2 = step1 + _minutes(rng, n) + np.where(pause & ~pause_first, _minutes(rng, n, 35, 300), 0)

    ev.add(who, t0, _Ev.RECOVERY_REQUESTED, _Who.CUSTOMER, channel)
    ev.add(who, sent, _Ev.RECOVERY_CODE_SENT, _Who.SYSTEM, _Ch.EMAIL)
    for result, kind, at in (
        (_Outcome.CODE_FAILED, _Ev.RECOVERY_CODE_FAILED, step1),
        (_Outcome.QUESTION_FAILED, _Ev.SECURITY_QUESTION_FAILED, step1),
        (_Outcome.RESET, _Ev.SECURITY_QUESTION_PASSED, step1),
        (_Outcome.RESET, _Ev.PASSWORD_RESET, step2),
    ):
        hit = outcome == result
        ev.add(who[hit], at[hit], kind, _Who.CUSTOMER, channel[hit])

    calls = (outcome != _Outcome.RESET) & (rng.random(n) < np.where(dead_letter, 0.75, 0.5))
    last = np.where(outcome == _Outcome.ABANDONED, sent, step1)[calls]
    desk = np.where(rng.random(last.size) < 0.9, _Ch.PHONE, _Ch.OFFICE)
    at = _office_time(rng, last, 30 * _MINUTE, 48 * _HOUR)
    ev.add(who[calls], at, _Ev.PASSWORD_RESET_BY_STAFF, _Who.STAFF, desk)


def _settings_events(rng: np.random.Generator, acc: _Accounts, tl: _Timeline, ev: _Events):
    """In-session password and email changes, username changes, and calls to the office."""
    who, since = _portal_users(acc, tl)
    slots, t = _per_year(rng, who, since, 0.15, tl)
    ev.add(slots, t, _Ev.PASSWORD_CHANGED, _Who.CUSTOMER, _customer_channel(rng, t, tl))
    real = ~acc.on_placeholder[who]
    slots, t = _per_year(rng, who[real], since[real], 0.04, tl)
    ev.add(slots, t, _Ev.EMAIL_CHANGED, _Who.CUSTOMER, _customer_channel(rng, t, tl))
    slots, t = _per_year(rng, who, since, 0.03, tl)
    desk = np.where(rng.random(t.size) < 0.85, _Ch.PHONE, _Ch.OFFICE)
    ev.add(slots, _office_time(rng, t, 0, 0), _Ev.PASSWORD_RESET_BY_STAFF, _Who.STAFF, desk)

    renamed = np.flatnonzero(acc.renamed_at != _NO_TIME)
    t = acc.renamed_at[renamed]
    ev.add(renamed, t, _Ev.USERNAME_CHANGED, _Who.CUSTOMER, _customer_channel(rng, t, tl))


_FIX_WEEKS = 12
_FIX_SHARE = 0.45


def _email_fixes(rng: np.random.Generator, acc: _Accounts, tl: _Timeline, ev: _Events) -> None:
    """The office's clean-up of the last weeks: it gives some at-risk accounts (a placeholder email
    with portal access) the customer's real address, an `email_changed` event each. The web users
    then hold the real address; the demo load puts the placeholder back for its first load, so the
    warehouse sees the fixes happen. Draws from an rng of its own: the rest of the demo is as before."""
    since = tl.end - _FIX_WEEKS * 7 * _DAY
    at_risk = np.flatnonzero(acc.on_placeholder & acc.portal & (acc.enrolled != _NO_TIME) & (acc.enrolled < since))
    fixed = at_risk[rng.random(at_risk.size) < _FIX_SHARE]
    if not fixed.size:
        return
    at = _office_time(rng, rng.integers(since, tl.end - 2 * _DAY, fixed.size), 0, 0)
    ev.add(fixed, at, _Ev.EMAIL_CHANGED, _Who.STAFF, _Ch.OFFICE, _detail(PLACEHOLDER_REPLACED))
    acc.email[fixed] = _real_emails(rng, acc.segment[fixed])
    acc.on_placeholder[fixed] = False


def _stray_events(rng, acc: _Accounts, tl: _Timeline, ev: _Events, batch_no: int) -> np.ndarray:
    """Events not tied to a known web user: unknown-email recoveries (a steady trickle),
    orphans from another system's account numbers, and legacy sync noise. Returns the orphan
    account numbers (event slots n, n+1, ...)."""
    n = acc.size
    count = rng.poisson(0.03 * n * tl.years(np.int64(tl.start)))
    t = _customer_time(rng, np.full(count, tl.start), tl.end)
    ev.add(
        _NO_ACCOUNT,
        t,
        _Ev.RECOVERY_EMAIL_UNKNOWN,
        _Who.CUSTOMER,
        _customer_channel(rng, t, tl),
    )

    orphans = np.char.add("A", (99_990_000 + rng.integers(0, 10_000, _rare(rng, n, batch_no))).astype(str))
    count = rng.integers(1, 4, orphans.size)
    slots = np.repeat(n + np.arange(orphans.size), count)
    t = _customer_time(rng, np.full(slots.size, tl.start), tl.end)
    kind = _pick(rng, np.array([_Ev.LOGIN_FAILED, _Ev.LOGIN_SUCCEEDED, _Ev.RECOVERY_REQUESTED]), slots.size)
    ev.add(slots, t, kind, _Who.CUSTOMER, _Ch.WEB)

    slots = rng.integers(0, n, _rare(rng, n, batch_no))
    t = _between(rng, np.full(slots.size, tl.start), tl.end) // _DAY * _DAY + 2 * _HOUR
    ev.add(slots, t, _Ev.LEGACY_SYNC, _Who.SYSTEM, _Ch.NONE)
    return orphans.astype(object)


def _respell(rng: np.random.Generator, kind: np.ndarray, batch_no: int) -> np.ndarray:
    """A few events keep the billing system's own wording or stray spaces (SPEC section 2:
    mapped by config, trimmed, or counted as `other`)."""
    kind = kind.copy()
    for canonical, raw, rate in (
        (_Ev.PASSWORD_RESET, _Ev.LEGACY_PASSWORD, 0.01),
        (_Ev.LOGIN_SUCCEEDED, _Ev.PADDED_LOGIN, 1e-4),
    ):
        candidates = np.flatnonzero(kind == canonical)
        count = min(candidates.size, _rare(rng, candidates.size, batch_no, rate))
        kind[rng.choice(candidates, count, replace=False)] = raw
    return kind


def _spoil_times(rng: np.random.Generator, text: np.ndarray, batch_no: int) -> None:
    """A few timestamps arrive with an explicit offset; a very few are missing or garbage."""
    count = min(text.size, 2 * _rare(rng, text.size, batch_no, _BAD_ROW_RATE / 2))
    text[rng.choice(text.size, count, replace=False)] = _pick(rng, _BAD_TIMES, count)


def _event_rows(rng, ev: _Events, acc: _Accounts, orphans, tl: _Timeline, batch_no, first_id):
    """Turn the batch's events into activity_log columns, in time order, and find each
    account's last successful login."""
    who, t, kind, actor, channel, detail = ev.columns()
    t = tl.zone.skip_gaps(t)
    order = np.lexsort((who, t))
    order = order[t[order] < tl.end]  # flows that ran past the end of the range are cut off
    who, t, kind, actor, channel, detail = (c[order] for c in (who, t, kind, actor, channel, detail))
    kind = _respell(rng, kind, batch_no)

    last_login = np.full(acc.size, _NO_TIME)
    logins = np.isin(kind, [_Ev.LOGIN_SUCCEEDED, _Ev.PADDED_LOGIN]) & (who >= 0) & (who < acc.size)
    np.maximum.at(last_login, who[logins], t[logins])

    m = t.size
    pick = _DETAIL_FIRST[kind] + (rng.random(m) * _DETAIL_COUNT[kind]).astype(np.int64)
    detail = np.where(detail >= 0, detail, pick)
    occurred = _format_times(t).astype(object)
    aware = np.flatnonzero(rng.random(m) < 0.005)
    occurred[aware] = _format_aware(t[aware], tl.zone, rng.random(aware.size) < 0.5)
    _spoil_times(rng, occurred, batch_no)

    labels = np.concatenate([acc.number, orphans, [None]])  # slot -1 is the null account
    columns = [
        first_id + np.arange(m, dtype=np.int64),
        labels[who],
        occurred,
        _EVENT_TYPE_TEXT[kind],
        _ACTOR_TEXT[actor],
        _CHANNEL_TEXT[channel],
        _DETAIL_TEXT[detail],
    ]
    return columns, last_login


def _web_user_rows(rng, acc: _Accounts, last_login: np.ndarray, tl: _Timeline, batch_no: int):
    """web_users columns; portal_access in whatever spelling each clerk used."""
    n = acc.size
    portal = acc.portal
    access = np.where(portal, _pick(rng, _TRUE_TEXT, n, _BOOL_TEXT_P), _pick(rng, _FALSE_TEXT, n, _BOOL_TEXT_P))
    # Access from before the conversion mostly has no enrollment date (coalesced to created).
    enrolled = np.where(portal & (acc.path != _Path.CONVERTED), acc.enrolled, _NO_TIME)
    remembered = (acc.path == _Path.CONVERTED) & (rng.random(n) < 0.3)
    enrolled = np.where(remembered, acc.created, enrolled)
    columns = [
        acc.number.copy(),
        _SEGMENTS[acc.segment],
        acc.username,
        acc.email,
        access,
        _format_times(tl.zone.skip_gaps(acc.created)).astype(object),
        _format_optional(np.where(enrolled == _NO_TIME, _NO_TIME, tl.zone.skip_gaps(enrolled))),
        _format_optional(last_login),
    ]
    _spoil_web_users(rng, columns, batch_no)
    return columns


def _spoil_web_users(rng: np.random.Generator, columns: list[np.ndarray], batch_no: int) -> None:
    """Rows the ETL must quarantine: no account number, one account number on two rows,
    created_at missing or unparsable, portal_access unreadable."""
    number, created, access = columns[0], columns[5], columns[4]
    n = number.size
    blank, dup, bad_created, bad_access = (_rare(rng, n, batch_no) for _ in range(4))
    need = blank + 2 * dup + bad_created + bad_access
    if need > n // 2:  # a toy batch: leave it clean
        return
    rows = np.split(rng.choice(n, need, replace=False), np.cumsum([blank, dup, dup, bad_created]))
    number[rows[0]] = _pick(rng, _BLANK_ACCOUNTS, blank)
    number[rows[2]] = number[rows[1]]
    created[rows[3]] = _pick(rng, _BAD_TIMES, bad_created)
    access[rows[4]] = _pick(rng, _BAD_PORTAL_ACCESS, bad_access)


def _batch(seed: int, batch_no: int, first: int, n: int, first_id: int, tl: _Timeline):
    """Generate one batch of accounts and their events: (web_users columns, activity_log
    columns)."""
    rng = np.random.default_rng([seed, batch_no])
    acc = _make_accounts(rng, first, n, tl)
    ev = _Events()
    _enrollment_events(rng, acc, tl, ev)
    _login_events(rng, acc, tl, ev)
    _lockout_events(rng, acc, tl, ev)
    _recovery_events(rng, acc, tl, ev)
    _settings_events(rng, acc, tl, ev)
    _email_fixes(np.random.default_rng([seed, batch_no, 1]), acc, tl, ev)
    orphans = _stray_events(rng, acc, tl, ev, batch_no)
    log, last_login = _event_rows(rng, ev, acc, orphans, tl, batch_no, first_id)
    return _web_user_rows(rng, acc, last_login, tl, batch_no), log


# --------------------------------------------------------------------------- writing


def _tables() -> tuple[sa.MetaData, sa.Table, sa.Table]:
    metadata = sa.MetaData()
    text = ("username", "email", "portal_access", "created_at", "enrolled_at", "last_login_at")
    web_users = sa.Table(
        "web_users",
        metadata,
        sa.Column("account_number", sa.Text),
        sa.Column("segment", sa.Text),
        *(sa.Column(name, sa.Text) for name in text),
    )
    activity_log = sa.Table(
        "activity_log",
        metadata,
        sa.Column("event_id", sa.Integer),
        *(
            sa.Column(name, sa.Text)
            for name in ("account_number", "occurred_at", "event_type", "actor", "channel", "detail")
        ),
    )
    return metadata, web_users, activity_log


def _insert(conn: sa.Connection, table: sa.Table, columns: list[np.ndarray]) -> None:
    """Bulk insert in the connection's transaction, by the fastest path the dialect has."""
    names = [c.name for c in table.columns]
    if conn.dialect.name == "postgresql":
        _copy(conn, table, names, columns)
        return
    rows = zip(*(c.tolist() for c in columns), strict=True)
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" * len(names))
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
        conn.connection.driver_connection.cursor().executemany(sql, rows)
    else:
        conn.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in rows])


_COPY_ROWS = 50_000


def _copy(conn: sa.Connection, table: sa.Table, names: list[str], columns) -> None:
    """PostgreSQL COPY in text format. Generated values never contain tabs, newlines or
    backslashes, so only NULL (\\N) needs encoding."""
    text = []
    for column in columns:
        if column.dtype == object:
            column = column.copy()
            column[np.equal(column, None)] = "\\N"
            text.append(column)
        else:
            text.append(column.astype(str).astype(object))
    sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for lo in range(0, text[0].size, _COPY_ROWS):
            rows = zip(*(c[lo : lo + _COPY_ROWS].tolist() for c in text), strict=True)
            copy.write("".join("\t".join(row) + "\n" for row in rows))


def generate_demo(
    url: str,
    accounts: int,
    seed: int,
    *,
    batch_accounts: int = 20_000,
    progress: bool = False,
    start: date = date(2024, 1, 1),
    end: date = date(2026, 10, 31),
) -> DemoSummary:
    """(Re)create `web_users` and `activity_log` at `url` with a deterministic demo source.

    Same arguments, same tables, byte for byte. Works in batches of `batch_accounts` accounts,
    one transaction each, so memory stays bounded however many accounts are asked for; about
    20 events per account over the default range.
    """
    if not 0 <= accounts <= MAX_ACCOUNTS:
        raise ValueError(f"accounts must be between 0 and {MAX_ACCOUNTS}")
    if seed < 0 or batch_accounts < 1:
        raise ValueError("seed must be >= 0 and batch_accounts >= 1")
    if end <= start:
        raise ValueError("end must be after start")
    tl = _timeline(seed, start, end)
    metadata, web_users, activity_log = _tables()
    engine = sa.create_engine(url)
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
        written = events = 0
        batches = range(-(-accounts // batch_accounts))
        for batch_no in tqdm(batches, desc="demo", unit="batch", disable=not progress):
            first = batch_no * batch_accounts
            n = min(batch_accounts, accounts - first)
            users, log = _batch(seed, batch_no, first, n, events + 1, tl)
            with engine.begin() as conn:
                _insert(conn, web_users, users)
                _insert(conn, activity_log, log)
            written += n
            events += log[0].size
    finally:
        engine.dispose()
    return DemoSummary(accounts=written, events=events)
