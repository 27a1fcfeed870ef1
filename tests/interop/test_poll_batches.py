"""Receiving in batches, poll shards and the poll lock; deliveries several in one call."""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import date

import httpx
import pytest
import sqlalchemy as sa
from helpers import make_scratch_app, plain_pdf
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from eoffice.audit.models import AuditEvent
from eoffice.core.permissions import SYSTEM
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.hub import create_hub_app
from eoffice.hub import service as hub_service
from eoffice.hub.db import upgrade_hub_db
from eoffice.interop import edxml, service
from eoffice.interop.hub_client import HubClient
from eoffice.interop.models import InboxMessage, OutboxMessage
from eoffice.orgs import service as org_service

PROVINCE, VPCP = "000.00.00.H33", "000.00.00.G22"


def _edoc(number: str, sender: str = VPCP, to: str = PROVINCE, subject: str = "") -> bytes:
    issued = date(2026, 11, 26)
    return edxml.build_edoc(edxml.EdocPacket(
        document_id=edxml.make_document_id(sender, issued, number, "CV-VPCP"),
        sender=edxml.Organization(organ_id=sender, organ_name="Cơ quan gửi"),
        recipients=(edxml.Organization(organ_id=to, organ_name=to),),
        code_number=number, code_notation="CV-VPCP", subject=subject or f"Công văn {number}",
        promulgation_date=issued, type_name="Công văn",
        attachments=(edxml.Attachment(content_id="1", name="cv.pdf",
                                      content_type="application/pdf", description="",
                                      data=plain_pdf()),)))


def _in_process_hub(path):
    """A hub on SQLite at ``path`` knowing PROVINCE and VPCP, each with its system; the
    hub app, a WSGI transport to it (mounted at /hub) and the two systems' credentials."""
    url = f"sqlite:///{path}"
    upgrade_hub_db(url)
    hub_app = create_hub_app({"HUB_DATABASE_URL": url, "TESTING": True})
    with hub_app.extensions["hub"].sessions.begin() as session:
        hub_service.register_agency(session, PROVINCE, "UBND tỉnh")
        hub_service.register_agency(session, VPCP, "Văn phòng Chính phủ")
        ours = hub_service.register_system(session, "kiengiang", [PROVINCE])
        theirs = hub_service.register_system(session, "vpcp", [VPCP])
    transport = httpx.WSGITransport(app=DispatcherMiddleware(Response(status=404),
                                                             {"/hub": hub_app}))
    return hub_app, transport, ours, theirs


@pytest.fixture
def peer(app, db_session, tmp_path, make_org):
    """An in-process hub; this app serves PROVINCE, the returned client is VPCP's system.

    The body is committed: a poll ends its read transaction (a rollback) before it talks
    to the hub, which would otherwise drop it from the rollback-based test session."""
    hub_app, transport, ours, theirs = _in_process_hub(tmp_path / "hub.db")
    saved = dict(app.config)
    app.config.update(HUB_SYSTEM_ID=ours[0], HUB_SECRET=ours[1], HUB_POLL_BATCH=2)
    app.extensions["hub_transport"] = transport
    make_org(code=PROVINCE, name="Ủy ban nhân dân tỉnh Kiên Giang")
    db_session.commit()
    yield HubClient("http://hub.test/hub", *theirs, transport=transport)
    app.extensions.pop("hub_transport")
    app.config.clear()
    app.config.update(saved)
    hub_app.extensions["hub"].engine.dispose()


def _inbox() -> list[tuple[str, str, bool]]:
    return [(m.hub_doc_id, m.state, m.acked_at is not None) for m in db.session.execute(
        sa.select(InboxMessage).order_by(InboxMessage.id)).scalars()]


def test_batches_store_each_packet_once_and_acknowledge(peer, db_session):
    doc_ids = [peer.send_edoc(_edoc(f"{n}"), VPCP) for n in range(1, 6)]  # 3 batches of ≤ 2
    counts = service.poll()
    assert counts["edoc"] == 5 and counts["retry"] == 0 and counts["busy"] == 0
    assert _inbox() == [(doc_id, "processed", True) for doc_id in doc_ids]
    assert service.hub_client().get_received_list("edoc") == []
    # registered as incoming documents of the body, each once
    from eoffice.incoming.models import IncomingDocument

    assert db_session.scalar(sa.select(sa.func.count()).select_from(IncomingDocument)) == 5
    # five status 01 packets wait in the outbox, one per document
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status_code == "01")) == 5
    assert service.poll()["edoc"] == 0


def test_received_bytes_reach_the_disk_before_the_batch_transaction(peer, db_session,
                                                                      monkeypatch):
    # Writing a file syncs it to disk; done inside the batch's transaction it made every
    # audited action of the installation wait (the transaction holds the audit chain's
    # head from its first record on). Only the status 01 packets, which the transaction
    # itself builds, may be written inside it.
    from eoffice.core.storage import FileStore

    with unit_of_work():
        service.packet_signer(PROVINCE)  # the body's key, issued (and stored) on first use
    first_puts: dict[str, tuple[bytes, bool]] = {}  # by digest: the bytes, in a transaction?
    real_put = FileStore.put

    def put(self, data):
        first_puts.setdefault(hashlib.sha256(data).hexdigest(),
                              (bytes(data), db.session().in_transaction()))
        return real_put(self, data)

    monkeypatch.setattr(FileStore, "put", put)
    packets = [_edoc("1"), _edoc("2")]
    for packet in packets:
        peer.send_edoc(packet, VPCP)
    assert service.poll()["edoc"] == 2
    inside = [data for data, in_transaction in first_puts.values() if in_transaction]
    outside = [data for data, in_transaction in first_puts.values() if not in_transaction]
    assert all(isinstance(edxml.parse_packet(data), edxml.StatusPacket) for data in inside)
    assert len(inside) == 2
    # the attachments (taken from the packets: plain_pdf()'s bytes change with the second)
    attachments = {a.data for packet in packets for a in edxml.parse_packet(packet).attachments}
    assert attachments and attachments <= set(outside)
    # the stored packets are the ones sent, the hub's trace hop added
    assert {edxml.parse_packet(data).document_id for data in outside if data[:5] != b"%PDF-"
            } == {edxml.parse_packet(packet).document_id for packet in packets}


def test_a_packet_that_cannot_be_stored_does_not_hold_back_its_batch(peer, db_session):
    bad = peer.send_edoc(_edoc("1"), VPCP)
    good = peer.send_edoc(_edoc("2"), VPCP)
    broken = {"on": True}

    def fragile(inbox, packet):
        if broken["on"] and inbox.hub_doc_id == bad:
            raise RuntimeError("receiver bug")

    service.register_edoc_receiver(fragile)
    try:
        counts = service.poll()
        # tried in the first pass, and once more in the pass that storing ``good`` led to
        # (a pass that stores nothing ends the poll)
        assert (counts["edoc"], counts["retry"]) == (1, 2)
        assert _inbox() == [(good, "processed", True)]
        # the failed one is still listed at the hub and arrives once the receiver works
        assert [i["docId"] for i in service.hub_client().get_received_list("edoc")] == [bad]
        broken["on"] = False
        assert service.poll()["edoc"] == 1
    finally:
        service._EDOC_RECEIVERS.remove(fragile)
    assert sorted(_inbox()) == sorted([(good, "processed", True), (bad, "processed", True)])


def test_an_arrival_its_receiver_did_not_audit_is_audited_by_interop(peer, db_session,
                                                                    monkeypatch):
    seen = []
    # a receiver that returns None has written no audit event for the arrival
    monkeypatch.setattr(service, "_EDOC_RECEIVERS",
                        [lambda inbox, packet: seen.append(inbox.hub_doc_id)])
    doc_id = peer.send_edoc(_edoc("1"), VPCP)
    assert service.poll()["edoc"] == 1 and seen == [doc_id]
    [(action, details)] = db_session.execute(
        sa.select(AuditEvent.action, AuditEvent.details)
        .where(AuditEvent.action.like("%received"))).all()
    assert action == "interop.received"
    assert json.loads(details)["document_id"] == edxml.parse_packet(_edoc("1")).document_id


def test_acknowledgement_lost_is_sent_again_next_round(app, peer, db_session):
    doc_id = peer.send_edoc(_edoc("1"), VPCP)
    working = app.extensions["hub_transport"]

    class NoAcks(httpx.BaseTransport):
        def handle_request(self, request):
            if request.url.path.endswith("/updateStatuses"):
                raise httpx.ConnectError("lost", request=request)
            return working.handle_request(request)

    app.extensions["hub_transport"] = NoAcks()
    assert service.poll()["edoc"] == 1
    assert _inbox() == [(doc_id, "processed", False)]
    app.extensions["hub_transport"] = working
    counts = service.poll()
    assert counts["duplicate"] == 1 and counts["edoc"] == 0  # registered once
    assert _inbox() == [(doc_id, "processed", True)]
    assert service.hub_client().get_received_list("edoc") == []


def test_shards_split_the_work_and_cover_everything(peer, db_session):
    doc_ids = {peer.send_edoc(_edoc(f"{n}"), VPCP) for n in range(1, 9)}
    first = service.poll(shard=0, shards=2)
    mine = {m for m, _, _ in _inbox()}
    second = service.poll(shard=1, shards=2)
    assert first["edoc"] + second["edoc"] == 8
    assert 0 < len(mine) < 8  # crc32 of eight uuids: both shards have work
    assert {m for m, _, _ in _inbox()} == doc_ids


def test_an_overlapping_poll_of_the_same_shard_returns_at_once(peer, db_session):
    doc_id = peer.send_edoc(_edoc("1"), VPCP)
    with service._poll_lock(0) as held:
        assert held
        assert service.poll()["busy"] == 1  # another poll holds shard 0
        assert _inbox() == []
        other = service.poll(shard=1, shards=2)  # other shards run
        assert other["busy"] == 0
        assert other["edoc"] == zlib.crc32(doc_id.encode()) % 2
    service.poll()
    assert _inbox() == [(doc_id, "processed", True)]


def test_one_transaction_queues_one_delivery_task(peer, db_session, monkeypatch):
    from eoffice.interop import tasks

    queued: list[object] = []
    monkeypatch.setattr(tasks.deliver_packet, "delay", lambda i: queued.append(("one", i)))
    monkeypatch.setattr(tasks.deliver_packets, "delay", lambda ids: queued.append(("many", ids)))
    with unit_of_work():
        ids = [service.enqueue_packet(packet=_edoc(f"{n}", PROVINCE, VPCP), message_type="edoc",
                                      from_code=PROVINCE, to_codes=[VPCP],
                                      document_id=f"doc-{n}").id for n in range(3)]
    assert queued == [("many", ids)]
    queued.clear()
    with unit_of_work():
        one = service.enqueue_packet(packet=_edoc("9", PROVINCE, VPCP), message_type="edoc",
                                     from_code=PROVINCE, to_codes=[VPCP], document_id="doc-9")
    assert queued == [("one", one.id)]


def test_deliver_many_sends_one_batch_each_once(tmp_path, scratch_database_url):
    """Committed rows (outside the test rollback): one sendEdocs call carries the group."""
    hub_app, transport, ours, theirs = _in_process_hub(tmp_path / "hub-many.db")
    calls: list[int] = []
    inner_send = HubClient.send_edocs

    def send_edocs(self, items):
        calls.append(len(items))
        return inner_send(self, items)

    def send_edoc(self, *args, **kwargs):
        raise AssertionError("one packet at a time")

    other = make_scratch_app(scratch_database_url, tmp_path / "many", HUB_SYSTEM_ID=ours[0],
                             HUB_SECRET=ours[1], HUB_URL="http://hub.test/hub",
                             HUB_SEND_CONCURRENCY=4)
    other.extensions["hub_transport"] = transport
    try:
        with other.app_context():
            with unit_of_work():
                org_service.create_org(SYSTEM, code=PROVINCE, name="Ủy ban nhân dân tỉnh",
                                       short_name="UBND", tier="province", parent=None)
            with unit_of_work():
                ids = [service.enqueue_packet(
                    packet=_edoc(f"{n}", PROVINCE, VPCP), message_type="edoc",
                    from_code=PROVINCE, to_codes=[VPCP], document_id=f"doc-{n}").id
                    for n in range(6)]
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(HubClient, "send_edoc", send_edoc)
                patch.setattr(HubClient, "send_edocs", send_edocs)
                assert service.deliver_many(ids) == ["sent"] * 6
                assert service.deliver_many(ids) == ["sent"] * 6  # again: no-op
            db.session.remove()
            states = db.session.execute(sa.select(OutboxMessage.state,
                                                  OutboxMessage.attempts)).all()
            assert sorted(states) == [("sent", 1)] * 6
            db.session.remove()
        assert calls == [6]  # one request for the six packets, none for the no-op
        listed = HubClient("http://hub.test/hub", *theirs, transport=transport) \
            .get_received_list("edoc")
        assert len(listed) == 6
    finally:
        with other.app_context():
            db.engine.dispose()
        hub_app.extensions["hub"].engine.dispose()


def test_report_cache_validates_each_pdf_once(app, monkeypatch):
    import signing
    from eoffice.documents import keys

    calls: list[int] = []
    real = signing.validate_pdf

    def counting(data, settings):
        calls.append(len(data))
        return real(data, settings)

    monkeypatch.setattr(signing, "validate_pdf", counting)
    pdf = plain_pdf()
    junk = b"not a pdf"
    with keys.report_cache():
        first = keys.verify_pdf(pdf)
        assert keys.verify_pdf(pdf) is first
        with pytest.raises(keys.ValidationFailed):
            keys.verify_pdf(junk)
        with pytest.raises(keys.ValidationFailed):
            keys.verify_pdf(junk)
        assert len(calls) == 2
        # equal bytes of another arrival (another object) are validated on their own
        keys.verify_pdf(bytes(bytearray(pdf)))
        assert len(calls) == 3
    keys.verify_pdf(pdf)  # outside the block: validated again
    assert len(calls) == 4 and first["valid"] is False  # an unsigned PDF


def test_a_document_twice_in_one_batch_is_kept_once(peer, db_session):
    """The batch's pass checks duplicates against its own earlier packets too (the
    earlier arrivals are read once per batch)."""
    first = peer.send_edoc(_edoc("9"), VPCP)
    again = peer.send_edoc(_edoc("9", subject="Công văn 9 (gửi lại)"), VPCP)
    assert first != again  # two packets at the hub, one document
    counts = service.poll()
    assert (counts["edoc"], counts["duplicate"]) == (1, 1)
    assert sorted(_inbox()) == sorted([(first, "processed", True), (again, "duplicate", True)])
    from eoffice.incoming.models import IncomingDocument

    assert db_session.scalar(sa.select(sa.func.count()).select_from(IncomingDocument)) == 1


def test_a_batch_stored_one_by_one_still_knows_its_duplicates(peer, db_session):
    """When a packet fails, the batch is stored again a savepoint per packet: the others'
    duplicate checks read the documents' arrivals then, with the same rule."""
    first = peer.send_edoc(_edoc("11"), VPCP)
    assert service.poll()["edoc"] == 1
    bad = peer.send_edoc(_edoc("12"), VPCP)
    again = peer.send_edoc(_edoc("11", subject="Công văn 11 (gửi lại)"), VPCP)

    def fragile(inbox, packet):
        if inbox.hub_doc_id == bad:
            raise RuntimeError("receiver bug")

    service.register_edoc_receiver(fragile)
    try:
        counts = service.poll()
    finally:
        service._EDOC_RECEIVERS.remove(fragile)
    assert (counts["duplicate"], counts["edoc"], counts["retry"]) == (1, 0, 1)
    assert sorted(_inbox()) == sorted([(first, "processed", True),
                                       (again, "duplicate", True)])


def test_a_batch_costs_a_bounded_number_of_statements_per_packet(app, db_session, peer):
    """Receiving is per-packet work on the database: the body, its clerks and the signer
    are looked up once per batch, not once per packet."""
    for n in range(1, 5):
        peer.send_edoc(_edoc(f"{n}"), VPCP)
    app.config.update(HUB_POLL_BATCH=4)
    seen: list[str] = []

    def listen(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        assert service.poll()["edoc"] == 4
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)
    # a batch that stores without trouble needs no savepoint per packet (the test session
    # runs each of the poll's transactions as a savepoint: three; one per packet would
    # add four)
    assert len([s for s in seen if s.startswith("SAVEPOINT")]) <= 3
    work = [s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))]
    # 9 per packet on PostgreSQL (inbox, document, file, search entry, the audit event
    # with its head read and moved, status 01 outbox row, incoming's duplicate check) plus
    # ten per batch here (the body, its clerks, the signing key made on first use, the
    # batch's duplicate check, the acknowledgements): 46; was 22 per packet, then 12 and
    # two savepoint statements besides.
    assert len(work) <= 4 * 10 + 12, "\n".join(work)
    # interop's duplicate check: one query for the batch (with the look-up of the
    # deliveries already kept), not one per packet
    assert len([s for s in work if s.startswith("SELECT") and "FROM interop_inbox" in s]) == 2
    assert sum(s.startswith("INSERT INTO incoming_documents") for s in work) == 4
    lookups = [s for s in work if s.startswith("SELECT") and (
        "FROM organizations" in s or "FROM users" in s or "FROM signing_keys" in s)]
    # once per batch each: the receiving body, the clerks, the signing body and its key
    # (were once per packet)
    assert len(lookups) <= 4, lookups


def test_a_poll_that_stored_packets_lists_again_at_once(peer, db_session, monkeypatch):
    """Packets that arrive while a poll works are taken by the same poll (no wait for the
    next beat tick); a pass that stores nothing ends it."""
    peer.send_edoc(_edoc("1"), VPCP)
    inner = service._receive_batch
    lists = []

    def receive(hub, batch, message_type):
        if message_type == "edoc" and len(lists) == 0:
            lists.append(peer.send_edoc(_edoc("2"), VPCP))  # arrives mid-poll
        return inner(hub, batch, message_type)

    monkeypatch.setattr(service, "_receive_batch", receive)
    assert service.poll()["edoc"] == 2
    assert service.hub_client().get_received_list("edoc") == []


def test_a_poll_does_not_spin_on_packets_it_cannot_store(peer, db_session, monkeypatch):
    peer.send_edoc(_edoc("1"), VPCP)
    passes = []

    def broken(*args, **kwargs):
        passes.append(1)
        raise RuntimeError("receiver down")

    monkeypatch.setattr(service, "_store_received", broken)
    counts = service.poll()
    # one round: tried in the batch's pass and once more alone, then left for the next tick
    assert counts["retry"] == 1 and counts["edoc"] == 0 and len(passes) == 2


def test_pdfs_can_be_validated_in_worker_processes(app, db_session, peer, monkeypatch):
    """INCOMING_VERIFY_PROCESSES: the batch's PDFs are validated in spawned processes (a
    thread-pool worker then validates on several CPUs) with the same report as here."""
    import signing
    from eoffice.documents import keys, verify_pool
    from eoffice.incoming.models import IncomingFile

    app.config.update(INCOMING_VERIFY_ON_ARRIVAL=True, INCOMING_VERIFY_PROCESSES=1)
    for n in ("1", "2"):
        peer.send_edoc(_edoc(n), VPCP)
    validate = signing.validate_pdf

    def not_here(*args, **kwargs):
        raise AssertionError("validated in the polling thread")

    monkeypatch.setattr(signing, "validate_pdf", not_here)
    try:
        assert service.poll()["edoc"] == 2
    finally:
        verify_pool._reset()
        app.config.update(INCOMING_VERIFY_PROCESSES=0)
    monkeypatch.setattr(signing, "validate_pdf", validate)
    expected = keys.verify_pdf(plain_pdf())
    reports = [json.loads(f.report) for f in db_session.execute(sa.select(IncomingFile)).scalars()]
    assert len(reports) == 2
    assert all(r["valid"] == expected["valid"] and r["verdict"] == expected["verdict"]
               for r in reports)


def test_a_poll_round_lists_both_message_types_in_one_call(app, peer, db_session):
    """Each round of a poll asks the hub once for what waits (documents and statuses)."""
    for number in ("1", "2", "3"):
        peer.send_edoc(_edoc(number), VPCP)
    inner = app.extensions["hub_transport"]
    asked: list[tuple[str, str | None]] = []

    class Counting(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            asked.append((request.url.path.rsplit("/", 1)[-1],
                          request.headers.get("messagetype")))
            return inner.handle_request(request)

    app.extensions["hub_transport"] = Counting()
    try:
        assert service.poll()["edoc"] == 3
    finally:
        app.extensions["hub_transport"] = inner
    lists = [kind for endpoint, kind in asked if endpoint == "getReceivedEdocList"]
    # a round that stored packets, then one that found nothing more
    assert lists == ["edoc,status", "edoc,status"]
