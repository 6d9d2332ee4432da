"""bench/dossier.py cannot rot: one tiny binding through its own function."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "dossier.py"


def test_the_dossier_benchmark_binds_and_reports() -> None:
    spec = importlib.util.spec_from_file_location("portal_bench_dossier", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.one(16, "pdf/a-3b")
    assert result["pages"] >= 12 and result["seconds"] > 0 and result["peak_mb"] > 0
