"""API: verify the signatures of an uploaded PDF."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import File
from flask_login import current_user

from eoffice.api import bp
from eoffice.api.accounts import token_required
from eoffice.documents.verification import verify_upload


class VerifyIn(Schema):
    file = File(required=True)


@bp.post("/verify")
@token_required
@bp.input(VerifyIn, location="files", arg_name="files")
def verify(files: dict[str, Any]) -> Any:
    """Validation report of every signature in the uploaded PDF (422 if not a PDF)."""
    return verify_upload(current_user, files["file"].read())
