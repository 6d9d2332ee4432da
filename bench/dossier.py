"""Bind 10-, 50- and 200-page dossiers with scanned images; report time and peak memory per size.

    .venv/bin/python bench/dossier.py [--pages 10 50 200] [--variant pdf/a-3b]

Each size runs in a fresh process so that peak RSS is its own (ru_maxrss of the child).
Targets on the project's 2-core machine: 50 pages < 3 s, 200 pages < 10 s, peak < 500 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def one(pages: int, variant: str) -> dict:
    """Bind a dossier of about `pages` numbered pages (generated documents plus one-page scans) in this process."""
    from archive import samples
    from archive.binding import bind
    from archive.model import FilingData, Options

    base = samples.case(scans=0)
    generated = 12  # the sample case's own numbered pages
    scans = tuple(
        samples.upload(
            samples.scan(seed=n, text=f"PAGE {n}"), f"扫描{n + 1}.jpg", "image/jpeg", "证据材料", day=date(2026, 3, 4)
        )
        for n in range(max(1, pages - generated))
    )
    case = replace(base, uploads=base.uploads + scans)
    started = time.perf_counter()
    bound = bind(
        case,
        FilingData(filed_by="吴静怡", checked_by="韩振宇", filed_on=date(2026, 4, 20), retention="10年"),
        Options(variant=variant),
    )
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "pages": bound.page_count,
        "total_pages": bound.total_pages,
        "seconds": round(seconds, 2),
        "peak_mb": round(peak_mb),
        "pdf_mb": round(len(bound.pdf) / 1048576, 1),
        "variant": variant,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--variant", default="pdf/a-3b")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(one(args.child, args.variant)))
        return
    print("| pages (numbered / total) | variant | time | peak RSS | PDF size |\n|---|---|---|---|---|")
    for pages in args.pages:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(pages), "--variant", args.variant],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {r['pages']} / {r['total_pages']} | {r['variant']} | {r['seconds']} s "
            f"| {r['peak_mb']} MB | {r['pdf_mb']} MB |",
            flush=True,
        )


if __name__ == "__main__":
    main()
