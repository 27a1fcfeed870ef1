"""The text layer of a PDF, page by page, within fixed limits.

pypdfium2 (PDFium, installed with pdfplumber) reads one page at a time and frees it
before the next, so a 500-page annex costs one page of memory; at most ``max_pages``
pages and ``max_chars`` characters are read. A scan has no text layer and yields "".

PDFium is not thread-safe: no two of its calls may run at the same time in one process,
not even on different documents (pypdfium2's documentation). A worker with a thread pool
extracts one document at a time under :data:`_PDFIUM` (two extractions at once crashed
the receiving worker of the hub benchmark with a segmentation fault in libpdfium).
"""

from __future__ import annotations

import threading

MAX_PAGES = 200
MAX_CHARS = 400_000


_PDFIUM = threading.Lock()


class UnreadablePdf(Exception):
    """The bytes are not a PDF PDFium can open."""


def pdf_text(data: bytes, *, max_pages: int = MAX_PAGES, max_chars: int = MAX_CHARS) -> str:
    """The text of the first ``max_pages`` pages, cut at ``max_chars`` characters."""
    with _PDFIUM:
        return _pdf_text(data, max_pages, max_chars)


def _pdf_text(data: bytes, max_pages: int, max_chars: int) -> str:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise UnreadablePdf(str(exc)) from None
    parts: list[str] = []
    size = 0
    try:
        for index in range(min(len(pdf), max_pages)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                finally:
                    textpage.close()
            finally:
                page.close()
            parts.append(text)
            size += len(text)
            if size >= max_chars:
                break
    finally:
        pdf.close()
    return "\n".join(parts)[:max_chars]
