"""The start page's "my work" queues, fed by the incoming and outgoing services, and the
notifications the outgoing steps now send."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from dashboard_helpers import assign, days_ago, receive_electronic, receive_paper, register

from eoffice.core.uow import unit_of_work
from eoffice.dashboard import mywork, stats
from eoffice.extensions import db
from eoffice.notifications.models import Notification

BODY = ("Thời gian qua, công tác cải cách hành chính đạt nhiều kết quả.\n\n"
        "Yêu cầu các cơ quan thực hiện.")


def _kinds(user):
    return [n.kind for n in db.session.execute(
        sa.select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.id)).scalars()]


def test_incoming_queues_count_and_list_urgent_first(tree, client, login):
    p, today = tree.people, stats.today()
    clerk, leader, person = p["district_clerk"], p["district_leader"], p["district_specialist"]
    plain = receive_electronic(tree.district, subject="Công văn thường")
    urgent = receive_paper(clerk, tree.district, subject="Công văn hỏa tốc", priority=3)
    assert mywork.counts(clerk, day=today)["to_register"] == 2
    assert [i["doc"].id for i in mywork.incoming_items(clerk, day=today)] == [urgent.id,
                                                                             plain.id]
    register(clerk, plain)
    register(clerk, urgent)
    counts = mywork.counts(leader, day=today)
    assert counts["to_direct"] == 2 and counts["to_register"] == 0  # not a clerk
    assert mywork.counts(clerk, day=today)["to_register"] == 0
    assign(leader, plain, person, today + timedelta(days=2))
    assign(leader, urgent, person, today - timedelta(days=1), now=days_ago(5))
    counts = mywork.counts(person, day=today)
    assert (counts["assigned"], counts["due_soon"], counts["overdue"]) == (2, 1, 1)
    assert counts["to_sign"] == counts["to_direct"] == 0
    items = mywork.incoming_items(person, day=today)
    assert [(i["doc"].id, i["overdue"]) for i in items] == [(urgent.id, True), (plain.id, False)]
    # another person of the body has nothing; the sibling body's people neither
    assert mywork.counts(p["district_leader"], day=today)["assigned"] == 0
    assert mywork.counts(p["sibling_clerk"], day=today)["to_register"] == 0

    login(person.username)
    html = client.get("/").get_data(as_text=True)
    assert 'id="queue-overdue"' in html and "tile-alert" in html
    assert 'href="/incoming/?status=assigned,processing"' in html
    assert html.index("Công văn hỏa tốc") < html.index("Công văn thường")
    assert 'id="figures-total"' not in html  # a specialist sees no figures


def test_outgoing_steps_feed_queues_and_notifications(app, make_org, make_user, client, login):
    from eoffice.core.storage import FileStore
    from eoffice.documents.keys import issue_person_key
    from eoffice.orgs.artwork import make_seal_png, make_signature_png
    from eoffice.outgoing import service

    store = FileStore(app.config["STORAGE_DIR"])
    with unit_of_work():
        province = make_org(name="Ủy ban nhân dân tỉnh Thử")
        province.seal_image = store.put(make_seal_png("ỦY BAN NHÂN DÂN TỈNH THỬ",
                                                      locality="Kiên Giang", diameter_mm=36))
        district = make_org(tier="district", parent=province, name="UBND huyện Thử")
        drafter = make_user("specialist", org=province)
        leader = make_user("leader", org=province, title="Chủ tịch",
                           identity_number="091070004567")
        leader.signature_image = store.put(make_signature_png(leader.full_name))
        issue_person_key(leader, "123456")
        clerk = make_user("clerk", org=province)
    today = stats.today()
    with unit_of_work():
        doc = service.create_draft(drafter, doc_type="CT", subject="Về cải cách hành chính",
                                   recipients=[district.code], signer=leader.username,
                                   body=BODY, urgency="hoa_toc")
    with unit_of_work():
        service.submit(drafter, doc)
    assert mywork.counts(leader, day=today)["to_review"] == 1
    assert _kinds(leader) == ["outgoing.submit"] and _kinds(drafter) == []
    with unit_of_work():
        service.approve(leader, doc)
    assert mywork.counts(leader, day=today)["to_sign"] == 1
    assert [i["queue"] for i in mywork.outgoing_items(leader)] == ["to_sign"]
    assert _kinds(drafter) == ["outgoing.approve"]
    login(leader.username)
    html = client.get("/").get_data(as_text=True)
    assert 'id="queue-to_sign"' in html and 'href="/outgoing/sign"' in html
    assert "Về cải cách hành chính" in html
    with unit_of_work():
        service.sign(leader, doc, pin="123456")
    assert mywork.counts(clerk, day=today)["to_issue"] == 1
    assert _kinds(clerk) == ["outgoing.sign"]
    assert _kinds(drafter) == ["outgoing.approve", "outgoing.sign"]
    with unit_of_work():
        service.issue(clerk, doc)
    assert mywork.counts(clerk, day=today)["to_issue"] == 0
    assert _kinds(leader) == ["outgoing.submit", "outgoing.issue"]  # not its own steps
    assert "outgoing.issue" in _kinds(drafter) and _kinds(clerk) == ["outgoing.sign"]
    note = db.session.execute(sa.select(Notification).where(
        Notification.user_id == drafter.id, Notification.kind == "outgoing.issue")).scalar_one()
    assert note.link == f"/outgoing/{doc.id}" and doc.code in note.text
    figures = stats.figures_for(province, stats.parse_period(None, None))
    assert figures["own"]["issued"] == 1 and figures["total"]["issued"] == 1
