"""``gunicorn wsgi:app`` — the web application (the hub runs as its own process)."""

from eoffice import create_app

app = create_app()
