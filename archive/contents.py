"""The dossier's contents: which documents and files a case has, in binding order, each with its 责任者 and date.

A generated document names the body that did the act when it did it (the 登记表 the registering body, a record
the body that held the case then, a 移送函 its sender), the 申请书 its applicant, an ID copy or piece of evidence
the party it belongs to. A signed scan takes its document's place; a signed 四联单 stands in for a simple case's
agreement; what comes from outside (a ruling, a receipt, a letter) fills the place `expected()` gives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from archive.model import CaseData, RecordData, UploadData
from archive.order import (
    APPLICATION_CHANNELS,
    DEFAULT_ORDER,
    DOCUMENTS,
    RECORD_DOCUMENTS,
    Slot,
    applicants,
    principals,
    simple_case,
    transfer_form,
)


@dataclass(frozen=True)
class Expected:
    """A document the case record implies that comes from outside (a court's ruling, a receipt, a letter):
    filled by a scan uploaded for its key, or else by an upload of its category."""

    key: str
    slot: str
    title: str
    category: str
    author: str
    day: date | None


@dataclass
class Item:
    """One entry of the contents: a generated document (or its signed scan) or an uploaded file."""

    key: str
    slot: str
    title: str
    author: str
    day: date | None
    sort: tuple[object, ...]
    template: str | None = None
    record: RecordData | None = None
    transfer_index: int | None = None
    upload: UploadData | None = None
    needs_signature: bool = False
    note: str = ""  # the contents' 备注 (a transfer's answer)

    @property
    def signed(self) -> bool:
        return self.upload is not None and self.template is not None


def application_kind(case: CaseData) -> str:
    """'uploaded' (a 申请书 is among the uploads), 'printed', 'letter', or '' (the 受理登记表 stands alone)."""
    if any(u.doc_type == "申请书" and not u.replaces for u in case.uploads):
        return "uploaded"
    return APPLICATION_CHANNELS.get(case.channel, "")


def generated_keys(case: CaseData) -> list[tuple[str, RecordData | None, int | None]]:
    """The generated documents this case has: (key, record, transfer index)."""
    keys: list[tuple[str, RecordData | None, int | None]] = []
    if application_kind(case) == "printed":
        keys.append(("application", None, None))
    keys.append(("registration", None, None))
    if case.accepted_on is not None:
        keys.append(("rights", None, None))
    simple = simple_case(case)
    for record in case.records:
        if record.kind in RECORD_DOCUMENTS:
            keys.append((f"{record.kind}:{record.ref}", record, None))
            if simple and record.kind in ("agreement", "oral_agreement"):
                keys.append((f"quadruplicate:{record.ref}", record, None))
    for index, _ in enumerate(case.transfers):
        keys.append((f"transfer:{index}", None, index))
    return keys


def printable_keys(case: CaseData) -> list[str]:
    """What can be printed for this case: its documents, the 四联单 of a simple case still being mediated (filled
    in by hand, recorded afterwards), the 卷内备考表."""
    keys = [key for key, _, _ in generated_keys(case)]
    agreed = any(r.kind in ("agreement", "oral_agreement") for r in case.records)
    if case.accepted_on is not None and simple_case(case) and not agreed and case.outcome != "failed":
        keys.append("quadruplicate")
    return [*keys, "notes"]


def expected(case: CaseData) -> list[Expected]:
    """What the record says exists outside the portal's own documents and must be in the dossier."""
    out: list[Expected] = []
    if application_kind(case) == "letter":
        out.append(
            Expected("letter", "application", "人民调解申请书（来信）", "申请书", applicants(case), case.received_on)
        )
    court = next((r.fields.get("court", "") for r in case.records if r.kind == "confirmation_application"), "")
    for record in case.records:
        if record.kind == "confirmation_ruling":
            number = record.fields.get("ruling_number", "")
            title = f"司法确认裁定书（{number}）" if number else "司法确认裁定书"
            out.append(
                Expected(
                    f"confirmation_ruling:{record.ref}",
                    "confirmation",
                    title,
                    "司法确认材料",
                    court or "人民法院",
                    record.held_on,
                )
            )
        elif record.kind == "performance" and record.fields.get("receipts", "").strip():
            title = f"履行凭证（{record.fields['receipts'].strip()}）"
            out.append(
                Expected(
                    f"performance:{record.ref}", "performance", title, "履行凭证", principals(case), record.held_on
                )
            )
    return out


def _document_author(case: CaseData, prefix: str, record: RecordData | None, transfer_index: int | None) -> str:
    if prefix == "application":
        return applicants(case)
    if prefix == "registration":
        return case.body(case.registered_by)
    if prefix == "rights":
        return case.body(case.accepted_by)
    if prefix == "transfer" and transfer_index is not None:  # generated_keys gives every transfer its index
        return case.transfers[transfer_index].from_org
    if prefix == "confirmation_application":
        return principals(case)
    return case.body(record.org if record else "")


def _document_day(case: CaseData, prefix: str, record: RecordData | None, transfer_index: int | None) -> date | None:
    if record is not None:
        return record.held_on
    if transfer_index is not None:
        return case.transfers[transfer_index].sent_on
    return case.accepted_on if prefix == "rights" else case.received_on


def _document_title(case: CaseData, prefix: str, transfer_index: int | None, items: list[Item]) -> str:
    title = DOCUMENTS[prefix].title
    if prefix == "mediation":
        number = sum(1 for i in items if i.key.startswith("mediation:")) + 1
        return f"{title}（第{number}次）"
    if prefix == "transfer" and transfer_index is not None:
        own = transfer_form(case.transfers[transfer_index].kind)
        return own[1] if own else f"移送函（{case.transfers[transfer_index].kind}）及回执"
    return title


def _template(case: CaseData, template: str, transfer_index: int | None) -> str:
    own = transfer_form(case.transfers[transfer_index].kind) if transfer_index is not None else None
    return own[0] if own else template


_TRANSFER_NOTES = {"accepted": "已接收", "returned": "已退回", "sent": "待回执"}


def _upload_author(case: CaseData, upload: UploadData, slot: str) -> str:
    if upload.provided_by:
        return upload.provided_by
    if slot == "application":
        return applicants(case)
    if slot in ("identity", "evidence", "authorisation", "performance"):
        return "当事人"
    return case.body(upload.org)


def compose(case: CaseData, order: tuple[Slot, ...] = DEFAULT_ORDER) -> list[Item]:
    """The dossier's items in binding order; a signed scan takes its generated document's place."""
    slots = {s.code: s for s in order}
    scans = {u.replaces: u for u in case.uploads if u.replaces}
    by_category = {cat: s.code for s in order for cat in s.uploads}
    items: list[Item] = []

    def add(item: Item, rank: int) -> None:
        item.sort = (slots[item.slot].sort_key, rank, item.day or date.min, len(items))
        items.append(item)

    keys = generated_keys(case)
    four_part = {k.split(":", 1)[1] for k, _, _ in keys if k.startswith("quadruplicate:") and k in scans}
    for key, record, transfer_index in keys:
        prefix, _, ref = key.partition(":")
        document = DOCUMENTS[prefix]
        if document.slot not in slots:
            continue
        if prefix == "quadruplicate" and key not in scans:
            continue  # the 四联单 stands in for the agreement only once it is signed
        if prefix in ("agreement", "oral_agreement") and ref in four_part:
            continue
        add(
            Item(
                key=key,
                slot=document.slot,
                title=_document_title(case, prefix, transfer_index, items),
                author=_document_author(case, prefix, record, transfer_index),
                day=_document_day(case, prefix, record, transfer_index),
                sort=(),
                template=_template(case, document.template, transfer_index),
                record=record,
                transfer_index=transfer_index,
                upload=scans.get(key),
                needs_signature=document.signed,
                note=_TRANSFER_NOTES.get(case.transfers[transfer_index].state, "")
                if transfer_index is not None
                else "",
            ),
            0,
        )
    loose = [u for u in case.uploads if not u.replaces]
    for want in expected(case):
        upload = scans.get(want.key) or next((u for u in loose if u.doc_type == want.category), None)
        if upload is None or want.slot not in slots:
            continue
        if upload in loose:
            loose.remove(upload)
        add(
            Item(
                key=want.key, slot=want.slot, title=want.title, author=want.author, day=want.day, sort=(), upload=upload
            ),
            0,
        )
    for upload in loose:
        slot_code = by_category.get(upload.doc_type, "other")
        if slot_code not in slots:
            slot_code = "other" if "other" in slots else order[-1].code
        add(
            Item(
                key=f"upload:{upload.sha256[:12]}",
                slot=slot_code,
                title=f"{upload.doc_type}：{upload.filename}",
                author=_upload_author(case, upload, slot_code),
                day=upload.uploaded_on,
                sort=(),
                upload=upload,
            ),
            -1 if slot_code == "application" else 1,  # a party's own application comes before the 登记表
        )
    items.sort(key=lambda i: i.sort)
    return items
