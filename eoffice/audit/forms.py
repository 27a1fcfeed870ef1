"""Filter form of the audit log page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Optional


class AuditFilterForm(FlaskForm):
    """Filter the audit log (GET, no CSRF)."""

    class Meta:
        csrf = False

    action = StringField(_l("Hành động"), validators=[Optional()])
    actor = StringField(_l("Người thực hiện"), validators=[Optional()])
    date_from = DateField(_l("Từ ngày"), validators=[Optional()])
    date_to = DateField(_l("Đến ngày"), validators=[Optional()])
