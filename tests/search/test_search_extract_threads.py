"""PDF text extraction from several threads at once (a Celery worker with a thread pool):
PDFium is not thread-safe, so extractions are serialised in the process; without that, two
at once crashed the worker with a segmentation fault in libpdfium."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from search_helpers import text_pdf

from eoffice.search import extract


def test_concurrent_extractions_are_serialised_and_all_correct(monkeypatch):
    pdfs = [text_pdf(f"Công văn số {n} về phòng chống thiên tai", "Nội dung " * 200)
            for n in range(4)]
    running, overlaps = [0], [0]
    inner = extract._pdf_text

    def watched(data, max_pages, max_chars):
        running[0] += 1
        overlaps[0] = max(overlaps[0], running[0])
        try:
            return inner(data, max_pages, max_chars)
        finally:
            running[0] -= 1

    monkeypatch.setattr(extract, "_pdf_text", watched)
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(extract.pdf_text, pdfs * 10))
    assert overlaps[0] == 1  # never two PDFium calls at once
    assert all(f"Công văn số {i % 4}" in text for i, text in enumerate(texts))
