"""Compare Whoosh forks on this project's corpus: build speed, query latency, correctness, warnings.

Run once per fork, each installed in its own throwaway virtual environment, with the repository on the path:

    python3.11 -m venv /tmp/venv-whoosh3 && /tmp/venv-whoosh3/bin/pip install whoosh3 jieba zhconv
    PYTHONPATH=. /tmp/venv-whoosh3/bin/python bench/whoosh_forks.py [--docs 5000]
"""

from __future__ import annotations

import argparse
import compileall
import io
import os
import statistics
import sys
import tempfile
import time
import warnings
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `search` is the package, not bench/search.py


def compile_warnings() -> int:
    """Warnings Python raises compiling the fork's sources (invalid escapes and the like)."""
    import whoosh

    with warnings.catch_warnings(record=True) as caught, tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter("always")
        os.environ["PYTHONPYCACHEPREFIX"] = tmp
        sys.pycache_prefix = tmp
        with redirect_stdout(io.StringIO()):
            compileall.compile_dir(os.path.dirname(whoosh.__file__), force=True, quiet=2)
    return len(caught)


def refresh_keeps_deletions(root: Path) -> bool:
    """After a delete, does searcher.refresh() stop returning the deleted document?"""
    from whoosh import index
    from whoosh.fields import ID, Schema

    root.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(root), Schema(k=ID(stored=True, unique=True)))
    w = ix.writer()
    w.add_document(k="a"), w.add_document(k="b")
    w.commit()
    s = ix.searcher()
    w = ix.writer()
    w.delete_by_term("k", "b")
    w.commit()
    s = s.refresh()
    return [d["k"] for d in s.documents()] == ["a"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=5000)
    args = parser.parse_args()
    import whoosh
    from support.search_corpus import JUDGED, background, planted

    from search import Rebuild, Scope, SearchIndex, SearchRequest

    docs = background(args.docs) + planted()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "index"
        with warnings.catch_warnings(record=True) as runtime:
            warnings.simplefilter("always")
            started = time.perf_counter()
            job = Rebuild(root)
            for i in range(0, len(docs), 1000):
                job.add(docs[i : i + 1000])
            job.finish()
            build = time.perf_counter() - started
            index = SearchIndex(root)
            everything = Scope(everything=True)
            hits = found = 0
            times = []
            for q, relevant, _ in JUDGED:
                t = time.perf_counter()
                ids = [h.case_id for h in index.search(SearchRequest(q=q, size=10), everything).hits]
                times.append((time.perf_counter() - t) * 1000)
                hits += len(set(ids) & relevant)
                found += min(len(relevant), 10)
        refresh_ok = refresh_keeps_deletions(Path(tmp) / "refresh")
    times.sort()
    print(
        f"{whoosh.versionstring():>8} | docs {len(docs)} | build {len(docs) / build:.0f} docs/s "
        f"| query p50 {statistics.median(times):.1f} ms p95 {times[int(len(times) * 0.95)]:.1f} ms "
        f"| recall@10 {hits / found:.3f} | refresh after delete correct: {refresh_ok} | "
        f"runtime warnings {len(runtime)} | compile warnings {compile_warnings()} | Python {sys.version.split()[0]}"
    )


if __name__ == "__main__":
    main()
