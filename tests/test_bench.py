"""`make bench` end to end on a tiny demo: every step reports its figures, and each peak RSS is its own."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from etl.bench import STEPS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"[\d,]+(?:\.\d+)?"


def _drop_databases(server: str, prefix: str) -> None:
    admin = create_engine(f"{server}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        names = connection.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"), {"prefix": f"{prefix}%"}
        ).scalars()
        for name in list(names):
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_reports_every_step_and_the_ratios(tmp_path, postgres_server):
    prefix = f"portal_benchtest_{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "etl.bench", "--accounts", "300", "--folder", str(tmp_path)]
    command += ["--pg-url", postgres_server, "--pg-prefix", prefix]
    try:
        result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    finally:
        _drop_databases(postgres_server, prefix)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    floor = float(re.search(rf"^bench process peak RSS ({NUMBER}) MB", out, re.MULTILINE).group(1).replace(",", ""))
    for step in STEPS:
        row = re.search(rf"^{step}\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s", out, re.MULTILINE)
        assert row, f"no figures for {step}:\n{out}"
        assert float(row.group(3).replace(",", "")) > floor, f"{step}'s peak is the bench's, not its own:\n{out}"
    assert re.search(rf"^full load \(SQLite\) = {NUMBER}× read_sql, {NUMBER}× bare ADBC read", out, re.MULTILINE)
    assert re.search(rf"^full load \(PostgreSQL\) = {NUMBER}× read_sql, {NUMBER}× bare ADBC read", out, re.MULTILINE)
    assert re.search(rf"^warehouse on disk: {NUMBER} GB, source {NUMBER} GB, ratio {NUMBER}×", out, re.MULTILINE)
    report = (tmp_path / "last_300.md").read_text()
    assert all(f"| {step} |" in report for step in STEPS)


MEASURE_BIG_THEN_SMALL = """
import sys
from etl.bench import measure
big = measure([sys.executable, "-c", "block = b'x' * (300 * 2**20)"])
small = measure([sys.executable, "-c", "pass"])
print(big.exit_code, small.exit_code, big.peak_mb, small.peak_mb)
"""


def test_each_peak_rss_is_that_process_own():
    """Measured from a process as small as the bench's, a small step after a big one reports its own peak.

    Not from pytest itself: a child's peak counts from its parent's memory at the spawn, so under
    pytest (200+ MB) every child would read at least that.
    """
    result = subprocess.run(
        [sys.executable, "-c", MEASURE_BIG_THEN_SMALL], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    big_code, small_code, big_mb, small_mb = result.stdout.split()
    assert big_code == small_code == "0", result.stderr
    assert float(big_mb) > 300
    assert float(small_mb) < 100
