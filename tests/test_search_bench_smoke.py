"""bench/search.py and bench/whoosh_forks.py cannot rot: both run end to end on a tiny corpus."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_search_benchmark_runs_on_a_small_corpus(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "search.py"), "--cases", "300", "--dir", str(tmp_path / "bench")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for line in ("full rebuild:", "| phrase |", "| case number |", "save to searchable:"):
        assert line in result.stdout


def test_the_fork_comparison_runs(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "whoosh_forks.py"), "--docs", "200"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refresh after delete correct" in result.stdout
