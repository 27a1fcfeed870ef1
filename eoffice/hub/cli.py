"""The ``eoffice hub`` command group: schema, directory, connected systems, retention.

It works on the hub's database directly (``HUB_DATABASE_URL`` from the environment,
default ``sqlite:///instance/hub.db`` relative to the current directory), without an app.
Each command is one transaction.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

import click
from sqlalchemy.orm import Session, sessionmaker

from eoffice.hub import service
from eoffice.hub.db import make_engine, make_sessionmaker, upgrade_hub_db
from eoffice.hub.errors import DirectoryConflict

DEFAULT_URL = "sqlite:///instance/hub.db"


def _url() -> str:
    return os.environ.get("HUB_DATABASE_URL") or DEFAULT_URL


def _sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(_url()))


@click.group("hub")
def hub_cli() -> None:
    """Trục liên thông mô phỏng / the simulated interconnection hub."""


@hub_cli.command("init")
def init_command() -> None:
    """Tạo/cập nhật bảng của trục (hub_*) / create or upgrade the hub schema."""
    upgrade_hub_db(_url())
    click.echo("Đã cập nhật cơ sở dữ liệu trục liên thông / hub database is up to date")


@hub_cli.command("add-agency")
@click.argument("code")
@click.argument("name")
@click.option("--parent", "parent_code", default=None, help="Mã cơ quan cấp trên")
def add_agency_command(code: str, name: str, parent_code: str | None) -> None:
    """Thêm cơ quan vào danh bạ / add a body to the directory."""
    with _sessions().begin() as session:
        agency = service.register_agency(session, code, name, parent_code)
        click.echo(f"{agency.code}\t{agency.name}")


@hub_cli.command("register-system")
@click.argument("name")
@click.option("--org", "orgs", multiple=True, required=True, help="Mã cơ quan (lặp lại)")
@click.option("--rotate", is_flag=True, help="Cấp lại secret / issue a new secret")
@click.option("--json", "as_json", is_flag=True, help="In JSON / print JSON")
def register_system_command(name: str, orgs: tuple[str, ...], rotate: bool, as_json: bool) -> None:
    """Đăng ký hệ thống kết nối; in systemid và secret / register a connected system."""
    try:
        with _sessions().begin() as session:
            created = not service.system_exists(session, name)
            systemid, secret = service.register_system(session, name, orgs, rotate=rotate)
    except DirectoryConflict as exc:
        raise click.ClickException(str(exc)) from exc
    shown = secret if (created or rotate) else None
    if as_json:
        click.echo(json.dumps({"systemid": systemid, "secret": shown, "orgs": list(orgs)}))
        return
    click.echo(f"systemid: {systemid}")
    if shown:
        click.echo(f"secret: {shown}")
    else:
        click.echo("secret: (không đổi; dùng --rotate để cấp lại / unchanged, use --rotate)")


@hub_cli.command("purge")
@click.option("--older-than", "days", type=click.IntRange(min=0), required=True, help="Số ngày")
def purge_command(days: int) -> None:
    """Xóa gói tin đã nhận xong và nhật ký cũ / delete acknowledged packets and old logs."""
    with _sessions().begin() as session:
        counts = service.purge(session, older_than=timedelta(days=days))
    click.echo(
        f"Đã xóa {counts['packets']} gói tin, {counts['requests']} bản ghi nhật ký / "
        f"purged {counts['packets']} packets, {counts['requests']} request logs"
    )
