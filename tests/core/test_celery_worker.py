"""A real Celery worker on Redis runs eoffice tasks inside the app context."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from helpers import need_service

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url():
    url = os.environ.get("EOFFICE_TEST_REDIS_URL")
    need_service("Redis", url)
    return url


def test_worker_runs_task_in_app_context(redis_url, database_url, tmp_path):
    env = dict(os.environ,
               EOFFICE_ENV="testing",
               EOFFICE_SECRET_KEY="worker-test",
               EOFFICE_INSTANCE_PATH=str(tmp_path),
               EOFFICE_DATABASE_URL=database_url,
               EOFFICE_CELERY_BROKER_URL=redis_url,
               EOFFICE_CELERY_RESULT_BACKEND=redis_url)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "eoffice.worker:celery_app", "worker",
         "--pool=solo", "--concurrency=1", "-Q", queue, "--without-heartbeat",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        client = Celery(broker=redis_url, backend=redis_url)
        token = uuid.uuid4().hex
        result = client.send_task("eoffice.core.ping", args=[token], queue=queue)
        answer = result.get(timeout=90)
        assert answer == {"token": token,
                          "database": "postgresql" if "postgresql" in database_url else "sqlite"}
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert b"Traceback" not in output, output.decode(errors="replace")


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    body = response.get_json()
    assert body["checks"]["database"] == "ok"
    assert "broker" in body["checks"]
    assert response.status_code == (200 if body["checks"]["broker"] == "ok" else 503)
