"""Demo data: the province of Kiên Giang before the 2025 reform (DOMAIN.md §11).

Codes follow the real pattern (DOMAIN.md §4.1) but are illustrative. Every leader
gets a generated blue signature image and every body a red seal image (both PNG,
transparent), kept in the content-addressed store.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app

from eoffice.auth import service as auth_service
from eoffice.auth.models import User
from eoffice.core.permissions import SYSTEM
from eoffice.core.storage import FileStore, file_store
from eoffice.documents.keys import DEMO_PIN, issue_body_key, issue_person_key
from eoffice.extensions import db
from eoffice.orgs import service as org_service
from eoffice.orgs.artwork import make_seal_png, make_signature_png, seal_diameter_for_tier
from eoffice.orgs.models import Organization

PROVINCE = ("000.00.00.H33", "Ủy ban nhân dân tỉnh Kiên Giang", "UBND", "Kiên Giang")
DEPARTMENTS = [
    ("000.00.01.H33", "Văn phòng Ủy ban nhân dân tỉnh", "VP"),
    ("000.00.02.H33", "Sở Nội vụ", "SNV"),
    ("000.00.03.H33", "Sở Tài chính", "STC"),
    ("000.00.04.H33", "Sở Thông tin và Truyền thông", "STTTT"),
    ("000.00.05.H33", "Sở Kế hoạch và Đầu tư", "SKHĐT"),
    ("000.00.06.H33", "Sở Tư pháp", "STP"),
]
# (name, locality); codes from 000.00.30.H33 in this order.
DISTRICTS = [
    ("Ủy ban nhân dân thành phố Rạch Giá", "Rạch Giá"),
    ("Ủy ban nhân dân thành phố Hà Tiên", "Hà Tiên"),
    ("Ủy ban nhân dân thành phố Phú Quốc", "Phú Quốc"),
    ("Ủy ban nhân dân huyện Kiên Lương", "Kiên Lương"),
    ("Ủy ban nhân dân huyện Hòn Đất", "Hòn Đất"),
    ("Ủy ban nhân dân huyện Tân Hiệp", "Tân Hiệp"),
    ("Ủy ban nhân dân huyện Châu Thành", "Châu Thành"),
    ("Ủy ban nhân dân huyện Giồng Riềng", "Giồng Riềng"),
    ("Ủy ban nhân dân huyện Gò Quao", "Gò Quao"),
    ("Ủy ban nhân dân huyện An Biên", "An Biên"),
    ("Ủy ban nhân dân huyện An Minh", "An Minh"),
    ("Ủy ban nhân dân huyện Vĩnh Thuận", "Vĩnh Thuận"),
    ("Ủy ban nhân dân huyện U Minh Thượng", "U Minh Thượng"),
    ("Ủy ban nhân dân huyện Giang Thành", "Giang Thành"),
    ("Ủy ban nhân dân huyện Kiên Hải", "Kiên Hải"),
]
# Wards and the commune of Rạch Giá; codes from 000.21.30.H33 in this order.
RACH_GIA_COMMUNES = [
    ("phường", "Vĩnh Thanh Vân"), ("phường", "Vĩnh Thanh"), ("phường", "Vĩnh Quang"),
    ("phường", "Vĩnh Hiệp"), ("phường", "Vĩnh Bảo"), ("phường", "Vĩnh Lạc"),
    ("phường", "An Hòa"), ("phường", "An Bình"), ("phường", "Rạch Sỏi"),
    ("phường", "Vĩnh Lợi"), ("phường", "Vĩnh Thông"), ("xã", "Phi Thông"),
]
# Units inside bodies: (body code, name, short name used in công văn notations).
UNITS = [
    ("000.00.00.H33", "Phòng Tổng hợp", "TH"),
    ("000.00.00.H33", "Phòng Kinh tế", "KT"),
    ("000.00.00.H33", "Phòng Văn hóa - Xã hội", "VX"),
    ("000.00.30.H33", "Văn phòng HĐND và UBND thành phố", "VP"),
    ("000.00.30.H33", "Phòng Nội vụ", "NV"),
    ("000.00.30.H33", "Phòng Tài chính - Kế hoạch", "TCKH"),
]
WARD = "000.21.30.H33"
# username, full name, title, body code, unit short name, roles, identity number (CCCD)
ACCOUNTS = [
    ("admin", "Đỗ Hoàng Nam", "Quản trị hệ thống", "000.00.00.H33", None, ["admin"],
     "091085001234"),
    ("vanthu.tinh", "Lê Thị Mỹ Hạnh", "Văn thư", "000.00.00.H33", None, ["clerk"],
     "091190002345"),
    ("chuyenvien.tinh", "Phạm Minh Tuấn", "Chuyên viên Phòng Tổng hợp", "000.00.00.H33", "TH",
     ["specialist"], "091088003456"),
    ("lanhdao.tinh", "Trần Quốc Khánh", "Chủ tịch", "000.00.00.H33", None, ["leader"],
     "091070004567"),
    ("vanthu.rachgia", "Ngô Thị Thu Trang", "Văn thư", "000.00.30.H33", None, ["clerk"],
     "091192005678"),
    ("chuyenvien.rachgia", "Võ Thanh Hải", "Chuyên viên Văn phòng HĐND và UBND thành phố",
     "000.00.30.H33", "VP", ["specialist"], "091089006789"),
    ("lanhdao.rachgia", "Huỳnh Văn Phúc", "Chủ tịch", "000.00.30.H33", None, ["leader"],
     "091075007890"),
    ("vanthu.xa", "Đặng Thị Kim Loan", "Văn thư", WARD, None, ["clerk"], "091193008901"),
    ("lanhdao.xa", "Nguyễn Hữu Đức", "Chủ tịch", WARD, None, ["leader"], "091078009012"),
]
VALID_FROM = date(2008, 1, 1)


def _seal(store: FileStore, org: Organization, parent_name: str | None) -> None:
    png = make_seal_png(org.name.upper(), parent_name=parent_name, locality=org.locality,
                        diameter_mm=seal_diameter_for_tier(org.tier_key))
    org.seal_image = store.put(png)


def seed_demo(*, force: bool = False) -> bool:
    """Create the demo tree and accounts; ``False`` if users already exist."""
    if not force and db.session.execute(sa.select(User.id).limit(1)).first():
        return False
    store = file_store()
    password = current_app.config["DEMO_PASSWORD"]

    def body(code: str, name: str, short: str, tier: str, parent: Organization | None,
             locality: str) -> Organization:
        org = org_service.create_org(SYSTEM, code=code, name=name, short_name=short, tier=tier,
                                     parent=parent, locality=locality, valid_from=VALID_FROM)
        _seal(store, org, parent.name.upper() if parent else None)
        issue_body_key(org)
        return org

    province = body(PROVINCE[0], PROVINCE[1], PROVINCE[2], "province", None, PROVINCE[3])
    for code, name, short in DEPARTMENTS:
        body(code, name, short, "department", province, PROVINCE[3])
    districts = []
    for i, (name, locality) in enumerate(DISTRICTS):
        districts.append(body(f"000.00.{30 + i:02d}.H33", name, "UBND", "district", province,
                              locality))
    rach_gia = districts[0]
    for i, (kind, name) in enumerate(RACH_GIA_COMMUNES):
        body(f"000.{21 + i:02d}.30.H33", f"Ủy ban nhân dân {kind} {name}", "UBND", "commune",
             rach_gia, name)
    units: dict[tuple[str, str], Organization] = {}
    for code, name, short in UNITS:
        parent = org_service.get_org_by_code(code)
        units[(code, short)] = org_service.create_org(
            SYSTEM, name=name, short_name=short, tier="unit", parent=parent,
            locality=parent.locality, valid_from=VALID_FROM)
    for username, full_name, title, code, unit_short, roles, cccd in ACCOUNTS:
        org = org_service.get_org_by_code(code)
        user = auth_service.create_user(
            SYSTEM, username=username, password=password, full_name=full_name, title=title,
            org=org, unit=units.get((code, unit_short)) if unit_short else None, roles=roles,
            email=f"{username}@kiengiang.gov.vn", identity_number=cccd,
        )
        if "leader" in roles:
            user.signature_image = store.put(make_signature_png(full_name))
            issue_person_key(user, DEMO_PIN)
    db.session.flush()
    _seed_recipient_groups(province, rach_gia)
    return True


# Recipient groups stored as rules over the tree (eoffice.orgs.groups): slug, name, rule.
RECIPIENT_GROUPS = [
    ("ubnd-cap-huyen", "Tất cả UBND cấp huyện", {"tier": "district", "short_name": "UBND"}),
    ("xa-phuong-rach-gia", "Tất cả xã, phường của TP Rạch Giá",
     {"tier": "commune", "ancestor": "rach_gia"}),
    ("cac-so", "Các sở, ban, ngành tỉnh", {"tier": "department", "name_prefix": "Sở "}),
]


def _seed_recipient_groups(province: Organization, rach_gia: Organization) -> None:
    from eoffice.orgs import groups

    for slug, name, rule in RECIPIENT_GROUPS:
        groups.create_group(SYSTEM, groups.GroupSpec(
            name=name, slug=slug, kind="rule", tier=rule["tier"],
            ancestor=rach_gia if rule.get("ancestor") == "rach_gia" else None,
            short_name=rule.get("short_name", ""), name_prefix=rule.get("name_prefix", "")),
            owner=province)
