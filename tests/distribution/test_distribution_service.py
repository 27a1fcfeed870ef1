"""Internal distribution "to inform": who may send, to whom, read tracking, visibility."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from eoffice.core.errors import BadRequest, Conflict, InvalidTransition, NotFound, PermissionDenied
from eoffice.core.permissions import can
from eoffice.extensions import db
from eoffice.incoming import distribution, queries, service
from eoffice.incoming.distribution import IncomingDistribution
from eoffice.notifications.models import Notification


def test_unit_expands_to_its_members_at_send_time(body: Any, paper: Any,
                                                  make_user: Any) -> None:
    doc = paper()
    rows = distribution.distribute(body.clerk, doc, units=["NV", body.unit_vp.id],
                                   users=["d.other"], note="Để biết và theo dõi")
    got = {r.user.username: (r.unit.short_name if r.unit else None) for r in rows}
    assert got == {"d.vp1": "VP", "d.vp2": "VP", "d.nv1": "NV", "d.other": None}
    # someone who joins the unit later does not receive it
    make_user("specialist", org=body.org, unit=body.unit_vp, username="d.vp3")
    assert {r.user.username for r in distribution.distribution_of(body.clerk, doc)} == \
        set(got)
    # every recipient is notified with a link to the document
    notes = db.session.execute(sa.select(Notification).where(
        Notification.kind == "incoming.distributed")).scalars().all()
    assert sorted(n.user.username for n in notes) == sorted(got)
    assert all(n.link == f"/incoming/{doc.id}" for n in notes)


def test_sending_again_adds_only_new_people(body: Any, paper: Any) -> None:
    doc = paper()
    distribution.distribute(body.clerk, doc, users=["d.vp1"])
    rows = distribution.distribute(body.leader, doc, units=["VP"])
    assert [r.user.username for r in rows] == ["d.vp2"]
    with pytest.raises(Conflict):
        distribution.distribute(body.clerk, doc, units=["VP"])
    assert db.session.execute(sa.select(sa.func.count()).select_from(IncomingDistribution)
                              ).scalar_one() == 2


def test_read_on_open_and_by_button_and_the_clerk_sees_who_has_not(body: Any, paper: Any) -> None:
    doc = paper()
    distribution.distribute(body.clerk, doc, users=["d.vp1", "d.vp2", "d.nv1"])
    assert distribution.unread_count(body.vp1) == 1
    assert distribution.mark_opened(body.vp1, doc) is True
    assert distribution.mark_opened(body.vp1, doc) is False  # only the first opening counts
    row = distribution.mark_read(body.vp2, doc)
    first = row.read_at
    assert distribution.mark_read(body.vp2, doc).read_at == first  # idempotent
    status = {r.user.username: r.read_at is not None
              for r in distribution.distribution_of(body.leader, doc)}
    assert status == {"d.vp1": True, "d.vp2": True, "d.nv1": False}
    # unread first
    assert distribution.distribution_of(body.clerk, doc)[0].user.username == "d.nv1"
    assert distribution.unread_count(body.vp1) == 0
    assert distribution.unread_count(body.nv1) == 1
    # someone it was not sent to cannot mark it read (and cannot see it at all)
    with pytest.raises(PermissionDenied):
        distribution.mark_read(body.other, doc)
    # the clerk sees it anyway but it was not sent to the clerk
    with pytest.raises(Conflict):
        distribution.mark_read(body.clerk, doc)
    # recipients do not see who else read it
    with pytest.raises(PermissionDenied):
        distribution.distribution_of(body.vp1, doc)


def test_recipient_gains_view_and_nobody_else_does(body: Any, paper: Any) -> None:
    doc = paper()
    before = {u.username: can(u, "incoming.view", doc)
              for u in (body.vp1, body.vp2, body.nv1, body.other, body.other_clerk,
                        body.other_person)}
    assert not any(before.values())
    distribution.distribute(body.clerk, doc, users=["d.vp1"])
    after = {u.username: can(u, "incoming.view", doc)
             for u in (body.vp1, body.vp2, body.nv1, body.other, body.other_clerk,
                       body.other_person)}
    assert after == {"d.vp1": True, "d.vp2": False, "d.nv1": False, "d.other": False,
                     "x.clerk": False, "x.person": False}
    # the read side agrees with the rule
    assert [d.id for d in db.session.execute(queries.visible_query(body.vp1)).scalars()] == \
        [doc.id]
    assert list(db.session.execute(queries.visible_query(body.vp2)).scalars()) == []
    assert list(db.session.execute(queries.visible_query(body.other_clerk)).scalars()) == []
    assert service.get_document(body.vp1, doc.id) is doc
    with pytest.raises(PermissionDenied):
        service.get_document(body.vp2, doc.id)
    with pytest.raises(NotFound):
        service.get_document(body.other_person, doc.id)
    # informing gives no duty and no right to act
    for action in ("register", "assign", "progress", "complete", "distribute",
                   "distribution"):
        assert not can(body.vp1, f"incoming.{action}", doc), action
    # the person's list of documents to inform
    rows, total = distribution.to_inform(body.vp1)
    assert total == 1 and rows[0].document is doc
    assert distribution.to_inform(body.vp2) == ([], 0)


def test_moving_to_another_body_ends_the_access(body: Any, paper: Any) -> None:
    doc = paper()
    distribution.distribute(body.clerk, doc, users=["d.vp1"])
    body.vp1.org_id, body.vp1.unit_id = body.other_body.id, None
    db.session.flush()
    db.session.expire(body.vp1)
    assert not can(body.vp1, "incoming.view", doc)
    assert distribution.to_inform(body.vp1)[1] == 0


def test_only_a_registered_open_document_is_distributed(body: Any, paper: Any) -> None:
    doc = paper(register=False)
    with pytest.raises(InvalidTransition, match="chưa vào sổ"):
        distribution.distribute(body.clerk, doc, users=["d.vp1"])
    service.refuse(body.clerk, doc, "Gửi nhầm nơi nhận")
    with pytest.raises(InvalidTransition, match="từ chối"):
        distribution.distribute(body.clerk, doc, users=["d.vp1"])
    assert db.session.execute(sa.select(IncomingDistribution)).first() is None


def test_bad_recipients_are_refused_and_nothing_is_written(body: Any, paper: Any) -> None:
    doc = paper()
    cases = [
        ({"users": ["nobody"]}, BadRequest),
        ({"units": ["XYZ"]}, BadRequest),
        ({"units": [body.other_body.id]}, BadRequest),  # a body is not a unit
        ({"users": ["x.person"]}, PermissionDenied),
        ({"users": ["d.vp1", "x.person"]}, PermissionDenied),
        ({}, BadRequest),
    ]
    for kwargs, error in cases:
        with pytest.raises(error):
            distribution.distribute(body.clerk, doc, **kwargs)
    # a unit of another body
    from eoffice.core.permissions import SYSTEM
    from eoffice.orgs import service as org_service

    foreign = org_service.create_org(SYSTEM, name="Văn phòng huyện khác", short_name="VPK",
                                     tier="unit", parent=body.other_body)
    with pytest.raises(PermissionDenied):
        distribution.distribute(body.clerk, doc, units=[f"unit:{foreign.id}"])
    # an empty unit
    empty = org_service.create_org(SYSTEM, name="Phòng trống", short_name="PT", tier="unit",
                                   parent=body.org)
    with pytest.raises(BadRequest, match="chưa có người"):
        distribution.distribute(body.clerk, doc, units=[empty.id])
    assert db.session.execute(sa.select(IncomingDistribution)).first() is None


def test_only_clerk_and_leader_distribute(body: Any, paper: Any) -> None:
    doc = paper()
    for person in (body.vp1, body.other, body.other_clerk):
        assert not can(person, "incoming.distribute", doc)
        with pytest.raises(PermissionDenied):
            distribution.distribute(person, doc, users=["d.vp2"])
    assert can(body.clerk, "incoming.distribute", doc)
    assert can(body.leader, "incoming.distribute", doc)
