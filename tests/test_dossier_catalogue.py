"""The dossier as the portal fills it, on both databases: dates in the portal's time zone across the 00:00–08:00
boundary, each act named by the body that did it then, 档号 proposed by the rule, unique, and carried with 卷名, 备注
and 检查人 into the version a correction makes, whose ID copy an upload is, a self-contained hand-over package, and
fixity over every stored file, shown to each archivist for their own part only."""

from __future__ import annotations

import hashlib
import io
import json
import random
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import add_person, build_world, csrf, sign_in
from matrix_cases import insert_case
from pypdf import PdfReader
from sqlmodel import Session, select
from test_dossiers import _ready_case

from archive import samples, storage
from archive.printing import document_pdf
from portal import clock
from portal.cases import files
from portal.cases.models import Case, CaseEvent, CaseFile, CaseRecord, CaseState, Transfer, TransferState
from portal.db import transaction
from portal.dossiers import catalogue, fixity, jobs, keeping
from portal.dossiers.archive_data import case_data
from portal.dossiers.models import ArchiveNumber, DossierVersion
from portal.errors import Invalid
from portal.people.models import Person, Role
from portal.scope import load_principal


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_dates_are_the_days_in_the_portals_time_zone_across_midnight(engine, settings) -> None:
    """Anything done between 00:00 and 08:00 Beijing time (16:00–24:00 UTC the day before) is dated that Beijing day."""
    world = build_world(engine)
    rng = random.Random(7)
    moments = [_at("2026-12-01T22:55:00")] + [
        _at("2026-03-01T16:00:00") + timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 479)) for _ in range(6)
    ]
    with transaction(engine) as db:
        case = insert_case(db, world, "a1a", state=CaseState.EVALUATED)
        for n, moment in enumerate(moments):
            db.add(
                Transfer(
                    case_id=case.id,
                    from_org_id=world.org("a1").id,
                    from_path=world.org("a1").path,
                    to_org_id=world.org("a1a").id,
                    to_path=world.org("a1a").path,
                    kind="交办",
                    letter=f"第{n}封",
                    state=TransferState.ACCEPTED,
                    created_by=world.person("a1.mediator").id,
                    sent_at=moment,
                    answered_at=moment + timedelta(minutes=5),
                )
            )
        db.add(
            CaseRecord(
                case_id=case.id, kind="failure", fields={"reason": "分歧大", "routes": "起诉"}, created_at=moments[0]
            )
        )
        data = samples.scan(300, 424)
        digest, key = files.store(settings.uploads_dir, data)
        db.add(
            CaseFile(
                case_id=case.id,
                doc_type="证据材料",
                filename="照片.jpg",
                media_type="image/jpeg",
                size=len(data),
                sha256=digest,
                storage_key=key,
                uploaded_by=world.person("a.clerk").id,
                uploaded_at=moments[0],
            )
        )
        case_id = case.id
    with Session(engine) as db:
        data = case_data(db, db.get(Case, case_id), uploads_dir=settings.uploads_dir)
    for moment, transfer in zip(moments, data.transfers, strict=True):
        assert transfer.sent_on == moment.date() + timedelta(days=1), moment
        assert transfer.answered_on == (moment + timedelta(minutes=5)).date() + timedelta(days=1)
    assert next(r for r in data.records if r.kind == "failure").held_on == date(2026, 12, 2)
    assert data.uploads[0].uploaded_on == date(2026, 12, 2)
    _, pdf = document_pdf(data, "transfer:0")
    assert "2026年12月2日" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()  # 发出 06:55 Beijing time


def test_each_document_names_the_body_that_acted_then(engine, settings) -> None:
    """Registered by a grid, accepted by the township, which investigated, handed on to the village, which mediated."""
    world = build_world(engine)
    grid, town, village = world.org("a1a_g"), world.org("a1"), world.org("a1a")
    with transaction(engine) as db:
        case = insert_case(db, world, "a1a", state=CaseState.EVALUATED)
        mediator = world.person("a1.mediator")

        def event(kind: str, org, at: str, who: str = "桃花网格员") -> None:  # noqa: ANN001
            db.add(CaseEvent(case_id=case.id, kind=kind, org_id=org.id, org_name=org.name, actor_name=who, at=_at(at)))

        def move(source, target, at: str) -> None:  # noqa: ANN001
            db.add(
                Transfer(
                    case_id=case.id,
                    from_org_id=source.id,
                    from_path=source.path,
                    to_org_id=target.id,
                    to_path=target.path,
                    kind="上报" if source is grid else "交办",
                    letter="请办理。",
                    state=TransferState.ACCEPTED,
                    created_by=mediator.id,
                    sent_at=_at(at),
                    answered_at=_at(at) + timedelta(hours=1),
                )
            )

        event("register", grid, "2026-03-01T01:00:00")
        move(grid, town, "2026-03-01T02:00:00")
        event("accept", town, "2026-03-01T04:00:00", "东镇调解员")
        db.add(CaseRecord(case_id=case.id, kind="investigation", fields={}, created_at=_at("2026-03-02T02:00:00")))
        move(town, village, "2026-03-03T02:00:00")
        db.add(CaseRecord(case_id=case.id, kind="mediation", fields={}, created_at=_at("2026-03-04T02:00:00")))
        case_id = case.id
    with Session(engine) as db:
        data = case_data(db, db.get(Case, case_id), uploads_dir=settings.uploads_dir, with_uploads=False)
    assert (data.registered_by, data.registrar) == ("桃花村第一网格", "桃花网格员")
    assert (data.accepted_by, data.handled_by) == ("甲县东镇人民调解委员会", "东镇调解员")
    orgs = {r.kind: r.org for r in data.records}
    assert orgs == {"investigation": "甲县东镇人民调解委员会", "mediation": "东镇桃花村人民调解委员会"}
    assert data.committee == "东镇桃花村人民调解委员会"  # today's handler only where today's handler acted


def _file_now(engine, settings, world, case_id: int, **form: str) -> DossierVersion:  # noqa: ANN001
    with transaction(engine) as db:
        case = db.get(Case, case_id)
        principal = load_principal(db, db.get(Person, world.person("a.archivist").id))
        defaults = {"filed_by": "甲档案员", "checked_by": "甲调委会主任", "retention": "30年"}
        job = jobs.request_binding(
            db, principal, case, settings=settings, purpose="file", form=jobs.FilingForm(**{**defaults, **form})
        )
        job_id = job.id
    jobs.run(engine, settings, job_id)
    with Session(engine) as db:
        return db.exec(
            select(DossierVersion).where(DossierVersion.case_id == case_id).order_by(DossierVersion.version.desc())
        ).first()


def test_archive_numbers_follow_the_rule_are_unique_and_survive_a_correction(client, engine, settings) -> None:
    world = build_world(engine)
    first_id, second_id = _ready_case(engine, settings, world), _ready_case(engine, settings, world)
    year = clock.today().year
    with Session(engine) as db:
        assert catalogue.propose(db, db.get(Case, first_id), "30年", settings) == f"桃-{year}-D30-0001"
    first = _file_now(engine, settings, world, first_id, notes="原件另有两页", title="张某与李某宅基地纠纷（更名）")
    assert (first.status, first.archive_number, first.notes) == ("filed", f"桃-{year}-D30-0001", "原件另有两页")
    with Session(engine) as db:
        second = db.get(Case, second_id)
        assert catalogue.propose(db, second, "30年", settings) == f"桃-{year}-D30-0002"
        assert catalogue.propose(db, second, "10年", settings) == f"桃-{year}-D10-0001"
    with (
        transaction(engine) as db,
        pytest.raises(Invalid) as refused,
    ):  # another case's number: refused, a free one named
        catalogue.reserve(db, db.get(Case, second_id), f"桃-{year}-D30-0001", "30年", settings)
    assert f"桃-{year}-D30-0002" in refused.value.errors["archive_number"]

    # a correction, then filing again: the form offers what the filed version said; version 2 keeps it
    sign_in(client, "a.archivist")
    client.post(f"/cases/{first_id}/dossier/correct", data={"reason": "补充证据", "_csrf_token": csrf(client)})
    page = client.get(f"/cases/{first_id}/dossier").text
    for value in (f"桃-{year}-D30-0001", "原件另有两页", "甲调委会主任", "张某与李某宅基地纠纷（更名）"):
        assert f'value="{value}"' in page, value
    again = _file_now(
        engine,
        settings,
        world,
        first_id,
        reason="补充证据后重新立卷",
        archive_number=f"桃-{year}-D30-0001",
        notes="原件另有两页",
        title="张某与李某宅基地纠纷（更名）",
    )
    assert (again.version, again.archive_number, again.notes, again.checker_name, again.title) == (
        2,
        f"桃-{year}-D30-0001",
        "原件另有两页",
        "甲调委会主任",
        "张某与李某宅基地纠纷（更名）",
    )
    pdf = storage.read(settings.archive_dir, again.storage_key, again.sha256)
    cover = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert f"桃-{year}-D30-0001" in cover and "原件另有两页" in cover and "张某与李某宅基地纠纷（更名）" in cover


def test_the_handover_package_is_self_contained_and_fixity_covers_uploads(engine, settings) -> None:
    world = build_world(engine)
    case_id = _ready_case(engine, settings, world)
    version = _file_now(engine, settings, world, case_id)
    with Session(engine) as db:
        principal = load_principal(db, db.get(Person, world.person("a.archivist").id))
        package = keeping.export(
            db, principal, [version.id], root=settings.archive_dir, uploads_root=settings.uploads_dir
        )
        uploads = list(db.exec(select(CaseFile).where(CaseFile.case_id == case_id)))
    with zipfile.ZipFile(io.BytesIO(package)) as zipped:
        names = zipped.namelist()
        sums = dict(reversed(line.split("  ")) for line in zipped.read("SHA256SUMS").decode().splitlines())
        originals = {name: zipped.read(name) for name in names if "/originals/" in name}
        index = json.loads(zipped.read("package.json"))
    assert {hashlib.sha256(data).hexdigest() for data in originals.values()} == {u.sha256 for u in uploads}
    assert all(name in sums for name in originals)
    assert len(index["dossiers"][0]["originals"]) == len(uploads)

    run = fixity.verify_all(engine, settings, trigger="cli")
    assert (run.checked, run.missing, run.changed) == (2 + len(uploads), 0, 0)
    victim = settings.uploads_dir / uploads[0].storage_key
    victim.chmod(0o644)
    victim.write_bytes(victim.read_bytes()[:-1] + b"\x00")
    run = fixity.verify_all(engine, settings, trigger="cli")
    assert run.changed == 1 and run.problems[0]["what"] == f"上传文件 {uploads[0].filename}"


def test_fixity_shows_each_archivist_their_own_part(client, engine, settings) -> None:
    world = build_world(engine)
    with transaction(engine) as db:
        add_person(db, "a1.archivist", "东镇档案员", (world.org("a1"), Role.ARCHIVIST))
        add_person(db, "b1.archivist", "西镇档案员", (world.org("b1"), Role.ARCHIVIST))
        ours = insert_case(db, world, "a1a", state=CaseState.EVALUATED)
        theirs = insert_case(db, world, "b1", state=CaseState.EVALUATED)
        for n, case in enumerate((ours, theirs)):
            pdf, manifest = (
                storage.put(settings.archive_dir, f"%PDF {n}".encode()),
                storage.put(settings.archive_dir, f"{{{n}}}".encode(), ".json"),
            )
            db.add(
                DossierVersion(
                    case_id=case.id,
                    version=1,
                    status="filed",
                    variant="pdf/a-3b",
                    sha256=pdf.sha256,
                    storage_key=pdf.key,
                    size=pdf.size,
                    page_count=1,
                    total_pages=3,
                    manifest_sha256=manifest.sha256,
                    manifest_key=manifest.key,
                    created_by=world.person("a.archivist").id,
                )
            )
        theirs_key, theirs_number = pdf.key, theirs.number
    (settings.archive_dir / theirs_key).chmod(0o644)
    (settings.archive_dir / theirs_key).write_bytes(b"%PDF changed")
    fixity.verify_all(engine, settings, trigger="cli")

    sign_in(client, "a1.archivist")
    mine = client.get("/archive/fixity").text
    assert theirs_number not in mine and theirs_key not in mine and "发现问题" not in mine
    assert "您所辖范围内的卷宗和上传原件" in mine and "共 2 个文件" in mine
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "b1.archivist")
    west = client.get("/archive/fixity").text
    assert theirs_number in west and "被改动 1 个" in west and "共核对 2 个文件" in west
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "city.admin")
    assert "全部卷宗和上传原件" in client.get("/archive/fixity").text
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a.clerk")
    assert client.get("/archive/fixity").status_code == 403


def test_an_upload_says_whose_it_is_and_the_contents_name_that_party(client, engine, settings) -> None:
    world = build_world(engine)
    with transaction(engine) as db:
        case_id = insert_case(db, world, "a1a", state=CaseState.ACCEPTED).id
    sign_in(client, "a1.mediator")
    for owner, expect in (("李某", 303), ("不是当事人", 303)):
        response = client.post(
            f"/cases/{case_id}/files",
            data={"doc_type": "当事人身份证明", "provided_by": owner, "_csrf_token": csrf(client)},
            files={"file": (f"{owner}.jpg", samples.scan(300, 424, seed=len(owner)), "image/jpeg")},
            follow_redirects=False,
        )
        assert response.status_code == expect
    with Session(engine) as db:
        stored = list(db.exec(select(CaseFile).where(CaseFile.case_id == case_id)))
        assert [f.provided_by for f in stored] == ["李某"]  # the second was refused: not one of the parties
        data = case_data(db, db.get(Case, case_id), uploads_dir=settings.uploads_dir, with_uploads=False)
    from archive.contents import compose

    assert next(i for i in compose(data) if i.slot == "identity").author == "李某"
    assert "所属当事人" in client.get(f"/cases/{case_id}").text


def test_two_filings_proposing_one_archive_number_at_once_cannot_both_take_it(engine, settings) -> None:
    """Both read the number as free; the unique key lets one have it, the other is told to take the next."""
    import threading

    world = build_world(engine)
    with transaction(engine) as db:
        ids = [insert_case(db, world, "a1a", state=CaseState.EVALUATED).id for _ in range(2)]
    barrier, outcomes = threading.Barrier(2), {}

    def file(case_id: int) -> None:
        with Session(engine) as db:  # the filing form's proposal, read by both before either files
            number = catalogue.propose(db, db.get(Case, case_id), "10年", settings)
        barrier.wait(timeout=30)
        try:
            with transaction(engine) as db:
                catalogue.reserve(db, db.get(Case, case_id), number, "10年", settings)
            outcomes[case_id] = number
        except Invalid as exc:
            outcomes[case_id] = exc.errors["archive_number"]

    threads = [threading.Thread(target=file, args=(case_id,)) for case_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    year = clock.today().year
    assert sorted(outcomes.values())[0] == f"桃-{year}-D10-0001"
    assert "已用于另一卷" in sorted(outcomes.values())[1] and f"桃-{year}-D10-0002" in sorted(outcomes.values())[1]
    with Session(engine) as db:
        assert len(db.exec(select(ArchiveNumber)).all()) == 1
