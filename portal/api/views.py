"""Cases as API data: the scoped list and one case's detail, personal data always masked."""

from __future__ import annotations

from sqlmodel import Session, select

from portal.api.schemas import (
    CaseDetail,
    CaseList,
    CaseSummary,
    EventOut,
    MediatorOut,
    PartyOut,
    RecordOut,
    TransferOut,
)
from portal.cases import ids, service
from portal.cases import page as case_page
from portal.cases.record_kinds import RECORD_KINDS
from portal.orgs.models import Organisation
from portal.people.service import mask_phone
from portal.scope import Principal


def case_list(db: Session, principal: Principal, flt: service.CaseFilter, *, page: int, size: int) -> CaseList:
    result = service.list_cases(db, principal, flt, page=page, size=size)
    items = [
        CaseSummary(
            id=c.id,
            number=c.number,
            title=c.title,
            org_id=c.org_id,
            org_name=c.org_name,
            dispute_type=c.dispute_type,
            channel=c.channel,
            state=c.state.value,
            state_label=c.state.label,
            received_on=c.received_on,
            risk_flag=c.risk_flag,
            group_dispute=c.group_dispute,
            archived_at=c.archived_at,
            filed=c.archived_at is not None,
        )
        for c in result.rows
    ]
    return CaseList(items=items, total=result.total, page=result.number, size=result.size)


def case_detail(db: Session, principal: Principal, case_id: int) -> CaseDetail:
    """One visible case (OutOfScope otherwise) with masked parties, mediators, records, transfers and timeline: what the
    case page reads, in its one statement (the API flags no repeat visits, so their window does not matter here)."""
    shown = case_page.read(db, principal, case_id, recent_days=0)
    case, case_transfers = shown.case, shown.transfers
    names = {case.org_id: shown.handling.name}
    wanted = {t.from_org_id for t in case_transfers} | {t.to_org_id for t in case_transfers}
    if wanted - names.keys():
        names.update(
            db.exec(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted - names.keys()))).all()
        )
    events = shown.events
    return CaseDetail(
        id=case.id,
        number=case.number,
        title=case.title,
        org_id=case.org_id,
        org_name=names.get(case.org_id, ""),
        channel=case.channel,
        dispute_type=case.dispute_type,
        summary=case.summary,
        requests=case.requests,
        amount=str(case.amount) if case.amount is not None else None,
        people_involved=case.people_involved,
        group_dispute=case.group_dispute,
        risk_flag=case.risk_flag,
        state=case.state.value,
        state_label=case.state.label,
        outcome=case.outcome,
        in_transfer=case.in_transfer,
        received_on=case.received_on,
        accepted_on=case.accepted_on,
        closed_on=case.closed_on,
        mediation_due_on=case.mediation_due_on,
        followup_due_on=case.followup_due_on,
        parties=[
            PartyOut(
                role=p.role,
                kind=p.kind,
                name=p.name,
                sex=p.sex,
                age=p.age,
                occupation=p.occupation,
                id_type=p.id_type,
                id_number=ids.mask_id(p.id_number),
                phone=mask_phone(p.phone),
                address=p.address,
            )
            for p in shown.parties
        ],
        mediators=[MediatorOut(name=person.name, lead=m.lead) for m, person in shown.mediators],
        records=[
            RecordOut(
                kind=r.kind,
                label=RECORD_KINDS[r.kind].label if r.kind in RECORD_KINDS else r.kind,
                held_on=r.held_on,
                fields={k: str(v) for k, v in (r.fields or {}).items()},
            )
            for r in shown.records
        ],
        transfers=[
            TransferOut(
                from_org=names.get(t.from_org_id, ""),
                to_org=names.get(t.to_org_id, ""),
                kind=t.kind,
                state=t.state.value,
                state_label=t.state.label,
                letter=t.letter,
                created_at=t.created_at,
                sent_at=t.sent_at,
                answer_due_on=t.answer_due_on,
                answered_at=t.answered_at,
                answer_reason=t.answer_reason,
                feedback=t.feedback,
            )
            for t in case_transfers
        ],
        timeline=[
            EventOut(at=e.at, actor_name=e.actor_name, org_name=e.org_name, kind=e.kind, summary=e.summary)
            for e in events
        ],
        archived_at=case.archived_at,
        filed=case.archived_at is not None,
    )
