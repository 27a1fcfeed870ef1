import pytest

from eoffice.config import ConfigError, load_config


@pytest.mark.parametrize("env", ["production", "testing"])
def test_non_development_start_without_secret_key_refuses(env, tmp_path, monkeypatch):
    monkeypatch.delenv("EOFFICE_SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path), {"ENV": env})


def test_development_defaults_are_zero_setup(tmp_path, monkeypatch):
    for name in ("EOFFICE_DATABASE_URL", "DATABASE_URL", "EOFFICE_CELERY_BROKER_URL",
                 "CELERY_BROKER_URL", "EOFFICE_SECRET_KEY", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(str(tmp_path), {"ENV": "development"})
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["CELERY"]["broker_url"].startswith("sqla+sqlite:///")
    assert config["CELERY"]["accept_content"] == ["json"]
    # a random per-instance key, stable across restarts, never a literal default
    again = load_config(str(tmp_path), {"ENV": "development"})
    assert config["SECRET_KEY"] == again["SECRET_KEY"] and len(config["SECRET_KEY"]) == 64


def test_environment_variables_win(tmp_path, monkeypatch):
    monkeypatch.setenv("EOFFICE_DATABASE_URL", "postgresql+psycopg://x@db/eoffice")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://cache:6379/0")
    config = load_config(str(tmp_path), {"ENV": "production", "SECRET_KEY": "s"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://x@db/eoffice"
    assert config["CELERY"]["broker_url"] == "redis://cache:6379/0"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_unknown_environment_is_an_error(tmp_path):
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), {"ENV": "staging"})
