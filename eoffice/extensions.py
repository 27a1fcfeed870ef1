"""Flask extensions, created unbound here and bound in ``create_app``."""

from __future__ import annotations

from celery import Celery
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from flask_wtf import CSRFProtect

from eoffice.core.db import Base


class Session(_FlaskSession):
    """Flask-SQLAlchemy's session, honouring an explicit ``bind``.

    Flask-SQLAlchemy always routes to its engine; tests bind the session to one
    connection with an outer transaction (the savepoint recipe), so an explicit
    bind must win.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):  # type: ignore[override]
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
celery = Celery("eoffice", set_as_current=False)
