"""Verify the signatures of an uploaded PDF: the same validation report (DESIGN.md §6
shape) a received document gets on arrival, for anyone with an account.

Used by the web page ``/verify`` and by ``POST /api/v1/verify``. An empty upload or one
that is not a PDF is a 422 with a Vietnamese message; the size limit is the app's
``MAX_CONTENT_LENGTH`` (413 before this code runs).
"""

from __future__ import annotations

from typing import Any

from eoffice.core.errors import ValidationFailed
from eoffice.core.permissions import require, rule
from eoffice.documents.keys import verify_pdf


@rule("documents.verify")
def can_verify(actor: Any, obj: Any) -> bool:
    """Every signed-in, active user may check a PDF's signatures."""
    return True


def verify_upload(actor: Any, data: bytes) -> dict[str, Any]:
    """The validation report of ``data`` (422 when empty or not a readable PDF)."""
    require(actor, "documents.verify")
    if not data:
        raise ValidationFailed("Tệp tải lên rỗng.", details={"field": "file"})
    if b"%PDF-" not in data[:1024]:
        raise ValidationFailed("Tệp tải lên không phải là tệp PDF.", details={"field": "file"})
    return verify_pdf(data)
