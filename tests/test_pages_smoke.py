"""Every registered page renders on the demo warehouse without raising."""

import dash
import pytest


def test_every_page_module_renders_its_default_view(in_request):
    for page in dash.page_registry.values():
        layout = page["layout"]
        if page.get("path_template"):
            continue
        rendered = layout() if callable(layout) else layout
        assert rendered is not None, page["module"]


@pytest.mark.parametrize(
    "query", [{"grain": "year"}, {"start": "nonsense"}, {"start": "2030-01-01", "end": "2030-01-31"}]
)
def test_bad_or_empty_views_still_render(in_request, query):
    for page in dash.page_registry.values():
        if page.get("path_template"):
            continue
        assert page["layout"](**query) is not None, page["module"]
