"""Dossier and archive routes in the permission matrix (tests/test_permissions.py)."""

from __future__ import annotations

from datetime import date

from factories import World
from matrix_cases import case_of
from sqlmodel import Session, select
from test_permissions import CONTEXT, Route

from archive import storage
from portal.db import utcnow
from portal.dossiers.models import BindingJob, DossierVersion
from portal.people.models import Role

C, M, D, A, ADM = Role.CLERK, Role.MEDIATOR, Role.DIRECTOR, Role.ARCHIVIST, Role.ADMIN
SCAN = BIND = (C, M, D, A)


def _case(db: Session, w: World, side: str, route: str, *, archived: bool = False) -> int:
    case = case_of(db, w, side, "evaluated", route)
    if archived and case.archived_at is None:
        case.archived_at = utcnow()
        db.add(case)
        db.commit()
    return case.id


def version_id(db: Session, w: World, side: str, route: str) -> int:
    """A filed version whose retention has ended, with its PDF stored where the app under test keeps its archive."""
    case_id = _case(db, w, side, route)
    existing = db.exec(select(DossierVersion.id).where(DossierVersion.case_id == case_id)).first()
    if existing:
        return existing
    stored = storage.put(CONTEXT["settings"].archive_dir, f"%PDF-1.7 matrix {side} {route}".encode())
    manifest = storage.put(CONTEXT["settings"].archive_dir, b"{}", ".json")
    version = DossierVersion(
        case_id=case_id,
        version=1,
        status="filed",
        variant="pdf/a-3b",
        sha256=stored.sha256,
        storage_key=stored.key,
        size=stored.size,
        page_count=1,
        total_pages=4,
        manifest_sha256=manifest.sha256,
        manifest_key=manifest.key,
        retention="10年",
        retention_ends_on=date(2020, 1, 1),
        created_by=w.person("a.archivist").id,
    )
    db.add(version)
    db.commit()
    return version.id


def job_id(db: Session, w: World, side: str) -> int:
    case_id = _case(db, w, side, "job")
    existing = db.exec(select(BindingJob.id).where(BindingJob.case_id == case_id)).first()
    if existing:
        return existing
    job = BindingJob(
        case_id=case_id, status="failed", error="矩阵测试：装订失败", requested_by=w.person("a.archivist").id
    )
    db.add(job)
    db.commit()
    return job.id


def only(roles: tuple[Role, ...], ok: int):  # noqa: ANN201
    return lambda role, side: 404 if side == "out" else (ok if role in roles else 403)


def unscoped(roles: tuple[Role, ...], ok: int):  # noqa: ANN201
    return lambda role, side: ok if role in roles else 403


def in_transfer_case(db: Session, w: World, side: str) -> int:
    return case_of(db, w, side, "sent", "bind").id


ROUTES = [
    Route("show_dossier", "GET", "case", "any", lambda db, w, s: f"/cases/{_case(db, w, s, 'show')}/dossier"),
    Route(
        "print_document",
        "GET",
        "case",
        "any",
        lambda db, w, s: f"/cases/{_case(db, w, s, 'print')}/documents/registration",
    ),
    Route(
        "show_binding_job",
        "GET",
        "case",
        "any",
        lambda db, w, s: f"/cases/{_case(db, w, s, 'job')}/dossier/jobs/{job_id(db, w, s)}",
    ),
    Route(
        "download_dossier",
        "GET",
        "case",
        "any",
        lambda db, w, s: f"/cases/{_case(db, w, s, 'download')}/dossier/versions/{version_id(db, w, s, 'download')}",
    ),
    Route(
        "read_filed_dossier",
        "GET",
        "case",
        "any",
        lambda db, w, s: f"/cases/{_case(db, w, s, 'read')}/dossier/filed" if version_id(db, w, s, "read") else "",
    ),
    Route("disposal_review", "GET", None, (A, ADM), lambda w, s: "/archive/disposal"),
    Route("handover_form", "GET", None, (A,), lambda w, s: "/archive/handover"),
    Route("fixity_status", "GET", None, (A, ADM), lambda w, s: "/archive/fixity"),
    # A scan without a file is refused with a flash on the dossier page (303) for those who may upload.
    Route(
        "upload_signed_scan",
        "POST",
        "case",
        SCAN,
        lambda db, w, s: f"/cases/{_case(db, w, s, 'scan')}/dossier/scans",
        lambda db, w, s: {"doc_key": "rights"},
        ok=303,
        expect=only(SCAN, 303),
    ),
    # Binding a case that is being transferred is refused (403) even for those who may bind; outsiders get 404.
    Route(
        "bind_dossier",
        "POST",
        "case",
        BIND,
        lambda db, w, s: f"/cases/{in_transfer_case(db, w, s)}/dossier/bind",
        lambda db, w, s: {},
        ok=403,
        expect=lambda role, side: 404 if side == "out" else 403,
    ),
    # An empty filing form: 422 with the reasons for the archivist.
    Route(
        "file_dossier",
        "POST",
        "case",
        (A,),
        lambda db, w, s: f"/cases/{_case(db, w, s, 'file')}/dossier/file",
        lambda db, w, s: {},
        ok=422,
        expect=only((A,), 422),
    ),
    Route(
        "open_correction",
        "POST",
        "case",
        (A,),
        lambda db, w, s: f"/cases/{_case(db, w, s, 'correct', archived=True)}/dossier/correct",
        lambda db, w, s: {"reason": "矩阵测试：补充签字件"},
        ok=303,
        expect=only((A,), 303),
    ),
    Route(
        "decide_disposal",
        "POST",
        "case",
        (A,),
        lambda db, w, s: f"/archive/disposal/{version_id(db, w, s, 'dispose')}",
        lambda db, w, s: {"decision": "extend", "new_retention": "30年", "reason": "矩阵测试：仍有查考价值"},
        ok=303,
        expect=only((A,), 303),
    ),
    Route(
        "export_handover",
        "POST",
        None,
        (A,),
        lambda w, s: "/archive/handover",
        lambda db, w, s: {},
        ok=303,
        expect=unscoped((A,), 303),
    ),
]
