"""The ledger (import/export) and the JSON API in the permission matrix (tests/test_permissions.py)."""

from __future__ import annotations

from datetime import date

from factories import World
from litestar.constants import OPENAPI_JSON_HANDLER_NAME
from sqlmodel import Session, select
from test_permissions import ANY, Route, _org_key, org_id

from portal.cases.models import Case, Party
from portal.orgs.models import Organisation
from portal.people.models import Role

IMPORT = (Role.CLERK, Role.DIRECTOR)


def ledger_case(db: Session, w: World, side: str) -> Case:
    """One case per side — "in" at 桃花村第一网格 (county A), "out" at 西镇 (county B) — inserted on first use."""
    org = db.get(Organisation, w.org(_org_key(side)).id)
    title = f"矩阵台账案件{side}"
    case = db.exec(select(Case).where(Case.title == title, Case.org_id == org.id)).first()
    if case is None:
        seq = 900 + (side == "out")
        case = Case(
            org_id=org.id,
            org_path=org.path,
            number_org_id=org.id,
            number_year=2025,
            number_prefix=org.short_name,
            number_seq=seq,
            number=f"（2025）{org.short_name}人调字第{seq}号",
            title=title,
            channel="来访",
            dispute_type="0301",
            summary="界线争执。",
            received_on=date(2025, 3, 1),
        )
        db.add(case)
        db.flush()
        db.add(
            Party(
                case_id=case.id,
                role="申请人",
                name="张某",
                id_type="resident_id",
                id_number="11010519491231002X",
                phone="13912345678",
            )
        )
        db.commit()
        db.refresh(case)
    return case


ROUTES = [
    Route("import_form", "GET", "org", IMPORT, lambda w, s: f"/ledger/import?org={org_id(w, s)}"),
    # The matrix posts a form without a file: allowed roles get the form back with "请选择要导入的文件" (422).
    Route(
        "import_cases",
        "POST",
        "org",
        IMPORT,
        lambda w, s: "/ledger/import",
        lambda db, w, s: {"org_id": str(org_id(w, s))},
        ok=422,
    ),
    Route("export_cases", "GET", "org", ANY, lambda w, s: f"/ledger/export?org={org_id(w, s)}"),
    Route("api_list_cases", "GET", "org", ANY, lambda w, s: f"/api/cases?org={org_id(w, s)}", anonymous=401),
    Route(
        "api_show_case", "GET", "case", ANY, lambda db, w, s: f"/api/cases/{ledger_case(db, w, s).id}", anonymous=401
    ),
    Route(OPENAPI_JSON_HANDLER_NAME, "GET", None, ANY, lambda w, s: "/api/schema/openapi.json", anonymous=401),
]
