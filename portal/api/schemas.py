"""The API's response types (msgspec Structs), which also make its OpenAPI schema."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class CaseSummary(msgspec.Struct):
    id: int
    number: str
    title: str
    org_id: int
    org_name: str
    dispute_type: str
    channel: str
    state: str
    state_label: str
    received_on: date
    risk_flag: bool
    group_dispute: bool
    archived_at: datetime | None = None  # filed (立卷归档): the case is frozen
    filed: bool = False


class CaseList(msgspec.Struct):
    items: list[CaseSummary]
    total: int
    page: int
    size: int


class PartyOut(msgspec.Struct):
    """A party with the identity number and phone masked (370102********1234, 138****5678)."""

    role: str
    kind: str
    name: str
    sex: str
    age: int | None
    occupation: str
    id_type: str
    id_number: str
    phone: str
    address: str


class MediatorOut(msgspec.Struct):
    name: str
    lead: bool


class RecordOut(msgspec.Struct):
    kind: str
    label: str
    held_on: date | None
    fields: dict[str, str]


class TransferOut(msgspec.Struct):
    from_org: str
    to_org: str
    kind: str
    state: str
    state_label: str
    letter: str
    created_at: datetime
    sent_at: datetime | None
    answer_due_on: date | None
    answered_at: datetime | None
    answer_reason: str
    feedback: str


class EventOut(msgspec.Struct):
    at: datetime
    actor_name: str
    org_name: str
    kind: str
    summary: str


class CaseDetail(msgspec.Struct):
    id: int
    number: str
    title: str
    org_id: int
    org_name: str
    channel: str
    dispute_type: str
    summary: str
    requests: str
    amount: str | None
    people_involved: int
    group_dispute: bool
    risk_flag: bool
    state: str
    state_label: str
    outcome: str | None
    in_transfer: bool
    received_on: date
    accepted_on: date | None
    closed_on: date | None
    mediation_due_on: date | None
    followup_due_on: date | None
    parties: list[PartyOut]
    mediators: list[MediatorOut]
    records: list[RecordOut]
    transfers: list[TransferOut]
    timeline: list[EventOut]
    archived_at: datetime | None = None  # filed (立卷归档): the case is frozen; the state stays 已评价（待立卷）
    filed: bool = False


class ErrorOut(msgspec.Struct):
    status_code: int
    detail: str
