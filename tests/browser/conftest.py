"""A live eoffice (own SQLite database, demo data) and headless Debian Chromium."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import free_port
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The live server's Flask app (own SQLite database with the demo data)."""
    from eoffice import create_app
    from eoffice.core.schema import upgrade_database
    from eoffice.core.uow import unit_of_work
    from eoffice.demo import seed_demo

    instance = tmp_path_factory.mktemp("live")
    app = create_app({"ENV": "testing", "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": "browser-test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'live.db'}",
                      "STORAGE_DIR": str(instance / "files"),
                      "PUBLIC_URL": f"http://127.0.0.1:{free_port()}",
                      "LOGIN_RATE_LIMIT": "1000 per minute"})
    with app.app_context():
        upgrade_database()
        with unit_of_work():
            seed_demo()
    # no worker runs: queued tasks stay in an in-memory broker, tests call task bodies
    app.extensions["celery"].conf.broker_url = "memory://"
    return app


@pytest.fixture(scope="session")
def live_server(live_app: Any) -> Iterator[str]:
    """The URL of a threaded server running ``live_app``."""
    app = live_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def live_hub(live_app: Any) -> Iterator[Any]:
    """The live app connected to an in-process hub listing every demo body."""
    from eoffice.hub import create_hub_app
    from eoffice.interop.demo import credentials_path, prepare_demo_hub

    saved = {k: live_app.config.get(k) for k in ("HUB_SYSTEM_ID", "HUB_SECRET")}
    with live_app.app_context():
        prepare_demo_hub(live_app)
    creds = json.loads(credentials_path(live_app).read_text())["installation"]
    hub_app = create_hub_app({"HUB_DATABASE_URL": live_app.config["HUB_DATABASE_URL"],
                              "TESTING": True})
    wsgi = DispatcherMiddleware(Response("not found", status=404), {"/hub": hub_app})
    live_app.config.update(HUB_SYSTEM_ID=creds["systemid"], HUB_SECRET=creds["secret"])
    live_app.extensions["hub_transport"] = httpx.WSGITransport(app=wsgi)
    yield live_app
    live_app.extensions.pop("hub_transport")
    live_app.config.update(saved)
    credentials_path(live_app).unlink()
    hub_app.extensions["hub"].engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API keeps an event loop running while it is open,
    and code that must not run inside an event loop (pyHanko's sync wrappers) runs later."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
