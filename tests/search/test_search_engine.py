"""The search engine through its service: folding, PDF text, visibility, filters, order,
the index following the workflows, saved searches and the reindex command."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from search_helpers import PIN, RACHGIA, paper

from eoffice.auth.models import User
from eoffice.core.errors import BadRequest, NotFound
from eoffice.core.permissions import can
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.incoming import service as incoming
from eoffice.incoming.models import IncomingDocument
from eoffice.incoming.queries import list_documents
from eoffice.outgoing import service as outgoing
from eoffice.outgoing.models import OutgoingDocument
from eoffice.outgoing.queries import issued as issued_list
from eoffice.search import service
from eoffice.search.models import SearchEntry

DIRECTIVE = "Chỉ thị về đẩy mạnh cải cách hành chính, chuyển đổi số"
BODY = ("Thời gian qua, công tác phòng chống thiên tai và bảo vệ đê điều đạt nhiều kết quả.\n\n"
        "Yêu cầu các cơ quan thực hiện nghiêm.")


def found(actor, **args) -> list[tuple[str, int]]:
    result = service.search(actor, args)
    return [(e.kind, e.doc_id) for e in result.items]


def compose(world, subject="Về phòng chống thiên tai", **extra):
    meta = dict(doc_type="CT", subject=subject, recipients=[RACHGIA],
                signer=world.leader.username, body=BODY)
    meta.update(extra)
    with unit_of_work():
        return outgoing.create_draft(world.drafter, **meta)


def issue(world, doc):
    with unit_of_work():
        outgoing.submit(world.drafter, doc)
    with unit_of_work():
        outgoing.approve(world.leader, doc)
    with unit_of_work():
        outgoing.sign(world.leader, doc, pin=PIN)
    with unit_of_work():
        outgoing.issue(world.clerk, doc)
    return doc


def test_without_diacritics_and_case_over_every_field(world, queued, db_session):
    doc = paper(world.city_clerk, subject=DIRECTIVE, signer="Trần Quốc Khánh",
                issuer="Ủy ban nhân dân tỉnh Kiên Giang", number="05", notation="CT-UBND",
                type_name="Chỉ thị")
    other = paper(world.city_clerk, subject="Về việc hướng dẫn xây dựng dự toán ngân sách",
                  number="120", notation="STC-NS")
    hit = [("incoming", doc.id)]
    clerk = world.city_clerk
    assert found(clerk, q="chi thi cai cach") == hit
    assert found(clerk, q="CHỈ THỊ Cải Cách") == hit
    assert found(clerk, q="day manh") == hit  # đ ↔ d
    assert found(clerk, q="ĐẨY MẠNH") == hit
    assert found(clerk, q="dday manh") == []
    assert found(clerk, q="05/CT-UBND") == hit  # number and notation
    assert found(clerk, q="ct ubnd") == hit
    assert found(clerk, q="uy ban nhan dan tinh kien giang") == hit  # issuer
    assert found(clerk, q="tran quoc khanh") == hit  # signer
    assert found(clerk, q="chuyen doi") == hit
    assert found(clerk, q="chuyen d") == hit  # the last word is a prefix
    assert found(clerk, q="du toan ngan sach") == [("incoming", other.id)]
    assert found(clerk, q="ngan sach cai cach") == []  # every word must match
    assert sorted(found(clerk)) == sorted([*hit, ("incoming", other.id)])  # no words: all


def test_text_inside_the_pdf_is_found_without_diacritics(world, queued, db_session):
    doc = paper(world.city_clerk, subject="Công văn số 7", lines=(
        "Về việc tổ chức Hội nghị tổng kết công tác bảo vệ đê điều năm 2025.",
        "Đề nghị các đơn vị gửi báo cáo trước ngày 15."))
    assert queued.calls == [("incoming", doc.id)]  # queued after commit by the intake
    assert found(world.city_clerk, q="hoi nghi de dieu") == []  # not read yet
    assert queued.run() == ["done"]
    assert found(world.city_clerk, q="hoi nghi tong ket de dieu") == [("incoming", doc.id)]
    assert found(world.city_clerk, q="DE NGHI cac don vi") == [("incoming", doc.id)]
    entry = db.session.execute(sa.select(SearchEntry).where(
        SearchEntry.kind == "incoming", SearchEntry.doc_id == doc.id)).scalar_one()
    assert entry.content_state == "done" and "de dieu" in entry.content_text
    # the list API's q uses the same engine, PDF text included
    rows, total = list_documents(world.city_clerk, q="de dieu")
    assert total == 1 and rows[0].id == doc.id


def test_the_index_follows_the_incoming_workflow(world, queued, db_session):
    doc = paper(world.city_clerk, subject="Về việc báo cáo tình hình")
    assert found(world.city_clerk, q="bao cao", status="received") == [("incoming", doc.id)]
    with unit_of_work():
        incoming.register(world.city_clerk, doc)
    assert found(world.city_clerk, q="bao cao", status="received") == []
    assert found(world.city_clerk, q="bao cao", status="accepted") == [("incoming", doc.id)]


def test_outgoing_text_read_on_issue_and_drafts_stay_private(world, queued, db_session):
    draft = compose(world, subject="Về phòng chống thiên tai mùa mưa bão")
    issued = issue(world, compose(world, subject="Về bảo vệ đê điều"))
    assert ("outgoing", issued.id) in queued.calls
    assert ("outgoing", draft.id) not in queued.calls
    queued.run()
    entry = db.session.execute(sa.select(SearchEntry).where(
        SearchEntry.kind == "outgoing", SearchEntry.doc_id == issued.id)).scalar_one()
    assert entry.status == "sent" and entry.code.endswith("/CT-UBND")
    assert entry.issuer_code == world.province.code and entry.signer_name == "Trần Quốc Khánh"
    assert entry.type_name == "Chỉ thị"
    # the body text of the issued PDF, without diacritics
    assert found(world.other_specialist, q="phong chong thien tai bao ve de dieu") == [
        ("outgoing", issued.id)]
    # the outgoing list's q is the same engine
    rows, total = issued_list(world.other_specialist, q="bao ve DE DIEU")
    assert total == 1 and rows[0].id == issued.id
    # the drafter and the leader find the draft; a colleague and other bodies do not
    assert ("outgoing", draft.id) in found(world.drafter, q="mua mua bao")
    assert ("outgoing", draft.id) in found(world.leader, q="mua mua bao")
    assert found(world.other_specialist, q="mua mua bao") == []
    for outsider in (world.city_clerk, world.city_leader, world.city_specialist):
        assert found(outsider, q="thien tai") == []
        assert found(outsider, kind="outgoing") == []


def test_results_are_exactly_what_the_view_rules_allow(world, queued, db_session):
    plain = paper(world.city_clerk, subject="Về việc kiểm tra công vụ")
    mine = paper(world.city_clerk, subject="Về việc kiểm tra công vụ quý II")
    with unit_of_work():
        incoming.register(world.city_clerk, mine)
    with unit_of_work():
        incoming.assign(world.city_leader, mine, lead=world.city_specialist.username)
    draft = compose(world, subject="Về việc kiểm tra công vụ năm 2026")
    issued = issue(world, compose(world, subject="Về việc kiểm tra công vụ cuối năm"))
    people = [world.city_clerk, world.city_leader, world.city_specialist, world.clerk,
              world.leader, world.drafter, world.other_specialist]
    docs = [("incoming", plain.id, db.session.get(IncomingDocument, plain.id)),
            ("incoming", mine.id, db.session.get(IncomingDocument, mine.id)),
            ("outgoing", draft.id, db.session.get(OutgoingDocument, draft.id)),
            ("outgoing", issued.id, db.session.get(OutgoingDocument, issued.id))]
    for person in people:
        expected = {(kind, doc_id) for kind, doc_id, doc in docs
                    if can(person, f"{kind}.view", doc)}
        assert set(found(person, q="kiem tra cong vu")) == expected, person.username
    assert set(found(world.city_specialist, q="kiem tra")) == {("incoming", mine.id)}


def test_filters_and_order(world, queued, db_session):
    old = paper(world.city_clerk, subject="Kế hoạch cải cách hành chính", type_name="Kế hoạch",
                issued=date(2025, 1, 10), issuer_code="000.00.00.H33", priority=0)
    new = paper(world.city_clerk, subject="Chỉ thị cải cách hành chính và cải cách thủ tục",
                type_name="Chỉ thị", issued=date(2026, 5, 1), issuer_code="000.00.01.H33",
                priority=2, number="7", notation="CT-UBND")
    clerk = world.city_clerk
    both = {("incoming", old.id), ("incoming", new.id)}
    assert set(found(clerk, q="cai cach")) == both
    assert found(clerk, q="cai cach", type="CT") == [("incoming", new.id)]
    assert found(clerk, q="cai cach", type="Chỉ thị") == [("incoming", new.id)]
    assert found(clerk, q="cai cach", type="ke hoach") == [("incoming", old.id)]
    assert found(clerk, q="cai cach", **{"from": "2026-01-01"}) == [("incoming", new.id)]
    assert found(clerk, q="cai cach", to="2025-12-31") == [("incoming", old.id)]
    assert found(clerk, q="cai cach", **{"from": "2025-01-10", "to": "2025-01-10"}) == [
        ("incoming", old.id)]
    assert found(clerk, q="cai cach", org="000.00.00.H33") == [("incoming", old.id)]
    assert found(clerk, q="cai cach", urgency="thuong_khan") == [("incoming", new.id)]
    assert found(clerk, q="cai cach", urgency="0") == [("incoming", old.id)]
    assert found(clerk, q="cai cach", kind="outgoing") == []
    assert found(clerk, q="cai cach", status="received,accepted") != []
    # newest first by date; by relevance the subject with the words twice comes first
    assert found(clerk, q="cai cach", order="date") == [("incoming", new.id),
                                                         ("incoming", old.id)]
    assert found(clerk, q="ke hoach cai cach", order="relevance")[0] == ("incoming", old.id)
    assert found(clerk, q="cai cach thu tuc", order="relevance")[0] == ("incoming", new.id)


@pytest.mark.parametrize("args, field", [
    ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
    ({"from": "01/05/2026"}, "from"),
    ({"q": "x" * 5000}, "q"),
    ({"q": " ".join(["tu"] * 40)}, "q"),
    ({"kind": "both"}, "kind"),
    ({"status": "bogus"}, "status"),
    ({"urgency": "9"}, "urgency"),
    ({"order": "random"}, "order"),
    ({"page": "abc"}, "page"),
])
def test_bad_parameters_are_refused_clearly(world, db_session, args, field):
    with pytest.raises(BadRequest) as caught:
        service.search(world.city_clerk, args)
    assert caught.value.details["field"] == field and caught.value.message


@pytest.mark.parametrize("q", ['"', "*", "NEAR(", "' OR 1=1 --", '"*():-^', "AND OR NOT",
                               "col:umn", "-", "a\x00b", "%_\\", "😀"])
def test_syntax_characters_never_break_the_query(world, queued, db_session, q):
    paper(world.city_clerk, subject="Về việc near and or not")
    result = service.search(world.city_clerk, {"q": q})
    assert result.total >= 0


def test_saved_searches(world, db_session):
    clerk = world.city_clerk
    paper(world.city_clerk, subject="Về việc cải cách hành chính")
    with unit_of_work():
        saved = service.save_search(clerk, "  Cải cách  ", {"q": "cai cach", "kind": "incoming",
                                                             "page": "3"})
    assert saved.name == "Cải cách"
    assert service.saved_params(saved) == {"q": "cai cach", "kind": "incoming"}
    with unit_of_work():  # the same name replaces the parameters
        again = service.save_search(clerk, "Cải cách", {"q": "cai cach hanh chinh"})
    assert again.id == saved.id and [s.name for s in service.saved_searches(clerk)] == [
        "Cải cách"]
    assert service.run_saved(clerk, saved.id).total == 1
    with pytest.raises(NotFound):
        service.run_saved(world.city_leader, saved.id)  # someone else's
    with pytest.raises(NotFound), unit_of_work():
        service.delete_saved(world.city_leader, saved.id)
    with pytest.raises(BadRequest), unit_of_work():
        service.save_search(clerk, "   ", {"q": "x"})
    with pytest.raises(BadRequest), unit_of_work():
        service.save_search(clerk, "Sai", {"from": "2026-02-01", "to": "2026-01-01"})
    with unit_of_work():
        service.delete_saved(clerk, saved.id)
    assert service.saved_searches(clerk) == []


def test_reindex_command_rebuilds_entries_and_text(app, world, queued, db_session):
    doc = paper(world.city_clerk, subject="Công văn 9", lines=("Về kế hoạch trồng rừng.",))
    queued.calls.clear()
    db.session.execute(sa.delete(SearchEntry))
    db.session.commit()
    assert found(world.city_clerk, q="cong van") == []
    clerk_id, doc_id = world.city_clerk.id, doc.id
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "incoming=" in result.output and "incoming_texts=1" in result.output
    clerk = db.session.get(User, clerk_id)  # the command works in batches and lets go
    assert found(clerk, q="trong rung") == [("incoming", doc_id)]
    assert found(clerk, q="cong van 9") == [("incoming", doc_id)]
