"""What the web pages ask of the ledger: who may import where, the upload itself, the scoped export."""

from __future__ import annotations

from sqlmodel import Session

from portal.errors import Forbidden
from portal.ledger import importer
from portal.ledger.export import export_visible
from portal.orgs import service as orgs
from portal.orgs.models import Organisation
from portal.scope import Principal

__all__ = ["TooLarge", "export_visible", "import_orgs", "import_upload", "read_upload", "require_import"]


TooLarge = importer.TooLarge


def read_upload(content: bytes, *, max_bytes: int) -> importer.Parsed:
    """The uploaded file, checked for size and read (importer.parse): before the request touches the database."""
    if len(content) > max_bytes:
        raise TooLarge(
            f"文件大小为 {len(content) / 1024 / 1024:.1f} MB，超过了 {max_bytes / 1024 / 1024:g} MB 的上限。"
            "请拆分成几个文件分别导入。"
        )
    return importer.parse(content, max_bytes=max_bytes)


def import_orgs(db: Session, principal: Principal) -> list[Organisation]:
    """Active organisations the person may import into, in tree order."""
    return [
        o
        for o in orgs.visible_orgs(db, principal, include_inactive=False)
        if principal.has_role_over(o.path, *importer.IMPORT_ROLES)
    ]


def require_import(db: Session, principal: Principal, org_id: int | None) -> Organisation | None:
    """The chosen default organisation (404 outside the scope), after checking the person may import at all."""
    org = principal.visible_org(db, org_id) if org_id is not None else None
    if org is not None and not principal.has_role_over(org.path, *importer.IMPORT_ROLES):
        raise Forbidden("只有该机构（或上级机构）的受理员和调委会主任可以导入案件。")
    if org is None and not principal.roots(*importer.IMPORT_ROLES):
        raise Forbidden("只有受理员和调委会主任可以导入案件。")
    return org


def import_upload(
    db: Session,
    principal: Principal,
    parsed: importer.Parsed,
    *,
    org_id: int | None,
    dry_run: bool,
    address: str = "",
) -> importer.Report:
    """Check the person, then import all or nothing (nothing at all on a dry run)."""
    org = require_import(db, principal, org_id)
    home = org or next((g.org for g in principal.grants if g.role in importer.IMPORT_ROLES), None)
    report = importer.import_file(
        db,
        parsed,
        importer.web_scope(principal, org),
        dry_run=dry_run,
        actor=principal.person,
        audit_org=home,
        address=address,
    )
    if not report.ok:  # nothing of the attempt is kept, except the audit entry saying it was refused
        db.rollback()
        importer.record_refusal(db, report, actor=principal.person, audit_org=home, address=address)
    return report
