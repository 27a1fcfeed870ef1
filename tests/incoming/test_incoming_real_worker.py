"""Province → district through a live hub with a real Celery worker (and beat) on Redis:
the worker polls the packets, the incoming receiver verifies them and answers 01; the
city registers, assigns and completes one; the province sees 01 → 03 → 04 → 05 → 06."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import need_service, plain_pdf
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

import signing
from eoffice import create_app
from eoffice.auth import service as auth_service
from eoffice.auth.models import User
from eoffice.core.permissions import SYSTEM
from eoffice.core.schema import upgrade_database
from eoffice.core.uow import unit_of_work
from eoffice.documents import keys
from eoffice.extensions import db
from eoffice.hub import create_hub_app
from eoffice.hub import service as hub_service
from eoffice.hub.db import upgrade_hub_db
from eoffice.incoming import service
from eoffice.incoming.models import IncomingDocument
from eoffice.interop import edxml
from eoffice.interop import service as interop
from eoffice.interop.models import StatusEvent
from eoffice.orgs import service as org_service

pytestmark = [pytest.mark.services, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
PROVINCE, RACHGIA = "000.00.00.H33", "000.00.30.H33"
PACKETS = 3


def _wait(predicate, timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_province_to_city_with_a_real_worker(scratch_database_url, tmp_path):
    base = os.environ.get("EOFFICE_TEST_REDIS_URL")
    need_service("Redis", base)
    import redis

    # a Redis database of its own, so a concurrent chaos run cannot steal our tasks
    redis_url = base.rsplit("/", 1)[0] + "/12" if base.count("/") >= 3 else base + "/12"
    redis.Redis.from_url(redis_url).flushdb()

    hub_db = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade_hub_db(hub_db)
    hub_app = create_hub_app({"HUB_DATABASE_URL": hub_db})
    with hub_app.extensions["hub"].sessions.begin() as session:
        hub_service.register_agency(session, PROVINCE, "UBND tỉnh Kiên Giang")
        hub_service.register_agency(session, RACHGIA, "UBND TP Rạch Giá", PROVINCE)
        creds = hub_service.register_system(session, "kiengiang", [PROVINCE, RACHGIA])
    server = make_server("127.0.0.1", 0, DispatcherMiddleware(Response(status=404),
                                                              {"/hub": hub_app}), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hub_url = f"http://127.0.0.1:{server.server_port}/hub"

    instance = tmp_path / "instance"
    app = create_app({"ENV": "testing", "INSTANCE_PATH": str(instance), "SECRET_KEY": "worker",
                      "SQLALCHEMY_DATABASE_URI": scratch_database_url,
                      "STORAGE_DIR": str(instance / "files"), "HUB_URL": hub_url,
                      "HUB_SYSTEM_ID": creds[0], "HUB_SECRET": creds[1]})
    app.extensions["celery"].conf.broker_url = "memory://"  # the worker's beat delivers
    env = dict(os.environ, EOFFICE_ENV="testing", EOFFICE_SECRET_KEY="worker",
               EOFFICE_INSTANCE_PATH=str(instance), EOFFICE_DATABASE_URL=scratch_database_url,
               EOFFICE_STORAGE_DIR=str(instance / "files"), EOFFICE_CELERY_BROKER_URL=redis_url,
               EOFFICE_HUB_URL=hub_url, EOFFICE_HUB_SYSTEM_ID=creds[0],
               EOFFICE_HUB_SECRET=creds[1], EOFFICE_OUTBOX_FLUSH_SECONDS="1",
               EOFFICE_HUB_POLL_SECONDS="1", EOFFICE_OUTBOX_LEASE_SECONDS="5",
               EOFFICE_HUB_TIMEOUT="5")
    with app.app_context():
        upgrade_database()
        with unit_of_work():
            province = org_service.create_org(SYSTEM, code=PROVINCE, name="Ủy ban nhân dân tỉnh "
                                              "Kiên Giang", short_name="UBND", tier="province",
                                              parent=None, locality="Kiên Giang")
            city = org_service.create_org(SYSTEM, code=RACHGIA, name="Ủy ban nhân dân thành phố "
                                          "Rạch Giá", short_name="UBND", tier="district",
                                          parent=province, locality="Rạch Giá")
            for role in ("clerk", "leader", "specialist"):
                auth_service.create_user(SYSTEM, username=f"{role}.rg", password="mat-khau-123",
                                         full_name=f"Người {role}", org=city, roles=[role])
            pdf = signing.sign_pdf(plain_pdf(), keys.load_body_key(province), signing.SignOptions(
                field_name="Seal", level=signing.PadesLevel.B_T, timestamps=keys.timestamps(),
                revocation=keys.revocation())).pdf
            document_ids = []
            for n in range(1, PACKETS + 1):
                packet = edxml.build_edoc(edxml.EdocPacket(
                    document_id=edxml.make_document_id(PROVINCE, date(2026, 11, 26), f"{n:02d}",
                                                       "CT-UBND"),
                    sender=edxml.Organization(organ_id=PROVINCE, organ_name=province.name),
                    recipients=(edxml.Organization(organ_id=RACHGIA, organ_name=city.name),),
                    code_number=f"{n:02d}", code_notation="CT-UBND", subject=f"Chỉ thị số {n}",
                    promulgation_date=date(2026, 11, 26), type_name="Chỉ thị",
                    attachments=(edxml.Attachment(content_id="1", name="ct.pdf",
                                                  content_type="application/pdf",
                                                  description="", data=pdf),)),
                    signer=interop.packet_signer(PROVINCE))
                document_ids.append(edxml.parse_packet(packet).document_id)
                interop.enqueue_packet(packet=packet, message_type="edoc", from_code=PROVINCE,
                                       to_codes=[RACHGIA], document_id=document_ids[-1])
        db.session.remove()

    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "eoffice.worker:celery_app", "worker", "-B",
         "--pool=threads", "--concurrency=2", "--without-heartbeat", "--without-gossip",
         "--without-mingle", "--loglevel=WARNING", f"--schedule={tmp_path / 'beat'}"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        with app.app_context():
            def received() -> bool:
                count = db.session.scalar(sa.select(sa.func.count()).select_from(
                    IncomingDocument).where(IncomingDocument.status == "received"))
                db.session.remove()
                return count == PACKETS

            _wait(received, what="the packets to be received by the worker")
            with unit_of_work():
                doc = db.session.execute(sa.select(IncomingDocument).where(
                    IncomingDocument.document_id == document_ids[0])).scalar_one()
                assert doc.verification_ok is True  # verified in the worker, on arrival
                service.register(_user("clerk"), doc)
            with unit_of_work():
                doc = db.session.get(IncomingDocument, doc.id)
                service.assign(_user("leader"), doc, lead="specialist.rg",
                               deadline=service.today() + timedelta(days=3),
                               directive="Triển khai ngay")
            with unit_of_work():
                doc = db.session.get(IncomingDocument, doc.id)
                service.add_note(_user("specialist"), doc, "Đang triển khai")
            with unit_of_work():
                doc = db.session.get(IncomingDocument, doc.id)
                service.complete(_user("specialist"), doc, "Đã triển khai")
            db.session.remove()

            def province_sees_06() -> bool:
                rows = interop.delivery_statuses(document_ids[0])
                db.session.remove()
                return [r.status_code for r in rows] == ["06"]

            _wait(province_sees_06, what="status 06 at the province")
            events = list(db.session.execute(sa.select(StatusEvent.status_code).where(
                StatusEvent.document_id == document_ids[0])
                # the order the city reported them in (delivery threads may overtake each other)
                .order_by(StatusEvent.reported_at, StatusEvent.status_code)).scalars())
            assert events == ["01", "03", "04", "05", "06"]
            for other in document_ids[1:]:
                assert [r.status_code for r in interop.delivery_statuses(other)] == ["01"]
            assert db.session.scalar(sa.select(sa.func.count()).select_from(IncomingDocument)
                                     ) == PACKETS  # each registered once
            db.session.remove()
            db.engine.dispose()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.shutdown()
        hub_app.extensions["hub"].engine.dispose()
    output = log.read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]


def _user(role: str) -> User:
    return db.session.execute(sa.select(User).where(User.username == f"{role}.rg")).scalar_one()
