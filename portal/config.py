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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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
        return Config.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_one_line(error, origin)) from None


def redis_url() -> str | None:
    """The Redis every worker shares, from `PORTAL_REDIS_URL`; None when unset (each falls back on its own)."""
    return os.environ.get(REDIS_URL_VARIABLE) or None
