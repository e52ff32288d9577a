"""The packages import only downward, and no module imports itself back through others.

portal (shared words, config, schema, connection) < etl (the loader), and on the dashboard's side
portal < the permission table, the sign-in throttle and the user store (auth.roles, auth.throttle,
auth.store: the audit log is a dataset)
< dashboard.data (views, slices, metrics, reads) < dashboard.alerts (rules, evaluation, store, delivery;
its links from dashboard.web.urls, the one place URLs are spelled) < the rest of dashboard.auth (sign-in, guard) <
dashboard.charts < dashboard.web < dashboard.pages < dashboard.cli. Read statically from every
module's source, so an import inside a function counts too: it would run upward just the same, later.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {
    "portal": {"portal"},
    "etl": {"portal", "etl"},
    "dashboard.auth.roles": {"portal"},
    "dashboard.auth.throttle": {"portal"},
    "dashboard.auth.store": {"portal", "dashboard.auth.roles", "dashboard.auth.throttle"},
    "dashboard.data": {"portal", "dashboard.auth.roles", "dashboard.auth.store", "dashboard.data"},
    "dashboard.alerts": {"portal", "dashboard.data", "dashboard.web.urls", "dashboard.alerts"},
    "dashboard.auth": {"portal", "dashboard.data", "dashboard.auth"},
    "dashboard.charts": {"portal", "dashboard.data", "dashboard.charts"},
    "dashboard.web": {"portal", "dashboard.data", "dashboard.auth", "dashboard.charts", "dashboard.web"},
    "dashboard.pages": {"portal", "dashboard.data", "dashboard.auth", "dashboard.charts", "dashboard.web"},
    "dashboard.cli": {"portal", "etl", "dashboard"},
}
"""Each layer and the packages it may import from (a page imports no other page)."""
WEB_LIBRARIES = {"dash", "flask", "flask_login", "dash_bootstrap_components", "dash_ag_grid", "werkzeug"}
NO_WEB = ("dashboard.data", "dashboard.charts", "dashboard.alerts")
"""Layers that must stay usable without a web server: data by everything, charts by emails and tests."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in ("portal", "etl", "dashboard"):
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    """Every module this one imports, anywhere in its source, relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def layer_of(name: str) -> str | None:
    matches = [layer for layer in LAYERS if name == layer or name.startswith(layer + ".")]
    return max(matches, key=len) if matches else None


def is_within(name: str, packages: set[str]) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


ALL = modules()
GRAPH = {name: {i for i in imports_of(name, path) if i in ALL} for name, path in ALL.items()}


@pytest.mark.parametrize("name", sorted(ALL))
def test_a_module_imports_only_its_own_layer_and_those_below(name):
    layer = layer_of(name)
    if layer is None:
        return
    upward = sorted(i for i in GRAPH[name] if layer_of(i) is not None and not is_within(i, LAYERS[layer]))
    assert not upward, f"{name} ({layer}) imports {upward}"


@pytest.mark.parametrize("name", sorted(n for n in ALL if layer_of(n) in NO_WEB))
def test_data_and_charts_do_not_import_the_web_framework(name):
    web = sorted(i for i in imports_of(name, ALL[name]) if i.split(".")[0] in WEB_LIBRARIES)
    assert not web, f"{name} imports {web}"


def test_no_module_imports_itself_back_through_others():
    cycles = []
    for start in sorted(GRAPH):
        seen, stack = set(), [(start, (start,))]
        while stack:
            current, trail = stack.pop()
            for nxt in GRAPH[current]:
                if nxt == start and len(trail) > 1:
                    cycles.append(" -> ".join((*trail, start)))
                elif nxt not in seen and not is_within(nxt, {start}):
                    seen.add(nxt)
                    stack.append((nxt, (*trail, nxt)))
    assert not cycles, "import cycles:\n" + "\n".join(cycles[:10])


def test_the_layer_rules_see_every_package():
    """A new package must be given its place here, or it would slip past the rules above."""
    assert {layer_of(name) for name in ALL} - {None} == set(LAYERS)
    assert all(layer_of(name) for name in ALL if name.count(".") >= 1 and name.split(".")[1] != "__main__")


def test_a_server_worker_does_not_import_the_loader():
    """`gunicorn app:server` imports app and the dashboard only: the loader's DuckDB and ADBC drivers
    would cost every worker some 50 MB it never uses."""
    probe = (
        "import sys, app, dashboard.web.app; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('etl', 'duckdb', 'adbc_driver_sqlite')))"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert found.stdout.strip() == "[]"
