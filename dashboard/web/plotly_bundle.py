"""Plotly's cartesian bundle served where Dash asks for the full one.

Every chart here is a bar, line or heatmap, and plotly.js publishes those trace types as its
cartesian bundle: 1.5 MB against the full bundle's 4.8 MB (maps, 3D, finance, ...), which each
chart page had to evaluate, about a fifth of a second on this machine. The vendored file is the npm
package `plotly.js-cartesian-dist-min` at the plotly.js version the installed `plotly` ships;
if the two differ (plotly was upgraded), the full bundle is served as before and a warning says
which file to update.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from flask import Flask, request, send_file

BUNDLE = Path(__file__).resolve().parent / "vendor" / "plotly-cartesian.min.js"
PLOTLY_PATH = "/_dash-component-suites/plotly/package_data/plotly.min.js"
TRACE_TYPES = frozenset(
    {
        "bar",
        "box",
        "contour",
        "heatmap",
        "histogram",
        "histogram2d",
        "histogram2dcontour",
        "image",
        "pie",
        "scatter",
        "scatterternary",
        "violin",
    }
)
"""The trace types in the cartesian bundle (its README); a chart of any other type would not draw."""
logger = logging.getLogger(__name__)


def bundle_version(path: Path = BUNDLE) -> str | None:
    """The plotly.js version named in a bundle's header comment."""
    with path.open(encoding="utf-8") as bundle:
        found = re.search(r"plotly\.js[^\n]*? v(\d+\.\d+\.\d+)", bundle.read(400))
    return found.group(1) if found else None


def install(server: Flask) -> bool:
    """Serve the cartesian bundle for Plotly's path when it matches the installed plotly; say whether."""
    from plotly.offline import get_plotlyjs_version

    expected = get_plotlyjs_version()
    if bundle_version() != expected:
        logger.warning("%s is not plotly.js %s: serving the full bundle", BUNDLE.name, expected)
        return False

    @server.before_request
    def cartesian_bundle():
        if request.path == PLOTLY_PATH:
            return send_file(BUNDLE, mimetype="text/javascript", conditional=True, etag=True, max_age=0)
        return None

    return True
