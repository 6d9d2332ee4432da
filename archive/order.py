"""The dossier's order as data (DOMAIN §5), the documents generated for it, and when each slot is required.

Each slot has a type code, a title, when it is required and a sort key. A county whose practice
differs passes its own list of slots; nothing else changes. What fills the slots for one case is
archive.contents; what the case's own record says must be there, and is not, archive.review.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypedDict

from archive.model import CaseData

ACCEPTED_OUTCOMES = ("written", "oral", "failed")
# The loop's states in order (plain strings: the archive knows no portal enum); `reached` compares positions from
# "closed" on, where both branches (agreed / failed) meet again.
STATES = (
    "registered",
    "accepted",
    "investigating",
    "mediating",
    "agreed",
    "failed",
    "confirming",
    "performing",
    "closed",
    "followed_up",
    "evaluated",
)
# How a case came in decides its first document: a walk-in applicant signs a 申请书 (printed here); a letter is
# itself the application (uploaded as 申请书); every other channel has the committee's 受理登记表 only.
APPLICATION_CHANNELS: dict[str, str] = {"来访": "printed", "来信": "letter"}
SIMPLE_MAX_SESSIONS = 1  # a simple case (简易纠纷) may close on the 四联单: one session, no group, no 司法确认


@dataclass(frozen=True)
class Slot:
    code: str
    title: str
    sort_key: int
    # "" when present | always | accepted | agreed | refused | transferred | failed | closed | followed_up | confirmed
    required: str = ""
    uploads: tuple[str, ...] = ()  # upload categories (doc_type) that belong here


DEFAULT_ORDER: tuple[Slot, ...] = (
    Slot("application", "人民调解申请书 / 受理登记表", 10, "always", ("申请书",)),
    Slot("transfer", "移送函及回执", 12, "transferred"),  # how the case came: before what it led to
    Slot("refusal", "不予受理告知书", 15, "refused"),
    Slot("rights", "当事人权利义务告知书", 20, "accepted"),
    Slot("identity", "当事人身份证明", 30, "accepted", ("当事人身份证明",)),
    Slot("authorisation", "授权委托书", 40, "", ("授权委托书",)),
    Slot("investigation", "人民调解调查记录", 50, "", ("调查材料",)),
    Slot("evidence", "证据材料", 60, "", ("证据材料",)),
    Slot("mediation", "人民调解记录", 70, "accepted"),
    Slot("failure", "终止调解告知书", 75, "failed"),
    Slot("agreement", "人民调解协议书 / 口头协议登记表", 80, "agreed"),
    Slot("performance", "履行凭证", 90, "", ("履行凭证",)),
    Slot("closure", "结案报告表", 95, "closed"),
    Slot("followup", "人民调解回访记录", 100, "followed_up"),
    Slot("confirmation", "司法确认材料", 110, "confirmed", ("司法确认材料",)),
    Slot("other", "其他材料", 118, "", ("其他材料", "签字文书扫描件", "Word 文档")),
)


@dataclass(frozen=True)
class Document:
    """A generated document: where it goes, its template, its title, and whether it is filed signed."""

    slot: str
    template: str
    title: str
    signed: bool  # printed with signature lines: the dossier takes its signed scan, never the bare print


DOCUMENTS: dict[str, Document] = {
    "application": Document("application", "docs/application.html", "人民调解申请书", True),
    "registration": Document("application", "docs/registration.html", "人民调解受理登记表", True),
    "transfer": Document("transfer", "docs/transfer.html", "移送函", False),
    "refusal": Document("refusal", "docs/refusal.html", "不予受理告知书", True),
    "rights": Document("rights", "docs/rights.html", "当事人权利义务告知书", True),
    "investigation": Document("investigation", "docs/investigation.html", "人民调解调查记录", True),
    "mediation": Document("mediation", "docs/mediation.html", "人民调解记录", True),
    "failure": Document("failure", "docs/failure.html", "终止调解告知书", True),
    "agreement": Document("agreement", "docs/agreement.html", "人民调解协议书", True),
    "oral_agreement": Document("agreement", "docs/oral_agreement.html", "口头协议登记表", True),
    "quadruplicate": Document("agreement", "docs/quadruplicate.html", "人民调解协议书（四联单）", True),
    "closure": Document("closure", "docs/closure.html", "结案报告表", True),
    "followup": Document("followup", "docs/followup.html", "人民调解回访记录", True),
    "confirmation_application": Document("confirmation", "docs/confirmation_application.html", "司法确认申请书", True),
}
RECORD_DOCUMENTS = (
    "investigation",
    "mediation",
    "failure",
    "agreement",
    "oral_agreement",
    "refusal",
    "closure",
    "followup",
    "confirmation_application",
)
PRINTABLE = (*DOCUMENTS, "notes")
# A transfer's letter by its kind where the sender has its own form (the police's for 公调对接);
# else DOCUMENTS["transfer"].
TRANSFER_FORMS: dict[str, tuple[str, str]] = {
    "公调对接": ("docs/police_transfer.html", "公安机关移交人民调解函（附回执）"),
}


def transfer_form(kind: str) -> tuple[str, str] | None:
    """(template, title) of a transfer's letter when its kind has its own form."""
    return TRANSFER_FORMS.get(kind)


def reached(case: CaseData, state: str) -> bool:
    """Whether the case got to `state` (or beyond) in the loop."""
    if case.state not in STATES or state not in STATES:
        return False
    return STATES.index(case.state) >= STATES.index(state)


def applies(slot: Slot, case: CaseData) -> bool:
    """Whether the slot is required for this case, from the state it reached and its outcome."""
    accepted = case.accepted_on is not None or case.outcome in ACCEPTED_OUTCOMES
    return {
        "always": True,
        "accepted": accepted,
        "agreed": case.outcome in ("written", "oral"),
        "refused": case.state == "refused",
        "transferred": bool(case.transfers),
        "failed": case.outcome == "failed",
        "closed": accepted and reached(case, "closed"),
        "followed_up": accepted and reached(case, "followed_up"),
        "confirmed": any(r.kind.startswith("confirmation_") for r in case.records),
    }.get(slot.required, False)


def applicants(case: CaseData) -> str:
    names = [p.name for p in case.parties if p.role == "申请人"]
    return "、".join(names) or "当事人"


def principals(case: CaseData) -> str:
    """The parties themselves (not their agents)."""
    return "、".join(p.name for p in case.parties if p.role != "代理人") or "当事人"


def simple_case(case: CaseData) -> bool:
    """A simple dispute (the 四联单 may close it): one session at most, no group dispute, no judicial confirmation."""
    sessions = sum(1 for r in case.records if r.kind == "mediation")
    confirmed = any(r.kind.startswith("confirmation_") for r in case.records)
    return sessions <= SIMPLE_MAX_SESSIONS and not case.group_dispute and not confirmed


class SlotChange(TypedDict, total=False):
    """What `with_slots` may change in a slot."""

    title: str
    sort_key: int
    required: str
    uploads: tuple[str, ...]


def with_slots(order: tuple[Slot, ...], **changes: SlotChange) -> tuple[Slot, ...]:
    """A copy of `order` with some slots changed.

    E.g. `with_slots(DEFAULT_ORDER, followup={"required": "accepted"})`."""
    return tuple(replace(s, **changes[s.code]) if s.code in changes else s for s in order)
