"""专报 routes in the permission matrix (tests/test_permissions.py).

Whoever sees the organisation reads its 专报, their PDF and Excel; only a 调委会主任 or 督导 over it drafts, edits
and issues (the others 403); outside the scope everything is 404. The 专报 and one issued version (small stored
files) are made directly on first use; the issue route is posted without its form (422 for those who may issue), so
that the matrix does not render PDFs — tests/test_bulletins.py issues for real.
"""

from __future__ import annotations

from factories import World
from sqlmodel import Session, select
from test_permissions import CONTEXT, Route, _org_key, org_id

from archive import storage
from portal import clock
from portal.alerts.months import Month
from portal.bulletins.models import Bulletin, BulletinIssue
from portal.people.models import Role

EDITORS = (Role.DIRECTOR, Role.SUPERVISOR)
LAST = Month.of(clock.today()).shift(-1)


def bulletin_id(db: Session, w: World, side: str) -> int:
    """The side's organisation's 专报 of last month, with an issued version 1."""
    org = w.org(_org_key(side))
    found = db.exec(select(Bulletin).where(Bulletin.org_id == org.id, Bulletin.month == str(LAST))).first()
    if found is not None:
        return found.id
    person = w.person("a.director")
    bulletin = Bulletin(org_id=org.id, month=str(LAST), created_by=person.id, issues=1)
    db.add(bulletin)
    db.flush()
    root = CONTEXT["settings"].archive_dir
    pdf, sheet = storage.put(root, b"%PDF-1.4\n% matrix\n"), storage.put(root, b"PK matrix", ".xlsx")
    db.add(
        BulletinIssue(
            bulletin_id=bulletin.id,
            version=1,
            number=f"〔{LAST.year}〕第{LAST.month}期",
            title="测试专报",
            text_version=1,
            variant="pdf/a-3b",
            sha256=pdf.sha256,
            storage_key=pdf.key,
            size=pdf.size,
            pages=1,
            annex_sha256=sheet.sha256,
            annex_key=sheet.key,
            annex_size=sheet.size,
            issued_by=person.id,
            issued_by_name="甲调委会主任",
            issued_on=clock.today(),
        )
    )
    db.commit()
    return bulletin.id


def edit_form(db: Session, w: World, side: str) -> dict:
    bulletin = db.get(Bulletin, bulletin_id(db, w, side))
    db.refresh(bulletin)
    return {"analysis": "分析", "advice": "建议", "version": str(bulletin.version)}


def _at(path: str):  # noqa: ANN202
    return lambda db, w, s: f"/bulletins/{bulletin_id(db, w, s)}{path}"


ROUTES = [
    Route("list_bulletins", "GET", "org", "any", lambda w, s: f"/bulletins?org={org_id(w, s)}"),
    Route(
        "start_bulletin",
        "POST",
        "org",
        EDITORS,
        lambda w, s: "/bulletins",
        lambda db, w, s: {"org": str(org_id(w, s)), "month": str(LAST.shift(-1))},
        ok=303,
    ),
    Route("show_bulletin", "GET", "bulletin", "any", _at("")),
    Route("update_bulletin", "POST", "bulletin", EDITORS, _at("/edit"), edit_form, ok=303),
    Route("issue_bulletin", "POST", "bulletin", EDITORS, _at("/issue"), lambda db, w, s: {}, ok=422),
    Route("download_bulletin", "GET", "bulletin", "any", _at("/versions/1/pdf")),
    Route("download_bulletin_annex", "GET", "bulletin", "any", _at("/versions/1/annex.xlsx")),
]
