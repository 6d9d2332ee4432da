"""The kinds of case record and their fields, as data: forms, validation and documents read them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str = "text"  # text | textarea | date | select | int | experts (cited from the 专家库)
    required: bool = True
    options: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class RecordKind:
    code: str
    label: str
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)
    date_field: str | None = None  # the field that becomes the record's `held_on`


def _f(
    name: str, label: str, type_: str = "text", required: bool = True, options: tuple[str, ...] = (), help_: str = ""
) -> FieldSpec:
    return FieldSpec(name, label, type_, required, options, help_)


RECORD_KINDS: dict[str, RecordKind] = {
    k.code: k
    for k in [
        RecordKind(
            "investigation",
            "人民调解调查记录",
            (
                _f("held_on", "调查时间", "date"),
                _f("place", "调查地点"),
                _f("investigators", "调查人"),
                _f("respondents", "被调查人"),
                _f("content", "调查内容", "textarea"),
            ),
            "held_on",
        ),
        RecordKind(
            "mediation",
            "人民调解记录",
            (
                _f("held_on", "调解时间", "date"),
                _f("place", "调解地点"),
                _f("mediators", "调解员"),
                _f("parties_present", "到场当事人"),
                _f("helpers", "邀请协助调解人员", required=False),
                _f("experts", "咨询的专家", "experts", required=False, help_="从专家库中选择本次调解咨询或邀请的专家"),
                _f("content", "调解经过", "textarea"),
                _f("result", "调解结果", "textarea"),
            ),
            "held_on",
        ),
        RecordKind(
            "agreement",
            "人民调解协议书",
            (
                _f("facts", "纠纷主要事实、争议事项", "textarea"),
                _f("responsibilities", "各方当事人的责任", "textarea"),
                _f("terms", "达成的协议内容", "textarea"),
                _f("performance_method", "履行方式"),
                _f("performance_deadline", "履行期限"),
                _f("performance_place", "履行地点", required=False),
                _f("copies", "协议份数", "int", help_="每方当事人一份，调委会留存一份"),
                _f("signed_on", "签订日期", "date"),
            ),
            "signed_on",
        ),
        RecordKind(
            "oral_agreement",
            "口头协议登记表",
            (
                _f("facts", "纠纷事实", "textarea"),
                _f("terms", "协议内容", "textarea"),
                _f("performance_method", "履行方式", required=False),
                _f("performance_deadline", "履行期限", required=False),
                _f("signed_on", "达成日期", "date"),
            ),
            "signed_on",
        ),
        RecordKind(
            "failure",
            "调解不成记录",
            (
                _f("reason", "调解不成的原因", "textarea"),
                _f("routes", "告知当事人的其他途径", "textarea", help_="如：向人民法院起诉、申请仲裁、行政处理"),
            ),
        ),
        RecordKind(
            "refusal",
            "不予受理告知书",
            (
                _f("reason", "不予受理的理由", "textarea"),
                _f("routes", "当事人可选择的其他途径", "textarea"),
                _f("issued_on", "告知日期", "date"),
            ),
            "issued_on",
        ),
        RecordKind(
            "confirmation_application",
            "司法确认申请",
            (
                _f("court", "受理法院"),
                _f("applied_on", "申请日期", "date", help_="协议生效之日起 30 日内"),
            ),
            "applied_on",
        ),
        RecordKind(
            "confirmation_ruling",
            "司法确认裁定",
            (
                _f("ruled_on", "裁定日期", "date"),
                _f("ruling_number", "裁定书文号"),
                _f("result", "裁定结果", "select", options=("确认协议有效", "驳回申请")),
            ),
            "ruled_on",
        ),
        RecordKind(
            "performance",
            "履行情况",
            (
                _f("performed_on", "履行日期", "date"),
                _f("status", "履行状况", "select", options=("全部履行", "部分履行", "未履行")),
                _f("details", "履行情况说明", "textarea"),
                _f("receipts", "履行凭证", required=False, help_="收条、转账凭证等，可上传扫描件"),
            ),
            "performed_on",
        ),
        RecordKind(
            "closure",
            "结案报告",
            (
                _f("closed_on", "结案日期", "date"),
                _f("summary", "结案情况", "textarea"),
            ),
            "closed_on",
        ),
        RecordKind(
            "followup",
            "人民调解回访记录",
            (
                _f("held_on", "回访日期", "date"),
                _f("method", "回访方式", "select", options=("上门", "电话", "当面", "其他")),
                _f("visitor", "回访人"),
                _f("performance", "协议履行情况", "select", options=("全部履行", "部分履行", "未履行", "不适用")),
                _f("satisfaction", "当事人满意度", "select", options=("满意", "基本满意", "不满意")),
                _f("risk", "矛盾激化风险", "select", options=("无", "低", "中", "高")),
                _f("actions", "采取的措施", "textarea", required=False),
            ),
            "held_on",
        ),
        RecordKind(
            "evaluation",
            "评价",
            (
                _f("source", "评价来源", "select", options=("网上评价", "现场评价", "回访评价")),
                _f("score", "满意度评分", "select", options=("5", "4", "3", "2", "1"), help_="5 为非常满意"),
                _f("comment", "评价意见", "textarea", required=False),
            ),
        ),
    ]
}

# Records that can be added on their own (not only as part of a transition), and in which states.
FREE_RECORDS: dict[str, tuple[str, ...]] = {
    "investigation": ("accepted", "investigating", "mediating"),
    "mediation": ("mediating",),
    "agreement": ("mediating",),
    "oral_agreement": ("mediating",),
    "performance": ("agreed", "confirming", "performing"),
    "evaluation": ("evaluated",),
}
