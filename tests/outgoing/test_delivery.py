"""Delivery of issued documents through the (in-process) hub: dead letters and statuses.

The hub is the real hub app over WSGI. This installation's system owns the province;
the districts belong to another connected system ("the districts' software"), which
answers with QCVN 102 status packets the way a receiver does.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from helpers import PASSWORD, csrf_from
from outgoing_helpers import HATIEN, PIN, PROVINCE, RACHGIA
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from eoffice.core.db import utcnow
from eoffice.core.uow import unit_of_work
from eoffice.hub import create_hub_app
from eoffice.hub import service as hub_service
from eoffice.hub.db import upgrade_hub_db
from eoffice.interop import edxml
from eoffice.interop import service as interop
from eoffice.interop.hub_client import HubClient
from eoffice.outgoing import service

PHUQUOC = "000.00.32.H33"
BODY = "Yêu cầu các cơ quan, đơn vị triển khai thực hiện nghiêm túc Chỉ thị này."


@pytest.fixture
def hub(app: Any, tmp_path: Any, world: Any) -> Any:
    """The hub knows the province (ours) and Rạch Giá (the districts' system) only."""
    url = f"sqlite:///{tmp_path}/hub.db"
    upgrade_hub_db(url)
    hub_app = create_hub_app({"HUB_DATABASE_URL": url, "TESTING": True})
    sessions = hub_app.extensions["hub"].sessions
    with sessions.begin() as session:
        hub_service.register_agency(session, PROVINCE, "UBND tỉnh Kiên Giang", None)
        hub_service.register_agency(session, RACHGIA, "UBND TP Rạch Giá", PROVINCE)
        ours = hub_service.register_system(session, "kiengiang", [PROVINCE])
        districts = hub_service.register_system(session, "districts", [RACHGIA])
    transport = httpx.WSGITransport(app=DispatcherMiddleware(Response("not found", status=404),
                                                             {"/hub": hub_app}))
    saved = dict(app.config)
    app.config.update(HUB_SYSTEM_ID=ours[0], HUB_SECRET=ours[1])
    app.extensions["hub_transport"] = transport

    def add_to_directory(*codes: str) -> None:
        with sessions.begin() as session:
            hub_service.register_system(session, "districts", list(codes))

    yield SimpleNamespace(
        districts=HubClient("http://hub.test/hub", *districts, transport=transport),
        add_to_directory=add_to_directory)
    app.extensions.pop("hub_transport")
    app.config.clear()
    app.config.update(saved)
    hub_app.extensions["hub"].engine.dispose()


@pytest.fixture
def tokens(world: Any, api_token: Any) -> dict[str, dict[str, str]]:
    return {name: {"Authorization": f"Bearer {api_token(getattr(world, name).username)}"}
            for name in ("drafter", "clerk")}


def issue_directive(world: Any, recipients: list[str]) -> Any:
    """A Chỉ thị composed, approved, signed and issued (its packets in the outbox)."""
    with unit_of_work():
        doc = service.create_draft(world.drafter, doc_type="CT", subject="Về phòng, chống bão",
                                   recipients=recipients, signer=world.leader.username,
                                   body=BODY)
        service.submit(world.drafter, doc)
        service.approve(world.leader, doc)
    with unit_of_work():
        service.sign(world.leader, doc, pin=PIN)
    with unit_of_work():
        service.issue(world.clerk, doc)
    return doc


def deliver_all(doc: Any) -> dict[str, str]:
    """Run the delivery task for every due packet of the document: {recipient: state}."""
    states = {}
    for message_id in interop.due_messages():
        message = interop.get_outbox_message(message_id)
        if message.source_id == doc.id:
            code = message.to_codes
            states[code] = interop.deliver(message_id)
    return states


def recipients(client: Any, headers: dict[str, str], doc_id: int) -> dict[str, dict[str, Any]]:
    response = client.get(f"/api/v1/outgoing/{doc_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {r["org_code"]: r for r in response.get_json()["recipients"]}


def web_session(app: Any, username: str) -> Any:
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": username, "password": PASSWORD,
                                "csrf_token": csrf_from(page.get_data(as_text=True))})
    return client


def test_refused_recipient_is_a_dead_letter_until_the_directory_is_fixed(
        app, hub, world, client, tokens, make_org):
    make_org(tier="district", parent=world.province, code=PHUQUOC,
             name="Ủy ban nhân dân thành phố Phú Quốc")
    doc = issue_directive(world, [RACHGIA, HATIEN, PHUQUOC])
    assert deliver_all(doc) == {RACHGIA: "sent", HATIEN: "dead", PHUQUOC: "dead"}

    # the record shows who got it and why the others did not
    rows = recipients(client, tokens["clerk"], doc.id)
    assert rows[RACHGIA]["status"] == "sent" and rows[RACHGIA]["outbox_state"] == "sent"
    for code in (HATIEN, PHUQUOC):
        assert rows[code]["status"] == "failed" and rows[code]["outbox_state"] == "dead"
        assert "mã 18" in rows[code]["description"]
        assert code in rows[code]["description"]  # the hub names the unknown body
    assert rows[HATIEN]["outbox_id"] != rows[PHUQUOC]["outbox_id"]  # one packet each

    # resending while the hub still refuses: back in the queue, dead again
    dead = rows[HATIEN]["outbox_id"]
    answer = client.post(f"/api/v1/outgoing/{doc.id}/resend/{dead}", headers=tokens["clerk"])
    assert answer.status_code == 200, answer.get_json()
    assert recipients(client, tokens["clerk"], doc.id)[HATIEN]["status"] == "pending"
    assert interop.deliver(dead) == "dead"

    hub.add_to_directory(HATIEN, PHUQUOC)
    # only the clerk resends, only this document's packets, only dead ones
    assert client.post(f"/api/v1/outgoing/{doc.id}/resend/{dead}",
                       headers=tokens["drafter"]).status_code == 403
    assert client.post(f"/api/v1/outgoing/{doc.id}/resend/{rows[RACHGIA]['outbox_id']}",
                       headers=tokens["clerk"]).status_code == 409
    assert client.post(f"/api/v1/outgoing/{doc.id}/resend/999999",
                       headers=tokens["clerk"]).status_code == 404

    # the API resends Hà Tiên
    answer = client.post(f"/api/v1/outgoing/{doc.id}/resend/{dead}", headers=tokens["clerk"])
    assert answer.status_code == 200
    assert interop.deliver(dead) == "sent"
    rows = recipients(client, tokens["clerk"], doc.id)
    assert rows[HATIEN]["status"] == "sent" and rows[HATIEN]["description"] == ""

    # the clerk's "Gửi lại" button on the document page resends Phú Quốc
    clerk = web_session(app, world.clerk.username)
    html = clerk.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    other = rows[PHUQUOC]["outbox_id"]
    action = f"/outgoing/{doc.id}/resend/{other}"
    assert action in html and "Gửi lại" in html
    assert f"/outgoing/{doc.id}/resend/{dead}" not in html  # no button once delivered
    response = clerk.post(action, data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    assert "Đã đưa gói tin vào hàng đợi gửi lại." in response.get_data(as_text=True)
    assert interop.deliver(other) == "sent"
    rows = recipients(client, tokens["clerk"], doc.id)
    assert {r["status"] for r in rows.values()} == {"sent"}
    history = client.get(f"/api/v1/outgoing/{doc.id}", headers=tokens["clerk"]).get_json()
    assert [e["action"] for e in history["history"]].count("resend") == 3
    # the drafter's page has no resend button
    drafter = web_session(app, world.drafter.username)
    assert "/resend/" not in drafter.get(f"/outgoing/{doc.id}").get_data(as_text=True)


def test_recipient_statuses_come_back_through_the_hub_in_order(
        app, hub, world, client, tokens):
    hub.add_to_directory(HATIEN)
    doc = issue_directive(world, [RACHGIA, HATIEN])
    assert deliver_all(doc) == {RACHGIA: "sent", HATIEN: "sent"}
    response_for = edxml.ResponseFor(organ_id=PROVINCE, code=doc.code,
                                     promulgation_date=doc.issued_on,
                                     document_id=doc.document_id)
    start = utcnow().replace(microsecond=0)
    names = {RACHGIA: "Ủy ban nhân dân thành phố Rạch Giá",
             HATIEN: "Ủy ban nhân dân thành phố Hà Tiên"}

    def report(code: str, status: str, seconds: int, description: str) -> None:
        """The recipient's software sends a status packet through its own system."""
        packet = edxml.build_status(edxml.StatusPacket(
            sender=edxml.Organization(organ_id=code, organ_name=names[code]),
            response_for=response_for, status_code=status, description=description,
            timestamp=start + timedelta(seconds=seconds), staff_department="Văn thư"))
        hub.districts.send_edoc(packet, code, messagetype="status")

    def poll_and_read() -> dict[str, dict[str, Any]]:
        interop.poll()
        return recipients(client, tokens["drafter"], doc.id)

    report(RACHGIA, "01", 0, "Đã đến")
    report(HATIEN, "02", 1, "Từ chối: văn bản không thuộc thẩm quyền của UBND TP Hà Tiên")
    rows = poll_and_read()
    assert (rows[RACHGIA]["status"], rows[RACHGIA]["status_code"]) == ("received", "01")
    assert rows[RACHGIA]["updated_at"].startswith(start.strftime("%Y-%m-%dT%H:%M:%S"))
    assert (rows[HATIEN]["status"], rows[HATIEN]["status_code"]) == ("refused", "02")
    assert "không thuộc thẩm quyền" in rows[HATIEN]["description"]

    expected = {"03": "accepted", "04": "assigned", "05": "processing", "06": "completed"}
    for seconds, (status, name) in enumerate(expected.items(), start=1):
        report(RACHGIA, status, seconds * 10, f"Trạng thái {status}")
        rows = poll_and_read()
        assert (rows[RACHGIA]["status"], rows[RACHGIA]["status_code"]) == (name, status)
        assert rows[RACHGIA]["description"] == f"Trạng thái {status}"
    # older statuses arriving late do not override the newer one
    report(RACHGIA, "05", 35, "Đang xử lý (gửi chậm)")
    report(RACHGIA, "01", 2, "Đã đến (gửi lại)")
    rows = poll_and_read()
    assert (rows[RACHGIA]["status"], rows[RACHGIA]["status_code"]) == ("completed", "06")
    assert rows[RACHGIA]["updated_at"].startswith(
        (start + timedelta(seconds=40)).strftime("%Y-%m-%dT%H:%M:%S"))
    assert rows[HATIEN]["status"] == "refused"

    # the issued list and the document page show the same
    drafter = web_session(app, world.drafter.username)
    html = drafter.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    assert "Đã hoàn thành" in html and "Từ chối" in html and "không thuộc thẩm quyền" in html
    listing = drafter.get("/outgoing/").get_data(as_text=True)
    assert "Từ chối: 1" in listing and "Đã hoàn thành: 1" in listing
