"""eoffice — an electronic document office for Vietnamese government bodies."""

from __future__ import annotations

import os
from typing import Any

from apiflask import APIFlask
from flask import Flask, request

from eoffice.config import load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The application factory: configure, bind extensions, register blueprints."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get(
        "EOFFICE_INSTANCE_PATH", os.path.join(os.getcwd(), "instance")
    )
    app = APIFlask(
        __name__,
        instance_path=os.path.abspath(instance_path),
        title="eoffice API",
        version="1",
        spec_path="/api/v1/openapi.json",
        docs_path="/api/v1/docs",
        json_errors=False,
        template_folder="templates",
        static_folder="static",
    )
    app.config.update(load_config(app.instance_path, config))
    app.config["SPEC_FORMAT"] = "json"
    app.config["AUTO_404_RESPONSE"] = False
    app.config["VALIDATION_ERROR_STATUS_CODE"] = 422
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    _init_extensions(app)
    _register_blueprints(app)
    _register_receivers()

    from eoffice.cli import register_commands
    from eoffice.core.http import register_error_handlers

    register_error_handlers(app)
    register_commands(app)
    # Plain (HTML) blueprints are not part of the API document. APIFlask expects the flag on
    # every blueprint that has before_request hooks.
    for blueprint in app.blueprints.values():
        if not hasattr(blueprint, "enable_openapi"):
            blueprint.enable_openapi = False  # type: ignore[attr-defined]
    return app


def _init_extensions(app: APIFlask) -> None:
    from eoffice.audit.service import client_address
    from eoffice.auth.views import init_login
    from eoffice.core.schema import MIGRATIONS_DIR, configure_engine
    from eoffice.extensions import babel, csrf, db, limiter, migrate
    from eoffice.i18n import select_locale
    from eoffice.tasks import celery_init_app

    _import_models()
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    init_login(app)
    celery_init_app(app)

    @app.before_request
    def remember_client_address() -> None:
        client_address.set(request.remote_addr or "")

    @app.error_processor
    def api_validation_error(error: Any) -> Any:
        from eoffice.core.http import HTTP_MESSAGES
        from eoffice.i18n import translate

        code, message = HTTP_MESSAGES.get(error.status_code, ("error", error.message))
        body = {"error": {"code": code, "message": translate(message)}}
        if error.detail:
            body["error"]["details"] = error.detail
        return body, error.status_code, error.headers


def _import_models() -> None:
    """Every model module, listed explicitly, so metadata and migrations see all tables."""
    import eoffice.audit.models  # noqa: F401
    import eoffice.auth.models  # noqa: F401
    import eoffice.dashboard.models  # noqa: F401
    import eoffice.documents.models  # noqa: F401
    import eoffice.incoming.distribution  # noqa: F401
    import eoffice.incoming.models  # noqa: F401
    import eoffice.interop.models  # noqa: F401
    import eoffice.notifications.models  # noqa: F401
    import eoffice.orgs.groups  # noqa: F401
    import eoffice.orgs.models  # noqa: F401
    import eoffice.outgoing.models  # noqa: F401
    import eoffice.search.models  # noqa: F401
    import eoffice.tiers.models  # noqa: F401


def _register_receivers() -> None:
    """Capabilities that take over received packets from interop, listed explicitly."""
    from eoffice.incoming import service as incoming_service
    from eoffice.interop import service as interop_service
    from eoffice.outgoing import service as outgoing_service

    interop_service.register_edoc_receiver(incoming_service.receive_packet)
    interop_service.register_duplicate_receiver(incoming_service.receive_duplicate)
    interop_service.register_status_receiver(incoming_service.receive_status)
    interop_service.register_status_receiver(outgoing_service.receive_status)

    from eoffice.search.index import register_listener

    register_listener()  # the search index follows every document change


def _register_blueprints(app: APIFlask) -> None:
    from eoffice.api import bp as api_bp
    from eoffice.audit.views import bp as audit_bp
    from eoffice.auth.views import bp as auth_bp
    from eoffice.core.views import bp as core_bp
    from eoffice.dashboard.views import bp as dashboard_bp
    from eoffice.documents.pki_views import bp as pki_bp
    from eoffice.documents.verify_views import bp as verify_bp
    from eoffice.incoming.distribution_views import bp as distribution_bp
    from eoffice.incoming.views import bp as incoming_bp
    from eoffice.notifications.views import bp as notifications_bp
    from eoffice.orgs.group_views import bp as groups_bp
    from eoffice.orgs.views import bp as orgs_bp
    from eoffice.outgoing.views import bp as outgoing_bp
    from eoffice.reports.views import bp as reports_bp
    from eoffice.search.views import bp as search_bp
    from eoffice.tiers.views import bp as tiers_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(orgs_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(pki_bp)
    app.register_blueprint(incoming_bp)
    app.register_blueprint(outgoing_bp)
    app.register_blueprint(distribution_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(tiers_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(search_bp)

    from eoffice.extensions import csrf

    csrf.exempt(api_bp)  # bearer tokens only; cookies are ignored under /api/
    csrf.exempt(pki_bp)  # public OCSP/TSA protocol endpoints, no session
