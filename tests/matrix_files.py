"""Case material routes in the permission matrix: upload, download, removal."""

from __future__ import annotations

from factories import World
from matrix_cases import case_of
from sqlmodel import Session, select
from test_permissions import CONTEXT, Route

from portal.cases import files
from portal.cases.models import CaseFile
from portal.people.models import Role

UPLOADERS = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR)
PDF = b"%PDF-1.4\n%%EOF\n"


def file_id(db: Session, w: World, side: str, route: str) -> int:
    """A stored file on its own case, written where the app under test keeps its uploads."""
    case = case_of(db, w, side, "plain", route)
    existing = db.exec(select(CaseFile.id).where(CaseFile.case_id == case.id)).first()
    if existing:
        return existing
    digest, key = files.store(CONTEXT["settings"].uploads_dir, PDF)
    record = CaseFile(
        case_id=case.id,
        doc_type="证据材料",
        filename="证据.pdf",
        media_type="application/pdf",
        size=len(PDF),
        sha256=digest,
        storage_key=key,
        uploaded_by=w.person("a.clerk").id,
    )
    db.add(record)
    db.commit()
    return record.id


def only(roles: tuple[Role, ...], ok: int):  # noqa: ANN201
    return lambda role, side: 404 if side == "out" else (ok if role in roles else 403)


ROUTES = [
    # An upload without a file is refused with a flash on the case page (303) for those who may upload.
    Route(
        "upload_case_file",
        "POST",
        "case",
        UPLOADERS,
        lambda db, w, s: f"/cases/{case_of(db, w, s, 'plain', 'upload').id}/files",
        lambda db, w, s: {"doc_type": "证据材料"},
        ok=303,
        expect=only(UPLOADERS, 303),
    ),
    Route(
        "download_case_file",
        "GET",
        "case",
        "any",
        lambda db, w, s: f"/cases/{case_of(db, w, s, 'plain', 'download').id}/files/{file_id(db, w, s, 'download')}",
        expect=lambda role, side: 404 if side == "out" else 200,
    ),
    Route(
        "remove_case_file",
        "POST",
        "case",
        UPLOADERS,
        lambda db, w, s: f"/cases/{case_of(db, w, s, 'plain', 'remove').id}/files/{file_id(db, w, s, 'remove')}/delete",
        lambda db, w, s: {},
        ok=303,
        expect=only(UPLOADERS, 303),
    ),
]
