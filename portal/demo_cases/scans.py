"""Signed copies for the demo: the printed document as a scanner returns it once signed — its own pages, slightly
grey, a pen stroke on each signature line and a red seal on each （印）. So an archivist walking the demo reads the
real forms in the filed dossiers, not placeholder pictures."""

from __future__ import annotations

import io
import math
import random
import re
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw
from pypdf import PdfReader

from archive.contents import Item
from archive.model import CaseData, FilingData
from archive.order import DOCUMENTS
from archive.render import Renderer

DPI = 90
SIGNING = ("签名", "按指印", "签收")


def _marks(pdf: bytes) -> list[list[tuple[str, float, float, float]]]:
    """Per page: (kind, x, y from the top, font size) of each signature line and seal, in points."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        height = float(page.mediabox.height)
        found: list[tuple[str, float, float, float]] = []

        def visit(text, cm, tm, font, size, found=found, height=height) -> None:  # noqa: ANN001
            x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
            size = size * abs(tm[0] * cm[0]) or size  # the glyphs' size on the page
            if any(word in text for word in SIGNING):
                for match in re.finditer(
                    r"(签名|按指印|签收)[^：]*：", text
                ):  # each line to sign, right after its colon
                    found.append(("sign", x + match.end() * size, height - y, size))
            elif "（印）" in text:
                found.append(("seal", x + (len(text) - 3) * size / 2, height - y, size))

        page.extract_text(visitor_text=visit)
        pages.append(found)
    return pages


def _scribble(draw: ImageDraw.ImageDraw, x: float, y: float, rng: random.Random) -> None:
    points = [(x + i * 9 + rng.randint(-2, 2), y - 6 + rng.randint(-7, 7)) for i in range(9)]
    draw.line(points, fill=(20, 30, 90), width=3, joint="curve")


def _seal(draw: ImageDraw.ImageDraw, x: float, y: float, r: float = 44) -> None:
    """A round red seal with its star, over the body's name."""
    red = (200, 30, 30)
    draw.ellipse([x - r, y - r, x + r, y + r], outline=red, width=4)
    star = [
        (
            x + (r / 2.6 if n % 2 == 0 else r / 6.5) * math.sin(n * math.pi / 5),
            y - (r / 2.6 if n % 2 == 0 else r / 6.5) * math.cos(n * math.pi / 5),
        )
        for n in range(10)
    ]
    draw.polygon(star, fill=red)


def _item(case: CaseData, key: str) -> Item:
    """The generated document `key` as an entry to lay out."""
    prefix, _, ref = key.partition(":")
    document = DOCUMENTS[prefix]
    kinds = ("agreement", "oral_agreement") if prefix == "quadruplicate" else (prefix,)
    record = next((r for r in case.records if r.kind in kinds and r.ref == ref), None) if ref else None
    index = int(ref) if prefix == "transfer" else None
    return Item(key, document.slot, document.title, "", None, (), document.template, record, index)


def signed_copies(case: CaseData, keys: list[str], seed: int) -> dict[str, tuple[bytes, str]]:
    """{key: (bytes, media type)}: each document printed, signed, sealed and scanned — a JPEG for one page, a PDF of
    page images for more. All are laid out in one pass (as the 案卷 body is), each on its own sheets."""
    if not keys:
        return {}
    rng = random.Random(seed)
    renderer = Renderer()
    entries = [{"item": _item(case, key), "images": []} for key in keys]
    html = renderer.html(
        "body.html", title=case.title, entries=entries, body_class="sheets", case=case, filing=FilingData()
    )
    document = renderer.document(html)
    starts: dict[int, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("d") and anchor[1:].isdigit():
                starts.setdefault(int(anchor[1:]) - 1, index)
    pdf = document.write_pdf()
    scale = DPI / 72
    with tempfile.TemporaryDirectory(prefix="demo-scan-") as tmp:
        source = Path(tmp) / "sheets.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(DPI), "-jpeg", "-jpegopt", "quality=85", str(source), str(Path(tmp) / "p")],
            check=True,
            timeout=300,
        )
        files = sorted(Path(tmp).glob("p-*.jpg"), key=lambda p: int(p.stem.split("-")[-1]))
        images = [Image.open(f).convert("RGB") for f in files]
    for image, marks in zip(images, _marks(pdf), strict=True):
        draw = ImageDraw.Draw(image)
        for kind, x, y, size in marks:
            px, py = x * scale, y * scale
            if kind == "sign":
                _scribble(draw, px + 4, py - size * scale / 3, rng)
            else:
                _seal(draw, px, py - 8)
    out: dict[str, tuple[bytes, str]] = {}
    for n, key in enumerate(keys):
        pages = images[starts[n] : starts.get(n + 1, len(images))]
        if key.startswith("quadruplicate"):
            pages = pages[:1]  # of the four parts, the committee's stub (第一联) is filed
        buffer = io.BytesIO()
        if len(pages) == 1:
            pages[0].save(buffer, "JPEG", quality=80)
            out[key] = (buffer.getvalue(), "image/jpeg")
        else:
            pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=DPI)
            out[key] = (buffer.getvalue(), "application/pdf")
    return out
