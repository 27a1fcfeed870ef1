"""Web forms for signing in and managing accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from eoffice.auth.models import ROLE_NAMES, ROLES


class LoginForm(FlaskForm):
    """``/login`` posts ``username`` and ``password`` (DESIGN.md §6)."""

    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Ghi nhớ đăng nhập"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    """Create or edit an account."""

    username = StringField(_l("Tên đăng nhập"), validators=[Optional(), Length(max=64)])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=100)])
    title = StringField(_l("Chức vụ"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("Thư điện tử"), validators=[Optional(), Length(max=200)])
    org_id = SelectField(_l("Cơ quan"), coerce=int)
    unit_id = SelectField(_l("Đơn vị"), coerce=int)
    roles = MultiCheckboxField(_l("Vai trò"),
                               choices=[SelectChoice(r, ROLE_NAMES[r]) for r in ROLES])
    password = PasswordField(_l("Mật khẩu"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("Đang hoạt động"), default=True)
