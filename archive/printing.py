"""One standard document on its own, for printing and signing: the same templates, stylesheet, fonts and PDF/A
variant as the bound dossier (templates/pdf/single.html)."""

from __future__ import annotations

from archive.contents import compose
from archive.model import CaseData, FilingData, Options
from archive.order import DOCUMENTS, PRINTABLE, Document, transfer_form
from archive.render import Renderer


def document_pdf(
    case: CaseData, key: str, *, options: Options | None = None, filing: FilingData | None = None
) -> tuple[str, bytes]:
    """(title, PDF bytes) of the document `key` ("rights", "agreement:12", "transfer:0", "notes" …)."""
    options = options or Options()
    prefix, _, ref = key.partition(":")
    if prefix not in PRINTABLE:
        raise KeyError(key)
    renderer = Renderer(options.variant, options.page_number_position)
    context: dict[str, object] = {
        "case": case,
        "record": None,
        "transfer": None,
        "filing": filing or FilingData(),
        "variant": options.variant,
    }
    if prefix == "notes":
        return "卷内备考表", renderer.single(
            "docs/notes.html",
            title=f"卷内备考表 {case.number}",
            doc_title="卷内备考表",
            authors=[case.committee],
            doc_count=len(compose(case)),
            page_count="＿＿",
            attached=0,
            **context,
        )
    document = DOCUMENTS[prefix]
    if prefix == "transfer":
        if not ref.isdigit() or not 0 <= int(ref) < len(case.transfers):
            raise KeyError(key)
        context["transfer"] = case.transfers[int(ref)]
        author = case.transfers[int(ref)].from_org
        own = transfer_form(case.transfers[int(ref)].kind)
        if own is not None:
            document = Document(document.slot, own[0], own[1], document.signed)
    elif ref:
        kind = "agreement oral_agreement" if prefix == "quadruplicate" else prefix
        record = next((r for r in case.records if r.kind in kind.split() and r.ref == ref), None)
        if record is None:
            raise KeyError(key)
        context["record"] = record
        author = case.body(record.org)
    elif prefix in ("application", "registration", "rights", "quadruplicate"):
        author = case.body(case.registered_by if prefix != "rights" else case.accepted_by)
    else:
        raise KeyError(key)
    return document.title, renderer.single(
        document.template,
        title=f"{document.title} {case.number}",
        doc_title=document.title,
        authors=[author],
        **context,
    )
