"""SPEC section 6: masked customer details keep what is useful."""

import pytest

from dashboard.data.masking import mask_email, mask_username


@pytest.mark.parametrize(
    ("email", "masked"),
    [("jane@example.com", "j•••@example.com"), ("Blackhole@mhtc.net", "B•••@mhtc.net"), ("@x.com", "•••@x.com")],
)
def test_an_email_keeps_its_first_letter_and_domain(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(("username", "masked"), [("bob7", "b•••7"), ("BobsBuilding", "B•••g"), ("ab", "a•••")])
def test_a_username_keeps_its_first_and_last_character(username, masked):
    assert mask_username(username) == masked


def test_an_email_shaped_username_is_masked_like_an_email():
    assert mask_username("jane@example.com") == "j•••@example.com"


def test_missing_values_stay_missing():
    assert mask_email(None) is None and mask_username("") == ""
