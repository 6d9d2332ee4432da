"""The dossier's order as data (DOMAIN §5), what fills each slot, and the pre-check (案卷评查).

Each slot has a type code, a title, when it is required and a sort key. A county whose practice
differs passes its own list of slots; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from archive.model import CaseData, RecordData, UploadData

ACCEPTED_OUTCOMES = ("written", "oral", "failed")


@dataclass(frozen=True)
class Slot:
    code: str
    title: str
    sort_key: int
    required: str = ""  # "" when present | always | accepted | agreed | refused | transferred
    uploads: tuple[str, ...] = ()  # upload categories (doc_type) that belong here


DEFAULT_ORDER: tuple[Slot, ...] = (
    Slot("application", "人民调解申请书 / 受理登记表", 10, "always", ("申请书",)),
    Slot("refusal", "不予受理告知书", 15, "refused"),
    Slot("transfer", "移送函及回执", 17, "transferred"),
    Slot("rights", "当事人权利义务告知书", 20, "accepted"),
    Slot("identity", "当事人身份证明", 30, "accepted", ("当事人身份证明",)),
    Slot("authorisation", "授权委托书", 40, "", ("授权委托书",)),
    Slot("investigation", "人民调解调查记录", 50, "", ("调查材料",)),
    Slot("evidence", "证据材料", 60, "", ("证据材料",)),
    Slot("mediation", "人民调解记录", 70, "accepted"),
    Slot("agreement", "人民调解协议书 / 口头协议登记表", 80, "agreed"),
    Slot("performance", "履行凭证", 90, "", ("履行凭证",)),
    Slot("followup", "人民调解回访记录", 100, ""),
    Slot("confirmation", "司法确认材料", 110, "", ("司法确认材料",)),
    Slot("closure", "结案报告表", 95, "accepted"),
    Slot("other", "其他材料", 118, "", ("其他材料", "签字文书扫描件", "Word 文档")),
)

# Generated documents: key prefix → (slot, template, title, needs the parties' signatures)
DOCUMENTS: dict[str, tuple[str, str, str, bool]] = {
    "application": ("application", "docs/application.html", "人民调解申请书", False),
    "registration": ("application", "docs/registration.html", "人民调解受理登记表", False),
    "refusal": ("refusal", "docs/refusal.html", "不予受理告知书", False),
    "transfer": ("transfer", "docs/transfer.html", "移送函（附回执）", False),
    "rights": ("rights", "docs/rights.html", "当事人权利义务告知书", True),
    "investigation": ("investigation", "docs/investigation.html", "人民调解调查记录", False),
    "mediation": ("mediation", "docs/mediation.html", "人民调解记录", True),
    "agreement": ("agreement", "docs/agreement.html", "人民调解协议书", True),
    "oral_agreement": ("agreement", "docs/oral_agreement.html", "口头协议登记表", True),
    "followup": ("followup", "docs/followup.html", "人民调解回访记录", False),
    "closure": ("closure", "docs/closure.html", "结案报告表", False),
}
# A transfer's form by its kind where the sender has its own (the police's for 公调对接); else DOCUMENTS["transfer"].
TRANSFER_FORMS: dict[str, tuple[str, str]] = {
    "公调对接": ("docs/police_transfer.html", "公安机关移交人民调解函（附回执）"),
}


def transfer_form(kind: str) -> tuple[str, str]:
    """(template, title) of a transfer's letter."""
    _, template, title, _ = DOCUMENTS["transfer"]
    return TRANSFER_FORMS.get(kind, (template, title))


PRINTABLE = (
    "application",
    "registration",
    "rights",
    "investigation",
    "mediation",
    "agreement",
    "oral_agreement",
    "followup",
    "refusal",
    "transfer",
    "closure",
    "notes",
)


@dataclass
class Item:
    """One entry of the contents: a generated document (or its signed scan) or an uploaded file."""

    key: str
    slot: str
    title: str
    author: str
    day: date | None
    sort: tuple
    template: str | None = None
    record: RecordData | None = None
    transfer_index: int | None = None
    upload: UploadData | None = None
    needs_signature: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def signed(self) -> bool:
        return self.upload is not None and self.template is not None


@dataclass(frozen=True)
class Problem:
    slot: str
    kind: str  # missing | unsigned
    message: str


def applies(slot: Slot, case: CaseData) -> bool:
    """Whether the slot is required for this case."""
    accepted = case.accepted_on is not None or case.outcome in ACCEPTED_OUTCOMES
    return {
        "always": True,
        "accepted": accepted,
        "agreed": case.outcome in ("written", "oral"),
        "refused": case.outcome == "" and case.state == "refused",
        "transferred": bool(case.transfers),
    }.get(slot.required, False)


def generated_keys(case: CaseData) -> list[tuple[str, RecordData | None, int | None]]:
    """The generated documents this case has: (key, record, transfer index)."""
    keys: list[tuple[str, RecordData | None, int | None]] = [("application", None, None), ("registration", None, None)]
    accepted = case.accepted_on is not None
    if accepted:
        keys.append(("rights", None, None))
    for record in case.records:
        if record.kind in (
            "investigation",
            "mediation",
            "agreement",
            "oral_agreement",
            "followup",
            "refusal",
            "closure",
        ):
            keys.append((f"{record.kind}:{record.ref}", record, None))
    for index, _ in enumerate(case.transfers):
        keys.append((f"transfer:{index}", None, index))
    return keys


def compose(case: CaseData, order: tuple[Slot, ...] = DEFAULT_ORDER) -> list[Item]:
    """The dossier's items in binding order; a signed scan takes its generated document's place."""
    slots = {s.code: s for s in order}
    scans = {u.replaces: u for u in case.uploads if u.replaces}
    by_category = {cat: s.code for s in order for cat in s.uploads}
    author = case.committee
    items: list[Item] = []
    for key, record, transfer_index in generated_keys(case):
        prefix = key.split(":")[0]
        slot_code, template, title, signs = DOCUMENTS[prefix]
        if slot_code not in slots:
            continue
        day = (
            record.held_on
            if record
            else (
                case.transfers[transfer_index].sent_on
                if transfer_index is not None
                else (case.accepted_on if prefix == "rights" else case.received_on)
            )
        )
        if transfer_index is not None:
            template, title = transfer_form(case.transfers[transfer_index].kind)
        if prefix == "mediation":
            number = sum(1 for i in items if i.key.startswith("mediation:")) + 1
            title = f"{title}（第{number}次）"
        items.append(
            Item(
                key=key,
                slot=slot_code,
                title=title,
                author=author,
                day=day,
                sort=(slots[slot_code].sort_key, 0, day or date.min, len(items)),
                template=template,
                record=record,
                transfer_index=transfer_index,
                upload=scans.get(key),
                needs_signature=signs,
            )
        )
    for upload in case.uploads:
        if upload.replaces:
            continue
        slot_code = by_category.get(upload.doc_type, "other")
        if slot_code not in slots:
            slot_code = "other" if "other" in slots else order[-1].code
        items.append(
            Item(
                key=f"upload:{upload.sha256[:12]}",
                slot=slot_code,
                title=f"{upload.doc_type}：{upload.filename}",
                author=case.parties[0].name if case.parties and slot_code in ("identity", "evidence") else author,
                day=upload.uploaded_on,
                sort=(slots[slot_code].sort_key, 1, upload.uploaded_on or date.min, len(items)),
                upload=upload,
            )
        )
    items.sort(key=lambda i: i.sort)
    return items


def precheck(case: CaseData, order: tuple[Slot, ...] = DEFAULT_ORDER, items: list[Item] | None = None) -> list[Problem]:
    """Every required item missing or unsigned, in order, each naming what to add."""
    items = compose(case, order) if items is None else items
    problems: list[Problem] = []
    for slot in sorted(order, key=lambda s: s.sort_key):
        present = [i for i in items if i.slot == slot.code]
        if applies(slot, case) and not present:
            how = f"请上传“{slot.uploads[0]}”类材料" if slot.uploads else "请在案件中补录相应记录"
            problems.append(Problem(slot.code, "missing", f"缺少{slot.title}：{how}。"))
        for item in present:
            if item.needs_signature and not item.signed and applies(slot, case):
                problems.append(
                    Problem(slot.code, "unsigned", f"{item.title}尚未签字：请打印后由当事人签字，再上传签字扫描件。")
                )
    return problems


def with_slots(order: tuple[Slot, ...], **changes: dict) -> tuple[Slot, ...]:
    """A copy of `order` with some slots changed (e.g. `with_slots(DEFAULT_ORDER, followup={"required": "accepted"})`)."""
    return tuple(replace(s, **changes[s.code]) if s.code in changes else s for s in order)
