"""Two eoffice installations with separate databases exchange a document through one hub
running as a real HTTP server on loopback, and statuses come back."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa
from fpdf import FPDF
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
from eoffice.interop.models import InboxMessage
from eoffice.orgs import service as org_service

KIENGIANG, VPCP = "000.00.00.H33", "000.00.00.G22"


@pytest.fixture
def live_hub(tmp_path):
    url = f"sqlite:///{tmp_path}/hub.db"
    upgrade_hub_db(url)
    hub_app = create_hub_app({"HUB_DATABASE_URL": url})
    with hub_app.extensions["hub"].sessions.begin() as session:
        hub_service.register_agency(session, KIENGIANG, "UBND tỉnh Kiên Giang")
        hub_service.register_agency(session, VPCP, "Văn phòng Chính phủ")
        creds = {
            KIENGIANG: hub_service.register_system(session, "kiengiang", [KIENGIANG]),
            VPCP: hub_service.register_system(session, "vpcp", [VPCP]),
        }
    server = make_server("127.0.0.1", 0, DispatcherMiddleware(Response(status=404),
                                                              {"/hub": hub_app}),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hub", creds
    server.shutdown()
    hub_app.extensions["hub"].engine.dispose()


def installation(tmp_path, name, hub_url, creds, code, org_name):
    instance = tmp_path / name
    app = create_app({"ENV": "testing", "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": f"key-{name}",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'db.sqlite'}",
                      "STORAGE_DIR": str(instance / "files"), "HUB_URL": hub_url,
                      "HUB_SYSTEM_ID": creds[0], "HUB_SECRET": creds[1]})
    app.extensions["celery"].conf.broker_url = "memory://"
    with app.app_context():
        upgrade_database()
        with unit_of_work():
            org_service.create_org(SYSTEM, code=code, name=org_name, short_name="UBND",
                                   tier="province", parent=None)
    return app


def test_document_goes_across_and_statuses_come_back(tmp_path, live_hub):
    hub_url, creds = live_hub
    kiengiang = installation(tmp_path, "kiengiang", hub_url, creds[KIENGIANG], KIENGIANG,
                             "Ủy ban nhân dân tỉnh Kiên Giang")
    vpcp = installation(tmp_path, "vpcp", hub_url, creds[VPCP], VPCP, "Văn phòng Chính phủ")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Bao cao so 12")
    packet = edxml.build_edoc(edxml.EdocPacket(
        document_id=edxml.make_document_id(KIENGIANG, date(2026, 11, 26), "12", "BC-UBND"),
        sender=edxml.Organization(organ_id=KIENGIANG, organ_name="UBND tỉnh Kiên Giang"),
        recipients=(edxml.Organization(organ_id=VPCP, organ_name="Văn phòng Chính phủ"),),
        code_number="12", code_notation="BC-UBND", subject="Báo cáo cải cách hành chính",
        promulgation_date=date(2026, 11, 26), type_name="Báo cáo",
        attachments=(edxml.Attachment(content_id="bc", name="bc.pdf",
                                      content_type="application/pdf", description="",
                                      data=bytes(pdf.output())),)))
    document_id = edxml.parse_packet(packet).document_id

    with kiengiang.app_context():
        with unit_of_work():
            message = service.enqueue_packet(packet=packet, message_type="edoc",
                                             from_code=KIENGIANG, to_codes=[VPCP],
                                             document_id=document_id, subject="Báo cáo")
        assert service.deliver(message.id) == "sent"

    with vpcp.app_context():
        assert service.poll()["edoc"] == 1
        inbox = db.session.execute(sa.select(InboxMessage)).scalar_one()
        assert (inbox.document_id, inbox.from_code, inbox.state) == (document_id, KIENGIANG,
                                                                   "processed")
        for row_id in service.due_messages():  # the automatic 01
            assert service.deliver(row_id) == "sent"
        original = edxml.parse_packet(service.store().get(inbox.packet_digest))
        assert original.attachments[0].data.startswith(b"%PDF")
        with unit_of_work():
            accepted = service.emit_status(
                sender=edxml.Organization(organ_id=VPCP, organ_name="Văn phòng Chính phủ"),
                response_for=service.response_for_packet(original), status_code="03",
                description="Đã vào sổ văn bản đến", staff_department="Văn thư")
        assert service.deliver(accepted.id) == "sent"

    with kiengiang.app_context():
        assert service.poll()["status"] == 2
        [row] = service.delivery_statuses(document_id)
        assert (row.recipient_code, row.status_code) == (VPCP, "03")
        assert row.description == "Đã vào sổ văn bản đến"
