"""Masked forms of customer details that keep what is useful and hide the rest.

`j•••@example.com` still tells support which provider a customer uses; `b•••7` still lets a caller
confirm a username they read out, without the list giving it away.
"""

from __future__ import annotations

import re

import pandas as pd

BULLETS = "•••"


def mask_email(value: str | None) -> str | None:
    if value is None or pd.isna(value) or value == "":
        return value
    local, at, domain = value.rpartition("@")
    if not at:
        return mask_username(value)
    return f"{local[:1]}{BULLETS}@{domain}" if local else f"{BULLETS}@{domain}"


def mask_username(value: str | None) -> str | None:
    if value is None or pd.isna(value) or value == "":
        return value
    if "@" in value:
        return mask_email(value)
    if len(value) <= 2:
        return f"{value[:1]}{BULLETS}"
    return f"{value[0]}{BULLETS}{value[-1]}"


def mask_emails(values: pd.Series) -> pd.Series:
    return values.map(mask_email, na_action="ignore")


def mask_usernames(values: pd.Series) -> pd.Series:
    return values.map(mask_username, na_action="ignore")


_EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[^\s@<>()\[\],;:\"']+")


def mask_emails_in_text(values: pd.Series) -> pd.Series:
    """Free text (an event's detail) can quote an address, e.g. "Email changed from a@b.com"."""
    return values.map(lambda text: _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text), na_action="ignore")
