"""The verification page (``/verify``, "Kiểm tra chữ ký"): a signed-in person uploads a
PDF and reads the validation report in Vietnamese — the report a received document
gets on arrival (``documents.verification.verify_upload``, shared with the API).

A file that is not a PDF, or an empty one, shows the message again with the form
(422); an upload over the size limit answers the 413 page.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from eoffice.core.errors import DomainError
from eoffice.documents.verification import verify_upload
from eoffice.i18n import error_message

bp = Blueprint("verify", __name__, url_prefix="/verify")


class VerifyForm(FlaskForm):
    """One PDF to check."""

    file = FileField(_l("Tệp PDF cần kiểm tra"), validators=[FileRequired(_l("Cần chọn tệp PDF."))])


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():  # type: ignore[no-untyped-def]
    """The upload form, and the report of the file just uploaded."""
    form = VerifyForm()
    report, error, name = None, None, ""
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or ""
        try:
            report = verify_upload(current_user, upload.read())
        except DomainError as exc:
            error = error_message(exc)
            return render_template("verify/index.html", form=form, report=None, error=error,
                                   name=name), exc.status
    elif form.is_submitted():
        error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return render_template("verify/index.html", form=form, report=None, error=error,
                               name=name), 400
    return render_template("verify/index.html", form=form, report=report, error=error,
                           name=name)
