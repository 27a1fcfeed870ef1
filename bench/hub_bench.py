"""Interconnection throughput, by hand (issue 4, item 8).

    EOFFICE_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> \
    EOFFICE_BENCH_REDIS_URL=redis://127.0.0.1:6379/<n> \
    .venv/bin/python bench/hub_bench.py [--packets 600] [--big-packets 100] [--pool prefork]
        [--sizes "100 KB,2 MB"] [--verification both|on|off] [--tick 1] [--warmup 10]
        [--verify-processes 2] [--shards 2] [--keep]

What is measured, on this machine, with PostgreSQL and Redis (started as for `.ci/run`;
method and results: bench/README-hub.md):

* a hub served over loopback HTTP (threaded werkzeug, its tables in a PostgreSQL database);
* a sending installation and a receiving installation, each with its own PostgreSQL
  database and its own Celery worker (2 threads — or 2 processes with ``--pool prefork`` —
  embedded beat, ``--shards`` poll shards, polls and outbox sweeps every ``--tick`` seconds —
  1 s by default: a poll that stores packets lists again at once, so the tick only sets
  how often an idle installation asks (production: every 30 s) and how long the first
  packet waits; the receiver validates PDFs in ``--verify-processes`` processes) on its
  own queue of one Redis database;
* ``--warmup`` packets first, sent and received before the clock starts (first-use costs:
  keys unlocked, PKI loaded, statements compiled, validation processes spawned);
* then N signed documents (certified by a leader, sealed by the body: the real flow) of
  about 100 KB, then about 2 MB (600 and 100 by default: long enough that the first
  sends and the last poll tick are a small part of the clock), written to the sender's
  outbox in one transaction whose commit queues their delivery to the sender's worker;
  the clock runs from that commit until the receiver holds N incoming documents: send →
  hub → list → fetch → store (+ verify every PDF signature, or not) → status 01 →
  acknowledge;
* the verification-only rate: the same PDFs validated by 2 processes (both cores) with
  nothing else to do — the physical bottleneck of receiving with verification.

It prints packets/s for each case, the ratio to the verification-only rate, the CPU
each party used per packet while the clock ran (Linux ``/proc``; PostgreSQL's also by the
database its backends serve), the validation's share of the machine's CPU — with both CPUs
busy, the ratio against a verification-only rate taken at the same moment — and that
share without the hub's load (the hub process and its database: they stand for the
national axis, which runs on another operator's machines), and the hub requests per
packet by caller and endpoint (the hub's request log). The clock stops when the last
document is registered: what receipt queues as tasks of its own (the search index's text
extraction, the delivery of status 01 to the sender) runs partly after it. Targets: with
verification ≥ 70 % of the verification-only rate; without verification ≥ 50 packets/s.

On stderr, ``case start <epoch>`` and ``case end <epoch> <rate>`` mark each case's clock,
for a profiler or ``/proc`` sampler attached to the workers from outside
(``bench/README-hub.md``).
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("EOFFICE_BENCH_DATABASE_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# One Redis database for both installations' brokers (each worker has its own queue).
REDIS = os.environ.get("EOFFICE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
SENDER, RECEIVER = "000.00.00.H33", "000.00.30.H33"


def scratch_database(admin: sa.Engine, label: str) -> str:
    name = f"eoffice_bench_{label}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_databases(admin: sa.Engine, urls: list[str]) -> None:
    with admin.connect() as conn:
        for url in urls:
            name = sa.engine.make_url(url).database
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_pdf(target_bytes: int) -> bytes:
    """A document of about ``target_bytes`` (text pages plus an incompressible image)."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "CHI THI ve day manh cai cach hanh chinh. " * 40)
    side = max(int((target_bytes / 3) ** 0.5), 16)
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buf = io.BytesIO()
    noise.save(buf, format="PNG")
    pdf.image(buf, x=10, y=120, w=100)
    return bytes(pdf.output())


def app_for(url: str, instance: Path, **config: Any) -> Any:
    from eoffice import create_app
    from eoffice.core.schema import upgrade_database

    app = create_app({"ENV": "testing", "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": str(instance / "files"),
                      "PKI_DIR": str(instance.parent / "pki"), **config})
    with app.app_context():
        upgrade_database()
    return app


def signed_document(app: Any, size: int) -> bytes:
    """Run the real flow once: prepare → leader certifies (B-T) → number → seal (B-LT)."""
    import signing
    from eoffice.core.uow import unit_of_work
    from eoffice.documents import keys
    from eoffice.orgs.artwork import make_seal_png, make_signature_png
    from eoffice.orgs.models import Organization

    with app.app_context():
        org = app.extensions["sqlalchemy"].session.execute(
            sa.select(Organization).where(Organization.code == SENDER)).scalar_one()
        pki = keys.get_pki()
        leader = signing.load_pkcs12(pki.issue_person("Trần Quốc Khánh", "091070004567",
                                                      "lanhdao@kiengiang.gov.vn", "1"), "1")
        layout = signing.DraftLayout(page=0, number_box=signing.Box(80, 740, 200, 756),
                                     date_box=signing.Box(300, 740, 540, 756),
                                     leader_box=signing.Box(330, 120, 510, 200))
        pdf = signing.prepare_draft(make_pdf(size), layout)
        options = signing.SignOptions(level=signing.PadesLevel.B_T,
                                      timestamps=keys.timestamps(),
                                      revocation=keys.revocation(),
                                      trust_roots=keys.trust_roots())
        signature = make_signature_png("Trần Quốc Khánh")
        pdf = signing.certify_draft(pdf, leader, signature_png=signature, options=options).pdf
        pdf = signing.fill_number(pdf, number="01/CT-UBND",
                                  date_line="Kiên Giang, ngày 26 tháng 11 năm 2026")
        with unit_of_work():
            body_key = keys.load_body_key(org)
        seal = make_seal_png(org.name.upper(), diameter_mm=40)
        opts = signing.SignOptions(level=signing.PadesLevel.B_LT, timestamps=keys.timestamps(),
                                   revocation=keys.revocation(), trust_roots=keys.trust_roots())
        return signing.seal_document(pdf, body_key, seal_png=seal, options=opts).pdf


def _verify_worker(args: tuple[str, str, bytes, int]) -> int:
    url, instance, pdf, count = args
    app = app_for(url, Path(instance))
    from eoffice.documents import keys

    with app.app_context():
        keys.verify_pdf(pdf)  # warm-up
        for _ in range(count):
            keys.verify_pdf(pdf)
    return count


def verification_rate(url: str, instance: Path, pdf: bytes, count: int) -> float:
    """Packets/s two processes verify with nothing else to do."""
    per = max(count // 2, 1)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        pool.map(_verify_worker, [(url, str(instance), pdf, 1)] * 2)  # spawn + warm
        start = time.perf_counter()
        done = sum(pool.map(_verify_worker, [(url, str(instance), pdf, per)] * 2))
        return done / (time.perf_counter() - start)


def worker(env: dict[str, str], log: Path, pool: str) -> subprocess.Popen[bytes]:
    env = dict(env, PYTHONPATH=os.pathsep.join([str(ROOT / "bench"), str(ROOT)]))
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "bench_worker:celery_app", "worker", "-B",
         f"--pool={pool}", "--concurrency=2", "--without-heartbeat", "--without-gossip",
         "--without-mingle", "--loglevel=WARNING", f"--schedule={log.with_suffix('.beat')}"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc; 0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """Every descendant (children of any thread: a pool thread may start processes)."""
    pids = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        return []
    return pids + [grand for child in pids for grand in _children(child)]


def cpu_by_party(workers: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each party of the run: the hub (this process), each
    worker with its pool processes, every PostgreSQL and Redis process, and the machine."""
    usage = {"hub": _cpu_seconds(os.getpid())}
    for side, pid in workers.items():
        family = (pid, *_children(pid))
        usage[side] = sum(_cpu_seconds(p) for p in family)
        # the PDF validation processes (spawned by the receiving worker)
        usage[f"{side} validation"] = sum(_cpu_seconds(p) for p in family
                                          if b"multiprocessing.spawn" in _cmdline(p))
    for name in ("postgres", "redis-server"):
        usage[name] = sum(_cpu_seconds(int(p.name)) for p in Path("/proc").iterdir()
                          if p.name.isdigit() and _comm(p) == name)
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    usage["machine busy"] = (sum(map(int, cpu)) - int(cpu[3]) - int(cpu[4])) \
        / os.sysconf("SC_CLK_TCK")
    return usage


def database_backends(admin: sa.Engine, databases: dict[str, str]) -> dict[int, tuple[str, float]]:
    """Each PostgreSQL backend serving one of ``databases`` (name → party): its party and
    its CPU seconds so far (compare two readings pid by pid: a backend that started in
    between counts whole, one that ended is lost — the workers' pools keep theirs)."""
    with admin.connect() as conn:
        rows = conn.execute(sa.text("SELECT pid, datname FROM pg_stat_activity "
                                    "WHERE datname IS NOT NULL")).all()
    return {pid: (databases[name], _cpu_seconds(pid)) for pid, name in rows
            if name in databases}


def _proc_file(path: Path) -> bytes:
    """A ``/proc`` file's bytes (empty once the process is gone)."""
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _cmdline(pid: int) -> bytes:
    return _proc_file(Path(f"/proc/{pid}/cmdline"))


def _comm(proc: Path) -> str:
    return _proc_file(proc / "comm").decode(errors="replace").strip()


def signed_packet(pdf: bytes, number: str, notation: str) -> tuple[bytes, str]:
    """A directive packet SENDER → RECEIVER carrying ``pdf``, XML-signed with the sender's
    body key (inside the sender's app context), and its DocumentId."""
    from eoffice.interop import edxml, service

    document_id = edxml.make_document_id(SENDER, date(2026, 11, 26), number, notation)
    packet = edxml.build_edoc(edxml.EdocPacket(
        document_id=document_id,
        sender=edxml.Organization(organ_id=SENDER, organ_name="UBND tỉnh"),
        recipients=(edxml.Organization(organ_id=RECEIVER, organ_name="Rạch Giá"),),
        code_number=number, code_notation=notation, subject=f"Chỉ thị {number}",
        promulgation_date=date(2026, 11, 26),
        attachments=(edxml.Attachment(content_id="1", name="ct.pdf",
                                      content_type="application/pdf", description="",
                                      data=pdf),)),
        signer=service.packet_signer(SENDER))
    return packet, document_id


def enqueue_packets(pdf: bytes, count: int, notation: str) -> None:
    """``count`` packets of ``pdf`` written to the sender's outbox in one transaction."""
    from eoffice.core.uow import unit_of_work
    from eoffice.extensions import db
    from eoffice.interop import service

    with unit_of_work():
        for i in range(count):
            packet, document_id = signed_packet(pdf, f"{i + 1:03d}", f"CT-UBND-{notation}")
            service.enqueue_packet(packet=packet, message_type="edoc", from_code=SENDER,
                                   to_codes=[RECEIVER], document_id=document_id)
    db.session.remove()


def wait_for(receiver: Any, count: int, deadline: float,
             procs: list[subprocess.Popen[bytes]]) -> None:
    """Until the receiver's incoming register holds ``count`` documents (a worker that
    dies ends the run with its exit code instead of waiting for the deadline)."""
    from eoffice.extensions import db
    from eoffice.incoming.models import IncomingDocument

    with receiver.app_context():
        while True:
            done = db.session.scalar(sa.select(sa.func.count()).select_from(IncomingDocument))
            db.session.remove()
            if done >= count:
                return
            dead = [(proc.args[-1], proc.returncode) for proc in procs if proc.poll() is not None]
            if dead:
                raise RuntimeError(f"a worker died: {dead} ({done}/{count} arrived)")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"only {done}/{count} arrived in time")
            # every 0.2 s: the clock ends at most that late (≤ 0.5 % of a run), and the
            # count costs the machine little (at 50 ms it was ~2 ms of CPU per packet)
            time.sleep(0.2)


# (PDF bytes, verification on?, packets/s, CPU ms per packet by party) of each case run
CPU_REPORT: list[tuple[int, bool, float, dict[str, float]]] = []
# (PDF bytes, verification on?, {(system, endpoint): requests per packet}) of each case run
REQUEST_REPORT: list[tuple[int, bool, dict[tuple[str, str], float]]] = []


def hub_requests(hub_app: Any) -> dict[tuple[str, str], int]:
    """Requests the hub answered so far, by (connected system, endpoint)."""
    from eoffice.hub.models import RequestLog, System

    with hub_app.extensions["hub"].sessions() as session:
        rows = session.execute(
            sa.select(System.name, RequestLog.endpoint, sa.func.count())
            .join(System, System.systemid == RequestLog.systemid)
            .group_by(System.name, RequestLog.endpoint))
        return {(name, endpoint): count for name, endpoint, count in rows}


def run_case(tmp: Path, admin: sa.Engine, pdf: bytes, packets: int, verify: bool,
             hub_app: Any, hub_url: str, creds: dict[str, tuple[str, str]], pki_dir: Path,
             pool: str = "threads", tick: float = 1.0, warmup: int = 10,
             verify_processes: int = 2, shards: int = 2, hub_database: str = "") -> float:
    from eoffice.core.permissions import SYSTEM
    from eoffice.core.uow import unit_of_work
    from eoffice.extensions import db
    from eoffice.orgs import service as org_service

    label = uuid.uuid4().hex[:6]
    urls = {side: scratch_database(admin, side) for side in ("sender", "receiver")}
    apps = {}
    for side, code, name in (("sender", SENDER, "Ủy ban nhân dân tỉnh Kiên Giang"),
                             ("receiver", RECEIVER, "Ủy ban nhân dân thành phố Rạch Giá")):
        apps[side] = app_for(urls[side], tmp / f"{side}-{label}", HUB_URL=hub_url,
                             HUB_SYSTEM_ID=creds[side][0], HUB_SECRET=creds[side][1])
        with apps[side].app_context(), unit_of_work():
            org_service.create_org(SYSTEM, code=code, name=name, short_name="UBND",
                                   tier="province", parent=None)
    procs = []
    for side in ("sender", "receiver"):
        env = dict(os.environ, EOFFICE_ENV="testing", EOFFICE_SECRET_KEY="bench",
                   EOFFICE_INSTANCE_PATH=str(tmp / f"{side}-{label}"),
                   EOFFICE_PKI_DIR=str(pki_dir), EOFFICE_DATABASE_URL=urls[side],
                   EOFFICE_STORAGE_DIR=str(tmp / f"{side}-{label}" / "files"),
                   EOFFICE_CELERY_BROKER_URL=REDIS, BENCH_QUEUE=f"bench-{side}-{label}",
                   EOFFICE_HUB_URL=hub_url, EOFFICE_HUB_POLL_SHARDS=str(shards),
                   EOFFICE_HUB_SYSTEM_ID=creds[side][0], EOFFICE_HUB_SECRET=creds[side][1],
                   EOFFICE_HUB_POLL_SECONDS=str(tick), EOFFICE_OUTBOX_FLUSH_SECONDS=str(tick),
                   EOFFICE_OUTBOX_LEASE_SECONDS="30",
                   EOFFICE_INCOMING_VERIFY_ON_ARRIVAL="1" if verify else "0",
                   EOFFICE_INCOMING_VERIFY_PROCESSES=str(verify_processes))
        procs.append(worker(env, tmp / f"{side}-{label}.log", pool))
    time.sleep(6)  # workers up
    try:
        with apps["sender"].app_context():
            # the delivery tasks queued after commit go to the sender's worker, as in
            # production (the outbox sweep only retries)
            from eoffice.extensions import celery

            celery.conf.task_default_queue = f"bench-sender-{label}"
            # warm-up: first-use costs (keys unlocked, PKI loaded, statements compiled)
            # are paid before the clock starts
            enqueue_packets(pdf, warmup, f"W{label}")
            wait_for(apps["receiver"], warmup, time.perf_counter() + 300, procs)
            enqueue_packets(pdf, packets, label)
        workers = {"sender": procs[0].pid, "receiver": procs[1].pid}
        requests_before = hub_requests(hub_app)
        databases = {sa.engine.make_url(url).database: side for side, url in urls.items()}
        databases[hub_database] = "hub"
        before = cpu_by_party(workers)
        backends_before = database_backends(admin, databases)
        start = time.perf_counter()
        print(f"case start {time.time():.2f} verify={verify}", file=sys.stderr, flush=True)
        wait_for(apps["receiver"], warmup + packets, start + 600, procs)
        elapsed = time.perf_counter() - start
        after = cpu_by_party(workers)
        backends_after = database_backends(admin, databases)
        print(f"case end {time.time():.2f} {packets / elapsed:.1f} pkt/s", file=sys.stderr,
              flush=True)
        used = {party: (after[party] - before[party]) * 1000 / packets for party in after}
        for side in ("hub", "sender", "receiver"):
            used[f"postgres {side}"] = sum(
                seconds - backends_before.get(pid, (side, 0.0))[1]
                for pid, (party, seconds) in backends_after.items() if party == side
            ) * 1000 / packets
        CPU_REPORT.append((len(pdf), verify, packets / elapsed, used))
        requests_after = hub_requests(hub_app)
        REQUEST_REPORT.append((len(pdf), verify, {
            key: (count - requests_before.get(key, 0)) / packets
            for key, count in requests_after.items() if count > requests_before.get(key, 0)}))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for app in apps.values():
            with app.app_context():
                db.engine.dispose()
        drop_databases(admin, list(urls.values()))
    return packets / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=600, help="~100 KB packets per case")
    parser.add_argument("--big-packets", type=int, default=100, help="~2 MB packets per case")
    parser.add_argument("--pool", choices=("prefork", "threads"), default="threads",
                        help="Celery pool of the two workers (2 processes or 2 threads each; "
                             "a prefork pool's processes may not start validation processes, "
                             "so they validate themselves and the validation is not shown "
                             "apart)")
    parser.add_argument("--sizes", default="100 KB,2 MB", help="which documents to run")
    parser.add_argument("--verification", choices=("both", "on", "off"), default="both",
                        help="run the pipeline with verification on receipt, without, or both")
    parser.add_argument("--tick", type=float, default=1.0,
                        help="seconds between polls of the hub and between outbox sweeps (a "
                             "poll that stores packets lists again at once, so the tick only "
                             "sets the idle polling and the first arrival's wait)")
    parser.add_argument("--warmup", type=int, default=10,
                        help="packets sent and received before the clock starts")
    parser.add_argument("--verify-processes", type=int, default=2,
                        help="INCOMING_VERIFY_PROCESSES of the receiving worker")
    parser.add_argument("--shards", type=int, default=2, help="HUB_POLL_SHARDS of both workers")
    parser.add_argument("--keep", action="store_true",
                        help="keep the run's folder (stored files, workers' logs); a failed "
                             "run always keeps it")
    args = parser.parse_args()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    import redis
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    from eoffice.core.permissions import SYSTEM
    from eoffice.core.uow import unit_of_work
    from eoffice.hub import create_hub_app
    from eoffice.hub import service as hub_service
    from eoffice.hub.db import upgrade_hub_db
    from eoffice.orgs import service as org_service

    redis.Redis.from_url(REDIS).flushdb()
    # This process only writes outbox rows: the tasks it queues after commit go to a queue
    # no worker reads; the sender's worker finds the rows with its outbox sweep (0.2 s).
    os.environ["EOFFICE_CELERY_BROKER_URL"] = REDIS
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    hub_db = scratch_database(admin, "hub")
    upgrade_hub_db(hub_db)
    hub_app = create_hub_app({"HUB_DATABASE_URL": hub_db})
    with hub_app.extensions["hub"].sessions.begin() as session:
        hub_service.register_agency(session, SENDER, "UBND tỉnh Kiên Giang")
        hub_service.register_agency(session, RECEIVER, "UBND thành phố Rạch Giá", SENDER)
        creds = {"sender": hub_service.register_system(session, "bench-sender", [SENDER]),
                 "receiver": hub_service.register_system(session, "bench-receiver", [RECEIVER])}
    server = make_server("127.0.0.1", 0, DispatcherMiddleware(Response(status=404),
                                                              {"/hub": hub_app}), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hub_url = f"http://127.0.0.1:{server.server_port}/hub"

    pki_dir = tmp / "pki"
    maker_url = scratch_database(admin, "maker")
    maker = app_for(maker_url, tmp / "maker")
    with maker.app_context(), unit_of_work():
        org_service.create_org(SYSTEM, code=SENDER, name="Ủy ban nhân dân tỉnh Kiên Giang",
                               short_name="UBND", tier="province", parent=None)
    documents = {"100 KB": signed_document(maker, 100_000),
                 "2 MB": signed_document(maker, 2_000_000)}
    counts = {"100 KB": args.packets, "2 MB": args.big_packets}
    rows = []
    try:
        for label, pdf in documents.items():
            if label not in args.sizes.split(","):
                continue
            with_v = without = float("nan")

            def case(verify: bool, pdf: bytes = pdf, count: int = counts[label]) -> float:
                return run_case(tmp, admin, pdf, count, verify, hub_app, hub_url, creds,
                                pki_dir, args.pool, args.tick, args.warmup,
                                args.verify_processes, args.shards,
                                sa.engine.make_url(hub_db).database or "")

            before = after = float("nan")
            if args.verification != "off":
                # measured just before and just after the pipeline (the VM's speed drifts
                # within minutes): the ratio is to their mean
                before = verification_rate(maker_url, tmp / "maker", pdf, counts[label])
                with_v = case(True)
                after = verification_rate(maker_url, tmp / "maker", pdf, counts[label])
            if args.verification != "on":
                without = case(False)
            rows.append((label, len(pdf), counts[label], (before, after), with_v, without))
    except BaseException:
        print(f"workers' logs kept in {tmp}", file=sys.stderr)
        raise
    else:
        if not args.keep:  # stored files, PKI and logs: hundreds of MB per run
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        server.shutdown()
        hub_app.extensions["hub"].engine.dispose()
        with maker.app_context():
            from eoffice.extensions import db

            db.engine.dispose()
        drop_databases(admin, [hub_db, maker_url])

    print(f"# Hub benchmark — {time.strftime('%Y-%m-%d %H:%M')}, "
          f"{os.cpu_count()} CPU, PostgreSQL + Redis, two workers")
    print("| PDF | size | packets | verification only (pkt/s: before / after the pipeline) "
          "| pipeline with verification (pkt/s, ratio to the mean) | pipeline without "
          "verification (pkt/s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, size, count, (before, after), with_v, without in rows:
        print(f"| {label} | {size / 1e6:.2f} MB | {count} | {before:.1f} / {after:.1f} | "
              f"{with_v:.1f} ({with_v / ((before + after) / 2):.0%}) | {without:.1f} |")
    print()
    print("CPU per packet while the clock ran (ms; the hub is this process; PostgreSQL and "
          "Redis are all their processes, the run's and anything else's; PostgreSQL's "
          "backends by the database they serve, hub / sender / receiver):")
    print("| case | pkt/s | hub | sender worker | receiver worker (of which validation) | "
          "PostgreSQL (hub / sender / receiver) | Redis | sum | machine busy | validation's "
          "share of the machine | the same without the hub's load |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, verify, rate, used in CPU_REPORT:
        parties = ("hub", "sender", "receiver", "postgres", "redis-server")
        total = sum(used[p] for p in parties)
        cells = [f"{used[p]:.0f}" for p in parties]
        cells[2] += f" ({used['receiver validation']:.0f})"
        cells[3] += " ({:.0f} / {:.0f} / {:.0f})".format(
            *(used[f"postgres {side}"] for side in ("hub", "sender", "receiver")))
        # with both CPUs busy, the rate with verification is this share of the
        # verification-only rate measured at the same moment (the VM's speed drifts)
        share = used["receiver validation"] / used["machine busy"]
        # the hub stands for the national axis, another operator's machines: what the two
        # installations' share would be if the hub and its database were not on this one
        own = used["receiver validation"] / (used["machine busy"] - used["hub"]
                                             - used["postgres hub"])
        print(f"| {_case_label(size, verify)} | {rate:.1f} | " + " | ".join(cells)
              + f" | {total:.0f} | {used['machine busy']:.0f} | "
              + (f"{share:.0%} | {own:.0%} |" if verify else "– | – |"))
    print()
    print("Hub requests per packet while the clock ran, by caller and endpoint (the statuses "
          "come back to the sender as packets of their own):")
    endpoints = sorted({key for _, _, counts in REQUEST_REPORT for key in counts})
    print("| case | " + " | ".join(f"{who.removeprefix('bench-')} {what}"
                                   for who, what in endpoints) + " |")
    print("| --- |" + " ---: |" * len(endpoints))
    for size, verify, counts in REQUEST_REPORT:
        print(f"| {_case_label(size, verify)} | "
              + " | ".join(f"{counts.get(key, 0):.2f}" for key in endpoints) + " |")


def _case_label(size: int, verify: bool) -> str:
    return f"{size / 1e6:.2f} MB, {'with' if verify else 'without'} verification"


if __name__ == "__main__":
    main()
