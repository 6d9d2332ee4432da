"""The judged relevance set: recall@10 and MRR over a realistic Chinese corpus (figures in the README)."""

from __future__ import annotations

import pytest
from support.search_corpus import JUDGED, background, planted

from search import Rebuild, Scope, SearchIndex, SearchRequest

RECALL_AT_10 = 0.97  # mean over the judged queries
MRR = 0.93


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    root = tmp_path_factory.mktemp("relevance") / "index"
    rebuild = Rebuild(root)
    rebuild.add(background())
    rebuild.add(planted())
    rebuild.finish()
    return SearchIndex(root)


def measure(index: SearchIndex) -> tuple[float, float, list[tuple[str, float, float]]]:
    rows = []
    for q, relevant, _what in JUDGED:
        ids = [h.case_id for h in index.search(SearchRequest(q=q, size=10, facets=False), Scope(everything=True)).hits]
        recall = len(set(ids) & relevant) / min(len(relevant), 10)
        rank = next((i + 1 for i, case_id in enumerate(ids) if case_id in relevant), None)
        rows.append((q, recall, 1 / rank if rank else 0.0))
    return sum(r for _, r, _ in rows) / len(rows), sum(m for _, _, m in rows) / len(rows), rows


def test_the_judged_set_has_at_least_80_queries_of_every_kind() -> None:
    kinds = " ".join(what for _, _, what in JUDGED)
    assert len(JUDGED) >= 80
    for kind in (
        "rare",
        "single char",
        "village",
        "word",
        "phrase",
        "traditional",
        "full width",
        "number",
        "synonym",
        "inside",
        "dossier",
    ):
        assert kind in kinds


def test_recall_at_10_and_mrr_meet_the_thresholds(index: SearchIndex) -> None:
    recall, mrr, rows = measure(index)
    misses = [(q, round(r, 2), round(m, 2)) for q, r, m in rows if r < 1 or m < 1]
    print(f"\nrecall@10={recall:.3f} MRR={mrr:.3f} over {len(rows)} queries; imperfect: {misses}")
    assert recall >= RECALL_AT_10, misses
    assert mrr >= MRR, misses
