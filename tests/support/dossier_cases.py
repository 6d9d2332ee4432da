"""Cases built for each dossier defect, on top of archive.samples: judicially confirmed, performed with receipts,
failed, refused after an incoming transfer, reported by a grid — each with or without what its record implies."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from archive import samples
from archive.model import CaseData, RecordData, TransferData, UploadData

COURT = "清溪县人民法院"
RULING = "（2026）云2199民特12号"


def signed_scan(key: str, seed: int = 0) -> UploadData:
    return samples.upload(
        samples.scan(620, 877, text=f"SIGNED {key}", seed=seed),
        f"{key}-签字.jpg",
        "image/jpeg",
        "签字文书扫描件",
        replaces=key,
    )


def upload(category: str, name: str, *, seed: int = 0, provided_by: str = "", day: date | None = None) -> UploadData:
    data = samples.scan(620, 877, text=name, seed=seed)
    return replace(samples.upload(data, name, "image/jpeg", category, day=day), provided_by=provided_by)


def with_records(case: CaseData, *records: RecordData, **changes: object) -> CaseData:
    return replace(case, records=(*case.records, *records), **changes)


def confirmed(case: CaseData | None = None) -> CaseData:
    """A written agreement the parties took to court: application and ruling recorded."""
    case = case or samples.case()
    day = case.closed_on - timedelta(days=5)
    return with_records(
        case,
        RecordData("confirmation_application", day, {"court": COURT, "applied_on": day.isoformat()}, ref="30"),
        RecordData(
            "confirmation_ruling",
            day + timedelta(days=3),
            {"ruled_on": (day + timedelta(days=3)).isoformat(), "ruling_number": RULING, "result": "确认协议有效"},
            ref="31",
        ),
        judicial_confirmation=True,
    )


def performed(case: CaseData | None = None, receipts: str = "银行转账凭证、收条各一份") -> CaseData:
    case = case or samples.case()
    day = case.closed_on - timedelta(days=2)
    return with_records(
        case,
        RecordData(
            "performance",
            day,
            {"performed_on": day.isoformat(), "status": "全部履行", "details": "已付清。", "receipts": receipts},
            ref="40",
        ),
    )


def failed(case: CaseData | None = None, *, recorded: bool = True) -> CaseData:
    """Mediation failed: no agreement; the reasons and routes told to the parties in a failure record."""
    case = case or samples.case()
    records = tuple(r for r in case.records if r.kind != "agreement")
    if recorded:
        records += (
            RecordData(
                "failure",
                case.closed_on,
                {"reason": "双方对赔偿数额分歧过大，经三次调解仍无法达成一致。", "routes": "可向清溪县人民法院起诉。"},
                ref="50",
            ),
        )
    uploads = tuple(u for u in case.uploads if u.replaces != "agreement:20")
    return replace(case, outcome="failed", records=records, uploads=uploads)


def refused() -> CaseData:
    """Sent by the petition bureau, refused by the committee in writing."""
    base = samples.case(signed=False, scans=0)
    received = base.received_on
    return replace(
        base,
        state="refused",
        outcome="",
        channel="信访移交",
        accepted_on=None,
        closed_on=None,
        mediators=(),
        records=(
            RecordData(
                "refusal",
                received + timedelta(days=2),
                {
                    "reason": "该纠纷已由人民法院受理。",
                    "routes": "请向受理法院了解诉讼进展。",
                    "issued_on": (received + timedelta(days=2)).isoformat(),
                },
                ref="60",
            ),
        ),
        uploads=(),
        transfers=(
            TransferData(
                "访调对接", "清溪县信访局访调对接中心", base.committee, "请依法调解。", received, "accepted", received
            ),
        ),
        registered_by="清溪县信访局访调对接中心",
        accepted_by="",
        handled_by="刘雨欣",
    )


def reported_by_grid() -> CaseData:
    """Registered by a grid worker (网格员上报), sent up to the village committee, which accepted and mediated it."""
    base = samples.case()
    received = base.received_on
    return replace(
        base,
        channel="网格员上报",
        registered_by="桃花村第一网格",
        registrar="桃花网格员",
        accepted_by=base.committee,
        transfers=(
            TransferData("上报", "桃花村第一网格", base.committee, "网格员上报。", received, "accepted", received),
        ),
        uploads=tuple(u for u in base.uploads if u.replaces != "application"),
    )
