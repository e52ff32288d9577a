"""The usual band: what a period of a series usually holds, judged from the comparable periods before it.

One function (`usual_band`) draws the shaded band on the support charts, fills the overview's
"outside the usual" strip, and decides alerts, so a chart and an alert can never disagree on what
is unusual. The rule:

- the history of a period is the `HISTORY` (8) comparable periods before it: the same weekday at day
  grain (Mondays are not Saturdays), the periods just before at week and month grain;
- only whole periods count, in the history and as judged: a period the range or the data covers in
  part holds fewer days than the others;
- the usual value is the median of that history, and its spread the median absolute deviation scaled
  to a standard deviation (1.4826 x MAD), both robust to the one wave the band is there to catch;
- a count's spread is at least the square root of its median, or 1 (counts of rare events wobble by about
  that much when nothing has changed), a rate's at least one percentage point;
- the band is the median +/- `WIDTH` (3) spreads, never below 0; a whole period outside it is
  "above" or "below"; with fewer than `MIN_HISTORY` (4) whole periods behind it, a period has no band.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from dashboard.data.metrics import period_start, periods
from dashboard.data.view import Filters

HISTORY = 8
MIN_HISTORY = 4
WIDTH = 3.0
MAD_TO_SD = 1.4826
RATE_FLOOR = 0.01
STEPS = {"day": 7, "week": 1, "month": 1}
"""How many rows back the previous comparable period is, per grain (a period table has every period)."""
BAND_COLUMNS = ("period_start", "value", "usual", "low", "high", "outside")


def usual_band(table: pd.DataFrame, column: str, grain: str, whole: pd.Series, *, count: bool = True) -> pd.DataFrame:
    """For each period of a period table (every period present, oldest first): its value, the usual
    value and band from its history, and whether it lies "above" or "below" the band ("" if not).

    `whole`: for each row, whether the period is wholly inside the data and the range; `count`: the
    column counts events (else it is a share from 0 to 1)."""
    values = table[column].astype(float).where(whole.to_numpy())
    step = STEPS[grain]
    history = np.column_stack([values.shift(step * back).to_numpy() for back in range(1, HISTORY + 1)])
    enough = (~np.isnan(history)).sum(axis=1) >= MIN_HISTORY
    usual = np.full(len(values), np.nan)
    spread = np.full(len(values), np.nan)
    if enough.any():
        known = history[enough]
        usual[enough] = np.nanmedian(known, axis=1)
        deviation = np.nanmedian(np.abs(known - usual[enough, None]), axis=1) * MAD_TO_SD
        floor = np.sqrt(np.maximum(usual[enough], 1)) if count else np.full(len(known), RATE_FLOOR)
        spread[enough] = np.maximum(deviation, floor)
    low = np.clip(usual - WIDTH * spread, 0, None)
    high = usual + WIDTH * spread
    value = values.to_numpy()
    outside = np.where(value > high, "above", np.where(value < low, "below", ""))
    return pd.DataFrame(
        {
            "period_start": table["period_start"].to_numpy(),
            "value": table[column].to_numpy(),
            "usual": usual,
            "low": low,
            "high": high,
            "outside": outside,
        }
    )[list(BAND_COLUMNS)]


def history_start(filters: Filters) -> date:
    """The first day of the history the view's first period is judged against."""
    first = period_start(pd.Series([filters.start_ts]), filters.grain).iloc[0]
    back = pd.DateOffset(months=HISTORY) if filters.grain == "month" else pd.Timedelta(days=7 * HISTORY)
    return (first - back).date()


def whole_periods(filters: Filters, first_day: date, last_day: date) -> pd.Series:
    """For each period of the view (as `metrics.periods` lists them), whether it lies wholly inside
    first_day..last_day: the days the data and the range both cover."""
    spans = periods(filters)
    return spans["period_start"].ge(pd.Timestamp(first_day)) & spans["period_end"].le(pd.Timestamp(last_day))
