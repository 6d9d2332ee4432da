"""The dossier's documents read back from the PDFs, one case built for each defect an archivist found: styled single
prints, signature blocks kept with their text, 卷名, 责任者, acting bodies, ages, refused cases, the 四联单, JPEG
scans kept unchanged, and the cosmetic ones (back cover, contents, brackets, page-number distance, file rows)."""

from __future__ import annotations

import io
import random
import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader
from support.dossier_cases import refused, reported_by_grid, signed_scan, upload
from support.pdf_pages import content_lines, lonely_pages, page_texts
from test_archive_binding import FILING, _preflight

from archive import conformance, samples
from archive.binding import bind
from archive.contents import compose, printable_keys
from archive.model import Options, PartyData, TransferData
from archive.printing import document_pdf
from archive.review import precheck

MM = 72 / 25.4


def _body(bound) -> tuple[int, int]:  # noqa: ANN001
    front = bound.manifest["pdf"]["front_pages"]
    return front, front + bound.page_count


def _dark_rows(png: Path, *, min_share: float) -> int:
    """Horizontal lines: pixel rows in which dark pixels span at least `min_share` of the page width."""
    image = Image.open(png).convert("L")
    width, height = image.size
    pixels = image.load()
    lines, previous = 0, False
    for y in range(height):
        dark = sum(1 for x in range(0, width, 2) if pixels[x, y] < 128) * 2
        is_line = dark >= min_share * width
        lines += is_line and not previous
        previous = is_line
    return lines


def test_a_single_print_is_the_styled_form_with_table_lines_and_its_title(tmp_path: Path) -> None:
    title, pdf = document_pdf(samples.case(), "registration")
    path = tmp_path / "registration.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-gray", "-png", "-singlefile", str(path), str(tmp_path / "p")], check=True)
    # the form's rows are ruled: an unstyled fragment (no stylesheet) has no line across the page at all
    assert _dark_rows(tmp_path / "p.png", min_share=0.55) >= 10
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "人民调解受理登记表 （2026）桃人调字第007号" and title == "人民调解受理登记表"
    lines = content_lines(reader.pages[0].extract_text())
    assert "人民调解受理登记表" in lines and "纠纷简要情况" in lines and "申请人" in lines  # labels on one line
    assert "第 1 页　共 1 页" in reader.pages[0].extract_text()
    heading = []
    reader.pages[0].extract_text(
        visitor_text=lambda t, cm, tm, *_: heading.append(tm[4] * cm[0] + cm[4]) if t.startswith("人民调解受") else None
    )
    assert heading and heading[0] > 150  # centred, not at the left margin (≈ 74 pt) as the unstyled fragment was
    report = conformance.check(pdf)
    assert report.ok and report.part == 3, report.problems
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)


def test_a_single_print_in_pdf_a_1b_passes_pdfbox_preflight(tmp_path: Path) -> None:
    _, pdf = document_pdf(samples.case(), "mediation:10", options=Options(variant="pdf/a-1b"))
    path = tmp_path / "a1b.pdf"
    path.write_bytes(pdf)
    result = _preflight(path)
    assert "is a valid PDF/A-1b file" in result.stdout, result.stdout[-2000:]
    assert conformance.check(pdf).ok


def _varied(seed: int):  # noqa: ANN202
    """The sample case with every long field at a random length, so documents end anywhere on their last page."""
    rng = random.Random(seed)
    text = "双方就界线问题各自陈述意见，调解员释明相关法律规定。"

    def long(n: int) -> str:
        return (text * (n // len(text) + 1))[:n]

    base = samples.case(signed=False, scans=0, rare=False)
    records = []
    for record in base.records:
        fields = dict(record.fields)
        for key in ("content", "terms", "facts", "summary", "actions", "responsibilities"):
            if key in fields:
                fields[key] = long(rng.randint(20, 1800))
        records.append(replace(record, fields=fields))
    return replace(
        base, records=tuple(records), summary=long(rng.randint(20, 900)), requests=long(rng.randint(10, 400))
    )


@pytest.mark.parametrize("seed", range(6))
def test_no_signature_seal_or_date_stands_alone_on_a_numbered_page(seed: int) -> None:
    bound = bind(_varied(seed), FILING, Options())
    assert lonely_pages(bound.pdf, *_body(bound)) == []


def test_the_volume_title_is_the_case_title_on_the_cover_and_in_the_metadata() -> None:
    title = "清溪县鑫达建筑劳务有限公司拖欠胡建国等12人工资纠纷"
    case = replace(samples.case(rare=False), title=title, dispute_type="拖欠农民工工资")
    bound = bind(case, replace(FILING, title=""), Options())
    cover = "".join(PdfReader(io.BytesIO(bound.pdf)).pages[0].extract_text().split())
    assert title in cover and "王建国与李明拖欠农民工工资" not in cover
    with pikepdf.open(io.BytesIO(bound.pdf)) as pdf:
        assert str(pdf.docinfo["/Title"]) == title and pdf.open_metadata()["dc:title"] == title
    edited = bind(case, replace(FILING, title="胡建国等12人追索劳动报酬纠纷"), Options())
    assert PdfReader(io.BytesIO(edited.pdf)).metadata.title == "胡建国等12人追索劳动报酬纠纷"


def test_the_contents_name_who_made_each_item() -> None:
    case = samples.case()
    agent = PartyData("代理人", "周律师", occupation="律师")
    case = replace(
        case,
        parties=(*case.parties, agent),
        uploads=(
            *(u for u in case.uploads if u.doc_type != "当事人身份证明"),
            upload("当事人身份证明", "王的身份证.jpg", seed=1, provided_by="王䶮"),
            upload("当事人身份证明", "吉的身份证.jpg", seed=2, provided_by="吉𠮷堃喆"),
            upload("授权委托书", "委托书.jpg", seed=3, provided_by="吉𠮷堃喆"),
        ),
        transfers=(
            TransferData(
                "上报",
                "桃花村第一网格",
                "东镇人民调解委员会",
                "请调解。",
                date(2026, 3, 2),
                "returned",
                date(2026, 3, 2),
                "应由村调委会办理",
            ),
            TransferData(
                "移送", "东镇人民调解委员会", case.committee, "请调解。", date(2026, 3, 2), "accepted", date(2026, 3, 2)
            ),
        ),
    )
    rows = bind(case, FILING, Options()).rows
    by_title = {r.title: r for r in rows}
    assert by_title["当事人身份证明：王的身份证.jpg"].author == "王䶮"
    assert by_title["当事人身份证明：吉的身份证.jpg"].author == "吉𠮷堃喆"  # not the first party's
    assert by_title["授权委托书：委托书.jpg"].author == "吉𠮷堃喆"  # the principal, not the committee
    letters = [r for r in rows if r.key.startswith("transfer:")]
    assert [(r.title, r.author, r.note) for r in letters] == [
        ("移送函（上报）及回执", "桃花村第一网格", "已退回"),  # each letter once, by its sender
        ("移送函（移送）及回执", "东镇人民调解委员会", "已接收"),
    ]
    assert by_title["人民调解申请书（签字件）"].author == "王䶮"  # the applicant, not the committee


def test_documents_name_the_body_that_acted_and_print_ages_and_birth_dates() -> None:
    case = reported_by_grid()
    _, pdf = document_pdf(case, "registration")
    text = "".join(page_texts(pdf))
    assert "登记单位桃花村第一网格" in text.replace(" ", "").replace("\n", "")
    assert "由东镇桃花村人民调解委员会于2026年3月3日予以受理" in text.replace("\n", "")
    assert "1969年12月31日出生（56岁）" in text and "48岁" in text
    walk_in = replace(samples.case(), registered_by="东镇人民调解委员会")
    _, application = document_pdf(walk_in, "application")
    assert "申请人自愿申请东镇人民调解委员会调解上述纠纷" in "".join(page_texts(application)).replace("\n", "")


def test_a_refused_cases_cover_shows_who_refused_when_and_its_letter_comes_first() -> None:
    case = refused()
    case = replace(case, uploads=(signed_scan("registration"), signed_scan("refusal:60", seed=1)))
    bound = bind(case, FILING, Options())
    cover = PdfReader(io.BytesIO(bound.pdf)).pages[0].extract_text()
    assert "经办人" in cover and "刘雨欣" in cover and "不予受理日期" in cover and "2026年3月4日" in cover
    assert "调解日期" not in cover and "人民调解员" not in cover
    assert [r.key.split(":")[0] for r in bound.rows] == ["registration", "transfer", "refusal"]
    assert bound.rows[1].author == "清溪县信访局访调对接中心"


def test_a_simple_case_prints_the_four_part_form_which_can_stand_for_its_agreement() -> None:
    simple = samples.case(sessions=1)
    assert "quadruplicate:20" in printable_keys(simple)
    _, pdf = document_pdf(simple, "quadruplicate:20")
    texts = page_texts(pdf)
    assert len(texts) == 4
    for label, text in zip(("第一联", "第二联", "第三联", "第四联"), texts, strict=True):
        assert label in text and "被申请人于2026年4月30日前拆除越界围墙" in text and "（2026）桃人调字第007号" in text
    four_part = replace(
        simple,
        uploads=(*(u for u in simple.uploads if u.replaces != "agreement:20"), signed_scan("quadruplicate:20")),
    )
    assert precheck(four_part) == []  # the signed 四联单 is the agreement
    agreement = [i for i in compose(four_part) if i.slot == "agreement"]
    assert [(i.title, i.signed) for i in agreement] == [("人民调解协议书（四联单）", True)]
    assert "quadruplicate:20" not in printable_keys(samples.case(sessions=2))  # two sessions: not a simple case
    mediating = replace(simple, state="mediating", records=simple.records[:2], closed_on=None, outcome="")
    assert "quadruplicate" in printable_keys(mediating)  # printed blank before the agreement is recorded


def test_a_jpeg_scan_with_exif_goes_into_the_pdf_unchanged() -> None:
    photo = samples.scan(1000, 1414, text="EXIF", seed=5)
    image = Image.open(io.BytesIO(photo))
    exif = image.getexif()
    exif[0x010F] = "Scanner Co."  # a camera's or scanner's make: EXIF, orientation upright
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70, exif=exif.tobytes())
    original = out.getvalue()
    case = samples.case(scans=0)
    case = replace(case, uploads=(*case.uploads, samples.upload(original, "照片.jpg", "image/jpeg", "证据材料")))
    bound = bind(case, FILING, Options())
    with pikepdf.open(io.BytesIO(bound.pdf)) as pdf:
        streams = [
            bytes(obj.read_raw_bytes())
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"
        ]
    assert original in streams


def test_cosmetics_back_cover_contents_brackets_page_number_distance_and_file_rows(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["项目", "金额"])
    sheet = io.BytesIO()
    book.save(sheet)
    xlsx = samples.upload(
        sheet.getvalue(),
        "赔偿明细.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "证据材料",
        day=date(2026, 3, 3),
    )
    case = replace(samples.case(), uploads=(*samples.case().uploads, xlsx))
    bound = bind(case, replace(FILING, retention="10年"), Options())
    texts = page_texts(bound.pdf)
    assert "保管期限：10年" in content_lines(texts[-1])  # not broken across lines
    contents = [line for text in texts[1 : bound.manifest["pdf"]["front_pages"]] for line in content_lines(text)]
    assert not any(line.endswith(("（签字", "（签字件", "签字件）")) and "（签字件）" not in line for line in contents)
    assert not any(re.search(r"（（|））", text) for text in texts)
    titles = [r.title for r in bound.rows]  # the spreadsheet keeps its place among the evidence
    assert (
        titles.index("证据材料：证据2.jpg")
        < titles.index("证据材料：赔偿明细.xlsx")
        < titles.index("人民调解记录（第1次）（签字件）")
    )
    reader = PdfReader(io.BytesIO(bound.pdf))
    front, _ = _body(bound)
    by_kind = {}
    for row in bound.rows:
        if row.start and row.start < 10:
            page = reader.pages[front + row.start - 1]
            by_kind.setdefault(row.source == "generated", _number_position(page, str(row.start)))
    (text_x, text_y), (scan_x, scan_y) = by_kind[True], by_kind[False]
    assert abs(text_x - scan_x) < 1.5 * MM and abs(text_y - scan_y) < 1.5 * MM  # same distance from the edge


def _number_position(page, number: str) -> tuple[float, float]:  # noqa: ANN001
    """Where the page number is drawn: (distance of its start from the right edge, of its baseline from the top)."""
    found = []

    def visit(text, cm, tm, font, size) -> None:  # noqa: ANN001
        if text.strip() == number:
            x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
            if y > float(page.mediabox.height) - 40 * MM:
                found.append((float(page.mediabox.width) - x, float(page.mediabox.height) - y))

    page.extract_text(visitor_text=visit)
    assert found, number
    return found[0]
