"""The case as plain archive data (archive.model.CaseData), read from the database.

Every date is the calendar day in the portal's time zone (PORTAL_TIMEZONE), never UTC's: a transfer sent at
06:55 Beijing time is dated that day. Every act names the body that did it, when it did it: the case's holder
at that moment is read from its transfers (registered by a grid, accepted by the village it was sent to …),
not today's handling committee.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, select

from archive.model import CaseData, PartyData, RecordData, TransferData, UploadData
from portal import clock
from portal.cases import files, ids, loop, parties
from portal.cases.access import events_of
from portal.cases.models import ID_TYPES, Case, CaseEvent, DisputeType, Party, Transfer, TransferState
from portal.dossiers.models import SignedScan
from portal.orgs.models import Organisation
from portal.people.service import mask_phone


def local_day(moment: datetime | None) -> date | None:
    return clock.local_date(moment) if moment else None


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class Holders:
    """Which body held the case at a given moment: the registering body, then each receiver from its acceptance."""

    def __init__(self, db: Session, case: Case, transfers: list[Transfer], events: list[CaseEvent]) -> None:
        self.db = db
        self._names: dict[int, str] = {}
        register = next((e for e in events if e.kind == "register"), None)
        accepted = sorted((t for t in transfers if t.state == TransferState.ACCEPTED and t.answered_at), key=_answered)
        first = (
            register.org_id if register and register.org_id else (accepted[0].from_org_id if accepted else case.org_id)
        )
        self.first = first
        self.moments = [_utc(t.answered_at) for t in accepted]
        self.orgs = [t.to_org_id for t in accepted]

    def org_at(self, moment: datetime | None) -> int:
        if moment is None:
            return self.orgs[-1] if self.orgs else self.first
        index = bisect_right(self.moments, _utc(moment))
        return self.orgs[index - 1] if index else self.first

    def name(self, org_id: int | None) -> str:
        if org_id is None:
            return ""
        if org_id not in self._names:
            org = self.db.get(Organisation, org_id)
            self._names[org_id] = org.name if org else ""
        return self._names[org_id]

    def name_at(self, moment: datetime | None) -> str:
        return self.name(self.org_at(moment))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _answered(transfer: Transfer) -> datetime:
    return _utc(transfer.answered_at)


def _party(p: Party, received_on: date, reveal: bool) -> PartyData:
    age = p.age if p.age is not None else age_on(p.birth_date, received_on)
    return PartyData(
        role=p.role,
        name=p.name,
        kind=p.kind,
        sex=p.sex,
        ethnicity=p.ethnicity,
        age=str(age) if age is not None else "",
        birth_date=p.birth_date,
        occupation=p.occupation,
        id_label=ID_TYPES.get(p.id_type, "证件号码") if p.id_type else "证件号码",
        id_number=p.id_number if reveal else ids.mask_id(p.id_number),
        phone=p.phone if reveal else mask_phone(p.phone),
        address=p.address,
    )


def _uploads(db: Session, case: Case, holders: Holders, uploads_dir: Path, with_bytes: bool) -> tuple[UploadData, ...]:
    scans = {s.file_id: s.doc_key for s in db.exec(select(SignedScan).where(SignedScan.case_id == case.id))}
    out = []
    for f in files.files_of(db, case):
        out.append(
            UploadData(
                filename=f.filename,
                media_type=f.media_type,
                data=files.read(uploads_dir, f) if with_bytes else b"",
                doc_type=f.doc_type,
                sha256=f.sha256,
                uploaded_on=local_day(f.uploaded_at),
                replaces=scans.get(f.id, ""),
                provided_by=f.provided_by,
                org=holders.name_at(f.uploaded_at),
            )
        )
    return tuple(out)


def case_data(
    db: Session, case: Case, *, uploads_dir: Path, reveal: bool = True, with_uploads: bool = True
) -> CaseData:
    """The case as plain archive data; `reveal` False masks ID and phone numbers; without `with_uploads` the uploads
    are described but their bytes not read (enough to list and check the dossier, not to bind it)."""
    committee = db.get(Organisation, case.org_id)
    dispute = db.get(DisputeType, case.dispute_type)
    party_rows = parties.parties_of(db, case)
    events = events_of(db, case)
    transfer_rows = list(
        db.exec(
            select(Transfer)
            .where(
                Transfer.case_id == case.id,
                Transfer.state != TransferState.AWAITING_SIGNOFF,
                Transfer.state != TransferState.WITHDRAWN,
            )
            .order_by(Transfer.id)
        )
    )
    holders = Holders(db, case, transfer_rows, events)
    records = tuple(
        RecordData(
            kind=r.kind,
            held_on=r.held_on or local_day(r.created_at),
            fields={k: str(v) for k, v in (r.fields or {}).items()},
            ref=str(r.id),
            org=holders.name_at(r.created_at),
        )
        for r in loop.records_of(db, case)
    )
    transfers = tuple(
        TransferData(
            kind=t.kind,
            from_org=holders.name(t.from_org_id),
            to_org=holders.name(t.to_org_id),
            letter=t.letter,
            sent_on=local_day(t.sent_at),
            state=t.state.value,
            answered_on=local_day(t.answered_at),
            answer=t.answer_reason,
        )
        for t in transfer_rows
    )
    register = next((e for e in events if e.kind == "register"), None)
    decision = next((e for e in events if e.kind in ("accept", "refuse")), None)
    return CaseData(
        number=case.number,
        title=case.title,
        committee=committee.name if committee else "",
        dispute_type=dispute.name if dispute else case.dispute_type,
        dispute_code=case.dispute_type,
        channel=case.channel,
        summary=case.summary,
        requests=case.requests,
        state=case.state.value,
        outcome=case.outcome or "",
        received_on=case.received_on,
        accepted_on=case.accepted_on,
        closed_on=case.closed_on,
        group_dispute=case.group_dispute,
        people_involved=case.people_involved,
        mediators=tuple(person.name for _, person in loop.mediators_of(db, case)),
        parties=tuple(_party(p, case.received_on, reveal) for p in party_rows),
        records=records,
        uploads=_uploads(db, case, holders, uploads_dir, with_uploads),
        transfers=transfers,
        events=tuple((clock.local_date(e.at), e.actor_name, e.summary) for e in events),
        judicial_confirmation=any(r.kind == "confirmation_ruling" for r in records),
        registered_by=holders.name(holders.first),
        registrar=register.actor_name if register else "",
        accepted_by=holders.name(decision.org_id) if decision and decision.org_id else "",
        handled_by=decision.actor_name if decision else "",
    )
