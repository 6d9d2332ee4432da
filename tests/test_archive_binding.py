"""The bound dossier read back from the PDF: cover, contents against the real start pages, page numbers on
body pages only, scans in order, embedded originals and manifest, XMP, PDF/A checks (PDFBox for A-1b)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from openpyxl import Workbook
from pypdf import PdfReader

from archive import conformance, samples
from archive.binding import bind
from archive.model import FilingData, Options
from archive.printing import document_pdf

FILING = FilingData(
    fonds="清溪县矛调中心",
    archive_number="Q1-2026-T-007",
    volume_number="2026-007",
    filed_by="吴静怡",
    checked_by="韩振宇",
    filed_on=date(2026, 4, 20),
    retention="30年",
    notes="测试卷",
)
JARS = ["preflight", "pdfbox2", "fontbox2", "xmpbox", "commons-logging", "jaxb-api", "javax.activation"]


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["项目", "金额"])
    book.active.append(["赔偿款", 3000])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def case():  # noqa: ANN201
    sheet = samples.upload(
        _xlsx(),
        "赔偿明细.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "证据材料",
        day=date(2026, 3, 5),
    )
    turned = samples.upload(
        samples.scan(1754, 1240, text="TURNED", orientation=6, seed=7),
        "横拍证据.jpg",
        "image/jpeg",
        "证据材料",
        day=date(2026, 3, 6),
    )
    return samples.case(scans=2, uploads=(sheet, turned))


@pytest.fixture(scope="module")
def bound3(case):  # noqa: ANN001, ANN201
    return bind(case, FILING, Options(variant="pdf/a-3b"))


@pytest.fixture(scope="module")
def bound1(case):  # noqa: ANN001, ANN201
    return bind(case, FILING, Options(variant="pdf/a-1b"))


def _numbers_in_corner(page, corner: str = "top-right") -> list[str]:  # noqa: ANN001
    """Digit-only texts drawn in a page corner (above the body margin)."""
    found: list[str] = []
    width, height = float(page.mediabox.width), float(page.mediabox.height)

    def visit(text, cm, tm, font, size) -> None:  # noqa: ANN001
        x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
        top = y > height - 85
        if text.strip().isdigit() and (
            (corner == "top-right" and top and x > width / 2) or (corner == "bottom-center" and y < 70)
        ):
            found.append(text.strip())

    page.extract_text(visitor_text=visit)
    return found


def test_cover_shows_the_volume_and_filing_fields(bound3) -> None:  # noqa: ANN001
    cover = PdfReader(io.BytesIO(bound3.pdf)).pages[0].extract_text()
    for text in (
        "调 解 卷 宗",
        "王䶮与吉𠮷堃喆宅基地纠纷",
        "2026-007",
        "郑春梅、马国栋",
        "吴静怡",
        "2026年4月20日",
        "30年",
        "测试卷",
        "Q1-2026-T-007",
        "东镇桃花村人民调解委员会",
    ):
        assert text in cover, text


def test_contents_page_ranges_are_where_each_document_really_starts(bound3) -> None:  # noqa: ANN001
    reader = PdfReader(io.BytesIO(bound3.pdf))
    front = bound3.manifest["pdf"]["front_pages"]
    contents = "".join(p.extract_text() for p in reader.pages[1:front])
    numbered = [r for r in bound3.rows if r.start]
    assert [r.start for r in numbered] == sorted(r.start for r in numbered) and numbered[0].start == 1
    for row in numbered:
        assert re.search(rf"\b{re.escape(row.pages)}\b", contents), row.pages
        page = reader.pages[front + row.start - 1]
        assert _numbers_in_corner(page) == [str(row.start)]
        if row.source == "generated":  # a generated document's own heading is on its first page
            assert row.title.split("（")[0][:4] in page.extract_text()
        else:  # a scan: the page is an image
            assert page.images, row.title
    assert bound3.rows[-1].end is None or bound3.rows[-1].end == bound3.page_count


def test_page_numbers_are_on_body_pages_only_from_one(bound3) -> None:  # noqa: ANN001
    reader = PdfReader(io.BytesIO(bound3.pdf))
    front, tail = bound3.manifest["pdf"]["front_pages"], bound3.manifest["pdf"]["tail_pages"]
    assert len(reader.pages) == front + bound3.page_count + tail
    for index, page in enumerate(reader.pages):
        body_number = index - front + 1
        expected = [str(body_number)] if 1 <= body_number <= bound3.page_count else []
        assert _numbers_in_corner(page) == expected, index
    assert "卷内备考表" in reader.pages[front + bound3.page_count].extract_text()


def test_scans_are_bound_in_order_upright_and_signed_scans_replace_documents(bound3) -> None:  # noqa: ANN001
    titles = [r.title for r in bound3.rows]
    assert (
        titles.index("当事人权利义务告知书（签字件）")
        < titles.index("当事人身份证明：身份证1.jpg")
        < titles.index("证据材料：证据1.jpg")
    )
    assert (
        titles.index("证据材料：证据1.jpg")
        < titles.index("证据材料：证据2.jpg")
        < titles.index("人民调解记录（第1次）（签字件）")
    )
    assert "人民调解协议书（签字件）" in titles and "人民调解协议书" not in titles
    reader = PdfReader(io.BytesIO(bound3.pdf))
    turned = next(r for r in bound3.rows if "横拍" in r.title)
    image = reader.pages[bound3.manifest["pdf"]["front_pages"] + turned.start - 1].images[0].image
    assert image.height > image.width  # EXIF orientation 6 applied: the landscape-stored photo stands upright


def test_a_spreadsheet_is_embedded_and_listed_without_pages(bound3) -> None:  # noqa: ANN001
    sheet = next(r for r in bound3.rows if r.filename == "赔偿明细.xlsx")
    assert (sheet.pages, sheet.source) == ("—", "attachment")
    reader = PdfReader(io.BytesIO(bound3.pdf))
    contents = "".join(p.extract_text() for p in reader.pages[1 : bound3.manifest["pdf"]["front_pages"]])
    assert "赔偿明细.xlsx" in contents and "已嵌入" in contents.replace("\n", "")


def test_manifest_and_originals_are_embedded_as_associated_files(case, bound3) -> None:  # noqa: ANN001
    with pikepdf.open(io.BytesIO(bound3.pdf)) as pdf:
        files = pdf.attachments
        manifest = json.loads(files["manifest.json"].get_file().read_bytes())
        declared = {str(spec.get("/AFRelationship")) for spec in pdf.Root.AF}
        embedded = {hashlib_of(files[name].get_file().read_bytes()) for name in files if name != "manifest.json"}
    assert declared == {"/Data", "/Source"}
    assert {u.sha256 for u in case.uploads} == embedded
    assert manifest["case"]["number"] == case.number and manifest["filing"]["retention"] == "30年"
    by_key = {d["key"]: d for d in manifest["documents"]}
    assert all(len(d["sha256"]) == 64 for d in manifest["documents"])
    assert by_key["agreement:20"]["source"] == "signed_scan"


def hashlib_of(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_xmp_carries_the_archive_properties_with_an_extension_schema(bound3) -> None:  # noqa: ANN001
    with pikepdf.open(io.BytesIO(bound3.pdf)) as pdf:
        xml = bytes(pdf.Root.Metadata.read_bytes()).decode()
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
    for text in (
        "<dossier:volumeNumber>2026-007</dossier:volumeNumber>",
        "<dossier:retention>30年</dossier:retention>",
        "<dossier:archiveNumber>Q1-2026-T-007</dossier:archiveNumber>",
        "pdfaExtension:schemas",
        "王䶮与吉𠮷堃喆宅基地纠纷",
    ):
        assert text in xml


def test_pdf_a_3b_passes_the_own_check_qpdf_and_pdffonts(bound3, tmp_path: Path) -> None:  # noqa: ANN001
    report = conformance.check(bound3.pdf)
    assert report.ok, report.problems
    assert report.part == 3 and "manifest.json" in report.embedded_files
    path = tmp_path / "d.pdf"
    path.write_bytes(bound3.pdf)
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts


def _preflight(path: Path) -> subprocess.CompletedProcess:
    classpath = ":".join(f"/usr/share/java/{jar}.jar" for jar in JARS)
    return subprocess.run(
        ["java", "-cp", classpath, "org.apache.pdfbox.preflight.Validator_A1b", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(
    shutil.which("java") is None or not Path("/usr/share/java/preflight.jar").exists(),
    reason="PDFBox Preflight not installed",
)
def test_pdf_a_1b_with_scans_and_rare_characters_passes_pdfbox_preflight(bound1, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "a1b.pdf"
    path.write_bytes(bound1.pdf)
    result = _preflight(path)
    assert "is a valid PDF/A-1b file" in result.stdout, result.stdout[-2000:]
    assert "王䶮与吉𠮷堃喆" in PdfReader(io.BytesIO(bound1.pdf)).pages[0].extract_text()
    report = conformance.check(bound1.pdf)
    assert report.ok and report.part == 1 and not report.embedded_files


def test_a_broken_pdf_is_reported_by_the_check(bound3) -> None:  # noqa: ANN001
    with pikepdf.open(io.BytesIO(bound3.pdf)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="", R=4))
    assert any("加密" in p for p in conformance.check(out.getvalue(), run_qpdf=False).problems)
    assert not conformance.check(b"%PDF-1.4 nonsense").ok


def test_each_standard_document_prints_on_its_own_with_numbers_at_the_chosen_place(case) -> None:  # noqa: ANN001
    title, pdf = document_pdf(case, "agreement:20", options=Options(page_number_position="bottom-center"))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert title == "人民调解协议书" and "三、经调解，自愿达成如下协议" in text and "11010519491231002X" in text
    masked = replace(case, parties=tuple(replace(p, id_number="110105********002X") for p in case.parties))
    _, pdf = document_pdf(masked, "rights")
    assert (
        "110105********002X" not in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    )  # the notice has no numbers at all
    with pytest.raises(KeyError):
        document_pdf(case, "agreement:999")
