"""Test fixtures: one app per run, per-test rollback, factories.

The database is ``EOFFICE_TEST_DATABASE_URL`` (PostgreSQL in CI) or a fresh SQLite
file. It is migrated once per run; every test runs inside an outer transaction that
is rolled back (the SQLAlchemy "join into an external transaction" recipe), so
services and requests may commit freely.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from helpers import PASSWORD, csrf_from, free_port, need_service  # noqa: F401

from eoffice.config import require_services


def _reset_database(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        inspector = sa.inspect(conn)
        names = [n for n in inspector.get_table_names()
                 if not n.startswith("hub_") and n != "hub_alembic_version"]
        if engine.dialect.name == "postgresql" and names:
            conn.execute(sa.text("DROP TABLE IF EXISTS "
                                 + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
        else:
            for name in names:
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("EOFFICE_TEST_DATABASE_URL")
    if url:
        need_service("PostgreSQL", url)
        return url
    if require_services():
        pytest.fail("EOFFICE_REQUIRE_SERVICES=1 but EOFFICE_TEST_DATABASE_URL is not set")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'eoffice-test.db'}"


@pytest.fixture
def scratch_database_url(database_url: str, tmp_path: Any) -> Iterator[str]:
    """An empty database of its own, for tests that need committed data shared between
    threads or processes (a new PostgreSQL database, or a SQLite file)."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    import uuid

    name = f"eoffice_scratch_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(database_url).set(database=name).render_as_string(
        hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (own ``g``, own session), as in production.

    Tests hold an app context open for their services; without this, Flask would reuse it
    for every request and ``g`` (Flask-Login's cached user) would leak between requests.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from eoffice import create_app
    from eoffice.core.schema import upgrade_database

    _reset_database(database_url)
    instance = tmp_path_factory.mktemp("instance")
    app = create_app({
        "ENV": "testing",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "STORAGE_DIR": str(instance / "files"),
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "SERVER_NAME": "localhost",
        "HUB_URL": "http://hub.test/hub",
        # the address the dev PKI's certificates name for OCSP/CRL (helpers.serving_pki)
        "PUBLIC_URL": f"http://127.0.0.1:{free_port()}",
    })
    # Tests call task bodies directly; queued tasks stay in an in-memory broker.
    app.extensions["celery"].conf.broker_url = "memory://"
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade_database()
    return app


@pytest.fixture(autouse=True)
def db_session(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Per-test isolation by rollback (only for tests that use the app)."""
    if "app" not in request.fixturenames:
        yield None
        return
    app = request.getfixturevalue("app")
    from eoffice.extensions import db, limiter

    with app.app_context():
        limiter.reset()
        connection = db.engine.connect()
        outer = connection.begin()
        factory = db.session.session_factory
        saved = dict(factory.kw)
        db.session.remove()
        factory.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield db.session
        finally:
            db.session.remove()
            factory.kw.clear()
            factory.kw.update(saved)
            outer.rollback()
            connection.close()


@pytest.fixture
def make_org(app: Any) -> Callable[..., Any]:
    """Factory: ``make_org(tier="district", parent=org, code=None)``."""
    from eoffice.core.permissions import SYSTEM
    from eoffice.orgs import service

    counter = iter(range(10, 99))

    def make(tier: str = "province", parent: Any = None, code: str | None = None,
             name: str | None = None, short_name: str = "UBND") -> Any:
        n = next(counter)
        if code is None and tier != "unit":
            code = {
                "province": f"000.00.00.H{n:02d}",
                "department": f"000.00.{n:02d}.H{n:02d}",
                "district": f"000.00.{n:02d}.H{n:02d}",
                "commune": f"000.{n:02d}.{n:02d}.H{n:02d}",
            }[tier]
        return service.create_org(SYSTEM, name=name or f"Cơ quan thử {n}", short_name=short_name,
                                  tier=tier, parent=parent, code=code, locality="Kiên Giang")

    return make


@pytest.fixture
def make_user(app: Any, make_org: Callable[..., Any]) -> Callable[..., Any]:
    """Factory: ``make_user(role="leader", org=org)``; password ``PASSWORD``."""
    from eoffice.auth import service
    from eoffice.core.permissions import SYSTEM

    counter = iter(range(1, 10_000))

    def make(role: str | list[str] = "specialist", org: Any = None, username: str | None = None,
             **extra: Any) -> Any:
        roles = [role] if isinstance(role, str) else role
        n = next(counter)
        return service.create_user(
            SYSTEM, username=username or f"user{n}.{roles[0]}", password=PASSWORD,
            full_name=extra.pop("full_name", f"Người Dùng {n}"), org=org or make_org(),
            roles=roles, **extra)

    return make


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def login(client: Any) -> Callable[[str, str], Any]:
    """Sign in through the real form (CSRF included)."""

    def do(username: str, password: str = PASSWORD) -> Any:
        page = client.get("/login")
        return client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})

    return do


@pytest.fixture
def api_token(client: Any) -> Callable[[str, str], str]:
    """Get a bearer token through the API."""

    def do(username: str, password: str = PASSWORD) -> str:
        response = client.post("/api/v1/auth/token",
                               json={"username": username, "password": password})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["token"]

    return do


@pytest.fixture
def demo_hub(app: Any, db_session: Any, tmp_path: Any) -> Iterator[None]:
    """The demo province (seeded in this test's transaction) and a hub of this test's own,
    reached over WSGI, whose directory lists every demo body."""
    import httpx
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.wrappers import Response

    from eoffice.core.uow import unit_of_work
    from eoffice.demo import seed_demo
    from eoffice.hub import create_hub_app
    from eoffice.interop.demo import prepare_demo_hub

    with unit_of_work():
        seed_demo(force=True)
    saved = dict(app.config)
    saved_instance = app.instance_path
    app.config["HUB_DATABASE_URL"] = f"sqlite:///{tmp_path / 'hub.db'}"
    app.instance_path = str(tmp_path)  # credentials file of this test's hub
    prepare_demo_hub(app)
    hub_app = create_hub_app({"HUB_DATABASE_URL": app.config["HUB_DATABASE_URL"]})
    app.extensions["hub_transport"] = httpx.WSGITransport(
        app=DispatcherMiddleware(Response(status=404), {"/hub": hub_app}))
    yield
    app.extensions.pop("hub_transport")
    app.instance_path = saved_instance
    app.config.clear()
    app.config.update(saved)
    hub_app.extensions["hub"].engine.dispose()


@pytest.fixture
def hub_round() -> Callable[[], int]:
    """Deliver every due outbox row, then poll the hub once; returns the rows sent."""
    from eoffice.interop import service as interop

    def run() -> int:
        count = 0
        for message_id in interop.due_messages(limit=1000):
            assert interop.deliver(message_id) == "sent"
            count += 1
        interop.poll()
        return count

    return run
