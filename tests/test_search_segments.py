"""The fast query path (search/fast.py) and the segment policy: results equal a plain count, whatever the segments."""

from __future__ import annotations

import dataclasses

import pytest
from support.search_corpus import background, planted

from search import Rebuild, Scope, SearchIndex, SearchRequest, apply, fast, writing


@pytest.fixture
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writing, "REBUILD_SEGMENT_DOCS", 100)
    monkeypatch.setattr(writing, "SMALL_SEGMENT", 20)


def _build(root, docs, procs: int = 1):  # noqa: ANN001, ANN202
    job = Rebuild(root, procs=procs)
    for start in range(0, len(docs), 50):
        job.add(docs[start : start + 50])
    job.finish()
    return SearchIndex(root)


def _segments(index: SearchIndex) -> list[int]:
    with index._lock:  # noqa: SLF001
        return sorted(data.n for _sub, _offset, data in index._segments(index._current()))  # noqa: SLF001


def test_counts_and_facets_match_a_plain_scan_over_several_segments(tmp_path, small_segments) -> None:  # noqa: ANN001, ARG001
    docs = background(400) + planted()
    index = _build(tmp_path / "index", docs)
    assert len(_segments(index)) >= 4
    everything = Scope(everything=True)
    for q, word in (("宅基地", "宅基地"), ("物业", "物业"), ('"申请调解"', "申请调解")):
        expected = [
            d
            for d in docs
            if any(
                word in x
                for x in [
                    d.title,
                    *d.parties,
                    *d.mediators,
                    *d.dispute_type_names,
                    *d.org_names,
                    d.status_label,
                    d.channel,
                    d.outcome_label,
                    d.text,
                    *d.dossier_pages,
                ]
            )
        ]
        res = index.search(SearchRequest(q=q, size=10), everything)
        assert res.total == len(expected), q
        by_type: dict[str, int] = {}
        for d in expected:
            by_type[d.dispute_type] = by_type.get(d.dispute_type, 0) + 1
        assert {v.value: v.count for v in res.facets["dtype"]} == {k: c for k, c in by_type.items() if k}
        found = {d.id for d in expected}
        assert {h.case_id for h in res.hits} <= found


def test_common_phrases_are_counted_approximately_and_say_so(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    index = _build(tmp_path / "index", background(300))
    exact = index.search(SearchRequest(q='"申请调解"', size=5), Scope(everything=True))
    monkeypatch.setattr(fast, "VERIFY_LIMIT", 0)
    approx = index.search(SearchRequest(q='"申请调解"', size=5), Scope(everything=True))
    assert approx.total >= exact.total
    assert any("约数" in n for n in approx.notes) and not any("约数" in n for n in exact.notes)
    assert [h.case_id for h in approx.hits] and {h.case_id for h in approx.hits} <= {
        h.case_id for h in index.search(SearchRequest(q='"申请调解"', size=300), Scope(everything=True)).hits
    }


def test_updates_never_merge_the_rebuilds_large_segments(tmp_path, small_segments) -> None:  # noqa: ANN001, ARG001
    docs = background(300)
    root = tmp_path / "index"
    index = _build(root, docs)
    large = [n for n in _segments(index) if n >= writing.SMALL_SEGMENT]
    for i in range(12):
        apply(root, [dataclasses.replace(docs[i], title=f"改名{i}号鸭棚纠纷", version=docs[i].version + 1)])
    after = _segments(index)
    assert [n for n in after if n >= writing.SMALL_SEGMENT] == large  # the large ones untouched (deletions only)
    assert len([n for n in after if n < writing.SMALL_SEGMENT]) <= writing.MAX_SMALL_SEGMENTS + 1
    assert index.status()["documents"] == 300
    assert index.search(SearchRequest(q="鸭棚", size=20), Scope(everything=True)).total == 12


def test_a_rebuild_with_two_writer_processes_holds_every_document_once(tmp_path) -> None:  # noqa: ANN001
    docs = background(250)
    index = _build(tmp_path / "index", docs, procs=2)
    assert index.status()["documents"] == 250
    assert index.check({d.id: d.version for d in docs}).ok


def test_facets_counted_document_by_document_equal_the_set_counts(
    tmp_path, small_segments, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001, ARG001
    index = _build(tmp_path / "index", background(300) + planted())
    everything = Scope(everything=True)
    for q in ("宅基地", "物业", '"申请调解"', "调解"):
        monkeypatch.setattr(fast, "LIST_FACETS_BELOW", 0)  # always by intersecting sets
        by_sets = index.search(SearchRequest(q=q, size=5), everything).facets
        monkeypatch.setattr(fast, "LIST_FACETS_BELOW", 2)  # always from each listed document's value
        by_documents = index.search(SearchRequest(q=q, size=5), everything).facets
        assert by_sets == by_documents and any(by_sets.values()), q


def test_a_searcher_keeps_reading_segments_a_later_commit_merges_away(tmp_path, small_segments) -> None:  # noqa: ANN001, ARG001
    docs = background(300)
    root = tmp_path / "index"
    index = _build(root, docs)
    for i in range(4):  # small segments, one commit each
        apply(root, [dataclasses.replace(docs[i], title=f"改名{i}号鸭棚纠纷", version=docs[i].version + 1)])
    with index._lock:  # noqa: SLF001
        searcher = index._current()  # noqa: SLF001 — opened now, used after the next commit (the indexer runs apart)
        small = [
            sub.reader() for sub, _ in searcher.leaf_searchers() if sub.reader().doc_count_all() < writing.SMALL_SEGMENT
        ]
        files_before = {p.name for p in (root / (root / "CURRENT").read_text().strip()).iterdir()}
        for i in range(4, 10):  # enough small segments that a commit merges them and deletes their files
            apply(root, [dataclasses.replace(docs[i], title=f"改名{i}号鸭棚纠纷", version=docs[i].version + 1)])
        gone = files_before - {p.name for p in (root / (root / "CURRENT").read_text().strip()).iterdir()}
        assert any(name.endswith("._stored.col") for name in gone), (
            "the merge should have removed a segment's stored fields"
        )
        assert small and all(isinstance(reader.stored_fields(0), dict) for reader in small)


def test_a_rebuild_writer_sorts_its_postings_in_memory_up_to_its_byte_limit(tmp_path) -> None:  # noqa: ANN001
    # Whoosh's own pool also spilled to its on-disk sort every 1,000,000 postings, whatever limitmb said: a segment of
    # cases with their records holds several million.
    job = Rebuild(tmp_path / "index", procs=1)
    job.add(background(30))
    pool = job._open().pool  # noqa: SLF001
    assert isinstance(pool, writing._PostingPool) and pool.maxsize > 10**9  # noqa: SLF001
    assert pool.limit == writing.REBUILD_LIMIT_MB * 1024 * 1024 and pool.runs == []
    job.finish()
    assert SearchIndex(tmp_path / "index").search(SearchRequest(q="调解", size=5), Scope(everything=True)).total > 0
