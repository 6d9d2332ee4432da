"""Uploaded files of a case: checked by content, limited in size, stored once by SHA-256, written atomically."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pikepdf
from sqlalchemy import bindparam
from sqlmodel import Session, select

from archive import storage
from portal.cases.access import record_change, require_act
from portal.cases.models import Case, CaseFile, CaseState, Party
from portal.cases.parties import can_reveal
from portal.errors import Forbidden, Invalid
from portal.people.models import Role
from portal.scope import OutOfScope, Principal

UPLOAD_ROLES = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR)
DOC_TYPES = [
    "申请书",
    "当事人身份证明",
    "授权委托书",
    "证据材料",
    "调查材料",
    "签字文书扫描件",
    "履行凭证",
    "司法确认材料",
    "其他材料",
]
# Materials that are, in substance, identity numbers (the ID-card copy): downloaded only by those who may reveal the
# parties' numbers on the case (parties.can_reveal), as the numbers themselves.
IDENTITY_DOC_TYPES = ("当事人身份证明",)
LOCKED_STATES = (CaseState.EVALUATED,)  # after evaluation the dossier is being assembled: nothing is removed any more
# …but what the dossier still lacks (an ID copy, a receipt) may be added until it is filed, by the archivist too.
ASSEMBLY_ROLES = (*UPLOAD_ROLES, Role.ARCHIVIST)


def upload_what(case: Case) -> str:
    return "补充立卷材料" if case.state in LOCKED_STATES else "上传材料"


def upload_roles(case: Case) -> tuple[Role, ...]:
    """Who may add materials to `case` now (filing, checked by require_act, ends it for everyone)."""
    return ASSEMBLY_ROLES if case.state in LOCKED_STATES else UPLOAD_ROLES


@dataclass(frozen=True)
class Sniffed:
    media_type: str
    extension: str
    label: str


def sniff(head: bytes, data: bytes) -> Sniffed | None:
    """What the bytes really are; the file's name and the browser's claim are not trusted."""
    if head.startswith(b"%PDF-"):
        return Sniffed("application/pdf", "pdf", "PDF")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", "jpg", "JPEG 图片")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", "png", "PNG 图片")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image/tiff", "tif", "TIFF 图片")
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return Sniffed(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word 文档"
            )
        if "xl/workbook.xml" in names:
            return Sniffed("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel 表格")
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Sniffed("application/x-ole-storage", "doc", "旧版 Office 文档")
    return None


_ACTIONS = {"/JavaScript": "JavaScript 脚本", "/Launch": "启动外部程序的动作"}
_SCRIPT_KEYS = {"/JS": "JavaScript 脚本", "/JavaScript": "JavaScript 脚本", "/XFA": "XFA 动态表单（可含脚本）"}
_MAX_PDF_NODES = 500_000  # a scan or a Word export has a few thousand; more is a file built to keep the check busy
ZIP_KINDS = ("docx", "xlsx")


def _is_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return bool(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False


def _pdf_refusal(data: bytes) -> str | None:
    try:
        with pikepdf.open(BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                return "加密的 PDF 不予接受：请上传未加密的文件。"
            seen: set[tuple[int, int]] = set()
            stack: list = [pdf.trailer, *pdf.objects]
            nodes = 0
            while stack:
                nodes += 1
                if nodes > _MAX_PDF_NODES:
                    return "PDF 的内部结构过于复杂，无法检查，不予接受。"
                obj = stack.pop()
                if not isinstance(obj, pikepdf.Object):  # numbers and booleans come back as Python values
                    continue
                if obj.is_indirect:
                    if obj.objgen in seen:
                        continue
                    seen.add(obj.objgen)
                if isinstance(obj, pikepdf.Stream):
                    obj = obj.stream_dict
                if isinstance(obj, pikepdf.Dictionary):
                    for key in obj.keys():  # noqa: SIM118 - a pikepdf Dictionary
                        if key in _SCRIPT_KEYS:
                            return f"PDF 含有{_SCRIPT_KEYS[key]}，不予接受：请打印为普通 PDF 或扫描后上传。"
                    action = obj.get("/S")
                    if isinstance(action, pikepdf.Name) and str(action) in _ACTIONS:
                        return f"PDF 含有{_ACTIONS[str(action)]}，不予接受：请打印为普通 PDF 或扫描后上传。"
                    stack.extend(obj.values())
                elif isinstance(obj, pikepdf.Array):
                    stack.extend(obj)
    except pikepdf.PasswordError:
        return "加密的 PDF（需要密码）不予接受：请上传未加密的文件。"
    except (pikepdf.PdfError, RecursionError, ValueError):
        return "不是完好的 PDF 文件（已损坏或无法读取），请重新生成或扫描后上传。"
    return None


def refusal(kind: Sniffed, data: bytes) -> str | None:
    """Why a file of a supported type is still not taken, or None. PDFs must open, unencrypted, without JavaScript,
    launch actions or XFA; no file may be two things at once (a PDF or an image that is also a ZIP archive, an Office
    document that a PDF reader would open as a PDF): such polyglots pass one check as one type and act as another."""
    if kind.extension in ZIP_KINDS:
        if b"%PDF-" in data[:1024]:  # PDF readers look for the header anywhere in the first kilobyte
            return "文件同时是 PDF 和压缩包（混合文件），不予接受。"
        return None
    if _is_zip(data):
        return f"文件同时是{kind.label}和压缩包（混合文件），不予接受：请重新生成或扫描后上传。"
    if kind.extension == "pdf":
        return _pdf_refusal(data)
    return None


def store(root: Path, data: bytes) -> tuple[str, str]:
    """Write the bytes under `root` by their SHA-256, atomically (archive.storage.write_once); the same content
    is kept once."""
    digest = hashlib.sha256(data).hexdigest()
    key = f"{digest[:2]}/{digest}"
    storage.write_once(root / key, data, read_only=False)
    return digest, key


def upload(
    db: Session,
    principal: Principal,
    case: Case,
    *,
    filename: str,
    data: bytes,
    doc_type: str,
    root: Path,
    max_bytes: int,
    address: str = "",
    provided_by: str = "",
) -> CaseFile:
    require_act(principal, case, upload_roles(case), upload_what(case))
    return record_upload(
        db,
        principal,
        case,
        prepare(filename=filename, data=data, doc_type=doc_type, root=root, max_bytes=max_bytes),
        address=address,
        provided_by=provided_by,
    )


@dataclass(frozen=True)
class Prepared:
    """An upload checked and stored, not yet recorded: what record_upload needs."""

    filename: str
    doc_type: str
    kind: Sniffed
    size: int
    sha256: str
    storage_key: str


def may_upload(principal: Principal) -> bool:
    """Whether the person may upload materials to any case at all (read nothing: before prepare)."""
    return bool(principal.roots(*UPLOAD_ROLES, *ASSEMBLY_ROLES))


def prepare(*, filename: str, data: bytes, doc_type: str, root: Path, max_bytes: int) -> Prepared:
    """Check the upload (type by content, size, category) and store it by SHA-256: no database, so the page does it
    before its write transaction begins, which then only records it (writing and syncing 20 MB takes a while, and on
    SQLite every other change would wait). A file stored for an upload refused afterwards stays, unreferenced."""
    errors: dict[str, str] = {}
    if doc_type not in DOC_TYPES:
        errors["doc_type"] = "请选择材料类别。"
    if not data:
        errors["file"] = "请选择要上传的文件。"
    elif len(data) > max_bytes:
        errors["file"] = f"文件过大（{len(data) / 1048576:.1f} MB），单个文件不能超过 {max_bytes // 1048576} MB。"
    kind = sniff(data[:16], data) if data and "file" not in errors else None
    if data and "file" not in errors and kind is None:
        errors["file"] = (
            "不支持该文件类型：只接受 PDF、JPEG/PNG/TIFF 图片和 Word、Excel 文档（按文件内容判断，改扩展名无效）。"
        )
    elif kind is not None and (problem := refusal(kind, data)):
        errors["file"] = problem
    if errors:
        raise Invalid(errors)
    digest, key = store(root, data)
    name = Path(filename or "upload").name[:200] or "upload"
    return Prepared(name, doc_type, kind, len(data), digest, key)


def record_upload(
    db: Session, principal: Principal, case: Case, upload: Prepared, *, address: str = "", provided_by: str = ""
) -> CaseFile:
    """Add a prepared upload to the case (the caller checked require_act); `provided_by` names one of its parties."""
    owners = {p.name for p in db.exec(select(Party).where(Party.case_id == case.id))}
    if provided_by and provided_by not in owners:
        raise Invalid({"provided_by": "请从本案当事人中选择材料所属的当事人。"})
    record = CaseFile(
        case_id=case.id,
        doc_type=upload.doc_type,
        filename=upload.filename,
        media_type=upload.kind.media_type,
        size=upload.size,
        sha256=upload.sha256,
        storage_key=upload.storage_key,
        uploaded_by=principal.person.id,
        provided_by=provided_by,
    )
    db.add(record)
    record_change(
        db,
        principal,
        case,
        kind="file",
        event=f"上传{upload.doc_type}：{upload.filename}（{upload.kind.label}，{upload.size // 1024} KB）",
        action="case.upload",
        summary=f"上传材料 {upload.filename}（SHA-256 {upload.sha256[:12]}…）：{case.number}",
        address=address,
    )
    return record


# Prepared once (bound per call): the case page runs it on every view,
# and SQLAlchemy then neither rebuilds nor re-keys it.
_FILES = (
    select(CaseFile)
    .where(CaseFile.case_id == bindparam("case_id"), CaseFile.removed == False)  # noqa: E712
    .order_by(CaseFile.id)
)


def files_of(db: Session, case: Case) -> list[CaseFile]:
    return list(db.exec(_FILES, params={"case_id": case.id}).all())


def get_file(db: Session, case: Case, file_id: int) -> CaseFile:
    record = db.get(CaseFile, file_id)
    if record is None or record.case_id != case.id or record.removed:
        raise OutOfScope("材料不存在。", object_type="case_file", object_id=file_id)
    return record


def may_download(principal: Principal, case: Case, record: CaseFile) -> bool:
    """The reveal rule for identity materials; any other material, whoever sees the case."""
    return record.doc_type not in IDENTITY_DOC_TYPES or can_reveal(principal, case)


def read(root: Path, record: CaseFile) -> bytes:
    """The stored bytes, checked against the recorded SHA-256 (a mismatch is an incident, never served)."""
    data = (root / record.storage_key).read_bytes()
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise RuntimeError(f"stored file {record.storage_key} does not match its SHA-256")
    return data


def remove(db: Session, principal: Principal, case: Case, file_id: int, *, address: str = "") -> None:
    """Mark a file removed (the bytes and the row stay: the audit trail and later dossiers may cite them)."""
    require_act(principal, case, UPLOAD_ROLES, "删除材料")
    if case.state in LOCKED_STATES:
        raise Forbidden(f"案件{case.state.label}，不能再删除材料。")
    record = get_file(db, case, file_id)
    record.removed = True
    db.add(record)
    record_change(
        db,
        principal,
        case,
        kind="file",
        event=f"删除材料：{record.filename}",
        action="case.remove_file",
        summary=f"删除材料 {record.filename}：{case.number}",
        address=address,
    )
