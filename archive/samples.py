"""Synthetic dossier data (a scanned page, a whole case) for the tests, the benchmark and the demo."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta

from PIL import Image, ImageDraw

from archive.model import CaseData, PartyData, RecordData, TransferData, UploadData


def scan(
    width: int = 1240,
    height: int = 1754,
    *,
    text: str = "SCAN",
    orientation: int = 1,
    mode: str = "RGB",
    fmt: str = "JPEG",
    seed: int = 0,
) -> bytes:
    """A page-like image with lines of 'text' and noise, as a scanner would give; `orientation` sets the EXIF tag."""
    image = Image.new(
        mode if mode != "RGBA" else "RGBA", (width, height), "white" if mode != "RGBA" else (255, 255, 255, 0)
    )
    draw = ImageDraw.Draw(image)
    for row in range(60, height - 60, 38):
        length = 200 + (row * 7919 + seed * 104729) % (width - 320)
        draw.line([(80, row), (80 + length, row)], fill="black" if mode != "RGBA" else (0, 0, 0, 255), width=3)
    draw.rectangle(
        [40, 40, 240, 160], outline="black" if mode != "RGBA" else (0, 0, 0, 255), width=6
    )  # marks the top left corner
    draw.text((60, 70), text, fill="black" if mode != "RGBA" else (0, 0, 0, 255))
    out = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        if orientation != 1:
            exif[0x0112] = orientation
        image.convert("RGB").save(out, "JPEG", quality=70, exif=exif.tobytes())
    else:
        image.save(out, fmt)
    return out.getvalue()


def upload(
    data: bytes, filename: str, media_type: str, doc_type: str, *, day: date | None = None, replaces: str = ""
) -> UploadData:
    return UploadData(
        filename=filename,
        media_type=media_type,
        data=data,
        doc_type=doc_type,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_on=day,
        replaces=replaces,
    )


def case(
    *,
    scans: int = 2,
    sessions: int = 2,
    rare: bool = True,
    uploads: tuple[UploadData, ...] = (),
    signed: bool = True,
    received: date = date(2026, 3, 2),
) -> CaseData:
    """A written-agreement case with evidence scans, followed up; `signed` adds the signed scans of the documents
    that need them."""
    applicant = "王䶮" if rare else "王建国"
    respondent = "吉𠮷堃喆" if rare else "李明"
    accepted = received + timedelta(days=1)
    records = [
        RecordData(
            "investigation",
            accepted + timedelta(days=2),
            {
                "held_on": (accepted + timedelta(days=2)).isoformat(),
                "place": "桃花村村委会",
                "investigators": "郑春梅",
                "respondents": respondent,
                "content": "现场查看两家宅基地界桩，界桩位置与1998年确权图一致。",
            },
            ref="1",
        )
    ]
    for n in range(sessions):
        day = accepted + timedelta(days=4 + n)
        records.append(
            RecordData(
                "mediation",
                day,
                {
                    "held_on": day.isoformat(),
                    "place": "桃花村人民调解室",
                    "mediators": "郑春梅、马国栋",
                    "parties_present": f"{applicant}、{respondent}",
                    "helpers": "",
                    "experts": "",
                    "content": "调解员释明法律规定，双方陈述意见。" * 6,
                    "result": "双方同意继续协商。" if n < sessions - 1 else "达成协议。",
                },
                ref=str(10 + n),
            )
        )
    signed_on = accepted + timedelta(days=4 + sessions)
    records += [
        RecordData(
            "agreement",
            signed_on,
            {
                "facts": "双方因宅基地界线发生争执。",
                "responsibilities": "双方均有一定责任。",
                "terms": "一、被申请人于2026年4月30日前拆除越界围墙；\n二、申请人放弃其他请求。",
                "performance_method": "自行拆除",
                "performance_deadline": "2026年4月30日前",
                "performance_place": "桃花村",
                "copies": "3",
                "signed_on": signed_on.isoformat(),
            },
            ref="20",
        ),
        RecordData(
            "closure",
            signed_on + timedelta(days=10),
            {"closed_on": (signed_on + timedelta(days=10)).isoformat(), "summary": "协议已全部履行。"},
            ref="21",
        ),
        RecordData(
            "followup",
            signed_on + timedelta(days=15),
            {
                "held_on": (signed_on + timedelta(days=15)).isoformat(),
                "method": "上门",
                "visitor": "郑春梅",
                "performance": "全部履行",
                "satisfaction": "满意",
                "risk": "无",
                "actions": "",
            },
            ref="22",
        ),
    ]
    files = [
        upload(scan(text=f"ID {n}", seed=n), f"身份证{n + 1}.jpg", "image/jpeg", "当事人身份证明", day=received)
        for n in range(1)
    ]
    files += [
        upload(scan(text=f"EVIDENCE {n}", seed=100 + n), f"证据{n + 1}.jpg", "image/jpeg", "证据材料", day=accepted)
        for n in range(scans)
    ]
    if signed:  # every document printed with signature lines, filed as its signed scan
        keys = ["application", "registration", "rights", "investigation:1", "agreement:20", "closure:21", "followup:22"]
        keys += [f"mediation:{10 + n}" for n in range(sessions)]
        files += [
            upload(
                scan(text=f"SIGNED {key}", seed=900 + n),
                f"{key.split(':')[0]}-签字.jpg",
                "image/jpeg",
                "签字文书扫描件",
                replaces=key,
            )
            for n, key in enumerate(keys)
        ]
    return CaseData(
        number="（2026）桃人调字第007号",
        title=f"{applicant}与{respondent}宅基地纠纷",
        committee="东镇桃花村人民调解委员会",
        dispute_type="宅基地纠纷",
        dispute_code="0301",
        channel="来访",
        summary="申请人与被申请人系邻居，因宅基地界线发生争执。",
        requests="请求确认界线并拆除越界围墙。",
        state="evaluated",
        outcome="written",
        received_on=received,
        accepted_on=accepted,
        closed_on=signed_on + timedelta(days=10),
        mediators=("郑春梅", "马国栋"),
        parties=(
            PartyData(
                "申请人",
                applicant,
                sex="男",
                ethnicity="汉族",
                age="56",
                birth_date=date(1969, 12, 31),
                occupation="农民",
                id_label="居民身份证",
                id_number="11010519491231002X",
                phone="13912345678",
                address="桃花村三组",
            ),
            PartyData(
                "被申请人",
                respondent,
                sex="女",
                ethnicity="汉族",
                age="48",
                occupation="农民",
                id_label="居民身份证",
                id_number="110105196605200025",
                phone="13800001111",
                address="桃花村三组",
            ),
        ),
        records=tuple(records),
        uploads=tuple(files) + tuple(uploads),
        transfers=(
            TransferData(
                "移送",
                "东镇人民调解委员会",
                "东镇桃花村人民调解委员会",
                "请依法调解。",
                received,
                "accepted",
                received,
                "",
            ),
        ),
        events=((received, "刘雨欣", "登记"), (accepted, "刘雨欣", "受理")),
        registered_by="东镇人民调解委员会",
        registrar="刘雨欣",
        handled_by="刘雨欣",
    )
