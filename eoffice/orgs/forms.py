"""Forms for the body-tree administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional


class OrgForm(FlaskForm):
    """Create or edit a body/unit."""

    code = StringField(_l("Mã định danh"), validators=[Optional(), Length(max=35)])
    name = StringField(_l("Tên cơ quan, đơn vị"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Tên viết tắt (dùng trong ký hiệu)"),
                             validators=[DataRequired(), Length(max=30)])
    tier = SelectField(_l("Cấp"))
    parent_id = SelectField(_l("Cơ quan cấp trên"), coerce=int)
    locality = StringField(_l("Địa danh (dòng ngày tháng)"),
                           validators=[Optional(), Length(max=100)])
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=300)])
    email = StringField(_l("Thư điện tử"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Điện thoại"), validators=[Optional(), Length(max=50)])
    valid_from = DateField(_l("Hiệu lực từ ngày"), validators=[Optional()])


class RetireForm(FlaskForm):
    """Retire a body from a date."""

    on = DateField(_l("Ngừng hoạt động từ ngày"), validators=[DataRequired()])


class MergeForm(FlaskForm):
    """Merge bodies into a successor."""

    predecessors = SelectMultipleField(_l("Các cơ quan được sáp nhập"), coerce=int)
    on = DateField(_l("Ngày có hiệu lực"), validators=[DataRequired()])
    note = StringField(_l("Căn cứ, ghi chú"), validators=[Optional(), Length(max=500)])
