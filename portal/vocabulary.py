"""The words the loader writes and the dashboard reads: event types, recovery steps and outcomes,
email statuses, the segment of an account that is not loaded, and the spellings of true and false.

Both sides spell these the same way because they read them from here; a value written by one and
looked for by the other under another spelling would silently count nothing.
"""

from __future__ import annotations

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

UNKNOWN_SEGMENT = "unknown"
"""The segment of an event or attempt whose account is not among the loaded web users."""

TRUE_WORDS = frozenset({"true", "1", "y", "yes", "t"})
FALSE_WORDS = frozenset({"false", "0", "n", "no", "f"})
"""How true and false are spelled in a source column and in a URL parameter, lower-cased."""
