"""Models and migrations must agree."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from eoffice.extensions import db


def _ignore_hub(obj, name, type_, reflected, compare_to):
    from eoffice.search.models import include_object

    if type_ == "table" and name and name.startswith("hub_"):
        return False
    return include_object(obj, name, type_, reflected, compare_to, db.engine.dialect.name)


def test_models_match_migrations(app, db_session):
    conn = db_session.connection()  # the test's own connection (SQLite allows one writer)
    context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "include_object": _ignore_hub})
    diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_tiers_are_data(app, db_session):
    from eoffice.orgs.models import OrgTier

    keys = {t.key for t in db_session.query(OrgTier).all()}
    assert {"province", "department", "district", "commune", "unit"} <= keys
