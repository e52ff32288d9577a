"""SPEC sections 5 and 6: CSV cells as a spreadsheet will read them."""

import csv
import io

import pandas as pd
import pytest

from dashboard.web.csvout import to_csv_text


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_is_neutralised(cell):
    text = to_csv_text(pd.DataFrame({"detail": [cell]}))
    assert text.splitlines()[1].lstrip('"').startswith("'")


def test_ordinary_text_and_negative_numbers_are_untouched():
    text = to_csv_text(pd.DataFrame({"detail": ["hello"], "n": [-3]}))
    assert text == "detail,n\r\nhello,-3\r\n"


def test_dates_fractions_and_empty_values_are_written_plainly():
    frame = pd.DataFrame(
        {"period_start": pd.to_datetime(["2025-01-06"]), "adoption_rate": [2 / 3], "empty": [float("nan")]}
    )
    assert to_csv_text(frame) == "period_start,adoption_rate,empty\r\n2025-01-06,0.666667,\r\n"


def test_whole_fractions_have_no_trailing_zeros():
    assert to_csv_text(pd.DataFrame({"adoption_rate": [1.0, 0.5]})) == "adoption_rate\r\n1\r\n0.5\r\n"


def test_booleans_are_lower_case_words():
    frame = pd.DataFrame({"flag": pd.array([True, False, None], dtype="boolean"), "n": [1, 2, 3]})
    assert to_csv_text(frame) == "flag,n\r\ntrue,1\r\nfalse,2\r\n,3\r\n"


def test_large_frames_are_written_whole_in_chunks():
    from dashboard.web.csvout import csv_chunks

    chunks = list(csv_chunks(pd.DataFrame({"n": range(25)}), chunk_rows=10))
    assert len(chunks) == 4 and "".join(chunks).count("\n") == 26


@pytest.mark.parametrize("cell", ["a\rb", "=1\r=2", "x\r\n=HYPERLINK(1)"])
def test_a_carriage_return_inside_a_cell_stays_inside_it(cell):
    # Regression (found by tests/test_properties.py): "\r" went out unquoted and split the row, and
    # the text after it began a row of its own, where a formula was no longer neutralised.
    text = to_csv_text(pd.DataFrame({"detail": [cell], "n": [1]}))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["detail", "n"], ["'" + cell if cell.startswith("=") else cell, "1"]]
