"""Uploads into pages: images made upright A4 pages, PDFs page by page, others kept as attachments.

A file that cannot be bound (encrypted, corrupt, unsupported) is refused with a Chinese message
before any rendering starts; nothing is ever skipped silently.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

from archive.model import UploadData

Image.MAX_IMAGE_PIXELS = 120_000_000  # a 600 dpi A3 scan fits; a decompression bomb does not
IMAGE_TYPES = ("image/jpeg", "image/png", "image/tiff")
ATTACH_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/x-ole-storage",
)
A4_INCHES = (8.27 - 0.94, 11.69 - 1.1)  # the printable area inside the scan page's margins


class Unbindable(Exception):
    """A file that cannot go into the dossier; the message says which and why."""


@dataclass
class Prepared:
    """What one upload contributes: page images (JPEG bytes), or an attachment only."""

    upload: UploadData
    pages: list[bytes]
    attachment_only: bool = False


def _jpeg(image: Image.Image, dpi: int) -> bytes:
    """Upright, without alpha, no larger than the page needs at `dpi`, as JPEG."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode == "1" or image.mode.startswith("I") or image.mode == "F":
        image = image.convert("L")
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    limit = (int(A4_INCHES[0] * dpi), int(A4_INCHES[1] * dpi))
    if image.width > image.height:  # a landscape scan keeps its orientation; it is fitted, not turned
        limit = (limit[1], limit[0])
    if image.width > limit[0] or image.height > limit[1]:
        image.thumbnail(limit, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, optimize=False)
    return out.getvalue()


def _fits_as_is(image: Image.Image, dpi: int) -> bool:
    """A baseline JPEG that is already upright, opaque and no larger than needed goes in unchanged (no re-encoding)."""
    limit = (int(A4_INCHES[0] * dpi * 1.25), int(A4_INCHES[1] * dpi * 1.25))
    if image.width > image.height:
        limit = (limit[1], limit[0])
    orientation = image.getexif().get(0x0112, 1)
    return (
        image.format == "JPEG"
        and image.mode in ("RGB", "L")
        and orientation == 1
        and image.width <= limit[0]
        and image.height <= limit[1]
        and not image.info.get("progressive")
    )


def image_pages(upload: UploadData, dpi: int) -> list[bytes]:
    try:
        with Image.open(io.BytesIO(upload.data)) as image:
            if _fits_as_is(image, dpi):
                return [upload.data]
            frames = []
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                frames.append(_jpeg(image.copy(), dpi))
            return frames
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise Unbindable(f"“{upload.filename}”图片已损坏或无法读取，请重新扫描后上传。") from exc


def check_pdf(upload: UploadData) -> int:
    """The page count of an uploaded PDF, or Unbindable when it is encrypted or broken."""
    try:
        with pikepdf.open(io.BytesIO(upload.data)) as pdf:
            if pdf.is_encrypted:
                raise Unbindable(f"“{upload.filename}”是加密的 PDF，无法装订：请上传未加密的文件。")
            count = len(pdf.pages)
    except pikepdf.PasswordError as exc:
        raise Unbindable(f"“{upload.filename}”是加密的 PDF（需要密码），无法装订：请上传未加密的文件。") from exc
    except pikepdf.PdfError as exc:
        raise Unbindable(
            f"“{upload.filename}”不是完好的 PDF 文件（已损坏），无法装订：请重新生成或扫描后上传。"
        ) from exc
    if count == 0:
        raise Unbindable(f"“{upload.filename}”没有任何页面，无法装订。")
    return count


def pdf_pages(upload: UploadData, dpi: int) -> list[bytes]:
    """Each page rasterised (pdftoppm): the dossier stays PDF/A whatever the upload's fonts; the original is kept
    too."""
    check_pdf(upload)
    with tempfile.TemporaryDirectory(prefix="dossier-pdf-") as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(upload.data)
        result = subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-jpeg", "-jpegopt", "quality=80", str(source), str(Path(tmp) / "p")],
            capture_output=True,
            timeout=300,
            check=False,
        )
        outputs = sorted(Path(tmp).glob("p-*.jpg"), key=lambda p: int(p.stem.split("-")[-1]))
        if result.returncode != 0 or not outputs:
            raise Unbindable(f"“{upload.filename}”无法逐页读取（PDF 已损坏），无法装订。")
        return [p.read_bytes() for p in outputs]


def prepare(upload: UploadData, dpi: int = 150) -> Prepared:
    """The pages of one upload, or an attachment-only entry for files that are not pages."""
    if upload.media_type in IMAGE_TYPES:
        return Prepared(upload, image_pages(upload, dpi))
    if upload.media_type == "application/pdf":
        return Prepared(upload, pdf_pages(upload, dpi))
    if upload.media_type in ATTACH_TYPES:
        return Prepared(upload, [], attachment_only=True)
    raise Unbindable(
        f"“{upload.filename}”的类型（{upload.media_type or '未知'}）不能装订："
        "只接受 PDF、JPEG/PNG/TIFF 图片和 Word、Excel 文档。"
    )


def inspect(uploads: list[UploadData] | tuple[UploadData, ...]) -> list[str]:
    """Chinese reasons for every upload that cannot be bound — cheap checks, before any rendering."""
    problems = []
    for upload in uploads:
        try:
            if upload.media_type == "application/pdf":
                check_pdf(upload)
            elif upload.media_type in IMAGE_TYPES:
                with Image.open(io.BytesIO(upload.data)) as image:
                    image.verify()
            elif upload.media_type not in ATTACH_TYPES:
                raise Unbindable(f"“{upload.filename}”的类型不能装订。")
        except Unbindable as exc:
            problems.append(str(exc))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            problems.append(f"“{upload.filename}”图片已损坏或无法读取，请重新扫描后上传。")
    return problems
