"""WeasyPrint with the project's rules: templates from templates/pdf, a fetcher that serves only
static/ from disk (and the dossier's own page images from memory), embedded subset fonts, at most
two renders at a time, and XMP that PDFBox Preflight accepts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from archive import xmp

if TYPE_CHECKING:
    from weasyprint import Document
    from weasyprint.urls import URLFetcher

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates" / "pdf"
STATIC = ROOT / "static"
VARIANTS = ("pdf/a-3b", "pdf/a-1b")
# A-1 forbids OpenType (CFF) font files: WenQuanYi Zen Hei is TrueType; HanaMinA/B (TrueType) cover CJK Ext A/B (𠮷).
FONTS = {
    "pdf/a-3b": '"Noto Serif CJK SC", "Noto Sans CJK SC", "HanaMinA", "HanaMinB"',
    "pdf/a-1b": '"WenQuanYi Zen Hei", "HanaMinA", "HanaMinB"',
}
HEADING_FONTS = {
    "pdf/a-3b": '"Noto Sans CJK SC", "HanaMinA", "HanaMinB"',
    "pdf/a-1b": '"WenQuanYi Zen Hei", "HanaMinA", "HanaMinB"',
}
POSITIONS = ("top-right", "top-left", "outer", "bottom-right", "bottom-center", "bottom-left")
_SLOTS = threading.BoundedSemaphore(2)  # two cores: never more than two renders at once


@contextmanager
def render_slot() -> Iterator[None]:
    with _SLOTS:
        yield


def cn_date(value: date | datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            day: date = date.fromisoformat(value)
        except ValueError:
            return value
    else:
        day = value
    return f"{day.year}年{day.month}月{day.day}日"


def environment(templates: Path = TEMPLATES) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = cn_date
    env.filters["blank"] = lambda v, width=8: v if v not in (None, "") else "\u3000" * width
    return env


# The page margins (mm: top, right, bottom, left) of text pages and scan pages, as in static/css/dossier.css; the
# page number keeps the same distance from the paper's edge on both (EDGE_MM from the top or bottom edge, and the
# text pages' side margin from the side), so a scan page's number does not sit closer to the edge than a text page's.
MARGINS = {"body": (30, 22, 25, 28), "body-scan": (14, 12, 12, 12)}
EDGE_MM = 8


def page_number_css(position: str) -> str:
    """The margin box that carries the page number on body pages (and "第 N 页 共 M 页" on single prints)."""
    if position not in POSITIONS:
        raise ValueError(f"unknown page number position {position!r}; one of {', '.join(POSITIONS)}")
    _, text_right, _, text_left = MARGINS["body"]

    def rule(name: str, box: str) -> str:
        _, right, _, left = MARGINS[name]
        vertical, side = box.split("-")
        pad = [f"padding-{vertical}: {EDGE_MM}mm", f"vertical-align: {'top' if vertical == 'top' else 'bottom'}"]
        if side == "right":
            pad.append(f"padding-right: {text_right - right}mm")
        elif side == "left":
            pad.append(f"padding-left: {text_left - left}mm")
        else:  # centred on the text pages' page area
            pad.append(f"padding-left: {max(0, (text_left - text_right) - (left - right))}mm")
        return (
            f"@{box} {{ content: counter(page); font-size: 10.5pt; line-height: 1; font-family: var(--font); "
            + "; ".join(pad)
            + "; }"
        )

    css = []
    for name in MARGINS:
        if position == "outer":  # top right on the front, top left on the back (double-sided binding)
            css.append(
                f"@page {name}:right {{ {rule(name, 'top-right')} }} @page {name}:left {{ {rule(name, 'top-left')} }}"
            )
        else:
            css.append(f"@page {name} {{ {rule(name, position)} }}")
    css.append(
        '@page single { @bottom-center { content: "第 " counter(page) " 页　共 " counter(pages) " 页"; '
        "font-size: 9pt; font-family: var(--font); } }"
    )
    return " ".join(css)


def fetcher(static: Path = STATIC, memory: dict[str, bytes] | None = None) -> URLFetcher:
    """Serve `static/` from disk and `mem:` resources from the dict; refuse everything else (no network, no file://
    elsewhere)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = static.resolve()
    store = memory if memory is not None else {}

    class StaticFetcher(URLFetcher):
        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            if parts.scheme == "mem" and url[4:] in store:
                data = store[url[4:]]
                kind = "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "application/octet-stream"
                return URLFetcherResponse(url, data, {"Content-Type": kind})
            if parts.scheme == "file":
                target = Path(unquote(parts.path)).resolve()
                if target.is_relative_to(root) and target.is_file():
                    kind = "text/css" if target.suffix == ".css" else "application/octet-stream"
                    return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": kind})
            raise ValueError(f"refused to fetch {url!r}: only static/ and the dossier's own images")

    return StaticFetcher()


def _opaque(finish: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """PDF/A-1 forbids transparency groups; WeasyPrint draws SVG text anchored at its middle or end (the charts'
    labels) in one. Nothing in an A-1 document is transparent, so the group changes nothing and is dropped."""

    def run(document: Any, pdf: Any) -> None:
        for obj in pdf.objects:
            group = getattr(obj, "extra", {}).get("Group") if hasattr(obj, "extra") else None
            if group is not None and str(group.get("S", "")) == "/Transparency":
                del obj.extra["Group"]
        finish(document, pdf)

    return run


class Renderer:
    """Renders HTML from templates/pdf into WeasyPrint documents sharing one font configuration."""

    def __init__(
        self, variant: str = "pdf/a-3b", position: str = "top-right", templates: Path = TEMPLATES, static: Path = STATIC
    ) -> None:
        from weasyprint.text.fonts import FontConfiguration

        if variant not in VARIANTS:
            raise ValueError(f"unsupported PDF variant {variant!r}; one of {', '.join(VARIANTS)}")
        self.variant = variant
        self.position = position
        self.env = environment(templates)
        self.static = static
        self.memory: dict[str, bytes] = {}
        self.fonts = FontConfiguration()
        self.css = (
            f":root {{ --font: {FONTS[variant]}; --heading-font: {HEADING_FONTS[variant]}; }} "
            f"html, body {{ font-family: {FONTS[variant]}; }} {page_number_css(position)}"
        )

    def html(self, page: str, **context: object) -> str:
        """`page` (a file in templates/pdf) rendered with `context`."""
        return self.env.get_template(page).render({"variant": self.variant, **context})

    def document(self, html: str) -> Document:
        """Lay out `html` (a WeasyPrint Document: pages with their anchors)."""
        from weasyprint import CSS, HTML

        stylesheet = CSS(string=self.css, font_config=self.fonts)
        return HTML(
            string=html, base_url=self.static.resolve().as_uri() + "/", url_fetcher=fetcher(self.static, self.memory)
        ).render(stylesheets=[stylesheet], font_config=self.fonts)

    def write(
        self,
        document: Document,
        *,
        attachments: list[tuple[str, bytes, str, str]] | None = None,
        properties: dict[str, str] | None = None,
    ) -> bytes:
        """The PDF/A bytes: subset fonts, attachments (A-3 only), XMP with the archive's own properties."""
        from weasyprint import Attachment

        atts = [
            Attachment(string=data, name=name, description=desc, relationship=rel)
            for name, data, desc, rel in (attachments or [])
        ]
        finish = xmp.finisher(self.variant, properties or {})
        return document.write_pdf(
            pdf_variant=self.variant,
            attachments=atts if self.variant == "pdf/a-3b" else None,
            finisher=_opaque(finish) if self.variant == "pdf/a-1b" else finish,
            uncompressed_pdf=False,
        )

    def single(self, template: str, **context: object) -> bytes:
        """One standard document on its own (for printing and signing), in the same page frame, stylesheet
        and fonts as the dossier (templates/pdf/single.html), with its title in the PDF's metadata."""
        with render_slot():
            html = self.html("single.html", template=template, body_class="single", **context)
            return self.write(self.document(html))
