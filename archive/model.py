"""The plain data a dossier is made from: the portal fills these, the archive never reads a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class PartyData:
    role: str
    name: str
    kind: str = "natural"
    sex: str = ""
    ethnicity: str = ""
    age: str = ""
    birth_date: date | None = None
    occupation: str = ""
    id_label: str = ""
    id_number: str = ""  # already masked by the caller when the reader may not see it
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class RecordData:
    """One case record (调查、调解、协议 …): its kind code, its date and its fields as plain strings."""

    kind: str
    held_on: date | None
    fields: dict[str, str]
    ref: str = ""  # the caller's id, so an uploaded signed scan can be matched to it
    org: str = ""  # the body that made the record (the handling body at the time), when it differs from today's


@dataclass(frozen=True)
class UploadData:
    """An uploaded file: its bytes, its category and, for a signed scan, the document it replaces."""

    filename: str
    media_type: str
    data: bytes
    doc_type: str
    sha256: str
    uploaded_on: date | None = None
    replaces: str = ""  # a document key ("agreement:12", "rights") for signed scans
    provided_by: str = ""  # the party who provided it (an ID copy's holder, evidence's submitter), when known
    org: str = ""  # the body that took it in


@dataclass(frozen=True)
class TransferData:
    kind: str
    from_org: str
    to_org: str
    letter: str
    sent_on: date | None
    state: str
    answered_on: date | None = None
    answer: str = ""


@dataclass(frozen=True)
class CaseData:
    """Everything about the case that its documents show."""

    number: str
    title: str
    committee: str  # the handling committee's full name
    dispute_type: str
    dispute_code: str
    channel: str
    summary: str
    requests: str
    state: str
    outcome: str  # written | oral | failed | "" (refused)
    received_on: date
    accepted_on: date | None = None
    closed_on: date | None = None
    group_dispute: bool = False
    people_involved: int = 1
    mediators: tuple[str, ...] = ()
    parties: tuple[PartyData, ...] = ()
    records: tuple[RecordData, ...] = ()
    uploads: tuple[UploadData, ...] = ()
    transfers: tuple[TransferData, ...] = ()
    events: tuple[tuple[date, str, str], ...] = ()  # (day, who, what): the business trail for the manifest
    judicial_confirmation: bool = False
    registered_by: str = ""  # the body that registered the case (a grid, the petition bureau …); "" = committee
    registrar: str = ""  # the person who registered it
    accepted_by: str = ""  # the body that accepted (or refused) it; "" = committee
    handled_by: str = ""  # the person who accepted or refused it (a refused case's 经办人)

    def body(self, name: str = "") -> str:
        """The body named for an act: `name` when known, else the handling committee."""
        return name or self.committee


@dataclass(frozen=True)
class FilingData:
    """What the archivist sets when filing (立卷归档)."""

    fonds: str = ""  # 全宗名称
    title: str = ""  # 卷名: the case title unless the archivist edits it
    archive_number: str = ""  # 档号
    volume_number: str = ""  # 卷号
    filed_by: str = ""  # 立卷人
    checked_by: str = ""  # 检查人
    filed_on: date | None = None
    retention: str = "10年"
    notes: str = ""
    version: int = 1
    reason: str = ""  # why a new version was made


@dataclass
class Options:
    """How to render: the PDF/A variant, where page numbers go, the county's variants of the forms."""

    variant: str = "pdf/a-3b"  # or "pdf/a-1b"
    page_number_position: str = "top-right"  # top-right | top-left | outer | bottom-right | bottom-center | bottom-left
    image_dpi: int = 150
    extra: dict[str, Any] = field(default_factory=dict)
