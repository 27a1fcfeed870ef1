"""The ``eoffice`` command line (also available as ``flask --app wsgi ...``).

Commands are registered explicitly in :func:`register_commands`; each one opens a
unit of work and calls services as the installation itself (``SYSTEM``).
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from eoffice.audit.service import client_address
from eoffice.core.errors import DomainError
from eoffice.core.permissions import SYSTEM
from eoffice.core.uow import unit_of_work


def _fail(exc: DomainError) -> None:
    click.echo(f"Lỗi: {exc.message}", err=True)
    sys.exit(1)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from eoffice.core.schema import upgrade_database

    upgrade_database()
    click.echo("Cơ sở dữ liệu đã được cập nhật. / Database upgraded.")


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even if users already exist.")
@with_appcontext
def seed_demo_command(force: bool) -> None:
    """Load the demo province (Kiên Giang) and its accounts, once."""
    from eoffice.demo import seed_demo

    with unit_of_work():
        created = seed_demo(force=force)
    click.echo("Đã nạp dữ liệu mẫu. / Demo data loaded." if created
               else "Dữ liệu mẫu đã có sẵn. / Demo data already present.")


@click.group("user")
def user_group() -> None:
    """Manage accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--full-name", required=True)
@click.option("--org", "org_code", required=True, help="Organisation code of the body.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["specialist", "head", "leader", "clerk", "admin"]))
@click.option("--title", default="")
@click.option("--email", default="")
@click.password_option()
@with_appcontext
def user_create_command(username: str, full_name: str, org_code: str, roles: tuple[str, ...],
                        title: str, email: str, password: str) -> None:
    """Create a user in a body."""
    from eoffice.auth import service as auth_service
    from eoffice.orgs import service as org_service

    try:
        with unit_of_work():
            org = org_service.get_org_by_code(org_code)
            user = auth_service.create_user(SYSTEM, username=username, password=password,
                                            full_name=full_name, org=org, roles=list(roles),
                                            title=title, email=email)
            name = user.username
    except DomainError as exc:
        _fail(exc)
    click.echo(f"Đã tạo người dùng {name}.")


@click.group("token")
def token_group() -> None:
    """Manage API tokens."""


@token_group.command("create")
@click.argument("username")
@click.option("--hours", default=None, type=int, help="Lifetime (default: API_TOKEN_TTL).")
@click.option("--name", default="cli")
@with_appcontext
def token_create_command(username: str, hours: int | None, name: str) -> None:
    """Print a new bearer token for USER."""
    from eoffice.auth import service as auth_service

    ttl = timedelta(hours=hours) if hours else current_app.config["API_TOKEN_TTL"]
    user = auth_service.find_user(username)
    if user is None:
        click.echo(f"Lỗi: không tìm thấy người dùng {username}.", err=True)
        sys.exit(1)
    try:
        with unit_of_work():
            secret, _token = auth_service.issue_token(SYSTEM, user, ttl=ttl, name=name)
    except DomainError as exc:
        _fail(exc)
    click.echo(secret)


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command() -> None:
    """Recompute the hash chain; exit 1 at the first edited, inserted or deleted row."""
    from eoffice.audit.service import verify_chain

    report = verify_chain()
    if report.ok:
        click.echo(f"Nhật ký toàn vẹn: {report.checked} sự kiện. / Audit chain intact: "
                   f"{report.checked} events.")
        return
    click.echo(f"Nhật ký bị can thiệp tại dòng {report.first_bad_seq}: {report.problem}. / "
               f"Audit chain broken at row {report.first_bad_seq}.", err=True)
    sys.exit(1)


@click.command("run")
@click.option("--host", default="127.0.0.1")
@click.option("--no-worker", is_flag=True, help="Do not start the Celery worker and beat.")
@with_appcontext
def run_command(host: str, no_worker: bool) -> None:
    """All-in-one: migrate, seed once, start web + worker + beat (+ the hub at /hub)."""
    from eoffice.allinone import run_all

    run_all(current_app._get_current_object(), host=host, with_worker=not no_worker)


@click.group("pki")
def pki_group() -> None:
    """The development PKI."""


@pki_group.command("export-root")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def pki_export_root_command(path: str) -> None:
    """Write the trust anchor (root certificate, PEM) to FILE."""
    from eoffice.documents.keys import get_pki

    with open(path, "wb") as fh:
        fh.write(get_pki().root_pem())
    click.echo(f"Đã ghi chứng thư gốc vào {path}. / Root certificate written to {path}.")


@click.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@with_appcontext
def verify_command(path: str, as_json: bool) -> None:
    """Validate every signature of a PDF; exit 0 only when all are valid."""
    from eoffice.documents.keys import verify_pdf

    with open(path, "rb") as fh:
        data = fh.read()
    try:
        report = verify_pdf(data)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(report["verdict"])
        for item in report["signatures"]:
            mark = "✓" if item["valid"] else "✗"
            who = item["signer"]["name"] or item["field"]
            click.echo(f"  {mark} {who}: {item['reason']}")
    sys.exit(0 if report["valid"] else 1)


def register_commands(app: Flask) -> None:
    """Attach every command group to ``app.cli``."""
    from eoffice.hub.cli import hub_cli
    from eoffice.search.cli import search_group

    for command in (init_command, seed_demo_command, user_group, token_group, audit_group,
                    run_command, hub_cli, pki_group, verify_command, search_group):
        app.cli.add_command(command)

    @app.cli.group("edxml")
    def edxml_group() -> None:
        """edXML packets (QCVN 102)."""

    @edxml_group.command("check")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def edxml_check(path: str) -> None:
        """Parse and check a packet; exit 0 only for a conformant one."""
        from eoffice.interop.edxml import EdxmlError, check_packet

        with open(path, "rb") as fh:
            data = fh.read()
        try:
            result = check_packet(data)
        except EdxmlError as exc:
            click.echo(json.dumps({"error": {"code": exc.code, "message": exc.reason}},
                                  ensure_ascii=False))
            sys.exit(1)
        click.echo(json.dumps(result, ensure_ascii=False, default=str))


def _create_app_for_cli() -> Flask:
    from eoffice import create_app

    app = create_app()
    client_address.set("cli")
    return app


def main() -> None:
    """Entry point of the ``eoffice`` console script."""
    cli = FlaskGroup(create_app=_create_app_for_cli, add_default_commands=False,
                     add_version_option=False, load_dotenv=False,
                     help="eoffice — văn phòng điện tử / electronic document office")
    from flask.cli import routes_command, shell_command

    cli.add_command(shell_command)
    cli.add_command(routes_command)
    cli.main(prog_name="eoffice")
