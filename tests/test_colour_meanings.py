"""One colour, one meaning: a reader who learns on one page what a colour stands for is never told
otherwise on another.

Every figure every page draws on the demo is read for the colours its series, bars and lines are
drawn in and what each is named, and held to the colour key (`dashboard/charts/palette.py`), which
the README's key repeats.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dash import dcc

from dashboard.charts.common import OUTCOME_TEXT_COLORS
from dashboard.charts.overview import VERDICT_COLORS
from dashboard.charts.palette import HEADLINE_TREND, MEANINGS, TEXT_SHADES
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from tests.page_tree import of_type, render_page
from tests.signin import signed_in
from tests.test_chrome import every_page

README = Path(__file__).parents[1] / "README.md"
MEANING_OF = {name.casefold(): meaning for meaning in MEANINGS for name in meaning.names}
SPARKLINE = "kpi-trend"


def hex_colour(colour: str) -> str:
    """A colour as upper-case hex, an `rgba(...)` tint as the colour it tints: a shaded band is its line's colour."""
    tint = re.fullmatch(r"rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*[\d.]+)?\)", colour)
    if tint:
        return "#" + "".join(f"{int(part):02X}" for part in tint.groups())
    return colour.upper()


def series_colours(trace: Any, name: str) -> Iterator[tuple[str, str]]:
    """(colour, what it is named) for a trace: its one colour and its name, or each bar's colour and its label."""
    marker = getattr(trace, "marker", None)
    line = getattr(trace, "line", None)
    colours = [
        getattr(marker, "color", None),
        getattr(line, "color", None) if trace.type == "scatter" else None,
        getattr(trace, "fillcolor", None),
    ]
    labels = trace.y if trace.type == "bar" and trace.orientation == "h" else trace.x
    for colour in colours:
        if isinstance(colour, str):
            yield hex_colour(colour), name
        elif colour is not None:
            yield from ((hex_colour(one), str(label)) for one, label in zip(colour, labels, strict=True))


def figure_colours(graph: dcc.Graph) -> Iterator[tuple[str, str]]:
    """(colour, name) for every coloured series of a graph; a helper trace without a name (a band's lower
    edge) is named by its legend group's named trace, and a sparkline is a headline figure's trend.
    A heatmap is left out: its colour is a quantity, read off its colour bar."""
    traces = graph.figure.data
    group_names = {trace.legendgroup: trace.name for trace in traces if trace.legendgroup and trace.name}
    sparkline = isinstance(graph.id, dict) and graph.id.get("type") == SPARKLINE
    for trace in traces:
        if trace.type == "heatmap":
            continue
        name = HEADLINE_TREND if sparkline else trace.name or group_names.get(trace.legendgroup)
        yield from series_colours(trace, name or "")


@pytest.fixture(scope="module")
def drawn(dash_app, warehouse) -> list[tuple[str, str, str]]:
    """(page, colour, name) for every coloured series of every figure of every page, as an admin sees them."""
    view = Filters.parse({}, warehouse.extent())
    account = warehouse.accounts(view, AccountFilters(has_failed_recovery=True)).iloc[0]["account_number"]
    found = []
    with signed_in(dash_app, "admin"):
        for path in every_page():
            tree = render_page(path, account_number=account) if "<" in path else render_page(path)
            for graph in of_type(tree, dcc.Graph):
                found += [(path, colour, name) for colour, name in figure_colours(graph)]
    return found


def test_each_colour_means_one_thing_on_every_page(drawn):
    meanings: dict[str, set[str]] = defaultdict(set)
    for _, colour, name in drawn:
        known = MEANING_OF.get(name.casefold())
        meanings[colour].add(known.says if known else name)
    assert {colour: said for colour, said in meanings.items() if len(said) > 1} == {}


def test_every_series_drawn_has_a_meaning_in_the_colour_key(drawn):
    assert sorted({(page, name) for page, _, name in drawn if name.casefold() not in MEANING_OF}) == []


def test_every_series_is_drawn_in_its_meanings_colour(drawn):
    wrong = {
        (page, name, colour)
        for page, colour, name in drawn
        if name.casefold() in MEANING_OF and MEANING_OF[name.casefold()].colour != colour
    }
    assert sorted(wrong) == []


def test_the_colour_key_gives_each_meaning_its_own_colour():
    colours = [meaning.colour for meaning in MEANINGS]
    assert len(set(colours)) == len(colours)


def test_the_colour_key_names_each_series_once():
    names = [name.casefold() for meaning in MEANINGS for name in meaning.names]
    assert len(set(names)) == len(names)


def test_each_text_shade_darkens_one_colour_of_the_key_and_is_no_chart_colour():
    key = {meaning.colour for meaning in MEANINGS}
    shades = list(TEXT_SHADES.values())
    assert set(TEXT_SHADES) <= key and len(set(shades)) == len(shades) and not set(shades) & key


def test_words_in_colour_use_the_text_shades_of_the_key():
    assert set(VERDICT_COLORS.values()) | set(OUTCOME_TEXT_COLORS.values()) <= set(TEXT_SHADES.values())


def test_the_readme_lists_each_colour_with_its_meaning():
    text = README.read_text()
    missing = [meaning.colour for meaning in MEANINGS if f"`{meaning.colour}` | {meaning.says} |" not in text]
    assert missing == []
