"""The one TOML configuration file (SPEC section 4), validated on load.

Every key is optional. `PORTAL_SOURCE_URL` and `PORTAL_WAREHOUSE_URL` override the file, so a
deployment can keep credentials out of it. Any mistake becomes a `ConfigError` whose message is one
line naming the file and the key, because an operator reading a cron mail must see what to fix.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from portal.vocabulary import CANONICAL_EVENT_TYPES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_WAREHOUSE_URL = f"sqlite:///{DATA_DIR / 'warehouse.sqlite'}"
DEMO_SOURCE_URL = f"sqlite:///{DATA_DIR / 'demo_source.sqlite'}"
REDIS_URL_VARIABLE = "PORTAL_REDIS_URL"
"""Where the state every server worker must share lives (sign-in throttle, rendered pages); unset: none."""

WEB_USER_COLUMNS = (
    "account_number",
    "segment",
    "username",
    "email",
    "portal_access",
    "created_at",
    "enrolled_at",
    "last_login_at",
)
ACTIVITY_COLUMNS = (
    "event_id",
    "account_number",
    "occurred_at",
    "event_type",
    "actor",
    "channel",
    "detail",
)


class ConfigError(Exception):
    """A configuration mistake, with a one-line message naming the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _column_map(allowed: tuple[str, ...]):
    def check(value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key not in allowed:
                raise ValueError(f"unknown column {key!r}; expected one of {', '.join(allowed)}")
        return value

    return check


class SourceConfig(_Strict):
    url: str | None = None
    web_users_table: str = "web_users"
    activity_log_table: str = "activity_log"
    web_users_columns: dict[str, str] = Field(default_factory=dict)
    activity_log_columns: dict[str, str] = Field(default_factory=dict)

    _check_web = field_validator("web_users_columns")(_column_map(WEB_USER_COLUMNS))
    _check_log = field_validator("activity_log_columns")(_column_map(ACTIVITY_COLUMNS))

    def web_users_column(self, canonical: str) -> str:
        return self.web_users_columns.get(canonical, canonical)

    def activity_column(self, canonical: str) -> str:
        return self.activity_log_columns.get(canonical, canonical)


class WarehouseConfig(_Strict):
    url: str = DEFAULT_WAREHOUSE_URL


class AuthConfig(_Strict):
    """Sign-in policy: how long an idle session lives and how wrong passwords are met.

    `slow_after` and `lock_after` count wrong passwords for one name from one address, and
    `address_lock_after` those from one address whatever the name, each within `lock_minutes`.
    """

    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    absolute_hours: int = Field(default=12, ge=1, le=24 * 7)
    slow_after: int = Field(default=3, ge=1)
    lock_after: int = Field(default=5, ge=2)
    lock_minutes: int = Field(default=15, ge=1)
    address_lock_after: int = Field(default=20, ge=2)

    audit_owner: str | None = None
    """A PostgreSQL role to own the audit log, so the app's role may only add and read entries."""

    @field_validator("audit_owner")
    @classmethod
    def _role_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
            raise ValueError(f"{value!r} is not a PostgreSQL role name (a-z, 0-9, _; not starting with a digit)")
        return value


class FreshnessConfig(_Strict):
    """When every page warns that its figures may be stale: a load older than `max_load_age_hours` (the
    scheduled `etl run` has stopped), or a newest event more than `max_event_lag_hours` before the load
    that read it (the billing system has stopped writing its activity log, or the load reads the wrong one)."""

    max_load_age_hours: int = Field(default=26, ge=1, le=24 * 366)
    max_event_lag_hours: int = Field(default=48, ge=1, le=24 * 366)


ALERT_GRAINS = ("day", "week")
ALERT_DIRECTIONS = ("up", "down")
EMAIL_SECURITY = ("starttls", "tls", "none")


class AlertRule(_Strict):
    """One alert rule: a series of the metrics layer (a key of dashboard.data.series.SERIES, checked
    there, since this layer cannot see it), judged per whole day or week against its usual band.

    `spreads`: how many spreads beyond the band's edge a period must lie (0: outside the band the
    charts draw); `min_volume`: the fewest events (up: in the period; down: usually) worth an alert,
    so that 2 against a usual 1 is not one. `recipients` and `roles` choose who gets its email;
    with neither it goes to `alerts.email.recipients`."""

    series: str = Field(min_length=1)
    grain: str = "week"
    segment: str | None = None
    direction: str = "up"
    spreads: float = Field(default=0.0, ge=0, le=20)
    min_volume: int = Field(default=10, ge=0)
    recipients: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)

    @field_validator("grain")
    @classmethod
    def _grain(cls, value: str) -> str:
        return _one_of(value, ALERT_GRAINS, "grain")

    @field_validator("direction")
    @classmethod
    def _direction(cls, value: str) -> str:
        return _one_of(value, ALERT_DIRECTIONS, "direction")

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return _email_addresses(value)


class AlertEmailConfig(_Strict):
    """SMTP delivery; off while `host` is unset. The password is read from the environment variable
    named in `password_env`, never from this file."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    security: str = "starttls"
    user: str | None = None
    password_env: str | None = None
    sender: str = Field(default="billing-portal-analytics@localhost", alias="from")
    recipients: list[str] = Field(default_factory=list)
    roles: dict[str, list[str]] = Field(default_factory=dict)
    """Role name = the addresses of the people in that role, for rules that name roles."""

    @field_validator("security")
    @classmethod
    def _security(cls, value: str) -> str:
        return _one_of(value, EMAIL_SECURITY, "security")

    @field_validator("password_env")
    @classmethod
    def _variable_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"{value!r} is not an environment variable name (name the variable, not the password)")
        return value

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _email_addresses([value])[0]

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        return _email_addresses(value)

    @field_validator("roles")
    @classmethod
    def _role_recipients(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {role: _email_addresses(addresses) for role, addresses in value.items()}


class AlertWebhookConfig(_Strict):
    """Incoming webhooks (Slack, Teams, or anything taking a JSON POST with a `text` field)."""

    urls: list[str] = Field(default_factory=list)

    @field_validator("urls")
    @classmethod
    def _http(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.match(r"https?://[^/\s]+", url):
                raise ValueError(f"{_without_secret(url)!r} is not an http(s) URL")
        return value


class DigestConfig(_Strict):
    """Who gets the weekly digest (`python -m dashboard digest send`): the addresses of these roles in
    `alerts.email.roles` (checked by dashboard.alerts.digest_send, which sees both), and these addresses."""

    roles: list[str] = Field(default_factory=list)
    recipients: list[str] = Field(default_factory=list)

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return _email_addresses(value)


class AlertsConfig(_Strict):
    """Alert rules, their delivery, and the dashboard address their links point to.

    `rules` unset means the built-in defaults (dashboard.alerts.rules.DEFAULT_RULES); an empty list means
    no rules."""

    after_load: bool = True
    """Evaluate the rules after every successful `etl run` (`python -m dashboard alerts check` runs them anyway)."""
    dashboard_url: str = "http://127.0.0.1:8050"
    rules: list[AlertRule] | None = None
    email: AlertEmailConfig = Field(default_factory=AlertEmailConfig)
    webhook: AlertWebhookConfig = Field(default_factory=AlertWebhookConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    delivery_attempts: int = Field(default=4, ge=1, le=10)
    """Tries per message and channel before it is recorded as failed (the next run tries again)."""
    backoff_seconds: float = Field(default=2.0, ge=0, le=300)
    """The wait before the second try; it doubles for each try after."""
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    @field_validator("dashboard_url")
    @classmethod
    def _base(cls, value: str) -> str:
        if not re.match(r"https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(allowed)}")
    return value


def _email_addresses(values: list[str]) -> list[str]:
    for value in values:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", value.strip()):
            raise ValueError(f"{value!r} is not an email address")
    return [value.strip() for value in values]


def _without_secret(url: str) -> str:
    """A webhook URL up to its host: its path is often the secret (Slack, Teams)."""
    scheme, sep, rest = url.partition("://")
    host, slash, _ = (rest if sep else url).partition("/")
    return f"{scheme}{sep}{host}{'/...' if slash else ''}" if sep else f"{host}{'/...' if slash else ''}"


class Config(_Strict):
    timezone: str = "UTC"
    placeholder_emails: list[str] = Field(default_factory=lambda: ["blackhole@mhtc.net"])
    placeholder_domains: list[str] = Field(default_factory=list)
    recovery_attempt_gap_minutes: int = Field(default=30, ge=0)
    late_arrival_hours: int = Field(default=48, ge=0, le=24 * 366)
    source: SourceConfig = Field(default_factory=SourceConfig)
    event_types: dict[str, str] = Field(default_factory=dict)
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    freshness: FreshnessConfig = Field(default_factory=FreshnessConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    _origin: str = PrivateAttr(default="default configuration")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @field_validator("event_types")
    @classmethod
    def _canonical_targets(cls, value: dict[str, str]) -> dict[str, str]:
        for source_value, canonical in value.items():
            if canonical not in CANONICAL_EVENT_TYPES:
                raise ValueError(f"{source_value!r} maps to unknown canonical event type {canonical!r}")
        return value

    @field_validator("placeholder_emails", "placeholder_domains")
    @classmethod
    def _normalised(cls, value: list[str]) -> list[str]:
        return [item.strip().lower() for item in value]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def origin(self) -> str:
        """The file it was read from ("default configuration" for none), for errors found after loading."""
        return self._origin

    def error(self, key: str, message: str) -> ConfigError:
        """A mistake found by a layer above this one (an alert rule naming an unknown series), worded like
        every other: one line naming the file and the key."""
        return ConfigError(f"{self.origin}: {key}: {message}")


def _key_path(location: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in location:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        elif item in {"[key]"}:
            continue
        else:
            parts.append(str(item))
    return ".".join(parts)


def _one_line(error: ValidationError, origin: str) -> str:
    first = error.errors()[0]
    key = _key_path(first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{origin}: {key}: {message}"


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the TOML file (or `PORTAL_CONFIG`, or nothing) and apply environment overrides."""
    path = path or os.environ.get("PORTAL_CONFIG") or None
    origin = str(path) if path else "default configuration"
    raw: dict[str, Any] = {}
    if path:
        try:
            with open(path, "rb") as handle:
                raw = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(f"{origin}: file not found") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{origin}: not valid TOML ({error})") from None
    overrides = {
        ("source", "url"): os.environ.get("PORTAL_SOURCE_URL"),
        ("warehouse", "url"): os.environ.get("PORTAL_WAREHOUSE_URL"),
    }
    for (section, key), value in overrides.items():
        if value:
            table = raw.setdefault(section, {})
            if isinstance(table, dict):
                table[key] = value
    try:
        config = Config.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_one_line(error, origin)) from None
    config._origin = origin
    return config


def redis_url() -> str | None:
    """The Redis every worker shares, from `PORTAL_REDIS_URL`; None when unset (each falls back on its own)."""
    return os.environ.get(REDIS_URL_VARIABLE) or None
