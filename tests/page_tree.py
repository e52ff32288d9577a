"""Reading a rendered page in tests: its components by id, and the slice a clicked point opens."""

from urllib.parse import parse_qsl

from dashboard.account_list import AccountFilters
from dashboard.metrics import Filters
from dashboard.params import VIEW_PARAMETERS, parse_account_filters, parse_filters


def walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)


def find(tree, component_id):
    found = [c for c in walk(tree) if getattr(c, "id", None) == component_id]
    assert len(found) == 1, f"{component_id} found {len(found)} times"
    return found[0]


def slice_of(customdata: str) -> tuple[Filters, AccountFilters]:
    """The view and the slice the account list would show for a clicked point."""
    args = dict(parse_qsl(customdata))
    view = {k: v for k, v in args.items() if k in VIEW_PARAMETERS}
    return parse_filters(view, None), parse_account_filters({k: v for k, v in args.items() if k not in view})
