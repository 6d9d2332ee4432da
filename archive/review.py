"""The pre-check (案卷评查): what the case's own record says the dossier must hold, and every gap named.

Required is derived from the record, never assumed: the state the case reached and its outcome (a closed case
has its 结案报告表, a followed-up one its 回访记录, a failed one the reasons and routes told to the parties),
its records (a 司法确认 application and ruling, 履行 records naming receipts), how it came in (a walk-in's
signed 申请书, a letter), its transfers (each letter with its receipt), and every printed document with
signature lines filed signed. Each gap says what to add and, where it can, the key its scan is uploaded for.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.contents import Item, compose, expected
from archive.model import CaseData
from archive.order import DEFAULT_ORDER, Slot, applies


@dataclass(frozen=True)
class Problem:
    slot: str
    kind: str  # missing | unsigned
    message: str
    key: str = ""  # the document key a signed scan or an upload fills ("agreement:12", "performance:7")
    category: str = ""  # or the upload category that fills it


def _missing_slot(slot: Slot, case: CaseData) -> Problem:
    if slot.code == "failure":
        how = "请在案件中补录调解不成记录（原因和告知当事人的其他途径）"
    elif slot.uploads:
        how = f"请上传“{slot.uploads[0]}”类材料"
    else:
        how = "请在案件中补录相应记录"
    return Problem(slot.code, "missing", f"缺少{slot.title}：{how}。", category=slot.uploads[0] if slot.uploads else "")


def _identity_gaps(case: CaseData, items: list[Item]) -> list[Problem]:
    """When the ID copies say whose they are, each party (not an agent) needs one."""
    copies = [i.upload for i in items if i.slot == "identity" and i.upload is not None]
    if not copies or any(not u.provided_by for u in copies):
        return []
    held = {name for u in copies for name in u.provided_by.split("、")}
    return [
        Problem(
            "identity",
            "missing",
            f"缺少{p.role}{p.name}的身份证明：请上传“当事人身份证明”类材料并注明所属当事人。",
            category="当事人身份证明",
        )
        for p in case.parties
        if p.role != "代理人" and p.name not in held
    ]


def precheck(case: CaseData, order: tuple[Slot, ...] = DEFAULT_ORDER, items: list[Item] | None = None) -> list[Problem]:
    """Every required item missing or unsigned, in the dossier's order, each naming what to add."""
    items = compose(case, order) if items is None else items
    rank = {s.code: s.sort_key for s in order}
    filled = {i.key for i in items}
    gaps_by_slot: dict[str, list[Problem]] = {}
    for want in expected(case):
        if want.key not in filled and want.slot in rank:
            gaps_by_slot.setdefault(want.slot, []).append(
                Problem(
                    want.slot,
                    "missing",
                    f"缺少{want.title}：请上传“{want.category}”类材料，或在“上传签字扫描件”中选择这份文书上传。",
                    key=want.key,
                    category=want.category,
                )
            )
    problems: list[Problem] = []
    for slot in sorted(order, key=lambda s: s.sort_key):
        present = [i for i in items if i.slot == slot.code]
        if applies(slot, case) and not present and not gaps_by_slot.get(slot.code):
            problems.append(_missing_slot(slot, case))
        problems += gaps_by_slot.get(slot.code, [])
        if slot.code == "identity" and applies(slot, case):
            problems += _identity_gaps(case, present)
        for item in present:
            if item.needs_signature and not item.signed:
                problems.append(
                    Problem(
                        slot.code,
                        "unsigned",
                        f"{item.title}尚未签字：请打印后由签字人签字，再上传签字扫描件。",
                        key=item.key,
                    )
                )
    return problems
