"""Recipient groups: rules resolved from the tree, static lists with successors, who may use
and manage them, and their use when issuing outgoing documents."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import PASSWORD, csrf_from

from eoffice.auth.service import find_user
from eoffice.core.errors import PermissionDenied, ValidationFailed
from eoffice.core.permissions import SYSTEM, can
from eoffice.core.uow import unit_of_work
from eoffice.demo import DISTRICTS
from eoffice.extensions import db
from eoffice.interop.models import OutboxMessage
from eoffice.orgs import groups
from eoffice.orgs import service as orgs
from eoffice.outgoing import service as outgoing

PROVINCE, RACHGIA, HATIEN, PHUQUOC, KIENLUONG, KIENHAI = (
    "000.00.00.H33", "000.00.30.H33", "000.00.31.H33", "000.00.32.H33", "000.00.33.H33",
    "000.00.44.H33")
DISTRICT_CODES = [f"000.00.{30 + i}.H33" for i in range(15)]
YESTERDAY = date.today() - timedelta(days=1)


def user(name: str) -> Any:
    found = find_user(name)
    assert found is not None
    return found


def codes(slug: str, **kwargs: Any) -> list[str]:
    return groups.resolve_group(groups.get_group(slug), **kwargs).codes


def test_demo_groups_resolve_from_the_tree(tree: None) -> None:
    assert len(DISTRICTS) == 15
    assert codes("ubnd-cap-huyen") == DISTRICT_CODES
    assert codes("xa-phuong-rach-gia") == [f"000.{21 + i}.30.H33" for i in range(12)]
    departments = groups.resolve_group(groups.get_group("cac-so")).orgs
    assert [o.name for o in departments] == ["Sở Nội vụ", "Sở Tài chính",
                                             "Sở Thông tin và Truyền thông",
                                             "Sở Kế hoạch và Đầu tư", "Sở Tư pháp"]
    # stored as rules, not as frozen lists of codes
    for slug in ("ubnd-cap-huyen", "xa-phuong-rach-gia", "cac-so"):
        group = groups.get_group(slug)
        assert group.kind == "rule" and group.members == []
    # the sender is left out of its own group
    assert codes("ubnd-cap-huyen", exclude=orgs.get_org_by_code(RACHGIA)) == DISTRICT_CODES[1:]


def test_retiring_and_merging_districts_changes_the_resolution(tree: None) -> None:
    group = groups.get_group("ubnd-cap-huyen")
    before = (group.tier_key, group.ancestor_id, group.short_name, group.name_prefix,
              group.updated_at)
    orgs.retire_org(SYSTEM, orgs.get_org_by_code(KIENHAI), on=YESTERDAY)
    assert codes("ubnd-cap-huyen") == DISTRICT_CODES[:-1]
    province = orgs.get_org_by_code(PROVINCE)
    merged = orgs.create_org(SYSTEM, code="000.00.50.H33", name="Ủy ban nhân dân thị xã mới",
                             short_name="UBND", tier="district", parent=province,
                             valid_from=date.today())
    orgs.merge_orgs(SYSTEM, [orgs.get_org_by_code(HATIEN), orgs.get_org_by_code(KIENLUONG)],
                    merged, on=YESTERDAY)
    now = codes("ubnd-cap-huyen")
    assert len(now) == 13
    assert "000.00.50.H33" in now and HATIEN not in now and KIENLUONG not in now
    # the group itself was not edited; the past is still answerable
    assert (group.tier_key, group.ancestor_id, group.short_name, group.name_prefix,
            group.updated_at) == before
    assert codes("ubnd-cap-huyen", on=YESTERDAY - timedelta(days=1)) == DISTRICT_CODES


def test_static_group_follows_successors_with_a_note(tree: None) -> None:
    admin = user("admin")
    static = groups.create_group(admin, groups.GroupSpec(
        name="Hà Tiên và Phú Quốc", slug="ha-tien-phu-quoc", kind="static",
        members=(orgs.get_org_by_code(HATIEN), orgs.get_org_by_code(PHUQUOC))))
    assert groups.resolve_group(static).codes == [HATIEN, PHUQUOC]
    orgs.merge_orgs(SYSTEM, [orgs.get_org_by_code(HATIEN)], orgs.get_org_by_code(KIENLUONG),
                    on=YESTERDAY)
    orgs.retire_org(SYSTEM, orgs.get_org_by_code(PHUQUOC), on=YESTERDAY)
    result = groups.resolve_group(static)
    assert result.codes == [KIENLUONG]
    notes = {(n.kind, n.org, n.successor) for n in result.notes}
    assert notes == {("replaced", "Ủy ban nhân dân thành phố Hà Tiên",
                      "Ủy ban nhân dân huyện Kiên Lương"),
                     ("skipped", "Ủy ban nhân dân thành phố Phú Quốc", "")}


def test_another_province_may_not_use_or_manage_the_groups(tree: None, make_org: Any,
                                                           make_user: Any) -> None:
    other = make_org(code="000.00.00.H01", name="Ủy ban nhân dân tỉnh An Giang")
    other_clerk = make_user("specialist", org=other, username="cv.angiang")
    other_admin = make_user("admin", org=other, username="admin.angiang")
    leader = make_user("leader", org=other, username="ld.angiang")
    group = groups.get_group("ubnd-cap-huyen")
    assert can(user("chuyenvien.rachgia"), "groups.use", group)
    assert not can(other_clerk, "groups.use", group)
    assert groups.usable_groups(other_clerk) == []
    with pytest.raises(PermissionDenied):
        outgoing.create_draft(other_clerk, doc_type="CV", subject="Thử", recipients=[],
                              recipient_groups=["ubnd-cap-huyen"], signer=leader.username,
                              body="Nội dung")
    assert not can(other_admin, "groups.manage", group.owner)
    with pytest.raises(PermissionDenied):
        groups.update_group(other_admin, group, groups.GroupSpec(
            name="x", slug="ubnd-cap-huyen", tier="district"))
    # nor define a rule over bodies outside its own tree
    with pytest.raises(Exception, match="cơ quan sở hữu"):
        groups.create_group(other_admin, groups.GroupSpec(
            name="UBND xã của Rạch Giá", slug="xa-cua-rach-gia", tier="commune",
            ancestor=orgs.get_org_by_code(RACHGIA)))
    # a withdrawn group cannot be used any more
    groups.set_active(user("admin"), group, False)
    assert not can(user("chuyenvien.rachgia"), "groups.use", group)


def test_bad_group_specs_are_refused(tree: None) -> None:
    admin = user("admin")
    bad = [
        groups.GroupSpec(name="", slug="rong-ten", tier="district"),
        groups.GroupSpec(name="Có dấu", slug="có-dấu", tier="district"),
        groups.GroupSpec(name="Trùng", slug="cac-so", tier="district"),
        groups.GroupSpec(name="Không điều kiện", slug="khong-dieu-kien"),
        groups.GroupSpec(name="Cấp lạ", slug="cap-la", tier="galaxy"),
        groups.GroupSpec(name="Rỗng", slug="danh-sach-rong", kind="static"),
    ]
    for spec in bad:
        with pytest.raises(Exception) as info:
            groups.create_group(admin, spec)
        assert getattr(info.value, "status", 500) in (400, 409, 422), spec
    assert len(groups.managed_groups(admin)) == 3


def _issue(draft_id: int) -> Any:
    with unit_of_work():
        outgoing.submit(user("chuyenvien.tinh"), outgoing.get_document(draft_id))
    with unit_of_work():
        outgoing.approve(user("lanhdao.tinh"), outgoing.get_document(draft_id))
    with unit_of_work():
        outgoing.sign(user("lanhdao.tinh"), outgoing.get_document(draft_id), pin="123456")
    with unit_of_work():
        outgoing.issue(user("vanthu.tinh"), outgoing.get_document(draft_id))
    return outgoing.get_document(draft_id)


def test_issue_resolves_groups_at_issue_time_and_deduplicates(demo: None) -> None:
    with unit_of_work():
        draft = outgoing.create_draft(
            user("chuyenvien.tinh"), doc_type="CT", subject="Chỉ thị về cải cách hành chính",
            recipients=[RACHGIA, "000.00.02.H33"], recipient_groups=["ubnd-cap-huyen", "cac-so"],
            signer="lanhdao.tinh", body="Các địa phương triển khai thực hiện nghiêm túc.")
        draft_id = draft.id
        # before issuing only the hand-picked bodies are recipients
        assert [r.org_code for r in draft.recipients] == [RACHGIA, "000.00.02.H33"]
    # the tree changes between drafting and issuing
    with unit_of_work():
        orgs.retire_org(SYSTEM, orgs.get_org_by_code(KIENHAI), on=YESTERDAY)
    doc = _issue(draft_id)
    got = [r.org_code for r in doc.recipients]
    assert len(got) == len(set(got)) == 14 + 5
    assert set(got) == set(DISTRICT_CODES[:-1]) | {f"000.00.0{i}.H33" for i in range(2, 7)}
    choices = {c.group.slug: c for c in doc.group_choices}
    assert choices["ubnd-cap-huyen"].codes == DISTRICT_CODES[:-1]
    assert choices["ubnd-cap-huyen"].resolved_at is not None
    assert len(choices["cac-so"].codes) == 5
    sent = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.document_id == doc.document_id,
        OutboxMessage.message_type == "edoc")).scalars().all()
    assert len(sent) == 19


def test_unknown_group_on_a_draft_is_bad_input(tree: None) -> None:
    with pytest.raises(ValidationFailed, match="nhóm nơi nhận"):
        outgoing.create_draft(user("chuyenvien.tinh"), doc_type="CV", subject="Thử",
                              recipients=[], recipient_groups=["khong-co-nhom"],
                              signer="lanhdao.tinh", body="Nội dung")


def test_api_lists_groups_and_accepts_them_on_drafts(tree: None, client: Any) -> None:
    def token(name: str) -> dict[str, str]:
        answer = client.post("/api/v1/auth/token",
                             json={"username": name, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.get_json()['token']}"}

    listed = client.get("/api/v1/recipient-groups", headers=token("vanthu.tinh")).get_json()
    by_slug = {g["slug"]: g for g in listed["items"]}
    assert listed["total"] == 3 and set(by_slug) == {"ubnd-cap-huyen", "xa-phuong-rach-gia",
                                                      "cac-so"}
    assert [o["code"] for o in by_slug["ubnd-cap-huyen"]["resolution"]] == DISTRICT_CODES
    assert by_slug["ubnd-cap-huyen"]["rule"] == {"tier": "district", "ancestor": None,
                                                  "short_name": "UBND", "name_prefix": ""}
    # a district does not address itself
    mine = client.get("/api/v1/recipient-groups", headers=token("vanthu.rachgia")).get_json()
    district_group = next(g for g in mine["items"] if g["slug"] == "ubnd-cap-huyen")
    assert len(district_group["resolution"]) == 14

    headers = token("chuyenvien.tinh")
    answer = client.post("/api/v1/outgoing", headers=headers, json={
        "doc_type": "CV", "subject": "Về việc báo cáo", "signer": "lanhdao.tinh",
        "recipient_groups": ["xa-phuong-rach-gia"], "body": "Đề nghị báo cáo."})
    assert answer.status_code == 201, answer.get_json()
    record = client.get(f"/api/v1/outgoing/{answer.get_json()['id']}", headers=headers).get_json()
    assert [g["slug"] for g in record["recipient_groups"]] == ["xa-phuong-rach-gia"]
    assert record["recipient_groups"][0]["resolved"] == []  # resolved when issued
    bad = client.post("/api/v1/outgoing", headers=headers, json={
        "doc_type": "CV", "subject": "Thử", "signer": "lanhdao.tinh",
        "recipient_groups": ["khong-co"], "body": "x"})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"]["field"] == "recipient_groups"
    bad = client.post("/api/v1/outgoing", headers=headers, json={
        "doc_type": "CV", "subject": "Thử", "signer": "lanhdao.tinh",
        "recipient_groups": {"x": 1}, "body": "x"})
    assert bad.status_code == 422


def test_admin_pages_manage_groups(tree: None, client: Any, login: Any) -> None:
    login("chuyenvien.tinh")
    assert client.get("/admin/groups/").status_code == 403
    page = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    login("admin")
    page = client.get("/admin/groups/").get_data(as_text=True)
    assert "Tất cả UBND cấp huyện" in page and "15 cơ quan" in page
    form = client.get("/admin/groups/new").get_data(as_text=True)
    answer = client.post("/admin/groups/new", data={
        "csrf_token": csrf_from(form), "name": "Các huyện đảo", "slug": "cac-huyen-dao",
        "kind": "static", "tier": "", "ancestor_id": "0", "short_name": "", "name_prefix": "",
        "members": [str(orgs.get_org_by_code(PHUQUOC).id),
                    str(orgs.get_org_by_code(KIENHAI).id)]})
    assert answer.status_code == 302
    group = groups.get_group("cac-huyen-dao")
    assert groups.resolve_group(group).codes == [PHUQUOC, KIENHAI]
    edit = client.get(f"/admin/groups/{group.id}").get_data(as_text=True)
    assert "Hiện gồm 2 cơ quan" in edit
    answer = client.post(f"/admin/groups/{group.id}/toggle",
                         data={"csrf_token": csrf_from(edit)})
    assert answer.status_code == 302
    db.session.refresh(group)
    assert group.active is False


def test_compose_form_offers_groups(tree: None, client: Any, login: Any) -> None:
    login("chuyenvien.tinh")
    form = client.get("/outgoing/new").get_data(as_text=True)
    assert 'name="recipient_groups" value="ubnd-cap-huyen"' in form
    answer = client.post("/outgoing/new", data={
        "csrf_token": csrf_from(form), "doc_type": "CV", "subject": "Về việc báo cáo quý IV",
        "signer": "lanhdao.tinh", "authority": "TM.", "urgency": "", "confidentiality": "",
        "mode": "compose", "body": "Đề nghị các địa phương báo cáo.",
        "recipient_groups": ["ubnd-cap-huyen", "cac-so"]})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'id="recipient-groups"' in page
    assert "Tất cả UBND cấp huyện" in page and "Các sở, ban, ngành tỉnh" in page
