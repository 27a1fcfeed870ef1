"""Web forms of the incoming workflow (CSRF on every POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

PRIORITY_CHOICES = [SelectChoice(0, _l("Thường")), SelectChoice(1, _l("Khẩn")),
                    SelectChoice(2, _l("Thượng khẩn")), SelectChoice(3, _l("Hỏa tốc"))]


class ActionForm(FlaskForm):
    """A button-only action (register)."""


class RefuseForm(FlaskForm):
    """Refuse a received document."""

    reason = TextAreaField(_l("Lý do từ chối"), validators=[DataRequired(), Length(max=2000)])


class AssignForm(FlaskForm):
    """The leader's direction."""

    directive = TextAreaField(_l("Ý kiến chỉ đạo (bút phê)"),
                              validators=[Optional(), Length(max=4000)])
    lead = SelectField(_l("Chủ trì"), validators=[DataRequired()])
    cooperate = SelectMultipleField(_l("Phối hợp"), validators=[Optional()])
    inform = SelectMultipleField(_l("Để biết"), validators=[Optional()])
    deadline = DateField(_l("Hạn xử lý"), validators=[Optional()])


class ReassignForm(FlaskForm):
    """A unit head hands the unit's part to one of its people."""

    user = SelectField(_l("Giao cho"), validators=[DataRequired()])
    deadline = DateField(_l("Hạn xử lý"), validators=[Optional()])
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=1000)])


class ProgressForm(FlaskForm):
    """A progress note with an optional file."""

    text = TextAreaField(_l("Nội dung"), validators=[Optional(), Length(max=4000)])
    file = FileField(_l("Tệp đính kèm"))


class CompleteForm(FlaskForm):
    """Completion with the result."""

    result = TextAreaField(_l("Kết quả xử lý"), validators=[DataRequired(), Length(max=4000)])


class TakebackForm(FlaskForm):
    """Answer the issuer's take-back request."""

    answer = SelectField(_l("Trả lời"), choices=[SelectChoice("accept", _l("Đồng ý cho lấy lại")),
                                                 SelectChoice("refuse", _l("Không đồng ý"))])
    reason = StringField(_l("Lý do (khi không đồng ý)"), validators=[Optional(), Length(max=2000)])


class IntakeForm(FlaskForm):
    """Paper intake: the scan and the keyed-in metadata."""

    files = MultipleFileField(_l("Bản quét (một tệp PDF hoặc nhiều ảnh JPEG/PNG)"))
    issuer_name = StringField(_l("Cơ quan ban hành"), validators=[DataRequired(), Length(max=200)])
    issuer_code = StringField(_l("Mã định danh cơ quan ban hành"),
                              validators=[Optional(), Length(max=35)])
    number = StringField(_l("Số"), validators=[Optional(), Length(max=11)])
    notation = StringField(_l("Ký hiệu"), validators=[Optional(), Length(max=30)])
    issued_date = DateField(_l("Ngày văn bản"), validators=[Optional()])
    type_name = StringField(_l("Loại văn bản"), validators=[Optional(), Length(max=100)])
    subject = TextAreaField(_l("Trích yếu"), validators=[DataRequired(), Length(max=500)])
    signer_name = StringField(_l("Người ký"), validators=[Optional(), Length(max=100)])
    priority = SelectField(_l("Độ khẩn"), choices=PRIORITY_CHOICES, coerce=int, default=0)
    due_date = DateField(_l("Hạn trả lời (nếu có)"), validators=[Optional()])
