"""Entry point for ``celery -A eoffice.worker:celery_app worker|beat``."""

from eoffice import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
