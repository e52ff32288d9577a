"""The words the loader writes and the dashboard reads: event types, recovery steps and outcomes,
email statuses, the segment of an account that is not loaded, the spellings of true and false, and
why a row was quarantined.

Both sides spell these the same way because they read them from here; a value written by one and
looked for by the other under another spelling would silently count nothing.
"""

from __future__ import annotations

from enum import StrEnum

ENROLLMENT_TYPES = (
    "registration_started",
    "registration_code_invalid",
    "registration_completed",
    "account_activated",
    "portal_access_granted",
)
LOGIN_TYPES = ("login_succeeded", "login_failed", "account_locked", "account_unlocked")
RECOVERY_TYPES = (
    "recovery_requested",
    "recovery_email_unknown",
    "recovery_code_sent",
    "recovery_code_failed",
    "security_question_failed",
    "security_question_passed",
    "password_reset",
)
STAFF_AND_SETTINGS_TYPES = (
    "password_reset_by_staff",
    "password_changed",
    "username_changed",
    "email_changed",
)
CANONICAL_EVENT_TYPES = frozenset(ENROLLMENT_TYPES + LOGIN_TYPES + RECOVERY_TYPES + STAFF_AND_SETTINGS_TYPES)
OTHER_EVENT_TYPE = "other"
ALL_EVENT_TYPES = (*sorted(CANONICAL_EVENT_TYPES), OTHER_EVENT_TYPE)
"""Every type a loaded event can have: a canonical one, or `other`."""

RECOVERY_STARTS = frozenset({"recovery_requested", "recovery_email_unknown"})
RECOVERY_FAILURES = ("recovery_email_unknown", "recovery_code_failed", "security_question_failed")
RECOVERY_STEPS = ("requested", "code sent", "code passed", "question passed", "reset")
"""The forgot-password steps in order; an attempt's furthest_step indexes this tuple."""
OUTCOMES = ("succeeded", "failed", "abandoned")
"""How a recovery attempt ended."""

EMAIL_STATUSES = ("valid", "placeholder", "missing", "invalid")

AT_RISK_CHANGES = ("became_at_risk", "fixed", "lost_access")
"""How an account's at-risk state moved (a placeholder email with portal access, SPEC section 3): it
became at risk, its email was changed from the placeholder (fixed), or it lost portal access while
keeping the placeholder (at risk no more, but not fixed)."""

ACTIVE_WINDOWS = (30, 90)
"""Days a `login_succeeded` keeps an account an active portal user: its own day and the days after it."""

UNKNOWN_SEGMENT = "unknown"
"""The segment of an event or attempt whose account is not among the loaded web users."""

TRUE_WORDS = frozenset({"true", "1", "y", "yes", "t"})
FALSE_WORDS = frozenset({"false", "0", "n", "no", "f"})
"""How true and false are spelled in a source column and in a URL parameter, lower-cased."""


class QuarantineReason(StrEnum):
    """Why a source row was set aside: a code the loader matches on, and the text people read.

    A quarantined row stores its codes joined by `REASON_CODE_SEPARATOR` in `quarantine.reason_codes`
    and their texts joined by "; " in `quarantine.reason`, both in the order below. Code matches code,
    never the text, so rewording a text cannot change what a load finds (but see etl.transform.
    quarantine_rows: the text is in each row's hash).
    """

    text: str

    def __new__(cls, code: str, text: str) -> QuarantineReason:
        member = str.__new__(cls, code)
        member._value_ = code
        member.text = text
        return member

    MISSING_ACCOUNT_NUMBER = "missing_account_number", "missing account_number"
    DUPLICATE_ACCOUNT_NUMBER = "duplicate_account_number", "account_number on more than one web user row"
    MISSING_CREATED_AT = "missing_created_at", "missing created_at"
    UNPARSABLE_CREATED_AT = "unparsable_created_at", "unparsable created_at"
    UNREADABLE_PORTAL_ACCESS = "unreadable_portal_access", "unreadable portal_access"
    UNPARSABLE_ENROLLED_AT = "unparsable_enrolled_at", "unparsable enrolled_at"
    UNPARSABLE_LAST_LOGIN_AT = "unparsable_last_login_at", "unparsable last_login_at"
    MISSING_EVENT_ID = "missing_event_id", "missing event_id"
    DUPLICATE_EVENT_ID = "duplicate_event_id", "event_id on more than one activity row"
    MISSING_OCCURRED_AT = "missing_occurred_at", "missing occurred_at"
    UNPARSABLE_OCCURRED_AT = "unparsable_occurred_at", "unparsable occurred_at"


REASON_CODE_SEPARATOR = ","
"""Between the codes of a row quarantined for more than one reason; no code contains it."""


def unloaded_warning(rows: int) -> str:
    """What the run summary and the quality page say when the source holds rows the warehouse lacks."""
    noun = "activity row" if rows == 1 else "activity rows"
    return (
        f"the source holds {rows:,} {noun} the warehouse lacks (written later than the late-arrival "
        "window allows): run python -m etl run --full"
    )
