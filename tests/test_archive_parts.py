"""The archive library's parts without rendering: order and pre-check, uploads into pages, storage and
fixity, retention, hand-over packages, the URL fetcher."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import replace
from datetime import date

import pikepdf
import pytest
from PIL import Image

from archive import handover, pages, samples, storage
from archive.contents import compose
from archive.order import DEFAULT_ORDER, with_slots
from archive.render import fetcher
from archive.retention import default_retention, ends_on
from archive.review import precheck


def test_a_complete_signed_case_passes_the_precheck() -> None:
    assert precheck(samples.case()) == []


def test_the_precheck_names_what_is_missing_and_unsigned() -> None:
    case = samples.case(signed=False)
    case = replace(case, uploads=tuple(u for u in case.uploads if u.doc_type != "当事人身份证明"))
    messages = [p.message for p in precheck(case)]
    assert any("缺少当事人身份证明" in m and "请上传" in m for m in messages)
    assert any(m.startswith("人民调解协议书尚未签字") for m in messages)
    assert any(m.startswith("人民调解记录（第2次）尚未签字") for m in messages)
    no_followup = replace(case, records=tuple(r for r in case.records if r.kind != "followup"))
    assert any("缺少人民调解回访记录" in p.message for p in precheck(no_followup))  # it was followed up (evaluated) …
    closed = replace(no_followup, state="closed")
    assert not any("回访" in p.message for p in precheck(closed))  # … a case only closed has no visit yet …
    stricter = with_slots(DEFAULT_ORDER, followup={"required": "accepted"})
    assert any(
        "缺少人民调解回访记录" in p.message for p in precheck(closed, stricter)
    )  # … unless a county requires it of every accepted case


def test_the_order_is_data_and_follows_sort_keys() -> None:
    items = compose(samples.case())
    keys = [DEFAULT_ORDER[[s.code for s in DEFAULT_ORDER].index(i.slot)].sort_key for i in items]
    assert keys == sorted(keys)
    moved = with_slots(DEFAULT_ORDER, evidence={"sort_key": 5})
    assert compose(samples.case(), moved)[0].slot == "evidence"


def test_images_become_upright_a4_pages_without_alpha() -> None:
    turned = samples.upload(samples.scan(1754, 1240, orientation=6), "t.jpg", "image/jpeg", "证据材料")
    [page] = pages.prepare(turned, dpi=150).pages
    image = Image.open(io.BytesIO(page))
    assert image.height > image.width and image.format == "JPEG"
    huge = samples.upload(samples.scan(4960, 7016, fmt="PNG", mode="RGBA"), "h.png", "image/png", "证据材料")
    image = Image.open(io.BytesIO(pages.prepare(huge, dpi=150).pages[0]))
    assert image.mode == "RGB" and image.width <= int(7.33 * 150)


def test_pdf_uploads_are_bound_page_by_page() -> None:
    pdf = pikepdf.new()
    for _ in range(3):
        pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out)
    prepared = pages.prepare(samples.upload(out.getvalue(), "三页.pdf", "application/pdf", "证据材料"), dpi=50)
    assert len(prepared.pages) == 3


def test_encrypted_corrupt_and_unsupported_files_are_refused_with_reasons() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u"))
    bad = [
        samples.upload(out.getvalue(), "加密.pdf", "application/pdf", "证据材料"),
        samples.upload(b"%PDF-1.4\n garbage", "坏.pdf", "application/pdf", "证据材料"),
        samples.upload(b"\xff\xd8\xff\xe0 broken", "坏图.jpg", "image/jpeg", "证据材料"),
        samples.upload(b"GIF89a", "动图.gif", "image/gif", "证据材料"),
    ]
    problems = pages.inspect(bad)
    assert len(problems) == 4
    assert "“加密.pdf”是加密的 PDF" in problems[0] and "“坏.pdf”不是完好的 PDF" in problems[1]
    assert "“坏图.jpg”图片已损坏" in problems[2] and "“动图.gif”的类型不能装订" in problems[3]
    with pytest.raises(pages.Unbindable, match="加密"):
        pages.prepare(bad[0])


def test_storage_is_content_addressed_atomic_and_verify_finds_one_changed_byte(tmp_path) -> None:
    stored = storage.put(tmp_path, b"%PDF-1.7 dossier")
    again = storage.put(tmp_path, b"%PDF-1.7 dossier")
    assert stored == again and stored.sha256 == hashlib.sha256(b"%PDF-1.7 dossier").hexdigest()
    other = storage.put(tmp_path, b"%PDF-1.7 other")
    assert [f.status for f in storage.verify(tmp_path, [(stored.key, stored.sha256), (other.key, other.sha256)])] == [
        "ok",
        "ok",
    ]
    path = tmp_path / stored.key
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[3] ^= 1
    path.write_bytes(bytes(data))
    (tmp_path / other.key).unlink()
    assert [f.status for f in storage.verify(tmp_path, [(stored.key, stored.sha256), (other.key, other.sha256)])] == [
        "changed",
        "missing",
    ]
    with pytest.raises(ValueError):
        storage.read(tmp_path, stored.key, stored.sha256)
    assert not list(tmp_path.rglob(".store-*"))


def test_the_default_retention_rule() -> None:
    assert default_retention(dispute_code="0201", dispute_name="相邻通行纠纷") == "10年"
    assert default_retention(dispute_code="0301", dispute_name="宅基地纠纷") == "30年"
    assert default_retention(dispute_code="08", dispute_name="征地拆迁") == "30年"
    assert default_retention(dispute_code="0101", judicial_confirmation=True) == "30年"
    assert default_retention(dispute_code="10", group_dispute=True, major=True) == "永久"
    assert ends_on("10年", date(2026, 4, 20)) == date(2036, 4, 20) and ends_on("永久", date(2026, 4, 20)) is None


def test_a_handover_package_has_pdfs_manifests_and_a_checksum_list(tmp_path) -> None:
    entries = [
        handover.Entry(
            name=f"2026-00{n}_v1",
            pdf=f"%PDF {n}".encode(),
            manifest={"case": {"number": f"N{n}"}},
            sha256=hashlib.sha256(f"%PDF {n}".encode()).hexdigest(),
        )
        for n in (1, 2)
    ]
    with zipfile.ZipFile(io.BytesIO(handover.build_zip(entries))) as package:
        names = set(package.namelist())
        sums = dict(reversed(line.split("  ")) for line in package.read("SHA256SUMS").decode().splitlines())
        assert {"2026-001_v1/2026-001_v1.pdf", "2026-002_v1/manifest.json", "package.json", "SHA256SUMS"} <= names
        assert all(hashlib.sha256(package.read(name)).hexdigest() == digest for name, digest in sums.items())
    with pytest.raises(ValueError, match="SHA-256"):
        handover.build_zip([replace(entries[0], pdf=b"changed")])
    assert len(handover.build_folder(entries, tmp_path / "out")) == 6


def test_the_url_fetcher_serves_static_only(tmp_path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("p{}")
    fetch = fetcher(tmp_path, {"0-0": b"\xff\xd8\xffdata"})
    assert fetch.fetch((tmp_path / "css" / "a.css").as_uri()).status == 200
    assert fetch.fetch("mem:0-0").headers.get_content_type() == "image/jpeg"
    for url in ("http://example.com/x.png", "file:///etc/passwd", (tmp_path / ".." / "x").as_uri(), "mem:nope"):
        with pytest.raises(ValueError):
            fetch.fetch(url)
