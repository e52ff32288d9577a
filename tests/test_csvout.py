"""SPEC sections 5 and 6: CSV cells as a spreadsheet will read them."""

import pandas as pd
import pytest

from dashboard.web.csvout import to_csv_text


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_is_neutralised(cell):
    text = to_csv_text(pd.DataFrame({"detail": [cell]}))
    assert text.splitlines()[1].lstrip('"').startswith("'")


def test_ordinary_text_and_negative_numbers_are_untouched():
    text = to_csv_text(pd.DataFrame({"detail": ["hello"], "n": [-3]}))
    assert text == "detail,n\nhello,-3\n"


def test_dates_fractions_and_empty_values_are_written_plainly():
    frame = pd.DataFrame(
        {"period_start": pd.to_datetime(["2025-01-06"]), "adoption_rate": [2 / 3], "empty": [float("nan")]}
    )
    assert to_csv_text(frame) == "period_start,adoption_rate,empty\n2025-01-06,0.666667,\n"


def test_whole_fractions_have_no_trailing_zeros():
    assert to_csv_text(pd.DataFrame({"adoption_rate": [1.0, 0.5]})) == "adoption_rate\n1\n0.5\n"


def test_booleans_are_lower_case_words():
    frame = pd.DataFrame({"flag": pd.array([True, False, None], dtype="boolean"), "n": [1, 2, 3]})
    assert to_csv_text(frame) == "flag,n\ntrue,1\nfalse,2\n,3\n"


def test_large_frames_are_written_whole_in_chunks():
    from dashboard.web.csvout import csv_chunks

    chunks = list(csv_chunks(pd.DataFrame({"n": range(25)}), chunk_rows=10))
    assert len(chunks) == 4 and "".join(chunks).count("\n") == 26
