"""The alert rules an office runs: its `[[alerts.rules]]`, or the built-in defaults when it names none.

Series names are checked here, against `series.SERIES`, since the config layer below cannot see the
metrics layer: a rule may name any series the pages draw with a band, including one added later.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.data.series import SERIES, SupportSeries
from portal.config import AlertRule, Config

DEFAULT_RULES = (
    AlertRule(series="lockout_events", grain="day", min_volume=20),
    AlertRule(series="lockout_events", grain="week", min_volume=10),
    AlertRule(series="accounts_locked", grain="week", min_volume=10),
    AlertRule(series="failed_recovery_attempts", grain="week", min_volume=10),
    AlertRule(series="recovery_success_rate", grain="week", direction="down", min_volume=20),
    AlertRule(series="staff_resets", grain="week", min_volume=10),
    AlertRule(series="staff_share_of_resets", grain="week", min_volume=20),
)
"""What a fresh install watches: the figures that ring the support phones, by week, and lockouts by day
too, since a lockout wave is worth knowing the morning after. The volumes keep a quiet office's wobble
(2 lockouts against a usual 1) out of anyone's inbox; a rate's volume is the events it is a share of."""

RATE_VOLUMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "recovery_success_rate": ("recovery", ("attempts",)),
    "staff_share_of_resets": ("resets", ("self_service_resets", "staff_resets")),
}
"""A rate's volume: the Warehouse period table and the columns whose sum it is a share of. A rate not
named here has no volume to hold to `min_volume`."""


@dataclass(frozen=True)
class Rule:
    """A checked rule: the config's settings and the series they name."""

    settings: AlertRule
    series: SupportSeries

    @property
    def key(self) -> str:
        """What identifies the rule across runs and config edits: an alert is unique per key and period."""
        s = self.settings
        return f"{s.series}/{s.grain}/{s.direction}/{s.segment or '*'}"

    @property
    def name(self) -> str:
        s = self.settings
        where = f", {s.segment}" if s.segment else ""
        return f"{self.series.label} ({'per day' if s.grain == 'day' else 'per week'}{where}, {s.direction})"


def rules_of(config: Config) -> list[Rule]:
    """The office's rules, checked; raises ConfigError (one line, naming the file and the key) on a rule
    that names an unknown series, a role with no addresses, or repeats another rule."""
    given = config.alerts.rules
    settings = DEFAULT_RULES if given is None else tuple(given)
    rules, seen = [], {}
    for index, rule in enumerate(settings):
        where = f"alerts.rules[{index}]"
        if rule.series not in SERIES:
            known = ", ".join(SERIES)
            raise config.error(f"{where}.series", f"unknown series {rule.series!r}; expected one of {known}")
        for role in rule.roles:
            if role not in config.alerts.email.roles:
                raise config.error(f"{where}.roles", f"no addresses for role {role!r} in alerts.email.roles")
        checked = Rule(rule, SERIES[rule.series])
        if checked.key in seen:
            same = f"alerts.rules[{seen[checked.key]}]"
            raise config.error(where, f"the same series, grain, direction and segment as {same}")
        seen[checked.key] = index
        rules.append(checked)
    return rules


def recipients(rule: Rule, config: Config) -> list[str]:
    """Who gets the rule's email: its own addresses and its roles' addresses, else the default list."""
    email = config.alerts.email
    chosen = [*rule.settings.recipients, *(a for role in rule.settings.roles for a in email.roles[role])]
    return list(dict.fromkeys(chosen or email.recipients))
