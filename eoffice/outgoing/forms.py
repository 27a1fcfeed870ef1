"""Web forms for outgoing documents (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

URGENCY_CHOICES = [
    SelectChoice("", _l("Thường")), SelectChoice("khan", _l("Khẩn")),
    SelectChoice("thuong_khan", _l("Thượng khẩn")), SelectChoice("hoa_toc", _l("Hỏa tốc")),
]
SECRECY_CHOICES = [
    SelectChoice("", _l("Không mật")), SelectChoice("mat", _l("Mật")),
    SelectChoice("toi_mat", _l("Tối mật")), SelectChoice("tuyet_mat", _l("Tuyệt mật")),
]
AUTHORITY_CHOICES = [SelectChoice("", _l("Ký trực tiếp"))] + [
    SelectChoice(p, p) for p in ("TM.", "KT.", "TL.", "TUQ.", "Q.")]


class DraftForm(FlaskForm):
    """A new draft: metadata, then an upload or the content to compose."""

    doc_type = SelectField(_l("Loại văn bản"), validators=[DataRequired()])
    subject = StringField(_l("Trích yếu"), validators=[Optional(), Length(max=500)])
    recipients = SelectMultipleField(_l("Nơi nhận (cơ quan trong tỉnh)"))
    recipient_groups = SelectMultipleField(_l("Nhóm nơi nhận (tính lại khi ban hành)"),
                                           validators=[Optional()])
    external = StringField(_l("Mã định danh cơ quan ngoài (cách nhau bởi dấu phẩy)"),
                           validators=[Optional(), Length(max=1000)])
    signer = SelectField(_l("Người ký"))
    authority = SelectField(_l("Thẩm quyền ký"), choices=AUTHORITY_CHOICES, default="TM.")
    urgency = SelectField(_l("Độ khẩn"), choices=URGENCY_CHOICES)
    confidentiality = SelectField(_l("Độ mật"), choices=SECRECY_CHOICES)
    due_date = DateField(_l("Hạn trả lời"), validators=[Optional()])
    response_for = StringField(_l("Trả lời văn bản đến (mã DocumentId)"),
                               validators=[Optional(), Length(max=200)])
    mode = RadioField(_l("Cách tạo"), choices=[SelectChoice("compose", _l("Soạn theo mẫu")),
                                               SelectChoice("upload", _l("Tải tệp PDF/DOCX"))],
                      default="compose")
    file = FileField(_l("Tệp dự thảo (PDF hoặc DOCX)"))
    body = TextAreaField(_l("Nội dung văn bản"), validators=[Optional(), Length(max=100_000)])
    attachments = MultipleFileField(_l("Tệp đính kèm riêng (PDF)"))


class EditForm(FlaskForm):
    """A new version of a returned draft."""

    file = FileField(_l("Tệp dự thảo mới (PDF hoặc DOCX)"))
    body = TextAreaField(_l("Nội dung văn bản"), validators=[Optional(), Length(max=100_000)])
    comment = StringField(_l("Ghi chú chỉnh sửa"), validators=[Optional(), Length(max=2000)])


class CommentForm(FlaskForm):
    """Submit, approve or return, with a comment."""

    comment = TextAreaField(_l("Ý kiến"), validators=[Optional(), Length(max=5000)])


class PinForm(FlaskForm):
    """The leader's PIN."""

    pin = PasswordField(_l("Mã PIN chữ ký số"), validators=[DataRequired(), Length(max=64)])


class ReasonForm(FlaskForm):
    """Why a document is revoked."""

    reason = TextAreaField(_l("Lý do thu hồi"), validators=[DataRequired(), Length(max=2000)])


class _CodesField(SelectMultipleField):
    """Organisation codes ticked on the page (checked against the document by the service)."""

    def pre_validate(self, form: FlaskForm) -> None:
        """Any code: the service refuses those that are not valid for the document."""


class TakebackForm(FlaskForm):
    """The clerk asks the recipients to give a sent document back (status 13)."""

    recipients = _CodesField(_l("Nơi nhận được đề nghị (để trống: tất cả)"),
                             validators=[Optional()])
    reason = TextAreaField(_l("Lý do đề nghị lấy lại"),
                           validators=[DataRequired(), Length(max=2000)])


class UpdateRecipientsForm(FlaskForm):
    """The clerk adds and/or removes recipients of a sent document (update, type 2)."""

    add = _CodesField(_l("Thêm nơi nhận"), validators=[Optional()])
    remove = _CodesField(_l("Bỏ nơi nhận"), validators=[Optional()])
    reason = TextAreaField(_l("Lý do cập nhật nơi nhận"),
                           validators=[DataRequired(), Length(max=2000)])


class ActionForm(FlaskForm):
    """A button with CSRF protection only."""


class LayoutForm(FlaskForm):
    """Boxes picked on the page preview (PDF points, JSON)."""

    layout = HiddenField(validators=[DataRequired()])
