"""Chaos: a real Celery worker on Redis delivers 200 packets to 20 bodies through a hub
that fails 30% of requests, and is killed once mid-delivery. Everything arrives exactly
once, every status 01 comes back, and nothing is left in the outbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import need_service, plain_pdf
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from eoffice import create_app
from eoffice.core.permissions import SYSTEM
from eoffice.core.schema import upgrade_database
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.hub import create_hub_app
from eoffice.hub import service as hub_service
from eoffice.hub.db import upgrade_hub_db
from eoffice.interop import edxml, service
from eoffice.interop.hub_client import HubClientError
from eoffice.interop.models import DeliveryStatus, InboxMessage, OutboxMessage
from eoffice.orgs import service as org_service

pytestmark = [pytest.mark.services, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SENDER = "000.00.00.H33"
RECEIVERS = [f"000.00.{30 + i:02d}.H33" for i in range(20)]
PACKETS_PER_BODY = 10


def _app(instance: Path, url: str, hub_url: str, creds: tuple[str, str]):
    app = create_app({"ENV": "testing", "INSTANCE_PATH": str(instance), "SECRET_KEY": "chaos",
                      "SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": str(instance / "files"),
                      "HUB_URL": hub_url, "HUB_SYSTEM_ID": creds[0], "HUB_SECRET": creds[1],
                      "OUTBOX_MAX_ATTEMPTS": 1000, "OUTBOX_BACKOFF_BASE": 0.1,
                      "OUTBOX_BACKOFF_MAX": 1.0, "HUB_TIMEOUT": 5})
    app.extensions["celery"].conf.broker_url = "memory://"
    return app


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A worker with its embedded beat, in a process group of its own: killing the group
    kills both (a SIGKILL to the worker alone left its beat running after the test,
    queueing polls for a database that no longer existed)."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "eoffice.worker:celery_app", "worker", "-B",
         "--pool=threads", "--concurrency=4", "--without-heartbeat", "--without-gossip",
         "--without-mingle", "--loglevel=WARNING",
         f"--schedule={log.parent / 'beat-schedule'}"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        start_new_session=True)


def test_two_hundred_packets_through_a_failing_hub(scratch_database_url, tmp_path):
    chaos_db = scratch_database_url
    redis_url = os.environ.get("EOFFICE_TEST_REDIS_URL")
    need_service("Redis", redis_url)
    import redis

    redis.Redis.from_url(redis_url).flushdb()

    hub_url_db = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade_hub_db(hub_url_db)
    hub_app = create_hub_app({"HUB_DATABASE_URL": hub_url_db, "HUB_CHAOS_FAIL_RATE": 0.3,
                              "HUB_CHAOS_SEED": 7})
    with hub_app.extensions["hub"].sessions.begin() as session:
        hub_service.register_agency(session, SENDER, "UBND tỉnh Kiên Giang")
        for code in RECEIVERS:
            hub_service.register_agency(session, code, f"UBND {code}", SENDER)
        sender_creds = hub_service.register_system(session, "sender", [SENDER])
        receiver_creds = hub_service.register_system(session, "receiver", RECEIVERS)
    server = make_server("127.0.0.1", 0, DispatcherMiddleware(Response(status=404),
                                                              {"/hub": hub_app}), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hub_url = f"http://127.0.0.1:{server.server_port}/hub"

    sender = _app(tmp_path / "sender", chaos_db, hub_url, sender_creds)
    receiver = _app(tmp_path / "receiver", f"sqlite:///{tmp_path / 'receiver.db'}", hub_url,
                    receiver_creds)
    for app, codes in ((sender, [SENDER]), (receiver, RECEIVERS)):
        with app.app_context():
            upgrade_database()
            with unit_of_work():
                for code in codes:
                    org_service.create_org(SYSTEM, code=code, name=f"UBND {code}",
                                           short_name="UBND", tier="province", parent=None)

    document_ids = []
    with sender.app_context(), unit_of_work():
        pdf = plain_pdf()
        for i, to in enumerate(RECEIVERS * PACKETS_PER_BODY):
            number = f"{i + 1:03d}"
            packet = edxml.build_edoc(edxml.EdocPacket(
                document_id=edxml.make_document_id(SENDER, date(2026, 11, 26), number, "CT-UBND"),
                sender=edxml.Organization(organ_id=SENDER, organ_name="UBND tỉnh Kiên Giang"),
                recipients=(edxml.Organization(organ_id=to, organ_name=f"UBND {to}"),),
                code_number=number, code_notation="CT-UBND", subject=f"Chỉ thị {number}",
                promulgation_date=date(2026, 11, 26),
                attachments=(edxml.Attachment(content_id="1", name="ct.pdf",
                                              content_type="application/pdf",
                                              description="", data=pdf),)))
            document_ids.append(edxml.parse_packet(packet).document_id)
            service.enqueue_packet(packet=packet, message_type="edoc", from_code=SENDER,
                                   to_codes=[to], document_id=document_ids[-1])

    env = dict(os.environ, EOFFICE_ENV="testing", EOFFICE_SECRET_KEY="chaos",
               EOFFICE_INSTANCE_PATH=str(tmp_path / "sender"), EOFFICE_DATABASE_URL=chaos_db,
               EOFFICE_STORAGE_DIR=str(tmp_path / "sender" / "files"),
               EOFFICE_CELERY_BROKER_URL=redis_url, EOFFICE_HUB_URL=hub_url,
               EOFFICE_HUB_SYSTEM_ID=sender_creds[0], EOFFICE_HUB_SECRET=sender_creds[1],
               EOFFICE_OUTBOX_MAX_ATTEMPTS="1000", EOFFICE_OUTBOX_BACKOFF_BASE="0.1",
               EOFFICE_OUTBOX_BACKOFF_MAX="1", EOFFICE_OUTBOX_FLUSH_SECONDS="1",
               EOFFICE_OUTBOX_LEASE_SECONDS="10",
               EOFFICE_HUB_POLL_SECONDS="1", EOFFICE_HUB_TIMEOUT="5")
    log = tmp_path / "worker.log"
    worker = _worker(env, log)
    killed = False
    deadline = time.monotonic() + 300  # ~20-40 s when all is well
    try:
        while time.monotonic() < deadline:
            with sender.app_context():
                sent = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                         .where(OutboxMessage.state == "sent"))
                statuses = db.session.scalar(
                    sa.select(sa.func.count()).select_from(DeliveryStatus)
                    .where(DeliveryStatus.status_code == "01"))
                db.session.remove()
            if not killed and sent >= 40:
                os.killpg(worker.pid, signal.SIGKILL)  # killed mid-delivery, beat too
                worker.wait()
                killed = True
                worker = _worker(env, log)
            with receiver.app_context():
                try:
                    service.poll()
                except HubClientError:
                    pass  # listing failed this round; poll again
                for row_id in service.due_messages(limit=500):
                    service.deliver(row_id)
                # a status whose hub answer was lost is stored at the hub but still pending here
                receiver_pending = db.session.scalar(
                    sa.select(sa.func.count()).select_from(OutboxMessage)
                    .where(OutboxMessage.state == "pending"))
                db.session.remove()
            if (sent == len(document_ids) and statuses == len(document_ids)
                    and receiver_pending == 0):
                break
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        server.shutdown()

    assert killed
    with receiver.app_context():
        rows = db.session.execute(sa.select(InboxMessage.document_id, InboxMessage.to_code)
                                  .where(InboxMessage.message_type == "edoc",
                                         InboxMessage.state == "processed")).all()
        assert len(rows) == len(document_ids), "every packet registered exactly once"
        assert sorted(r.document_id for r in rows) == sorted(document_ids)
        assert {r.to_code for r in rows} == set(RECEIVERS)
        dead = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.state != "sent"))
        assert dead == 0
    with sender.app_context():
        states = dict(db.session.execute(
            sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)).all())
        assert states == {"sent": len(document_ids)}, log.read_text()[-3000:]
        delivered = db.session.execute(sa.select(DeliveryStatus.status_code,
                                                 sa.func.count())
                                       .group_by(DeliveryStatus.status_code)).all()
        assert dict(delivered) == {"01": len(document_ids)}, log.read_text()[-3000:]
        db.session.remove()
        db.engine.dispose()
