"""Materials and signed scans are refused when they carry JavaScript, launch actions or XFA, are encrypted, cannot be
opened, or are two file types at once (PDF/ZIP and image/ZIP polyglots); plain files still go in."""

from __future__ import annotations

import io
import zipfile

import pikepdf
import pytest
from factories import build_world, csrf, sign_in
from matrix_cases import insert_case
from sqlmodel import Session, select
from test_case_files import PDF, docx

from archive import samples
from portal.cases import files
from portal.cases.models import CaseFile, CaseState


def _pdf(change=None, **save) -> bytes:  # noqa: ANN001, ANN003
    pdf = pikepdf.new()
    pdf.add_blank_page()
    if change:
        change(pdf)
    out = io.BytesIO()
    pdf.save(out, **save)
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.js", "alert(1)")
    return out.getvalue()


def _open_action(pdf) -> None:  # noqa: ANN001
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))


def _names_tree(pdf) -> None:  # noqa: ANN001
    script = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(2)")))
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), script]))
    )


def _page_action(pdf) -> None:  # noqa: ANN001
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("x")))


def _annotation(pdf) -> None:  # noqa: ANN001
    link = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=pikepdf.Array([0, 0, 100, 100]),
        A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe")),
    )
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))


def _xfa(pdf) -> None:  # noqa: ANN001
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pdf.make_stream(b"<xdp/>"))


REFUSED = {
    "JavaScript on opening": (_pdf(_open_action), "JavaScript"),
    "JavaScript in the names tree": (_pdf(_names_tree), "JavaScript"),
    "JavaScript as a page action": (_pdf(_page_action), "JavaScript"),
    "a launch action in an annotation": (_pdf(_annotation), "启动外部程序"),
    "an XFA form": (_pdf(_xfa), "XFA"),
    "encrypted, no password to open": (_pdf(encryption=pikepdf.Encryption(owner="o", user="")), "加密"),
    "encrypted with a password": (_pdf(encryption=pikepdf.Encryption(owner="o", user="u")), "加密"),
    "a PDF that is also a ZIP": (_pdf() + _zip(), "混合文件"),
    "a ZIP that is also a PDF": (docx()[:30] + b"%PDF-1.4\n" + docx()[30:], "混合文件"),
    "a JPEG that is also a ZIP": (samples.scan(60, 80) + _zip(), "混合文件"),
    "a broken PDF": (b"%PDF-1.4\n garbage", "不是完好的 PDF"),
}


@pytest.mark.parametrize("what", REFUSED)
def test_the_checker_refuses(what: str) -> None:
    data, reason = REFUSED[what]
    kind = files.sniff(data[:16], data)
    assert kind is not None and reason in (files.refusal(kind, data) or "")


@pytest.mark.parametrize("data", [PDF, _pdf(), docx(), samples.scan(60, 80)])
def test_plain_files_pass_the_checker(data: bytes) -> None:
    assert files.refusal(files.sniff(data[:16], data), data) is None


@pytest.mark.parametrize(
    "what", ["JavaScript on opening", "encrypted, no password to open", "a PDF that is also a ZIP"]
)
def test_a_refused_material_is_not_stored_and_the_page_says_why(client, engine, settings, what: str) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a", state=CaseState.ACCEPTED)
    sign_in(client, "a.clerk")
    data, reason = REFUSED[what]
    response = client.post(
        f"/cases/{case.id}/files",
        data={"doc_type": "证据材料", "_csrf_token": csrf(client)},
        files={"file": ("材料.pdf", data, "application/pdf")},
    )
    assert "上传未成功" in response.text and reason in response.text
    with Session(engine) as db:
        assert db.exec(select(CaseFile)).first() is None
    assert not any(p.is_file() for p in settings.uploads_dir.rglob("*")) if settings.uploads_dir.exists() else True


@pytest.mark.parametrize(
    "what", ["JavaScript as a page action", "a launch action in an annotation", "a JPEG that is also a ZIP"]
)
def test_a_refused_signed_scan_is_not_stored(client, engine, settings, what: str) -> None:
    from test_dossiers import _ready_case

    world = build_world(engine)
    case_id = _ready_case(engine, settings, world, signed=False)
    sign_in(client, "a.clerk")
    data, reason = REFUSED[what]
    before = _files(engine)
    response = client.post(
        f"/cases/{case_id}/dossier/scans",
        data={"doc_key": "rights", "_csrf_token": csrf(client)},
        files={"file": ("告知书.pdf", data, "application/octet-stream")},
    )
    assert reason in response.text and _files(engine) == before


def _files(engine) -> int:  # noqa: ANN001
    with Session(engine) as db:
        return len(db.exec(select(CaseFile)).all())
