"""Writing cases as ledger lines: one JSON object per case with every field (docs/import-format.md)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from portal.audit import service as audit
from portal.cases import ids
from portal.cases.access import visible_condition
from portal.cases.models import Case, CaseEvent, CaseMediator, CaseRecord, Party, Transfer
from portal.cases.parties import PARTY_FIELDS, can_reveal
from portal.db import stored_id
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.people.service import mask_phone
from portal.scope import Principal

BATCH = 200


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


class _Names:
    """Organisations and people by id, read once per export."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.orgs: dict[int, Organisation | None] = {}
        self.people: dict[int, str] = {}

    def org(self, org_id: int | None) -> dict[str, str] | None:
        if org_id is None:
            return None
        if org_id not in self.orgs:
            self.orgs[org_id] = self.db.get(Organisation, org_id)
        org = self.orgs[org_id]
        if org is None:  # a foreign key: only a concurrent removal
            return None
        return {"name": org.name, "short_name": org.short_name}

    def person(self, person_id: int | None) -> str | None:
        if person_id is None:
            return None
        if person_id not in self.people:
            person = self.db.get(Person, person_id)
            self.people[person_id] = person.username if person else ""
        return self.people[person_id] or None


def _party(party: Party, masked: bool) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(party, name) for name in PARTY_FIELDS}
    values["birth_date"] = _day(party.birth_date)
    if masked and (party.id_number or party.phone):
        values["id_number"], values["phone"], values["masked"] = (
            ids.mask_id(party.id_number),
            mask_phone(party.phone),
            True,
        )
    return values


def case_line(
    case: Case,
    names: _Names,
    *,
    parties: list[Party],
    mediators: list[CaseMediator],
    records: list[CaseRecord],
    transfers: list[Transfer],
    events: list[CaseEvent],
    masked: bool = False,
) -> dict[str, Any]:
    """The ledger object of one case; `masked` hides identity and phone numbers (the reader may not see them)."""
    return {
        "number": {
            "org": names.org(case.number_org_id),
            "year": case.number_year,
            "prefix": case.number_prefix,
            "word": case.number_word,
            "seq": case.number_seq,
            "text": case.number,
        },
        "org": names.org(case.org_id),
        "title": case.title,
        "channel": case.channel,
        "dispute_type": case.dispute_type,
        "summary": case.summary,
        "requests": case.requests,
        "amount": str(case.amount) if case.amount is not None else None,
        "people_involved": case.people_involved,
        "group_dispute": case.group_dispute,
        "risk_flag": case.risk_flag,
        "state": case.state.value,
        "outcome": case.outcome,
        "in_transfer": case.in_transfer,
        "received_on": _day(case.received_on),
        "accepted_on": _day(case.accepted_on),
        "concluded_on": _day(case.concluded_on),
        "closed_on": _day(case.closed_on),
        "mediation_due_on": _day(case.mediation_due_on),
        "followup_due_on": _day(case.followup_due_on),
        "created_by": names.person(case.created_by),
        "created_at": _moment(case.created_at),
        "updated_at": _moment(case.updated_at),
        "parties": [_party(p, masked) for p in parties],
        "mediators": [{"username": names.person(m.person_id), "lead": m.lead} for m in mediators],
        "records": [
            {
                "kind": r.kind,
                "held_on": _day(r.held_on),
                "fields": r.fields,
                "created_by": names.person(r.created_by),
                "created_at": _moment(r.created_at),
            }
            for r in records
        ],
        "transfers": [
            {
                "from": names.org(t.from_org_id),
                "to": names.org(t.to_org_id),
                "kind": t.kind,
                "letter": t.letter,
                "state": t.state.value,
                "created_by": names.person(t.created_by),
                "created_at": _moment(t.created_at),
                "signed_by": names.person(t.signed_by),
                "sent_at": _moment(t.sent_at),
                "answer_due_on": _day(t.answer_due_on),
                "answered_by": names.person(t.answered_by),
                "answered_at": _moment(t.answered_at),
                "answer_reason": t.answer_reason,
                "feedback": t.feedback,
                "fed_back_at": _moment(t.fed_back_at),
            }
            for t in transfers
        ],
        "events": [
            {
                "at": _moment(e.at),
                "actor": names.person(e.actor_id),
                "actor_name": e.actor_name,
                "org": names.org(e.org_id),
                "org_name": e.org_name,
                "kind": e.kind,
                "summary": e.summary,
            }
            for e in events
        ],
    }


def _children(db: Session, model: type[SQLModel], case_ids: list[int], *order: Any) -> dict[int, list[Any]]:
    grouped: dict[int, list] = defaultdict(list)
    for row in db.exec(select(model).where(model.case_id.in_(case_ids)).order_by(*order)).all():
        grouped[row.case_id].append(row)
    return grouped


def iter_lines(db: Session, *conditions: Any, principal: Principal | None = None) -> Iterator[dict[str, Any]]:
    """Ledger objects of the cases matching `conditions`, oldest first, read in batches."""
    names = _Names(db)
    last_id = 0
    while True:
        cases = db.exec(select(Case).where(col(Case.id) > last_id, *conditions).order_by(Case.id).limit(BATCH)).all()
        if not cases:
            return
        case_ids = [stored_id(c.id) for c in cases]
        parties = _children(db, Party, case_ids, Party.sort_order, Party.id)
        mediators = _children(db, CaseMediator, case_ids, CaseMediator.id)
        records = _children(db, CaseRecord, case_ids, CaseRecord.id)
        transfers = _children(db, Transfer, case_ids, Transfer.id)
        events = _children(db, CaseEvent, case_ids, CaseEvent.id)
        for case, cid in zip(cases, case_ids, strict=True):
            yield case_line(
                case,
                names,
                parties=parties[cid],
                mediators=mediators[cid],
                records=records[cid],
                transfers=transfers[cid],
                events=events[cid],
                masked=principal is not None and not can_reveal(principal, case),
            )
        last_id = case_ids[-1]


def dumps(line: dict[str, Any]) -> str:
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def export_all(db: Session, org: Organisation | None = None) -> Iterator[str]:
    """Every case, or those of one organisation's subtree (the command line; no scope applies)."""
    conditions = [col(Case.org_path).startswith(org.path, autoescape=True)] if org else []
    for line in iter_lines(db, *conditions):
        yield dumps(line) + "\n"


def export_visible(
    db: Session, principal: Principal, *, org_id: int | None = None, address: str = ""
) -> tuple[str, int]:
    """The JSON Lines of the cases the person may see (optionally one visible subtree), audited."""
    conditions = [visible_condition(principal, db)]
    org = principal.visible_org(db, org_id) if org_id is not None else None
    if org is not None:
        conditions.append(col(Case.org_path).startswith(org.path, autoescape=True))
    lines = [dumps(line) + "\n" for line in iter_lines(db, *conditions, principal=principal)]
    home = org or (principal.grants[0].org if principal.grants else None)
    audit.record(
        db,
        "export.cases",
        actor=principal.person,
        org=home,
        object_type="organisation",
        object_id=org.id if org else "",
        summary=f"导出案件台账：{len(lines)} 件" + (f"（{org.name}）" if org else ""),
        address=address,
    )
    return "".join(lines), len(lines)
