"""Uploaded files: PDF checks, DOCX → PDF with LibreOffice headless, page previews.

Uploads are checked before anything is stored: size (413), type (PDF or DOCX, else 422),
readable and not encrypted (signing's reader, whose errors carry Vietnamese messages).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from flask import current_app

from eoffice.core.errors import TooLarge, Translatable, ValidationFailed
from signing import errors as signing_errors
from signing.pdfio import open_reader

DOCX_MAGIC = b"PK\x03\x04"


def max_bytes() -> int:
    """The upload limit (the app's ``MAX_CONTENT_LENGTH``)."""
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or 50 * 1024 * 1024)


def check_pdf(data: bytes, *, what: str = Translatable("Tệp dự thảo")) -> int:
    """Validate an uploaded PDF; return its page count. ``what`` names the file in messages
    (a :class:`Translatable`, so that it is shown in the reader's language)."""
    if not data:
        raise ValidationFailed("%(what)s rỗng.", params={"what": what}, details={"field": "file"})
    if len(data) > max_bytes():
        raise TooLarge("%(what)s vượt quá dung lượng cho phép (%(limit)d MB).",
                       params={"what": what, "limit": max_bytes() // (1024 * 1024)})
    try:
        reader = open_reader(data)
        pages = int(reader.root["/Pages"]["/Count"])
    except signing_errors.PdfReadError as exc:
        raise ValidationFailed("%(what)s không hợp lệ: %(reason)s.", params={
            "what": what, "reason": Translatable(exc.message_vi, en=exc.message_en)},
            details={"field": "file"}) from None
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed("%(what)s không hợp lệ: tệp PDF bị hỏng.", params={"what": what},
                               details={"field": "file"}) from None
    if pages < 1:
        raise ValidationFailed("%(what)s không có trang nào.", params={"what": what},
                               details={"field": "file"})
    if reader.embedded_signatures:
        raise ValidationFailed("%(what)s đã có chữ ký số; hãy tải lên bản chưa ký.",
                               params={"what": what}, details={"field": "file"})
    return pages


def is_docx(data: bytes, filename: str = "") -> bool:
    """A DOCX (a zip) by its magic bytes and name."""
    return data.startswith(DOCX_MAGIC) and (not filename or filename.lower().endswith(".docx"))


def docx_to_pdf(data: bytes) -> bytes:
    """Convert a DOCX with LibreOffice headless (``soffice``), or explain why not."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ValidationFailed(
            "Máy chủ chưa cài LibreOffice nên không chuyển được tệp DOCX sang PDF. "
            "Vui lòng tải lên tệp PDF.", details={"field": "file"})
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "draft.docx"
        source.write_bytes(data)
        try:
            subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp,  # noqa: S603
                            str(source)], check=True, capture_output=True, timeout=120,
                           env={"HOME": tmp, "PATH": "/usr/bin:/bin"})
        except (subprocess.SubprocessError, OSError):
            raise ValidationFailed("Không chuyển được tệp DOCX sang PDF (tệp hỏng?).",
                                   details={"field": "file"}) from None
        out = Path(tmp) / "draft.pdf"
        if not out.exists():
            raise ValidationFailed("Không chuyển được tệp DOCX sang PDF.",
                                   details={"field": "file"})
        return out.read_bytes()


def to_pdf(data: bytes, filename: str = "") -> tuple[bytes, str]:
    """Accept a PDF or a DOCX; return the PDF and its source kind (``upload``/``docx``)."""
    if len(data) > max_bytes():
        raise TooLarge("Tệp vượt quá dung lượng cho phép (%(limit)d MB).",
                       params={"limit": max_bytes() // (1024 * 1024)})
    if data[:1024].find(b"%PDF-") >= 0:
        check_pdf(data)
        return data, "upload"
    if is_docx(data, filename):
        pdf = docx_to_pdf(data)
        check_pdf(pdf)
        return pdf, "docx"
    raise ValidationFailed("Chỉ nhận tệp PDF hoặc DOCX.", details={"field": "file"})


def render_page_png(pdf: bytes, page: int, *, dpi: int = 60) -> bytes:
    """One page as PNG (pdftoppm), for the preview and the field placement picker."""
    if shutil.which("pdftoppm") is None:
        raise ValidationFailed("Máy chủ thiếu pdftoppm (poppler-utils) để xem trước.")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        prefix = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page + 1),  # noqa: S603,S607
                        "-l", str(page + 1), "-singlefile", str(source), str(prefix)],
                       check=True, capture_output=True, timeout=60)
        return prefix.with_suffix(".png").read_bytes()
