"""Scale benchmark, by hand (issue 7, item 7): a decade of a province's documents.

    .venv/bin/python bench/scale_bench.py [--db URL] [--documents 1000000] [--reuse]
                                          [--runs 30] [--explain] [--only NAME]

1. creates (if missing) and migrates the PostgreSQL database ``--db`` (default
   ``$EOFFICE_SCALE_DATABASE_URL`` or ``…/eoffice_scale`` on 127.0.0.1), seeds the demo
   province (``eoffice.demo.seed_demo``) and bulk-loads ``--documents`` incoming and
   outgoing documents over the demo tree with ``COPY`` (``bench/scale_data.py`` says what
   exactly; no PDFs are created — every row points at one shared stored file). With
   ``--reuse`` an existing load of that size is kept; otherwise the documents are
   truncated and loaded again. ``VACUUM ANALYZE`` follows a load. Then the search index
   (``search_entries`` with its PostgreSQL ``tsv``) of every document without an entry is
   filled — folded in Python by ``eoffice.search.text``, COPYed, inserted in one statement
   (about a minute for a million documents) — also on ``--reuse`` (a database loaded
   before the search engine existed), and a random sample is compared with what
   ``eoffice.search.index`` computes.
2. measures, warm, each registered measurement ``--runs`` times (after 3 warm-up runs)
   through the real app with Flask's test client — logged-in web pages and bearer-token
   API calls, exactly what a browser or an integration would hit — and prints p50 / p95
   in ms beside the target, and the median CPU time the app itself spent (``app CPU``:
   without PostgreSQL's time and without waiting for a busy machine's cores). Every run
   checks the answer (status 200, a full first page), so a broken page cannot look fast.
3. ``--explain`` prints ``EXPLAIN (ANALYZE, BUFFERS)`` of every SQL statement a
   measurement issues that takes ≥ 2 ms, and how many statements one request issues.

Adding a measurement (the extension point): one function decorated with
``@measurement(name, target_ms)`` that receives the :class:`Bench` and returns the
zero-argument callable to time; ``bench.web(username)`` is a logged-in test client,
``bench.api(username)`` an API client with a bearer token, ``bench.check(response, ...)``
asserts a good answer. For example::

    @measurement("Tìm kiếm không dấu (API, UBND tỉnh)", target_ms=100)
    def search_plain(bench: Bench) -> Callable[[], Any]:
        client = bench.api("vanthu.tinh")
        return lambda: bench.check(client.get("/api/v1/search?q=chi+thi+cai+cach"),
                                   min_items=1)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_DB = os.environ.get("EOFFICE_SCALE_DATABASE_URL",
                            "postgresql+psycopg://postgres@127.0.0.1:5432/eoffice_scale")
PROVINCE_CLERK, CITY_CLERK = "vanthu.tinh", "vanthu.rachgia"


@dataclass
class Measurement:
    name: str
    target_ms: float
    build: Callable[[Bench], Callable[[], Any]]
    runs: int | None = None  # fewer runs for a slow measurement (an export: seconds each)


MEASUREMENTS: list[Measurement] = []


def measurement(name: str, target_ms: float, runs: int | None = None
                ) -> Callable[[Callable[[Bench], Callable[[], Any]]],
                              Callable[[Bench], Callable[[], Any]]]:
    """Register ``fn(bench) -> callable`` as a timed measurement (the extension point);
    ``runs`` caps ``--runs`` for a slow one."""
    def register(fn: Callable[[Bench], Callable[[], Any]]) -> Callable[[Bench], Callable[[], Any]]:
        MEASUREMENTS.append(Measurement(name, target_ms, fn, runs))
        return fn
    return register


class Bench:
    """The app on the loaded database and logged-in clients, one per user."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._web: dict[str, Any] = {}
        self._api: dict[str, Any] = {}

    def web(self, username: str) -> Any:
        """A test client logged in through the real login form."""
        if username not in self._web:
            import re

            client = self.app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert token, "login page without CSRF token"
            response = client.post("/login", data={
                "username": username, "password": self.app.config["DEMO_PASSWORD"],
                "csrf_token": token.group(1)})
            assert response.status_code == 302, f"login of {username} failed"
            self._web[username] = client
        return self._web[username]

    def api(self, username: str) -> Any:
        """A test client sending a bearer token of ``username``."""
        if username not in self._api:
            client = self.app.test_client()
            response = client.post("/api/v1/auth/token", json={
                "username": username, "password": self.app.config["DEMO_PASSWORD"]})
            assert response.status_code == 201, response.get_json()
            token = response.get_json()["token"]
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
            self._api[username] = client
        return self._api[username]

    @staticmethod
    def check(response: Any, *, min_items: int = 0, contains: str | None = None,
              starts: bytes | None = None) -> Any:
        """Assert a good answer: 200, at least ``min_items`` JSON items / the ``contains``
        text in the page / a file beginning with ``starts``."""
        assert response.status_code == 200, (response.status_code, response.get_data()[:300])
        if min_items:
            items = response.get_json()["items"]
            assert len(items) >= min_items, f"{len(items)} items"
        if contains is not None:
            assert contains in response.get_data(as_text=True), f"no {contains!r} in the page"
        if starts is not None:
            assert response.get_data().startswith(starts), response.get_data()[:20]
        return response


# -- the measurements ------------------------------------------------------------------------

def _web_list(username: str, path: str, marker: str) -> Callable[[Bench], Callable[[], Any]]:
    def build(bench: Bench) -> Callable[[], Any]:
        client = bench.web(username)
        return lambda: bench.check(client.get(path), contains=marker)
    return build


def _api_list(username: str, path: str) -> Callable[[Bench], Callable[[], Any]]:
    def build(bench: Bench) -> Callable[[], Any]:
        client = bench.api(username)
        return lambda: bench.check(client.get(path), min_items=50)
    return build


# the marker is a link of the last row of a full first page (30 rows on the web, 50 in the API)
measurement("Sổ văn bản đến, trang đầu (web, UBND tỉnh)", 100)(
    _web_list(PROVINCE_CLERK, "/incoming/", "Trang sau"))
measurement("Sổ văn bản đến, trang đầu (web, UBND TP Rạch Giá)", 100)(
    _web_list(CITY_CLERK, "/incoming/", "Trang sau"))
measurement("Văn bản đến đã hoàn thành, trang đầu (web, UBND tỉnh)", 100)(
    _web_list(PROVINCE_CLERK, "/incoming/?status=completed", "Trang sau"))
measurement("Văn bản đến được giao, trang đầu (web, chuyên viên tỉnh)", 100)(
    _web_list("chuyenvien.tinh", "/incoming/", "Trang sau"))
measurement("GET /api/v1/incoming, 50 bản ghi (UBND tỉnh)", 100)(
    _api_list(PROVINCE_CLERK, "/api/v1/incoming"))
measurement("GET /api/v1/incoming, 50 bản ghi (UBND TP Rạch Giá)", 100)(
    _api_list(CITY_CLERK, "/api/v1/incoming"))
measurement("Văn bản đi đã ban hành, trang đầu (web, UBND tỉnh)", 100)(
    _web_list(PROVINCE_CLERK, "/outgoing/", "»"))
measurement("Văn bản đi đã ban hành, trang đầu (web, UBND TP Rạch Giá)", 100)(
    _web_list(CITY_CLERK, "/outgoing/", "»"))
measurement("GET /api/v1/outgoing, 50 bản ghi (UBND tỉnh)", 100)(
    _api_list(PROVINCE_CLERK, "/api/v1/outgoing"))
measurement("GET /api/v1/outgoing?status=draft (UBND tỉnh)", 100)(
    lambda bench: (lambda client: lambda: bench.check(
        client.get("/api/v1/outgoing?status=draft"), min_items=1))(bench.api(PROVINCE_CLERK)))

# EXTENSION POINT — further measurements go here, one small function each (see the module
# docstring).

# Search without diacritics, as officials type (≤ 100 ms). In UBND tỉnh's ~150,000
# documents: "cai cach" matches a few thousand (every topic is in ~1/42 of the subjects),
# "chi thi cai cach" a few dozen (Chỉ thị is ~1 % of the types), "15/QĐ-UBND" a number and
# notation (a handful); a specialist only sees what their body's register shows them.
SEARCHES = (("cặp từ, nhiều kết quả", "cai cach"), ("ít kết quả", "chi thi cai cach"),
            ("số, ký hiệu", "15/QĐ-UBND"))
SEARCHERS = ((PROVINCE_CLERK, "văn thư tỉnh"), ("chuyenvien.tinh", "chuyên viên tỉnh"))


def _search_api(username: str, q: str) -> Callable[[Bench], Callable[[], Any]]:
    def build(bench: Bench) -> Callable[[], Any]:
        client = bench.api(username)
        path = "/api/v1/search?" + urlencode({"q": q})
        return lambda: bench.check(client.get(path), min_items=1)
    return build


def _search_web(username: str, q: str) -> Callable[[Bench], Callable[[], Any]]:
    def build(bench: Bench) -> Callable[[], Any]:
        client = bench.web(username)
        path = "/search?" + urlencode({"q": q})
        return lambda: bench.check(client.get(path), contains="<mark")
    return build


for _label, _q in SEARCHES:
    for _user, _who in SEARCHERS:
        measurement(f"Tìm kiếm không dấu «{_q}» ({_label}; API, {_who})", 100)(
            _search_api(_user, _q))
        measurement(f"Tìm kiếm không dấu «{_q}» ({_label}; web, {_who})", 100)(
            _search_web(_user, _q))

# The dashboard (≤ 300 ms): the province leader's start page (my work and the province's
# figures rolled up the tree for this year) and the figures of one year in the API.
PROVINCE_CODE, CITY_CODE = "000.00.00.H33", "000.00.30.H33"
measurement("Trang chủ: việc của tôi và số liệu (web, lãnh đạo tỉnh)", 300)(
    _web_list("lanhdao.tinh", "/", 'id="stats-link"'))
measurement("GET /api/v1/stats, toàn tỉnh, năm 2025 (lãnh đạo tỉnh)", 300)(
    lambda bench: (lambda client: lambda: bench.check(client.get(
        f"/api/v1/stats?org={PROVINCE_CODE}&from=2025-01-01&to=2025-12-31"),
        contains='"children"'))(bench.api("lanhdao.tinh")))

# One body's register for its busiest year (≤ 5 s): 2025, the last whole year (the load
# grows ×3 over the decade).
EXPORTS = (("incoming_register", "xlsx", "Sổ đăng ký văn bản đến, XLSX"),
           ("incoming_register", "pdf", "Sổ đăng ký văn bản đến, PDF"),
           ("outgoing_register", "xlsx", "Sổ đăng ký văn bản đi, XLSX"))


def _export(username: str, code: str, kind: str, fmt: str) -> Callable[[Bench], Callable[[], Any]]:
    def build(bench: Bench) -> Callable[[], Any]:
        client = bench.api(username)
        path = f"/api/v1/reports/{kind}?org={code}&from=2025-01-01&to=2025-12-31&format={fmt}"
        magic = b"%PDF" if fmt == "pdf" else b"PK"
        return lambda: bench.check(client.get(path), starts=magic)
    return build


for _user, _code, _body in ((PROVINCE_CLERK, PROVINCE_CODE, "UBND tỉnh"),
                            (CITY_CLERK, CITY_CODE, "UBND TP Rạch Giá")):
    for _kind, _fmt, _title in EXPORTS:
        measurement(f"{_title}, năm 2025 ({_body})", 5000, runs=5)(
            _export(_user, _code, _kind, _fmt))


# -- running ---------------------------------------------------------------------------------

def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(int(round(q * (len(ordered) - 1))), len(ordered) - 1)
    return ordered[index]


def time_it(fn: Callable[[], Any], runs: int, warmup: int = 3
            ) -> tuple[list[float], list[float]]:
    """Wall-clock ms of each run, and the CPU ms this process (the app, in-process) spent
    — the latter does not count waiting for PostgreSQL or for a busy machine's cores."""
    for _ in range(warmup):
        fn()
    samples, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return samples, cpu


def explain(app: Any, fn: Callable[[], Any], threshold_ms: float = 2.0) -> None:
    """Run ``fn`` once capturing its SQL, then EXPLAIN ANALYZE the slow statements."""
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    captured: list[tuple[str, Any, float]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        conn.info["began"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
              executemany: bool) -> None:
        captured.append((statement, parameters,
                         (time.perf_counter() - conn.info.pop("began")) * 1000))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    print(f"    {len(captured)} SQL statements, {sum(c[2] for c in captured):.1f} ms in SQL")
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        for statement, parameters, ms in captured:
            if ms < threshold_ms or not statement.lstrip().upper().startswith("SELECT"):
                continue
            with raw.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plan = "\n".join("      " + row[0] for row in cur.fetchall())
            raw.rollback()
            print(f"    -- {ms:.1f} ms: {' '.join(statement.split())[:300]}\n{plan}")


def ensure_database(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": target.database}).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def make_app(url: str, instance: Path) -> Any:
    from eoffice import create_app
    from eoffice.core.schema import upgrade_database

    app = create_app({"ENV": "testing", "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": str(instance / "files"),
                      "PKI_DIR": str(instance / "pki"), "RATELIMIT_ENABLED": False})
    app.extensions["celery"].conf.broker_url = "memory://"
    with app.app_context():
        upgrade_database()
    return app


def load(app: Any, documents: int, reuse: bool) -> None:
    import scale_data

    from eoffice.demo import seed_demo
    from eoffice.extensions import db

    with app.app_context():
        if seed_demo():
            db.session.commit()
            print("demo province seeded")
        incoming, outgoing = scale_data.counts(db)
        if reuse and incoming + outgoing >= documents * 0.999:  # per-body rounding
            print(f"reusing the loaded database: {incoming:,} incoming + {outgoing:,} outgoing")
            index_search(db)
            return
        scale_data.clear(db)
        print(f"loading {documents:,} documents …")
        began = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="eoffice_scale_") as tmp:
            rows = scale_data.Loader(app, documents, workdir=Path(tmp)).run()
        loaded = time.perf_counter() - began
        db.session.remove()
        engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        vacuum = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        incoming, outgoing = scale_data.counts(db)
        print(f"loaded {incoming:,} incoming + {outgoing:,} outgoing documents "
              f"({sum(rows.values()):,} rows) in {loaded:.0f} s, "
              f"VACUUM ANALYZE {time.perf_counter() - vacuum:.0f} s")
        index_search(db)


def index_search(db: Any) -> None:
    """Fill the search index of the documents without an entry (a load, or a database
    loaded before the search engine existed), then check a sample against Python."""
    import scale_data

    missing = scale_data.missing_search_entries(db)
    if missing:
        print(f"indexing {missing:,} documents for the search …")
        began = time.perf_counter()
        added = scale_data.fill_search(db)
        filled = time.perf_counter() - began
        db.session.remove()
        engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE search_entries"))
        print(f"indexed {added:,} documents in {filled:.0f} s")
    checked = scale_data.check_search(db)
    db.session.remove()
    print(f"search index: {checked} random entries equal to eoffice.search.index's")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an existing load of that size")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", default="", help="measurements whose name contains this")
    parser.add_argument("--instance", default=str(Path(tempfile.gettempdir()) / "eoffice_scale"))
    args = parser.parse_args()

    ensure_database(args.db)
    instance = Path(args.instance)
    instance.mkdir(parents=True, exist_ok=True)
    app = make_app(args.db, instance)
    load(app, args.documents, args.reuse)
    if os.environ.get("EOFFICE_SCALE_LOAD_ONLY"):
        return
    bench = Bench(app)
    chosen = [m for m in MEASUREMENTS if args.only.lower() in m.name.lower()]
    print(f"\n{'measurement':<78} {'p50 ms':>8} {'p95 ms':>8} {'app CPU':>8} {'target':>8}  met")
    results = []
    for item in chosen:
        with app.app_context():
            fn = item.build(bench)
        runs = min(args.runs, item.runs) if item.runs else args.runs
        samples, cpu = time_it(fn, runs, warmup=1 if item.runs else 3)
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        results.append((item, p50, p95))
        print(f"{item.name:<78} {p50:8.1f} {p95:8.1f} {statistics.median(cpu):8.1f} "
              f"{item.target_ms:8.0f}  "
              f"{'yes' if p95 <= item.target_ms else 'NO'}", flush=True)
        if args.explain:
            explain(app, fn)
    print(f"\n{len(results)} measurements, {args.runs} runs each; load average "
          f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
