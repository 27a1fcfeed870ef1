"""Opening PDFs for signing and validation, with the library's errors.

pyHanko's strict reader rejects PDFs that real producers write (poppler's own signer
leaves orphaned cross-reference generations), so a strict read that fails is retried
non-strictly; anything still unreadable becomes a :class:`~signing.errors.PdfReadError`
subclass instead of an arbitrary exception.

Memory: pyHanko's readers and writers sit in reference cycles, so each one keeps the
PDF it read (and the buffer it wrote) alive until the next full garbage collection;
:func:`finished` lets go of those buffers as soon as the output has been taken.
"""

from __future__ import annotations

import io
from typing import Any

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from . import _speedups  # noqa: F401 — installs the fast hex-string reader
from .errors import BrokenPdfError, EncryptedPdfError, NotAPdfError

_READ_ERRORS = (PdfError, ValueError, KeyError, TypeError, IndexError, AssertionError,
                AttributeError, RecursionError, OverflowError)


def check_header(pdf: bytes) -> None:
    """Raise NotAPdfError unless ``%PDF-`` appears in the first kilobyte."""
    if not isinstance(pdf, bytes | bytearray) or b"%PDF-" not in bytes(pdf[:1024]):
        raise NotAPdfError()


def _check_encrypted(reader: PdfFileReader) -> None:
    if reader.encrypted:
        raise EncryptedPdfError()


def open_reader(pdf: bytes | io.BytesIO) -> PdfFileReader:
    """Read ``pdf`` strictly, falling back to a lenient read; map failures to our errors.

    ``pdf`` may be a ``BytesIO`` that the caller then extends in place (B-LT/B-LTA)."""
    if isinstance(pdf, io.BytesIO):
        with pdf.getbuffer() as view:
            check_header(bytes(view[:1024]))
    else:
        check_header(pdf)
    last: BaseException | None = None
    for strict in (True, False):
        try:
            stream = pdf if isinstance(pdf, io.BytesIO) else io.BytesIO(pdf)
            stream.seek(0)
            reader = PdfFileReader(stream, strict=strict)
            _check_encrypted(reader)
            reader.root  # noqa: B018 — force the catalog to parse
            return reader
        except EncryptedPdfError:
            raise
        except _READ_ERRORS as exc:
            last = exc
    raise BrokenPdfError(
        f"Tệp PDF bị hỏng: {last}", f"The PDF is damaged: {last}"
    ) from last


def open_writer(pdf: bytes | io.BytesIO) -> IncrementalPdfFileWriter:
    """An incremental writer over ``pdf`` (strict first, then lenient); a ``BytesIO`` can
    then be written in place."""
    if isinstance(pdf, io.BytesIO):
        with pdf.getbuffer() as view:
            check_header(bytes(view[:1024]))
    else:
        check_header(pdf)
    last: BaseException | None = None
    for strict in (True, False):
        try:
            stream = pdf if isinstance(pdf, io.BytesIO) else io.BytesIO(pdf)
            stream.seek(0)
            writer = IncrementalPdfFileWriter(stream, strict=strict)
            _check_encrypted(writer.prev)
            writer.root  # noqa: B018
            return writer
        except EncryptedPdfError:
            raise
        except _READ_ERRORS as exc:
            last = exc
    raise BrokenPdfError(
        f"Tệp PDF bị hỏng: {last}", f"The PDF is damaged: {last}"
    ) from last


def finished(*items: Any) -> None:
    """Close the input stream of readers/writers and the given output buffers."""
    for item in items:
        if isinstance(item, IncrementalPdfFileWriter):
            item = item.prev
        stream = item.stream if isinstance(item, PdfFileReader) else item
        if isinstance(stream, io.BytesIO):
            stream.close()
