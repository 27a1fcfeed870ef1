"""Web forms of internal distribution (CSRF on every POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import Length, Optional


class DistributeForm(FlaskForm):
    """Send a registered incoming document to units and people "to inform"."""

    units = SelectMultipleField(_l("Đơn vị (gửi cho mọi người của đơn vị)"),
                                validators=[Optional()])
    users = SelectMultipleField(_l("Người nhận"), validators=[Optional()])
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=2000)])


class ReadForm(FlaskForm):
    """The recipient's "Đã đọc" button."""
