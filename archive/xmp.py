"""XMP for the dossier: the PDF/A identification, the document info mirrored, and the archive's own
properties (卷号, 档号, 责任者, 保管期限 …) declared with a PDF/A extension schema.

Every rdf:Description declares its own namespaces: PDFBox Preflight 2.0 reports "Schema is not set:
pdfaid" when they are declared once on rdf:RDF, as WeasyPrint does (DOMAIN §7).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from pydyf import PDF
    from weasyprint import Document

NS_DOSSIER = "http://tiaojie.example.cn/ns/dossier/1.0/"
PROPERTIES = {  # XMP name → (meaning, for the extension schema)
    "caseNumber": "案号",
    "volumeNumber": "卷号",
    "archiveNumber": "档号",
    "fonds": "全宗名称",
    "responsible": "责任者",
    "mediationPeriod": "调解起止日期",
    "filedBy": "立卷人",
    "filedOn": "立卷日期",
    "retention": "保管期限",
    "pageCount": "页数",
    "dossierVersion": "卷宗版本",
}


def _description(namespaces: dict[str, str], body: str) -> str:
    decl = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in namespaces.items())
    return f'<rdf:Description rdf:about="" {decl}>{body}</rdf:Description>'


def _text(value: object) -> str:
    return escape(str(value))


def packet(
    *,
    part: int,
    conformance: str,
    title: str,
    authors: list[str],
    description: str,
    keywords: list[str],
    creator_tool: str,
    producer: str,
    created: str,
    modified: str,
    properties: dict[str, str],
) -> bytes:
    """The whole XMP packet as bytes."""
    parts = [
        _description(
            {"pdfaid": "http://www.aiim.org/pdfa/ns/id/"},
            f"<pdfaid:part>{part}</pdfaid:part><pdfaid:conformance>{conformance}</pdfaid:conformance>",
        )
    ]
    pdf_body = f"<pdf:Producer>{_text(producer)}</pdf:Producer>"
    if keywords:
        pdf_body += f"<pdf:Keywords>{_text(', '.join(keywords))}</pdf:Keywords>"
    parts.append(_description({"pdf": "http://ns.adobe.com/pdf/1.3/"}, pdf_body))
    dc = ""
    if title:
        dc += f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_text(title)}</rdf:li></rdf:Alt></dc:title>'
    if authors:
        dc += (
            "<dc:creator><rdf:Seq>"
            + "".join(f"<rdf:li>{_text(a)}</rdf:li>" for a in authors)
            + "</rdf:Seq></dc:creator>"
        )
    if description:
        dc += (
            f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{_text(description)}</rdf:li></rdf:Alt>'
            "</dc:description>"
        )
    if dc:
        parts.append(_description({"dc": "http://purl.org/dc/elements/1.1/"}, dc))
    basic = ""
    if creator_tool:
        basic += f"<xmp:CreatorTool>{_text(creator_tool)}</xmp:CreatorTool>"
    if created:
        basic += f"<xmp:CreateDate>{_text(created)}</xmp:CreateDate>"
    if modified:
        basic += (
            f"<xmp:ModifyDate>{_text(modified)}</xmp:ModifyDate><xmp:MetadataDate>{_text(modified)}</xmp:MetadataDate>"
        )
    if basic:
        parts.append(_description({"xmp": "http://ns.adobe.com/xap/1.0/"}, basic))
    values = {k: v for k, v in properties.items() if k in PROPERTIES and v not in (None, "")}
    if values:
        schema_props = "".join(
            '<rdf:li rdf:parseType="Resource">'
            f"<pdfaProperty:name>{name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType>"
            f"<pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>{_text(meaning)}</pdfaProperty:description>"
            "</rdf:li>"
            for name, meaning in PROPERTIES.items()
        )
        extension = (
            '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
            "<pdfaSchema:schema>人民调解卷宗元数据</pdfaSchema:schema>"
            f"<pdfaSchema:namespaceURI>{NS_DOSSIER}</pdfaSchema:namespaceURI><pdfaSchema:prefix>dossier</pdfaSchema:prefix>"
            f"<pdfaSchema:property><rdf:Seq>{schema_props}</rdf:Seq></pdfaSchema:property>"
            "</rdf:li></rdf:Bag></pdfaExtension:schemas>"
        )
        parts.append(
            _description(
                {
                    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
                    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
                    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
                },
                extension,
            )
        )
        parts.append(
            _description(
                {"dossier": NS_DOSSIER}, "".join(f"<dossier:{k}>{_text(v)}</dossier:{k}>" for k, v in values.items())
            )
        )
    body = "".join(parts)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{body}</rdf:RDF></x:xmpmeta>\n'
        '<?xpacket end="w"?>'
    ).encode()


def finisher(variant: str, properties: dict[str, str]) -> Callable[[Document, PDF], None]:
    """A WeasyPrint finisher that replaces the XMP stream WeasyPrint wrote with `packet()`."""
    part = int(variant.split("-")[1][0])
    conformance = variant[-1].upper()

    def finish(document: Document, pdf: PDF) -> None:
        meta = document.metadata
        reference = pdf.catalog["Metadata"]
        raw = reference.decode() if isinstance(reference, bytes) else str(reference)
        stream = pdf.objects[int(raw.split()[0])]
        stream.stream = [
            packet(
                part=part,
                conformance=conformance,
                title=meta.title or "",
                authors=list(meta.authors),
                description=meta.description or "",
                keywords=list(meta.keywords),
                creator_tool=meta.generator or "",
                producer=pdf.info["Producer"].string,
                created=meta.created or "",
                modified=meta.modified or "",
                properties=properties,
            )
        ]

    return finish
