"""The project's own PDF/A conformance check (DOMAIN §7): what PDFBox cannot check for A-2/A-3.

Output intent, XMP `pdfaid`, every font embedded, no encryption, no JavaScript, embedded files
declared as associated files (A-3), plus `qpdf --check`. Used by the tests and by filing itself.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf


@dataclass
class Report:
    part: int | None = None
    conformance: str = ""
    problems: list[str] = field(default_factory=list)
    pages: int = 0
    fonts: int = 0
    embedded_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        head = f"PDF/A-{self.part}{self.conformance.lower()}" if self.part else "不是 PDF/A"
        if self.ok:
            return f"符合：{head}，{self.pages} 页，{self.fonts} 个字体全部嵌入，{len(self.embedded_files)} 个附件"
        return f"不符合（{head}）：" + "；".join(self.problems)


def _fonts(pdf: pikepdf.Pdf) -> list[tuple[str, bool]]:
    found: dict[tuple[int, int], tuple[str, bool]] = {}

    def visit(font: pikepdf.Object) -> None:
        key = font.objgen if font.is_indirect else (id(font), 0)
        if key in found:
            return
        subtype = str(font.get("/Subtype", ""))
        name = str(font.get("/BaseFont", "?"))
        if subtype == "/Type0":
            for child in font.get("/DescendantFonts", []):
                visit(child)
            found[key] = (name, True)
            return
        if subtype == "/Type3":
            found[key] = (name, True)
            return
        descriptor = font.get("/FontDescriptor")
        embedded = descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        found[key] = (name, embedded)

    def resources(res: pikepdf.Object | None, depth: int = 0) -> None:
        if res is None or depth > 8:
            return
        for font in (res.get("/Font") or {}).values():
            visit(font)
        for xobj in (res.get("/XObject") or {}).values():
            if xobj.get("/Subtype") == "/Form":
                resources(xobj.get("/Resources"), depth + 1)

    for page in pdf.pages:
        resources(page.obj.get("/Resources"))
    return list(found.values())


def check(data: bytes, *, run_qpdf: bool = True) -> Report:
    """Check PDF bytes; the report lists every problem found, in Chinese."""
    report = Report()
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        report.problems.append("文件已加密")
        return report
    except pikepdf.PdfError as exc:
        report.problems.append(f"不是可读的 PDF：{exc}")
        return report
    with pdf:
        report.pages = len(pdf.pages)
        if pdf.is_encrypted:
            report.problems.append("文件已加密（PDF/A 不允许加密）")
        root = pdf.Root
        try:
            meta = pdf.open_metadata()
            part = meta.get("pdfaid:part")
            report.part = int(part) if part else None
            report.conformance = meta.get("pdfaid:conformance") or ""
        except Exception as exc:  # noqa: BLE001 — a broken XMP packet is a finding, not a crash
            report.problems.append(f"XMP 元数据无法读取：{exc}")
        if not report.part:
            report.problems.append("XMP 元数据缺少 pdfaid:part（不是 PDF/A）")
        elif report.part == 1 and pdf.pdf_version > "1.4":
            report.problems.append(f"PDF/A-1 须为 PDF 1.4，实为 {pdf.pdf_version}")
        intents: pikepdf.Object | list[pikepdf.Object] = root.get("/OutputIntents") or []
        if not any(str(i.get("/S")) == "/GTS_PDFA1" and i.get("/DestOutputProfile") is not None for i in intents):
            report.problems.append("缺少 PDF/A 输出意图（OutputIntent GTS_PDFA1 与 ICC 配置文件）")
        fonts = _fonts(pdf)
        report.fonts = len(fonts)
        missing = [name for name, embedded in fonts if not embedded]
        if missing:
            report.problems.append("字体未嵌入：" + "、".join(missing))
        if "/JavaScript" in (root.get("/Names") or {}) or "/OpenAction" in root and "/JS" in root.OpenAction:
            report.problems.append("含有 JavaScript")
        if "/AA" in root:
            report.problems.append("含有自动动作（/AA）")
        for page in pdf.pages:
            for annot in page.obj.get("/Annots") or []:
                action = annot.get("/A")
                if action is not None and str(action.get("/S")) == "/JavaScript":
                    report.problems.append("批注中含有 JavaScript")
        names = root.get("/Names")
        embedded = names.get("/EmbeddedFiles") if names is not None else None
        declared = {spec.objgen for spec in (root.get("/AF") or [])}
        if embedded is not None:
            entries = list(embedded.get("/Names") or [])
            for name, spec in zip(entries[::2], entries[1::2], strict=False):  # a stray odd entry is ignored
                report.embedded_files.append(str(name))
                if report.part and report.part < 3:
                    report.problems.append(f"PDF/A-{report.part} 不允许嵌入文件：{name}")
                elif spec.objgen not in declared or "/AFRelationship" not in spec:
                    report.problems.append(f"附件未声明为关联文件（/AF、/AFRelationship）：{name}")
                ef = spec.get("/EF")
                if ef is None or ef.get("/F") is None or "/Subtype" not in ef.F:
                    report.problems.append(f"附件缺少 MIME 类型：{name}")
    if run_qpdf:
        problem = qpdf_check(data)
        if problem:
            report.problems.append(problem)
    return report


def qpdf_check(data: bytes) -> str:
    """'' when `qpdf --check` is content, else its complaint."""
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        return "未安装 qpdf，无法做结构检查"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        tmp.write(data)
        tmp.flush()
        result = subprocess.run([qpdf, "--check", tmp.name], capture_output=True, text=True, timeout=120, check=False)
    if result.returncode == 0:
        return ""
    lines = [
        line for line in (result.stdout + result.stderr).splitlines() if re.search(r"error|warning|damaged", line, re.I)
    ]
    return "qpdf --check 报告问题：" + "；".join(lines[:5] or [f"退出码 {result.returncode}"])


def check_file(path: Path) -> Report:
    return check(Path(path).read_bytes())
