"""The pre-check (案卷评查) derives what the dossier must hold from the case's own record — state reached, outcome,
records (司法确认 application and ruling, 履行 records naming receipts, a failed mediation's reasons and routes),
how the case came in, its transfers — and names every gap, with the key or category that fills it."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from support.dossier_cases import RULING, confirmed, failed, performed, refused, reported_by_grid, signed_scan, upload

from archive import samples
from archive.contents import compose, printable_keys
from archive.review import precheck


def messages(case) -> list[str]:  # noqa: ANN001
    return [p.message for p in precheck(case)]


def test_a_complete_signed_case_passes() -> None:
    assert precheck(samples.case()) == []


def test_a_judicially_confirmed_case_needs_its_application_and_the_ruling_in_their_place() -> None:
    case = confirmed()
    found = messages(case)
    assert "司法确认申请书尚未签字：请打印后由签字人签字，再上传签字扫描件。" in found
    assert any(m.startswith(f"缺少司法确认裁定书（{RULING}）") for m in found)
    ruling = next(p for p in precheck(case) if p.key == "confirmation_ruling:31")
    assert (ruling.kind, ruling.category) == ("missing", "司法确认材料")

    complete = replace(
        case, uploads=(*case.uploads, signed_scan("confirmation_application:30"), upload("司法确认材料", "裁定书.jpg"))
    )
    assert precheck(complete) == []
    items = compose(complete)
    slots = [i.slot for i in items]
    assert slots.index("followup") < slots.index("confirmation")  # DOMAIN §5: 11 司法确认材料 after 10 回访记录
    ruling_item = next(i for i in items if i.key == "confirmation_ruling:31")
    assert ruling_item.author == "清溪县人民法院" and ruling_item.title == f"司法确认裁定书（{RULING}）"
    application = next(i for i in items if i.key == "confirmation_application:30")
    assert application.author == "王䶮、吉𠮷堃喆" and application.signed


def test_receipts_named_by_a_performance_record_must_be_in_the_dossier() -> None:
    case = performed()
    gap = next(p for p in precheck(case) if p.slot == "performance")
    assert gap.message.startswith("缺少履行凭证（银行转账凭证、收条各一份）") and gap.key == "performance:40"
    assert precheck(performed(receipts="")) == []  # a performance record naming no receipts asks for none
    complete = replace(case, uploads=(*case.uploads, upload("履行凭证", "转账凭证.jpg")))
    assert precheck(complete) == []
    slots = [i.slot for i in compose(complete)]
    assert slots.index("agreement") < slots.index("performance") < slots.index("closure")


def test_a_failed_mediation_needs_the_reasons_and_routes_told_to_the_parties() -> None:
    unrecorded = failed(recorded=False)
    assert any(m.startswith("缺少终止调解告知书") and "调解不成记录" in m for m in messages(unrecorded))
    recorded = failed()
    assert "终止调解告知书尚未签字：请打印后由签字人签字，再上传签字扫描件。" in messages(recorded)
    signed = replace(recorded, uploads=(*recorded.uploads, signed_scan("failure:50")))
    assert precheck(signed) == []
    assert not any(p.slot == "agreement" for p in precheck(signed))  # no agreement is asked of a failed case


@pytest.mark.parametrize(
    ("key", "title"),
    [
        ("investigation:1", "人民调解调查记录"),
        ("followup:22", "人民调解回访记录"),
        ("closure:21", "结案报告表"),
        ("registration", "人民调解受理登记表"),
        ("application", "人民调解申请书"),
    ],
)
def test_documents_with_signature_lines_are_never_filed_unsigned(key: str, title: str) -> None:
    case = samples.case()
    case = replace(case, uploads=tuple(u for u in case.uploads if u.replaces != key))
    [gap] = precheck(case)
    assert gap.key == key and gap.message == f"{title}尚未签字：请打印后由签字人签字，再上传签字扫描件。"


def test_what_the_state_reached_requires() -> None:
    case = samples.case()
    no_visit = replace(case, records=tuple(r for r in case.records if r.kind != "followup"))
    assert "缺少人民调解回访记录：请在案件中补录相应记录。" in messages(no_visit)  # evaluated: it was visited
    assert not any("回访" in m for m in messages(replace(no_visit, state="closed")))  # only closed: not yet
    not_closed = replace(case, records=tuple(r for r in case.records if r.kind != "closure"))
    assert "缺少结案报告表：请在案件中补录相应记录。" in messages(not_closed)


def test_the_first_document_follows_how_the_case_came_in() -> None:
    walk_in = samples.case()
    assert printable_keys(walk_in)[:2] == ["application", "registration"]
    grid = reported_by_grid()
    keys = printable_keys(grid)
    assert "application" not in keys and keys[0] == "registration"  # nobody applied: the 登记表 stands alone
    assert precheck(grid) == []
    first = compose(grid)[0]
    assert (first.key, first.author) == ("registration", "桃花村第一网格")  # the body that registered it
    letter = replace(samples.case(), channel="来信")
    gap = next(p for p in precheck(letter) if p.slot == "application")
    assert gap.message.startswith("缺少人民调解申请书（来信）") and gap.category == "申请书"
    with_letter = replace(letter, uploads=(*letter.uploads, upload("申请书", "来信.jpg", provided_by="王䶮")))
    assert precheck(with_letter) == []
    assert compose(with_letter)[0].author == "王䶮"  # the applicant is the application's 责任者


def test_each_party_needs_an_id_copy_when_the_copies_say_whose_they_are() -> None:
    case = samples.case()
    own = [u for u in case.uploads if u.doc_type != "当事人身份证明"]
    named = replace(case, uploads=(*own, upload("当事人身份证明", "王.jpg", provided_by="王䶮")))
    assert [p.message for p in precheck(named)] == [
        "缺少被申请人吉𠮷堃喆的身份证明：请上传“当事人身份证明”类材料并注明所属当事人。"
    ]


def test_a_refused_case_needs_its_notice_signed_and_its_letter() -> None:
    case = refused()
    found = messages(case)
    assert "不予受理告知书尚未签字：请打印后由签字人签字，再上传签字扫描件。" in found
    assert not any("权利义务告知书" in m or "调解记录" in m or "身份证明" in m for m in found)


def test_every_removed_piece_of_a_complete_dossier_is_named_as_a_gap() -> None:
    """Property: from a complete dossier with every kind of requirement, remove random pieces; the pre-check names
    exactly the removed ones (by the key or category that fills them), nothing else."""
    complete = confirmed(performed())
    complete = replace(
        complete,
        uploads=(
            *complete.uploads,
            signed_scan("confirmation_application:30"),
            upload("司法确认材料", "裁定书.jpg", seed=3),
            upload("履行凭证", "收条.jpg", seed=4),
        ),
    )
    assert precheck(complete) == []
    fillers = [
        u for u in complete.uploads if u.replaces or u.doc_type in ("司法确认材料", "履行凭证", "当事人身份证明")
    ]
    rng = random.Random(16)
    for _ in range(40):
        removed = rng.sample(fillers, rng.randint(1, len(fillers)))
        case = replace(complete, uploads=tuple(u for u in complete.uploads if u not in removed))
        gaps = precheck(case)
        named = {p.key or p.category for p in gaps}
        expected = set()
        for u in removed:
            if u.replaces:
                expected.add(u.replaces)
            elif u.doc_type == "司法确认材料":
                expected.add("confirmation_ruling:31")
            elif u.doc_type == "履行凭证":
                expected.add("performance:40")
            else:
                expected.add("当事人身份证明")
        assert named == expected, (sorted(u.filename for u in removed), [p.message for p in gaps])
