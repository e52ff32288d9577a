"""Reading a rendered page in tests: its components by id, their text, the slice a clicked point opens,
and the page itself rendered as a signed-in user would get it.

Page tests share these so that every page is read the same way: a helper that is stricter in one test
module than in another would let a page pass there that fails here.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

import dash
import pandas as pd
import pytest
from dash.development.base_component import Component

from dashboard.data.slices import AccountFilters
from dashboard.data.view import VIEW_PARAMETERS, Filters
from dashboard.data.warehouse import Warehouse

ComponentId = str | dict[str, str]
"""A component id as pages set it: a plain string, or a dict for pattern-matching callbacks."""


def walk(component: Component) -> Iterator[Component]:
    """The component and every component below it, depth first (text and numbers are not components)."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)


def find_all(tree: Component, component_id: ComponentId) -> list[Any]:
    """Every component of `tree` with this id, in reading order: for asserting how often a page draws a part."""
    return [c for c in walk(tree) if getattr(c, "id", None) == component_id]


def find(tree: Component, component_id: ComponentId) -> Any:
    """The one component of `tree` with this id: a repeated id breaks the page's callbacks, so two fail as none do."""
    found = find_all(tree, component_id)
    assert len(found) == 1, f"{component_id} found {len(found)} times"
    return found[0]


def has(tree: Component, component_id: ComponentId) -> bool:
    """Whether `tree` holds a component with this id: for parts a page leaves out, such as a grid of no rows."""
    return bool(find_all(tree, component_id))


def of_type(tree: Component, kind: type[Component] | tuple[type[Component], ...]) -> list[Any]:
    """Every component of `tree` of this class, or of these classes (`dcc.Graph`, `(html.Button, dbc.Button)`), in
    reading order."""
    return [c for c in walk(tree) if isinstance(c, kind)]


Content = Component | str | int | float | list | tuple | None
"""What a component's `children` may be: a component, a string, a number, nothing, or a list of these."""


def strings(component: Content) -> Iterator[str]:
    """The strings of `component` in reading order: what a reader sees, without the markup around it.

    A number reads as `str` writes it; None and booleans, which React draws as nothing, read as nothing.
    """
    if isinstance(component, str):
        yield component
    elif isinstance(component, bool) or component is None:
        return
    elif isinstance(component, numbers.Number):  # numpy's numbers too
        yield str(component)
    elif isinstance(component, list | tuple):
        for child in component:
            yield from strings(child)
    elif hasattr(component, "to_plotly_json"):
        yield from strings(getattr(component, "children", None))


def text_of(component: Content) -> str:
    """The text of `component` as the browser runs its strings together: for comparing a whole label exactly."""
    return "".join(strings(component))


def words_of(component: Content) -> str:
    """The strings of `component` joined by spaces: for finding a phrase or value where markup, not a space, parts
    it from its neighbour (a record's `<dt>Segment</dt><dd>unknown</dd>`)."""
    return " ".join(strings(component))


def figure(tree: Component, chart: str) -> Any:
    """The figure of a drill-down chart, the id pattern every chart that opens an account list carries."""
    return find(tree, {"type": "drill", "chart": chart}).figure


def series_of(fig: Any) -> list[Any]:
    """The traces a figure draws its points with, in order: what a reader sees, hovers and clicks, without the
    legend's own entries (`charts.common.legend_swatch`), which hold no point."""
    return [trace for trace in fig.data if any(x is not None for x in trace.x)]


def is_empty_state(fig: Any) -> bool:
    """A chart drawn for no data: no traces, and an annotation that says why instead of blank axes."""
    return not fig.data and bool(fig.layout.annotations)


def registered_page(path: str) -> dict[str, Any]:
    """Dash's registry entry of the page at `path` (or its path template, `/accounts/<account_number>`): what the
    app serves there, whatever module holds it."""
    return next(page for page in dash.page_registry.values() if path in (page["path"], page.get("path_template")))


def page_module(path: str) -> ModuleType:
    """The module of the page at `path` as Dash imported it (`dashboard.pages.<name>`)."""
    return sys.modules[registered_page(path)["module"]]


def render_page(path: str, **query: str) -> Component:
    """The layout of the page at `path` for a URL query, as Dash builds it; call inside a signed-in request."""
    return registered_page(path)["layout"](**query)


def views_without_data(view: dict[str, str]) -> pytest.MarkDecorator:
    """Parametrises a test's `query` over two views that hold nothing: a range after the demo's last day, and the
    page's `view` narrowed to a segment no account has."""
    return pytest.mark.parametrize(
        "query",
        [{"start": "2030-01-01", "end": "2030-03-31"}, {**view, "segment": "no-such-segment"}],
        ids=["range", "segment"],
    )


def slice_of(customdata: str) -> tuple[Filters, AccountFilters]:
    """The view and the slice the account list would show for a clicked point."""
    args = dict(parse_qsl(customdata))
    view = {k: v for k, v in args.items() if k in VIEW_PARAMETERS}
    return Filters.parse(view, None), AccountFilters.parse({k: v for k, v in args.items() if k not in view})


def drilled(warehouse: Warehouse, customdata: str) -> pd.DataFrame:
    """Follow a clicked point: the accounts the list opened by its query string holds, a missing start or end
    taken from the warehouse's extent as the list page takes it."""
    args = dict(parse_qsl(customdata))
    return warehouse.accounts(Filters.parse(args, warehouse.extent()), AccountFilters.parse(args))
