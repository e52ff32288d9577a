"""The named support series the usual band is drawn for: which period table and column each is,
and whether it counts events or is a share. The support charts, the overview's "outside the usual"
strip and the alert rules name a series by these keys."""

from __future__ import annotations

from dataclasses import dataclass

from portal.vocabulary import RECOVERY_FAILURES


@dataclass(frozen=True)
class SupportSeries:
    label: str
    table: str
    """The Warehouse period-table method that holds it: recovery, resets, lockouts, rates, adoption or
    at_risk_changes."""
    column: str
    count: bool = True
    """A count of events or accounts; otherwise a share from 0 to 1."""


SERIES: dict[str, SupportSeries] = {
    "lockout_events": SupportSeries("Lockout events", "lockouts", "lockout_events"),
    "accounts_locked": SupportSeries("Accounts locked", "lockouts", "accounts_locked"),
    "failed_recovery_attempts": SupportSeries("Failed recovery attempts", "recovery", "failed"),
    **{
        f"failed_recovery_{reason}": SupportSeries(
            f"Failed recovery attempts: {reason.replace('_', ' ')}", "recovery", reason
        )
        for reason in RECOVERY_FAILURES
    },
    "recovery_success_rate": SupportSeries("Recovery success rate", "rates", "recovery_success_rate", count=False),
    "staff_resets": SupportSeries("Staff resets", "resets", "staff_resets"),
    "staff_share_of_resets": SupportSeries("Staff share of resets", "rates", "staff_share_of_resets", count=False),
    "new_enrollments": SupportSeries("New enrollments", "adoption", "new_enrollments"),
    "new_at_risk": SupportSeries("New at-risk accounts", "at_risk_changes", "new_at_risk"),
}
OVERVIEW_SERIES = (
    "lockout_events",
    "accounts_locked",
    "failed_recovery_attempts",
    "recovery_success_rate",
    "staff_resets",
    "staff_share_of_resets",
)
"""What the overview strip checks each week: the figures that ring the support phones."""
