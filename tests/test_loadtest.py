"""`make loadtest`'s report on hand-built samples, and its Locust users importable (no Locust run here)."""

from __future__ import annotations

import subprocess
import sys

from dashboard.cli.loadtest import MB, USERS_FILE, Targets, percentile, read_samples, report, verdicts


def test_percentile_is_the_nearest_rank_of_measured_values():
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 95) == 7
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2
    assert percentile([], 95) != percentile([], 95)  # nan: nothing measured


def samples(kind: str, times: list[float], failed: int = 0) -> list[str]:
    return [f"{kind}\t{t}\t{0 if i < failed else 1}\t200\t{kind}: /x" for i, t in enumerate(times)]


def test_samples_are_counted_per_kind_with_their_failures():
    lines = samples("callback", [10, 20, 30], failed=1) + samples("page", [5]) + ["", "junk"]
    stats = read_samples(lines)
    assert stats["callback"].requests == 3 and stats["callback"].failures == 1
    assert stats["page"].requests == 1 and stats["page"].failures == 0
    assert set(stats) == {"callback", "page"}


def test_the_targets_are_met_only_when_each_is():
    fast = read_samples(samples("callback", [100.0] * 95 + [900.0] * 5) + samples("page", [200.0] * 20))
    rss = {101: 250 * MB, 102: 280 * MB}
    assert all(v.met for v in verdicts(fast, rss, Targets()))
    slow = read_samples(samples("callback", [100.0] * 94 + [900.0] * 6) + samples("page", [200.0] * 20))
    assert [v.name for v in verdicts(slow, rss, Targets()) if not v.met] == ["p95 callbacks"]
    failing = read_samples(samples("callback", [100.0] * 10, failed=1) + samples("page", [200.0]))
    assert [v.name for v in verdicts(failing, rss, Targets()) if not v.met] == ["failures"]
    fat = {101: 250 * MB, 102: 301 * MB}
    assert [v.name for v in verdicts(fast, fat, Targets()) if not v.met] == ["peak RSS per worker"]
    assert not all(v.met for v in verdicts(fast, {}, Targets()))  # no worker measured is no pass


def test_the_report_tables_every_kind_the_workers_and_the_targets():
    stats = read_samples(samples("page", [100.0, 200.0]) + samples("export", [50.0]) + samples("callback", [400.0] * 3))
    text, met = report(stats, {4242: 123 * MB}, Targets(), {"when": "today", "warehouse": "w"})
    assert not met
    assert "| page | 2 | 0 | 100 ms | 200 ms | 200 ms | 200 ms |" in text
    assert "| callback | 3 | 0 | 400 ms | 400 ms | 400 ms | 400 ms |" in text
    assert "| all | 6 | 0 |" in text
    assert "| 4242 | 123 MB |" in text
    assert "| p95 callbacks | ≤ 300 ms | 400 ms | NO |" in text
    assert "| p95 page first response | ≤ 500 ms | 200 ms | yes |" in text


def test_the_locust_users_import_and_are_listed():
    # In a subprocess: importing Locust patches the standard library for gevent.
    listed = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(USERS_FILE), "--list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "Analyst" in listed.stdout
