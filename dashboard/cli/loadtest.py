"""`make loadtest`: gunicorn on loopback driven by 50 signed-in Locust users for 60 s, against targets.

The warehouse is `data/perf/warehouse.sqlite` (the 1M-account demo) when it exists, else the
configured one (`PORTAL_WAREHOUSE_URL` or the config file), else the default `data/warehouse.sqlite`,
written and loaded from the demo source first if it was never loaded (as `make run` does).

Each simulated person signs in as a `loadtest-NN` analyst of their own with a fresh random password:
fifty sign-ins of one name at once from one address are throttled as the parallel guessing they look
like. gunicorn serves `app:server` on a free loopback port with `PORTAL_SECURE_COOKIES=0` (plain HTTP
on loopback); Locust runs headless against 127.0.0.1 only (`dashboard/cli/loadtest_users.py` says
what each user does). The workers share a Redis as in production (`PORTAL_REDIS_URL`, else the local
one when it answers), emptied of kept pages first. Every worker's RSS is sampled twice a second.

The report (requests, failures, p50/p95/p99 per kind, each worker's peak RSS, each target met or
not) is printed and written to `data/loadtest/last.md`; the exit status is 0 when every target is
met, 1 when one is not.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dashboard.web.page_cache import KEY_PREFIX
from portal.config import DATA_DIR, PROJECT_ROOT, load_config, redis_url

LOAD_USER = "loadtest-{:02d}"
LOAD_ROLE = "analyst"
PERF_WAREHOUSE = DATA_DIR / "perf" / "warehouse.sqlite"
REPORT = DATA_DIR / "loadtest" / "last.md"
USERS_FILE = Path(__file__).with_name("loadtest_users.py")
KINDS = ("page", "callback", "grid", "export", "login")
MB = 1024 * 1024
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Targets:
    p95_callback_ms: float = 300
    p95_page_ms: float = 500
    worker_rss_mb: float = 300


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method: a value that was measured; nan if none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class KindStats:
    kind: str
    times: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def requests(self) -> int:
        return len(self.times)

    def p(self, q: float) -> float:
        return percentile(self.times, q)


def read_samples(lines) -> dict[str, KindStats]:
    """Per kind, from the sample lines the Locust users write: kind, ms, ok (1/0), status, name."""
    stats: dict[str, KindStats] = {}
    for line in lines:
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3:
            continue
        kind, ms, ok = parts[0], float(parts[1]), parts[2] == "1"
        entry = stats.setdefault(kind, KindStats(kind))
        entry.times.append(ms)
        entry.failures += 0 if ok else 1
    return stats


@dataclass
class Verdict:
    name: str
    target: str
    measured: str
    met: bool


def verdicts(stats: dict[str, KindStats], peak_rss: dict[int, int], targets: Targets) -> list[Verdict]:
    failures = sum(s.failures for s in stats.values())
    callback = stats.get("callback", KindStats("callback")).p(95)
    page = stats.get("page", KindStats("page")).p(95)
    worst = max(peak_rss.values(), default=0) / MB
    return [
        Verdict("failures", "0", str(failures), failures == 0),
        Verdict(
            "p95 callbacks", f"≤ {targets.p95_callback_ms:g} ms", _ms(callback), callback <= targets.p95_callback_ms
        ),
        Verdict("p95 page first response", f"≤ {targets.p95_page_ms:g} ms", _ms(page), page <= targets.p95_page_ms),
        Verdict(
            "peak RSS per worker",
            f"≤ {targets.worker_rss_mb:g} MB",
            f"{worst:.0f} MB",
            0 < worst <= targets.worker_rss_mb,
        ),
    ]


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0f} ms"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def report(
    stats: dict[str, KindStats], peak_rss: dict[int, int], targets: Targets, context: dict[str, str]
) -> tuple[str, bool]:
    """The Markdown report and whether every target is met."""
    kinds = [k for k in KINDS if k in stats] + sorted(k for k in stats if k not in KINDS)
    every = KindStats("all", [t for s in stats.values() for t in s.times], sum(s.failures for s in stats.values()))
    rows = [
        [
            s.kind,
            str(s.requests),
            str(s.failures),
            _ms(s.p(50)),
            _ms(s.p(95)),
            _ms(s.p(99)),
            _ms(max(s.times, default=math.nan)),
        ]
        for s in [*(stats[k] for k in kinds), every]
    ]
    checks = verdicts(stats, peak_rss, targets)
    lines = [f"# Load test, {context.get('when', '')}", ""]
    lines += [f"- {key}: {value}" for key, value in context.items() if key != "when"]
    lines += ["", "## Requests per kind", ""]
    lines += _table(["kind", "requests", "failures", "p50", "p95", "p99", "max"], rows)
    lines += ["", "## Workers' peak RSS", ""]
    lines += _table(
        ["worker pid", "peak RSS"], [[str(pid), f"{rss / MB:.0f} MB"] for pid, rss in sorted(peak_rss.items())]
    )
    lines += ["", "## Targets", ""]
    lines += _table(
        ["target", "wanted", "measured", "met"],
        [[v.name, v.target, v.measured, "yes" if v.met else "NO"] for v in checks],
    )
    return "\n".join(lines) + "\n", all(v.met for v in checks)


# --- running it ---------------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """Samples the RSS of every child of a gunicorn master until stopped; keeps each worker's peak."""

    def __init__(self, master_pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.master_pid, self.every = master_pid, every
        self.peak: dict[int, int] = {}
        self.stopping = threading.Event()

    def sample(self) -> None:
        import psutil

        try:
            children = psutil.Process(self.master_pid).children()
        except psutil.NoSuchProcess:
            return
        for child in children:
            try:
                rss = child.memory_info().rss
            except psutil.NoSuchProcess:
                continue
            self.peak[child.pid] = max(rss, self.peak.get(child.pid, 0))

    def run(self) -> None:
        while not self.stopping.wait(self.every):
            self.sample()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def choose_warehouse() -> str:
    """The URL to serve: the 1M demo if present, else the configured one, else the default made from the demo."""
    if PERF_WAREHOUSE.exists() and not os.environ.get("PORTAL_WAREHOUSE_URL"):
        return f"sqlite:///{PERF_WAREHOUSE}"
    sys.path.insert(0, str(PROJECT_ROOT))
    from app import prepare_demo

    return prepare_demo(load_config()).warehouse.url


def wait_healthy(base: str, server: subprocess.Popen, timeout: float = 180) -> None:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"gunicorn did not answer {base}/health in {timeout:.0f}s")


def shared_cache() -> str | None:
    """The Redis the workers share, as in production: `PORTAL_REDIS_URL`, else the local one when it answers.

    Its kept pages are emptied first, so every run starts as the first hour after a load does."""
    import redis

    url = redis_url() or LOCAL_REDIS
    try:
        connection = redis.Redis.from_url(url, socket_connect_timeout=1)
        stale = list(connection.scan_iter(match=f"{KEY_PREFIX}*", count=1000))
        if stale:
            connection.delete(*stale)
    except redis.RedisError:
        return None
    return url


def wait_warmed(cache: str, timeout: float = 900) -> str:
    """Wait until a worker has drawn the pages every role opens first after a load; how long that took.

    The people of this test arrive after the warming, as an office's do after a night's load."""
    import redis

    connection = redis.Redis.from_url(cache, socket_connect_timeout=2)
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if next(connection.scan_iter(match=f"{KEY_PREFIX}warmed:*", count=1000), None):
            return f"{time.monotonic() - began:.0f}"
        time.sleep(1)
    raise TimeoutError(f"the workers did not finish warming in {timeout:.0f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.cli.loadtest", description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second")
    parser.add_argument("--duration", default="60s", help="Locust --run-time, e.g. 60s, 2m")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    from dashboard.auth.store import UserStore

    warehouse_url = choose_warehouse()
    store = UserStore(warehouse_url)
    people = [LOAD_USER.format(n) for n in range(1, args.users + 1)]
    credentials = "".join(f"{name}\t{store.tool_password(name, LOAD_ROLE, actor='loadtest')}\n" for name in people)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cache = shared_cache()
    warmed = "not waited for (no shared cache)"
    env = {
        **os.environ,
        **({"PORTAL_REDIS_URL": cache} if cache else {}),
        "PORTAL_WAREHOUSE_URL": warehouse_url,
        "PORTAL_HOST": "127.0.0.1",
        "PORTAL_PROXY_HOPS": "0",
        "PORTAL_SECURE_COOKIES": "0",
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--threads", str(args.threads)]
    gunicorn += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:server"]
    print(
        f"serving {warehouse_url} with gunicorn ({args.workers} workers x {args.threads} threads) on {base}", flush=True
    )
    server = subprocess.Popen(gunicorn, cwd=PROJECT_ROOT, env=env)
    sampler = RssSampler(server.pid)
    try:
        wait_healthy(base, server)
        if cache:
            print("waiting for a worker to warm the pages every role opens first ...", flush=True)
            warmed = wait_warmed(cache)
        sampler.sample()
        idle = dict(sampler.peak)
        sampler.start()
        with tempfile.TemporaryDirectory(prefix="loadtest-") as folder:
            samples = Path(folder) / "samples.tsv"
            accounts = Path(folder) / "accounts.tsv"
            accounts.write_text(credentials)
            accounts.chmod(0o600)
            locust = [sys.executable, "-m", "locust", "-f", str(USERS_FILE), "--headless", "--only-summary"]
            locust += ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.duration, "--host", base]
            locust += ["--stop-timeout", "10", "--exit-code-on-error", "0"]
            print(f"locust: {args.users} users, {args.spawn_rate:g}/s, {args.duration}", flush=True)
            locust_env = {
                **os.environ,
                "LOADTEST_ACCOUNTS": str(accounts),
                "LOADTEST_SAMPLES": str(samples),
            }
            subprocess.run(locust, cwd=PROJECT_ROOT, env=locust_env, check=True)
            stats = read_samples(samples.read_text().splitlines() if samples.exists() else [])
    finally:
        sampler.stopping.set()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    context = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "warehouse": warehouse_url,
        "server": f"gunicorn app:server, {args.workers} workers x {args.threads} threads, 127.0.0.1",
        "shared cache": f"Redis {cache} (emptied of kept pages first)" if cache else "none: each worker keeps its own",
        "warming before the first user": f"{warmed} s" if cache else warmed,
        "load": f"{args.users} analysts started at {args.spawn_rate:g}/s, 5-15 s between actions, {args.duration}",
        "machine": f"{os.cpu_count()} cores; figures measured on a shared machine, other work running",
        "workers' RSS when idle": ", ".join(f"{rss / MB:.0f} MB" for _, rss in sorted(idle.items())) or "n/a",
    }
    text, met = report(stats, sampler.peak, Targets(), context)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"written to {args.out}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
