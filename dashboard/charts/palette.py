"""The colour key: what each colour means, the same on every page.

A reader who learns on one page that vermillion is a failure must never be told otherwise on
another, so each colour carries one meaning, and a series takes the colour of what it means. The
meanings are few and broad ("done by staff", "lockouts") wherever no chart has to tell two of them
apart by colour; where one does (the reasons a recovery failed, first lockouts and repeats) they
are shades of their meaning's hue, lighter or darker, so they read apart in grey scale too, and
the legend names each. Hues are Okabe-Ito (colour-blind safe), plus a navy and greys that carry no
judgement. `MEANINGS` is the one list the README's key and the tests read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Meaning:
    colour: str
    says: str
    """What the colour means, as the README's colour key words it."""
    names: tuple[str, ...]
    """The legend names, bar labels and event families drawn in this colour, as charts write them."""


SUCCESS = "#009E73"  # Okabe-Ito bluish green
FAILURE = "#D55E00"  # Okabe-Ito vermillion
EMAIL_UNKNOWN = "#8A3D00"  # vermillion, darker
CODE_FAILED = "#E8A673"  # vermillion, lighter
QUESTION_FAILED = "#F3D2B8"  # vermillion, lightest
LOCKOUTS = "#CC79A7"  # Okabe-Ito reddish purple
REPEAT_LOCKOUTS = "#E6BCD3"  # reddish purple, lighter
STAFF = "#E69F00"  # Okabe-Ito orange
SELF_SERVICE = "#56B4E9"  # Okabe-Ito sky blue
ENROLLED = "#0072B2"  # Okabe-Ito blue
SIGNED_IN = "#000000"  # Okabe-Ito black
NEITHER = "#999999"
WITHOUT_ACCESS = "#CFCFCF"
NEUTRAL = "#1F3A5F"  # navy

SUCCESS_TEXT, FAILURE_TEXT, NEITHER_TEXT = "#007A5A", "#A94700", "#595959"
"""Green, vermillion and grey darkened for small text, same meanings: 5.3, 5.9 and 7.0 to 1 on white
(WCAG asks 4.5), where the chart colours give 3.4, 3.9 and 2.9."""
TEXT_SHADES = {SUCCESS: SUCCESS_TEXT, FAILURE: FAILURE_TEXT, NEITHER: NEITHER_TEXT}
"""The colour a word takes for what its chart colour means."""

HEADLINE_TREND = "Headline figure's trend"
"""What an overview card's sparkline shows, whichever figure it follows: a trend, judged by no colour."""

MEANINGS: tuple[Meaning, ...] = (
    Meaning(
        SUCCESS,
        "Success: recovery attempts that succeeded, the success rate, the recovery funnel's last step, "
        "placeholder emails replaced by real ones; “better” in a change",
        ("Succeeded", "Recovery success rate", "Reset", "Fixed: real email given"),
    ),
    Meaning(
        FAILURE,
        "Failure or risk of one: failed recovery attempts, rejected registration codes, placeholder-email "
        "accounts and those at risk; “worse” in a change",
        (
            "Failed",
            "Code rejected",
            "Placeholder email",
            "Placeholder with portal access",
            "At risk: with portal access",
            "New at risk",
        ),
    ),
    Meaning(EMAIL_UNKNOWN, "A recovery failed: email unknown", ("Email unknown",)),
    Meaning(CODE_FAILED, "A recovery failed: code failed", ("Code failed",)),
    Meaning(
        QUESTION_FAILED,
        "A recovery failed: security question failed",
        ("Security question failed",),
    ),
    Meaning(
        LOCKOUTS,
        "Lockouts: accounts locked, lockouts per 1,000 enrolled",
        ("Accounts locked", "Lockouts per 1,000 enrolled"),
    ),
    Meaning(
        REPEAT_LOCKOUTS,
        "Repeat lockouts of accounts already locked",
        ("Repeat lockouts of those accounts",),
    ),
    Meaning(
        STAFF,
        "Done by staff: staff resets, their share of resets, access granted by staff; staff and settings events",
        ("Staff resets", "Staff share of resets", "Access granted by staff", "staff and settings"),
    ),
    Meaning(
        SELF_SERVICE,
        "Self-service recovery: forgot-password steps and the resets they end in; recovery events",
        ("Self-service resets", "Requested", "Code sent", "Code passed", "Question passed", "recovery"),
    ),
    Meaning(
        ENROLLED,
        "Enrolled: accounts with portal access, new enrollments, the steps of enrolling; enrollment events",
        (
            "Enrolled accounts",
            "With portal access",
            "New enrollments",
            "Registration started",
            "Completed",
            "Activated",
            "enrollment",
        ),
    ),
    Meaning(SIGNED_IN, "Signed in: password changes in a session; login events", ("In-session changes", "login")),
    Meaning(NEITHER, "Neither good nor bad: abandoned attempts, other events; “no change”", ("Abandoned", "other")),
    Meaning(
        WITHOUT_ACCESS,
        "Accounts without portal access: the rest of all accounts",
        ("Without portal access", "All accounts"),
    ),
    Meaning(
        NEUTRAL,
        "A trend or the usual range, judged by no colour: headline sparklines, the adoption rate, the active share",
        (
            HEADLINE_TREND,
            "Adoption rate",
            "Active share of enrolled (30 days)",
            "Active share of enrolled (90 days)",
            "Usual range",
            "Above the usual range",
            "Below the usual range",
        ),
    ),
)
