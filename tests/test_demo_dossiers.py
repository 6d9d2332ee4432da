"""The demo's filed dossiers as `portal demo` makes them (the full 300-case history, SQLite), read as an
archivist would: complete by the pre-check, catalogued (卷名 the case title, 档号, 责任者, dates), and no numbered
page holding only a signature, seal or date block — over every page of every filed demo dossier, and of unsigned
drafts of a spread of the other demo cases (so the generated documents themselves are read, not only their scans)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlmodel import Session, select
from support.pdf_pages import lonely_pages, page_texts
from support.sqlite import copy_template

from archive import storage
from archive.binding import bind
from archive.model import FilingData, Options
from portal.cases.models import Case, CaseState
from portal.demo import build_demo
from portal.demo_cases import build_demo_cases
from portal.demo_cases.filing import file_demo_dossiers
from portal.dossiers import service
from portal.dossiers.models import DossierVersion
from portal.settings import Settings


@pytest.fixture(scope="module")
def demo(sqlite_template, tmp_path_factory) -> Iterator[tuple[Settings, object]]:  # noqa: ANN001
    from portal.db import make_engine

    root = tmp_path_factory.mktemp("demo-dossiers")
    url = copy_template(sqlite_template, root / "var" / "portal.sqlite3")
    settings = Settings(data_dir=root / "var", database_url=url, secret_key="test-secret", _env_file=None)
    engine = make_engine(settings.effective_database_url)
    build_demo(engine, password="Demo@pass-1")
    build_demo_cases(engine)
    report = file_demo_dossiers(engine, settings)
    assert len(report.filed) == 3 and not report.failed, report.summary()
    try:
        yield settings, engine
    finally:
        engine.dispose()


def _filed(settings, engine) -> list[tuple[DossierVersion, Case, bytes, dict]]:  # noqa: ANN001
    with Session(engine) as db:
        rows = list(db.exec(select(DossierVersion, Case).join(Case, Case.id == DossierVersion.case_id)))
    return [
        (
            version,
            case,
            storage.read(settings.archive_dir, version.storage_key, version.sha256),
            json.loads(storage.read(settings.archive_dir, version.manifest_key, version.manifest_sha256)),
        )
        for version, case in rows
    ]


def test_the_filed_demo_dossiers_are_complete_and_catalogued(demo) -> None:  # noqa: ANN001
    settings, engine = demo
    filed = _filed(settings, engine)
    assert len(filed) == 3 and {c.outcome for _, c, _, _ in filed} == {"written", "oral", "failed"}
    numbers = set()
    for version, case, pdf, manifest in filed:
        with Session(engine) as db:
            assert service.precheck(db, db.get(Case, case.id), uploads_dir=settings.uploads_dir) == []
        texts = page_texts(pdf)
        cover = "".join(texts[0].split())
        assert case.title in cover and manifest["title"] == case.title == version.title  # 卷名: the case's title
        assert re.fullmatch(r".+-\d{4}-(Y|D30|D10)-\d{4}", version.archive_number) and version.archive_number in cover
        numbers.add(version.archive_number)
        documents = manifest["documents"]
        assert all(d["author"] and d["date"] for d in documents), documents
        assert documents[0]["title"].startswith(("人民调解申请书", "人民调解受理登记表"))
        signed = [d for d in documents if d["source"] == "signed_scan"]
        assert len(signed) >= 6  # every document printed with signature lines went in signed
        contents = "".join(texts[1 : manifest["pdf"]["front_pages"]])
        assert not re.search(r"\d{4}-\d{2}-\d{2}", contents)  # dates written 2026年3月1日
    assert len(numbers) == 3
    oral = next(m for _, c, _, m in filed if c.outcome == "oral")
    assert any(
        d["title"] == "人民调解协议书（四联单）（签字件）" for d in oral["documents"]
    )  # the simple case's 四联单
    failed = next(m for _, c, _, m in filed if c.outcome == "failed")
    assert any(d["title"].startswith("终止调解告知书") for d in failed["documents"])


def test_no_numbered_page_of_a_demo_dossier_holds_only_a_signature_seal_or_date(demo) -> None:  # noqa: ANN001
    settings, engine = demo
    for _, case, pdf, manifest in _filed(settings, engine):
        front = manifest["pdf"]["front_pages"]
        assert lonely_pages(pdf, front, front + manifest["pdf"]["numbered_pages"]) == [], case.number
    # the generated documents themselves: unsigned drafts of demo cases of every outcome, channel and route
    with Session(engine) as db:
        cases = list(db.exec(select(Case).where(Case.state.in_([CaseState.EVALUATED, CaseState.REFUSED]))))
        spread: dict[tuple, Case] = {}
        for case in cases:
            spread.setdefault((case.outcome, case.channel, case.state), case)
        drafts = [
            service.case_data(db, case, uploads_dir=settings.uploads_dir, with_uploads=False)
            for case in list(spread.values())[:12]
        ]
    assert len(drafts) >= 8
    for data in drafts:
        bound = bind(replace(data, uploads=()), FilingData(retention="（草稿）"), Options())
        front = bound.manifest["pdf"]["front_pages"]
        assert lonely_pages(bound.pdf, front, front + bound.page_count) == [], data.number
