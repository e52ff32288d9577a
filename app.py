"""Entry point: `python app.py` serves the dashboard; `gunicorn app:server` serves it in production.

With no source configured it first builds the deterministic demo source in data/ and loads it, so a
newcomer sees a working dashboard from one command.
"""

from __future__ import annotations

import os
import sys

from portal.config import DEMO_SOURCE_URL, Config, ConfigError, load_config
from portal.engine import WarehouseError

DEMO_ACCOUNTS = int(os.environ.get("PORTAL_DEMO_ACCOUNTS", "20000"))
DEMO_SEED = 7


def prepare_demo(config: Config) -> Config:
    """Point an unconfigured install at the demo source, writing and loading it the first time."""
    if config.source.url:
        return config
    from etl.demo import DEMO_TIMEZONE, generate_demo
    from etl.demo_load import load_demo
    from etl.pipeline import has_loaded

    config = config.model_copy(
        update={"source": config.source.model_copy(update={"url": DEMO_SOURCE_URL}), "timezone": DEMO_TIMEZONE}
    )
    if not has_loaded(config.warehouse.url):
        print(f"No source configured: writing a demo source of {DEMO_ACCOUNTS:,} accounts to data/ ...", flush=True)
        generate_demo(DEMO_SOURCE_URL, DEMO_ACCOUNTS, DEMO_SEED, progress=sys.stderr.isatty())
        for summary in load_demo(config):
            print(summary.line(), flush=True)
    return config


def main() -> int:
    from etl.extract import SourceError  # the loader is imported only where it loads: a server worker never does

    try:
        config = prepare_demo(load_config())
        app = served_app(config)  # opening the warehouse migrates it, or refuses one made by a newer version
    except (ConfigError, SourceError, WarehouseError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from waitress import serve

    host = os.environ.get("PORTAL_HOST", "127.0.0.1")
    port = int(os.environ.get("PORTAL_PORT", "8050"))
    print(f"Serving billing portal analytics on http://{host}:{port} (sign in at /login)", flush=True)
    serve(app.server, host=host, port=port, threads=8, ident="portal")
    return 0


def served_app(config: Config):
    """The app as a server runs it: the daily tables kept in memory and the default pages drawn, after each load."""
    import pyarrow

    from dashboard.data import daily_cache
    from dashboard.data.warehouse import Warehouse
    from dashboard.web import page_cache
    from dashboard.web.app import create_app

    # pandas keeps text in Arrow arrays; Arrow's own allocator (mimalloc) held on to what reading the
    # daily tables and each request's frames had freed, 20-40 MB a worker; the system allocator gives it back.
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    app = create_app(config)
    warehouse = Warehouse(config.warehouse.url)
    daily_cache.keep_warm(warehouse.engine, after_new_load=lambda: page_cache.warm(app.server, warehouse))
    return app


def __getattr__(name: str):
    if name == "server":
        return served_app(load_config()).server
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
